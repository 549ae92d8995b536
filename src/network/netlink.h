// Rtnetlink (NETLINK_ROUTE) by hand: a request builder and a socket that sends one request and
// waits for its answer. task_networks.cc builds links, addresses and routes with these instead
// of running `ip`: the process driver is a child subreaper that reaps every child with
// waitpid(-1), so a fork/exec outside the driver would race with it.
//
// A NetlinkSocket talks to the network namespace it was *created* in, whichever thread or
// namespace later uses it; that is how one thread configures a task's namespace without
// entering it.
//
// Ownership: NetlinkSocket owns their descriptors (move-only). Threads: any, one at a time
// per object.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::network {

// One rtnetlink request: a header, a fixed family struct (ifinfomsg, ifaddrmsg, rtmsg), then
// attributes, which may nest.
class NetlinkRequest {
 public:
  // flags: NLM_F_* beyond NLM_F_REQUEST and NLM_F_ACK, which are always set.
  NetlinkRequest(uint16_t type, uint16_t flags);

  // Appends the family struct (or any raw, 4-byte-aligned block).
  void Append(const void* data, size_t len);
  void Attr(uint16_t type, const void* data, size_t len);
  void AttrU32(uint16_t type, uint32_t value) { Attr(type, &value, sizeof value); }
  void AttrString(uint16_t type, std::string_view s);  // NUL-terminated, as the kernel wants
  // Opens a nested attribute; everything appended until EndNested(returned offset) is inside.
  size_t BeginNested(uint16_t type);
  void EndNested(size_t offset);

  uint16_t type() const;
  // The finished message with the given sequence number.
  std::vector<char>& Finish(uint32_t seq);

 private:
  void Pad();
  std::vector<char> buf_;
};

class NetlinkSocket {
 public:
  // A NETLINK_ROUTE socket in the calling thread's current network namespace.
  static Result<NetlinkSocket> Open();

  // Sends request and waits for the kernel's acknowledgement. A kernel error comes back as a
  // Status naming `what` (e.g. "creating veth bth0123"), the errno text and, when the kernel
  // gives one, its extended-ack message. `err` (if non-null) receives the errno (0 on success),
  // for callers that accept e.g. EEXIST.
  Status Request(NetlinkRequest& request, const std::string& what, int* err = nullptr);

  // Sends a request that the kernel answers with data messages (a GET, or a dump with
  // NLM_F_DUMP), calling on_message for each nlmsghdr of the answer.
  Status Query(NetlinkRequest& request, const std::string& what,
               const std::function<void(const nlmsghdr&)>& on_message, int* err = nullptr);

 private:
  explicit NetlinkSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  Status Exchange(NetlinkRequest& request, const std::string& what,
                  const std::function<void(const nlmsghdr&)>* on_message, int* err);

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

// Attributes of a message after its family struct of family_len bytes; calls on_attr(type,
// payload, payload_len) for each (nesting flags stripped from type).
void ForEachAttr(const nlmsghdr& msg, size_t family_len,
                 const std::function<void(uint16_t, const char*, size_t)>& on_attr);
// Same, for the payload of a nested attribute.
void ForEachNestedAttr(const char* data, size_t len,
                       const std::function<void(uint16_t, const char*, size_t)>& on_attr);

}  // namespace berth::network
