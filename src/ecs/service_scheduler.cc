// ControlPlane: the service scheduler (spec/ecs.md §6). ReconcileService looks at a service's
// tasks and moves them one step toward what the service wants:
//
//   desiredCount tasks of the PRIMARY deployment RUNNING and healthy, older deployments
//   drained, within   upper = floor(D × maximumPercent / 100)  tasks alive at once and
//                     lower = ceil(D × minimumHealthyPercent / 100)  healthy tasks kept.
//
// It runs after every change of a service task, after each service API call, and on a 1 s
// tick for the time-based rules (the 40 s warm-up of tasks without health checks, restart
// back-off). A task "alive" is any task not yet STOPPED, including one being stopped, so a
// singleton service (max 100 %, min 0 %) never has two tasks at once.
#include <cmath>

#include "ecs/control_plane.h"
#include "ecs/ecs_events.h"
#include "model/service_json.h"

namespace berth::ecs {

namespace {

std::string RegionOf(const std::string& arn) {
  // arn:aws:ecs:REGION:…
  size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
  size_t b = arn.find(':', a + 1);
  return a == std::string::npos || b == std::string::npos ? "" : arn.substr(a + 1, b - a - 1);
}

std::string TaskList(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "(task " : " (task ") + id + ")";
  return out;
}

constexpr int64_t kSteadyRepostMs = 6LL * 3600 * 1000;
constexpr int64_t kStuckRepostMs = 60 * 1000;
constexpr int64_t kMaxBackoffMs = 15 * 60 * 1000;

}  // namespace

void ControlPlane::ScheduleReconcile(const std::string& service_arn) {
  auto& rt = service_runtime_[service_arn];
  if (rt.reconcile_posted) return;
  rt.reconcile_posted = true;
  executor_.Post([this, service_arn] {
    service_runtime_[service_arn].reconcile_posted = false;
    for (auto& s : services_) {
      if (s->arn == service_arn && s->status != model::ServiceStatus::kInactive) {
        ReconcileService(*s);
      }
    }
  });
  if (service_timer_ == 0) {
    service_timer_ = executor_.RunAfter(options_.service_tick_ms, [this] { ServiceTick(); });
  }
}

void ControlPlane::ServiceTick() {
  service_timer_ = 0;
  bool any = false;
  for (auto& s : services_) {
    if (s->status == model::ServiceStatus::kInactive) continue;
    any = true;
    ReconcileService(*s);
  }
  if (any) service_timer_ = executor_.RunAfter(options_.service_tick_ms, [this] { ServiceTick(); });
}

std::optional<LbTarget> ControlPlane::TaskTarget(const model::Task& t,
                                                 const model::ServiceLoadBalancer& lb) const {
  if (lb.container_port <= 0) return std::nullopt;
  if (t.network_mode == "bridge" && t.private_ipv4.empty()) {
    // On the driver's bridge: the port the container published on the host, as ECS registers
    // the instance and its (dynamic) hostPort.
    for (const auto& c : t.containers) {
      if (c.name != lb.container_name || !c.network_bindings.is_array()) continue;
      for (const auto& b : c.network_bindings) {
        if (b.value("containerPort", 0) == lb.container_port && b.value("hostPort", 0) > 0) {
          return LbTarget{"127.0.0.1", b.value("hostPort", 0)};
        }
      }
    }
    return std::nullopt;  // not started yet
  }
  return LbTarget{t.private_ipv4.empty() ? "127.0.0.1" : t.private_ipv4, lb.container_port};
}

bool ControlPlane::ServiceTaskHealthy(const model::Service& s, const model::Task& t) const {
  if (t.last_status != model::TaskStatus::kRunning || t.desired_stopped) return false;
  bool has_check = false;
  for (const auto& c : t.containers) has_check = has_check || (c.essential && c.has_health_check);
  if (has_check && t.health_status != model::HealthStatus::kHealthy) return false;
  if (!s.load_balancers.empty()) {
    if (options_.load_balancing == nullptr) return false;
    for (const auto& lb : s.load_balancers) {
      auto target = TaskTarget(t, lb);
      if (!target || options_.load_balancing->TargetState(lb.target_group_arn, *target) != "healthy") {
        return false;
      }
    }
    return true;
  }
  if (has_check) return true;
  return executor_.clock().NowMs() - t.started_at >= options_.service_task_warmup_ms;
}

void ControlPlane::StartServiceTasks(model::Service& s, int count) {
  model::Deployment& d = *s.Primary();
  RunTaskRequest req;
  req.cluster = s.cluster_arn;
  req.task_definition = d.task_definition_arn;
  req.count = 1;
  req.launch_type = s.launch_type;
  req.started_by = d.id;
  req.group = "service:" + s.name;
  req.allow_inactive_definition = true;
  if (s.propagate_tags == "SERVICE") req.tags = s.tags;
  if (s.propagate_tags == "TASK_DEFINITION") {
    if (auto td = FindTaskDefinition(d.task_definition_arn); td.ok()) req.tags = (*td)->tags;
  }
  std::vector<std::string> started;
  std::string failure;
  std::string failure_arn;  // the container instance, for a placement failure
  for (int i = 0; i < count; ++i) {
    auto r = RunTask(RequestContext{RegionOf(s.arn)}, req);
    if (!r.ok()) {
      failure = r.status().message();
      break;
    }
    if (!r->failures.empty()) {
      failure = r->failures.front().reason;
      failure_arn = r->failures.front().arn;
      break;
    }
    for (const auto& t : r->tasks) {
      started.push_back(t.id);
      service_runtime_[s.arn].tasks[t.id].deployment_id = d.id;
    }
  }
  if (!started.empty()) {
    AddServiceEvent(s, "has started " + std::to_string(started.size()) +
                           " tasks: " + TaskList(started) + ".");
  }
  if (!failure.empty()) {
    AddServiceEvent(s, "was unable to place a task. Reason: " + failure + ".");
    // The scheduler retries every tick; EventBridge hears of a failure once a minute at most.
    ServiceRuntime& rt = service_runtime_[s.arn];
    TimeMs now = executor_.clock().NowMs();
    if (failure != rt.last_failure_event || now - rt.last_failure_event_at >= kStuckRepostMs) {
      rt.last_failure_event = failure;
      rt.last_failure_event_at = now;
      if (failure_arn.empty()) {
        QueueServiceEvent(ServiceActionEvent(s, ServiceEventType::kError,
                                             "SERVICE_TASK_CONFIGURATION_FAILURE", now, failure));
      } else {
        QueueServiceEvent(ServiceActionEvent(s, ServiceEventType::kError,
                                             "SERVICE_TASK_PLACEMENT_FAILURE", now, failure,
                                             {failure_arn}));
      }
    }
  }
}

void ControlPlane::StopServiceTask(model::Service& s, TaskEntry& e, StopKind kind,
                                   const std::string& reason) {
  if (!e.runner || e.task.desired_stopped) return;
  ServiceTask& st = service_runtime_[s.arn].tasks[e.task.id];
  st.stop_kind = kind;
  std::string id = e.task.id;
  if (!st.registered || s.load_balancers.empty() || options_.load_balancing == nullptr) {
    e.runner->Stop(model::StopCode::kServiceSchedulerInitiated, reason);
    return;
  }
  // Leave the target groups first (DEACTIVATING); the containers stop once drained.
  e.runner->Deactivate(model::StopCode::kServiceSchedulerInitiated, reason);
  auto remaining = std::make_shared<size_t>(s.load_balancers.size());
  for (const auto& lb : s.load_balancers) {
    auto target = TaskTarget(e.task, lb);
    auto drained = [this, id, remaining, reason] {
      if (--*remaining > 0) return;
      auto it = tasks_.find(id);
      if (it != tasks_.end() && it->second->runner) {
        it->second->runner->Stop(model::StopCode::kServiceSchedulerInitiated, reason);
      }
    };
    if (target) {
      options_.load_balancing->Deregister(lb.target_group_arn, *target, drained);
    } else {
      drained();
    }
  }
  AddServiceEvent(s, "has begun draining connections on 1 tasks.");
}

void ControlPlane::RegisterServiceTask(model::Service& s, TaskEntry& e) {
  ServiceTask& st = service_runtime_[s.arn].tasks[e.task.id];
  if (st.registered || s.load_balancers.empty() || options_.load_balancing == nullptr) return;
  st.registered = true;
  for (const auto& lb : s.load_balancers) {
    auto target = TaskTarget(e.task, lb);
    if (!target) continue;
    Status r = options_.load_balancing->Register(lb.target_group_arn, *target);
    if (r.ok()) {
      AddServiceEvent(s, "registered 1 targets in (target-group " + lb.target_group_arn + ")");
    } else {
      AddServiceEvent(s, "failed to register targets in (target-group " + lb.target_group_arn +
                             ") with (error " + r.message() + ")");
    }
  }
}

void ControlPlane::AccountStoppedServiceTasks(model::Service& s, ServiceRuntime& rt) {
  TimeMs now = executor_.clock().NowMs();
  for (auto it = rt.tasks.begin(); it != rt.tasks.end();) {
    auto te = tasks_.find(it->first);
    if (te != tasks_.end() && !te->second->task.stopped()) {
      ++it;
      continue;
    }
    const ServiceTask& st = it->second;
    // A task that stopped on its own while registered (a crash) leaves its target groups now.
    if (st.registered && st.stop_kind == StopKind::kNone && te != tasks_.end() &&
        options_.load_balancing != nullptr) {
      for (const auto& lb : s.load_balancers) {
        if (auto target = TaskTarget(te->second->task, lb)) {
          options_.load_balancing->Deregister(lb.target_group_arn, *target, [] {});
        }
      }
    }
    bool failed = st.stop_kind == StopKind::kUnhealthy ||
                  (st.stop_kind == StopKind::kNone && !st.ever_healthy);
    if (failed) {
      if (model::Deployment* d = s.FindDeployment(st.deployment_id)) {
        if (!d->had_healthy_task || st.stop_kind == StopKind::kUnhealthy) ++d->failed_tasks;
        d->updated_at = now;
      }
      ++rt.consecutive_failures;
      if (rt.consecutive_failures >= 3) {
        // Back off like ECS when tasks keep failing: 5 s, 10 s, 20 s, … up to 15 minutes.
        int64_t delay = std::min<int64_t>(kMaxBackoffMs, 5000LL << std::min(rt.consecutive_failures - 3, 10));
        rt.next_start_allowed = now + delay;
        if (!rt.throttle_event_posted) {
          AddServiceEvent(s, "is unable to consistently start tasks successfully.");
          QueueServiceEvent(
              ServiceActionEvent(s, ServiceEventType::kWarn, "SERVICE_TASK_START_IMPAIRED", now));
          rt.throttle_event_posted = true;
        }
      }
    }
    it = rt.tasks.erase(it);
  }
}

void ControlPlane::ReplaceUnhealthyServiceTasks(model::Service& s, ServiceRuntime& rt) {
  TimeMs now = executor_.clock().NowMs();
  for (TaskEntry* e : ServiceTasks(s)) {
    const model::Task& t = e->task;
    if (t.desired_stopped || t.last_status != model::TaskStatus::kRunning) continue;
    if (s.has_grace_period && now - t.started_at < s.health_check_grace_period_s * 1000LL) continue;
    if (t.health_status == model::HealthStatus::kUnhealthy) {
      AddServiceEvent(s, "(task " + t.id + ") failed container health checks.");
      StopServiceTask(s, *e, StopKind::kUnhealthy, "Task failed container health checks");
      continue;
    }
    if (options_.load_balancing == nullptr) continue;
    for (const auto& lb : s.load_balancers) {
      auto target = TaskTarget(t, lb);
      if (!target || !rt.tasks[t.id].registered) continue;
      if (options_.load_balancing->TargetState(lb.target_group_arn, *target) == "unhealthy") {
        AddServiceEvent(s, "(task " + t.id + ") (port " + std::to_string(target->port) +
                               ") is unhealthy in (target-group " + lb.target_group_arn +
                               ") due to (reason Health checks failed).");
        StopServiceTask(s, *e, StopKind::kUnhealthy,
                        "Task failed ELB health checks in (target-group " + lb.target_group_arn + ")");
        break;
      }
    }
  }
}

void ControlPlane::CheckCircuitBreaker(model::Service& s, ServiceRuntime& rt) {
  model::Deployment* p = s.Primary();
  const auto& config = s.deployment_configuration;
  if (p == nullptr || !config.circuit_breaker_enable) return;
  if (p->rollout_state != model::RolloutState::kInProgress || p->had_healthy_task) return;
  int threshold = std::min(200, std::max(3, static_cast<int>(std::ceil(0.5 * p->desired_count))));
  if (p->failed_tasks < threshold) return;
  p->rollout_state = model::RolloutState::kFailed;
  p->rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start.";
  p->updated_at = executor_.clock().NowMs();
  AddServiceEvent(s, "(deployment " + p->id + ") deployment failed: tasks failed to start.");
  QueueDeploymentEvent(s, *p);  // FAILED
  if (!config.circuit_breaker_rollback || s.last_completed_task_definition_arn.empty() ||
      s.last_completed_deployment_id == p->id) {
    return;  // FAILED stays PRIMARY and launches nothing more.
  }
  std::string old_id = s.last_completed_deployment_id;
  AddServiceEvent(s, "rolling back to deployment " + old_id + ".");
  s.task_definition_arn = s.last_completed_task_definition_arn;
  StartDeployment(s, NewDeployment(s, s.task_definition_arn,
                                   "ECS deployment circuit breaker: rolling back to deploymentId " +
                                       old_id + "."));
}

void ControlPlane::ReconcileService(model::Service& s) {
  if (shutting_down_) return;
  ServiceRuntime& rt = service_runtime_[s.arn];
  TimeMs now = executor_.clock().NowMs();
  std::string before = model::ServiceToStorage(s).dump();

  AccountStoppedServiceTasks(s, rt);
  // Health bookkeeping and target registration of RUNNING tasks.
  for (TaskEntry* e : ServiceTasks(s)) {
    ServiceTask& st = rt.tasks[e->task.id];
    if (st.deployment_id.empty()) st.deployment_id = e->task.started_by;
    if (e->task.last_status == model::TaskStatus::kRunning && !e->task.desired_stopped) {
      RegisterServiceTask(s, *e);
    }
    if (!st.ever_healthy && ServiceTaskHealthy(s, e->task)) {
      st.ever_healthy = true;
      rt.consecutive_failures = 0;
      rt.next_start_allowed = 0;
      rt.throttle_event_posted = false;
      if (model::Deployment* d = s.FindDeployment(st.deployment_id); d && !d->had_healthy_task) {
        d->had_healthy_task = true;
        d->failed_tasks = 0;  // the circuit breaker stops counting once a task is healthy
      }
    }
  }
  ReplaceUnhealthyServiceTasks(s, rt);
  CheckCircuitBreaker(s, rt);
  if (!pending_service_events_.empty()) {
    // Commit and publish what happened so far (a FAILED deployment and its rollback) before
    // the tasks started below publish theirs.
    PersistService(s);
    before = model::ServiceToStorage(s).dump();
  }

  model::Deployment* primary = s.Primary();
  std::vector<TaskEntry*> alive = ServiceTasks(s);
  const int desired = s.status == model::ServiceStatus::kActive ? s.desired_count : 0;
  const auto& config = s.deployment_configuration;
  const int upper = desired * config.maximum_percent / 100;
  const int lower = (desired * config.minimum_healthy_percent + 99) / 100;
  bool acted = false;

  // What minimumHealthyPercent protects: healthy tasks, and old tasks that are RUNNING and not
  // (yet) judged unhealthy — an old task still in its health-check start-up is serving.
  auto serving = [&](const model::Task& t) {
    if (ServiceTaskHealthy(s, t)) return true;
    bool old = !primary || t.started_by != primary->id;
    return old && t.last_status == model::TaskStatus::kRunning &&
           t.health_status != model::HealthStatus::kUnhealthy;
  };
  std::vector<TaskEntry*> primary_active, old_active;
  int healthy = 0;
  for (TaskEntry* e : alive) {
    if (e->task.desired_stopped) continue;
    if (serving(e->task)) ++healthy;
    (primary && e->task.started_by == primary->id ? primary_active : old_active).push_back(e);
  }

  // Too many tasks of the primary (scale-in): stop the least useful first.
  if (primary && static_cast<int>(primary_active.size()) > desired) {
    std::stable_sort(primary_active.begin(), primary_active.end(), [&](TaskEntry* a, TaskEntry* b) {
      return serving(a->task) < serving(b->task);
    });
    std::vector<std::string> stopped;
    while (static_cast<int>(primary_active.size()) > desired) {
      TaskEntry* e = primary_active.front();
      primary_active.erase(primary_active.begin());
      if (serving(e->task)) --healthy;
      stopped.push_back(e->task.id);
      StopServiceTask(s, *e, StopKind::kScale,
                      "Scaling activity initiated by (deployment " + primary->id + ")");
    }
    AddServiceEvent(s, "has stopped " + std::to_string(stopped.size()) +
                           " running tasks: " + TaskList(stopped) + ".");
    acted = true;
  }

  // Older deployments' tasks: stop while the serving count stays ≥ lower (unhealthy or still
  // pending ones at any time), but never in favour of a FAILED primary.
  bool primary_failed = primary && primary->rollout_state == model::RolloutState::kFailed;
  if (!old_active.empty() && (!primary_failed || s.status != model::ServiceStatus::kActive)) {
    std::stable_sort(old_active.begin(), old_active.end(), [&](TaskEntry* a, TaskEntry* b) {
      return serving(a->task) < serving(b->task);
    });
    std::vector<std::string> stopped;
    for (TaskEntry* e : old_active) {
      if (serving(e->task)) {
        if (healthy - 1 < lower) continue;
        --healthy;
      }
      stopped.push_back(e->task.id);
      StopServiceTask(s, *e, StopKind::kScale,
                      "Scaling activity initiated by (deployment " +
                          (primary ? primary->id : std::string("")) + ")");
    }
    if (!stopped.empty()) {
      AddServiceEvent(s, "has stopped " + std::to_string(stopped.size()) +
                             " running tasks: " + TaskList(stopped) + ".");
      acted = true;
    }
  }

  // Start the primary's missing tasks within the maximumPercent bound.
  alive = ServiceTasks(s);
  if (primary && s.status == model::ServiceStatus::kActive && !primary_failed) {
    int missing = desired - static_cast<int>(primary_active.size());
    int room = upper - static_cast<int>(alive.size());
    int n = std::min(missing, room);
    if (n > 0 && now >= rt.next_start_allowed) {
      StartServiceTasks(s, n);
      acted = true;
    } else if (missing > 0 && room <= 0) {
      // Stuck only when nothing is on its way out and no new task is still becoming healthy
      // (which would let an old one go).
      bool moving = false;
      for (TaskEntry* e : alive) moving = moving || e->task.desired_stopped;
      for (TaskEntry* e : primary_active) moving = moving || !ServiceTaskHealthy(s, e->task);
      if (!moving && now - rt.last_stuck_event >= kStuckRepostMs) {
        AddServiceEvent(s,
                        "was unable to stop or start tasks during a deployment because of the "
                        "service deployment configuration. Update the minimumHealthyPercent or "
                        "maximumPercent value and try again.");
        rt.last_stuck_event = now;
      }
    }
  }

  // Counts per deployment; deployments with nothing left leave the array.
  alive = ServiceTasks(s);
  for (auto& d : s.deployments) {
    d.running_count = d.pending_count = 0;
    for (TaskEntry* e : alive) {
      if (e->task.started_by != d.id) continue;
      if (e->task.last_status == model::TaskStatus::kRunning) ++d.running_count;
      if (e->task.last_status < model::TaskStatus::kRunning && !e->task.desired_stopped) ++d.pending_count;
    }
  }
  for (auto it = s.deployments.begin(); it != s.deployments.end();) {
    bool has_tasks = false;
    for (TaskEntry* e : alive) has_tasks = has_tasks || e->task.started_by == it->id;
    if (it != s.deployments.begin() && !has_tasks) {
      it = s.deployments.erase(it);
    } else {
      ++it;
    }
  }
  primary = s.Primary();

  if (s.status == model::ServiceStatus::kDraining) {
    bool any_running = false;
    for (TaskEntry* e : alive) any_running = any_running || !e->task.desired_stopped;
    if (!any_running) s.status = model::ServiceStatus::kInactive;
  } else if (primary) {
    bool steady = s.deployments.size() == 1 && primary->running_count == desired &&
                  primary->rollout_state != model::RolloutState::kFailed && !acted;
    for (TaskEntry* e : alive) {
      steady = steady && !e->task.desired_stopped && ServiceTaskHealthy(s, e->task);
    }
    if (steady && primary->rollout_state == model::RolloutState::kInProgress) {
      primary->rollout_state = model::RolloutState::kCompleted;
      primary->rollout_state_reason = "ECS deployment " + primary->id + " completed.";
      primary->updated_at = now;
      s.last_completed_deployment_id = primary->id;
      s.last_completed_task_definition_arn = primary->task_definition_arn;
      AddServiceEvent(s, "(deployment " + primary->id + ") deployment completed.");
      QueueDeploymentEvent(s, *primary);  // COMPLETED
    }
    if (steady && (!rt.steady || now - rt.last_steady_event >= kSteadyRepostMs)) {
      AddServiceEvent(s, "has reached a steady state.");
      QueueServiceEvent(
          ServiceActionEvent(s, ServiceEventType::kInfo, "SERVICE_STEADY_STATE", now));
      rt.last_steady_event = now;
    }
    rt.steady = steady;
  }
  if (model::ServiceToStorage(s).dump() != before) PersistService(s);
  FlushServiceEvents();  // normally empty: every queued event comes with a change
}

}  // namespace berth::ecs
