// Clusters and tasks as the control plane keeps them. Value types; owned by ecs::ControlPlane
// on the control thread, copied into the StateStore on every change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "model/tags.h"

namespace berth::model {

struct Cluster {
  std::string name;
  std::string arn;
  bool active = true;
  Tags tags;
  nlohmann::json settings = nlohmann::json::array();  // as sent, else containerInsights off
};

// ECS task lastStatus values in lifecycle order; a task's status only moves forward.
enum class TaskStatus {
  kProvisioning,
  kPending,
  kActivating,
  kRunning,
  kDeactivating,
  kStopping,
  kDeprovisioning,
  kStopped,
};
std::string TaskStatusName(TaskStatus s);
bool ParseTaskStatus(const std::string& s, TaskStatus* out);

enum class ContainerStatus { kPending, kRunning, kStopped };
std::string ContainerStatusName(ContainerStatus s);

enum class HealthStatus { kUnknown, kHealthy, kUnhealthy };
std::string HealthStatusName(HealthStatus s);

enum class StopCode {
  kNone,
  kTaskFailedToStart,
  kEssentialContainerExited,
  kUserInitiated,
  kServiceSchedulerInitiated,
};
std::string StopCodeName(StopCode c);

struct Container {
  std::string name;
  std::string image;
  std::string container_arn;
  std::string runtime_id;
  ContainerStatus last_status = ContainerStatus::kPending;
  std::optional<int> exit_code;  // only once it ran and stopped
  std::string reason;
  HealthStatus health_status = HealthStatus::kUnknown;
  bool has_health_check = false;
  bool essential = true;
  int cpu = 0;
  std::optional<int> memory;
  std::optional<int> memory_reservation;
  nlohmann::json network_bindings = nlohmann::json::array();  // wire form
};

struct Task {
  std::string id;  // 32 lowercase hex
  std::string arn;
  std::string cluster_arn;
  std::string task_definition_arn;
  std::string group;
  std::string started_by;
  std::string launch_type;  // EC2 or FARGATE as requested
  TaskStatus last_status = TaskStatus::kPending;
  bool desired_stopped = false;  // desiredStatus RUNNING (false) → STOPPED (true)
  HealthStatus health_status = HealthStatus::kUnknown;
  int64_t version = 1;
  std::string cpu;     // task-level, as a string ("256"), or empty
  std::string memory;  // task-level, as a string, or empty
  TimeMs created_at = 0;
  TimeMs pull_started_at = 0;
  TimeMs pull_stopped_at = 0;
  TimeMs started_at = 0;
  TimeMs connectivity_at = 0;
  TimeMs stopping_at = 0;
  TimeMs execution_stopped_at = 0;
  TimeMs stopped_at = 0;
  StopCode stop_code = StopCode::kNone;
  std::string stopped_reason;
  std::vector<Container> containers;
  // RunTask overrides as the task echoes them (one {"name":X} per container at least).
  nlohmann::json overrides = nlohmann::json::object();
  Tags tags;
  std::string client_token;
  // Networking as run: the definition's networkMode; for a task in its own network namespace
  // (awsvpc, bridge) its address and MAC, and for awsvpc the synthetic ENI attachment id.
  std::string network_mode;
  std::string private_ipv4;  // empty = the host's network
  std::string mac_address;
  std::string attachment_id;
  // The driver that runs (ran) it: "process" or "docker"; shown as the task attribute
  // berth.driver.
  std::string driver;
  // "tcp/80"-style host ports the task holds while not STOPPED (host network mode).
  std::vector<std::string> host_ports;
  // Resources reserved on the host while the task is not STOPPED.
  int reserved_cpu = 0;
  int reserved_memory = 0;
  // Not stored or sent: bumped by the control plane on every change, so API layers can cache
  // a task's serialized form.
  uint64_t change_seq = 0;

  bool stopped() const { return last_status == TaskStatus::kStopped; }
  Container* FindContainer(const std::string& name);
};

}  // namespace berth::model
