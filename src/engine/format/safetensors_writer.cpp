#include "engine/format/safetensors_writer.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "engine/format/format_error.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

void write_bytes(const std::string& path, const std::string& head,
                 const std::vector<uint8_t>& body) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(head.data(), static_cast<std::streamsize>(head.size()));
    f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
    if (!f) throw FormatError("safetensors writer: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw FormatError("safetensors writer: cannot rename " + tmp + " to " + path);
  }
}

std::string shard_name(int k, int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", k, n);
  return buf;
}

}  // namespace

void SafetensorsWriter::add_tensor(const std::string& name, StDtype dtype,
                                   const std::vector<int64_t>& shape, const void* data,
                                   size_t nbytes) {
  if (name.empty() || name == "__metadata__") {
    throw FormatError("safetensors writer: invalid tensor name '" + name + "'");
  }
  size_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0) throw FormatError("safetensors writer: negative dimension in '" + name + "'");
    elements *= static_cast<size_t>(d);
  }
  if (elements * st_dtype_size(dtype) != nbytes) {
    throw FormatError("safetensors writer: tensor '" + name + "' has " + std::to_string(nbytes) +
                      " bytes, its shape needs " + std::to_string(elements * st_dtype_size(dtype)));
  }
  for (const auto& t : tensors_) {
    if (t.name == name) throw FormatError("safetensors writer: duplicate tensor '" + name + "'");
  }
  const auto* b = static_cast<const uint8_t*>(data);
  tensors_.push_back({name, dtype, shape, std::vector<uint8_t>(b, b + nbytes)});
}

void SafetensorsWriter::add_f32(const std::string& name, const std::vector<int64_t>& shape,
                                const std::vector<float>& values) {
  add_tensor(name, StDtype::kF32, shape, values.data(), values.size() * sizeof(float));
}

std::vector<uint8_t> SafetensorsWriter::to_bytes() const {
  bj::object header;
  if (!metadata_.empty()) {
    bj::object meta;
    for (const auto& [k, v] : metadata_) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    bj::array shape;
    for (int64_t d : t.shape) shape.push_back(d);
    header[t.name] = {{"dtype", st_dtype_name(t.dtype)},
                      {"shape", std::move(shape)},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = bj::serialize(header);
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // keeps the data 8-byte aligned
  // Sized once and filled by offset (GCC 12 misreports growing inserts here).
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t len = text.size();
  std::memcpy(out.data(), &len, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  size_t at = 8 + text.size();
  for (const auto& t : tensors_) {
    if (!t.bytes.empty()) std::memcpy(out.data() + at, t.bytes.data(), t.bytes.size());
    at += t.bytes.size();
  }
  return out;
}

void SafetensorsWriter::write_file(const std::string& path) const {
  write_bytes(path, {}, to_bytes());
}

void SafetensorsWriter::write_sharded(const std::string& dir, int n_shards) const {
  if (n_shards < 1) throw FormatError("safetensors writer: need at least one shard");
  std::vector<SafetensorsWriter> shards(static_cast<size_t>(n_shards));
  bj::object weight_map;
  uint64_t total = 0;
  for (size_t k = 0; k < tensors_.size(); ++k) {
    const size_t s = k * static_cast<size_t>(n_shards) / std::max<size_t>(tensors_.size(), 1);
    const auto& t = tensors_[k];
    shards[s].tensors_.push_back(t);
    weight_map[t.name] = shard_name(static_cast<int>(s) + 1, n_shards);
    total += t.bytes.size();
  }
  for (int s = 0; s < n_shards; ++s) {
    shards[static_cast<size_t>(s)].metadata_ = metadata_;
    shards[static_cast<size_t>(s)].write_file(dir + "/" + shard_name(s + 1, n_shards));
  }
  bj::object index{{"metadata", {{"total_size", total}}}, {"weight_map", std::move(weight_map)}};
  const std::string text = bj::serialize(index);
  write_bytes(dir + "/model.safetensors.index.json", text, {});
}

}  // namespace hydra::engine
