// IPv4 address management for task networks: parses the configured subnet and hands out task
// addresses from it, in memory (a restarted daemon starts over: its old task networks are
// gone with it, see TaskNetworks::SweepLeftovers).
//
// Layout of a subnet: the network address and the broadcast address are never handed out, the
// first host address is the gateway (it sits on the bridge), every other address is for tasks.
// Addresses go round-robin: a freed address is handed out again only after every other free
// one, so a task that just stopped does not pass its address to the next task at once (clients
// and ARP caches still pointing at the old one would reach the new task).
//
// Ownership: value types. Threads: any, one at a time per Ipam.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/status.h"

namespace berth::network {

// An IPv4 address in host byte order.
using Ipv4 = uint32_t;

std::string FormatIpv4(Ipv4 address);
// Dotted quad only ("10.0.0.1"); no shorthand forms, no leading zeros.
Result<Ipv4> ParseIpv4(const std::string& text);

struct Subnet {
  Ipv4 network = 0;
  int prefix_len = 0;

  Ipv4 gateway() const { return network + 1; }
  Ipv4 broadcast() const { return network | ~Mask(); }
  Ipv4 Mask() const { return prefix_len == 0 ? 0 : ~Ipv4{0} << (32 - prefix_len); }
  bool Contains(Ipv4 address) const { return (address & Mask()) == network; }
  std::string ToString() const { return FormatIpv4(network) + "/" + std::to_string(prefix_len); }
};

// "10.213.0.0/16". The prefix must be between /8 and /30 (at least one task address) and the
// host bits must be zero. Errors: InvalidArgument naming the problem.
Result<Subnet> ParseSubnet(const std::string& text);

class Ipam {
 public:
  explicit Ipam(Subnet subnet);

  const Subnet& subnet() const { return subnet_; }
  // Number of addresses for tasks (the subnet minus network, gateway and broadcast).
  uint32_t Capacity() const { return last_ - first_ + 1; }
  size_t InUse() const { return used_.size(); }

  // The next free task address. Errors: ResourceExhausted when every address is taken.
  Result<Ipv4> Allocate();
  // Returns an address; unknown or already free: no-op.
  void Release(Ipv4 address);

 private:
  Subnet subnet_;
  Ipv4 first_ = 0;  // first task address (gateway + 1)
  Ipv4 last_ = 0;   // last task address (broadcast - 1)
  Ipv4 next_ = 0;   // where the round-robin search starts
  std::set<Ipv4> used_;
};

}  // namespace berth::network
