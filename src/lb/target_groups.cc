// LoadBalancing: target groups and their attributes.
#include <algorithm>

#include "lb/arn.h"
#include "lb/engine.h"
#include "lb/lb_errors.h"
#include "lb/load_balancing.h"
#include "lb/validate.h"

namespace berth::lb {

namespace {

constexpr char kDeregistrationDelay[] = "deregistration_delay.timeout_seconds";

// Attributes berth reports with their fixed values: accepted when a request sets the same value.
std::vector<std::pair<std::string, std::string>> FixedAttributes(const TargetGroup& tg) {
  if (tg.protocol == Protocol::kTcp) {
    return {{"stickiness.enabled", "false"},
            {"stickiness.type", "source_ip"},
            {"proxy_protocol_v2.enabled", "false"},
            {"preserve_client_ip.enabled", "false"}};
  }
  return {{"stickiness.enabled", "false"},
          {"stickiness.type", "lb_cookie"},
          {"stickiness.lb_cookie.duration_seconds", "86400"},
          {"slow_start.duration_seconds", "0"},
          {"load_balancing.algorithm.type", "round_robin"}};
}

}  // namespace

Result<TargetGroup> LoadBalancing::CreateTargetGroup(const TargetGroupSpec& spec,
                                                     const std::string& region) {
  BERTH_RETURN_IF_ERROR(ValidateTargetGroupName(spec.name));
  std::string target_type = spec.target_type.empty() ? "instance" : spec.target_type;
  if (target_type != "instance" && target_type != "ip") {
    return InvalidArgument("Target type '" + target_type +
                           "' is not supported by berth (only 'ip' and 'instance')");
  }
  if (!spec.protocol) return InvalidArgument("A protocol must be specified");
  if (!spec.port) return InvalidArgument("A port must be specified");
  if (*spec.port < 1 || *spec.port > 65535) {
    return InvalidArgument("1 validation error detected: Value '" + std::to_string(*spec.port) +
                           "' at 'port' failed to satisfy constraint: Member must have value "
                           "between 1 and 65535");
  }
  TargetGroup tg;
  tg.name = spec.name;
  tg.protocol = *spec.protocol;
  tg.port = static_cast<int>(*spec.port);
  tg.vpc_id = spec.vpc_id;
  tg.target_type = target_type;
  tg.health_check = DefaultHealthCheck(tg.protocol);
  BERTH_RETURN_IF_ERROR(ApplyHealthCheckPatch(spec.health_check, tg.protocol, &tg.health_check));
  BERTH_RETURN_IF_ERROR(ValidateTags(spec.tags));
  for (const auto& other : target_groups_) {
    if (other.name != spec.name) continue;
    // CreateTargetGroup is idempotent: the same settings return the existing group.
    const HealthCheck& a = other.health_check;
    const HealthCheck& b = tg.health_check;
    if (other.protocol == tg.protocol && other.port == tg.port &&
        other.target_type == tg.target_type && a.protocol == b.protocol && a.port == b.port &&
        a.path == b.path && a.interval_s == b.interval_s && a.timeout_s == b.timeout_s &&
        a.healthy_threshold == b.healthy_threshold &&
        a.unhealthy_threshold == b.unhealthy_threshold && a.matcher.text() == b.matcher.text()) {
      return other;
    }
    {
      return Status(Code::kAlreadyExists,
                    "A target group with the same name '" + spec.name + "' exists, but with "
                    "different settings",
                    kTargetGroup);
    }
  }
  tg.arn = NewTargetGroupArn(region, options_.account_id, spec.name);
  tg.created_ms = control_.clock().NowMs();
  tg.tags = spec.tags;
  target_groups_.push_back(tg);
  targets_[tg.arn];
  PushGroup(tg);
  BERTH_RETURN_IF_ERROR(Save());
  return tg;
}

Result<std::vector<TargetGroup>> LoadBalancing::DescribeTargetGroups(
    const std::string& load_balancer_arn, const std::vector<std::string>& arns,
    const std::vector<std::string>& names) const {
  if (!arns.empty() && !names.empty()) {
    return InvalidArgument("Target group names and target group ARNs cannot be specified at the "
                           "same time");
  }
  if (!load_balancer_arn.empty() && !FindLoadBalancer(load_balancer_arn)) {
    return NotFound("Load balancer '" + load_balancer_arn + "' not found", kLoadBalancer);
  }
  for (const auto& a : arns) {
    if (!FindTargetGroup(a)) return NotFound("One or more target groups not found", kTargetGroup);
  }
  for (const auto& n : names) {
    bool found = std::any_of(target_groups_.begin(), target_groups_.end(),
                             [&](const TargetGroup& tg) { return tg.name == n; });
    if (!found) return NotFound("One or more target groups not found", kTargetGroup);
  }
  std::vector<TargetGroup> out;
  for (const auto& tg : target_groups_) {
    if (!arns.empty() && std::find(arns.begin(), arns.end(), tg.arn) == arns.end()) continue;
    if (!names.empty() && std::find(names.begin(), names.end(), tg.name) == names.end()) continue;
    if (!load_balancer_arn.empty()) {
      auto lbs = LoadBalancersOfTargetGroup(tg.arn);
      if (std::find(lbs->begin(), lbs->end(), load_balancer_arn) == lbs->end()) continue;
    }
    out.push_back(tg);
  }
  return out;
}

Result<TargetGroup> LoadBalancing::ModifyTargetGroup(const std::string& arn,
                                                     const HealthCheckPatch& patch) {
  TargetGroup* tg = FindTargetGroup(arn);
  if (!tg) return NotFound("Target group '" + arn + "' not found", kTargetGroup);
  HealthCheck hc = tg->health_check;
  BERTH_RETURN_IF_ERROR(ApplyHealthCheckPatch(patch, tg->protocol, &hc));
  tg->health_check = hc;
  PushGroup(*tg);
  BERTH_RETURN_IF_ERROR(Save());
  return *tg;
}

Status LoadBalancing::DeleteTargetGroup(const std::string& arn) {
  auto it = std::find_if(target_groups_.begin(), target_groups_.end(),
                         [&](const TargetGroup& tg) { return tg.arn == arn; });
  if (it == target_groups_.end()) {
    if (KindOfArn(arn) != ArnKind::kTargetGroup) {
      return InvalidArgument("'" + arn + "' is not a valid target group ARN");
    }
    return Status::Ok();  // AWS: deleting a group that is gone succeeds
  }
  for (const auto& l : listeners_) {
    if (l.target_group_arn == arn) {
      return FailedPrecondition("Target group '" + arn +
                                "' is currently in use by a listener or a rule");
    }
  }
  target_groups_.erase(it);
  targets_.erase(arn);
  PostToLb([this, arn] { engine_->RemoveGroup(arn); });
  return Save();
}

Result<std::vector<std::pair<std::string, std::string>>>
LoadBalancing::DescribeTargetGroupAttributes(const std::string& arn) const {
  const TargetGroup* tg = FindTargetGroup(arn);
  if (!tg) return NotFound("Target group '" + arn + "' not found", kTargetGroup);
  std::vector<std::pair<std::string, std::string>> out = {
      {kDeregistrationDelay, std::to_string(tg->deregistration_delay_s)}};
  for (auto& a : FixedAttributes(*tg)) out.push_back(std::move(a));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>>
LoadBalancing::ModifyTargetGroupAttributes(
    const std::string& arn, const std::vector<std::pair<std::string, std::string>>& attributes) {
  TargetGroup* tg = FindTargetGroup(arn);
  if (!tg) return NotFound("Target group '" + arn + "' not found", kTargetGroup);
  int delay = tg->deregistration_delay_s;
  auto fixed = FixedAttributes(*tg);
  for (const auto& [key, value] : attributes) {
    if (key == kDeregistrationDelay) {
      bool digits = !value.empty() && value.size() <= 4;
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      if (!digits || std::stoi(value) > 3600) {
        return InvalidArgument("The value of '" + key + "' must be an integer between 0 and 3600");
      }
      delay = std::stoi(value);
      continue;
    }
    const std::string& name = key;  // clang 14 cannot capture a structured binding
    auto f = std::find_if(fixed.begin(), fixed.end(), [&](auto& p) { return p.first == name; });
    if (f == fixed.end()) {
      return InvalidArgument("Target group attribute key '" + key + "' is not recognized");
    }
    if (f->second != value) {
      return Conflict("berth supports target group attribute '" + key + "' only with the value '" +
                      f->second + "'");
    }
  }
  tg->deregistration_delay_s = delay;
  PushGroup(*tg);
  BERTH_RETURN_IF_ERROR(Save());
  return DescribeTargetGroupAttributes(arn);
}

}  // namespace berth::lb
