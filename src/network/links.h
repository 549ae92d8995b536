// The few rtnetlink operations task networks need — links (bridge, veth pair), IPv4 addresses,
// a default route — each one request on a NetlinkSocket, acting in that socket's network
// namespace. What `ip link add`, `ip addr add` and `ip route add` would do, without a fork.
//
// Ownership: nothing is kept; the caller owns the socket. Threads: any, one at a time per socket.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "network/ipam.h"
#include "network/netlink.h"

namespace berth::network {

// 6 bytes, as "0a:62:0a:d5:00:02".
std::string FormatMac(const unsigned char (&mac)[6]);

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;         // IFLA_INFO_KIND: "veth", "bridge", ... or empty
  int master = 0;           // index of the bridge it is a port of, 0 if none
  bool oper_up = false;     // RFC 2863 operational state is "up" (carrier, and linkwatch has run)
  bool forwarding = false;  // a bridge port in the forwarding state
};

// The link called name. Errors: NotFound (ENODEV), else as NetlinkSocket::Request.
Result<LinkInfo> GetLink(NetlinkSocket& nl, const std::string& name);
// Every link of the namespace.
Result<std::vector<LinkInfo>> ListLinks(NetlinkSocket& nl);

// Creates a bridge with a fixed MAC address (a bridge without one takes the lowest MAC of its
// ports, which would change under the tasks' ARP caches as ports come and go) and sets it up.
// Sets *existed (and changes nothing) when a link of that name is already there.
Status CreateBridge(NetlinkSocket& nl, const std::string& name, const unsigned char (&mac)[6],
                    bool* existed);

// Creates a veth pair: host_name, up, a port of the bridge with index master; its peer is created
// straight inside the namespace of peer_netns_fd, as peer_name with MAC peer_mac (down).
Status CreateVethPair(NetlinkSocket& nl, const std::string& host_name, int master,
                      const std::string& peer_name, int peer_netns_fd,
                      const unsigned char (&peer_mac)[6]);

Status SetLinkUp(NetlinkSocket& nl, const std::string& name);
// Deletes a link (a veth takes its peer with it). Sets *missing when there was no such link.
Status DeleteLink(NetlinkSocket& nl, const std::string& name, bool* missing = nullptr);

// Adds address/prefix_len to the link (already there: OK).
Status AddIpv4Address(NetlinkSocket& nl, int link_index, Ipv4 address, int prefix_len);
// Adds the default route via gateway out of the link.
Status AddDefaultRoute(NetlinkSocket& nl, int link_index, Ipv4 gateway);

}  // namespace berth::network
