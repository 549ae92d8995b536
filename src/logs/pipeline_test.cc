#include "logs/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "logs/multiline.h"

namespace berth::logs {
namespace {

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    dir_ = (std::filesystem::temp_directory_path() /
            ("berth-pipeline-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    store_ = std::move(*LogStore::Open(dir_, clock_));
    pipeline_ = std::make_unique<Pipeline>(*store_, clock_);
  }
  ~PipelineTest() override {
    pipeline_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> Events(const std::string& group, const std::string& stream) {
    StreamPageRequest req;
    req.group = group;
    req.stream = stream;
    req.start_from_head = true;
    auto page = store_->GetEvents(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& e : page->events) out.push_back(e.message);
    }
    return out;
  }

  ContainerLogConfig Config() {
    ContainerLogConfig c;
    c.group = "/test/g";
    c.stream = "p/web/task";
    c.create_group = true;
    return c;
  }

  SystemClock clock_;
  std::string dir_;
  std::unique_ptr<LogStore> store_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, LinesFromBothStreamsBecomeEventsOfOneStream) {
  auto log = pipeline_->Open(Config());
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  (*log)->Write("one\ntw", false);
  (*log)->Write("err\n", true);
  (*log)->Write("o\n\nlast-without-newline", false);
  (*log)->Close();
  EXPECT_EQ(Events("/test/g", "p/web/task"),
            (std::vector<std::string>{"one", "err", "two", "last-without-newline"}));
}

TEST_F(PipelineTest, MissingGroupWithoutCreateGroupFails) {
  ContainerLogConfig c = Config();
  c.create_group = false;
  auto log = pipeline_->Open(c);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("The specified log group does not exist."),
            std::string::npos);
  ASSERT_TRUE(store_->CreateGroup("/test/g", {}).ok());
  EXPECT_TRUE(pipeline_->Open(c).ok());
}

TEST_F(PipelineTest, DatetimeFormatGroupsAStackTrace) {
  ContainerLogConfig c = Config();
  c.start_pattern = DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S");
  auto log = pipeline_->Open(c);
  ASSERT_TRUE(log.ok());
  (*log)->Write("[2026-11-28 19:34:01] production.ERROR: boom\n#0 a.php(1)\n#1 b.php(2)\n", true);
  (*log)->Write("[2026-11-28 19:34:02] production.INFO: ok\n", true);
  (*log)->Close();
  EXPECT_EQ(Events("/test/g", "p/web/task"),
            (std::vector<std::string>{
                "[2026-11-28 19:34:01] production.ERROR: boom\n#0 a.php(1)\n#1 b.php(2)\n",
                "[2026-11-28 19:34:02] production.INFO: ok\n"}));
}

TEST_F(PipelineTest, PhpFpmUnwrappingBeforeGrouping) {
  ContainerLogConfig c = Config();
  c.php_fpm_unwrap = true;
  c.start_pattern = DatetimeFormatToRegex("%Y-%m-%d %H:%M:%S");
  auto log = pipeline_->Open(c);
  ASSERT_TRUE(log.ok());
  const std::string p = "[28-Nov-2026 19:34:00] WARNING: [pool www] child 7 said into stderr: \"";
  (*log)->Write(p + "[2026-11-28 19:34:02] production.ERROR: boom\"\n" + p + "#0 x.php(3)\"\n", true);
  (*log)->Close();
  EXPECT_EQ(Events("/test/g", "p/web/task"),
            (std::vector<std::string>{"[2026-11-28 19:34:02] production.ERROR: boom\n#0 x.php(3)\n"}));
}

TEST_F(PipelineTest, NonBlockingDropsNewLinesWhenTheRingIsFull) {
  ContainerLogConfig c = Config();
  c.non_blocking = true;
  c.max_buffer_bytes = 10;
  auto log = pipeline_->Open(c);
  ASSERT_TRUE(log.ok());
  // One chunk is queued under the logger's lock, so the worker cannot drain in between: the
  // empty ring takes the first (oversized) line and every later one is dropped, as Docker's.
  std::string chunk;
  for (int i = 0; i < 1000; ++i) chunk += "line number " + std::to_string(i) + "\n";
  (*log)->Write(chunk, false);
  (*log)->Close();
  EXPECT_EQ((*log)->dropped_lines(), 999u);
  EXPECT_EQ(Events("/test/g", "p/web/task"), (std::vector<std::string>{"line number 0"}));
}

TEST_F(PipelineTest, NonBlockingWithRoomKeepsEverything) {
  ContainerLogConfig c = Config();
  c.non_blocking = true;
  auto log = pipeline_->Open(c);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 100; ++i) (*log)->Write("l" + std::to_string(i) + "\n", i % 2 == 1);
  (*log)->Close();
  EXPECT_EQ((*log)->dropped_lines(), 0u);
  EXPECT_EQ(Events("/test/g", "p/web/task").size(), 100u);
}

// The commit listener tells a driver where to resume after a restart: every line up to the
// reported position is in a stored event, none after it is.
TEST_F(PipelineTest, CommitPositionsFollowWhatIsStored) {
  auto log = pipeline_->Open(Config());
  ASSERT_TRUE(log.ok());
  std::vector<int64_t> commits;
  (*log)->SetCommitListener([&](int64_t p) { commits.push_back(p); });
  (*log)->Write("one\n", false, 10);
  (*log)->Write("half of ", true, 11);  // no line completed: nothing new is stored
  (*log)->Write("two\n", true, 12);
  EXPECT_EQ(commits, (std::vector<int64_t>{10, 12}));
  EXPECT_EQ(Events("/test/g", "p/web/task"), (std::vector<std::string>{"one", "half of two"}));
}

TEST_F(PipelineTest, CommitPositionsWaitForTheEventTheGrouperHolds) {
  ContainerLogConfig c = Config();
  c.start_pattern = "^START";
  auto log = pipeline_->Open(c);
  ASSERT_TRUE(log.ok());
  std::vector<int64_t> commits;
  (*log)->SetCommitListener([&](int64_t p) { commits.push_back(p); });
  (*log)->Write("START a\n", false, 1);
  (*log)->Write("  more a\n", false, 2);
  EXPECT_TRUE(commits.empty());  // both lines are in the event being assembled
  (*log)->Write("START b\n", false, 3);
  // "START a" + "more a" are stored; "START b" is held: resume after 2, not 3.
  EXPECT_EQ(commits, (std::vector<int64_t>{2}));
  (*log)->Close();
  EXPECT_EQ(commits, (std::vector<int64_t>{2, 3}));
}

TEST_F(PipelineTest, CommitPositionsWithPhpFpmUnwrapping) {
  const std::string p = "[28-Nov-2026 19:34:00] WARNING: [pool www] child 7 said into stderr: \"";
  const std::string full = p + "12345678\"";
  ContainerLogConfig c = Config();
  c.php_fpm_unwrap = true;
  c.php_fpm_log_limit = full.size() + 1;  // `full` was cut at log_limit: continued next line
  auto log = pipeline_->Open(c);
  ASSERT_TRUE(log.ok());
  std::vector<int64_t> commits;
  (*log)->SetCommitListener([&](int64_t p) { commits.push_back(p); });
  (*log)->Write(full + "\n", true, 5);
  EXPECT_TRUE(commits.empty());
  (*log)->Write(p + "9\"\n", true, 6);  // ends the joined line
  (*log)->Write("plain\n", true, 7);
  EXPECT_EQ(commits, (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(Events("/test/g", "p/web/task"), (std::vector<std::string>{"123456789", "plain"}));
}

}  // namespace
}  // namespace berth::logs
