#!/usr/bin/python3
"""(j) The Docker driver: RunTask -> RUNNING for a one-container task from a local image, beside
`docker run -d` of the same image and command, measured in the same run against the same engine.

A private dockerd (tests/docker/dockerd.sh: temp data root, no iptables, no bridge; the image
berth-test/busybox:1 imported from Debian's busybox-static) and a berth daemon with
`--driver docker`. Task definition: one container, image berth-test/busybox:1, `sleep 3600`,
memory 16, networkMode host. berth: timed from just before RunTask until the first DescribeTasks
that shows RUNNING (boto3-style signed calls, polled back to back). Baseline: `docker run -d
--network host -m 16m berth-test/busybox:1 sleep 3600` timed until the command returns (the
container has started). Runs alternate; containers are stopped outside the timed parts.
Needs root and dockerd; otherwise the result is {"skipped": reason}.

Standalone: docker_bench.py --berth BIN [--n 30]   (prints JSON)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOCKERD = os.path.join(ROOT, "tests", "docker", "dockerd.sh")
IMAGE = "berth-test/busybox:1"


def pct(values, p):
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))]


def bench_docker(berth, n=30):
    import berth_bench  # Daemon, Client (same signing as the other benchmarks)
    docker_cli = shutil.which("docker")
    if os.geteuid() != 0 or not shutil.which("dockerd") or not docker_cli:
        return {"skipped": "needs root, dockerd and the docker CLI (apt-get install docker.io)"}
    ddir = tempfile.mkdtemp(prefix="berth-bench-dockerd-")
    os.rmdir(ddir)
    subprocess.run([DOCKERD, "start", ddir], check=True)
    d = None
    try:
        if os.path.exists(os.path.join(ddir, "unavailable")):
            return {"skipped": open(os.path.join(ddir, "unavailable")).read().strip()}
        docker_host = open(os.path.join(ddir, "docker_host")).read().strip()
        env = dict(os.environ, DOCKER_HOST=docker_host)
        old = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = docker_host  # the berth daemon inherits it
        try:
            d = berth_bench.Daemon(berth, "docker", driver="docker")
        finally:
            if old is None:
                del os.environ["DOCKER_HOST"]
            else:
                os.environ["DOCKER_HOST"] = old
        c = d.client()
        c.call("RegisterTaskDefinition", {
            "family": "bench-docker", "networkMode": "host",
            "containerDefinitions": [{"name": "c", "image": IMAGE, "memory": 16,
                                      "command": ["sleep", "3600"]}]})
        berth_ms, docker_ms, server_ms = [], [], []
        arns, cids = [], []
        for i in range(n + 2):  # the first of each is a warm-up
            t0 = time.perf_counter_ns()
            r = c.call("RunTask", {"taskDefinition": "bench-docker"})
            if r.get("failures"):
                raise RuntimeError(f"RunTask failed: {r['failures']}")
            arn = r["tasks"][0]["taskArn"]
            while True:
                t = c.call("DescribeTasks", {"tasks": [arn]})["tasks"][0]
                if t["lastStatus"] == "RUNNING":
                    t1 = time.perf_counter_ns()
                    break
                if t["lastStatus"] == "STOPPED" or time.perf_counter_ns() - t0 > 30e9:
                    raise RuntimeError(f"task did not reach RUNNING: {t}")
            arns.append(arn)
            t2 = time.perf_counter_ns()
            out = subprocess.run([docker_cli, "run", "-d", "--network", "host", "-m", "16m",
                                  IMAGE, "sleep", "3600"], env=env, check=True,
                                 capture_output=True, text=True)
            t3 = time.perf_counter_ns()
            cids.append(out.stdout.strip())
            if i >= 2:
                berth_ms.append((t1 - t0) / 1e6)
                docker_ms.append((t3 - t2) / 1e6)
                server_ms.append((t["startedAt"] - t["createdAt"]) * 1000.0)
            if len(arns) >= 10:  # stop outside the timed parts
                for a in arns:
                    c.call("StopTask", {"task": a, "reason": "bench"})
                subprocess.run([docker_cli, "rm", "-f"] + cids, env=env, capture_output=True)
                arns, cids = [], []
        for a in arns:
            c.call("StopTask", {"task": a, "reason": "bench"})
        if cids:
            subprocess.run([docker_cli, "rm", "-f"] + cids, env=env, capture_output=True)
        dv = subprocess.run([docker_cli, "version", "--format", "{{.Server.Version}}"], env=env,
                            capture_output=True, text=True).stdout.strip()
        b50, d50 = statistics.median(berth_ms), statistics.median(docker_ms)
        return {"n": n, "docker_version": dv,
                "berth_p50_ms": b50, "berth_p99_ms": pct(berth_ms, 99),
                "docker_p50_ms": d50, "docker_p99_ms": pct(docker_ms, 99),
                "server_p50_ms": statistics.median(server_ms),
                "ratio": b50 / d50}
    finally:
        if d:
            d.stop()
        subprocess.run([DOCKERD, "stop", ddir])


def render_j(m, j, run_line):
    title = "## (j) Docker driver: RunTask → RUNNING vs `docker run -d`\n"
    if "skipped" in j:
        return ([f"| (j) Docker driver RunTask → RUNNING | skipped: {j['skipped']} | | | ≤ 1.5× | |"],
                "\n".join([title, run_line(m), f"Skipped: {j['skipped']}.\n"]))
    ok = j["ratio"] <= 1.5
    rows = [f"| (j) RunTask → RUNNING, Docker driver, local image, p50 of {j['n']} | "
            f"{j['berth_p50_ms']:.1f} ms | `docker run -d` {j['docker_p50_ms']:.1f} ms | "
            f"{j['ratio']:.2f}× | ≤ 1.5× | {'**met**' if ok else '**NOT met**'} |"]
    L = [title, run_line(m)]
    L.append(f"Method: `bench/docker_bench.py` (`BENCH_ONLY=j bench/run`), Docker {j['docker_version']} "
             f"started privately by `tests/docker/dockerd.sh`. A one-container task "
             f"(berth-test/busybox:1, `sleep 3600`, memory 16, networkMode host) with "
             f"`berth serve --driver docker`, timed from just before RunTask until the first "
             f"DescribeTasks showing RUNNING; beside it, alternating, `docker run -d --network "
             f"host -m 16m berth-test/busybox:1 sleep 3600` timed until the CLI returns. "
             f"{j['n']} of each after a warm-up; containers removed outside the timed parts.\n")
    L.append("| | p50 | p99 |\n|---|---|---|")
    L.append(f"| berth RunTask → RUNNING (client) | {j['berth_p50_ms']:.1f} ms | {j['berth_p99_ms']:.1f} ms |")
    L.append(f"| berth `startedAt − createdAt` (server) | {j['server_p50_ms']:.1f} ms | |")
    L.append(f"| `docker run -d` | {j['docker_p50_ms']:.1f} ms | {j['docker_p99_ms']:.1f} ms |")
    L.append(f"\nRatio berth / `docker run -d` (p50): **{j['ratio']:.2f}×** (target ≤ 1.5×): "
             f"{'**met**' if ok else '**NOT met**'}.\n")
    return rows, "\n".join(L)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    print(json.dumps(bench_docker(args.berth, args.n), indent=1))
