// The berth CLI's client verbs (everything except `serve`): env, ps, run-task, stop, describe,
// logs, services, deploy, rules, events.
// Each goes through the daemon's public API like any AWS client (cli/client.h).
#pragma once

namespace berth::cli {

// Runs the verb in argv[1]; returns the process exit code.
int Run(int argc, char** argv);

}  // namespace berth::cli
