#include "network/links.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cerrno>
#include <cstring>

namespace berth::network {
namespace {

ifinfomsg LinkHeader(unsigned flags = 0, unsigned change = 0) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_flags = flags;
  ifi.ifi_change = change;
  return ifi;
}

LinkInfo ParseLink(const nlmsghdr& msg) {
  LinkInfo link;
  if (msg.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return link;
  link.index = static_cast<const ifinfomsg*>(NLMSG_DATA(&msg))->ifi_index;
  ForEachAttr(msg, sizeof(ifinfomsg), [&](uint16_t type, const char* data, size_t len) {
    if (type == IFLA_IFNAME) {
      link.name.assign(data, strnlen(data, len));
    } else if (type == IFLA_MASTER && len >= sizeof(uint32_t)) {
      uint32_t master;
      std::memcpy(&master, data, sizeof master);
      link.master = static_cast<int>(master);
    } else if (type == IFLA_OPERSTATE && len >= 1) {
      link.oper_up = static_cast<unsigned char>(data[0]) == IF_OPER_UP;
    } else if (type == IFLA_LINKINFO) {
      ForEachNestedAttr(data, len, [&](uint16_t info_type, const char* info, size_t info_len) {
        if (info_type == IFLA_INFO_KIND) {
          link.kind.assign(info, strnlen(info, info_len));
        } else if (info_type == IFLA_INFO_SLAVE_DATA) {
          ForEachNestedAttr(info, info_len, [&](uint16_t port_type, const char* port, size_t n) {
            if (port_type == IFLA_BRPORT_STATE && n >= 1) {
              link.forwarding = static_cast<unsigned char>(port[0]) == BR_STATE_FORWARDING;
            }
          });
        }
      });
    }
  });
  return link;
}

uint32_t NetworkOrder(Ipv4 address) { return htonl(address); }

}  // namespace

std::string FormatMac(const unsigned char (&mac)[6]) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if (i > 0) out += ':';
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

Result<LinkInfo> GetLink(NetlinkSocket& nl, const std::string& name) {
  NetlinkRequest req(RTM_GETLINK, 0);
  ifinfomsg ifi = LinkHeader();
  req.Append(&ifi, sizeof ifi);
  req.AttrString(IFLA_IFNAME, name);
  LinkInfo link;
  int err = 0;
  Status st = nl.Query(
      req, "looking up link " + name,
      [&](const nlmsghdr& msg) {
        if (msg.nlmsg_type == RTM_NEWLINK) link = ParseLink(msg);
      },
      &err);
  if (err == ENODEV) return NotFound("no network interface " + name);
  if (!st.ok()) return st;
  if (link.index <= 0) return Internal("looking up link " + name + ": no answer");
  return link;
}

Result<std::vector<LinkInfo>> ListLinks(NetlinkSocket& nl) {
  NetlinkRequest req(RTM_GETLINK, NLM_F_DUMP);
  ifinfomsg ifi = LinkHeader();
  req.Append(&ifi, sizeof ifi);
  std::vector<LinkInfo> links;
  BERTH_RETURN_IF_ERROR(nl.Query(req, "listing network interfaces", [&](const nlmsghdr& msg) {
    if (msg.nlmsg_type == RTM_NEWLINK) links.push_back(ParseLink(msg));
  }));
  return links;
}

Status CreateBridge(NetlinkSocket& nl, const std::string& name, const unsigned char (&mac)[6],
                    bool* existed) {
  *existed = false;
  NetlinkRequest req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg ifi = LinkHeader(IFF_UP, IFF_UP);
  req.Append(&ifi, sizeof ifi);
  req.AttrString(IFLA_IFNAME, name);
  req.Attr(IFLA_ADDRESS, mac, sizeof mac);
  size_t info = req.BeginNested(IFLA_LINKINFO);
  req.AttrString(IFLA_INFO_KIND, "bridge");
  req.EndNested(info);
  int err = 0;
  Status st = nl.Request(req, "creating bridge " + name, &err);
  if (err == EEXIST) {
    *existed = true;
    return Status::Ok();
  }
  return st;
}

Status CreateVethPair(NetlinkSocket& nl, const std::string& host_name, int master,
                      const std::string& peer_name, int peer_netns_fd,
                      const unsigned char (&peer_mac)[6]) {
  NetlinkRequest req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg ifi = LinkHeader(IFF_UP, IFF_UP);
  req.Append(&ifi, sizeof ifi);
  req.AttrString(IFLA_IFNAME, host_name);
  req.AttrU32(IFLA_MASTER, static_cast<uint32_t>(master));
  size_t info = req.BeginNested(IFLA_LINKINFO);
  req.AttrString(IFLA_INFO_KIND, "veth");
  size_t data = req.BeginNested(IFLA_INFO_DATA);
  // The peer is described by its own ifinfomsg and link attributes.
  size_t peer = req.BeginNested(VETH_INFO_PEER);
  ifinfomsg peer_ifi = LinkHeader();
  req.Append(&peer_ifi, sizeof peer_ifi);
  req.AttrString(IFLA_IFNAME, peer_name);
  req.Attr(IFLA_ADDRESS, peer_mac, sizeof peer_mac);
  req.AttrU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  req.EndNested(peer);
  req.EndNested(data);
  req.EndNested(info);
  return nl.Request(req, "creating veth pair " + host_name);
}

Status SetLinkUp(NetlinkSocket& nl, const std::string& name) {
  NetlinkRequest req(RTM_SETLINK, 0);
  ifinfomsg ifi = LinkHeader(IFF_UP, IFF_UP);
  req.Append(&ifi, sizeof ifi);
  req.AttrString(IFLA_IFNAME, name);
  return nl.Request(req, "setting " + name + " up");
}

Status DeleteLink(NetlinkSocket& nl, const std::string& name, bool* missing) {
  if (missing) *missing = false;
  NetlinkRequest req(RTM_DELLINK, 0);
  ifinfomsg ifi = LinkHeader();
  req.Append(&ifi, sizeof ifi);
  req.AttrString(IFLA_IFNAME, name);
  int err = 0;
  Status st = nl.Request(req, "deleting " + name, &err);
  if (err == ENODEV) {
    if (missing) *missing = true;
    return Status::Ok();
  }
  return st;
}

Status AddIpv4Address(NetlinkSocket& nl, int link_index, Ipv4 address, int prefix_len) {
  NetlinkRequest req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix_len);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<unsigned>(link_index);
  req.Append(&ifa, sizeof ifa);
  uint32_t local = NetworkOrder(address);
  Subnet subnet{address & Subnet{0, prefix_len}.Mask(), prefix_len};
  uint32_t broadcast = NetworkOrder(subnet.broadcast());
  req.Attr(IFA_LOCAL, &local, sizeof local);
  req.Attr(IFA_ADDRESS, &local, sizeof local);
  req.Attr(IFA_BROADCAST, &broadcast, sizeof broadcast);
  return nl.Request(req,
                    "adding address " + FormatIpv4(address) + "/" + std::to_string(prefix_len));
}

Status AddDefaultRoute(NetlinkSocket& nl, int link_index, Ipv4 gateway) {
  NetlinkRequest req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  req.Append(&rt, sizeof rt);
  uint32_t via = NetworkOrder(gateway);
  uint32_t oif = static_cast<uint32_t>(link_index);
  req.Attr(RTA_GATEWAY, &via, sizeof via);
  req.AttrU32(RTA_OIF, oif);
  return nl.Request(req, "adding the default route via " + FormatIpv4(gateway));
}

}  // namespace berth::network
