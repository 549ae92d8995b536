// Router: the daemon's single HTTP entry point. In order: the Host check (DNS-rebinding
// defence), berth's own unsigned endpoints (/_berth/health, /_berth/reset), the endpoints for
// code inside tasks (GET /v4/... task metadata, GET /v2/credentials/... task-role credentials:
// no SigV4, they carry their own secrets), SigV4 authentication (the daemon's key, or a task's
// session credentials), then dispatch by protocol (X-Amz-Target for awsJson services; the SigV4
// credential scope's service for query-protocol services: elasticloadbalancing → ELBv2).
// Streaming services (S3) are chosen earlier, from the request head alone (BeginStream, the
// HttpServer's stream hook): the credential scope names the service, the Host may also be
// virtual-host style (BUCKET.localhost:PORT), and SigV4 is verified with the payload hash
// deferred to the service, which checks the body as it streams.
//
// Threads: control thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/auth/sigv4.h"
#include "api/ecs/ecs_api.h"
#include "api/elbv2/elbv2_api.h"
#include "api/http/http_types.h"
#include "api/logs/logs_api.h"

namespace berth::api {

struct RouterOptions {
  std::string listen_host = "127.0.0.1";
  int port = 4747;
  bool allow_reset = false;
  auth::Credentials credentials;
};

class Router {
 public:
  Router(RouterOptions options, const Clock& clock, EcsApi& ecs, LogsApi& logs, Elbv2Api& elbv2,
         std::function<Status()> reset)
      : options_(std::move(options)),
        clock_(clock),
        ecs_(ecs),
        logs_(logs),
        elbv2_(elbv2),
        reset_(std::move(reset)) {}

  HttpResponse Handle(const HttpRequest& req);
  void set_port(int port) { options_.port = port; }

  // More services, registered by the daemon before it serves. awsJson: requests whose
  // X-Amz-Target starts with `target_prefix` (the rest is the operation), signed for
  // `signing_name`. REST: requests without X-Amz-Target whose credential scope names
  // `signing_name` (Lambda's REST-JSON paths, …); the handler sees the whole request.
  using JsonHandler = std::function<HttpResponse(
      const std::string& operation, const std::string& body, const std::string& region)>;
  using RestHandler =
      std::function<HttpResponse(const HttpRequest& req, const std::string& region)>;
  void AddJsonService(std::string target_prefix, std::string signing_name, JsonHandler handler) {
    json_services_.push_back(
        {std::move(target_prefix), std::move(signing_name), std::move(handler)});
  }
  // S3 alone may send UNSIGNED-PAYLOAD/STREAMING-… (allow_unsigned_payload).
  void AddRestService(std::string signing_name, RestHandler handler,
                      bool allow_unsigned_payload = false) {
    rest_services_.push_back({std::move(signing_name), std::move(handler), allow_unsigned_payload});
  }
  // Streaming REST services (S3): requests whose credential scope names `signing_name` are
  // taken over from their head (BeginStream); `handler` gets the head and the SigV4 result
  // (verified, payload check deferred; failures included, for the service's own error shape).
  using StreamHandler =
      std::function<StreamStart(const HttpRequest& head, const auth::AuthResult& auth)>;
  void AddStreamingService(std::string signing_name, StreamHandler handler) {
    stream_services_.push_back({std::move(signing_name), std::move(handler)});
  }
  // The task metadata and credentials endpoints (GET /v4/*, GET /v2/credentials/*).
  void SetTaskEndpoints(RestHandler handler) { task_endpoints_ = std::move(handler); }
  // Temporary credentials that SigV4 accepts besides the daemon's own (tasks' role credentials).
  void SetSessionLookup(auth::SessionLookup lookup) { sessions_ = std::move(lookup); }
  // The HttpServer's stream hook: a streaming service's StreamStart, or {} for Handle.
  StreamStart BeginStream(const HttpRequest& head);

  bool ready = false;  // health answers 200 once the daemon has finished starting

 private:
  bool HostAllowed(const std::string& host) const;
  auth::AuthResult Authenticate(const auth::RequestView& view) const;
  // BUCKET.localhost:PORT (streaming services only).
  bool VirtualHostAllowed(const std::string& host) const;
  struct JsonService {
    std::string prefix, signing_name;
    JsonHandler handler;
  };
  struct RestService {
    std::string signing_name;
    RestHandler handler;
    bool allow_unsigned_payload = false;
  };

  RouterOptions options_;
  const Clock& clock_;
  EcsApi& ecs_;
  LogsApi& logs_;
  Elbv2Api& elbv2_;
  std::function<Status()> reset_;
  std::vector<JsonService> json_services_;
  std::vector<RestService> rest_services_;
  struct StreamService {
    std::string signing_name;
    StreamHandler handler;
  };
  std::vector<StreamService> stream_services_;
  RestHandler task_endpoints_;
  auth::SessionLookup sessions_;
};

}  // namespace berth::api
