// `berth logs`: a task's (or a log group's) events, one block per event, optionally followed
// live. Talks only to the public ECS and CloudWatch Logs APIs.
#pragma once

#include <string>

#include "cli/client.h"

namespace berth::cli {

struct LogsOptions {
  std::string target;     // task id/ARN, or a log group name
  std::string cluster = "default";
  std::string container;  // only this container's stream
  bool follow = false;
  std::string since;      // "10m", "2h", "30s", "1d"; "" = from the start
  std::string filter;     // CloudWatch filter pattern
};

int LogsCommand(Client& client, const LogsOptions& options);

// "90s", "10m", "2h", "1d", "1w" → milliseconds; -1 on bad input.
long long ParseDuration(const std::string& s);

}  // namespace berth::cli
