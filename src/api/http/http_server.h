// HttpServer: HTTP/1.1 with keep-alive on one listening socket, on the control thread's
// io_context (Boost.Beast). Each complete request is handed to the Handler, whose response is
// written back in order. Bodies over kMaxBodyBytes are refused with 413 and the connection is
// closed; malformed HTTP gets 400 and a close. The server never throws.
//
// Streaming (S3): once a request's headers are in, the StreamHook (if set) may take the request
// over (StreamStart): its body is then fed to a StreamedRequest in pieces of up to 256 KiB, with
// no size limit of the server's, after a `100 Continue` when the client sent
// `Expect: 100-continue`; its answer may come from a file (HttpResponse::file), sent in 256 KiB
// pieces. Memory per connection stays constant whatever the body size.
//
// Threads: constructed and run on the thread that runs `io` (the control thread).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "api/http/http_types.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::api {

class HttpServer {
 public:
  static constexpr size_t kMaxBodyBytes = 1024 * 1024;
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // Sees each request head (body empty); see StreamStart.
  using StreamHook = std::function<StreamStart(const HttpRequest& head)>;

  HttpServer(boost::asio::io_context& io, Handler handler, StreamHook stream_hook = nullptr);
  ~HttpServer();

  // Binds host:port (port 0 = any free port) and starts accepting.
  Status Listen(const std::string& host, int port);
  int port() const;
  // Also accepts on `fd`, a socket already bound and listening (e.g. inside a task's network
  // namespace); its requests carry HttpRequest::listener = tag. Returns an id for
  // CloseListener. Connections already accepted outlive CloseListener.
  Result<int> AddListener(UniqueFd fd, const std::string& tag);
  void CloseListener(int id);
  // Stops accepting new connections; open ones finish their current request and close.
  void StopAccepting();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api
