#include "lb/types.h"

namespace berth::lb {

HealthCheck DefaultHealthCheck(Protocol protocol) {
  HealthCheck hc;
  hc.protocol = protocol;
  if (protocol == Protocol::kTcp) {
    // NLB's defaults for a TCP group: no path or matcher, a 10 s timeout.
    hc.path.clear();
    hc.timeout_s = 10;
  }
  return hc;
}

TargetHealth InitialHealth() { return {}; }
TargetHealth UnusedHealth() {
  return {HealthState::kUnused, HealthReason::kNotInUse,
          "Target group is not configured to receive traffic from the load balancer"};
}
TargetHealth DrainingHealth() {
  return {HealthState::kDraining, HealthReason::kDeregistrationInProgress,
          "Target deregistration is in progress"};
}
TargetHealth NotRegisteredHealth() {
  return {HealthState::kUnused, HealthReason::kNotRegistered,
          "Target is not registered to the target group"};
}

const char* ToString(LbType t) { return t == LbType::kNetwork ? "network" : "application"; }
const char* ToString(Protocol p) { return p == Protocol::kTcp ? "TCP" : "HTTP"; }

const char* ToString(HealthState s) {
  switch (s) {
    case HealthState::kInitial: return "initial";
    case HealthState::kHealthy: return "healthy";
    case HealthState::kUnhealthy: return "unhealthy";
    case HealthState::kUnused: return "unused";
    case HealthState::kDraining: return "draining";
    case HealthState::kUnavailable: return "unavailable";
  }
  return "unavailable";
}

const char* ToString(HealthReason r) {
  switch (r) {
    case HealthReason::kNone: return "";
    case HealthReason::kRegistrationInProgress: return "Elb.RegistrationInProgress";
    case HealthReason::kResponseCodeMismatch: return "Target.ResponseCodeMismatch";
    case HealthReason::kTimeout: return "Target.Timeout";
    case HealthReason::kFailedHealthChecks: return "Target.FailedHealthChecks";
    case HealthReason::kNotRegistered: return "Target.NotRegistered";
    case HealthReason::kNotInUse: return "Target.NotInUse";
    case HealthReason::kDeregistrationInProgress: return "Target.DeregistrationInProgress";
  }
  return "";
}

std::optional<LbType> ParseLbType(const std::string& s) {
  if (s == "application") return LbType::kApplication;
  if (s == "network") return LbType::kNetwork;
  return std::nullopt;
}

std::optional<Protocol> ParseProtocol(const std::string& s) {
  if (s == "HTTP") return Protocol::kHttp;
  if (s == "TCP") return Protocol::kTcp;
  return std::nullopt;
}

}  // namespace berth::lb
