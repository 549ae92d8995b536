// LoadBalancing: load balancers and listeners.
#include <algorithm>

#include "lb/arn.h"
#include "lb/engine.h"
#include "lb/lb_errors.h"
#include "lb/load_balancing.h"
#include "lb/validate.h"

namespace berth::lb {

Result<LoadBalancer> LoadBalancing::CreateLoadBalancer(const LoadBalancerSpec& spec,
                                                       const std::string& region) {
  BERTH_RETURN_IF_ERROR(ValidateLoadBalancerName(spec.name));
  std::string scheme = spec.scheme.empty() ? "internet-facing" : spec.scheme;
  if (scheme != "internet-facing" && scheme != "internal") {
    return InvalidArgument("Scheme '" + scheme + "' must be 'internet-facing' or 'internal'");
  }
  std::string ip_type = spec.ip_address_type.empty() ? "ipv4" : spec.ip_address_type;
  if (ip_type != "ipv4" && ip_type != "dualstack") {
    return InvalidArgument("IP address type '" + ip_type + "' must be 'ipv4' or 'dualstack'");
  }
  BERTH_RETURN_IF_ERROR(ValidateTags(spec.tags));
  for (const auto& lb : load_balancers_) {
    if (lb.name != spec.name) continue;
    // CreateLoadBalancer is idempotent: the same settings return the existing load balancer.
    if (lb.type == spec.type && lb.scheme == scheme && lb.subnets == spec.subnets &&
        lb.security_groups == spec.security_groups && lb.ip_address_type == ip_type) {
      return lb;
    }
    {
      return Status(Code::kAlreadyExists,
                    "A load balancer with the same name '" + spec.name + "' exists",
                    kLoadBalancer);
    }
  }
  LoadBalancer lb;
  lb.name = spec.name;
  lb.type = spec.type;
  lb.arn = NewLoadBalancerArn(region, options_.account_id, spec.type, spec.name);
  lb.scheme = scheme;
  lb.ip_address_type = ip_type;
  lb.subnets = spec.subnets;
  lb.security_groups = spec.security_groups;
  lb.dns_name = NewDnsName(spec.name, scheme == "internal");
  lb.created_ms = control_.clock().NowMs();
  lb.tags = spec.tags;
  load_balancers_.push_back(lb);
  BERTH_RETURN_IF_ERROR(Save());
  return lb;
}

Result<std::vector<LoadBalancer>> LoadBalancing::DescribeLoadBalancers(
    const std::vector<std::string>& arns, const std::vector<std::string>& names) const {
  if (!arns.empty() && !names.empty()) {
    return InvalidArgument("Load balancer names and load balancer ARNs cannot be specified at "
                           "the same time");
  }
  if (arns.empty() && names.empty()) return load_balancers_;
  std::vector<LoadBalancer> out;
  for (const auto& lb : load_balancers_) {
    const auto& keys = arns.empty() ? names : arns;
    const std::string& mine = arns.empty() ? lb.name : lb.arn;
    if (std::find(keys.begin(), keys.end(), mine) != keys.end()) out.push_back(lb);
  }
  const auto& asked = arns.empty() ? names : arns;
  for (const auto& a : asked) {
    bool found = std::any_of(out.begin(), out.end(), [&](const LoadBalancer& lb) {
      return (arns.empty() ? lb.name : lb.arn) == a;
    });
    if (!found) {
      return NotFound(arns.empty() ? "Load balancers '[" + a + "]' not found"
                                   : "One or more load balancers not found",
                      kLoadBalancer);
    }
  }
  return out;
}

Status LoadBalancing::DeleteLoadBalancer(const std::string& arn) {
  auto it = std::find_if(load_balancers_.begin(), load_balancers_.end(),
                         [&](const LoadBalancer& lb) { return lb.arn == arn; });
  if (it == load_balancers_.end()) {
    if (KindOfArn(arn) != ArnKind::kLoadBalancer) {
      return InvalidArgument("'" + arn + "' is not a valid load balancer ARN");
    }
    return Status::Ok();  // AWS: deleting a load balancer that is gone succeeds
  }
  load_balancers_.erase(it);
  std::vector<Listener> gone;
  for (auto l = listeners_.begin(); l != listeners_.end();) {
    if (l->load_balancer_arn == arn) {
      gone.push_back(*l);
      l = listeners_.erase(l);
    } else {
      ++l;
    }
  }
  for (const auto& l : gone) StopListener(l.arn, l.target_group_arn);
  return Save();
}

Result<Listener> LoadBalancing::CreateListener(const ListenerSpec& spec) {
  const LoadBalancer* lb = FindLoadBalancer(spec.load_balancer_arn);
  if (!lb) {
    return NotFound("Load balancer '" + spec.load_balancer_arn + "' not found", kLoadBalancer);
  }
  Protocol protocol = spec.protocol.value_or(
      lb->type == LbType::kNetwork ? Protocol::kTcp : Protocol::kHttp);
  Protocol wanted = lb->type == LbType::kNetwork ? Protocol::kTcp : Protocol::kHttp;
  if (protocol != wanted) {
    return InvalidArgument(std::string("Listener protocol '") + ToString(protocol) +
                           "' is not supported for load balancers of type '" +
                           ToString(lb->type) + "'");
  }
  if (!spec.port) return InvalidArgument("A listener port must be specified");
  if (*spec.port < 1 || *spec.port > 65535) {
    return InvalidArgument("1 validation error detected: Value '" + std::to_string(*spec.port) +
                           "' at 'port' failed to satisfy constraint: Member must have value "
                           "between 1 and 65535");
  }
  const TargetGroup* tg = FindTargetGroup(spec.target_group_arn);
  if (!tg) {
    return NotFound("Target group '" + spec.target_group_arn + "' not found", kTargetGroup);
  }
  if (tg->protocol != protocol) {
    return Conflict(std::string("The target group's protocol '") + ToString(tg->protocol) +
                        "' is not compatible with the listener's protocol '" +
                        ToString(protocol) + "'",
                    kTargetGroup);
  }
  BERTH_RETURN_IF_ERROR(ValidateTags(spec.tags));
  for (const auto& l : listeners_) {
    if (l.load_balancer_arn == lb->arn && l.port == *spec.port) {
      // CreateListener is idempotent: the same settings return the existing listener.
      if (l.protocol == protocol && l.target_group_arn == tg->arn) return l;
      return Status(Code::kAlreadyExists, "A listener already exists on port " +
                                              std::to_string(*spec.port) + " of this load balancer",
                    kListener);
    }
    if (l.target_group_arn == tg->arn && l.load_balancer_arn != lb->arn) {
      return Status(Code::kResourceExhausted,
                    "The following target groups cannot be associated with more than one load "
                    "balancer: " + tg->arn,
                    kTargetGroup);
    }
  }
  Listener l;
  l.arn = NewListenerArn(lb->arn);
  l.load_balancer_arn = lb->arn;
  l.protocol = protocol;
  l.port = static_cast<int>(*spec.port);
  l.target_group_arn = tg->arn;
  l.tags = spec.tags;
  BERTH_RETURN_IF_ERROR(StartListener(l));
  listeners_.push_back(l);
  BERTH_RETURN_IF_ERROR(Save());
  return l;
}

Result<std::vector<Listener>> LoadBalancing::DescribeListeners(
    const std::string& load_balancer_arn, const std::vector<std::string>& arns) const {
  if (load_balancer_arn.empty() && arns.empty()) {
    return InvalidArgument("You must specify either listener ARNs or a load balancer ARN");
  }
  if (!load_balancer_arn.empty() && !FindLoadBalancer(load_balancer_arn)) {
    return NotFound("Load balancer '" + load_balancer_arn + "' not found", kLoadBalancer);
  }
  for (const auto& a : arns) {
    if (!FindListener(a)) return NotFound("One or more listeners not found", kListener);
  }
  std::vector<Listener> out;
  for (const auto& l : listeners_) {
    if (!load_balancer_arn.empty() && l.load_balancer_arn != load_balancer_arn) continue;
    if (!arns.empty() && std::find(arns.begin(), arns.end(), l.arn) == arns.end()) continue;
    out.push_back(l);
  }
  return out;
}

Status LoadBalancing::DeleteListener(const std::string& arn) {
  auto it = std::find_if(listeners_.begin(), listeners_.end(),
                         [&](const Listener& l) { return l.arn == arn; });
  if (it == listeners_.end()) return NotFound("Listener '" + arn + "' not found", kListener);
  std::string tg = it->target_group_arn;
  listeners_.erase(it);
  StopListener(arn, tg);
  return Save();
}

}  // namespace berth::lb
