// A path under the temp directory for one test: named after the test and this process (ctest
// runs tests in parallel), emptied when it is made and removed when it is destroyed — a
// directory with what is in it, or a database with its SQLite -wal, -shm and -journal files —
// so that tests leave nothing behind. Declare it before what keeps files open there.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace berth {

class TestTempPath {
 public:
  // TMPDIR/<prefix>-<pid>-<test name><suffix>
  explicit TestTempPath(const std::string& prefix, const std::string& suffix = "")
      : path_((std::filesystem::temp_directory_path() /
               (prefix + "-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix))
                  .string()) {
    Remove();
  }
  ~TestTempPath() { Remove(); }
  TestTempPath(const TestTempPath&) = delete;
  TestTempPath& operator=(const TestTempPath&) = delete;

  const std::string& path() const { return path_; }

 private:
  void Remove() const {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    for (const char* sqlite_file : {"-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_ + sqlite_file, ignored);
    }
  }

  std::string path_;
};

}  // namespace berth
