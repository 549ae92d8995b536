#include "lb/engine.h"

#include <gtest/gtest.h>

#include "common/fake_executor.h"

namespace berth::lb {
namespace {

// Records probes; the test answers them.
class FakeProber : public Prober {
 public:
  void Probe(const ProbeSpec& spec, std::function<void(ProbeResult)> done) override {
    calls.push_back({spec, std::move(done)});
  }
  // Answers every pending probe with r.
  void AnswerAll(ProbeResult r) {
    auto pending = std::move(calls);
    calls.clear();
    for (auto& c : pending) c.done(r);
  }
  struct Call {
    ProbeSpec spec;
    std::function<void(ProbeResult)> done;
  };
  std::vector<Call> calls;
};

const ProbeResult kPass{true, HealthReason::kNone, 200};
const ProbeResult k500{false, HealthReason::kResponseCodeMismatch, 500};
const char kGroup[] = "arn:tg";
const TargetKey kA{"127.0.0.1", 8001};
const TargetKey kB{"127.0.0.1", 8002};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : engine_(exec_, prober_, board_) {
    GroupSettings s;
    s.health_check.interval_s = 5;
    s.health_check.timeout_s = 2;
    s.health_check.healthy_threshold = 2;
    s.health_check.unhealthy_threshold = 2;
    s.health_check.path = "/health";
    s.deregistration_delay_s = 30;
    engine_.SetGroup(kGroup, s);
  }

  HealthState State(const TargetKey& k, uint64_t generation) {
    auto h = board_.Get(kGroup, k, generation);
    return h ? h->state : HealthState::kUnavailable;
  }

  // Brings a target to healthy: first check at once, the second one interval later.
  void MakeHealthy(const TargetKey& k, uint64_t generation) {
    engine_.AddTarget(kGroup, k, generation);
    exec_.RunPending();
    prober_.AnswerAll(kPass);
    exec_.Advance(5000);
    prober_.AnswerAll(kPass);
    ASSERT_EQ(State(k, generation), HealthState::kHealthy);
  }

  FakeExecutor exec_;
  FakeProber prober_;
  HealthBoard board_;
  Engine engine_;
};

TEST_F(EngineTest, UnusedGroupIsNotChecked) {
  engine_.AddTarget(kGroup, kA, 1);
  exec_.Advance(60000);
  EXPECT_TRUE(prober_.calls.empty());
  EXPECT_EQ(State(kA, 1), HealthState::kUnused);
  EXPECT_EQ(engine_.Pick(kGroup), nullptr);
}

TEST_F(EngineTest, FirstCheckAtRegistrationThenEveryInterval) {
  engine_.SetInUse(kGroup, true);
  engine_.AddTarget(kGroup, kA, 1);
  EXPECT_EQ(State(kA, 1), HealthState::kInitial);
  exec_.RunPending();
  ASSERT_EQ(prober_.calls.size(), 1u);
  EXPECT_EQ(prober_.calls[0].spec.ip, "127.0.0.1");
  EXPECT_EQ(prober_.calls[0].spec.port, 8001);
  EXPECT_EQ(prober_.calls[0].spec.path, "/health");
  EXPECT_EQ(prober_.calls[0].spec.timeout_ms, 2000);
  EXPECT_TRUE(prober_.calls[0].spec.http);
  prober_.AnswerAll(kPass);
  EXPECT_EQ(State(kA, 1), HealthState::kInitial);
  exec_.Advance(4999);
  EXPECT_TRUE(prober_.calls.empty());
  exec_.Advance(1);
  ASSERT_EQ(prober_.calls.size(), 1u);
  prober_.AnswerAll(kPass);
  EXPECT_EQ(State(kA, 1), HealthState::kHealthy);
  // Two failures make it unhealthy, with the AWS reason.
  exec_.Advance(5000);
  prober_.AnswerAll(k500);
  EXPECT_EQ(State(kA, 1), HealthState::kHealthy);
  exec_.Advance(5000);
  prober_.AnswerAll(k500);
  auto h = board_.Get(kGroup, kA, 1);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->state, HealthState::kUnhealthy);
  EXPECT_EQ(h->description, "Health checks failed with these codes: [500]");
  EXPECT_EQ(engine_.Pick(kGroup), nullptr);
}

TEST_F(EngineTest, ListenerAddedLaterStartsChecks) {
  engine_.AddTarget(kGroup, kA, 1);
  exec_.RunPending();
  EXPECT_TRUE(prober_.calls.empty());
  engine_.SetInUse(kGroup, true);
  EXPECT_EQ(State(kA, 1), HealthState::kInitial);
  exec_.RunPending();
  EXPECT_EQ(prober_.calls.size(), 1u);
  engine_.SetInUse(kGroup, false);
  prober_.AnswerAll(kPass);  // a late answer no longer counts
  EXPECT_EQ(State(kA, 1), HealthState::kUnused);
  exec_.Advance(60000);
  EXPECT_TRUE(prober_.calls.empty());
}

TEST_F(EngineTest, ShorterIntervalTakesEffectAtOnce) {
  GroupSettings slow;
  slow.health_check.interval_s = 300;
  engine_.SetGroup(kGroup, slow);
  engine_.SetInUse(kGroup, true);
  engine_.AddTarget(kGroup, kA, 1);
  exec_.RunPending();
  prober_.AnswerAll(kPass);
  GroupSettings fast;
  fast.health_check.interval_s = 5;
  fast.health_check.timeout_s = 2;
  engine_.SetGroup(kGroup, fast);
  exec_.Advance(5000);
  EXPECT_EQ(prober_.calls.size(), 1u);
}

TEST_F(EngineTest, RoundRobinOverHealthyTargetsOnly) {
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  engine_.AddTarget(kGroup, kB, 2);  // initial: no traffic yet
  exec_.RunPending();
  for (int i = 0; i < 3; ++i) {
    auto lease = engine_.Pick(kGroup);
    ASSERT_NE(lease, nullptr);
    EXPECT_EQ(lease->target(), kA);
  }
  prober_.AnswerAll(kPass);
  exec_.Advance(5000);
  prober_.AnswerAll(kPass);
  ASSERT_EQ(State(kB, 2), HealthState::kHealthy);
  std::vector<TargetKey> seen;
  for (int i = 0; i < 4; ++i) seen.push_back(engine_.Pick(kGroup)->target());
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_EQ(seen[0], seen[2]);
  EXPECT_EQ(seen[1], seen[3]);
}

TEST_F(EngineTest, DrainEndsAtOnceWithoutConnections) {
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  int drained = 0;
  engine_.DrainTarget(kGroup, kA, [&] { ++drained; });
  EXPECT_EQ(drained, 1);
  EXPECT_FALSE(engine_.HasTarget(kGroup, kA));
  EXPECT_FALSE(board_.Get(kGroup, kA, 1));
}

TEST_F(EngineTest, DrainWaitsForOpenConnections) {
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  auto lease = engine_.Pick(kGroup);
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(engine_.OpenConnections(kGroup, kA), 1);
  int drained = 0;
  engine_.DrainTarget(kGroup, kA, [&] { ++drained; });
  EXPECT_EQ(State(kA, 1), HealthState::kDraining);
  EXPECT_EQ(engine_.Pick(kGroup), nullptr) << "no new connections to a draining target";
  exec_.Advance(10000);
  EXPECT_TRUE(prober_.calls.empty()) << "draining targets are not checked";
  EXPECT_EQ(drained, 0);
  lease.reset();  // the last connection closes
  exec_.RunPending();
  EXPECT_EQ(drained, 1);
  EXPECT_FALSE(engine_.HasTarget(kGroup, kA));
}

TEST_F(EngineTest, DrainDelayClosesRemainingConnections) {
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  auto lease = engine_.Pick(kGroup);
  bool closed = false;
  lease->SetCloser([&] { closed = true; });
  int drained = 0;
  engine_.DrainTarget(kGroup, kA, [&] { ++drained; });
  exec_.Advance(29999);
  EXPECT_FALSE(closed);
  EXPECT_EQ(drained, 0);
  exec_.Advance(1);
  EXPECT_TRUE(closed);
  EXPECT_EQ(drained, 1);
  EXPECT_FALSE(engine_.HasTarget(kGroup, kA));
  lease.reset();  // the connection goes away afterwards: nothing more happens
  exec_.RunPending();
  EXPECT_EQ(drained, 1);
}

TEST_F(EngineTest, RegisteringAgainEndsTheDrain) {
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  auto lease = engine_.Pick(kGroup);
  int drained = 0;
  engine_.DrainTarget(kGroup, kA, [&] { ++drained; });
  engine_.AddTarget(kGroup, kA, 2);
  EXPECT_EQ(drained, 1);
  EXPECT_EQ(State(kA, 2), HealthState::kInitial);
  lease.reset();
  exec_.Advance(60000);
  EXPECT_TRUE(engine_.HasTarget(kGroup, kA));
}

TEST_F(EngineTest, RemovingTheGroupEndsDrainsAndClosesConnections) {
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  auto lease = engine_.Pick(kGroup);
  bool closed = false;
  lease->SetCloser([&] { closed = true; });
  int drained = 0;
  engine_.DrainTarget(kGroup, kA, [&] { ++drained; });
  engine_.RemoveGroup(kGroup);
  EXPECT_TRUE(closed);
  EXPECT_EQ(drained, 1);
  lease.reset();
  exec_.Advance(60000);
  EXPECT_EQ(exec_.pending(), 0u);
}

TEST_F(EngineTest, UnknownTargetDrainsAtOnce) {
  int drained = 0;
  engine_.DrainTarget(kGroup, kA, [&] { ++drained; });
  engine_.DrainTarget("arn:nope", kA, [&] { ++drained; });
  EXPECT_EQ(drained, 2);
}

}  // namespace
}  // namespace berth::lb

namespace berth::lb {
namespace {

TEST_F(EngineTest, RoutingObserverSeesHealthyTargetsComeAndGo) {
  std::vector<std::vector<TargetKey>> seen;
  engine_.SetRoutingObserver([&](const std::string& arn) {
    auto now = engine_.Routable(arn);
    if (seen.empty() || seen.back() != now) seen.push_back(now);
  });
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  MakeHealthy(kB, 2);
  engine_.DrainTarget(kGroup, kA, nullptr);
  std::vector<std::vector<TargetKey>> want = {{}, {kA}, {kA, kB}, {kB}};
  EXPECT_EQ(seen, want);
  engine_.SetInUse(kGroup, false);
  EXPECT_TRUE(engine_.Routable(kGroup).empty());
  EXPECT_TRUE(seen.back().empty());
}

TEST_F(EngineTest, DrainWaitsForConnectionsTheKernelTracks) {
  int tracked = 1;  // one kernel-forwarded connection to kA
  engine_.SetTrackedConnections([&](const std::string&, const TargetKey& k) {
    return k == kA ? tracked : 0;
  });
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  bool drained = false;
  engine_.DrainTarget(kGroup, kA, [&] { drained = true; });
  exec_.Advance(3000);
  EXPECT_FALSE(drained);
  EXPECT_EQ(State(kA, 1), HealthState::kDraining);
  tracked = 0;  // the connection closed
  exec_.Advance(1000);
  EXPECT_TRUE(drained);
  EXPECT_FALSE(engine_.HasTarget(kGroup, kA));
}

TEST_F(EngineTest, TrackedConnectionsThatNeverCloseEndAtTheDelay) {
  engine_.SetTrackedConnections([](const std::string&, const TargetKey&) { return 1; });
  engine_.SetInUse(kGroup, true);
  MakeHealthy(kA, 1);
  bool drained = false;
  engine_.DrainTarget(kGroup, kA, [&] { drained = true; });
  exec_.Advance(29000);
  EXPECT_FALSE(drained);
  exec_.Advance(1000);  // deregistration_delay_s = 30
  EXPECT_TRUE(drained);
}

}  // namespace
}  // namespace berth::lb
