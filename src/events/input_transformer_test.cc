#include "events/input_transformer.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::events {
namespace {

using nlohmann::json;

// The event of LocalStack's test_events_inputs.py (SPECIAL_EVENT_DETAIL), whose renderings were
// recorded on AWS (test_events_inputs.snapshot.json).
json TestEvent() {
  return json::parse(R"({
    "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "core.update-account-command", "source": "core.update-account-command",
    "account": "111111111111", "time": "2024-03-26T15:48:35Z", "region": "us-east-1",
    "resources": [],
    "detail": {"command": "update-account",
               "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
               "listsingle": ["HIGH"], "listmulti": ["ACTIVE", "INACTIVE"], "valid": true}})");
}

RuleContext TestRule() {
  return {"arn:aws:events:us-east-1:111111111111:rule/bus/my-rule", "my-rule",
          1711468116789};  // 2024-03-26T15:48:36.789Z
}

TargetInput Transformer(std::map<std::string, std::string> paths, std::string tmpl) {
  TargetInput in;
  in.transformer = InputTransformer{std::move(paths), std::move(tmpl)};
  return in;
}

// The paths map of test_input_transformer_nested_keys_replacement.
std::map<std::string, std::string> NestedPaths() {
  return {{"userId", "$.detail.payload.acc_id"},
          {"payload", "$.detail.payload"},
          {"systemstring", "$.detail.awsAccountId"},  // not in the event
          {"listsingle", "$.detail.listsingle"},
          {"listmulti", "$.detail.listmulti"},
          {"valid", "$.detail.valid"}};
}

// Validates (must pass) and renders; "ERROR: <message>" when rendering fails.
std::string Render(const TargetInput& in, const json& event = TestEvent()) {
  Status valid = ValidateTargetInput(in, "t1");
  EXPECT_TRUE(valid.ok()) << valid.message();
  Result<std::string> out = RenderTargetInput(in, event, TestRule());
  if (!out.ok()) return "ERROR: " + out.status().message();
  return *out;
}

std::string ValidationError(const TargetInput& in) {
  Status st = ValidateTargetInput(in, "t1");
  if (st.ok()) return "ok";
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  return st.message();
}

// --- Input, InputPath, default ---------------------------------------------------------------

TEST(InputTransformerTest, DefaultIsTheWholeEvent) {
  EXPECT_EQ(json::parse(Render(TargetInput{})), TestEvent());
}

TEST(InputTransformerTest, InputIsSentAsGiven) {
  TargetInput in;
  in.input = R"({"containerOverrides": [{"name": "app", "command": ["php", "artisan"]}]})";
  EXPECT_EQ(Render(in), *in.input);
  in.input = R"("just a string")";
  EXPECT_EQ(Render(in), R"("just a string")");
}

TEST(InputTransformerTest, InputPathSendsTheSelectedValueAsJson) {
  // Recorded on AWS: test_put_events_with_input_path*.
  TargetInput in;
  in.input_path = "$.detail.payload";
  EXPECT_EQ(Render(in), R"({"acc_id":"0a787ecb-4015","sf_id":"baz"})");
  in.input_path = "$.detail.payload.sf_id";
  EXPECT_EQ(Render(in), R"("baz")");
  in.input_path = "$.detail";
  EXPECT_EQ(json::parse(Render(in)), TestEvent()["detail"]);
  in.input_path = "$";
  EXPECT_EQ(json::parse(Render(in)), TestEvent());
  in.input_path = "$.detail.valid";
  EXPECT_EQ(Render(in), "true");
}

TEST(InputTransformerTest, InputPathSelectingNothingIsNotDelivered) {
  TargetInput in;
  in.input_path = "$.detail.nothere";
  EXPECT_EQ(Render(in), "ERROR: InputPath $.detail.nothere selects nothing in the event.");
  in.input_path = "detail";  // malformed: not validated at PutTargets time
  EXPECT_EQ(ValidationError(in), "ok");
  EXPECT_FALSE(RenderTargetInput(in, TestEvent(), TestRule()).ok());
}

// --- JSONPath subset -------------------------------------------------------------------------

TEST(InputTransformerTest, JsonPathSubset) {
  json event = json::parse(R"({"detail-type": "X", "detail": {
      "containers": [{"name": "app", "exitCode": 0}, {"name": "worker", "exitCode": 137}],
      "a/b": {"c_d": 1}, "n": null, "empty": []}})");
  auto sel = [&](std::string_view path) {
    auto v = SelectJsonPath(event, path);
    return v ? v->dump() : "none";
  };
  EXPECT_EQ(sel("$.detail-type"), R"("X")");
  EXPECT_EQ(sel("$.detail.containers[0].name"), R"("app")");
  EXPECT_EQ(sel("$.detail.containers[1].exitCode"), "137");
  EXPECT_EQ(sel("$.detail.containers[-1].name"), R"("worker")");
  EXPECT_EQ(sel("$.detail.containers[2].name"), "none");
  EXPECT_EQ(sel("$.detail.containers[*].name"), R"(["app","worker"])");
  EXPECT_EQ(sel("$.detail.containers.*.exitCode"), "[0,137]");
  EXPECT_EQ(sel("$.detail.a/b.c_d"), "1");
  EXPECT_EQ(sel("$.detail.n"), "null");  // present, null
  EXPECT_EQ(sel("$.detail.empty"), "[]");
  EXPECT_EQ(sel("$.detail.empty[*]"), "[]");  // a wildcard path always yields an array
  EXPECT_EQ(sel("$.detail.nothere.*"), "[]");
  EXPECT_EQ(sel("$.detail.containers.name"), "none");  // no implicit array traversal
  EXPECT_EQ(sel("$"), event.dump());
  // Malformed or unsupported.
  for (const char* bad : {"", "detail", "$.", "$..name", "$.detail.", "$['detail']",
                          "$.detail.containers[", "$.detail.containers[x]", "$.detail]",
                          "$.detail.containers[]", "$detail", "$.detail.containers[-]"}) {
    EXPECT_EQ(sel(bad), "none") << bad;
  }
}

// --- InputTransformer: recorded on AWS -------------------------------------------------------

TEST(InputTransformerTest, StringTemplates) {
  std::map<std::string, std::string> paths = {
      {"detail-type", "$.detail-type"}, {"timestamp", "$.time"}, {"command", "$.detail.command"}};
  const std::string tmpl =
      R"("Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>")";
  EXPECT_EQ(Render(Transformer(paths, tmpl)),
            R"("Event of core.update-account-command type, at time 2024-03-26T15:48:35Z, )"
            R"(info extracted from detail update-account")");
  // A path that selects nothing becomes an empty string.
  paths["command"] = "$.detail.notinmessage";
  EXPECT_EQ(Render(Transformer(paths, tmpl)),
            R"("Event of core.update-account-command type, at time 2024-03-26T15:48:35Z, )"
            R"(info extracted from detail ")");
  const std::string special =
      R"("{[/Check with special starting characters for event of <detail-type> type")";
  EXPECT_EQ(Render(Transformer(paths, special)),
            R"("{[/Check with special starting characters for event of )"
            R"(core.update-account-command type")");
}

TEST(InputTransformerTest, JsonTemplates) {
  std::map<std::string, std::string> paths = {
      {"detail-type", "$.detail-type"}, {"timestamp", "$.time"}, {"command", "$.detail.command"}};
  const std::string tmpl =
      R"({"detailType": <detail-type>,  "time": <timestamp>, "command": <command>})";
  EXPECT_EQ(Render(Transformer(paths, tmpl)),
            R"({"detailType":"core.update-account-command","time":"2024-03-26T15:48:35Z",)"
            R"("command":"update-account"})");
  // Unquoted, a path that selects nothing becomes "".
  paths["command"] = "$.detail.notinmessage";
  EXPECT_EQ(Render(Transformer(paths, tmpl)),
            R"({"detailType":"core.update-account-command","time":"2024-03-26T15:48:35Z",)"
            R"("command":""})");
}

TEST(InputTransformerTest, NestedKeysReplacement) {
  struct {
    const char* tmpl;
    const char* want;
  } cases[] = {
      {R"({"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>})",
       R"({"method":"PUT","path":"users-service/users/0a787ecb-4015",)"
       R"("bod":{"acc_id":"0a787ecb-4015","sf_id":"baz"}})"},
      {R"("Payload of <payload> with path users-service/users/<userId> and <userId>")",
       R"("Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/)"
       R"(0a787ecb-4015 and 0a787ecb-4015")"},
      {R"({"id" : <userId>})", R"({"id":"0a787ecb-4015"})"},
      {R"({"id" : "<userId>"})", R"({"id":"0a787ecb-4015"})"},
      {R"({"method": "PUT", "path": "users-service/users/<userId>", "id": <userId>, )"
       R"("body": <payload>})",
       R"({"method":"PUT","path":"users-service/users/0a787ecb-4015","id":"0a787ecb-4015",)"
       R"("body":{"acc_id":"0a787ecb-4015","sf_id":"baz"}})"},
      {R"({"method": "PUT", "path": "users-service/users/<userId>", )"
       R"("bod": [<userId>, "hardcoded"]})",
       R"({"method":"PUT","path":"users-service/users/0a787ecb-4015",)"
       R"("bod":["0a787ecb-4015","hardcoded"]})"},
      {R"({"method": "PUT", "nested": {"level1": {"level2": {"level3": )"
       R"("users-service/users/<userId>"} } }, "bod": "<userId>"})",
       R"({"method":"PUT","nested":{"level1":{"level2":{"level3":)"
       R"("users-service/users/0a787ecb-4015"}}},"bod":"0a787ecb-4015"})"},
      {R"("<listsingle> single list item")", R"("[HIGH] single list item")"},
      {R"("<listmulti> multiple list items")", R"("[ACTIVE,INACTIVE] multiple list items")"},
      {R"({"singlelistitem": <listsingle>})", R"({"singlelistitem":["HIGH"]})"},
      {R"("<listsingle> single list item <listmulti> multiple list items <systemstring> )"
       R"(system account id <payload> payload <userId> user id")",
       R"("[HIGH] single list item [ACTIVE,INACTIVE] multiple list items  system account id )"
       R"({acc_id:0a787ecb-4015,sf_id:baz} payload 0a787ecb-4015 user id")"},
      {R"({"multi_replacement": "users/<userId>/second/<userId>"})",
       R"({"multi_replacement":"users/0a787ecb-4015/second/0a787ecb-4015"})"},
      {R"("Command is <valid>!")", R"("Command is true!")"},
      // An older recording: several quoted lines, sent as is.
      {"\"<listsingle> single list item\"\n\"<listmulti> multiple list items\"\n"
       "\"<systemstring> system account id\"\n\"<payload> payload\"\n\"<userId> user id\"",
       "\"[HIGH] single list item\"\n\"[ACTIVE,INACTIVE] multiple list items\"\n"
       "\" system account id\"\n\"{acc_id:0a787ecb-4015,sf_id:baz} payload\"\n"
       "\"0a787ecb-4015 user id\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Render(Transformer(NestedPaths(), c.tmpl)), c.want) << c.tmpl;
  }
}

TEST(InputTransformerTest, ObjectsInsideQuotesOfAJsonTemplateAreNotDelivered) {
  // AWS delivered nothing for these (test_input_transformer_nested_keys_replacement_not_valid).
  for (const char* tmpl :
       {R"({"not_valid": "users-service/users/<payload>", "bod": <payload>})",
        R"({"payload": "<payload>"})", R"({"singlelistitem": "<listsingle>"})"}) {
    std::string out = Render(Transformer(NestedPaths(), tmpl));
    EXPECT_TRUE(out.starts_with("ERROR: InputTemplate produced invalid JSON")) << tmpl << out;
  }
}

TEST(InputTransformerTest, PredefinedVariables) {
  EXPECT_EQ(Render(Transformer({}, R"("Message containing all pre defined variables )"
                                   R"(<aws.events.rule-arn> <aws.events.rule-name> )"
                                   R"(<aws.events.event.ingestion-time>")")),
            R"("Message containing all pre defined variables )"
            R"(arn:aws:events:us-east-1:111111111111:rule/bus/my-rule my-rule )"
            R"(2024-03-26T15:48:36Z")");

  std::string out = Render(Transformer(
      {},
      R"({"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>})"));
  json got = json::parse(out);
  json without_detail = TestEvent();
  without_detail.erase("detail");
  without_detail["detailType"] = without_detail["detail-type"];
  without_detail.erase("detail-type");
  EXPECT_EQ(got["originalEvent"], without_detail);
  EXPECT_EQ(got["originalEventJson"], TestEvent());
  EXPECT_EQ(out.find(' '), std::string::npos);  // minified

  // Unquoted string variables get quotes in a JSON template.
  EXPECT_EQ(Render(Transformer({}, R"({"rule": <aws.events.rule-name>})")),
            R"({"rule":"my-rule"})");
  // The event variables are JSON: inside quotes they break the template.
  EXPECT_TRUE(Render(Transformer({}, R"({"e": "<aws.events.event>"})")).starts_with("ERROR"));
}

TEST(InputTransformerTest, ValidationErrorsRecordedOnAws) {
  TargetInput both = Transformer({{"detail-type", "$.detail-type"}}, R"({"a": <detail-type>})");
  both.input_path = "$.detail";
  EXPECT_EQ(ValidationError(both),
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.");
  TargetInput input_and_path;
  input_and_path.input = "{}";
  input_and_path.input_path = "$";
  EXPECT_EQ(ValidationError(input_and_path),
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.");

  EXPECT_EQ(ValidationError(Transformer(
                {{"detail-type", "$.detail-type"}, {"timestamp", "$.time"}},
                R"("Event of <detail-type> type, with not defined key <notdefinedkey>")")),
            "InputTemplate for target t1 contains invalid placeholder notdefinedkey.");
}

TEST(InputTransformerTest, OtherValidationErrors) {
  TargetInput in;
  in.input = "not json";
  EXPECT_EQ(ValidationError(in), "Input for target t1 is not a valid JSON text.");
  in.input = "";
  EXPECT_EQ(ValidationError(in), "Input for target t1 is not a valid JSON text.");
  in.input = "\"" + std::string(8200, 'x') + "\"";
  EXPECT_NE(ValidationError(in), "ok");
  in.input = "123";
  EXPECT_EQ(ValidationError(in), "ok");

  TargetInput path;
  path.input_path = "$." + std::string(300, 'a');
  EXPECT_NE(ValidationError(path), "ok");

  EXPECT_NE(ValidationError(Transformer({}, "")), "ok");
  EXPECT_NE(ValidationError(Transformer({}, std::string(8193, 'x'))), "ok");
  EXPECT_EQ(ValidationError(Transformer({}, std::string(8192, 'x'))), "ok");
  std::map<std::string, std::string> many;
  for (int i = 0; i < 101; ++i) many["k" + std::to_string(i)] = "$.detail";
  EXPECT_NE(ValidationError(Transformer(many, R"("x")")), "ok");
  many.erase("k0");
  EXPECT_EQ(ValidationError(Transformer(many, R"("x")")), "ok");

  // Keys: [A-Za-z0-9_-]+, not starting with AWS; the aws.events.* names are reserved.
  for (const char* key : {"AWSthing", "AWS", "aws.events.rule-arn", "bad key", "", "a.b", "é"}) {
    EXPECT_NE(ValidationError(Transformer({{key, "$.detail"}}, R"("x")")), "ok") << key;
  }
  for (const char* key : {"aws", "awsRegion", "A-W_S9", "instance"}) {
    EXPECT_EQ(ValidationError(Transformer({{key, "$.detail"}}, R"("x")")), "ok") << key;
  }
}

TEST(InputTransformerTest, PlaceholderMayNotBeAnObjectKey) {
  std::map<std::string, std::string> paths = {{"k", "$.detail.command"}};
  for (const char* tmpl :
       {R"({<k>: 1})", R"({"a": 1, <k>: 2})", R"({"a": {<k>: 1}})", R"({"<k>": 1})",
        R"({"prefix-<k>": 1})", R"({"a": [{"b": 1, <k>: 2}]})"}) {
    EXPECT_EQ(ValidationError(Transformer(paths, tmpl)),
              "InputTemplate for target t1 uses placeholder k as an object key.")
        << tmpl;
  }
  for (const char* tmpl : {R"({"a": <k>})", R"({"a": [<k>, {"b": <k>}], "c": "<k>:<k>"})",
                           R"({"a": "x,{<k>"})", R"("{<k>: 1}")", R"({"a\"": "<k>"})"}) {
    EXPECT_EQ(ValidationError(Transformer(paths, tmpl)), "ok") << tmpl;
  }
}

// --- InputTransformer: our choices where nothing was recorded --------------------------------

TEST(InputTransformerTest, ValueRenderingByContext) {
  json event = json::parse(R"({"detail": {"s": "say \"hi\"", "n": 42, "f": 1.5, "z": null,
                                "b": false, "o": {"k": "v"}, "a": [1, "two"]}})");
  std::map<std::string, std::string> paths = {
      {"s", "$.detail.s"}, {"n", "$.detail.n"}, {"f", "$.detail.f"}, {"z", "$.detail.z"},
      {"b", "$.detail.b"}, {"o", "$.detail.o"}, {"a", "$.detail.a"}, {"m", "$.detail.missing"}};
  // JSON template, unquoted: JSON values; a string is escaped properly.
  EXPECT_EQ(Render(Transformer(paths, R"({"s": <s>, "n": <n>, "f": <f>, "z": <z>, "b": <b>,
                                         "o": <o>, "a": <a>, "m": <m>})"),
                   event),
            R"({"s":"say \"hi\"","n":42,"f":1.5,"z":null,"b":false,"o":{"k":"v"},"a":[1,"two"],)"
            R"("m":""})");
  // JSON template, quoted: scalars as text; a missing path is empty.
  EXPECT_EQ(Render(Transformer(paths, R"({"t": "<n>/<f>/<z>/<b>/<m>."})"), event),
            R"({"t":"42/1.5/null/false/."})");
  // Quotes in the data break a quoted placeholder (inserted raw, as on AWS).
  EXPECT_TRUE(Render(Transformer(paths, R"({"t": "<s>"})"), event).starts_with("ERROR"));
  // Text template: strings raw, JSON structures without quotes.
  EXPECT_EQ(Render(Transformer(paths, R"(<s> <n> <z> <b> <o> <a> [<m>])"), event),
            R"(say "hi" 42 null false {k:v} [1,two] [])");
}

TEST(InputTransformerTest, TemplateShapes) {
  std::map<std::string, std::string> paths = {{"instance", "$.detail.instance"},
                                              {"status", "$.detail.status"}};
  json event = json::parse(R"({"detail": {"instance": "i-0123", "status": "RUNNING"}})");
  // The API reference examples.
  EXPECT_EQ(Render(Transformer(paths, "<instance> is in state <status>"), event),
            "i-0123 is in state RUNNING");
  EXPECT_EQ(Render(Transformer(paths, R"(<instance> is in state "<status>")"), event),
            R"(i-0123 is in state "RUNNING")");
  EXPECT_EQ(Render(Transformer(paths, R"({"myInstance": <instance>,)"
                                      R"("myStatus": "<instance> is in state \"<status>\""})"),
                   event),
            R"({"myInstance":"i-0123","myStatus":"i-0123 is in state \"RUNNING\""})");
  // Leading blanks before `{` still make a JSON template; blanks in strings are kept.
  EXPECT_EQ(
      Render(Transformer(paths, "\n  { \"a b\" : <instance> ,\n\t\"c\": [ 1, 2 ] }\n"), event),
      R"({"a b":"i-0123","c":[1,2]})");
  // A JSON template that is not JSON once filled is not delivered.
  EXPECT_TRUE(Render(Transformer(paths, R"({"a": <instance>)"), event).starts_with("ERROR"));
  // `<` without a closing `>` is text; `<` ... `<x>` takes the last `<`.
  EXPECT_EQ(Render(Transformer(paths, R"("a < b")"), event), R"("a < b")");
  EXPECT_EQ(Render(Transformer(paths, R"("1 < 2 <status>")"), event), R"("1 < 2 RUNNING")");
  // No escape for < and >: HTML-like text is a placeholder.
  EXPECT_EQ(ValidationError(Transformer(paths, R"("<b>bold</b>")")),
            "InputTemplate for target t1 contains invalid placeholder b.");
}

TEST(InputTransformerTest, RenderWithoutValidationTreatsUndeclaredAsMissing) {
  auto out = RenderTargetInput(Transformer({}, R"({"a": <nope>, "b": "x<nope>y"})"), TestEvent(),
                               TestRule());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"a":"","b":"xy"})");
}

TEST(InputTransformerTest, EcsOverridesFromATransformer) {
  // How CDK's EcsTask passes container overrides: a JSON template rendered into RunTask
  // overrides.
  json event = json::parse(R"({"detail": {"job": "reports:daily"}})");
  TargetInput in = Transformer(
      {{"job", "$.detail.job"}},
      R"({"containerOverrides": [{"name": "app", "command": ["php", "artisan", <job>]}]})");
  EXPECT_EQ(
      Render(in, event),
      R"({"containerOverrides":[{"name":"app","command":["php","artisan","reports:daily"]}]})");
}

}  // namespace
}  // namespace berth::events
