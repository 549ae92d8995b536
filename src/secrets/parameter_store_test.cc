#include <gtest/gtest.h>

#include "common/fake_executor.h"
#include "secrets/secret_store.h"

namespace berth::secrets {
namespace {

class ParameterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SecretStore::Open(clock_, {});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }
  Result<PutParameterResult> Put(const std::string& name, const std::string& value,
                                 std::optional<std::string> type = "String",
                                 bool overwrite = false) {
    PutParameterRequest r;
    r.name = name;
    r.value = value;
    r.type = std::move(type);
    r.overwrite = overwrite;
    return store_->PutParameter(r);
  }
  std::vector<std::string> Names(const std::vector<ParameterView>& v) {
    std::vector<std::string> out;
    for (const auto& p : v) out.push_back(p.name);
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<SecretStore> store_;
};

TEST_F(ParameterStoreTest, PutGetVersionsAndOverwrite) {
  auto r = Put("/app/db/host", "db.local");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->tier, "Standard");
  auto again = Put("/app/db/host", "other");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "The parameter already exists. To overwrite this value, set the overwrite option in "
            "the request to true.");
  clock_.Set(clock_.NowMs() + 5000);
  auto v2 = Put("/app/db/host", "db2.local", std::nullopt, true);  // keeps its type
  ASSERT_TRUE(v2.ok()) << v2.status().message();
  EXPECT_EQ(v2->version, 2);
  auto got = store_->GetParameter("/app/db/host", false);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, "db2.local");
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->type, ParameterType::kString);
  EXPECT_EQ(got->modified_ms, clock_.NowMs());
  EXPECT_EQ(got->arn, "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host");
  EXPECT_EQ(got->data_type, "text");
  auto v1 = store_->GetParameter("/app/db/host:1", false);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->value, "db.local");
  EXPECT_EQ(v1->selector, ":1");
  auto v9 = store_->GetParameter("/app/db/host:9", false);
  EXPECT_EQ(v9.status().resource(), Resource::kParameterVersion);
  auto missing = store_->GetParameter("/nope", false);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().resource(), Resource::kParameter);
  auto history = store_->GetParameterHistory("/app/db/host", false);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 2u);
}

TEST_F(ParameterStoreTest, ArnsNamesAndValidation) {
  ASSERT_TRUE(Put("plain", "p").ok());
  ASSERT_TRUE(Put("/top", "t").ok());
  EXPECT_EQ(store_->ParameterArn("plain"), "arn:aws:ssm:us-east-1:123456789012:parameter/plain");
  EXPECT_EQ(
      store_->GetParameter("arn:aws:ssm:us-east-1:123456789012:parameter/plain", false)->value,
      "p");
  EXPECT_EQ(store_->GetParameter("arn:aws:ssm:eu-west-1:1:parameter/top", false)->value, "t");
  for (const std::string& bad :
       std::vector<std::string>{"", "a/b", "/a/", "//a", "/a//b", "aws-thing", "/SSM/x", "a b",
                                "a:b", "/a*", std::string(1100, 'a')}) {
    auto r = Put(bad, "v");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Put("a/b", "v").status().message(), "Parameter name must be a fully qualified name.");
  EXPECT_EQ(Put("/new", "v", std::nullopt).status().message(),
            "A parameter type is required when you create a parameter.");
  EXPECT_FALSE(Put("/t", "v", "Bogus").ok());
  EXPECT_FALSE(Put("/empty", "", "String").ok());
  EXPECT_FALSE(Put("/big", std::string(4097, 'x')).ok());
  PutParameterRequest adv;
  adv.name = "/big";
  adv.value = std::string(5000, 'x');
  adv.type = "String";
  adv.tier = "Advanced";
  ASSERT_TRUE(store_->PutParameter(adv).ok());
  EXPECT_EQ(store_->GetParameter("/big", false)->tier, "Advanced");
}

TEST_F(ParameterStoreTest, SecureStringIsSealedUnlessDecrypted) {
  PutParameterRequest r;
  r.name = "/app/db/password";
  r.value = "pa55word!";
  r.type = "SecureString";
  ASSERT_TRUE(store_->PutParameter(r).ok());
  auto sealed = store_->GetParameter("/app/db/password", false);
  ASSERT_TRUE(sealed.ok());
  EXPECT_NE(sealed->value, "pa55word!");
  EXPECT_EQ(sealed->value.find("pa55word"), std::string::npos);
  EXPECT_TRUE(Base64Decode(sealed->value).has_value());
  EXPECT_EQ(sealed->key_id, "alias/aws/ssm");
  auto plain = store_->GetParameter("/app/db/password", true);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->value, "pa55word!");
  for (const auto& d : store_->DescribeParameters()) EXPECT_TRUE(d.value.empty());
}

TEST_F(ParameterStoreTest, PathsRecursiveAndNot) {
  for (std::string n : {"/app/a", "/app/b", "/app/sub/c", "/app/sub/deeper/d", "/apple", "x"}) {
    ASSERT_TRUE(Put(n, "v").ok()) << n;
  }
  auto direct = store_->GetParametersByPath("/app", false, false);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(Names(*direct), (std::vector<std::string>{"/app/a", "/app/b"}));
  auto all = store_->GetParametersByPath("/app/", true, false);
  EXPECT_EQ(Names(*all),
            (std::vector<std::string>{"/app/a", "/app/b", "/app/sub/c", "/app/sub/deeper/d"}));
  auto root = store_->GetParametersByPath("/", false, false);
  EXPECT_EQ(Names(*root), (std::vector<std::string>{"/apple", "x"}));
  EXPECT_EQ(store_->GetParametersByPath("/", true, false)->size(), 6u);
  EXPECT_FALSE(store_->GetParametersByPath("app", false, false).ok());
  EXPECT_FALSE(store_->GetParametersByPath("/a b", false, false).ok());
}

TEST_F(ParameterStoreTest, DeleteOneAndMany) {
  ASSERT_TRUE(Put("/a", "1").ok());
  ASSERT_TRUE(Put("/b", "2").ok());
  ASSERT_TRUE(Put("/c", "3").ok());
  EXPECT_TRUE(store_->DeleteParameter("/a").ok());
  EXPECT_EQ(store_->DeleteParameter("/a").code(), Code::kNotFound);
  auto deleted = store_->DeleteParameters({"/b", "/nope", "/c", "/b"});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, (std::vector<std::string>{"/b", "/c"}));
  EXPECT_TRUE(store_->DescribeParameters().empty());
}

TEST_F(ParameterStoreTest, KeepsAtMostOneHundredVersions) {
  ASSERT_TRUE(Put("/v", "0").ok());
  for (int i = 1; i < 105; ++i) ASSERT_TRUE(Put("/v", std::to_string(i), std::nullopt, true).ok());
  auto h = store_->GetParameterHistory("/v", false);
  ASSERT_EQ(h->size(), 100u);
  EXPECT_EQ(h->front().version, 6);
  EXPECT_EQ(h->back().version, 105);
  EXPECT_FALSE(store_->GetParameter("/v:5", false).ok());
}

}  // namespace
}  // namespace berth::secrets
