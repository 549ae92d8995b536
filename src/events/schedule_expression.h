// ScheduleExpression: a classic EventBridge rule schedule, `rate(value unit)` or
// `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, parsed and validated exactly as
// spec/events.md §6 describes, plus the pure function that says when it fires next.
//
// Classic schedules are UTC only and have one-minute resolution. Every validation failure is
// InvalidArgument "Parameter ScheduleExpression is not valid." (AWS's only wording).
//
// rate: firings at anchor + k·period for k ≥ 1, where the anchor is the instant the rule was
// created or (re-)enabled. AWS only says the rate "starts when you create the rule"; we fire the
// first time one period after the anchor, never at the anchor itself.
//
// cron: the next whole UTC minute that matches every field. Supported, per the AWS docs and
// Quartz: `, - * / ?` everywhere they are allowed, `L`, `LW` and `nW` in day-of-month, `L`
// (= 7, Saturday), `nL` and `n#k` in day-of-week, names JAN–DEC and SUN–SAT (1 = SUN), years
// 1970–2199. Choices where the spec says [?] (all strict; see schedule_expression.cc):
//   - names are upper case only; fields are separated by exactly one space, no other blanks;
//   - a range whose end is below its start wraps around (`20-2` hours = 20..23,0..2; `FRI-MON`),
//     as the AWS docs example `0/30 20-2 ? * MON-FRI *` implies — except in the year field;
//     each field is still matched on its own, so there the hours 0..2 of a Saturday do not fire;
//   - `a/s`, `*/s` and `a-b/s` step through the field; the step s is 1..(size of the field);
//   - `L`, `LW`, `nW`, `nL`, `n#k` and `?` must each be the whole field (no lists);
//   - `nW` fires on no day in a month that has no day n (31W in April);
//   - `n#5` fires on no day in a month that has no fifth such weekday;
//   - a rate value must fit in a signed 32-bit integer.
// Years in the past are valid (AWS accepts `cron(15 10 ? * 6L 2002-2005)`); Next then returns
// nullopt. Next skips whole years, months, days and hours that cannot match (at most ~85,000
// day checks, for a cron that never fires), never minute by minute.
//
// Value type, immutable after Parse; any thread may call any method.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace berth::events {

class ScheduleExpression {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  enum class Kind { kRate, kCron };

  // InvalidArgument "Parameter ScheduleExpression is not valid." for anything else.
  static Result<ScheduleExpression> Parse(std::string_view text);

  // The first firing strictly after `after`. `anchor` is used by rate expressions only (see
  // above); cron ignores it. nullopt when there is none (a cron whose years are past, or a
  // firing beyond what a time_point can hold).
  std::optional<TimePoint> Next(TimePoint after, TimePoint anchor) const;
  // The same on the project's millisecond clock.
  std::optional<TimeMs> NextMs(TimeMs after, TimeMs anchor) const;

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  // rate only: the period (value × unit).
  std::chrono::minutes period() const { return period_; }

 private:
  // Day-of-month and day-of-week: exactly one of the two is kAny (`?`).
  enum class DayOfMonth { kAny, kSet, kLast, kLastWeekday, kNearestWeekday };
  enum class DayOfWeek { kAny, kSet, kLastOf, kNth };
  struct Cron {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<13> months;  // 1..12
    std::bitset<230> years;  // 1970..2199, index year - 1970
    DayOfMonth dom = DayOfMonth::kAny;
    std::bitset<32> dom_set;  // 1..31 (kSet)
    int dom_day = 0;          // n of nW
    DayOfWeek dow = DayOfWeek::kAny;
    std::bitset<8> dow_set;  // 1..7, 1 = SUN (kSet)
    int dow_day = 0;         // weekday 1..7 of nL and n#k
    int dow_nth = 0;         // k of n#k
  };

  ScheduleExpression() = default;
  static bool ParseCron(std::string_view body, Cron* cron);
  // Whether day `day` of a month of `last_day` days, a `weekday` (1..7, 1 = SUN), matches.
  bool DayMatches(unsigned day, unsigned last_day, unsigned weekday) const;
  std::optional<TimePoint> NextCron(TimePoint after) const;
  std::optional<TimePoint> NextRate(TimePoint after, TimePoint anchor) const;

  Kind kind_ = Kind::kRate;
  std::string text_;
  std::chrono::minutes period_{0};
  Cron cron_;
};

}  // namespace berth::events
