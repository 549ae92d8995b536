// berth's pause container: holds a task's network namespace (awsvpc, bridge) for the task's
// Docker containers, which join it with NetworkMode "container:<pause>", as the ECS agent's
// pause container does. It sleeps until SIGTERM/SIGINT. Built static (it runs in an image that
// holds nothing else) and embedded in berth (pause_image.h).
#include <signal.h>
#include <unistd.h>

static void Done(int) { _exit(0); }

int main() {
  signal(SIGTERM, Done);
  signal(SIGINT, Done);
  for (;;) pause();
}
