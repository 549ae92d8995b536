#include "lb/health_tracker.h"

#include <string>

namespace berth::lb {

TargetHealth UnhealthyFor(const ProbeResult& r) {
  switch (r.reason) {
    case HealthReason::kResponseCodeMismatch:
      return {HealthState::kUnhealthy, r.reason,
              "Health checks failed with these codes: [" + std::to_string(r.status_code) + "]"};
    case HealthReason::kTimeout:
      return {HealthState::kUnhealthy, r.reason, "Request timed out"};
    default:
      return {HealthState::kUnhealthy, HealthReason::kFailedHealthChecks, "Health checks failed"};
  }
}

bool HealthTracker::Apply(const ProbeResult& r) {
  TargetHealth before = health_;
  if (r.passed) {
    failures_ = 0;
    ++passes_;
    if (passes_ >= healthy_threshold_) health_ = {HealthState::kHealthy, HealthReason::kNone, ""};
  } else {
    passes_ = 0;
    ++failures_;
    // A healthy target stays healthy (and keeps serving) until the threshold is reached; an
    // unhealthy one shows the latest failure.
    if (failures_ >= unhealthy_threshold_ || health_.state == HealthState::kUnhealthy) {
      health_ = UnhealthyFor(r);
    }
  }
  return health_.state != before.state || health_.reason != before.reason ||
         health_.description != before.description;
}

}  // namespace berth::lb
