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
// PathFilter: the paths some patterns look at, so that an event can be flattened at only those.
// (PatternIndex, in event_pattern_index.h, matches one event against many patterns at once.)
//
// EventPattern and FlatEvent are immutable values once built (cheap to copy: they share their
// data); Compile, the FlatEvent factories and every Matches are pure and may be called from any
// thread, concurrently. A PathFilter is built by Add (one thread), then only read.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace berth::events {

namespace pattern_internal {
struct FlatEventData;
struct PatternData;
struct PathFilterData;
}  // namespace pattern_internal

class EventPattern;
class PatternIndex;

// The dotted paths some patterns look at. An event flattened with a filter keeps only the
// leaves at those paths (the rest is validated but not decoded), and every pattern added to the
// filter matches it exactly as it matches the whole event. An empty filter keeps nothing.
class PathFilter {
 public:
  PathFilter();
  void Add(const EventPattern& pattern);

 private:
  friend class FlatEvent;
  std::shared_ptr<pattern_internal::PathFilterData> data_;
};

// The top-level fields of an EventBridge event (spec/events.md §1), all but `detail`.
struct EventEnvelope {
  std::string_view id;
  std::string_view detail_type;
  std::string_view source;
  std::string_view account;
  std::string_view time;
  std::string_view region;
  const std::vector<std::string>* resources = nullptr;  // nullptr = []
};

class FlatEvent {
 public:
  // Parses a JSON event; InvalidArgument if it is not JSON or not an object. Numbers keep
  // their text as written (ruler compares numbers it cannot normalise literally), and
  // duplicate keys all count, as in ruler's streaming event parser. With a filter, only the
  // leaves at its paths are kept (see PathFilter).
  static Result<FlatEvent> Parse(std::string_view event_json, const PathFilter* filter = nullptr);
  // Flattens an already parsed event; InvalidArgument if it is not an object.
  static Result<FlatEvent> FromJson(const nlohmann::json& event);
  // An event as the bus delivers it, built in one pass over `detail_json`: *text becomes the
  // envelope's JSON — {"version":"0","id",…,"resources":[…],"detail":…} in that order, the
  // detail minified with its keys in their order, a key given twice kept once, at its first
  // place with its last value (as AWS's parser does) — and the result is that text flattened
  // (with `filter`, if given). InvalidArgument ("Detail is malformed.") when the detail is not
  // a JSON object.
  static Result<FlatEvent> FromEnvelope(const EventEnvelope& envelope, std::string_view detail_json,
                                        const PathFilter* filter, std::string* text);

  // Number of leaf values (strings, numbers, booleans, nulls) in the event.
  size_t leaf_count() const;

 private:
  friend class EventPattern;
  friend class PatternIndex;
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
  friend class PathFilter;
  friend class PatternIndex;
  explicit EventPattern(std::shared_ptr<const pattern_internal::PatternData> data)
      : data_(std::move(data)) {}
  std::shared_ptr<const pattern_internal::PatternData> data_;
};

}  // namespace berth::events
