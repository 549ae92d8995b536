#include "lb/matcher.h"

#include <gtest/gtest.h>

namespace berth::lb {
namespace {

TEST(MatcherTest, DefaultIs200) {
  Matcher m;
  EXPECT_EQ(m.text(), "200");
  EXPECT_TRUE(m.Matches(200));
  EXPECT_FALSE(m.Matches(204));
}

TEST(MatcherTest, SingleRangeAndList) {
  auto range = Matcher::Parse("200-299");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->Matches(200));
  EXPECT_TRUE(range->Matches(299));
  EXPECT_FALSE(range->Matches(300));
  auto list = Matcher::Parse("200,302");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->Matches(302));
  EXPECT_FALSE(list->Matches(301));
  auto mixed = Matcher::Parse("200-204,404");
  ASSERT_TRUE(mixed.ok());
  EXPECT_TRUE(mixed->Matches(404));
  EXPECT_TRUE(mixed->Matches(203));
}

TEST(MatcherTest, RejectsMalformed) {
  for (const char* bad : {"", "abc", "199", "500", "20", "2000", "300-200", "200,", ",200",
                          "200-", "-200", "200--300", "200 ", "600"}) {
    auto m = Matcher::Parse(bad);  // ("500": ALB's codes stop at 499)
    EXPECT_FALSE(m.ok()) << bad;
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace berth::lb
