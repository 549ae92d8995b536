#include "logs/php_fpm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "logs/multiline.h"

namespace berth::logs {
namespace {

// spec/logs.md §5.2, decorate_workers_output=yes, log_limit=1024 ("<TAB>" is a real tab).
const std::vector<std::string> kDecorated = {
    R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into stdout: "hello stdout")",
    R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into stderr: "hello stderr")",
    R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into stdout: "line one")",
    R"([28-Nov-2026 19:34:01] WARNING: [pool www] child 27673 said into stdout: "no newline at end")",
    "[28-Nov-2026 19:34:02] WARNING: [pool www] child 27673 said into stdout: \"he said \"hi\" \\ "
    "tab\there\"",
    R"([28-Nov-2026 19:34:02] WARNING: [pool www] child 27673 said into stderr: "PHP Fatal error:  Uncaught Exception: boom in /x.php:3")",
    R"([28-Nov-2026 19:34:02] WARNING: [pool www] child 27673 said into stderr: "Stack trace:")",
    R"L([28-Nov-2026 19:34:02] WARNING: [pool www] child 27673 said into stderr: "NOTICE: PHP message: via error_log()")L",
    R"([28-Nov-2026 19:34:03] WARNING: [pool www] child 27673 said into stdout: "part1 part2")",
};

// The same inputs with decorate_workers_output=no.
const std::vector<std::string> kUndecorated = {
    "hello stdout",
    "hello stderr",
    "line one",
    "no newline at end",
    "he said \"hi\" \\ tab\there",
    "PHP Fatal error:  Uncaught Exception: boom in /x.php:3",
    "NOTICE: PHP message: via error_log()",
    "part1 part2",
};

const std::string kPrefix =
    R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into stdout: ")";

std::vector<std::string> Unwrap(const std::vector<std::string>& lines, size_t log_limit = 1024,
                                bool flush = true) {
  std::vector<std::string> out;
  PhpFpmUnwrapper u([&](std::string_view line) { out.emplace_back(line); }, log_limit);
  for (const auto& l : lines) u.AddLine(l);
  if (flush) u.Flush();
  return out;
}

std::string Decorated(std::string_view pid, std::string_view stream, std::string_view text,
                      std::string_view time = "28-Nov-2026 19:34:02") {
  return "[" + std::string(time) + "] WARNING: [pool www] child " + std::string(pid) +
         " said into " + std::string(stream) + ": \"" + std::string(text) + "\"";
}

// What php-fpm prints for one worker line: chunks of the largest payload that keeps every
// physical line at log_limit − 1 characters (§5.1). prefix includes the opening quote; empty
// prefix = undecorated.
std::vector<std::string> FpmChunks(const std::string& prefix, const std::string& text,
                                   size_t log_limit) {
  const bool decorated = !prefix.empty();
  const size_t payload = decorated ? log_limit - 2 - prefix.size() : log_limit - 1;
  std::vector<std::string> lines;
  size_t i = 0;
  while (text.size() - i > payload) {
    lines.push_back(prefix + text.substr(i, payload) + (decorated ? "\"" : ""));
    i += payload;
  }
  lines.push_back(prefix + text.substr(i) + (decorated ? "\"" : ""));
  return lines;
}

TEST(PhpFpmUnwrapper, DecoratedSample) {
  EXPECT_EQ(
      Unwrap(kDecorated),
      (std::vector<std::string>{
          "hello stdout", "hello stderr", "line one", "no newline at end",
          "he said \"hi\" \\ tab\there", "PHP Fatal error:  Uncaught Exception: boom in /x.php:3",
          "Stack trace:", "NOTICE: PHP message: via error_log()", "part1 part2"}));
}

TEST(PhpFpmUnwrapper, UndecoratedSamplePassesThrough) {
  EXPECT_EQ(Unwrap(kUndecorated), kUndecorated);
}

TEST(PhpFpmUnwrapper, QuotesBackslashTabAreNotUnescaped) {
  EXPECT_EQ(Unwrap({Decorated("1", "stdout", R"(say "x")"), Decorated("1", "stdout", "\""),
                    Decorated("1", "stdout", R"(C:\path\n \" done)"),
                    Decorated("1", "stdout", "a\t\tb"), Decorated("1", "stdout", "")}),
            (std::vector<std::string>{R"(say "x")", "\"", R"(C:\path\n \" done)", "a\t\tb", ""}));
}

TEST(PhpFpmUnwrapper, Decorated1500AAt1024) {
  std::string text(1500, 'A');
  std::vector<std::string> lines = {kPrefix + std::string(948, 'A') + "\"",
                                    kPrefix + std::string(552, 'A') + "\""};
  ASSERT_EQ(kPrefix.size(), 74u);
  ASSERT_EQ(lines[0].size(), 1023u);
  ASSERT_EQ(lines[1].size(), 627u);
  ASSERT_EQ(FpmChunks(kPrefix, text, 1024), lines);
  EXPECT_EQ(Unwrap(lines, 1024), std::vector<std::string>{text});
  // Joined as soon as the short last chunk arrives, no Flush needed.
  EXPECT_EQ(Unwrap(lines, 1024, /*flush=*/false), std::vector<std::string>{text});
}

TEST(PhpFpmUnwrapper, Undecorated1500AAt1024And600) {
  std::string text(1500, 'A');
  std::vector<std::string> at1024 = {std::string(1023, 'A'), std::string(477, 'A')};
  ASSERT_EQ(FpmChunks("", text, 1024), at1024);
  EXPECT_EQ(Unwrap(at1024, 1024, /*flush=*/false), std::vector<std::string>{text});
  std::vector<std::string> at600 = {std::string(599, 'A'), std::string(599, 'A'),
                                    std::string(302, 'A')};
  ASSERT_EQ(FpmChunks("", text, 600), at600);
  EXPECT_EQ(Unwrap(at600, 600, /*flush=*/false), std::vector<std::string>{text});
  // With the wrong log_limit nothing is joined.
  EXPECT_EQ(Unwrap(at600, 1024), at600);
}

TEST(PhpFpmUnwrapper, RoundTripEveryLength) {
  const std::vector<std::string> prefixes = {kPrefix, "",
                                             "[28-Nov-2026 19:34:00.123456] WARNING: "
                                             "[pool www] child 1 said into stderr: \""};
  for (size_t limit : {512u, 600u, 1024u}) {
    for (const std::string& prefix : prefixes) {
      for (size_t len = 1; len <= 2100; len += (len < 1100 ? 1 : 37)) {
        std::string text;
        for (size_t i = 0; i < len; ++i) text.push_back(static_cast<char>('a' + i % 26));
        text[len / 2] = '"';
        auto lines = FpmChunks(prefix, text, limit);
        for (const auto& l : lines) ASSERT_LE(l.size(), limit - 1);
        ASSERT_EQ(Unwrap(lines, limit), std::vector<std::string>{text})
            << "limit " << limit << " len " << len << " prefix " << prefix;
      }
    }
  }
}

TEST(PhpFpmUnwrapper, ExactlyFullLastChunkWaitsForTheNextLine) {
  // A payload that fills its chunk is taken as continued: held until a line says otherwise.
  std::string full(948, 'A');
  std::vector<std::string> out;
  PhpFpmUnwrapper u([&](std::string_view line) { out.emplace_back(line); }, 1024);
  u.AddLine(kPrefix + full + "\"");
  EXPECT_TRUE(out.empty());
  u.Flush();
  EXPECT_EQ(out, std::vector<std::string>{full});
  u.Flush();
  EXPECT_EQ(out.size(), 1u);
}

TEST(PhpFpmUnwrapper, AnotherChildOrStreamOrMasterLineCompletesThePending) {
  std::string full(948, 'A');
  const std::string other_child =
      R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27674 said into stdout: "other")";
  const std::string other_stream =
      R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into stderr: "err")";
  const std::string killed =
      "[28-Nov-2026 19:34:05] WARNING: [pool www] child 27673 exited on signal 9 (SIGKILL) after "
      "3.1 seconds from start";
  EXPECT_EQ(Unwrap({kPrefix + full + "\"", other_child}, 1024, false),
            (std::vector<std::string>{full, "other"}));
  EXPECT_EQ(Unwrap({kPrefix + full + "\"", other_stream}, 1024, false),
            (std::vector<std::string>{full, "err"}));
  EXPECT_EQ(Unwrap({kPrefix + full + "\"", killed}, 1024, false),
            (std::vector<std::string>{full, killed}));
  EXPECT_EQ(
      Unwrap({kPrefix + full + "\"", "172.17.0.1 - 28/Nov/2026:19:34:03 +0000 \"GET /\" 200"}, 1024,
             false),
      (std::vector<std::string>{full, "172.17.0.1 - 28/Nov/2026:19:34:03 +0000 \"GET /\" 200"}));
  // Same child and stream: joined.
  EXPECT_EQ(Unwrap({kPrefix + full + "\"", kPrefix + "B\""}, 1024, false),
            std::vector<std::string>{full + "B"});
}

TEST(PhpFpmUnwrapper, UndecoratedChunkCompletedByAMasterLine) {
  const std::string notice = "[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1";
  std::string full(1023, 'A');
  EXPECT_EQ(Unwrap({full, notice}, 1024, false), (std::vector<std::string>{full, notice}));
  EXPECT_EQ(Unwrap({full, Decorated("9", "stdout", "x")}, 1024, false),
            (std::vector<std::string>{full, "x"}));
}

TEST(PhpFpmUnwrapper, PhpFpmOwnLinesPassThrough) {
  const std::vector<std::string> lines = {
      "[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1",
      "[28-Nov-2026 19:34:00] NOTICE: ready to handle connections",
      "[28-Nov-2026 19:34:05] WARNING: [pool www] child 27673 exited on signal 9 (SIGKILL) after "
      "3.1 seconds from start",
      "[28-Nov-2026 19:34:05] NOTICE: [pool www] child 27690 started",
      "NOTICE: PHP message: PHP Warning:  Undefined variable $x in /var/www/html/index.php on "
      "line 3",
      "172.17.0.1 -  28/Nov/2026:19:34:03 +0000 \"GET /index.php\" 200",
      "[28-Nov-2026 19:34:00.123456] DEBUG: pid 1, fpm_event_loop(), line 418: event module is "
      "epoll",
  };
  EXPECT_EQ(Unwrap(lines), lines);
  // A truncated php-fpm line is log_limit − 1 long too; it is never held.
  std::string truncated = "[28-Nov-2026 19:34:00] WARNING: " + std::string(1023 - 35, 'x') + "...";
  ASSERT_EQ(truncated.size(), 1023u);
  EXPECT_EQ(Unwrap({truncated}, 1024, false), std::vector<std::string>{truncated});
}

TEST(PhpFpmUnwrapper, MicrosecondsAndDebugDecoration) {
  EXPECT_EQ(Unwrap({"[28-Nov-2026 19:34:00.123456] WARNING: [pool www] child 27673 said into "
                    "stdout: \"hello\"",
                    "[28-Nov-2026 19:34:00.654321] WARNING: pid 1, (null)(), line 0: [pool www] "
                    "child 27673 said into stderr: \"world\""}),
            (std::vector<std::string>{"hello", "world"}));
  // Chunked with the longer prefix: payload = 1024 − 2 − 81.
  std::string prefix =
      "[28-Nov-2026 19:34:00.123456] WARNING: [pool www] child 27673 said into stdout: \"";
  ASSERT_EQ(prefix.size(), 81u);
  std::string text(1500, 'Z');
  auto lines = FpmChunks(prefix, text, 1024);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), 1023u);
  EXPECT_EQ(Unwrap(lines, 1024, false), std::vector<std::string>{text});
}

TEST(PhpFpmUnwrapper, MalformedDecorationPassesThrough) {
  const std::vector<std::string> lines = {
      R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into stdout: "no closing)",
      R"([28-Nov-2026 19:34:00] WARNING: [pool www] child x said into stdout: "bad pid")",
      R"([28-Nov-2026 19:34:00] NOTICE: [pool www] child 1 said into stdout: "not WARNING")",
      R"([2026-11-28 19:34:02] production.ERROR: boom)",
  };
  EXPECT_EQ(Unwrap(lines), lines);
}

TEST(PhpFpmUnwrapper, PipeClosedSuffixIsStripped) {
  EXPECT_EQ(
      Unwrap(
          {R"([28-Nov-2026 19:34:00] WARNING: [pool www] child 5 said into stderr: "last words", pipe is closed)"}),
      std::vector<std::string>{"last words"});
}

TEST(PhpFpmUnwrapper, LogLevelErrorQuirkPassesThroughUnchanged) {
  // log_level=error hides the prefix but keeps the closing quote. Indistinguishable from an
  // undecorated line ending in a quote, so it is left as php-fpm wrote it.
  EXPECT_EQ(Unwrap({"hello stdout\"", "he said \"hi\""}),
            (std::vector<std::string>{"hello stdout\"", "he said \"hi\""}));
}

// A Laravel exception (LineFormatter with stack traces) printed by a worker, through php-fpm.
std::vector<std::string> LaravelTrace() {
  std::vector<std::string> trace = {
      R"([2026-11-28 19:34:02] production.ERROR: boom {"exception":"[object] (Exception(code: 0): boom at /var/www/html/routes/web.php:17))",
      "[stacktrace]",
      R"(#0 /var/www/html/vendor/laravel/framework/src/Illuminate/Routing/CallableDispatcher.php(40): Illuminate\Routing\RouteFileRegistrar->{closure}())",
      R"(#1 /var/www/html/vendor/laravel/framework/src/Illuminate/Routing/Route.php(238): Illuminate\Routing\CallableDispatcher->dispatch(Object(Illuminate\Routing\Route), Object(Closure)))",
      R"(#2 /var/www/html/vendor/laravel/framework/src/Illuminate/Routing/Route.php(209): Illuminate\Routing\Route->runCallable())",
  };
  // A frame longer than one php-fpm chunk.
  trace.push_back(
      R"(#3 /var/www/html/vendor/laravel/framework/src/Illuminate/Pipeline/Pipeline.php(183): App\Jobs\Import->handle(')" +
      std::string(1200, 'x') + "')");
  trace.push_back(
      R"(#4 /var/www/html/public/index.php(51): Illuminate\Foundation\Http\Kernel->handle(Object(Illuminate\Http\Request)))");
  trace.push_back("#5 {main}");
  trace.push_back("\"} ");
  return trace;
}

void ExpectOneTraceEvent(const std::vector<std::string>& physical,
                         const std::vector<std::string>& trace) {
  std::vector<GroupedEvent> events;
  auto g = Grouper::Create(DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S"), 5000,
                           [&](GroupedEvent e) { events.push_back(std::move(e)); });
  ASSERT_TRUE(g.ok());
  Grouper* grouper = g->get();
  int64_t now = 1'764'358'442'000;
  PhpFpmUnwrapper u([&](std::string_view line) { grouper->AddLine(line, now); }, 1024);
  for (const auto& line : physical) {
    u.AddLine(line);
    ++now;
  }
  u.Flush();
  grouper->Close();
  std::string whole;
  for (const auto& l : trace) whole += l + "\n";
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].message, "[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1\n");
  EXPECT_EQ(events[1].message, whole);
  EXPECT_EQ(events[2].message, "[2026-11-28 19:34:03] production.INFO: next request\n");
}

TEST(PhpFpmUnwrapper, LaravelStackTraceBecomesOneEventDecorated) {
  auto trace = LaravelTrace();
  std::vector<std::string> physical = {"[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1"};
  for (const auto& l : trace) {
    for (auto& chunk : FpmChunks(kPrefix, l, 1024)) physical.push_back(chunk);
  }
  physical.push_back(
      Decorated("27673", "stdout", "[2026-11-28 19:34:03] production.INFO: next request"));
  ASSERT_GT(physical.size(), trace.size() + 2);  // the long frame was split
  ExpectOneTraceEvent(physical, trace);
}

TEST(PhpFpmUnwrapper, LaravelStackTraceBecomesOneEventUndecorated) {
  auto trace = LaravelTrace();
  std::vector<std::string> physical = {"[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1"};
  for (const auto& l : trace) {
    for (auto& chunk : FpmChunks("", l, 1024)) physical.push_back(chunk);
  }
  physical.push_back("[2026-11-28 19:34:03] production.INFO: next request");
  ASSERT_GT(physical.size(), trace.size() + 2);
  ExpectOneTraceEvent(physical, trace);
}

}  // namespace
}  // namespace berth::logs
