// Task networks for real: namespaces, veth pairs on a test bridge, addresses, routes, cleanup.
// Needs root (skipped otherwise). Uses its own bridge and subnet, so a berth daemon on the same
// machine is not disturbed, and takes a file lock so that test processes run one at a time (each
// has its own address allocator). Traffic goes only to the test's own namespaces, its own
// bridge address and 127.0.0.1.
#include "network/task_networks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "network/links.h"
#include "network/netlink.h"

namespace berth::network {
namespace {

using namespace std::chrono_literals;

constexpr char kTestBridge[] = "berthtest0";
constexpr char kTestSubnet[] = "10.214.0.0/24";

Options TestOptions() {
  Options options;
  options.bridge = kTestBridge;
  options.subnet = kTestSubnet;
  return options;
}

bool LinkExists(const std::string& name) {
  return std::filesystem::exists("/sys/class/net/" + name);
}

std::string ReadFile(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// Runs f on a thread that has joined the network namespace netns_fd; sockets f creates stay in it.
void InNamespace(int netns_fd, const std::function<void()>& f) {
  std::thread t([&] {
    ASSERT_EQ(setns(netns_fd, CLONE_NEWNET), 0) << std::strerror(errno);
    f();
  });
  t.join();
}

// Interface names in /proc/net/dev of the calling thread's namespace.
std::vector<std::string> InterfacesHere() {
  std::vector<std::string> names;
  std::string dev = ReadFile("/proc/thread-self/net/dev");
  size_t pos = 0;
  while (pos < dev.size()) {
    size_t end = dev.find('\n', pos);
    if (end == std::string::npos) end = dev.size();
    std::string line = dev.substr(pos, end - pos);
    pos = end + 1;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

sockaddr_in Address(const std::string& ip, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

UniqueFd Listen(const std::string& ip, int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa = Address(ip, port);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      listen(fd.get(), 16) != 0) {
    ADD_FAILURE() << "listen on " << ip << ":" << port << ": " << std::strerror(errno);
    return UniqueFd();
  }
  return fd;
}

int PortOf(const UniqueFd& listener) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

bool WaitReadable(int fd, int ms = 3000) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

// Connects to ip:port (from the calling thread's namespace), then the listener (which must be
// the one behind ip:port) accepts and sends `token`; returns what the client read, or the error.
std::string Exchange(const std::string& ip, int port, const UniqueFd& listener,
                     const std::string& token) {
  UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in sa = Address(ip, port);
  if (connect(client.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 &&
      errno != EINPROGRESS) {
    return std::string("connect: ") + std::strerror(errno);
  }
  pollfd p{client.get(), POLLOUT, 0};
  if (poll(&p, 1, 3000) != 1) return "connect: timeout";
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(client.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return std::string("connect: ") + std::strerror(err);
  if (!WaitReadable(listener.get())) return "accept: nothing arrived";
  UniqueFd server(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server.valid()) return std::string("accept: ") + std::strerror(errno);
  if (write(server.get(), token.data(), token.size()) != static_cast<ssize_t>(token.size())) {
    return "write failed";
  }
  if (!WaitReadable(client.get())) return "read: timeout";
  char buf[64];
  ssize_t n = read(client.get(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "read failed";
}

int OpenFdCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

class TaskNetworksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, veth, bridge)";
    // One test process at a time: each has its own allocator over the same test subnet.
    lock_.reset(open("/tmp/berth-network-test.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(lock_.valid());
    ASSERT_EQ(flock(lock_.get(), LOCK_EX), 0);
    nets_ = std::make_unique<TaskNetworks>(TestOptions());
    ASSERT_TRUE(nets_->Available().ok()) << nets_->Available().ToString();
  }
  void TearDown() override { nets_.reset(); }

  TaskNetwork MustCreate(const std::string& task_id) {
    Result<TaskNetwork> net = nets_->Create(task_id);
    EXPECT_TRUE(net.ok()) << net.status().ToString();
    return net.ok() ? *net : TaskNetwork{};
  }

  UniqueFd lock_;
  std::unique_ptr<TaskNetworks> nets_;
};

TEST(TaskNetworksOptionsTest, BadOptionsAreInvalidArgument) {
  Options bad_subnet;
  bad_subnet.subnet = "10.213.0.0/33";
  Status st = TaskNetworks(bad_subnet).Available();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("10.213.0.0/33"), std::string::npos) << st.message();
  EXPECT_EQ(TaskNetworks(bad_subnet).Create(RandomHex(32)).status().code(), Code::kInvalidArgument);

  for (const char* bridge : {"", "a-name-that-is-too-long", "br/0", "br 0", ".."}) {
    Options bad_bridge;
    bad_bridge.bridge = bridge;
    EXPECT_EQ(TaskNetworks(bad_bridge).Available().code(), Code::kInvalidArgument) << bridge;
  }
}

TEST(TaskNetworksOptionsTest, AvailableNeedsPrivileges) {
  Status st = TaskNetworks(Options{}).Available();
  if (geteuid() == 0) {
    EXPECT_TRUE(st.ok()) << st.ToString();
  } else {
    EXPECT_EQ(st.code(), Code::kFailedPrecondition);
    EXPECT_NE(st.message().find("root"), std::string::npos) << st.message();
  }
}

TEST_F(TaskNetworksTest, TwoTasksEachHaveTheirOwnAddressAndPort80) {
  TaskNetwork a = MustCreate(RandomHex(32));
  TaskNetwork b = MustCreate(RandomHex(32));
  ASSERT_GE(a.netns_fd, 0);
  ASSERT_GE(b.netns_fd, 0);
  Subnet subnet = *ParseSubnet(kTestSubnet);
  EXPECT_NE(a.ipv4, b.ipv4);
  for (const TaskNetwork* net : {&a, &b}) {
    Result<Ipv4> ip = ParseIpv4(net->ipv4);
    ASSERT_TRUE(ip.ok());
    EXPECT_TRUE(subnet.Contains(*ip)) << net->ipv4;
    EXPECT_NE(*ip, subnet.gateway());
    EXPECT_EQ(net->gateway, "10.214.0.1");
    EXPECT_EQ(net->prefix_len, 24);
    EXPECT_EQ(net->host_veth, "bth" + net->task_id.substr(0, 12));
    EXPECT_TRUE(LinkExists(net->host_veth));
    // A port of the test bridge, and up.
    EXPECT_EQ(std::filesystem::read_symlink("/sys/class/net/" + net->host_veth + "/master")
                  .filename()
                  .string(),
              kTestBridge);
    EXPECT_EQ(ReadFile("/sys/class/net/" + net->host_veth + "/operstate"), "up\n")
        << "Create waits until the port forwards";
  }

  // Inside each: only lo and eth0; both bind port 80.
  UniqueFd listen_a, listen_b;
  InNamespace(a.netns_fd, [&] {
    EXPECT_EQ(InterfacesHere(), (std::vector<std::string>{"eth0", "lo"}));
    listen_a = Listen("0.0.0.0", 80);
  });
  InNamespace(b.netns_fd, [&] {
    EXPECT_EQ(InterfacesHere(), (std::vector<std::string>{"eth0", "lo"}));
    listen_b = Listen("0.0.0.0", 80);
  });
  ASSERT_TRUE(listen_a.valid() && listen_b.valid());

  // The host reaches each task at its address, and the right one.
  EXPECT_EQ(Exchange(a.ipv4, 80, listen_a, "task-a"), "task-a");
  EXPECT_EQ(Exchange(b.ipv4, 80, listen_b, "task-b"), "task-b");

  // Inside, lo is up: 127.0.0.1:80 reaches the task's own listener.
  InNamespace(a.netns_fd, [&] { EXPECT_EQ(Exchange("127.0.0.1", 80, listen_a, "lo-a"), "lo-a"); });
  InNamespace(b.netns_fd, [&] { EXPECT_EQ(Exchange("127.0.0.1", 80, listen_b, "lo-b"), "lo-b"); });

  std::string veth_a = a.host_veth, veth_b = b.host_veth;
  nets_->Destroy(a.task_id);
  EXPECT_FALSE(LinkExists(veth_a));
  EXPECT_TRUE(LinkExists(veth_b));
  EXPECT_FALSE(nets_->Find(a.task_id).has_value());
  nets_->Destroy(b.task_id);
  EXPECT_FALSE(LinkExists(veth_b));
}

TEST_F(TaskNetworksTest, EthZeroHasTheAddressMacAndDefaultRoute) {
  TaskNetwork net = MustCreate(RandomHex(32));
  ASSERT_GE(net.netns_fd, 0);
  Ipv4 ip = *ParseIpv4(net.ipv4);
  char expected_mac[32];
  std::snprintf(expected_mac, sizeof expected_mac, "0a:62:%02x:%02x:%02x:%02x", ip >> 24,
                (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
  EXPECT_EQ(net.mac, expected_mac);
  std::string routes, mac_inside, kind, address_inside;
  InNamespace(net.netns_fd, [&] {
    routes = ReadFile("/proc/thread-self/net/route");
    UniqueFd probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));  // a socket of the task's namespace
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "eth0");
    ASSERT_EQ(ioctl(probe.get(), SIOCGIFHWADDR, &ifr), 0) << std::strerror(errno);
    unsigned char mac[6];
    std::memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    mac_inside = FormatMac(mac);
    ifreq addr_req{};
    std::snprintf(addr_req.ifr_name, sizeof addr_req.ifr_name, "eth0");
    ASSERT_EQ(ioctl(probe.get(), SIOCGIFADDR, &addr_req), 0) << std::strerror(errno);
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr_req.ifr_addr)->sin_addr, text,
              sizeof text);
    address_inside = text;
    Result<NetlinkSocket> nl = NetlinkSocket::Open();
    ASSERT_TRUE(nl.ok());
    Result<LinkInfo> eth0 = GetLink(*nl, "eth0");
    ASSERT_TRUE(eth0.ok()) << eth0.status().ToString();
    kind = eth0->kind;
  });
  EXPECT_EQ(mac_inside, net.mac);
  EXPECT_EQ(address_inside, net.ipv4);
  EXPECT_EQ(kind, "veth");
  // /proc/net/route: Iface, Destination, Gateway, ... as hex of the network-order value.
  char gateway_hex[16];
  std::snprintf(gateway_hex, sizeof gateway_hex, "%08X", htonl(*ParseIpv4(net.gateway)));
  EXPECT_NE(routes.find(std::string("eth0\t00000000\t") + gateway_hex), std::string::npos)
      << routes;
  nets_->Destroy(net.task_id);
}

TEST_F(TaskNetworksTest, TaskReachesTheHostAtTheGatewayAndOtherTasks) {
  TaskNetwork a = MustCreate(RandomHex(32));
  TaskNetwork b = MustCreate(RandomHex(32));
  ASSERT_GE(a.netns_fd, 0);
  ASSERT_GE(b.netns_fd, 0);
  UniqueFd on_host = Listen(a.gateway, 0);  // the test bridge's own address
  ASSERT_TRUE(on_host.valid());
  UniqueFd in_b;
  InNamespace(b.netns_fd, [&] { in_b = Listen("0.0.0.0", 8080); });
  InNamespace(a.netns_fd, [&] {
    EXPECT_EQ(Exchange(a.gateway, PortOf(on_host), on_host, "host"), "host");
    EXPECT_EQ(Exchange(b.ipv4, 8080, in_b, "task-b"), "task-b")
        << "task to task through the bridge (br_netfilter with a FORWARD DROP policy blocks it)";
  });
  nets_->Destroy(a.task_id);
  nets_->Destroy(b.task_id);
}

// Prints the times (for docs/benchmarks.md-style notes); fails only if Create is far off its
// few-milliseconds budget.
TEST_F(TaskNetworksTest, CreateTakesMillisecondsNotSeconds) {
  using Ms = std::chrono::duration<double, std::milli>;
  auto describe = [](std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    char line[128];
    std::snprintf(line, sizeof line, "min %.2f median %.2f max %.2f ms", ms.front(),
                  ms[ms.size() / 2], ms.back());
    return std::string(line);
  };
  std::vector<std::string> ids;
  std::vector<double> create_ms, destroy_ms;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(RandomHex(32));
    auto start = std::chrono::steady_clock::now();
    Result<TaskNetwork> net = nets_->Create(ids.back());
    create_ms.push_back(Ms(std::chrono::steady_clock::now() - start).count());
    ASSERT_TRUE(net.ok()) << net.status().ToString();
  }
  for (const std::string& id : ids) {
    auto start = std::chrono::steady_clock::now();
    nets_->Destroy(id);
    destroy_ms.push_back(Ms(std::chrono::steady_clock::now() - start).count());
  }
  std::printf("Create(): %s\nDestroy(): %s\n", describe(create_ms).c_str(),
              describe(destroy_ms).c_str());
  std::sort(create_ms.begin(), create_ms.end());
  EXPECT_LT(create_ms[create_ms.size() / 2], 200.0);
}

TEST_F(TaskNetworksTest, SameTaskTwiceIsAlreadyExistsAndUnknownDestroyIsANoOp) {
  std::string id = RandomHex(32);
  TaskNetwork net = MustCreate(id);
  Result<TaskNetwork> again = nets_->Create(id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  nets_->Destroy("no-such-task");
  nets_->Destroy(id);
  nets_->Destroy(id);
  EXPECT_FALSE(LinkExists(net.host_veth));
}

TEST_F(TaskNetworksTest, FailedCreateLeavesNothingBehind) {
  // Two task ids with the same first 12 characters want the same host veth name.
  std::string first = "abcdef012345" + RandomHex(20);
  std::string second = "abcdef012345" + RandomHex(20);
  TaskNetwork net = MustCreate(first);
  int fds_before = OpenFdCount();
  Result<TaskNetwork> clash = nets_->Create(second);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find(second), std::string::npos) << clash.status().message();
  EXPECT_NE(clash.status().message().find("File exists"), std::string::npos)
      << clash.status().message();
  EXPECT_EQ(OpenFdCount(), fds_before) << "the new namespace's fd is closed";
  EXPECT_TRUE(LinkExists(net.host_veth)) << "the first task's veth is untouched";
  nets_->Destroy(first);
  // The failed one's address was freed: the next Create gets a new one (round-robin), and both
  // the freed ones come back after the subnet wraps; here it is enough that Create still works.
  TaskNetwork next = MustCreate(second);
  EXPECT_TRUE(LinkExists(next.host_veth));
  nets_->Destroy(second);
}

TEST_F(TaskNetworksTest, DestructorDestroysEveryNetwork) {
  std::vector<std::string> veths;
  for (int i = 0; i < 3; ++i) veths.push_back(MustCreate(RandomHex(32)).host_veth);
  for (const std::string& v : veths) EXPECT_TRUE(LinkExists(v));
  nets_.reset();
  for (const std::string& v : veths) EXPECT_FALSE(LinkExists(v)) << v;
}

TEST_F(TaskNetworksTest, SweepLeftoversDeletesTheVethsOfAnEarlierBerth) {
  // An "earlier daemon" that made networks and never cleaned up (its namespaces are still held).
  // The two allocators hand out distinct addresses here: nets_ takes .2 after the sweep freed
  // it on the bridge, the earlier one has moved on to .3.
  TaskNetworks earlier(TestOptions());
  std::string old1 = earlier.Create(RandomHex(32))->host_veth;
  ASSERT_TRUE(LinkExists(old1));
  EXPECT_EQ(nets_->SweepLeftovers(), 1);
  EXPECT_FALSE(LinkExists(old1));

  TaskNetwork mine = MustCreate(RandomHex(32));
  Result<TaskNetwork> old2 = earlier.Create(RandomHex(32));
  ASSERT_TRUE(old2.ok()) << old2.status().ToString();
  ASSERT_NE(old2->ipv4, mine.ipv4);
  EXPECT_EQ(nets_->SweepLeftovers(), 1);
  EXPECT_FALSE(LinkExists(old2->host_veth));
  EXPECT_TRUE(LinkExists(mine.host_veth)) << "its own networks are kept";
  nets_->Destroy(mine.task_id);
  // ~earlier: its veths are gone already; it closes its fds without complaint.
}

}  // namespace
}  // namespace berth::network
