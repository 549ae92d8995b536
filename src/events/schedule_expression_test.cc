#include "events/schedule_expression.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace berth::events {
namespace {

using namespace std::chrono;
using TimePoint = ScheduleExpression::TimePoint;

TimePoint At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return time_point_cast<system_clock::duration>(sys_days{year{y} / mo / d} + hours(h) +
                                                 minutes(mi) + seconds(s));
}

// "2024-02-29T10:15:00" (or "none"), for readable failures.
std::string Fmt(std::optional<TimePoint> t) {
  if (!t) return "none";
  auto day = floor<days>(*t);
  year_month_day ymd{day};
  hh_mm_ss<system_clock::duration> hms{*t - day};
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
           static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
           static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
           static_cast<int>(hms.seconds().count()));
  std::string out = buf;
  if (hms.subseconds().count() != 0) out += "+";
  return out;
}

ScheduleExpression MustParse(const std::string& text) {
  auto e = ScheduleExpression::Parse(text);
  EXPECT_TRUE(e.ok()) << text;
  return e.ok() ? *e : *ScheduleExpression::Parse("rate(1 minute)");
}

// Next firing of a cron (the anchor does not matter).
std::string NextCron(const std::string& expr, TimePoint after) {
  return Fmt(MustParse(expr).Next(after, TimePoint{}));
}

// --- Parsing ---------------------------------------------------------------------------------

TEST(ScheduleExpressionTest, AcceptsRates) {
  struct {
    const char* text;
    int minutes;
  } cases[] = {
      {"rate(1 minute)", 1},    {"rate(5 minutes)", 5},
      {"rate(1 hour)", 60},     {"rate(2 hours)", 120},
      {"rate(1 day)", 1440},    {"rate(7 days)", 7 * 1440},
      {"rate(10 minutes)", 10}, {"rate(2147483647 minutes)", 2147483647},
  };
  for (const auto& c : cases) {
    auto e = ScheduleExpression::Parse(c.text);
    ASSERT_TRUE(e.ok()) << c.text;
    EXPECT_EQ(e->kind(), ScheduleExpression::Kind::kRate);
    EXPECT_EQ(e->period(), minutes(c.minutes)) << c.text;
    EXPECT_EQ(e->text(), c.text);
  }
}

TEST(ScheduleExpressionTest, RejectsRatesAwsRejects) {
  // The invalid-rate list recorded on AWS (LocalStack test_events_schedule.py), plus edges.
  const char* cases[] = {
      "rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)",
      "rate(10 minute)", "rate(10 hour)", "rate(10 day)", "rate()", "rate(10)", "rate(10 minutess)",
      "rate(foo minutes)", "rate(0 minutes)", "rate(-10 minutes)", "rate(10 MINUTES)",
      "rate( 10 minutes )", " rate(10 minutes)",
      // Edges of ^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$.
      "rate(10 minutes) ", "rate(10  minutes)", "rate(01 minutes)", "rate(+1 minute)",
      "rate(1 minute", "rate 1 minute)", "Rate(1 minute)", "rate(1.5 hours)", "rate(1 Minute)",
      "rate(1\tminute)", "rate(2147483648 minutes)", "rate(99999999999999999999 days)", "", "rate",
      "rate(", ")"};
  for (const char* text : cases) {
    auto e = ScheduleExpression::Parse(text);
    ASSERT_FALSE(e.ok()) << "'" << text << "'";
    EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(e.status().message(), "Parameter ScheduleExpression is not valid.");
  }
}

TEST(ScheduleExpressionTest, AcceptsCrons) {
  const char* cases[] = {
      // Accepted by AWS (LocalStack test_events_schedule.py, recorded on AWS).
      "cron(0 2 ? * SAT *)", "cron(0 12 * * ? *)", "cron(5,35 14 * * ? *)",
      "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)", "cron(* * ? * SAT#3 *)",
      "cron(0/5 5 ? JAN 1-5 2022)", "cron(0 10 * * ? *)", "cron(15 12 * * ? *)",
      "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(0/15 * * * ? *)",
      "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
      "cron(0/30 20-23 ? * MON-FRI *)", "cron(0/30 0-2 ? * MON-FRI *)",
      // AWS docs examples.
      "cron(15 10 ? * 6L 2019-2022)", "cron(0/30 20-2 ? * MON-FRI *)",
      // The other wildcards of the table in spec §6.
      "cron(0 0 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)", "cron(0 0 1W * ? *)",
      "cron(0 0 ? * L *)", "cron(0 0 ? * 3#2 *)", "cron(0 0 ? * FRIL *)", "cron(0 0 ? * 7#5 *)",
      "cron(*/5 */2 */3 */4 ? */5)", "cron(1-10/3 1-5 1-31 JAN-DEC ? 1970-2199)",
      "cron(0 0 1,15 JAN,JUL ? 2030,2040)", "cron(59 23 31 12 ? 2199)", "cron(0 0 ? * 1-7 *)",
      "cron(0 0 ? * SUN,SAT *)", "cron(0 0 ? NOV-FEB FRI-MON *)", "cron(0 0 25-5 * ? *)",
      "cron(05 08 * * ? *)", "cron(0/60 * * * ? *)", "cron(0 0 ? * MON/2 *)"};
  for (const char* text : cases) {
    auto e = ScheduleExpression::Parse(text);
    EXPECT_TRUE(e.ok()) << text;
    if (e.ok()) {
      EXPECT_EQ(e->kind(), ScheduleExpression::Kind::kCron);
    }
  }
}

TEST(ScheduleExpressionTest, RejectsInvalidCrons) {
  const char* cases[] = {
      // Rejected by AWS (LocalStack test_events_schedule.py, recorded on AWS).
      "cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)",
      "cron(71 8 1 * ? *)",
      // Spec §6.
      "cron(0 12 1 * MON *)", "cron(0 12 * * *)", "cron(0 12 ? * ? *)", "cron(0 12 ? * 3#1,6#3 *)",
      "cron(0 12 3#1 * ? *)",
      // Out of range.
      "cron(60 * * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 0 * ? *)", "cron(0 0 32 * ? *)",
      "cron(0 0 * 0 ? *)", "cron(0 0 * 13 ? *)", "cron(0 0 ? * 0 *)", "cron(0 0 ? * 8 *)",
      "cron(0 0 * * ? 1969)", "cron(0 0 * * ? 2200)", "cron(0 0 ? * 3#0 *)", "cron(0 0 ? * 3#6 *)",
      "cron(0 0 ? * 8L *)", "cron(0 0 0W * ? *)", "cron(0 0 32W * ? *)",
      // Wildcards where they are not allowed.
      "cron(? * * * ? *)", "cron(0 ? * * ? *)", "cron(0 0 * ? ? *)", "cron(0 0 * * ? ?)",
      "cron(L 0 * * ? *)", "cron(0 0 * L ? *)", "cron(0 0 W * ? *)", "cron(0 0 ? * 2W *)",
      "cron(0 0 * * ? L)", "cron(0 0 ? * L-2 *)", "cron(0 0 L-2 * ? *)", "cron(0 0 ? JAN#1 MON *)",
      "cron(0 0 1# * ? *)", "cron(0 0 ? * #2 *)", "cron(0 0 ? * 2# *)",
      // Special forms must be the whole field.
      "cron(0 0 LW,1 * ? *)", "cron(0 0 L,15 * ? *)", "cron(0 0 15W,1 * ? *)",
      "cron(0 0 ? * 6L,2 *)", "cron(0 0 ? * L,2 *)", "cron(0 0 ?,1 * ? *)",
      // Steps, ranges and lists.
      "cron(0/0 * * * ? *)", "cron(0/61 * * * ? *)", "cron(*/ * * * ? *)", "cron(/5 * * * ? *)",
      "cron(0/5/5 * * * ? *)", "cron(1-2-3 * * * ? *)", "cron(-5 * * * ? *)", "cron(5- * * * ? *)",
      "cron(*-5 * * * ? *)", "cron(,0 0 * * ? *)", "cron(0, 0 * * ? *)", "cron(0,,1 0 * * ? *)",
      "cron(0 0 * * ? 2020-2010)", "cron(0 0 * * ? 1970/0)",
      // Names: upper case only, right field only.
      "cron(0 0 ? * mon *)", "cron(0 0 ? jan MON *)", "cron(0 0 ? * Mon *)", "cron(0 0 ? MON * *)",
      "cron(0 0 ? * JAN *)", "cron(0 0 ? * MONDAY *)",
      // Blanks and framing.
      "cron(0  0 * * ? *)", "cron( 0 0 * * ? *)", "cron(0 0 * * ? * )", "cron(0\t0 * * ? *)",
      " cron(0 0 * * ? *)", "cron(0 0 * * ? *) ", "Cron(0 0 * * ? *)", "cron 0 0 * * ? *",
      "cron(0 0 * * ? *", "cron()", "cron(0 0 * * ? * *)", "cron(+1 0 * * ? *)",
      "cron(12345 0 * * ? *)",
      // Not classic rule syntax (EventBridge Scheduler only).
      "at(2024-01-01T00:00:00)"};
  for (const char* text : cases) {
    auto e = ScheduleExpression::Parse(text);
    ASSERT_FALSE(e.ok()) << "'" << text << "'";
    EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(e.status().message(), "Parameter ScheduleExpression is not valid.");
  }
}

TEST(ScheduleExpressionTest, RejectsOverlongText) {
  std::string text = "cron(0 0 1" + std::string(250, ',') + " * ? *)";
  EXPECT_FALSE(ScheduleExpression::Parse(text).ok());
}

// --- rate: Next ------------------------------------------------------------------------------

TEST(ScheduleExpressionTest, RateFiresOnePeriodAfterTheAnchorThenEveryPeriod) {
  auto e = MustParse("rate(5 minutes)");
  TimePoint anchor = At(2026, 3, 1, 10, 0, 30);
  EXPECT_EQ(Fmt(e.Next(anchor, anchor)), "2026-03-01T10:05:30");
  EXPECT_EQ(Fmt(e.Next(At(2026, 3, 1, 10, 5, 29), anchor)), "2026-03-01T10:05:30");
  // Strictly after: a firing instant itself gives the following one.
  EXPECT_EQ(Fmt(e.Next(At(2026, 3, 1, 10, 5, 30), anchor)), "2026-03-01T10:10:30");
  EXPECT_EQ(Fmt(e.Next(At(2026, 3, 1, 10, 5, 30) - nanoseconds(1), anchor)), "2026-03-01T10:05:30");
  // Long after the anchor (daemon was down): the next point of the grid, no catch-up.
  EXPECT_EQ(Fmt(e.Next(At(2026, 3, 2, 7, 13, 0), anchor)), "2026-03-02T07:15:30");
  // Before the anchor (clock stepped back): still the first firing.
  EXPECT_EQ(Fmt(e.Next(At(2026, 2, 1), anchor)), "2026-03-01T10:05:30");
}

TEST(ScheduleExpressionTest, RateDaysAndHours) {
  TimePoint anchor = At(2024, 2, 28, 23, 59, 59);
  EXPECT_EQ(Fmt(MustParse("rate(1 day)").Next(anchor, anchor)), "2024-02-29T23:59:59");
  EXPECT_EQ(Fmt(MustParse("rate(3 hours)").Next(At(2024, 2, 29, 5, 0, 0), anchor)),
            "2024-02-29T05:59:59");
}

TEST(ScheduleExpressionTest, RateBeyondTheClockRangeIsNone) {
  auto e = MustParse("rate(2147483647 days)");  // ~5.9 million years
  TimePoint anchor = At(2026, 1, 1);
  EXPECT_EQ(e.Next(anchor, anchor), std::nullopt);
}

TEST(ScheduleExpressionTest, NextMsMatchesNext) {
  auto e = MustParse("rate(1 minute)");
  TimeMs anchor = 1'700'000'000'123;
  EXPECT_EQ(e.NextMs(anchor, anchor), anchor + 60'000);
  EXPECT_EQ(e.NextMs(anchor + 60'000, anchor), anchor + 120'000);
  auto cron = MustParse("cron(* * * * ? *)");
  EXPECT_EQ(cron.NextMs(1'700'000'000'123, 0), 1'700'000'040'000);  // next whole minute
}

// --- cron: Next ------------------------------------------------------------------------------

TEST(ScheduleExpressionTest, CronIsTheNextWholeMinuteStrictlyAfter) {
  const char* every = "cron(* * * * ? *)";
  EXPECT_EQ(NextCron(every, At(2026, 1, 1, 10, 0, 0)), "2026-01-01T10:01:00");
  EXPECT_EQ(NextCron(every, At(2026, 1, 1, 10, 0, 30)), "2026-01-01T10:01:00");
  EXPECT_EQ(NextCron(every, At(2026, 1, 1, 10, 1, 0) - nanoseconds(1)), "2026-01-01T10:01:00");
  EXPECT_EQ(NextCron(every, At(2026, 12, 31, 23, 59, 0)), "2027-01-01T00:00:00");
  // The anchor is ignored for cron.
  auto e = MustParse("cron(0 12 * * ? *)");
  EXPECT_EQ(Fmt(e.Next(At(2026, 3, 1, 11, 59, 59), At(2020, 1, 1, 0, 7))), "2026-03-01T12:00:00");
  EXPECT_EQ(Fmt(e.Next(At(2026, 3, 1, 12, 0, 0), At(2030, 1, 1))), "2026-03-02T12:00:00");
}

TEST(ScheduleExpressionTest, CronListsAndSteps) {
  EXPECT_EQ(NextCron("cron(5,35 14 * * ? *)", At(2026, 1, 1, 14, 5)), "2026-01-01T14:35:00");
  EXPECT_EQ(NextCron("cron(5,35 14 * * ? *)", At(2026, 1, 1, 14, 35)), "2026-01-02T14:05:00");
  // `1/10` gives minutes 1, 11, 21 ...; `*/15` starts at the field minimum.
  EXPECT_EQ(NextCron("cron(1/10 * * * ? *)", At(2026, 1, 1, 10, 0)), "2026-01-01T10:01:00");
  EXPECT_EQ(NextCron("cron(1/10 * * * ? *)", At(2026, 1, 1, 10, 1)), "2026-01-01T10:11:00");
  EXPECT_EQ(NextCron("cron(1/10 * * * ? *)", At(2026, 1, 1, 10, 51)), "2026-01-01T11:01:00");
  EXPECT_EQ(NextCron("cron(*/15 * * * ? *)", At(2026, 1, 1, 10, 46)), "2026-01-01T11:00:00");
  EXPECT_EQ(NextCron("cron(10-30/10 9 * * ? *)", At(2026, 1, 1, 9, 20)), "2026-01-01T09:30:00");
  EXPECT_EQ(NextCron("cron(10-30/10 9 * * ? *)", At(2026, 1, 1, 9, 30)), "2026-01-02T09:10:00");
  // Month steps from JAN: JAN, APR, JUL, OCT.
  EXPECT_EQ(NextCron("cron(0 0 1 JAN/3 ? *)", At(2026, 1, 1)), "2026-04-01T00:00:00");
}

TEST(ScheduleExpressionTest, CronDayOfWeekNumbersStartAtSunday) {
  // 2022-01-01 is a Saturday; 1-5 is SUN-THU, so the first firing is Sunday the 2nd.
  EXPECT_EQ(NextCron("cron(0/5 5 ? JAN 1-5 2022)", At(2022, 1, 1)), "2022-01-02T05:00:00");
  EXPECT_EQ(NextCron("cron(0 2 ? * SAT *)", At(2024, 1, 1)), "2024-01-06T02:00:00");
  EXPECT_EQ(NextCron("cron(0 2 ? * 7 *)", At(2024, 1, 1)), "2024-01-06T02:00:00");
  // L alone in day-of-week is 7, Saturday.
  EXPECT_EQ(NextCron("cron(0 2 ? * L *)", At(2024, 1, 1)), "2024-01-06T02:00:00");
  EXPECT_EQ(NextCron("cron(0 0 ? * SUN *)", At(2024, 1, 1)), "2024-01-07T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 ? * 1 *)", At(2024, 1, 1)), "2024-01-07T00:00:00");
}

TEST(ScheduleExpressionTest, CronLeapYears) {
  const char* feb29 = "cron(0 0 29 2 ? *)";
  EXPECT_EQ(NextCron(feb29, At(2023, 3, 1)), "2024-02-29T00:00:00");
  EXPECT_EQ(NextCron(feb29, At(2024, 2, 29)), "2028-02-29T00:00:00");
  // 2100 is not a leap year.
  EXPECT_EQ(NextCron(feb29, At(2096, 3, 1)), "2104-02-29T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 L 2 ? *)", At(2100, 1, 1)), "2100-02-28T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 L 2 ? *)", At(2024, 1, 1)), "2024-02-29T00:00:00");
}

TEST(ScheduleExpressionTest, CronLastDayOfMonth) {
  const char* last = "cron(30 23 L * ? *)";
  EXPECT_EQ(NextCron(last, At(2023, 2, 1)), "2023-02-28T23:30:00");
  EXPECT_EQ(NextCron(last, At(2024, 2, 1)), "2024-02-29T23:30:00");
  EXPECT_EQ(NextCron(last, At(2024, 4, 30, 23, 30)), "2024-05-31T23:30:00");
  EXPECT_EQ(NextCron(last, At(2024, 4, 1)), "2024-04-30T23:30:00");
}

TEST(ScheduleExpressionTest, CronNearestWeekday) {
  // 2024-06-15 is a Saturday: the Friday before.
  EXPECT_EQ(NextCron("cron(0 9 15W * ? *)", At(2024, 6, 1)), "2024-06-14T09:00:00");
  // 2024-09-15 is a Sunday: the Monday after.
  EXPECT_EQ(NextCron("cron(0 9 15W * ? *)", At(2024, 9, 1)), "2024-09-16T09:00:00");
  // 2024-06-01 is a Saturday: never back into May, so Monday the 3rd.
  EXPECT_EQ(NextCron("cron(0 9 1W * ? *)", At(2024, 5, 31)), "2024-06-03T09:00:00");
  // 2024-03-31 is a Sunday: never forward into April, so Friday the 29th.
  EXPECT_EQ(NextCron("cron(0 9 31W * ? *)", At(2024, 3, 1)), "2024-03-29T09:00:00");
  // April has no 31st: no firing in April; 2024-05-31 is a Friday.
  EXPECT_EQ(NextCron("cron(0 9 31W * ? *)", At(2024, 4, 1)), "2024-05-31T09:00:00");
  // A weekday is itself.
  EXPECT_EQ(NextCron("cron(0 9 31W * ? *)", At(2024, 5, 1)), "2024-05-31T09:00:00");
}

TEST(ScheduleExpressionTest, CronLastWeekday) {
  // 2024-08-31 is a Saturday, 2024-03-31 a Sunday, 2024-01-31 a Wednesday.
  EXPECT_EQ(NextCron("cron(0 9 LW * ? *)", At(2024, 8, 1)), "2024-08-30T09:00:00");
  EXPECT_EQ(NextCron("cron(0 9 LW * ? *)", At(2024, 3, 1)), "2024-03-29T09:00:00");
  EXPECT_EQ(NextCron("cron(0 9 LW * ? *)", At(2024, 1, 1)), "2024-01-31T09:00:00");
}

TEST(ScheduleExpressionTest, CronLastWeekdayOfMonth) {
  // The docs example: 10:15 on the last Friday of every month, 2019-2022.
  const char* doc = "cron(15 10 ? * 6L 2019-2022)";
  EXPECT_EQ(NextCron(doc, At(2018, 6, 1)), "2019-01-25T10:15:00");
  EXPECT_EQ(NextCron(doc, At(2019, 1, 25, 10, 15)), "2019-02-22T10:15:00");
  EXPECT_EQ(NextCron(doc, At(2022, 12, 30, 10, 14)), "2022-12-30T10:15:00");
  EXPECT_EQ(NextCron(doc, At(2022, 12, 30, 10, 15)), "none");  // the years are over
  EXPECT_EQ(NextCron("cron(15 10 ? * FRIL *)", At(2018, 12, 31)), "2019-01-25T10:15:00");
}

TEST(ScheduleExpressionTest, CronNthWeekdayOfMonth) {
  // 3#2: the second Tuesday. January 2024: Tuesdays 2, 9, ...
  EXPECT_EQ(NextCron("cron(0 0 ? * 3#2 *)", At(2024, 1, 1)), "2024-01-09T00:00:00");
  EXPECT_EQ(NextCron("cron(0 2 ? * SAT#3 *)", At(2024, 1, 1)), "2024-01-20T02:00:00");
  // Every minute of the third Saturday: from its first minute to its last.
  EXPECT_EQ(NextCron("cron(* * ? * SAT#3 *)", At(2024, 1, 19, 23, 59)), "2024-01-20T00:00:00");
  EXPECT_EQ(NextCron("cron(* * ? * SAT#3 *)", At(2024, 1, 20, 23, 58)), "2024-01-20T23:59:00");
  EXPECT_EQ(NextCron("cron(* * ? * SAT#3 *)", At(2024, 1, 20, 23, 59)), "2024-02-17T00:00:00");
  // 2#5, the fifth Monday: January 2024 has one (29th), February and March do not.
  EXPECT_EQ(NextCron("cron(0 0 ? * 2#5 *)", At(2024, 1, 1)), "2024-01-29T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 ? * 2#5 *)", At(2024, 1, 30)), "2024-04-29T00:00:00");
}

TEST(ScheduleExpressionTest, CronWrapAroundRanges) {
  // Every 30 minutes from 20:00 to 02:30 on weekdays; the hours after midnight belong to the
  // day they fall on, so Saturday 00:00-02:30 does not fire (MON-FRI is checked per day).
  const char* doc = "cron(0/30 20-2 ? * MON-FRI *)";
  EXPECT_EQ(NextCron(doc, At(2024, 1, 8, 1, 0)), "2024-01-08T01:30:00");  // Monday
  EXPECT_EQ(NextCron(doc, At(2024, 1, 8, 2, 30)), "2024-01-08T20:00:00");
  EXPECT_EQ(NextCron(doc, At(2024, 1, 8, 23, 30)), "2024-01-09T00:00:00");
  EXPECT_EQ(NextCron(doc, At(2024, 1, 5, 23, 45)), "2024-01-08T00:00:00");  // Friday → Monday
  // FRI-MON is Friday, Saturday, Sunday, Monday.
  EXPECT_EQ(NextCron("cron(0 0 ? * FRI-MON *)", At(2024, 1, 8)), "2024-01-12T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 ? * FRI-MON *)", At(2024, 1, 14)), "2024-01-15T00:00:00");
  // NOV-FEB and day-of-month 30-2.
  EXPECT_EQ(NextCron("cron(0 0 1 NOV-FEB ? *)", At(2024, 2, 1)), "2024-11-01T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 30-2 * ? *)", At(2024, 2, 2)), "2024-03-01T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 30-2 * ? *)", At(2024, 3, 2)), "2024-03-30T00:00:00");
}

TEST(ScheduleExpressionTest, CronYears) {
  EXPECT_EQ(NextCron("cron(0 0 1 1 ? 2030-2032)", At(2026, 5, 5)), "2030-01-01T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 1 1 ? 2030-2032)", At(2032, 1, 1)), "none");
  // */50 from 1970: 1970, 2020, 2070 ...
  EXPECT_EQ(NextCron("cron(0 0 1 1 ? */50)", At(2026, 1, 1)), "2070-01-01T00:00:00");
  EXPECT_EQ(NextCron("cron(0 0 1 1 ? 2030,2040)", At(2030, 1, 1)), "2040-01-01T00:00:00");
  // Accepted although past (as on AWS); never fires.
  EXPECT_EQ(NextCron("cron(15 10 ? * 6L 2002-2005)", At(2026, 1, 1)), "none");
  // The edges of the year field.
  const char* every = "cron(* * * * ? *)";
  EXPECT_EQ(NextCron(every, At(2199, 12, 31, 23, 58)), "2199-12-31T23:59:00");
  EXPECT_EQ(NextCron(every, At(2199, 12, 31, 23, 59)), "none");
  EXPECT_EQ(NextCron(every, At(1969, 6, 1)), "1970-01-01T00:00:00");
  EXPECT_EQ(NextCron(every, TimePoint::min()), "1970-01-01T00:00:00");
  EXPECT_EQ(NextCron(every, TimePoint::max()), "none");
}

TEST(ScheduleExpressionTest, CronThatNeverFiresIsNone) {
  EXPECT_EQ(NextCron("cron(0 0 30 2 ? *)", At(1970, 1, 1)), "none");
  EXPECT_EQ(NextCron("cron(0 0 31 2,4,6,9,11 ? *)", At(1970, 1, 1)), "none");
  EXPECT_EQ(NextCron("cron(0 0 31W 2 ? *)", At(1970, 1, 1)), "none");
}

// Cross-check Next against a minute-by-minute brute force over all of 2024 (a leap year), with
// the expected semantics written out independently as predicates.
TEST(ScheduleExpressionTest, CronAgreesWithBruteForceOverAYear) {
  // d: day of month, wd: 1..7 (1 = SUN), last: days in the month.
  using Pred =
      std::function<bool(unsigned mo, unsigned d, unsigned wd, unsigned last, int h, int mi)>;
  struct Case {
    const char* expr;
    Pred pred;
  };
  auto is_weekday = [](unsigned wd) { return wd >= 2 && wd <= 6; };
  std::vector<Case> cases = {
      {"cron(0/20 8-10 15W * ? *)",
       [&](unsigned, unsigned d, unsigned wd, unsigned, int h, int mi) {
         bool day = (wd == 6 && d == 14) || (wd == 2 && d == 16) || (is_weekday(wd) && d == 15);
         return day && h >= 8 && h <= 10 && mi % 20 == 0;
       }},
      {"cron(45 23 ? * 2#1,  *)", nullptr},  // invalid, skipped below
      {"cron(45 23 ? * 2#1 *)", [](unsigned, unsigned d, unsigned wd, unsigned, int h,
                                   int mi) { return wd == 2 && d <= 7 && h == 23 && mi == 45; }},
      {"cron(0 */6 LW FEB-APR,OCT ? 2024)",
       [&](unsigned mo, unsigned d, unsigned wd, unsigned last, int h, int mi) {
         bool month = (mo >= 2 && mo <= 4) || mo == 10;
         bool lw = is_weekday(wd) && (d == last || (wd == 6 && d + 2 >= last));
         return month && lw && h % 6 == 0 && mi == 0;
       }},
      {"cron(15 12 ? * 1L *)",
       [](unsigned, unsigned d, unsigned wd, unsigned last, int h, int mi) {
         return wd == 1 && d + 7 > last && h == 12 && mi == 15;
       }},
      {"cron(0,30 22-1 ? * TUE,THU-SAT *)",
       [](unsigned, unsigned, unsigned wd, unsigned, int h, int mi) {
         bool day = wd == 3 || (wd >= 5 && wd <= 7);
         return day && (h >= 22 || h <= 1) && (mi == 0 || mi == 30);
       }},
      {"cron(7 7 L,1 * ? *)", nullptr},  // invalid, skipped below
      {"cron(7 7 1,L * ? *)", nullptr},  // invalid
      {"cron(59 0 29-3/2 * ? *)",
       [](unsigned, unsigned d, unsigned, unsigned, int h, int mi) {
         // 29, 31, 2 (wrapping at 31, whatever the month's length).
         return (d == 29 || d == 31 || d == 2) && h == 0 && mi == 59;
       }},
  };
  for (const Case& c : cases) {
    auto parsed = ScheduleExpression::Parse(c.expr);
    if (!c.pred) {
      EXPECT_FALSE(parsed.ok()) << c.expr;
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << c.expr;
    std::vector<std::string> expected;
    for (sys_days day = sys_days{2024y / 1 / 1}; day < sys_days{2025y / 1 / 1}; day += days(1)) {
      year_month_day ymd{day};
      unsigned mo = static_cast<unsigned>(ymd.month());
      unsigned d = static_cast<unsigned>(ymd.day());
      unsigned wd = weekday{day}.c_encoding() + 1;
      unsigned last = static_cast<unsigned>((ymd.year() / ymd.month() / std::chrono::last).day());
      for (int h = 0; h < 24; ++h) {
        for (int mi = 0; mi < 60; ++mi) {
          if (c.pred(mo, d, wd, last, h, mi)) {
            expected.push_back(
                Fmt(time_point_cast<system_clock::duration>(day + hours(h) + minutes(mi))));
          }
        }
      }
    }
    std::vector<std::string> actual;
    TimePoint t = At(2023, 12, 31, 23, 59, 59);
    while (true) {
      std::optional<TimePoint> next = parsed->Next(t, TimePoint{});
      if (!next || *next >= At(2025, 1, 1)) break;
      actual.push_back(Fmt(next));
      t = *next;
    }
    EXPECT_FALSE(expected.empty()) << c.expr;
    EXPECT_EQ(actual, expected) << c.expr;
  }
}

}  // namespace
}  // namespace berth::events
