#include "daemon/task_metadata.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/time_format.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

// The agent writes Go's RFC 3339 with nanoseconds; berth's clock has milliseconds.
std::string Time(TimeMs t) { return FormatIsoMillis(t); }

std::string KnownStatus(model::ContainerStatus s) { return model::ContainerStatusName(s); }

std::string TaskDesiredStatus(const model::Task& t) {
  return t.desired_stopped ? "STOPPED" : "RUNNING";
}

json Networks(const model::Task& task) {
  json net = {{"NetworkMode", task.network_mode.empty() ? "host" : task.network_mode}};
  if (!task.private_ipv4.empty()) {
    net["IPv4Addresses"] = json::array({task.private_ipv4});
    if (task.network_mode == "awsvpc") {
      net["AttachmentIndex"] = 0;
      net["MACAddress"] = task.mac_address;
      std::string dashed = task.private_ipv4;
      for (char& c : dashed) c = c == '.' ? '-' : c;
      net["PrivateDNSName"] = "ip-" + dashed + ".ec2.internal";
    }
  }
  return json::array({net});
}

// /proc/stat's first line: the host's CPU time in nanoseconds (Docker's system_cpu_usage).
uint64_t SystemCpuNs() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  f >> cpu;
  if (cpu != "cpu") return 0;
  uint64_t total = 0, v = 0;
  for (int i = 0; i < 8 && (f >> v); ++i) total += v;
  long tick = sysconf(_SC_CLK_TCK);
  return total * (tick > 0 ? 1000000000ULL / static_cast<uint64_t>(tick) : 10000000ULL);
}

json CpuStats(const driver::ContainerStats& s, uint64_t system_ns) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return {{"cpu_usage",
           {{"total_usage", s.cpu_user_ns + s.cpu_system_ns},
            {"usage_in_kernelmode", s.cpu_system_ns},
            {"usage_in_usermode", s.cpu_user_ns}}},
          {"system_cpu_usage", system_ns},
          {"online_cpus", cpus > 0 ? cpus : 1},
          {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}};
}

}  // namespace

json ContainerMetadata(const model::Task& task, const model::Container& c,
                       const model::TaskDefinition& def, const MetadataContext& ctx) {
  json j = {
      {"DockerId", c.runtime_id},
      {"Name", c.name},
      {"DockerName", c.name},
      {"Image", c.image},
      {"ImageID", ""},
      {"Labels",
       {{"com.amazonaws.ecs.cluster", ctx.cluster_name},
        {"com.amazonaws.ecs.container-name", c.name},
        {"com.amazonaws.ecs.task-arn", task.arn},
        {"com.amazonaws.ecs.task-definition-family", def.family},
        {"com.amazonaws.ecs.task-definition-version", std::to_string(def.revision)}}},
      {"DesiredStatus", TaskDesiredStatus(task)},
      {"KnownStatus", KnownStatus(c.last_status)},
      {"Limits", {{"CPU", c.cpu}}},
      {"Type", "NORMAL"},
      {"ContainerARN", c.container_arn},
      {"Networks", Networks(task)},
  };
  if (c.memory) j["Limits"]["Memory"] = *c.memory;
  if (task.created_at) j["CreatedAt"] = Time(task.created_at);
  if (task.started_at) j["StartedAt"] = Time(task.started_at);
  if (c.exit_code) j["ExitCode"] = *c.exit_code;
  if (c.has_health_check) j["Health"] = {{"status", model::HealthStatusName(c.health_status)}};
  if (const model::ContainerDefinition* cd = def.FindContainer(c.name)) {
    if (!cd->log_driver.empty()) {
      j["LogDriver"] = cd->log_driver;
      j["LogOptions"] = cd->log_options;
    }
  }
  return j;
}

json TaskMetadata(const model::Task& task, const model::TaskDefinition& def,
                  const MetadataContext& ctx) {
  json containers = json::array();
  for (const auto& c : task.containers) containers.push_back(ContainerMetadata(task, c, def, ctx));
  json j = {
      {"Cluster", task.launch_type == "FARGATE" ? task.cluster_arn : ctx.cluster_name},
      {"TaskARN", task.arn},
      {"Family", def.family},
      {"Revision", std::to_string(def.revision)},
      {"DesiredStatus", TaskDesiredStatus(task)},
      {"KnownStatus", model::TaskStatusName(task.last_status)},
      {"Containers", containers},
      {"LaunchType", task.launch_type.empty() ? "EC2" : task.launch_type},
      {"AvailabilityZone", ctx.availability_zone},
  };
  json limits = json::object();
  if (!task.cpu.empty()) limits["CPU"] = std::stod(task.cpu) / 1024.0;
  if (!task.memory.empty()) limits["Memory"] = std::stoll(task.memory);
  if (!limits.empty()) j["Limits"] = limits;
  if (task.pull_started_at) j["PullStartedAt"] = Time(task.pull_started_at);
  if (task.pull_stopped_at) j["PullStoppedAt"] = Time(task.pull_stopped_at);
  if (task.execution_stopped_at) j["ExecutionStoppedAt"] = Time(task.execution_stopped_at);
  if (!ctx.service_name.empty()) j["ServiceName"] = ctx.service_name;
  return j;
}

json ContainerStatsJson(const model::Container& c, const driver::ContainerStats& now,
                        TimeMs now_ms) {
  // Like Docker's first reading of a stream: precpu_stats zero (CPU since the start).
  json pre = CpuStats(driver::ContainerStats{}, 0);
  return {
      {"read", Time(now_ms)},
      {"preread", "0001-01-01T00:00:00Z"},
      {"name", c.name},
      {"id", c.runtime_id},
      {"num_procs", 0},
      {"pids_stats", {{"current", now.pids}}},
      {"cpu_stats", CpuStats(now, SystemCpuNs())},
      {"precpu_stats", pre},
      {"memory_stats",
       {{"usage", now.memory_bytes},
        {"max_usage", now.memory_bytes},
        {"stats", json::object()},
        {"limit", now.memory_limit_bytes}}},
      {"blkio_stats", {{"io_service_bytes_recursive", json::array()}}},
      {"storage_stats", json::object()},
  };
}

}  // namespace berth::daemon
