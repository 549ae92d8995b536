#include "lb/state_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace berth::lb {
namespace {

Config Sample() {
  Config c;
  LoadBalancer lb;
  lb.arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef";
  lb.name = "web";
  lb.subnets = {"subnet-1", "subnet-2"};
  lb.security_groups = {"sg-1"};
  lb.dns_name = "web-1234567890.elb.localhost";
  lb.created_ms = 1700000000123;
  lb.tags = {{"env", "prod"}, {"quote", "a\"b<c>"}};
  c.load_balancers.push_back(lb);
  TargetGroup tg;
  tg.arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/fedcba9876543210";
  tg.name = "app";
  tg.port = 8080;
  tg.health_check.interval_s = 5;
  tg.health_check.timeout_s = 2;
  tg.health_check.path = "/health";
  tg.health_check.matcher = *Matcher::Parse("200-299");
  tg.deregistration_delay_s = 10;
  c.target_groups.push_back(tg);
  c.targets[tg.arn] = {{"127.0.0.1", 8001}, {"127.0.0.2", 8002}};
  Listener l;
  l.arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/1111111111111111";
  l.load_balancer_arn = lb.arn;
  l.port = 8088;
  l.target_group_arn = tg.arn;
  c.listeners.push_back(l);
  return c;
}

TEST(StateFileTest, RoundTrips) {
  Config c = Sample();
  auto back = ConfigFromJson(ConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->load_balancers.size(), 1u);
  EXPECT_EQ(back->load_balancers[0].tags, c.load_balancers[0].tags);
  EXPECT_EQ(back->load_balancers[0].subnets, c.load_balancers[0].subnets);
  EXPECT_EQ(back->load_balancers[0].created_ms, 1700000000123);
  ASSERT_EQ(back->target_groups.size(), 1u);
  EXPECT_EQ(back->target_groups[0].health_check.matcher.text(), "200-299");
  EXPECT_EQ(back->target_groups[0].health_check.path, "/health");
  EXPECT_EQ(back->target_groups[0].deregistration_delay_s, 10);
  EXPECT_EQ(back->targets[c.target_groups[0].arn], c.targets[c.target_groups[0].arn]);
  ASSERT_EQ(back->listeners.size(), 1u);
  EXPECT_EQ(back->listeners[0].port, 8088);
}

TEST(StateFileTest, RejectsGarbageWithoutThrowing) {
  for (const char* bad : {"", "{", "[]", "{\"version\":2}", "{\"version\":1}",
                          "{\"version\":1,\"load_balancers\":[{}],\"target_groups\":[],"
                          "\"listeners\":[]}",
                          "{\"version\":\"x\"}"}) {
    EXPECT_FALSE(ConfigFromJson(bad).ok()) << bad;
  }
}

TEST(StateFileTest, WritesAtomicallyAndReadsBack) {
  char tmpl[] = "/tmp/lb-state-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/state.json";
  auto empty = ReadConfigFile(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->load_balancers.empty());
  ASSERT_TRUE(WriteConfigFile(path, Sample()).ok());
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
  auto back = ReadConfigFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->listeners.size(), 1u);
  unlink(path.c_str());
  rmdir(tmpl);
}

}  // namespace
}  // namespace berth::lb
