#include "lb/conntrack.h"

#include <errno.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "common/unique_fd.h"

namespace berth::lb {
namespace {

// One connection's tuples, as far as the count needs them.
struct Tuple {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;
};

struct Entry {
  Tuple orig, reply;
  uint8_t tcp_state = 0;
};

// Calls fn(type, payload, length) for each attribute in [data, data + len).
template <typename Fn>
void ForEachAttr(const uint8_t* data, size_t len, Fn fn) {
  while (len >= sizeof(nlattr)) {
    nlattr a;
    memcpy(&a, data, sizeof(a));
    if (a.nla_len < sizeof(nlattr) || a.nla_len > len) return;
    fn(a.nla_type & NLA_TYPE_MASK, data + NLA_HDRLEN, static_cast<size_t>(a.nla_len - NLA_HDRLEN));
    size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) return;
    data += step;
    len -= step;
  }
}

template <typename T>
T Read(const uint8_t* p, size_t len) {
  T v{};
  if (len >= sizeof(T)) memcpy(&v, p, sizeof(T));
  return v;
}

void ParseTuple(const uint8_t* data, size_t len, Tuple* t) {
  ForEachAttr(data, len, [&](int type, const uint8_t* p, size_t n) {
    if (type == CTA_TUPLE_IP) {
      ForEachAttr(p, n, [&](int ip_type, const uint8_t* q, size_t m) {
        if (ip_type == CTA_IP_V4_SRC) t->src = Read<uint32_t>(q, m);
        if (ip_type == CTA_IP_V4_DST) t->dst = Read<uint32_t>(q, m);
      });
    } else if (type == CTA_TUPLE_PROTO) {
      ForEachAttr(p, n, [&](int proto_type, const uint8_t* q, size_t m) {
        if (proto_type == CTA_PROTO_NUM) t->proto = Read<uint8_t>(q, m);
        if (proto_type == CTA_PROTO_SRC_PORT) t->sport = Read<uint16_t>(q, m);
        if (proto_type == CTA_PROTO_DST_PORT) t->dport = Read<uint16_t>(q, m);
      });
    }
  });
}

Entry ParseEntry(const uint8_t* data, size_t len) {
  Entry e;
  ForEachAttr(data, len, [&](int type, const uint8_t* p, size_t n) {
    if (type == CTA_TUPLE_ORIG) ParseTuple(p, n, &e.orig);
    if (type == CTA_TUPLE_REPLY) ParseTuple(p, n, &e.reply);
    if (type == CTA_PROTOINFO) {
      ForEachAttr(p, n, [&](int pi_type, const uint8_t* q, size_t m) {
        if (pi_type != CTA_PROTOINFO_TCP) return;
        ForEachAttr(q, m, [&](int tcp_type, const uint8_t* r, size_t k) {
          if (tcp_type == CTA_PROTOINFO_TCP_STATE) e.tcp_state = Read<uint8_t>(r, k);
        });
      });
    }
  });
  return e;
}

bool Counts(const Entry& e, const ConnectionPattern& p) {
  if (e.orig.proto != IPPROTO_TCP) return false;
  if (e.orig.dport != p.listener_port) return false;
  if (p.listener_ip != 0 && e.orig.dst != p.listener_ip) return false;
  // The reply comes from the target the connection was translated to.
  if (e.reply.src != p.target_ip || e.reply.sport != p.target_port) return false;
  return e.tcp_state >= TCP_CONNTRACK_SYN_SENT && e.tcp_state <= TCP_CONNTRACK_LAST_ACK;
}

}  // namespace

Result<int> CountTrackedConnections(const ConnectionPattern& pattern) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd.valid()) return Internal(std::string("netlink socket: ") + strerror(errno));
  struct {
    nlmsghdr nh;
    nfgenmsg nf;
  } req{};
  req.nh.nlmsg_len = sizeof(req);
  req.nh.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = 1;
  req.nf.nfgen_family = AF_INET;
  req.nf.version = NFNETLINK_V0;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) <
      0) {
    return Internal(std::string("conntrack dump: ") + strerror(errno));
  }
  std::vector<uint8_t> buf(64 * 1024);
  int count = 0;
  for (;;) {
    ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal(std::string("conntrack dump: ") + strerror(errno));
    }
    size_t left = static_cast<size_t>(n);
    const uint8_t* p = buf.data();
    while (left >= sizeof(nlmsghdr)) {
      nlmsghdr h;
      memcpy(&h, p, sizeof(h));
      if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > left) break;
      if (h.nlmsg_type == NLMSG_DONE) return count;
      if (h.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr err = Read<nlmsgerr>(p + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
        if (err.error == 0) return count;
        return Internal(std::string("conntrack dump: ") + strerror(-err.error));
      }
      size_t header = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
      if (h.nlmsg_len > header && Counts(ParseEntry(p + header, h.nlmsg_len - header), pattern)) {
        ++count;
      }
      size_t step = NLMSG_ALIGN(h.nlmsg_len);
      if (step >= left) break;
      p += step;
      left -= step;
    }
  }
}

}  // namespace berth::lb
