#include "lb/kernel_forwarding.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "lb/conntrack.h"

namespace berth::lb {
namespace {

constexpr char kTablePrefix[] = "berth_lb_";

bool ParseIpv4(const std::string& s, uint32_t* host_order) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *host_order = ntohl(a.s_addr);
  return true;
}

bool IsLoopback(uint32_t ip) { return (ip >> 24) == 127; }

std::string ChainName(int port) { return "listener_" + std::to_string(port); }

// Writes "1" to /proc/sys/net/ipv4/conf/IFACE/route_localnet; false when the interface does not
// exist (yet).
bool SetRouteLocalnet(const std::string& iface) {
  if (iface.empty() || iface.find('/') != std::string::npos || iface == "." || iface == "..") {
    return false;
  }
  std::string path = "/proc/sys/net/ipv4/conf/" + iface + "/route_localnet";
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  return write(fd.get(), "1", 1) == 1;
}

}  // namespace

KernelForwarding::KernelForwarding(KernelForwardingOptions options) : options_(std::move(options)) {
  // One table per instance: berth_lb_<pid>_<n> (a test process may hold several).
  static std::atomic<int> instances{0};
  table_ = options_.table.empty()
               ? kTablePrefix + std::to_string(getpid()) + "_" + std::to_string(++instances)
               : options_.table;
}

Result<std::unique_ptr<KernelForwarding>> KernelForwarding::Open(
    const KernelForwardingOptions& options) {
  std::unique_ptr<KernelForwarding> kf(new KernelForwarding(options));
  for (const auto& cidr : options.subnets) {
    auto slash = cidr.find('/');
    uint32_t net = 0;
    int len = slash == std::string::npos ? -1 : atoi(cidr.c_str() + slash + 1);
    if (len < 0 || len > 32 || !ParseIpv4(cidr.substr(0, slash), &net)) {
      return InvalidArgument("'" + cidr + "' is not an IPv4 CIDR block");
    }
    uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    kf->subnets_.emplace_back(net & mask, mask);
  }
  kf->nft_ = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!kf->nft_) return Unavailable("nftables: cannot create a context");
  nft_ctx_buffer_output(kf->nft_);
  nft_ctx_buffer_error(kf->nft_);
  kf->RemoveTablesOfDeadDaemons();
  BERTH_RETURN_IF_ERROR(kf->Create());
  return kf;
}

KernelForwarding::~KernelForwarding() {
  if (!nft_) return;
  (void)Run("delete table ip " + table_);
  nft_ctx_free(nft_);
}

Status KernelForwarding::Run(const std::string& commands) {
  if (nft_run_cmd_from_buffer(nft_, commands.c_str()) != 0) {
    std::string err = nft_ctx_get_error_buffer(nft_);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return Unavailable("nftables: " + (err.empty() ? std::string("command failed") : err));
  }
  return Status::Ok();
}

void KernelForwarding::RemoveTablesOfDeadDaemons() {
  nft_ctx_output_set_flags(nft_, NFT_CTX_OUTPUT_JSON);
  bool listed = nft_run_cmd_from_buffer(nft_, "list tables ip") == 0;
  std::string out = nft_ctx_get_output_buffer(nft_);
  nft_ctx_output_set_flags(nft_, 0);
  if (!listed) return;
  auto doc = nlohmann::json::parse(out, nullptr, false);
  if (!doc.is_object() || !doc["nftables"].is_array()) return;
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("table")) continue;
    std::string name = item["table"].value("name", "");
    if (name.rfind(kTablePrefix, 0) != 0 || name == table_) continue;
    std::string digits = name.substr(sizeof(kTablePrefix) - 1);
    digits = digits.substr(0, digits.find('_'));
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        digits.size() > 9) {
      continue;
    }
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;  // that daemon still runs
    (void)Run("delete table ip " + name);
  }
}

Status KernelForwarding::Create() {
  // Delete-then-add: a table left by an earlier daemon with this pid starts empty.
  (void)Run("delete table ip " + table_);
  std::string cmds = "add table ip " + table_ + "\n";
  // Connections from the loopback address to a target behind a bridge leave with the host's
  // address on that bridge (the target's answer could not come back to 127.0.0.1).
  cmds += "add chain ip " + table_ +
          " postrouting { type nat hook postrouting priority 100; policy accept; }\n";
  cmds += "add rule ip " + table_ +
          " postrouting ip saddr 127.0.0.0/8 ip daddr != 127.0.0.0/8 ct status dnat masquerade\n";
  if (!options_.localnet_interfaces.empty()) {
    // route_localnet lets 127.0.0.1-sourced packets out to the bridge; never let anything on
    // the bridge reach the host's loopback services in return.
    std::string set;
    for (const auto& i : options_.localnet_interfaces) {
      set += (set.empty() ? "\"" : ", \"") + i + "\"";
    }
    cmds += "add chain ip " + table_ +
            " guard { type filter hook prerouting priority -300; policy accept; }\n";
    cmds += "add rule ip " + table_ + " guard iifname { " + set + " } ip daddr 127.0.0.0/8 drop\n";
  }
  return Run(cmds);
}

void KernelForwarding::EnableLocalnet() {
  for (const auto& iface : options_.localnet_interfaces) {
    if (localnet_done_.count(iface) == 0 && SetRouteLocalnet(iface)) localnet_done_.insert(iface);
  }
}

bool KernelForwarding::CanReach(const TargetKey& target) const {
  uint32_t ip = 0;
  if (!ParseIpv4(target.ip, &ip) || target.port <= 0 || target.port > 65535) return false;
  if (IsLoopback(ip)) return true;
  for (const auto& [net, mask] : subnets_) {
    if ((ip & mask) == net) return true;
  }
  return false;
}

Status KernelForwarding::Route(const std::string& address, int port,
                               const std::vector<TargetKey>& targets) {
  uint32_t listen_ip = 0;
  if (!ParseIpv4(address, &listen_ip)) {
    return InvalidArgument("'" + address + "' is not an IPv4 address");
  }
  std::string chain = ChainName(port);
  std::string cmds = "add chain ip " + table_ + " " + chain +
                     " { type nat hook output priority -100; policy accept; }\n";
  cmds += "flush chain ip " + table_ + " " + chain + "\n";
  if (!targets.empty()) {
    std::string map;
    bool beyond_loopback = false;
    for (size_t i = 0; i < targets.size(); ++i) {
      uint32_t ip = 0;
      if (!CanReach(targets[i]) || !ParseIpv4(targets[i].ip, &ip)) {
        return InvalidArgument("the kernel cannot forward to " + targets[i].ip);
      }
      beyond_loopback |= !IsLoopback(ip);
      map += (i ? ", " : "") + std::to_string(i) + " : " + targets[i].ip + " . " +
             std::to_string(targets[i].port);
    }
    if (beyond_loopback) EnableLocalnet();
    std::string match = listen_ip == 0 ? "fib daddr type local" : "ip daddr " + address;
    cmds += "add rule ip " + table_ + " " + chain + " " + match + " tcp dport " +
            std::to_string(port) + " dnat ip to numgen inc mod " + std::to_string(targets.size()) +
            " map { " + map + " }\n";
  }
  BERTH_RETURN_IF_ERROR(Run(cmds));
  chains_.insert(port);
  return Status::Ok();
}

void KernelForwarding::Forget(int port) {
  if (chains_.erase(port) == 0) return;
  (void)Run("delete chain ip " + table_ + " " + ChainName(port));
}

Result<int> KernelForwarding::OpenConnections(const std::string& address, int port,
                                              const TargetKey& target) const {
  uint32_t listen_ip = 0, target_ip = 0;
  if (!ParseIpv4(address, &listen_ip) || !ParseIpv4(target.ip, &target_ip)) {
    return InvalidArgument("not an IPv4 address");
  }
  ConnectionPattern p;
  p.listener_ip = htonl(listen_ip);
  p.listener_port = htons(static_cast<uint16_t>(port));
  p.target_ip = htonl(target_ip);
  p.target_port = htons(static_cast<uint16_t>(target.port));
  return CountTrackedConnections(p);
}

}  // namespace berth::lb
