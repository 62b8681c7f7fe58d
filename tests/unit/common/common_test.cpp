#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/json.h"
#include "common/random.h"
#include "common/strings.h"

namespace hydra {
namespace {

TEST(Config, LayersFileEnvironmentAndExplicitValues) {
  auto path = std::filesystem::temp_directory_path() / ("hydra-config-" + random_hex(4) + ".yaml");
  {
    std::ofstream out(path);
    out << "listen: 0.0.0.0:9000\ndata-dir: /srv/hydra\nmax_keys_per_user: 3\naccess_log: false\n";
  }
  Config cfg;
  config_load_yaml(cfg, path.string());
  EXPECT_EQ(cfg.listen, "0.0.0.0:9000");
  EXPECT_EQ(cfg.data_dir, "/srv/hydra");
  EXPECT_EQ(cfg.max_keys_per_user, 3);
  EXPECT_FALSE(cfg.access_log);

  std::string e1 = "HYDRA_LISTEN=127.0.0.1:7000", e2 = "HYDRA_MAX_BODY_BYTES=1024", e3 = "OTHER=1";
  char* env[] = {e1.data(), e2.data(), e3.data(), nullptr};
  config_load_env(cfg, env);
  EXPECT_EQ(cfg.listen, "127.0.0.1:7000");
  EXPECT_EQ(cfg.max_body_bytes, 1024);
  EXPECT_EQ(cfg.data_dir, "/srv/hydra");
  EXPECT_EQ(cfg.database_url(), "sqlite:/srv/hydra/hydra.db");
  std::filesystem::remove(path);
}

TEST(Config, RejectsUnknownKeysAndBadValues) {
  Config cfg;
  EXPECT_THROW(config_set(cfg, "no_such_key", "1"), std::invalid_argument);
  EXPECT_THROW(config_set(cfg, "max_body_bytes", "lots"), std::invalid_argument);
  EXPECT_THROW(config_set(cfg, "max_body_bytes", "-5"), std::invalid_argument);
  EXPECT_THROW(config_set(cfg, "access_log", "maybe"), std::invalid_argument);
  auto path = std::filesystem::temp_directory_path() / ("hydra-config-" + random_hex(4) + ".yaml");
  {
    std::ofstream out(path);
    out << "listen: [1, 2]\n";
  }
  EXPECT_THROW(config_load_yaml(cfg, path.string()), std::invalid_argument);
  EXPECT_THROW(config_load_yaml(cfg, "/nonexistent/hydra.yaml"), std::invalid_argument);
  std::filesystem::remove(path);
}

TEST(Json, FieldsDecodesStrictly) {
  auto v = json::parse(R"({"name":"a","n":3,"f":1.5,"ok":true,"tags":["x","y"],"obj":{}})");
  json::Fields f(v);
  EXPECT_EQ(f.str("name"), "a");
  EXPECT_EQ(f.i64("n"), 3);
  EXPECT_DOUBLE_EQ(f.f64("f"), 1.5);
  EXPECT_TRUE(f.boolean("ok"));
  EXPECT_EQ(f.opt_str_list("tags")->size(), 2u);
  EXPECT_FALSE(f.opt_str("missing").has_value());
  EXPECT_THROW(f.done(), ApiError) << "obj was never read";
  EXPECT_NE(f.opt_object("obj"), nullptr);
  EXPECT_NO_THROW(f.done());
}

TEST(Json, ErrorsNameTheField) {
  auto v = json::parse(R"({"n":"three","extra":1})");
  json::Fields f(v);
  try {
    f.i64("n");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
    EXPECT_EQ(e.param(), "n");
  }
  try {
    f.done();
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.param(), "extra");
  }
  EXPECT_THROW(json::parse("{not json"), ApiError);
  auto arr = json::parse("[1]");
  EXPECT_THROW(json::Fields{arr}, ApiError);
  EXPECT_THROW(json::parse(std::string(100, '[') + std::string(100, ']')), ApiError)
      << "depth limit";
  auto big = json::parse(R"({"n":1e300,"m":2.5})");
  json::Fields g(big);
  EXPECT_THROW(g.i64("n"), ApiError);
  EXPECT_THROW(g.i64("m"), ApiError);
}

TEST(Error, BodyHasTheOpenAiShape) {
  auto body = error_body(ErrorCode::kAkRpm, "slow down");
  const auto& err = body.at("error").as_object();
  EXPECT_EQ(err.at("message").as_string(), "slow down");
  EXPECT_EQ(err.at("type").as_string(), "AK_RPM_RATELIMITING");
  EXPECT_EQ(err.at("code").as_string(), "700001");
  EXPECT_TRUE(err.at("param").is_null());
  EXPECT_EQ(error_info(ErrorCode::kAkRpm).http_status, 429);
  EXPECT_EQ(error_info(ErrorCode::kIncorrectApiKey).http_status, 401);
  EXPECT_EQ(error_info(ErrorCode::kModelNotFound).http_status, 404);
  EXPECT_EQ(error_info(ErrorCode::kUpstreamTimeout).http_status, 504);
}

TEST(Strings, ResourceNamesAndCsv) {
  EXPECT_TRUE(valid_resource_name("my-model-1"));
  EXPECT_FALSE(valid_resource_name("a"));
  EXPECT_FALSE(valid_resource_name("-abc"));
  EXPECT_FALSE(valid_resource_name("abc-"));
  EXPECT_FALSE(valid_resource_name("ABC"));
  EXPECT_FALSE(valid_resource_name(std::string(65, 'a')));
  EXPECT_TRUE(valid_resource_name(std::string(64, 'a')));
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(split("a,,b", ',').size(), 3u);
  EXPECT_EQ(trim("  x \n"), "x");
}

TEST(Strings, Utf8SanitizeKeepsValidTextAndReplacesTheRest) {
  EXPECT_EQ(utf8_sanitize("héllo 模型 🙂"), "héllo 模型 🙂");
  EXPECT_EQ(utf8_sanitize("a\xb0"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8_sanitize("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong NUL";
  EXPECT_EQ(utf8_sanitize("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "surrogate";
  EXPECT_EQ(utf8_sanitize("\xE6\xA8"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "truncated";
  auto body = error_body_text(ErrorCode::kNotFound, "no route for /api\xb0");
  boost::system::error_code ec;
  boost::json::parse(body, ec);
  EXPECT_FALSE(ec) << "error bodies must be valid JSON even for binary paths";
}

TEST(Clock, FormatsAndParsesTimes) {
  EXPECT_EQ(format_time_ms(0), "1970-01-01T00:00:00.000Z");
  int64_t t = 1795291335893;
  EXPECT_EQ(parse_time_ms(format_time_ms(t)), t);
  EXPECT_EQ(parse_time_ms("1795291335893"), t);
  EXPECT_EQ(parse_time_ms("2026-11-21"), parse_time_ms("2026-11-21T00:00:00Z"));
  EXPECT_EQ(parse_time_ms("yesterday"), -1);
  EXPECT_EQ(parse_time_ms("2026-13-01"), -1);
  EXPECT_EQ(parse_time_ms(""), -1);
}

TEST(Random, TokensAreUniqueAndWellFormed) {
  auto a = random_token(32), b = random_token(32);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  int64_t before = now_ms();
  auto id1 = new_id(), id2 = new_id();
  int64_t after = now_ms();
  EXPECT_EQ(id1.size(), 22u);
  EXPECT_NE(id1, id2);
  EXPECT_EQ(id1.find_first_not_of("0123456789abcdef"), std::string::npos);
  // Time-ordered: the first 12 hex digits are the milliseconds it was made at.
  int64_t made = std::stoll(id1.substr(0, 12), nullptr, 16);
  EXPECT_GE(made, before);
  EXPECT_LE(made, after);
  EXPECT_LE(id1.substr(0, 12), id2.substr(0, 12));
  // Made for a time read before: that time, not the clock's.
  std::string at = new_id(0x123456789ab);
  EXPECT_EQ(at.substr(0, 12), "0123456789ab");
  EXPECT_NE(at.substr(12), new_id(0x123456789ab).substr(12));
}

// The coarse clock is the monotonic clock some milliseconds behind, never
// ahead, in the same unit.
TEST(Common, CoarseMonotonicClockTrailsTheMonotonicClock) {
  for (int i = 0; i < 1000; ++i) {
    int64_t coarse = coarse_mono_ns();
    int64_t fine = mono_ns();
    EXPECT_LE(coarse, fine);
    EXPECT_LE(fine - coarse, 1000 * 1000000);
  }
}

}  // namespace
}  // namespace hydra
