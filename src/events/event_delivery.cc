// EventBus: PutEvents, matching, the delivery loop (retries, dead letters), schedules.
//
// The hot path, per event: the envelope text and its flattened form are built in one pass over
// the detail (FlatEvent::FromEnvelope, keeping only the paths the bus's patterns look at); the
// bus's PatternIndex picks the rules that match; each matching target gets a PendingDelivery
// that shares the event's text and the target's route (no JSON is copied or parsed per target,
// nothing is looked up by name per attempt); the batch is journaled once and its first attempts
// are posted as one task.
#include <string.h>
#include <time.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "common/ids.h"
#include "events/event_bus.h"

namespace berth::events {

using nlohmann::json;

namespace {

constexpr size_t kMaxDetailBytes = 256 * 1024;

// EventBridge's `time`: whole seconds, UTC.
std::string EventTime(TimeMs t) {
  time_t s = static_cast<time_t>(t / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool HasInput(const TargetInput& in) { return in.input || in.input_path || in.transformer; }

bool RuleTagSays(const Rule& r, const std::string& key, const std::string& value) {
  for (const auto& [k, v] : r.tags) {
    if (k == key && v == value) return true;
  }
  return false;
}

}  // namespace

void EventBus::Start() {
  started_ = true;
  for (const auto& [arn, r] : rules_) ArmSchedule(arn);
  for (uint64_t id : outbox_->PendingIds()) {
    executor_.Post([this, id, alive = alive_] {
      if (*alive) Attempt(id);
    });
  }
}

void EventBus::Shutdown() {
  shut_down_ = true;
  *alive_ = false;
  invokers_.clear();
  ++config_epoch_;
  for (auto& [arn, id] : schedule_timers_) executor_.Cancel(id);
  schedule_timers_.clear();
  for (auto& [id, timer] : retry_timers_) executor_.Cancel(timer);
  retry_timers_.clear();
}

TargetInvoker* EventBus::InvokerFor(const std::string& arn) const {
  for (auto* i : invokers_) {
    if (i->Handles(arn)) return i;
  }
  return nullptr;
}

// --- Routes ---

RoutedRule EventBus::EntryFor(const Rule& rule) {
  RoutedRule e;
  e.name = rule.name;
  e.counters = &rule_counters_[rule.arn];
  for (const Target& t : rule.targets) {
    auto route = boost::make_local_shared<DeliveryRoute>();
    route->rule_arn = rule.arn;
    route->rule_name = rule.name;
    route->target = t;
    e.routes.push_back(std::move(route));
  }
  if (!e.routes.empty()) e.first_route = e.routes[0].get();
  return e;
}

EventBus::RouteTable* EventBus::Routes(const std::string& bus) {
  if (routes_dirty_) {
    FoldCounts();
    routes_.clear();
    std::map<std::string, std::unordered_map<std::string_view, uint32_t>> patterns;  // by bus
    for (const auto& [arn, rule] : rules_) {
      if (!rule.enabled() || !rule.pattern) continue;
      RouteTable& table = routes_[rule.bus];
      const auto rule_index = static_cast<uint32_t>(table.rules->size());
      table.rules->push_back(EntryFor(rule));
      auto [it, added] = patterns[rule.bus].emplace(rule.pattern_text, table.index.size());
      if (added) {
        table.index.Add(*rule.pattern);
        table.rules_of_pattern.emplace_back();
      }
      table.rules_of_pattern[it->second].push_back(rule_index);
    }
    routes_dirty_ = false;
  }
  auto it = routes_.find(bus);
  return it == routes_.end() ? nullptr : &it->second;
}

void EventBus::FoldCounts() const {
  if (!counts_unfolded_) return;
  counts_unfolded_ = false;
  for (const auto& [bus, table] : routes_) {
    for (const RoutedRule& rule : *table.rules) rule.FoldCounts();
  }
}

void EventBus::Refresh(const DeliveryRoute& route) {
  route.invoker = route.parse_status.ok() ? InvokerFor(route.target.arn) : nullptr;
  route.rule_counters = &rule_counters_[route.rule_arn];
  route.target_counters = &target_counters_[{route.rule_arn, route.target.id}];
  auto rule = rules_.find(route.rule_arn);
  route.skip_if_running =
      rule != rules_.end() && RuleTagSays(rule->second, "berth:overlap", "skip");
  route.has_input = HasInput(route.target.input);
  route.whole_event = !route.has_input && (!route.invoker || route.invoker->WholeEventByDefault());
  route.max_event_age_ms = route.target.retry.maximum_event_age_seconds * 1000LL;
  route.epoch = config_epoch_;
}

// --- PutEvents ---

std::string EventBus::NextEventId() {
  // RFC 4122 version 4, lowercase, as NewUuid makes them.
  static const char kHex[] = "0123456789abcdef";
  uint64_t hi = id_rng_();
  uint64_t lo = id_rng_();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10xx
  char buf[36];
  char* out = buf;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) *out++ = '-';
    const uint64_t word = i < 16 ? hi : lo;
    *out++ = kHex[(word >> (60 - 4 * (i & 15))) & 15];
  }
  return std::string(buf, sizeof(buf));
}

const std::string& EventBus::TimeText(TimeMs t) {
  TimeMs second = t / 1000;
  if (second != time_second_ || time_text_.empty()) {
    time_text_ = EventTime(t);
    time_second_ = second;
  }
  return time_text_;
}

std::vector<PutEventsResult> EventBus::PutEvents(const std::vector<EventEntry>& entries) {
  TimeMs now = executor_.clock().NowMs();
  std::vector<PutEventsResult> results(entries.size());
  if (shut_down_) {
    for (auto& r : results) r = {"", "InternalException", "The event bus is shutting down."};
    return results;
  }
  // The entries of a batch mostly name the same bus: it is resolved once per run of them.
  const std::string* bus_arg = nullptr;
  Result<std::string> bus = std::string();
  RouteTable* table = nullptr;
  for (size_t i = 0; i < entries.size(); ++i) {
    const EventEntry& e = entries[i];
    PutEventsResult& r = results[i];
    auto fail = [&](const char* code, std::string message) {
      r.error_code = code;
      r.error_message = std::move(message);
    };
    if (e.source.empty()) {
      fail("InvalidArgument",
           "Parameter Source is not valid. Reason: Source is a required argument.");
      continue;
    }
    if (e.detail_type.empty()) {
      fail("InvalidArgument",
           "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
      continue;
    }
    if (e.detail.empty()) {
      fail("InvalidArgument",
           "Parameter Detail is not valid. Reason: Detail is a required argument.");
      continue;
    }
    if (e.source.rfind("aws.", 0) == 0) {
      fail("NotAuthorizedForSourceException", "Not authorized for the source.");
      continue;
    }
    if (e.detail.size() > kMaxDetailBytes) {
      fail("MalformedDetail", "Detail is malformed.");
      continue;
    }
    if (bus_arg == nullptr || *bus_arg != e.bus) {
      bus_arg = &e.bus;
      bus = ResolveBus(e.bus);
      table = bus.ok() ? Routes(*bus) : nullptr;
    }
    auto event = boost::make_local_shared<DeliveryEvent>();
    event->id = NextEventId();
    EventEnvelope envelope{event->id,
                           e.detail_type,
                           e.source,
                           options_.account_id,
                           TimeText(e.time.value_or(now)),
                           options_.region,
                           &e.resources};
    // The detail is checked (and the envelope built) first: a malformed detail is reported as
    // such even on a bus that does not exist.
    auto flat = FlatEvent::FromEnvelope(envelope, e.detail,
                                        table ? &table->index.filter() : &no_paths_, &event->text);
    if (!flat.ok()) {
      fail("MalformedDetail", "Detail is malformed.");
      continue;
    }
    if (!bus.ok()) {
      fail("ResourceNotFoundException", bus.status().message());
      continue;
    }
    r.event_id = event->id;
    RecentEvent& recent = StageRecent(now);
    recent.id = event->id;
    recent.bus = *bus;
    recent.source = e.source;
    recent.detail_type = e.detail_type;
    if (table) Route(*table, *flat, event, now, &recent);
  }
  Status st = Commit(false);
  if (!st.ok()) {
    // Nothing was acknowledged durably: report every routed entry as failed.
    for (auto& r : results) {
      if (!r.event_id.empty()) r = PutEventsResult{"", "InternalException", st.message()};
    }
  }
  return results;
}

void EventBus::PublishServiceEvent(const std::string& source, const std::string& detail_type,
                                   const std::vector<std::string>& resources, json detail,
                                   TimeMs time, const std::string& region) {
  if (shut_down_) return;
  TimeMs now = executor_.clock().NowMs();
  RouteTable* table = Routes("default");
  auto event = boost::make_local_shared<DeliveryEvent>();
  event->id = NextEventId();
  EventEnvelope envelope{event->id,      detail_type,
                         source,         options_.account_id,
                         TimeText(time), region.empty() ? options_.region : region,
                         &resources};
  std::string detail_text = detail.dump(-1, ' ', false, json::error_handler_t::replace);
  auto flat = FlatEvent::FromEnvelope(envelope, detail_text,
                                      table ? &table->index.filter() : &no_paths_, &event->text);
  if (!flat.ok()) return;
  RecentEvent& recent = StageRecent(now);
  recent.id = event->id;
  recent.bus = "default";
  recent.source = source;
  recent.detail_type = detail_type;
  if (table) Route(*table, *flat, event, now, &recent);
  (void)Commit(false);
}

void EventBus::Route(RouteTable& table, const FlatEvent& flat,
                     const LocalPtr<const DeliveryEvent>& event, TimeMs now, RecentEvent* recent) {
  matched_.clear();
  table.index.Match(flat, &matched_);
  std::optional<json> envelope;  // parsed only for targets with an input to render
  if (matched_.empty()) return;
  if (table.index.size() != table.rules->size()) {  // patterns → their rules, ascending
    matched_bits_.assign((table.rules->size() + 63) / 64, 0);
    for (uint32_t p : matched_) {
      for (uint32_t r : table.rules_of_pattern[p]) matched_bits_[r / 64] |= uint64_t{1} << (r % 64);
    }
    matched_.clear();
    for (size_t w = 0; w < matched_bits_.size(); ++w) {
      for (uint64_t bits = matched_bits_[w]; bits; bits &= bits - 1) {
        matched_.push_back(static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits)));
      }
    }
  }
  recent->rules = table.rules;
  counts_unfolded_ = true;
  // Each matched rule's route is in its own heap block: ask for them all before the first is
  // needed, so that their loads overlap.
  const RoutedRules& rules = *table.rules;
  for (uint32_t i : matched_) {
    const char* route = reinterpret_cast<const char*>(rules[i].first_route);
    __builtin_prefetch(route);
    __builtin_prefetch(route + 64);  // (a route spans two cache lines: routing reads both)
  }
  for (uint32_t i : matched_) Enqueue(i, event, now, recent, &envelope);
}

void EventBus::Enqueue(uint32_t index, const LocalPtr<const DeliveryEvent>& event, TimeMs now,
                       RecentEvent* recent, std::optional<json>* envelope) {
  const RoutedRule& entry = (*recent->rules)[index];
  recent->matched.push_back(index);
  ++entry.unfolded_matched;
  if (!entry.first_route) return;
  const size_t targets = entry.routes.size();
  for (uint32_t target = 0; target < targets; ++target) {
    const DeliveryRoute& route = Fresh(target == 0 ? *entry.first_route : *entry.routes[target]);
    ++route.unfolded_matched;
    RecentEvent::Outcome outcome;
    outcome.rule = index;
    outcome.target = target;
    LocalPtr<const std::string> payload;
    if (route.has_input) {
      if (!envelope->has_value()) *envelope = json::parse(event->text, nullptr, false);
      auto rendered = RenderTargetInput(route.target.input, **envelope,
                                        RuleContext{route.rule_arn, route.rule_name, now});
      if (!rendered.ok()) {
        // AWS does not deliver an event whose input cannot be rendered.
        ++route.target_counters->failed;
        outcome.state = "failed";
        recent->set_error(&outcome, rendered.status().message());
        recent->outcomes.push_back(outcome);
        continue;
      }
      payload = boost::make_local_shared<const std::string>(std::move(*rendered));
    }
    const bool whole_event = route.whole_event;  // (false when it has an input)
    // A target whose invoker answers at once (a log group) gets its first attempt here: when it
    // is delivered there is nothing left to journal (see the header).
    std::optional<InvokeOutcome> answer;
    if (route.invoker) {
      answer = route.invoker->InvokeNow(InvocationFor(route, *event, whole_event, payload.get()));
      if (answer) {
        outcome.attempts = 1;
        if (answer->kind == InvokeOutcome::kDelivered) {  // (nothing to remember)
          ++route.unfolded_delivered;
          continue;
        }
        if (RecordFinished(route, *answer, recent, &outcome)) {
          recent->outcomes.push_back(outcome);
          continue;
        }
      }
    }
    PendingDelivery& d = staged_deliveries_.emplace_back();
    d.whole_event = whole_event;
    d.payload = std::move(payload);
    d.route = entry.routes[target];
    d.event = event;
    d.first_ms = now;
    d.recent_seq = recent->seq;
    d.outcome = static_cast<uint32_t>(recent->outcomes.size());
    recent->outcomes.push_back(outcome);
    if (answer) {  // its first attempt failed: retried or dead-lettered once journaled
      d.attempts = 1;
      staged_answers_.push_back({staged_deliveries_.size() - 1, std::move(*answer)});
    }
  }
}

Invocation EventBus::InvocationFor(const DeliveryRoute& route, const DeliveryEvent& event,
                                   bool whole_event, const std::string* payload) const {
  Invocation inv;
  inv.rule_name = route.rule_name;
  inv.rule_arn = route.rule_arn;
  inv.target = &route.target.wire;
  if (whole_event) {
    inv.payload = event.text;
  } else if (payload) {
    inv.payload = *payload;
  }
  inv.event_id = event.id;
  inv.skip_if_running = route.skip_if_running;
  return inv;
}

bool EventBus::RecordFinished(const DeliveryRoute& route, const InvokeOutcome& outcome,
                              RecentEvent* recent, RecentEvent::Outcome* o) {
  switch (outcome.kind) {
    case InvokeOutcome::kDelivered:
      ++route.rule_counters->delivered;
      ++route.target_counters->delivered;
      if (o) o->state = "delivered";
      return true;
    case InvokeOutcome::kSkipped:
      ++route.rule_counters->skipped;
      ++route.target_counters->skipped;
      if (o) {
        o->state = "skipped";
        recent->set_error(o, outcome.error_message);
      }
      return true;
    case InvokeOutcome::kFailed:
    case InvokeOutcome::kRetryable:
      return false;
  }
  return false;
}

RecentEvent& EventBus::StageRecent(TimeMs now) {
  if (staged_recent_count_ == staged_recents_.size()) staged_recents_.emplace_back();
  RecentEvent& e = staged_recents_[staged_recent_count_++];
  e.Reset();
  e.seq = recent_seq_ + staged_recent_count_;
  e.time = now;
  return e;
}

Status EventBus::Commit(bool attempt_now) {
  const size_t staged = staged_recent_count_;
  staged_recent_count_ = 0;
  Status appended = outbox_->Append(&staged_deliveries_);
  if (!appended.ok()) {
    staged_deliveries_.clear();
    staged_answers_.clear();
    return appended;
  }
  for (size_t i = 0; i < staged; ++i) {
    // The ring hands back the storage of the event it forgets, for the next StageRecent.
    recent_seq_ = staged_recents_[i].seq;
    recent_.Push(&staged_recents_[i]);
  }
  if (staged_deliveries_.empty()) return Status::Ok();
  std::vector<uint64_t> ids;
  ids.reserve(staged_deliveries_.size());
  for (const auto& d : staged_deliveries_) {
    if (d.attempts == 0) ids.push_back(d.id);  // (the others were attempted while routing)
  }
  // Deliveries whose first attempt failed while routing: retried or dead-lettered now that
  // they are journaled.
  std::vector<std::pair<uint64_t, InvokeOutcome>> answered;
  answered.reserve(staged_answers_.size());
  for (auto& [index, outcome] : staged_answers_) {
    answered.emplace_back(staged_deliveries_[index].id, std::move(outcome));
  }
  staged_answers_.clear();
  staged_deliveries_.clear();  // moved into the outbox; the vector keeps its storage
  for (auto& [id, outcome] : answered) OnOutcome(id, std::move(outcome));
  if (ids.empty()) return Status::Ok();
  if (attempt_now) {
    for (uint64_t id : ids) Attempt(id);
    return Status::Ok();
  }
  // One task for the batch's first attempts (each attempt only hands the delivery over).
  executor_.Post([this, ids = std::move(ids), alive = alive_] {
    for (uint64_t id : ids) {
      if (!*alive) return;
      Attempt(id);
    }
  });
  return Status::Ok();
}

// --- Delivery ---

RecentEvent::Outcome* EventBus::OutcomeOf(const PendingDelivery& d, RecentEvent** event) {
  *event = nullptr;
  if (recent_.empty()) return nullptr;
  if (d.recent_seq != 0) {
    if (d.recent_seq < recent_.front().seq) return nullptr;
    uint64_t index = d.recent_seq - recent_.front().seq;
    if (index >= recent_.size()) return nullptr;
    RecentEvent& e = recent_[index];
    if (d.outcome >= e.outcomes.size()) return nullptr;  // (the ring's seqs are consecutive)
    *event = &e;
    return &e.outcomes[d.outcome];
  }
  // A delivery from before a restart or a replayed dead letter: find its event by id.
  for (size_t i = recent_.size(); i-- > 0;) {
    RecentEvent& e = recent_[i];
    if (e.id != d.event->id) continue;
    for (auto& o : e.outcomes) {
      if (e.rule_name(o) == d.route->rule_name && e.target_id(o) == d.route->target.id) {
        *event = &e;
        return &o;
      }
    }
    return nullptr;
  }
  return nullptr;
}

void EventBus::Attempt(uint64_t delivery_id) {
  if (!retry_timers_.empty()) retry_timers_.erase(delivery_id);
  PendingDelivery* d = outbox_->Find(delivery_id);
  if (!d || shut_down_) return;
  const DeliveryRoute& route = Fresh(*d->route);
  if (!route.invoker) {  // (a target that does not parse has none either)
    if (!route.parse_status.ok()) {
      return DeadLetterDelivery(*d, "InvalidTarget", route.parse_status.message());
    }
    return DeadLetterDelivery(*d, "UnsupportedTarget",
                              "berth cannot deliver to " + route.target.arn + ".");
  }
  TimeMs now = executor_.clock().NowMs();
  if (now - d->first_ms > route.max_event_age_ms) {
    return DeadLetterDelivery(*d, "MaximumEventAgeExceeded",
                              "The event is older than MaximumEventAgeInSeconds.");
  }
  ++d->attempts;
  RecentEvent* recent;
  if (auto* o = OutcomeOf(*d, &recent)) o->attempts = d->attempts;
  // The invocation's views point into what the delivery holds (its route and event, shared, so
  // they stay where they are when the outbox moves the delivery). Only OnOutcome ends a
  // delivery: an InvokeNow answer is applied after the call, and a `done` run from inside Invoke
  // is deferred until Invoke has returned, so they stay valid throughout.
  Invocation inv = InvocationFor(route, *d->event, d->whole_event, d->payload.get());
  if (std::optional<InvokeOutcome> answer = route.invoker->InvokeNow(inv)) {
    return OnOutcome(delivery_id, std::move(*answer));
  }
  SyncOutcome sync;
  sync.delivery_id = delivery_id;
  SyncOutcome* outer = sync_outcome_;  // (an Invoke may start another delivery's attempt)
  sync_outcome_ = &sync;
  route.invoker->Invoke(inv, [this, delivery_id, alive = alive_](InvokeOutcome outcome) {
    if (!*alive) return;
    SyncOutcome* sync = sync_outcome_;
    if (sync && sync->delivery_id == delivery_id && !sync->done) {
      sync->outcome = std::move(outcome);
      sync->done = true;
      return;
    }
    OnOutcome(delivery_id, std::move(outcome));
  });
  sync_outcome_ = outer;
  if (sync.done) OnOutcome(delivery_id, std::move(sync.outcome));
}

void EventBus::OnOutcome(uint64_t delivery_id, InvokeOutcome outcome) {
  PendingDelivery* d = outbox_->Find(delivery_id);
  if (!d) return;
  // Every path below ends the delivery (Done, or DeadLetterDelivery) only after its last use
  // of `route`.
  const DeliveryRoute& route = Fresh(*d->route);
  Counters& rc = *route.rule_counters;
  Counters& tc = *route.target_counters;
  RecentEvent* recent;
  RecentEvent::Outcome* o = OutcomeOf(*d, &recent);
  if (RecordFinished(route, outcome, recent, o)) return outbox_->Done(delivery_id);
  if (outcome.kind == InvokeOutcome::kFailed) {
    ++rc.failed;
    ++tc.failed;
    return DeadLetterDelivery(*d, outcome.error_code, outcome.error_message);
  }
  ++rc.failed;
  ++tc.failed;
  const bool parsed = route.parse_status.ok();
  int max_retries = parsed ? route.target.retry.maximum_retry_attempts : 0;
  int64_t max_age_ms = (parsed ? route.target.retry.maximum_event_age_seconds : 86400) * 1000LL;
  if (d->attempts > max_retries) {
    return DeadLetterDelivery(*d,
                              outcome.error_code.empty() ? "RetriesExhausted" : outcome.error_code,
                              outcome.error_message);
  }
  int64_t delay = options_.retry_base_ms << std::min(d->attempts - 1, 20);
  delay = std::min(delay, options_.retry_cap_ms);
  delay = std::uniform_int_distribution<int64_t>(delay / 2, std::max<int64_t>(delay, 1))(rng_);
  if (outcome.retry_after_ms >= 0) delay = std::max(delay, outcome.retry_after_ms);
  TimeMs now = executor_.clock().NowMs();
  if (now + delay - d->first_ms > max_age_ms) {
    return DeadLetterDelivery(*d, "MaximumEventAgeExceeded", outcome.error_message);
  }
  ++rc.retried;
  ++tc.retried;
  if (o) {
    o->state = "retrying";
    recent->set_error(o, outcome.error_code +
                             (outcome.error_message.empty() ? "" : ": " + outcome.error_message));
  }
  retry_timers_[delivery_id] = executor_.RunAfter(delay, [this, delivery_id, alive = alive_] {
    if (*alive) Attempt(delivery_id);
  });
}

void EventBus::DeadLetterDelivery(const PendingDelivery& pending, std::string code,
                                  std::string message) {
  Delivery d = ToDelivery(pending);  // `pending` is gone after Done below
  const DeliveryRoute& route = Fresh(*pending.route);
  const std::string& target_id = route.target.id;
  ++route.rule_counters->dead_lettered;
  ++route.target_counters->dead_lettered;
  RecentEvent* recent;
  if (auto* o = OutcomeOf(pending, &recent)) {
    o->state = "dead";
    recent->set_error(o, code + (message.empty() ? "" : ": " + message));
  }
  TimeMs now = executor_.clock().NowMs();
  json target_for_dlq;
  std::string dlq =
      d.target.contains("DeadLetterConfig") && d.target["DeadLetterConfig"].is_object()
          ? d.target["DeadLetterConfig"].value("Arn", "")
          : "";
  if (!dlq.empty()) target_for_dlq = {{"Id", target_id + "-dlq"}, {"Arn", dlq}};
  (void)outbox_->AddDeadLetter({d, code, message, now});
  outbox_->Done(d.id);
  // The target's DeadLetterConfig: a log group gets one JSON message per dead letter.
  TargetInvoker* sink = dlq.empty() ? nullptr : InvokerFor(dlq);
  if (!sink) return;
  json message_json = {{"ruleArn", d.rule_arn},
                       {"targetArn", d.target.value("Arn", "")},
                       {"errorCode", code},
                       {"errorMessage", message},
                       {"attempts", d.attempts},
                       {"eventId", d.event_id},
                       {"event", json::parse(d.event, nullptr, false)}};
  Invocation inv;
  inv.rule_name = d.rule_name;
  inv.rule_arn = d.rule_arn;
  inv.target = &target_for_dlq;
  std::string payload = message_json.dump(-1, ' ', false, json::error_handler_t::replace);
  inv.payload = payload;
  inv.event_id = d.event_id;
  sink->Invoke(inv, [](InvokeOutcome) {});
}

Status EventBus::ReplayDeadLetter(uint64_t delivery_id) {
  for (const auto& dl : outbox_->dead_letters()) {
    if (dl.delivery.id != delivery_id) continue;
    std::vector<PendingDelivery> batch{FromDelivery(dl.delivery)};
    batch[0].attempts = 0;
    batch[0].first_ms = executor_.clock().NowMs();
    BERTH_RETURN_IF_ERROR(outbox_->Append(&batch));
    uint64_t id = batch[0].id;
    executor_.Post([this, id, alive = alive_] {
      if (*alive) Attempt(id);
    });
    return Status::Ok();
  }
  return NotFound("No dead letter with id " + std::to_string(delivery_id) + ".");
}

Counters EventBus::RuleCounters(const std::string& rule_arn) const {
  FoldCounts();
  auto it = rule_counters_.find(rule_arn);
  return it == rule_counters_.end() ? Counters{} : it->second;
}

Counters EventBus::TargetCounters(const std::string& rule_arn, const std::string& target_id) const {
  FoldCounts();
  auto it = target_counters_.find({rule_arn, target_id});
  return it == target_counters_.end() ? Counters{} : it->second;
}

// --- Schedules ---

std::vector<TimeMs> EventBus::NextFirings(const Rule& rule, int n) const {
  std::vector<TimeMs> out;
  if (!rule.schedule) return out;
  TimeMs t = executor_.clock().NowMs();
  for (int i = 0; i < n; ++i) {
    auto next = rule.schedule->NextMs(t, rule.enabled_ms);
    if (!next) break;
    out.push_back(*next);
    t = *next;
  }
  return out;
}

void EventBus::DisarmSchedule(const std::string& rule_arn) {
  auto it = schedule_timers_.find(rule_arn);
  if (it == schedule_timers_.end()) return;
  executor_.Cancel(it->second);
  schedule_timers_.erase(it);
}

void EventBus::ArmSchedule(const std::string& rule_arn) {
  DisarmSchedule(rule_arn);
  if (!started_ || shut_down_) return;
  auto it = rules_.find(rule_arn);
  if (it == rules_.end() || !it->second.enabled() || !it->second.schedule) return;
  const Rule& r = it->second;
  TimeMs now = executor_.clock().NowMs();
  // No catch-up: the first firing is the next one after now.
  auto next = r.schedule->NextMs(now, r.enabled_ms);
  if (!next) return;
  TimeMs at = *next;
  schedule_timers_[rule_arn] =
      executor_.RunAfter(std::max<int64_t>(0, at - now), [this, rule_arn, at, alive = alive_] {
        if (*alive) FireSchedule(rule_arn, at);
      });
}

void EventBus::FireSchedule(const std::string& rule_arn, TimeMs at) {
  schedule_timers_.erase(rule_arn);
  auto it = rules_.find(rule_arn);
  if (it == rules_.end() || !it->second.enabled() || !it->second.schedule) return;
  const Rule& r = it->second;
  TimeMs now = executor_.clock().NowMs();
  auto event = boost::make_local_shared<DeliveryEvent>();
  event->id = NextEventId();
  std::vector<std::string> resources{r.arn};
  EventEnvelope envelope{event->id,    "Scheduled Event", "aws.events", options_.account_id,
                         TimeText(at), options_.region,   &resources};
  if (FlatEvent::FromEnvelope(envelope, "{}", &no_paths_, &event->text).ok()) {
    RecentEvent& recent = StageRecent(now);
    recent.id = event->id;
    recent.bus = r.bus;
    recent.source = "aws.events";
    recent.detail_type = "Scheduled Event";
    auto rules = boost::make_local_shared<RoutedRules>();
    rules->push_back(EntryFor(r));
    recent.rules = rules;
    std::optional<json> parsed;
    Enqueue(0, event, now, &recent, &parsed);
    (*rules)[0].FoldCounts();
    (void)Commit(true);
  }
  // The next firing strictly after this one, even if the clock has not moved past it.
  auto again = rules_.find(rule_arn);
  if (again == rules_.end() || !again->second.schedule) return;
  auto next = again->second.schedule->NextMs(std::max(now, at), again->second.enabled_ms);
  if (!next) return;
  TimeMs when = *next;
  schedule_timers_[rule_arn] =
      executor_.RunAfter(std::max<int64_t>(0, when - executor_.clock().NowMs()),
                         [this, rule_arn, when, alive = alive_] {
                           if (*alive) FireSchedule(rule_arn, when);
                         });
}

}  // namespace berth::events
