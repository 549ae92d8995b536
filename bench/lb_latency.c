/* lb_latency: sequential request latency over one keep-alive connection (benchmark g).
 * Sends `GET / HTTP/1.1` N times, one at a time, and times each full response (the fixed reply
 * of lb_target). Prints JSON: {"n":N,"p50_us":…,"p90_us":…,"p99_us":…,"mean_us":…}.
 * Usage: lb_latency PORT N [WARMUP] */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char kRequest[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
#define REPLY_BYTES 66 /* lb_target's fixed answer */

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int one_request(int fd) {
  if (write(fd, kRequest, sizeof(kRequest) - 1) != (ssize_t)(sizeof(kRequest) - 1)) return -1;
  char buf[4096];
  int got = 0;
  while (got < REPLY_BYTES) {
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r <= 0) return -1;
    got += (int)r;
  }
  return buf[9] == '2' ? 0 : -1; /* "HTTP/1.1 2xx" (the first read holds the status line) */
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lb_latency PORT N [WARMUP]\n");
    return 2;
  }
  int port = atoi(argv[1]), n = atoi(argv[2]), warm = argc > 3 ? atoi(argv[3]) : 200;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&sa, sizeof(sa)) != 0) {
    perror("lb_latency: connect");
    return 1;
  }
  for (int i = 0; i < warm; ++i) {
    if (one_request(fd) != 0) {
      fprintf(stderr, "lb_latency: warm-up request failed\n");
      return 1;
    }
  }
  double* t = malloc(sizeof(double) * (size_t)n);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    double t0 = now_us();
    if (one_request(fd) != 0) {
      fprintf(stderr, "lb_latency: request %d failed\n", i);
      return 1;
    }
    t[i] = now_us() - t0;
    sum += t[i];
  }
  qsort(t, (size_t)n, sizeof(double), cmp);
  printf("{\"n\":%d,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f}\n", n,
         t[n / 2], t[(int)(n * 0.9)], t[(int)(n * 0.99)], sum / n);
  close(fd);
  return 0;
}
