// Baseline for bench (a): the bare cost of starting a process from C, measured N times.
//   forkexec N wait   fork + execv("/bin/true") + waitpid, per iteration (the brief's baseline)
//   forkexec N exec   fork + execv("/bin/sleep","60") until the exec has succeeded (a
//                     close-on-exec pipe reaches EOF) — "the process is running", which is the
//                     point berth reports RUNNING; the child is then killed and reaped untimed.
// Prints one latency in nanoseconds per line.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: forkexec N wait|exec\n");
    return 2;
  }
  int n = atoi(argv[1]);
  int exec_mode = strcmp(argv[2], "exec") == 0;
  for (int i = 0; i < n; ++i) {
    int fds[2];
    if (exec_mode && pipe2(fds, O_CLOEXEC) != 0) return 1;
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      if (exec_mode) {
        char* args[] = {"/bin/sleep", "60", NULL};
        execv(args[0], args);
      } else {
        char* args[] = {"/bin/true", NULL};
        execv(args[0], args);
      }
      _exit(127);
    }
    int status;
    if (exec_mode) {
      close(fds[1]);
      char c;
      while (read(fds[0], &c, 1) > 0) {
      }
      long long t1 = now_ns();
      close(fds[0]);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      printf("%lld\n", t1 - t0);
    } else {
      waitpid(pid, &status, 0);
      printf("%lld\n", now_ns() - t0);
    }
  }
  return 0;
}
