#include "network/task_networks.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>
#include <utility>

#include "network/links.h"
#include "network/netlink.h"

namespace berth::network {
namespace {

constexpr char kVethPrefix[] = "bth";
constexpr char kTaskLink[] = "eth0";
constexpr size_t kMaxLinkName = 15;  // IFNAMSIZ - 1

// Every address on a berth subnet gets the MAC 0a:62:<its IPv4 address> (0a: locally
// administered, unicast). A task that gets a freed address again gets the same MAC too, so the
// neighbour caches of the host and other tasks stay right.
void MacFor(Ipv4 address, unsigned char (&mac)[6]) {
  mac[0] = 0x0a;
  mac[1] = 0x62;
  for (int i = 0; i < 4; ++i) mac[2 + i] = static_cast<unsigned char>(address >> (24 - 8 * i));
}

std::string HostVethName(const std::string& task_id) {
  std::string name = kVethPrefix;
  for (char ch : task_id) {
    if (name.size() == kMaxLinkName) break;
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-';
    name += ok ? ch : '_';
  }
  return name;
}

bool HasCapability(const __user_cap_data_struct (&data)[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

// A new network namespace with a netlink socket inside it; both hold it alive.
struct NewNamespace {
  UniqueFd netns;
  std::optional<NetlinkSocket> netlink;
  Status status;
};

// unshare() moves only the calling thread, so a thread of its own enters the new namespace,
// opens it and a netlink socket there, and ends; the daemon's threads never leave the host's.
// With existing >= 0 the thread enters that namespace instead (a driver's, e.g. a pause
// container's): the result holds a duplicate of the fd.
Result<NewNamespace> MakeNamespace(int existing) {
  NewNamespace ns;
  try {
    std::thread worker([&ns, existing] {
      if (existing >= 0 ? setns(existing, CLONE_NEWNET) != 0 : unshare(CLONE_NEWNET) != 0) {
        ns.status = FailedPrecondition(std::string(existing >= 0 ? "entering" : "creating") +
                                       " a network namespace: " + std::strerror(errno));
        return;
      }
      ns.netns.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!ns.netns.valid()) {
        ns.status =
            Internal(std::string("opening the new network namespace: ") + std::strerror(errno));
        return;
      }
      Result<NetlinkSocket> nl = NetlinkSocket::Open();
      if (!nl.ok()) {
        ns.status = nl.status();
        return;
      }
      ns.netlink.emplace(std::move(nl).value());
    });
    worker.join();
  } catch (const std::system_error& e) {
    return Internal(std::string("creating a network namespace: starting a thread: ") + e.what());
  }
  if (!ns.status.ok()) return ns.status;
  return ns;
}

// A new veth carries traffic only once the kernel's linkwatch worker has seen its carrier come
// up: until then its transmit queue drops packets and the bridge has not enabled the port. That
// happens asynchronously, usually within a millisecond; waiting for it here spares the task its
// first packets (a lost SYN costs a second). Not an error if it takes longer (a bridge made by
// someone else with STP on has a forwarding delay): the port comes up by itself.
void WaitUntilForwarding(NetlinkSocket& nl, const std::string& name) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    Result<LinkInfo> link = GetLink(nl, name);
    if (!link.ok() || (link->oper_up && link->forwarding)) return;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

}  // namespace

TaskNetworks::TaskNetworks(Options options)
    : options_(std::move(options)), subnet_(ParseSubnet(options_.subnet)) {
  if (subnet_.ok()) ipam_.emplace(*subnet_);
}

TaskNetworks::~TaskNetworks() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, entry] : tasks_) DestroyLocked(entry);
  tasks_.clear();
}

Status TaskNetworks::ValidOptions() const {
  if (!subnet_.ok()) return subnet_.status();
  const std::string& b = options_.bridge;
  if (b.empty() || b.size() > kMaxLinkName || b == "." || b == ".." ||
      b.find_first_of("/: \t\n") != std::string::npos) {
    return InvalidArgument("the bridge name \"" + b +
                           "\" is not a valid network interface name (1 to 15 characters, no "
                           "'/', ':' or spaces)");
  }
  return Status::Ok();
}

Status TaskNetworks::Available() const {
  BERTH_RETURN_IF_ERROR(ValidOptions());
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  bool net_admin = false, sys_admin = false;
  if (syscall(SYS_capget, &header, data) == 0) {
    net_admin = HasCapability(data, CAP_NET_ADMIN);
    sys_admin = HasCapability(data, CAP_SYS_ADMIN);
  }
  if (!net_admin || !sys_admin) {
    std::string missing = !net_admin && !sys_admin ? "CAP_NET_ADMIN and CAP_SYS_ADMIN"
                          : !net_admin             ? "CAP_NET_ADMIN"
                                                   : "CAP_SYS_ADMIN";
    return FailedPrecondition(
        "networkMode awsvpc and bridge need berth serve to run as root (CAP_NET_ADMIN and "
        "CAP_SYS_ADMIN, to create network namespaces and interfaces): it runs as uid " +
        std::to_string(geteuid()) + " without " + missing +
        "; use networkMode host, or run berth serve as root");
  }
  if (access("/proc/self/ns/net", F_OK) != 0) {
    return FailedPrecondition(
        "networkMode awsvpc and bridge need network namespaces, which this kernel lacks "
        "(CONFIG_NET_NS); use networkMode host");
  }
  return Status::Ok();
}

Status TaskNetworks::EnsureBridgeLocked() {
  Result<NetlinkSocket> nl = NetlinkSocket::Open();
  if (!nl.ok()) return nl.status();
  const std::string& name = options_.bridge;
  Result<LinkInfo> link = GetLink(*nl, name);
  if (!link.ok() && link.status().code() == Code::kNotFound) {
    unsigned char mac[6];
    MacFor(subnet_->gateway(), mac);
    bool existed = false;
    BERTH_RETURN_IF_ERROR(CreateBridge(*nl, name, mac, &existed));
    link = GetLink(*nl, name);
  }
  if (!link.ok()) return link.status();
  if (link->kind != "bridge") {
    return FailedPrecondition("the network interface " + name +
                              " (Options.bridge) exists but is not a bridge (it is a \"" +
                              link->kind + "\")");
  }
  if (link->index == bridge_index_) return Status::Ok();
  // First use (or someone re-created it): make sure of its address and that it is up.
  BERTH_RETURN_IF_ERROR(AddIpv4Address(*nl, link->index, subnet_->gateway(), subnet_->prefix_len));
  BERTH_RETURN_IF_ERROR(SetLinkUp(*nl, name));
  bridge_index_ = link->index;
  return Status::Ok();
}

Result<TaskNetwork> TaskNetworks::Create(const std::string& task_id, int existing_netns) {
  BERTH_RETURN_IF_ERROR(Available());
  if (task_id.empty()) return InvalidArgument("a task network needs a task id");
  std::lock_guard<std::mutex> lock(mu_);
  if (tasks_.count(task_id)) {
    return Status(Code::kAlreadyExists, "task " + task_id + " already has a network",
                  Resource::kTask);
  }
  BERTH_RETURN_IF_ERROR(EnsureBridgeLocked());
  Result<Ipv4> address = ipam_->Allocate();
  if (!address.ok()) return address.status();

  Entry entry;
  entry.address = *address;
  TaskNetwork& info = entry.info;
  info.task_id = task_id;
  info.ipv4 = FormatIpv4(*address);
  info.gateway = FormatIpv4(subnet_->gateway());
  info.prefix_len = subnet_->prefix_len;
  info.host_veth = HostVethName(task_id);
  unsigned char mac[6];
  MacFor(*address, mac);
  info.mac = FormatMac(mac);

  bool veth_made = false;
  auto fail = [&](Status st) -> Result<TaskNetwork> {
    if (veth_made) {
      if (Result<NetlinkSocket> nl = NetlinkSocket::Open(); nl.ok()) {
        (void)DeleteLink(*nl, info.host_veth);
      }
    }
    if (entry.netns_fd >= 0) close(entry.netns_fd);
    ipam_->Release(entry.address);
    return Status(st.code(), "setting up the network of task " + task_id + ": " + st.message());
  };

  Result<NewNamespace> ns = MakeNamespace(existing_netns);
  if (!ns.ok()) return fail(ns.status());
  entry.netns_fd = ns->netns.release();
  NetlinkSocket& inside = *ns->netlink;
  if (Status st = SetLinkUp(inside, "lo"); !st.ok()) return fail(st);

  Result<NetlinkSocket> host = NetlinkSocket::Open();
  if (!host.ok()) return fail(host.status());
  if (Status st =
          CreateVethPair(*host, info.host_veth, bridge_index_, kTaskLink, entry.netns_fd, mac);
      !st.ok()) {
    return fail(st);
  }
  veth_made = true;

  Result<LinkInfo> eth0 = GetLink(inside, kTaskLink);
  if (!eth0.ok()) return fail(eth0.status());
  if (Status st = SetLinkUp(inside, kTaskLink); !st.ok()) return fail(st);
  if (Status st = AddIpv4Address(inside, eth0->index, *address, subnet_->prefix_len); !st.ok()) {
    return fail(st);
  }
  if (Status st = AddDefaultRoute(inside, eth0->index, subnet_->gateway()); !st.ok()) {
    return fail(st);
  }
  WaitUntilForwarding(*host, info.host_veth);

  info.netns_fd = entry.netns_fd;
  TaskNetwork result = info;
  tasks_.emplace(task_id, std::move(entry));
  return result;
}

void TaskNetworks::DestroyLocked(Entry& entry) {
  if (Result<NetlinkSocket> nl = NetlinkSocket::Open(); nl.ok()) {
    // Deleting the host end deletes eth0 too. If it fails there is nobody to tell; a veth whose
    // namespace has no process left goes away with the namespace anyway.
    (void)DeleteLink(*nl, entry.info.host_veth);
  }
  if (entry.netns_fd >= 0) close(entry.netns_fd);
  entry.netns_fd = -1;
  if (ipam_) ipam_->Release(entry.address);
}

void TaskNetworks::Destroy(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  DestroyLocked(it->second);
  tasks_.erase(it);
}

int TaskNetworks::SweepLeftovers() {
  if (!Available().ok()) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  Result<NetlinkSocket> nl = NetlinkSocket::Open();
  if (!nl.ok()) return 0;
  Result<std::vector<LinkInfo>> links = ListLinks(*nl);
  if (!links.ok()) return 0;
  int bridge = 0;
  for (const LinkInfo& link : *links) {
    if (link.name == options_.bridge) bridge = link.index;
  }
  int deleted = 0;
  for (const LinkInfo& link : *links) {
    bool ours = link.kind == "veth" && link.name.rfind(kVethPrefix, 0) == 0 &&
                (link.master == 0 || (bridge != 0 && link.master == bridge));
    bool live = false;
    for (const auto& [id, entry] : tasks_) live = live || entry.info.host_veth == link.name;
    if (!ours || live) continue;
    bool missing = false;
    if (DeleteLink(*nl, link.name, &missing).ok() && !missing) ++deleted;
  }
  return deleted;
}

std::optional<TaskNetwork> TaskNetworks::Find(const std::string& task_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second.info;
}

}  // namespace berth::network
