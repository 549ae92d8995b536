#include "network/namespace_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace berth::network {

Result<UniqueFd> ListenInNamespace(int netns_fd, const std::string& ipv4, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("cannot listen on '" + ipv4 + ":" + std::to_string(port) + "'");
  }
  UniqueFd fd;
  std::string failure;
  std::thread worker([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      failure = std::string("setns: ") + strerror(errno);
      return;
    }
    UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int one = 1;
    if (!s.valid() || setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(s.get(), SOMAXCONN) != 0) {
      failure = std::string("listen on ") + ipv4 + ":" + std::to_string(port) +
                " in the task's network namespace: " + strerror(errno);
      return;
    }
    fd = std::move(s);
  });
  worker.join();
  if (!failure.empty()) return FailedPrecondition(failure);
  return fd;
}

}  // namespace berth::network
