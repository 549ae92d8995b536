#include "daemon/service_load_balancing.h"

namespace berth::daemon {

Status ServiceLoadBalancing::CheckTargetGroup(const std::string& arn) {
  auto lbs = lb_.LoadBalancersOfTargetGroup(arn);
  if (!lbs.ok()) {
    return InvalidArgument("Unable to find the target group with targetGroupArn " + arn + ".");
  }
  if (lbs->empty()) {
    return InvalidArgument("The target group with targetGroupArn " + arn +
                           " does not have an associated load balancer.");
  }
  return Status::Ok();
}

Status ServiceLoadBalancing::Register(const std::string& arn, const ecs::LbTarget& t) {
  return lb_.RegisterTargets(arn, {{t.ip, t.port}});
}

void ServiceLoadBalancing::Deregister(const std::string& arn, const ecs::LbTarget& t,
                                      std::function<void()> drained) {
  Status st = lb_.DeregisterTargets(arn, {{t.ip, t.port}}, drained);
  // Not registered (or the group is gone): nothing to drain.
  if (!st.ok() && drained) executor_.Post(std::move(drained));
}

std::string ServiceLoadBalancing::TargetState(const std::string& arn, const ecs::LbTarget& t) {
  auto health = lb_.DescribeTargetHealth(arn, {{t.ip, t.port}});
  if (!health.ok() || health->empty()) return "";
  return lb::ToString((*health)[0].health.state);
}

}  // namespace berth::daemon
