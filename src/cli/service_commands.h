// `berth services` and `berth deploy`: services as a team deploys them — the same calls the
// aws-actions render + deploy GitHub Actions make (render the image into a task definition,
// RegisterTaskDefinition, UpdateService with forceNewDeployment), then live progress until the
// new deployment is stable, failed or out of time.
// Threads: the CLI's only thread; blocking calls.
#pragma once

#include <string>
#include <vector>

#include "cli/client.h"

namespace berth::cli {

struct DeployOptions {
  std::string service;
  std::string cluster = "default";
  std::string task_definition_file;  // empty = the service's current revision
  std::vector<std::string> images;   // CONTAINER=IMAGE
  bool wait = false;
  std::string timeout = "10m";
};

// Exit codes of `berth deploy --wait`.
inline constexpr int kDeployStable = 0;
inline constexpr int kDeployFailed = 1;  // circuit breaker (rolled back or not), or an API error
inline constexpr int kDeployTimedOut = 3;

int ServicesCommand(Client& client, const std::string& cluster);
int DeployCommand(Client& client, const DeployOptions& o);

}  // namespace berth::cli
