// ListenerProxy over real loopback sockets on a real LbLoop (the data path has no fake).
#include "lb/proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <poll.h>

#include <future>
#include <thread>

#include "lb/lb_loop.h"
#include "lb/listen_socket.h"

namespace berth::lb {
namespace {

int BoundPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

void WriteAll(int fd, const std::string& s) {
  ASSERT_EQ(write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
}

template <typename F>
void OnLoop(LbLoop& loop, F fn) {
  std::promise<void> done;
  loop.Post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

class PassingProber : public Prober {
 public:
  explicit PassingProber(LbLoop& loop) : loop_(loop) {}
  void Probe(const ProbeSpec&, std::function<void(ProbeResult)> done) override {
    loop_.Post([done] { done({true, HealthReason::kNone, 200}); });
  }

 private:
  LbLoop& loop_;
};

TEST(ProxyTest, AnswersHttp503WithoutHealthyTargets) {
  LbLoop loop;
  loop.Start();
  auto fd = OpenListenSocket("127.0.0.1", 0);
  ASSERT_TRUE(fd.ok());
  int port = BoundPort(*fd);
  std::unique_ptr<ListenerProxy> proxy;
  OnLoop(loop, [&] {
    proxy = std::make_unique<ListenerProxy>(loop.io(), *fd, true, [] { return nullptr; });
    proxy->Start();
  });
  int c = Connect(port);
  WriteAll(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string reply = ReadAll(c);
  close(c);
  EXPECT_EQ(reply.rfind("HTTP/1.1 503 Service Temporarily Unavailable\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Content-Length: 162\r\n"), std::string::npos);
  EXPECT_EQ(reply.size() - reply.find("\r\n\r\n") - 4, 162u);
  OnLoop(loop, [&] { proxy.reset(); });
}

TEST(ProxyTest, RelaysBothWaysToAHealthyTarget) {
  // The target: answers one connection with what it read, upper-cased, then closes.
  auto target_fd = OpenListenSocket("127.0.0.1", 0);
  ASSERT_TRUE(target_fd.ok());
  int target_port = BoundPort(*target_fd);
  std::thread target([fd = *target_fd] {
    int flags = 0;
    (void)flags;
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 10000);
    int c = accept(fd, nullptr, nullptr);
    std::string got = ReadAll(c);  // until the client's half-close arrives through the proxy
    for (char& ch : got) ch = static_cast<char>(toupper(ch));
    WriteAll(c, got);
    close(c);
    close(fd);
  });

  LbLoop loop;
  PassingProber prober(loop);
  HealthBoard board;
  Engine engine(loop, prober, board);
  loop.Start();
  const TargetKey key{"127.0.0.1", target_port};
  OnLoop(loop, [&] {
    GroupSettings s;
    s.health_check.healthy_threshold = 1;  // below AWS's minimum: healthy on the first pass
    engine.SetGroup("tg", s);
    engine.SetInUse("tg", true);
    engine.AddTarget("tg", key, 1);
  });
  for (int i = 0; i < 5000; ++i) {
    auto h = board.Get("tg", key, 1);
    if (h && h->state == HealthState::kHealthy) break;
    usleep(1000);
  }
  auto fd = OpenListenSocket("127.0.0.1", 0);
  ASSERT_TRUE(fd.ok());
  int port = BoundPort(*fd);
  std::unique_ptr<ListenerProxy> proxy;
  OnLoop(loop, [&] {
    proxy = std::make_unique<ListenerProxy>(loop.io(), *fd, false,
                                            [&] { return engine.Pick("tg"); });
    proxy->Start();
  });
  int c = Connect(port);
  std::string big(300000, 'x');  // more than one buffer's worth
  WriteAll(c, "hello " + big);
  shutdown(c, SHUT_WR);
  std::string reply = ReadAll(c);
  close(c);
  target.join();
  EXPECT_EQ(reply, "HELLO " + std::string(300000, 'X'));
  OnLoop(loop, [&] {
    proxy.reset();
    engine.Shutdown();
  });
}

}  // namespace
}  // namespace berth::lb
