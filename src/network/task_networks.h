// TaskNetworks: the network of each task whose networkMode is `awsvpc` or `bridge` — its own
// network namespace, with its own IPv4 address on a berth-managed Linux bridge:
//
//        host namespace                         task namespace (one per task)
//   berth0 (bridge, gateway 10.213.0.1/16) ── bth<task id> ══ veth ══ eth0 10.213.0.N/16
//                                                                     lo 127.0.0.1 (up)
//                                                                     default via 10.213.0.1
//
// The containers (processes) of one task join the same namespace (driver::ProcessSpec::netns_fd),
// so they share `localhost` and its ports; two tasks may both bind port 80; the host reaches a
// task at its address, and a task reaches the host (and other tasks) through the bridge, the host
// at the gateway address.
//
// Not here: outbound NAT to the internet (no iptables: a task reaches the host and other tasks,
// nothing beyond), IPv6 addresses, publishing ports on the host (`bridge` mode's hostPort), DNS.
// If the host loads br_netfilter with a FORWARD policy of DROP (Docker does both), traffic
// between two tasks may be dropped; host <-> task traffic is not forwarded and is unaffected.
//
// Everything is done with rtnetlink messages (network/links.h), never by running `ip`: the
// process driver is a child subreaper that reaps every child, so a fork outside it would race.
// A namespace is made by a short-lived thread that unshare()s into a new one and opens it; the
// fd keeps it alive after the thread ends.
//
// Addresses are in memory (network/ipam.h): one berth per bridge and subnet.
//
// Ownership: the daemon owns one TaskNetworks; it owns every namespace fd, veth pair and address
// it made, until Destroy or its own destruction. Threads: any (the control thread, or a worker);
// calls are serialized by an internal mutex. Both Create and Destroy block in the kernel: Create
// ~2-10 ms, Destroy ~15-60 ms (deleting a link waits for RCU grace periods), so a control thread
// that must never block should run them on a worker.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"
#include "network/ipam.h"

namespace berth::network {

struct Options {
  std::string bridge = "berth0";
  // The gateway is the subnet's first host address, on the bridge; tasks get the others.
  std::string subnet = "10.213.0.0/16";
};

// One task's network, as Create made it. netns_fd is owned by TaskNetworks: valid until
// Destroy(task_id) (or ~TaskNetworks); the driver joins it at spawn (setns), after which the
// processes hold the namespace themselves.
struct TaskNetwork {
  std::string task_id;
  int netns_fd = -1;
  std::string ipv4;     // "10.213.0.2"
  std::string gateway;  // "10.213.0.1"
  int prefix_len = 16;
  std::string host_veth;  // "bth" + the task id's first 12 characters (IFNAMSIZ is 16)
  std::string mac;        // of eth0 in the task: 0a:62 + its IPv4 address, "0a:62:0a:d5:00:02"
};

class TaskNetworks {
 public:
  explicit TaskNetworks(Options options);
  ~TaskNetworks();  // destroys every task network it made; the bridge stays
  TaskNetworks(const TaskNetworks&) = delete;
  TaskNetworks& operator=(const TaskNetworks&) = delete;

  // OK, InvalidArgument for bad Options (subnet, bridge name), or FailedPrecondition with a
  // message fit for users when berth lacks the privileges (CAP_NET_ADMIN, CAP_SYS_ADMIN) or the
  // kernel lacks network namespaces. Cheap; nothing is created.
  Status Available() const;

  // Creates the task's network: the bridge on first use (created if missing, address
  // gateway/prefix, up), a new namespace with `lo` up, a veth pair whose host end joins the
  // bridge and whose other end is `eth0` in the namespace, with the task's address and a default
  // route via the gateway. Returns once the bridge port forwards (so the task's first packets are
  // not lost). Blocks for a few milliseconds.
  // Errors: as Available(); AlreadyExists for a task_id that has a network; ResourceExhausted
  // when the subnet is full; Internal/FailedPrecondition when the kernel refuses (its reason in
  // the message). A failed Create leaves nothing behind.
  // existing_netns >= 0: set up that namespace (e.g. a Docker pause container's, still owned
  // by the caller) instead of a new one; TaskNetworks keeps a duplicate of the fd.
  Result<TaskNetwork> Create(const std::string& task_id, int existing_netns = -1);

  // Deletes the task's veth pair (and with it eth0), closes the namespace fd and frees the
  // address. The namespace itself ends when its last process does (stop the task's processes
  // first: until then they keep a namespace with only `lo`). Unknown id: no-op.
  void Destroy(const std::string& task_id);

  // At daemon start: deletes host veths left by an earlier berth — veths whose name starts with
  // "bth" that are ports of this bridge (or of none) and not a network of this TaskNetworks.
  // Returns how many it deleted (for the daemon's log).
  int SweepLeftovers();

  // The task's network, if Create made one (and Destroy has not run).
  std::optional<TaskNetwork> Find(const std::string& task_id) const;

 private:
  struct Entry {
    TaskNetwork info;
    int netns_fd = -1;  // owned
    Ipv4 address = 0;
  };
  Status ValidOptions() const;
  Status EnsureBridgeLocked();
  void DestroyLocked(Entry& entry);

  const Options options_;
  Result<Subnet> subnet_;
  mutable std::mutex mu_;
  std::optional<Ipam> ipam_;
  int bridge_index_ = 0;  // 0 until the bridge is known to be up with its address
  std::map<std::string, Entry> tasks_;
};

}  // namespace berth::network
