#include "objects/object_store.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/fake_executor.h"
#include "objects/checksum.h"
#include "objects/store_files.h"

namespace berth::objects {
namespace {

namespace fs = std::filesystem;

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("berth-objects-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    dir_ = (root_ / "objects").string();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }
  void Reopen() {
    store_.reset();
    auto s = ObjectStore::Open(dir_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  Result<ObjectInfo> Put(const std::string& bucket, const std::string& key, const std::string& data,
                         ObjectAttributes attrs = {}) {
    auto tmp = store_->NewTempFile();
    if (!tmp.ok()) return tmp.status();
    EXPECT_TRUE(tmp->Write(data).ok());
    return store_->PutObject(bucket, key, attrs, std::move(*tmp),
                             HexEncode(DigestOf(Algorithm::kMd5, data)));
  }
  std::string Get(const std::string& bucket, const std::string& key) {
    auto r = store_->ReadSmallObject(bucket, key, 1 << 30);
    return r.ok() ? *r : "<" + r.status().message() + ">";
  }
  // Every regular file under the store, relative to root_.
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(root_)) {
      if (e.is_regular_file()) out.push_back(e.path().string());
    }
    return out;
  }

  fs::path root_;
  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(ObjectStoreTest, BucketsLifecycle) {
  ASSERT_TRUE(store_->CreateBucket("app-config", "us-east-1").ok());
  Status again = store_->CreateBucket("app-config", "us-east-1");
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_EQ(again.resource(), Resource::kBucket);
  for (const char* bad :
       {"ab", "Upper", "-dash", "a..b", "192.168.1.1", "has_underscore", "../x", "a/b"}) {
    EXPECT_EQ(store_->CreateBucket(bad, "r").code(), Code::kInvalidArgument) << bad;
  }
  ASSERT_TRUE(Put("app-config", "k", "v").ok());
  EXPECT_EQ(store_->DeleteBucket("app-config").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(store_->DeleteObject("app-config", "k").ok());
  ASSERT_TRUE(store_->DeleteBucket("app-config").ok());
  EXPECT_EQ(store_->GetBucket("app-config").status().code(), Code::kNotFound);
}

TEST_F(ObjectStoreTest, PutGetOverwriteAndSurviveReopen) {
  ASSERT_TRUE(store_->CreateBucket("bk1", "eu-west-1").ok());
  ObjectAttributes attrs;
  attrs.content_type = "text/plain";
  attrs.metadata = {{"owner", "ops team"}, {"bin", std::string("\x01\xff%", 3)}};
  attrs.tags = {{"env", "prod"}};
  auto put = Put("bk1", "dir/a.env", "A=1\n", attrs);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->etag, HexEncode(DigestOf(Algorithm::kMd5, "A=1\n")));
  ASSERT_TRUE(Put("bk1", "dir/a.env", "A=2\n", attrs).ok());
  EXPECT_EQ(Get("bk1", "dir/a.env"), "A=2\n");
  Reopen();
  EXPECT_EQ(Get("bk1", "dir/a.env"), "A=2\n");
  auto head = store_->HeadObject("bk1", "dir/a.env");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->attrs.content_type, "text/plain");
  EXPECT_EQ(head->attrs.metadata, attrs.metadata);
  EXPECT_EQ(head->attrs.tags, attrs.tags);
  EXPECT_EQ(store_->GetBucket("bk1")->region, "eu-west-1");
  // One record and one data file: the overwritten data is gone.
  int data_files = 0;
  for (const auto& f : Files()) data_files += f.find("/o/") != std::string::npos;
  EXPECT_EQ(data_files, 2);
}

TEST_F(ObjectStoreTest, ReadSmallObjectSaysWhatIsMissing) {
  auto r = store_->ReadSmallObject("nope", "k", 100);
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("bucket 'nope' does not exist"), std::string::npos);
  ASSERT_TRUE(store_->CreateBucket("cfg", "r").ok());
  r = store_->ReadSmallObject("cfg", "app.env", 100);
  EXPECT_EQ(r.status().resource(), Resource::kObject);
  EXPECT_NE(r.status().message().find("object 'app.env' does not exist in bucket 'cfg'"),
            std::string::npos);
  ASSERT_TRUE(Put("cfg", "app.env", std::string(200, 'x')).ok());
  EXPECT_EQ(store_->ReadSmallObject("cfg", "app.env", 100).status().code(), Code::kInvalidArgument);
}

TEST_F(ObjectStoreTest, KeysNeverAddressFilesOutsideTheStore) {
  ASSERT_TRUE(store_->CreateBucket("keys", "r").ok());
  std::vector<std::string> keys = {"../../../../etc/passwd",
                                   "/",
                                   "//",
                                   "/abs/path",
                                   "..",
                                   ".",
                                   std::string("nul\0inside", 10),
                                   std::string(5000, 'k'),
                                   "a/../../b",
                                   "%2e%2e/x",
                                   "\xff\xfe binary \n newline",
                                   "bucket.rec",
                                   "o/00/x.rec"};
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(Put("keys", keys[i], "v" + std::to_string(i)).ok()) << i;
  }
  Reopen();
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(Get("keys", keys[i]), "v" + std::to_string(i));
  // Every file lives under the store's own directory, named by the store.
  for (const auto& f : Files()) {
    EXPECT_EQ(f.rfind(dir_ + "/buckets/keys/", 0), 0u) << f;
    EXPECT_EQ(f.find(".."), std::string::npos) << f;
  }
  EXPECT_FALSE(fs::exists(root_ / "etc"));
  auto list = store_->ListObjects("keys", {});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->objects.size(), keys.size());
}

TEST_F(ObjectStoreTest, CrashLeftoversNeverTearAnObject) {
  ASSERT_TRUE(store_->CreateBucket("bkt", "r").ok());
  ASSERT_TRUE(Put("bkt", "k", "old contents").ok());
  std::string rec;
  for (const auto& f : Files()) {
    if (f.size() > 4 && f.substr(f.size() - 4) == ".rec" && f.find("/o/") != std::string::npos) {
      rec = f;
    }
  }
  ASSERT_FALSE(rec.empty());
  std::string odir = rec.substr(0, rec.rfind('/'));
  std::string hash = rec.substr(odir.size() + 1, 64);
  // A kill -9 at each stage of a new write: a body in tmp/, a renamed data file without its
  // record, and a half-written temp record.
  std::ofstream(dir_ + "/tmp/body-123") << "new conte";
  std::ofstream(odir + "/" + hash + ".0123456789abcdef") << "new contents";
  std::ofstream(rec + ".tmp-deadbeef") << "key k\nsize 12\n";
  Reopen();
  EXPECT_EQ(Get("bkt", "k"), "old contents");
  EXPECT_FALSE(fs::exists(dir_ + "/tmp/body-123"));
  EXPECT_FALSE(fs::exists(odir + "/" + hash + ".0123456789abcdef"));
  EXPECT_FALSE(fs::exists(rec + ".tmp-deadbeef"));
  // A torn record (no "end" line) is ignored rather than half-read.
  EXPECT_TRUE(internal::ParseRecord("key a\nsize 1").size() == 1);
  ObjectInfo info;
  EXPECT_FALSE(internal::ParseObject("key a\nsize 1\ndata x\n", &info));
}

TEST_F(ObjectStoreTest, ListingWithDelimiterAndContinuation) {
  ASSERT_TRUE(store_->CreateBucket("lst", "r").ok());
  for (const char* k : {"a.txt", "photos/2024/x.jpg", "photos/2024/y.jpg", "photos/2025/z.jpg",
                        "photos/top.jpg", "videos/v.mp4", "z"}) {
    ASSERT_TRUE(Put("lst", k, k).ok());
  }
  ListOptions o;
  o.delimiter = "/";
  auto r = store_->ListObjects("lst", o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "a.txt");
  EXPECT_EQ(r->objects[1].key, "z");
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"photos/", "videos/"}));
  EXPECT_FALSE(r->truncated);

  o.prefix = "photos/";
  r = store_->ListObjects("lst", o);
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"photos/2024/", "photos/2025/"}));
  ASSERT_EQ(r->objects.size(), 1u);
  EXPECT_EQ(r->objects[0].key, "photos/top.jpg");

  // Pages of 1 over everything with the delimiter: each key or prefix once, in order.
  std::vector<std::string> seen;
  ListOptions page;
  page.delimiter = "/";
  page.max_keys = 1;
  for (int i = 0; i < 10; ++i) {
    auto p = store_->ListObjects("lst", page);
    ASSERT_TRUE(p.ok());
    for (const auto& obj : p->objects) seen.push_back(obj.key);
    for (const auto& cp : p->common_prefixes) seen.push_back(cp);
    if (!p->truncated) break;
    page.after = p->next_after;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a.txt", "photos/", "videos/", "z"}));

  ListOptions after;
  after.after = "photos/2025/z.jpg";
  r = store_->ListObjects("lst", after);
  ASSERT_EQ(r->objects.size(), 3u);
  EXPECT_EQ(r->objects[0].key, "photos/top.jpg");
  ListOptions none;
  none.max_keys = 0;
  EXPECT_TRUE(store_->ListObjects("lst", none)->objects.empty());
}

TEST_F(ObjectStoreTest, MultipartEtagAndRules) {
  ASSERT_TRUE(store_->CreateBucket("mpu", "r").ok());
  ObjectAttributes attrs;
  attrs.content_type = "application/zip";
  auto id = store_->CreateMultipartUpload("mpu", "big", attrs);
  ASSERT_TRUE(id.ok());
  std::string p1(ObjectStore::kMinPartSize, 'a'), p2 = "tail";
  auto upload = [&](int n, const std::string& data) {
    auto tmp = store_->NewTempFile();
    EXPECT_TRUE(tmp->Write(data).ok());
    return store_->UploadPart("mpu", "big", *id, n, std::move(*tmp),
                              HexEncode(DigestOf(Algorithm::kMd5, data)));
  };
  ASSERT_TRUE(upload(2, "first try").ok());
  auto part2 = upload(2, p2);
  auto part1 = upload(1, p1);
  ASSERT_TRUE(part1.ok() && part2.ok());
  auto parts = store_->ListParts("mpu", "big", *id);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[1].etag, part2->etag);
  EXPECT_EQ((*parts)[0].size, p1.size());
  EXPECT_EQ(store_->ListParts("mpu", "other", *id).status().resource(), Resource::kMultipartUpload);

  auto wrong = store_->CompleteMultipartUpload(
      "mpu", "big", *id, {{1, part1->etag}, {2, "0" + part2->etag.substr(1)}});
  EXPECT_EQ(wrong.status().code(), Code::kNotFound);
  EXPECT_EQ(wrong.status().resource(), Resource::kPart);
  auto order =
      store_->CompleteMultipartUpload("mpu", "big", *id, {{2, part2->etag}, {1, part1->etag}});
  EXPECT_EQ(order.status().code(), Code::kInvalidArgument);
  Reopen();  // uploads survive a restart
  auto done =
      store_->CompleteMultipartUpload("mpu", "big", *id, {{1, part1->etag}, {2, part2->etag}});
  ASSERT_TRUE(done.ok()) << done.status().message();
  std::string md5s = *HexDecode(part1->etag) + *HexDecode(part2->etag);
  EXPECT_EQ(done->etag, HexEncode(DigestOf(Algorithm::kMd5, md5s)) + "-2");
  EXPECT_EQ(done->size, p1.size() + p2.size());
  EXPECT_EQ(done->attrs.content_type, "application/zip");
  EXPECT_EQ(Get("mpu", "big"), p1 + p2);
  EXPECT_EQ(store_->ListParts("mpu", "big", *id).status().code(), Code::kNotFound);

  // Small parts other than the last are refused.
  auto id2 = store_->CreateMultipartUpload("mpu", "small", {});
  auto tmp = store_->NewTempFile();
  ASSERT_TRUE(tmp->Write("x").ok());
  std::string x = HexEncode(DigestOf(Algorithm::kMd5, "x"));
  ASSERT_TRUE(store_->UploadPart("mpu", "small", *id2, 1, std::move(*tmp), x).ok());
  tmp = store_->NewTempFile();
  ASSERT_TRUE(tmp->Write("x").ok());
  ASSERT_TRUE(store_->UploadPart("mpu", "small", *id2, 2, std::move(*tmp), x).ok());
  auto small = store_->CompleteMultipartUpload("mpu", "small", *id2, {{1, x}, {2, x}});
  EXPECT_EQ(small.status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(store_->AbortMultipartUpload("mpu", "small", *id2).ok());
  EXPECT_EQ(store_->AbortMultipartUpload("mpu", "small", *id2).code(), Code::kNotFound);
  EXPECT_EQ(store_->AbortMultipartUpload("mpu", "small", "../../../etc").code(), Code::kNotFound);
}

TEST_F(ObjectStoreTest, CopyTagsAndReset) {
  ASSERT_TRUE(store_->CreateBucket("src", "r").ok());
  ASSERT_TRUE(store_->CreateBucket("dst", "r").ok());
  ASSERT_TRUE(Put("src", "k", "payload").ok());
  ObjectAttributes attrs;
  attrs.content_type = "text/x";
  auto c = store_->CopyObject("src", "k", "dst", "k2", attrs);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->etag, HexEncode(DigestOf(Algorithm::kMd5, "payload")));
  EXPECT_EQ(Get("dst", "k2"), "payload");
  ASSERT_TRUE(store_->PutObjectTags("dst", "k2", {{"a", "b"}}).ok());
  Reopen();
  EXPECT_EQ(store_->HeadObject("dst", "k2")->attrs.tags, (Pairs{{"a", "b"}}));
  EXPECT_EQ(store_->HeadObject("dst", "k2")->attrs.content_type, "text/x");
  ASSERT_TRUE(store_->Reset().ok());
  EXPECT_TRUE(store_->ListBuckets().empty());
  Reopen();
  EXPECT_TRUE(store_->ListBuckets().empty());
}

}  // namespace
}  // namespace berth::objects
