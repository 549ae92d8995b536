// EventPattern: an EventBridge event pattern, compiled once and matched against many events;
// FlatEvent: an event flattened once (dotted path → leaf values) so that many patterns can be
// matched against it cheaply.
//
// The language is EventBridge's (aws/event-ruler's JsonRuleCompiler): exact strings, numbers,
// true/false/null; prefix and suffix (with equals-ignore-case), equals-ignore-case, wildcard,
// anything-but (value, list, prefix, suffix, equals-ignore-case, wildcard), numeric ranges,
// exists, cidr, and $or at any level. Compile validates as AWS does and fails with AWS's exact
// InvalidEventPatternException message ("Event pattern is not valid. Reason: …", including the
// Jackson location suffix where AWS prints one). Matching follows ruler: fields are AND-ed,
// values OR-ed, an event array matches when any element does, and fields must not be satisfied
// by different elements of the same array (array consistency). See spec/events.md §2.
//
// Both classes are immutable values once built (cheap to copy: they share their data);
// Compile, the FlatEvent factories and every Matches are pure and may be called from any
// thread, concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace berth::events {

namespace pattern_internal {
struct FlatEventData;
struct PatternData;
}  // namespace pattern_internal

class FlatEvent {
 public:
  // Parses a JSON event; InvalidArgument if it is not JSON or not an object. Numbers keep
  // their text as written (ruler compares numbers it cannot normalise literally), and
  // duplicate keys all count, as in ruler's streaming event parser.
  static Result<FlatEvent> Parse(std::string_view event_json);
  // Flattens an already parsed event; InvalidArgument if it is not an object.
  static Result<FlatEvent> FromJson(const nlohmann::json& event);

  // Number of leaf values (strings, numbers, booleans, nulls) in the event.
  size_t leaf_count() const;

 private:
  friend class EventPattern;
  explicit FlatEvent(std::shared_ptr<const pattern_internal::FlatEventData> data)
      : data_(std::move(data)) {}
  std::shared_ptr<const pattern_internal::FlatEventData> data_;
};

class EventPattern {
 public:
  // InvalidArgument with AWS's exact InvalidEventPatternException message on a bad pattern.
  static Result<EventPattern> Compile(std::string_view pattern_json);

  bool Matches(const FlatEvent& event) const;
  // Flattens the event first (prefer FlatEvent when matching many patterns). An event that is
  // not a JSON object matches nothing.
  bool Matches(const nlohmann::json& event) const;
  bool Matches(std::string_view event_json) const;
  // (Without these, a string literal or std::string would be ambiguous between the two above.)
  bool Matches(const std::string& event_json) const {
    return Matches(std::string_view(event_json));
  }
  bool Matches(const char* event_json) const { return Matches(std::string_view(event_json)); }

  // Number of AND-branches after expanding $or (1 for a pattern without $or).
  size_t branch_count() const;

 private:
  explicit EventPattern(std::shared_ptr<const pattern_internal::PatternData> data)
      : data_(std::move(data)) {}
  std::shared_ptr<const pattern_internal::PatternData> data_;
};

}  // namespace berth::events
