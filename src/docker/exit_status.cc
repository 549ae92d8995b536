#include "docker/exit_status.h"

#include <signal.h>

#include <nlohmann/json.hpp>

namespace berth::docker {

namespace {

using nlohmann::json;

// False when the answer is not a container's inspect document.
bool Parse(const EngineResponse& r, driver::ExitStatus* st) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return false;
  auto state = j.find("State");
  if (state == j.end() || !state->is_object()) return false;
  auto code = state->find("ExitCode");
  auto oom = state->find("OOMKilled");
  st->exit_code = code != state->end() && code->is_number_integer() ? code->get<int>() : 0;
  st->oom_killed = oom != state->end() && oom->is_boolean() && oom->get<bool>();
  st->signal = st->exit_code > 128 ? st->exit_code - 128 : 0;
  return true;
}

}  // namespace

driver::ExitStatus ReadExitStatus(const ExitRead& read) {
  for (int64_t waited = 0;; waited += read.recheck_every_ms) {
    driver::ExitStatus st;
    auto r = read.inspect();
    if (!r.ok() || r->status != 200 || !Parse(*r, &st)) {
      st = driver::ExitStatus{};
      st.exit_code = 128 + SIGKILL;  // the container is gone: report it as killed
      st.signal = SIGKILL;
      return st;
    }
    bool oom_may_follow = st.exit_code == 128 + SIGKILL && !st.oom_killed &&
                          !read.berth_sent_sigkill;
    if (!oom_may_follow || waited >= read.oom_recheck_ms) return st;
    read.pause(read.recheck_every_ms);
  }
}

}  // namespace berth::docker
