// Task definitions: the typed view berth runs from, plus the normalised AWS-shaped document
// that DescribeTaskDefinition echoes back (clients such as the aws-actions re-register what
// they read, so every field a client sent must round-trip even if berth ignores it).
// Value types; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "model/tags.h"

namespace berth::model {

struct KeyValue {
  std::string name;
  std::string value;
};

// environmentFiles[]: an S3 object (arn:aws:s3:::bucket/key) of KEY=VALUE lines, read when a
// task starts (runner/environment_files.h has the parsing rules).
struct EnvironmentFile {
  std::string value;
  std::string type = "s3";
};

// secrets[]: an environment variable whose value comes from SSM Parameter Store or Secrets
// Manager when a task starts; the value is never stored with the task.
struct Secret {
  std::string name;
  std::string value_from;
};

struct Ulimit {
  std::string name;  // e.g. "nofile"
  int64_t soft_limit = 0;
  int64_t hard_limit = 0;
};

struct PortMapping {
  int container_port = 0;
  int host_port = 0;  // 0 = dynamic (bridge) or equal to container_port (host/awsvpc)
  std::string protocol = "tcp";
};

struct HealthCheck {
  std::vector<std::string> command;  // ["CMD", ...] or ["CMD-SHELL", "..."]
  int interval_s = 30;
  int timeout_s = 5;
  int retries = 3;
  int start_period_s = 0;
};

enum class DependencyCondition { kStart, kComplete, kSuccess, kHealthy };

struct ContainerDependency {
  std::string container_name;
  DependencyCondition condition = DependencyCondition::kStart;
};

struct ContainerDefinition {
  std::string name;
  std::string image;
  std::vector<std::string> entry_point;  // empty = not set
  std::vector<std::string> command;      // empty = not set
  std::vector<KeyValue> environment;
  std::vector<EnvironmentFile> environment_files;
  std::vector<Secret> secrets;
  std::string working_directory;
  std::string user;
  std::vector<Ulimit> ulimits;
  int cpu = 0;                            // CPU units (1024 = one vCPU)
  std::optional<int> memory;              // MiB, hard limit
  std::optional<int> memory_reservation;  // MiB, soft
  bool essential = true;
  std::vector<ContainerDependency> depends_on;
  std::optional<HealthCheck> health_check;
  std::optional<int> start_timeout_s;
  std::optional<int> stop_timeout_s;  // default 30 s when absent
  std::vector<PortMapping> port_mappings;
  std::string log_driver;                         // "" = no logConfiguration
  std::map<std::string, std::string> log_options;  // logConfiguration.options
};

enum class TaskDefinitionStatus { kActive, kInactive, kDeleteInProgress };

struct TaskDefinition {
  std::string family;
  int revision = 0;
  std::string arn;
  TaskDefinitionStatus status = TaskDefinitionStatus::kActive;
  std::string network_mode = "bridge";
  std::optional<int> cpu;     // task-level CPU units, normalised
  std::optional<int> memory;  // task-level MiB, normalised
  std::vector<std::string> requires_compatibilities;
  std::vector<ContainerDefinition> containers;
  TimeMs registered_at = 0;
  TimeMs deregistered_at = 0;  // 0 = not deregistered
  Tags tags;
  // The normalised document as DescribeTaskDefinition returns it (without the fields the
  // control plane stamps at registration: arn, revision, status, registeredAt, ...).
  nlohmann::json document;

  const ContainerDefinition* FindContainer(const std::string& name) const;
  // Memory a task of this definition reserves (task-level memory, else the containers' sum).
  int ReservedMemoryMiB() const;
  int ReservedCpuUnits() const;
};

// Parses, validates and normalises a RegisterTaskDefinition request (or a stored document).
// Unknown fields are kept in `document`. On failure the Status is InvalidArgument with
// Resource::kTaskDefinition and ECS's exact message (spec/ecs.md §3 "Validation").
Result<TaskDefinition> ParseTaskDefinition(const nlohmann::json& request);

std::string TaskDefinitionStatusName(TaskDefinitionStatus s);

// Task-level cpu and memory strings as ECS accepts them (RegisterTaskDefinition and task
// overrides): "1024", "1 vCPU", "0.5 vcpu" → CPU units; "2048", "2 GB", "0.5GB" → MiB.
// nullopt when malformed, not a whole number of units, or above INT32_MAX. No range checks.
std::optional<int> ParseCpuUnits(std::string_view s);
std::optional<int> ParseMemoryMiB(std::string_view s);
// Whether Fargate offers this task size (cpu units, memory MiB).
bool FargateSupports(int cpu, int memory);

}  // namespace berth::model
