// Router: the daemon's single HTTP entry point. In order: the Host check (DNS-rebinding
// defence), berth's own unsigned endpoints (/_berth/health, /_berth/reset), SigV4
// authentication, then dispatch by protocol (X-Amz-Target for awsJson services; the SigV4
// credential scope's service for query-protocol services: elasticloadbalancing → ELBv2).
//
// Threads: control thread only.
#pragma once

#include <functional>
#include <string>

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
  bool ready = false;  // health answers 200 once the daemon has finished starting

 private:
  bool HostAllowed(const std::string& host) const;

  RouterOptions options_;
  const Clock& clock_;
  EcsApi& ecs_;
  LogsApi& logs_;
  Elbv2Api& elbv2_;
  std::function<Status()> reset_;
};

}  // namespace berth::api
