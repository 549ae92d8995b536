#include "model/service_json.h"

#include "common/time_format.h"

namespace berth::model {

using nlohmann::json;

namespace {

json DeploymentConfigurationJson(const DeploymentConfiguration& c) {
  return {{"deploymentCircuitBreaker",
           {{"enable", c.circuit_breaker_enable}, {"rollback", c.circuit_breaker_rollback}}},
          {"maximumPercent", c.maximum_percent},
          {"minimumHealthyPercent", c.minimum_healthy_percent}};
}

json LoadBalancersJson(const std::vector<ServiceLoadBalancer>& lbs) {
  json out = json::array();
  for (const auto& lb : lbs) {
    out.push_back({{"targetGroupArn", lb.target_group_arn},
                   {"containerName", lb.container_name},
                   {"containerPort", lb.container_port}});
  }
  return out;
}

json DeploymentJson(const Deployment& d) {
  json j = {{"id", d.id},
            {"status", d.status == DeploymentStatus::kPrimary ? "PRIMARY" : "ACTIVE"},
            {"taskDefinition", d.task_definition_arn},
            {"desiredCount", d.desired_count},
            {"pendingCount", d.pending_count},
            {"runningCount", d.running_count},
            {"failedTasks", d.failed_tasks},
            {"createdAt", EpochSeconds(d.created_at)},
            {"updatedAt", EpochSeconds(d.updated_at)},
            {"launchType", d.launch_type},
            {"rolloutState", RolloutStateName(d.rollout_state)},
            {"rolloutStateReason", d.rollout_state_reason}};
  if (!d.network_configuration.is_null()) j["networkConfiguration"] = d.network_configuration;
  return j;
}

std::string Str(const json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

long long Int(const json& j, const char* key, long long fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

bool Bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

json ServiceToJson(const Service& s, bool include_tags) {
  int running = 0, pending = 0;
  json deployments = json::array();
  for (const auto& d : s.deployments) {
    running += d.running_count;
    pending += d.pending_count;
    deployments.push_back(DeploymentJson(d));
  }
  json events = json::array();
  for (const auto& e : s.events) {
    events.push_back({{"id", e.id}, {"createdAt", EpochSeconds(e.created_at)}, {"message", e.message}});
  }
  json j = {{"serviceArn", s.arn},
            {"serviceName", s.name},
            {"clusterArn", s.cluster_arn},
            {"loadBalancers", LoadBalancersJson(s.load_balancers)},
            {"serviceRegistries", json::array()},
            {"status", ServiceStatusName(s.status)},
            {"desiredCount", s.desired_count},
            {"runningCount", running},
            {"pendingCount", pending},
            {"launchType", s.launch_type},
            {"taskDefinition", s.task_definition_arn},
            {"deploymentConfiguration", DeploymentConfigurationJson(s.deployment_configuration)},
            {"deployments", deployments},
            {"events", events},
            {"createdAt", EpochSeconds(s.created_at)},
            {"placementConstraints", s.placement_constraints},
            {"placementStrategy", s.placement_strategy},
            {"schedulingStrategy", s.scheduling_strategy},
            {"deploymentController", {{"type", s.deployment_controller}}},
            {"createdBy", s.created_by},
            {"enableECSManagedTags", s.enable_ecs_managed_tags},
            {"propagateTags", s.propagate_tags},
            {"enableExecuteCommand", s.enable_execute_command},
            {"taskSets", json::array()}};
  if (!s.network_configuration.is_null()) j["networkConfiguration"] = s.network_configuration;
  if (s.has_grace_period) j["healthCheckGracePeriodSeconds"] = s.health_check_grace_period_s;
  if (!s.role_arn.empty()) j["roleArn"] = s.role_arn;
  if (!s.platform_version.empty()) j["platformVersion"] = s.platform_version;
  if (include_tags) j["tags"] = TagsToJson(s.tags);
  return j;
}

json ServiceToStorage(const Service& s) {
  json deployments = json::array();
  for (const auto& d : s.deployments) {
    json dj = DeploymentJson(d);
    dj["createdAtMs"] = d.created_at;
    dj["updatedAtMs"] = d.updated_at;
    dj["hadHealthyTask"] = d.had_healthy_task;
    deployments.push_back(dj);
  }
  json events = json::array();
  for (const auto& e : s.events) {
    events.push_back({{"id", e.id}, {"createdAtMs", e.created_at}, {"message", e.message}});
  }
  json j = ServiceToJson(s, true);
  j["deployments"] = deployments;
  j["events"] = events;
  j["_berth"] = {{"createdAtMs", s.created_at},
                 {"hasGracePeriod", s.has_grace_period},
                 {"lastCompletedDeploymentId", s.last_completed_deployment_id},
                 {"lastCompletedTaskDefinition", s.last_completed_task_definition_arn},
                 {"createFingerprint", s.create_fingerprint}};
  return j;
}

Result<Service> ServiceFromStorage(const json& j) {
  if (!j.is_object()) return InvalidArgument("stored service is not an object");
  Service s;
  s.arn = Str(j, "serviceArn");
  s.name = Str(j, "serviceName");
  s.cluster_arn = Str(j, "clusterArn");
  if (s.arn.empty() || s.name.empty()) return InvalidArgument("stored service lacks its name");
  std::string status = Str(j, "status", "ACTIVE");
  s.status = status == "DRAINING"   ? ServiceStatus::kDraining
             : status == "INACTIVE" ? ServiceStatus::kInactive
                                    : ServiceStatus::kActive;
  s.task_definition_arn = Str(j, "taskDefinition");
  s.desired_count = static_cast<int>(Int(j, "desiredCount"));
  s.launch_type = Str(j, "launchType", "EC2");
  s.scheduling_strategy = Str(j, "schedulingStrategy", "REPLICA");
  if (auto it = j.find("deploymentConfiguration"); it != j.end() && it->is_object()) {
    s.deployment_configuration.maximum_percent = static_cast<int>(Int(*it, "maximumPercent", 200));
    s.deployment_configuration.minimum_healthy_percent =
        static_cast<int>(Int(*it, "minimumHealthyPercent", 100));
    if (auto cb = it->find("deploymentCircuitBreaker"); cb != it->end() && cb->is_object()) {
      s.deployment_configuration.circuit_breaker_enable = Bool(*cb, "enable");
      s.deployment_configuration.circuit_breaker_rollback = Bool(*cb, "rollback");
    }
  }
  if (auto it = j.find("deploymentController"); it != j.end() && it->is_object()) {
    s.deployment_controller = Str(*it, "type", "ECS");
  }
  if (auto it = j.find("networkConfiguration"); it != j.end()) s.network_configuration = *it;
  if (auto it = j.find("loadBalancers"); it != j.end() && it->is_array()) {
    for (const auto& lb : *it) {
      s.load_balancers.push_back({Str(lb, "targetGroupArn"), Str(lb, "containerName"),
                                  static_cast<int>(Int(lb, "containerPort"))});
    }
  }
  s.health_check_grace_period_s = static_cast<int>(Int(j, "healthCheckGracePeriodSeconds"));
  if (auto it = j.find("tags"); it != j.end()) {
    auto tags = ParseTags(*it, Resource::kService);
    if (tags.ok()) s.tags = *tags;
  }
  s.propagate_tags = Str(j, "propagateTags", "NONE");
  s.enable_ecs_managed_tags = Bool(j, "enableECSManagedTags");
  s.enable_execute_command = Bool(j, "enableExecuteCommand");
  if (auto it = j.find("placementConstraints"); it != j.end()) s.placement_constraints = *it;
  if (auto it = j.find("placementStrategy"); it != j.end()) s.placement_strategy = *it;
  s.role_arn = Str(j, "roleArn");
  s.platform_version = Str(j, "platformVersion");
  s.created_by = Str(j, "createdBy");
  if (auto it = j.find("deployments"); it != j.end() && it->is_array()) {
    for (const auto& dj : *it) {
      Deployment d;
      d.id = Str(dj, "id");
      d.status = Str(dj, "status") == "PRIMARY" ? DeploymentStatus::kPrimary : DeploymentStatus::kActive;
      d.task_definition_arn = Str(dj, "taskDefinition");
      d.desired_count = static_cast<int>(Int(dj, "desiredCount"));
      d.failed_tasks = static_cast<int>(Int(dj, "failedTasks"));
      d.created_at = Int(dj, "createdAtMs");
      d.updated_at = Int(dj, "updatedAtMs");
      d.launch_type = Str(dj, "launchType", "EC2");
      if (auto nc = dj.find("networkConfiguration"); nc != dj.end()) d.network_configuration = *nc;
      std::string rs = Str(dj, "rolloutState");
      d.rollout_state = rs == "COMPLETED" ? RolloutState::kCompleted
                        : rs == "FAILED"  ? RolloutState::kFailed
                                          : RolloutState::kInProgress;
      d.rollout_state_reason = Str(dj, "rolloutStateReason");
      d.had_healthy_task = Bool(dj, "hadHealthyTask");
      s.deployments.push_back(std::move(d));
    }
  }
  if (auto it = j.find("events"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) s.events.push_back({Str(e, "id"), Int(e, "createdAtMs"), Str(e, "message")});
  }
  if (auto b = j.find("_berth"); b != j.end() && b->is_object()) {
    s.created_at = Int(*b, "createdAtMs");
    s.has_grace_period = Bool(*b, "hasGracePeriod");
    s.last_completed_deployment_id = Str(*b, "lastCompletedDeploymentId");
    s.last_completed_task_definition_arn = Str(*b, "lastCompletedTaskDefinition");
    s.create_fingerprint = Str(*b, "createFingerprint");
  }
  return s;
}

}  // namespace berth::model
