#include "cli/client.h"

#include <cstdlib>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/auth/sigv4.h"
#include "common/clock.h"
#include "common/local_config.h"

namespace berth::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

namespace {

std::string Env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

// Keys of `profile` in an AWS shared-credentials file, into ep.
bool ReadProfile(const std::string& path, const std::string& profile, Endpoint* ep) {
  auto keys = ReadSharedCredentials(path, profile);
  if (!keys.ok()) return false;
  ep->access_key_id = keys->access_key_id;
  ep->secret_access_key = keys->secret_access_key;
  ep->region = keys->region;
  return true;
}

bool ParseUrl(const std::string& url, Endpoint* ep) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  size_t colon = rest.rfind(':');
  ep->host = colon == std::string::npos ? rest : rest.substr(0, colon);
  ep->port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  ep->url = url;
  return !ep->host.empty();
}

}  // namespace

Result<Endpoint> ResolveEndpoint(const std::string& data_dir) {
  Endpoint ep;
  std::string url = Env("AWS_ENDPOINT_URL_ECS");
  if (url.empty()) url = Env("AWS_ENDPOINT_URL");
  if (url.empty()) {
    auto from_file = ReadEndpointFile(data_dir);
    if (!from_file.ok()) return from_file.status();
    url = *from_file;
  }
  if (!ParseUrl(url, &ep)) {
    return InvalidArgument("endpoint URL '" + url + "' is not http://HOST:PORT");
  }
  if (!Env("AWS_ACCESS_KEY_ID").empty() && !Env("AWS_SECRET_ACCESS_KEY").empty()) {
    ep.access_key_id = Env("AWS_ACCESS_KEY_ID");
    ep.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
  } else if (!Env("AWS_PROFILE").empty()) {
    std::string file = Env("AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty()) file = Env("HOME") + "/.aws/credentials";
    if (!ReadProfile(file, Env("AWS_PROFILE"), &ep)) {
      return NotFound("AWS_PROFILE=" + Env("AWS_PROFILE") + " has no keys in " + file);
    }
  } else if (!Env("BERTH_ACCESS_KEY_ID").empty() && !Env("BERTH_SECRET_ACCESS_KEY").empty()) {
    ep.access_key_id = Env("BERTH_ACCESS_KEY_ID");
    ep.secret_access_key = Env("BERTH_SECRET_ACCESS_KEY");
  } else if (!ReadProfile(data_dir + "/credentials", "berth", &ep)) {
    return NotFound("no credentials: " + data_dir +
                    "/credentials is missing (start `berth serve` once to create it)");
  }
  if (!Env("AWS_REGION").empty()) ep.region = Env("AWS_REGION");
  else if (!Env("AWS_DEFAULT_REGION").empty()) ep.region = Env("AWS_DEFAULT_REGION");
  return ep;
}

Result<nlohmann::json> Client::Call(const std::string& target_prefix, const std::string& service,
                                    const std::string& action, const nlohmann::json& input) {
  std::string body = input.dump();
  std::string host_header = ep_.host + ":" + ep_.port;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", target_prefix + action},
  };
  SystemClock clock;
  auto signed_headers = auth::Sign("POST", host_header, "/", headers, body,
                                   {ep_.access_key_id, ep_.secret_access_key}, ep_.region, service,
                                   clock.NowMs());
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(resolver.resolve(ep_.host, ep_.port));
    http::request<http::string_body> req(http::verb::post, "/", 11);
    req.set(http::field::host, host_header);
    for (const auto& [k, v] : headers) req.set(k, v);
    for (const auto& [k, v] : signed_headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    auto j = nlohmann::json::parse(res.body(), nullptr, false);
    if (j.is_discarded()) return Internal("the daemon answered with something that is not JSON");
    if (res.result_int() != 200) {
      std::string type = j.value("__type", "Error");
      return FailedPrecondition(type + ": " + j.value("message", ""));
    }
    return j;
  } catch (const std::exception& e) {
    return Unavailable("cannot reach the berth daemon at " + ep_.url + " (" + e.what() +
                       "). Is `berth serve` running?");
  }
}

}  // namespace berth::cli
