#include "lb/health_tracker.h"

#include <gtest/gtest.h>

namespace berth::lb {
namespace {

const ProbeResult kPass{true, HealthReason::kNone, 200};
const ProbeResult k500{false, HealthReason::kResponseCodeMismatch, 500};
const ProbeResult kTimeout{false, HealthReason::kTimeout, 0};
const ProbeResult kRefused{false, HealthReason::kFailedHealthChecks, 0};

TEST(HealthTrackerTest, StartsInitialWithRegistrationInProgress) {
  HealthTracker t(2, 2);
  EXPECT_EQ(t.health().state, HealthState::kInitial);
  EXPECT_STREQ(ToString(t.health().reason), "Elb.RegistrationInProgress");
  EXPECT_EQ(t.health().description, "Target registration is in progress");
}

TEST(HealthTrackerTest, HealthyAfterThresholdConsecutivePasses) {
  HealthTracker t(3, 2);
  EXPECT_FALSE(t.Apply(kPass));
  EXPECT_FALSE(t.Apply(kPass));
  EXPECT_EQ(t.health().state, HealthState::kInitial);
  EXPECT_TRUE(t.Apply(kPass));
  EXPECT_TRUE(t.healthy());
  EXPECT_EQ(t.health().reason, HealthReason::kNone);
}

TEST(HealthTrackerTest, FailureResetsThePassCount) {
  HealthTracker t(2, 3);
  t.Apply(kPass);
  t.Apply(k500);
  t.Apply(kPass);
  EXPECT_EQ(t.health().state, HealthState::kInitial);
  t.Apply(kPass);
  EXPECT_TRUE(t.healthy());
}

TEST(HealthTrackerTest, UnhealthyAfterThresholdFailuresWithAwsReasons) {
  HealthTracker t(2, 2);
  t.Apply(kPass);
  t.Apply(kPass);
  ASSERT_TRUE(t.healthy());
  EXPECT_FALSE(t.Apply(k500));
  EXPECT_TRUE(t.healthy()) << "one failure is below the threshold";
  EXPECT_TRUE(t.Apply(k500));
  EXPECT_EQ(t.health().state, HealthState::kUnhealthy);
  EXPECT_STREQ(ToString(t.health().reason), "Target.ResponseCodeMismatch");
  EXPECT_EQ(t.health().description, "Health checks failed with these codes: [500]");
  EXPECT_TRUE(t.Apply(kTimeout));
  EXPECT_STREQ(ToString(t.health().reason), "Target.Timeout");
  EXPECT_EQ(t.health().description, "Request timed out");
  EXPECT_TRUE(t.Apply(kRefused));
  EXPECT_STREQ(ToString(t.health().reason), "Target.FailedHealthChecks");
  EXPECT_EQ(t.health().description, "Health checks failed");
  // Back to healthy takes the full healthy threshold.
  t.Apply(kPass);
  EXPECT_EQ(t.health().state, HealthState::kUnhealthy);
  t.Apply(kPass);
  EXPECT_TRUE(t.healthy());
}

TEST(HealthTrackerTest, InitialTargetBecomesUnhealthy) {
  HealthTracker t(5, 2);
  t.Apply(kRefused);
  EXPECT_EQ(t.health().state, HealthState::kInitial);
  t.Apply(kRefused);
  EXPECT_EQ(t.health().state, HealthState::kUnhealthy);
}

TEST(HealthTrackerTest, RestartGoesBackToInitial) {
  HealthTracker t(2, 2);
  t.Apply(kPass);
  t.Apply(kPass);
  t.Restart();
  EXPECT_EQ(t.health().state, HealthState::kInitial);
  t.Apply(kPass);
  EXPECT_EQ(t.health().state, HealthState::kInitial);
}

}  // namespace
}  // namespace berth::lb
