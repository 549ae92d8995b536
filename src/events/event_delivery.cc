// EventBus: PutEvents, matching, the delivery loop (retries, dead letters), schedules.
#include <time.h>

#include <algorithm>

#include "common/ids.h"
#include "events/event_bus.h"

namespace berth::events {

using nlohmann::json;
using nlohmann::ordered_json;

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
  for (const auto& [id, d] : outbox_->pending()) {
    uint64_t delivery = id;
    executor_.Post([this, delivery, alive = alive_] {
      if (*alive) Attempt(delivery);
    });
  }
}

void EventBus::Shutdown() {
  shut_down_ = true;
  *alive_ = false;
  invokers_.clear();
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

// --- PutEvents ---

std::vector<PutEventsResult> EventBus::PutEvents(const std::vector<EventEntry>& entries) {
  TimeMs now = executor_.clock().NowMs();
  std::vector<PutEventsResult> results(entries.size());
  if (shut_down_) {
    for (auto& r : results) r = {"", "InternalException", "The event bus is shutting down."};
    return results;
  }
  std::vector<Delivery> deliveries;
  std::vector<RecentEvent> recents;
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
    json detail =
        e.detail.size() <= kMaxDetailBytes ? json::parse(e.detail, nullptr, false) : json();
    if (!detail.is_object()) {
      fail("MalformedDetail", "Detail is malformed.");
      continue;
    }
    auto bus = ResolveBus(e.bus);
    if (!bus.ok()) {
      fail("ResourceNotFoundException", bus.status().message());
      continue;
    }
    ordered_json env;
    env["version"] = "0";
    env["id"] = NewUuid();
    env["detail-type"] = e.detail_type;
    env["source"] = e.source;
    env["account"] = options_.account_id;
    env["time"] = EventTime(e.time.value_or(now));
    env["region"] = options_.region;
    env["resources"] = e.resources;
    env["detail"] = ordered_json::parse(detail.dump());
    r.event_id = env["id"].get<std::string>();
    RecentEvent recent;
    Status st = Route(json::parse(env.dump()), *bus, now, &deliveries, &recent);
    if (!st.ok()) {
      r = PutEventsResult{"", "InternalException", st.message()};
      continue;
    }
    recents.push_back(std::move(recent));
  }
  Status st = outbox_->Append(&deliveries);
  if (!st.ok()) {
    // Nothing was acknowledged durably: report every routed entry as failed.
    for (auto& r : results) {
      if (!r.event_id.empty()) r = PutEventsResult{"", "InternalException", st.message()};
    }
    return results;
  }
  for (auto& rec : recents) Remember(std::move(rec));
  for (const auto& d : deliveries) {
    uint64_t id = d.id;
    executor_.Post([this, id, alive = alive_] {
      if (*alive) Attempt(id);
    });
  }
  return results;
}

void EventBus::PublishServiceEvent(const std::string& source, const std::string& detail_type,
                                   const std::vector<std::string>& resources, json detail,
                                   TimeMs time, const std::string& region) {
  if (shut_down_) return;
  TimeMs now = executor_.clock().NowMs();
  ordered_json env;
  env["version"] = "0";
  env["id"] = NewUuid();
  env["detail-type"] = detail_type;
  env["source"] = source;
  env["account"] = options_.account_id;
  env["time"] = EventTime(time);
  env["region"] = region.empty() ? options_.region : region;
  env["resources"] = resources;
  env["detail"] = ordered_json::parse(detail.dump());
  std::vector<Delivery> deliveries;
  RecentEvent recent;
  if (!Route(json::parse(env.dump()), "default", now, &deliveries, &recent).ok()) return;
  if (!outbox_->Append(&deliveries).ok()) return;
  Remember(std::move(recent));
  for (const auto& d : deliveries) {
    uint64_t id = d.id;
    executor_.Post([this, id, alive = alive_] {
      if (*alive) Attempt(id);
    });
  }
}

Status EventBus::Route(const json& envelope, const std::string& bus, TimeMs now,
                       std::vector<Delivery>* out, RecentEvent* recent) {
  recent->id = envelope.value("id", "");
  recent->time = now;
  recent->bus = bus;
  recent->source = envelope.value("source", "");
  recent->detail_type = envelope.value("detail-type", "");
  auto flat = FlatEvent::FromJson(envelope);
  if (!flat.ok()) return flat.status();
  for (const auto& [arn, rule] : rules_) {
    if (rule.bus != bus || !rule.enabled() || !rule.pattern) continue;
    if (!rule.pattern->Matches(*flat)) continue;
    BERTH_RETURN_IF_ERROR(Enqueue(rule, envelope, now, out, recent));
  }
  return Status::Ok();
}

Status EventBus::Enqueue(const Rule& rule, const json& envelope, TimeMs now,
                         std::vector<Delivery>* out, RecentEvent* recent) {
  recent->matched_rules.push_back(rule.name);
  ++rule_counters_[rule.arn].matched;
  std::string text;  // the envelope as targets get it, made once per event
  for (const auto& t : rule.targets) {
    ++target_counters_[{rule.arn, t.id}].matched;
    RecentEvent::Outcome outcome;
    outcome.rule = rule.name;
    outcome.target_id = t.id;
    TargetInvoker* invoker = InvokerFor(t.arn);
    Delivery d;
    d.rule_arn = rule.arn;
    d.rule_name = rule.name;
    d.target = t.wire;
    d.event_id = envelope.value("id", "");
    d.first_ms = now;
    if (HasInput(t.input)) {
      auto payload = RenderTargetInput(t.input, envelope, RuleContext{rule.arn, rule.name, now});
      if (!payload.ok()) {
        // AWS does not deliver an event whose input cannot be rendered.
        ++target_counters_[{rule.arn, t.id}].failed;
        outcome.state = "failed";
        outcome.error = payload.status().message();
        recent->outcomes.push_back(std::move(outcome));
        continue;
      }
      d.payload = std::move(*payload);
    } else if (!invoker || invoker->WholeEventByDefault()) {
      if (text.empty()) text = envelope.dump();
      d.payload = text;
    }
    if (text.empty()) text = envelope.dump();
    d.event = text;
    recent->outcomes.push_back(std::move(outcome));
    out->push_back(std::move(d));
  }
  return Status::Ok();
}

// --- Delivery ---

void EventBus::Remember(RecentEvent e) {
  e.seq = ++recent_seq_;
  recent_by_event_[e.id] = e.seq;
  recent_.push_back(std::move(e));
  while (recent_.size() > options_.recent_kept) {
    recent_by_event_.erase(recent_.front().id);
    recent_.pop_front();
  }
}

RecentEvent::Outcome* EventBus::OutcomeOf(const Delivery& d) {
  auto it = recent_by_event_.find(d.event_id);
  if (it == recent_by_event_.end() || recent_.empty()) return nullptr;
  uint64_t index = it->second - recent_.front().seq;
  if (index >= recent_.size()) return nullptr;
  std::string target_id = d.target.value("Id", "");
  for (auto& o : recent_[index].outcomes) {
    if (o.rule == d.rule_name && o.target_id == target_id) return &o;
  }
  return nullptr;
}

void EventBus::Attempt(uint64_t delivery_id) {
  retry_timers_.erase(delivery_id);
  Delivery* d = outbox_->Find(delivery_id);
  if (!d || shut_down_) return;
  auto target = ParseTarget(d->target);
  if (!target.ok()) return DeadLetterDelivery(*d, "InvalidTarget", target.status().message());
  TargetInvoker* invoker = InvokerFor(target->arn);
  if (!invoker) {
    return DeadLetterDelivery(*d, "UnsupportedTarget",
                              "berth cannot deliver to " + target->arn + ".");
  }
  TimeMs now = executor_.clock().NowMs();
  if (now - d->first_ms > target->retry.maximum_event_age_seconds * 1000LL) {
    return DeadLetterDelivery(*d, "MaximumEventAgeExceeded",
                              "The event is older than MaximumEventAgeInSeconds.");
  }
  ++d->attempts;
  Invocation inv;
  inv.rule_name = d->rule_name;
  inv.rule_arn = d->rule_arn;
  inv.target = &d->target;
  inv.payload = d->payload;
  inv.event_id = d->event_id;
  auto rule = rules_.find(d->rule_arn);
  inv.skip_if_running = rule != rules_.end() && RuleTagSays(rule->second, "berth:overlap", "skip");
  if (auto* o = OutcomeOf(*d)) o->attempts = d->attempts;
  invoker->Invoke(inv, [this, delivery_id, alive = alive_](InvokeOutcome outcome) {
    if (*alive) OnOutcome(delivery_id, std::move(outcome));
  });
}

void EventBus::OnOutcome(uint64_t delivery_id, InvokeOutcome outcome) {
  Delivery* d = outbox_->Find(delivery_id);
  if (!d) return;
  std::string target_id = d->target.value("Id", "");
  Counters& rc = rule_counters_[d->rule_arn];
  Counters& tc = target_counters_[{d->rule_arn, target_id}];
  RecentEvent::Outcome* o = OutcomeOf(*d);
  switch (outcome.kind) {
    case InvokeOutcome::kDelivered:
      ++rc.delivered;
      ++tc.delivered;
      if (o) o->state = "delivered";
      outbox_->Done(delivery_id);
      return;
    case InvokeOutcome::kSkipped:
      ++rc.skipped;
      ++tc.skipped;
      if (o) {
        o->state = "skipped";
        o->error = outcome.error_message;
      }
      outbox_->Done(delivery_id);
      return;
    case InvokeOutcome::kFailed:
      ++rc.failed;
      ++tc.failed;
      return DeadLetterDelivery(*d, outcome.error_code, outcome.error_message);
    case InvokeOutcome::kRetryable:
      break;
  }
  ++rc.failed;
  ++tc.failed;
  auto target = ParseTarget(d->target);
  int max_retries = target.ok() ? target->retry.maximum_retry_attempts : 0;
  int64_t max_age_ms = (target.ok() ? target->retry.maximum_event_age_seconds : 86400) * 1000LL;
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
    o->error =
        outcome.error_code + (outcome.error_message.empty() ? "" : ": " + outcome.error_message);
  }
  retry_timers_[delivery_id] = executor_.RunAfter(delay, [this, delivery_id, alive = alive_] {
    if (*alive) Attempt(delivery_id);
  });
}

void EventBus::DeadLetterDelivery(Delivery d, const std::string& code, const std::string& message) {
  std::string target_id = d.target.value("Id", "");
  ++rule_counters_[d.rule_arn].dead_lettered;
  ++target_counters_[{d.rule_arn, target_id}].dead_lettered;
  if (auto* o = OutcomeOf(d)) {
    o->state = "dead";
    o->error = code + (message.empty() ? "" : ": " + message);
  }
  TimeMs now = executor_.clock().NowMs();
  (void)outbox_->AddDeadLetter({d, code, message, now});
  outbox_->Done(d.id);
  // The target's DeadLetterConfig: a log group gets one JSON message per dead letter.
  std::string dlq =
      d.target.contains("DeadLetterConfig") && d.target["DeadLetterConfig"].is_object()
          ? d.target["DeadLetterConfig"].value("Arn", "")
          : "";
  TargetInvoker* sink = dlq.empty() ? nullptr : InvokerFor(dlq);
  if (!sink) return;
  json target_for_dlq = {{"Id", target_id + "-dlq"}, {"Arn", dlq}};
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
  inv.payload = message_json.dump(-1, ' ', false, json::error_handler_t::replace);
  inv.event_id = d.event_id;
  sink->Invoke(inv, [](InvokeOutcome) {});
}

Status EventBus::ReplayDeadLetter(uint64_t delivery_id) {
  for (const auto& dl : outbox_->dead_letters()) {
    if (dl.delivery.id != delivery_id) continue;
    std::vector<Delivery> batch{dl.delivery};
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
  auto it = rule_counters_.find(rule_arn);
  return it == rule_counters_.end() ? Counters{} : it->second;
}

Counters EventBus::TargetCounters(const std::string& rule_arn, const std::string& target_id) const {
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
  ordered_json env;
  env["version"] = "0";
  env["id"] = NewUuid();
  env["detail-type"] = "Scheduled Event";
  env["source"] = "aws.events";
  env["account"] = options_.account_id;
  env["time"] = EventTime(at);
  env["region"] = options_.region;
  env["resources"] = {r.arn};
  env["detail"] = ordered_json::object();
  std::vector<Delivery> deliveries;
  RecentEvent recent;
  recent.id = env["id"].get<std::string>();
  recent.time = now;
  recent.bus = r.bus;
  recent.source = "aws.events";
  recent.detail_type = "Scheduled Event";
  if (Enqueue(r, json::parse(env.dump()), now, &deliveries, &recent).ok() &&
      outbox_->Append(&deliveries).ok()) {
    Remember(std::move(recent));
    for (const auto& d : deliveries) Attempt(d.id);
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
