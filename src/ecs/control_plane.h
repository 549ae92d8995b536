// ControlPlane: ECS's control plane on one host — clusters, task definitions and tasks, each
// task driven by a runner::TaskRunner. It owns the in-memory state (the source of truth while
// running) and writes every change through to the StateStore before anyone can observe it.
//
// Requests arrive already decoded (api/ecs does the wire format); results are model objects.
// Names and ARNs are both accepted wherever ECS accepts both.
//
// Threads: control thread only (the Executor), including every callback it makes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "driver/driver.h"
#include "ecs/event_sink.h"
#include "ecs/load_balancing.h"
#include "model/service.h"
#include "model/task.h"
#include "model/task_definition.h"
#include "model/task_json.h"
#include "network/task_networks.h"
#include "runner/task_runner.h"
#include "state/state_store.h"

namespace berth::ecs {

// Who is asking: the region comes from the request's SigV4 credential scope.
struct RequestContext {
  std::string region = "us-east-1";
};

struct Options {
  std::string account_id = "123456789012";
  std::string default_region = "us-east-1";
  int host_cpu_units = 0;   // 0 = nproc × 1024
  int host_memory_mib = 0;  // 0 = MemTotal
  int64_t stopped_task_retention_ms = 3600 * 1000;  // ECS keeps stopped tasks ≥ 1 h
  runner::RunnerOptions runner;
  // A service task without a container health check or load balancer counts as healthy this
  // long after it is RUNNING (ECS: 40 s).
  int64_t service_task_warmup_ms = 40 * 1000;
  // How often every service is reconciled even when nothing changed (time-based rules).
  int64_t service_tick_ms = 1000;
  // The load balancer service tasks register in; null = services with loadBalancers refused.
  LoadBalancing* load_balancing = nullptr;
  // Per-task network namespaces for awsvpc and bridge; null = every task on the host network
  // (awsvpc refused).
  network::TaskNetworks* networks = nullptr;
  // Where the ECS events (task, service action, deployment) go once their change is committed;
  // null = no events. See ecs/event_sink.h.
  EventSink* events = nullptr;
};

struct Failure {
  std::string arn;
  std::string reason;
  std::string detail;
};

struct RunTaskRequest {
  std::string cluster;
  std::string task_definition;
  int count = 1;
  std::string launch_type;  // EC2 when empty
  std::string started_by;
  std::string group;
  nlohmann::json overrides = nlohmann::json::object();
  model::Tags tags;
  std::string client_token;
  std::string fingerprint;  // canonical request, to detect a reused clientToken
  // The service scheduler keeps running a revision deregistered after the service started.
  bool allow_inactive_definition = false;
};

struct RunTaskResult {
  std::vector<model::Task> tasks;
  std::vector<Failure> failures;
};

struct ListTasksFilter {
  std::string cluster;
  std::string family;
  std::string started_by;
  std::string service_name;
  std::string launch_type;
  bool desired_stopped = false;
};

struct ListTaskDefinitionsFilter {
  std::string family;  // exact match, despite the wire name familyPrefix
  model::TaskDefinitionStatus status = model::TaskDefinitionStatus::kActive;
  bool descending = false;
};

struct CreateServiceRequest {
  std::string cluster;
  std::string name;
  std::string task_definition;
  std::optional<int> desired_count;
  std::string launch_type;                      // EC2 when empty
  std::string scheduling_strategy = "REPLICA";  // or DAEMON
  model::DeploymentConfiguration deployment_configuration;
  std::string deployment_controller = "ECS";
  nlohmann::json network_configuration;  // null when absent
  std::vector<model::ServiceLoadBalancer> load_balancers;
  std::optional<int> health_check_grace_period_s;
  model::Tags tags;
  std::string propagate_tags = "NONE";
  bool enable_ecs_managed_tags = false;
  bool enable_execute_command = false;
  nlohmann::json placement_constraints = nlohmann::json::array();
  nlohmann::json placement_strategy = nlohmann::json::array();
  std::string role_arn;
  std::string platform_version;
  std::string fingerprint;  // canonical request, to tell a retry from a conflicting create
};

struct UpdateServiceRequest {
  std::string cluster;
  std::string service;
  std::optional<int> desired_count;
  std::string task_definition;  // empty = unchanged
  bool force_new_deployment = false;
  std::optional<int> maximum_percent;
  std::optional<int> minimum_healthy_percent;
  std::optional<bool> circuit_breaker_enable;
  std::optional<bool> circuit_breaker_rollback;
  nlohmann::json network_configuration;  // null = unchanged
  std::optional<std::vector<model::ServiceLoadBalancer>> load_balancers;
  std::optional<int> health_check_grace_period_s;
  std::optional<bool> enable_execute_command;
  std::optional<std::string> propagate_tags;
};

class ControlPlane {
 public:
  ControlPlane(Executor& executor, driver::Driver& driver, state::StateStore& store,
               Options options);
  ~ControlPlane();

  // Loads the stored state. Tasks that were running when the previous daemon went away are
  // adopted when the driver can (Docker, host or none network: TaskRunner::Adopt, posted to run
  // once the loop does) and marked STOPPED otherwise. Creates the `default` cluster if missing.
  Status Load();

  const Options& options() const { return options_; }

  // Clusters.
  Result<model::Cluster> CreateCluster(const RequestContext& ctx, const std::string& name,
                                       const model::Tags& tags, const nlohmann::json& settings);
  Result<const model::Cluster*> FindCluster(const std::string& name_or_arn) const;
  std::vector<const model::Cluster*> Clusters() const;
  model::ClusterCounts Counts(const model::Cluster& c) const;
  Result<model::Cluster> DeleteCluster(const std::string& name_or_arn);

  // Task definitions.
  Result<model::TaskDefinition> RegisterTaskDefinition(const RequestContext& ctx,
                                                       model::TaskDefinition td);
  // `family`, `family:revision` or an ARN. A bare family means its latest ACTIVE revision.
  Result<const model::TaskDefinition*> FindTaskDefinition(const std::string& ref) const;
  std::vector<const model::TaskDefinition*> ListTaskDefinitions(
      const ListTaskDefinitionsFilter& f) const;
  // Families with any revision (status ALL), or with/without an ACTIVE one.
  std::vector<std::string> ListFamilies(const std::string& prefix, const std::string& status) const;
  Result<model::TaskDefinition> DeregisterTaskDefinition(const std::string& ref);
  Result<model::TaskDefinition> DeleteTaskDefinition(const std::string& ref);

  // Tasks.
  Result<RunTaskResult> RunTask(const RequestContext& ctx, const RunTaskRequest& req);
  Result<model::Task> StopTask(const std::string& cluster, const std::string& task,
                               const std::string& reason);
  // nullptr when the task is unknown (DescribeTasks reports MISSING).
  const model::Task* FindTask(const model::Cluster& cluster, const std::string& id_or_arn) const;
  Result<std::vector<const model::Task*>> ListTasks(const ListTasksFilter& f) const;
  std::vector<const model::Task*> AllTasks() const;

  // Services (services.cc) and their scheduler (service_scheduler.cc).
  Result<model::Service> CreateService(const RequestContext& ctx, const CreateServiceRequest& req);
  Result<model::Service> UpdateService(const UpdateServiceRequest& req);
  Result<model::Service> DeleteService(const std::string& cluster, const std::string& service,
                                       bool force);
  // nullptr when the cluster has no service of that name or ARN (any status).
  const model::Service* FindService(const model::Cluster& cluster,
                                    const std::string& name_or_arn) const;
  // ACTIVE services of the cluster, creation order.
  std::vector<const model::Service*> ListServices(const model::Cluster& cluster,
                                                  const std::string& launch_type,
                                                  const std::string& scheduling_strategy) const;
  // The short ARN DescribeServices reports for a MISSING service.
  std::string MissingServiceArn(const RequestContext& ctx, const std::string& name_or_arn) const;

  // Tags on cluster, service, task-definition and task ARNs.
  Status TagResource(const std::string& arn, const model::Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<model::Tags> ListTagsForResource(const std::string& arn) const;

  // Stops every task with its stop sequence; `done` runs once all are STOPPED.
  void StopAllTasks(const std::string& reason, std::function<void()> done);
  int MaxStopTimeoutS() const;
  // Stops every task (SIGKILL) and deletes all state.
  Status Reset();

 private:
  struct TaskEntry {
    model::Task task;
    std::unique_ptr<runner::TaskRunner> runner;
  };
  // What the scheduler remembers of one of its tasks (not stored: tasks die with the daemon).
  enum class StopKind { kNone, kScale, kUnhealthy };
  struct ServiceTask {
    std::string deployment_id;
    bool ever_healthy = false;
    bool registered = false;  // in the service's target groups
    StopKind stop_kind = StopKind::kNone;
  };
  struct ServiceRuntime {
    std::map<std::string, ServiceTask> tasks;  // by task id, until accounted after STOPPED
    int consecutive_failures = 0;
    TimeMs next_start_allowed = 0;
    bool throttle_event_posted = false;
    bool steady = false;
    TimeMs last_steady_event = 0;
    TimeMs last_stuck_event = 0;
    // The last placement/configuration failure sent as an ECS Service Action (rate-limited).
    std::string last_failure_event;
    TimeMs last_failure_event_at = 0;
    bool reconcile_posted = false;
  };
  struct TokenUse {
    std::string fingerprint;
    std::vector<std::string> task_ids;
  };

  // The tags of the cluster, task definition or task an ARN names, and how to store them.
  struct TagTarget {
    model::Tags* tags;
    std::function<Status()> persist;
  };
  Result<TagTarget> ResolveTagTarget(const std::string& arn);

  std::string Arn(const std::string& region, const std::string& resource) const;
  // False for an ARN of another account or partition (it can never name our resources).
  bool OwnArn(const std::string& name_or_arn) const;
  model::Cluster* MutableCluster(const std::string& name_or_arn);
  model::TaskDefinition* MutableTaskDefinition(const std::string& ref);
  TaskEntry* MutableTask(const std::string& id_or_arn);
  void OnTaskChanged(const std::string& id, const model::Task& t, bool state_change);
  // An ECS Task State Change for `t` as it is now; call right after committing a change of its
  // lastStatus, desiredStatus or a container (each bumps `version`).
  void PublishTaskEvent(const model::Task& t);
  // Service and deployment events wait here until the service is next committed
  // (PersistService publishes them, in order).
  void QueueServiceEvent(EcsEvent event);
  void QueueDeploymentEvent(const model::Service& s, const model::Deployment& d);
  void FlushServiceEvents();
  // Writes the task through to the store and bumps its change_seq.
  void Persist(model::Task& t);
  void PurgeStoppedTasks();
  model::Service* MutableService(const std::string& cluster_arn, const std::string& name_or_arn);
  void PersistService(model::Service& s);
  void AddServiceEvent(model::Service& s, const std::string& message);
  model::Deployment NewDeployment(const model::Service& s, const std::string& task_definition_arn,
                                  const std::string& reason_prefix);
  void StartDeployment(model::Service& s, model::Deployment d);
  void ScheduleReconcile(const std::string& service_arn);
  void ServiceTick();
  void ReconcileService(model::Service& s);
  bool ServiceTaskHealthy(const model::Service& s, const model::Task& t) const;
  void StartServiceTasks(model::Service& s, int count);
  void StopServiceTask(model::Service& s, TaskEntry& e, StopKind kind, const std::string& reason);
  void RegisterServiceTask(model::Service& s, TaskEntry& e);
  void AccountStoppedServiceTasks(model::Service& s, ServiceRuntime& rt);
  void ReplaceUnhealthyServiceTasks(model::Service& s, ServiceRuntime& rt);
  void CheckCircuitBreaker(model::Service& s, ServiceRuntime& rt);
  std::vector<TaskEntry*> ServiceTasks(const model::Service& s);
  std::optional<LbTarget> TaskTarget(const model::Task& t, const model::ServiceLoadBalancer& lb) const;
  void CheckAllStopped();
  int UsedCpu() const;
  // OK unless the definition needs a network namespace berth cannot make (awsvpc as non-root).
  Status CheckNetworkMode(const model::TaskDefinition& td) const;
  // The task's ports on the host network (host mode) that another task or process holds.
  std::string PortConflict(const std::vector<std::string>& ports) const;
  int UsedMemory() const;

  Executor& executor_;
  driver::Driver& driver_;
  state::StateStore& store_;
  Options options_;
  std::vector<model::Cluster> clusters_;
  std::vector<std::unique_ptr<model::TaskDefinition>> definitions_;  // registration order
  std::map<std::string, int> max_revision_;  // family → highest revision ever
  std::map<std::string, std::unique_ptr<TaskEntry>> tasks_;  // by id
  std::vector<std::string> task_order_;                       // ids, creation order
  std::map<std::string, TokenUse> client_tokens_;
  std::vector<std::unique_ptr<model::Service>> services_;  // creation order
  std::map<std::string, ServiceRuntime> service_runtime_;  // by service ARN
  TimerId service_timer_ = 0;
  bool shutting_down_ = false;
  std::function<void()> all_stopped_;
  TimerId purge_timer_ = 0;
  uint64_t change_counter_ = 0;
  std::vector<EcsEvent> pending_service_events_;
};

}  // namespace berth::ecs
