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

bool Router::HostAllowed(const std::string& host) const {
  std::string port = ":" + std::to_string(options_.port);
  return host == options_.listen_host + port || host == "localhost" + port ||
         (options_.listen_host == "0.0.0.0" && !host.empty());
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
  if (path == "/_berth/reset" && options_.allow_reset && req.from_loopback) {
    if (req.method != "POST") return JsonError(405, "MethodNotAllowed", "Use POST.");
    Status st = reset_();
    if (!st.ok()) return JsonError(500, "ServerException", st.message());
    HttpResponse r;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = "{\"reset\":true}";
    return r;
  }

  auth::RequestView view{req.method, req.target, req.headers, req.body};
  auth::AuthResult a = auth::Verify(view, options_.credentials, clock_.NowMs());
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
