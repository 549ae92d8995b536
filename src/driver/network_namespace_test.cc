// ProcessSpec::netns_fd: a container joins the given network namespace before exec; without it,
// it stays in the daemon's. The namespaces here are bare (only `lo`): giving them an `eth0` is
// network::TaskNetworks' job, tested in src/network.
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "driver/process_driver_test_util.h"
#include "common/unique_fd.h"

namespace berth::driver::driver_test {
namespace {

// A new network namespace with only `lo`, set up, made by a thread that enters it and ends;
// the returned fd keeps it alive.
UniqueFd NewNetworkNamespace() {
  UniqueFd fd;
  std::thread([&fd] {
    if (unshare(CLONE_NEWNET) != 0) return;
    fd.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    UniqueFd probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));  // in the new namespace
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP;
    if (ioctl(probe.get(), SIOCSIFFLAGS, &ifr) != 0) fd.reset();
  }).join();
  return fd;
}

std::string NamespaceId(int fd) {  // as readlink /proc/<pid>/ns/net shows it
  struct stat st {};
  fstat(fd, &st);
  return "net:[" + std::to_string(st.st_ino) + "]";
}

// Interface names in /proc/net/dev output (after `skip` lines), in order; without the host ends
// of task networks ("bth…"), which the network tests may be adding and removing meanwhile.
std::string Interfaces(const std::string& proc_net_dev, int skip = 0) {
  std::string names;
  std::istringstream in(proc_net_dev);
  for (std::string header; skip > 0 && std::getline(in, header); --skip) {
  }
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name.rfind("bth", 0) == 0) continue;
    names += (names.empty() ? "" : " ") + name;
  }
  return names;
}

class NetworkNamespaceTest : public ProcessDriverTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_ADMIN) to make network namespaces";
    ProcessDriverTest::SetUp();
  }
};

TEST_F(NetworkNamespaceTest, ContainerJoinsTheGivenNamespace) {
  UniqueFd ns = NewNetworkNamespace();
  ASSERT_TRUE(ns.valid()) << std::strerror(errno);
  ProcessSpec spec = Shell("readlink /proc/self/ns/net; cat /proc/net/dev");
  spec.netns_fd = ns.get();
  std::string out = RunToExit(spec)->Out();
  EXPECT_EQ(out.substr(0, out.find('\n')), NamespaceId(ns.get()));
  EXPECT_EQ(Interfaces(out, 1), "lo") << out;

  // Another container of the same task: the same namespace.
  ProcessSpec sidecar = Spec({"readlink", "/proc/self/ns/net"});
  sidecar.netns_fd = ns.get();
  EXPECT_EQ(RunToExit(sidecar)->Out(), NamespaceId(ns.get()) + "\n");

  // setns happens before the switch to the container's user, who could not do it.
  ProcessSpec as_nobody = sidecar;
  as_nobody.user = "65534";
  EXPECT_EQ(RunToExit(as_nobody)->Out(), NamespaceId(ns.get()) + "\n");
}

TEST_F(NetworkNamespaceTest, WithoutItTheContainerSeesTheHostsInterfaces) {
  UniqueFd own(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  std::string out = RunToExit(Shell("readlink /proc/self/ns/net; cat /proc/net/dev"))->Out();
  EXPECT_EQ(out.substr(0, out.find('\n')), NamespaceId(own.get()));
  EXPECT_EQ(Interfaces(out, 1), Interfaces(ReadProcFile("/proc/self/net/dev")));
  EXPECT_NE(Interfaces(out, 1), "lo") << "the host has more than lo";
}

TEST_F(NetworkNamespaceTest, ContainersOfATaskShareLocalhostAndTasksDoNot) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  const std::string server =
      "import socket,sys\n"
      "s=socket.socket(); s.bind(('127.0.0.1',80)); s.listen()\n"
      "print('listening', flush=True)\n"
      "c,_=s.accept(); c.sendall(sys.argv[1].encode()); c.close()\n";
  const std::string client =
      "import socket\n"
      "print(socket.create_connection(('127.0.0.1',80), timeout=5).recv(100).decode())\n";
  UniqueFd task_a = NewNetworkNamespace(), task_b = NewNetworkNamespace();
  ASSERT_TRUE(task_a.valid() && task_b.valid());
  // Both tasks bind 127.0.0.1:80.
  std::vector<std::shared_ptr<Capture>> servers;
  for (const auto& [fd, name] : {std::pair{task_a.get(), "a"}, std::pair{task_b.get(), "b"}}) {
    ProcessSpec spec = Spec({"/usr/bin/python3", "-c", server, name});
    spec.netns_fd = fd;
    servers.push_back(std::make_shared<Capture>());
    ASSERT_TRUE(Start(spec, servers.back()).ok());
    ASSERT_EQ(servers.back()->FirstLine(), "listening") << servers.back()->Out();
  }
  // A sidecar reaches its own task's server on localhost.
  for (const auto& [fd, name] : {std::pair{task_a.get(), "a"}, std::pair{task_b.get(), "b"}}) {
    ProcessSpec spec = Spec({"/usr/bin/python3", "-c", client});
    spec.netns_fd = fd;
    EXPECT_EQ(RunToExit(spec)->Out(), std::string(name) + "\n");
  }
  for (auto& run : servers) {
    std::optional<ExitStatus> status = run->Wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->exit_code, 0);
  }
}

TEST_F(ProcessDriverTest, ANetnsFdThatIsNotANetworkNamespaceFailsTheStart) {
  UniqueFd not_a_namespace(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ProcessSpec spec = Spec({"true"});
  spec.netns_fd = not_a_namespace.get();
  auto run = std::make_shared<Capture>();
  Result<std::string> id = Start(spec, run);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(id.status().message().find(
                "joining the task's network namespace: setns: invalid argument: unknown"),
            std::string::npos)
      << id.status().message();

  int closed = not_a_namespace.release();
  close(closed);
  spec.netns_fd = closed;
  Result<std::string> stale = Start(spec, run);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("fd " + std::to_string(closed) + " is not open"),
            std::string::npos)
      << stale.status().message();
  EXPECT_EQ(run->exit_calls.load(), 0);
}

}  // namespace
}  // namespace berth::driver::driver_test
