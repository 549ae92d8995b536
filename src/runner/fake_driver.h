// FakeDriver: a Driver for unit tests. Processes "run" until the test calls Exit(); signals are
// recorded, and SIGKILL (or SIGTERM when term_exits is set) ends the process like a real one.
// Health-check probes (container names ending in "-healthcheck") exit at once with the code
// probe_exit_code[container] (default 0), or never (probe_hangs). Single-threaded, with
// FakeExecutor.
#pragma once

#include <csignal>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "driver/driver.h"

namespace berth::runner {

class FakeDriver : public driver::Driver {
 public:
  explicit FakeDriver(Executor& ex) : ex_(ex) {}

  struct Proc {
    driver::ProcessSpec spec;
    driver::ExitCallback on_exit;
    bool running = true;
    std::vector<int> signals;
  };

  Result<std::string> Start(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                            driver::OutputCallback) override {
    if (fail_start.count(spec.container_name)) {
      return FailedPrecondition(fail_start[spec.container_name]);
    }
    std::string id = "rt-" + std::to_string(next_++);
    const std::string suffix = "-healthcheck";
    if (spec.container_name.size() > suffix.size() &&
        spec.container_name.compare(spec.container_name.size() - suffix.size(), suffix.size(),
                                    suffix) == 0) {
      std::string name = spec.container_name.substr(0, spec.container_name.size() - suffix.size());
      int code = probe_exit_code.count(name) ? probe_exit_code[name] : 0;
      ++probes[name];
      if (probe_hangs.count(name)) {
        hung_probes.push_back(on_exit);  // never ends by itself, nor by a signal
        return id;
      }
      ex_.Post([on_exit, code] { on_exit(driver::ExitStatus{code, 0, false}); });
      return id;
    }
    procs[id] = Proc{spec, std::move(on_exit), true, {}};
    by_name[spec.container_name] = id;
    start_order.push_back(spec.container_name);
    return id;
  }

  Status Signal(const std::string& id, int sig) override {
    auto it = procs.find(id);
    if (it == procs.end() || !it->second.running) return Status::Ok();
    it->second.signals.push_back(sig);
    signal_order.push_back(it->second.spec.container_name + ":" + std::to_string(sig));
    if (sig == SIGKILL || (sig == SIGTERM && term_exits)) ExitId(id, 128 + sig, sig);
    return Status::Ok();
  }

  // With hold_starts, StartAsync answers only when the test calls FinishStarts (as Docker's
  // create/start on a worker thread); otherwise at once, as the process driver.
  void StartAsync(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                  driver::OutputCallback on_output, CreatedCallback on_created,
                  StartedCallback on_started) override {
    if (!hold_starts) {
      return Driver::StartAsync(spec, std::move(on_exit), std::move(on_output),
                                std::move(on_created), std::move(on_started));
    }
    held_.push_back([this, spec, on_exit, on_output, on_created, on_started] {
      auto id = Start(spec, on_exit, on_output);
      if (id.ok()) on_created(*id);
      on_started(std::move(id));
    });
  }
  // Answers every held StartAsync (on the executor, as a driver's worker would post them).
  void FinishStarts() {
    for (auto& start : held_) ex_.Post(std::move(start));
    held_.clear();
  }
  size_t held_starts() const { return held_.size(); }

  void KillAll() override {}
  std::string Name() const override { return "fake"; }

  // Ends container `name`'s process with exit code `code`.
  void Exit(const std::string& name, int code) { ExitId(by_name.at(name), code, 0); }
  bool Running(const std::string& name) const {
    auto it = by_name.find(name);
    return it != by_name.end() && procs.at(it->second).running;
  }
  const Proc& Get(const std::string& name) const { return procs.at(by_name.at(name)); }

  bool term_exits = true;
  bool hold_starts = false;
  std::map<std::string, std::string> fail_start;  // container name → error message
  std::map<std::string, int> probe_exit_code;
  std::set<std::string> probe_hangs;  // containers whose probes hang (an engine's stuck exec)
  std::vector<driver::ExitCallback> hung_probes;  // their exit callbacks, never called by itself
  std::map<std::string, int> probes;
  std::map<std::string, Proc> procs;
  std::map<std::string, std::string> by_name;
  std::vector<std::string> start_order;
  std::vector<std::string> signal_order;

 private:
  std::vector<std::function<void()>> held_;
  void ExitId(const std::string& id, int code, int sig) {
    Proc& p = procs.at(id);
    p.running = false;
    auto cb = p.on_exit;
    ex_.Post([cb, code, sig] { cb(driver::ExitStatus{code, sig, false}); });
  }

  Executor& ex_;
  int next_ = 1;
};

}  // namespace berth::runner
