// EventBus: berth's EventBridge — event buses, rules (event patterns and schedules), targets,
// PutEvents, and delivery: each event is matched against the enabled rules of its bus (patterns
// compiled once and indexed per bus in a PatternIndex, rebuilt after any rule change; the event
// flattened once, only at the paths those patterns look at, in the same pass that builds its
// envelope text); every matching rule's targets get a delivery that is journaled in the Outbox
// before PutEvents answers, then handed to the TargetInvoker for the target's ARN — except that
// a target whose invoker answers at once (InvokeNow: a log group) is attempted while the event
// is routed, and a delivery done then is never journaled (it cannot be lost: it has happened; a
// PutEvents that then fails to journal the rest reports its entries failed, and a client's
// retry may deliver them twice, as at-least-once allows); failures are retried with exponential
// back-off and jitter within the target's RetryPolicy, then dead-lettered (kept for `berth events
// --dead`, and written to the target's DeadLetterConfig log group). Scheduled rules fire on timers
// (UTC, no catch-up of runs missed while the daemon was down).
//
// Configuration lives in DATA_DIR/events/config.json (rewritten atomically on each change); the
// outbox and dead letters beside it. Counters and the recent-traffic ring are in memory.
//
// Delivered envelopes are {"version":"0","id","detail-type","source","account","time",
// "region","resources","detail"} in that order, the detail minified with its keys in the order
// given (a key given twice: first place, last value).
//
// Errors (the API layer maps them): InvalidArgument → ValidationException, NotFound →
// ResourceNotFoundException, AlreadyExists → ResourceAlreadyExistsException,
// ResourceExhausted → LimitExceededException, FailedPrecondition → ValidationException too.
// Event patterns are compiled by the caller (InvalidEventPatternException is the API's).
//
// Threads: the control thread only (every method, every invoker callback).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/bus_types.h"
#include "events/event_pattern_index.h"
#include "events/outbox.h"
#include "events/recent_events.h"
#include "events/target_invoker.h"

namespace berth::events {

struct BusOptions {
  std::string data_dir;  // "" = memory only
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  int64_t retry_base_ms = 1000;  // first retry after ~this (then doubling, with jitter)
  int64_t retry_cap_ms = 60000;  // longest wait between two attempts
  size_t recent_kept = 500;      // events remembered for `berth events`
};

struct RuleSpec {
  std::string name;
  std::string bus;  // "" = default
  std::optional<std::string> pattern_text;
  std::optional<EventPattern> pattern;  // compiled by the caller from pattern_text
  std::optional<std::string> schedule_text;
  std::optional<std::string> state;
  std::optional<std::string> description;
  std::optional<std::string> role_arn;
  Tags tags;
};

struct EventEntry {
  std::string source;
  std::string detail_type;
  std::string detail;  // JSON object text
  std::vector<std::string> resources;
  std::optional<TimeMs> time;
  std::string bus;  // "" = default; a name or an ARN
};

struct PutEventsResult {
  std::string event_id;  // "" when failed
  std::string error_code;
  std::string error_message;
};

struct FailedTarget {
  std::string target_id;
  std::string error_code;
  std::string error_message;
};

class EventBus {
 public:
  static Result<std::unique_ptr<EventBus>> Open(Executor& executor, BusOptions options);
  ~EventBus();

  void AddInvoker(TargetInvoker* invoker) {
    invokers_.push_back(invoker);
    ++config_epoch_;
  }
  // Starts schedules and redelivers what the outbox kept. Call once, after AddInvoker.
  void Start();
  // Stops timers; pending deliveries stay in the outbox for the next start.
  void Shutdown();

  const BusOptions& options() const { return options_; }

  // --- Event buses ---
  Result<EventBusInfo> CreateEventBus(const std::string& name, const std::string& description,
                                      const Tags& tags);
  Status DeleteEventBus(const std::string& name);
  Result<EventBusInfo> DescribeEventBus(const std::string& name_or_arn) const;
  std::vector<EventBusInfo> ListEventBuses(const std::string& prefix) const;
  // The bus name for a name or ARN ("" = default); NotFound when there is no such bus.
  Result<std::string> ResolveBus(const std::string& name_or_arn) const;

  // --- Rules ---
  Result<std::string> PutRule(const RuleSpec& spec);
  Result<Rule> DescribeRule(const std::string& bus, const std::string& name) const;
  Result<std::vector<Rule>> ListRules(const std::string& bus, const std::string& prefix) const;
  Status DeleteRule(const std::string& bus, const std::string& name);
  Status SetRuleState(const std::string& bus, const std::string& name, bool enabled);
  Result<std::vector<FailedTarget>> PutTargets(const std::string& bus, const std::string& rule,
                                               std::vector<Target> targets);
  Result<std::vector<FailedTarget>> RemoveTargets(const std::string& bus, const std::string& rule,
                                                  const std::vector<std::string>& ids);
  Result<std::vector<Target>> ListTargets(const std::string& bus, const std::string& rule) const;
  Result<std::vector<std::string>> RuleNamesByTarget(const std::string& bus,
                                                     const std::string& target_arn) const;
  // The next `n` firings of a scheduled rule (for `berth rules`).
  std::vector<TimeMs> NextFirings(const Rule& rule, int n) const;

  // --- Tags (buses and rules, by ARN) ---
  Status TagResource(const std::string& arn, const Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<Tags> ListTags(const std::string& arn) const;

  // --- Connections and API destinations ---
  Result<Connection> CreateConnection(Connection c);
  Result<Connection> DescribeConnection(const std::string& name) const;
  std::vector<Connection> ListConnections(const std::string& prefix) const;
  Result<Connection> DeleteConnection(const std::string& name);
  Result<ApiDestination> CreateApiDestination(ApiDestination d);
  Result<ApiDestination> DescribeApiDestination(const std::string& name) const;
  std::vector<ApiDestination> ListApiDestinations(const std::string& prefix) const;
  Result<ApiDestination> DeleteApiDestination(const std::string& name);
  const ApiDestination* FindApiDestinationByArn(const std::string& arn) const;
  const Connection* FindConnectionByArn(const std::string& arn) const;

  // --- Events ---
  // Per-entry results, in order. Entries on missing buses fail individually.
  std::vector<PutEventsResult> PutEvents(const std::vector<EventEntry>& entries);
  // Events of AWS services (source aws.ecs, …) onto the default bus; the same matching and
  // delivery. Call after the change the event reports has been committed.
  void PublishServiceEvent(const std::string& source, const std::string& detail_type,
                           const std::vector<std::string>& resources, nlohmann::json detail,
                           TimeMs time, const std::string& region);

  // --- Introspection ---
  const RecentEvents& recent() const { return recent_; }
  const std::vector<DeadLetter>& dead_letters() const { return outbox_->dead_letters(); }
  // Delivers a dead letter again (a new delivery with fresh attempts). NotFound if unknown.
  Status ReplayDeadLetter(uint64_t delivery_id);
  Counters RuleCounters(const std::string& rule_arn) const;
  Counters TargetCounters(const std::string& rule_arn, const std::string& target_id) const;
  size_t pending_deliveries() const { return outbox_->pending_count(); }

  // Deletes everything (POST /_berth/reset).
  Status Reset();

 private:
  EventBus(Executor& executor, BusOptions options);
  Status Load();
  // Writes the configuration file. Every change of the configuration goes through here, so it
  // also invalidates the routes and the per-route caches.
  Status Save();
  std::string RuleArn(const std::string& bus, const std::string& name) const;
  std::string BusArn(const std::string& name) const;
  Rule* FindRule(const std::string& bus, const std::string& name);
  const Rule* FindRule(const std::string& bus, const std::string& name) const;
  Tags* TagsOf(const std::string& arn);

  // The enabled pattern rules of one bus, indexed, with their targets' routes; rebuilt from
  // rules_ on first use after a configuration change. Rules with the same pattern text share
  // one pattern of the index: an event is matched against each distinct pattern once (rule
  // sets often repeat a pattern, e.g. several rules on one ECS event with other targets).
  struct RouteTable {
    PatternIndex index;
    LocalPtr<RoutedRules> rules = boost::make_local_shared<RoutedRules>();
    // The rules (indices in *rules, ascending) of pattern i. (With as many patterns as rules,
    // pattern i is rule i's.)
    std::vector<std::vector<uint32_t>> rules_of_pattern;
  };
  RouteTable* Routes(const std::string& bus);
  // Adds the counts routing keeps aside (RoutedRule::FoldCounts) to the counters: before they
  // are read, and before the tables are rebuilt.
  void FoldCounts() const;
  RoutedRule EntryFor(const Rule& rule);
  // The route's per-attempt lookups (invoker, counters, overlap tag), refreshed after any
  // configuration change. (Inline: every delivery asks three times.)
  const DeliveryRoute& Fresh(const DeliveryRoute& route) {
    if (route.epoch != config_epoch_) Refresh(route);
    return route;
  }
  void Refresh(const DeliveryRoute& route);

  // Matches one event against a bus's rules and stages its deliveries.
  void Route(RouteTable& table, const FlatEvent& flat, const LocalPtr<const DeliveryEvent>& event,
             TimeMs now, RecentEvent* recent);
  // Stages the deliveries of rule `index` of recent->rules (the rules the event is routed
  // through) and records them in *recent.
  void Enqueue(uint32_t index, const LocalPtr<const DeliveryEvent>& event, TimeMs now,
               RecentEvent* recent, std::optional<nlohmann::json>* envelope);
  // A staged event for `berth events`, empty, with its seq (the next ones in order).
  RecentEvent& StageRecent(TimeMs now);
  // Journals the staged deliveries, remembers the staged events, applies the outcomes of the
  // first attempts made while routing (staged_answers_: retries, dead letters), then schedules
  // the other first attempts; the stage is empty again afterwards (also when the journal fails).
  Status Commit(bool attempt_now);
  // What the target gets for one delivery (views into the route, the event and the payload).
  Invocation InvocationFor(const DeliveryRoute& route, const DeliveryEvent& event, bool whole_event,
                           const std::string* payload) const;
  // Counts and records (in *o, of *recent, when o is not null) a delivered or skipped outcome:
  // true. A failure: false, for the caller.
  bool RecordFinished(const DeliveryRoute& route, const InvokeOutcome& outcome,
                      RecentEvent* recent, RecentEvent::Outcome* o);
  std::string NextEventId();
  const std::string& TimeText(TimeMs t);
  // The delivery's outcome in the recent events, and its event (null when forgotten).
  RecentEvent::Outcome* OutcomeOf(const PendingDelivery& d, RecentEvent** event);
  void Attempt(uint64_t delivery_id);
  void OnOutcome(uint64_t delivery_id, InvokeOutcome outcome);
  // Ends the delivery. `code` and `message` are copies: they may come from its route, which
  // ending it can free.
  void DeadLetterDelivery(const PendingDelivery& d, std::string code, std::string message);
  TargetInvoker* InvokerFor(const std::string& arn) const;

  void ArmSchedule(const std::string& rule_arn);
  void DisarmSchedule(const std::string& rule_arn);
  void FireSchedule(const std::string& rule_arn, TimeMs at);

  Executor& executor_;
  BusOptions options_;
  std::string config_path_;
  std::unique_ptr<Outbox> outbox_;
  std::vector<TargetInvoker*> invokers_;
  bool started_ = false;
  bool shut_down_ = false;

  std::map<std::string, EventBusInfo> buses_;           // by name
  std::map<std::string, Rule> rules_;                   // by ARN
  std::map<std::string, Connection> connections_;       // by name
  std::map<std::string, ApiDestination> destinations_;  // by name

  std::map<std::string, TimerId> schedule_timers_;  // by rule ARN
  std::map<uint64_t, TimerId> retry_timers_;        // by delivery id
  // Never erased but by Reset: routes and tables point at them.
  std::map<std::string, Counters> rule_counters_;
  std::map<std::pair<std::string, std::string>, Counters> target_counters_;
  mutable bool counts_unfolded_ = false;  // routing has kept counts aside since the last fold
  RecentEvents recent_;
  uint64_t recent_seq_ = 0;
  // What the event being taken (PutEvents: the batch) adds, until Commit. The vectors keep
  // their storage from one batch to the next.
  std::vector<PendingDelivery> staged_deliveries_;
  std::vector<RecentEvent> staged_recents_;
  size_t staged_recent_count_ = 0;
  // Staged deliveries (by index) whose first attempt failed while they were routed, and how.
  std::vector<std::pair<size_t, InvokeOutcome>> staged_answers_;

  std::map<std::string, RouteTable> routes_;  // by bus
  bool routes_dirty_ = true;
  uint64_t config_epoch_ = 1;  // bumped by every configuration change (DeliveryRoute caches)
  PathFilter no_paths_;        // flattens nothing: validation only (buses without rules)
  std::vector<uint32_t> matched_;
  std::vector<uint64_t> matched_bits_;  // (Route: the matched rules of repeated patterns)
  std::mt19937_64 id_rng_;   // event ids: unique, not secret (seeded from the system's CSPRNG)
  TimeMs time_second_ = -1;  // the second TimeText last formatted
  std::string time_text_;
  std::mt19937_64 rng_{std::random_device{}()};
  // The outcome of the attempt under way when its invoker reports it before Invoke returns
  // (applied once Invoke has returned, so the delivery outlives the invocation's views).
  struct SyncOutcome {
    uint64_t delivery_id = 0;
    bool done = false;
    InvokeOutcome outcome;
  };
  SyncOutcome* sync_outcome_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards invoker callbacks
};

}  // namespace berth::events
