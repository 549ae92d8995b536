// Target input shaping: what one target of a rule receives for one event, as EventBridge's
// Input, InputPath and InputTransformer define it (spec/events.md §5). Pure functions over
// plain values: ValidateTargetInput runs at PutTargets time, RenderTargetInput at delivery.
//
// Rendering rules (AWS-recorded behaviour from LocalStack's test_events_inputs snapshots, the
// AWS docs where nothing was recorded; [?] = our choice):
//   - Nothing set: the whole event as JSON. (ECS and Run Command targets get nothing from the
//     event in that case; the caller decides that, not this file.)
//   - Input: the constant text as given (validated as JSON at PutTargets time).
//   - InputPath: the selected value as JSON (a string leaf is sent as "baz", quotes included).
//     A path that selects nothing is an error: the event is not delivered [?].
//   - InputTransformer: every `<name>` in InputTemplate is replaced by the value of the
//     InputPathsMap path or predefined variable `name`. A template whose first non-blank
//     character is `{` is a JSON template; anything else is a text template.
//       JSON template, placeholder outside quotes: the value's JSON (a string gets quotes).
//       JSON template, placeholder inside quotes: a string raw and unescaped, other scalars as
//         JSON text; objects and arrays as JSON text, which breaks the quoting, so the
//         output is invalid and the event is not delivered (as on AWS).
//       Text template (e.g. "instance <i> is <state>", quotes part of the text): strings raw,
//         other scalars as JSON text, objects and arrays as JSON with every `"` removed
//         ({acc_id:0a787ecb-4015,sf_id:baz}, [ACTIVE,INACTIVE]), as on AWS.
//       A path that selects nothing: an empty string — `""` outside quotes in a JSON
//         template (recorded on AWS), nothing elsewhere.
//       The output of a JSON template must parse as JSON, else it is an error (the event is
//       not delivered); it is then minified (blanks outside strings removed). A text template
//       is sent as is.
//   - Predefined variables: aws.events.rule-arn, aws.events.rule-name,
//     aws.events.event.ingestion-time (YYYY-MM-DDThh:mm:ssZ [?]), aws.events.event (the event
//     without `detail`, with `detail-type` renamed `detailType`), aws.events.event.json (the
//     whole event).
//
// JSONPath subset (AWS: dot notation, dashes, underscores, alphanumerics, array indices,
// wildcards, slashes; no bracket key notation): `$`, then any of `.name`, `.*`, `[n]` (n < 0
// counts from the end [?]), `[*]`. A name is any run of characters other than `.`, `[`, `]`.
// A path with a wildcard yields the array of everything it selects (possibly empty) [?], as
// Jayway JsonPath does; any other path yields one value or nothing. Paths are not validated at
// PutTargets time; a malformed path selects nothing.
//
// Stateless; any thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace berth::events {

struct InputTransformer {
  std::map<std::string, std::string> input_paths_map;  // variable name → JSONPath
  std::string input_template;
};

// A target's Input, InputPath and InputTransformer; at most one may be set.
struct TargetInput {
  std::optional<std::string> input;
  std::optional<std::string> input_path;
  std::optional<InputTransformer> transformer;
};

// The rule a delivery is for, for the predefined variables.
struct RuleContext {
  std::string rule_arn;
  std::string rule_name;
  TimeMs ingestion_time = 0;  // when the bus received the event
};

// PutTargets-time checks for target `target_id`; InvalidArgument (ValidationException) with
// AWS's messages where known:
//   "Only one of Input, InputPath, or InputTransformer must be provided for target <Id>."
//   "InputTemplate for target <Id> contains invalid placeholder <p>."
//   "Input for target <Id> is not a valid JSON text."
// and our own wording [?] for lengths (Input ≤ 8192, InputPath ≤ 256, InputTemplate 1..8192,
// InputPathsMap ≤ 100 entries, keys [A-Za-z0-9_-]{1,256} not starting with "AWS", paths ≤ 256)
// and for a placeholder used as an object key in a JSON template.
Status ValidateTargetInput(const TargetInput& input, std::string_view target_id);

// The payload text for one delivery of `event` (a parsed event envelope). Errors are
// InvalidArgument and mean "do not deliver" (a failed invocation that retrying cannot fix).
Result<std::string> RenderTargetInput(const TargetInput& input, const nlohmann::json& event,
                                      const RuleContext& rule);

// Evaluates a path of the subset above; nullopt when it is malformed or selects nothing.
std::optional<nlohmann::json> SelectJsonPath(const nlohmann::json& root, std::string_view path);

}  // namespace berth::events
