// HealthTracker: one target's health state machine, as ELBv2 runs it. Pure (no clock, no I/O):
// the Engine feeds it probe results and publishes what it says.
//
//            HealthyThreshold consecutive passes
//   initial ─────────────────────────────────────▶ healthy
//      │                                           ▲     │ UnhealthyThreshold
//      │ UnhealthyThreshold consecutive failures   │     │ consecutive failures
//      ▼                                           │     ▼
//   unhealthy ◀────────────────────────────────────┴── (unhealthy; passes must again reach
//                                                       HealthyThreshold to become healthy)
// A failure's reason (Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks)
// is the latest one. unused and draining are not health-check states: the Engine reports them
// around the tracker.
// Value type; the lb thread.
#pragma once

#include "lb/types.h"

namespace berth::lb {

struct ProbeResult {
  bool passed = false;
  HealthReason reason = HealthReason::kFailedHealthChecks;  // for a failure
  int status_code = 0;  // for kResponseCodeMismatch
};

class HealthTracker {
 public:
  HealthTracker(int healthy_threshold, int unhealthy_threshold)
      : healthy_threshold_(healthy_threshold), unhealthy_threshold_(unhealthy_threshold) {}

  // Returns true when the reported health (state, reason or description) changed.
  bool Apply(const ProbeResult& r);
  void SetThresholds(int healthy, int unhealthy) {
    healthy_threshold_ = healthy;
    unhealthy_threshold_ = unhealthy;
  }
  // Back to initial (a group that starts receiving traffic again).
  void Restart() { *this = HealthTracker(healthy_threshold_, unhealthy_threshold_); }

  const TargetHealth& health() const { return health_; }
  bool healthy() const { return health_.state == HealthState::kHealthy; }

 private:
  int healthy_threshold_;
  int unhealthy_threshold_;
  int passes_ = 0;    // consecutive
  int failures_ = 0;  // consecutive
  TargetHealth health_ = InitialHealth();
};

// "Health checks failed with these codes: [500]", "Request timed out", ...
TargetHealth UnhealthyFor(const ProbeResult& r);

}  // namespace berth::lb
