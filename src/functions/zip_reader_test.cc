#include "functions/zip_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "functions/zip_test_util.h"

namespace berth::functions {
namespace {

using testing::BuildZip;
using testing::TestEntry;

class ZipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-zip-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    dest_ = base_ + "/dest";
    ASSERT_EQ(mkdir(dest_.c_str(), 0755), 0);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
  }
  std::string Read(const std::string& rel) {
    std::ifstream in(dest_ + "/" + rel, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Everything below base_ except dest_ itself and its content.
  std::vector<std::string> OutsideDest() {
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(base_)) {
      if (e.path() != dest_) found.push_back(e.path().string());
    }
    return found;
  }
  // Extracts into a fresh, empty dest_.
  Status Extract(const std::vector<TestEntry>& entries, const ZipLimits& limits = {}) {
    std::error_code ec;
    std::filesystem::remove_all(dest_, ec);
    mkdir(dest_.c_str(), 0755);
    auto r = ExtractZip(BuildZip(entries), dest_, limits);
    return r.status();
  }

  std::string base_, dest_;
};

TEST_F(ZipTest, ExtractsStoredAndDeflatedFilesWithDirectories) {
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  auto r = ExtractZip(BuildZip({{.name = "lib/", .unix_mode = 040755},
                                {.name = "index.js", .data = "exports.handler = 1;\n"},
                                {.name = "lib/util.js", .data = big, .deflate = true},
                                {.name = "lib/raw.txt", .data = "stored", .deflate = false},
                                {.name = "bootstrap", .data = "#!/bin/sh\n", .unix_mode = 0100755},
                                {.name = "./dot/file", .data = "d"}}),
                      dest_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 21u + big.size() + 6 + 10 + 1);
  EXPECT_EQ(Read("index.js"), "exports.handler = 1;\n");
  EXPECT_EQ(Read("lib/util.js"), big);
  EXPECT_EQ(Read("lib/raw.txt"), "stored");
  EXPECT_EQ(Read("dot/file"), "d");
  struct stat st {};
  ASSERT_EQ(stat((dest_ + "/bootstrap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(stat((dest_ + "/index.js").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(ZipTest, NonUnixArchivesGetDefaultModes) {
  ASSERT_TRUE(Extract({{.name = "a.py", .data = "x", .unix_host = false}}).ok());
  struct stat st {};
  ASSERT_EQ(stat((dest_ + "/a.py").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(ZipTest, RejectsUnsafeNames) {
  const char* names[] = {"/etc/passwd", "../escape", "a/../../escape", "a/..", "..", "a//b",
                         "./",          ".",         "x/./../y"};
  for (const char* name : names) {
    Status st = Extract({{.name = name, .data = "evil"}});
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << name << ": " << st.ToString();
  }
  EXPECT_EQ(Extract({{.name = std::string("a\0b", 3), .data = "x"}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = std::string(300, 'n'), .data = "x"}}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(OutsideDest().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dest_));
}

TEST_F(ZipTest, RejectsSymlinksAndSpecialFiles) {
  Status st = Extract({{.name = "link", .data = "/etc/passwd", .unix_mode = 0120777}});
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("symbolic link"), std::string::npos) << st.message();
  EXPECT_EQ(Extract({{.name = "fifo", .data = "", .unix_mode = 010644}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "dev", .data = "", .unix_mode = 020644}}).code(),
            Code::kInvalidArgument);
  // A symlink followed by a file "through" it: the first entry already stops the archive.
  EXPECT_EQ(Extract({{.name = "d", .data = "/tmp", .unix_mode = 0120777},
                     {.name = "d/owned", .data = "x"}})
                .code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(OutsideDest().empty());
}

TEST_F(ZipTest, RejectsDuplicatesAndClashes) {
  EXPECT_EQ(Extract({{.name = "a", .data = "1"}, {.name = "a", .data = "2"}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a", .data = "1"}, {.name = "a/b", .data = "2"}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a/b", .data = "1"}, {.name = "a", .data = "2"}}).code(),
            Code::kInvalidArgument);
  // A directory named twice is fine.
  EXPECT_TRUE(Extract({{.name = "d/", .unix_mode = 040755},
                       {.name = "d/", .unix_mode = 040755},
                       {.name = "d/f", .data = "x"}})
                  .ok());
}

TEST_F(ZipTest, RejectsEncryptionUnknownMethodsAndBadData) {
  EXPECT_EQ(Extract({{.name = "a", .data = "x", .flags = 1}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a", .data = "x", .method = 12}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a", .data = "hello", .crc = 1234}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a", .data = "hello", .deflate = false, .crc = 1234}}).code(),
            Code::kInvalidArgument);
  // Sizes that lie: inflating past the declared size, or stopping short of it.
  EXPECT_EQ(Extract({{.name = "a", .data = std::string(1000, 'z'), .declared_size = 10}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a", .data = "short", .declared_size = 100}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Extract({{.name = "a", .data = "hello", .compressed = std::string("\xff\xff\xff", 3)}})
                .code(),
            Code::kInvalidArgument);
  // Stored with sizes that differ.
  EXPECT_EQ(Extract({{.name = "a", .data = "hello", .deflate = false, .declared_size = 4}}).code(),
            Code::kInvalidArgument);
}

TEST_F(ZipTest, StopsZipBombsAtTheLimit) {
  std::string zeros(4 << 20, '\0');  // 4 MiB of zeros deflate to a few KiB
  ZipLimits limits;
  limits.max_unzipped_bytes = 1 << 20;
  Status st = Extract({{.name = "bomb", .data = zeros}}, limits);
  EXPECT_EQ(st.code(), Code::kResourceExhausted);
  EXPECT_EQ(st.message(), "Unzipped size must be smaller than 1048576 bytes");
  // Many entries that each fit but together do not.
  std::vector<TestEntry> many;
  for (int i = 0; i < 5; ++i)
    many.push_back({.name = "f" + std::to_string(i), .data = std::string(300000, 'a')});
  EXPECT_EQ(Extract(many, limits).code(), Code::kResourceExhausted);
  // A lying declared size cannot get past the limit either: it stops at the declared size.
  st = Extract({{.name = "liar", .data = zeros, .declared_size = 100}}, limits);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::file_size(dest_ + "/liar") <= 100);
  // Zipped size and entry count limits.
  limits = {};
  limits.max_zip_bytes = 100;
  EXPECT_EQ(
      Extract({{.name = "a", .data = std::string(1000, 'q'), .deflate = false}}, limits).code(),
      Code::kResourceExhausted);
  limits = {};
  limits.max_entries = 2;
  EXPECT_EQ(Extract({{.name = "a"}, {.name = "b"}, {.name = "c"}}, limits).code(),
            Code::kResourceExhausted);
}

TEST_F(ZipTest, RejectsTruncatedAndGarbageInput) {
  EXPECT_EQ(ListZip("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ListZip("not a zip file at all, just some text here").status().code(),
            Code::kInvalidArgument);
  std::string zip = BuildZip({{.name = "index.js", .data = "exports.handler = 1"}});
  for (size_t cut = 0; cut < zip.size(); ++cut) {
    std::string part = zip.substr(0, cut);
    EXPECT_FALSE(ListZip(part).ok()) << cut;
  }
  // A flipped byte anywhere never crashes and never yields a wrong file.
  for (size_t i = 0; i < zip.size(); ++i) {
    std::string bad = zip;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    struct Null : ZipSink {
      Status Begin(const ZipEntry&) override { return Status::Ok(); }
      Status Data(std::string_view) override { return Status::Ok(); }
      Status End() override { return Status::Ok(); }
    } sink;
    (void)ReadZip(bad, sink);
  }
}

TEST_F(ZipTest, ListsEntries) {
  auto entries =
      ListZip(BuildZip({{.name = "d/", .unix_mode = 040755}, {.name = "d/x.js", .data = "abc"}}));
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].path, "d");
  EXPECT_TRUE((*entries)[0].is_dir);
  EXPECT_EQ((*entries)[1].path, "d/x.js");
  EXPECT_EQ((*entries)[1].size, 3u);
}

}  // namespace
}  // namespace berth::functions
