// Engine: the lb thread's runtime for every target group — which targets exist, their health
// checks (HealthTracker per target, probes through a Prober, timers on the lb Executor), which
// targets may take new connections (round-robin over healthy ones), and draining.
//
// It knows nothing of sockets: a proxied connection holds a Lease on its target (the count of
// open connections, and a way to close the connection when a drain times out). The control
// thread never calls it directly; LoadBalancing posts every change to the lb thread.
//
// Health checks: the first check runs when a target is added (or when its group starts being
// used by a listener), then one every interval. Targets of a group no listener forwards to are
// `unused` and not checked. Draining targets are not checked and get no new connections; the
// drain ends when their last connection closes or the deregistration delay passes (then the
// remaining connections are closed), and `drained` runs (on the lb thread).
//
// The kernel data path (kernel_forwarding.h) forwards connections Pick never sees: the engine
// tells it when a group's routable targets may have changed (SetRoutingObserver), and asks how
// many kernel-forwarded connections a draining target still has (SetTrackedConnections, polled
// once a second while it drains).
//
// Threads: the lb thread only (or one test thread with a FakeExecutor); verdicts are published
// to a HealthBoard for the control thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "lb/health_board.h"
#include "lb/health_tracker.h"
#include "lb/prober.h"
#include "lb/types.h"

namespace berth::lb {

// Shared by the Engine and the leases of one target's connections.
struct TargetSlot {
  TargetKey key;
  int open = 0;  // connections holding a lease
  uint64_t next_id = 1;
  std::map<uint64_t, std::function<void()>> closers;  // by lease id
  std::function<void()> on_idle;  // set while draining: runs when `open` drops to 0
};

// One proxied connection's claim on a target. Destroying it releases the claim.
class Lease {
 public:
  explicit Lease(std::shared_ptr<TargetSlot> slot);
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  const TargetKey& target() const { return slot_->key; }
  // How to close this connection when its target's drain times out.
  void SetCloser(std::function<void()> close) { slot_->closers[id_] = std::move(close); }

 private:
  std::shared_ptr<TargetSlot> slot_;
  uint64_t id_;
};

struct GroupSettings {
  HealthCheck health_check;
  int deregistration_delay_s = 300;
};

class Engine {
 public:
  Engine(Executor& lb, Prober& prober, HealthBoard& board)
      : lb_(lb), prober_(prober), board_(board) {}
  ~Engine();

  // Creates or updates a group. A shorter interval takes effect at once.
  void SetGroup(const std::string& arn, const GroupSettings& settings);
  // Forgets a group: its drains end (their `drained` runs) and its connections are closed.
  void RemoveGroup(const std::string& arn);
  // Whether a listener forwards to the group (unused targets are not checked).
  void SetInUse(const std::string& arn, bool in_use);
  // Adds (or re-adds, ending a drain) a target; `generation` identifies this registration.
  void AddTarget(const std::string& arn, const TargetKey& key, uint64_t generation);
  // Starts draining a target; `drained` runs once it is gone. Unknown target: runs at once.
  void DrainTarget(const std::string& arn, const TargetKey& key, std::function<void()> drained);

  // A lease on the next healthy, non-draining target of the group (round-robin), or null.
  std::unique_ptr<Lease> Pick(const std::string& arn);
  // The targets Pick chooses among: healthy, not draining, of a group in use; in key order.
  std::vector<TargetKey> Routable(const std::string& arn) const;

  // Called (on the lb thread) with a group's ARN whenever Routable(arn) may have changed.
  void SetRoutingObserver(std::function<void(const std::string& arn)> observer) {
    routing_observer_ = std::move(observer);
  }
  // Open connections to a target that do not hold a Lease (kernel-forwarded); a drain waits
  // for them too.
  void SetTrackedConnections(std::function<int(const std::string& arn, const TargetKey&)> count) {
    tracked_connections_ = std::move(count);
  }

  // Stops every timer and drain hook (drained callbacks are dropped); for daemon shutdown.
  void Shutdown();

  // For tests.
  int OpenConnections(const std::string& arn, const TargetKey& key) const;
  bool HasTarget(const std::string& arn, const TargetKey& key) const;

 private:
  struct Target {
    uint64_t generation = 0;
    HealthTracker tracker{5, 2};
    std::shared_ptr<TargetSlot> slot;
    TimerId check_timer = 0;
    TimeMs next_check_ms = 0;
    uint64_t probe_seq = 0;  // ignores results of probes started before a restart
    bool draining = false;
    TimerId drain_timer = 0;
    TimerId idle_poll_timer = 0;  // while draining with tracked connections
    std::vector<std::function<void()>> drained;
  };
  struct Group {
    GroupSettings settings;
    bool in_use = false;
    std::map<TargetKey, Target> targets;
    size_t next = 0;  // round-robin position
  };

  void ScheduleCheck(const std::string& arn, Group& g, const TargetKey& key, Target& t,
                     int64_t delay_ms);
  void RunCheck(const std::string& arn, const TargetKey& key, uint64_t generation);
  void OnProbe(const std::string& arn, const TargetKey& key, uint64_t generation, uint64_t seq,
               const ProbeResult& r);
  void StopChecks(Target& t);
  void Publish(const std::string& arn, const TargetKey& key, const Target& t,
               const TargetHealth& h);
  void FinishDrain(const std::string& arn, const TargetKey& key, bool close_connections);
  bool Idle(const std::string& arn, const Target& t) const;
  void PollIdle(const std::string& arn, const TargetKey& key, Target& t);
  void CancelDrainTimers(Target& t);

  Executor& lb_;
  Prober& prober_;
  HealthBoard& board_;
  std::map<std::string, Group> groups_;
  bool shut_down_ = false;
  std::function<void(const std::string&)> routing_observer_;
  std::function<int(const std::string&, const TargetKey&)> tracked_connections_;
};

}  // namespace berth::lb
