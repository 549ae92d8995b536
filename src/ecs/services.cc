// ControlPlane: services — CreateService, UpdateService, DeleteService and lookups
// (spec/ecs.md §3 Services, §6). The scheduler that runs their tasks is service_scheduler.cc.
#include <random>

#include "common/ids.h"
#include "ecs/control_plane.h"
#include "ecs/ecs_events.h"

namespace berth::ecs {

namespace {

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// "…:service/CLUSTER/NAME", "…:service/NAME" or "NAME" → "NAME".
std::string ServiceName(const std::string& name_or_arn) {
  if (name_or_arn.rfind("arn:", 0) != 0) return name_or_arn;
  size_t slash = name_or_arn.rfind('/');
  return slash == std::string::npos ? "" : name_or_arn.substr(slash + 1);
}

std::string NewDeploymentId() {
  static std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<uint64_t> first(1, 9), digit(0, 9);
  std::string id = "ecs-svc/" + std::to_string(first(rng));
  for (int i = 0; i < 18; ++i) id += std::to_string(digit(rng));
  return id;
}

Status CheckDeploymentConfiguration(const model::DeploymentConfiguration& c,
                                    const std::string& strategy) {
  if (c.minimum_healthy_percent < 0 || c.minimum_healthy_percent > 100) {
    return InvalidArgument("minimumHealthyPercent must be between 0 and 100.");
  }
  if (c.maximum_percent < 100 || c.maximum_percent > 200) {
    return InvalidArgument("maximumPercent must be between 100 and 200.");
  }
  if (strategy == "DAEMON" && c.maximum_percent != 100) {
    return InvalidArgument("The maximumPercent of a DAEMON service must be 100.");
  }
  return Status::Ok();
}

}  // namespace

Status ControlPlane::CheckNetworkMode(const model::TaskDefinition& td) const {
  if (td.network_mode != "awsvpc") return Status::Ok();
  if (options_.networks == nullptr) {
    return InvalidArgument("networkMode awsvpc is not available: this berth daemon runs every task on the host network.");
  }
  return options_.networks->Available();
}

model::Service* ControlPlane::MutableService(const std::string& cluster_arn,
                                             const std::string& name_or_arn) {
  if (!OwnArn(name_or_arn)) return nullptr;
  std::string name = ServiceName(name_or_arn);
  // A long ARN names its cluster; it must be this one.
  if (name_or_arn.rfind("arn:", 0) == 0) {
    size_t p = name_or_arn.find(":service/");
    if (p == std::string::npos) return nullptr;
    std::string rest = name_or_arn.substr(p + 9);
    if (rest.find('/') != std::string::npos &&
        cluster_arn.substr(cluster_arn.rfind('/') + 1) != rest.substr(0, rest.find('/'))) {
      return nullptr;
    }
  }
  // Newest first: a name reused after INACTIVE names the new service.
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) {
    if ((*it)->cluster_arn == cluster_arn && (*it)->name == name) return it->get();
  }
  return nullptr;
}

const model::Service* ControlPlane::FindService(const model::Cluster& cluster,
                                                const std::string& name_or_arn) const {
  return const_cast<ControlPlane*>(this)->MutableService(cluster.arn, name_or_arn);
}

std::vector<const model::Service*> ControlPlane::ListServices(
    const model::Cluster& cluster, const std::string& launch_type,
    const std::string& scheduling_strategy) const {
  std::vector<const model::Service*> out;
  for (const auto& s : services_) {
    if (s->cluster_arn != cluster.arn || s->status != model::ServiceStatus::kActive) continue;
    if (!launch_type.empty() && s->launch_type != launch_type) continue;
    if (!scheduling_strategy.empty() && s->scheduling_strategy != scheduling_strategy) continue;
    out.push_back(s.get());
  }
  return out;
}

std::string ControlPlane::MissingServiceArn(const RequestContext& ctx,
                                            const std::string& name_or_arn) const {
  if (name_or_arn.rfind("arn:", 0) == 0) return name_or_arn;
  return Arn(ctx.region, "service/" + name_or_arn);
}

void ControlPlane::PersistService(model::Service& s) {
  s.change_seq = ++change_counter_;
  Status st = store_.PutService(s);
  if (!st.ok()) {
    fprintf(stderr, "berth: cannot store service %s: %s\n", s.arn.c_str(), st.ToString().c_str());
  }
  FlushServiceEvents();
}

void ControlPlane::QueueServiceEvent(EcsEvent event) {
  if (options_.events != nullptr) pending_service_events_.push_back(std::move(event));
}

void ControlPlane::QueueDeploymentEvent(const model::Service& s, const model::Deployment& d) {
  if (options_.events == nullptr) return;
  QueueServiceEvent(DeploymentStateChangeEvent(s, d, executor_.clock().NowMs()));
}

void ControlPlane::FlushServiceEvents() {
  if (options_.events == nullptr) {
    pending_service_events_.clear();
    return;
  }
  // Publish may not call back into the control plane, but take the queue first regardless.
  std::vector<EcsEvent> events = std::move(pending_service_events_);
  pending_service_events_.clear();
  for (auto& e : events) options_.events->Publish(std::move(e));
}

void ControlPlane::AddServiceEvent(model::Service& s, const std::string& message) {
  s.events.push_front({NewUuid(), executor_.clock().NowMs(), "(service " + s.name + ") " + message});
  while (s.events.size() > 100) s.events.pop_back();
}

model::Deployment ControlPlane::NewDeployment(const model::Service& s,
                                              const std::string& task_definition_arn,
                                              const std::string& reason) {
  model::Deployment d;
  d.id = NewDeploymentId();
  d.task_definition_arn = task_definition_arn;
  d.desired_count = s.desired_count;
  d.created_at = d.updated_at = executor_.clock().NowMs();
  d.launch_type = s.launch_type;
  d.network_configuration = s.network_configuration;
  d.rollout_state_reason = reason.empty() ? "ECS deployment " + d.id + " in progress." : reason;
  return d;
}

void ControlPlane::StartDeployment(model::Service& s, model::Deployment d) {
  for (auto& old : s.deployments) {
    old.status = model::DeploymentStatus::kActive;
    old.desired_count = 0;
    old.updated_at = d.created_at;
  }
  s.deployments.insert(s.deployments.begin(), std::move(d));
  QueueDeploymentEvent(s, s.deployments.front());  // IN_PROGRESS (also for a rollback)
  auto& rt = service_runtime_[s.arn];
  rt.consecutive_failures = 0;
  rt.next_start_allowed = 0;
  rt.throttle_event_posted = false;
  rt.steady = false;
}

Result<model::Service> ControlPlane::CreateService(const RequestContext& ctx,
                                                   const CreateServiceRequest& req) {
  if (!ValidName(req.name)) {
    return InvalidArgument(
        "Service name can have up to 255 characters: letters (upper and lower case), numbers, "
        "underscores, and hyphens.");
  }
  auto cluster = FindCluster(req.cluster);
  if (!cluster.ok()) return cluster.status();
  if (!(*cluster)->active) {
    return NotFound("The referenced cluster was inactive.", Resource::kCluster);
  }
  if (req.deployment_controller != "ECS") {
    return InvalidArgument("berth supports only the ECS deployment controller; " +
                           req.deployment_controller + " is not supported.");
  }
  if (req.scheduling_strategy != "REPLICA" && req.scheduling_strategy != "DAEMON") {
    return InvalidArgument("schedulingStrategy must be REPLICA or DAEMON.");
  }
  if (req.scheduling_strategy == "REPLICA" && !req.desired_count) {
    return InvalidArgument("desiredCount is required for a service with the REPLICA scheduling strategy.");
  }
  if (req.desired_count && (*req.desired_count < 0)) {
    return InvalidArgument("desiredCount must be greater than or equal to 0.");
  }
  model::DeploymentConfiguration config = req.deployment_configuration;
  BERTH_RETURN_IF_ERROR(CheckDeploymentConfiguration(config, req.scheduling_strategy));

  if (model::Service* existing = MutableService((*cluster)->arn, req.name)) {
    if (existing->status != model::ServiceStatus::kInactive) {
      if (existing->create_fingerprint == req.fingerprint) return *existing;
      return InvalidArgument("Creation of service was not idempotent.");
    }
  }
  auto def = FindTaskDefinition(req.task_definition);
  if (!def.ok()) return NotFound("TaskDefinition not found.", Resource::kTaskDefinition);
  if ((*def)->status != model::TaskDefinitionStatus::kActive) {
    return FailedPrecondition("TaskDefinition is inactive", Resource::kTaskDefinition);
  }
  if (Status net = CheckNetworkMode(**def); !net.ok()) return InvalidArgument(net.message());
  for (const auto& lb : req.load_balancers) {
    if (options_.load_balancing == nullptr) {
      return InvalidArgument("This berth daemon has no load balancer.");
    }
    BERTH_RETURN_IF_ERROR(options_.load_balancing->CheckTargetGroup(lb.target_group_arn));
    bool found = false;
    for (const auto& c : (*def)->containers) {
      if (c.name != lb.container_name) continue;
      for (const auto& pm : c.port_mappings) found = found || pm.container_port == lb.container_port;
    }
    if (!found) {
      return InvalidArgument("The container " + lb.container_name +
                             " did not have a container port " + std::to_string(lb.container_port) +
                             " defined.");
    }
  }

  auto s = std::make_unique<model::Service>();
  s->name = req.name;
  s->arn = Arn(ctx.region, "service/" + (*cluster)->name + "/" + req.name);
  s->cluster_arn = (*cluster)->arn;
  s->task_definition_arn = (*def)->arn;
  s->scheduling_strategy = req.scheduling_strategy;
  s->desired_count = req.scheduling_strategy == "DAEMON" ? 1 : *req.desired_count;
  s->launch_type = req.launch_type.empty() ? "EC2" : req.launch_type;
  s->deployment_configuration = config;
  s->network_configuration = req.network_configuration;
  s->load_balancers = req.load_balancers;
  if (req.health_check_grace_period_s) {
    s->has_grace_period = true;
    s->health_check_grace_period_s = *req.health_check_grace_period_s;
  }
  s->tags = req.tags;
  s->propagate_tags = req.propagate_tags;
  s->enable_ecs_managed_tags = req.enable_ecs_managed_tags;
  s->enable_execute_command = req.enable_execute_command;
  s->placement_constraints = req.placement_constraints;
  s->placement_strategy = req.placement_strategy;
  s->role_arn = req.role_arn;
  s->platform_version = req.platform_version;
  s->created_at = executor_.clock().NowMs();
  s->created_by = "arn:aws:iam::" + options_.account_id + ":root";
  s->create_fingerprint = req.fingerprint;
  service_runtime_.erase(s->arn);
  StartDeployment(*s, NewDeployment(*s, s->task_definition_arn, ""));
  PersistService(*s);
  model::Service copy = *s;
  // A reused name replaces the INACTIVE record.
  for (auto it = services_.begin(); it != services_.end(); ++it) {
    if ((*it)->arn == s->arn) {
      services_.erase(it);
      break;
    }
  }
  services_.push_back(std::move(s));
  ScheduleReconcile(copy.arn);
  return copy;
}

Result<model::Service> ControlPlane::UpdateService(const UpdateServiceRequest& req) {
  auto cluster = FindCluster(req.cluster);
  if (!cluster.ok()) return cluster.status();
  model::Service* s = MutableService((*cluster)->arn, req.service);
  if (s == nullptr) return NotFound("Service not found.", Resource::kService);
  if (s->status != model::ServiceStatus::kActive) {
    return FailedPrecondition("Service was not ACTIVE.", Resource::kInactiveService);
  }
  // Check everything before changing anything.
  const model::TaskDefinition* def = nullptr;
  if (!req.task_definition.empty()) {
    auto d = FindTaskDefinition(req.task_definition);
    if (!d.ok()) return NotFound("TaskDefinition not found.", Resource::kTaskDefinition);
    if ((*d)->status != model::TaskDefinitionStatus::kActive) {
      return FailedPrecondition("TaskDefinition is inactive", Resource::kTaskDefinition);
    }
    def = *d;
    if (Status net = CheckNetworkMode(*def); !net.ok()) return InvalidArgument(net.message());
  }
  if (req.desired_count && *req.desired_count < 0) {
    return InvalidArgument("desiredCount must be greater than or equal to 0.");
  }
  model::DeploymentConfiguration config = s->deployment_configuration;
  if (req.maximum_percent) config.maximum_percent = *req.maximum_percent;
  if (req.minimum_healthy_percent) config.minimum_healthy_percent = *req.minimum_healthy_percent;
  if (req.circuit_breaker_enable) config.circuit_breaker_enable = *req.circuit_breaker_enable;
  if (req.circuit_breaker_rollback) config.circuit_breaker_rollback = *req.circuit_breaker_rollback;
  BERTH_RETURN_IF_ERROR(CheckDeploymentConfiguration(config, s->scheduling_strategy));
  if (req.load_balancers) {
    for (const auto& lb : *req.load_balancers) {
      if (options_.load_balancing == nullptr) {
        return InvalidArgument("This berth daemon has no load balancer.");
      }
      BERTH_RETURN_IF_ERROR(options_.load_balancing->CheckTargetGroup(lb.target_group_arn));
    }
  }

  bool new_deployment = req.force_new_deployment;
  if (def != nullptr && def->arn != s->task_definition_arn) new_deployment = true;
  if (!req.network_configuration.is_null() && req.network_configuration != s->network_configuration) {
    new_deployment = true;
    s->network_configuration = req.network_configuration;
  }
  if (req.load_balancers) {
    bool same = req.load_balancers->size() == s->load_balancers.size();
    for (size_t i = 0; same && i < s->load_balancers.size(); ++i) {
      const auto& a = (*req.load_balancers)[i];
      const auto& b = s->load_balancers[i];
      same = a.target_group_arn == b.target_group_arn && a.container_name == b.container_name &&
             a.container_port == b.container_port;
    }
    if (!same) new_deployment = true;
    s->load_balancers = *req.load_balancers;
  }
  s->deployment_configuration = config;
  if (def != nullptr) s->task_definition_arn = def->arn;
  if (req.desired_count && s->scheduling_strategy == "REPLICA") s->desired_count = *req.desired_count;
  if (req.health_check_grace_period_s) {
    s->has_grace_period = true;
    s->health_check_grace_period_s = *req.health_check_grace_period_s;
  }
  if (req.enable_execute_command) s->enable_execute_command = *req.enable_execute_command;
  if (req.propagate_tags) s->propagate_tags = *req.propagate_tags;
  if (new_deployment) {
    StartDeployment(*s, NewDeployment(*s, s->task_definition_arn, ""));
  } else if (model::Deployment* p = s->Primary()) {
    if (p->desired_count != s->desired_count) service_runtime_[s->arn].steady = false;
    p->desired_count = s->desired_count;
    p->updated_at = executor_.clock().NowMs();
  }
  PersistService(*s);
  ScheduleReconcile(s->arn);
  return *s;
}

Result<model::Service> ControlPlane::DeleteService(const std::string& cluster,
                                                   const std::string& service, bool force) {
  auto c = FindCluster(cluster);
  if (!c.ok()) return c.status();
  model::Service* s = MutableService((*c)->arn, service);
  if (s == nullptr) return NotFound("Service not found.", Resource::kService);
  if (s->status == model::ServiceStatus::kInactive) {
    return FailedPrecondition("Service was not ACTIVE.", Resource::kInactiveService);
  }
  if (s->desired_count > 0 && !force && s->scheduling_strategy == "REPLICA") {
    return InvalidArgument("The service cannot be stopped while it is scaled above 0.");
  }
  s->desired_count = 0;
  for (auto& d : s->deployments) d.desired_count = 0;
  s->status = model::ServiceStatus::kDraining;
  PersistService(*s);
  ScheduleReconcile(s->arn);
  return *s;
}

std::vector<ControlPlane::TaskEntry*> ControlPlane::ServiceTasks(const model::Service& s) {
  std::vector<TaskEntry*> out;
  std::string group = "service:" + s.name;
  for (const auto& id : task_order_) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) continue;
    const model::Task& t = it->second->task;
    if (t.cluster_arn == s.cluster_arn && t.group == group && !t.stopped()) {
      out.push_back(it->second.get());
    }
  }
  return out;
}

}  // namespace berth::ecs
