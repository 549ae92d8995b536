// TaskRunner: one task's lifecycle, with ECS's semantics, over a Driver.
//
//   lastStatus:  PENDING ──all containers RUNNING (or done)──▶ RUNNING
//                   │                                            │ StopTask / essential exit
//                   │ start failure, unmet dependency            ▼
//                   │                                        STOPPING ──SIGTERM, stopTimeout,
//                   │                                            │       SIGKILL (reverse
//                   ▼                                            ▼       dependency order)
//                STOPPED ◀────────────────────────────────  DEPROVISIONING
//
//   containers:  PENDING ──dependsOn met──▶ RUNNING ──exit──▶ STOPPED
//                   └──────── start failed / dependency can't be met ────▶ STOPPED
//
// - dependsOn START / COMPLETE / SUCCESS / HEALTHY, with the dependency's startTimeout counted
//   from its start; a dependency that can no longer be met stops the dependent before it runs.
// - An essential container that stops stops the task (EssentialContainerExited).
// - healthCheck CMD / CMD-SHELL with interval, timeout, retries and startPeriod, as Docker runs
//   them; task health is derived from the essential containers that have a health check.
// - environmentFiles and secrets are read when the task starts (TaskConfigSource); a failure
//   stops the task before any container runs (TaskFailedToStart, ResourceInitializationError).
//   Environment precedence, lowest first: berth's base, env files (the first file listed wins),
//   the definition's environment, the override's environment, secrets.
// - Code inside the task finds berth through TaskEndpoints (metadata, role credentials): its
//   variables join berth's base environment at Start; Close once the task has stopped.
// - `version` increases on every task or container state change; each such change is reported
//   through on_change with state_change=true (health changes report state_change=false: ECS
//   does not emit task events for them).
//
// Threads: constructed and used on the control thread (the Executor) only. The runner owns its
// timers; destroying it cancels them. Destroy it only once done() (then no driver callback is
// outstanding except probes, which are ignored through a liveness token).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "driver/driver.h"
#include "logs/pipeline.h"
#include "model/task.h"
#include "model/task_definition.h"
#include "runner/task_config_source.h"
#include "runner/task_endpoints.h"

namespace berth::runner {

struct RunnerOptions {
  // Added to every container's environment unless the definition sets them (PATH, ...).
  std::vector<std::pair<std::string, std::string>> base_env;
  int default_stop_timeout_s = 30;
  // Where container output goes; null = drained and dropped (unit tests).
  logs::Pipeline* pipeline = nullptr;
  // Where environmentFiles and secrets are read when a task starts; null = a task that has
  // any fails to start.
  TaskConfigSource* config = nullptr;
  // The metadata and credentials endpoints for code inside tasks; null = none offered.
  TaskEndpoints* endpoints = nullptr;
};

class TaskRunner {
 public:
  using ChangeCallback = std::function<void(const model::Task&, bool state_change)>;

  // `task` is the freshly created task (PENDING, version 1, containers PENDING); `overrides`
  // is RunTask's overrides object (containerOverrides command/environment/cpu/memory).
  TaskRunner(Executor& executor, driver::Driver& driver, model::TaskDefinition definition,
             model::Task task, RunnerOptions options, ChangeCallback on_change);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Starts the containers whose dependencies allow it.
  void Start();
  // Instead of Start, for a task a previous daemon left running (its state as stored): takes
  // its RUNNING containers back from the driver (Driver::Adopt; health checks resume, the
  // endpoints keep the tokens the containers were started with), marks the ones that vanished
  // STOPPED, then carries on as if it had never been away — a stop in progress continues, an
  // essential container gone stops the task, containers not started yet start.
  void Adopt();
  // Asks the task to stop (desiredStatus STOPPED). The first stop code and reason win.
  void Stop(model::StopCode code, const std::string& reason);
  // A service task leaving its load balancer: desiredStatus STOPPED and lastStatus
  // DEACTIVATING while its targets drain; the containers run on until Stop().
  void Deactivate(model::StopCode code, const std::string& reason);
  // The task's own network namespace, which every process of the task (health checks too)
  // joins, and its address. Call before Start; without it the task uses the host's network.
  void SetNetwork(int netns_fd, const std::string& ipv4, const std::string& mac) {
    netns_fd_ = netns_fd;
    task_.private_ipv4 = ipv4;
    task_.mac_address = mac;
  }
  // Longest stop timeout of any container, in seconds (for daemon shutdown).
  int MaxStopTimeoutS() const;

  const model::Task& task() const { return task_; }
  bool done() const { return task_.stopped(); }

 private:
  struct Probe;
  struct ContainerRun;

  // Reads env files and secrets into each container's environment; false (and the task
  // stopping) when one cannot be read.
  bool ResolveConfiguration();
  // Image drivers: every image made available (pulled if need be), then Evaluate; a failed
  // pull stops the task (TaskFailedToStart, CannotPullContainerError).
  void PrepareImages();
  std::function<void(Status)> GuardStatus(std::function<void(Status)> fn);
  // berth's base environment plus the TaskEndpoints variables of the container.
  std::map<std::string, std::string> BaseEnvironment(const ContainerRun& r) const;
  void Evaluate();
  void TryStart(ContainerRun& c);
  // Returns true when every dependency is met; sets *failure when one can never be met.
  bool DependenciesMet(const ContainerRun& c, std::string* failure) const;
  void StartProcess(ContainerRun& c);
  // The driver's answer to StartAsync; evaluate = it came later (not inside StartProcess).
  void OnStarted(size_t index, Result<std::string> id, bool evaluate);
  // A container just started (or adopted) on the driver's bridge: records the ports it
  // published and lets it reach the task endpoints from its own namespace.
  void AttachOwnNetwork(ContainerRun& c);
  // Opens the container's log stream; the callback the driver writes its output to.
  Result<driver::OutputCallback> OpenLog(ContainerRun& c);
  void OnExit(size_t index, driver::ExitStatus status);
  void FailBeforeStart(ContainerRun& c, const std::string& reason, bool task_failed_to_start);
  void ContinueStopping();
  void SignalStop(ContainerRun& c);
  void ScheduleProbe(size_t index, int64_t delay_ms);
  void RunProbe(size_t index);
  void OnProbeResult(size_t index, bool healthy);
  void UpdateTaskHealth();
  void UpdateTaskStatus();
  void Changed(bool state_change);
  driver::ProcessSpec BaseSpec(const ContainerRun& c) const;
  int StopTimeoutS(const ContainerRun& c) const;
  std::function<void()> Guard(std::function<void()> fn);

  Executor& executor_;
  driver::Driver& driver_;
  model::TaskDefinition definition_;
  model::Task task_;
  RunnerOptions options_;
  ChangeCallback on_change_;
  std::vector<std::unique_ptr<ContainerRun>> runs_;
  bool stopping_ = false;
  bool endpoints_open_ = false;
  bool deactivating_ = false;
  int netns_fd_ = -1;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace berth::runner
