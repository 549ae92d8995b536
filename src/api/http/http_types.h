// Plain HTTP request/response values passed between the server, the router and the API
// handlers, so that only http_server.cc knows Beast; and StreamedRequest, the interface through
// which the server hands a request body over piece by piece (S3) instead of buffering it.
// Value types; any thread. A StreamedRequest is driven on the server's (control) thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/unique_fd.h"

namespace berth::api {

struct HttpRequest {
  std::string method;
  std::string target;  // raw request-target: path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool from_loopback = false;
  std::string listener;  // the tag of an added listener (HttpServer::AddListener); "" = main

  // First header with this name (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  std::string Path() const;  // target without the query
};

// A response body sent from an open file: `length` bytes from `offset` (S3 GetObject).
struct FileBody {
  UniqueFd fd;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct HttpResponse {
  int status = 200;
  // A Content-Length given here is sent as is when body is empty and file is null (HEAD).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<FileBody> file;  // when set, the body is read from it (body is ignored)
  bool close = false;              // close the connection after sending
};

// A request whose body streams to its handler. The server's stream hook (HttpServer) creates
// it from the request head; the server then feeds it the body and sends Finish's answer.
class StreamedRequest {
 public:
  virtual ~StreamedRequest() = default;
  // The next bytes of the body (HTTP chunked framing already removed), in order. false
  // refuses the request: the server stops reading, sends Finish(false)'s answer and closes.
  virtual bool OnBody(std::string_view bytes) = 0;
  // Called exactly once. complete: the whole body arrived and every OnBody returned true;
  // otherwise the answer is sent (if the client is still there) and the connection closed.
  virtual HttpResponse Finish(bool complete) = 0;
};

// What the stream hook decides for a request head: stream it, refuse it, or neither (the
// server reads the body into HttpRequest::body with its usual limit and calls its Handler).
struct StreamStart {
  std::unique_ptr<StreamedRequest> stream;
  std::optional<HttpResponse> reject;  // answered without reading the body; then closed
};

}  // namespace berth::api
