// Leftovers: what a previous daemon on the same state dir may have left running.
//
// Each container's main process gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the daemon,
// even on `kill -9`. Other processes of its tree do not; for those, Start records the tree in
// STATE_DIR/run/<runtime_id> ("<pgid> <leader start time> <cgroup dir or ->"), the record is
// removed when the container ends, and a new ProcessDriver sweeps every record left behind:
// it SIGKILLs the cgroup's processes and every process of the recorded group that started
// no earlier than its leader (so a recycled pid number is never hit). Records are per state
// dir, so daemons on other data dirs are never touched.
// Threads: any; file-system only.
#pragma once

#include <string>
#include <sys/types.h>

namespace berth::driver {

// Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat); 0 if unknown.
unsigned long long ProcessStartTime(pid_t pid);

void RecordTree(const std::string& state_dir, const std::string& runtime_id, pid_t pgid,
                const std::string& cgroup_dir);
void ForgetTree(const std::string& state_dir, const std::string& runtime_id);
// Kills what earlier daemons left; returns how many processes it signalled.
int SweepLeftovers(const std::string& state_dir);

}  // namespace berth::driver
