#include "ecs/control_plane.h"

#include <unistd.h>

#include <fstream>

namespace berth::ecs {

namespace {

int DetectMemoryMiB() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long long kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") return static_cast<int>(kb / 1024);
    in.ignore(1 << 10, '\n');
  }
  return 1024;
}

}  // namespace

ControlPlane::ControlPlane(Executor& executor, driver::Driver& driver, state::StateStore& store,
                           Options options)
    : executor_(executor), driver_(driver), store_(store), options_(std::move(options)) {
  if (options_.host_cpu_units == 0) {
    options_.host_cpu_units = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) * 1024;
  }
  if (options_.host_memory_mib == 0) options_.host_memory_mib = DetectMemoryMiB();
}

ControlPlane::~ControlPlane() {
  executor_.Cancel(purge_timer_);
  executor_.Cancel(service_timer_);
}

std::string ControlPlane::Arn(const std::string& region, const std::string& resource) const {
  return "arn:aws:ecs:" + region + ":" + options_.account_id + ":" + resource;
}

bool ControlPlane::OwnArn(const std::string& name_or_arn) const {
  if (name_or_arn.rfind("arn:", 0) != 0) return true;
  // arn:aws:ecs:REGION:ACCOUNT:...
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = name_or_arn.find(':', start);
    if (colon == std::string::npos) return false;
    parts.push_back(name_or_arn.substr(start, colon - start));
    start = colon + 1;
  }
  return parts[1] == "aws" && parts[2] == "ecs" && parts[4] == options_.account_id;
}

Status ControlPlane::Load() {
  auto clusters = store_.LoadClusters();
  if (!clusters.ok()) return clusters.status();
  clusters_ = std::move(*clusters);
  auto defs = store_.LoadTaskDefinitions();
  if (!defs.ok()) return defs.status();
  for (auto& td : *defs) {
    max_revision_[td.family] = std::max(max_revision_[td.family], td.revision);
    definitions_.push_back(std::make_unique<model::TaskDefinition>(std::move(td)));
  }
  auto tasks = store_.LoadTasks();
  if (!tasks.ok()) return tasks.status();
  TimeMs now = executor_.clock().NowMs();
  std::vector<std::string> adopted;
  for (auto& t : *tasks) {
    // A Docker container outlives the daemon: a task on the host's network, none or Docker's
    // bridge is taken back as it runs. Tasks with a namespace berth made are not: its wiring to
    // berth's bridge went with the previous daemon.
    const model::TaskDefinition* adopt_with = nullptr;
    bool own_namespace = t.network_mode == "awsvpc" ||
                         (t.network_mode == "bridge" && !driver_.BridgesTasks());
    if (!t.stopped() && t.driver == driver_.Name() && driver_.CanAdopt() && !own_namespace) {
      auto td = FindTaskDefinition(t.task_definition_arn);
      if (td.ok()) adopt_with = *td;
    }
    if (!t.stopped() && adopt_with == nullptr) {
      // The previous daemon went away while this task ran; the driver killed its processes
      // (they die with the daemon), so record what happened.
      for (auto& c : t.containers) {
        if (c.last_status != model::ContainerStatus::kStopped) {
          c.last_status = model::ContainerStatus::kStopped;
          if (c.reason.empty()) c.reason = "berth daemon exited while the container was running";
        }
      }
      t.desired_stopped = true;
      if (t.stopping_at == 0) t.stopping_at = now;
      t.last_status = model::TaskStatus::kStopped;
      t.execution_stopped_at = now;
      t.stopped_at = now;
      if (t.stopped_reason.empty()) {
        t.stopped_reason =
            "Task stopped because the berth daemon exited while it was running; its processes "
            "were ended";
      }
      ++t.version;
      BERTH_RETURN_IF_ERROR(store_.PutTask(t));
      PublishTaskEvent(t);  // a real change, made now: the task is STOPPED
    }
    auto entry = std::make_unique<TaskEntry>();
    entry->task = std::move(t);
    entry->task.change_seq = ++change_counter_;
    std::string id = entry->task.id;
    if (adopt_with != nullptr) {
      entry->runner = std::make_unique<runner::TaskRunner>(
          executor_, driver_, *adopt_with, entry->task, options_.runner,
          [this, id](const model::Task& task, bool state_change) {
            OnTaskChanged(id, task, state_change);
          });
      adopted.push_back(id);
    }
    task_order_.push_back(id);
    tasks_[id] = std::move(entry);
  }
  // Adopted once the loop runs: the HTTP server (task endpoints) listens by then.
  for (const auto& id : adopted) {
    executor_.Post([this, id] {
      auto it = tasks_.find(id);
      if (it != tasks_.end() && it->second->runner) it->second->runner->Adopt();
    });
  }
  auto services = store_.LoadServices();
  if (!services.ok()) return services.status();
  for (auto& s : *services) {
    s.change_seq = ++change_counter_;
    services_.push_back(std::make_unique<model::Service>(std::move(s)));
    // Its tasks ended with the previous daemon: the scheduler starts new ones.
    if (services_.back()->status != model::ServiceStatus::kInactive) {
      ScheduleReconcile(services_.back()->arn);
    }
  }
  if (!FindCluster("default").ok()) {
    auto c = CreateCluster(RequestContext{options_.default_region}, "default", {}, nullptr);
    if (!c.ok()) return c.status();
  }
  PurgeStoppedTasks();
  return Status::Ok();
}

void ControlPlane::Persist(model::Task& t) {
  t.change_seq = ++change_counter_;
  Status st = store_.PutTask(t);
  if (!st.ok()) fprintf(stderr, "berth: cannot store task %s: %s\n", t.id.c_str(), st.ToString().c_str());
}

void ControlPlane::PurgeStoppedTasks() {
  TimeMs cutoff = executor_.clock().NowMs() - options_.stopped_task_retention_ms;
  std::vector<std::string> keep;
  for (const auto& id : task_order_) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) continue;
    const model::Task& t = it->second->task;
    if (t.stopped() && !it->second->runner && t.stopped_at < cutoff) {
      (void)store_.DeleteTask(id);
      tasks_.erase(it);
      continue;
    }
    keep.push_back(id);
  }
  task_order_ = std::move(keep);
  executor_.Cancel(purge_timer_);
  purge_timer_ = executor_.RunAfter(60 * 1000, [this] { PurgeStoppedTasks(); });
}

Result<ControlPlane::TagTarget> ControlPlane::ResolveTagTarget(const std::string& arn) {
  if (arn.find(":cluster/") != std::string::npos) {
    auto* c = MutableCluster(arn);
    if (!c) return NotFound("Cluster not found.", Resource::kCluster);
    return TagTarget{&c->tags, [this, c] { return store_.PutCluster(*c); }};
  }
  if (arn.find(":task-definition/") != std::string::npos) {
    auto* td = MutableTaskDefinition(arn);
    if (!td) {
      return NotFound("The specified task definition does not exist.", Resource::kTaskDefinition);
    }
    return TagTarget{&td->tags, [this, td] { return store_.PutTaskDefinition(*td); }};
  }
  if (arn.find(":service/") != std::string::npos) {
    model::Service* s = nullptr;
    for (auto& c : clusters_) {
      if (!s) s = MutableService(c.arn, arn);
    }
    if (!s) return NotFound("Service not found.", Resource::kService);
    return TagTarget{&s->tags, [this, s] {
                       PersistService(*s);
                       return Status::Ok();
                     }};
  }
  if (arn.find(":task/") != std::string::npos) {
    auto* e = MutableTask(arn);
    if (!e) return InvalidArgument("The specified task does not exist.");
    return TagTarget{&e->task.tags, [this, e] {
                       Persist(e->task);
                       return Status::Ok();
                     }};
  }
  return InvalidArgument("The ARN provided is invalid.");
}

Status ControlPlane::TagResource(const std::string& arn, const model::Tags& tags) {
  auto target = ResolveTagTarget(arn);
  if (!target.ok()) return target.status();
  model::MergeTags(target->tags, tags);
  return target->persist();
}

Status ControlPlane::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  auto target = ResolveTagTarget(arn);
  if (!target.ok()) return target.status();
  model::RemoveTags(target->tags, keys);
  return target->persist();
}

Result<model::Tags> ControlPlane::ListTagsForResource(const std::string& arn) const {
  auto target = const_cast<ControlPlane*>(this)->ResolveTagTarget(arn);
  if (!target.ok()) return target.status();
  return *target->tags;
}

void ControlPlane::StopAllTasks(const std::string& reason, std::function<void()> done) {
  all_stopped_ = std::move(done);
  shutting_down_ = true;  // services must not replace what is being stopped
  for (auto& [id, e] : tasks_) {
    if (e->runner && !e->runner->done()) e->runner->Stop(model::StopCode::kUserInitiated, reason);
  }
  CheckAllStopped();
}

void ControlPlane::CheckAllStopped() {
  if (!all_stopped_) return;
  for (auto& [id, e] : tasks_) {
    if (e->runner) return;
  }
  auto done = std::move(all_stopped_);
  all_stopped_ = nullptr;
  done();
}

int ControlPlane::MaxStopTimeoutS() const {
  int m = 0;
  for (const auto& [id, e] : tasks_) {
    if (e->runner) m = std::max(m, e->runner->MaxStopTimeoutS());
  }
  return m;
}

Status ControlPlane::Reset() {
  for (auto& [id, e] : tasks_) e->runner.reset();
  driver_.KillAll();
  if (options_.networks != nullptr) {
    for (auto& [id, e] : tasks_) {
      options_.networks->Destroy(id);
      driver_.ReleaseTaskSandbox(id);
    }
  }
  tasks_.clear();
  task_order_.clear();
  client_tokens_.clear();
  services_.clear();
  service_runtime_.clear();
  pending_service_events_.clear();
  definitions_.clear();
  max_revision_.clear();
  clusters_.clear();
  BERTH_RETURN_IF_ERROR(store_.Reset());
  auto c = CreateCluster(RequestContext{options_.default_region}, "default", {}, nullptr);
  return c.ok() ? Status::Ok() : c.status();
}

}  // namespace berth::ecs
