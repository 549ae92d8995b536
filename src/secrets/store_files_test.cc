// The SecretStore on disk: modes, reload, encryption at rest, tampering, damaged files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/fake_executor.h"
#include "secrets/secret_store.h"
#include "secrets/store_codec.h"
#include "secrets/test_util.h"

namespace berth::secrets {
namespace {

constexpr char kSsmSecret[] = "ssm-plaintext-0xC0FFEE";
constexpr char kAsmSecret[] = "asm-plaintext-0xBADF00D";

class StoreFilesTest : public ::testing::Test {
 protected:
  std::unique_ptr<SecretStore> OpenStore() {
    auto s = SecretStore::Open(clock_, {dir_.path(), "us-east-1", "123456789012"});
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  void Fill(SecretStore& store) {
    PutParameterRequest p;
    p.name = "/app/db/password";
    p.value = kSsmSecret;
    p.type = "SecureString";
    p.description = "db password";
    ASSERT_TRUE(store.PutParameter(p).ok());
    PutParameterRequest plain;
    plain.name = "/app/db/host";
    plain.value = "db.local";
    plain.type = "String";
    ASSERT_TRUE(store.PutParameter(plain).ok());
    CreateSecretRequest c;
    c.name = "prod/db";
    c.description = "the db";
    c.tags = {{"team", "web"}};
    c.value = SecretPayload{false, kAsmSecret};
    ASSERT_TRUE(store.CreateSecret(c).ok());
  }
  std::string Dir() const { return dir_.path() + "/secrets"; }
  mode_t Mode(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(StoreFilesTest, ModesAndNoPlaintextOnDisk) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Fill(*store);
  EXPECT_EQ(Mode(Dir()), 0700u);
  EXPECT_EQ(Mode(Dir() + "/key"), 0600u);
  EXPECT_EQ(Mode(Dir() + "/parameters.json"), 0600u);
  EXPECT_EQ(Mode(Dir() + "/secrets.json"), 0600u);
  std::string all = AllBytesUnder(dir_.path());
  EXPECT_EQ(all.find(kSsmSecret), std::string::npos);
  EXPECT_EQ(all.find(kAsmSecret), std::string::npos);
  EXPECT_NE(all.find("db.local"), std::string::npos);  // String parameters are not secret
  EXPECT_FALSE(std::filesystem::exists(Dir() + "/parameters.json.tmp"));
}

TEST_F(StoreFilesTest, ReloadsEverythingFromDisk) {
  std::string arn;
  {
    auto store = OpenStore();
    Fill(*store);
    arn = store->DescribeSecret("prod/db")->arn;
    PutSecretValueRequest p;
    p.secret_id = "prod/db";
    p.value = SecretPayload{false, "second"};
    ASSERT_TRUE(store->PutSecretValue(p).ok());
    ASSERT_TRUE(store->DeleteSecret("prod/db", 10, false).ok());
    ASSERT_TRUE(store->RestoreSecret("prod/db").ok());
  }
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetParameter("/app/db/password", true)->value, kSsmSecret);
  EXPECT_EQ(store->GetParameter("/app/db/password", true)->description, "db password");
  EXPECT_EQ(store->GetParameter("/app/db/host", false)->value, "db.local");
  EXPECT_EQ(store->GetSecretValue(arn, "", "AWSPREVIOUS")->value.bytes, kAsmSecret);
  EXPECT_EQ(store->GetSecretValue("prod/db", "", "")->value.bytes, "second");
  auto d = store->DescribeSecret("prod/db");
  EXPECT_EQ(d->description, "the db");
  EXPECT_EQ(d->tags, (Tags{{"team", "web"}}));
  EXPECT_EQ(*store->ResolveValueFrom(arn), "second");
  ASSERT_TRUE(store->Reset().ok());
  EXPECT_TRUE(OpenStore()->DescribeParameters().empty());
}

TEST_F(StoreFilesTest, TamperedCiphertextFailsToDecrypt) {
  {
    auto store = OpenStore();
    Fill(*store);
  }
  // Swap two base64 characters of the sealed SecureString inside parameters.json.
  std::string path = Dir() + "/parameters.json";
  std::string text = ReadWhole(path);
  size_t at = text.find("\"SecureString\"");
  ASSERT_NE(at, std::string::npos);
  size_t value = text.find("\"value\": \"", text.rfind('{', at));
  ASSERT_NE(value, std::string::npos);
  char& c = text[value + 12];
  c = c == 'A' ? 'B' : 'A';
  { std::ofstream(path, std::ios::trunc) << text; }
  auto store = OpenStore();
  ASSERT_TRUE(store);
  auto r = store->GetParameter("/app/db/password", true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_FALSE(store->ResolveValueFrom("/app/db/password").ok());
  EXPECT_TRUE(store->GetParameter("/app/db/password", false).ok());  // the sealed form is fine
  // Another key cannot open the secrets either.
  std::filesystem::remove(Dir() + "/key");
  auto refused = SecretStore::Open(clock_, {dir_.path(), "us-east-1", "1"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("key is missing"), std::string::npos);
}

TEST_F(StoreFilesTest, DamagedFilesAreRefusedWithoutCrashing) {
  const char* bad_parameters[] = {
      "",
      "[]",
      "{",
      R"({"format":1})",
      R"({"format":2,"parameters":[]})",
      R"({"format":1,"parameters":[1]})",
      R"({"format":1,"parameters":[{"name":"/a","versions":[]}]})",
      R"({"format":1,"parameters":[{"name":"/a","versions":[{"version":"1"}]}]})",
      R"({"format":1,"parameters":[{"name":"/a","versions":[{"version":1,"type":"X",)"
      R"("value":""}]}]})",
  };
  for (const char* text : bad_parameters) {
    EXPECT_FALSE(DecodeParameters(text).ok()) << text;
  }
  for (std::string text :
       {R"({"format":1,"secrets":[{"name":"n"}]})",
        R"({"format":1,"secrets":[{"name":"n","arn":"a","versions":[{"id":1}]}]})",
        R"({"format":1,"secrets":[{"name":"n","arn":"a","versions":[],"tags":[3]}]})"}) {
    EXPECT_FALSE(DecodeSecrets(text).ok()) << text;
  }
  ASSERT_TRUE(OpenStore());
  { std::ofstream(Dir() + "/secrets.json", std::ios::trunc) << "{not json"; }
  auto s = SecretStore::Open(clock_, {dir_.path(), "us-east-1", "1"});
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace berth::secrets
