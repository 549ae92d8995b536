// The load balancers' configuration on disk: DATA_DIR/lb/state.json, rewritten whole and
// atomically (temp file, fsync, rename, fsync of the directory) after every change and read
// once at start. Health and drains are runtime state and are not kept: a restarted daemon
// checks every target afresh, and targets that were draining are gone.
// Pure functions plus file I/O; any thread (LoadBalancing calls them on the control thread).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "lb/types.h"

namespace berth::lb {

struct Config {
  std::vector<LoadBalancer> load_balancers;  // in creation order
  std::vector<TargetGroup> target_groups;
  std::vector<Listener> listeners;
  std::map<std::string, std::vector<TargetKey>> targets;  // by group ARN, registration order
};

std::string ConfigToJson(const Config& c);
// InvalidArgument for text that is not a config berth wrote.
Result<Config> ConfigFromJson(const std::string& text);

Status WriteConfigFile(const std::string& path, const Config& c);
// An empty Config when the file does not exist.
Result<Config> ReadConfigFile(const std::string& path);

}  // namespace berth::lb
