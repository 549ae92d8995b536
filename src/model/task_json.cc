#include "model/task_json.h"

#include <algorithm>

#include "common/time_format.h"

namespace berth::model {

using nlohmann::json;

namespace {

// The availability zone a task reports: the region's "a" zone, as a one-host cluster would.
std::string ZoneFromArn(const std::string& arn) {
  // arn:aws:ecs:REGION:ACCOUNT:...
  size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
  size_t b = arn.find(':', a + 1);
  if (a == std::string::npos || b == std::string::npos) return "";
  return arn.substr(a + 1, b - a - 1) + "a";
}

void PutTime(json& j, const char* key, TimeMs t) {
  if (t != 0) j[key] = EpochSeconds(t);
}

TimeMs GetTime(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return static_cast<TimeMs>(it->get<double>() * 1000.0 + 0.5);
}

std::string GetString(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : "";
}

json ContainerToJson(const Task& t, const Container& c) {
  json j = {
      {"containerArn", c.container_arn},
      {"taskArn", t.arn},
      {"name", c.name},
      {"image", c.image},
      {"lastStatus", ContainerStatusName(c.last_status)},
      {"networkBindings", c.network_bindings},
      {"networkInterfaces", json::array()},
      {"healthStatus", HealthStatusName(c.health_status)},
      {"cpu", std::to_string(c.cpu)},
  };
  if (!c.runtime_id.empty()) j["runtimeId"] = c.runtime_id;
  if (!t.private_ipv4.empty()) {
    j["networkInterfaces"] = json::array({{{"attachmentId", t.attachment_id},
                                            {"privateIpv4Address", t.private_ipv4}}});
  }
  if (c.exit_code) j["exitCode"] = *c.exit_code;
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (c.memory) j["memory"] = std::to_string(*c.memory);
  if (c.memory_reservation) j["memoryReservation"] = std::to_string(*c.memory_reservation);
  return j;
}

// awsvpc tasks carry one ENI attachment, as on ECS; berth's "ENI" is the task's veth.
json AttachmentsJson(const Task& t) {
  if (t.network_mode != "awsvpc" || t.attachment_id.empty()) return json::array();
  std::string dashed = t.private_ipv4;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  json details = json::array({{{"name", "subnetId"}, {"value", "subnet-berth"}},
                              {{"name", "networkInterfaceId"}, {"value", "eni-" + t.id.substr(0, 17)}},
                              {{"name", "macAddress"}, {"value", t.mac_address}},
                              {{"name", "privateDnsName"}, {"value", "ip-" + dashed + ".ec2.internal"}},
                              {{"name", "privateIPv4Address"}, {"value", t.private_ipv4}}});
  std::string status = t.private_ipv4.empty() ? "PRECREATED"
                       : t.stopped()           ? "DELETED"
                                               : "ATTACHED";
  return json::array({{{"id", t.attachment_id},
                       {"type", "ElasticNetworkInterface"},
                       {"status", status},
                       {"details", details}}});
}

HealthStatus ParseHealth(const std::string& s) {
  if (s == "HEALTHY") return HealthStatus::kHealthy;
  if (s == "UNHEALTHY") return HealthStatus::kUnhealthy;
  return HealthStatus::kUnknown;
}

StopCode ParseStopCode(const std::string& s) {
  for (StopCode c : {StopCode::kTaskFailedToStart, StopCode::kEssentialContainerExited,
                     StopCode::kUserInitiated, StopCode::kServiceSchedulerInitiated}) {
    if (StopCodeName(c) == s) return c;
  }
  return StopCode::kNone;
}

}  // namespace

json ClusterToJson(const Cluster& c, const ClusterCounts& counts, bool include_tags,
                   bool include_settings) {
  json j = {
      {"clusterArn", c.arn},
      {"clusterName", c.name},
      {"status", c.active ? "ACTIVE" : "INACTIVE"},
      {"registeredContainerInstancesCount", 0},
      {"runningTasksCount", counts.running_tasks},
      {"pendingTasksCount", counts.pending_tasks},
      {"activeServicesCount", counts.active_services},
      {"statistics", json::array()},
      {"capacityProviders", json::array()},
      {"defaultCapacityProviderStrategy", json::array()},
  };
  if (include_tags) j["tags"] = TagsToJson(c.tags);
  if (include_settings) {
    j["settings"] = c.settings.empty()
                        ? json::array({{{"name", "containerInsights"}, {"value", "disabled"}}})
                        : c.settings;
  }
  return j;
}

json TaskToJson(const Task& t, bool include_tags) {
  json containers = json::array();
  for (const auto& c : t.containers) containers.push_back(ContainerToJson(t, c));
  json j = {
      {"taskArn", t.arn},
      {"clusterArn", t.cluster_arn},
      {"taskDefinitionArn", t.task_definition_arn},
      {"group", t.group},
      {"lastStatus", TaskStatusName(t.last_status)},
      {"desiredStatus", t.desired_stopped ? "STOPPED" : "RUNNING"},
      {"healthStatus", HealthStatusName(t.health_status)},
      {"version", t.version},
      {"launchType", t.launch_type},
      {"availabilityZone", ZoneFromArn(t.arn)},
      {"containers", containers},
      {"overrides", t.overrides},
      {"attachments", AttachmentsJson(t)},
      {"attributes", json::array({{{"name", "ecs.cpu-architecture"}, {"value", "x86_64"}}})},
      {"enableExecuteCommand", false},
  };
  if (!t.driver.empty()) {
    j["attributes"].push_back({{"name", "berth.driver"}, {"value", t.driver}});
  }
  if (!t.started_by.empty()) j["startedBy"] = t.started_by;
  if (!t.cpu.empty()) j["cpu"] = t.cpu;
  if (!t.memory.empty()) j["memory"] = t.memory;
  PutTime(j, "createdAt", t.created_at);
  PutTime(j, "pullStartedAt", t.pull_started_at);
  PutTime(j, "pullStoppedAt", t.pull_stopped_at);
  PutTime(j, "startedAt", t.started_at);
  PutTime(j, "connectivityAt", t.connectivity_at);
  PutTime(j, "stoppingAt", t.stopping_at);
  PutTime(j, "executionStoppedAt", t.execution_stopped_at);
  PutTime(j, "stoppedAt", t.stopped_at);
  if (t.connectivity_at != 0) j["connectivity"] = "CONNECTED";
  if (t.stop_code != StopCode::kNone) j["stopCode"] = StopCodeName(t.stop_code);
  if (!t.stopped_reason.empty()) j["stoppedReason"] = t.stopped_reason;
  if (include_tags) j["tags"] = TagsToJson(t.tags);
  return j;
}

json TaskToStorage(const Task& t) {
  json j = TaskToJson(t, true);
  json extra = {{"id", t.id},
                {"clientToken", t.client_token},
                {"reservedCpu", t.reserved_cpu},
                {"reservedMemory", t.reserved_memory},
                {"networkMode", t.network_mode},
                {"privateIpv4", t.private_ipv4},
                {"macAddress", t.mac_address},
                {"attachmentId", t.attachment_id},
                {"hostPorts", t.host_ports},
                {"containers", json::array()}};
  for (const auto& c : t.containers) {
    extra["containers"].push_back(
        {{"essential", c.essential}, {"hasHealthCheck", c.has_health_check}});
  }
  j["_berth"] = extra;
  return j;
}

Result<Task> TaskFromStorage(const json& j) {
  if (!j.is_object() || !j.contains("_berth")) return Internal("stored task is malformed");
  try {
    Task t;
    const json& extra = j["_berth"];
    t.id = extra.value("id", "");
    t.client_token = extra.value("clientToken", "");
    t.reserved_cpu = extra.value("reservedCpu", 0);
    t.reserved_memory = extra.value("reservedMemory", 0);
    t.network_mode = extra.value("networkMode", "");
    t.private_ipv4 = extra.value("privateIpv4", "");
    t.mac_address = extra.value("macAddress", "");
    t.attachment_id = extra.value("attachmentId", "");
    t.host_ports = extra.value("hostPorts", std::vector<std::string>{});
    if (j.contains("attributes") && j["attributes"].is_array()) {
      for (const auto& a : j["attributes"]) {
        if (a.is_object() && a.value("name", "") == "berth.driver") t.driver = a.value("value", "");
      }
    }
    t.arn = GetString(j, "taskArn");
    t.cluster_arn = GetString(j, "clusterArn");
    t.task_definition_arn = GetString(j, "taskDefinitionArn");
    t.group = GetString(j, "group");
    t.started_by = GetString(j, "startedBy");
    t.launch_type = GetString(j, "launchType");
    if (!ParseTaskStatus(GetString(j, "lastStatus"), &t.last_status)) {
      return Internal("stored task has a bad lastStatus");
    }
    t.desired_stopped = GetString(j, "desiredStatus") == "STOPPED";
    t.health_status = ParseHealth(GetString(j, "healthStatus"));
    t.version = j.value("version", int64_t{1});
    t.cpu = GetString(j, "cpu");
    t.memory = GetString(j, "memory");
    t.created_at = GetTime(j, "createdAt");
    t.pull_started_at = GetTime(j, "pullStartedAt");
    t.pull_stopped_at = GetTime(j, "pullStoppedAt");
    t.started_at = GetTime(j, "startedAt");
    t.connectivity_at = GetTime(j, "connectivityAt");
    t.stopping_at = GetTime(j, "stoppingAt");
    t.execution_stopped_at = GetTime(j, "executionStoppedAt");
    t.stopped_at = GetTime(j, "stoppedAt");
    t.stop_code = ParseStopCode(GetString(j, "stopCode"));
    t.stopped_reason = GetString(j, "stoppedReason");
    t.overrides = j.value("overrides", json::object());
    if (j.contains("tags")) {
      for (const auto& tag : j["tags"]) t.tags.push_back({tag.value("key", ""), tag.value("value", "")});
    }
    const json& ex_containers = extra.value("containers", json::array());
    size_t i = 0;
    for (const auto& cj : j.value("containers", json::array())) {
      Container c;
      c.name = GetString(cj, "name");
      c.image = GetString(cj, "image");
      c.container_arn = GetString(cj, "containerArn");
      c.runtime_id = GetString(cj, "runtimeId");
      std::string ls = GetString(cj, "lastStatus");
      c.last_status = ls == "RUNNING"   ? ContainerStatus::kRunning
                      : ls == "STOPPED" ? ContainerStatus::kStopped
                                        : ContainerStatus::kPending;
      if (cj.contains("exitCode")) c.exit_code = cj["exitCode"].get<int>();
      c.reason = GetString(cj, "reason");
      if (cj.contains("networkBindings") && cj["networkBindings"].is_array()) {
        c.network_bindings = cj["networkBindings"];
      }
      c.health_status = ParseHealth(GetString(cj, "healthStatus"));
      c.cpu = std::stoi(cj.value("cpu", std::string("0")));
      if (cj.contains("memory")) c.memory = std::stoi(cj["memory"].get<std::string>());
      if (cj.contains("memoryReservation")) {
        c.memory_reservation = std::stoi(cj["memoryReservation"].get<std::string>());
      }
      if (i < ex_containers.size()) {
        c.essential = ex_containers[i].value("essential", true);
        c.has_health_check = ex_containers[i].value("hasHealthCheck", false);
      }
      ++i;
      t.containers.push_back(std::move(c));
    }
    return t;
  } catch (const std::exception& e) {
    return Internal(std::string("stored task is malformed: ") + e.what());
  }
}

json ClusterToStorage(const Cluster& c) {
  return {{"name", c.name},
          {"arn", c.arn},
          {"active", c.active},
          {"tags", TagsToJson(c.tags)},
          {"settings", c.settings}};
}

Result<Cluster> ClusterFromStorage(const json& j) {
  try {
    Cluster c;
    c.name = j.at("name").get<std::string>();
    c.arn = j.at("arn").get<std::string>();
    c.active = j.value("active", true);
    for (const auto& tag : j.value("tags", json::array())) {
      c.tags.push_back({tag.value("key", ""), tag.value("value", "")});
    }
    c.settings = j.value("settings", json::array());
    return c;
  } catch (const std::exception& e) {
    return Internal(std::string("stored cluster is malformed: ") + e.what());
  }
}

}  // namespace berth::model
