#!/usr/bin/python3
"""(i) end-to-end: PutEvents -> rule -> API destination -> a local HTTP receiver, latency.

One `berth serve` (fresh data dir, so every PutEvents is journaled with fdatasync before it
answers) with a connection (API_KEY), an API destination http://127.0.0.1:PORT/hook, and a rule
{"source": ["bench.e2e"]} targeting it. The receiver is a separate process (a raw-socket
HTTP/1.1 server, keep-alive) that stamps each request with CLOCK_MONOTONIC when its body has
arrived. boto3 puts one ~1 KB event at a time; latency = receiver's stamp - the stamp taken just
before the put_events call; the bare PutEvents call (until boto3 returns) is timed beside it.
After each arrival the client waits 5 ms, above the destination's 300/s rate-limit spacing, so
the limiter never delays an event. Only 127.0.0.1 is used; both processes are stopped by PID.

Standalone: events_e2e.py --berth BIN [--n 300]   (prints JSON; needs Debian's python3-boto3)
"""
import argparse
import configparser
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

RECEIVER = r'''
import os, select, socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
sys.stdout.write("%d\n" % srv.getsockname()[1])
sys.stdout.flush()
poll = select.epoll()
poll.register(srv.fileno(), select.EPOLLIN)
conns, bufs = {}, {}
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
while True:
    for fd, ev in poll.poll():
        if fd == srv.fileno():
            c, _ = srv.accept()
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conns[c.fileno()] = c
            bufs[c.fileno()] = b""
            poll.register(c.fileno(), select.EPOLLIN)
            continue
        c = conns[fd]
        data = c.recv(65536)
        if not data:
            poll.unregister(fd)
            c.close()
            del conns[fd], bufs[fd]
            continue
        buf = bufs[fd] + data
        while True:
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                break
            length = 0
            for line in buf[:head_end].split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v.strip())
            if len(buf) < head_end + 4 + length:
                break
            t = time.monotonic_ns()
            body = buf[head_end + 4:head_end + 4 + length]
            buf = buf[head_end + 4 + length:]
            c.sendall(OK)
            sys.stdout.write("%d %s\n" % (t, body.decode("utf-8", "replace").replace("\n", " ")))
            sys.stdout.flush()
        bufs[fd] = buf
'''


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bench_e2e(berth, n=300, warmup=20):
    import boto3
    import botocore.config

    tmp = tempfile.mkdtemp(prefix="berth-bench-events-")
    procs = []
    try:
        receiver = subprocess.Popen([sys.executable, "-u", "-c", RECEIVER], stdout=subprocess.PIPE,
                                    start_new_session=True)
        procs.append(receiver)
        port = int(receiver.stdout.readline())
        log_path = os.path.join(tmp, "daemon.log")
        daemon = subprocess.Popen([berth, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp, "--driver", "process"],
                                  stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        procs.append(daemon)
        ep = os.path.join(tmp, "endpoint")
        deadline = time.time() + 20
        while not os.path.exists(ep):
            if daemon.poll() is not None or time.time() > deadline:
                raise RuntimeError("berth serve did not start; see " + log_path)
            time.sleep(0.02)
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(tmp, "credentials"))
        ev = boto3.client("events", endpoint_url=open(ep).read().strip(), region_name="us-east-1",
                          aws_access_key_id=cfg["berth"]["aws_access_key_id"],
                          aws_secret_access_key=cfg["berth"]["aws_secret_access_key"],
                          config=botocore.config.Config(retries={"max_attempts": 1}))
        conn = ev.create_connection(
            Name="bench", AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                      "ApiKeyValue": "bench-secret"}})
        dest = ev.create_api_destination(
            Name="bench", ConnectionArn=conn["ConnectionArn"],
            InvocationEndpoint=f"http://127.0.0.1:{port}/hook", HttpMethod="POST",
            InvocationRateLimitPerSecond=300)
        ev.put_rule(Name="bench-e2e", EventPattern=json.dumps({"source": ["bench.e2e"]}))
        ev.put_targets(Rule="bench-e2e", Targets=[{
            "Id": "hook", "Arn": dest["ApiDestinationArn"],
            "RoleArn": "arn:aws:iam::123456789012:role/bench"}])
        pad = "x" * 900
        put_ms, e2e_ms = [], []
        for i in range(warmup + n):
            detail = json.dumps({"seq": i, "service": "checkout", "status": "deployed", "pad": pad})
            t0 = time.monotonic_ns()
            r = ev.put_events(Entries=[{"Source": "bench.e2e", "DetailType": "Bench",
                                        "Detail": detail}])
            t1 = time.monotonic_ns()
            if r.get("FailedEntryCount"):
                raise RuntimeError(f"PutEvents failed: {r}")
            arrived = None
            deadline = time.time() + 10
            while arrived is None:
                ready, _, _ = select.select([receiver.stdout], [], [], 10)
                if not ready or time.time() > deadline:
                    raise RuntimeError(f"event {i} never reached the receiver; see {log_path}")
                line = receiver.stdout.readline().decode()
                stamp, _, body = line.partition(" ")
                if json.loads(body).get("detail", {}).get("seq") == i:
                    arrived = int(stamp)
            if i >= warmup:
                put_ms.append((t1 - t0) / 1e6)
                e2e_ms.append((arrived - t0) / 1e6)
            time.sleep(0.005)
        return {"n": n, "warmup": warmup, "detail_bytes": len(detail),
                "e2e_p50_ms": pct(e2e_ms, 50), "e2e_p99_ms": pct(e2e_ms, 99),
                "put_p50_ms": pct(put_ms, 50), "put_p99_ms": pct(put_ms, 99),
                "after_put_p50_ms": pct([a - b for a, b in zip(e2e_ms, put_ms)], 50),
                "e2e_max_ms": max(e2e_ms)}
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--n", type=int, default=300)
    a = ap.parse_args()
    print(json.dumps(bench_e2e(a.berth, a.n), indent=1))
