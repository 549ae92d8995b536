// fuzz_event_inputs: libFuzzer target for the event bus's other parsers — schedule expressions
// (events/schedule_expression.h), target input (Input / InputPath / InputTransformer,
// events/input_transformer.h) and PutTargets' target JSON (events/bus_types.h).
//
// Input layout: the first byte picks the parser; the rest is its text. Checked: nothing
// crashes or throws; a parsed schedule yields increasing firings.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "events/bus_types.h"
#include "events/input_transformer.h"
#include "events/schedule_expression.h"

namespace {

using berth::TimeMs;
using nlohmann::json;

const json& Event() {
  static const json e = json::parse(
      R"({"version":"0","id":"1","detail-type":"ECS Task State Change","source":"aws.ecs",)"
      R"("account":"123456789012","time":"2024-01-01T00:00:00Z","region":"us-east-1",)"
      R"("resources":["arn:x"],"detail":{"group":"service:web","lastStatus":"RUNNING",)"
      R"("containers":[{"name":"a","exitCode":1}],"n":3.5,"t":true,"z":null}})");
  return e;
}

void Schedule(const std::string& text) {
  auto s = berth::events::ScheduleExpression::Parse(text);
  if (!s.ok()) return;
  TimeMs t = 1'700'000'000'000;
  for (int i = 0; i < 3; ++i) {
    auto next = s->NextMs(t, 1'700'000'000'000);
    if (!next) return;
    if (*next <= t) {
      fprintf(stderr, "fuzz_event_inputs: firing not after the previous one\n");
      abort();
    }
    t = *next;
  }
}

void Target(const std::string& text) {
  json wire = json::parse(text, nullptr, false);
  if (wire.is_discarded()) return;
  auto t = berth::events::ParseTarget(wire);
  if (!t.ok()) return;
  (void)berth::events::RenderTargetInput(t->input, Event(), {"arn:aws:events:r", "r", 1});
}

void Transformer(const std::string& text) {
  // "PATHS\nTEMPLATE": one JSONPath per variable a, b, c from the first line (split by ' ').
  auto nl = text.find('\n');
  berth::events::InputTransformer tr;
  std::string paths = text.substr(0, nl == std::string::npos ? 0 : nl);
  tr.input_template = nl == std::string::npos ? text : text.substr(nl + 1);
  char var = 'a';
  size_t start = 0;
  while (start <= paths.size() && var <= 'c') {
    size_t sp = paths.find(' ', start);
    tr.input_paths_map[std::string(1, var++)] =
        paths.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
    if (sp == std::string::npos) break;
    start = sp + 1;
  }
  berth::events::TargetInput in;
  in.transformer = tr;
  if (!berth::events::ValidateTargetInput(in, "t").ok()) return;
  (void)berth::events::RenderTargetInput(in, Event(), {"arn:aws:events:r", "r", 1});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      Schedule(text);
      break;
    case 1:
      Target(text);
      break;
    case 2:
      Transformer(text);
      break;
    default: {
      berth::events::TargetInput in;
      in.input_path = text;
      (void)berth::events::RenderTargetInput(in, Event(), {"arn:aws:events:r", "r", 1});
    }
  }
  return 0;
}
