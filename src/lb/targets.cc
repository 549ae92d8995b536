// LoadBalancing: targets — registration, draining and health (the ECS scheduler's interface).
#include <algorithm>

#include "lb/engine.h"
#include "lb/lb_errors.h"
#include "lb/load_balancing.h"
#include "lb/validate.h"

namespace berth::lb {

Status LoadBalancing::RegisterTargets(const std::string& target_group_arn,
                                      const std::vector<TargetRef>& targets) {
  const TargetGroup* tg = FindTargetGroup(target_group_arn);
  if (!tg) return NotFound("Target group '" + target_group_arn + "' not found", kTargetGroup);
  std::vector<TargetKey> keys;
  for (const auto& t : targets) {
    TargetKey key;
    BERTH_RETURN_IF_ERROR(ValidateTarget(t, tg->port, &key));
    keys.push_back(key);
  }
  auto& recs = targets_[target_group_arn];
  for (const auto& key : keys) {
    auto it = recs.find(key);
    if (it != recs.end() && !it->second.draining) continue;
    uint64_t generation = next_generation_++;
    recs[key] = {generation, false};
    PostToLb([this, target_group_arn, key, generation] {
      engine_->AddTarget(target_group_arn, key, generation);
    });
  }
  return Save();
}

Status LoadBalancing::DeregisterTargets(const std::string& target_group_arn,
                                        const std::vector<TargetRef>& targets,
                                        std::function<void()> drained) {
  const TargetGroup* tg = FindTargetGroup(target_group_arn);
  if (!tg) return NotFound("Target group '" + target_group_arn + "' not found", kTargetGroup);
  auto& recs = targets_[target_group_arn];
  std::vector<TargetKey> keys;
  std::string missing;
  for (const auto& t : targets) {
    TargetKey key;
    BERTH_RETURN_IF_ERROR(ValidateTarget(t, tg->port, &key));
    if (!recs.count(key)) {
      missing += (missing.empty() ? "'" : ", '") + key.ip + ":" + std::to_string(key.port) + "'";
    }
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  if (!missing.empty()) {
    return InvalidArgument("The following targets are not registered in target group '" +
                           target_group_arn + "': " + missing, kTarget);
  }
  // `drained` runs once, on the control thread, after the last of these targets is gone.
  auto remaining = std::make_shared<size_t>(keys.size());
  auto done = std::make_shared<std::function<void()>>(std::move(drained));
  std::weak_ptr<bool> alive = alive_;
  for (const auto& key : keys) {
    TargetRecord& rec = recs[key];
    rec.draining = true;
    uint64_t generation = rec.generation;
    auto on_drained = [this, alive, target_group_arn, key, generation, remaining, done] {
      control_.Post([this, alive, target_group_arn, key, generation, remaining, done] {
        if (alive.expired()) return;
        auto g = targets_.find(target_group_arn);
        if (g != targets_.end()) {
          auto r = g->second.find(key);
          if (r != g->second.end() && r->second.generation == generation &&
              r->second.draining) {
            g->second.erase(r);
          }
        }
        if (--*remaining == 0 && *done) (*done)();
      });
    };
    PostToLb([this, target_group_arn, key, on_drained] {
      engine_->DrainTarget(target_group_arn, key, on_drained);
    });
  }
  if (keys.empty() && *done) control_.Post(*done);
  return Save();
}

Result<std::vector<TargetHealthDescription>> LoadBalancing::DescribeTargetHealth(
    const std::string& target_group_arn, const std::vector<TargetRef>& targets) const {
  const TargetGroup* tg = FindTargetGroup(target_group_arn);
  if (!tg) return NotFound("Target group '" + target_group_arn + "' not found", kTargetGroup);
  static const std::map<TargetKey, TargetRecord> kNone;
  auto git = targets_.find(target_group_arn);
  const auto& recs = git == targets_.end() ? kNone : git->second;
  std::vector<TargetKey> keys;
  if (targets.empty()) {
    std::vector<std::pair<uint64_t, TargetKey>> order;
    for (const auto& [key, rec] : recs) order.emplace_back(rec.generation, key);
    std::sort(order.begin(), order.end());
    for (auto& [g, key] : order) keys.push_back(key);
  } else {
    for (const auto& t : targets) {
      TargetKey key;
      BERTH_RETURN_IF_ERROR(ValidateTarget(t, tg->port, &key));
      keys.push_back(key);
    }
  }
  const bool in_use = InUse(target_group_arn);
  std::vector<TargetHealthDescription> out;
  for (const auto& key : keys) {
    TargetHealthDescription d;
    d.target = key;
    d.health_check_port = tg->health_check.port != 0 ? tg->health_check.port : key.port;
    auto r = recs.find(key);
    if (r == recs.end()) {
      d.health = NotRegisteredHealth();
    } else if (r->second.draining) {
      d.health = DrainingHealth();
    } else if (!in_use) {
      d.health = UnusedHealth();
    } else {
      auto h = board_.Get(target_group_arn, key, r->second.generation);
      d.health = h && h->state != HealthState::kUnused ? *h : InitialHealth();
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace berth::lb
