#include "events/api_destination_invoker.h"

#include <curl/curl.h>

#include <algorithm>

namespace berth::events {

using nlohmann::json;

namespace {

constexpr long kTimeoutMs = 5000;

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Adds "Name: value" unless a header of that name is already there (earlier sources win).
void AddHeader(std::vector<std::string>* headers, const std::string& name,
               const std::string& value) {
  if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
      value.find_first_of("\r\n") != std::string::npos) {
    return;
  }
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const auto& h : *headers) {
    std::string hn = h.substr(0, h.find(':'));
    std::transform(hn.begin(), hn.end(), hn.begin(), ::tolower);
    if (hn == lower) return;
  }
  headers->push_back(name + ": " + value);
}

void AddQuery(std::string* url, const std::string& key, const std::string& value) {
  *url +=
      (url->find('?') == std::string::npos ? "?" : "&") + UrlEncode(key) + "=" + UrlEncode(value);
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  std::string lower = line;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower.rfind("retry-after:", 0) == 0) {
    *static_cast<std::string*>(user) = line.substr(12);
  }
  return size * n;
}

}  // namespace

Result<ApiDestinationInvoker::Request> BuildApiDestinationRequest(const ApiDestination& d,
                                                                  const Connection* c,
                                                                  const json& target,
                                                                  std::string_view payload) {
  ApiDestinationInvoker::Request r;
  r.method = d.http_method;
  r.body.assign(payload);
  json http = target.contains("HttpParameters") ? target["HttpParameters"] : json::object();
  // `*` in the endpoint: the target's PathParameterValues, in order.
  std::string url;
  size_t next = 0;
  json path_values =
      http.is_object() ? http.value("PathParameterValues", json::array()) : json::array();
  for (char ch : d.endpoint) {
    if (ch == '*') {
      if (next >= path_values.size() || !path_values[next].is_string()) {
        return InvalidArgument("PathParameterValues does not fill every * of " + d.endpoint);
      }
      url += UrlEncode(path_values[next++].get<std::string>());
    } else {
      url += ch;
    }
  }
  // The connection's parameters override the target's (AWS's rule): add them first.
  json auth = c ? c->auth_parameters : json::object();
  if (c && c->authorization_type == "API_KEY" && auth.contains("ApiKeyAuthParameters")) {
    const json& k = auth["ApiKeyAuthParameters"];
    AddHeader(&r.headers, k.value("ApiKeyName", ""), k.value("ApiKeyValue", ""));
  }
  if (c && c->authorization_type == "BASIC" && auth.contains("BasicAuthParameters")) {
    r.basic_user = auth["BasicAuthParameters"].value("Username", "");
    r.basic_password = auth["BasicAuthParameters"].value("Password", "");
  }
  auto add_params = [&](const json& p) {
    if (!p.is_object()) return;
    for (const char* key : {"HeaderParameters", "QueryStringParameters"}) {
      json list = p.value(key, json());
      bool header = std::string(key) == "HeaderParameters";
      if (list.is_object()) {  // a target's form: a map
        for (const auto& [k, v] : list.items()) {
          if (!v.is_string()) continue;
          if (header)
            AddHeader(&r.headers, k, v.get<std::string>());
          else
            AddQuery(&url, k, v.get<std::string>());
        }
      } else if (list.is_array()) {  // a connection's form: [{Key, Value}]
        for (const auto& kv : list) {
          if (!kv.is_object()) continue;
          if (header)
            AddHeader(&r.headers, kv.value("Key", ""), kv.value("Value", ""));
          else
            AddQuery(&url, kv.value("Key", ""), kv.value("Value", ""));
        }
      }
    }
  };
  if (auth.contains("InvocationHttpParameters")) add_params(auth["InvocationHttpParameters"]);
  add_params(http);
  AddHeader(&r.headers, "User-Agent", "Amazon/EventBridge/ApiDestinations");
  AddHeader(&r.headers, "Content-Type", "application/json; charset=utf-8");
  r.url = url;
  return r;
}

ApiDestinationInvoker::ApiDestinationInvoker(Executor& control, const EventBus& bus, int threads)
    : control_(control), bus_(bus) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ApiDestinationInvoker::~ApiDestinationInvoker() {
  *alive_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool ApiDestinationInvoker::Handles(const std::string& arn) const {
  return arn.rfind("arn:aws:events:", 0) == 0 && arn.find(":api-destination/") != std::string::npos;
}

void ApiDestinationInvoker::Invoke(const Invocation& inv, std::function<void(InvokeOutcome)> done) {
  std::string arn = inv.target->value("Arn", "");
  const ApiDestination* d = bus_.FindApiDestinationByArn(arn);
  if (!d) {
    InvokeOutcome o;
    o.kind = InvokeOutcome::kFailed;
    o.error_code = "ResourceNotFoundException";
    o.error_message = "API destination " + arn + " does not exist.";
    return done(o);
  }
  auto request = BuildApiDestinationRequest(*d, bus_.FindConnectionByArn(d->connection_arn),
                                            *inv.target, inv.payload);
  if (!request.ok()) {
    InvokeOutcome o;
    o.kind = InvokeOutcome::kFailed;
    o.error_code = "InvalidParameter";
    o.error_message = request.status().message();
    return done(o);
  }
  // Space the requests to one destination by its rate limit.
  TimeMs now = control_.clock().NowMs();
  TimeMs& slot = next_slot_[arn];
  TimeMs at = std::max(now, slot);
  slot = at + std::max(1, 1000 / std::max(1, d->rate_limit_per_second));
  auto job = std::make_shared<Job>(Job{std::move(*request), std::move(done)});
  control_.RunAfter(at - now, [this, job, alive = alive_] {
    if (!*alive) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(*job));
    }
    cv_.notify_one();
  });
}

void ApiDestinationInvoker::Work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    InvokeOutcome outcome = Perform(job.request);
    control_.Post([done = std::move(job.done), outcome, alive = alive_] {
      if (*alive) done(outcome);
    });
  }
}

InvokeOutcome ApiDestinationInvoker::Perform(const Request& r) {
  InvokeOutcome o;
  CURL* curl = curl_easy_init();
  if (!curl) {
    o.kind = InvokeOutcome::kRetryable;
    o.error_code = "InternalError";
    o.error_message = "cannot start an HTTP request";
    return o;
  }
  curl_slist* headers = nullptr;
  for (const auto& h : r.headers) headers = curl_slist_append(headers, h.c_str());
  std::string retry_after;
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  if (r.method != "GET" && r.method != "HEAD") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
  }
  if (r.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &retry_after);
  if (!r.basic_user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, r.basic_user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r.basic_password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    o.kind = InvokeOutcome::kRetryable;
    o.error_code = rc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionFailure";
    o.error_message = curl_easy_strerror(rc);
    return o;
  }
  if (status >= 200 && status < 300) return o;
  o.error_code = "HTTP_" + std::to_string(status);
  o.error_message = "The endpoint answered " + std::to_string(status) + ".";
  o.kind = (status == 429 || status >= 500) ? InvokeOutcome::kRetryable : InvokeOutcome::kFailed;
  if (!retry_after.empty()) {
    long secs = atol(retry_after.c_str());
    if (secs > 0) o.retry_after_ms = std::min(secs, 3600L) * 1000;
  }
  return o;
}

}  // namespace berth::events
