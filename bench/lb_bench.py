#!/usr/bin/python3
"""(g) ELBv2 listener overhead: throughput and latency through a berth listener vs straight to
the same target, in the same run.

The target is bench/lb_target.c (epoll, fixed 200 "ok", keep-alive) — fast enough that the
numbers measure the proxy, not the target. Throughput: wrk with N keep-alive connections for
S seconds, direct, through a default listener (kernel forwarding as root) and through a
`--lb-forwarding proxy` listener in turn, R rounds, median. Latency:
bench/lb_latency.c sends sequential requests over one keep-alive connection and times each;
p50/p99, direct and through the listener alternately, median of R rounds.

Targets of the work (DESIGN/brief): throughput ≥ 80% of direct, added p50 latency ≤ 0.2 ms.
Only 127.0.0.1 is used; every process started here is stopped by its PID.

Standalone: lb_bench.py --berth BIN --target BIN --latency BIN  (prints JSON)
berth_bench.py runs it as letter g (bench/run builds the two C programs).
"""
import argparse
import configparser
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

import boto3
import botocore.config


def log(msg):
    print(f"[bench] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def wrk(port, seconds, conns, pid=None):
    c0 = cpu_seconds(pid) if pid else 0
    t0 = time.time()
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
                          f"http://127.0.0.1:{port}/"], check=True, capture_output=True,
                         text=True).stdout
    wall = time.time() - t0
    res = {"cpu_pct": 100.0 * (cpu_seconds(pid) - c0) / wall if pid else None}
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("Requests/sec:"):
            res["rps"] = float(s.split()[1])
        elif s.startswith("Non-2xx or 3xx responses:"):
            res["non2xx"] = int(s.split(":")[1])
        elif s.startswith("Socket errors"):
            res["socket_errors"] = s
    res.setdefault("non2xx", 0)
    if "rps" not in res:
        raise RuntimeError("wrk printed no Requests/sec:\n" + out)
    return res


def latency(latency_bin, port, n):
    out = subprocess.run([latency_bin, str(port), str(n), "500"], check=True,
                         capture_output=True, text=True, timeout=300).stdout
    return json.loads(out)


def start_listener(berth, tmp, tport, extra_args):
    """A berth daemon (data dir tmp) with one HTTP listener forwarding to 127.0.0.1:tport once
    it is healthy. Returns (daemon Popen, listener port, forwarding mode: kernel or proxy)."""
    os.makedirs(tmp, exist_ok=True)
    log_path = os.path.join(tmp, "daemon.log")
    logf = open(log_path, "wb")
    daemon = subprocess.Popen([berth, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp, "--driver", "process"]
                              + list(extra_args),
                              stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    ep = os.path.join(tmp, "endpoint")
    deadline = time.time() + 20
    while not os.path.exists(ep):
        if daemon.poll() is not None or time.time() > deadline:
            raise RuntimeError("berth serve did not start; see " + log_path)
        time.sleep(0.02)
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(tmp, "credentials"))
    elb = boto3.client("elbv2", endpoint_url=open(ep).read().strip(), region_name="us-east-1",
                       aws_access_key_id=cfg["berth"]["aws_access_key_id"],
                       aws_secret_access_key=cfg["berth"]["aws_secret_access_key"],
                       config=botocore.config.Config(retries={"max_attempts": 1}))
    lb = elb.create_load_balancer(Name="bench")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(
        Name="bench", Protocol="HTTP", Port=tport, TargetType="ip",
        HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
        UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    lport = free_port()
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=lport,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": tport}])
    deadline = time.time() + 30
    while True:
        h = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        if h and h[0]["TargetHealth"]["State"] == "healthy":
            break
        if time.time() > deadline:
            raise RuntimeError(f"target never became healthy: {h}")
        time.sleep(0.2)
    time.sleep(0.2)  # the kernel rule follows the verdict on the lb thread
    with open(log_path, errors="replace") as f:
        mode = "kernel" if "forward local connections in the kernel" in f.read() else "proxy"
    return daemon, lport, mode


def bench_lb(berth, target_bin, latency_bin, seconds=5, conns=16, rounds=3, lat_n=5000):
    """Direct vs through a listener of a default daemon (kernel forwarding when it runs as
    root) vs through a listener of a `--lb-forwarding proxy` daemon, alternately."""
    tmp = tempfile.mkdtemp(prefix="berth-bench-lb-")
    procs = []
    try:
        tport = free_port()
        target = subprocess.Popen([target_bin, str(tport)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(target)
        wait_port(tport)
        daemon, lport, mode = start_listener(berth, os.path.join(tmp, "default"), tport, ())
        procs.append(daemon)
        pdaemon, pport, _ = start_listener(berth, os.path.join(tmp, "proxy"), tport,
                                           ("--lb-forwarding", "proxy"))
        procs.append(pdaemon)
        res = {"seconds": seconds, "connections": conns, "rounds": rounds, "latency_n": lat_n,
               "mode": mode, "direct": [], "lb": [], "proxy": [], "lat_direct": [],
               "lat_lb": [], "lat_proxy": []}
        for port in (tport, lport, pport):
            wrk(port, 1, conns)  # warm-up
        for r in range(rounds):
            res["direct"].append(wrk(tport, seconds, conns))
            res["lb"].append(wrk(lport, seconds, conns, pid=daemon.pid))
            res["proxy"].append(wrk(pport, seconds, conns, pid=pdaemon.pid))
            res["lat_direct"].append(latency(latency_bin, tport, lat_n))
            res["lat_lb"].append(latency(latency_bin, lport, lat_n))
            res["lat_proxy"].append(latency(latency_bin, pport, lat_n))
            log(f"(g) round {r + 1}: direct {res['direct'][-1]['rps']:.0f} req/s, "
                f"listener ({mode}) {res['lb'][-1]['rps']:.0f} req/s, "
                f"listener (proxy) {res['proxy'][-1]['rps']:.0f} req/s; p50 direct "
                f"{res['lat_direct'][-1]['p50_us']} us, {mode} {res['lat_lb'][-1]['p50_us']} us, "
                f"proxy {res['lat_proxy'][-1]['p50_us']} us")
        med = statistics.median
        res["rps_direct"] = med(x["rps"] for x in res["direct"])
        for key in ("lb", "proxy"):
            res[f"rps_{key}"] = med(x["rps"] for x in res[key])
            res[f"{key}_cpu_pct"] = med(x["cpu_pct"] for x in res[key])
            for k in ("p50_us", "p99_us"):
                res[f"{k}_{key}"] = med(x[k] for x in res[f"lat_{key}"])
        for k in ("p50_us", "p99_us"):
            res[f"{k}_direct"] = med(x[k] for x in res["lat_direct"])
        res["ratio"] = res["rps_lb"] / res["rps_direct"]
        res["ratio_proxy"] = res["rps_proxy"] / res["rps_direct"]
        res["added_p50_us"] = res["p50_us_lb"] - res["p50_us_direct"]
        res["added_p99_us"] = res["p99_us_lb"] - res["p99_us_direct"]
        res["added_p50_us_proxy"] = res["p50_us_proxy"] - res["p50_us_direct"]
        res["added_p99_us_proxy"] = res["p99_us_proxy"] - res["p99_us_direct"]
        res["errors"] = sum(x["non2xx"] for x in res["direct"] + res["lb"] + res["proxy"])
        return res
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


def met(ok):
    return "**met**" if ok else "**NOT met**"


def render_g(m, g, run_line):
    mode = g.get("mode", "proxy")
    ok_rps = g["ratio"] >= 0.8
    ok_lat = g["added_p50_us"] <= 200
    rows = [
        f"| (g) ELBv2 listener throughput ({mode} forwarding), {g['connections']} keep-alive "
        f"connections | {g['rps_lb']:,.0f} req/s | direct to the target: "
        f"{g['rps_direct']:,.0f} req/s | {g['ratio'] * 100:.0f}% | ≥ 80% | {met(ok_rps)} |",
        f"| (g) ELBv2 listener added p50 latency ({mode} forwarding, sequential requests) | "
        f"{g['p50_us_lb']:.0f} µs | direct: {g['p50_us_direct']:.0f} µs | "
        f"{g['added_p50_us']:+.0f} µs | ≤ +200 µs | {met(ok_lat)} |",
        f"| (g) the same through the user-space proxy (`--lb-forwarding proxy`, non-root) | "
        f"{g['rps_proxy']:,.0f} req/s, p50 {g['p50_us_proxy']:.0f} µs | "
        f"{g['rps_direct']:,.0f} req/s, p50 {g['p50_us_direct']:.0f} µs | "
        f"{g['ratio_proxy'] * 100:.0f}%, {g['added_p50_us_proxy']:+.0f} µs | — | |"]
    L = ["## (g) Load balancer listener overhead\n", run_line(m)]
    L.append(f"Method: `bench/lb_bench.py`. Two berth daemons, each with an application load "
             f"balancer, an HTTP target group (health checks every 5 s) and an HTTP listener on "
             f"127.0.0.1 forwarding to the same registered target, `bench/lb_target.c` "
             f"(single-threaded epoll server, fixed 66-byte 200 answer, keep-alive): one with "
             f"the default forwarding (here: **{mode}** — nftables DNAT when berth runs as "
             f"root), one with `--lb-forwarding proxy` (the user-space proxy every non-root "
             f"daemon uses). Throughput: `wrk -t1 -c{g['connections']} -d{g['seconds']}s`, to "
             f"the target directly, through the default listener and through the proxy "
             f"listener in turn, {g['rounds']} rounds, median. Latency: `bench/lb_latency.c` — "
             f"{g['latency_n']:,} sequential GETs over one keep-alive connection (after 500 "
             f"warm-up requests), each timed with CLOCK_MONOTONIC; median of the rounds' p50 "
             f"and p99. Non-2xx answers: {g['errors']}.\n")
    L.append(f"| | direct | listener ({mode}) | ratio / added | listener (proxy) | "
             f"ratio / added |\n|---|---|---|---|---|---|")
    L.append(f"| requests/s | {g['rps_direct']:,.0f} | {g['rps_lb']:,.0f} | "
             f"{g['ratio'] * 100:.0f}% | {g['rps_proxy']:,.0f} | {g['ratio_proxy'] * 100:.0f}% |")
    L.append(f"| p50 latency | {g['p50_us_direct']:.1f} µs | {g['p50_us_lb']:.1f} µs | "
             f"{g['added_p50_us']:+.1f} µs | {g['p50_us_proxy']:.1f} µs | "
             f"{g['added_p50_us_proxy']:+.1f} µs |")
    L.append(f"| p99 latency | {g['p99_us_direct']:.1f} µs | {g['p99_us_lb']:.1f} µs | "
             f"{g['added_p99_us']:+.1f} µs | {g['p99_us_proxy']:.1f} µs | "
             f"{g['added_p99_us_proxy']:+.1f} µs |")
    L.append(f"| berth daemon CPU during the listener runs | | {g['lb_cpu_pct']:.0f}% of one core"
             f" | | {g['proxy_cpu_pct']:.0f}% of one core | |")
    L.append("")
    L.append(f"Per round (req/s direct / {mode} / proxy): " + ", ".join(
        f"{d['rps']:,.0f} / {l['rps']:,.0f} / {p['rps']:,.0f}"
        for d, l, p in zip(g["direct"], g["lb"], g["proxy"])) + ".\n")
    L.append(f"Throughput ratio **{g['ratio'] * 100:.0f}%** (target ≥ 80%): {met(ok_rps)}. "
             f"Added p50 latency **{g['added_p50_us']:+.0f} µs** (target ≤ 200 µs): "
             f"{met(ok_lat)}.\n")
    return rows, "\n".join(L)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--latency", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--latency-n", type=int, default=5000)
    a = ap.parse_args()
    r = bench_lb(a.berth, a.target, a.latency, a.seconds, a.connections, a.rounds, a.latency_n)
    print(json.dumps({k: v for k, v in r.items() if not isinstance(v, list)}, indent=1))
