#include "network/netlink.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace berth::network {
namespace {

// The kernel answers a request in well under a millisecond; this only keeps a broken kernel
// (or a bug of ours) from hanging the caller for ever.
constexpr int kAnswerTimeoutSeconds = 5;
// Big enough for one datagram of a link dump (the kernel fills at most ~32 KiB per read).
constexpr size_t kReceiveBuffer = 64 * 1024;

std::string ErrnoText(int err) { return std::strerror(err); }

Status KernelError(const std::string& what, int err, const std::string& detail) {
  std::string message = what + ": " + ErrnoText(err);
  if (!detail.empty()) message += " (" + detail + ")";
  if (err == EPERM || err == EACCES) return FailedPrecondition(message);
  return Internal(message);
}

// The extended-ack text of an NLMSG_ERROR, if the kernel sent one. With NETLINK_CAP_ACK the
// attributes follow the header of the echoed request, not the whole request.
std::string ExtAckMessage(const nlmsghdr& msg) {
  if (!(msg.nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nlmsgerr));
  if (!(msg.nlmsg_flags & NLM_F_CAPPED)) {
    const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(&msg));
    offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int) + e->msg.nlmsg_len);
  }
  if (offset >= msg.nlmsg_len) return "";
  std::string text;
  ForEachNestedAttr(reinterpret_cast<const char*>(&msg) + offset, msg.nlmsg_len - offset,
                    [&](uint16_t type, const char* data, size_t len) {
                      if (type == NLMSGERR_ATTR_MSG) text.assign(data, strnlen(data, len));
                    });
  return text;
}

}  // namespace

NetlinkRequest::NetlinkRequest(uint16_t type, uint16_t flags) {
  buf_.resize(NLMSG_HDRLEN);
  auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
  h->nlmsg_type = type;
  h->nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
}

void NetlinkRequest::Pad() { buf_.resize(NLMSG_ALIGN(buf_.size())); }

void NetlinkRequest::Append(const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  buf_.insert(buf_.end(), p, p + len);
  Pad();
}

void NetlinkRequest::Attr(uint16_t type, const void* data, size_t len) {
  rtattr a{};
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  a.rta_type = type;
  const char* p = reinterpret_cast<const char*>(&a);
  buf_.insert(buf_.end(), p, p + sizeof a);
  const char* d = static_cast<const char*>(data);
  buf_.insert(buf_.end(), d, d + len);
  Pad();
}

void NetlinkRequest::AttrString(uint16_t type, std::string_view s) {
  std::string with_nul(s);
  Attr(type, with_nul.c_str(), with_nul.size() + 1);
}

size_t NetlinkRequest::BeginNested(uint16_t type) {
  size_t offset = buf_.size();
  Attr(static_cast<uint16_t>(type | NLA_F_NESTED), nullptr, 0);
  return offset;
}

void NetlinkRequest::EndNested(size_t offset) {
  auto* a = reinterpret_cast<rtattr*>(buf_.data() + offset);
  a->rta_len = static_cast<uint16_t>(buf_.size() - offset);
}

uint16_t NetlinkRequest::type() const {
  return reinterpret_cast<const nlmsghdr*>(buf_.data())->nlmsg_type;
}

std::vector<char>& NetlinkRequest::Finish(uint32_t seq) {
  auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
  h->nlmsg_len = static_cast<uint32_t>(buf_.size());
  h->nlmsg_seq = seq;
  h->nlmsg_pid = 0;
  return buf_;
}

Result<NetlinkSocket> NetlinkSocket::Open() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return Internal("opening a netlink socket: " + ErrnoText(errno));
  int one = 1;
  // Best effort: the kernel's own words for a refusal ("Unknown device type"), without the echo
  // of our request.
  (void)setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  timeval timeout{kAnswerTimeoutSeconds, 0};
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return Internal("binding a netlink socket: " + ErrnoText(errno));
  }
  return NetlinkSocket(std::move(fd));
}

Status NetlinkSocket::Request(NetlinkRequest& request, const std::string& what, int* err) {
  return Exchange(request, what, nullptr, err);
}

Status NetlinkSocket::Query(NetlinkRequest& request, const std::string& what,
                            const std::function<void(const nlmsghdr&)>& on_message, int* err) {
  return Exchange(request, what, &on_message, err);
}

Status NetlinkSocket::Exchange(NetlinkRequest& request, const std::string& what,
                               const std::function<void(const nlmsghdr&)>* on_message, int* err) {
  if (err) *err = 0;
  uint32_t seq = ++seq_;
  std::vector<char>& out = request.Finish(seq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_.get(), out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                  sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(out.size())) {
    return Internal(what + ": sending to netlink: " + ErrnoText(errno));
  }

  std::vector<char> buf(kReceiveBuffer);
  while (true) {
    iovec iov{buf.data(), buf.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = recvmsg(fd_.get(), &mh, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Internal(what + ": no answer from the kernel within " +
                      std::to_string(kAnswerTimeoutSeconds) + "s");
    }
    if (n < 0) return Internal(what + ": reading from netlink: " + ErrnoText(errno));
    if (mh.msg_flags & MSG_TRUNC) return Internal(what + ": netlink answer truncated");
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;  // a late answer to an earlier, abandoned request
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
          return Internal(what + ": short netlink error message");
        }
        int e = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        if (e == 0) return Status::Ok();  // the acknowledgement ends every non-dump request
        if (err) *err = e;
        return KernelError(what, e, ExtAckMessage(*h));
      }
      if (h->nlmsg_type == NLMSG_DONE) {  // ends a dump (which gets no separate ack)
        int e = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ? -*static_cast<const int*>(NLMSG_DATA(h))
                                                          : 0;
        if (e == 0) return Status::Ok();
        if (err) *err = e;
        return KernelError(what, e, "");
      }
      if (h->nlmsg_type == NLMSG_NOOP) continue;
      if (on_message) (*on_message)(*h);
    }
  }
}

void ForEachAttr(const nlmsghdr& msg, size_t family_len,
                 const std::function<void(uint16_t, const char*, size_t)>& on_attr) {
  size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(family_len);
  if (msg.nlmsg_len <= offset) return;
  ForEachNestedAttr(reinterpret_cast<const char*>(&msg) + offset, msg.nlmsg_len - offset, on_attr);
}

void ForEachNestedAttr(const char* data, size_t len,
                       const std::function<void(uint16_t, const char*, size_t)>& on_attr) {
  int remaining = static_cast<int>(len);
  for (auto* a = reinterpret_cast<const rtattr*>(data); RTA_OK(a, remaining);
       a = RTA_NEXT(a, remaining)) {
    on_attr(static_cast<uint16_t>(a->rta_type & NLA_TYPE_MASK),
            static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
  }
}

}  // namespace berth::network
