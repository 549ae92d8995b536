#include "api/router.h"

namespace berth::api {

namespace {

HttpResponse JsonError(int status, const std::string& type, const std::string& message) {
  return ToHttpResponse(ErrorReply({status, type, message}));
}

HttpResponse AuthError(const auth::AuthResult& a) {
  switch (a.error) {
    case auth::AuthError::kMissingToken:
      return JsonError(403, "MissingAuthenticationTokenException", a.message);
    case auth::AuthError::kIncompleteSignature:
      return JsonError(403, "IncompleteSignatureException", a.message);
    case auth::AuthError::kUnknownKey:
      return JsonError(403, "UnrecognizedClientException", a.message);
    // Session tokens: ECS (and DynamoDB) answer these two with 400.
    case auth::AuthError::kInvalidToken:
      return JsonError(400, "UnrecognizedClientException", a.message);
    case auth::AuthError::kExpiredToken:
      return JsonError(400, "ExpiredTokenException", a.message);
    case auth::AuthError::kSignatureMismatch:
    case auth::AuthError::kExpired:
    case auth::AuthError::kNone:
      break;
  }
  return JsonError(403, "InvalidSignatureException", a.message);
}

HttpResponse UnsignedPayload() {
  return JsonError(403, "InvalidSignatureException",
                   "The request payload must be signed for this service.");
}

}  // namespace

auth::AuthResult Router::Authenticate(const auth::RequestView& view) const {
  return auth::VerifyWithSessions(view, options_.credentials, sessions_, clock_.NowMs());
}

bool Router::HostAllowed(const std::string& host) const {
  std::string port = ":" + std::to_string(options_.port);
  // 127.0.0.1: tasks in their own network namespace reach the daemon there (a listener inside
  // the namespace), whatever address the daemon itself listens on.
  return host == options_.listen_host + port || host == "localhost" + port ||
         host == "127.0.0.1" + port ||
         (options_.listen_host == "0.0.0.0" && !host.empty());
}

bool Router::VirtualHostAllowed(const std::string& host) const {
  std::string suffix = ".localhost:" + std::to_string(options_.port);
  if (host.size() <= suffix.size() ||
      host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  for (size_t i = 0; i + suffix.size() < host.size(); ++i) {
    char c = host[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

namespace {

// The service of the SigV4 credential scope (".../REGION/SERVICE/aws4_request"), from the
// Authorization header or the presigned query; "" when there is none.
std::string ScopeService(const HttpRequest& head) {
  std::string cred;
  std::string authz = head.Header("Authorization");
  size_t at = authz.find("Credential=");
  if (at != std::string::npos) {
    size_t end = authz.find_first_of(", ", at);
    cred = authz.substr(at + 11, end == std::string::npos ? std::string::npos : end - at - 11);
  } else {
    size_t q = head.target.find('?');
    std::string query = q == std::string::npos ? "" : head.target.substr(q);
    size_t p = query.find("X-Amz-Credential=");
    if (p == std::string::npos || (query[p - 1] != '?' && query[p - 1] != '&')) return "";
    size_t end = query.find('&', p);
    cred = query.substr(p + 17, end == std::string::npos ? std::string::npos : end - p - 17);
    // %2F is the only escape a credential needs.
    for (size_t i = 0; i + 2 < cred.size(); ++i) {
      if (cred[i] == '%' && cred[i + 1] == '2' && (cred[i + 2] == 'F' || cred[i + 2] == 'f')) {
        cred.replace(i, 3, "/");
      }
    }
  }
  // KEY/DATE/REGION/SERVICE/aws4_request
  size_t last = cred.rfind('/');
  if (last == std::string::npos || last == 0) return "";
  size_t prev = cred.rfind('/', last - 1);
  if (prev == std::string::npos) return "";
  return cred.substr(prev + 1, last - prev - 1);
}

}  // namespace

StreamStart Router::BeginStream(const HttpRequest& head) {
  if (stream_services_.empty() || !head.Header("X-Amz-Target").empty()) return {};
  if (head.Path().rfind("/_berth/", 0) == 0) return {};
  std::string service = ScopeService(head);
  if (service.empty()) return {};
  for (const auto& svc : stream_services_) {
    if (svc.signing_name != service) continue;
    std::string host = head.Header("Host");
    if (!HostAllowed(host) && !VirtualHostAllowed(host)) return {};  // Handle refuses it
    auth::RequestView view{head.method, head.target, head.headers, "", true};
    return svc.handler(head, Authenticate(view));
  }
  return {};
}

HttpResponse Router::Handle(const HttpRequest& req) {
  std::string host = req.Header("Host");
  if (!HostAllowed(host)) {
    return JsonError(403, "AccessDeniedException",
                     "Host header '" + host + "' does not name this berth daemon (expected " +
                         options_.listen_host + ":" + std::to_string(options_.port) +
                         " or localhost:" + std::to_string(options_.port) + ").");
  }
  std::string path = req.Path();
  if (path == "/_berth/health" && (req.method == "GET" || req.method == "HEAD")) {
    HttpResponse r;
    r.status = ready ? 200 : 503;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = ready ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}";
    return r;
  }
  if (path == "/_berth/reset" && options_.allow_reset && req.from_loopback &&
      req.listener.empty()) {
    if (req.method != "POST") return JsonError(405, "MethodNotAllowed", "Use POST.");
    Status st = reset_();
    if (!st.ok()) return JsonError(500, "ServerException", st.message());
    HttpResponse r;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = "{\"reset\":true}";
    return r;
  }

  if (task_endpoints_ && (req.method == "GET" || req.method == "HEAD") &&
      (path.rfind("/v4/", 0) == 0 || path.rfind("/v2/credentials/", 0) == 0)) {
    return task_endpoints_(req, "");
  }

  auth::RequestView view{req.method, req.target, req.headers, req.body};
  auth::AuthResult a = Authenticate(view);
  if (a.error != auth::AuthError::kNone) return AuthError(a);

  std::string target = req.Header("X-Amz-Target");
  // awsJson and query requests must sign their body: an UNSIGNED/STREAMING payload hash (legitimate
  // for S3 only) would let anyone who saw one signature replay it with another RunTask body.
  auto unsigned_payload = [&] {
    std::string payload = req.Header("x-amz-content-sha256");
    return payload.rfind("UNSIGNED", 0) == 0 || payload.rfind("STREAMING", 0) == 0;
  };
  auto wrong_scope = [](const std::string& signing_name) {
    return JsonError(403, "InvalidSignatureException",
                     "Credential should be scoped to correct service: '" + signing_name + "'. ");
  };
  // Query-protocol services carry no X-Amz-Target: the credential scope names the service and
  // the form body names the Action.
  if (target.empty() && a.service == Elbv2Api::kSigningName) {
    if (req.method != "POST") {
      return JsonError(405, "MethodNotAllowed", "Elastic Load Balancing requests must use POST.");
    }
    if (unsigned_payload()) return UnsignedPayload();
    return elbv2_.Handle(req.body, a.region);
  }
  if (req.method == "POST" && target.rfind(EcsApi::kTargetPrefix, 0) == 0) {
    if (unsigned_payload()) return UnsignedPayload();
    if (a.service != "ecs") return wrong_scope("ecs");
    std::string op = target.substr(std::char_traits<char>::length(EcsApi::kTargetPrefix));
    return ecs_.Handle(op, req.body, ecs::RequestContext{a.region});
  }
  if (req.method == "POST" && target.rfind(LogsApi::kTargetPrefix, 0) == 0) {
    if (unsigned_payload()) return UnsignedPayload();
    if (a.service != "logs") return wrong_scope("logs");
    std::string op = target.substr(std::char_traits<char>::length(LogsApi::kTargetPrefix));
    return logs_.Handle(op, req.body, a.region);
  }
  for (const auto& svc : json_services_) {
    if (req.method != "POST" || target.rfind(svc.prefix, 0) != 0) continue;
    if (unsigned_payload()) return UnsignedPayload();
    if (a.service != svc.signing_name) return wrong_scope(svc.signing_name);
    return svc.handler(target.substr(svc.prefix.size()), req.body, a.region);
  }
  if (target.empty()) {
    for (const auto& svc : rest_services_) {
      if (a.service != svc.signing_name) continue;
      if (!svc.allow_unsigned_payload && unsigned_payload()) return UnsignedPayload();
      return svc.handler(req, a.region);
    }
  }
  if (!target.empty()) {
    return JsonError(400, "UnknownOperationException",
                     "berth does not serve the operation " + target + ".");
  }
  return JsonError(404, "UnknownOperationException",
                   "berth has no resource at " + req.method + " " + path + ".");
}

}  // namespace berth::api
