#include "answers.h"

#include <cstdint>
#include <cstring>
#include <ctime>

namespace fake {

namespace bj = boost::json;

namespace {

int64_t count_words(std::string_view s) {
  int64_t n = 0;
  bool in_word = false;
  for (char c : s) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// Words in every string under `v` (roles count as one word each).
int64_t words_in(const bj::value& v) {
  if (v.is_string()) return count_words(v.get_string());
  int64_t n = 0;
  if (v.is_array()) {
    for (const auto& x : v.get_array()) n += words_in(x);
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) n += words_in(kv.value());
  } else if (v.is_int64() || v.is_uint64()) {
    n = 1;  // a token id
  }
  return n;
}

const bj::value& need(const bj::object& o, const char* field) {
  const bj::value* v = o.if_contains(field);
  if (!v || v->is_null()) throw BadRequest(std::string("'") + field + "' is required");
  return *v;
}

int64_t array_size_or_one(const bj::value& v) {
  return v.is_array() ? static_cast<int64_t>(v.get_array().size()) : 1;
}

std::string created() {
  return std::to_string(static_cast<int64_t>(std::time(nullptr)));
}

std::string head(const Ask& a, const std::string& id, const char* object) {
  return "{\"id\":\"" + id + "\",\"object\":\"" + object + "\",\"created\":" + created() +
         ",\"model\":" + bj::serialize(bj::value(a.model));
}

std::string chunk_object(const Ask& a) {
  return a.kind == Kind::kChat ? "chat.completion.chunk" : "text_completion";
}

std::string event(std::string json) {
  return "data: " + json + "\n\n";
}

// Standard base64 with padding, as OpenAI sends embeddings.
std::string to_base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// Embedding i, element d is ((i + d) % 7) / 7: a value a test can check.
float embedding_value(int64_t i, int64_t d) {
  return static_cast<float>((i + d) % 7) / 7.0f;
}

std::string token_text(int64_t index) {
  return "t" + std::to_string(index) + " ";
}

}  // namespace

Ask read_ask(Kind kind, const std::string& body, const Options& o) {
  bj::error_code ec;
  bj::value v = bj::parse(body, ec);
  if (ec || !v.is_object()) throw BadRequest("the body must be a JSON object");
  const bj::object& b = v.get_object();
  Ask a;
  a.kind = kind;
  const bj::value& model = need(b, "model");
  if (!model.is_string()) throw BadRequest("'model' must be a string");
  a.model = std::string(model.get_string());
  if (const bj::value* s = b.if_contains("stream"); s && s->is_bool()) a.stream = s->get_bool();
  if (const bj::value* so = b.if_contains("stream_options"); so && so->is_object()) {
    const bj::value* inc = so->get_object().if_contains("include_usage");
    const bj::value* cont = so->get_object().if_contains("continuous_usage_stats");
    a.include_usage = inc && inc->is_bool() && inc->get_bool();
    a.continuous = a.include_usage && cont && cont->is_bool() && cont->get_bool();
  }
  a.completion_tokens = o.tokens;
  for (const char* f : {"max_tokens", "max_completion_tokens"}) {
    const bj::value* m = b.if_contains(f);
    if (m && m->is_int64() && m->get_int64() >= 0) a.completion_tokens = m->get_int64();
  }
  switch (kind) {
    case Kind::kChat:
      a.prompt_tokens = words_in(need(b, "messages"));
      break;
    case Kind::kCompletion:
      a.prompt_tokens = words_in(need(b, "prompt"));
      break;
    case Kind::kEmbedding:
      a.prompt_tokens = words_in(need(b, "input"));
      a.items = array_size_or_one(b.at("input"));
      if (const bj::value* f = b.if_contains("encoding_format"); f && !f->is_null()) {
        if (!f->is_string() || (f->get_string() != "float" && f->get_string() != "base64"))
          throw BadRequest("'encoding_format' must be 'float' or 'base64'");
        a.base64 = f->get_string() == "base64";
      }
      a.completion_tokens = 0;
      a.stream = false;
      break;
    case Kind::kImage:
      a.prompt_tokens = words_in(need(b, "prompt"));
      if (const bj::value* n = b.if_contains("n"); n && n->is_int64()) a.items = n->get_int64();
      if (a.items < 1 || a.items > 10) throw BadRequest("'n' must be 1..10");
      a.completion_tokens = 0;
      a.stream = false;
      break;
    case Kind::kRerank:
      a.prompt_tokens = words_in(need(b, "query")) + words_in(need(b, "documents"));
      a.items = array_size_or_one(b.at("documents"));
      a.completion_tokens = 0;
      a.stream = false;
      break;
  }
  if (a.stream && kind != Kind::kChat && kind != Kind::kCompletion) a.stream = false;
  return a;
}

std::string usage_json(int64_t prompt, int64_t completion) {
  return "{\"prompt_tokens\":" + std::to_string(prompt) +
         ",\"completion_tokens\":" + std::to_string(completion) +
         ",\"total_tokens\":" + std::to_string(prompt + completion) + "}";
}

std::string error_json(const std::string& message, const std::string& type, int code) {
  bj::object err{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  return bj::serialize(bj::object{{"error", std::move(err)}});
}

std::string whole_answer(const Ask& a, const std::string& id, const Options& o) {
  std::string usage =
      o.usage ? ",\"usage\":" + usage_json(a.prompt_tokens, a.completion_tokens) : std::string();
  std::string text;
  for (int64_t i = 0; i < a.completion_tokens; ++i) text += token_text(i);
  std::string quoted = bj::serialize(bj::value(text));
  switch (a.kind) {
    case Kind::kChat:
      return head(a, id, "chat.completion") +
             ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" +
             quoted + "},\"finish_reason\":\"length\"}]" + usage + "}";
    case Kind::kCompletion:
      return head(a, id, "text_completion") + ",\"choices\":[{\"index\":0,\"text\":" + quoted +
             ",\"finish_reason\":\"length\"}]" + usage + "}";
    case Kind::kEmbedding: {
      std::string data;
      for (int64_t i = 0; i < a.items; ++i) {
        std::string vec;
        if (a.base64) {  // little-endian float32s, as OpenAI packs them
          std::string raw;
          for (int64_t d = 0; d < o.embedding_dims; ++d) {
            float f = embedding_value(i, d);
            uint32_t bits = 0;
            std::memcpy(&bits, &f, sizeof bits);
            for (int b = 0; b < 4; ++b) raw += static_cast<char>((bits >> (8 * b)) & 0xff);
          }
          vec = "\"" + to_base64(raw) + "\"";
        } else {
          for (int64_t d = 0; d < o.embedding_dims; ++d) {
            vec += (d ? "," : "") + std::to_string(embedding_value(i, d));
          }
          vec = "[" + vec + "]";
        }
        data += std::string(i ? "," : "") +
                "{\"object\":\"embedding\",\"index\":" + std::to_string(i) +
                ",\"embedding\":" + vec + "}";
      }
      return "{\"object\":\"list\",\"model\":" + bj::serialize(bj::value(a.model)) + ",\"data\":[" +
             data + "]" + usage + "}";
    }
    case Kind::kImage: {
      std::string data;
      for (int64_t i = 0; i < a.items; ++i) {
        data += std::string(i ? "," : "") + "{\"b64_json\":\"iVBORw0KGgo=\"}";
      }
      return "{\"created\":" + created() + ",\"data\":[" + data + "]" + usage + "}";
    }
    case Kind::kRerank: {
      std::string results;
      for (int64_t i = 0; i < a.items; ++i) {
        results += std::string(i ? "," : "") + "{\"index\":" + std::to_string(i) +
                   ",\"relevance_score\":" + std::to_string(1.0 / static_cast<double>(i + 1)) + "}";
      }
      return "{\"id\":\"" + id + "\",\"model\":" + bj::serialize(bj::value(a.model)) +
             ",\"results\":[" + results + "]" + usage + "}";
    }
  }
  return "{}";
}

std::string role_event(const Ask& a, const std::string& id, bool with_usage) {
  std::string choice = a.kind == Kind::kChat
                           ? "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                             "\"finish_reason\":null}"
                           : "{\"index\":0,\"text\":\"\",\"finish_reason\":null}";
  std::string usage = with_usage ? ",\"usage\":" + usage_json(a.prompt_tokens, 0) : "";
  return event(head(a, id, chunk_object(a).c_str()) + ",\"choices\":[" + choice + "]" + usage +
               "}");
}

std::string token_event(const Ask& a, const std::string& id, int64_t index, bool with_usage) {
  std::string text = "\"" + token_text(index) + "\"";
  std::string choice =
      a.kind == Kind::kChat
          ? "{\"index\":0,\"delta\":{\"content\":" + text + "},\"finish_reason\":null}"
          : "{\"index\":0,\"text\":" + text + ",\"finish_reason\":null}";
  std::string usage = with_usage ? ",\"usage\":" + usage_json(a.prompt_tokens, index + 1) : "";
  return event(head(a, id, chunk_object(a).c_str()) + ",\"choices\":[" + choice + "]" + usage +
               "}");
}

std::string finish_event(const Ask& a, const std::string& id, bool with_usage) {
  std::string choice = a.kind == Kind::kChat
                           ? "{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}"
                           : "{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}";
  std::string usage =
      with_usage ? ",\"usage\":" + usage_json(a.prompt_tokens, a.completion_tokens) : "";
  return event(head(a, id, chunk_object(a).c_str()) + ",\"choices\":[" + choice + "]" + usage +
               "}");
}

std::string usage_event(const Ask& a, const std::string& id) {
  return event(head(a, id, chunk_object(a).c_str()) + ",\"choices\":[],\"usage\":" +
               usage_json(a.prompt_tokens, a.completion_tokens) + "}");
}

}  // namespace fake
