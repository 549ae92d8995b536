#include "daemon/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/test_temp_path.h"

namespace berth::daemon {
namespace {

TEST(DataDir, CredentialsCreatedOnceWithMode0600) {
  TestTempPath temp("berth-datadir-test");
  const std::string& dir = temp.path();
  ASSERT_TRUE(EnsureDataDir(dir).ok());
  unsetenv("BERTH_ACCESS_KEY_ID");
  auto a = LoadOrCreateCredentials(dir);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->access_key_id.size(), 20u);
  EXPECT_EQ(a->secret_access_key.size(), 40u);
  struct stat st;
  ASSERT_EQ(stat((dir + "/credentials").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto b = LoadOrCreateCredentials(dir);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->access_key_id, b->access_key_id);
  auto c = ReadSharedCredentials(dir + "/credentials", "berth");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->secret_access_key, a->secret_access_key);
  setenv("BERTH_ACCESS_KEY_ID", "AKIDOVERRIDE", 1);
  setenv("BERTH_SECRET_ACCESS_KEY", "secret", 1);
  auto d = LoadOrCreateCredentials(dir);
  unsetenv("BERTH_ACCESS_KEY_ID");
  unsetenv("BERTH_SECRET_ACCESS_KEY");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->access_key_id, "AKIDOVERRIDE");
}

TEST(DataDir, SecondLockHolderIsRefused) {
  TestTempPath temp("berth-datadir-test");
  const std::string& dir = temp.path();
  ASSERT_TRUE(EnsureDataDir(dir).ok());
  ASSERT_TRUE(LockDataDir(dir).ok());
  // flock locks belong to the open file description: a child process must be refused.
  pid_t pid = fork();
  if (pid == 0) {
    Status st = LockDataDir(dir);
    _exit(!st.ok() && st.message().find("another berth daemon") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace berth::daemon
