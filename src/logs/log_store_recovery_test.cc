// LogStore durability: kill -9 of a writer process, torn and corrupt segment files,
// retention by whole segments; plus a printed (not asserted) ingest/scan micro-benchmark.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "logs/log_store.h"
#include "logs/log_store_test_util.h"

namespace berth::logs {
namespace {

constexpr int64_t kDay = 24 * 3600'000;

// The child appends "m<i>" in order: 20000 events with durable=false and a Flush, then
// batches alternating durable=false/true forever, reporting through the pipe the count of
// events acknowledged as durable. The parent kills it with SIGKILL mid-loop.
[[noreturn]] void CrashingWriter(const std::string& dir, int report_fd) {
  FakeClock clock;
  LogStoreOptions opts;
  opts.segment_bytes = 1 << 20;  // several segments, so rolling is crossed too
  opts.warn = [](const std::string&) {};
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(dir, clock, opts);
  if (!store.ok() || !(*store)->CreateGroup("g", {}).ok()) _exit(2);
  int64_t i = 0;
  auto batch = [&](int n, bool durable) {
    std::vector<InputEvent> ev;
    for (int k = 0; k < n; ++k, ++i) ev.push_back({i, "m" + std::to_string(i)});
    if (!(*store)->Append("g", "s", ev, durable, true).ok()) _exit(3);
  };
  for (int b = 0; b < 200; ++b) batch(100, false);
  if (!(*store)->Flush().ok()) _exit(4);
  if (write(report_fd, &i, sizeof(i)) != sizeof(i)) _exit(5);
  for (int b = 0;; ++b) {
    bool durable = b % 2 == 1;
    batch(37, durable);
    if (durable && write(report_fd, &i, sizeof(i)) != sizeof(i)) _exit(5);
  }
}

TEST(LogStoreRecoveryTest, Kill9LosesNothingAcknowledged) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    CrashingWriter(dir.path(), fds[1]);
  }
  close(fds[1]);
  int64_t acked = 0, v;
  while (acked < 60000 && read(fds[0], &v, sizeof(v)) == sizeof(v)) acked = v;
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  while (read(fds[0], &v, sizeof(v)) == sizeof(v)) acked = v;
  close(fds[0]);
  ASSERT_GE(acked, 60000);

  FakeClock clock;
  std::vector<std::string> notes;
  LogStoreOptions opts;
  opts.warn = [&](const std::string& n) { notes.push_back(n); };
  std::unique_ptr<LogStore> store = OpenOrDie(dir.path(), clock, opts);
  ASSERT_NE(store, nullptr);
  std::vector<StoredEvent> all = ReadAll(store.get(), "g", "s");
  ASSERT_GE(static_cast<int64_t>(all.size()), acked);  // every acknowledged event
  for (size_t i = 0; i < all.size(); ++i) {            // in order, once, intact
    ASSERT_EQ(all[i].message, "m" + std::to_string(i));
  }
  ASSERT_OK(store->Append("g", "s", {{1'000'000, "after"}}, true));
  store.reset();
  store = OpenOrDie(dir.path(), clock);
  std::vector<StoredEvent> again = ReadAll(store.get(), "g", "s");
  ASSERT_EQ(again.size(), all.size() + 1);
  EXPECT_EQ(again.back().message, "after");
}

class SegmentDamageTest : public ::testing::Test {
 protected:
  // 100 events of 8-byte messages: records of 36 bytes after the 8-byte header.
  void SetUp() override {
    auto store = OpenOrDie(dir_.path(), clock_);
    ASSERT_OK(store->CreateGroup("g", {}));
    std::vector<InputEvent> ev;
    for (int i = 0; i < 100; ++i) {
      char m[16];
      snprintf(m, sizeof(m), "msg-%04d", i);
      ev.push_back({i, m});
    }
    ASSERT_OK(store->Append("g", "s", ev, true, true));
    std::vector<std::string> files = SegmentFilesOf(dir_.path());
    ASSERT_EQ(files.size(), 1u);
    segment_ = files[0];
    ASSERT_EQ(std::filesystem::file_size(segment_), 8u + 100 * 36);
  }
  std::vector<StoredEvent> ReopenAndRead() {
    LogStoreOptions opts;
    opts.warn = [this](const std::string& n) { notes_ += n + "\n"; };
    store_ = OpenOrDie(dir_.path(), clock_, opts);
    return ReadAll(store_.get(), "g", "s");
  }

  TempDir dir_;
  FakeClock clock_;
  std::string segment_;
  std::string notes_;
  std::unique_ptr<LogStore> store_;
};

TEST_F(SegmentDamageTest, TornTailIsCut) {
  std::filesystem::resize_file(segment_, 8 + 100 * 36 - 5);  // the last record, torn
  std::vector<StoredEvent> ev = ReopenAndRead();
  ASSERT_EQ(ev.size(), 99u);
  EXPECT_EQ(ev.back().message, "msg-0098");
  EXPECT_NE(notes_.find("cut short"), std::string::npos) << notes_;
  EXPECT_EQ(std::filesystem::file_size(segment_), 8u + 99 * 36);
  ASSERT_OK(store_->Append("g", "s", {{500, "new"}}, true));
  store_.reset();
  ev = ReopenAndRead();
  ASSERT_EQ(ev.size(), 100u);
  EXPECT_EQ(ev.back().message, "new");
}

TEST_F(SegmentDamageTest, ZeroFilledTailIsCut) {
  {
    std::ofstream f(segment_, std::ios::app | std::ios::binary);
    f << std::string(5000, '\0');  // what a power cut can leave after the last sync
  }
  EXPECT_EQ(ReopenAndRead().size(), 100u);
  EXPECT_EQ(std::filesystem::file_size(segment_), 8u + 100 * 36);
  EXPECT_NE(notes_.find("bad checksum at the tail"), std::string::npos) << notes_;
}

TEST_F(SegmentDamageTest, CorruptRecordInTheMiddleIsSkipped) {
  {
    std::fstream f(segment_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 50 * 36 + 28 + 2);
    f.put('X');
  }
  std::vector<StoredEvent> ev = ReopenAndRead();
  ASSERT_EQ(ev.size(), 99u);
  for (const StoredEvent& e : ev) EXPECT_NE(e.message, "msg-0050");
  EXPECT_NE(notes_.find("dropped a record"), std::string::npos) << notes_;
  EXPECT_EQ(std::filesystem::file_size(segment_), 8u + 100 * 36);  // nothing cut
  store_.reset();
  notes_.clear();
  EXPECT_EQ(ReopenAndRead().size(), 99u);
  EXPECT_EQ(notes_, "");  // repaired: no second complaint
}

TEST_F(SegmentDamageTest, EmptySegmentFileFromACrashIsRepaired) {
  std::string next = segment_.substr(0, segment_.size() - 14) + "0000000002.log";
  { std::ofstream f(next); }  // created, then the crash: no header yet
  EXPECT_EQ(ReopenAndRead().size(), 100u);
  EXPECT_EQ(std::filesystem::file_size(next), 8u);
  ASSERT_OK(store_->Append("g", "s", {{500, "new"}}, true));
  EXPECT_TRUE(std::filesystem::exists(segment_.substr(0, segment_.size() - 14) + "0000000003.log"));
}

TEST(LogStoreRetentionTest, DeletesWholeSegmentsOnly) {
  TempDir dir;
  FakeClock clock;
  LogStoreOptions opts;
  opts.segment_bytes = 4096;
  auto store = OpenOrDie(dir.path(), clock, opts);
  ASSERT_OK(store->CreateGroup("g", {}));
  int64_t now = clock.NowMs();
  // 40-byte messages: 68-byte records, 60 per 4096-byte segment (6 batches of 10).
  auto msg = [](const char* tag, int i) {
    std::string m = std::string(tag) + std::to_string(i);
    return m + std::string(40 - m.size(), '.');
  };
  for (int b = 0; b < 29; ++b) {
    std::vector<InputEvent> ev;
    for (int k = 0; k < 10; ++k)
      ev.push_back({now - 10 * kDay + b * 10 + k, msg("old", b * 10 + k)});
    ASSERT_OK(store->Append("g", "s", ev, false, true));
  }
  std::vector<InputEvent> fresh;
  for (int k = 0; k < 5; ++k) fresh.push_back({now - 3600'000, msg("new", k)});
  ASSERT_OK(store->Append("g", "s", fresh, false));  // shares segment 5 with 50 old events
  ASSERT_OK(store->Flush());
  ASSERT_EQ(SegmentFilesOf(dir.path()).size(), 5u);
  int64_t bytes_before = store->DescribeGroup("g")->stored_bytes;

  store->EnforceRetention();  // no retention set: nothing happens
  EXPECT_EQ(SegmentFilesOf(dir.path()).size(), 5u);
  ASSERT_OK(store->SetRetention("g", 7));
  store->EnforceRetention();
  std::vector<std::string> files = SegmentFilesOf(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(std::filesystem::path(files[0]).filename(), "0000000005.log");
  std::vector<StoredEvent> ev = ReadAll(store.get(), "g", "s");
  ASSERT_EQ(ev.size(), 55u);  // the old events of the kept segment stay: no row deletes
  EXPECT_EQ(ev.front().message, msg("old", 240));
  EXPECT_EQ(ev.back().message, msg("new", 4));
  EXPECT_EQ(store->DescribeGroup("g")->stored_bytes, bytes_before - 4 * 4088);
  EXPECT_EQ(store->ListStreams("g")->at(0).first_event_timestamp, now - 10 * kDay + 240);

  // Later everything expires, the active segment included; numbering carries on.
  clock.Set(now + 8 * kDay);
  store->EnforceRetention();
  EXPECT_TRUE(ReadAll(store.get(), "g", "s").empty());
  EXPECT_FALSE(store->ListStreams("g")->at(0).first_event_timestamp.has_value());
  store.reset();
  store = OpenOrDie(dir.path(), clock, opts);
  ASSERT_OK(store->Append("g", "s", {{now + 8 * kDay, "later"}}, true));
  files = SegmentFilesOf(dir.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(std::filesystem::path(files[0]).filename(), "0000000006.log");  // empty, kept
  EXPECT_EQ(std::filesystem::path(files[1]).filename(), "0000000007.log");
  store->EnforceRetention();
  EXPECT_EQ(SegmentFilesOf(dir.path()).size(), 1u);  // the empty older one goes
  EXPECT_EQ(ReadAll(store.get(), "g", "s").size(), 1u);
}

// A write that fails (here: the file size limit, as a full disk would) loses only the
// unwritten buffer, is reported, and leaves the indexes agreeing with the file.
TEST(LogStoreRecoveryTest, FailedWriteDropsTheBufferAndKeepsIndexesTrue) {
  TempDir dir;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    FakeClock clock;
    LogStoreOptions opts;
    opts.write_buffer_bytes = 16 << 10;
    opts.warn = [](const std::string&) {};
    Result<std::unique_ptr<LogStore>> r = LogStore::Open(dir.path(), clock, opts);
    if (!r.ok() || !(*r)->CreateGroup("g", {}).ok()) _exit(2);
    LogStore* store = r->get();
    struct rlimit lim;
    getrlimit(RLIMIT_FSIZE, &lim);
    rlimit small = lim;
    small.rlim_cur = 100'000;
    setrlimit(RLIMIT_FSIZE, &small);
    int i = 0, failures = 0;
    for (; i < 20000 && failures == 0; i += 50) {
      failures += !store->Append("g", "s", Events(i, i + 50, 0), false, true).ok();
    }
    setrlimit(RLIMIT_FSIZE, &lim);
    if (failures == 0) _exit(3);
    std::vector<StoredEvent> got = ReadAll(store, "g", "s");
    if (got.empty() || got.size() >= static_cast<size_t>(i)) _exit(4);
    for (size_t k = 0; k < got.size(); ++k) {
      if (got[k].message != "e" + std::to_string(k)) _exit(5);  // a prefix, intact
    }
    if (!store->Append("g", "s", {{1'000'000, "after"}}, true).ok()) _exit(6);
    if (ReadAll(store, "g", "s").back().message != "after") _exit(7);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  FakeClock clock;
  auto store = OpenOrDie(dir.path(), clock);
  std::vector<StoredEvent> got = ReadAll(store.get(), "g", "s");
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().message, "after");
}

TEST(LogStoreRecoveryTest, OrphanGroupDirectoriesAreRemoved) {
  TempDir dir;
  FakeClock clock;
  auto store = OpenOrDie(dir.path(), clock);
  ASSERT_OK(store->CreateGroup("g", {}));
  ASSERT_OK(store->Append("g", "s", Events(0, 3, 0), true, true));
  store.reset();
  std::filesystem::create_directory(dir.path() + "/g77");  // a DeleteGroup cut short
  store = OpenOrDie(dir.path(), clock);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/g77"));
  EXPECT_EQ(ReadAll(store.get(), "g", "s").size(), 3u);
}

TEST(LogStoreRetentionTest, SegmentsRollDailySoRetentionDropsDays) {
  TempDir dir;
  FakeClock clock;
  auto store = OpenOrDie(dir.path(), clock);
  ASSERT_OK(store->CreateGroup("g", {}));
  ASSERT_OK(store->SetRetention("g", 1));
  int64_t t0 = clock.NowMs();
  for (int day = 0; day < 4; ++day) {
    clock.Set(t0 + day * kDay);
    ASSERT_OK(store->Append("g", "s", {{clock.NowMs(), "day" + std::to_string(day)}}, false, true));
  }
  EXPECT_EQ(SegmentFilesOf(dir.path()).size(), 4u);
  store->EnforceRetention();  // now = day 3: days 0 and 1 are older than a day
  std::vector<StoredEvent> ev = ReadAll(store.get(), "g", "s");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].message, "day2");
  EXPECT_EQ(SegmentFilesOf(dir.path()).size(), 2u);
}

// Not asserted: prints ingest and scan rates, and grep -c on the same text for comparison.
TEST(LogStoreBenchmark, AppendAndFilter200MB) {
  TempDir dir;
  SystemClock clock;
  auto store = OpenOrDie(dir.path(), clock);
  ASSERT_OK(store->CreateGroup("bench", {}));
  // BERTH_LOG_BENCH_MB=1024 for the 1 GB figure.
  const char* env_mb = getenv("BERTH_LOG_BENCH_MB");
  const size_t kTarget = (env_mb != nullptr ? std::strtoul(env_mb, nullptr, 10) : 200u) << 20;
  std::string text_path = dir.path() + "/equivalent.txt";
  std::ofstream text(text_path, std::ios::binary);
  const char* words[] = {"GET",     "POST",  "/api/v1/users", "200",   "404",  "took",
                         "request", "user",  "session",       "cache", "miss", "hit",
                         "db",      "query", "INFO"};
  size_t bytes = 0, events = 0;
  double append_s = 0;
  uint64_t x = 88172645463325252ull;
  int64_t ts = clock.NowMs();
  std::vector<InputEvent> batch;
  while (bytes < kTarget) {
    batch.clear();
    for (int k = 0; k < 1000; ++k, ++events) {
      char line[160];
      int n = snprintf(line, sizeof(line), "2026-11-28T19:34:%02zu.%03zuZ INFO req=%08zx",
                       events % 60, events % 1000, events);
      for (int w = 0; w < 8; ++w) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n += snprintf(line + n, sizeof(line) - n, " %s", words[x % 15]);
      }
      if (events % 100000 == 7) n += snprintf(line + n, sizeof(line) - n, " NEEDLE_XYZ");
      batch.push_back({ts + static_cast<int64_t>(events / 1000), std::string(line, n)});
      text << batch.back().message << '\n';
      bytes += n;
    }
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_OK(store->Append("bench", "stream", batch, false, true));
    append_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  text.close();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK(store->Flush());
  double flush_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long rss_kb = 0;
  {
    std::ifstream st("/proc/self/status");
    for (std::string line; std::getline(st, line);) {
      if (line.rfind("VmRSS:", 0) == 0) rss_kb = std::stol(line.substr(6));
    }
  }
  const std::string needle = "NEEDLE_XYZ";
  FilterRequest req = Fr("bench");
  req.match = [&needle](std::string_view m) {
    return memmem(m.data(), m.size(), needle.data(), needle.size()) != nullptr;
  };
  double scan_s = 1e9;
  size_t found = 0;
  for (int rep = 0; rep < 3; ++rep) {  // the first pass warms the page cache
    t0 = std::chrono::steady_clock::now();
    Result<FilterPage> page = store->Filter(req);
    scan_s = std::min(scan_s,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_TRUE(page.ok());
    found = page->events.size();
  }
  double grep_s = 1e9;
  size_t grep_count = 0;
  for (int rep = 0; rep < 3; ++rep) {
    // Through a pipe: with stdout on /dev/null grep stops at the first match.
    t0 = std::chrono::steady_clock::now();
    std::string cmd = "grep -c " + needle + " " + text_path;
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char out[64] = {0};
    EXPECT_NE(fgets(out, sizeof(out), p), nullptr);
    pclose(p);
    grep_s = std::min(grep_s,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    grep_count = std::strtoul(out, nullptr, 10);
  }
  EXPECT_EQ(grep_count, found);
  double mb = bytes / 1048576.0;
  int64_t stored = store->DescribeGroup("bench")->stored_bytes;
  printf("[ bench    ] %zu events, %.0f MiB of messages, %.0f MiB stored\n", events, mb,
         stored / 1048576.0);
  printf("[ bench    ] Append (durable=false): %.0f MB/s of messages; Flush %.2f s; RSS %ld MiB\n",
         mb / append_s, flush_s, rss_kb / 1024);
  printf(
      "[ bench    ] Filter memmem: %.0f MB/s of messages (%zu hits); grep -c: %.0f MB/s; "
      "ratio %.2f\n",
      mb / scan_s, found, mb / grep_s, grep_s / scan_s);
  EXPECT_EQ(found, (events + 99999 - 7) / 100000);

  // Latency of the pages a client asks for first, and of reopening (the index rebuild).
  auto ms_since = [](auto t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  t0 = std::chrono::steady_clock::now();
  Result<FilterPage> first = store->Filter(Fr("bench").Match(
      [](std::string_view m) { return m.find("session") != std::string_view::npos; }));
  double filter_first_ms = ms_since(t0);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->next_token.empty());
  t0 = std::chrono::steady_clock::now();
  Result<StreamPage> newest = store->GetEvents(PageRequest("bench", "stream"));
  double newest_ms = ms_since(t0);
  ASSERT_TRUE(newest.ok());
  store.reset();
  t0 = std::chrono::steady_clock::now();
  store = OpenOrDie(dir.path(), clock);
  double reopen_ms = ms_since(t0);
  printf(
      "[ bench    ] first Filter page (common term, %zu events) %.1f ms; newest GetEvents "
      "page (%zu events) %.1f ms; reopen %.0f ms (%.0f MB/s)\n",
      first->events.size(), filter_first_ms, newest->events.size(), newest_ms, reopen_ms,
      stored / 1048576.0 / (reopen_ms / 1000));
}

}  // namespace
}  // namespace berth::logs
