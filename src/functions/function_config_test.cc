#include "functions/function_config.h"

#include <gtest/gtest.h>

#include "functions/encoding.h"

namespace berth::functions {
namespace {

FunctionConfig Valid() {
  FunctionConfig c;
  c.name = "notifier";
  c.region = "us-east-1";
  c.runtime = "nodejs20.x";
  c.handler = "index.handler";
  c.role = "arn:aws:iam::123456789012:role/lambda-role";
  c.code_id = "0123abcd";
  return c;
}

TEST(FunctionConfig, Names) {
  EXPECT_TRUE(ValidFunctionName("a"));
  EXPECT_TRUE(ValidFunctionName("my-function_1"));
  EXPECT_TRUE(ValidFunctionName(std::string(64, 'x')));
  EXPECT_FALSE(ValidFunctionName(std::string(65, 'x')));
  EXPECT_FALSE(ValidFunctionName(""));
  EXPECT_FALSE(ValidFunctionName("a b"));
  EXPECT_FALSE(ValidFunctionName("a.b"));
  EXPECT_FALSE(ValidFunctionName("../x"));
}

TEST(FunctionConfig, Roles) {
  EXPECT_TRUE(ValidRoleArn("arn:aws:iam::123456789012:role/x"));
  EXPECT_TRUE(ValidRoleArn("arn:aws:iam::123456789012:role/service-role/a.b@c"));
  EXPECT_TRUE(ValidRoleArn("arn::iam::123456789012:rolex"));
  EXPECT_FALSE(ValidRoleArn("role"));
  EXPECT_FALSE(ValidRoleArn("arn:aws:iam::12345:role/x"));
  EXPECT_FALSE(ValidRoleArn("arn:aws:iam::123456789012:user/x"));
  EXPECT_FALSE(ValidRoleArn("arn:aws:iam::123456789012:role/"));
}

TEST(FunctionConfig, References) {
  auto r = ParseFunctionRef("notifier");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "notifier");
  EXPECT_EQ(r->qualifier, "");
  r = ParseFunctionRef("notifier:$LATEST");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->qualifier, "$LATEST");
  r = ParseFunctionRef("123456789012:function:notifier");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->account, "123456789012");
  EXPECT_EQ(r->name, "notifier");
  r = ParseFunctionRef("arn:aws:lambda:eu-west-1:123456789012:function:notifier:prod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region, "eu-west-1");
  EXPECT_EQ(r->name, "notifier");
  EXPECT_EQ(r->qualifier, "prod");
  for (const char* bad : {"", "a b", "arn:aws:lambda:us-east-1:123456789012:layer:x",
                          "arn:aws:s3:::bucket", "1234:function:x", "a:b:c", "x:", "x:a b",
                          "arn:aws:lambda:us-east-1:123456789012:function:"}) {
    EXPECT_EQ(ParseFunctionRef(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(FunctionConfig, Validation) {
  EXPECT_TRUE(ValidateConfig(Valid()).ok());
  auto with = [](auto change) {
    FunctionConfig c = Valid();
    change(c);
    return ValidateConfig(c);
  };
  Status st = with([](FunctionConfig& c) { c.timeout_s = 901; });
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900");
  EXPECT_FALSE(with([](FunctionConfig& c) { c.timeout_s = 0; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.memory_mb = 127; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.memory_mb = 10241; }).ok());
  EXPECT_TRUE(with([](FunctionConfig& c) { c.memory_mb = 10240; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.runtime = "java21"; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.handler = ""; }).ok());
  EXPECT_TRUE(with([](FunctionConfig& c) {
                c.runtime = "provided.al2023";
                c.handler = "";
              }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.handler = "index handler"; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.role = "nope"; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.description = std::string(257, 'd'); }).ok());
  st = with([](FunctionConfig& c) { c.environment["AWS_REGION"] = "x"; });
  EXPECT_NE(st.message().find("Reserved keys used in this request: AWS_REGION"), std::string::npos);
  EXPECT_FALSE(with([](FunctionConfig& c) { c.environment["1X"] = "x"; }).ok());
  EXPECT_FALSE(with([](FunctionConfig& c) { c.environment["X"] = "x"; }).ok());
  EXPECT_TRUE(with([](FunctionConfig& c) { c.environment["SLACK_HOOK_URL"] = "https://x"; }).ok());
  st = with([](FunctionConfig& c) { c.environment["BIG"] = std::string(5000, 'v'); });
  EXPECT_NE(st.message().find("exceeded the 4KB limit"), std::string::npos);
  EXPECT_FALSE(with([](FunctionConfig& c) { c.tags["aws:x"] = "y"; }).ok());
}

TEST(FunctionConfig, StorageRoundTrip) {
  FunctionConfig c = Valid();
  c.environment = {{"A1", "x"}, {"B2", "y\n\"z\""}};
  c.tags = {{"team", "web"}};
  c.timeout_s = 30;
  c.memory_mb = 256;
  c.code_sha256 = "abc=";
  c.code_size = 1234;
  c.last_modified = 1'800'000'000'123;
  c.revision_id = "r1";
  c.description = "desc";
  auto back = FromStorageJson(ToStorageJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, c.name);
  EXPECT_EQ(back->environment, c.environment);
  EXPECT_EQ(back->tags, c.tags);
  EXPECT_EQ(back->timeout_s, 30);
  EXPECT_EQ(back->memory_mb, 256);
  EXPECT_EQ(back->code_size, 1234);
  EXPECT_EQ(back->last_modified, c.last_modified);
  EXPECT_EQ(back->code_id, c.code_id);
  EXPECT_FALSE(FromStorageJson("{").ok());
  EXPECT_FALSE(FromStorageJson(R"({"FunctionName":"x","CodeId":"../../etc"})").ok());
}

TEST(FunctionConfig, Formats) {
  EXPECT_EQ(FormatLastModified(1'796'007'600'000), "2026-11-30T03:00:00.000+0000");
  EXPECT_EQ(FormatLastModified(1'796'007'600'042), "2026-11-30T03:00:00.042+0000");
  EXPECT_EQ(FunctionArn("us-east-1", "123456789012", "f"),
            "arn:aws:lambda:us-east-1:123456789012:function:f");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Decode("Zm9vYmE=").value_or("?"), "fooba");
  EXPECT_EQ(Base64Decode("Zg==").value_or("?"), "f");
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Z===").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v!A==").has_value());
  EXPECT_EQ(Sha256Base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

}  // namespace
}  // namespace berth::functions
