// LoadBalancing: berth's Elastic Load Balancing v2 — load balancers, target groups, listeners,
// targets and tags (the configuration), plus the running side: each listener's port proxied to
// the healthy targets of its group, health checks, draining. The ELBv2 API handlers and the ECS
// service scheduler both call it.
//
// Ownership and threads:
//   - The configuration lives here and is read and changed on the control thread only (every
//     public method). Each change is written to DATA_DIR/lb/state.json before the call returns
//     (state_file.h) and then posted to the lb thread.
//   - The lb thread (LbLoop, owned here) runs the Engine (health, routing, draining) and the
//     ListenerProxies. Health verdicts come back through a HealthBoard, so
//     DescribeTargetHealth answers without waiting; `drained` callbacks are posted to the
//     control Executor.
//   - Destroying it stops the lb thread: listeners close, open proxied connections are cut,
//     pending `drained` callbacks are dropped. Destroy it on the control thread, after the
//     control plane's tasks have stopped.
//
// Errors: Status codes with the lb resources of lb/lb_errors.h (which list the AWS error each
// becomes).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "lb/health_board.h"
#include "lb/state_file.h"
#include "lb/types.h"

namespace berth::lb {

class Engine;
class KernelForwarding;
class LbLoop;
class ListenerProxy;
class Prober;

struct Options {
  std::string data_dir;                    // state in DATA_DIR/lb/; "" keeps it in memory only
  std::string bind_address = "127.0.0.1";  // where listeners listen
  std::string account_id = "123456789012";
  // false: listeners bind no port and no health check leaves the process (targets stay
  // `initial`) — for fuzzing the API without touching the network.
  bool data_path = true;
  // Forward local connections in the kernel (nftables DNAT, kernel_forwarding.h) when it can
  // (root, nf_tables); otherwise, or when false, every connection goes through ListenerProxy.
  bool kernel_forwarding = true;
  std::string kernel_table;  // "" = berth_lb_<pid>_<n>
  // Where task-namespace targets live: the task bridge and its subnet.
  std::vector<std::string> task_interfaces;
  std::vector<std::string> task_subnets;
};

struct LoadBalancerSpec {
  std::string name;
  LbType type = LbType::kApplication;
  std::string scheme;           // "" = internet-facing
  std::string ip_address_type;  // "" = ipv4
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  Tags tags;
};

// Health-check fields a request gave; the rest keep their current (or default) values.
struct HealthCheckPatch {
  std::optional<Protocol> protocol;
  std::optional<std::string> port;  // "traffic-port" or a number
  std::optional<std::string> path;
  std::optional<bool> enabled;
  std::optional<long long> interval_s, timeout_s, healthy_threshold, unhealthy_threshold;
  std::optional<std::string> matcher;
};

struct TargetGroupSpec {
  std::string name;
  std::optional<Protocol> protocol;
  std::optional<long long> port;
  std::string vpc_id;
  std::string target_type;  // "" = instance (AWS's default)
  HealthCheckPatch health_check;
  Tags tags;
};

struct ListenerSpec {
  std::string load_balancer_arn;
  std::optional<Protocol> protocol;  // default: HTTP for application, TCP for network
  std::optional<long long> port;
  std::string target_group_arn;  // the forward action's group
  Tags tags;
};

// A target as a request names it: port 0 = the group's port.
struct TargetRef {
  std::string id;  // an IPv4 address
  long long port = 0;
};

struct TagDescription {
  std::string arn;
  Tags tags;
};

class LoadBalancing {
 public:
  // Loads DATA_DIR/lb/state.json, starts the lb thread and rebinds every listener. A listener
  // whose port cannot be bound again is kept (and reported by TakeWarnings) but serves nothing.
  static Result<std::unique_ptr<LoadBalancing>> Open(Executor& control, Options options);
  ~LoadBalancing();

  // Problems met while loading (e.g. a listener port now taken), for the daemon's log.
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

  // --- Load balancers and listeners (load_balancers.cc) ---
  Result<LoadBalancer> CreateLoadBalancer(const LoadBalancerSpec& spec, const std::string& region);
  // All when both lists are empty; NotFound when any named one is missing.
  Result<std::vector<LoadBalancer>> DescribeLoadBalancers(
      const std::vector<std::string>& arns, const std::vector<std::string>& names) const;
  // Also deletes its listeners. Deleting an unknown load balancer succeeds, as in AWS.
  Status DeleteLoadBalancer(const std::string& arn);
  Result<Listener> CreateListener(const ListenerSpec& spec);
  Result<std::vector<Listener>> DescribeListeners(const std::string& load_balancer_arn,
                                                  const std::vector<std::string>& arns) const;
  Status DeleteListener(const std::string& arn);

  // --- Target groups (target_groups.cc) ---
  Result<TargetGroup> CreateTargetGroup(const TargetGroupSpec& spec, const std::string& region);
  Result<std::vector<TargetGroup>> DescribeTargetGroups(
      const std::string& load_balancer_arn, const std::vector<std::string>& arns,
      const std::vector<std::string>& names) const;
  Result<TargetGroup> ModifyTargetGroup(const std::string& arn, const HealthCheckPatch& patch);
  // FailedPrecondition while a listener forwards to it; unknown groups succeed, as in AWS.
  Status DeleteTargetGroup(const std::string& arn);
  Result<std::vector<std::pair<std::string, std::string>>> DescribeTargetGroupAttributes(
      const std::string& arn) const;
  Result<std::vector<std::pair<std::string, std::string>>> ModifyTargetGroupAttributes(
      const std::string& arn, const std::vector<std::pair<std::string, std::string>>& attributes);
  // The load balancers whose listeners forward to the group (ECS refuses a service whose group
  // has none). NotFound (kTargetGroup) when there is no such group.
  Result<std::vector<std::string>> LoadBalancersOfTargetGroup(const std::string& arn) const;

  // --- Targets (targets.cc): also the ECS service scheduler's interface ---
  // Registers targets (already registered ones are left alone; a draining one is registered
  // again). The first health check runs at once.
  Status RegisterTargets(const std::string& target_group_arn,
                         const std::vector<TargetRef>& targets);
  // The targets get no new connections and show `draining` until their open connections have
  // closed (berth ends the drain as soon as none is open) or the group's deregistration delay
  // has passed (then the remaining connections are closed); then they are removed and
  // `drained` is posted to the control Executor — once, after every listed target is gone.
  // InvalidArgument (kTarget) when a target is not registered; nothing changes then.
  Status DeregisterTargets(const std::string& target_group_arn,
                           const std::vector<TargetRef>& targets,
                           std::function<void()> drained = nullptr);
  // Every registered target when `targets` is empty; an unregistered one asked for shows
  // unused / Target.NotRegistered.
  Result<std::vector<TargetHealthDescription>> DescribeTargetHealth(
      const std::string& target_group_arn, const std::vector<TargetRef>& targets = {}) const;

  // --- Tags (load_balancing.cc): ARNs of load balancers, target groups and listeners ---
  Status AddTags(const std::vector<std::string>& arns, const Tags& tags);
  Status RemoveTags(const std::vector<std::string>& arns, const std::vector<std::string>& keys);
  Result<std::vector<TagDescription>> DescribeTags(const std::vector<std::string>& arns) const;

  // Deletes everything (POST /_berth/reset).
  Status Reset();

  const std::string& bind_address() const { return options_.bind_address; }
  // The nftables table of the kernel data path, or "" when listeners forward in user space.
  const std::string& kernel_table() const { return kernel_table_; }

 private:
  struct TargetRecord {
    uint64_t generation = 0;  // registration order, and which registration a verdict is about
    bool draining = false;
  };

  LoadBalancing(Executor& control, Options options);
  Status Start(Config config);
  Status Save();
  Config Snapshot() const;

  LoadBalancer* FindLoadBalancer(const std::string& arn);
  const LoadBalancer* FindLoadBalancer(const std::string& arn) const;
  TargetGroup* FindTargetGroup(const std::string& arn);
  const TargetGroup* FindTargetGroup(const std::string& arn) const;
  Listener* FindListener(const std::string& arn);
  const Listener* FindListener(const std::string& arn) const;
  bool InUse(const std::string& target_group_arn) const;
  Tags* TagsOf(const std::string& arn, Status* not_found);

  // Binds the port and hands it to the lb thread. Conflict when the port is taken.
  Status StartListener(const Listener& l);
  void StopListener(const std::string& listener_arn, const std::string& target_group_arn);
  void PushGroup(const TargetGroup& tg);
  void PostToLb(std::function<void()> fn);
  // lb thread: points the kernel rules of the group's listeners at its routable targets.
  void RouteInKernel(const std::string& target_group_arn);
  int KernelConnections(const std::string& target_group_arn, const TargetKey& key) const;
  void CloseListenerOnLb(const std::string& listener_arn);

  Executor& control_;
  Options options_;
  std::string state_path_;  // "" = not persisted
  std::vector<std::string> warnings_;
  std::shared_ptr<bool> alive_;  // guards callbacks posted back to the control thread

  // Configuration (control thread).
  std::vector<LoadBalancer> load_balancers_;
  std::vector<TargetGroup> target_groups_;
  std::vector<Listener> listeners_;
  std::map<std::string, std::map<TargetKey, TargetRecord>> targets_;  // by group ARN
  uint64_t next_generation_ = 1;

  // Runtime (the lb thread, except the board).
  HealthBoard board_;
  std::unique_ptr<LbLoop> loop_;
  std::unique_ptr<Prober> prober_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, std::unique_ptr<ListenerProxy>> proxies_;  // lb thread only
  // The kernel data path (lb thread only; null when unavailable or disabled).
  struct KernelRoute {
    std::string target_group_arn;
    int port = 0;
    std::optional<std::vector<TargetKey>> pushed;  // what the rule forwards to now
  };
  std::unique_ptr<KernelForwarding> kernel_;
  std::string kernel_table_;                          // set once in Start
  std::map<std::string, KernelRoute> kernel_routes_;  // by listener ARN
};

}  // namespace berth::lb
