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

// One event the bus saw, for `berth events`.
struct RecentEvent {
  std::string id;
  TimeMs time = 0;
  std::string bus;
  std::string source;
  std::string detail_type;
  std::vector<std::string> matched_rules;
  // One delivery of the event: small, and nothing to copy per delivery but a shared route.
  struct Outcome {
    LocalPtr<const DeliveryRoute> route;  // never null
    const char* state = "pending";  // pending | delivered | retrying | dead | skipped | failed
    int attempts = 0;
    std::string error;
    const std::string& rule() const { return route->rule_name; }
    const std::string& target_id() const { return route->target.id; }
  };
  std::vector<Outcome> outcomes;
  uint64_t seq = 0;

  // Empties it for another event, keeping the storage.
  void Reset() {
    id.clear();
    time = 0;
    bus.clear();
    source.clear();
    detail_type.clear();
    matched_rules.clear();
    outcomes.clear();
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
