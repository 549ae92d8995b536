// ServiceLoadBalancing: the ECS service scheduler's view of the load balancer
// (ecs::LoadBalancing) over berth's ELBv2 (lb::LoadBalancing). Only the daemon wires the two.
// Threads: control thread only.
#pragma once

#include "common/clock.h"
#include "ecs/load_balancing.h"
#include "lb/load_balancing.h"

namespace berth::daemon {

class ServiceLoadBalancing : public ecs::LoadBalancing {
 public:
  ServiceLoadBalancing(Executor& executor, lb::LoadBalancing& lb) : executor_(executor), lb_(lb) {}

  Status CheckTargetGroup(const std::string& target_group_arn) override;
  Status Register(const std::string& target_group_arn, const ecs::LbTarget& target) override;
  void Deregister(const std::string& target_group_arn, const ecs::LbTarget& target,
                  std::function<void()> drained) override;
  std::string TargetState(const std::string& target_group_arn, const ecs::LbTarget& target) override;

 private:
  Executor& executor_;
  lb::LoadBalancing& lb_;
};

}  // namespace berth::daemon
