// Resource use of one process group, read from /proc (the process driver's container stats).
// Threads: any; reads /proc only.
#pragma once

#include <sys/types.h>

#include "driver/driver.h"

namespace berth::driver {

// CPU time (user, system), resident memory and the number of processes of every process whose
// process group is pgid. Processes that exit while /proc is read are skipped.
ContainerStats ProcessGroupStats(pid_t pgid);

}  // namespace berth::driver
