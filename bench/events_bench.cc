// bench (i): the event bus hot path — PutEvents → match → in-memory target — on one thread.
//
// Generates a deterministic set of events (ECS-task-state-change-like and custom application
// events, ~1–2 KB of detail each) and rule sets of 1, 100 and 1,000 rules of mixed operators
// (exact, prefix, suffix, anything-but, numeric ranges, exists, cidr, wildcard,
// equals-ignore-case, $or), chosen so that an event matches roughly --match-frac of the rules.
// Each rule has one target, handled by an in-memory counting TargetInvoker. The events are put
// through EventBus::PutEvents in batches of 10 JSON-text entries (as the API passes them) with a
// FakeExecutor whose pending work runs after each batch (the target answers at once, as a log
// group does, so the bus delivers while it routes each event). Reports events/s per
// CPU-second and per wall-second as JSON on stdout, and writes the exact events and rules to
// --out-dir so that bench/events_moto.py evaluates the same ones.
//
// Beside the sets of --rules, two 1,000-rule variants keep the 100-rule set's fan-out: the
// 100-rule set plus 900 rules of the same templates for other sources (--other), or for the
// same sources with values no event has (--other-values); 0 leaves a variant out. And for each
// N of --distinct (N among --rules), the N-rule set with every pattern's text made unique by
// trailing whitespace: the same rules and matches, but no two rules share a pattern of the
// bus's index (the generated sets repeat patterns, and the bus matches a repeated one once).
//
//   events_bench --out-dir DIR [--events 2000] [--seconds 2] [--rounds 3] [--match-frac 0.07]
//                [--rules 1,100,1000] [--other 1000] [--other-values 1000]
//                [--distinct 100,1000]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/fake_executor.h"
#include "events/event_bus.h"
#include "events/event_pattern.h"
#include "events_workload.h"
#ifndef EVENTS_BENCH_NO_INDEX  // (for measuring a tree from before PatternIndex)
#include "events/event_pattern_index.h"
#endif

namespace {

using berth::FakeExecutor;
using namespace berth::events;
using nlohmann::json;
using nlohmann::ordered_json;
using namespace bench_events;

// ---------------------------------------------------------------------------------------------
// The bus under test.

class CountingInvoker : public TargetInvoker {
 public:
  bool Handles(const std::string& arn) const override {
    return arn.rfind("arn:aws:lambda:", 0) == 0;
  }
  void Invoke(const Invocation& inv, std::function<void(InvokeOutcome)> done) override {
    done(*InvokeNow(inv));
  }
  // Done at once, as a log group write is.
  std::optional<InvokeOutcome> InvokeNow(const Invocation& inv) override {
    ++count;
    bytes += inv.payload.size();
    return InvokeOutcome{};
  }
  uint64_t count = 0;
  uint64_t bytes = 0;
};

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
double WallNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Bench {
  FakeExecutor exec;
  CountingInvoker invoker;
  std::unique_ptr<EventBus> bus;
};

std::unique_ptr<Bench> MakeBus(const std::vector<std::string>& patterns, bool with_targets) {
  auto b = std::make_unique<Bench>();
  BusOptions o;  // data_dir "": memory-only outbox
  auto bus = EventBus::Open(b->exec, o);
  if (!bus.ok()) {
    fprintf(stderr, "EventBus::Open: %s\n", bus.status().message().c_str());
    exit(2);
  }
  b->bus = std::move(*bus);
  b->bus->AddInvoker(&b->invoker);
  b->bus->Start();
  for (size_t i = 0; i < patterns.size(); ++i) {
    char name[32];
    snprintf(name, sizeof name, "rule-%04zu", i);
    RuleSpec spec;
    spec.name = name;
    spec.pattern_text = patterns[i];
    spec.pattern = *EventPattern::Compile(patterns[i]);
    if (!b->bus->PutRule(spec).ok()) exit(3);
    if (!with_targets) continue;
    auto t = ParseTarget(
        {{"Id", "t1"},
         {"Arn", std::string("arn:aws:lambda:us-east-1:123456789012:function:") + name}});
    if (!t.ok() || !b->bus->PutTargets("", name, {*t}).ok()) exit(3);
  }
  return b;
}

struct Run {
  uint64_t events = 0;
  uint64_t deliveries = 0;
  double wall_s = 0;
  double cpu_s = 0;
};

int g_passes = 0;  // --passes: a fixed number of passes over the events instead of --seconds

Run Drive(Bench& b, const std::vector<std::vector<EventEntry>>& batches, double seconds) {
  Run run;
  uint64_t before = b.invoker.count;
  double w0 = WallNow(), c0 = CpuNow();
  size_t i = 0;
  while (true) {
    const auto& batch = batches[i];
    auto res = b.bus->PutEvents(batch);
    if (res.empty() || res[0].event_id.empty()) {
      fprintf(stderr, "PutEvents failed: %s\n", res.empty() ? "?" : res[0].error_message.c_str());
      exit(4);
    }
    b.exec.RunPending();
    run.events += batch.size();
    if (++i == batches.size()) {
      i = 0;
      if (g_passes > 0 ? run.events >= static_cast<uint64_t>(g_passes) * 10 * batches.size()
                       : WallNow() - w0 >= seconds) {
        break;
      }
    }
  }
  run.wall_s = WallNow() - w0;
  run.cpu_s = CpuNow() - c0;
  run.deliveries = b.invoker.count - before;
  return run;
}

// "1,100,1000" → {1, 100, 1000}.
std::vector<int> ParseCounts(const std::string& s) {
  std::vector<int> counts;
  for (size_t p = 0; p < s.size();) {
    size_t q = s.find(',', p);
    counts.push_back(std::stoi(s.substr(p, q - p)));
    p = q == std::string::npos ? s.size() : q + 1;
  }
  return counts;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The rules of a set, as PutRule would name them, for bench/events_moto.py and for reading.
void WriteRules(const std::string& out_dir, const std::string& file, const RuleSet& rs) {
  if (out_dir.empty()) return;
  json rules = json::array();
  for (size_t i = 0; i < rs.patterns.size(); ++i) {
    char name[32];
    snprintf(name, sizeof name, "rule-%04zu", i);
    rules.push_back({{"Name", name}, {"EventPattern", rs.patterns[i]}});
  }
  std::ofstream(out_dir + "/" + file) << rules.dump(1) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir;
  int n_events = 2000;
  double seconds = 2;
  int rounds = 3;
  double match_frac = 0.07;
  std::vector<int> rule_counts = {1, 100, 1000};
  int other = 1000;  // --other: a set of this many rules, 100 of the usual kind + others' rules
  int other_values = 1000;  // --other-values: the same, the others on the same sources
  std::vector<int> distinct = {100, 1000};  // --distinct: these sets again, no two texts alike
  bool bare_runs = true;    // --bare 0: skip the match-only runs (profiling)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "%s needs a value\n", a.c_str());
        exit(1);
      }
      return argv[++i];
    };
    if (a == "--out-dir") {
      out_dir = next();
    } else if (a == "--events") {
      n_events = std::stoi(next());
    } else if (a == "--seconds") {
      seconds = std::stod(next());
    } else if (a == "--bare") {
      bare_runs = std::stoi(next()) != 0;
    } else if (a == "--distinct") {
      distinct = ParseCounts(next());
    } else if (a == "--other") {
      other = std::stoi(next());
    } else if (a == "--other-values") {
      other_values = std::stoi(next());
    } else if (a == "--passes") {
      g_passes = std::stoi(next());
    } else if (a == "--rounds") {
      rounds = std::stoi(next());
    } else if (a == "--match-frac") {
      match_frac = std::stod(next());
    } else if (a == "--rules") {
      rule_counts = ParseCounts(next());
    } else {
      fprintf(stderr,
              "usage: %s --out-dir DIR [--events N] [--seconds S] [--rounds R] "
              "[--match-frac F] [--rules 1,100,1000] [--other N] [--other-values N] "
              "[--distinct 100,1000]\n",
              argv[0]);
      return 1;
    }
  }

  std::vector<Entry> events = MakeEvents(n_events, 42);
  size_t detail_bytes = 0;
  size_t min_b = SIZE_MAX, max_b = 0;
  for (const auto& e : events) {
    detail_bytes += e.detail.size();
    min_b = std::min(min_b, e.detail.size());
    max_b = std::max(max_b, e.detail.size());
  }
  // Flattened envelopes (as the bus builds them) to rate candidate rules.
  std::vector<FlatEvent> sample;
  for (size_t i = 0; i < events.size() && i < 1000; ++i) {
    const Entry& e = events[i];
    json env = {{"version", "0"},
                {"id", "00000000-0000-4000-8000-000000000000"},
                {"detail-type", e.detail_type},
                {"source", e.source},
                {"account", "123456789012"},
                {"time", "2024-01-01T00:00:00Z"},
                {"region", "us-east-1"},
                {"resources", e.resources},
                {"detail", json::parse(e.detail)}};
    sample.push_back(*FlatEvent::FromJson(env));
  }

  std::vector<std::vector<EventEntry>> batches;
  for (size_t i = 0; i < events.size(); i += 10) {
    std::vector<EventEntry> batch;
    for (size_t j = i; j < std::min(events.size(), i + 10); ++j) {
      const Entry& e = events[j];
      batch.push_back({e.source, e.detail_type, e.detail, e.resources, std::nullopt, ""});
    }
    batches.push_back(std::move(batch));
  }

  if (!out_dir.empty()) {
    std::ofstream f(out_dir + "/events.jsonl");
    for (const auto& e : events) {
      f << json{{"Source", e.source},
                {"DetailType", e.detail_type},
                {"Detail", e.detail},
                {"Resources", e.resources}}
               .dump()
        << "\n";
    }
  }

  json report;
  report["events"] = n_events;
  report["detail_bytes_avg"] = static_cast<double>(detail_bytes) / events.size();
  report["detail_bytes_min"] = min_b;
  report["detail_bytes_max"] = max_b;
  report["batch"] = 10;
  report["seconds"] = seconds;
  report["rounds"] = rounds;
  report["sets"] = json::array();

  std::vector<RuleSet> sets;
  std::vector<std::unique_ptr<Bench>> full, bare;
  for (int n : rule_counts) {
    sets.push_back(MakeRules(n, match_frac, sample, 1000 + n));
    WriteRules(out_dir, "rules-" + std::to_string(n) + ".json", sets.back());
    full.push_back(MakeBus(sets.back().patterns, true));
    bare.push_back(MakeBus(sets.back().patterns, false));
  }
  // The variants: the 100-rule set plus rules for other sources, or for other values of the
  // same sources (kOther*; kPlain: a set of its own).
  enum Variant { kPlain, kOtherSources, kOtherValues, kDistinctTexts };
  std::vector<Variant> variant(sets.size(), kPlain);
  const size_t hundred =
      std::find(rule_counts.begin(), rule_counts.end(), 100) - rule_counts.begin();
  auto add_variant = [&](Variant v, int n) {
    RuleSet set = v == kOtherSources ? WithOtherSources(sets[hundred], n, 77)
                                     : WithOtherValues(sets[hundred], n, 78);
    sets.push_back(std::move(set));
    rule_counts.push_back(n);
    variant.push_back(v);
    WriteRules(out_dir,
               "rules-" + std::to_string(n) +
                   (v == kOtherSources ? "-other-sources.json" : "-other-values.json"),
               sets.back());
    full.push_back(MakeBus(sets.back().patterns, true));
    bare.push_back(MakeBus(sets.back().patterns, false));
  };
  if (hundred < rule_counts.size()) {
    if (other > 100) add_variant(kOtherSources, other);
    if (other_values > 100) add_variant(kOtherValues, other_values);
  }
  const size_t plain_count = rule_counts.size();
  for (size_t s = 0; s < plain_count; ++s) {
    if (variant[s] != kPlain ||
        std::find(distinct.begin(), distinct.end(), rule_counts[s]) == distinct.end()) {
      continue;
    }
    RuleSet set = sets[s];
    for (size_t i = 0; i < set.patterns.size(); ++i) {
      // JSON's four whitespace bytes as the digits of i: a text no other rule has.
      for (size_t k = i + 1; k > 0; k /= 4) set.patterns[i] += " \t\n\r"[k % 4];
    }
    sets.push_back(std::move(set));
    rule_counts.push_back(rule_counts[s]);
    variant.push_back(kDistinctTexts);
    full.push_back(MakeBus(sets.back().patterns, true));
    bare.push_back(MakeBus(sets.back().patterns, false));
  }

  // Exact matched pairs over the event set (the cross-check for the moto run).
  std::vector<uint64_t> pairs(sets.size(), 0);
  std::vector<std::pair<double, double>> index_stats;
  {
    std::vector<FlatEvent> all;
    for (const auto& e : events) {
      json env = {{"source", e.source},
                  {"detail-type", e.detail_type},
                  {"resources", e.resources},
                  {"detail", json::parse(e.detail)}};
      all.push_back(*FlatEvent::FromJson(env));
    }
    for (size_t s = 0; s < sets.size(); ++s) {
      std::vector<EventPattern> ps;
      for (const auto& p : sets[s].patterns) ps.push_back(*EventPattern::Compile(p));
      json per_event = json::array();
      for (const auto& f : all) {
        int k = 0;
        for (const auto& p : ps) k += p.Matches(f) ? 1 : 0;
        pairs[s] += k;
        per_event.push_back(k);
      }
      if (!out_dir.empty() && variant[s] == kPlain) {
        std::ofstream(out_dir + "/matches-" + std::to_string(rule_counts[s]) + ".json")
            << per_event.dump() << "\n";
      }
    }
#ifndef EVENTS_BENCH_NO_INDEX
    // The bus's pre-filter: rule branches verified (what it does not decide alone) per event.
    for (size_t s = 0; s < sets.size(); ++s) {
      PatternIndex index;
      for (const auto& p : sets[s].patterns) index.Add(*EventPattern::Compile(p));
      uint64_t tried = 0, matched = 0;
      std::vector<uint32_t> out;
      for (const auto& e : events) {
        json env = {{"source", e.source},
                    {"detail-type", e.detail_type},
                    {"resources", e.resources},
                    {"detail", json::parse(e.detail)}};
        out.clear();
        index.Match(*FlatEvent::Parse(env.dump(), &index.filter()), &out);
        tried += index.last_candidates();
        matched += out.size();
      }
      index_stats.push_back({static_cast<double>(tried) / events.size(),
                             static_cast<double>(matched) / events.size()});
    }
#else
    index_stats.assign(sets.size(), {0.0, 0.0});
#endif
    // The matcher alone: flattened events × compiled patterns of the largest set.
    size_t s = 0;
    for (size_t k = 0; k < sets.size(); ++k) {
      if (variant[k] == kPlain && rule_counts[k] >= rule_counts[s]) s = k;
    }
    std::vector<EventPattern> ps;
    for (const auto& p : sets[s].patterns) ps.push_back(*EventPattern::Compile(p));
    uint64_t n = 0, hits = 0;
    double c0 = CpuNow();
    while (CpuNow() - c0 < std::min(seconds, 1.0)) {
      for (size_t i = 0; i < 200 && i < all.size(); ++i) {
        for (const auto& p : ps) hits += p.Matches(all[i]) ? 1 : 0;
        n += ps.size();
      }
    }
    report["matcher_pairs_per_cpu_s"] = n / (CpuNow() - c0);
    report["matcher_rules"] = rule_counts[s];
    (void)hits;
  }

  // Warm-up, then rounds: every rule set in turn, with targets and without.
  fprintf(stderr, "[events_bench] measuring\n");
  for (size_t s = 0; s < sets.size(); ++s) {
    Drive(*full[s], batches, 0.2);
    if (bare_runs) Drive(*bare[s], batches, 0.1);
  }
  std::vector<std::vector<Run>> full_runs(sets.size()), bare_results(sets.size());
  for (int r = 0; r < rounds; ++r) {
    for (size_t s = 0; s < sets.size(); ++s) {
      full_runs[s].push_back(Drive(*full[s], batches, seconds));
      if (bare_runs) bare_results[s].push_back(Drive(*bare[s], batches, seconds / 2));
      const Run& x = full_runs[s].back();
      fprintf(stderr,
              "[events_bench] round %d, %d rules: %.0f events/s (cpu), %.0f (wall), "
              "%.2f deliveries/event\n",
              r + 1, rule_counts[s], x.events / x.cpu_s, x.events / x.wall_s,
              static_cast<double>(x.deliveries) / x.events);
    }
  }
  for (size_t s = 0; s < sets.size(); ++s) {
    json j;
    j["rules"] = rule_counts[s];
    j["other_sources"] = variant[s] == kOtherSources ? rule_counts[s] - 100 : 0;
    j["other_values"] = variant[s] == kOtherValues ? rule_counts[s] - 100 : 0;
    j["distinct_texts"] = variant[s] == kDistinctTexts;
    j["distinct_patterns"] =
        std::set<std::string>(sets[s].patterns.begin(), sets[s].patterns.end()).size();
    j["match_frac"] = sets[s].match_frac;
    j["live_frac"] = sets[s].live_frac;
    j["matched_pairs"] = pairs[s];
    j["matched_per_event"] = static_cast<double>(pairs[s]) / events.size();
    j["index_tried_per_event"] = index_stats[s].first;
    std::map<int, int> per_template;
    for (int t : sets[s].templates) ++per_template[t];
    j["templates_used"] = per_template.size();
    auto summarize = [](const std::vector<Run>& runs) {
      json out;
      std::vector<double> cpu, wall;
      json rs = json::array();
      for (const auto& x : runs) {
        cpu.push_back(x.events / x.cpu_s);
        wall.push_back(x.events / x.wall_s);
        rs.push_back({{"events", x.events},
                      {"deliveries", x.deliveries},
                      {"cpu_s", x.cpu_s},
                      {"wall_s", x.wall_s}});
      }
      out["runs"] = rs;
      out["events_per_cpu_s"] = Median(cpu);
      out["events_per_cpu_s_min"] = *std::min_element(cpu.begin(), cpu.end());
      out["events_per_cpu_s_max"] = *std::max_element(cpu.begin(), cpu.end());
      out["events_per_wall_s"] = Median(wall);
      out["deliveries_per_event"] =
          runs.empty() ? 0.0 : static_cast<double>(runs[0].deliveries) / runs[0].events;
      return out;
    };
    j["full"] = summarize(full_runs[s]);
    if (bare_runs) j["match_only"] = summarize(bare_results[s]);
    report["sets"].push_back(j);
  }
  printf("%s\n", report.dump(1).c_str());
  return 0;
}
