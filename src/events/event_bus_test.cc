#include "events/event_bus.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "common/fake_executor.h"

namespace berth::events {
namespace {

using nlohmann::json;

// Records invocations; answers with `next` (delivered unless told otherwise).
class FakeInvoker : public TargetInvoker {
 public:
  bool Handles(const std::string& arn) const override {
    return arn.rfind("arn:aws:lambda:", 0) == 0;
  }
  void Invoke(const Invocation& inv, std::function<void(InvokeOutcome)> done) override {
    payloads.emplace_back(inv.payload);
    InvokeOutcome o;
    o.kind = next;
    o.error_code = next == InvokeOutcome::kDelivered ? "" : "HTTP_503";
    done(o);
  }
  InvokeOutcome::Kind next = InvokeOutcome::kDelivered;
  std::vector<std::string> payloads;
};

constexpr char kFn[] = "arn:aws:lambda:us-east-1:123456789012:function:notify";

class EventBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-bus-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Open();
  }
  void TearDown() override {
    bus_.reset();
    std::filesystem::remove_all(dir_);
  }
  // The bus again, on the same data dir; its target invoker is `invoker` (default: invoker_).
  void Open(TargetInvoker* invoker = nullptr) {
    bus_.reset();
    BusOptions o;
    o.data_dir = dir_;
    o.retry_base_ms = 1000;
    o.retry_cap_ms = 8000;
    o.recent_kept = recent_kept_;
    auto b = EventBus::Open(exec_, o);
    ASSERT_TRUE(b.ok()) << b.status().message();
    bus_ = std::move(*b);
    bus_->AddInvoker(invoker ? invoker : &invoker_);
    bus_->Start();
  }
  void AddRule(const std::string& name, const std::string& pattern, json target) {
    RuleSpec spec;
    spec.name = name;
    spec.pattern_text = pattern;
    auto p = EventPattern::Compile(pattern);
    ASSERT_TRUE(p.ok()) << p.status().message();
    spec.pattern = *p;
    ASSERT_TRUE(bus_->PutRule(spec).ok());
    auto t = ParseTarget(target);
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE(bus_->PutTargets("", name, {*t}).ok());
  }
  // Rule "r" on source "app", one target (kFn, Id "t") retried up to `retries` times; its ARN.
  std::string AddRetriedRule(int retries) {
    AddRule("r", R"({"source":["app"]})",
            {{"Id", "t"}, {"Arn", kFn}, {"RetryPolicy", {{"MaximumRetryAttempts", retries}}}});
    return bus_->DescribeRule("", "r")->arn;
  }
  PutEventsResult Put(const std::string& source, const std::string& detail) {
    EventEntry e{source, "Deploy", detail, {}, std::nullopt, ""};
    return bus_->PutEvents({e})[0];
  }
  // Puts {"n":n} for rule "r" (AddRetriedRule, ARN `arn`) and runs its first attempt, which
  // must deliver it: `payloads`, what the invoker was handed, gains it, `berth events` says
  // "delivered", and the rule has counted `delivered` deliveries in all.
  void PutExpectingDelivery(int n, const std::vector<std::string>& payloads, const std::string& arn,
                            uint64_t delivered) {
    const std::string detail = R"({"n":)" + std::to_string(n) + "}";
    const size_t before = payloads.size();
    Put("app", detail);
    exec_.RunPending();
    ASSERT_EQ(payloads.size(), before + 1);
    EXPECT_NE(payloads.back().find(R"("detail":)" + detail), std::string::npos);
    EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "delivered");
    EXPECT_EQ(bus_->RuleCounters(arn).delivered, delivered);
  }

  std::string dir_;
  size_t recent_kept_ = 500;
  FakeExecutor exec_;
  FakeInvoker invoker_;
  std::unique_ptr<EventBus> bus_;
};

TEST_F(EventBusTest, MatchingEventsReachTheTargetRenderedAndOthersDoNot) {
  AddRule("deploys", R"({"source":["app"],"detail":{"state":["done"]}})",
          {{"Id", "n"},
           {"Arn", kFn},
           {"InputTransformer",
            {{"InputPathsMap", {{"s", "$.detail.state"}}},
             {"InputTemplate", R"({"text":"state <s>"})"}}}});
  EXPECT_FALSE(Put("app", R"({"state":"done"})").event_id.empty());
  Put("app", R"({"state":"started"})");
  Put("other", R"({"state":"done"})");
  exec_.RunPending();
  ASSERT_EQ(invoker_.payloads.size(), 1u);
  EXPECT_EQ(invoker_.payloads[0], R"({"text":"state done"})");
  auto rule = bus_->DescribeRule("", "deploys");
  ASSERT_TRUE(rule.ok());
  Counters c = bus_->RuleCounters(rule->arn);
  EXPECT_EQ(c.matched, 1u);
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
}

TEST_F(EventBusTest, BadEntriesFailAloneWithAwsCodes) {
  auto r = bus_->PutEvents({{"app", "T", "not json", {}, std::nullopt, ""},
                            {"", "T", "{}", {}, std::nullopt, ""},
                            {"aws.ecs", "T", "{}", {}, std::nullopt, ""},
                            {"app", "T", "{}", {}, std::nullopt, "nope"},
                            {"app", "T", "{}", {}, std::nullopt, ""}});
  EXPECT_EQ(r[0].error_code, "MalformedDetail");
  EXPECT_EQ(r[1].error_message,
            "Parameter Source is not valid. Reason: Source is a required argument.");
  EXPECT_EQ(r[2].error_code, "NotAuthorizedForSourceException");
  EXPECT_EQ(r[3].error_code, "ResourceNotFoundException");
  EXPECT_TRUE(r[4].error_code.empty());
  EXPECT_FALSE(r[4].event_id.empty());
}

TEST_F(EventBusTest, RetriesWithBackoffThenDeadLetters) {
  AddRule("r", R"({"source":["app"]})",
          {{"Id", "n"}, {"Arn", kFn}, {"RetryPolicy", {{"MaximumRetryAttempts", 3}}}});
  invoker_.next = InvokeOutcome::kRetryable;
  Put("app", "{}");
  exec_.RunPending();
  EXPECT_EQ(invoker_.payloads.size(), 1u);
  exec_.Advance(60000);
  EXPECT_EQ(invoker_.payloads.size(), 4u);  // 1 attempt + 3 retries
  ASSERT_EQ(bus_->dead_letters().size(), 1u);
  EXPECT_EQ(bus_->dead_letters()[0].error_code, "HTTP_503");
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  // Replay once the target works again.
  invoker_.next = InvokeOutcome::kDelivered;
  ASSERT_TRUE(bus_->ReplayDeadLetter(bus_->dead_letters()[0].delivery.id).ok());
  exec_.RunPending();
  EXPECT_EQ(invoker_.payloads.size(), 5u);
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
}

TEST_F(EventBusTest, AcknowledgedEventsSurviveARestartAndAreDeliveredThen) {
  AddRule("r", R"({"source":["app"]})", {{"Id", "n"}, {"Arn", kFn}});
  invoker_.next = InvokeOutcome::kRetryable;  // the target is down
  Put("app", R"({"n":1})");
  Put("app", R"({"n":2})");
  exec_.RunPending();
  EXPECT_EQ(bus_->pending_deliveries(), 2u);
  Open();  // the daemon restarts
  EXPECT_EQ(bus_->pending_deliveries(), 2u);
  invoker_.next = InvokeOutcome::kDelivered;
  invoker_.payloads.clear();
  exec_.RunPending();
  EXPECT_EQ(invoker_.payloads.size(), 2u);
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  Open();
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  // Rules and targets came back from the config file too.
  auto targets = bus_->ListTargets("", "r");
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].arn, kFn);
}

// A journaled delivery whose target no longer parses (a journal from another version, edited
// by hand) or that no invoker takes is dead-lettered at its first attempt, with the reason.
TEST_F(EventBusTest, JournaledDeliveriesWithoutAUsableTargetAreDeadLettered) {
  bus_.reset();
  {
    std::ofstream journal(dir_ + "/events/outbox.jsonl");
    json bad_target = {{"Id", "t"}};  // no Arn
    json no_invoker = {{"Id", "t"}, {"Arn", "arn:aws:sqs:us-east-1:123456789012:q"}};
    int id = 1;
    for (const json& target : {bad_target, no_invoker}) {
      json j = {{"op", "enq"},
                {"id", id++},
                {"rule_arn", "arn:aws:events:us-east-1:123456789012:rule/r"},
                {"rule_name", "r"},
                {"target", target},
                {"event_id", "e" + std::to_string(id)},
                {"event", "{}"},
                {"payload", "{}"},
                {"first_ms", 0}};
      journal << j.dump() << "\n";
    }
  }
  Open();
  EXPECT_EQ(bus_->pending_deliveries(), 2u);
  exec_.RunPending();
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  ASSERT_EQ(bus_->dead_letters().size(), 2u);
  EXPECT_EQ(bus_->dead_letters()[0].error_code, "InvalidTarget");
  EXPECT_FALSE(bus_->dead_letters()[0].error_message.empty());
  EXPECT_EQ(bus_->dead_letters()[1].error_code, "UnsupportedTarget");
  EXPECT_EQ(bus_->dead_letters()[1].error_message,
            "berth cannot deliver to arn:aws:sqs:us-east-1:123456789012:q.");
  EXPECT_TRUE(invoker_.payloads.empty());
}

TEST_F(EventBusTest, ScheduleFiresOnTheMinuteWithAScheduledEvent) {
  RuleSpec spec;
  spec.name = "every-minute";
  spec.schedule_text = "rate(1 minute)";
  ASSERT_TRUE(bus_->PutRule(spec).ok());
  auto t = ParseTarget({{"Id", "n"}, {"Arn", kFn}});
  ASSERT_TRUE(bus_->PutTargets("", "every-minute", {*t}).ok());
  exec_.Advance(59000);
  EXPECT_TRUE(invoker_.payloads.empty());
  exec_.Advance(1000);
  ASSERT_EQ(invoker_.payloads.size(), 1u);
  json e = json::parse(invoker_.payloads[0]);
  EXPECT_EQ(e["detail-type"], "Scheduled Event");
  EXPECT_EQ(e["source"], "aws.events");
  EXPECT_EQ(e["resources"][0], "arn:aws:events:us-east-1:123456789012:rule/every-minute");
  exec_.Advance(120000);
  EXPECT_EQ(invoker_.payloads.size(), 3u);
  ASSERT_TRUE(bus_->SetRuleState("", "every-minute", false).ok());
  exec_.Advance(300000);
  EXPECT_EQ(invoker_.payloads.size(), 3u);
}

TEST_F(EventBusTest, RuleApiErrors) {
  RuleSpec none;
  none.name = "x";
  EXPECT_EQ(bus_->PutRule(none).status().message(),
            "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  AddRule("r", R"({"source":["app"]})", {{"Id", "n"}, {"Arn", kFn}});
  EXPECT_EQ(bus_->DeleteRule("", "r").message(), "Rule can't be deleted since it has targets.");
  ASSERT_TRUE(bus_->CreateEventBus("custom", "", {}).ok());
  RuleSpec sched;
  sched.name = "s";
  sched.bus = "custom";
  sched.schedule_text = "rate(5 minutes)";
  EXPECT_EQ(bus_->PutRule(sched).status().message(),
            "ScheduleExpression is supported only on the default event bus.");
  EXPECT_EQ(bus_->DescribeRule("", "missing").status().code(), Code::kNotFound);
  auto bad = ParseTarget({{"Id", "n"}, {"Arn", kFn}, {"Input", "{}"}, {"InputPath", "$.detail"}});
  EXPECT_EQ(bad.status().message(),
            "Only one of Input, InputPath, or InputTransformer must be provided for target n.");
}

// Each entry of a batch goes to its own bus (the batch resolves a bus once per run of entries
// that name it).
TEST_F(EventBusTest, EntriesOfOneBatchReachTheirOwnBuses) {
  ASSERT_TRUE(bus_->CreateEventBus("custom", "", {}).ok());
  AddRule("on-default", R"({"source":["app"]})", {{"Id", "n"}, {"Arn", kFn}});
  RuleSpec spec;
  spec.name = "on-custom";
  spec.bus = "custom";
  spec.pattern_text = R"({"source":["app"]})";
  spec.pattern = *EventPattern::Compile(*spec.pattern_text);
  ASSERT_TRUE(bus_->PutRule(spec).ok());
  ASSERT_TRUE(
      bus_->PutTargets("custom", "on-custom", {*ParseTarget({{"Id", "n"}, {"Arn", kFn}})}).ok());
  const std::string custom_arn = bus_->DescribeEventBus("custom")->arn;
  auto r = bus_->PutEvents({{"app", "T", "{}", {}, std::nullopt, ""},
                            {"app", "T", "{}", {}, std::nullopt, "custom"},
                            {"app", "T", "{}", {}, std::nullopt, "missing"},
                            {"app", "T", "{}", {}, std::nullopt, custom_arn},
                            {"app", "T", "{}", {}, std::nullopt, "default"},
                            {"app", "T", "{}", {}, std::nullopt, "default"}});
  EXPECT_EQ(r[2].error_code, "ResourceNotFoundException");
  exec_.RunPending();
  EXPECT_EQ(bus_->RuleCounters(bus_->DescribeRule("", "on-default")->arn).matched, 3u);
  EXPECT_EQ(bus_->RuleCounters(bus_->DescribeRule("custom", "on-custom")->arn).matched, 2u);
  const auto& recent = bus_->recent();
  ASSERT_EQ(recent.size(), 5u);
  EXPECT_EQ(recent[1].bus, "custom");
  EXPECT_EQ(recent[2].bus, "custom");
  EXPECT_EQ(recent[3].bus, "default");
}

TEST_F(EventBusTest, RulesWithTheSamePatternAreEachMatchedAndDeliveredInOrder) {
  const std::string a = R"({"source":["app"]})";
  const std::string b = R"({"detail":{"n":[{"numeric":[">",0]}]}})";
  AddRule("r0", a, {{"Id", "t"}, {"Arn", kFn}});
  AddRule("r1", b, {{"Id", "t"}, {"Arn", kFn}});
  AddRule("r2", a, {{"Id", "t"}, {"Arn", kFn}});
  AddRule("r3", a, {{"Id", "t"}, {"Arn", kFn}});
  ASSERT_TRUE(bus_->SetRuleState("", "r3", false).ok());
  AddRule("r4", R"({ "detail": {"n": [{"numeric": [">", 0]}]} })", {{"Id", "t"}, {"Arn", kFn}});
  AddRule("r5", R"({"source":["other"]})", {{"Id", "t"}, {"Arn", kFn}});
  AddRule("r6", b, {{"Id", "t"}, {"Arn", kFn}});
  auto matched = [&](const std::string& source, const std::string& detail) {
    Put(source, detail);
    exec_.RunPending();
    return bus_->recent().back().matched_rule_names();
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(matched("app", R"({"n":1})"), (Names{"r0", "r1", "r2", "r4", "r6"}));
  EXPECT_EQ(invoker_.payloads.size(), 5u);
  EXPECT_EQ(bus_->recent().back().deliveries().size(), 5u);
  EXPECT_EQ(matched("app", "{}"), (Names{"r0", "r2"}));
  EXPECT_EQ(matched("x", R"({"n":2})"), (Names{"r1", "r4", "r6"}));
  EXPECT_EQ(matched("other", "{}"), Names{"r5"});
  EXPECT_EQ(invoker_.payloads.size(), 11u);
  for (const char* r : {"r0", "r1", "r2", "r4", "r6"}) {
    EXPECT_EQ(bus_->RuleCounters(bus_->DescribeRule("", r)->arn).delivered, 2u) << r;
  }
  EXPECT_EQ(bus_->RuleCounters(bus_->DescribeRule("", "r3")->arn).matched, 0u);
  ASSERT_TRUE(bus_->RemoveTargets("", "r0", {"t"}).ok());
  ASSERT_TRUE(bus_->DeleteRule("", "r0").ok());
  ASSERT_TRUE(bus_->SetRuleState("", "r3", true).ok());
  EXPECT_EQ(matched("app", "{}"), (Names{"r2", "r3"}));
}

TEST_F(EventBusTest, TargetsGetTheEnvelopeInAwsOrderWithDuplicateKeysResolved) {
  AddRule("r", R"({"source":["app"],"detail":{"a":{"x":[2]}}})", {{"Id", "n"}, {"Arn", kFn}});
  std::string id = Put("app", R"({"b": 1.50, "a": {"x": 1, "x": 2}, "c": "\u00e9"})").event_id;
  Put("app", R"({"a":{"x":2,"x":1}})");  // the last value wins: no match
  exec_.RunPending();
  ASSERT_EQ(invoker_.payloads.size(), 1u);
  const std::string& text = invoker_.payloads[0];
  EXPECT_EQ(text.rfind(R"({"version":"0","id":")" + id +
                           R"(","detail-type":"Deploy","source":"app",)"
                           R"("account":"123456789012","time":")",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find(R"(,"region":"us-east-1","resources":[],"detail":{"b":1.5,"a":{"x":2},)"),
            std::string::npos)
      << text;
  json e = json::parse(text);
  EXPECT_EQ(e["detail"]["c"], "\u00e9");
  EXPECT_TRUE(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  EXPECT_EQ(e["time"], "2023-11-14T22:13:20Z");  // the fake clock's 1,700,000,000,000 ms
}

TEST_F(EventBusTest, RuleChangesApplyToTheNextEvent) {
  AddRule("r", R"({"source":["app"]})", {{"Id", "n"}, {"Arn", kFn}});
  Put("app", "{}");
  ASSERT_TRUE(bus_->SetRuleState("", "r", false).ok());
  Put("app", "{}");
  ASSERT_TRUE(bus_->SetRuleState("", "r", true).ok());
  auto t = ParseTarget({{"Id", "n"}, {"Arn", kFn}, {"Input", R"({"fixed":true})"}});
  ASSERT_TRUE(bus_->PutTargets("", "r", {*t}).ok());
  Put("app", "{}");
  RuleSpec other;
  other.name = "r";
  other.pattern_text = R"({"source":["other"]})";
  other.pattern = EventPattern::Compile(*other.pattern_text).value();
  ASSERT_TRUE(bus_->PutRule(other).ok());
  Put("app", "{}");
  Put("other", "{}");
  exec_.RunPending();
  ASSERT_EQ(invoker_.payloads.size(), 3u);
  EXPECT_EQ(json::parse(invoker_.payloads[0])["source"], "app");
  EXPECT_EQ(invoker_.payloads[1], R"({"fixed":true})");
  EXPECT_EQ(invoker_.payloads[2], R"({"fixed":true})");
  // Recent traffic records each event's rules and each delivery's outcome.
  const auto& recent = bus_->recent();
  ASSERT_EQ(recent.size(), 5u);
  EXPECT_EQ(recent[0].matched_rule_names(), std::vector<std::string>{"r"});
  ASSERT_EQ(recent[0].deliveries().size(), 1u);
  EXPECT_STREQ(recent[0].deliveries()[0].state, "delivered");
  EXPECT_EQ(recent[0].deliveries()[0].attempts, 1);
  EXPECT_TRUE(recent[1].matched.empty());
  EXPECT_TRUE(recent[3].matched.empty());
  EXPECT_STREQ(recent[4].deliveries()[0].state, "delivered");
}

TEST_F(EventBusTest, ServiceEventsAndManyTargetsPerEvent) {
  for (int i = 0; i < 3; ++i) {
    AddRule("r" + std::to_string(i),
            R"({"source":["aws.ecs"],"detail":{"lastStatus":[{"prefix":"STOP"}]}})",
            {{"Id", "n"}, {"Arn", kFn}});
  }
  bus_->PublishServiceEvent("aws.ecs", "ECS Task State Change", {"arn:task"},
                            {{"lastStatus", "STOPPED"}, {"z", 1}}, 1'700'000'000'000, "");
  bus_->PublishServiceEvent("aws.ecs", "ECS Task State Change", {"arn:task"},
                            {{"lastStatus", "RUNNING"}}, 1'700'000'000'000, "");
  exec_.RunPending();
  ASSERT_EQ(invoker_.payloads.size(), 3u);
  json e = json::parse(invoker_.payloads[0]);
  EXPECT_EQ(e["resources"], json::array({"arn:task"}));
  EXPECT_EQ(e["detail"]["z"], 1);
  EXPECT_EQ(bus_->recent().back().matched.size(), 0u);
  EXPECT_EQ(bus_->recent().front().deliveries().size(), 3u);
}

TEST(RecentEventsTest, KeepsTheNewestAndHandsBackTheOldestsStorage) {
  RecentEvents ring(2);
  RecentEvent e;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    e.Reset();
    e.seq = seq;
    e.id = "event-" + std::to_string(seq);
    ring.Push(&e);
  }
  ASSERT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.front().seq, 2u);
  EXPECT_EQ(ring.back().seq, 3u);
  EXPECT_EQ(e.id, "event-1");  // the storage of the event that left
  std::vector<uint64_t> seqs;
  for (const RecentEvent& r : ring) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{2, 3}));
}

// The ring of recent events reuses the storage of the events it forgets: a reused slot shows
// only its new event, and a retry of a delivery whose event has left the ring touches nothing.
TEST_F(EventBusTest, RecentTrafficKeepsTheNewestEventsWhenItWraps) {
  recent_kept_ = 3;
  Open();
  AddRule("r", R"({"source":["app"]})", {{"Id", "t"}, {"Arn", kFn}});
  invoker_.next = InvokeOutcome::kRetryable;
  ASSERT_FALSE(Put("app", "{}").event_id.empty());  // seq 1: matched, its attempt fails
  exec_.RunPending();
  ASSERT_EQ(bus_->recent().back().deliveries().size(), 1u);
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "retrying");
  invoker_.next = InvokeOutcome::kDelivered;
  for (int i = 0; i < 3; ++i) Put("other", "{}");  // seq 2-4; seq 4 takes seq 1's slot
  exec_.RunPending();
  exec_.Advance(8000);  // seq 1's retry: delivered
  ASSERT_EQ(invoker_.payloads.size(), 2u);
  const auto& recent = bus_->recent();
  ASSERT_EQ(recent.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(recent[i].seq, i + 2);
    EXPECT_EQ(recent[i].source, "other");
    EXPECT_TRUE(recent[i].matched.empty());
    EXPECT_TRUE(recent[i].deliveries().empty());
  }
  EXPECT_EQ(bus_->RuleCounters(bus_->DescribeRule("", "r")->arn).delivered, 1u);
}

// An invoker that reports its outcome later (as the function and HTTP invokers do), or before
// Invoke returns and then still reads the invocation's views (valid until Invoke returns).
class LaterInvoker : public TargetInvoker {
 public:
  bool Handles(const std::string& arn) const override {
    return arn.rfind("arn:aws:lambda:", 0) == 0;
  }
  void Invoke(const Invocation& inv, std::function<void(InvokeOutcome)> done) override {
    if (!now) {
      later.push_back(std::move(done));
      return;
    }
    InvokeOutcome o;
    o.kind = now_kind;
    done(o);
    payloads.emplace_back(inv.payload);  // after `done`: the delivery must still be there
    rules.emplace_back(inv.rule_name);
  }
  bool now = false;
  InvokeOutcome::Kind now_kind = InvokeOutcome::kDelivered;
  std::vector<std::function<void(InvokeOutcome)>> later;
  std::vector<std::string> payloads, rules;
};

// An invoker that answers at once (InvokeNow) is never called through Invoke.
class NowInvoker : public TargetInvoker {
 public:
  bool Handles(const std::string& arn) const override {
    return arn.rfind("arn:aws:lambda:", 0) == 0;
  }
  void Invoke(const Invocation&, std::function<void(InvokeOutcome)> done) override {
    ++invokes;
    done(InvokeOutcome{});
  }
  std::optional<InvokeOutcome> InvokeNow(const Invocation& inv) override {
    payloads.emplace_back(inv.payload);
    InvokeOutcome o;
    o.kind = next;
    o.error_code = next == InvokeOutcome::kDelivered ? "" : "LogsError";
    return o;
  }
  InvokeOutcome::Kind next = InvokeOutcome::kDelivered;
  int invokes = 0;
  std::vector<std::string> payloads;
};

TEST_F(EventBusTest, InvokersThatAnswerAtOnceGetRetriesAndDeadLettersToo) {
  NowInvoker now;
  Open(&now);
  const std::string arn = AddRetriedRule(2);
  PutExpectingDelivery(1, now.payloads, arn, 1);
  now.next = InvokeOutcome::kRetryable;
  Put("app", R"({"n":2})");
  exec_.RunPending();
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "retrying");
  exec_.Advance(60000);
  EXPECT_EQ(now.payloads.size(), 4u);  // 1 + 1 attempt + 2 retries
  ASSERT_EQ(bus_->dead_letters().size(), 1u);
  EXPECT_EQ(bus_->dead_letters()[0].error_code, "LogsError");
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "dead");
  EXPECT_EQ(bus_->recent().back().deliveries()[0].attempts, 3);
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  EXPECT_EQ(now.invokes, 0);
  bus_.reset();  // before `now`, which the bus points at
}

// Such an invoker is attempted while PutEvents routes the event: a delivery done then is never
// journaled; one whose attempt failed is journaled, counts that attempt, and is retried.
TEST_F(EventBusTest, InvokersThatAnswerAtOnceAreAttemptedBeforePutEventsAnswers) {
  NowInvoker now;
  Open(&now);
  const std::string arn = AddRetriedRule(2);
  auto enqueued = [&] {
    std::ifstream in(dir_ + "/events/outbox.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.find(R"("op":"enq")") != std::string::npos;
    return n;
  };
  Put("app", R"({"n":1})");
  ASSERT_EQ(now.payloads.size(), 1u);  // before any pending work has run
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "delivered");
  EXPECT_EQ(bus_->recent().back().deliveries()[0].attempts, 1);
  EXPECT_EQ(bus_->RuleCounters(arn).delivered, 1u);
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  EXPECT_EQ(enqueued(), 0);

  now.next = InvokeOutcome::kRetryable;
  Put("app", R"({"n":2})");
  ASSERT_EQ(now.payloads.size(), 2u);
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "retrying");
  EXPECT_EQ(bus_->pending_deliveries(), 1u);
  EXPECT_EQ(enqueued(), 1);
  exec_.RunPending();
  EXPECT_EQ(now.payloads.size(), 2u);  // no second first attempt
  now.next = InvokeOutcome::kDelivered;
  exec_.Advance(2000);  // the first retry
  ASSERT_EQ(now.payloads.size(), 3u);
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "delivered");
  EXPECT_EQ(bus_->recent().back().deliveries()[0].attempts, 2);
  EXPECT_EQ(bus_->RuleCounters(arn).retried, 1u);
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  EXPECT_EQ(now.invokes, 0);
  bus_.reset();  // before `now`, which the bus points at
}

TEST_F(EventBusTest, OutcomesReportedLaterOrBeforeInvokeReturnsBothEndTheDelivery) {
  LaterInvoker later;
  Open(&later);
  const std::string arn = AddRetriedRule(1);

  // Later: the delivery stays pending (and `berth events` says so) until `done` runs.
  Put("app", R"({"n":1})");
  Put("app", R"({"n":2})");
  exec_.RunPending();
  ASSERT_EQ(later.later.size(), 2u);
  EXPECT_EQ(bus_->pending_deliveries(), 2u);
  EXPECT_STREQ(bus_->recent().back().deliveries()[0].state, "pending");
  InvokeOutcome retry;
  retry.kind = InvokeOutcome::kRetryable;
  later.later[1](retry);  // the second first: outcomes are matched by delivery, not by order
  later.later[0](InvokeOutcome{});
  EXPECT_STREQ(bus_->recent()[0].deliveries()[0].state, "delivered");
  EXPECT_STREQ(bus_->recent()[1].deliveries()[0].state, "retrying");
  EXPECT_EQ(bus_->pending_deliveries(), 1u);
  EXPECT_EQ(bus_->RuleCounters(arn).delivered, 1u);
  EXPECT_EQ(bus_->RuleCounters(arn).retried, 1u);

  // Before Invoke returns: the invoker still reads the payload after `done` has run, also when
  // that outcome ends the delivery as a dead letter.
  later.now = true;
  later.now_kind = InvokeOutcome::kFailed;
  exec_.Advance(2000);  // the retry of {"n":2}
  ASSERT_EQ(later.payloads.size(), 1u);
  EXPECT_NE(later.payloads[0].find(R"("detail":{"n":2})"), std::string::npos);
  EXPECT_EQ(later.rules[0], "r");
  EXPECT_EQ(bus_->pending_deliveries(), 0u);
  ASSERT_EQ(bus_->dead_letters().size(), 1u);
  EXPECT_STREQ(bus_->recent()[1].deliveries()[0].state, "dead");
  EXPECT_EQ(bus_->recent()[1].deliveries()[0].attempts, 2);
  later.now_kind = InvokeOutcome::kDelivered;
  PutExpectingDelivery(3, later.payloads, arn, 2);
  bus_.reset();  // before `later`, which the bus points at
}

// Answers at once for the functions whose name begins with "now", later for the others.
class MixedInvoker : public TargetInvoker {
 public:
  bool Handles(const std::string& arn) const override {
    return arn.rfind("arn:aws:lambda:", 0) == 0;
  }
  void Invoke(const Invocation&, std::function<void(InvokeOutcome)> done) override {
    later.push_back(std::move(done));
  }
  std::optional<InvokeOutcome> InvokeNow(const Invocation& inv) override {
    if ((*inv.target)["Arn"].get<std::string>().find(":function:now") == std::string::npos) {
      return std::nullopt;
    }
    return InvokeOutcome{};
  }
  std::vector<std::function<void(InvokeOutcome)>> later;
};

TEST_F(EventBusTest, RecentEventsListEveryDeliveryButRecordOnlyThoseNotDoneAtOnce) {
  MixedInvoker mixed;
  Open(&mixed);
  const std::string fn = "arn:aws:lambda:us-east-1:123456789012:function:";
  AddRule("a", R"({"source":["app"]})", {{"Id", "now1"}, {"Arn", fn + "now1"}});
  auto slow = ParseTarget({{"Id", "slow"}, {"Arn", fn + "slow"}});
  auto now2 = ParseTarget({{"Id", "now2"}, {"Arn", fn + "now2"}});
  ASSERT_TRUE(bus_->PutTargets("", "a", {*slow, *now2}).ok());
  AddRule("b", R"({"source":["app"]})", {{"Id", "now3"}, {"Arn", fn + "now3"}});
  AddRule("c", R"({"source":["other"]})", {{"Id", "now4"}, {"Arn", fn + "now4"}});
  Put("app", "{}");
  const RecentEvent& e = bus_->recent().back();
  EXPECT_EQ(e.matched_rule_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e.outcomes.size(), 1u);  // only the one not delivered at once has a record
  auto expect = [&](const std::vector<std::string>& states, const std::string& slow_error) {
    auto all = bus_->recent()[0].deliveries();
    ASSERT_EQ(all.size(), 4u);
    const char* rules[] = {"a", "a", "a", "b"};
    const char* targets[] = {"now1", "slow", "now2", "now3"};
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].rule, rules[i]) << i;
      EXPECT_EQ(all[i].target_id, targets[i]) << i;
      EXPECT_EQ(all[i].state, states[i]) << i;
      EXPECT_EQ(all[i].attempts, states[i] == "pending" ? 0 : 1) << i;
      EXPECT_EQ(all[i].error, i == 1 ? slow_error : "") << i;
    }
  };
  expect({"delivered", "pending", "delivered", "delivered"}, "");
  exec_.RunPending();
  ASSERT_EQ(mixed.later.size(), 1u);
  InvokeOutcome failed;
  failed.kind = InvokeOutcome::kRetryable;
  failed.error_code = "HTTP_503";
  mixed.later[0](failed);
  expect({"delivered", "retrying", "delivered", "delivered"}, "HTTP_503");
  // The counts routing keeps aside reach the counters when they are read...
  const std::string a = bus_->DescribeRule("", "a")->arn;
  EXPECT_EQ(bus_->RuleCounters(a).matched, 1u);
  EXPECT_EQ(bus_->RuleCounters(a).delivered, 2u);
  EXPECT_EQ(bus_->RuleCounters(a).retried, 1u);
  EXPECT_EQ(bus_->TargetCounters(a, "now1").matched, 1u);
  EXPECT_EQ(bus_->TargetCounters(a, "now1").delivered, 1u);
  EXPECT_EQ(bus_->TargetCounters(a, "slow").matched, 1u);
  EXPECT_EQ(bus_->TargetCounters(a, "slow").delivered, 0u);
  Put("app", "{}");  // ...and when the routes are rebuilt (below, by the next event)

  // The event keeps the rules it was routed through after they change or go.
  ASSERT_TRUE(bus_->RemoveTargets("", "b", {"now3"}).ok());
  ASSERT_TRUE(bus_->DeleteRule("", "b").ok());
  ASSERT_TRUE(bus_->RemoveTargets("", "a", {"now2"}).ok());
  Put("other", "{}");
  EXPECT_EQ(bus_->recent()[0].matched_rule_names(), (std::vector<std::string>{"a", "b"}));
  expect({"delivered", "retrying", "delivered", "delivered"}, "HTTP_503");
  EXPECT_EQ(bus_->recent().back().matched_rule_names(), std::vector<std::string>{"c"});
  EXPECT_EQ(bus_->RuleCounters(a).matched, 2u);
  EXPECT_EQ(bus_->RuleCounters(a).delivered, 4u);
  EXPECT_EQ(bus_->TargetCounters(a, "now2").delivered, 2u);
  EXPECT_EQ(bus_->TargetCounters(a, "slow").matched, 2u);
  bus_.reset();  // before `mixed`, which the bus points at
}

}  // namespace
}  // namespace berth::events
