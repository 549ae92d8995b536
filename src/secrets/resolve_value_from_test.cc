#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "secrets/secret_store.h"
#include "secrets/value_from.h"

namespace berth::secrets {
namespace {

class ResolveValueFromTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SecretStore::Open(clock_, {});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    Param("/app/db/password", "pw-ssm", "SecureString");
    Param("plainname", "plain-value", "String");
    Param("/flat", "flat-value", "String");
    Param("/list", "a,b,c", "StringList");
    CreateSecretRequest c;
    c.name = "prod/db";
    c.value = SecretPayload{
        false, R"({"username":"app","password":"pw-asm","port":5432,"nested":{"a":[1,2]}})"};
    auto r = store_->CreateSecret(c);
    ASSERT_TRUE(r.ok());
    arn_ = r->arn;
    first_version_ = r->version_id;
    PutSecretValueRequest p;
    p.secret_id = "prod/db";
    p.value = SecretPayload{false, R"({"username":"app","password":"pw-asm-2"})"};
    ASSERT_TRUE(store_->PutSecretValue(p).ok());
    partial_ = arn_.substr(0, arn_.size() - 7);  // without "-XXXXXX"
  }
  void Param(const std::string& name, const std::string& value, const std::string& type) {
    PutParameterRequest r;
    r.name = name;
    r.value = value;
    r.type = type;
    ASSERT_TRUE(store_->PutParameter(r).ok());
  }
  std::string Resolve(const std::string& v) {
    auto r = store_->ResolveValueFrom(v);
    return r.ok() ? *r : "ERR " + r.status().message();
  }

  FakeClock clock_;
  std::unique_ptr<SecretStore> store_;
  std::string arn_, partial_, first_version_;
};

TEST_F(ResolveValueFromTest, SsmNamesAndArns) {
  EXPECT_EQ(Resolve("/app/db/password"), "pw-ssm");  // SecureString, decrypted
  EXPECT_EQ(Resolve("plainname"), "plain-value");
  EXPECT_EQ(Resolve("/list"), "a,b,c");
  EXPECT_EQ(Resolve("arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password"), "pw-ssm");
  EXPECT_EQ(Resolve("arn:aws:ssm:us-east-1:123456789012:parameter/plainname"), "plain-value");
  EXPECT_EQ(Resolve("arn:aws:ssm:us-east-1:123456789012:parameter/flat"), "flat-value");
  EXPECT_EQ(Resolve("arn:aws-cn:ssm:cn-north-1:123456789012:parameter/flat"), "flat-value");
}

TEST_F(ResolveValueFromTest, SecretsManagerForms) {
  EXPECT_EQ(Resolve(arn_), R"({"username":"app","password":"pw-asm-2"})");
  EXPECT_EQ(Resolve(partial_), R"({"username":"app","password":"pw-asm-2"})");
  EXPECT_EQ(Resolve(arn_ + ":password::"), "pw-asm-2");
  EXPECT_EQ(Resolve(partial_ + ":password::"), "pw-asm-2");
  EXPECT_EQ(Resolve(arn_ + ":password"), "pw-asm-2");
  EXPECT_EQ(Resolve(arn_ + ":password:AWSPREVIOUS:"), "pw-asm");
  EXPECT_EQ(Resolve(arn_ + ":password::" + first_version_), "pw-asm");
  EXPECT_EQ(Resolve(arn_ + ":password:AWSPREVIOUS:" + first_version_), "pw-asm");
  EXPECT_EQ(Resolve(arn_ + "::AWSPREVIOUS:"),
            R"({"username":"app","password":"pw-asm","port":5432,"nested":{"a":[1,2]}})");
  EXPECT_EQ(Resolve(arn_ + ":port:AWSPREVIOUS:"), "5432");
  EXPECT_EQ(Resolve(arn_ + ":nested:AWSPREVIOUS:"), R"({"a":[1,2]})");
  EXPECT_EQ(Resolve(arn_ + ":::"), R"({"username":"app","password":"pw-asm-2"})");
}

TEST_F(ResolveValueFromTest, ErrorsNameTheReferenceNeverTheValue) {
  struct Case {
    std::string value_from;
    Code code;
    std::string expected_in_message;
  };
  std::vector<Case> cases = {
      {"/missing", Code::kNotFound, "/missing"},
      {"arn:aws:ssm:us-east-1:1:parameter/missing", Code::kNotFound, "parameter/missing"},
      {"arn:aws:secretsmanager:us-east-1:1:secret:nope-AbCdEf", Code::kNotFound, "nope-AbCdEf"},
      {arn_ + ":missingkey::", Code::kInvalidArgument, "missingkey"},
      {arn_ + ":password:NOLABEL:", Code::kNotFound, "NOLABEL"},
      {arn_ + ":password::no-such-id", Code::kNotFound, "no-such-id"},
      {arn_ + ":a:b:c:d", Code::kInvalidArgument, "valueFrom"},
      {"arn:aws:s3:::bucket/key", Code::kInvalidArgument, "arn:aws:s3:::bucket/key"},
      {"arn:aws:ssm:us-east-1:1:document/x", Code::kInvalidArgument, "document/x"},
      {"arn:aws:secretsmanager:us-east-1:1:secret:", Code::kInvalidArgument, "valueFrom"},
      {"", Code::kInvalidArgument, "empty"},
      {"name:with:colons", Code::kInvalidArgument, "name:with:colons"},
  };
  for (const auto& c : cases) {
    auto r = store_->ResolveValueFrom(c.value_from);
    ASSERT_FALSE(r.ok()) << c.value_from;
    EXPECT_EQ(r.status().code(), c.code) << c.value_from << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(c.expected_in_message), std::string::npos)
        << r.status().message();
    for (const char* secret : {"pw-ssm", "pw-asm", "plain-value"}) {
      EXPECT_EQ(r.status().message().find(secret), std::string::npos) << r.status().message();
    }
  }
}

TEST_F(ResolveValueFromTest, NonJsonBinaryAndDeletedSecrets) {
  CreateSecretRequest c;
  c.name = "text";
  c.value = SecretPayload{false, "not json at all: hunter2"};
  ASSERT_TRUE(store_->CreateSecret(c).ok());
  auto text_arn = store_->DescribeSecret("text")->arn;
  EXPECT_EQ(Resolve(text_arn), "not json at all: hunter2");
  auto r = store_->ResolveValueFrom(text_arn + ":key::");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message().find("hunter2"), std::string::npos);
  CreateSecretRequest b;
  b.name = "bin";
  b.value = SecretPayload{true, "bytes"};
  ASSERT_TRUE(store_->CreateSecret(b).ok());
  EXPECT_EQ(store_->ResolveValueFrom(store_->DescribeSecret("bin")->arn).status().code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(store_->DeleteSecret("prod/db", std::nullopt, false).ok());
  auto deleted = store_->ResolveValueFrom(arn_ + ":password::");
  EXPECT_EQ(deleted.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(deleted.status().message().find("marked for deletion"), std::string::npos);
  EXPECT_NE(deleted.status().message().find(arn_), std::string::npos);
}

TEST(ParseValueFromTest, Fields) {
  auto r = ParseValueFrom("arn:aws:secretsmanager:r:1:secret:n-AbCdEf:k:S:V");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, ValueFromRef::Kind::kSecret);
  EXPECT_EQ(r->id, "arn:aws:secretsmanager:r:1:secret:n-AbCdEf");
  EXPECT_EQ(r->json_key, "k");
  EXPECT_EQ(r->version_stage, "S");
  EXPECT_EQ(r->version_id, "V");
  auto p = ParseValueFrom("/a/b");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, ValueFromRef::Kind::kParameter);
  EXPECT_FALSE(ParseValueFrom("arn:aws:ssm:r:1:parameter/").ok());
  EXPECT_FALSE(ParseValueFrom("arn:aws:ssm:r:1:parameter/a:3").ok());
  EXPECT_FALSE(ParseValueFrom("arn::ssm:r:1:parameter/a").ok());
  EXPECT_FALSE(ParseValueFrom(std::string(3000, 'a')).ok());
  EXPECT_TRUE(JsonNestingWithin(R"({"a":"[[[["})", 1));
  EXPECT_FALSE(JsonNestingWithin("[[[", 2));
}

}  // namespace
}  // namespace berth::secrets
