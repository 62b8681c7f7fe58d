// The gateway end to end: fake upstreams on loopback, a SQLite store with
// MaaS models and API keys, the gateway routes on a real server, and
// clients that speak HTTP (the blocking client and raw sockets).
#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "auth/api_keys.h"
#include "auth/users.h"
#include "catalog/maas_model.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/random.h"
#include "common/strings.h"
#include "fake_upstream.h"
#include "gateway/sse.h"
#include "http/client.h"
#include "moderation/rule_store.h"
#include "self_signed.h"

namespace hydra::gateway {
namespace {

namespace net = boost::asio;
namespace bj = boost::json;
using namespace std::chrono_literals;
using testing::CutUpstream;
using testing::FakeUpstream;
using tcp = net::ip::tcp;

struct EndpointSpec {
  std::string base_url;
  std::string model;
  std::string key;
  int64_t weight = 0;
};

// What a client saw of one streamed answer.
struct StreamSeen {
  std::string head;
  std::string body;  // de-chunked
  std::chrono::milliseconds first_event{0};
  std::chrono::milliseconds total{0};
};

std::string dechunk(const std::string& raw) {
  std::string out;
  size_t at = 0;
  while (at < raw.size()) {
    size_t eol = raw.find("\r\n", at);
    if (eol == std::string::npos) break;
    size_t n = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (n == 0) break;
    out += raw.substr(eol + 2, n);
    at = eol + 2 + n + 2;
  }
  return out;
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-gateway-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    store::StoreOptions so;
    so.synchronous = "NORMAL";
    st_ = store::open_store("sqlite:" + (dir_ / "hydra.db").string(), so);
    st_->migrate();
    cfg_.secret_key = "gateway test secret";
    cfg_.data_dir = dir_.string();
    a_ = std::make_unique<FakeUpstream>("A");
    b_ = std::make_unique<FakeUpstream>("B");
    auth::NewUser nu;
    nu.name = "alice";
    nu.password_hash = "unused-in-these-tests";
    st_->transact([&](store::Session& s) { user_ = auth::create_user(s, nu); });
    key_ = make_key({});
  }

  void TearDown() override {
    if (server_) server_->shutdown(500);
    if (gw_) gw_->stop();
    server_.reset();
    gw_.reset();
    a_.reset();
    b_.reset();
    st_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string make_key(std::vector<std::string> allowed) {
    auth::NewApiKey k;
    k.user_id = user_.id;
    k.workspace_id = user_.personal_workspace_id();
    k.name = "key" + random_hex(3);
    k.allowed_models = std::move(allowed);
    auth::CreatedApiKey out;
    st_->transact([&](store::Session& s) { out = auth::create_api_key(s, k, 50); });
    key_ids_[out.plaintext] = out.key.id;
    return out.plaintext;
  }

  void add_model(const std::string& id, const std::vector<EndpointSpec>& eps,
                 const std::string& policy = "round_robin") {
    bj::array endpoints;
    for (const auto& e : eps) {
      bj::object o{{"base_url", e.base_url}, {"model", e.model}, {"weight", e.weight}};
      if (!e.key.empty()) o["api_key"] = e.key;
      endpoints.push_back(std::move(o));
    }
    bj::object body{{"id", id}, {"endpoints", endpoints}, {"lb_policy", policy}, {"enabled", true}};
    auto m = catalog::maas_model_from_json(body);
    catalog::create_maas_model(*st_, m, SecretBox::from_config(cfg_), catalog::system_actor());
  }

  void start(GatewayOptions o = {}) {
    o.usage.interval_ms = 50;
    if (o.route_poll_ms == 2000) o.route_poll_ms = 100;
    // Probes are off unless a test asks: the raw upstreams count every connection.
    if (o.probes.interval_ms == ProbeOptions{}.interval_ms) o.probes.interval_ms = 0;
    gw_ = std::make_unique<Gateway>(*st_, cfg_, metrics_, o);
    gw_->start();
    http::Router r;
    gw_->register_routes(r);
    http::ServerOptions so;
    so.port = 0;
    so.access_log = false;
    so.io_threads = 2;
    so.worker_threads = 2;
    server_ = std::make_unique<http::Server>(so, std::move(r), metrics_ptr_);
    server_->start();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  http::ClientResponse post(const std::string& path, const bj::value& body,
                            const std::string& key) {
    http::Headers h;
    if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
    return client_.post_json(base_ + path, bj::serialize(body), h);
  }
  http::ClientResponse chat(const std::string& model, const std::string& key = {}) {
    bj::object body{{"model", model},
                    {"messages", bj::array{bj::object{{"role", "user"}, {"content", "hi"}}}}};
    return post("/v1/chat/completions", body, key.empty() ? key_ : key);
  }

  static int64_t code_of(const http::ClientResponse& r) {
    return std::stoll(std::string(json::parse(r.body).at("error").at("code").as_string()));
  }

  // Sends a streamed chat request on a raw socket and reads the answer as
  // it arrives, noting when the first event came.
  StreamSeen stream_chat(const std::string& model, bj::object extra = {}) {
    bj::object body{{"model", model},
                    {"stream", true},
                    {"messages", bj::array{bj::object{{"role", "user"}, {"content", "hi"}}}}};
    for (auto& [k, v] : extra) body[k] = v;
    std::string text = bj::serialize(body);
    std::string req =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
        "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
        std::to_string(text.size()) + "\r\n\r\n" + text;
    net::io_context io;
    tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    auto t0 = std::chrono::steady_clock::now();
    net::write(s, net::buffer(req));
    std::string raw;
    StreamSeen seen;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      size_t n = s.read_some(net::buffer(buf), ec);
      if (ec) break;
      raw.append(buf, n);
      if (seen.first_event.count() == 0 && raw.find("data: ") != std::string::npos) {
        seen.first_event = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - t0);
      }
    }
    seen.total = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    size_t head_end = raw.find("\r\n\r\n");
    seen.head = raw.substr(0, head_end);
    seen.body = dechunk(raw.substr(head_end + 4));
    return seen;
  }

  static std::vector<std::string> events(const std::string& body) {
    SseSplitter sp;
    std::vector<std::string> out;
    sp.feed(body, out);
    std::vector<std::string> data;
    for (const auto& e : out) data.push_back(sse_data(e));
    return data;
  }

  // Ordered by status: requests in the same millisecond have no order.
  store::Rows usage_rows() {
    gw_->usage().flush();
    return st_->query("SELECT * FROM usage_records ORDER BY status");
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> st_;
  Config cfg_;
  std::unique_ptr<FakeUpstream> a_, b_;
  auth::User user_;
  std::string key_;
  std::map<std::string, std::string> key_ids_;
  std::shared_ptr<http::Metrics> metrics_ptr_ = std::make_shared<http::Metrics>();
  http::Metrics& metrics_ = *metrics_ptr_;
  std::unique_ptr<Gateway> gw_;
  std::unique_ptr<http::Server> server_;
  std::string base_;
  http::Client client_;
};

TEST_F(GatewayTest, RejectsMissingAndWrongKeys) {
  add_model("m", {{a_->base_url(), "up-a", "sk-up-a"}});
  start();
  http::Headers h;
  auto r = client_.post_json(base_ + "/v1/chat/completions", R"({"model":"public/m"})", h);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code_of(r), 500004);
  auto wrong = chat("public/m", "sk-not-a-real-key");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(code_of(wrong), 500004);
  auto models = client_.get(base_ + "/v1/models", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(models.status, 401);
  EXPECT_EQ(a_->hits, 0);
}

// Keys are verified from memory after the first request; a deleted key, a
// removed membership or a disabled user still fails on the very next one.
TEST_F(GatewayTest, KeyChangesApplyOnTheNextRequestDespiteTheKeyCache) {
  add_model("m", {{a_->base_url(), "up-a", "sk-up-a"}});
  start();
  std::string doomed = make_key({});
  EXPECT_EQ(chat("public/m", doomed).status, 200);
  EXPECT_EQ(chat("public/m", doomed).status, 200);  // served from the cache
  st_->transact([&](store::Session& s) { auth::delete_api_key(s, key_ids_[doomed]); });
  auto gone = chat("public/m", doomed);
  EXPECT_EQ(gone.status, 401);
  EXPECT_EQ(code_of(gone), 500004);

  EXPECT_EQ(chat("public/m", key_).status, 200);
  auth::UserPatch off;
  off.disabled = true;
  st_->transact([&](store::Session& s) { auth::update_user(s, user_.id, off); });
  EXPECT_EQ(chat("public/m", key_).status, 401);
}

// Input rules refuse before any upstream work; output rules refuse a whole
// answer, or cut a stream with an error event where the text broke the rule.
TEST_F(GatewayTest, ModerationRefusesInputAnswersAndStreams) {
  add_model("m", {{a_->base_url(), "up-a", "sk-up-a"}});
  audit::Event admin;
  admin.actor_name = "admin";
  auto rule = [&](const char* body) {
    moderation::create_rule(*st_, moderation::rule_from_json(json::parse(body)), admin);
  };
  rule(R"({"pattern":"Forbidden Topic","direction":"input"})");
  rule(R"({"kind":"regex","pattern":"^A$","direction":"output"})");  // the whole answer is "A"
  rule(R"({"pattern":"a1","direction":"output"})");                  // streamed: "A0", "A1", ...
  start();

  bj::object body{
      {"model", "public/m"},
      {"messages",
       bj::array{bj::object{{"role", "user"}, {"content", "tell me about forbidden TOPIC"}}}}};
  auto in = post("/v1/chat/completions", body, key_);
  EXPECT_EQ(in.status, 400);
  EXPECT_EQ(code_of(in), 600003);
  EXPECT_EQ(a_->hits, 0);

  auto out = chat("public/m");
  EXPECT_EQ(out.status, 400);
  EXPECT_EQ(code_of(out), 600004);
  EXPECT_EQ(out.body.find("\"content\":\"A\""), std::string::npos);  // the text never leaves

  StreamSeen seen = stream_chat("public/m");
  auto data = events(seen.body);
  ASSERT_EQ(data.size(), 2u) << seen.body;
  EXPECT_EQ(json::parse(data[0]).at("choices").at(0).at("delta").at("content").as_string(), "A0");
  EXPECT_EQ(json::parse(data[1]).at("error").at("code").as_string(), "600004");
  EXPECT_EQ(seen.body.find("A2"), std::string::npos);

  auto rows = usage_rows();
  int refused = 0;
  for (auto r : rows) refused += r.i64("status") == 400;
  EXPECT_EQ(refused, 3);
}

TEST_F(GatewayTest, UnknownModelBadBodyAndDisallowedModel) {
  add_model("m", {{a_->base_url(), "up-a", "sk-up-a"}});
  add_model("other", {{a_->base_url(), "up-o", ""}});
  start();
  auto unknown = chat("public/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(code_of(unknown), 500005);
  auto bad = post("/v1/chat/completions", bj::array{1, 2}, key_);
  EXPECT_EQ(bad.status, 400);
  auto no_model = post("/v1/chat/completions", bj::object{{"messages", bj::array{}}}, key_);
  EXPECT_EQ(no_model.status, 400);
  EXPECT_EQ(json::parse(no_model.body).at("error").at("param"), "model");
  std::string limited = make_key({"public/other"});
  auto denied = chat("public/m", limited);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(code_of(denied), 500006);
  EXPECT_EQ(chat("public/other", limited).status, 200);
  EXPECT_EQ(a_->hits, 1);
}

TEST_F(GatewayTest, ModelsListFollowsAllowedModels) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  add_model("other", {{a_->base_url(), "up-o", ""}});
  add_model("off", {{a_->base_url(), "up-x", ""}});
  catalog::set_maas_enabled(*st_, "off", false, catalog::system_actor());
  start();
  auto ids = [&](const std::string& key) {
    auto r = client_.get(base_ + "/v1/models", {{"Authorization", "Bearer " + key}});
    EXPECT_EQ(r.status, 200);
    std::vector<std::string> out;
    bj::value list = json::parse(r.body);
    for (const auto& m : list.at("data").as_array()) out.emplace_back(m.at("id").as_string());
    return out;
  };
  EXPECT_EQ(ids(key_), (std::vector<std::string>{"public/m", "public/other"}));
  EXPECT_EQ(ids(make_key({"public/other"})), (std::vector<std::string>{"public/other"}));
}

TEST_F(GatewayTest, NonStreamPassthroughRewritesModelAndKey) {
  add_model("m", {{a_->base_url(), "up-a", "sk-upstream-a"}});
  start();
  auto r = chat("public/m");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body.at("choices").at(0).at("message").at("content"), "A");
  EXPECT_EQ(body.at("model"), "up-a");  // the upstream's answer, passed through
  auto got = a_->received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/v1/chat/completions");
  EXPECT_EQ(got[0].body.at("model"), "up-a");
  EXPECT_EQ(got[0].authorization, "Bearer sk-upstream-a");
  EXPECT_FALSE(got[0].body.as_object().contains("stream_options"));

  auto emb = post("/v1/embeddings", bj::object{{"model", "public/m"}, {"input", "x"}}, key_);
  ASSERT_EQ(emb.status, 200) << emb.body;
  EXPECT_EQ(json::parse(emb.body).at("data").at(0).at("embedding").at(1).as_double(), -0.25);
  EXPECT_EQ(a_->received().back().path, "/v1/embeddings");
}

TEST_F(GatewayTest, UpstreamErrorStatusIsPassedThrough) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  start();
  a_->fail_status = 429;
  auto r = chat("public/m");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(json::parse(r.body).at("error").at("message"), "fake failure");
  EXPECT_EQ(a_->hits, 1);  // 429 is not retried
}

TEST_F(GatewayTest, StreamsEventByEventAndStripsInjectedUsage) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  start();
  a_->chunk_delay_ms = 150;
  StreamSeen seen = stream_chat("public/m");
  EXPECT_NE(seen.head.find("200"), std::string::npos);
  EXPECT_NE(to_lower(seen.head).find("text/event-stream"), std::string::npos);
  // The first event arrived while the upstream was still generating.
  EXPECT_GE(seen.total.count(), 500);
  EXPECT_LT(seen.first_event.count(), seen.total.count() - 300);
  auto data = events(seen.body);
  ASSERT_EQ(data.size(), 5u) << seen.body;
  for (int i = 0; i < 4; ++i) {
    auto chunk = json::parse(data[i]);
    EXPECT_EQ(chunk.at("choices").at(0).at("delta").at("content").as_string(),
              "A" + std::to_string(i));
  }
  EXPECT_EQ(data[4], "[DONE]");
  EXPECT_EQ(seen.body.find("\"prompt_tokens\""), std::string::npos);  // usage chunk stripped
  // ... though the gateway asked for it.
  auto got = a_->received();
  EXPECT_EQ(got[0].body.at("stream_options").at("include_usage"), true);
  auto rows = usage_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].i64("prompt_tokens"), 11);
  EXPECT_EQ(rows[0].i64("completion_tokens"), 4);
  EXPECT_EQ(rows[0].i64("cached_tokens"), 3);
  EXPECT_EQ(rows[0].i64("stream"), 1);
  EXPECT_EQ(rows[0].i64("status"), 200);
  EXPECT_LE(rows[0].i64("ttft_ms"), seen.first_event.count() + 50);
  EXPECT_GE(rows[0].i64("latency_ms"), 500);
}

TEST_F(GatewayTest, KeepsUsageChunkWhenClientAsked) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  start();
  bj::object extra{{"stream_options", bj::object{{"include_usage", true}}}};
  StreamSeen seen = stream_chat("public/m", extra);
  auto data = events(seen.body);
  ASSERT_EQ(data.size(), 6u) << seen.body;
  auto usage = json::parse(data[4]).at("usage");
  EXPECT_EQ(usage.at("completion_tokens"), 4);
  EXPECT_EQ(data[5], "[DONE]");
}

TEST_F(GatewayTest, RetriesAnotherEndpointOn503BeforeAnyByte) {
  add_model("m", {{a_->base_url(), "up-a", ""}, {b_->base_url(), "up-b", ""}});
  start();
  a_->fail_status = 503;
  for (int i = 0; i < 4; ++i) {
    auto r = chat("public/m");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("choices").at(0).at("message").at("content"), "B");
  }
  EXPECT_GE(a_->hits, 1);
  EXPECT_EQ(b_->hits, 4);
  b_->fail_status = 502;
  a_->hits = 0;
  auto both = chat("public/m");
  EXPECT_EQ(both.status, 502);  // the last upstream answer, passed through
}

TEST_F(GatewayTest, RetriesOnConnectFailureAndEjectsTheDeadEndpoint) {
  // A port with nothing listening.
  uint16_t dead;
  {
    net::io_context io;
    tcp::acceptor acc(io, {net::ip::make_address("127.0.0.1"), 0});
    dead = acc.local_endpoint().port();
  }
  std::string dead_url = "http://127.0.0.1:" + std::to_string(dead) + "/v1";
  add_model("m", {{dead_url, "up-d", ""}, {b_->base_url(), "up-b", ""}});
  GatewayOptions o;
  o.ejection.eject_after = 2;
  start(o);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(chat("public/m").status, 200);
  EXPECT_EQ(b_->hits, 8);
  auto routes = gw_->routes().snapshot();
  const auto& dead_ep = routes->at("public/m").endpoints[0];
  EXPECT_GT(dead_ep.health->ejected_until_ms.load(), now_ms());
  std::string text = metrics_.render();
  // Two connect failures ejected it; later requests never tried it.
  EXPECT_NE(text.find("hydra_gateway_upstream_failures_total{upstream=\"" + dead_url + "\"} 2"),
            std::string::npos)
      << text;
}

TEST_F(GatewayTest, ActiveProbesTakeAFailingUpstreamOutOfRotationAndBack) {
  add_model("m", {{a_->base_url(), "up-a", ""}, {b_->base_url(), "up-b", ""}});
  b_->probe_status = 503;  // chat still works there: only the probe says it is sick
  GatewayOptions o;
  o.probes.interval_ms = 20;
  o.probes.fail_after = 2;
  start(o);
  auto healthy = [&](bool want) {
    auto routes = gw_->routes().snapshot();
    const auto& ep = routes->at("public/m").endpoints[1];
    for (int i = 0; i < 250 && ep.health->probe_failing.load() == want; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return !ep.health->probe_failing.load();
  };
  ASSERT_FALSE(healthy(false));
  for (int i = 0; i < 6; ++i) ASSERT_EQ(chat("public/m").status, 200);
  EXPECT_EQ(a_->hits, 6);
  EXPECT_EQ(b_->hits, 0);
  EXPECT_GE(b_->probes, 2);
  std::string text = metrics_.render();
  EXPECT_NE(text.find("hydra_gateway_upstream_healthy{upstream=\"" + b_->base_url() + "\"} 0"),
            std::string::npos)
      << text;
  // One passing probe brings it back.
  b_->probe_status = 200;
  ASSERT_TRUE(healthy(true));
  for (int i = 0; i < 6; ++i) ASSERT_EQ(chat("public/m").status, 200);
  EXPECT_EQ(b_->hits, 3);  // round robin again
}

TEST_F(GatewayTest, WhenEveryEndpointFailsItsProbesRequestsStillTryThem) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  a_->probe_status = 500;
  GatewayOptions o;
  o.probes.interval_ms = 20;
  o.probes.fail_after = 1;
  start(o);
  auto routes = gw_->routes().snapshot();
  const auto& ep = routes->at("public/m").endpoints[0];
  for (int i = 0; i < 250 && !ep.health->probe_failing.load(); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(ep.health->probe_failing.load());
  EXPECT_EQ(chat("public/m").status, 200);
  EXPECT_EQ(a_->hits, 1);
}

TEST_F(GatewayTest, NoRetryAfterStreamingBeganErrorChunkInstead) {
  CutUpstream cut;
  add_model("m", {{cut.base_url(), "up-c", ""}, {b_->base_url(), "up-b", ""}});
  start();
  StreamSeen seen = stream_chat("public/m");
  auto data = events(seen.body);
  ASSERT_EQ(data.size(), 2u) << seen.body;
  EXPECT_EQ(json::parse(data[0]).at("choices").at(0).at("delta").at("content"), "cut");
  EXPECT_EQ(json::parse(data[1]).at("error").at("code"), "500001");
  EXPECT_EQ(cut.hits, 1);
  EXPECT_EQ(b_->hits, 0);
  auto rows = usage_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].i64("status"), 502);
  EXPECT_EQ(rows[0].i64("error_code"), 500001);
}

TEST_F(GatewayTest, ClientDisconnectAbortsTheUpstream) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  start();
  a_->chunks = 40;
  a_->chunk_delay_ms = 50;
  std::string text = R"({"model":"public/m","stream":true,"messages":[]})";
  std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                    key_ + "\r\nContent-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
  {
    net::io_context io;
    tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    net::write(s, net::buffer(req));
    std::string got;
    char buf[1024];
    while (got.find("data: ") == std::string::npos) got.append(buf, s.read_some(net::buffer(buf)));
  }  // closed after the first event
  for (int i = 0; i < 100 && !a_->write_failed; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(a_->write_failed);  // the gateway closed its upstream connection
  EXPECT_FALSE(a_->finished);
  auto rows = usage_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].i64("status"), 499);
}

TEST_F(GatewayTest, RoundRobinAndWeightedDistribution) {
  add_model("rr", {{a_->base_url(), "up-a", ""}, {b_->base_url(), "up-b", ""}});
  add_model("w", {{a_->base_url(), "up-a", "", 80}, {b_->base_url(), "up-b", "", 20}}, "weighted");
  start();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(chat("public/rr").status, 200);
  EXPECT_EQ(a_->hits, 5);
  EXPECT_EQ(b_->hits, 5);
  a_->hits = 0;
  b_->hits = 0;
  for (int i = 0; i < 200; ++i) ASSERT_EQ(chat("public/w").status, 200);
  EXPECT_EQ(a_->hits + b_->hits, 200);
  EXPECT_GT(a_->hits, 130);  // expected 160; 130 is over 5 standard deviations away
  EXPECT_LT(a_->hits, 190);
}

TEST_F(GatewayTest, UsageRowsHoldExactTokensAndIds) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  start();
  a_->prompt_tokens = 123;
  a_->cached_tokens = 45;
  a_->chunks = 6;
  ASSERT_EQ(chat("public/m").status, 200);
  ASSERT_EQ(chat("public/nope").status, 404);
  auto rows = usage_rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].i64("prompt_tokens"), 123);
  EXPECT_EQ(rows[0].i64("completion_tokens"), 6);
  EXPECT_EQ(rows[0].i64("cached_tokens"), 45);
  EXPECT_EQ(rows[0].str("model"), "public/m");
  EXPECT_EQ(rows[0].str("upstream"), a_->base_url());
  EXPECT_EQ(rows[0].str("key_id"), key_ids_[key_]);
  EXPECT_EQ(rows[0].str("user_id"), user_.id);
  EXPECT_EQ(rows[0].str("workspace_id"), user_.personal_workspace_id());
  EXPECT_EQ(rows[0].i64("status"), 200);
  EXPECT_EQ(rows[0].i64("stream"), 0);
  EXPECT_EQ(rows[1].i64("status"), 404);
  EXPECT_EQ(rows[1].i64("error_code"), 500005);
  std::string text = metrics_.render();
  EXPECT_NE(text.find("hydra_gateway_tokens_total{model=\"public/m\",kind=\"prompt\"} 123"),
            std::string::npos)
      << text;
}

TEST_F(GatewayTest, RouteChangesApplyWithoutRestart) {
  start();
  EXPECT_EQ(chat("public/late").status, 404);
  add_model("late", {{a_->base_url(), "up-late", ""}});
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(50ms);
    status = chat("public/late").status;
  }
  EXPECT_EQ(status, 200);
  catalog::set_maas_enabled(*st_, "late", false, catalog::system_actor());
  for (int i = 0; i < 50 && status != 404; ++i) {
    std::this_thread::sleep_for(50ms);
    status = chat("public/late").status;
  }
  EXPECT_EQ(status, 404);
}

TEST_F(GatewayTest, ReusesUpstreamConnections) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  start();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(chat("public/m").status, 200);
  std::string host =
      "http://127.0.0.1:" + a_->base_url().substr(17, a_->base_url().size() - 17 - 3);
  EXPECT_EQ(gw_->upstream().open_connections(host), 1u);
  EXPECT_EQ(gw_->upstream().idle_connections(host), 1u);
}

TEST_F(GatewayTest, FirstByteAndChunkTimeOuts) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  GatewayOptions o;
  o.upstream.first_byte_timeout_ms = 200;
  o.upstream.chunk_timeout_ms = 200;
  start(o);
  a_->head_delay_ms = 600;
  auto slow = chat("public/m");
  EXPECT_EQ(slow.status, 504);
  EXPECT_EQ(code_of(slow), 500007);
  EXPECT_EQ(a_->hits, 1);  // a time-out is not retried: the upstream may be working on it
  a_->head_delay_ms = 0;
  a_->chunk_delay_ms = 600;
  StreamSeen seen = stream_chat("public/m");
  auto data = events(seen.body);
  ASSERT_EQ(data.size(), 2u) << seen.body;
  EXPECT_EQ(json::parse(data[1]).at("error").at("code"), "500007");
  EXPECT_LT(seen.total.count(), 600);
}

TEST_F(GatewayTest, ConnectionCapPerUpstreamHolds) {
  add_model("m", {{a_->base_url(), "up-a", ""}});
  GatewayOptions o;
  o.upstream.max_connections_per_host = 1;
  start(o);
  a_->head_delay_ms = 100;
  std::string host =
      "http://127.0.0.1:" + a_->base_url().substr(17, a_->base_url().size() - 17 - 3);
  std::atomic<size_t> most{0};
  std::atomic<bool> running{true};
  std::thread watch([&] {
    while (running) {
      most = std::max<size_t>(most, gw_->upstream().open_connections(host));
      std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      http::Client c;
      bj::object body{{"model", "public/m"}, {"messages", bj::array{}}};
      if (c.post_json(base_ + "/v1/chat/completions", bj::serialize(body),
                      {{"Authorization", "Bearer " + key_}})
              .status == 200) {
        ok++;
      }
    });
  }
  for (auto& t : clients) t.join();
  running = false;
  watch.join();
  EXPECT_EQ(ok, 3);  // they queued for the one connection
  EXPECT_EQ(most, 1u);
  EXPECT_EQ(a_->hits, 3);
}

TEST_F(GatewayTest, HttpsUpstreamWithVerifiedCertificate) {
  std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
  testing::write_self_signed(cert, key);
  FakeUpstream secure("S", cert, key);
  add_model("s", {{secure.base_url(), "up-s", "sk-secure"}});
  GatewayOptions o;
  o.upstream.ca_file = cert;
  start(o);
  auto r = chat("public/s");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("choices").at(0).at("message").at("content"), "S");
  StreamSeen seen = stream_chat("public/s");
  auto data = events(seen.body);
  ASSERT_EQ(data.size(), 5u) << seen.body;
  EXPECT_EQ(data[4], "[DONE]");
  EXPECT_EQ(secure.received().at(0).authorization, "Bearer sk-secure");
  EXPECT_EQ(secure.hits, 2);
}

TEST_F(GatewayTest, HttpsUpstreamWithUntrustedCertificateIsRefused) {
  std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
  testing::write_self_signed(cert, key);
  FakeUpstream secure("S", cert, key);
  add_model("s", {{secure.base_url(), "up-s", ""}});
  start();  // system trust anchors only
  auto r = chat("public/s");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(code_of(r), 500008);
  EXPECT_EQ(secure.hits, 0);
}

TEST_F(GatewayTest, ConcurrentMixedRequestsAreAllMeteredExactly) {
  add_model("m", {{a_->base_url(), "up-a", ""}, {b_->base_url(), "up-b", ""}}, "least_outstanding");
  start();
  a_->chunk_delay_ms = 5;
  b_->chunk_delay_ms = 5;
  b_->prompt_tokens = 20;
  constexpr int kThreads = 8, kEach = 6;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if ((t + i) % 2 == 0) {
          auto data = events(stream_chat("public/m").body);
          if (data.size() == 5 && data.back() == "[DONE]") good++;
        } else {
          http::Client c;
          bj::object body{{"model", "public/m"}, {"messages", bj::array{}}};
          auto r = c.post_json(base_ + "/v1/chat/completions", bj::serialize(body),
                               {{"Authorization", "Bearer " + key_}});
          if (r.status == 200) good++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good, kThreads * kEach);
  auto rows = usage_rows();
  ASSERT_EQ(rows.size(), static_cast<size_t>(kThreads * kEach));
  int64_t prompt = 0, completion = 0;
  for (auto row : rows) {
    prompt += row.i64("prompt_tokens");
    completion += row.i64("completion_tokens");
    EXPECT_EQ(row.i64("prompt_tokens"), row.str("upstream") == a_->base_url() ? 11 : 20);
  }
  EXPECT_EQ(prompt, 11 * a_->hits + 20 * b_->hits);
  EXPECT_EQ(completion, 4 * kThreads * kEach);
}

}  // namespace
}  // namespace hydra::gateway
