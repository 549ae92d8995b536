/* lb_target: a tiny, fast HTTP/1.1 server for the load-balancer benchmark (g). One thread,
 * epoll, keep-alive; answers every request (GET/HEAD without a body) with a fixed 200 "ok".
 * Fast enough that the benchmark measures the proxy in front of it, not the target.
 * Usage: lb_target PORT   (listens on 127.0.0.1:PORT; runs until SIGTERM) */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char kReply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

/* Per-connection parser state: how many bytes of "\r\n\r\n" the stream has matched. */
static int matched[65536];

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: lb_target PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)atoi(argv[1]));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr*)&sa, sizeof(sa)) != 0 || listen(ls, 1024) != 0) {
    perror("lb_target: bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event events[256];
  static char buf[65536];
  static char out[65536];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == ls) {
        int c;
        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (c >= 65536) {
            close(c);
            continue;
          }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          matched[c] = 0;
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd);
        continue;
      }
      /* Count complete request heads; answer each (pipelining included). */
      size_t replies = 0;
      int m = matched[fd];
      for (ssize_t k = 0; k < r; ++k) {
        char ch = buf[k];
        if ((m == 0 || m == 2) && ch == '\r') {
          ++m;
        } else if ((m == 1 || m == 3) && ch == '\n') {
          if (++m == 4) {
            ++replies;
            m = 0;
          }
        } else {
          m = ch == '\r' ? 1 : 0;
        }
      }
      matched[fd] = m;
      size_t len = 0;
      for (size_t k = 0; k < replies; ++k) {
        if (len + sizeof(kReply) - 1 > sizeof(out)) {
          if (write(fd, out, len) < 0) break;
          len = 0;
        }
        memcpy(out + len, kReply, sizeof(kReply) - 1);
        len += sizeof(kReply) - 1;
      }
      if (len > 0 && write(fd, out, len) < 0) close(fd);
    }
  }
}
