// ControlPlane: tasks — RunTask, StopTask, lookups, capacity.
#include "ecs/control_plane.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ids.h"
#include "ecs/ecs_events.h"

namespace berth::ecs {

using model::TaskStatus;

namespace {

// "arn:aws:ecs:R:A:task/CLUSTER/ID" or "…task/ID" → "ID"; an id is returned as is.
std::string TaskId(const std::string& id_or_arn) {
  if (id_or_arn.rfind("arn:", 0) == 0) {
    size_t slash = id_or_arn.rfind('/');
    return slash == std::string::npos ? "" : id_or_arn.substr(slash + 1);
  }
  return id_or_arn;
}

// Task-level cpu/memory overrides, as strings in the wire format.
std::optional<int> OverrideInt(const nlohmann::json& overrides, const char* key) {
  auto it = overrides.find(key);
  if (it == overrides.end() || !it->is_string()) return std::nullopt;
  try {
    return std::stoi(it->get<std::string>());
  } catch (...) {
    return std::nullopt;
  }
}

// True when nothing on the host holds the port (a trial bind on all addresses).
bool HostPortFree(const std::string& port) {
  bool udp = port.rfind("udp/", 0) == 0;
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  // As servers bind: a port whose last connections linger in TIME_WAIT is free.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(port.substr(4))));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// The host ports a task of this definition holds: every port mapping in host mode.
// The host ports a task holds: every port of a host-mode task; the static hostPorts a bridge
// task publishes on the driver's bridge (hostPort 0 takes whatever port is free).
std::vector<std::string> HostPorts(const model::TaskDefinition& td, bool published_bridge) {
  std::vector<std::string> out;
  bool host = td.network_mode == "host";
  if (!host && !(published_bridge && td.network_mode == "bridge")) return out;
  for (const auto& c : td.containers) {
    for (const auto& pm : c.port_mappings) {
      int port = pm.host_port ? pm.host_port : (host ? pm.container_port : 0);
      if (port) out.push_back(pm.protocol + "/" + std::to_string(port));
    }
  }
  return out;
}

}  // namespace

std::string ControlPlane::PortConflict(const std::vector<std::string>& ports) const {
  for (const auto& p : ports) {
    for (const auto& [id, e] : tasks_) {
      if (e->task.stopped()) continue;
      for (const auto& held : e->task.host_ports) {
        if (held == p) return p;
      }
    }
    if (!HostPortFree(p)) return p;
  }
  return "";
}

ControlPlane::TaskEntry* ControlPlane::MutableTask(const std::string& id_or_arn) {
  if (!OwnArn(id_or_arn)) return nullptr;
  auto it = tasks_.find(TaskId(id_or_arn));
  return it == tasks_.end() ? nullptr : it->second.get();
}

const model::Task* ControlPlane::FindTask(const model::Cluster& cluster,
                                          const std::string& id_or_arn) const {
  auto* e = const_cast<ControlPlane*>(this)->MutableTask(id_or_arn);
  if (e == nullptr || e->task.cluster_arn != cluster.arn) return nullptr;
  return &e->task;
}

std::vector<const model::Task*> ControlPlane::AllTasks() const {
  std::vector<const model::Task*> out;
  for (const auto& id : task_order_) {
    auto it = tasks_.find(id);
    if (it != tasks_.end()) out.push_back(&it->second->task);
  }
  return out;
}

Result<std::vector<const model::Task*>> ControlPlane::ListTasks(const ListTasksFilter& f) const {
  auto cluster = FindCluster(f.cluster);
  if (!cluster.ok()) return cluster.status();
  std::string group;
  if (!f.service_name.empty()) {
    const model::Service* s = FindService(**cluster, f.service_name);
    if (s == nullptr) return NotFound("Service not found.", Resource::kService);
    group = "service:" + s->name;
  }
  std::vector<const model::Task*> out;
  for (const model::Task* t : AllTasks()) {
    if (t->cluster_arn != (*cluster)->arn) continue;
    if (t->desired_stopped != f.desired_stopped) continue;
    if (!f.started_by.empty() && t->started_by != f.started_by) continue;
    if (!group.empty() && t->group != group) continue;
    if (!f.launch_type.empty() && t->launch_type != f.launch_type) continue;
    if (!f.family.empty() && t->group != "family:" + f.family &&
        t->task_definition_arn.find(":task-definition/" + f.family + ":") == std::string::npos) {
      continue;
    }
    out.push_back(t);
  }
  return out;
}

int ControlPlane::UsedCpu() const {
  int used = 0;
  for (const auto& [id, e] : tasks_) {
    if (!e->task.stopped()) used += e->task.reserved_cpu;
  }
  return used;
}

int ControlPlane::UsedMemory() const {
  int used = 0;
  for (const auto& [id, e] : tasks_) {
    if (!e->task.stopped()) used += e->task.reserved_memory;
  }
  return used;
}

Result<RunTaskResult> ControlPlane::RunTask(const RequestContext& ctx, const RunTaskRequest& req) {
  auto cluster = FindCluster(req.cluster);
  if (!cluster.ok()) return cluster.status();
  if (!(*cluster)->active) {
    return NotFound("The referenced cluster was inactive.", Resource::kCluster);
  }
  auto def = FindTaskDefinition(req.task_definition);
  if (!def.ok()) return NotFound("TaskDefinition not found.", Resource::kTaskDefinition);
  if ((*def)->status != model::TaskDefinitionStatus::kActive && !req.allow_inactive_definition) {
    return FailedPrecondition("TaskDefinition is inactive", Resource::kTaskDefinition);
  }
  const model::TaskDefinition& td = **def;

  if (!req.client_token.empty()) {
    auto it = client_tokens_.find(req.client_token);
    if (it != client_tokens_.end()) {
      if (it->second.fingerprint != req.fingerprint) {
        return Conflict("The specified client token has already been used with different parameters.");
      }
      RunTaskResult same;
      for (const auto& id : it->second.task_ids) {
        if (auto* e = MutableTask(id)) same.tasks.push_back(e->task);
      }
      return same;
    }
  }

  // awsvpc and bridge tasks get their own network namespace; awsvpc cannot do without one, a
  // bridge task falls back to the host network when berth may not create namespaces.
  bool own_network = false;
  // Docker puts a bridge task's containers on its own bridge, with published ports.
  bool driver_bridge = td.network_mode == "bridge" && driver_.BridgesTasks();
  if (td.network_mode == "awsvpc" || (td.network_mode == "bridge" && !driver_bridge)) {
    Status available = options_.networks != nullptr
                           ? options_.networks->Available()
                           : FailedPrecondition("this berth daemon runs every task on the host network");
    own_network = available.ok();
    if (!own_network && td.network_mode == "awsvpc") return InvalidArgument(available.message());
  }
  std::vector<std::string> host_ports = HostPorts(td, driver_bridge);

  RunTaskResult result;
  int cpu = OverrideInt(req.overrides, "cpu").value_or(td.ReservedCpuUnits());
  int memory = OverrideInt(req.overrides, "memory").value_or(td.ReservedMemoryMiB());
  std::string instance_arn = Arn(ctx.region, "container-instance/" + (*cluster)->name + "/berth");
  TokenUse token_use{req.fingerprint, {}};
  for (int i = 0; i < req.count; ++i) {
    if (UsedMemory() + memory > options_.host_memory_mib) {
      result.failures.push_back({instance_arn, "RESOURCE:MEMORY", ""});
      continue;
    }
    if (UsedCpu() + cpu > options_.host_cpu_units) {
      result.failures.push_back({instance_arn, "RESOURCE:CPU", ""});
      continue;
    }
    if (std::string port = PortConflict(host_ports); !port.empty()) {
      result.failures.push_back({instance_arn, "RESOURCE:PORTS", ""});
      continue;
    }
    model::Task t;
    t.id = RandomHex(32);
    t.arn = Arn(ctx.region, "task/" + (*cluster)->name + "/" + t.id);
    t.cluster_arn = (*cluster)->arn;
    t.task_definition_arn = td.arn;
    t.group = req.group.empty() ? "family:" + td.family : req.group;
    t.started_by = req.started_by;
    t.launch_type = req.launch_type.empty() ? "EC2" : req.launch_type;
    t.driver = driver_.Name();
    t.last_status = td.network_mode == "awsvpc" ? TaskStatus::kProvisioning : TaskStatus::kPending;
    t.created_at = executor_.clock().NowMs();
    if (td.cpu) t.cpu = std::to_string(*td.cpu);
    if (td.memory) t.memory = std::to_string(*td.memory);
    if (auto c = OverrideInt(req.overrides, "cpu")) t.cpu = std::to_string(*c);
    if (auto m = OverrideInt(req.overrides, "memory")) t.memory = std::to_string(*m);
    t.tags = req.tags;
    t.client_token = req.client_token;
    t.reserved_cpu = cpu;
    t.reserved_memory = memory;
    t.network_mode = own_network || driver_bridge ? td.network_mode : "host";
    t.host_ports = host_ports;
    if (td.network_mode == "awsvpc") t.attachment_id = NewUuid();
    // The task echoes overrides with one entry per container.
    nlohmann::json overrides = req.overrides.is_object() ? req.overrides : nlohmann::json::object();
    nlohmann::json by_name = nlohmann::json::array();
    for (const auto& c : td.containers) {
      nlohmann::json entry = {{"name", c.name}};
      if (overrides.contains("containerOverrides") && overrides["containerOverrides"].is_array()) {
        for (const auto& o : overrides["containerOverrides"]) {
          if (o.is_object() && o.value("name", "") == c.name) entry = o;
        }
      }
      by_name.push_back(entry);
      model::Container mc;
      mc.name = c.name;
      mc.image = c.image;
      mc.container_arn = Arn(ctx.region, "container/" + (*cluster)->name + "/" + t.id + "/" + NewUuid());
      mc.essential = c.essential;
      mc.has_health_check = c.health_check.has_value();
      mc.cpu = c.cpu;
      mc.memory = c.memory;
      mc.memory_reservation = c.memory_reservation;
      if (td.network_mode == "host") {
        for (const auto& pm : c.port_mappings) {
          mc.network_bindings.push_back({{"bindIP", "0.0.0.0"},
                                         {"containerPort", pm.container_port},
                                         {"hostPort", pm.host_port ? pm.host_port : pm.container_port},
                                         {"protocol", pm.protocol}});
        }
      }
      t.containers.push_back(mc);
    }
    overrides["containerOverrides"] = by_name;
    if (!overrides.contains("inferenceAcceleratorOverrides")) {
      overrides["inferenceAcceleratorOverrides"] = nlohmann::json::array();
    }
    t.overrides = overrides;
    BERTH_RETURN_IF_ERROR(store_.PutTask(t));

    auto entry = std::make_unique<TaskEntry>();
    entry->task = t;
    entry->task.change_seq = ++change_counter_;
    std::string id = t.id;
    entry->runner = std::make_unique<runner::TaskRunner>(
        executor_, driver_, td, t, options_.runner,
        [this, id](const model::Task& task, bool state_change) {
          OnTaskChanged(id, task, state_change);
        });
    TaskEntry* raw = entry.get();
    tasks_[id] = std::move(entry);
    task_order_.push_back(id);
    token_use.task_ids.push_back(id);
    result.tasks.push_back(t);
    PublishTaskEvent(t);  // created (version 1), committed above
    // Containers start on the next turn of the loop, after the caller has its answer.
    executor_.Post([this, id, raw, own_network] {
      auto it = tasks_.find(id);
      if (it == tasks_.end() || it->second.get() != raw || !raw->runner) return;
      if (own_network) {
        // An image driver keeps the namespace in a pause container; the process driver lets
        // TaskNetworks make one.
        auto sandbox = driver_.CreateTaskSandbox(id);
        if (!sandbox.ok()) {
          raw->runner->Stop(model::StopCode::kTaskFailedToStart,
                            "ResourceInitializationError: unable to set up the task's network "
                            "namespace: " + sandbox.status().message());
          return;
        }
        auto net = options_.networks->Create(id, *sandbox);
        if (*sandbox >= 0) close(*sandbox);  // TaskNetworks keeps its own
        if (!net.ok()) {
          raw->runner->Stop(model::StopCode::kTaskFailedToStart,
                            "ResourceInitializationError: unable to set up the task's network "
                            "namespace: " + net.status().message());
          return;
        }
        raw->runner->SetNetwork(net->netns_fd, net->ipv4, net->mac);
      }
      raw->runner->Start();
    });
  }
  if (!req.client_token.empty()) client_tokens_[req.client_token] = token_use;
  return result;
}

void ControlPlane::OnTaskChanged(const std::string& id, const model::Task& t, bool state_change) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  TaskEntry& e = *it->second;
  model::Tags tags = std::move(e.task.tags);  // tags are managed here, not by the runner
  e.task = t;
  e.task.tags = std::move(tags);
  Persist(e.task);
  if (state_change) PublishTaskEvent(e.task);
  if (t.group.rfind("service:", 0) == 0) {
    if (model::Service* s = MutableService(t.cluster_arn, t.group.substr(8))) ScheduleReconcile(s->arn);
  }
  if (t.stopped() && e.runner) {
    // The runner is still on the stack: let go of it on the next turn.
    executor_.Post([this, id] {
      auto it2 = tasks_.find(id);
      if (it2 == tasks_.end()) return;
      it2->second->runner.reset();
      if (options_.networks != nullptr) options_.networks->Destroy(id);
      driver_.ReleaseTaskSandbox(id);
      CheckAllStopped();
    });
  }
}

void ControlPlane::PublishTaskEvent(const model::Task& t) {
  if (options_.events == nullptr) return;
  options_.events->Publish(TaskStateChangeEvent(t, executor_.clock().NowMs()));
}

Result<model::Task> ControlPlane::StopTask(const std::string& cluster, const std::string& task,
                                           const std::string& reason) {
  auto c = FindCluster(cluster);
  if (!c.ok()) return c.status();
  TaskEntry* e = MutableTask(task);
  if (e == nullptr || e->task.cluster_arn != (*c)->arn) {
    return NotFound("The referenced task was not found.", Resource::kTask);
  }
  if (e->task.stopped() || e->task.desired_stopped || !e->runner) return e->task;
  e->runner->Stop(model::StopCode::kUserInitiated,
                  reason.empty() ? "Task stopped by user" : reason);
  // StopTask deletes the task's tags.
  e->task.tags.clear();
  Persist(e->task);
  return e->task;
}

}  // namespace berth::ecs
