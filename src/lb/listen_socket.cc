#include "lb/listen_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb/lb_errors.h"

namespace berth::lb {

Result<int> OpenListenSocket(const std::string& address, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    return InvalidArgument("The listener bind address '" + address + "' is not an IPv4 address");
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket: ") + strerror(errno));
  int one = 1;
  // Restarted daemons rebind ports whose old connections are still in TIME_WAIT.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    int err = errno;
    close(fd);
    return Conflict("berth cannot listen on " + address + ":" + std::to_string(port) + ": " +
                    (err == EADDRINUSE ? std::string("the port is already in use")
                                       : std::string(strerror(err))));
  }
  if (listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    close(fd);
    return Conflict("berth cannot listen on " + address + ":" + std::to_string(port) + ": " +
                    strerror(err));
  }
  return fd;
}

}  // namespace berth::lb
