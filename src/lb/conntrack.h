// Conntrack: counts the connections the kernel is tracking from a listener to a target, by
// dumping the connection-tracking table over netlink (ctnetlink). Used while draining a target
// that the kernel forwards to (kernel_forwarding.h): those connections never pass through
// berth's own sockets, so only conntrack knows when the last one has closed.
//
// Any thread (each call opens its own netlink socket). Needs CAP_NET_ADMIN.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace berth::lb {

struct ConnectionPattern {
  uint32_t listener_ip = 0;  // network byte order; 0 matches any local destination
  uint16_t listener_port = 0;
  uint32_t target_ip = 0;  // network byte order
  uint16_t target_port = 0;
};

// The number of TCP connections made to listener_ip:listener_port that the kernel translated
// to target_ip:target_port and that are still open (SYN_SENT up to LAST_ACK; TIME_WAIT and
// CLOSE do not count).
Result<int> CountTrackedConnections(const ConnectionPattern& pattern);

}  // namespace berth::lb
