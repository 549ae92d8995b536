// Plain HTTP request/response values passed between the server, the router and the API
// handlers, so that only http_server.cc knows Beast. Value types; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::api {

struct HttpRequest {
  std::string method;
  std::string target;  // raw request-target: path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool from_loopback = false;

  // First header with this name (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  std::string Path() const;  // target without the query
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after sending
};

}  // namespace berth::api
