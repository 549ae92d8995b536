// LambdaApi over a real Functions registry on a simulated clock, with a driver that never runs
// anything by itself (invocations are answered by the test).
#include "api/lambda/lambda_api.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/fake_executor.h"
#include "functions/encoding.h"
#include "functions/zip_test_util.h"

namespace berth::api {
namespace {

using nlohmann::json;

class ManualDriver : public driver::Driver {
 public:
  explicit ManualDriver(Executor& ex) : ex_(ex) {}
  struct Proc {
    driver::ProcessSpec spec;
    driver::ExitCallback on_exit;
    std::string Env(const std::string& k) const {
      for (const auto& [key, v] : spec.env) {
        if (key == k) return v;
      }
      return "";
    }
  };
  Result<std::string> Start(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                            driver::OutputCallback on_output) override {
    on_output(driver::Stream::kStderr, "hello from the function\n", 0);
    procs.push_back({spec, std::move(on_exit)});
    return "rt-" + std::to_string(procs.size());
  }
  Status Signal(const std::string&, int) override { return Status::Ok(); }
  void KillAll() override {}
  std::string Name() const override { return "manual"; }
  void Respond(const std::string& result, int code) {
    Proc& p = procs.back();
    std::ofstream(p.Env("BERTH_LAMBDA_RESULT")) << result;
    auto cb = p.on_exit;
    ex_.Post([cb, code] { cb(driver::ExitStatus{code, 0, false}); });
  }
  std::vector<Proc> procs;

 private:
  Executor& ex_;
};

class LambdaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-lambda-api-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    functions::Options o;
    o.data_dir = dir_;
    functions_ = std::make_unique<functions::Functions>(ex_, driver_, o);
    ASSERT_TRUE(functions_->Load().ok());
    LambdaApi::Options ao;
    ao.run_until = [this](const std::function<bool()>& done) {
      for (int i = 0; i < 10 && !done(); ++i) ex_.RunPending();
    };
    api_ = std::make_unique<LambdaApi>(*functions_, ao);
  }
  void TearDown() override {
    api_.reset();
    functions_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.headers = std::move(headers);
    return api_->Handle(req, "us-east-1");
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  std::string ZipB64() {
    return functions::Base64Encode(functions::testing::BuildZip(
        {{.name = "index.js", .data = "exports.handler = async () => 1;"}}));
  }
  json CreateBody(const std::string& name) {
    return {{"FunctionName", name},
            {"Runtime", "nodejs20.x"},
            {"Role", "arn:aws:iam::123456789012:role/lambda"},
            {"Handler", "index.handler"},
            {"Code", {{"ZipFile", ZipB64()}}},
            {"Environment", {{"Variables", {{"SLACK_HOOK_URL", "https://x"}}}}},
            {"Tags", {{"team", "web"}}}};
  }

  FakeExecutor ex_;
  ManualDriver driver_{ex_};
  std::string dir_;
  std::unique_ptr<functions::Functions> functions_;
  std::unique_ptr<LambdaApi> api_;
};

TEST_F(LambdaApiTest, CreateGetListUpdateDelete) {
  HttpResponse r = Call("POST", "/2015-03-31/functions", CreateBody("notifier").dump());
  ASSERT_EQ(r.status, 201) << r.body;
  json c = json::parse(r.body);
  EXPECT_EQ(c["FunctionName"], "notifier");
  EXPECT_EQ(c["FunctionArn"], "arn:aws:lambda:us-east-1:123456789012:function:notifier");
  EXPECT_EQ(c["Timeout"], 3);
  EXPECT_EQ(c["MemorySize"], 128);
  EXPECT_EQ(c["Version"], "$LATEST");
  EXPECT_EQ(c["State"], "Active");
  EXPECT_EQ(c["LastUpdateStatus"], "Successful");
  EXPECT_EQ(c["PackageType"], "Zip");
  EXPECT_EQ(c["Architectures"], json::array({"x86_64"}));
  EXPECT_EQ(c["Environment"]["Variables"]["SLACK_HOOK_URL"], "https://x");
  EXPECT_EQ(c["CodeSha256"], functions::Sha256Base64(*functions::Base64Decode(ZipB64())));
  std::string lm = c["LastModified"];
  EXPECT_EQ(lm.size(), std::string("2026-11-30T03:00:00.000+0000").size());
  EXPECT_EQ(lm.substr(lm.size() - 5), "+0000");

  r = Call("POST", "/2015-03-31/functions", CreateBody("notifier").dump());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ResourceConflictException");
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"Type":"User","message":"Function already exist: notifier"})"));

  r = Call("GET", "/2015-03-31/functions/notifier");
  ASSERT_EQ(r.status, 200);
  json g = json::parse(r.body);
  EXPECT_EQ(g["Configuration"]["FunctionName"], "notifier");
  EXPECT_EQ(g["Tags"]["team"], "web");
  r = Call("GET",
           "/2015-03-31/functions/"
           "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Anotifier/configuration");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GET", "/2015-03-31/functions/notifier?Qualifier=%24LATEST");
  EXPECT_EQ(r.status, 200);

  r = Call("GET", "/2015-03-31/functions/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"Type":"User","Message":"Function not found: )"
                        R"(arn:aws:lambda:us-east-1:123456789012:function:missing"})"));

  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("alpha").dump()).status, 201);
  r = Call("GET", "/2015-03-31/functions/?MaxItems=1");
  json l = json::parse(r.body);
  ASSERT_EQ(l["Functions"].size(), 1u);
  EXPECT_EQ(l["Functions"][0]["FunctionName"], "alpha");
  ASSERT_TRUE(l.contains("NextMarker"));
  r = Call("GET", "/2015-03-31/functions/?MaxItems=1&Marker=" + l["NextMarker"].get<std::string>());
  l = json::parse(r.body);
  EXPECT_EQ(l["Functions"][0]["FunctionName"], "notifier");
  EXPECT_FALSE(l.contains("NextMarker"));

  r = Call("PUT", "/2015-03-31/functions/notifier/configuration",
           R"({"Timeout":30,"MemorySize":256,"Environment":{"Variables":{"A1":"b"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  c = json::parse(r.body);
  EXPECT_EQ(c["Timeout"], 30);
  EXPECT_EQ(c["MemorySize"], 256);
  EXPECT_EQ(c["Environment"]["Variables"], json::parse(R"({"A1":"b"})"));
  std::string rev = c["RevisionId"];

  r = Call("PUT", "/2015-03-31/functions/notifier/code",
           json{{"ZipFile", ZipB64()}, {"RevisionId", "stale"}}.dump());
  EXPECT_EQ(r.status, 412);
  r = Call("PUT", "/2015-03-31/functions/notifier/code",
           json{{"ZipFile", ZipB64()}, {"RevisionId", rev}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(json::parse(r.body)["RevisionId"], rev);

  r = Call("DELETE", "/2015-03-31/functions/notifier");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/notifier").status, 404);
}

TEST_F(LambdaApiTest, ValidationAndContentErrors) {
  auto type = [&](const HttpResponse& r) { return Header(r, "x-amzn-ErrorType"); };
  json b = CreateBody("f");
  b["Timeout"] = 901;
  HttpResponse r = Call("POST", "/2015-03-31/functions", b.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(type(r), "ValidationException");
  EXPECT_EQ(json::parse(r.body)["message"],
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900");
  b = CreateBody("bad name");
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", b.dump())), "ValidationException");
  b = CreateBody("f");
  b["Timeout"] = "3";
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", b.dump())),
            "InvalidRequestContentException");
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", "{nope")), "InvalidRequestContentException");
  b = CreateBody("f");
  b.erase("Role");
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", b.dump())), "ValidationException");
  b = CreateBody("f");
  b["Runtime"] = "java21";
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", b.dump())),
            "InvalidParameterValueException");
  b = CreateBody("f");
  b["Environment"]["Variables"]["AWS_REGION"] = "x";
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", b.dump())),
            "InvalidParameterValueException");
  b = CreateBody("f");
  b["Code"] = {{"ZipFile", functions::Base64Encode("not a zip")}};
  r = Call("POST", "/2015-03-31/functions", b.dump());
  EXPECT_EQ(type(r), "InvalidParameterValueException");
  EXPECT_EQ(json::parse(r.body)["message"].get<std::string>().rfind("Could not unzip", 0), 0u);
  b = CreateBody("f");
  b["Code"] = {{"S3Bucket", "b"}, {"S3Key", "k"}};
  EXPECT_EQ(type(Call("POST", "/2015-03-31/functions", b.dump())),
            "InvalidParameterValueException");
  EXPECT_EQ(type(Call("GET", "/2015-03-31/functions/?MaxItems=0")), "ValidationException");
  EXPECT_EQ(Call("GET", "/2015-03-31/nothing").status, 404);
  EXPECT_EQ(type(Call("PATCH", "/2015-03-31/functions/f")), "UnknownOperationException");
}

TEST_F(LambdaApiTest, InvokeHeadersAndPayloads) {
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("f").dump()).status, 201);
  HttpRequest req;
  req.method = "POST";
  req.target = "/2015-03-31/functions/f/invocations";
  req.body = R"({"detail":{"group":"service:web"}})";
  req.headers = {{"X-Amz-Log-Type", "Tail"}};
  std::optional<HttpResponse> got;
  api_->HandleAsync(req, "us-east-1", [&](HttpResponse r) { got = std::move(r); });
  ex_.RunPending();
  EXPECT_FALSE(got.has_value());  // running
  driver_.Respond(R"({"ok":1})", 0);
  ex_.RunPending();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, R"({"ok":1})");
  EXPECT_EQ(Header(*got, "X-Amz-Executed-Version"), "$LATEST");
  EXPECT_EQ(Header(*got, "X-Amz-Function-Error"), "");
  std::string tail = *functions::Base64Decode(Header(*got, "X-Amz-Log-Result"));
  EXPECT_NE(tail.find("START RequestId: " + Header(*got, "x-amzn-RequestId")), std::string::npos);
  EXPECT_NE(tail.find("hello from the function"), std::string::npos);
  EXPECT_NE(tail.find("REPORT RequestId:"), std::string::npos);

  got.reset();
  req.headers = {};
  api_->HandleAsync(req, "us-east-1", [&](HttpResponse r) { got = std::move(r); });
  ex_.RunPending();
  driver_.Respond(R"({"errorType":"Error","errorMessage":"boom","trace":[]})", 1);
  ex_.RunPending();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(Header(*got, "X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(Header(*got, "X-Amz-Log-Result"), "");
  EXPECT_EQ(json::parse(got->body)["errorMessage"], "boom");

  // Event: 202 at once, through the synchronous adapter.
  HttpResponse r = Call("POST", "/2015-03-31/functions/f/invocations", "{}",
                        {{"X-Amz-Invocation-Type", "Event"}});
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "");
  r = Call("POST", "/2015-03-31/functions/f/invocations", "{}",
           {{"X-Amz-Invocation-Type", "DryRun"}});
  EXPECT_EQ(r.status, 204);
  r = Call("POST", "/2015-03-31/functions/f/invocations", "{}",
           {{"X-Amz-Invocation-Type", "Sometimes"}});
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ValidationException");
  r = Call("POST", "/2015-03-31/functions/f/invocations", "not json");
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "InvalidRequestContentException");
  r = Call("POST", "/2015-03-31/functions/nope/invocations", "{}");
  EXPECT_EQ(r.status, 404);
  r = Call("POST", "/2015-03-31/functions/f/invocations?Qualifier=7", "{}");
  EXPECT_EQ(r.status, 404);
}

TEST_F(LambdaApiTest, Tags) {
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("f").dump()).status, 201);
  std::string arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af";
  EXPECT_EQ(Call("POST", "/2017-03-31/tags/" + arn, R"({"Tags":{"env":"dev"}})").status, 204);
  HttpResponse r = Call("GET", "/2017-03-31/tags/" + arn);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"Tags":{"env":"dev","team":"web"}})"));
  EXPECT_EQ(Call("DELETE", "/2017-03-31/tags/" + arn + "?tagKeys=team&tagKeys=env").status, 204);
  EXPECT_EQ(json::parse(Call("GET", "/2017-03-31/tags/" + arn).body),
            json::parse(R"({"Tags":{}})"));
  EXPECT_EQ(Header(Call("GET", "/2017-03-31/tags/f"), "x-amzn-ErrorType"), "ValidationException");
  EXPECT_EQ(
      Call("GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ag")
          .status,
      404);
}

}  // namespace
}  // namespace berth::api
