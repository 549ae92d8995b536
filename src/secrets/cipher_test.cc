#include "secrets/cipher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <vector>

#include "secrets/test_util.h"

namespace berth::secrets {
namespace {

TEST(CipherTest, SealOpenRoundTripWithFreshNonces) {
  auto c = Cipher::Ephemeral();
  ASSERT_TRUE(c.ok());
  auto a = c->Seal("hunter2", "aad");
  auto b = c->Seal("hunter2", "aad");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), Cipher::kNonceSize + 7 + Cipher::kTagSize);
  EXPECT_NE(*a, *b);  // random nonce per value
  EXPECT_EQ(a->find("hunter2"), std::string::npos);
  auto opened = c->Open(*a, "aad");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "hunter2");
  auto empty = c->Seal("", "x");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*c->Open(*empty, "x"), "");
}

TEST(CipherTest, TamperWrongAadAndWrongKeyFailWithoutTheValue) {
  auto c = Cipher::Ephemeral();
  auto other = Cipher::Ephemeral();
  auto sealed = c->Seal("s3cret-value", "record-1");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string t = *sealed;
    t[i] ^= 0x01;
    auto r = c->Open(t, "record-1");
    ASSERT_FALSE(r.ok()) << "flipped byte " << i;
    EXPECT_EQ(r.status().code(), Code::kInternal);
    EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos);
  }
  EXPECT_FALSE(c->Open(*sealed, "record-2").ok());
  EXPECT_FALSE(other->Open(*sealed, "record-1").ok());
  EXPECT_FALSE(c->Open(sealed->substr(0, 20), "record-1").ok());
  EXPECT_FALSE(c->Open("", "record-1").ok());
}

TEST(CipherTest, KeyFileIsCreatedWithMode0600AndReloaded) {
  TempDir dir;
  std::string path = dir.path() + "/key";
  EXPECT_FALSE(Cipher::LoadOrCreate(path, /*may_create=*/false).ok());
  auto c1 = Cipher::LoadOrCreate(path, true);
  ASSERT_TRUE(c1.ok()) << c1.status().message();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto sealed = c1->Seal("v", "a");
  auto c2 = Cipher::LoadOrCreate(path, true);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(*c2->Open(*sealed, "a"), "v");
  // A loosened key file is tightened again.
  chmod(path.c_str(), 0644);
  ASSERT_TRUE(Cipher::LoadOrCreate(path, true).ok());
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A key of the wrong size is refused.
  { std::ofstream(path, std::ios::trunc) << "short"; }
  EXPECT_FALSE(Cipher::LoadOrCreate(path, true).ok());
}

TEST(CipherTest, Base64IsStrict) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff", 2)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Zm=v").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\n").has_value());
  EXPECT_FALSE(Base64Decode("Zm 9").has_value());
}

}  // namespace
}  // namespace berth::secrets
