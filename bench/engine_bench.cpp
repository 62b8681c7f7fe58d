// hydra-engine speed on this machine, measured in one run against limits
// measured in the same run: memory bandwidth (a streaming read over a buffer
// far larger than the caches) and FMA peak (a tight loop of independent
// FMAs). A random-weight model with the shapes of Qwen2.5-0.5B (hidden 896,
// 24 layers, 14 query / 2 KV heads, FFN 4864, tied embeddings) is written in
// F16 and Q8_0 by the engine's own test-model writer, then:
//   - single-stream decode tokens/s and its ratio to the roofline
//     (bandwidth / bytes of weights read per token), in rounds that each
//     measure the bandwidth just before decoding (median ratio);
//   - prefill of a 512-token prompt: tokens/s and GFLOP/s against the peak;
//   - aggregate decode tokens/s at 1, 4, 8 and 16 concurrent streams;
//   - time to first token with a cached 1,000-token prefix against uncached;
//   - what the FMA peak allows a prefill and a decode step of any batch;
//   - resident memory against weights + KV cache limit + 200 MB.
// Usage: engine_bench [--threads N] [--types q8_0,f16[,q4_0,bf16]] [--keep DIR]
// (each model is measured in a child process: engine_bench --measure ...)
#include <immintrin.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "engine/kernels/compute_pool.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/matmul.h"
#include "engine/model/decoder.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model.h"
#include "engine/model/test_model.h"

using namespace hydra::engine;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

// Streaming read of a 1 GiB buffer by every pool thread, the best of five
// passes of two readers: plain vector loads (hardware prefetch only), and
// the F32 matrix-vector kernel over the buffer (loads plus the software
// prefetch the weight kernels use). The better one is the roofline.
double measure_bandwidth_gbs(bool print = true) {
  const int64_t cols = 4096, rows = (int64_t{1} << 28) / cols;
  const size_t n = static_cast<size_t>(rows * cols);
  std::vector<float> buf(n, 1.0f), ones(static_cast<size_t>(cols), 1.0f),
      y(static_cast<size_t>(rows));
  const int64_t chunk = 1 << 20;
  std::vector<float> sink(n / chunk);
  double plain = 0, kernel = 0;
  for (int pass = 0; pass < 5; ++pass) {
    auto t0 = Clock::now();
    parallel_for(static_cast<int64_t>(n), chunk, [&](int64_t a, int64_t b) {
      sink[static_cast<size_t>(a / chunk)] = kernels().dot(buf.data() + a, buf.data() + a, b - a);
    });
    plain = std::max(plain, static_cast<double>(n) * 4 / seconds_since(t0) / 1e9);
    const MatrixRef m{GgmlType::kF32, rows, cols, static_cast<size_t>(cols) * 4,
                      reinterpret_cast<const uint8_t*>(buf.data())};
    t0 = Clock::now();
    matmul(m, ones.data(), 1, cols, y.data(), rows);
    kernel = std::max(kernel, static_cast<double>(n) * 4 / seconds_since(t0) / 1e9);
  }
  if (std::accumulate(sink.begin(), sink.end(), 0.0) + y[0] < 0) std::puts("");
  if (print) {
    std::printf("streaming read: %.1f GB/s plain loads, %.1f GB/s with software prefetch\n", plain,
                kernel);
  }
  return std::max(plain, kernel);
}

__attribute__((target("avx512f,fma"))) double fma_loop_avx512(int64_t iters) {
  __m512 acc[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  float out[16];
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  _mm512_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  __m256 acc[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  return out[0];
}

// FLOP/s of the widest FMA this CPU has, on every pool thread at once.
double measure_fma_peak_gflops() {
  const bool wide = kernel_path_supported(KernelPath::kAvx512);
  const int lanes = wide ? 16 : 8;
  const int64_t iters = 20'000'000;
  const int threads = ComputePool::instance().threads();
  std::vector<double> sink(static_cast<size_t>(threads));
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto t0 = Clock::now();
    ComputePool::instance().run(threads, [&](int64_t t) {
      sink[static_cast<size_t>(t)] = wide ? fma_loop_avx512(iters) : fma_loop_avx2(iters);
    });
    const double flops = static_cast<double>(threads) * iters * 12 * lanes * 2;
    best = std::max(best, flops / seconds_since(t0) / 1e9);
  }
  return best;
}

TestModelOptions qwen25_shapes(GgmlType type, const std::string& vocab) {
  TestModelOptions o;
  o.arch = "qwen2";
  o.layers = 24;
  o.hidden = 896;
  o.heads = 14;
  o.kv_heads = 2;
  o.intermediate = 4864;
  o.type = type;
  o.vocab_path = vocab;
  o.context_length = 4096;
  o.rope_theta = 1000000.0f;
  o.seed = 25;
  return o;
}

size_t matrix_bytes(const Weight& w) {
  return w.empty() ? 0 : w.row_bytes * static_cast<size_t>(w.rows);
}

// Bytes of weights one decode step reads: every layer matrix and the
// output projection (the embedding row read is negligible).
size_t bytes_per_token(const Model& m) {
  size_t total = matrix_bytes(m.output);
  for (const LayerWeights& l : m.layers) {
    for (const Weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      total += matrix_bytes(*w);
    }
  }
  return total;
}

// Multiply-adds x 2 of a prefill of n tokens: the layer matrices for every
// token, attention over the causal triangle, the output row of the last.
double prefill_flops(const Model& m, int64_t n) {
  double per_token = 0;
  for (const LayerWeights& l : m.layers) {
    for (const Weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      per_token += 2.0 * static_cast<double>(w->rows * w->cols);
    }
  }
  const double attn = 4.0 * static_cast<double>(m.n_head() * m.head_dim()) *
                      static_cast<double>(m.layers.size()) * (static_cast<double>(n) * (n + 1) / 2);
  return per_token * static_cast<double>(n) + attn +
         2.0 * static_cast<double>(m.output.rows * m.output.cols);
}

// Multiply-adds x 2 of one decode step of one sequence: every layer
// matrix and the output row (attention over a short context is left out).
double decode_flops(const Model& m) {
  double total = 2.0 * static_cast<double>(m.output.rows * m.output.cols);
  for (const LayerWeights& l : m.layers) {
    for (const Weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      total += 2.0 * static_cast<double>(w->rows * w->cols);
    }
  }
  return total;
}

std::vector<int32_t> tokens_from(uint32_t seed, size_t n, int64_t vocab) {
  std::vector<int32_t> out(n);
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& t : out) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    t = static_cast<int32_t>(s % static_cast<uint64_t>(vocab - 1000)) + 500;
  }
  return out;
}

int32_t argmax(const std::vector<float>& v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

struct Figures {
  double decode_tps = 0, roofline_tps = 0, prefill_tps = 0, prefill_gflops = 0;
  double streams[4] = {0, 0, 0, 0};
  double ttft_uncached = 0, ttft_cached = 0;
  double rss = 0, rss_budget = 0;
};

double decode_single(const Model& m, const std::shared_ptr<KvBlocks>& store) {
  const auto nv = static_cast<size_t>(m.n_vocab());
  std::vector<float> logits(nv);
  KvCache cache(store, 1024);
  decode(m, cache, tokens_from(1, 16, m.n_vocab()), logits.data());
  int32_t t = argmax(logits);
  const int steps = 64;
  const auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i) {
    decode(m, cache, std::span<const int32_t>(&t, 1), logits.data());
    t = argmax(logits);
  }
  return steps / seconds_since(t0);
}

// This machine's bandwidth moves by tens of percent from minute to minute,
// so one figure taken at the start says little about a decode run later.
// Each round measures the bandwidth and then decodes; the round with the
// median ratio gives the figures.
void decode_against_roofline(const Model& m, const std::shared_ptr<KvBlocks>& store,
                             double bytes_per_token, Figures& f) {
  struct Round {
    double tps, roofline;
  };
  std::vector<Round> rounds;
  std::printf("  decode rounds (tokens/s at GB/s):");
  for (int i = 0; i < 5; ++i) {
    const double bw = measure_bandwidth_gbs(false);
    const double tps = decode_single(m, store);
    rounds.push_back({tps, bw * 1e9 / bytes_per_token});
    std::printf(" %.1f at %.1f%s", tps, bw, i < 4 ? "," : "\n");
    std::fflush(stdout);
  }
  std::sort(rounds.begin(), rounds.end(),
            [](const Round& a, const Round& b) { return a.tps / a.roofline < b.tps / b.roofline; });
  f.decode_tps = rounds[2].tps;
  f.roofline_tps = rounds[2].roofline;
}

double prefill_512(const Model& m, const std::shared_ptr<KvBlocks>& store) {
  std::vector<float> logits(static_cast<size_t>(m.n_vocab()));
  double best = 1e9;
  for (int run = 0; run < 2; ++run) {
    KvCache cache(store, 1024);
    const auto prompt = tokens_from(100 + run, 512, m.n_vocab());
    const auto t0 = Clock::now();
    decode(m, cache, prompt, logits.data());
    best = std::min(best, seconds_since(t0));
  }
  return 512 / best;
}

// S sequences advanced together, one row each per step (what the runtime's
// batch does once every sequence is past its prompt): after a step that is
// not timed, three rounds of steps; the median round's tokens/s (one round
// of a second or less swung by 30% on a busy machine).
double decode_streams(const Model& m, const std::shared_ptr<KvBlocks>& store, int streams) {
  const auto nv = static_cast<size_t>(m.n_vocab());
  std::vector<KvCache> caches;
  std::vector<std::vector<float>> logits(static_cast<size_t>(streams), std::vector<float>(nv));
  std::vector<int32_t> next(static_cast<size_t>(streams));
  for (int s = 0; s < streams; ++s) {
    caches.emplace_back(store, 1024);
    decode(m, caches.back(), tokens_from(200 + s, 16, m.n_vocab()),
           logits[static_cast<size_t>(s)].data());
    next[static_cast<size_t>(s)] = argmax(logits[static_cast<size_t>(s)]);
  }
  std::vector<BatchRow> rows(static_cast<size_t>(streams));
  auto step = [&] {
    for (int s = 0; s < streams; ++s) {
      auto& c = caches[static_cast<size_t>(s)];
      rows[static_cast<size_t>(s)] = {&c, next[static_cast<size_t>(s)], c.n_past,
                                      logits[static_cast<size_t>(s)].data()};
    }
    forward_batch(m, rows);
    for (int s = 0; s < streams; ++s)
      next[static_cast<size_t>(s)] = argmax(logits[static_cast<size_t>(s)]);
  };
  step();
  const int steps = streams >= 8 ? 16 : 24;
  std::vector<double> rounds;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i) step();
    rounds.push_back(static_cast<double>(streams) * steps / seconds_since(t0));
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[1];
}

// Time to the first token's logits of a 1,024-token prompt whose first
// 1,000 tokens another request already ran, against a cold store.
void ttft(const Model& m, const std::shared_ptr<KvBlocks>& store, Figures& f) {
  std::vector<float> logits(static_cast<size_t>(m.n_vocab()));
  const auto prefix = tokens_from(300, 1000, m.n_vocab());
  auto prompt_with = [&](uint32_t seed) {
    std::vector<int32_t> p = prefix;
    const auto tail = tokens_from(seed, 24, m.n_vocab());
    p.insert(p.end(), tail.begin(), tail.end());
    return p;
  };
  const auto first = prompt_with(301), second = prompt_with(302);
  {
    KvCache c(store, 2048);
    const auto t0 = Clock::now();
    c.attach_prefix(first);
    decode(m, c, std::span<const int32_t>(first).subspan(static_cast<size_t>(c.n_past)),
           logits.data());
    f.ttft_uncached = seconds_since(t0);
    c.publish_prefix(first);
  }
  KvCache c(store, 2048);
  const auto t0 = Clock::now();
  const int64_t reused = c.attach_prefix(second);
  decode(m, c, std::span<const int32_t>(second).subspan(static_cast<size_t>(reused)),
         logits.data());
  f.ttft_cached = seconds_since(t0);
  std::printf("    prefix reuse: %lld of %zu prompt tokens came from the cache\n",
              static_cast<long long>(reused), second.size());
}

Figures run_model(const std::string& path, GgmlType type, double peak_gflops) {
  Figures f;
  auto model = load_model(path);
  const Model& m = *model;
  const int64_t kv_limit = int64_t{256} << 20;
  auto store = std::make_shared<KvBlocks>(
      m, KvBlocks::blocks_for_bytes(m, GgmlType::kF16, KvBlocks::kDefaultBlockSize, kv_limit),
      GgmlType::kF16);
  const size_t per_token = bytes_per_token(m);
  std::printf(
      "\n== %s: %.1f MB of weights read per token, file %.1f MB, KV cache f16 limit %lld MB\n",
      std::string(type_name(type)).c_str(), per_token / 1e6, std::filesystem::file_size(path) / 1e6,
      static_cast<long long>(kv_limit >> 20));
  decode_single(m, store);  // warm the page cache and the pool
  decode_against_roofline(m, store, static_cast<double>(per_token), f);
  std::printf("  decode, 1 stream:  %7.1f tokens/s   roofline %.1f tokens/s   ratio %.2f\n",
              f.decode_tps, f.roofline_tps, f.decode_tps / f.roofline_tps);
  f.prefill_tps = prefill_512(m, store);
  f.prefill_gflops = prefill_flops(m, 512) / (512 / f.prefill_tps) / 1e9;
  std::printf("  prefill 512:       %7.1f tokens/s   %.1f GFLOP/s = %.2f of the FMA peak\n",
              f.prefill_tps, f.prefill_gflops, f.prefill_gflops / peak_gflops);
  // What the arithmetic alone allows on this machine, so a figure far from
  // a target can be told apart from a kernel far from the hardware.
  std::printf("    at the FMA peak a 512-token prefill would run at most %.1f tokens/s\n",
              peak_gflops * 1e9 / (prefill_flops(m, 512) / 512));
  const int counts[4] = {1, 4, 8, 16};
  for (int i = 0; i < 4; ++i) {
    f.streams[i] = decode_streams(m, store, counts[i]);
    std::printf("  decode, %2d streams: %7.1f tokens/s aggregate   %.2fx one stream\n", counts[i],
                f.streams[i], f.streams[i] / f.streams[0]);
  }
  const double cap = peak_gflops * 1e9 / decode_flops(m);
  std::printf(
      "    at the FMA peak decode steps of any batch give at most %.1f tokens/s = %.2fx one "
      "stream\n",
      cap, cap / f.streams[0]);
  ttft(m, store, f);
  std::printf(
      "  TTFT 1,024-token prompt: uncached %.0f ms, 1,000-token prefix cached %.0f ms   ratio "
      "%.3f\n",
      f.ttft_uncached * 1e3, f.ttft_cached * 1e3, f.ttft_cached / f.ttft_uncached);
  f.rss = rss_mb();
  f.rss_budget =
      std::filesystem::file_size(path) / 1048576.0 + static_cast<double>(kv_limit >> 20) + 200;
  std::fflush(stdout);
  std::printf("  resident memory %.0f MB; budget weights + KV limit + 200 MB = %.0f MB (%s)\n",
              f.rss, f.rss_budget, f.rss <= f.rss_budget ? "within" : "OVER");
  return f;
}

}  // namespace

// Each model is measured in a fresh process, so its resident memory is its
// own (writing a model leaves the writer's heap behind).
int measure_child(char** argv) {
  const std::string path = argv[2];
  const GgmlType type = *type_from_name(argv[3]);
  ComputePool::instance().resize(std::atoi(argv[5]));
  run_model(path, type, std::atof(argv[4]));
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "--measure") return measure_child(argv);
  int threads = 0;
  std::string types = "q8_0,f16", keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads") threads = std::atoi(argv[i + 1]);
    if (a == "--types") types = argv[i + 1];
    if (a == "--keep") keep = argv[i + 1];
  }
  ComputePool::instance().resize(threads);
  std::printf("hydra engine_bench: kernels %s, %d threads, load average at start %s\n",
              kernels().name, ComputePool::instance().threads(), load_average().c_str());
  const double bw = measure_bandwidth_gbs();
  const double peak = measure_fma_peak_gflops();
  std::printf("memory read bandwidth %.1f GB/s; FMA peak %.1f GFLOP/s (%d threads)\n", bw, peak,
              ComputePool::instance().threads());
  std::fflush(stdout);
  const std::string dir =
      keep.empty() ? (std::filesystem::temp_directory_path() / "hydra-engine-bench").string()
                   : keep;
  std::filesystem::create_directories(dir);
  const std::string vocab =
      std::string(HYDRA_SOURCE_DIR) + "/../shared/testdata/vocab/ggml-vocab-deepseek-llm.gguf";
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  int rc = 0;
  for (const char* name : {"q8_0", "f16", "q4_0", "bf16"}) {
    if (("," + types + ",").find("," + std::string(name) + ",") == std::string::npos) continue;
    const GgmlType type = *type_from_name(name);
    const std::string path = dir + "/qwen25-shapes-" + name + ".gguf";
    if (!std::filesystem::exists(path)) {
      const auto t0 = Clock::now();
      make_test_model(path, qwen25_shapes(type, vocab), TestModelFormat::kGguf);
      std::printf("wrote %s in %.0f s\n", path.c_str(), seconds_since(t0));
      std::fflush(stdout);
    }
    const std::string cmd = "'" + self + "' --measure '" + path + "' " + name + " " +
                            std::to_string(peak) + " " +
                            std::to_string(ComputePool::instance().threads());
    rc |= std::system(cmd.c_str());
  }
  std::printf("\nload average at end %s\n", load_average().c_str());
  if (keep.empty()) std::filesystem::remove_all(dir);
  return rc == 0 ? 0 : 1;
}
