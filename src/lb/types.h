// The Elastic Load Balancing v2 domain: load balancers, target groups, listeners, targets and
// their health, as plain values. The wire names of enums live in types.cc (ToString/Parse*) so
// the API layer and the state file spell them the same way.
// Value types; any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "lb/matcher.h"

namespace berth::lb {

using Tags = std::vector<std::pair<std::string, std::string>>;  // in insertion order

enum class LbType { kApplication, kNetwork };
enum class Protocol { kHttp, kTcp };

struct LoadBalancer {
  std::string arn;
  std::string name;
  LbType type = LbType::kApplication;
  std::string scheme = "internet-facing";  // or "internal"; recorded, not acted on
  std::string ip_address_type = "ipv4";
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  std::string dns_name;
  TimeMs created_ms = 0;
  Tags tags;
};

// Health-check settings with AWS's defaults for an HTTP target group; a TCP group overrides
// timeout_s to 10 and has no path/matcher (DefaultHealthCheck).
struct HealthCheck {
  Protocol protocol = Protocol::kHttp;
  int port = 0;  // 0 = "traffic-port": the target's own port
  std::string path = "/";
  int interval_s = 30;
  int timeout_s = 5;
  int healthy_threshold = 5;
  int unhealthy_threshold = 2;
  Matcher matcher;  // HttpCode "200"
};
HealthCheck DefaultHealthCheck(Protocol protocol);

struct TargetGroup {
  std::string arn;
  std::string name;
  Protocol protocol = Protocol::kHttp;
  int port = 80;
  std::string vpc_id;
  std::string target_type = "ip";  // "ip" or "instance"; both take IPv4 addresses in berth
  HealthCheck health_check;
  int deregistration_delay_s = 300;
  TimeMs created_ms = 0;
  Tags tags;
};

struct Listener {
  std::string arn;
  std::string load_balancer_arn;
  Protocol protocol = Protocol::kHttp;
  int port = 0;
  std::string target_group_arn;  // the default action: forward to this group
  Tags tags;
};

// A registered target: an IPv4 address and a port.
struct TargetKey {
  std::string ip;
  int port = 0;
  auto operator<=>(const TargetKey&) const = default;
};

enum class HealthState { kInitial, kHealthy, kUnhealthy, kUnused, kDraining, kUnavailable };
enum class HealthReason {
  kNone,
  kRegistrationInProgress,  // Elb.RegistrationInProgress
  kResponseCodeMismatch,    // Target.ResponseCodeMismatch
  kTimeout,                 // Target.Timeout
  kFailedHealthChecks,      // Target.FailedHealthChecks
  kNotRegistered,           // Target.NotRegistered
  kNotInUse,                // Target.NotInUse
  kDeregistrationInProgress,  // Target.DeregistrationInProgress
};

struct TargetHealth {
  HealthState state = HealthState::kInitial;
  HealthReason reason = HealthReason::kRegistrationInProgress;
  std::string description = "Target registration is in progress";
};
TargetHealth InitialHealth();
TargetHealth UnusedHealth();
TargetHealth DrainingHealth();
TargetHealth NotRegisteredHealth();

struct TargetHealthDescription {
  TargetKey target;
  int health_check_port = 0;
  TargetHealth health;
};

// Wire spellings ("application", "HTTP", "healthy", "Target.Timeout", ...).
const char* ToString(LbType t);
const char* ToString(Protocol p);
const char* ToString(HealthState s);
const char* ToString(HealthReason r);  // "" for kNone
std::optional<LbType> ParseLbType(const std::string& s);
std::optional<Protocol> ParseProtocol(const std::string& s);

}  // namespace berth::lb
