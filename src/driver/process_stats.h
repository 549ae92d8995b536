// Resource use of one process group, read from /proc (the process driver's container stats).
// Threads: any; reads /proc only.
#pragma once

#include <sys/types.h>

#include "driver/driver.h"

namespace berth::driver {

// The fields berth reads from /proc/PID/stat (man 5 proc): 5 pgrp, 14 utime, 15 stime (clock
// ticks), 22 starttime (ticks since boot), 24 rss (pages).
struct ProcStat {
  pid_t pgrp = 0;
  unsigned long long utime = 0, stime = 0, starttime = 0;
  long long rss_pages = 0;
};
// False when the process is gone (or its stat unreadable). Uses read(2): the process may be
// reaped while it is read.
bool ReadProcStat(pid_t pid, ProcStat* out);

// CPU time (user, system), resident memory and the number of processes of every process whose
// process group is pgid. Processes that exit while /proc is read are skipped.
ContainerStats ProcessGroupStats(pid_t pgid);

}  // namespace berth::driver
