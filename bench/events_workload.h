// bench (i)'s workload: deterministic events (ECS-task-state-change-like and custom
// application events, ~1–2 KB of detail each) and rule sets of mixed operators whose match rate
// per event is steered to a target. Used by events_bench.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/event_pattern.h"

namespace bench_events {

struct Entry {
  std::string source;
  std::string detail_type;
  std::string detail;  // JSON text
  std::vector<std::string> resources;
};

// n events from the seed (the same seed gives the same events).
std::vector<Entry> MakeEvents(int n, uint64_t seed);

struct RuleSet {
  std::vector<std::string> patterns;  // JSON text
  std::vector<int> templates;
  double match_frac = 0;  // mean fraction of the rules an event matches
  double live_frac = 0;   // fraction of rules that match at least one event
};

// Picks `n` rules, round-robin over the templates, each candidate accepted when it moves the
// running mean match rate towards `target` (so that an event matches ~target of the rules).
RuleSet MakeRules(int n, double target, const std::vector<berth::events::FlatEvent>& sample,
                  uint64_t seed);

// `base`'s rules, then rules for other sources up to `n` (more rules in the account, not more
// rules per event).
RuleSet WithOtherSources(const RuleSet& base, int n, uint64_t seed);

// `base`'s rules, then rules of the same templates and sources up to `n` whose values no
// generated event has (more rules on the same sources, not more rules per event).
RuleSet WithOtherValues(const RuleSet& base, int n, uint64_t seed);

}  // namespace bench_events
