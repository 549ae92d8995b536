// Docker's log frames, the create body (the agent's field mapping) and DOCKER_HOST.
// EngineClient and DockerDriver are exercised against a real engine by
// tests/integration/test_docker.py.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <utility>
#include <vector>

#include "docker/container_config.h"
#include "docker/engine_client.h"
#include "docker/exit_status.h"
#include "docker/log_frames.h"

namespace berth::docker {
namespace {

using nlohmann::json;

std::string Frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + payload;
}

TEST(LogFrames, AtBoundaryInsideTheSinkTellsWhereAFrameEnds) {
  std::string wire = Frame(1, "one\n") + Frame(2, "two\n");
  LogFrameDecoder d;
  std::vector<std::string> whole;
  std::string current;
  for (char c : wire) {
    d.Feed(std::string_view(&c, 1), [&](LogFrameDecoder::Stream, std::string_view b) {
      current.append(b);
      if (d.at_boundary()) whole.push_back(std::exchange(current, ""));
    });
  }
  EXPECT_EQ(whole, (std::vector<std::string>{"one\n", "two\n"}));
}

TEST(LogTimestamps, ParsesTheEnginesForms) {
  EXPECT_EQ(ParseLogTimestamp("1970-01-01T00:00:01.000000002Z"), 1'000'000'002);
  EXPECT_EQ(ParseLogTimestamp("1970-01-01T00:00:01.5Z"), 1'500'000'000);  // zeros dropped
  EXPECT_EQ(ParseLogTimestamp("2026-11-30T14:29:48Z"), 1'796'048'988'000'000'000);  // Podman
  EXPECT_EQ(ParseLogTimestamp("2026-11-30T14:29:48"), -1);
  EXPECT_EQ(ParseLogTimestamp("hello"), -1);
  EXPECT_EQ(ParseLogTimestamp(""), -1);
}

TEST(LogTimestamps, MessagesOfOneSecondAreNumberedInOrder) {
  MessagePositions p;
  std::string_view payload;
  int64_t pos = 0;
  const int64_t s = 1'796'048'988'000'000'000;
  ASSERT_TRUE(p.Next("2026-11-30T14:29:48Z line 0\n", &payload, &pos));
  EXPECT_EQ(payload, "line 0\n");
  EXPECT_EQ(pos, s);
  ASSERT_TRUE(p.Next("2026-11-30T14:29:48Z line 1\n", &payload, &pos));
  EXPECT_EQ(pos, s + 1);
  ASSERT_TRUE(p.Next("2026-11-30T14:29:48Z line 2\n", &payload, &pos));
  EXPECT_EQ(pos, s + 2);
  ASSERT_TRUE(p.Next("2026-11-30T14:29:49.25Z line 3\n", &payload, &pos));
  EXPECT_EQ(pos, s + 1'250'000'000);
  EXPECT_FALSE(p.Next("no timestamp", &payload, &pos));
  // Read again from the start of the second: the same positions, so a cursor at s + 1 resumes
  // exactly after "line 1".
  MessagePositions again;
  std::vector<std::string> after;
  for (const char* m : {"2026-11-30T14:29:48Z line 0\n", "2026-11-30T14:29:48Z line 1\n",
                        "2026-11-30T14:29:48Z line 2\n"}) {
    ASSERT_TRUE(again.Next(m, &payload, &pos));
    if (pos > s + 1) after.emplace_back(payload);
  }
  EXPECT_EQ(after, std::vector<std::string>{"line 2\n"});
}

TEST(LogFrames, DecodesFramesSplitAnywhere) {
  std::string wire = Frame(1, "hello\n") + Frame(2, "oops\n") + Frame(0, "in") + Frame(1, "") +
                     Frame(1, std::string(70000, 'x'));
  for (size_t piece : {1, 3, 7, 8, 9, 4096, 100000}) {
    LogFrameDecoder d;
    std::string out, err;
    for (size_t i = 0; i < wire.size(); i += piece) {
      ASSERT_TRUE(d.Feed(std::string_view(wire).substr(i, piece),
                         [&](LogFrameDecoder::Stream s, std::string_view b) {
                           (s == LogFrameDecoder::Stream::kStderr ? err : out).append(b);
                         }));
    }
    EXPECT_EQ(out, "hello\n" + std::string(70000, 'x')) << piece;
    EXPECT_EQ(err, "oops\n") << piece;
    EXPECT_TRUE(d.at_boundary());
  }
}

TEST(LogFrames, RefusesWhatIsNotAMultiplexedStream) {
  LogFrameDecoder d;
  int calls = 0;
  EXPECT_FALSE(d.Feed("2024-01-01 plain text log line\n",
                      [&](LogFrameDecoder::Stream, std::string_view) { ++calls; }));
  EXPECT_FALSE(d.Feed(Frame(1, "x"), [&](LogFrameDecoder::Stream, std::string_view) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

TEST(DockerHost, UnixSocketsOnly) {
  EXPECT_EQ(*SocketFromDockerHost(nullptr), "/var/run/docker.sock");
  EXPECT_EQ(*SocketFromDockerHost(""), "/var/run/docker.sock");
  EXPECT_EQ(*SocketFromDockerHost("unix:///tmp/d.sock"), "/tmp/d.sock");
  EXPECT_FALSE(SocketFromDockerHost("tcp://10.0.0.1:2375").ok());
  EXPECT_FALSE(SocketFromDockerHost("ssh://me@host").ok());
}

// An inspect that reports OOMKilled only from its `oom_after`-th answer on, as dockerd does
// when its OOM event comes after the exit.
struct LateOomEngine {
  int calls = 0;
  int oom_after = 3;
  int exit_code = 137;
  int64_t paused_ms = 0;
  ExitRead Read(bool berth_sent_sigkill) {
    ExitRead r;
    r.inspect = [this]() -> Result<EngineResponse> {
      ++calls;
      bool oom = calls >= oom_after;
      return EngineResponse{200, json{{"State", {{"ExitCode", exit_code}, {"OOMKilled", oom}}}}.dump()};
    };
    r.pause = [this](int64_t ms) { paused_ms += ms; };
    r.berth_sent_sigkill = berth_sent_sigkill;
    return r;
  }
};

TEST(ExitStatus, WaitsForAnOomKillTheEngineRecordsAfterTheExit) {
  LateOomEngine engine;
  driver::ExitStatus st = ReadExitStatus(engine.Read(false));
  EXPECT_EQ(st.exit_code, 137);
  EXPECT_EQ(st.signal, SIGKILL);
  EXPECT_TRUE(st.oom_killed);
  EXPECT_EQ(engine.calls, 3);
  EXPECT_EQ(engine.paused_ms, 200);
}

TEST(ExitStatus, APlainKillIsReportedAfterTheRecheckWindow) {
  LateOomEngine engine;
  engine.oom_after = 1000;
  driver::ExitStatus st = ReadExitStatus(engine.Read(false));
  EXPECT_FALSE(st.oom_killed);
  EXPECT_EQ(st.exit_code, 137);
  EXPECT_EQ(engine.paused_ms, 1000);
}

TEST(ExitStatus, NoWaitWhenBerthKilledItOrItExitedByItself) {
  LateOomEngine killed;
  EXPECT_FALSE(ReadExitStatus(killed.Read(true)).oom_killed);
  EXPECT_EQ(killed.calls, 1);
  LateOomEngine exited;
  exited.exit_code = 3;
  driver::ExitStatus st = ReadExitStatus(exited.Read(false));
  EXPECT_EQ(st.exit_code, 3);
  EXPECT_EQ(st.signal, 0);
  EXPECT_EQ(exited.calls, 1);
}

TEST(ExitStatus, AContainerThatCannotBeInspectedIsReportedKilled) {
  ExitRead r;
  r.inspect = []() -> Result<EngineResponse> { return EngineResponse{404, "{}"}; };
  r.pause = [](int64_t) {};
  driver::ExitStatus st = ReadExitStatus(r);
  EXPECT_EQ(st.exit_code, 137);
  EXPECT_EQ(st.signal, SIGKILL);
}

driver::ProcessSpec Spec(const char* definition) {
  driver::ProcessSpec s;
  s.task_id = "0123456789abcdef0123456789abcdef";
  s.container_name = "web";
  s.image = "php:fpm-alpine";
  s.definition = json::parse(definition);
  return s;
}

TEST(CreateBody, MapsTheContainerDefinitionAsTheAgentDoes) {
  driver::ProcessSpec s = Spec(R"({"name":"web","dockerLabels":{"team":"web","n":1},
    "linuxParameters":{"initProcessEnabled":true,"capabilities":{"add":["NET_ADMIN"],
      "drop":["MKNOD"]},"sharedMemorySize":64,
      "tmpfs":[{"containerPath":"/run","size":16,"mountOptions":["noexec"]}]},
    "readonlyRootFilesystem":true,
    "mountPoints":[{"sourceVolume":"data","containerPath":"/data","readOnly":true},
                   {"sourceVolume":"cache","containerPath":"/cache"}]})");
  s.task_volumes = json::parse(R"([{"name":"data","host":{"sourcePath":"/srv/data"}},
                                   {"name":"cache","dockerVolumeConfiguration":{"scope":"task",
                                    "driver":"local"}}])");
  s.entry_point = std::vector<std::string>{"docker-php-entrypoint"};
  s.command = std::vector<std::string>{"php-fpm", "-F"};
  s.env = {{"APP_ENV", "production"}, {"EMPTY", ""}};
  s.working_dir = "/var/www";
  s.user = "www-data";
  s.memory_limit_bytes = 256LL << 20;
  s.memory_reservation_bytes = 128LL << 20;
  s.cpu_shares = 0;
  s.ulimits = {{"nofile", 1024, 4096}};
  s.labels = {{"com.amazonaws.ecs.container-name", "web"}};
  CreateOptions o;
  o.berth_labels = {{"berth.task-id", s.task_id}};
  auto body = CreateBody(s, o);
  ASSERT_TRUE(body.ok()) << body.status().message();
  const json& b = *body;
  EXPECT_EQ(b["Image"], "php:fpm-alpine");
  EXPECT_EQ(b["Entrypoint"], json({"docker-php-entrypoint"}));
  EXPECT_EQ(b["Cmd"], json({"php-fpm", "-F"}));
  EXPECT_EQ(b["Env"], json({"APP_ENV=production", "EMPTY="}));
  EXPECT_EQ(b["WorkingDir"], "/var/www");
  EXPECT_EQ(b["User"], "www-data");
  EXPECT_EQ(b["Labels"], json({{"team", "web"},
                               {"com.amazonaws.ecs.container-name", "web"},
                               {"berth.task-id", s.task_id}}));
  const json& h = b["HostConfig"];
  EXPECT_EQ(h["NetworkMode"], "host");
  EXPECT_EQ(h["Memory"], 256LL << 20);
  EXPECT_EQ(h["MemoryReservation"], 128LL << 20);
  EXPECT_EQ(h["CpuShares"], 2);  // 0 and 1 become 2
  EXPECT_EQ(h["Ulimits"], json::parse(R"([{"Name":"nofile","Soft":1024,"Hard":4096}])"));
  EXPECT_EQ(h["Init"], true);
  EXPECT_EQ(h["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_EQ(h["CapDrop"], json({"MKNOD"}));
  EXPECT_EQ(h["ShmSize"], 64LL << 20);
  EXPECT_EQ(h["Tmpfs"], json({{"/run", "size=16m,noexec"}}));
  EXPECT_EQ(h["ReadonlyRootfs"], true);
  EXPECT_EQ(h["Binds"], json({"/srv/data:/data:ro"}));
  EXPECT_EQ(h["Mounts"][0]["Source"], "ecs-" + s.task_id + "-cache");
  EXPECT_EQ(h["Mounts"][0]["Target"], "/cache");
  EXPECT_FALSE(h.contains("Privileged"));
}

TEST(CreateBody, UnsetEntryPointAndCommandComeFromTheImage) {
  auto body = CreateBody(Spec(R"({"name":"web"})"), {});
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE(body->contains("Entrypoint"));
  EXPECT_FALSE(body->contains("Cmd"));
}

TEST(CreateBody, PrivilegedNeedsTheDaemonsPermission) {
  auto refused = CreateBody(Spec(R"({"name":"web","privileged":true})"), {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--docker-allow-privileged"), std::string::npos);
  CreateOptions o;
  o.allow_privileged = true;
  auto allowed = CreateBody(Spec(R"({"name":"web","privileged":true})"), o);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ((*allowed)["HostConfig"]["Privileged"], true);
}

TEST(CreateBody, UnknownVolumeIsRefused) {
  auto r = CreateBody(Spec(R"({"name":"web","mountPoints":[{"sourceVolume":"nope",
                                "containerPath":"/x"}]})"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'nope'"), std::string::npos);
}

TEST(CreateBody, BridgePortsBindOnLoopbackWithDynamicHostPorts) {
  CreateOptions o;
  o.network_mode = "bridge";
  auto r = CreateBody(Spec(R"({"name":"web","portMappings":[{"containerPort":80},
                                {"containerPort":53,"hostPort":5353,"protocol":"udp"}]})"), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["HostConfig"]["PortBindings"],
            json::parse(R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":""}],
                            "53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}]})"));
}

TEST(CreateBody, VolumesFromNameTheTasksContainers) {
  CreateOptions o;
  o.task_container_ids = {{"data", "abc123"}};
  auto r = CreateBody(Spec(R"({"name":"web","volumesFrom":[{"sourceContainer":"data",
                                "readOnly":true}]})"), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["HostConfig"]["VolumesFrom"], json({"abc123:ro"}));
  auto missing = CreateBody(Spec(R"({"name":"web","volumesFrom":[{"sourceContainer":"db"}]})"), o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'db'"), std::string::npos);
}

}  // namespace
}  // namespace berth::docker
