#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/time_format.h"

namespace berth {
namespace {

TEST(Status, OkAndError) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("Cluster not found.", Resource::kCluster);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.resource(), Resource::kCluster);
  EXPECT_EQ(s.ToString(), "NotFound: Cluster not found.");
  Result<int> r = 3;
  EXPECT_TRUE(r.ok());
  Result<int> e = s;
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "Cluster not found.");
}

TEST(Ids, Formats) {
  std::string h = RandomHex(32);
  EXPECT_EQ(h.size(), 32u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(RandomHex(32), h);
  std::string u = NewUuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
}

TEST(TimeFormat, AmzDateRoundTrip) {
  TimeMs t;
  ASSERT_TRUE(ParseAmzDate("20150830T123600Z", &t));
  EXPECT_EQ(t, 1440938160000);
  EXPECT_EQ(FormatAmzDate(t), "20150830T123600Z");
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z", &t));
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z", &t));
}

TEST(TimeFormat, IsoMillisTrimsZeros) {
  EXPECT_EQ(FormatIsoMillis(1731531396540), "2024-11-13T20:56:36.54Z");
  EXPECT_EQ(FormatIsoMillis(1731531396000), "2024-11-13T20:56:36Z");
}

TEST(FakeExecutor, RunsTimersInOrder) {
  FakeExecutor ex;
  std::vector<int> order;
  ex.RunAfter(100, [&] { order.push_back(2); });
  ex.RunAfter(50, [&] { order.push_back(1); });
  TimerId c = ex.RunAfter(70, [&] { order.push_back(9); });
  ex.Cancel(c);
  ex.Advance(99);
  EXPECT_EQ(order, (std::vector<int>{1}));
  ex.Advance(1);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace berth
