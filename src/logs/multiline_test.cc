#include "logs/multiline.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace berth::logs {
namespace {

constexpr int64_t kT0 = 1'764'358'442'000;  // a read time in ms
const std::string kLogline = "this is a log line\r";

struct Events {
  std::vector<GroupedEvent> list;
  Grouper::Emit Sink() {
    return [this](GroupedEvent e) { list.push_back(std::move(e)); };
  }
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (const auto& e : list) out.push_back(e.message);
    return out;
  }
};

std::unique_ptr<Grouper> MakeGrouper(const std::string& pattern, Events* events,
                                     int64_t interval_ms = 5000) {
  auto g = Grouper::Create(pattern, interval_ms, events->Sink());
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(g).value();
}

bool Matches(const std::string& regex, const std::string& text) {
  RE2 re(regex);
  EXPECT_TRUE(re.ok()) << regex << ": " << re.error();
  return RE2::PartialMatch(text, re);
}

// ---------------------------------------------------------------- DatetimeFormatToRegex

TEST(DatetimeFormatToRegex, EveryDirectiveByteForByte) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"%a", "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"},
      {"%A", "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"},
      {"%w", "[0-6]"},
      {"%d", "(?:0[1-9]|[1,2][0-9]|3[0,1])"},
      {"%b", "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"},
      {"%B",
       "(?:January|February|March|April|May|June|July|August|September|October|November|"
       "December)"},
      {"%m", "(?:0[1-9]|1[0-2])"},
      {"%Y", "\\d{4}"},
      {"%y", "\\d{2}"},
      {"%H", "(?:[0,1][0-9]|2[0-3])"},
      {"%I", "(?:0[0-9]|1[0-2])"},
      {"%p", "[A,P]M"},
      {"%M", "[0-5][0-9]"},
      {"%S", "[0-5][0-9]"},
      {"%f", "\\d{6}"},
      {"%z", "[+-]\\d{4}"},
      {"%Z", "[A-Z]{1,4}T"},
      {"%j", "(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])"},
      {"%L", "\\.\\d{3}"},
  };
  for (const auto& [format, regex] : table) {
    EXPECT_EQ(DatetimeFormatToRegex(format), regex) << format;
    EXPECT_TRUE(RE2(regex).ok()) << format;
  }
}

TEST(DatetimeFormatToRegex, UnknownDirectivesBecomeEmpty) {
  EXPECT_EQ(DatetimeFormatToRegex("%%"), "");
  EXPECT_EQ(DatetimeFormatToRegex("%e"), "");
  EXPECT_EQ(DatetimeFormatToRegex("%T"), "");
  EXPECT_EQ(DatetimeFormatToRegex("%s"), "");
  EXPECT_EQ(DatetimeFormatToRegex("a%eb%Tc"), "abc");
  // "%%" is one sequence: the second '%' does not start another.
  EXPECT_EQ(DatetimeFormatToRegex("%%Y"), "Y");
  // '%' plus one whole rune, valid or not.
  EXPECT_EQ(DatetimeFormatToRegex("x%\xC3\xA9y"), "xy");
  EXPECT_EQ(DatetimeFormatToRegex("x%\xFFy"), "xy");
}

TEST(DatetimeFormatToRegex, PercentWithoutDirectiveStays) {
  EXPECT_EQ(DatetimeFormatToRegex("100%"), "100%");
  EXPECT_EQ(DatetimeFormatToRegex("%\n%Y"), "%\n\\d{4}");  // Go's "." does not match "\n"
  EXPECT_EQ(DatetimeFormatToRegex(""), "");
}

TEST(DatetimeFormatToRegex, DocsExample) {
  std::string re = DatetimeFormatToRegex("\\[%b %d, %Y %H:%M:%S\\]");
  EXPECT_EQ(re,
            "\\[(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
            "(?:0[1-9]|[1,2][0-9]|3[0,1]), \\d{4} (?:[0,1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\]");
  EXPECT_TRUE(Matches(re, "[Nov 28, 2026 19:34:02] request done"));
  EXPECT_FALSE(Matches(re, "Nov 28, 2026 19:34:02 request done"));
  EXPECT_FALSE(Matches(re, "    at Foo.bar(Foo.java:12)"));
}

TEST(DatetimeFormatToRegex, MobyVectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"%d/%m/%y %a %H:%M:%S%L %Z", "31/12/10 Mon 08:42:44.345 NZDT"},
      {"%Y-%m-%d %A %I:%M:%S.%f%p%z", "2007-12-04 Monday 08:42:44.123456AM+1200"},
      {"%b|%b|%b|%b|%b|%b|%b|%b|%b|%b|%b|%b", "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"},
      {"%B|%B|%B|%B|%B|%B|%B|%B|%B|%B|%B|%B",
       "January|February|March|April|May|June|July|August|September|October|November|December"},
      {"%A|%A|%A|%A|%A|%A|%A", "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"},
      {"%a|%a|%a|%a|%a|%a|%a", "Mon|Tue|Wed|Thu|Fri|Sat|Sun"},
      {"Day of the week: %w, Day of the year: %j", "Day of the week: 4, Day of the year: 091"},
  };
  for (const auto& [format, text] : vectors) {
    EXPECT_TRUE(Matches(DatetimeFormatToRegex(format), text)) << format;
  }
}

TEST(DatetimeFormatToRegex, QuirksKept) {
  // Literals are not escaped: '.' is any character.
  EXPECT_TRUE(Matches(DatetimeFormatToRegex("%H.%M"), "12x34"));
  // No anchoring: the timestamp may be anywhere in the line.
  EXPECT_TRUE(Matches(DatetimeFormatToRegex("%Y-%m-%d"), "level=info at 2026-11-28 x"));
  // The literal commas in classes match commas.
  EXPECT_TRUE(Matches(DatetimeFormatToRegex("%p"), ",M"));
  EXPECT_TRUE(Matches(DatetimeFormatToRegex("%H"), ",7"));
  // %L carries its own dot.
  EXPECT_TRUE(Matches(DatetimeFormatToRegex("%S%L"), "44.345"));
  EXPECT_FALSE(Matches(DatetimeFormatToRegex("%S%L"), "44345"));
}

// ---------------------------------------------------------------- EffectiveLength, SplitEvent

TEST(EffectiveLength, MobyVectors) {
  EXPECT_EQ(EffectiveLength("Hello"), 5u);
  EXPECT_EQ(EffectiveLength(std::string("\x01\x02\x03\x04", 4)), 4u);
  EXPECT_EQ(EffectiveLength("\xF0\x9F\x99\x83"), 4u);  // 🙃
  EXPECT_EQ(EffectiveLength("\xFF\xFF\xFF\xFF"), 12u);
  EXPECT_EQ(EffectiveLength("He\xFF\xFFo"), 9u);
  EXPECT_EQ(EffectiveLength(""), 0u);
}

TEST(EffectiveLength, GoDecodingRules) {
  EXPECT_EQ(EffectiveLength("\xC3\xA9"), 2u);           // é
  EXPECT_EQ(EffectiveLength("\xEF\xBF\xBD"), 3u);       // a real U+FFFD
  EXPECT_EQ(EffectiveLength("\xC0\x80"), 6u);           // overlong: two bad bytes
  EXPECT_EQ(EffectiveLength("\xED\xA0\x80"), 9u);       // surrogate
  EXPECT_EQ(EffectiveLength("\xF4\x90\x80\x80"), 12u);  // above U+10FFFF
  EXPECT_EQ(EffectiveLength("\xE2\x82\x41"), 7u);       // truncated "€" + "A": 3 + 3 + 1
  EXPECT_EQ(EffectiveLength(std::string(40, 'a') + "\x80"), 43u);
}

TEST(SplitEvent, EmptyAndShort) {
  EXPECT_TRUE(SplitEvent("").empty());
  EXPECT_EQ(SplitEvent("hello"), std::vector<std::string>{"hello"});
  std::string max(kMaxEventBytes, 'A');
  EXPECT_EQ(SplitEvent(max), std::vector<std::string>{max});
}

TEST(SplitEvent, LineSplit) {
  std::string longline(kMaxEventBytes, 'A');
  EXPECT_EQ(SplitEvent(longline + "B"), (std::vector<std::string>{longline, "B"}));
}

TEST(SplitEvent, ProcessEventEmoji) {
  const std::string emoji = "\xF0\x9F\x99\x83";
  std::string first;
  for (size_t i = 0; i < kMaxEventBytes / 4; ++i) first += emoji;
  auto pieces = SplitEvent(first + emoji);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], first);
  EXPECT_EQ(pieces[1], emoji);
}

TEST(SplitEvent, BinaryCountsThree) {
  std::string longline(kMaxEventBytes / 3, '\xFF');
  EXPECT_EQ(SplitEvent(longline + "\xFD"), (std::vector<std::string>{longline, "\xFD"}));
  // 262115 + 3 = 262118 fits; one more ASCII byte before it does not.
  std::string fits = std::string(kMaxEventBytes - 3, 'A') + "\xFF";
  EXPECT_EQ(SplitEvent(fits).size(), 1u);
  std::string over = std::string(kMaxEventBytes - 2, 'A') + "\xFF";
  EXPECT_EQ(SplitEvent(over),
            (std::vector<std::string>{std::string(kMaxEventBytes - 2, 'A'), "\xFF"}));
}

TEST(SplitEvent, NeverCutsAValidRune) {
  std::string head(kMaxEventBytes - 1, 'A');
  auto pieces = SplitEvent(head + "\xC3\xA9" + "z");
  EXPECT_EQ(pieces, (std::vector<std::string>{head, "\xC3\xA9z"}));
  // Many pieces; rejoining restores the input.
  std::string big;
  for (int i = 0; i < 200000; ++i) big += "\xE2\x82\xAC\x61";  // "€a"
  auto parts = SplitEvent(big);
  ASSERT_EQ(parts.size(), 4u);
  std::string joined;
  for (const auto& p : parts) {
    EXPECT_LE(EffectiveLength(p), kMaxEventBytes);
    joined += p;
  }
  EXPECT_EQ(joined, big);
}

// ---------------------------------------------------------------- Grouper, multiline off

TEST(Grouper, Simple) {
  Events ev;
  auto g = MakeGrouper("", &ev);
  g->AddLine(kLogline, kT0);
  g->Tick(kT0 + 5000);
  g->Close();
  ASSERT_EQ(ev.list.size(), 1u);
  EXPECT_EQ(ev.list[0].message, kLogline);  // no newline added
  EXPECT_EQ(ev.list[0].timestamp, kT0);
}

TEST(Grouper, NoPatternEveryLineIsAnEventAtOnce) {
  Events ev;
  auto g = MakeGrouper("", &ev);
  g->AddLine(kLogline + " 1", kT0);
  g->AddLine("", kT0 + 1);  // dropped
  g->AddLine(kLogline + " 2", kT0 + 2);
  EXPECT_EQ(ev.Messages(), (std::vector<std::string>{kLogline + " 1", kLogline + " 2"}));
  EXPECT_EQ(ev.list[1].timestamp, kT0 + 2);
  g->Tick(kT0 + 100000);
  g->Close();
  EXPECT_EQ(ev.list.size(), 2u);
}

TEST(Grouper, LineSplit) {
  Events ev;
  auto g = MakeGrouper("", &ev);
  std::string longline(kMaxEventBytes, 'A');
  g->AddLine(longline + "B", kT0);
  g->Close();
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[0].message, longline);
  EXPECT_EQ(ev.list[1].message, "B");
  EXPECT_EQ(ev.list[1].timestamp, kT0);
}

TEST(Grouper, LineSplitWithBinary) {
  Events ev;
  auto g = MakeGrouper("", &ev);
  std::string longline(kMaxEventBytes / 3, '\xFF');
  g->AddLine(longline + "\xFD", kT0);
  g->Close();
  EXPECT_EQ(ev.Messages(), (std::vector<std::string>{longline, "\xFD"}));
}

TEST(Grouper, InvalidPattern) {
  Events ev;
  auto g = Grouper::Create("(unclosed", 5000, ev.Sink());
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument);
  EXPECT_NE(g.status().message().find("(unclosed"), std::string::npos);
}

TEST(Grouper, FormatOfOnlyUnknownDirectivesTurnsMultilineOff) {
  // Docker: a format that converts to "" compiles no pattern at all.
  Events ev;
  auto g = MakeGrouper(DatetimeFormatToRegex("%T"), &ev);
  g->AddLine("a", kT0);
  g->AddLine("b", kT0);
  EXPECT_EQ(ev.Messages(), (std::vector<std::string>{"a", "b"}));
}

// ---------------------------------------------------------------- Grouper, multiline on

TEST(Grouper, MultilinePattern) {
  Events ev;
  auto g = MakeGrouper("xxxx", &ev);
  g->AddLine(kLogline, kT0);
  g->AddLine(kLogline, kT0);
  g->AddLine("xxxx " + kLogline, kT0);
  g->Tick(kT0);
  ASSERT_EQ(ev.list.size(), 1u);
  EXPECT_EQ(ev.list[0].message, kLogline + "\n" + kLogline + "\n");
  g->Close();
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[1].message, "xxxx " + kLogline + "\n");
}

TEST(Grouper, MultilinePatternMaxEventAge) {
  Events ev;
  auto g = MakeGrouper("xxxx", &ev);
  g->AddLine(kLogline, kT0);
  g->AddLine(kLogline, kT0 + 1000);
  g->Tick(kT0 + 5000 + 1000);
  ASSERT_EQ(ev.list.size(), 1u);
  EXPECT_EQ(ev.list[0].message, kLogline + "\n" + kLogline + "\n");
  EXPECT_EQ(ev.list[0].timestamp, kT0);

  // The timer flush kept the timestamp: this line reuses the stale kT0 and goes at the next tick.
  g->AddLine(kLogline, kT0 + 1000);
  g->Tick(kT0 + 2 * 5000 + 1000);
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[1].message, kLogline + "\n");
  EXPECT_EQ(ev.list[1].timestamp, kT0);
  g->Close();
  EXPECT_EQ(ev.list.size(), 2u);
}

TEST(Grouper, MultilinePatternNegativeEventAge) {
  Events ev;
  auto g = MakeGrouper("xxxx", &ev);
  g->AddLine(kLogline, kT0);
  g->AddLine(kLogline, kT0 + 1000);
  g->Tick(kT0 - 1000);
  ASSERT_EQ(ev.list.size(), 1u);
  EXPECT_EQ(ev.list[0].message, kLogline + "\n" + kLogline + "\n");
}

TEST(Grouper, TickBeforeIntervalKeepsBuffer) {
  Events ev;
  auto g = MakeGrouper("xxxx", &ev, 2000);
  g->AddLine("xxxx a", kT0);
  g->Tick(kT0 + 1999);
  EXPECT_TRUE(ev.list.empty());
  g->AddLine("b", kT0 + 1999);
  g->Tick(kT0 + 2000);  // age >= interval
  EXPECT_EQ(ev.Messages(), std::vector<std::string>{"xxxx a\nb\n"});
}

TEST(Grouper, NonPositiveIntervalMeansFiveSeconds) {
  Events ev;
  auto g = MakeGrouper("xxxx", &ev, 0);
  g->AddLine("xxxx a", kT0);
  g->Tick(kT0 + 4999);
  EXPECT_TRUE(ev.list.empty());
  g->Tick(kT0 + 5000);
  EXPECT_EQ(ev.list.size(), 1u);
}

TEST(Grouper, MultilinePatternMaxEventSize) {
  Events ev;
  auto g = MakeGrouper("xxxx", &ev);
  std::string longline(kMaxEventBytes, 'A');
  std::string shortline(100, 'B');
  g->AddLine(longline, kT0);
  g->AddLine(shortline, kT0);
  g->Tick(kT0 + 5000);
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[0].message, longline);  // exactly max: no "\n"
  EXPECT_EQ(ev.list[1].message, shortline + "\n");
}

TEST(Grouper, OverflowStartsANewEvent) {
  Events ev;
  auto g = MakeGrouper("^START", &ev);
  std::string a(200000, 'a'), b(100000, 'b');
  g->AddLine("START", kT0);
  g->AddLine(a, kT0 + 1);
  g->AddLine(b, kT0 + 2);  // would exceed: flushes, and b's time becomes the event's
  g->Close();
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[0].message, "START\n" + a + "\n");
  EXPECT_EQ(ev.list[0].timestamp, kT0);
  EXPECT_EQ(ev.list[1].message, b + "\n");
  EXPECT_EQ(ev.list[1].timestamp, kT0 + 2);
}

TEST(Grouper, TheAddedNewlineCanSpillIntoItsOwnEvent) {
  // eff(buf)+eff(line) == max passes the size check, then "\n" is appended: Docker's splitter
  // sends that last "\n" as an event of its own.
  Events ev;
  auto g = MakeGrouper("^START", &ev);
  std::string x(99, 'x');
  std::string y(kMaxEventBytes - 100, 'y');
  g->AddLine(x, kT0);
  g->AddLine(y, kT0);
  g->Close();
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[0].message, x + "\n" + y);
  EXPECT_EQ(ev.list[1].message, "\n");
}

TEST(Grouper, LinesBeforeFirstMatchAndFirstLineTimestamp) {
  Events ev;
  auto g = MakeGrouper(DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S"), &ev);
  g->AddLine("booting", kT0);
  g->AddLine("still booting", kT0 + 1);
  g->AddLine("2026-11-28 19:34:02 ERROR boom", kT0 + 2);
  g->AddLine("java.lang.RuntimeException: boom", kT0 + 3);
  g->AddLine("\tat Foo.bar(Foo.java:12)", kT0 + 4);
  g->AddLine("", kT0 + 5);  // kept as an empty line
  g->AddLine("2026-11-28 19:34:03 INFO next", kT0 + 6);
  g->Close();
  ASSERT_EQ(ev.list.size(), 3u);
  EXPECT_EQ(ev.list[0].message, "booting\nstill booting\n");
  EXPECT_EQ(ev.list[0].timestamp, kT0);
  EXPECT_EQ(ev.list[1].message,
            "2026-11-28 19:34:02 ERROR boom\njava.lang.RuntimeException: boom\n"
            "\tat Foo.bar(Foo.java:12)\n\n");
  EXPECT_EQ(ev.list[1].timestamp, kT0 + 2);
  EXPECT_EQ(ev.list[2].message, "2026-11-28 19:34:03 INFO next\n");
  EXPECT_EQ(ev.list[2].timestamp, kT0 + 6);
}

TEST(Grouper, MatchAfterTimerFlushTakesItsOwnTime) {
  Events ev;
  auto g = MakeGrouper("^S", &ev);
  g->AddLine("S1", kT0);
  g->Tick(kT0 + 5000);
  g->AddLine("S2", kT0 + 7000);  // empty buffer emits nothing; ts becomes kT0 + 7000
  g->Tick(kT0 + 10000);          // age 3000 < 5000
  EXPECT_EQ(ev.list.size(), 1u);
  g->Close();
  ASSERT_EQ(ev.list.size(), 2u);
  EXPECT_EQ(ev.list[1].message, "S2\n");
  EXPECT_EQ(ev.list[1].timestamp, kT0 + 7000);
}

TEST(Grouper, CloseEmitsOnce) {
  Events ev;
  auto g = MakeGrouper("^S", &ev);
  g->AddLine("S", kT0);
  g->Close();
  g->Close();
  g->Tick(kT0 + 60000);
  EXPECT_EQ(ev.Messages(), std::vector<std::string>{"S\n"});
}

TEST(Grouper, InvalidUtf8IsMatchedAsGoDoes) {
  // Go's regexp sees a bad byte as U+FFFD; "." matches it.
  Events ev;
  auto g = MakeGrouper("^a.b$", &ev);
  g->AddLine(std::string("a\xFF") + "b", kT0);
  g->AddLine("zzz", kT0);
  g->AddLine(std::string("a\xEF\xBF\xBD") + "b", kT0);
  g->Close();
  EXPECT_EQ(ev.Messages(), (std::vector<std::string>{std::string("a\xFF") + "b\nzzz\n",
                                                     std::string("a\xEF\xBF\xBD") + "b\n"}));
}

// A line starts an event exactly when plain RE2 finds the pattern in it: the grouper's
// shortcuts (start bytes, leading runs) must never change the answer.
void ExpectGrouperAgreesWithRe2(const std::vector<std::string>& patterns,
                                const std::vector<std::string>& lines) {
  for (const std::string& pattern : patterns) {
    RE2 reference(pattern);
    ASSERT_TRUE(reference.ok()) << pattern;
    size_t emitted = 0;
    auto g = Grouper::Create(pattern, 5000, [&](GroupedEvent) { ++emitted; });
    ASSERT_TRUE(g.ok()) << pattern;
    for (const std::string& line : lines) {
      (*g)->AddLine("seed", kT0);  // the buffer is never empty before `line`
      size_t before = emitted;
      (*g)->AddLine(line, kT0);
      EXPECT_EQ(emitted > before, RE2::PartialMatch(line, reference))
          << "pattern " << pattern << " line " << line;
    }
  }
}

TEST(Grouper, StartByteShortcutNeverChangesTheAnswer) {
  const std::vector<std::string> patterns = {
      DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S"),
      DatetimeFormatToRegex("\\[%b %d, %Y %H:%M:%S\\]"),
      DatetimeFormatToRegex("%a %H:%M"),
      "(?i)error",
      "a*b",
      "x?y+",
      "(a|bc)d",
      "\\pL\\d",
      "\xC3\xA9+",
      "[[:digit:]]{2}:",
      "(?s).z",
      "\\x{1F643}",
      "[^a]b",
      "^a",
      "b$",
      "\\bab",
      "\\Bb",
      "Z|0",
      "\\C",
  };
  const std::vector<std::string> alphabet = {
      "a",   "A",   "b",    "B", "c", "d", "x", "y", "z", "Z",  "0",        "1",
      "2",   "9",   ":",    "-", ".", " ", "[", "]", ",", "\t", "\xC3\xA9", "\xF0\x9F\x99\x83",
      "Mon", "Jan", "ERROR"};
  std::mt19937 rng(11);
  std::vector<std::string> lines = {
      "", "2026-11-28 19:34:02 x", "[Nov 28, 2026 19:34:02]", "Mon 12:30", "ab", "zb"};
  for (int i = 0; i < 600; ++i) {
    std::string line;
    for (size_t n = rng() % 12; n > 0; --n) line += alphabet[rng() % alphabet.size()];
    lines.push_back(line);
  }
  ExpectGrouperAgreesWithRe2(patterns, lines);
}

// The leading-run prefilter (required \d / literal atoms at the start of the pattern) must agree
// with RE2 on digit-heavy lines, where it actually fires.
TEST(Grouper, LeadingRunShortcutNeverChangesTheAnswer) {
  const std::vector<std::string> patterns = {
      DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S"), DatetimeFormatToRegex("%d/%m/%y %H"),
      DatetimeFormatToRegex("%Y%m%d"), "\\d{2}-x", "ab\\d", "12:", "1\\d{2}?3", "1-2|3",
      "\\-\\d", "9(a|1)", "0*1"};
  const std::vector<std::string> alphabet = {"0", "1", "2", "3", "9", "-", ":", "/", " ",
                                             "x", "a", "b", "2026-", "11-28 ", "19:34:02"};
  std::mt19937 rng(7);
  std::vector<std::string> lines = {"2026-11-28 19:34:02", "x 2026-11-28 19:34:02", "28/11/26 19"};
  for (int i = 0; i < 3000; ++i) {
    std::string line;
    for (size_t n = rng() % 10; n > 0; --n) line += alphabet[rng() % alphabet.size()];
    lines.push_back(line);
  }
  ExpectGrouperAgreesWithRe2(patterns, lines);
}

TEST(Grouper, BinaryLineCountsThreePerBadByte) {
  Events ev;
  auto g = MakeGrouper("^S", &ev);
  std::string bad(kMaxEventBytes / 3, '\xFF');  // eff 262116 < max: gets "\n"
  g->AddLine(bad, kT0);
  g->AddLine("x", kT0);  // 262117 + 1 == max: joins, and its "\n" spills over
  g->AddLine("y", kT0);  // over: new event
  g->Close();
  ASSERT_EQ(ev.list.size(), 3u);
  EXPECT_EQ(ev.list[0].message, bad + "\nx");
  EXPECT_EQ(ev.list[1].message, "\n");
  EXPECT_EQ(ev.list[2].message, "y\n");
}

// ---------------------------------------------------------------- LineSplitter

struct Lines {
  std::vector<std::string> list;
  std::vector<bool> continuation;
};

LineSplitter MakeSplitter(Lines* out, LineSplitter** self) {
  return LineSplitter([out, self](std::string_view line) {
    out->list.emplace_back(line);
    out->continuation.push_back((*self)->continuation());
  });
}

TEST(LineSplitter, SplitsOnNewlineAcrossChunks) {
  Lines out;
  LineSplitter* self = nullptr;
  LineSplitter s = MakeSplitter(&out, &self);
  self = &s;
  s.Write("one\ntw");
  s.Write("o\n\nthr");
  s.Write("ee");
  EXPECT_EQ(out.list, (std::vector<std::string>{"one", "two", ""}));
  s.Finish();
  EXPECT_EQ(out.list, (std::vector<std::string>{"one", "two", "", "three"}));
  s.Finish();  // nothing left
  EXPECT_EQ(out.list.size(), 4u);
  s.Write("\r\n");
  EXPECT_EQ(out.list.back(), "\r");
}

TEST(LineSplitter, LongLineComesInMaxPieces) {
  Lines out;
  LineSplitter* self = nullptr;
  LineSplitter s = MakeSplitter(&out, &self);
  self = &s;
  std::string line = std::string(kMaxEventBytes, 'a') + std::string(kMaxEventBytes, 'b') + "cc";
  s.Write(line.substr(0, 1000));
  s.Write(line.substr(1000) + "\nnext\n");
  ASSERT_EQ(out.list.size(), 4u);
  EXPECT_EQ(out.list[0], std::string(kMaxEventBytes, 'a'));
  EXPECT_EQ(out.list[1], std::string(kMaxEventBytes, 'b'));
  EXPECT_EQ(out.list[2], "cc");
  EXPECT_EQ(out.list[3], "next");
  EXPECT_EQ(out.continuation, (std::vector<bool>{false, true, true, false}));
}

TEST(LineSplitter, ExactlyMaxLineLeavesAnEmptyRest) {
  // Docker's copier: the buffer fills before the "\n" is read, so the piece goes out as a
  // partial and the "\n" then ends an empty last piece.
  Lines out;
  LineSplitter* self = nullptr;
  LineSplitter s = MakeSplitter(&out, &self);
  self = &s;
  std::string max(kMaxEventBytes, 'a');
  s.Write(max + "\n" + std::string(kMaxEventBytes - 1, 'b') + "\n");
  ASSERT_EQ(out.list.size(), 3u);
  EXPECT_EQ(out.list[0], max);
  EXPECT_EQ(out.list[1], "");
  EXPECT_EQ(out.list[2], std::string(kMaxEventBytes - 1, 'b'));
  EXPECT_EQ(out.continuation, (std::vector<bool>{false, true, false}));
}

TEST(LineSplitter, FinishAfterPartial) {
  Lines out;
  LineSplitter* self = nullptr;
  LineSplitter s = MakeSplitter(&out, &self);
  self = &s;
  s.Write(std::string(kMaxEventBytes + 3, 'a'));
  ASSERT_EQ(out.list.size(), 1u);
  s.Finish();
  ASSERT_EQ(out.list.size(), 2u);
  EXPECT_EQ(out.list[1], "aaa");
  EXPECT_TRUE(out.continuation[1]);
  s.Write("new\n");
  EXPECT_FALSE(out.continuation[2]);
}

TEST(LineSplitter, ChunkingDoesNotMatter) {
  std::mt19937 rng(7);
  std::string input;
  for (int i = 0; i < 400; ++i) {
    size_t len = rng() % 7 == 0 ? rng() % (3 * kMaxEventBytes) : rng() % 200;
    input.append(len, static_cast<char>('a' + i % 26));
    input.push_back('\n');
  }
  input += "tail";
  Lines whole;
  LineSplitter* self1 = nullptr;
  LineSplitter s1 = MakeSplitter(&whole, &self1);
  self1 = &s1;
  s1.Write(input);
  s1.Finish();
  Lines chunked;
  LineSplitter* self2 = nullptr;
  LineSplitter s2 = MakeSplitter(&chunked, &self2);
  self2 = &s2;
  for (size_t i = 0; i < input.size();) {
    size_t n = std::min<size_t>(rng() % 70000, input.size() - i);
    s2.Write(std::string_view(input).substr(i, n));
    i += n;
  }
  s2.Finish();
  EXPECT_EQ(whole.list, chunked.list);
  EXPECT_EQ(whole.continuation, chunked.continuation);
  std::string rejoined;
  for (size_t i = 0; i < whole.list.size(); ++i) {
    EXPECT_LE(whole.list[i].size(), kMaxEventBytes);
    rejoined += whole.list[i];
    bool next_continues = i + 1 < whole.list.size() && whole.continuation[i + 1];
    if (!next_continues && i + 1 < whole.list.size()) rejoined += "\n";
  }
  EXPECT_EQ(rejoined, input);
}

TEST(LineSplitter, ExactMaxLineThroughTheGrouper) {
  // The whole Docker path for a line of exactly 262118 bytes in multiline mode: the piece (no
  // "\n") and then the empty rest ("\n" that spills into its own event).
  Events ev;
  auto g = MakeGrouper("^S", &ev);
  LineSplitter s([&](std::string_view line) { g->AddLine(line, kT0); });
  std::string max(kMaxEventBytes, 'a');
  s.Write("S\n" + max + "\nS2\n");
  s.Finish();
  g->Close();
  EXPECT_EQ(ev.Messages(), (std::vector<std::string>{"S\n", max, "\n", "S2\n"}));
}

// ---------------------------------------------------------------- throughput (not asserted)

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kDefaultBenchMb = 8;
#else
constexpr size_t kDefaultBenchMb = 128;
#endif

// MB/s for LineSplitter → Grouper over 100-byte lines. BERTH_BENCH_MB sets the volume.
double MeasureMbPerSecond(const std::string& pattern, int timestamp_every) {
  size_t mb = kDefaultBenchMb;
  if (const char* env = std::getenv("BERTH_BENCH_MB")) mb = std::strtoul(env, nullptr, 10);
  const char* kStamped = "2026-11-28 19:34:02 INFO  request handled path=/api/v1/items status=200";
  const char* kPlain = "    at com.example.shop.ItemController.list(ItemController.java:42) x";
  std::string block;
  const size_t kBlock = 8 << 20;
  block.reserve(kBlock + 128);
  for (int i = 0; block.size() + 100 <= kBlock; ++i) {
    std::string line = (i % timestamp_every == 0) ? kStamped : kPlain;
    line.resize(99, '.');
    block += line;
    block += '\n';
  }
  size_t events = 0, bytes = 0;
  auto g = Grouper::Create(pattern, 5000, [&](GroupedEvent e) {
    ++events;
    bytes += e.message.size();
  });
  EXPECT_TRUE(g.ok());
  Grouper* grouper = g->get();
  LineSplitter splitter([&](std::string_view line) { grouper->AddLine(line, kT0); });
  size_t rounds = std::max<size_t>(1, (mb << 20) / block.size());
  auto start = std::chrono::steady_clock::now();
  for (size_t r = 0; r < rounds; ++r) splitter.Write(block);
  splitter.Finish();
  grouper->Close();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double mbs = static_cast<double>(rounds * block.size()) / (1 << 20) / secs;
  EXPECT_GT(events, 0u);
  EXPECT_GT(bytes, 0u);
  return mbs;
}

TEST(MultilineBenchmark, Throughput) {
  double off = MeasureMbPerSecond("", 1);
  double every = MeasureMbPerSecond(DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S"), 1);
  double tenth = MeasureMbPerSecond(DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S"), 10);
  std::printf(
      "[ bench    ] 100-byte lines: no pattern %.0f MB/s; %%Y-%%m-%%d %%H:%%M:%%S with every line "
      "stamped %.0f MB/s; with 1 line in 10 stamped %.0f MB/s\n",
      off, every, tenth);
  RecordProperty("no_pattern_mb_s", static_cast<int>(off));
  RecordProperty("pattern_all_stamped_mb_s", static_cast<int>(every));
  RecordProperty("pattern_tenth_stamped_mb_s", static_cast<int>(tenth));
}

}  // namespace
}  // namespace berth::logs
