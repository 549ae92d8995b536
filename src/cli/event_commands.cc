#include "cli/event_commands.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/time_format.h"

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr const char* kBerthEvents = "BerthEvents.";
constexpr const char* kAwsEvents = "AWSEvents.";
constexpr const char* kSigningName = "events";
constexpr int kPollMs = 200;
// How long --replay watches the new delivery before it reports "still in progress".
constexpr int kReplayWatchMs = 5000;
// --follow re-reads events with unfinished deliveries at most this far back.
constexpr uint64_t kTrackBack = 200;
constexpr size_t kDetailShown = 200;

volatile sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

int Fail(const std::string& message) {
  fprintf(stderr, "berth: %s\n", message.c_str());
  return 1;
}

Result<json> Berth(Client& client, const std::string& op, const json& input) {
  return client.Call(kBerthEvents, kSigningName, op, input);
}

// Colour only on a terminal (and not under NO_COLOR), as `berth logs` does.
struct Style {
  bool on = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == nullptr;
  std::string Wrap(const char* code, const std::string& s) const {
    return on ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  }
  std::string Bold(const std::string& s) const { return Wrap("1", s); }
  std::string Dim(const std::string& s) const { return Wrap("2", s); }
  // A delivery state or rule state, padded to `width` before colouring so columns stay aligned.
  std::string State(const std::string& s, size_t width = 0) const {
    std::string padded = s;
    if (padded.size() < width) padded.append(width - padded.size(), ' ');
    if (s == "delivered" || s == "ENABLED") return Wrap("32", padded);
    if (s == "pending" || s == "retrying" || s == "DISABLED") return Wrap("33", padded);
    if (s == "dead" || s == "failed") return Wrap("31", padded);
    if (s == "skipped") return Wrap("2", padded);
    return padded;
  }
};

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

long long Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<long long>() : 0;
}

// The daemon trims trailing zeros from the milliseconds; pad them back so times line up:
// 2026-11-28T20:48:26.5Z → 2026-11-28T20:48:26.500Z, …:26Z → …:26.000Z.
std::string FixedTime(const std::string& iso) {
  if (iso.empty() || iso.back() != 'Z') return iso;
  std::string base = iso.substr(0, iso.size() - 1);
  size_t dot = base.find('.');
  std::string frac = dot == std::string::npos ? "" : base.substr(dot + 1);
  if (dot != std::string::npos) base.resize(dot);
  frac.resize(3, '0');
  return base + "." + frac + "Z";
}

std::string Attempts(long long n) {
  return std::to_string(n) + (n == 1 ? " attempt" : " attempts");
}

// Event patterns are stored as the user wrote them (often pretty-printed): one line here.
std::string OneLine(const std::string& json_text) {
  auto j = json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return json_text;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Truncated(const std::string& s, size_t limit) {
  if (s.size() <= limit) return s;
  return s.substr(0, limit) + "… (" + std::to_string(s.size()) + " bytes)";
}

// --- berth rules ---

std::string CountersRow(const std::string& label, size_t label_width, const json& c) {
  char buf[160];
  snprintf(buf, sizeof buf, "  %s %7lld  %9lld  %6lld  %7lld  %13lld  %7lld",
           Pad(label, label_width).c_str(), Int(c, "Matched"), Int(c, "Delivered"),
           Int(c, "Failed"), Int(c, "Retried"), Int(c, "DeadLettered"), Int(c, "Skipped"));
  return buf;
}

void PrintRule(const json& rule, const Style& st) {
  printf("%s  %s  bus %s\n", st.Bold(Str(rule, "Name")).c_str(),
         st.State(Str(rule, "State")).c_str(), Str(rule, "EventBusName").c_str());
  if (rule.contains("EventPattern")) {
    printf("  pattern   %s\n", OneLine(Str(rule, "EventPattern")).c_str());
  }
  if (rule.contains("ScheduleExpression")) {
    printf("  schedule  %s\n", Str(rule, "ScheduleExpression").c_str());
    const json next = rule.value("NextFirings", json::array());
    if (next.empty()) {
      printf("  next      %s\n",
             Str(rule, "State") == "ENABLED" ? "(none)" : "(none: the rule is disabled)");
    }
    for (size_t i = 0; i < next.size(); ++i) {
      std::string t = next[i].is_string() ? next[i].get<std::string>() : "";
      bool disabled = i == 0 && Str(rule, "State") != "ENABLED";
      printf("  %-8s  %s%s\n", i == 0 ? "next" : "", FixedTime(t).c_str(),
             disabled ? st.Dim("  (when enabled)").c_str() : "");
    }
  }
  const json targets = rule.value("Targets", json::array());
  size_t width = 8;  // "rule", "target ID"
  for (const auto& t : targets) width = std::max(width, 7 + Str(t, "Id").size());
  printf("  %s %s\n", Pad("", width).c_str(),
         st.Dim("MATCHED  DELIVERED  FAILED  RETRIED  DEAD-LETTERED  SKIPPED").c_str());
  printf("%s\n", CountersRow("rule", width, rule.value("Counters", json::object())).c_str());
  for (const auto& t : targets) {
    printf(
        "%s  %s\n",
        CountersRow("target " + Str(t, "Id"), width, t.value("Counters", json::object())).c_str(),
        Str(t, "Arn").c_str());
  }
  if (targets.empty()) printf("  (no targets)\n");
}

Result<std::vector<std::string>> BusNames(Client& client) {
  std::vector<std::string> names;
  json input = json::object();
  while (true) {
    auto r = client.Call(kAwsEvents, kSigningName, "ListEventBuses", input);
    if (!r.ok()) return r.status();
    for (const auto& b : r->value("EventBuses", json::array())) names.push_back(Str(b, "Name"));
    if (Str(*r, "NextToken").empty()) break;
    input["NextToken"] = (*r)["NextToken"];
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return (a == "default") != (b == "default") ? a == "default" : a < b;
  });
  return names;
}

// --- berth events ---

// One delivery's outcome as printed; also how --follow notices that it changed.
std::string OutcomeKey(const json& d) {
  return Str(d, "State") + "|" + std::to_string(Int(d, "Attempts")) + "|" + Str(d, "Error");
}

bool Unfinished(const json& event) {
  for (const auto& d : event.value("Deliveries", json::array())) {
    std::string s = Str(d, "State");
    if (s == "pending" || s == "retrying") return true;
  }
  return false;
}

std::string DeliveryText(const json& d, size_t route_width, const Style& st) {
  std::string route = Str(d, "Rule") + " -> " + Str(d, "TargetId");
  std::string line = Pad(route, route_width) + "  " + st.State(Str(d, "State"), 9) + "  " +
                     Attempts(Int(d, "Attempts"));
  if (!Str(d, "Error").empty()) line += "  " + Str(d, "Error");
  return line;
}

std::string EventHead(const json& e) {
  std::string head = FixedTime(Str(e, "Time")) + "  " + Str(e, "Source") + "  " +
                     Str(e, "DetailType") + "  id " + Str(e, "Id");
  std::string bus = Str(e, "EventBusName");
  if (!bus.empty() && bus != "default") head += "  bus " + bus;
  return head;
}

void PrintEvent(const json& e, const Style& st) {
  printf("%s\n", st.Bold(EventHead(e)).c_str());
  const json deliveries = e.value("Deliveries", json::array());
  const json matched = e.value("MatchedRules", json::array());
  if (matched.empty()) {
    printf("  %s\n", st.Dim("no rule matched").c_str());
    return;
  }
  size_t width = 0;
  for (const auto& d : deliveries) {
    width = std::max(width, Str(d, "Rule").size() + 4 + Str(d, "TargetId").size());
  }
  std::set<std::string> shown;
  for (const auto& r : matched) {
    std::string rule = r.is_string() ? r.get<std::string>() : "";
    if (!shown.insert(rule).second) continue;
    bool any = false;
    for (const auto& d : deliveries) {
      if (Str(d, "Rule") != rule) continue;
      printf("  %s\n", DeliveryText(d, width, st).c_str());
      any = true;
    }
    if (!any) printf("  %s  %s\n", rule.c_str(), st.Dim("(no targets)").c_str());
  }
}

int ListDead(Client& client, const Style& st) {
  auto r = Berth(client, "ListDeadLetters", json::object());
  if (!r.ok()) return Fail(r.status().message());
  const json dead = r->value("DeadLetters", json::array());
  if (dead.empty()) {
    printf("no dead letters\n");
    return 0;
  }
  for (size_t i = 0; i < dead.size(); ++i) {
    const json& d = dead[i];
    if (i > 0) printf("\n");
    std::string head = "dead letter " + std::to_string(Int(d, "Id")) + "  " +
                       FixedTime(Str(d, "DeadAt")) + "  " + Str(d, "RuleName") + " -> " +
                       Str(d, "TargetId");
    printf("%s  %s\n", st.Bold(head).c_str(), Attempts(Int(d, "Attempts")).c_str());
    printf("  target  %s\n", Str(d, "TargetArn").c_str());
    std::string error = Str(d, "ErrorCode");
    if (!Str(d, "ErrorMessage").empty()) {
      error += (error.empty() ? "" : ": ") + Str(d, "ErrorMessage");
    }
    printf("  error   %s\n", st.Wrap("31", error).c_str());
    auto event = json::parse(Str(d, "Event"), nullptr, false);
    if (event.is_object()) {
      std::string detail =
          event.contains("detail")
              ? event["detail"].dump(-1, ' ', false, json::error_handler_t::replace)
              : "{}";
      printf("  event   %s  %s  id %s  %s\n", Str(event, "source").c_str(),
             Str(event, "detail-type").c_str(), Str(event, "id").c_str(),
             Truncated(detail, kDetailShown).c_str());
    } else {
      printf("  event   %s  %s\n", Str(d, "EventId").c_str(),
             Truncated(Str(d, "Event"), kDetailShown).c_str());
    }
  }
  if (st.on) printf("\n%s\n", st.Dim("replay one with: berth events --replay ID").c_str());
  return 0;
}

// Replays a dead letter, then watches its new delivery for a few seconds and says how it went.
// Exit 0 once the daemon has accepted the replay, whatever the delivery's fate.
int Replay(Client& client, const std::string& id_text, const Style& st) {
  if (id_text.empty() || id_text.size() > 18 ||
      id_text.find_first_not_of("0123456789") != std::string::npos) {
    fprintf(stderr, "berth: --replay takes a dead-letter id (a number; see berth events --dead)\n");
    return 2;
  }
  long long id = std::stoll(id_text);
  auto before = Berth(client, "ListDeadLetters", json::object());
  if (!before.ok()) return Fail(before.status().message());
  std::set<long long> known;
  json letter;
  for (const auto& d : before->value("DeadLetters", json::array())) {
    known.insert(Int(d, "Id"));
    if (Int(d, "Id") == id) letter = d;
  }
  auto r = Berth(client, "ReplayDeadLetter", {{"Id", id}});
  if (!r.ok()) return Fail(r.status().message());
  std::string rule = Str(letter, "RuleName"), target = Str(letter, "TargetId");
  std::string event_id = Str(letter, "EventId");
  printf("replayed dead letter %lld: event %s to rule %s -> target %s (%s)\n", id, event_id.c_str(),
         rule.c_str(), target.c_str(), Str(letter, "TargetArn").c_str());
  fflush(stdout);
  if (letter.is_null()) return 0;

  // The outcome: a new dead letter for the same event, rule and target means it died again; the
  // recent-traffic entry of the event turns "delivered" (or "retrying") when it got through.
  std::string last_state;
  for (int waited = 0; waited <= kReplayWatchMs && !g_interrupted; waited += kPollMs) {
    auto dead = Berth(client, "ListDeadLetters", json::object());
    if (!dead.ok()) return Fail(dead.status().message());
    for (const auto& d : dead->value("DeadLetters", json::array())) {
      if (known.count(Int(d, "Id")) || Str(d, "EventId") != event_id ||
          Str(d, "RuleArn") != Str(letter, "RuleArn") || Str(d, "TargetId") != target) {
        continue;
      }
      std::string error = Str(d, "ErrorCode") + (Str(d, "ErrorMessage").empty() ? "" : ": ") +
                          Str(d, "ErrorMessage");
      printf("%s after %s: %s (now dead letter %lld)\n", st.State("dead").c_str(),
             Attempts(Int(d, "Attempts")).c_str(), error.c_str(), Int(d, "Id"));
      return 0;
    }
    auto recent = Berth(client, "ListRecentEvents", json::object());
    if (!recent.ok()) return Fail(recent.status().message());
    for (const auto& e : recent->value("Events", json::array())) {
      if (Str(e, "Id") != event_id) continue;
      for (const auto& d : e.value("Deliveries", json::array())) {
        if (Str(d, "Rule") != rule || Str(d, "TargetId") != target) continue;
        last_state = Str(d, "State");
        if (last_state == "delivered" || last_state == "skipped") {
          printf("%s after %s%s\n", st.State(last_state).c_str(),
                 Attempts(Int(d, "Attempts")).c_str(),
                 Str(d, "Error").empty() ? "" : ("  " + Str(d, "Error")).c_str());
          return 0;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  printf("the delivery is still in progress%s; watch it with berth events --follow\n",
         last_state == "retrying" ? " (retrying)" : "");
  return 0;
}

int ListEvents(Client& client, bool follow, const Style& st) {
  uint64_t after = 0;  // the newest seq printed
  // Printed events with a pending or retrying delivery: seq → route ("rule -> target") → the
  // OutcomeKey last printed.
  std::map<uint64_t, std::map<std::string, std::string>> unfinished;
  bool first = true;
  while (!g_interrupted) {
    uint64_t from = after;
    if (!unfinished.empty()) from = std::min(from, unfinished.begin()->first - 1);
    json input = json::object();
    if (from > 0) input["AfterSeq"] = from;
    auto r = Berth(client, "ListRecentEvents", input);
    if (!r.ok()) return Fail(r.status().message());
    uint64_t last_seq = static_cast<uint64_t>(Int(*r, "LastSeq"));
    if (last_seq < after) {
      // The daemon restarted (its sequence begins again): everything it has is new.
      after = 0;
      unfinished.clear();
      continue;
    }
    const json events = r->value("Events", json::array());
    if (first && events.empty() && !follow) printf("no recent events\n");
    std::set<uint64_t> present;
    for (const auto& e : events) {
      uint64_t seq = static_cast<uint64_t>(Int(e, "Seq"));
      present.insert(seq);
      if (seq <= after) {
        // Seen before: print the deliveries whose outcome changed.
        auto it = unfinished.find(seq);
        if (it == unfinished.end()) continue;
        auto& keys = it->second;
        for (const auto& d : e.value("Deliveries", json::array())) {
          std::string route = Str(d, "Rule") + " -> " + Str(d, "TargetId");
          std::string key = OutcomeKey(d);
          if (keys[route] == key) continue;
          keys[route] = key;
          std::string now = FixedTime(FormatIsoMillis(SystemClock().NowMs()));
          printf("%s  %s\n", st.Dim(now + "  update of " + Str(e, "Id")).c_str(),
                 DeliveryText(d, 0, st).c_str());
        }
        if (!Unfinished(e)) unfinished.erase(it);
        continue;
      }
      if (after > 0 && seq > after + 1 && !first) {
        fprintf(stderr, "berth: %llu events went by faster than they could be shown\n",
                static_cast<unsigned long long>(seq - after - 1));
      }
      PrintEvent(e, st);
      after = seq;
      if (follow && Unfinished(e)) {
        auto& keys = unfinished[seq];
        for (const auto& d : e.value("Deliveries", json::array())) {
          keys[Str(d, "Rule") + " -> " + Str(d, "TargetId")] = OutcomeKey(d);
        }
      }
    }
    // Stop watching events the daemon no longer remembers, or that are too far back.
    for (auto it = unfinished.begin(); it != unfinished.end();) {
      bool gone = !present.count(it->first) || it->first + kTrackBack < after;
      it = gone ? unfinished.erase(it) : std::next(it);
    }
    fflush(stdout);
    first = false;
    if (!follow) break;
    for (int i = 0; i < kPollMs / 50 && !g_interrupted; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return 0;
}

}  // namespace

int RulesCommand(Client& client, const RulesOptions& o) {
  std::vector<std::string> buses;
  if (!o.bus.empty()) {
    buses.push_back(o.bus);
  } else {
    auto names = BusNames(client);
    if (!names.ok()) return Fail(names.status().message());
    buses = *names;
  }
  Style st;
  int shown = 0;
  for (const auto& bus : buses) {
    auto r = Berth(client, "DescribeRules", {{"EventBusName", bus}});
    if (!r.ok()) return Fail(r.status().message());
    for (const auto& rule : r->value("Rules", json::array())) {
      if (shown++ > 0) printf("\n");
      PrintRule(rule, st);
    }
  }
  if (shown == 0) {
    printf("no rules%s\n", o.bus.empty() ? "" : (" on bus " + o.bus).c_str());
  }
  return 0;
}

int EventsCommand(Client& client, const EventsOptions& o) {
  Style st;
  if (o.dead) return ListDead(client, st);
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);
  if (!o.replay.empty()) return Replay(client, o.replay, st);
  return ListEvents(client, o.follow, st);
}

EventCommands::EventCommands(CLI::App& app) {
  rules_ = app.add_subcommand(
      "rules", "Show event rules: state, pattern or schedule (next 5 firings), counters, targets");
  rules_->add_option("--bus", rules_options_.bus, "Only this event bus (default: every bus)");

  events_ = app.add_subcommand(
      "events",
      "Show recent bus traffic: each event, the rules it matched and each delivery's outcome "
      "(berth events [-f] | --dead | --replay ID)");
  auto* follow = events_->add_flag(
      "--follow,-f", events_options_.follow,
      "Keep printing new events, and changed outcomes of unfinished deliveries, until Ctrl-C");
  auto* dead = events_->add_flag("--dead", events_options_.dead,
                                 "List dead letters: deliveries that gave up, with their error");
  auto* replay = events_
                     ->add_option("--replay", events_options_.replay,
                                  "Deliver dead letter ID again and report what happened")
                     ->type_name("ID");
  follow->excludes(dead)->excludes(replay);
  dead->excludes(replay);
}

int EventCommands::Run(Client& client) const {
  if (rules_->parsed()) return RulesCommand(client, rules_options_);
  return EventsCommand(client, events_options_);
}

}  // namespace berth::cli
