// Keeps src/api/openapi.json complete and honest: every route the real
// router registers is documented with its method, nothing documented is
// missing from the router, every $ref resolves, the documented security
// matches what the handlers demand, and the documented create bodies match
// the fields the handlers' strict decoders accept.
#include "api/openapi.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "api/routes.h"
#include "auth/bootstrap.h"
#include "auth/sessions.h"
#include "common/error.h"
#include "common/random.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

// Answered by http::Server itself, before the router is consulted.
const std::set<std::pair<std::string, std::string>> kServerBuiltins = {{"GET", "/health"},
                                                                       {"GET", "/metrics"}};
const char* const kMethods[] = {"get",     "put",  "post",  "delete",
                                "options", "head", "patch", "trace"};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "/api/v1/things/{id...}" -> "/api/v1/things/{id}": OpenAPI has no rest
// captures, so the document names them as plain parameters.
std::string normalise_pattern(const std::string& pattern) {
  return std::regex_replace(pattern, std::regex(R"(\{([A-Za-z0-9_]+)\.\.\.\})"), "{$1}");
}

// The {names} of a path template, in order.
std::vector<std::string> template_params(const std::string& path) {
  std::vector<std::string> out;
  std::regex re(R"(\{([^}]+)\})");
  for (auto it = std::sregex_iterator(path.begin(), path.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

// Resolves a local JSON pointer reference ("#/components/schemas/User").
const bj::value* resolve_ref(const bj::value& doc, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  const bj::value* at = &doc;
  for (std::string token : split(ref.substr(2), '/')) {
    token =
        std::regex_replace(std::regex_replace(token, std::regex("~1"), "/"), std::regex("~0"), "~");
    if (!at->is_object()) return nullptr;
    const bj::value* next = at->as_object().if_contains(token);
    if (!next) return nullptr;
    at = next;
  }
  return at;
}

void collect_refs(const bj::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      if (kv.key() == "$ref" && kv.value().is_string()) {
        out.emplace_back(kv.value().as_string());
      } else {
        collect_refs(kv.value(), out);
      }
    }
  } else if (v.is_array()) {
    for (const auto& item : v.as_array()) collect_refs(item, out);
  }
}

struct Operation {
  std::string method;  // upper case
  std::string path;
  const bj::object* op;
  const bj::object* path_item;
};

// One server (store, router, admin session) for the whole suite: the tests
// only read the router, and the admin password hash is slow on purpose.
struct Server {
  Server() {
    dir = fs::temp_directory_path() / ("hydra-openapi-" + random_hex(8));
    fs::create_directories(dir);
    store::StoreOptions opts;
    opts.synchronous = "NORMAL";
    store = store::open_store("sqlite:" + (dir / "hydra.db").string(), opts);
    store->migrate();
    cfg.admin_password = "admin-password";
    cfg.data_dir = (dir / "data").string();
    auth::ensure_admin(*store, cfg);
    admin = auth::login(*store, cfg, {"admin", "admin-password", "127.0.0.1", "r1"}).token;
    ctx = std::make_unique<ApiContext>(ApiContext{*store, cfg, metrics});
    register_routes(router, *ctx);
  }
  ~Server() {
    ctx.reset();
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  fs::path dir;
  std::unique_ptr<store::Store> store;
  Config cfg;
  http::Metrics metrics;
  std::unique_ptr<ApiContext> ctx;
  http::Router router;
  std::string admin;
};

class OpenApiDocument : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new Server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { doc_ = bj::parse(openapi_document()); }

  const http::Router& router() const { return server_->router; }

  const bj::object& paths() const { return doc_.at("paths").as_object(); }

  std::vector<Operation> operations() const {
    std::vector<Operation> out;
    for (const auto& [path, item] : paths()) {
      for (const char* m : kMethods) {
        if (const bj::value* op = item.as_object().if_contains(m)) {
          out.push_back({upper(m), std::string(path), &op->as_object(), &item.as_object()});
        }
      }
    }
    return out;
  }

  const bj::object* documented(const std::string& method, const std::string& path) const {
    const bj::value* item = paths().if_contains(path);
    if (!item || !item->is_object()) return nullptr;
    const bj::value* op = item->as_object().if_contains(to_lower(method));
    return op && op->is_object() ? &op->as_object() : nullptr;
  }

  static bool open_operation(const bj::object& op) {
    const bj::value* sec = op.if_contains("security");
    return sec && sec->is_array() && sec->as_array().empty();
  }

  // Calls a route as the server would: ApiError becomes its error body.
  http::Response call(const std::string& method, const std::string& path, const std::string& token,
                      const std::string& body = {}) {
    http::Request req;
    req.method = method;
    req.target = req.path = path;
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    req.headers.emplace_back("content-type", "application/json");
    req.body = body;
    req.remote_addr = "127.0.0.1";
    const http::Route* route = server_->router.match(req);
    if (!route) return http::Response::text(599, "no route for " + method + " " + path);
    if (!route->handler) return http::Response::text(598, "streaming route: not called here");
    try {
      return route->handler(req);
    } catch (const ApiError& e) {
      return http::Response::json(e.http_status(), error_body(e.code(), e.what(), e.param()));
    }
  }

  // Follows a $ref into components; other schemas are returned as they are.
  const bj::object& deref(const bj::value& schema) const {
    if (const bj::value* r = schema.as_object().if_contains("$ref")) {
      const bj::value* target = resolve_ref(doc_, std::string(r->as_string()));
      if (!target) throw std::runtime_error("unresolved $ref " + std::string(r->as_string()));
      return target->as_object();
    }
    return schema.as_object();
  }

  // A value of the documented type for every documented property, recursively.
  bj::value sample(const bj::value& schema_value, bool only_required = false) const {
    const bj::object& schema = deref(schema_value);
    if (const bj::value* e = schema.if_contains("enum")) return e->as_array().at(0);
    std::string type = schema.contains("type") ? std::string(schema.at("type").as_string()) : "";
    if (type == "string") return "x";
    if (type == "integer") return 1;
    if (type == "number") return 1.5;
    if (type == "boolean") return false;
    if (type == "array") return bj::array{sample(schema.at("items"))};
    bj::object out;
    const bj::value* props = schema.if_contains("properties");
    if (!props) return out;
    std::set<std::string> required;
    if (const bj::value* req = schema.if_contains("required")) {
      for (const auto& r : req->as_array()) required.emplace(r.as_string());
    }
    for (const auto& [name, prop] : props->as_object()) {
      if (only_required && !required.count(std::string(name))) continue;
      out[name] = sample(prop);
    }
    return out;
  }

  const bj::value* json_body_schema(const bj::object& op) const {
    const bj::value* body = op.if_contains("requestBody");
    if (!body) return nullptr;
    const bj::value* media =
        body->as_object().at("content").as_object().if_contains("application/json");
    return media ? &media->as_object().at("schema") : nullptr;
  }

  static Server* server_;
  bj::value doc_;
};

Server* OpenApiDocument::server_ = nullptr;

TEST_F(OpenApiDocument, IsOpenApi3AndTheEmbeddedCopyOfTheSourceFile) {
  ASSERT_TRUE(doc_.is_object());
  std::string version(doc_.at("openapi").as_string());
  EXPECT_EQ(version.rfind("3.", 0), 0u) << version;
  const bj::object& info = doc_.at("info").as_object();
  EXPECT_FALSE(info.at("title").as_string().empty());
  EXPECT_FALSE(info.at("version").as_string().empty());
  EXPECT_FALSE(paths().empty());
  const bj::object& components = doc_.at("components").as_object();
  EXPECT_TRUE(components.at("schemas").is_object());
  EXPECT_TRUE(components.at("securitySchemes").as_object().contains("bearerSession"));
  EXPECT_EQ(components.at("securitySchemes").at("cookieSession").at("name").as_string(),
            "hydra_session");

  // The build pastes the file into a string literal; nothing may be lost on the way.
  std::ifstream in(fs::path(HYDRA_SOURCE_DIR) / "src" / "api" / "openapi.json", std::ios::binary);
  std::stringstream source;
  source << in.rdbuf();
  EXPECT_EQ(std::string(openapi_document()), source.str());
}

TEST_F(OpenApiDocument, IsServedAtItsRoute) {
  http::Response r = call("GET", "/api/v1/openapi.json", "");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NE(r.header("content-type"), nullptr);
  EXPECT_EQ(r.header("content-type")->rfind("application/json", 0), 0u);
  EXPECT_EQ(r.body, std::string(openapi_document()));
}

TEST_F(OpenApiDocument, DocumentsEveryRegisteredRoute) {
  ASSERT_GT(router().routes().size(), 40u);  // the whole API, not a fragment
  for (const http::Route& route : router().routes()) {
    std::string path = normalise_pattern(route.pattern);
    EXPECT_NE(documented(route.method, path), nullptr)
        << "route " << route.method << " " << route.pattern << " (" << route.summary
        << ") is not documented: add it to src/api/openapi.json as paths[\"" << path << "\"]."
        << to_lower(route.method);
  }
  for (const auto& [method, path] : kServerBuiltins) {
    EXPECT_NE(documented(method, path), nullptr) << method << " " << path << " is not documented";
  }
}

// A {name...} capture takes the rest of the path; its documented parameter
// must say that it may contain '/', or clients would escape it.
TEST_F(OpenApiDocument, RestCapturesSayTheyMayHoldSlashes) {
  std::regex rest(R"(\{([A-Za-z0-9_]+)\.\.\.\})");
  for (const http::Route& route : router().routes()) {
    std::smatch m;
    if (!std::regex_search(route.pattern, m, rest)) continue;
    const bj::object* op = documented(route.method, normalise_pattern(route.pattern));
    if (!op) continue;  // reported by DocumentsEveryRegisteredRoute
    bool noted = false;
    for (const auto& p : op->at("parameters").as_array()) {
      const bj::object& param = deref(p);
      if (param.at("in") == "path" && param.at("name").as_string() == m[1].str()) {
        noted = param.at("description").as_string().find("'/'") != bj::string::npos;
      }
    }
    EXPECT_TRUE(noted) << route.method << " " << route.pattern << ": the description of {" << m[1]
                       << "} must say that it may contain '/'";
  }
}

TEST_F(OpenApiDocument, DocumentsNoOperationTheServerDoesNotHave) {
  std::set<std::pair<std::string, std::string>> registered(kServerBuiltins);
  for (const http::Route& route : router().routes()) {
    registered.emplace(route.method, normalise_pattern(route.pattern));
  }
  for (const Operation& op : operations()) {
    EXPECT_TRUE(registered.count({op.method, op.path}))
        << op.method << " " << op.path << " is documented but no such route is registered";
  }
}

TEST_F(OpenApiDocument, EveryRefResolvesAndEverySchemaIsUsed) {
  std::vector<std::string> refs;
  collect_refs(doc_, refs);
  ASSERT_FALSE(refs.empty());
  std::set<std::string> used;
  for (const std::string& ref : refs) {
    EXPECT_NE(resolve_ref(doc_, ref), nullptr) << "$ref " << ref << " does not resolve";
    used.insert(ref);
  }
  for (const auto& [name, schema] : doc_.at("components").at("schemas").as_object()) {
    EXPECT_TRUE(used.count("#/components/schemas/" + std::string(name)))
        << "component schema " << name << " is never used";
  }
}

TEST_F(OpenApiDocument, OperationsAreComplete) {
  std::set<std::string> tags;
  for (const auto& t : doc_.at("tags").as_array()) tags.emplace(t.at("name").as_string());
  std::set<std::string> ids;
  for (const Operation& o : operations()) {
    std::string where = o.method + " " + o.path;
    ASSERT_TRUE(o.op->contains("operationId")) << where;
    EXPECT_TRUE(ids.emplace(o.op->at("operationId").as_string()).second)
        << where << ": operationId " << o.op->at("operationId") << " is used twice";
    EXPECT_FALSE(o.op->at("summary").as_string().empty()) << where;
    ASSERT_FALSE(o.op->at("tags").as_array().empty()) << where;
    for (const auto& t : o.op->at("tags").as_array()) {
      EXPECT_TRUE(tags.count(std::string(t.as_string()))) << where << ": undeclared tag " << t;
    }
    EXPECT_FALSE(o.op->at("responses").as_object().empty()) << where;
    if (!open_operation(*o.op)) {
      EXPECT_TRUE(o.op->at("responses").as_object().contains("401")) << where << " lacks 401";
    }

    // Each {name} in the path has a required path parameter, and no other does.
    std::set<std::string> in_path;
    for (const bj::object* holder : {o.path_item, o.op}) {
      const bj::value* params = holder->if_contains("parameters");
      if (!params) continue;
      for (const auto& p : params->as_array()) {
        const bj::object& param = deref(p);
        if (param.at("in").as_string() != "path") continue;
        EXPECT_TRUE(param.at("required").as_bool()) << where << ": " << param.at("name");
        in_path.emplace(param.at("name").as_string());
      }
    }
    std::vector<std::string> names = template_params(o.path);
    EXPECT_EQ(in_path, std::set<std::string>(names.begin(), names.end())) << where;
  }
}

// Without a session, documented-open operations must not answer 401 and
// every other one must.
TEST_F(OpenApiDocument, SecurityMatchesWhatHandlersDemand) {
  for (const http::Route& route : router().routes()) {
    std::string path = normalise_pattern(route.pattern);
    const bj::object* op = documented(route.method, path);
    if (!op) continue;  // reported by DocumentsEveryRegisteredRoute
    std::string concrete = std::regex_replace(path, std::regex(R"(\{[^}]+\})"), "x");
    http::Response r = call(route.method, concrete, "");
    if (r.status == 598) continue;  // a coroutine handler; needs a live connection
    if (open_operation(*op)) {
      EXPECT_NE(r.status, 401) << route.method << " " << path
                               << " is documented without security but demands a session";
    } else {
      EXPECT_EQ(r.status, 401) << route.method << " " << path
                               << " is documented as needing a session but answered " << r.status
                               << ": " << r.body;
    }
  }
}

// What the strict decoders say when a body does not fit them.
bool decoder_mismatch(const std::string& message) {
  static const std::regex kind(
      R"(^'[^']+' (is required|must be (a string|an integer|a number|a boolean|an array|an object|an array of strings|an object of strings))$)");
  static const std::regex shape(R"(^\S+ must be a JSON object$)");
  return message.rfind("unknown field", 0) == 0 || std::regex_match(message, kind) ||
         std::regex_match(message, shape);
}

// For each create-style operation (POST, no path parameters, JSON body): a
// body with every documented field, and one with just the required fields,
// both pass the handler's decoder; leaving out a required field is refused
// with that field named.
TEST_F(OpenApiDocument, RequestBodiesMatchTheDecoders) {
  int checked = 0;
  for (const Operation& o : operations()) {
    if (o.method != "POST" || !template_params(o.path).empty()) continue;
    const bj::value* schema = json_body_schema(*o.op);
    if (!schema) continue;
    ++checked;
    std::string where = o.method + " " + o.path;
    for (bool minimal : {false, true}) {
      std::string body = bj::serialize(sample(*schema, minimal));
      http::Response r = call(o.method, o.path, server_->admin, body);
      if (r.status < 400) continue;
      std::string message(bj::parse(r.body).at("error").at("message").as_string());
      EXPECT_FALSE(decoder_mismatch(message))
          << where << " with body " << body
          << (minimal ? " (only the required fields): " : " (every documented field): ") << message;
    }
    const bj::object& resolved = deref(*schema);
    const bj::value* required = resolved.if_contains("required");
    if (!required) continue;
    for (const auto& name : required->as_array()) {
      bj::object body = sample(*schema).as_object();
      body.erase(name.as_string());
      http::Response r = call(o.method, o.path, server_->admin, bj::serialize(body));
      EXPECT_EQ(r.status, 400) << where << " accepted a body without required " << name;
      if (r.status != 400) continue;
      EXPECT_EQ(bj::parse(r.body).at("error").at("param"), name)
          << where << " without " << name << ": " << r.body;
    }
  }
  EXPECT_GE(checked, 8);  // login, users, workspaces, keys, providers, models, import, ...
}

}  // namespace
}  // namespace hydra::api
