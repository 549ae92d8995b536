// KernelForwarding: the listeners' fast data path. For each listener it keeps one nftables
// rule that rewrites the destination of new local connections to the listener's address and
// port (DNAT in the `output` hook, round-robin with `numgen inc`) to one of the listener's
// routable targets, so the bytes of a forwarded connection never pass through berth: the kernel
// does per connection what ListenerProxy does in user space, at the speed of a direct
// connection. Connections the rule does not take (from other hosts when listening on a non-
// loopback address, or while no target is healthy) still reach the listening socket and its
// ListenerProxy, which answers 503 when there is nothing to forward to.
//
// Everything lives in one table per instance, `ip berth_lb_<pid>_<n>`: deleted by the destructor,
// and at Open any table of a daemon that no longer runs is removed. Targets outside the loopback
// network (task namespaces on the task bridge) need `route_localnet` on that bridge, a
// masquerade of 127.0.0.0/8 towards it, and a guard that drops packets for 127.0.0.0/8 arriving
// from it (what Kubernetes does for the same reason, CVE-2020-8558).
//
// Draining: conntrack keeps an existing connection on its target after the rule changes, so a
// removed target gets no new connection and keeps its old ones; OpenConnections tells when the
// last one has closed (conntrack.h).
//
// Threads: one thread at a time (the lb thread). Needs root (CAP_NET_ADMIN) and nf_tables.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "lb/types.h"

struct nft_ctx;

namespace berth::lb {

struct KernelForwardingOptions {
  std::string table;  // "" = "berth_lb_<pid>_<n>"
  // Interfaces behind which non-loopback targets live (the task bridge), and their subnets.
  std::vector<std::string> localnet_interfaces;
  std::vector<std::string> subnets;  // "10.213.0.0/16"
};

class KernelForwarding {
 public:
  static Result<std::unique_ptr<KernelForwarding>> Open(const KernelForwardingOptions& options);
  ~KernelForwarding();  // deletes the table
  KernelForwarding(const KernelForwarding&) = delete;
  KernelForwarding& operator=(const KernelForwarding&) = delete;

  // Whether the kernel path can reach the target (loopback, or inside one of the subnets).
  bool CanReach(const TargetKey& target) const;

  // New local connections to address:port go round-robin to `targets` (in order); with no
  // targets they reach the listening socket again. address "0.0.0.0" = any local address.
  Status Route(const std::string& address, int port, const std::vector<TargetKey>& targets);
  // Removes the listener's rule.
  void Forget(int port);

  // Connections to address:port that the kernel forwarded to `target` and that are still open.
  Result<int> OpenConnections(const std::string& address, int port, const TargetKey& target) const;

  const std::string& table() const { return table_; }

 private:
  explicit KernelForwarding(KernelForwardingOptions options);
  // Runs nft commands as one transaction; the error text names the first failing command.
  Status Run(const std::string& commands);
  Status Create();
  void RemoveTablesOfDeadDaemons();
  void EnableLocalnet();

  KernelForwardingOptions options_;
  std::string table_;
  nft_ctx* nft_ = nullptr;
  std::vector<std::pair<uint32_t, uint32_t>> subnets_;  // (network, mask), host byte order
  std::set<std::string> localnet_done_;
  std::set<int> chains_;  // listener ports with a chain
};

}  // namespace berth::lb
