// ECS services and their deployments as the control plane keeps them (spec/ecs.md §3, §6).
// Value types; owned by ecs::ControlPlane on the control thread, copied into the StateStore on
// every change. The wire and storage forms are in service_json.h.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "model/tags.h"

namespace berth::model {

enum class ServiceStatus { kActive, kDraining, kInactive };
std::string ServiceStatusName(ServiceStatus s);

enum class DeploymentStatus { kPrimary, kActive };
enum class RolloutState { kInProgress, kCompleted, kFailed };
std::string RolloutStateName(RolloutState s);

struct DeploymentConfiguration {
  int maximum_percent = 200;
  int minimum_healthy_percent = 100;
  bool circuit_breaker_enable = false;
  bool circuit_breaker_rollback = false;
};

// One entry of a service's `loadBalancers`: the tasks' containerName:containerPort is
// registered in the target group.
struct ServiceLoadBalancer {
  std::string target_group_arn;
  std::string container_name;
  int container_port = 0;
};

struct Deployment {
  std::string id;  // ecs-svc/<19 digits>
  DeploymentStatus status = DeploymentStatus::kPrimary;
  std::string task_definition_arn;
  int desired_count = 0;
  int pending_count = 0;  // derived from the tasks on every reconcile
  int running_count = 0;
  int failed_tasks = 0;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::string launch_type = "EC2";
  nlohmann::json network_configuration;  // null when absent
  RolloutState rollout_state = RolloutState::kInProgress;
  std::string rollout_state_reason;
  // Once a task of this deployment has been healthy the circuit breaker stops evaluating it.
  bool had_healthy_task = false;
};

struct ServiceEvent {
  std::string id;  // uuid
  TimeMs created_at = 0;
  std::string message;
};

struct Service {
  std::string name;
  std::string arn;
  std::string cluster_arn;
  ServiceStatus status = ServiceStatus::kActive;
  std::string task_definition_arn;
  int desired_count = 0;
  std::string launch_type = "EC2";
  std::string scheduling_strategy = "REPLICA";  // or DAEMON (one task on this host)
  DeploymentConfiguration deployment_configuration;
  std::string deployment_controller = "ECS";
  nlohmann::json network_configuration;  // null when absent
  std::vector<ServiceLoadBalancer> load_balancers;
  int health_check_grace_period_s = 0;
  bool has_grace_period = false;
  Tags tags;
  std::string propagate_tags = "NONE";
  bool enable_ecs_managed_tags = false;
  bool enable_execute_command = false;
  nlohmann::json placement_constraints = nlohmann::json::array();
  nlohmann::json placement_strategy = nlohmann::json::array();
  std::string role_arn;
  std::string platform_version;
  TimeMs created_at = 0;
  std::string created_by;
  std::vector<Deployment> deployments;  // PRIMARY first
  std::deque<ServiceEvent> events;      // newest first, at most 100
  // The task definition of the last deployment that reached COMPLETED (circuit-breaker
  // rollback target); empty until one has.
  std::string last_completed_deployment_id;
  std::string last_completed_task_definition_arn;
  // The CreateService parameters, canonicalised, to tell an idempotent retry from a conflict.
  std::string create_fingerprint;
  // Not stored: bumped on every change so the API may cache.
  uint64_t change_seq = 0;

  Deployment* Primary() { return deployments.empty() ? nullptr : &deployments.front(); }
  const Deployment* Primary() const { return deployments.empty() ? nullptr : &deployments.front(); }
  Deployment* FindDeployment(const std::string& id);
};

}  // namespace berth::model
