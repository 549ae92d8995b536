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
// Threads: the control thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace berth::events {

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

class Outbox {
 public:
  // dir "" = memory only (tests, fuzzing).
  static Result<std::unique_ptr<Outbox>> Open(const std::string& dir);

  // Assigns ids and makes the batch durable.
  Status Append(std::vector<Delivery>* batch);
  void Done(uint64_t id);
  Status AddDeadLetter(const DeadLetter& d);

  const std::map<uint64_t, Delivery>& pending() const { return pending_; }
  Delivery* Find(uint64_t id);
  // The most recent dead letters, oldest first (at most kDeadKept).
  const std::vector<DeadLetter>& dead_letters() const { return dead_; }
  static constexpr size_t kDeadKept = 1000;

  ~Outbox();

 private:
  Outbox() = default;
  Status Compact();
  Status WriteLine(int fd, const std::string& line, bool sync);

  std::string dir_;
  int journal_fd_ = -1;
  int dead_fd_ = -1;
  uint64_t next_id_ = 1;
  uint64_t finished_since_compact_ = 0;
  std::map<uint64_t, Delivery> pending_;
  std::vector<DeadLetter> dead_;
};

nlohmann::json DeliveryToJson(const Delivery& d);
bool DeliveryFromJson(const nlohmann::json& j, Delivery* d);

}  // namespace berth::events
