#pragma once
// Asynchronous handlers, for answers that stream (server-sent events) or
// wait on other network I/O (a proxied upstream). They run as coroutines on
// the connection's network thread; blocking work (the store) goes to the worker pool
// through run_blocking().
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <functional>
#include <string_view>

#include "http/message.h"

namespace hydra::http {

namespace asio = boost::asio;

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Sends a whole answer at once. False when the client is gone.
  virtual asio::awaitable<bool> send(Response resp) = 0;
  // Starts a chunked answer (no Content-Length); each write() is sent as
  // one chunk right away, with no buffering; end() sends the last chunk.
  virtual asio::awaitable<bool> begin(int status, Headers headers) = 0;
  virtual asio::awaitable<bool> write(std::string_view data) = 0;
  virtual asio::awaitable<bool> end() = 0;

  virtual bool started() const = 0;  // head sent
  virtual bool client_gone() const = 0;
  // Whether the client has closed its side of the connection, checked on
  // the socket without reading (for handlers that wait long before their
  // first write, so they can stop work nobody will receive).
  virtual bool peer_closed() const { return client_gone(); }
  virtual int status() const = 0;
  virtual size_t bytes_written() const = 0;
  // The pool that runs blocking work for this server.
  virtual asio::any_io_executor worker_executor() const = 0;
};

using AsyncHandler = std::function<asio::awaitable<void>(Request&, ResponseWriter&)>;

namespace detail {
template <class T>
asio::awaitable<T> call_blocking(std::function<T()> fn) {
  co_return fn();
}
}  // namespace detail

// Runs fn on `pool` and resumes the caller on its own executor with the
// result (exceptions propagate).
template <class T>
asio::awaitable<T> run_blocking(asio::any_io_executor pool, std::function<T()> fn) {
  auto task = asio::co_spawn(pool, detail::call_blocking<T>(std::move(fn)), asio::use_awaitable);
  co_return co_await std::move(task);
}

}  // namespace hydra::http
