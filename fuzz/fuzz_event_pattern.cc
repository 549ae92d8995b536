// fuzz_event_pattern: libFuzzer target for the EventBridge pattern compiler and matcher
// (events/event_pattern.h).
//
// Input layout: the pattern, then a NUL byte, then the event (JSON can hold no raw NUL). With
// no NUL the whole input is the pattern, matched against a fixed ECS task event. Every
// compiled pattern is also matched against its own text (a pattern is a JSON object too).
//
// Checked: nothing crashes or throws; a rejected pattern's message has AWS's prefix; matching
// the event text, its FlatEvent and its parsed tree all run (the text and the tree may
// legitimately disagree on number spellings and duplicate keys, so only the text and its
// FlatEvent are compared). The bus's fast paths agree with the plain ones: the flattener
// accepts exactly what nlohmann's parser accepts as an object; an event flattened with the
// pattern's PathFilter matches as the whole one does; a PatternIndex of the pattern finds the
// same match; FromEnvelope takes the event as a detail exactly when nlohmann sees an object,
// and then produces JSON text that matches the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "events/event_pattern.h"
#include "events/event_pattern_index.h"

namespace {

constexpr std::string_view kDefaultEvent =
    R"({"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":)"
    R"("ECS Task State Change","source":"aws.ecs","account":"123456789012",)"
    R"("time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":)"
    R"(["arn:aws:ecs:us-east-1:123456789012:task/default/0123"],"detail":{"lastStatus":)"
    R"("STOPPED","desiredStatus":"STOPPED","stopCode":"EssentialContainerExited",)"
    R"("containers":[{"name":"web","exitCode":1,"lastStatus":"STOPPED"},{"name":"worker",)"
    R"("exitCode":0}],"version":3,"cpu":256.5,"ip":"10.0.0.7","tags":null,"empty":[]}})";

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "fuzz_event_pattern: invariant failed: %s\n", what);
    abort();
  }
}

void MatchAll(const berth::events::EventPattern& pattern, std::string_view event) {
  bool by_text = pattern.Matches(event);
  berth::Result<berth::events::FlatEvent> flat = berth::events::FlatEvent::Parse(event);
  Check(flat.ok() || !by_text, "an unparsable event matched");
  if (flat.ok()) Check(pattern.Matches(*flat) == by_text, "text and FlatEvent disagree");
  nlohmann::json tree = nlohmann::json::parse(event, nullptr, /*allow_exceptions=*/false);
  if (!tree.is_discarded()) (void)pattern.Matches(tree);
  const bool object = !tree.is_discarded() && tree.is_object();
  Check(flat.ok() == object, "the flattener and nlohmann disagree on validity");

  berth::events::PathFilter filter;
  filter.Add(pattern);
  berth::Result<berth::events::FlatEvent> filtered =
      berth::events::FlatEvent::Parse(event, &filter);
  Check(filtered.ok() == flat.ok(), "the filter changed validity");
  if (flat.ok())
    Check(pattern.Matches(*filtered) == by_text, "a filtered event matched differently");

  berth::events::PatternIndex index;
  index.Add(pattern);
  if (flat.ok()) {
    std::vector<uint32_t> found;
    index.Match(*berth::events::FlatEvent::Parse(event, &index.filter()), &found);
    Check(found.size() == (by_text ? 1u : 0u), "the index disagrees with Matches");
  }

  std::vector<std::string> resources = {"arn:aws:ecs:us-east-1:123456789012:task/default/0123"};
  berth::events::EventEnvelope envelope{"6a7e8feb-b491-4cf7-a9f1-bf3703467718",
                                        "ECS Task State Change",
                                        "app.source",
                                        "123456789012",
                                        "2024-01-01T00:00:00Z",
                                        "us-east-1",
                                        &resources};
  std::string text;
  berth::Result<berth::events::FlatEvent> env =
      berth::events::FlatEvent::FromEnvelope(envelope, event, &filter, &text);
  Check(env.ok() == object, "FromEnvelope and nlohmann disagree on the detail");
  if (env.ok()) {
    Check(nlohmann::json::accept(text), "the envelope text is not JSON");
    berth::Result<berth::events::FlatEvent> again = berth::events::FlatEvent::Parse(text);
    Check(again.ok(), "the envelope text does not flatten");
    if (again.ok()) Check(pattern.Matches(*env) == pattern.Matches(*again), "envelope mismatch");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view pattern_text = input.substr(0, nul);
  std::string_view event = nul == std::string_view::npos ? kDefaultEvent : input.substr(nul + 1);

  berth::Result<berth::events::EventPattern> pattern =
      berth::events::EventPattern::Compile(pattern_text);
  if (!pattern.ok()) {
    Check(pattern.status().code() == berth::Code::kInvalidArgument, "wrong status code");
    Check(pattern.status().message().rfind("Event pattern is not valid. Reason: ", 0) == 0,
          "message without AWS's prefix");
    return 0;
  }
  Check(pattern->branch_count() > 0, "a compiled pattern without branches");
  MatchAll(*pattern, event);
  MatchAll(*pattern, pattern_text);
  return 0;
}
