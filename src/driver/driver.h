// Driver: starts, signals and reaps the processes of containers. The TaskRunner decides *what*
// happens (order, timeouts, health); a Driver only knows how to run one container's process
// tree and report its end.
//
// Threads: every method is called on the control thread (the Executor). `on_exit` is posted
// to the Executor. `on_output` is called on the driver's capture thread, never the control
// thread, with chunks in arrival order per stream.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace berth::driver {

struct Ulimit {
  std::string name;  // ECS names: core, cpu, data, fsize, locks, memlock, msgqueue, nice,
                     // nofile, nproc, rss, rtprio, rttime, sigpending, stack
  long long soft = 0;
  long long hard = 0;
};

struct ProcessSpec {
  std::string task_id;            // 32-hex ECS task id; groups a task's processes
  std::string container_name;     // unique within the task
  std::vector<std::string> argv;  // argv[0] is looked up in PATH (of `env`, else the daemon's)
  std::vector<std::pair<std::string, std::string>> env;  // the complete environment
  std::string working_dir;  // empty = the daemon's data-dir/tasks/<task_id>
  std::string user;         // ECS forms: user, uid, user:group, uid:gid; empty = daemon's
  std::vector<Ulimit> ulimits;
  long long memory_limit_bytes = 0;  // 0 = none; enforced with a cgroup when one is usable
  int cpu_shares = 0;                // 0 = default
  // Join this network namespace before exec; -1 = the daemon's. Owned by the caller (e.g.
  // network::TaskNetwork::netns_fd), only read during Start.
  int netns_fd = -1;

  // For drivers that run images (Docker); the process driver runs argv and ignores these.
  std::string image;
  std::string network_mode;  // the definition's: host, none, bridge, awsvpc
  std::optional<std::vector<std::string>> entry_point;  // unset = the image's ENTRYPOINT
  std::optional<std::vector<std::string>> command;      // unset = the image's CMD
  long long memory_reservation_bytes = 0;
  std::map<std::string, std::string> labels;  // ECS's com.amazonaws.ecs.* labels
  // The container's definition and the task's volumes as ECS's JSON (linuxParameters,
  // readonlyRootFilesystem, privileged, dockerLabels, mountPoints, ...).
  nlohmann::json definition;
  nlohmann::json task_volumes = nlohmann::json::array();
};

struct ExitStatus {
  int exit_code = 0;        // Docker's convention: 128 + signal when killed by a signal
  int signal = 0;           // the killing signal, 0 if it exited normally
  bool oom_killed = false;  // killed by the memory cgroup
};

// What a running container's processes use (the task metadata endpoint's /stats).
struct ContainerStats {
  uint64_t cpu_user_ns = 0;    // CPU time so far, every process of the container
  uint64_t cpu_system_ns = 0;
  uint64_t memory_bytes = 0;   // resident memory now
  uint64_t memory_limit_bytes = 0;  // 0 = none
  int pids = 0;
};

enum class Stream { kStdout, kStderr };

using ExitCallback = std::function<void(ExitStatus)>;
// A chunk of output and its position in the driver's own log of the container (Docker: the
// engine's timestamp of that log message, in ns since the epoch; 0 = the driver has none).
// Positions increase; a restarted daemon resumes a container's output after the last position
// reported through OutputCommitted.
using OutputCallback = std::function<void(Stream, std::string_view, int64_t position)>;

class Driver {
 public:
  virtual ~Driver() = default;

  // Starts spec.argv. On success returns a runtime id (shown as the container's runtimeId)
  // and later calls on_exit exactly once, after the main process has exited and every other
  // process of its tree has been killed and reaped, and its output fully read. A failure to
  // start (no such executable, bad user, bad working directory) is returned here as
  // FailedPrecondition with a reason fit for the container's `reason`, and on_exit is never
  // called.
  virtual Result<std::string> Start(const ProcessSpec& spec, ExitCallback on_exit,
                                    OutputCallback on_output) = 0;

  // Start without blocking the control thread: on_created gets the runtime id once the
  // container exists and before it runs, on_started Start's result; both on the control thread,
  // possibly before StartAsync returns (the default, which calls Start). on_exit follows as with
  // Start when it succeeded.
  using CreatedCallback = std::function<void(const std::string& runtime_id)>;
  using StartedCallback = std::function<void(Result<std::string>)>;
  virtual void StartAsync(const ProcessSpec& spec, ExitCallback on_exit, OutputCallback on_output,
                          CreatedCallback on_created, StartedCallback on_started) {
    auto id = Start(spec, std::move(on_exit), std::move(on_output));
    if (id.ok()) on_created(*id);
    on_started(std::move(id));
  }

  // Sends sig to every process of the container's tree. Unknown or finished ids: no-op OK.
  virtual Status Signal(const std::string& runtime_id, int sig) = 0;

  // Kills every process this driver started (daemon shutdown, reset). Blocks until reaped.
  virtual void KillAll() = 0;

  // Whether containers run from their images (Docker): the image's ENTRYPOINT/CMD apply when
  // the definition sets none, and PrepareImage matters.
  virtual bool RunsImages() const { return false; }
  // Makes `image` available before its containers start (a pull when it is not local, with
  // registry_auth — {"username","password"} JSON from repositoryCredentials, or "" — for the
  // registry), then calls done on the control thread: OK, or
  // FailedPrecondition("CannotPullContainerError: …"). The default (no images) answers at once.
  virtual void PrepareImage(const std::string& image, const std::string& registry_auth,
                            std::function<void(Status)> done) {
    done(Status::Ok());
  }
  // Runs a health check command (spec.argv) for the running container `container_id`: inside
  // it for image drivers, as a process of its own otherwise (the default). on_exit gets its
  // exit code; the returned id may be signalled.
  virtual Result<std::string> StartProbe(const std::string& container_id, const ProcessSpec& spec,
                                         ExitCallback on_exit) {
    return Start(spec, std::move(on_exit), [](Stream, std::string_view, int64_t) {});
  }

  // For a task with a network of its own (awsvpc, bridge): a network namespace the driver
  // keeps for the task's containers — an image driver's pause container — as an fd the caller
  // owns; -1 (the default) lets the caller make one. ReleaseTaskSandbox once the task stopped.
  virtual Result<int> CreateTaskSandbox(const std::string& task_id) { return -1; }
  virtual void ReleaseTaskSandbox(const std::string& task_id) {}

  // Whether `bridge` tasks use the driver's own bridge network — each container in a namespace
  // of its own on Docker's default bridge, its portMappings published on 127.0.0.1 (hostPort 0:
  // a port the engine picks) — as on ECS, instead of a namespace berth makes for the task.
  virtual bool BridgesTasks() { return false; }
  // The ports a started container published: ECS networkBindings objects (bindIP,
  // containerPort, hostPort, protocol); empty when it published none.
  virtual nlohmann::json NetworkBindings(const std::string& runtime_id) {
    return nlohmann::json::array();
  }
  // A running container's own network namespace (fd owned by the caller), for a container
  // that has one of its own (BridgesTasks). NotFound otherwise.
  virtual Result<int> OpenNetworkNamespace(const std::string& runtime_id) {
    return NotFound("container " + runtime_id + " has no network namespace of its own");
  }

  // Resource use of a running container. NotFound when it is not running (any more).
  virtual Result<ContainerStats> Stats(const std::string& runtime_id) {
    return NotFound("no statistics for container " + runtime_id);
  }

  // Containers that outlive the daemon (Docker): a restarted daemon takes a running container
  // back with Adopt, instead of the task being stopped. `runtime_id` is what Start returned.
  // On success the driver follows the container as if Start had started it — output after the
  // last committed position (nothing written in between is lost), then on_exit — and returns
  // the container's environment as it was started (the task endpoints' tokens are in it).
  // NotFound when the container no longer exists; FailedPrecondition for drivers whose processes
  // die with the daemon (the default).
  virtual Result<std::vector<std::pair<std::string, std::string>>> Adopt(
      const std::string& runtime_id, const ProcessSpec& spec, ExitCallback on_exit,
      OutputCallback on_output) {
    return FailedPrecondition(Name() + " containers do not outlive the daemon");
  }
  virtual bool CanAdopt() const { return false; }
  // The output of the task's container up to `position` is stored (any thread, increasing
  // positions): the point a restarted daemon's Adopt resumes after.
  virtual void OutputCommitted(const std::string& task_id, const std::string& container_name,
                               int64_t position) {}

  // Human-readable name ("process").
  virtual std::string Name() const = 0;
};

}  // namespace berth::driver
