// DockerDriver: runs each ECS container as a Docker container through the Engine API
// (engine_client.h), the way the ECS agent does. The TaskRunner decides what happens (order,
// health, stop sequence); this driver creates, starts, signals, inspects and removes.
//
// Life of a container:
//   PrepareImage  on a worker thread: the local image when present (GET /images/NAME/json),
//                 else a pull (POST /images/create); failure → "CannotPullContainerError: …".
//   StartAsync    the create body on the control thread (container_config.h; berth's labels
//                 on it), then create and start on a worker thread — tens of milliseconds, a few
//                 hundred with Podman — and the answer posted back. Failures:
//                 "CannotCreateContainerError: …", "CannotStartContainerError: …".
//   running       a watcher thread per container follows its log (GET /containers/ID/logs
//                 ?follow&timestamps, from the beginning, so nothing written before it attached
//                 is lost), decodes Docker's frames and calls on_output with each message's
//                 engine timestamp (ns) as its position; when the log ends it waits for the exit
//                 (POST /containers/ID/wait), inspects State.ExitCode and OOMKilled and posts
//                 on_exit to the Executor — after all of the container's output.
//   cursor        OutputCommitted writes the last stored position to cursor_dir/ID (20 digits,
//                 overwritten in place). A daemon killed while containers run leaves them
//                 running; the next one Adopts them: it follows the log again from `since` the
//                 second of that position, skipping messages at or before it, so no line is lost
//                 or repeated. (Positions within one engine timestamp are numbered in order:
//                 Podman's timestamps have whole seconds.)
//   removed       `remove_delay_ms` after the exit (DELETE /containers/ID?force=1&v=1); with
//                 the task's last container, its pause container (killed when the task
//                 stopped) and its task-scoped volumes (ecs-<task id>-<name>).
// Health checks run inside the container (exec), as Docker's own HEALTHCHECK would.
// Networks: host and none directly; bridge on the engine's default bridge network when it has
// one (published ports on 127.0.0.1, dynamic when hostPort is 0, read back by inspect);
// awsvpc — and bridge on an engine without that network — through a pause container per task
// (CreateTaskSandbox: berth/pause:1, NetworkMode none, imported from the embedded static
// binary on first use) whose namespace TaskNetworks wires to berth's bridge, and which every
// container of the task joins (NetworkMode container:<pause>), as the ECS agent does.
//
// Threads: every method on the control thread; on_output on the container's watcher thread;
// on_exit and probe results posted to the Executor. Watchers are joined by KillAll and the
// destructor.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "docker/engine_client.h"
#include "driver/driver.h"

namespace berth::docker {

struct DockerDriverOptions {
  // Labels put on every container (berth.daemon = this daemon's data dir), so a restarted
  // daemon can find its containers.
  std::map<std::string, std::string> labels;
  int64_t remove_delay_ms = 3600 * 1000;  // stopped containers stay inspectable for an hour
  bool allow_privileged = false;
  // Where each container's log cursor is kept (the position of the last stored line, see
  // OutputCommitted), so that a restarted daemon can Adopt it; "" = no cursors, no adoption.
  std::string cursor_dir;
  // How long a container's exit 137 that berth did not cause waits for the engine to record an
  // OOM kill (dockerd can learn of it just after the exit).
  int64_t oom_recheck_ms = 1000;
};

class DockerDriver : public driver::Driver {
 public:
  DockerDriver(Executor& executor, std::unique_ptr<EngineClient> engine,
               DockerDriverOptions options);
  ~DockerDriver() override;  // KillAll, then joins every thread
  DockerDriver(const DockerDriver&) = delete;
  DockerDriver& operator=(const DockerDriver&) = delete;

  bool RunsImages() const override { return true; }
  void PrepareImage(const std::string& image, const std::string& registry_auth,
                    std::function<void(Status)> done) override;
  Result<std::string> Start(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                            driver::OutputCallback on_output) override;
  // The engine's create, then its start, each on a worker thread; the answers posted to the
  // Executor.
  void StartAsync(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                  driver::OutputCallback on_output, CreatedCallback on_created,
                  StartedCallback on_started) override;
  Result<std::string> StartProbe(const std::string& container_id,
                                 const driver::ProcessSpec& spec,
                                 driver::ExitCallback on_exit) override;
  Status Signal(const std::string& runtime_id, int sig) override;
  Result<std::vector<std::pair<std::string, std::string>>> Adopt(
      const std::string& runtime_id, const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
      driver::OutputCallback on_output) override;
  bool CanAdopt() const override { return !options_.cursor_dir.empty(); }
  void OutputCommitted(const std::string& task_id, const std::string& container_name,
                       int64_t position) override;
  void KillAll() override;
  Result<driver::ContainerStats> Stats(const std::string& runtime_id) override;
  Result<int> CreateTaskSandbox(const std::string& task_id) override;
  bool BridgesTasks() override;
  nlohmann::json NetworkBindings(const std::string& runtime_id) override;
  Result<int> OpenNetworkNamespace(const std::string& runtime_id) override;
  void ReleaseTaskSandbox(const std::string& task_id) override;
  std::string Name() const override { return "docker"; }

  const EngineClient& engine() const { return *engine_; }

  // At daemon start, after the tasks that could be were adopted: removes every other container
  // an earlier daemon on the same data dir left (options.labels match), pause containers
  // included — their tasks were marked STOPPED, so nothing may keep running for them — and
  // their cursors. Returns how many it removed.
  int SweepLeftovers();

 private:
  struct Watch;
  // The create body for spec (control thread: reads the task's pause and containers).
  Result<std::string> CreateRequest(const driver::ProcessSpec& spec);
  // POST create; POST start (removing it when that fails). Any thread; the container's id, or
  // the ECS-style error.
  Result<std::string> CreateContainer(const driver::ProcessSpec& spec, const std::string& body);
  Result<std::string> StartContainer(const std::string& id);
  void Follow(const std::string& id, const driver::ProcessSpec& spec, int64_t resume_after,
              driver::ExitCallback on_exit, driver::OutputCallback on_output);
  void RunWatch(const std::shared_ptr<Watch>& w);
  // Removes the container (and its cursor); then, on a worker thread after it, the stopped
  // pause container `then_pause` and, given a task id, that task's task-scoped volumes.
  void Remove(const std::string& id, const std::string& volumes_of_task = "",
              const std::string& then_pause = "");
  void RemoveTaskVolumes(const std::string& task_id);
  void Spawn(std::function<void()> fn);
  Status EnsurePauseImage();

  Executor& executor_;
  std::unique_ptr<EngineClient> engine_;
  const DockerDriverOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Watch>> running_;  // by container id
  // Health-check execs being waited for, by exec id: their threads' cancel flags.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> probes_;
  struct Cursor {
    std::string container_id;
    int fd = -1;
  };
  std::map<std::string, Cursor> cursors_;  // by task_id/container name (mu_)
  std::map<std::string, std::string> sandboxes_;  // task id → pause container id (control thread)
  // task id → its released (killed) pause container, removed with the task's last container
  std::map<std::string, std::string> stopped_pauses_;
  // task id → container name → Docker id, for volumesFrom (control thread; until removal)
  std::map<std::string, std::map<std::string, std::string>> task_containers_;
  bool pause_image_ready_ = false;
  std::optional<bool> has_bridge_;  // the engine has a `bridge` network (asked once)
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers_;  // finished ones are joined by the next Spawn
  std::atomic<bool> closing_{false};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace berth::docker
