// The event bus's configuration, as values: event buses, rules and their targets, connections
// and API destinations (EventBridge's names and limits, spec/events.md §4). EventBus owns them;
// the API layer builds them from requests (ParseTarget is shared by PutTargets and the config
// file, so a stored target is always one PutTargets accepted).
// Value types; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/event_pattern.h"
#include "events/input_transformer.h"
#include "events/schedule_expression.h"

namespace berth::events {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct RetryPolicy {
  int maximum_retry_attempts = 185;       // 0..185
  int maximum_event_age_seconds = 86400;  // 60..86400
};

struct Target {
  std::string id;
  std::string arn;
  TargetInput input;
  RetryPolicy retry;
  std::string dead_letter_arn;     // "" = none; berth takes a log-group ARN
  nlohmann::json ecs_parameters;   // null unless an ECS target
  nlohmann::json http_parameters;  // null unless given
  nlohmann::json wire;             // the target as PutTargets took it (ListTargetsByRule)
};

// Builds a Target from its PutTargets JSON form; InvalidArgument with AWS's messages.
Result<Target> ParseTarget(const nlohmann::json& wire);

struct Rule {
  std::string name;
  std::string bus = "default";
  std::string arn;
  std::string state = "ENABLED";  // ENABLED | DISABLED
  std::string description;
  std::string role_arn;
  std::string pattern_text;  // "" = none
  std::optional<EventPattern> pattern;
  std::string schedule_text;  // "" = none
  std::optional<ScheduleExpression> schedule;
  Tags tags;
  TimeMs created_ms = 0;
  TimeMs enabled_ms = 0;  // anchor of rate() schedules: creation or the last EnableRule
  std::vector<Target> targets;

  bool enabled() const { return state != "DISABLED"; }
};

struct EventBusInfo {
  std::string name;
  std::string arn;
  std::string description;
  Tags tags;
  TimeMs created_ms = 0;
};

struct Connection {
  std::string name;
  std::string arn;
  std::string authorization_type;  // API_KEY | BASIC | OAUTH_CLIENT_CREDENTIALS
  nlohmann::json auth_parameters;  // as given (secrets included; never echoed)
  std::string description;
  TimeMs created_ms = 0;
  TimeMs modified_ms = 0;
};

struct ApiDestination {
  std::string name;
  std::string arn;
  std::string connection_arn;
  std::string endpoint;
  std::string http_method = "POST";
  int rate_limit_per_second = 300;
  std::string description;
  TimeMs created_ms = 0;
  TimeMs modified_ms = 0;
};

// Per rule and per target (rule ARN + target id).
struct Counters {
  uint64_t matched = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;  // failed attempts
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
  uint64_t skipped = 0;  // the overlap guard skipped an ECS run
};

}  // namespace berth::events
