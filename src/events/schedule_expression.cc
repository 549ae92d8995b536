#include "events/schedule_expression.h"

#include <array>
#include <limits>
#include <vector>

namespace berth::events {

namespace {

constexpr char kInvalid[] = "Parameter ScheduleExpression is not valid.";
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2199;
constexpr size_t kMaxLength = 256;  // PutRule's limit on ScheduleExpression

Status Invalid() { return InvalidArgument(kInvalid); }

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

// One cron field: its range, optional names (names[i] is value min + i), and whether a range
// whose end is below its start wraps around.
struct FieldSpec {
  int min;
  int max;
  const std::string_view* names;
  size_t name_count;
  bool wraps;
};

constexpr FieldSpec kMinuteSpec{0, 59, nullptr, 0, true};
constexpr FieldSpec kHourSpec{0, 23, nullptr, 0, true};
constexpr FieldSpec kDomSpec{1, 31, nullptr, 0, true};
constexpr FieldSpec kMonthSpec{1, 12, kMonthNames.data(), kMonthNames.size(), true};
constexpr FieldSpec kDowSpec{1, 7, kDayNames.data(), kDayNames.size(), true};
constexpr FieldSpec kYearSpec{kMinYear, kMaxYear, nullptr, 0, false};

// Values of a field, indexed by value - spec.min.
using FieldBits = std::bitset<256>;

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// 1..4 ASCII digits (no sign, no blanks); leading zeros are accepted.
bool ParseDigits(std::string_view s, int* out) {
  if (s.empty() || s.size() > 4) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// A number or (upper-case) name within the field's range.
bool ParseValue(std::string_view s, const FieldSpec& spec, int* out) {
  int v = 0;
  if (ParseDigits(s, &v)) {
    if (v < spec.min || v > spec.max) return false;
    *out = v;
    return true;
  }
  for (size_t i = 0; i < spec.name_count; ++i) {
    if (s == spec.names[i]) {
      *out = spec.min + static_cast<int>(i);
      return true;
    }
  }
  return false;
}

// Sets lo, lo+step, ... up to hi, wrapping past the field's max when hi < lo.
void SetRange(const FieldSpec& spec, int lo, int hi, int step, FieldBits* bits) {
  int width = spec.max - spec.min + 1;
  int length = hi >= lo ? hi - lo : (spec.max - lo + 1) + (hi - spec.min);
  for (int i = 0; i <= length; i += step) {
    int v = lo + i;
    if (v > spec.max) v -= width;
    bits->set(v - spec.min);
  }
}

// A comma-separated list of `*`, `v`, `a-b`, `*/s`, `a/s` and `a-b/s` items.
bool ParseList(std::string_view field, const FieldSpec& spec, FieldBits* bits) {
  for (std::string_view item : Split(field, ',')) {
    if (item.empty()) return false;
    int step = 1;
    size_t slash = item.find('/');
    bool stepped = slash != std::string_view::npos;
    if (stepped) {
      if (!ParseDigits(item.substr(slash + 1), &step) || step < 1 ||
          step > spec.max - spec.min + 1) {
        return false;
      }
      item = item.substr(0, slash);
    }
    int lo = 0, hi = 0;
    size_t dash = item.find('-');
    if (item == "*") {
      lo = spec.min;
      hi = spec.max;
    } else if (dash != std::string_view::npos) {
      if (!ParseValue(item.substr(0, dash), spec, &lo) ||
          !ParseValue(item.substr(dash + 1), spec, &hi)) {
        return false;
      }
      if (hi < lo && !spec.wraps) return false;
    } else {
      if (!ParseValue(item, spec, &lo)) return false;
      hi = stepped ? spec.max : lo;  // `a/s` runs from a to the field's end
    }
    SetRange(spec, lo, hi, step, bits);
  }
  return true;
}

template <size_t N>
void CopyBits(const FieldBits& from, const FieldSpec& spec, int offset, std::bitset<N>* to) {
  for (int v = spec.min; v <= spec.max; ++v) {
    if (from.test(v - spec.min)) to->set(v - offset);
  }
}

bool ParseInt32(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 10 || s[0] < '1' || s[0] > '9') return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > std::numeric_limits<int32_t>::max()) return false;
  *out = v;
  return true;
}

}  // namespace

Result<ScheduleExpression> ScheduleExpression::Parse(std::string_view text) {
  if (text.size() > kMaxLength || text.empty() || text.back() != ')') return Invalid();
  ScheduleExpression e;
  e.text_ = std::string(text);
  if (text.substr(0, 5) == "rate(") {
    std::string_view body = text.substr(5, text.size() - 6);
    size_t space = body.find(' ');
    if (space == std::string_view::npos) return Invalid();
    int64_t value = 0;
    if (!ParseInt32(body.substr(0, space), &value)) return Invalid();
    std::string_view unit = body.substr(space + 1);
    std::string_view singular = unit;
    if (value != 1) {
      // A plural unit if and only if value != 1.
      if (unit.empty() || unit.back() != 's') return Invalid();
      singular = unit.substr(0, unit.size() - 1);
    }
    int64_t minutes_per_unit = 0;
    if (singular == "minute") {
      minutes_per_unit = 1;
    } else if (singular == "hour") {
      minutes_per_unit = 60;
    } else if (singular == "day") {
      minutes_per_unit = 24 * 60;
    } else {
      return Invalid();
    }
    e.kind_ = Kind::kRate;
    e.period_ = std::chrono::minutes(value * minutes_per_unit);
    return e;
  }
  if (text.substr(0, 5) == "cron(") {
    e.kind_ = Kind::kCron;
    if (!ParseCron(text.substr(5, text.size() - 6), &e.cron_)) return Invalid();
    return e;
  }
  return Invalid();
}

bool ScheduleExpression::ParseCron(std::string_view body, Cron* cron) {
  std::vector<std::string_view> f = Split(body, ' ');
  if (f.size() != 6) return false;
  for (std::string_view field : f) {
    if (field.empty()) return false;  // two spaces in a row, or a leading/trailing space
  }
  FieldBits bits;
  if (!ParseList(f[0], kMinuteSpec, &bits)) return false;
  CopyBits(bits, kMinuteSpec, 0, &cron->minutes);
  bits.reset();
  if (!ParseList(f[1], kHourSpec, &bits)) return false;
  CopyBits(bits, kHourSpec, 0, &cron->hours);
  bits.reset();
  if (!ParseList(f[3], kMonthSpec, &bits)) return false;
  CopyBits(bits, kMonthSpec, 0, &cron->months);
  bits.reset();
  if (!ParseList(f[5], kYearSpec, &bits)) return false;
  CopyBits(bits, kYearSpec, kMinYear, &cron->years);

  // Day-of-month: ?, L, LW, nW, or a list.
  std::string_view dom = f[2];
  int v = 0;
  if (dom == "?") {
    cron->dom = DayOfMonth::kAny;
  } else if (dom == "L") {
    cron->dom = DayOfMonth::kLast;
  } else if (dom == "LW") {
    cron->dom = DayOfMonth::kLastWeekday;
  } else if (dom.back() == 'W') {
    if (!ParseDigits(dom.substr(0, dom.size() - 1), &v) || v < 1 || v > 31) return false;
    cron->dom = DayOfMonth::kNearestWeekday;
    cron->dom_day = v;
  } else {
    bits.reset();
    if (!ParseList(dom, kDomSpec, &bits)) return false;
    cron->dom = DayOfMonth::kSet;
    CopyBits(bits, kDomSpec, 0, &cron->dom_set);
  }

  // Day-of-week: ?, L (= SAT), nL, n#k, or a list. n may be a number or a name.
  std::string_view dow = f[4];
  size_t hash = dow.find('#');
  if (dow == "?") {
    cron->dow = DayOfWeek::kAny;
  } else if (dow == "L") {
    cron->dow = DayOfWeek::kSet;
    cron->dow_set.set(7);
  } else if (hash != std::string_view::npos) {
    int k = 0;
    if (!ParseValue(dow.substr(0, hash), kDowSpec, &v) || !ParseDigits(dow.substr(hash + 1), &k) ||
        k < 1 || k > 5) {
      return false;
    }
    cron->dow = DayOfWeek::kNth;
    cron->dow_day = v;
    cron->dow_nth = k;
  } else if (dow.size() > 1 && dow.back() == 'L') {
    if (!ParseValue(dow.substr(0, dow.size() - 1), kDowSpec, &v)) return false;
    cron->dow = DayOfWeek::kLastOf;
    cron->dow_day = v;
  } else {
    bits.reset();
    if (!ParseList(dow, kDowSpec, &bits)) return false;
    cron->dow = DayOfWeek::kSet;
    CopyBits(bits, kDowSpec, 0, &cron->dow_set);
  }

  // Exactly one of day-of-month and day-of-week is `?`.
  return (cron->dom == DayOfMonth::kAny) != (cron->dow == DayOfWeek::kAny);
}

bool ScheduleExpression::DayMatches(unsigned day, unsigned last_day, unsigned weekday) const {
  // weekday of day d in this month: (weekday - day) shifts by one per day.
  auto weekday_of = [&](unsigned d) { return (weekday - 1 + 7 * 5 + d - day) % 7 + 1; };
  switch (cron_.dom) {
    case DayOfMonth::kAny:
      break;
    case DayOfMonth::kSet:
      return cron_.dom_set.test(day);
    case DayOfMonth::kLast:
      return day == last_day;
    case DayOfMonth::kLastWeekday: {
      unsigned d = last_day;
      unsigned wd = weekday_of(d);
      if (wd == 7) d -= 1;  // Saturday → Friday
      if (wd == 1) d -= 2;  // Sunday → Friday
      return day == d;
    }
    case DayOfMonth::kNearestWeekday: {
      unsigned d = static_cast<unsigned>(cron_.dom_day);
      if (d > last_day) return false;  // no day n in this month
      unsigned wd = weekday_of(d);
      if (wd == 7) d = d == 1 ? d + 2 : d - 1;         // Saturday: Friday, or Monday the 3rd
      if (wd == 1) d = d == last_day ? d - 2 : d + 1;  // Sunday: Monday, or Friday before
      return day == d;
    }
  }
  switch (cron_.dow) {
    case DayOfWeek::kAny:
      return false;  // unreachable: exactly one of the two is `?`
    case DayOfWeek::kSet:
      return cron_.dow_set.test(weekday);
    case DayOfWeek::kLastOf:
      return static_cast<int>(weekday) == cron_.dow_day && day + 7 > last_day;
    case DayOfWeek::kNth:
      return static_cast<int>(weekday) == cron_.dow_day &&
             static_cast<int>((day - 1) / 7 + 1) == cron_.dow_nth;
  }
  return false;
}

std::optional<ScheduleExpression::TimePoint> ScheduleExpression::Next(TimePoint after,
                                                                      TimePoint anchor) const {
  return kind_ == Kind::kRate ? NextRate(after, anchor) : NextCron(after);
}

std::optional<TimeMs> ScheduleExpression::NextMs(TimeMs after, TimeMs anchor) const {
  using std::chrono::milliseconds;
  auto to_tp = [](TimeMs t) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(milliseconds(t)));
  };
  std::optional<TimePoint> next = Next(to_tp(after), to_tp(anchor));
  if (!next) return std::nullopt;
  return std::chrono::floor<milliseconds>(next->time_since_epoch()).count();
}

std::optional<ScheduleExpression::TimePoint> ScheduleExpression::NextRate(TimePoint after,
                                                                          TimePoint anchor) const {
  using Rep = TimePoint::duration::rep;
  __int128 a = anchor.time_since_epoch().count();
  __int128 x = after.time_since_epoch().count();
  // The period in clock ticks, in 128 bits: rate(2147483647 days) does not fit in 64-bit ns.
  using Period = TimePoint::period;
  __int128 p = static_cast<__int128>(period_.count()) * 60 * Period::den / Period::num;
  if (p <= 0) return std::nullopt;
  __int128 k = x < a ? 1 : (x - a) / p + 1;
  __int128 r = a + k * p;
  if (r > std::numeric_limits<Rep>::max()) return std::nullopt;
  return TimePoint(TimePoint::duration(static_cast<Rep>(r)));
}

std::optional<ScheduleExpression::TimePoint> ScheduleExpression::NextCron(TimePoint after) const {
  using namespace std::chrono;
  using MinutePoint = time_point<system_clock, minutes>;
  const MinutePoint epoch_start{sys_days{year{kMinYear} / January / 1}};
  MinutePoint t = floor<minutes>(after) + minutes(1);
  if (t < epoch_start) t = epoch_start;
  const sys_days start_day = floor<days>(t);
  const year_month_day start{start_day};
  const hh_mm_ss<minutes> start_time{t - start_day};
  const int start_year = static_cast<int>(start.year());
  const unsigned start_month = static_cast<unsigned>(start.month());
  const unsigned start_mday = static_cast<unsigned>(start.day());
  const unsigned start_hour = static_cast<unsigned>(start_time.hours().count());
  const unsigned start_minute = static_cast<unsigned>(start_time.minutes().count());

  // Walk the fields from the year down, skipping whole years, months, days and hours that do
  // not match. `first` stays true while every enclosing field is still at its start value.
  bool first = true;
  for (int y = start_year; y <= kMaxYear; ++y, first = false) {
    if (!cron_.years.test(y - kMinYear)) continue;
    for (unsigned m = first ? start_month : 1; m <= 12; ++m, first = false) {
      if (!cron_.months.test(m)) continue;
      const year_month ym = year{y} / month{m};
      const unsigned last_day = static_cast<unsigned>((ym / last).day());
      const unsigned weekday1 = weekday{sys_days{ym / 1}}.c_encoding() + 1;  // 1 = SUN
      for (unsigned d = first ? start_mday : 1; d <= last_day; ++d, first = false) {
        if (!DayMatches(d, last_day, (weekday1 - 1 + d - 1) % 7 + 1)) continue;
        for (unsigned h = first ? start_hour : 0; h < 24; ++h, first = false) {
          if (!cron_.hours.test(h)) continue;
          for (unsigned mi = first ? start_minute : 0; mi < 60; ++mi) {
            if (cron_.minutes.test(mi)) {
              return time_point_cast<system_clock::duration>(sys_days{ym / d} + hours(h) +
                                                             minutes(mi));
            }
          }
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace berth::events
