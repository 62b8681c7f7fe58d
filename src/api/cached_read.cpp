#include "api/cached_read.h"

#include <functional>

#include "http/stream.h"

namespace hydra::api {
namespace {

http::asio::awaitable<void> serve_cached_read(ApiContext* ctx, CachedAnswer cached,
                                              BlockingAnswer handler, http::Request* req,
                                              http::ResponseWriter* w) {
  std::optional<http::Response> hit = cached(*ctx, *req);
  if (hit) {
    co_await w->send(std::move(*hit));
    co_return;
  }
  std::function<http::Response()> work = [ctx, handler, req] { return handler(*ctx, *req); };
  http::Response resp =
      co_await http::run_blocking<http::Response>(w->worker_executor(), std::move(work));
  co_await w->send(std::move(resp));
}

}  // namespace

void add_cached_read(http::Router& r, ApiContext& ctx, std::string pattern, CachedAnswer cached,
                     BlockingAnswer handler, std::string summary) {
  ApiContext* c = &ctx;
  http::AsyncHandler async = [c, cached, handler](http::Request& req, http::ResponseWriter& w) {
    return serve_cached_read(c, cached, handler, &req, &w);
  };
  http::Handler blocking = [c, handler](http::Request& req) { return handler(*c, req); };
  r.add_async("GET", std::move(pattern), std::move(async), std::move(blocking), std::move(summary));
}

}  // namespace hydra::api
