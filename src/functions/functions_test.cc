// Functions on a simulated clock with a fake driver: the registry (validation, persistence,
// paging), invocation outcomes (result, function error, timeout, exit errors), Lambda's async
// retries, concurrency, and the START/END/REPORT log lines in a real LogStore.
#include "functions/functions.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/fake_executor.h"
#include "functions/files.h"
#include "functions/zip_test_util.h"

namespace berth::functions {
namespace {

using testing::BuildZip;

// A Driver whose "processes" run until the test ends them; they can write the result file
// (BERTH_LAMBDA_RESULT of their env) like a runtime shim would.
class FakeDriver : public driver::Driver {
 public:
  explicit FakeDriver(Executor& ex) : ex_(ex) {}
  struct Proc {
    driver::ProcessSpec spec;
    driver::ExitCallback on_exit;
    driver::OutputCallback on_output;
    bool running = true;
    std::vector<int> signals;
    std::string Env(const std::string& k) const {
      for (const auto& [key, v] : spec.env) {
        if (key == k) return v;
      }
      return "";
    }
  };
  Result<std::string> Start(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                            driver::OutputCallback on_output) override {
    if (!fail_start.empty()) return FailedPrecondition(fail_start);
    std::string id = "rt-" + std::to_string(next_++);
    procs[id] = Proc{spec, std::move(on_exit), std::move(on_output), true, {}};
    order.push_back(id);
    return id;
  }
  Status Signal(const std::string& id, int sig) override {
    auto it = procs.find(id);
    if (it == procs.end() || !it->second.running) return Status::Ok();
    it->second.signals.push_back(sig);
    if (sig == SIGKILL) Exit(id, 128 + sig, sig);
    return Status::Ok();
  }
  void KillAll() override {}
  std::string Name() const override { return "fake"; }

  // The last started process.
  Proc& Last() { return procs.at(order.back()); }
  std::string LastId() { return order.back(); }
  // Writes the result file and exits with `code`.
  void Respond(const std::string& id, const std::string& result, int code) {
    Proc& p = procs.at(id);
    std::ofstream(p.Env("BERTH_LAMBDA_RESULT")) << result;
    std::ofstream(p.Env("BERTH_LAMBDA_META")) << R"({"maxRssKb": 40000})";
    Exit(id, code, 0);
  }
  void Output(const std::string& id, const std::string& text) {
    procs.at(id).on_output(driver::Stream::kStderr, text, 0);
  }
  void Exit(const std::string& id, int code, int sig) {
    Proc& p = procs.at(id);
    p.running = false;
    auto cb = p.on_exit;
    ex_.Post([cb, code, sig] { cb(driver::ExitStatus{code, sig, false}); });
  }
  size_t Running() const {
    size_t n = 0;
    for (const auto& [id, p] : procs) n += p.running;
    return n;
  }

  std::string fail_start;
  std::map<std::string, Proc> procs;
  std::vector<std::string> order;

 private:
  Executor& ex_;
  int next_ = 1;
};

class FunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-functions-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = logs::LogStore::Open(dir_ + "/logs", ex_.clock());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    options_.data_dir = dir_;
    options_.log_store = store_.get();
    options_.base_env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/root"}, {"AWS_REGION", "x"}};
    Make();
  }
  void TearDown() override {
    functions_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Make() {
    functions_.reset();
    functions_ = std::make_unique<Functions>(ex_, driver_, options_);
    ASSERT_TRUE(functions_->Load().ok());
  }
  FunctionConfig Config(const std::string& name, const std::string& runtime = "nodejs20.x") {
    FunctionConfig c;
    c.name = name;
    c.runtime = runtime;
    c.handler = "index.handler";
    c.role = "arn:aws:iam::123456789012:role/r";
    return c;
  }
  std::string Zip() { return BuildZip({{.name = "index.js", .data = "exports.handler = 1;"}}); }
  FunctionConfig Create(const std::string& name, int timeout_s = 3) {
    FunctionConfig c = Config(name);
    c.timeout_s = timeout_s;
    auto r = functions_->CreateFunction(c, Zip());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : FunctionConfig{};
  }
  // Invokes and returns a slot the result lands in.
  std::shared_ptr<std::optional<InvokeResult>> Invoke(const std::string& name,
                                                      InvokeOptions options = {},
                                                      const std::string& payload = "{}") {
    auto slot = std::make_shared<std::optional<InvokeResult>>();
    functions_->Invoke(name, payload, std::move(options),
                       [slot](InvokeResult r) { *slot = std::move(r); });
    return slot;
  }
  std::vector<std::string> LogMessages(const std::string& group) {
    logs::FilterRequest req;
    req.group = group;
    auto page = store_->Filter(req);
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& e : page->events) out.push_back(e.message);
    }
    return out;
  }

  FakeExecutor ex_;
  FakeDriver driver_{ex_};
  std::string dir_;
  std::unique_ptr<logs::LogStore> store_;
  Options options_;
  std::unique_ptr<Functions> functions_;
};

TEST_F(FunctionsTest, CreateGetListDeleteAndPersist) {
  FunctionConfig c = Create("b-func");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.code_size, static_cast<int64_t>(Zip().size()));
  EXPECT_FALSE(c.code_sha256.empty());
  EXPECT_TRUE(std::filesystem::exists(functions_->CodeRoot(c) + "/index.js"));
  EXPECT_EQ(functions_->Arn(c), "arn:aws:lambda:us-east-1:123456789012:function:b-func");
  Create("a-func");
  Create("c-func");

  auto dup = functions_->CreateFunction(Config("a-func"), Zip());
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "Function already exist: a-func");

  auto page = functions_->ListFunctions("", 2);
  ASSERT_EQ(page.functions.size(), 2u);
  EXPECT_EQ(page.functions[0].name, "a-func");
  EXPECT_EQ(page.next_marker, "c-func");
  page = functions_->ListFunctions(page.next_marker, 2);
  ASSERT_EQ(page.functions.size(), 1u);
  EXPECT_EQ(page.next_marker, "");

  EXPECT_TRUE(functions_->GetFunction("b-func", "us-east-1").ok());
  EXPECT_TRUE(functions_->GetFunction("b-func:$LATEST", "us-east-1").ok());
  EXPECT_TRUE(
      functions_->GetFunction("arn:aws:lambda:us-east-1:123456789012:function:b-func", "").ok());
  auto missing = functions_->GetFunction("nope", "eu-west-1");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope");
  EXPECT_EQ(functions_->GetFunction("b-func:7", "us-east-1").status().message(),
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:b-func:7");
  EXPECT_EQ(functions_->GetFunction("arn:aws:lambda:us-east-1:999999999999:function:b-func", "")
                .status()
                .code(),
            Code::kNotFound);

  // A restarted registry finds everything again.
  Make();
  EXPECT_EQ(functions_->ListFunctions("", 50).functions.size(), 3u);
  auto again = functions_->GetFunction("b-func", "us-east-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->code_sha256, c.code_sha256);
  EXPECT_EQ(again->revision_id, c.revision_id);

  std::string code = functions_->CodeRoot(c);
  ASSERT_TRUE(functions_->DeleteFunction("b-func", "us-east-1").ok());
  EXPECT_FALSE(std::filesystem::exists(code));
  EXPECT_EQ(functions_->DeleteFunction("b-func", "us-east-1").code(), Code::kNotFound);
  Make();
  EXPECT_EQ(functions_->ListFunctions("", 50).functions.size(), 2u);
}

TEST_F(FunctionsTest, LoadRemovesCrashLeftovers) {
  FunctionConfig c = Create("f");
  ASSERT_TRUE(MakeDirs(dir_ + "/functions/code/deadbeef.tmp").ok());
  ASSERT_TRUE(MakeDirs(dir_ + "/functions/code/feedface").ok());
  ASSERT_TRUE(MakeDirs(dir_ + "/functions/run/some-request").ok());
  ASSERT_TRUE(WriteFile(dir_ + "/functions/registry/g.json.tmp-1234", "{").ok());
  Make();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/functions/code/deadbeef.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/functions/code/feedface"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/functions/run/some-request"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/functions/registry/g.json.tmp-1234"));
  EXPECT_TRUE(std::filesystem::exists(functions_->CodeRoot(c) + "/index.js"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/functions/runtime/node-shim.js"));
}

TEST_F(FunctionsTest, CreateRejectsBadInput) {
  auto r = functions_->CreateFunction(Config("f"), "not a zip");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("Could not unzip uploaded file. Please check your file, "
                                       "then try to upload again.",
                                       0),
            0u);
  r = functions_->CreateFunction(Config("f"), BuildZip({{.name = "../../evil", .data = "x"}}));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  Options small = options_;
  small.zip_limits.max_unzipped_bytes = 10;
  Functions limited(ex_, driver_, small);
  ASSERT_TRUE(limited.Load().ok());
  r = limited.CreateFunction(Config("f"), BuildZip({{.name = "a", .data = std::string(11, 'a')}}));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Unzipped size must be smaller than 10 bytes");
  FunctionConfig bad = Config("g");
  bad.timeout_s = 1000;
  EXPECT_EQ(functions_->CreateFunction(bad, Zip()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(functions_->ListFunctions("", 50).functions.size(), 0u);
  // Nothing left behind by the failures.
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/functions/code"));
}

TEST_F(FunctionsTest, UpdatesCodeAndConfiguration) {
  FunctionConfig c = Create("f");
  ex_.Advance(1000);
  auto u = functions_->UpdateFunctionCode(
      "f", "us-east-1", BuildZip({{.name = "index.js", .data = "exports.handler = 2;"}}));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_NE(u->code_sha256, c.code_sha256);
  EXPECT_NE(u->revision_id, c.revision_id);
  EXPECT_GT(u->last_modified, c.last_modified);
  EXPECT_FALSE(std::filesystem::exists(functions_->CodeRoot(c)));
  EXPECT_TRUE(std::filesystem::exists(functions_->CodeRoot(*u) + "/index.js"));

  ConfigurationUpdate cu;
  cu.timeout_s = 30;
  cu.environment = StringMap{{"GREETING", "hi"}};
  cu.description = "d";
  auto v = functions_->UpdateFunctionConfiguration("f", "us-east-1", cu);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->timeout_s, 30);
  EXPECT_EQ(v->memory_mb, 128);
  EXPECT_EQ(v->environment.at("GREETING"), "hi");
  cu = {};
  cu.memory_mb = 64;
  EXPECT_EQ(functions_->UpdateFunctionConfiguration("f", "us-east-1", cu).status().code(),
            Code::kInvalidArgument);
  Make();
  EXPECT_EQ(functions_->GetFunction("f", "")->timeout_s, 30);

  ASSERT_TRUE(functions_->TagResource(functions_->Arn(c), "", {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE(functions_->UntagResource(functions_->Arn(c), "", {"a"}).ok());
  EXPECT_EQ(*functions_->ListTags(functions_->Arn(c), ""), (StringMap{{"b", "2"}}));
}

TEST_F(FunctionsTest, InvokeSuccessWithEnvironmentAndLogs) {
  FunctionConfig c = Config("f");
  c.environment = {{"SLACK_HOOK_URL", "https://hooks.example/x"}, {"PATH", "/opt/bin:/usr/bin"}};
  c.memory_mb = 256;
  ASSERT_TRUE(functions_->CreateFunction(c, Zip()).ok());
  InvokeOptions o;
  o.tail_log = true;
  auto slot = Invoke("f", o, R"({"detail":{}})");
  ex_.RunPending();
  ASSERT_FALSE(slot->has_value());
  FakeDriver::Proc& p = driver_.Last();
  EXPECT_EQ(p.spec.argv[0], "node");
  EXPECT_EQ(p.spec.argv[1], dir_ + "/functions/runtime/node-shim.js");
  EXPECT_EQ(p.spec.memory_limit_bytes, 256LL << 20);
  EXPECT_EQ(p.Env("SLACK_HOOK_URL"), "https://hooks.example/x");
  EXPECT_EQ(p.Env("PATH"), "/opt/bin:/usr/bin");
  EXPECT_EQ(p.Env("HOME"), "/root");
  EXPECT_EQ(p.Env("AWS_REGION"), "us-east-1");
  EXPECT_EQ(p.Env("AWS_LAMBDA_FUNCTION_NAME"), "f");
  EXPECT_EQ(p.Env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
  EXPECT_EQ(p.Env("AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/f");
  EXPECT_EQ(p.Env("_HANDLER"), "index.handler");
  EXPECT_EQ(p.Env("TZ"), ":UTC");
  EXPECT_EQ(p.Env("LAMBDA_TASK_ROOT"), p.spec.working_dir);
  std::string stream = p.Env("AWS_LAMBDA_LOG_STREAM_NAME");
  EXPECT_NE(stream.find("/[$LATEST]"), std::string::npos) << stream;
  std::ifstream event(p.Env("BERTH_LAMBDA_EVENT"));
  std::string event_text((std::istreambuf_iterator<char>(event)), {});
  EXPECT_EQ(event_text, R"({"detail":{}})");

  driver_.Output(driver_.LastId(), "2026-01-01T00:00:00.000Z\tid\tINFO\thello\n");
  ex_.Advance(25);
  driver_.Respond(driver_.LastId(), R"({"ok":true})", 0);
  ex_.RunPending();
  ASSERT_TRUE(slot->has_value());
  const InvokeResult& r = **slot;
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.payload, R"({"ok":true})");
  EXPECT_EQ(r.function_error, "");
  EXPECT_NE(r.log_tail.find("START RequestId: " + r.request_id + " Version: $LATEST"),
            std::string::npos);
  EXPECT_NE(r.log_tail.find("hello"), std::string::npos);
  EXPECT_NE(r.log_tail.find("REPORT RequestId: " + r.request_id +
                            "\tDuration: 25.00 ms\tBilled Duration: 25 ms\tMemory Size: 256 MB\t"
                            "Max Memory Used: 40 MB\t"),
            std::string::npos)
      << r.log_tail;
  auto lines = LogMessages("/aws/lambda/f");
  ASSERT_EQ(lines.size(), 3u);  // no pipeline here: only berth's own lines
  EXPECT_EQ(lines[0], "START RequestId: " + r.request_id + " Version: $LATEST\n");
  EXPECT_EQ(lines[1], "END RequestId: " + r.request_id + "\n");
  EXPECT_EQ(lines[2].rfind("REPORT RequestId: " + r.request_id, 0), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/functions/run/" + r.request_id));

  // The same environment (stream) is reused by the next invocation.
  auto again = Invoke("f");
  ex_.RunPending();
  EXPECT_EQ(driver_.Last().Env("AWS_LAMBDA_LOG_STREAM_NAME"), stream);
  driver_.Respond(driver_.LastId(), "null", 0);
  ex_.RunPending();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->payload, "null");
  EXPECT_EQ((*again)->log_tail, "");  // not asked for
}

TEST_F(FunctionsTest, InvokeOutcomes) {
  Create("f", 2);
  // Function error: the shim's JSON and exit 1.
  auto s = Invoke("f");
  driver_.Respond(driver_.LastId(), R"({"errorType":"TypeError","errorMessage":"x","trace":[]})",
                  1);
  ex_.RunPending();
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->function_error, "Unhandled");
  EXPECT_EQ((*s)->payload, R"({"errorType":"TypeError","errorMessage":"x","trace":[]})");

  // Timeout: killed at 2 s.
  s = Invoke("f");
  ex_.RunPending();
  std::string id = driver_.LastId();
  ex_.Advance(1999);
  EXPECT_TRUE(driver_.procs.at(id).signals.empty());
  ex_.Advance(1);
  EXPECT_EQ(driver_.procs.at(id).signals, std::vector<int>{SIGKILL});
  ex_.RunPending();
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->function_error, "Unhandled");
  EXPECT_EQ((*s)->payload, R"({"errorType":"Sandbox.Timedout","errorMessage":"RequestId: )" +
                               (*s)->request_id + R"( Error: Task timed out after 2.00 seconds"})");
  auto lines = LogMessages("/aws/lambda/f");
  bool timed_out_line = false, status_timeout = false;
  for (const auto& l : lines) {
    timed_out_line |=
        l.find((*s)->request_id + " Task timed out after 2.00 seconds") != std::string::npos;
    status_timeout |= l.find("REPORT RequestId: " + (*s)->request_id) == 0 &&
                      l.find("Status: timeout") != std::string::npos;
  }
  EXPECT_TRUE(timed_out_line);
  EXPECT_TRUE(status_timeout);

  // A runtime that exits without a result.
  s = Invoke("f");
  ex_.RunPending();
  driver_.Exit(driver_.LastId(), 3, 0);
  ex_.RunPending();
  ASSERT_TRUE(s->has_value());
  EXPECT_NE((*s)->payload.find("Runtime.ExitError"), std::string::npos);
  EXPECT_NE((*s)->payload.find("Runtime exited with error: exit status 3"), std::string::npos);
  s = Invoke("f");
  ex_.RunPending();
  driver_.Exit(driver_.LastId(), 0, 0);
  ex_.RunPending();
  EXPECT_NE((*s)->payload.find("Runtime exited without providing a reason"), std::string::npos);

  // The driver cannot start it.
  driver_.fail_start = "CannotStartContainerError: node: executable file not found in $PATH";
  s = Invoke("f");
  EXPECT_FALSE(s->has_value());  // never from inside Invoke
  ex_.RunPending();
  ASSERT_TRUE(s->has_value());
  EXPECT_NE((*s)->payload.find("Runtime.InvalidEntrypoint"), std::string::npos);
  driver_.fail_start.clear();
  EXPECT_EQ(functions_->running(), 0u);
}

TEST_F(FunctionsTest, InvokeRefusals) {
  Create("f");
  auto s = Invoke("nope");
  EXPECT_FALSE(s->has_value());
  ex_.RunPending();
  EXPECT_EQ((*s)->status.code(), Code::kNotFound);
  s = Invoke("f", {}, "{not json");
  ex_.RunPending();
  EXPECT_EQ((*s)->status.code(), Code::kInvalidArgument);
  InvokeOptions q;
  q.qualifier = "prod";
  s = Invoke("f", q);
  ex_.RunPending();
  EXPECT_EQ((*s)->status.code(), Code::kNotFound);
  InvokeOptions dry;
  dry.type = InvocationType::kDryRun;
  s = Invoke("f", dry);
  ex_.RunPending();
  EXPECT_TRUE((*s)->status.ok());
  EXPECT_EQ((*s)->status_code, 204);
  EXPECT_TRUE(driver_.procs.empty());

  // At the concurrency limit a RequestResponse call is refused.
  options_.max_concurrency = 1;
  Make();
  auto first = Invoke("f");
  auto second = Invoke("f");
  ex_.RunPending();
  EXPECT_FALSE(first->has_value());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->status.code(), Code::kResourceExhausted);
  driver_.Respond(driver_.LastId(), "1", 0);
  ex_.RunPending();
  EXPECT_EQ((*first)->payload, "1");
}

TEST_F(FunctionsTest, EventInvocationsRetryTwiceThenGiveUp) {
  options_.async_retry_delays_ms = {60'000, 120'000};
  Make();
  Create("f");
  std::vector<InvokeResult> finished;
  InvokeOptions o;
  o.type = InvocationType::kEvent;
  o.on_event_done = [&](const InvokeResult& r) { finished.push_back(r); };
  auto accepted = Invoke("f", o, R"({"n":1})");
  ex_.RunPending();
  ASSERT_TRUE(accepted->has_value());
  EXPECT_EQ((*accepted)->status_code, 202);
  std::string rid = (*accepted)->request_id;
  ASSERT_EQ(driver_.order.size(), 1u);
  EXPECT_EQ(driver_.Last().Env("BERTH_LAMBDA_REQUEST_ID"), rid);
  driver_.Respond(driver_.LastId(), R"({"errorType":"Error","errorMessage":"boom"})", 1);
  ex_.RunPending();
  EXPECT_TRUE(finished.empty());
  ex_.Advance(59'999);
  EXPECT_EQ(driver_.order.size(), 1u);
  ex_.Advance(1);
  ASSERT_EQ(driver_.order.size(), 2u);
  EXPECT_EQ(driver_.Last().Env("BERTH_LAMBDA_REQUEST_ID"), rid);  // same request id
  driver_.Respond(driver_.LastId(), R"({"errorType":"Error","errorMessage":"boom"})", 1);
  ex_.RunPending();
  ex_.Advance(120'000);
  ASSERT_EQ(driver_.order.size(), 3u);
  driver_.Respond(driver_.LastId(), R"({"errorType":"Error","errorMessage":"boom"})", 1);
  ex_.RunPending();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].attempts, 3);
  EXPECT_EQ(finished[0].function_error, "Unhandled");
  ex_.Advance(600'000);
  EXPECT_EQ(driver_.order.size(), 3u);

  // A success on the second attempt ends it there.
  finished.clear();
  Invoke("f", o);
  ex_.RunPending();
  driver_.Exit(driver_.LastId(), 1, 0);
  ex_.RunPending();
  ex_.Advance(60'000);
  driver_.Respond(driver_.LastId(), "null", 0);
  ex_.RunPending();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].attempts, 2);
  EXPECT_EQ(finished[0].function_error, "");
}

TEST_F(FunctionsTest, EventsQueueBehindTheConcurrencyLimit) {
  options_.max_concurrency = 2;
  Make();
  Create("f");
  int done = 0;
  InvokeOptions o;
  o.type = InvocationType::kEvent;
  o.on_event_done = [&](const InvokeResult&) { ++done; };
  for (int i = 0; i < 5; ++i) Invoke("f", o);
  ex_.RunPending();
  EXPECT_EQ(driver_.Running(), 2u);
  EXPECT_EQ(functions_->queued_events(), 3u);
  for (int i = 0; i < 10 && done < 5; ++i) {
    EXPECT_LE(driver_.Running(), 2u);
    for (auto& [id, p] : driver_.procs) {
      if (p.running) {
        driver_.Respond(id, "null", 0);
        break;
      }
    }
    ex_.RunPending();
  }
  EXPECT_EQ(done, 5);
  EXPECT_EQ(functions_->queued_events(), 0u);
  EXPECT_EQ(functions_->running(), 0u);
}

TEST_F(FunctionsTest, DeleteWhileRunningKeepsTheCodeUntilTheEnd) {
  FunctionConfig c = Create("f");
  auto s = Invoke("f");
  ex_.RunPending();
  ASSERT_TRUE(functions_->DeleteFunction("f", "").ok());
  EXPECT_TRUE(std::filesystem::exists(functions_->CodeRoot(c)));
  driver_.Respond(driver_.LastId(), "7", 0);
  ex_.RunPending();
  EXPECT_EQ((*s)->payload, "7");
  EXPECT_FALSE(std::filesystem::exists(functions_->CodeRoot(c)));
}

TEST_F(FunctionsTest, ResetDeletesEverything) {
  Create("f");
  Create("g");
  auto s = Invoke("f");
  ex_.RunPending();
  ASSERT_TRUE(functions_->Reset().ok());
  ex_.RunPending();
  ASSERT_TRUE(s->has_value());  // killed, still answered
  EXPECT_NE((*s)->payload.find("signal: killed"), std::string::npos);
  EXPECT_EQ(functions_->ListFunctions("", 50).functions.size(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/functions/code"));
  Make();
  EXPECT_EQ(functions_->ListFunctions("", 50).functions.size(), 0u);
}

}  // namespace
}  // namespace berth::functions
