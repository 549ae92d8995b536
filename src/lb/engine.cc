#include "lb/engine.h"

#include <utility>

namespace berth::lb {

Lease::Lease(std::shared_ptr<TargetSlot> slot) : slot_(std::move(slot)), id_(slot_->next_id++) {
  ++slot_->open;
}

Lease::~Lease() {
  slot_->closers.erase(id_);
  if (--slot_->open == 0 && slot_->on_idle) {
    auto idle = slot_->on_idle;  // it may clear itself
    idle();
  }
}

Engine::~Engine() { Shutdown(); }

void Engine::SetGroup(const std::string& arn, const GroupSettings& settings) {
  auto [it, created] = groups_.try_emplace(arn);
  Group& g = it->second;
  g.settings = settings;
  if (created) return;
  const HealthCheck& hc = settings.health_check;
  TimeMs soonest = lb_.clock().NowMs() + hc.interval_s * 1000LL;
  for (auto& [key, t] : g.targets) {
    t.tracker.SetThresholds(hc.healthy_threshold, hc.unhealthy_threshold);
    if (t.check_timer != 0 && t.next_check_ms > soonest) {
      ScheduleCheck(arn, g, key, t, hc.interval_s * 1000LL);
    }
  }
}

void Engine::RemoveGroup(const std::string& arn) {
  auto it = groups_.find(arn);
  if (it == groups_.end()) return;
  std::vector<std::function<void()>> drained;
  std::vector<std::function<void()>> closers;
  for (auto& [key, t] : it->second.targets) {
    StopChecks(t);
    CancelDrainTimers(t);
    t.slot->on_idle = nullptr;
    for (auto& [id, close] : t.slot->closers) closers.push_back(close);
    for (auto& d : t.drained) drained.push_back(std::move(d));
    board_.Erase(arn, key);
  }
  groups_.erase(it);
  if (routing_observer_) routing_observer_(arn);
  for (auto& c : closers) c();
  for (auto& d : drained) d();
}

void Engine::SetInUse(const std::string& arn, bool in_use) {
  auto it = groups_.find(arn);
  if (it == groups_.end() || it->second.in_use == in_use) return;
  Group& g = it->second;
  g.in_use = in_use;
  for (auto& [key, t] : g.targets) {
    if (t.draining) continue;
    StopChecks(t);
    if (in_use) {
      t.tracker.Restart();
      Publish(arn, key, t, InitialHealth());
      ScheduleCheck(arn, g, key, t, 0);
    } else {
      Publish(arn, key, t, UnusedHealth());
    }
  }
}

void Engine::AddTarget(const std::string& arn, const TargetKey& key, uint64_t generation) {
  auto git = groups_.find(arn);
  if (git == groups_.end() || shut_down_) return;
  Group& g = git->second;
  const HealthCheck& hc = g.settings.health_check;
  auto [it, created] = g.targets.try_emplace(key);
  Target& t = it->second;
  std::vector<std::function<void()>> drained;
  if (created) {
    t.slot = std::make_shared<TargetSlot>();
    t.slot->key = key;
  } else if (t.draining) {
    // Registered again while draining: the drain is over, the target starts afresh.
    CancelDrainTimers(t);
    t.slot->on_idle = nullptr;
    t.draining = false;
    drained = std::move(t.drained);
    t.drained.clear();
  } else {
    t.generation = generation;
    Publish(arn, key, t, g.in_use ? t.tracker.health() : UnusedHealth());
    return;
  }
  StopChecks(t);
  t.generation = generation;
  t.tracker = HealthTracker(hc.healthy_threshold, hc.unhealthy_threshold);
  if (g.in_use) {
    Publish(arn, key, t, InitialHealth());
    ScheduleCheck(arn, g, key, t, 0);
  } else {
    Publish(arn, key, t, UnusedHealth());
  }
  for (auto& d : drained) d();
}

void Engine::DrainTarget(const std::string& arn, const TargetKey& key,
                         std::function<void()> drained) {
  auto git = groups_.find(arn);
  auto it =
      git == groups_.end() ? decltype(git->second.targets.end()){} : git->second.targets.find(key);
  if (git == groups_.end() || it == git->second.targets.end()) {
    if (drained) drained();
    return;
  }
  Target& t = it->second;
  if (drained) t.drained.push_back(std::move(drained));
  if (t.draining) return;
  t.draining = true;
  StopChecks(t);
  Publish(arn, key, t, DrainingHealth());
  // As on AWS, the drain ends as soon as no connection is open.
  if (Idle(arn, t)) return FinishDrain(arn, key, false);
  const uint64_t generation = t.generation;
  if (tracked_connections_) PollIdle(arn, key, t);
  t.slot->on_idle = [this, arn, key, generation] {
    // Runs inside a Lease's destructor: finish on a later turn, outside the caller's frame.
    lb_.Post([this, arn, key, generation] {
      auto g = groups_.find(arn);
      if (g == groups_.end()) return;
      auto tt = g->second.targets.find(key);
      if (tt == g->second.targets.end() || tt->second.generation != generation ||
          !tt->second.draining || !Idle(arn, tt->second)) {
        return;
      }
      FinishDrain(arn, key, false);
    });
  };
  int64_t delay_ms = git->second.settings.deregistration_delay_s * 1000LL;
  if (delay_ms == 0) return FinishDrain(arn, key, true);
  t.drain_timer = lb_.RunAfter(delay_ms, [this, arn, key, generation] {
    auto g = groups_.find(arn);
    if (g == groups_.end()) return;
    auto tt = g->second.targets.find(key);
    if (tt == g->second.targets.end() || tt->second.generation != generation) return;
    tt->second.drain_timer = 0;
    FinishDrain(arn, key, true);
  });
}

bool Engine::Idle(const std::string& arn, const Target& t) const {
  if (t.slot->open > 0) return false;
  return !tracked_connections_ || tracked_connections_(arn, t.slot->key) == 0;
}

void Engine::PollIdle(const std::string& arn, const TargetKey& key, Target& t) {
  constexpr int64_t kPollMs = 1000;
  const uint64_t generation = t.generation;
  t.idle_poll_timer = lb_.RunAfter(kPollMs, [this, arn, key, generation] {
    auto g = groups_.find(arn);
    if (g == groups_.end()) return;
    auto tt = g->second.targets.find(key);
    if (tt == g->second.targets.end() || tt->second.generation != generation ||
        !tt->second.draining) {
      return;
    }
    tt->second.idle_poll_timer = 0;
    if (Idle(arn, tt->second)) return FinishDrain(arn, key, false);
    PollIdle(arn, key, tt->second);
  });
}

void Engine::CancelDrainTimers(Target& t) {
  lb_.Cancel(t.drain_timer);
  lb_.Cancel(t.idle_poll_timer);
  t.drain_timer = 0;
  t.idle_poll_timer = 0;
}

void Engine::FinishDrain(const std::string& arn, const TargetKey& key, bool close_connections) {
  Group& g = groups_.at(arn);
  auto it = g.targets.find(key);
  Target& t = it->second;
  CancelDrainTimers(t);
  t.slot->on_idle = nullptr;
  std::vector<std::function<void()>> closers;
  if (close_connections) {
    for (auto& [id, close] : t.slot->closers) closers.push_back(close);
  }
  std::vector<std::function<void()>> drained = std::move(t.drained);
  g.targets.erase(it);
  board_.Erase(arn, key);
  for (auto& c : closers) c();
  for (auto& d : drained) d();
}

std::vector<TargetKey> Engine::Routable(const std::string& arn) const {
  std::vector<TargetKey> out;
  auto git = groups_.find(arn);
  if (git == groups_.end() || !git->second.in_use) return out;
  for (const auto& [key, t] : git->second.targets) {
    if (!t.draining && t.tracker.healthy()) out.push_back(key);
  }
  return out;
}

std::unique_ptr<Lease> Engine::Pick(const std::string& arn) {
  auto git = groups_.find(arn);
  if (git == groups_.end() || !git->second.in_use) return nullptr;
  Group& g = git->second;
  // Few targets per group: a linear pass per new connection is cheaper than keeping an index.
  std::vector<Target*> healthy;
  healthy.reserve(g.targets.size());
  for (auto& [key, t] : g.targets) {
    if (!t.draining && t.tracker.healthy()) healthy.push_back(&t);
  }
  if (healthy.empty()) return nullptr;
  Target* t = healthy[g.next++ % healthy.size()];
  return std::make_unique<Lease>(t->slot);
}

void Engine::Shutdown() {
  shut_down_ = true;
  for (auto& [arn, g] : groups_) {
    for (auto& [key, t] : g.targets) {
      StopChecks(t);
      CancelDrainTimers(t);
      t.slot->on_idle = nullptr;
    }
  }
  groups_.clear();
}

int Engine::OpenConnections(const std::string& arn, const TargetKey& key) const {
  auto g = groups_.find(arn);
  if (g == groups_.end()) return 0;
  auto t = g->second.targets.find(key);
  return t == g->second.targets.end() ? 0 : t->second.slot->open;
}

bool Engine::HasTarget(const std::string& arn, const TargetKey& key) const {
  auto g = groups_.find(arn);
  return g != groups_.end() && g->second.targets.count(key) > 0;
}

void Engine::ScheduleCheck(const std::string& arn, Group& g, const TargetKey& key, Target& t,
                           int64_t delay_ms) {
  lb_.Cancel(t.check_timer);
  t.next_check_ms = lb_.clock().NowMs() + delay_ms;
  const uint64_t generation = t.generation;
  t.check_timer =
      lb_.RunAfter(delay_ms, [this, arn, key, generation] { RunCheck(arn, key, generation); });
}

void Engine::RunCheck(const std::string& arn, const TargetKey& key, uint64_t generation) {
  auto git = groups_.find(arn);
  if (git == groups_.end() || shut_down_) return;
  Group& g = git->second;
  auto it = g.targets.find(key);
  if (it == g.targets.end()) return;
  Target& t = it->second;
  if (t.generation != generation || t.draining || !g.in_use) return;
  t.check_timer = 0;
  const HealthCheck& hc = g.settings.health_check;
  ProbeSpec spec;
  spec.ip = key.ip;
  spec.port = hc.port != 0 ? hc.port : key.port;
  spec.http = hc.protocol == Protocol::kHttp;
  spec.path = hc.path.empty() ? "/" : hc.path;
  spec.timeout_ms = hc.timeout_s * 1000;
  spec.matcher = hc.matcher;
  const uint64_t seq = ++t.probe_seq;
  ScheduleCheck(arn, g, key, t, hc.interval_s * 1000LL);
  prober_.Probe(spec, [this, arn, key, generation, seq](ProbeResult r) {
    OnProbe(arn, key, generation, seq, r);
  });
}

void Engine::OnProbe(const std::string& arn, const TargetKey& key, uint64_t generation,
                     uint64_t seq, const ProbeResult& r) {
  auto git = groups_.find(arn);
  if (git == groups_.end() || shut_down_) return;
  auto it = git->second.targets.find(key);
  if (it == git->second.targets.end()) return;
  Target& t = it->second;
  if (t.generation != generation || t.probe_seq != seq || t.draining || !git->second.in_use) {
    return;
  }
  if (t.tracker.Apply(r)) Publish(arn, key, t, t.tracker.health());
}

void Engine::StopChecks(Target& t) {
  lb_.Cancel(t.check_timer);
  t.check_timer = 0;
  ++t.probe_seq;  // a probe in flight no longer counts
}

void Engine::Publish(const std::string& arn, const TargetKey& key, const Target& t,
                     const TargetHealth& h) {
  board_.Set(arn, key, t.generation, h);
  if (routing_observer_ && !shut_down_) routing_observer_(arn);
}

}  // namespace berth::lb
