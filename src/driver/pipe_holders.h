// KillPipeHolders: finds the processes that hold a container's output pipe open although they
// left its process group (setsid) — the only way to find them when no cgroup is usable — and
// SIGKILLs them. Scans /proc/<pid>/fd of every process, so it is only used after a pipe failed
// to reach EOF in time.
// Threads: any; stateless.
#pragma once

#include <sys/types.h>

#include <vector>

namespace berth::driver {

// Kills every process other than the caller's own with an fd on a pipe whose inode is in
// pipe_inodes. Returns the pids it killed.
std::vector<pid_t> KillPipeHolders(const std::vector<ino_t>& pipe_inodes);

}  // namespace berth::driver
