// The runtimes for real: node, /usr/bin/python3 and a `provided` bootstrap, run through the
// real ProcessDriver on a ThreadExecutor, with output going through a logs::Pipeline into a
// LogStore. Skips the Node/Python cases when the interpreter is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>

#include "driver/process_driver.h"
#include "driver/test_executor.h"
#include "functions/functions.h"
#include "functions/zip_test_util.h"
#include "logs/log_store.h"
#include "logs/pipeline.h"

namespace berth::functions {
namespace {

using nlohmann::json;
using testing::BuildZip;
using testing::TestEntry;

bool HaveNode() {
  return access("/usr/bin/node", X_OK) == 0 || access("/usr/local/bin/node", X_OK) == 0;
}
bool HavePython() { return access("/usr/bin/python3", X_OK) == 0; }

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-runtime-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = logs::LogStore::Open(dir_ + "/logs", executor_.clock());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    pipeline_ = std::make_unique<logs::Pipeline>(*store_, executor_.clock());
    executor_.RunSync([&] {
      driver_ = std::make_unique<driver::ProcessDriver>(executor_, dir_);
      Options o;
      o.data_dir = dir_;
      o.log_store = store_.get();
      o.pipeline = pipeline_.get();
      o.base_env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", "/tmp"}};
      functions_ = std::make_unique<Functions>(executor_, *driver_, o);
      ASSERT_TRUE(functions_->Load().ok());
    });
  }
  void TearDown() override {
    executor_.RunSync([&] {
      functions_.reset();
      driver_.reset();
    });
    pipeline_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Create(const std::string& name, const std::string& runtime, const std::string& handler,
              const std::vector<TestEntry>& files, int timeout_s = 10, StringMap env = {}) {
    executor_.RunSync([&] {
      FunctionConfig c;
      c.name = name;
      c.runtime = runtime;
      c.handler = handler;
      c.role = "arn:aws:iam::123456789012:role/r";
      c.timeout_s = timeout_s;
      c.environment = std::move(env);
      auto r = functions_->CreateFunction(c, BuildZip(files));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    });
  }

  InvokeResult Invoke(const std::string& name, const std::string& payload, bool tail = false) {
    auto done = std::make_shared<std::promise<InvokeResult>>();
    auto future = done->get_future();
    executor_.RunSync([&] {
      InvokeOptions o;
      o.tail_log = tail;
      functions_->Invoke(name, payload, o, [done](InvokeResult r) { done->set_value(r); });
    });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return future.get();
  }

  std::vector<std::string> Log(const std::string& group) {
    std::vector<std::string> out;
    logs::FilterRequest req;
    req.group = group;
    auto page = store_->Filter(req);
    if (page.ok()) {
      for (const auto& e : page->events) out.push_back(e.message);
    }
    return out;
  }

  driver::ThreadExecutor executor_;
  std::string dir_;
  std::unique_ptr<logs::LogStore> store_;
  std::unique_ptr<logs::Pipeline> pipeline_;
  std::unique_ptr<driver::ProcessDriver> driver_;
  std::unique_ptr<Functions> functions_;
};

TEST_F(RuntimeTest, NodeAsyncHandlerSeesEventEnvironmentAndContext) {
  if (!HaveNode()) GTEST_SKIP() << "node is not installed";
  Create("echo", "nodejs20.x", "index.handler",
         {{.name = "index.js", .data = R"(exports.handler = async (event, context, callback) => {
  console.log('got', JSON.stringify(event));
  return { event, greeting: process.env.GREETING, name: context.functionName,
           arn: context.invokedFunctionArn, id: context.awsRequestId,
           remaining: context.getRemainingTimeInMillis() > 0, cwd: process.cwd(),
           group: context.logGroupName, tz: process.env.TZ };
};
)"}},
         10, {{"GREETING", "hello"}});
  InvokeResult r = Invoke("echo", R"({"detail":{"lastStatus":"PENDING"}})", true);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.function_error, "") << r.payload;
  json j = json::parse(r.payload);
  EXPECT_EQ(j["event"]["detail"]["lastStatus"], "PENDING");
  EXPECT_EQ(j["greeting"], "hello");
  EXPECT_EQ(j["name"], "echo");
  EXPECT_EQ(j["arn"], "arn:aws:lambda:us-east-1:123456789012:function:echo");
  EXPECT_EQ(j["id"], r.request_id);
  EXPECT_EQ(j["remaining"], true);
  EXPECT_EQ(j["group"], "/aws/lambda/echo");
  EXPECT_EQ(j["tz"], ":UTC");
  EXPECT_NE(r.log_tail.find("\tINFO\tgot {\"detail\""), std::string::npos) << r.log_tail;
  auto lines = Log("/aws/lambda/echo");
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines.front(), "START RequestId: " + r.request_id + " Version: $LATEST\n");
  EXPECT_NE(lines[1].find("\t" + r.request_id + "\tINFO\tgot "), std::string::npos) << lines[1];
  EXPECT_EQ(lines[lines.size() - 2], "END RequestId: " + r.request_id + "\n");
  EXPECT_EQ(lines.back().rfind("REPORT RequestId: " + r.request_id + "\tDuration: ", 0), 0u);
  EXPECT_EQ(lines.back().find("Max Memory Used: 0 MB"), std::string::npos) << lines.back();
}

TEST_F(RuntimeTest, NodeCallbackErrorsAndMissingHandlers) {
  if (!HaveNode()) GTEST_SKIP() << "node is not installed";
  Create("cb", "nodejs18.x", "src/app.handler",
         {{.name = "src/app.mjs",
           .data = "export const handler = (event, context, callback) => {\n"
                   "  setTimeout(() => callback(null, { n: event.n + 1 }), 10);\n};\n"},
          {.name = "src/fail.js", .data = "exports.handler = async () => { null.boom; };\n"},
          {.name = "src/late.js",
           .data = "exports.handler = (e, c, cb) => { cb(null, 'first'); cb(null, 'second'); "
                   "throw new Error('ignored'); };\n"}});
  InvokeResult r = Invoke("cb", R"({"n":41})");
  EXPECT_EQ(r.function_error, "") << r.payload;
  EXPECT_EQ(json::parse(r.payload), json::parse(R"({"n":42})"));

  executor_.RunSync([&] {
    ConfigurationUpdate u;
    u.handler = "src/fail.handler";
    ASSERT_TRUE(functions_->UpdateFunctionConfiguration("cb", "", u).ok());
  });
  r = Invoke("cb", "{}");
  EXPECT_EQ(r.function_error, "Unhandled");
  json e = json::parse(r.payload);
  EXPECT_EQ(e["errorType"], "TypeError");
  EXPECT_TRUE(e["trace"].is_array());

  executor_.RunSync([&] {
    ConfigurationUpdate u;
    u.handler = "src/late.handler";
    ASSERT_TRUE(functions_->UpdateFunctionConfiguration("cb", "", u).ok());
  });
  r = Invoke("cb", "{}");
  EXPECT_EQ(r.function_error, "");
  EXPECT_EQ(r.payload, "\"first\"");

  for (auto [handler, type] : std::vector<std::pair<std::string, std::string>>{
           {"src/missing.handler", "Runtime.ImportModuleError"},
           {"src/app.nope", "Runtime.HandlerNotFound"},
           {"nodots", "Runtime.MalformedHandlerName"}}) {
    executor_.RunSync([&, h = handler] {
      ConfigurationUpdate u;
      u.handler = h;
      ASSERT_TRUE(functions_->UpdateFunctionConfiguration("cb", "", u).ok());
    });
    r = Invoke("cb", "{}");
    EXPECT_EQ(r.function_error, "Unhandled") << handler;
    EXPECT_EQ(json::parse(r.payload)["errorType"], type) << r.payload;
  }
}

TEST_F(RuntimeTest, NodeTimeoutKillsTheProcess) {
  if (!HaveNode()) GTEST_SKIP() << "node is not installed";
  Create(
      "slow", "nodejs20.x", "index.handler",
      {{.name = "index.js",
        .data =
            "exports.handler = async () => { await new Promise(r => setTimeout(r, 60000)); };\n"}},
      1);
  auto t0 = std::chrono::steady_clock::now();
  InvokeResult r = Invoke("slow", "{}");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(r.function_error, "Unhandled");
  json e = json::parse(r.payload);
  EXPECT_EQ(e["errorType"], "Sandbox.Timedout");
  EXPECT_EQ(e["errorMessage"],
            "RequestId: " + r.request_id + " Error: Task timed out after 1.00 seconds");
}

TEST_F(RuntimeTest, PythonHandler) {
  if (!HavePython()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  Create("py", "python3.11", "pkg/handler.main",
         {{.name = "pkg/handler.py",
           .data = "import os\n"
                   "def main(event, context):\n"
                   "    print('event', event)\n"
                   "    if event.get('fail'):\n"
                   "        raise ValueError('bad input')\n"
                   "    return {'sum': event['a'] + event['b'], 'fn': context.function_name,\n"
                   "            'mem': context.memory_limit_in_mb, 'x': os.environ['X_VAR']}\n"}},
         10, {{"X_VAR", "y"}});
  InvokeResult r = Invoke("py", R"({"a":2,"b":3})", true);
  EXPECT_EQ(r.function_error, "") << r.payload;
  EXPECT_EQ(json::parse(r.payload), json::parse(R"({"sum":5,"fn":"py","mem":128,"x":"y"})"));
  EXPECT_NE(r.log_tail.find("event {'a': 2, 'b': 3}"), std::string::npos) << r.log_tail;
  r = Invoke("py", R"({"fail":true})");
  EXPECT_EQ(r.function_error, "Unhandled");
  json e = json::parse(r.payload);
  EXPECT_EQ(e["errorType"], "ValueError");
  EXPECT_EQ(e["errorMessage"], "bad input");
  EXPECT_EQ(e["requestId"], r.request_id);
  ASSERT_TRUE(e["stackTrace"].is_array());
  ASSERT_FALSE(e["stackTrace"].empty());
  EXPECT_NE(e["stackTrace"].back().get<std::string>().find("raise ValueError"), std::string::npos);
}

TEST_F(RuntimeTest, ProvidedBootstrap) {
  Create(
      "sh", "provided.al2023", "",
      {{.name = "bootstrap",
        .data = "#!/bin/sh\n"
                "read -r event\n"
                "echo \"bootstrap got $event\" >&2\n"
                "case \"$event\" in\n"
                "  *fail*) echo '{\"errorType\":\"MyError\",\"errorMessage\":\"nope\"}'; exit 1;;\n"
                "  *crash*) exit 7;;\n"
                "esac\n"
                "echo \"{\\\"echo\\\":$event,\\\"fn\\\":\\\"$AWS_LAMBDA_FUNCTION_NAME\\\"}\"\n",
        .unix_mode = 0100755}});
  InvokeResult r = Invoke("sh", R"({"k":1})", true);
  EXPECT_EQ(r.function_error, "") << r.payload;
  EXPECT_EQ(json::parse(r.payload), json::parse(R"({"echo":{"k":1},"fn":"sh"})"));
  EXPECT_NE(r.log_tail.find("bootstrap got {\"k\":1}"), std::string::npos) << r.log_tail;
  r = Invoke("sh", R"({"fail":1})");
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(json::parse(r.payload)["errorType"], "MyError");
  r = Invoke("sh", R"({"crash":1})");
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(json::parse(r.payload)["errorMessage"],
            "RequestId: " + r.request_id + " Error: Runtime exited with error: exit status 7");

  Create("nobootstrap", "provided.al2", "", {{.name = "main", .data = "x"}});
  r = Invoke("nobootstrap", "{}");
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(json::parse(r.payload)["errorType"], "Runtime.InvalidEntrypoint");
}

}  // namespace
}  // namespace berth::functions
