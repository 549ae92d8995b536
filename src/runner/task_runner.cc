#include "runner/task_runner.h"

#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <map>

#include "runner/environment_file.h"
#include "runner/log_config.h"

namespace berth::runner {

using model::ContainerStatus;
using model::DependencyCondition;
using model::HealthStatus;
using model::StopCode;
using model::TaskStatus;

// Runtime state of one probe (health-check command) in flight.
struct TaskRunner::Probe {
  std::string runtime_id;
  TimerId timeout_timer = 0;
  uint64_t seq = 0;  // which probe of the container: a late exit of an earlier one is ignored
};

// Runtime state of one container, beside its model::Container in task_.containers.
struct TaskRunner::ContainerRun {
  size_t index = 0;
  const model::ContainerDefinition* def = nullptr;
  std::vector<std::string> command;  // after overrides
  std::vector<std::pair<std::string, std::string>> env;  // what the process gets
  std::map<std::string, std::string> declared_env;  // the definition's, then the override's
  std::vector<model::EnvironmentFile> env_files;    // the override's list, else the definition's
  EnvironmentList endpoint_env;  // TaskEndpoints' variables (metadata, credentials)
  bool starting = false;          // the driver is starting it (StartAsync not answered yet)
  bool started = false;           // its process was started
  bool exited = false;            // its process ended (or it never will start)
  TimeMs started_at = 0;
  std::string runtime_id;
  bool start_timed_out = false;   // its startTimeout passed before dependents could start
  TimerId start_timer = 0;
  bool stop_signalled = false;
  TimerId kill_timer = 0;
  std::shared_ptr<logs::ContainerLog> log;  // null without a pipeline
  int consecutive_failures = 0;
  TimerId probe_timer = 0;
  std::unique_ptr<Probe> probe;
  uint64_t probe_seq = 0;
};

namespace {

std::vector<std::string> JsonStrings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const char* ConditionName(DependencyCondition c) {
  switch (c) {
    case DependencyCondition::kStart: return "START";
    case DependencyCondition::kComplete: return "COMPLETE";
    case DependencyCondition::kSuccess: return "SUCCESS";
    case DependencyCondition::kHealthy: return "HEALTHY";
  }
  return "START";
}

}  // namespace

TaskRunner::TaskRunner(Executor& executor, driver::Driver& driver,
                       model::TaskDefinition definition, model::Task task, RunnerOptions options,
                       ChangeCallback on_change)
    : executor_(executor),
      driver_(driver),
      definition_(std::move(definition)),
      task_(std::move(task)),
      options_(std::move(options)),
      on_change_(std::move(on_change)) {
  // Index the container overrides by name.
  std::map<std::string, const nlohmann::json*> overrides;
  const auto& co = task_.overrides.find("containerOverrides");
  if (co != task_.overrides.end() && co->is_array()) {
    for (const auto& o : *co) {
      if (o.is_object() && o.contains("name") && o["name"].is_string()) {
        overrides[o["name"].get<std::string>()] = &o;
      }
    }
  }
  for (size_t i = 0; i < definition_.containers.size(); ++i) {
    auto run = std::make_unique<ContainerRun>();
    run->index = i;
    run->def = &definition_.containers[i];
    run->command = run->def->command;
    // Environment, lowest precedence first: berth's base, the definition, the override (env
    // files and secrets join at Start).
    for (const auto& kv : run->def->environment) run->declared_env[kv.name] = kv.value;
    run->env_files = run->def->environment_files;
    auto it = overrides.find(run->def->name);
    if (it != overrides.end()) {
      const nlohmann::json& o = *it->second;
      if (o.contains("command") && o["command"].is_array()) run->command = JsonStrings(o["command"]);
      if (o.contains("environment") && o["environment"].is_array()) {
        for (const auto& kv : o["environment"]) {
          if (kv.is_object() && kv.contains("name") && kv["name"].is_string()) {
            run->declared_env[kv["name"].get<std::string>()] = kv.value("value", std::string());
          }
        }
      }
      // ECS: the override's environmentFiles are used instead of the definition's.
      if (o.contains("environmentFiles") && o["environmentFiles"].is_array()) {
        run->env_files.clear();
        for (const auto& f : o["environmentFiles"]) {
          if (f.is_object() && f.contains("value") && f["value"].is_string()) {
            run->env_files.push_back({f["value"].get<std::string>(), f.value("type", "s3")});
          }
        }
      }
    }
    std::map<std::string, std::string> env(options_.base_env.begin(), options_.base_env.end());
    for (const auto& [k, v] : run->declared_env) env[k] = v;
    run->env.assign(env.begin(), env.end());
    runs_.push_back(std::move(run));
  }
}

TaskRunner::~TaskRunner() {
  for (auto& r : runs_) {
    executor_.Cancel(r->start_timer);
    executor_.Cancel(r->kill_timer);
    executor_.Cancel(r->probe_timer);
    if (r->probe) {
      executor_.Cancel(r->probe->timeout_timer);
      (void)driver_.Signal(r->probe->runtime_id, SIGKILL);
    }
  }
}

std::function<void()> TaskRunner::Guard(std::function<void()> fn) {
  std::weak_ptr<int> alive = alive_;
  return [alive, fn = std::move(fn)] {
    if (alive.lock()) fn();
  };
}

void TaskRunner::Start() {
  TimeMs now = executor_.clock().NowMs();
  task_.pull_started_at = now;
  if (!driver_.RunsImages()) {
    // The process driver records the image rather than pulling it: the "pull" is instant.
    task_.pull_stopped_at = now;
  }
  Changed(false);
  if (options_.endpoints != nullptr) {
    auto by_container = options_.endpoints->Open(task_, definition_, netns_fd_, {});
    endpoints_open_ = true;
    for (auto& r : runs_) {
      r->endpoint_env = std::move(by_container[r->def->name]);
      std::map<std::string, std::string> env = BaseEnvironment(*r);
      for (const auto& [k, v] : r->declared_env) env[k] = v;
      r->env.assign(env.begin(), env.end());
    }
  }
  if (!ResolveConfiguration()) return;
  if (driver_.RunsImages()) return PrepareImages();
  Evaluate();
}

void TaskRunner::PrepareImages() {
  // Each image once, with the registry credentials of a container that names them
  // (repositoryCredentials.credentialsParameter: a Secrets Manager secret holding
  // {"username","password"}).
  std::map<std::string, std::string> images;  // image → registry auth JSON
  const auto& defs = definition_.document.find("containerDefinitions");
  for (const auto& r : runs_) {
    std::string& auth = images[r->def->image];
    if (defs == definition_.document.end() || !defs->is_array() || r->index >= defs->size()) {
      continue;
    }
    const nlohmann::json& cd = (*defs)[r->index];
    auto rc = cd.find("repositoryCredentials");
    if (rc == cd.end() || !rc->is_object()) continue;
    auto param = rc->find("credentialsParameter");
    if (param == rc->end() || !param->is_string()) continue;
    std::string parameter = param->get<std::string>();
    auto value = options_.config ? options_.config->ResolveSecret(parameter)
                                 : Result<std::string>(FailedPrecondition(
                                       "this daemon has no store for secrets"));
    if (!value.ok()) {
      Stop(StopCode::kTaskFailedToStart,
           "ResourceInitializationError: unable to pull secrets or registry auth: execution "
           "resource retrieval failed: " + value.status().message());
      return;
    }
    auth = *value;
  }
  auto pending = std::make_shared<size_t>(images.size());
  auto failure = std::make_shared<std::string>();
  for (const auto& [image, auth] : images) {
    driver_.PrepareImage(image, auth, GuardStatus([this, pending, failure](Status st) {
      if (!st.ok() && failure->empty()) *failure = st.message();
      if (--*pending > 0 || task_.stopped()) return;
      task_.pull_stopped_at = executor_.clock().NowMs();
      if (!failure->empty()) {
        for (auto& r : runs_) task_.containers[r->index].reason = *failure;
        Stop(StopCode::kTaskFailedToStart, *failure);
        return;
      }
      Changed(false);
      Evaluate();
    }));
  }
}

std::function<void(Status)> TaskRunner::GuardStatus(std::function<void(Status)> fn) {
  std::weak_ptr<int> alive = alive_;
  return [alive, fn = std::move(fn)](Status st) {
    if (alive.lock()) fn(std::move(st));
  };
}

std::map<std::string, std::string> TaskRunner::BaseEnvironment(const ContainerRun& r) const {
  std::map<std::string, std::string> env(options_.base_env.begin(), options_.base_env.end());
  for (const auto& [k, v] : r.endpoint_env) env[k] = v;
  return env;
}

bool TaskRunner::ResolveConfiguration() {
  auto fail = [this](const std::string& reason) {
    Stop(StopCode::kTaskFailedToStart, "ResourceInitializationError: " + reason);
    return false;
  };
  for (auto& r : runs_) {
    if (r->env_files.empty() && r->def->secrets.empty()) continue;
    if (options_.config == nullptr) {
      return fail("this daemon has no store for environment files and secrets");
    }
    std::map<std::string, std::string> from_files;
    for (const auto& f : r->env_files) {
      auto text = options_.config->ReadEnvironmentFile(f.value);
      if (!text.ok()) {
        return fail("failed to download env files: file download command: non empty error "
                    "stream: " + text.status().message());
      }
      MergeEnvironmentFile(ParseEnvironmentFile(*text), &from_files);
    }
    std::map<std::string, std::string> env = BaseEnvironment(*r);
    for (auto& [k, v] : from_files) env[k] = std::move(v);
    for (const auto& [k, v] : r->declared_env) env[k] = v;
    for (const auto& secret : r->def->secrets) {
      auto value = options_.config->ResolveSecret(secret.value_from);
      if (!value.ok()) {
        return fail("unable to pull secrets or registry auth: execution resource retrieval "
                    "failed: " + value.status().message());
      }
      env[secret.name] = std::move(*value);
    }
    r->env.assign(env.begin(), env.end());
  }
  return true;
}

int TaskRunner::StopTimeoutS(const ContainerRun& c) const {
  return c.def->stop_timeout_s.value_or(options_.default_stop_timeout_s);
}

int TaskRunner::MaxStopTimeoutS() const {
  int m = 0;
  for (const auto& r : runs_) m = std::max(m, StopTimeoutS(*r));
  return m;
}

void TaskRunner::Changed(bool state_change) {
  if (state_change) ++task_.version;
  on_change_(task_, state_change);
}

void TaskRunner::Evaluate() {
  if (task_.stopped()) return;
  // Starting one container can meet another's START dependency: repeat until nothing moves.
  bool progress = true;
  while (progress && !stopping_) {
    progress = false;
    for (auto& r : runs_) {
      if (r->started || r->exited || r->starting) continue;
      TryStart(*r);
      if (r->started || r->exited) progress = true;
      if (stopping_) break;
    }
  }
  if (stopping_) ContinueStopping();
  UpdateTaskStatus();
}

bool TaskRunner::DependenciesMet(const ContainerRun& c, std::string* failure) const {
  bool met = true;
  for (const auto& dep : c.def->depends_on) {
    const ContainerRun* d = nullptr;
    for (const auto& r : runs_) {
      if (r->def->name == dep.container_name) d = r.get();
    }
    if (d == nullptr) {
      *failure = "dependency on unknown container '" + dep.container_name + "'";
      return false;
    }
    const model::Container& dc = task_.containers[d->index];
    bool ok = false;
    switch (dep.condition) {
      case DependencyCondition::kStart:
        ok = d->started;
        if (!ok && d->exited) *failure = "container '" + dep.container_name + "' never started";
        break;
      case DependencyCondition::kComplete:
        ok = d->started && d->exited;
        if (!ok && !d->started && d->exited) {
          *failure = "container '" + dep.container_name + "' never started";
        }
        break;
      case DependencyCondition::kSuccess:
        ok = d->started && d->exited && dc.exit_code == 0;
        if (!ok && d->exited) {
          *failure = dc.exit_code ? "container '" + dep.container_name + "' exited with code " +
                                        std::to_string(*dc.exit_code)
                                  : "container '" + dep.container_name + "' never ran";
        }
        break;
      case DependencyCondition::kHealthy:
        ok = d->started && !d->exited && dc.health_status == HealthStatus::kHealthy;
        if (!ok && (d->exited || dc.health_status == HealthStatus::kUnhealthy)) {
          *failure = "container '" + dep.container_name + "' " +
                     (d->exited ? "stopped before it was healthy" : "is unhealthy");
        }
        break;
    }
    if (!ok && failure->empty() && d->start_timed_out) {
      *failure = "container '" + dep.container_name + "' did not reach " +
                 ConditionName(dep.condition) + " within its startTimeout";
    }
    if (!failure->empty()) {
      *failure = "dependency on container '" + dep.container_name + "' (condition " +
                 ConditionName(dep.condition) + ") cannot be met: " + *failure;
      return false;
    }
    met = met && ok;
  }
  return met;
}

void TaskRunner::TryStart(ContainerRun& c) {
  std::string failure;
  if (!DependenciesMet(c, &failure)) {
    if (!failure.empty()) FailBeforeStart(c, "DependencyError: " + failure, true);
    return;
  }
  StartProcess(c);
}

driver::ProcessSpec TaskRunner::BaseSpec(const ContainerRun& c) const {
  driver::ProcessSpec spec;
  spec.task_id = task_.id;
  spec.container_name = c.def->name;
  spec.env = c.env;
  spec.working_dir = c.def->working_directory;
  spec.user = c.def->user;
  spec.netns_fd = netns_fd_;
  for (const auto& u : c.def->ulimits) spec.ulimits.push_back({u.name, u.soft_limit, u.hard_limit});
  spec.image = c.def->image;
  spec.network_mode = definition_.network_mode;
  const auto& defs = definition_.document.find("containerDefinitions");
  if (defs != definition_.document.end() && defs->is_array() && c.index < defs->size()) {
    spec.definition = (*defs)[c.index];
  }
  const auto& volumes = definition_.document.find("volumes");
  if (volumes != definition_.document.end() && volumes->is_array()) spec.task_volumes = *volumes;
  std::string cluster = task_.cluster_arn.substr(task_.cluster_arn.rfind('/') + 1);
  spec.labels = {{"com.amazonaws.ecs.cluster", cluster},
                 {"com.amazonaws.ecs.container-name", c.def->name},
                 {"com.amazonaws.ecs.task-arn", task_.arn},
                 {"com.amazonaws.ecs.task-definition-family", definition_.family},
                 {"com.amazonaws.ecs.task-definition-version", std::to_string(definition_.revision)}};
  return spec;
}

void TaskRunner::StartProcess(ContainerRun& c) {
  driver::ProcessSpec spec = BaseSpec(c);
  // Docker semantics without an image: argv = entryPoint + command.
  spec.argv = c.def->entry_point;
  spec.argv.insert(spec.argv.end(), c.command.begin(), c.command.end());
  // With an image, what is unset comes from it.
  if (!c.def->entry_point.empty()) spec.entry_point = c.def->entry_point;
  if (!c.command.empty()) spec.command = c.command;
  if (spec.argv.empty() && !driver_.RunsImages()) {
    FailBeforeStart(c,
                    "CannotStartContainerError: container '" + c.def->name +
                        "' has neither entryPoint nor command; the process driver runs commands "
                        "on the host and does not read the image's ENTRYPOINT or CMD",
                    true);
    return;
  }
  int memory = c.def->memory.value_or(definition_.memory.value_or(0));
  spec.memory_limit_bytes = static_cast<long long>(memory) * 1024 * 1024;
  spec.cpu_shares = c.def->cpu;
  spec.memory_reservation_bytes =
      static_cast<long long>(c.def->memory_reservation.value_or(0)) * 1024 * 1024;
  auto on_output = OpenLog(c);
  if (!on_output.ok()) {
    FailBeforeStart(c, on_output.status().message(), true);
    return;
  }
  size_t index = c.index;
  auto on_exit = [this, alive = std::weak_ptr<int>(alive_), index](driver::ExitStatus st) {
    if (alive.lock()) OnExit(index, st);
  };
  // Answered at once (process driver: Evaluate's loop goes on) or later (Docker: the engine's
  // create and start run off the control thread; then Evaluate again).
  c.starting = true;
  auto inside_call = std::make_shared<bool>(true);
  driver_.StartAsync(
      spec, on_exit, *on_output,
      [this, alive = std::weak_ptr<int>(alive_), index](const std::string& id) {
        // Known before the container runs: its metadata endpoint reports it from the start.
        if (!alive.lock()) return;
        runs_[index]->runtime_id = id;
        task_.containers[index].runtime_id = id;
        Changed(false);
      },
      [this, alive = std::weak_ptr<int>(alive_), index, inside_call](Result<std::string> id) {
        if (alive.lock()) OnStarted(index, std::move(id), !*inside_call);
      });
  *inside_call = false;
}

void TaskRunner::OnStarted(size_t index, Result<std::string> id, bool evaluate) {
  ContainerRun& c = *runs_[index];
  model::Container& mc = task_.containers[index];
  c.starting = false;
  if (!id.ok()) {
    if (c.log) c.log->Close();
    FailBeforeStart(c, id.status().message(), true);
    if (evaluate) Evaluate();
    return;
  }
  c.started = true;
  c.runtime_id = *id;
  c.started_at = executor_.clock().NowMs();
  mc.runtime_id = *id;
  mc.last_status = ContainerStatus::kRunning;
  AttachOwnNetwork(c);
  Changed(true);
  if (c.def->start_timeout_s) {
    c.start_timer = executor_.RunAfter(*c.def->start_timeout_s * 1000LL, Guard([this, index] {
      runs_[index]->start_timed_out = true;
      Evaluate();
    }));
  }
  if (c.def->health_check) ScheduleProbe(index, c.def->health_check->interval_s * 1000LL);
  // A stop asked for meanwhile now signals it; START dependents may go.
  if (evaluate) Evaluate();
}

void TaskRunner::AttachOwnNetwork(ContainerRun& c) {
  // Only containers on the driver's bridge have a namespace and published ports of their own.
  if (definition_.network_mode != "bridge" || netns_fd_ >= 0) return;
  auto bindings = driver_.NetworkBindings(c.runtime_id);
  if (!bindings.empty()) task_.containers[c.index].network_bindings = bindings;
  if (options_.endpoints == nullptr || !endpoints_open_) return;
  // Code in it reaches the metadata and credentials endpoints at 127.0.0.1 too. The listener
  // opens just after the container started: its first milliseconds may not reach it yet.
  auto netns = driver_.OpenNetworkNamespace(c.runtime_id);
  if (!netns.ok()) return;
  options_.endpoints->AddNamespace(task_.arn, *netns);
  close(*netns);
}

Result<driver::OutputCallback> TaskRunner::OpenLog(ContainerRun& c) {
  if (!options_.pipeline) return driver::OutputCallback([](driver::Stream, std::string_view, int64_t) {});
  auto cfg = LogConfigFor(*c.def, definition_.family, task_.id);
  if (!cfg.ok()) return cfg.status();
  auto log = options_.pipeline->Open(*cfg);
  if (!log.ok()) return log.status();
  c.log = *log;
  if (driver_.CanAdopt()) {
    // Where a restarted daemon resumes this container's output (driver.h, OutputCommitted).
    c.log->SetCommitListener(
        [&driver = driver_, task_id = task_.id, name = c.def->name](int64_t position) {
          driver.OutputCommitted(task_id, name, position);
        });
  }
  return driver::OutputCallback(
      [log = c.log](driver::Stream s, std::string_view data, int64_t position) {
        log->Write(data, s == driver::Stream::kStderr, position);
      });
}

void TaskRunner::Adopt() {
  bool any_started = false;
  for (const auto& c : task_.containers) any_started |= !c.runtime_id.empty();
  if (!any_started && !task_.desired_stopped) return Start();  // it never got that far
  TimeMs now = executor_.clock().NowMs();
  std::map<std::string, EnvironmentList> running_env;
  for (auto& r : runs_) {
    model::Container& mc = task_.containers[r->index];
    if (mc.last_status == ContainerStatus::kStopped) {
      r->started = !mc.runtime_id.empty();
      r->exited = true;
      continue;
    }
    if (mc.last_status != ContainerStatus::kRunning || mc.runtime_id.empty()) continue;
    size_t index = r->index;
    auto on_exit = [this, alive = std::weak_ptr<int>(alive_), index](driver::ExitStatus st) {
      if (alive.lock()) OnExit(index, st);
    };
    auto on_output = OpenLog(*r);
    auto env = on_output.ok() ? driver_.Adopt(mc.runtime_id, BaseSpec(*r), on_exit, *on_output)
                              : Result<EnvironmentList>(on_output.status());
    r->started = true;
    r->runtime_id = mc.runtime_id;
    r->started_at = now;
    if (!env.ok()) {
      // Gone while no daemon watched it: its exit code is unknown.
      if (r->log) r->log->Close();
      r->exited = true;
      mc.last_status = ContainerStatus::kStopped;
      mc.reason = ("CannotInspectContainerError: " + env.status().message()).substr(0, 1024);
      Changed(true);
      continue;
    }
    running_env[r->def->name] = *env;
    if (r->def->health_check) ScheduleProbe(index, r->def->health_check->interval_s * 1000LL);
  }
  if (options_.endpoints != nullptr) {
    auto by_container = options_.endpoints->Open(task_, definition_, netns_fd_, running_env);
    endpoints_open_ = true;
    for (auto& r : runs_) r->endpoint_env = std::move(by_container[r->def->name]);
  }
  for (auto& r : runs_) {
    if (r->started && !r->exited) AttachOwnNetwork(*r);
  }
  // Containers not started yet still need their environment (env files, secrets).
  bool pending = false;
  for (const auto& r : runs_) pending |= !r->started && !r->exited;
  if (pending && !task_.desired_stopped && !ResolveConfiguration()) return;
  if (task_.desired_stopped) {
    stopping_ = true;
    executor_.Post(Guard([this] { Evaluate(); }));
    return;
  }
  for (const auto& r : runs_) {
    if (r->def->essential && r->exited) {
      Stop(StopCode::kEssentialContainerExited, "Essential container in task exited");
      return;
    }
  }
  Evaluate();
}

void TaskRunner::FailBeforeStart(ContainerRun& c, const std::string& reason,
                                 bool task_failed_to_start) {
  model::Container& mc = task_.containers[c.index];
  c.exited = true;
  mc.last_status = ContainerStatus::kStopped;
  mc.reason = reason.substr(0, 1024);
  Changed(true);
  if (c.def->essential && !stopping_) {
    if (task_failed_to_start && task_.last_status < TaskStatus::kRunning) {
      Stop(StopCode::kTaskFailedToStart, reason);
    } else {
      Stop(StopCode::kEssentialContainerExited, "Essential container in task exited");
    }
  }
}

void TaskRunner::OnExit(size_t index, driver::ExitStatus status) {
  ContainerRun& c = *runs_[index];
  model::Container& mc = task_.containers[index];
  c.exited = true;
  // The driver delivered all output before this exit: the last partial lines can go now.
  if (c.log) c.log->Close();
  executor_.Cancel(c.kill_timer);
  executor_.Cancel(c.start_timer);
  executor_.Cancel(c.probe_timer);
  mc.last_status = ContainerStatus::kStopped;
  mc.exit_code = status.exit_code;
  if (status.oom_killed) mc.reason = "OutOfMemoryError: Container killed due to memory usage";
  Changed(true);
  if (c.def->essential && !stopping_) {
    Stop(StopCode::kEssentialContainerExited, "Essential container in task exited");
    return;  // Stop() evaluates next
  }
  Evaluate();
}

void TaskRunner::Deactivate(StopCode code, const std::string& reason) {
  if (task_.stopped() || stopping_ || deactivating_) return;
  deactivating_ = true;
  task_.desired_stopped = true;
  task_.stopping_at = executor_.clock().NowMs();
  task_.stop_code = code;
  task_.stopped_reason = reason.substr(0, 1024);
  if (task_.last_status == TaskStatus::kRunning) task_.last_status = TaskStatus::kDeactivating;
  Changed(true);
}

void TaskRunner::Stop(StopCode code, const std::string& reason) {
  if (task_.stopped()) return;
  if (!stopping_) {
    stopping_ = true;
    if (!deactivating_) {
      task_.desired_stopped = true;
      task_.stopping_at = executor_.clock().NowMs();
      task_.stop_code = code;
      task_.stopped_reason = reason.substr(0, 1024);
    }
    Changed(true);
  }
  // Asynchronous, as ECS's StopTask: the caller sees desiredStatus STOPPED with lastStatus
  // unchanged; the stop sequence starts on the next turn of the loop.
  executor_.Post(Guard([this] { Evaluate(); }));
}

void TaskRunner::ContinueStopping() {
  // Containers that never started never will (one being started is stopped once it runs).
  for (auto& r : runs_) {
    if (!r->started && !r->exited && !r->starting) {
      r->exited = true;
      task_.containers[r->index].last_status = ContainerStatus::kStopped;
      Changed(true);
    }
  }
  // Reverse dependency order: a container is signalled once nothing still running depends on it.
  for (auto& r : runs_) {
    if (r->exited || r->stop_signalled || r->starting) continue;
    bool dependents_running = false;
    for (const auto& other : runs_) {
      if (other->exited) continue;
      for (const auto& dep : other->def->depends_on) {
        if (dep.container_name == r->def->name) dependents_running = true;
      }
    }
    if (!dependents_running) SignalStop(*r);
  }
}

void TaskRunner::SignalStop(ContainerRun& c) {
  c.stop_signalled = true;
  (void)driver_.Signal(c.runtime_id, SIGTERM);
  size_t index = c.index;
  c.kill_timer = executor_.RunAfter(StopTimeoutS(c) * 1000LL, Guard([this, index] {
    ContainerRun& r = *runs_[index];
    if (!r.exited) (void)driver_.Signal(r.runtime_id, SIGKILL);
  }));
}

void TaskRunner::ScheduleProbe(size_t index, int64_t delay_ms) {
  runs_[index]->probe_timer = executor_.RunAfter(delay_ms, Guard([this, index] { RunProbe(index); }));
}

void TaskRunner::RunProbe(size_t index) {
  ContainerRun& c = *runs_[index];
  if (c.exited || stopping_) return;
  const model::HealthCheck& hc = *c.def->health_check;
  driver::ProcessSpec spec = BaseSpec(c);
  if (!hc.command.empty() && hc.command[0] == "CMD-SHELL") {
    std::string script;
    for (size_t i = 1; i < hc.command.size(); ++i) script += (i > 1 ? " " : "") + hc.command[i];
    spec.argv = {"/bin/sh", "-c", script};
  } else if (!hc.command.empty() && hc.command[0] == "CMD") {
    spec.argv.assign(hc.command.begin() + 1, hc.command.end());
  } else {
    return;  // NONE: health checks disabled
  }
  spec.container_name = c.def->name + "-healthcheck";
  auto probe = std::make_unique<Probe>();
  Probe* p = probe.get();
  p->seq = ++c.probe_seq;
  auto current = [this, index](uint64_t seq) {
    const ContainerRun& r = *runs_[index];
    return r.probe && r.probe->seq == seq;
  };
  auto on_exit = [this, alive = std::weak_ptr<int>(alive_), index, seq = p->seq,
                  current](driver::ExitStatus st) {
    if (!alive.lock() || !current(seq)) return;
    ContainerRun& r = *runs_[index];
    executor_.Cancel(r.probe->timeout_timer);
    r.probe.reset();
    OnProbeResult(index, st.exit_code == 0);
  };
  Result<std::string> id = driver_.StartProbe(c.runtime_id, spec, on_exit);
  if (!id.ok()) {
    OnProbeResult(index, false);
    return;
  }
  p->runtime_id = *id;
  // At its timeout a check has failed, whether or not its command ends (an engine's exec can
  // hang): the next one runs on schedule, and this one's late exit is ignored.
  p->timeout_timer = executor_.RunAfter(hc.timeout_s * 1000LL, Guard([this, index, seq = p->seq,
                                                                      current] {
    if (!current(seq)) return;
    ContainerRun& r = *runs_[index];
    std::string runtime_id = r.probe->runtime_id;
    r.probe.reset();
    (void)driver_.Signal(runtime_id, SIGKILL);
    OnProbeResult(index, false);
  }));
  c.probe = std::move(probe);
}

void TaskRunner::OnProbeResult(size_t index, bool healthy) {
  ContainerRun& c = *runs_[index];
  if (c.exited) return;
  model::Container& mc = task_.containers[index];
  const model::HealthCheck& hc = *c.def->health_check;
  HealthStatus before = mc.health_status;
  if (healthy) {
    c.consecutive_failures = 0;
    mc.health_status = HealthStatus::kHealthy;
  } else {
    bool in_start_period =
        executor_.clock().NowMs() - c.started_at < hc.start_period_s * 1000LL;
    if (!in_start_period && ++c.consecutive_failures >= hc.retries) {
      mc.health_status = HealthStatus::kUnhealthy;
    }
  }
  if (mc.health_status != before) {
    UpdateTaskHealth();
    Changed(false);
    Evaluate();
  }
  if (!stopping_) ScheduleProbe(index, hc.interval_s * 1000LL);
}

void TaskRunner::UpdateTaskHealth() {
  // Only essential containers with a health check count; none → UNKNOWN.
  bool any = false, unknown = false, unhealthy = false;
  for (size_t i = 0; i < runs_.size(); ++i) {
    const auto& def = *runs_[i]->def;
    if (!def.essential || !def.health_check) continue;
    any = true;
    HealthStatus h = task_.containers[i].health_status;
    if (h == HealthStatus::kUnhealthy) unhealthy = true;
    if (h == HealthStatus::kUnknown) unknown = true;
  }
  task_.health_status = !any        ? HealthStatus::kUnknown
                        : unhealthy ? HealthStatus::kUnhealthy
                        : unknown   ? HealthStatus::kUnknown
                                    : HealthStatus::kHealthy;
}

void TaskRunner::UpdateTaskStatus() {
  bool all_exited = true, all_started_or_exited = true;
  for (const auto& r : runs_) {
    if (!r->exited) all_exited = false;
    if (!r->started && !r->exited) all_started_or_exited = false;
  }
  TimeMs now = executor_.clock().NowMs();
  if (all_exited) {
    if (!stopping_) {
      // Every container finished on its own (all non-essential cannot happen: one is essential).
      Stop(StopCode::kEssentialContainerExited, "Essential container in task exited");
      return;
    }
    task_.execution_stopped_at = now;
    if (task_.last_status >= TaskStatus::kRunning && task_.last_status < TaskStatus::kDeprovisioning) {
      task_.last_status = TaskStatus::kDeprovisioning;
      Changed(true);
    }
    task_.last_status = TaskStatus::kStopped;
    task_.stopped_at = now;
    if (endpoints_open_) {
      endpoints_open_ = false;
      options_.endpoints->Close(task_.arn);
    }
    Changed(true);
    return;
  }
  if (stopping_) {
    if (task_.last_status == TaskStatus::kRunning || task_.last_status == TaskStatus::kDeactivating) {
      task_.last_status = TaskStatus::kStopping;
      Changed(true);
    }
    return;
  }
  if (all_started_or_exited && task_.last_status < TaskStatus::kRunning) {
    task_.last_status = TaskStatus::kRunning;
    task_.started_at = now;
    task_.connectivity_at = now;
    Changed(true);
  }
}

}  // namespace berth::runner
