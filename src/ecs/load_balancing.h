// LoadBalancing: what the service scheduler needs from the ELBv2 load balancer — register a
// task's address in a target group, drain it, and read its health. ecs/ declares it and the
// daemon implements it over lb/, so the scheduler can be tested with a fake.
//
// Threads: control thread only; `drained` callbacks run on the control thread.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"

namespace berth::ecs {

struct LbTarget {
  std::string ip;
  int port = 0;
};

class LoadBalancing {
 public:
  virtual ~LoadBalancing() = default;
  // OK when the target group exists and a listener of a load balancer forwards to it.
  virtual Status CheckTargetGroup(const std::string& target_group_arn) = 0;
  virtual Status Register(const std::string& target_group_arn, const LbTarget& target) = 0;
  // Starts draining; `drained` runs once no connection is left or the deregistration delay
  // passed (at once when the target is unknown).
  virtual void Deregister(const std::string& target_group_arn, const LbTarget& target,
                          std::function<void()> drained) = 0;
  // ELBv2's TargetHealth.State: "initial", "healthy", "unhealthy", "draining", or "unused"
  // (also for a target that is not registered); "" when the group is unknown.
  virtual std::string TargetState(const std::string& target_group_arn, const LbTarget& target) = 0;
};

}  // namespace berth::ecs
