#include "lb/load_balancing.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "common/fake_executor.h"
#include "lb/lb_errors.h"

namespace berth::lb {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

class LoadBalancingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lb-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    lb_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    lb_.reset();
    Options o;
    o.data_dir = dir_;
    auto lb = LoadBalancing::Open(exec_, o);
    ASSERT_TRUE(lb.ok()) << lb.status().message();
    lb_ = std::move(*lb);
  }
  LoadBalancer MakeLb(const std::string& name) {
    LoadBalancerSpec s;
    s.name = name;
    auto r = lb_->CreateLoadBalancer(s, "us-east-1");
    EXPECT_TRUE(r.ok()) << r.status().message();
    return *r;
  }
  TargetGroup MakeTg(const std::string& name, int port = 8080) {
    TargetGroupSpec s;
    s.name = name;
    s.protocol = Protocol::kHttp;
    s.port = port;
    s.target_type = "ip";
    s.health_check.interval_s = 5;
    s.health_check.timeout_s = 2;
    auto r = lb_->CreateTargetGroup(s, "us-east-1");
    EXPECT_TRUE(r.ok()) << r.status().message();
    return *r;
  }
  Result<Listener> MakeListener(const std::string& lb_arn, const std::string& tg_arn, int port) {
    ListenerSpec s;
    s.load_balancer_arn = lb_arn;
    s.target_group_arn = tg_arn;
    s.port = port;
    return lb_->CreateListener(s);
  }

  std::string dir_;
  FakeExecutor exec_;
  std::unique_ptr<LoadBalancing> lb_;
};

TEST_F(LoadBalancingTest, CreateDescribeAndArnShapes) {
  LoadBalancer lb = MakeLb("web");
  EXPECT_EQ(lb.arn.rfind("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/", 0), 0u);
  EXPECT_EQ(lb.arn.size(), std::string("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/").size() + 16);
  EXPECT_NE(lb.dns_name.find(".elb.localhost"), std::string::npos);
  TargetGroup tg = MakeTg("app");
  EXPECT_NE(tg.arn.find(":targetgroup/app/"), std::string::npos);
  EXPECT_EQ(tg.health_check.healthy_threshold, 5);
  EXPECT_EQ(tg.health_check.matcher.text(), "200");
  auto l = MakeListener(lb.arn, tg.arn, FreePort());
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_NE(l->arn.find(":listener/app/web/"), std::string::npos);
  auto lbs = lb_->DescribeLoadBalancers({}, {"web"});
  ASSERT_TRUE(lbs.ok());
  EXPECT_EQ(lbs->size(), 1u);
  auto missing = lb_->DescribeLoadBalancers({}, {"nope"});
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().resource(), kLoadBalancer);
  auto of = lb_->LoadBalancersOfTargetGroup(tg.arn);
  ASSERT_TRUE(of.ok());
  EXPECT_EQ(*of, std::vector<std::string>{lb.arn});
  auto tgs = lb_->DescribeTargetGroups(lb.arn, {}, {});
  ASSERT_TRUE(tgs.ok());
  EXPECT_EQ(tgs->size(), 1u);
}

TEST_F(LoadBalancingTest, DuplicatesAndIdempotentCreates) {
  LoadBalancer lb = MakeLb("web");
  EXPECT_EQ(MakeLb("web").arn, lb.arn);
  LoadBalancerSpec internal;
  internal.name = "web";
  internal.scheme = "internal";
  auto dup = lb_->CreateLoadBalancer(internal, "us-east-1");
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup.status().resource(), kLoadBalancer);
  TargetGroup tg = MakeTg("app");
  EXPECT_EQ(MakeTg("app").arn, tg.arn);
  TargetGroupSpec other;
  other.name = "app";
  other.protocol = Protocol::kHttp;
  other.port = 9090;
  auto dup_tg = lb_->CreateTargetGroup(other, "us-east-1");
  EXPECT_EQ(dup_tg.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup_tg.status().resource(), kTargetGroup);
  int port = FreePort();
  ASSERT_TRUE(MakeListener(lb.arn, tg.arn, port).ok());
  TargetGroup tg2 = MakeTg("other");
  auto dup_l = MakeListener(lb.arn, tg2.arn, port);
  EXPECT_EQ(dup_l.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup_l.status().resource(), kListener);
}

TEST_F(LoadBalancingTest, ValidationRules) {
  LoadBalancerSpec bad;
  bad.name = "-web";
  EXPECT_EQ(lb_->CreateLoadBalancer(bad, "us-east-1").status().code(), Code::kInvalidArgument);
  TargetGroupSpec s;
  s.name = "tg";
  s.protocol = Protocol::kHttp;
  s.port = 80;
  s.health_check.interval_s = 4;
  EXPECT_EQ(lb_->CreateTargetGroup(s, "us-east-1").status().code(), Code::kInvalidArgument);
  s.health_check.interval_s = 5;  // the default timeout (5) is not below it
  EXPECT_EQ(lb_->CreateTargetGroup(s, "us-east-1").status().code(), Code::kInvalidArgument);
  s.health_check.timeout_s = 4;
  s.health_check.matcher = "200-";
  EXPECT_EQ(lb_->CreateTargetGroup(s, "us-east-1").status().code(), Code::kInvalidArgument);
  s.health_check.matcher = "200,302";
  s.health_check.healthy_threshold = 11;
  EXPECT_EQ(lb_->CreateTargetGroup(s, "us-east-1").status().code(), Code::kInvalidArgument);
  s.health_check.healthy_threshold = 2;
  auto tg = lb_->CreateTargetGroup(s, "us-east-1");
  ASSERT_TRUE(tg.ok()) << tg.status().message();
  EXPECT_EQ(tg->health_check.matcher.text(), "200,302");
  auto bad_target = lb_->RegisterTargets(tg->arn, {{"not-an-ip", 80}});
  EXPECT_EQ(bad_target.code(), Code::kInvalidArgument);
  EXPECT_EQ(bad_target.resource(), kTarget);
  auto attrs = lb_->ModifyTargetGroupAttributes(
      tg->arn, {{"deregistration_delay.timeout_seconds", "3601"}});
  EXPECT_EQ(attrs.status().code(), Code::kInvalidArgument);
  attrs = lb_->ModifyTargetGroupAttributes(tg->arn, {{"deregistration_delay.timeout_seconds", "0"}});
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ((*attrs)[0], (std::pair<std::string, std::string>("deregistration_delay.timeout_seconds", "0")));
}

TEST_F(LoadBalancingTest, PortInUseIsAConflict) {
  LoadBalancer a = MakeLb("a");
  LoadBalancer b = MakeLb("b");
  TargetGroup ta = MakeTg("ta");
  TargetGroup tb = MakeTg("tb");
  int port = FreePort();
  ASSERT_TRUE(MakeListener(a.arn, ta.arn, port).ok());
  auto taken = MakeListener(b.arn, tb.arn, port);
  EXPECT_EQ(taken.status().code(), Code::kConflict);
  auto r = lb_->DescribeListeners(b.arn, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST_F(LoadBalancingTest, TargetGroupInUseCannotBeDeleted) {
  LoadBalancer lb = MakeLb("web");
  TargetGroup tg = MakeTg("app");
  auto l = MakeListener(lb.arn, tg.arn, FreePort());
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(lb_->DeleteTargetGroup(tg.arn).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(lb_->DeleteLoadBalancer(lb.arn).ok());
  auto gone = lb_->DescribeListeners("", {l->arn});
  EXPECT_EQ(gone.status().resource(), kListener);
  EXPECT_TRUE(lb_->DeleteTargetGroup(tg.arn).ok());
  EXPECT_TRUE(lb_->DeleteTargetGroup(tg.arn).ok()) << "deleting a gone group succeeds";
  EXPECT_EQ(lb_->LoadBalancersOfTargetGroup(tg.arn).status().code(), Code::kNotFound);
}

TEST_F(LoadBalancingTest, TargetHealthBeforeChecksRun) {
  TargetGroup tg = MakeTg("app");
  ASSERT_TRUE(lb_->RegisterTargets(tg.arn, {{"127.0.0.1", 0}, {"127.0.0.1", 9001}}).ok());
  auto h = lb_->DescribeTargetHealth(tg.arn);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].target.port, 8080) << "port 0 = the group's port";
  EXPECT_EQ((*h)[0].health.state, HealthState::kUnused) << "no listener forwards to the group";
  LoadBalancer lb = MakeLb("web");
  ASSERT_TRUE(MakeListener(lb.arn, tg.arn, FreePort()).ok());
  h = lb_->DescribeTargetHealth(tg.arn, {{"127.0.0.1", 9001}, {"127.0.0.9", 0}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)[0].health.state, HealthState::kInitial);
  EXPECT_EQ((*h)[1].health.reason, HealthReason::kNotRegistered);
  EXPECT_EQ(lb_->DeregisterTargets(tg.arn, {{"127.0.0.5", 0}}).resource(), kTarget);
  bool drained = false;
  ASSERT_TRUE(lb_->DeregisterTargets(tg.arn, {{"127.0.0.1", 9001}}, [&] { drained = true; }).ok());
  h = lb_->DescribeTargetHealth(tg.arn, {{"127.0.0.1", 9001}});
  ASSERT_TRUE(h.ok());
  // Draining until the lb thread reports back (it has no connections, so at once) — the
  // callback arrives through the control executor.
  EXPECT_TRUE((*h)[0].health.state == HealthState::kDraining);
  for (int i = 0; i < 2000 && !drained; ++i) {
    exec_.RunPending();
    if (!drained) usleep(1000);
  }
  EXPECT_TRUE(drained);
  h = lb_->DescribeTargetHealth(tg.arn);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 1u);
}

TEST_F(LoadBalancingTest, ConfigSurvivesReopen) {
  LoadBalancer lb = MakeLb("web");
  TargetGroup tg = MakeTg("app");
  int port = FreePort();
  ASSERT_TRUE(MakeListener(lb.arn, tg.arn, port).ok());
  ASSERT_TRUE(lb_->RegisterTargets(tg.arn, {{"127.0.0.1", 9001}}).ok());
  ASSERT_TRUE(lb_->AddTags({tg.arn}, {{"team", "web"}}).ok());
  Reopen();
  auto lbs = lb_->DescribeLoadBalancers({}, {});
  ASSERT_TRUE(lbs.ok());
  ASSERT_EQ(lbs->size(), 1u);
  EXPECT_EQ((*lbs)[0].arn, lb.arn);
  auto tags = lb_->DescribeTags({tg.arn});
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ((*tags)[0].tags, (Tags{{"team", "web"}}));
  auto h = lb_->DescribeTargetHealth(tg.arn);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].target.port, 9001);
  EXPECT_TRUE(lb_->TakeWarnings().empty()) << "the listener port was bound again";
  ASSERT_TRUE(lb_->Reset().ok());
  Reopen();
  EXPECT_TRUE(lb_->DescribeLoadBalancers({}, {})->empty());
}

TEST_F(LoadBalancingTest, Tags) {
  LoadBalancer lb = MakeLb("web");
  EXPECT_EQ(lb_->AddTags({lb.arn}, {{"a", "1"}, {"a", "2"}}).resource(), kTag);
  ASSERT_TRUE(lb_->AddTags({lb.arn}, {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE(lb_->AddTags({lb.arn}, {{"a", "3"}}).ok());
  ASSERT_TRUE(lb_->RemoveTags({lb.arn}, {"b"}).ok());
  auto t = lb_->DescribeTags({lb.arn});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].tags, (Tags{{"a", "3"}}));
  auto missing = lb_->DescribeTags({lb.arn + "0"});
  EXPECT_EQ(missing.status().resource(), kLoadBalancer);
}

}  // namespace
}  // namespace berth::lb
