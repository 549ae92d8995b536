// Outbox: the event bus's durable record of deliveries not yet done, so nothing PutEvents
// acknowledged is lost when the daemon stops, crashes or a target is down for hours.
//
// One journal file of JSON lines: `enq` (a delivery: which rule's target, the payload) and
// `done` (delivered or dead-lettered). Append() makes a batch durable (fdatasync) before
// PutEvents answers; Done() is not synced — losing it only means the delivery happens again
// after a crash (at-least-once). Open() replays the journal (a torn last line is ignored), then
// rewrites it with only the pending deliveries; it is rewritten again whenever finished records
// dominate it. Dead letters go to a second journal, dead.jsonl, kept for `berth events --dead`.
//
// In memory a pending delivery shares what many deliveries have in common — the event's text
// (one copy per event, however many targets it reaches) and the rule's target (one copy per
// target until the rule changes) — so routing an event copies no JSON per target. Delivery is
// the same record spelled out in full: the journal's and the dead letters' form.
//
// Threads: the control thread only.
#pragma once

#include <boost/smart_ptr/local_shared_ptr.hpp>
#include <boost/smart_ptr/make_local_shared.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/bus_types.h"

namespace berth::events {

// Routes, events and payloads are shared by one bus's deliveries and recent-traffic records,
// all on its control thread: their counts need no atomic operations (a delivery copies three).
template <typename T>
using LocalPtr = boost::local_shared_ptr<T>;

struct Delivery {
  uint64_t id = 0;
  std::string rule_arn;
  std::string rule_name;
  nlohmann::json target;  // the target's PutTargets form, as it was when the event matched
  std::string event_id;
  std::string event;    // the event envelope (JSON), for dead letters and `berth events`
  std::string payload;  // what the target receives
  TimeMs first_ms = 0;  // when the bus took the event (MaximumEventAgeInSeconds counts from it)
  int attempts = 0;     // not journaled: restarts begin counting again
};

struct DeadLetter {
  Delivery delivery;
  std::string error_code;
  std::string error_message;
  TimeMs dead_ms = 0;
};

class TargetInvoker;

// One target of one rule, as its deliveries see it. The bus makes one per target when it
// (re)builds its routes, and every delivery for that target shares it; a later change of the
// rule or its targets makes new ones, pending deliveries keep theirs.
struct DeliveryRoute {
  // The bus's cache of what it looks up per delivery and attempt, valid while `epoch` is the
  // bus's configuration epoch (control thread). First, so that routing an event to a target
  // touches one cache line of its route.
  mutable uint64_t epoch = 0;
  mutable TargetInvoker* invoker = nullptr;
  mutable Counters* rule_counters = nullptr;
  mutable Counters* target_counters = nullptr;
  // Routing's counts not yet added to *target_counters (and `delivered` to *rule_counters too):
  // kept here, on the line routing touches anyway, and added by the bus before it reads them.
  mutable uint64_t unfolded_matched = 0;
  mutable uint64_t unfolded_delivered = 0;
  mutable bool skip_if_running = false;
  mutable bool has_input = false;        // Input, InputPath or InputTransformer: rendered per event
  mutable bool whole_event = false;      // no input, and the invoker then takes the whole event
  mutable int64_t max_event_age_ms = 0;  // target.retry's MaximumEventAgeInSeconds
  std::string rule_arn;
  std::string rule_name;
  Target target;        // target.wire: the PutTargets form, journaled
  Status parse_status;  // not ok: a journaled target that no longer parses (dead-lettered)
};

// One event as its deliveries carry it.
struct DeliveryEvent {
  std::string id;
  std::string text;  // the envelope (JSON)
};

struct PendingDelivery {
  uint64_t id = 0;
  LocalPtr<const DeliveryRoute> route;  // never null while pending
  LocalPtr<const DeliveryEvent> event;
  // What the target receives: the event's text itself when whole_event, else *payload
  // (nullptr = nothing, "").
  bool whole_event = false;
  LocalPtr<const std::string> payload;
  TimeMs first_ms = 0;
  int attempts = 0;         // not journaled: restarts begin counting again
  uint64_t recent_seq = 0;  // the bus's RecentEvent for it (0: find it by event id)
  uint32_t outcome = 0;     // index in that RecentEvent's outcomes
};

// The full record of a pending delivery, and back (the target parsed again).
Delivery ToDelivery(const PendingDelivery& p);
PendingDelivery FromDelivery(const Delivery& d);

class Outbox {
 public:
  // dir "" = memory only (tests, fuzzing).
  static Result<std::unique_ptr<Outbox>> Open(const std::string& dir);

  // Assigns ids (batch[i].id) and makes the batch durable; the deliveries move into the outbox.
  Status Append(std::vector<PendingDelivery>* batch);
  void Done(uint64_t id);
  Status AddDeadLetter(const DeadLetter& d);

  PendingDelivery* Find(uint64_t id);
  size_t pending_count() const { return old_.size() + ring_live_; }
  std::vector<uint64_t> PendingIds() const;  // ascending
  // The most recent dead letters, oldest first (at most kDeadKept).
  const std::vector<DeadLetter>& dead_letters() const { return dead_; }
  static constexpr size_t kDeadKept = 1000;

  ~Outbox();

 private:
  Outbox() = default;
  Status Compact();
  Status WriteLine(int fd, const std::string& line, bool sync);
  void Grow();
  template <typename F>
  void ForEachPending(F f) const;

  std::string dir_;
  int journal_fd_ = -1;
  int dead_fd_ = -1;
  uint64_t next_id_ = 1;
  uint64_t finished_since_compact_ = 0;
  // Pending deliveries. Ids are handed out in order and most deliveries are done moments
  // later, so the ids in [ring_begin_, ring_end_) live in a ring indexed by id (a slot whose
  // route is null is done); older ones — a target down for long — move to old_.
  std::vector<PendingDelivery> ring_;  // size: a power of two (or 0)
  uint64_t ring_begin_ = 1;
  uint64_t ring_end_ = 1;
  size_t ring_live_ = 0;
  std::map<uint64_t, PendingDelivery> old_;
  static constexpr size_t kMaxRing = 1 << 16;
  std::vector<DeadLetter> dead_;
};

nlohmann::json DeliveryToJson(const Delivery& d);
bool DeliveryFromJson(const nlohmann::json& j, Delivery* d);

}  // namespace berth::events
