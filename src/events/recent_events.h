// RecentEvents: the last events the bus saw, with the rules each matched and the outcome of each
// delivery (`berth events`). A ring whose slots are reused: remembering an event moves the
// oldest one's storage back to the caller, so that once the strings and vectors of the slots
// have grown, remembering allocates nothing (the bus remembers every event it takes).
//
// Threads: the bus's control thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "events/outbox.h"

namespace berth::events {

// One enabled pattern rule of a bus, as the bus routes events to it. A bus's rules form one
// RoutedRules, rebuilt after a configuration change and shared by the recent events routed
// through it: an event then remembers what it matched as indices, so that remembering costs a
// few integers per match (no name copied, no reference count per match, nothing to destroy).
struct RoutedRule {
  std::string name;
  // The bus's counters for the rule: used only while this is the bus's current RoutedRules (the
  // rule may be deleted afterwards).
  Counters* counters = nullptr;
  std::vector<LocalPtr<const DeliveryRoute>> routes;  // one per target
  // routes[0] (null: no targets), at hand: routing reaches the route without loading the
  // vector's storage, and can prefetch it.
  const DeliveryRoute* first_route = nullptr;
  // Matches not yet added to *counters (see DeliveryRoute::unfolded_matched).
  mutable uint64_t unfolded_matched = 0;

  // Adds the unfolded counts of the rule and its routes to their counters.
  void FoldCounts() const {
    if (unfolded_matched) {
      counters->matched += unfolded_matched;
      unfolded_matched = 0;
    }
    for (const auto& route : routes) {
      if (route->unfolded_matched == 0 && route->unfolded_delivered == 0) continue;
      route->target_counters->matched += route->unfolded_matched;
      route->target_counters->delivered += route->unfolded_delivered;
      route->rule_counters->delivered += route->unfolded_delivered;
      route->unfolded_matched = route->unfolded_delivered = 0;
    }
  }
};
using RoutedRules = std::vector<RoutedRule>;

// One event the bus saw, for `berth events`.
struct RecentEvent {
  std::string id;
  TimeMs time = 0;
  std::string bus;
  std::string source;
  std::string detail_type;
  LocalPtr<const RoutedRules> rules;  // what `matched` and the outcomes index (null: none)
  std::vector<uint32_t> matched;      // the rules it matched, in order
  // The event's deliveries are one per target of each matched rule, in that order. Most are
  // delivered by the attempt made while the event is routed (log groups): those have no record
  // here, and remembering them costs nothing. The others (pending, retrying, dead, skipped,
  // failed, or delivered by a later attempt) have one, in the same order. Trivially
  // destructible: reusing a slot reads none of them.
  struct Outcome {
    const char* state = "pending";  // pending | delivered | retrying | dead | skipped | failed
    uint32_t rule = 0;              // index in *rules
    uint32_t target = 0;            // index in that rule's routes
    int32_t attempts = 0;
    uint32_t error = 0;  // 0: none, else 1 + its index in `errors`
  };
  std::vector<Outcome> outcomes;
  std::vector<std::string> errors;  // (only failed deliveries have one)
  uint64_t seq = 0;

  const std::string& matched_rule(size_t i) const { return (*rules)[matched[i]].name; }
  std::vector<std::string> matched_rule_names() const {
    std::vector<std::string> names;
    for (size_t i = 0; i < matched.size(); ++i) names.push_back(matched_rule(i));
    return names;
  }
  const DeliveryRoute& route(const Outcome& o) const { return *(*rules)[o.rule].routes[o.target]; }
  const std::string& rule_name(const Outcome& o) const { return (*rules)[o.rule].name; }
  const std::string& target_id(const Outcome& o) const { return route(o).target.id; }
  const std::string& error(const Outcome& o) const {
    static const std::string kNone;
    return o.error ? errors[o.error - 1] : kNone;
  }
  void set_error(Outcome* o, std::string text) {
    if (o->error == 0) {
      errors.push_back(std::move(text));
      o->error = static_cast<uint32_t>(errors.size());
    } else {
      errors[o->error - 1] = std::move(text);
    }
  }

  // Every delivery of the event, with those delivered while it was routed (for reading).
  struct Delivery {
    std::string rule;
    std::string target_id;
    const char* state = "delivered";
    int attempts = 1;
    std::string error;
  };
  std::vector<Delivery> deliveries() const {
    std::vector<Delivery> all;
    size_t next = 0;  // the next record in `outcomes`: they come in the same order
    for (uint32_t rule : matched) {
      const RoutedRule& r = (*rules)[rule];
      for (uint32_t target = 0; target < r.routes.size(); ++target) {
        Delivery& d = all.emplace_back();
        d.rule = r.name;
        d.target_id = r.routes[target]->target.id;
        if (next < outcomes.size() && outcomes[next].rule == rule &&
            outcomes[next].target == target) {
          const Outcome& o = outcomes[next++];
          d.state = o.state;
          d.attempts = o.attempts;
          d.error = error(o);
        }
      }
    }
    return all;
  }

  // Empties it for another event, keeping the storage.
  void Reset() {
    id.clear();
    time = 0;
    bus.clear();
    source.clear();
    detail_type.clear();
    rules.reset();
    matched.clear();
    outcomes.clear();
    errors.clear();
    seq = 0;
  }
};

class RecentEvents {
 public:
  explicit RecentEvents(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // i = 0: the oldest; i < size().
  RecentEvent& operator[](size_t i) { return slots_[Slot(i)]; }
  const RecentEvent& operator[](size_t i) const { return slots_[Slot(i)]; }
  const RecentEvent& front() const { return (*this)[0]; }
  const RecentEvent& back() const { return (*this)[size_ - 1]; }

  // Remembers *e as the newest event. When the ring is full the oldest event leaves it, and *e
  // is left holding that event's storage, for the caller to Reset and fill again.
  void Push(RecentEvent* e) {
    if (slots_.size() < capacity_) {
      slots_.push_back(std::move(*e));
      ++size_;
      return;
    }
    std::swap(slots_[start_], *e);  // full: the oldest slot
    start_ = (start_ + 1) % capacity_;
  }
  void clear() {
    slots_.clear();
    start_ = size_ = 0;
  }

  class const_iterator {
   public:
    const_iterator(const RecentEvents* r, size_t i) : r_(r), i_(i) {}
    const RecentEvent& operator*() const { return (*r_)[i_]; }
    const RecentEvent* operator->() const { return &(*r_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const RecentEvents* r_;
    size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  // (No `%`: the bus looks a delivery's event up on every attempt, and a division costs more.)
  size_t Slot(size_t i) const {
    size_t j = start_ + i;
    return j >= capacity_ ? j - capacity_ : j;
  }
  size_t capacity_;
  std::vector<RecentEvent> slots_;  // grows to capacity_, then reused in place
  size_t start_ = 0;                // the oldest event's slot
  size_t size_ = 0;
};

}  // namespace berth::events
