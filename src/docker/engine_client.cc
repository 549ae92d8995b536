#include "docker/engine_client.h"

#include <curl/curl.h>

#include <strings.h>

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

namespace berth::docker {

namespace {

constexpr const char* kNewestApi = "1.43";
constexpr const char* kOldestApi = "1.41";

// "1.41" → 1041, for comparisons; -1 when malformed.
int ApiNumber(const std::string& v) {
  int major = 0, minor = 0;
  if (sscanf(v.c_str(), "%d.%d", &major, &minor) != 2) return -1;
  return major * 1000 + minor;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string body;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  std::string* api_header = nullptr;
  bool stopped = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->on_data) {
    if (!(*t->on_data)(std::string_view(data, len))) {
      t->stopped = true;
      return 0;  // ends the transfer
    }
  } else {
    t->body.append(data, len);
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  constexpr std::string_view kApi = "api-version:";
  if (t->api_header && line.size() > kApi.size()) {
    std::string lower(line.substr(0, kApi.size()));
    for (auto& c : lower) c = static_cast<char>(tolower(c));
    if (lower == kApi) {
      std::string v(line.substr(kApi.size()));
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      while (!v.empty() && v.front() == ' ') v.erase(v.begin());
      *t->api_header = v;
    }
  }
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel && t->cancel->load() ? 1 : 0;
}

}  // namespace

Result<std::string> SocketFromDockerHost(const char* docker_host) {
  std::string host = docker_host ? docker_host : "";
  if (host.empty()) return std::string("/var/run/docker.sock");
  constexpr std::string_view kUnix = "unix://";
  if (host.rfind(kUnix, 0) == 0 && host.size() > kUnix.size()) return host.substr(kUnix.size());
  return InvalidArgument("DOCKER_HOST '" + host +
                         "' is not a unix socket (unix:///path): berth talks only to a local "
                         "Docker engine");
}

Result<std::unique_ptr<EngineClient>> EngineClient::Connect(const std::string& socket_path) {
  GlobalInit();
  std::unique_ptr<EngineClient> c(new EngineClient(socket_path, ""));
  std::string api;
  auto ping = c->Exchange("GET", "/_ping", "", 5000, {}, nullptr, nullptr, &api);
  if (!ping.ok()) return ping.status();
  if (ping->status != 200) {
    return Unavailable("the Docker engine at " + socket_path + " answered /_ping with HTTP " +
                       std::to_string(ping->status));
  }
  if (api.empty()) api = kOldestApi;  // engines before 1.25 did not say; they are refused below
  if (ApiNumber(api) < ApiNumber(kOldestApi)) {
    return FailedPrecondition("the Docker engine at " + socket_path + " speaks API " + api +
                              "; berth needs 1.41 (Docker 20.10) or newer");
  }
  c->api_version_ = ApiNumber(api) > ApiNumber(kNewestApi) ? kNewestApi : api;
  return c;
}

Result<EngineResponse> EngineClient::Call(
    const std::string& method, const std::string& path, const std::string& json_body,
    int timeout_ms, const std::vector<std::pair<std::string, std::string>>& headers) {
  return Exchange(method, "/v" + api_version_ + path, json_body, timeout_ms, headers, nullptr,
                  nullptr, nullptr);
}

Result<EngineResponse> EngineClient::Stream(
    const std::string& method, const std::string& path, const std::string& json_body,
    const std::function<bool(std::string_view)>& on_data, const std::atomic<bool>* cancel,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  return Exchange(method, "/v" + api_version_ + path, json_body, 0, headers, &on_data, cancel,
                  nullptr);
}

Result<EngineResponse> EngineClient::Exchange(
    const std::string& method, const std::string& url_path, const std::string& json_body,
    int timeout_ms, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::function<bool(std::string_view)>* on_data, const std::atomic<bool>* cancel,
    std::string* api_header) {
  CURL* h = curl_easy_init();
  if (!h) return Internal("curl_easy_init failed");
  Transfer t;
  t.on_data = on_data;
  t.cancel = cancel;
  t.api_header = api_header;
  std::string url = "http://docker" + url_path;
  curl_slist* list = nullptr;
  bool typed = false;
  for (const auto& [k, v] : headers) {
    list = curl_slist_append(list, (k + ": " + v).c_str());
    if (strcasecmp(k.c_str(), "Content-Type") == 0) typed = true;
  }
  if (!json_body.empty() && !typed) list = curl_slist_append(list, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || !json_body.empty()) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
  }
  if (list) curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  if (cancel) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  }
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  curl_slist_free_all(list);
  if (rc != CURLE_OK && !(t.stopped && rc == CURLE_WRITE_ERROR) &&
      !(cancel && cancel->load() && rc == CURLE_ABORTED_BY_CALLBACK)) {
    return Unavailable("the Docker engine at " + socket_path_ + ": " + method + " " + url_path +
                       ": " + curl_easy_strerror(rc));
  }
  EngineResponse r;
  r.status = static_cast<int>(status);
  r.body = std::move(t.body);
  return r;
}

std::string EngineClient::MessageOf(const EngineResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    return j["message"].get<std::string>();
  }
  std::string b = r.body;
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return b.empty() ? "HTTP " + std::to_string(r.status) : b;
}

}  // namespace berth::docker
