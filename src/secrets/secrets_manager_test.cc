#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "secrets/secret_store.h"

namespace berth::secrets {
namespace {

constexpr int64_t kDayMs = 86'400'000;

class SecretsManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SecretStore::Open(clock_, {});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }
  SecretWriteResult Create(const std::string& name, const std::string& value) {
    CreateSecretRequest r;
    r.name = name;
    r.value = SecretPayload{false, value};
    auto out = store_->CreateSecret(r);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? *out : SecretWriteResult{};
  }
  Result<SecretWriteResult> Put(const std::string& id, const std::string& value,
                                std::optional<std::string> token = std::nullopt,
                                std::vector<std::string> stages = {}) {
    PutSecretValueRequest r;
    r.secret_id = id;
    r.value = SecretPayload{false, value};
    r.client_request_token = std::move(token);
    r.stages = std::move(stages);
    return store_->PutSecretValue(r);
  }
  std::string Value(const std::string& id, const std::string& version_id = "",
                    const std::string& stage = "") {
    auto v = store_->GetSecretValue(id, version_id, stage);
    return v.ok() ? v->value.bytes : "<" + v.status().message() + ">";
  }

  FakeClock clock_;
  std::unique_ptr<SecretStore> store_;
};

TEST_F(SecretsManagerTest, CreateGetByNameFullAndPartialArn) {
  auto c = Create("prod/db", "{\"password\":\"pw1\"}");
  EXPECT_EQ(c.arn.rfind("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-", 0), 0u);
  EXPECT_EQ(
      c.arn.size(),
      std::string("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-").size() + 6);
  EXPECT_EQ(c.stages, std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(Value("prod/db"), "{\"password\":\"pw1\"}");
  EXPECT_EQ(Value(c.arn), "{\"password\":\"pw1\"}");
  EXPECT_EQ(Value("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"),
            "{\"password\":\"pw1\"}");
  auto missing = store_->GetSecretValue("nope", "", "");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "Secrets Manager can't find the specified secret.");
  CreateSecretRequest dup;
  dup.name = "prod/db";
  auto d = store_->CreateSecret(dup);
  EXPECT_EQ(d.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(d.status().message(),
            "The operation failed because the secret prod/db already exists.");
  CreateSecretRequest bad;
  bad.name = "bad name";
  EXPECT_EQ(store_->CreateSecret(bad).status().code(), Code::kInvalidArgument);
}

TEST_F(SecretsManagerTest, VersionsMoveStages) {
  auto c = Create("s", "v1");
  auto v2 = Put("s", "v2");
  ASSERT_TRUE(v2.ok());
  auto v3 = Put("s", "v3");
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(Value("s"), "v3");
  EXPECT_EQ(Value("s", "", "AWSPREVIOUS"), "v2");
  EXPECT_EQ(Value("s", c.version_id), "v1");  // deprecated, still readable by id
  auto d = store_->DescribeSecret("s");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->versions.size(), 3u);
  EXPECT_TRUE(d->versions[0].stages.empty());
  EXPECT_EQ(d->versions[1].stages, std::vector<std::string>{"AWSPREVIOUS"});
  EXPECT_EQ(d->versions[2].stages, std::vector<std::string>{"AWSCURRENT"});
  // A custom label moves on its own, without touching AWSCURRENT.
  auto pending = Put("s", "v4", std::nullopt, {"AWSPENDING"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(Value("s"), "v3");
  EXPECT_EQ(Value("s", "", "AWSPENDING"), "v4");
  auto none = store_->GetSecretValue("s", "", "NOLABEL");
  EXPECT_EQ(none.status().message(),
            "Secrets Manager can't find the specified secret value for staging label: NOLABEL");
  auto wrong = store_->GetSecretValue("s", c.version_id, "AWSCURRENT");
  EXPECT_EQ(wrong.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(store_->GetSecretValue("s", "no-such-version", "").status().resource(),
            Resource::kSecretVersion);
}

TEST_F(SecretsManagerTest, ClientRequestTokenIsIdempotent) {
  Create("s", "v1");
  std::string token(32, 'a');
  auto a = Put("s", "v2", token);
  auto b = Put("s", "v2", token);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->version_id, token);
  EXPECT_EQ(store_->DescribeSecret("s")->versions.size(), 2u);
  auto c = Put("s", "other", token);
  EXPECT_EQ(c.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(c.status().message().find("other"), std::string::npos);
  EXPECT_EQ(Put("s", "x", std::string("short")).status().code(), Code::kInvalidArgument);
}

TEST_F(SecretsManagerTest, UpdateSecretDescriptionAndValue) {
  Create("s", "v1");
  UpdateSecretRequest u;
  u.secret_id = "s";
  u.description = "the db";
  auto r = store_->UpdateSecret(u);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->version_id.empty());
  EXPECT_EQ(store_->DescribeSecret("s")->description, "the db");
  u.value = SecretPayload{false, "v2"};
  r = store_->UpdateSecret(u);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->version_id.empty());
  EXPECT_EQ(Value("s"), "v2");
  EXPECT_EQ(Value("s", "", "AWSPREVIOUS"), "v1");
}

TEST_F(SecretsManagerTest, BinarySecrets) {
  CreateSecretRequest r;
  r.name = "bin";
  r.value = SecretPayload{true, std::string("\x00\x01\xff", 3)};
  ASSERT_TRUE(store_->CreateSecret(r).ok());
  auto v = store_->GetSecretValue("bin", "", "");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->value.binary);
  EXPECT_EQ(v->value.bytes, std::string("\x00\x01\xff", 3));
}

TEST_F(SecretsManagerTest, DeletionWindowRestoreAndForce) {
  Create("s", "v1");
  EXPECT_EQ(store_->DeleteSecret("s", 3, false).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->DeleteSecret("s", 7, true).status().code(), Code::kInvalidArgument);
  auto d = store_->DeleteSecret("s", 7, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->deletion_ms, clock_.NowMs() + 7 * kDayMs);
  auto get = store_->GetSecretValue("s", "", "");
  EXPECT_EQ(get.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(get.status().message(),
            "You can't perform this operation on the secret because it was marked for deletion.");
  EXPECT_EQ(Put("s", "v2").status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(store_->ListSecrets(false).empty());
  EXPECT_EQ(store_->ListSecrets(true).size(), 1u);
  EXPECT_TRUE(store_->DescribeSecret("s").ok());
  EXPECT_EQ(store_->DeleteSecret("s", std::nullopt, false).status().code(),
            Code::kFailedPrecondition);
  CreateSecretRequest again;
  again.name = "s";
  EXPECT_EQ(store_->CreateSecret(again).status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(store_->RestoreSecret("s").ok());
  EXPECT_EQ(Value("s"), "v1");
  // Scheduled again; once the window has passed it is gone for good and the name is free.
  ASSERT_TRUE(store_->DeleteSecret("s", std::nullopt, false).ok());
  clock_.Set(clock_.NowMs() + 30 * kDayMs);
  EXPECT_EQ(store_->DescribeSecret("s").status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->ListSecrets(true).empty());
  Create("s", "new");
  EXPECT_EQ(Value("s"), "new");
  auto f = store_->DeleteSecret("s", std::nullopt, true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(store_->DescribeSecret("s").status().code(), Code::kNotFound);
}

TEST_F(SecretsManagerTest, Tags) {
  CreateSecretRequest r;
  r.name = "t";
  r.tags = {{"team", "web"}};
  ASSERT_TRUE(store_->CreateSecret(r).ok());
  ASSERT_TRUE(store_->TagResource("t", {{"team", "ops"}, {"env", "prod"}}).ok());
  EXPECT_EQ(store_->DescribeSecret("t")->tags, (Tags{{"team", "ops"}, {"env", "prod"}}));
  ASSERT_TRUE(store_->UntagResource("t", {"team"}).ok());
  EXPECT_EQ(store_->DescribeSecret("t")->tags, (Tags{{"env", "prod"}}));
}

}  // namespace
}  // namespace berth::secrets
