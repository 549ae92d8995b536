// LogStore: CloudWatch Logs semantics — groups and streams, GetLogEvents paging, time bounds,
// FilterLogEvents ordering and paging, stable event ids. Crash recovery, retention and the
// micro-benchmark are in log_store_recovery_test.cc.
#include "logs/log_store.h"

#include <gtest/gtest.h>
#include <string.h>

#include <atomic>
#include <set>
#include <thread>

#include "logs/log_store_test_util.h"

namespace berth::logs {
namespace {

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenOrDie(dir_.path(), clock_); }
  void Reopen(LogStoreOptions options = {}) {
    store_.reset();
    store_ = OpenOrDie(dir_.path(), clock_, std::move(options));
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<LogStore> store_;
};

TEST_F(LogStoreTest, GroupsAndStreamsUseCloudWatchMessages) {
  ASSERT_OK(store_->CreateGroup("b", {{"team", "x"}}));
  ASSERT_OK(store_->CreateGroup("B", {}));
  Status s = store_->CreateGroup("b", {});
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "The specified log group already exists");

  s = store_->CreateStream("nope", "s");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "The specified log group does not exist.");
  ASSERT_OK(store_->CreateStream("b", "s1"));
  s = store_->CreateStream("b", "s1");
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "The specified log stream already exists");
  s = store_->DeleteStream("b", "s2");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "The specified log stream does not exist.");
  s = store_->Append("b", "s2", Events(0, 1, 5), false);
  EXPECT_EQ(s.message(), "The specified log stream does not exist.");
  EXPECT_EQ(store_->DescribeGroup("zz").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ListStreams("zz").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Append("zz", "s", Events(0, 1, 5), false).code(), Code::kNotFound);

  ASSERT_OK(store_->SetRetention("b", 7));
  ASSERT_OK(store_->TagGroup("b", {{"env", "prod"}, {"team", "y"}}));
  ASSERT_OK(store_->UntagGroup("b", {"env"}));
  clock_.Set(clock_.NowMs() + 5);
  ASSERT_OK(store_->CreateStream("b", "s0"));

  auto check = [&] {
    std::vector<GroupInfo> groups = store_->ListGroups();
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].name, "B");  // ASCII order
    EXPECT_EQ(groups[1].name, "b");
    EXPECT_EQ(groups[1].retention_days, 7);
    EXPECT_FALSE(groups[0].retention_days.has_value());
    EXPECT_EQ(groups[1].tags, (std::vector<std::pair<std::string, std::string>>{{"team", "y"}}));
    EXPECT_EQ(groups[1].creation_time, 1'700'000'000'000);
    Result<std::vector<StreamInfo>> streams = store_->ListStreams("b");
    ASSERT_TRUE(streams.ok());
    ASSERT_EQ(streams->size(), 2u);
    EXPECT_EQ((*streams)[0].name, "s0");
    EXPECT_EQ((*streams)[0].creation_time, 1'700'000'000'005);
    EXPECT_EQ((*streams)[1].name, "s1");
    EXPECT_FALSE((*streams)[1].first_event_timestamp.has_value());
  };
  check();
  Reopen();  // everything administrative survives a restart
  check();

  ASSERT_OK(store_->SetRetention("b", std::nullopt));
  EXPECT_FALSE(store_->DescribeGroup("b")->retention_days.has_value());
  ASSERT_OK(store_->DeleteGroup("b"));
  EXPECT_EQ(store_->DeleteGroup("b").message(), "The specified log group does not exist.");
  ASSERT_OK(store_->CreateGroup("b", {}));  // a new, empty group
  EXPECT_TRUE(store_->ListStreams("b")->empty());
}

TEST_F(LogStoreTest, AppendCreatesStreamOnlyWhenAsked) {
  ASSERT_OK(store_->CreateGroup("g", {}));
  ASSERT_OK(store_->Append("g", "ecs/web/1", Events(0, 3, 100), false, /*create_stream=*/true));
  ASSERT_OK(store_->Append("g", "ecs/web/1", Events(3, 5, 100), false, /*create_stream=*/true));
  EXPECT_EQ(ReadAll(store_.get(), "g", "ecs/web/1").size(), 5u);
  clock_.Set(clock_.NowMs() + 42);
  ASSERT_OK(store_->Append("g", "ecs/web/1", Events(5, 6, 100), false));
  Result<std::vector<StreamInfo>> streams = store_->ListStreams("g");
  ASSERT_EQ(streams->size(), 1u);
  EXPECT_EQ((*streams)[0].first_event_timestamp, 100);
  EXPECT_EQ((*streams)[0].last_event_timestamp, 105);
  EXPECT_EQ((*streams)[0].last_ingestion_time, 1'700'000'000'042);
}

TEST_F(LogStoreTest, GetEventsPagesFiftyThousandEventsBothWays) {
  ASSERT_OK(store_->CreateGroup("g", {}));
  ASSERT_OK(store_->CreateStream("g", "s"));
  ASSERT_OK(store_->CreateStream("g", "other"));
  const int kN = 50000;
  for (int i = 0; i < kN; i += 500) {
    ASSERT_OK(store_->Append("g", "s", Events(i, i + 500, 1'000'000), i % 5000 == 0));
    ASSERT_OK(store_->Append("g", "other", Events(i, i + 7, 1'000'000, "o"), false));
  }
  for (int limit : {10000, 777}) {
    SCOPED_TRACE(limit);
    // Forward from the head until the token comes back unchanged.
    std::vector<StoredEvent> all = ReadAll(store_.get(), "g", "s", limit);
    ASSERT_EQ(all.size(), static_cast<size_t>(kN));
    for (int i = 0; i < kN; ++i) ASSERT_EQ(all[i].message, "e" + std::to_string(i));

    // Backward from the newest page.
    StreamPageRequest req = PageRequest("g", "s", limit);
    std::vector<std::vector<StoredEvent>> pages;
    for (int guard = 0; guard < 1000; ++guard) {
      Result<StreamPage> page = store_->GetEvents(req);
      ASSERT_TRUE(page.ok());
      ASSERT_FALSE(page->next_forward_token.empty());
      ASSERT_FALSE(page->next_backward_token.empty());
      if (pages.empty()) {  // startFromHead=false: the newest page
        ASSERT_EQ(page->events.size(), static_cast<size_t>(limit));
        EXPECT_EQ(page->events.back().message, "e" + std::to_string(kN - 1));
        // Its forward token is at the end: echoed back.
        StreamPageRequest fwd = req;
        fwd.token = page->next_forward_token;
        Result<StreamPage> end = store_->GetEvents(fwd);
        EXPECT_TRUE(end->events.empty());
        EXPECT_EQ(end->next_forward_token, fwd.token);
      }
      for (size_t i = 1; i < page->events.size(); ++i) {
        ASSERT_LE(page->events[i - 1].timestamp, page->events[i].timestamp);  // ascending
      }
      if (page->next_backward_token == req.token) {
        EXPECT_TRUE(page->events.empty());
        break;
      }
      pages.push_back(std::move(page->events));
      req.token = page->next_backward_token;
    }
    std::vector<StoredEvent> back;
    for (auto it = pages.rbegin(); it != pages.rend(); ++it) {
      back.insert(back.end(), it->begin(), it->end());
    }
    ASSERT_EQ(back.size(), static_cast<size_t>(kN));
    for (int i = 0; i < kN; ++i) ASSERT_EQ(back[i].message, "e" + std::to_string(i));
  }
}

TEST_F(LogStoreTest, GetEventsTimeBoundsAndTokens) {
  ASSERT_OK(store_->CreateGroup("g", {}));
  ASSERT_OK(store_->CreateStream("g", "s"));
  StreamPageRequest empty = PageRequest("g", "s");
  Result<StreamPage> page = store_->GetEvents(empty);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->events.empty());
  EXPECT_FALSE(page->next_forward_token.empty());
  EXPECT_FALSE(page->next_backward_token.empty());

  ASSERT_OK(store_->Append("g", "s", Events(0, 1000, 1000), true));
  StreamPageRequest req = PageRequest("g", "s", 30, /*start_from_head=*/true);
  req.start_time = 1200;
  req.end_time = 1300;
  std::vector<int64_t> ts;
  for (int guard = 0; guard < 100; ++guard) {
    Result<StreamPage> p = store_->GetEvents(req);
    ASSERT_TRUE(p.ok());
    for (const StoredEvent& e : p->events) ts.push_back(e.timestamp);
    if (p->next_forward_token == req.token) break;
    req.token = p->next_forward_token;
  }
  ASSERT_EQ(ts.size(), 100u);  // startTime inclusive, endTime exclusive
  EXPECT_EQ(ts.front(), 1200);
  EXPECT_EQ(ts.back(), 1299);

  req.token.clear();
  req.start_from_head = false;
  page = store_->GetEvents(req);
  ASSERT_EQ(page->events.size(), 30u);
  EXPECT_EQ(page->events.front().timestamp, 1270);
  EXPECT_EQ(page->events.back().timestamp, 1299);

  req.token = "x/12";
  EXPECT_EQ(store_->GetEvents(req).status().code(), Code::kInvalidArgument);
  req.token = "f/";
  EXPECT_EQ(store_->GetEvents(req).status().code(), Code::kInvalidArgument);
}

TEST_F(LogStoreTest, PagesStopAtTheByteBudget) {
  LogStoreOptions small_pages;
  small_pages.page_bytes = 10'000;
  Reopen(small_pages);
  ASSERT_OK(store_->CreateGroup("g", {}));
  ASSERT_OK(store_->CreateStream("g", "s"));
  std::vector<InputEvent> big;
  for (int i = 0; i < 20; ++i) big.push_back({i, std::string(3000, 'a' + i)});
  big.push_back({20, std::string(50'000, 'z')});  // larger than a page: still returned alone
  ASSERT_OK(store_->Append("g", "s", big, false));
  StreamPageRequest req = PageRequest("g", "s", 10000, /*start_from_head=*/true);
  Result<StreamPage> page = store_->GetEvents(req);
  EXPECT_EQ(page->events.size(), 3u);  // 3 x 3026 <= 10000 < 4 x 3026
  std::vector<StoredEvent> all = ReadAll(store_.get(), "g", "s");
  ASSERT_EQ(all.size(), 21u);
  EXPECT_EQ(all.back().message.size(), 50'000u);

  FilterRequest f = Fr("g");
  size_t seen = 0;
  for (int guard = 0; guard < 100; ++guard) {
    Result<FilterPage> fp = store_->Filter(f);
    ASSERT_TRUE(fp.ok());
    EXPECT_LE(fp->events.size(), 3u);
    seen += fp->events.size();
    if (fp->next_token.empty()) break;
    f.token = fp->next_token;
  }
  EXPECT_EQ(seen, 21u);
}

// Three streams with interleaved, tied and out-of-order timestamps.
class FilterTest : public LogStoreTest {
 protected:
  void SetUp() override {
    LogStoreTest::SetUp();
    ASSERT_OK(store_->CreateGroup("g", {}));
    for (const char* s : {"app/a", "app/b", "db/c"}) ASSERT_OK(store_->CreateStream("g", s));
    for (int round = 0; round < 40; ++round) {
      for (const char* s : {"db/c", "app/b", "app/a"}) {
        std::vector<InputEvent> batch;
        for (int k = 0; k < 5; ++k) {
          int64_t ts = 1000 + (round % 10) * 10 + k;  // rounds repeat the same times
          batch.push_back({ts, std::string(s) + " r" + std::to_string(round) + " k" +
                                   std::to_string(k) + (k == 3 ? " ERROR" : "")});
        }
        ASSERT_OK(store_->Append("g", s, batch, false));
        clock_.Set(clock_.NowMs() + 1);
      }
    }
  }

  std::vector<StoredEvent> FilterAll(FilterRequest req) {
    std::vector<StoredEvent> out;
    for (int guard = 0; guard < 10000; ++guard) {
      Result<FilterPage> page = store_->Filter(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->events.size(), static_cast<size_t>(req.limit));
      for (StoredEvent& e : page->events) out.push_back(std::move(e));
      if (page->next_token.empty()) break;
      req.token = page->next_token;
    }
    return out;
  }
};

TEST_F(FilterTest, SortsByTimeThenIngestionAcrossStreamsAndPages) {
  std::vector<StoredEvent> all = FilterAll(Fr("g").Limit(7));
  ASSERT_EQ(all.size(), 600u);
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].event_id);
    if (i == 0) continue;
    ASSERT_LE(all[i - 1].timestamp, all[i].timestamp);
    if (all[i - 1].timestamp == all[i].timestamp) {
      ASSERT_LE(all[i - 1].ingestion_time, all[i].ingestion_time);
    }
  }
  EXPECT_EQ(ids.size(), 600u);
  // Ties at 1000: round 0 then 10, 20, 30; within a round db/c was appended first.
  EXPECT_EQ(all[0].message, "db/c r0 k0");
  EXPECT_EQ(all[1].message, "app/b r0 k0");
  EXPECT_EQ(all[2].message, "app/a r0 k0");
  EXPECT_EQ(all[3].message, "db/c r10 k0");
  EXPECT_EQ(all[0].stream, "db/c");
  // One page of everything gives the same sequence.
  std::vector<StoredEvent> one = FilterAll(Fr("g"));
  ASSERT_EQ(one.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(one[i].event_id, all[i].event_id);
}

TEST_F(FilterTest, NamesPrefixTimesAndPredicate) {
  auto error = [](std::string_view m) { return m.find("ERROR") != std::string_view::npos; };
  std::vector<StoredEvent> errs = FilterAll(Fr("g").Match(error).Limit(9));
  EXPECT_EQ(errs.size(), 120u);
  for (const StoredEvent& e : errs) EXPECT_NE(e.message.find("ERROR"), std::string::npos);

  std::vector<StoredEvent> app = FilterAll(Fr("g").Prefix("app/").Limit(11));
  EXPECT_EQ(app.size(), 400u);
  for (const StoredEvent& e : app) EXPECT_EQ(e.stream.rfind("app/", 0), 0u);

  std::vector<StoredEvent> named = FilterAll(Fr("g").Names({"db/c", "nope"}).Match(error).Limit(3));
  EXPECT_EQ(named.size(), 40u);
  for (const StoredEvent& e : named) EXPECT_EQ(e.stream, "db/c");

  // startTime and endTime both inclusive.
  std::vector<StoredEvent> window = FilterAll(Fr("g").Times(1010, 1012).Limit(5));
  EXPECT_EQ(window.size(), 3u * 3u * 4u);
  for (const StoredEvent& e : window) {
    EXPECT_GE(e.timestamp, 1010);
    EXPECT_LE(e.timestamp, 1012);
  }
  EXPECT_EQ(store_->Filter(Fr("nope")).status().message(),
            "The specified log group does not exist.");
  EXPECT_EQ(store_->Filter(Fr("g").Token("junk")).status().code(), Code::kInvalidArgument);
  Result<FilterPage> none = store_->Filter(Fr("g").Names({"x"}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_TRUE(none->next_token.empty());
}

TEST_F(FilterTest, EventIdsAreStableAcrossReopen) {
  std::vector<StoredEvent> before = FilterAll(Fr("g").Limit(50));
  std::vector<StoredEvent> stream_before = ReadAll(store_.get(), "g", "app/a");
  Reopen();
  std::vector<StoredEvent> after = FilterAll(Fr("g").Limit(50));
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].event_id, after[i].event_id);
    EXPECT_EQ(before[i].message, after[i].message);
    EXPECT_EQ(before[i].ingestion_time, after[i].ingestion_time);
  }
  // Appends after a restart get fresh ids; old ones keep theirs.
  ASSERT_OK(store_->Append("g", "app/a", {{5000, "late"}}, false));
  std::vector<StoredEvent> stream_after = ReadAll(store_.get(), "g", "app/a");
  ASSERT_EQ(stream_after.size(), stream_before.size() + 1);
  for (size_t i = 0; i < stream_before.size(); ++i) {
    EXPECT_EQ(stream_before[i].event_id, stream_after[i].event_id);
  }
  for (const StoredEvent& e : before) EXPECT_NE(e.event_id, stream_after.back().event_id);
}

TEST_F(FilterTest, DeletedStreamsDisappearAndNamesCanBeReused) {
  ASSERT_OK(store_->DeleteStream("g", "app/b"));
  EXPECT_EQ(FilterAll(Fr("g")).size(), 400u);
  ASSERT_OK(store_->CreateStream("g", "app/b"));
  EXPECT_TRUE(ReadAll(store_.get(), "g", "app/b").empty());
  Reopen();
  EXPECT_TRUE(ReadAll(store_.get(), "g", "app/b").empty());
  EXPECT_EQ(FilterAll(Fr("g")).size(), 400u);
}

TEST_F(LogStoreTest, SubscribersHearAppends) {
  ASSERT_OK(store_->CreateGroup("g", {}));
  std::vector<std::string> heard;
  uint64_t id = store_->Subscribe([&](const std::string& g) { heard.push_back(g); });
  ASSERT_OK(store_->Append("g", "s", Events(0, 2, 1), false, true));
  ASSERT_OK(store_->Append("g", "s", Events(2, 4, 1), true));
  EXPECT_EQ(heard, (std::vector<std::string>{"g", "g"}));
  store_->Unsubscribe(id);
  ASSERT_OK(store_->Append("g", "s", Events(4, 5, 1), false));
  EXPECT_EQ(heard.size(), 2u);
}

TEST_F(LogStoreTest, StoredBytesComeFromSegmentSizes) {
  ASSERT_OK(store_->CreateGroup("g", {}));
  ASSERT_OK(store_->Append("g", "a", {{1, "hello"}, {2, "world!"}}, false, true));
  ASSERT_OK(store_->Append("g", "b", {{3, "x"}}, false, true));
  ASSERT_OK(store_->Flush());
  int64_t on_disk = 0;
  for (const std::string& f : SegmentFilesOf(dir_.path())) {
    on_disk += static_cast<int64_t>(std::filesystem::file_size(f));
  }
  EXPECT_EQ(store_->DescribeGroup("g")->stored_bytes, on_disk);
  EXPECT_EQ(on_disk, 8 + 3 * 28 + 5 + 6 + 1);
  Result<std::vector<StreamInfo>> streams = store_->ListStreams("g");
  EXPECT_EQ((*streams)[0].stored_bytes, 2 * 28 + 11);
  EXPECT_EQ((*streams)[1].stored_bytes, 28 + 1);
}

TEST_F(LogStoreTest, ConcurrentAppendsAndReads) {
  ASSERT_OK(store_->CreateGroup("g", {}));
  ASSERT_OK(store_->CreateStream("g", "s"));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; i += 100)
      EXPECT_OK(store_->Append("g", "s", Events(i, i + 100, 0), false));
    done = true;
  });
  size_t last = 0;
  while (!done) {
    Result<FilterPage> f = store_->Filter(Fr("g").Limit(100));
    ASSERT_TRUE(f.ok());
    size_t n = ReadAll(store_.get(), "g", "s").size();
    EXPECT_GE(n, last);  // everything appended is visible at once, in order
    last = n;
  }
  writer.join();
  EXPECT_EQ(ReadAll(store_.get(), "g", "s").size(), 20000u);
}

TEST_F(LogStoreTest, OneProcessPerDirectory) {
  Result<std::unique_ptr<LogStore>> second = LogStore::Open(dir_.path(), clock_);
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace berth::logs
