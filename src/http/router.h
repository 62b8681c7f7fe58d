#pragma once
// Method + path-pattern routing. Patterns are literal segments and {name}
// captures ("/api/v1/models/{id}/publish"); a trailing "{name...}" captures
// the rest of the path (for ids that contain '/', e.g. "public/qwen").
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.h"
#include "http/stream.h"

namespace hydra::http {

using Handler = std::function<Response(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::string summary;         // one line, for the route listing and docs
  Handler handler;             // runs on the worker pool
  AsyncHandler async_handler;  // or: a coroutine on the connection's network thread
  std::vector<std::string> segments;
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, std::string summary = {});
  void add_async(std::string method, std::string pattern, AsyncHandler handler,
                 std::string summary = {});
  // As above, plus the same answer as a plain handler for callers that
  // dispatch synchronously (tests, the fuzzer); the server runs the coroutine.
  void add_async(std::string method, std::string pattern, AsyncHandler handler, Handler blocking,
                 std::string summary);
  // Finds the route; fills path_params. Sets *path_matched when the path
  // exists under another method (so the server can answer 405).
  const Route* match(Request& req, bool* path_matched = nullptr) const;
  const std::vector<Route>& routes() const { return routes_; }
  // Answers GET requests whose path no route knows (e.g. the web
  // console's client-side pages); unset: such requests get 404.
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }
  const Handler& fallback() const { return fallback_; }

 private:
  std::vector<Route> routes_;
  // Routes without captures by their pattern: an exact match is the best
  // match there can be, found without walking every route.
  std::unordered_map<std::string, std::vector<size_t>> literal_;
  Handler fallback_;
};

}  // namespace hydra::http
