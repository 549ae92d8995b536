// `berth rules` and `berth events`: the event bus as an operator sees it — each rule with its
// pattern or schedule (and next firings), counters and targets; recent bus traffic with the
// rules each event matched and every delivery's outcome, followed live; dead letters and their
// replay. Talks to the daemon's berth-only read-outs (X-Amz-Target BerthEvents.*, signed for
// "events") and, to enumerate buses, the EventBridge API.
// Threads: the CLI's only thread; blocking calls.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/client.h"

namespace berth::cli {

struct RulesOptions {
  std::string bus;  // "" = every bus
};

struct EventsOptions {
  bool follow = false;  // keep polling; new events and changed outcomes of pending deliveries
  bool dead = false;    // list dead letters instead
  std::string replay;   // dead-letter id to replay
};

int RulesCommand(Client& client, const RulesOptions& options);
int EventsCommand(Client& client, const EventsOptions& options);

// Registers `rules` and `events` on the CLI app; after parsing, Run() runs whichever was given.
class EventCommands {
 public:
  explicit EventCommands(CLI::App& app);
  EventCommands(const EventCommands&) = delete;
  EventCommands& operator=(const EventCommands&) = delete;
  bool parsed() const { return rules_->parsed() || events_->parsed(); }
  int Run(Client& client) const;

 private:
  CLI::App* rules_;
  CLI::App* events_;
  RulesOptions rules_options_;
  EventsOptions events_options_;
};

}  // namespace berth::cli
