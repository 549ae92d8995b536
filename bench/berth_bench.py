#!/usr/bin/python3
"""berth benchmarks (run by bench/run; needs Debian's python3-boto3 and wrk).

  (a) RunTask -> RUNNING latency vs a bare fork+exec of /bin/true (bench/forkexec.c)
  (b) DescribeTasks (10 tasks) req/s with 16 keep-alive connections (wrk) vs moto_server
  (c) daemon RSS with 1,000 stored tasks vs the idle daemon

Every process started here is stopped by its PID. Only 127.0.0.1 is used. Results go to
bench/out/results.json and docs/benchmarks.md (with bench/notes.md appended).
"""
import argparse
import configparser
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
TARGET = "AmazonEC2ContainerServiceV20141113."
# The pyenv python has moto; it is used ONLY to run moto_server as the baseline peer.
MOTO_PYTHON = os.environ.get("MOTO_PYTHON", "/root/.pyenv/shims/python3")


def log(msg):
    print(f"[bench] {msg}", flush=True)


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


def cpu_seconds(pid):
    """utime+stime of pid and its (reaped) children, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Proc:
    """A child process we started; stopped by PID only."""

    def __init__(self, argv, logfile, env=None):
        self.log = open(logfile, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
        self.pid = self.p.pid

    def stop(self, timeout=40):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


class Daemon:
    def __init__(self, binary, name):
        self.dir = tempfile.mkdtemp(prefix=f"berth-bench-{name}-")
        self.proc = Proc([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.dir],
                         os.path.join(self.dir, "daemon.log"))
        deadline = time.time() + 20
        ep = os.path.join(self.dir, "endpoint")
        while not os.path.exists(ep):
            if self.proc.p.poll() is not None or time.time() > deadline:
                raise RuntimeError("berth serve did not start; see " + self.dir + "/daemon.log")
            time.sleep(0.01)
        self.endpoint = open(ep).read().strip()
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(self.dir, "credentials"))
        self.key = cfg["berth"]["aws_access_key_id"]
        self.secret = cfg["berth"]["aws_secret_access_key"]
        self.pid = self.proc.pid

    def client(self):
        return Client(self.endpoint, self.key, self.secret)

    def stop(self):
        self.proc.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """A keep-alive awsJson1.1 client that signs each request with botocore's SigV4."""

    def __init__(self, endpoint, key, secret, region="us-east-1"):
        self.endpoint = endpoint
        u = endpoint.split("://", 1)[1]
        host, port = u.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                                              "ecs", region)

    def sign(self, op, body):
        data = json.dumps(body).encode()
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=self.endpoint + "/", data=data,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + op})
        self.signer.add_auth(req)
        headers = dict(req.headers.items())
        headers["Host"] = self.endpoint.split("://", 1)[1]
        return headers, data

    def call(self, op, body, ok=True):
        headers, data = self.sign(op, body)
        self.conn.request("POST", "/", body=data, headers=headers)
        resp = self.conn.getresponse()
        out = json.loads(resp.read() or b"{}")
        if ok and resp.status != 200:
            raise RuntimeError(f"{op} -> {resp.status}: {out}")
        return out


def register(c, family, command):
    c.call("RegisterTaskDefinition", {
        "family": family,
        "containerDefinitions": [{"name": "c", "image": "busybox", "memory": 16,
                                  "command": command}]})


def wait_stopped(c, arns, timeout=60):
    deadline = time.time() + timeout
    pending = list(arns)
    while pending:
        if time.time() > deadline:
            raise RuntimeError(f"{len(pending)} tasks did not stop")
        still = []
        for i in range(0, len(pending), 100):
            d = c.call("DescribeTasks", {"tasks": pending[i:i + 100]})
            still += [t["taskArn"] for t in d["tasks"] if t["lastStatus"] != "STOPPED"]
        pending = still
        if pending:
            time.sleep(0.02)


# ---------------------------------------------------------------------------------------------
def bench_runtask(binary, forkexec, n):
    d = Daemon(binary, "runtask")
    try:
        c = d.client()
        register(c, "bench-sleep", ["sleep", "60"])
        # Round trip of a cheap signed call, to explain the client-observed number.
        rtt = []
        for _ in range(200):
            t0 = time.perf_counter_ns()
            c.call("ListClusters", {})
            rtt.append(time.perf_counter_ns() - t0)
        client_ns, server_ms, polls, running = [], [], [], []
        for i in range(n):
            t0 = time.perf_counter_ns()
            r = c.call("RunTask", {"taskDefinition": "bench-sleep"})
            if r.get("failures"):
                raise RuntimeError(f"RunTask failed: {r['failures']}")
            arn = r["tasks"][0]["taskArn"]
            k = 0
            while True:
                t = c.call("DescribeTasks", {"tasks": [arn]})["tasks"][0]
                k += 1
                if t["lastStatus"] == "RUNNING":
                    t1 = time.perf_counter_ns()
                    break
                if t["lastStatus"] == "STOPPED" or time.perf_counter_ns() - t0 > 10e9:
                    raise RuntimeError(f"task {arn} did not reach RUNNING: {t}")
            client_ns.append(t1 - t0)
            server_ms.append((t["startedAt"] - t["createdAt"]) * 1000.0)
            polls.append(k)
            running.append(arn)
            if len(running) >= 25:  # never more than ~50 running; stop outside the timed part
                for a in running:
                    c.call("StopTask", {"task": a, "reason": "bench"})
                wait_stopped(c, running)
                running = []
        for a in running:
            c.call("StopTask", {"task": a, "reason": "bench"})
        wait_stopped(c, running)
        daemon_rss = rss_kib(d.pid)
    finally:
        d.stop()

    def run_fe(mode):
        out = subprocess.run([forkexec, str(n), mode], check=True, capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]

    fe_wait = run_fe("wait")
    fe_exec = run_fe("exec")
    ms = lambda v: v / 1e6  # noqa: E731
    res = {
        "n": n,
        "client_p50_ms": ms(pct(client_ns, 50)), "client_p99_ms": ms(pct(client_ns, 99)),
        "server_p50_ms": pct(server_ms, 50), "server_p99_ms": pct(server_ms, 99),
        "polls_p50": pct(polls, 50), "polls_p99": pct(polls, 99),
        "call_rtt_p50_ms": ms(pct(rtt, 50)), "call_rtt_p99_ms": ms(pct(rtt, 99)),
        "forkexec_wait_p50_ms": ms(pct(fe_wait, 50)), "forkexec_wait_p99_ms": ms(pct(fe_wait, 99)),
        "forkexec_exec_p50_ms": ms(pct(fe_exec, 50)), "forkexec_exec_p99_ms": ms(pct(fe_exec, 99)),
        "daemon_rss_kib_after": daemon_rss.get("VmRSS"),
    }
    res["ratio_client_p50"] = res["client_p50_ms"] / res["forkexec_wait_p50_ms"]
    res["ratio_server_p50"] = res["server_p50_ms"] / res["forkexec_wait_p50_ms"]
    return res


# ---------------------------------------------------------------------------------------------
def wrk_script(path, host, headers, body):
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}")
    lines.append(f'wrk.headers["Host"] = {json.dumps(host)}')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_wrk(url, script, seconds, conns, threads, pid):
    c0 = cpu_seconds(pid)
    t0 = time.time()
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency",
                          "-s", script, url], check=True, capture_output=True, text=True).stdout
    wall = time.time() - t0
    cpu = cpu_seconds(pid) - c0
    res = {"raw": out, "server_cpu_pct": 100.0 * cpu / wall}
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("Requests/sec:"):
            res["rps"] = float(s.split()[1])
        elif s.startswith("Non-2xx or 3xx responses:"):
            res["non2xx"] = int(s.split(":")[1])
        elif s.startswith("50%"):
            res["lat_p50"] = s.split()[1]
        elif s.startswith("99%"):
            res["lat_p99"] = s.split()[1]
        elif "requests in" in s:
            res["requests"] = int(s.split()[0])
        elif s.startswith("Socket errors"):
            res["socket_errors"] = s
    res.setdefault("non2xx", 0)
    return res


def check_once(endpoint, headers, body, want_tasks):
    host, port = endpoint.split("://", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/", body=body, headers=headers)
    r = conn.getresponse()
    data = json.loads(r.read())
    conn.close()
    if r.status != 200 or len(data.get("tasks", [])) != want_tasks:
        raise RuntimeError(f"DescribeTasks check failed: {r.status} {str(data)[:300]}")


def bench_describe(binary, seconds, conns, threads):
    res = {"seconds": seconds, "connections": conns, "wrk_threads": threads}
    # berth
    d = Daemon(binary, "describe")
    try:
        c = d.client()
        register(c, "bench-sleep", ["sleep", "600"])
        arns = [t["taskArn"] for t in
                c.call("RunTask", {"taskDefinition": "bench-sleep", "count": 10})["tasks"]]
        time.sleep(0.3)
        headers, body = c.sign("DescribeTasks", {"cluster": "default", "tasks": arns})
        check_once(d.endpoint, headers, body, 10)
        res["body_bytes"] = len(body)
        script = os.path.join(OUT, "describe-berth.lua")
        wrk_script(script, d.endpoint.split("://")[1], headers, body)
        run_wrk(d.endpoint + "/", script, 2, conns, threads, d.pid)  # warm-up
        res["berth"] = run_wrk(d.endpoint + "/", script, seconds, conns, threads, d.pid)
        res["berth_rss_kib"] = rss_kib(d.pid).get("VmRSS")
        for a in arns:
            c.call("StopTask", {"task": a})
    finally:
        d.stop()
    # moto
    port = free_port()
    mdir = tempfile.mkdtemp(prefix="berth-bench-moto-")
    moto = Proc([MOTO_PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                os.path.join(mdir, "moto.log"))
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if moto.p.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto_server did not start: " + open(moto.log.name).read())
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        import boto3  # Debian's python3-boto3; only for setting up the moto peer
        kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        subnet = boto3.client("ec2", **kw).describe_subnets()["Subnets"][0]["SubnetId"]
        ecs = boto3.client("ecs", **kw)
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(
            family="bench-sleep", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
            cpu="256", memory="512",
            containerDefinitions=[{"name": "c", "image": "busybox", "memory": 16,
                                   "command": ["sleep", "600"]}])
        r = ecs.run_task(
            cluster="default", taskDefinition="bench-sleep", count=10, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet],
                                                          "securityGroups": []}})
        c = Client(endpoint, "testing", "testing")
        arns = [t["taskArn"] for t in r["tasks"]]
        headers, body = c.sign("DescribeTasks", {"cluster": "default", "tasks": arns})
        check_once(endpoint, headers, body, 10)
        res["moto_body_bytes"] = len(body)
        script = os.path.join(OUT, "describe-moto.lua")
        wrk_script(script, f"127.0.0.1:{port}", headers, body)
        run_wrk(endpoint + "/", script, 2, conns, threads, moto.pid)  # warm-up
        res["moto"] = run_wrk(endpoint + "/", script, seconds, conns, threads, moto.pid)
        res["moto_version"] = subprocess.run(
            [MOTO_PYTHON, "-c", "import moto; print(moto.__version__)"],
            capture_output=True, text=True).stdout.strip()
    finally:
        moto.stop()
        shutil.rmtree(mdir, ignore_errors=True)
    res["ratio"] = res["berth"]["rps"] / res["moto"]["rps"]
    return res


# ---------------------------------------------------------------------------------------------
def bench_rss(binary, n_tasks, mode):
    d = Daemon(binary, "rss")
    try:
        c = d.client()
        c.call("ListClusters", {})
        time.sleep(1.0)
        idle = rss_kib(d.pid)
        arns = []
        if mode == "true":  # containers that exit at once
            register(c, "bench-true", ["true"])
            for _ in range(n_tasks // 10):
                r = c.call("RunTask", {"taskDefinition": "bench-true", "count": 10})
                if r.get("failures"):
                    raise RuntimeError(f"RunTask failed: {r['failures']}")
                arns += [t["taskArn"] for t in r["tasks"]]
        else:  # "stop": run `sleep 60` containers 10 at a time and stop them (StopTask)
            register(c, "bench-sleep", ["sleep", "60"])
            for _ in range(n_tasks // 10):
                r = c.call("RunTask", {"taskDefinition": "bench-sleep", "count": 10})
                if r.get("failures"):
                    raise RuntimeError(f"RunTask failed: {r['failures']}")
                batch = [t["taskArn"] for t in r["tasks"]]
                for a in batch:
                    c.call("StopTask", {"task": a, "reason": "bench"})
                arns += batch
                if len(arns) % 50 == 0:
                    wait_stopped(c, arns[-50:])
        wait_stopped(c, arns, timeout=300)
        # Count what the daemon stores.
        stored, token = 0, None
        while True:
            body = {"desiredStatus": "STOPPED", "maxResults": 100}
            if token:
                body["nextToken"] = token
            r = c.call("ListTasks", body)
            stored += len(r["taskArns"])
            token = r.get("nextToken")
            if not token:
                break
        time.sleep(1.0)
        loaded = rss_kib(d.pid)
        db = sum(os.path.getsize(os.path.join(d.dir, f)) for f in os.listdir(d.dir)
                 if f.startswith("state.db"))
        res = {"tasks": n_tasks, "mode": mode, "stored": stored, "idle": idle, "loaded": loaded,
               "state_db_bytes": db}
        res["ratio"] = loaded["VmRSS"] / idle["VmRSS"]
    finally:
        d.stop()
    return res


# ---------------------------------------------------------------------------------------------
def machine(binary, build_desc):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = open("/proc/meminfo").readline().split()[1]
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": rev + (" (+ uncommitted changes in src/)" if dirty else ""),
        "binary": os.path.relpath(binary, ROOT), "build": build_desc,
        "python": sys.version.split()[0],
        "wrk": (wrk_v.stdout + wrk_v.stderr).split("\n")[0].strip(),
        "loadavg": open("/proc/loadavg").read().split()[0],
    }


def met(ok):
    return "**met**" if ok else "**NOT met**"


def write_doc(m, a, b, c, path):
    L = []
    L.append("# berth benchmarks\n")
    L.append("Generated by `bench/run` (`make bench`); the raw numbers of the last run are in "
             "`bench/out/results.json` (not committed). Every number is compared with a baseline "
             "measured in the same run, because these machines are noisy: read the ratios, not "
             "the absolute values.\n")
    L.append("## Machine\n")
    L.append(f"| | |\n|---|---|\n| date | {m['date']} |\n| CPUs (nproc) | {m['nproc']} |\n"
             f"| CPU model | {m['cpu']} |\n| kernel | {m['kernel']} |\n| memory | {m['mem_gib']} GiB |\n"
             f"| berth | `{m['binary']}` ({m['build']}), commit {m['commit']} |\n"
             f"| 1-min load average at start | {m['loadavg']} (other builds may share the machine) |\n"
             f"| load tools | Python {m['python']} + botocore SigV4 (a, c); {m['wrk']} (b) |\n")
    L.append("## Summary\n")
    L.append("| benchmark | berth | baseline (same run) | ratio | target | |\n|---|---|---|---|---|---|")
    L.append(f"| (a) RunTask → RUNNING, p50, client-observed | {a['client_p50_ms']:.2f} ms | "
             f"fork+exec+wait `/bin/true`: {a['forkexec_wait_p50_ms']:.2f} ms | "
             f"{a['ratio_client_p50']:.1f}× | ≤ 5× | {met(a['ratio_client_p50'] <= 5)} |")
    L.append(f"| (a) RunTask → RUNNING, p50, server-side `startedAt − createdAt` | "
             f"{a['server_p50_ms']:.2f} ms | (same) | {a['ratio_server_p50']:.1f}× | — | |")
    L.append(f"| (b) DescribeTasks (10 tasks), 16 keep-alive connections | "
             f"{b['berth']['rps']:,.0f} req/s | moto_server {b['moto_version']}: "
             f"{b['moto']['rps']:,.0f} req/s | {b['ratio']:.0f}× | ≥ 50× | {met(b['ratio'] >= 50)} |")
    L.append(f"| (c) daemon RSS with {c['stored']:,} stored tasks | "
             f"{c['loaded']['VmRSS'] / 1024:.1f} MiB | idle daemon: {c['idle']['VmRSS'] / 1024:.1f} MiB | "
             f"{c['ratio']:.2f}× | < 30 MB | {met(c['loaded']['VmRSS'] * 1024 < 30e6)} |")
    L.append("")
    L.append("## (a) RunTask → RUNNING\n")
    L.append(f"Method: one `berth serve --listen 127.0.0.1:0` with a fresh data dir; task definition "
             f"`{{\"name\":\"c\",\"image\":\"busybox\",\"memory\":16,\"command\":[\"sleep\",\"60\"]}}` "
             f"(ProcessDriver: a host `sleep 60`). {a['n']} tasks are run one at a time from one "
             f"keep-alive Python client that signs every request with botocore. Client-observed = "
             f"from just before sending RunTask until the first DescribeTasks response that shows "
             f"`lastStatus` RUNNING (polled back to back, no sleep). Server-side = the task's "
             f"`startedAt − createdAt` (millisecond timestamps). After every 25 tasks they are "
             f"stopped (StopTask, then waited for STOPPED) outside the timed part, so at most 25 run "
             f"at once. Baseline: `bench/forkexec.c`, the same number of iterations of "
             f"fork + `execv(\"/bin/true\")` + `waitpid`, and of fork + `execv(\"/bin/sleep\")` "
             f"timed until the exec has succeeded (close-on-exec pipe reaches EOF).\n")
    L.append("| | p50 | p99 |\n|---|---|---|")
    L.append(f"| berth, client-observed RunTask → RUNNING | {a['client_p50_ms']:.2f} ms | {a['client_p99_ms']:.2f} ms |")
    L.append(f"| berth, server-side startedAt − createdAt | {a['server_p50_ms']:.2f} ms | {a['server_p99_ms']:.2f} ms |")
    L.append(f"| DescribeTasks polls per task (incl. the one that saw RUNNING) | {a['polls_p50']} | {a['polls_p99']} |")
    L.append(f"| one signed API round trip (ListClusters), same client | {a['call_rtt_p50_ms']:.2f} ms | {a['call_rtt_p99_ms']:.2f} ms |")
    L.append(f"| baseline: fork + exec `/bin/true` + wait | {a['forkexec_wait_p50_ms']:.2f} ms | {a['forkexec_wait_p99_ms']:.2f} ms |")
    L.append(f"| baseline: fork + exec `/bin/sleep` until exec succeeded | {a['forkexec_exec_p50_ms']:.2f} ms | {a['forkexec_exec_p99_ms']:.2f} ms |")
    L.append("")
    L.append(f"Ratio (p50, client-observed / fork+exec+wait): **{a['ratio_client_p50']:.1f}×** "
             f"(target ≤ 5×: {met(a['ratio_client_p50'] <= 5)}); server-side / fork+exec+wait: "
             f"{a['ratio_server_p50']:.1f}×; client-observed / fork+exec-until-exec: "
             f"{a['client_p50_ms'] / a['forkexec_exec_p50_ms']:.1f}×.\n")
    bb, mm = b["berth"], b["moto"]
    L.append("## (b) DescribeTasks throughput\n")
    L.append(f"Method: `wrk -t{b['wrk_threads']} -c{b['connections']} -d{b['seconds']}s` (after a 2 s "
             f"warm-up) replaying one pre-signed `DescribeTasks` request for 10 task ARNs "
             f"(`{b['body_bytes']}`-byte body; SigV4 signatures stay valid for 15 minutes, so one "
             f"signature serves the whole run; berth still verifies every request). berth has 10 "
             f"running tasks (`sleep 600`). Baseline: `moto_server` {b['moto_version']} "
             f"(`python3 -m moto.server`, werkzeug) on 127.0.0.1 with a FARGATE task definition and "
             f"`RunTask` launchType FARGATE count 10, replaying the same request shape. Both "
             f"servers' answers are checked once (HTTP 200, 10 tasks) before the load, and wrk "
             f"counts non-2xx answers. The machine has {m['nproc']} CPUs shared by wrk (2 threads, "
             f"C, epoll) and the server; server CPU is the server process's utime+stime over the "
             f"run — berth runs its API on one control thread, so ~100% means berth, not wrk, is "
             f"the limit.\n")
    L.append("| | req/s | latency p50 | latency p99 | non-2xx | server CPU |\n|---|---|---|---|---|---|")
    L.append(f"| berth | {bb['rps']:,.0f} | {bb.get('lat_p50', '?')} | {bb.get('lat_p99', '?')} | "
             f"{bb['non2xx']} | {bb['server_cpu_pct']:.0f}% |")
    L.append(f"| moto_server | {mm['rps']:,.0f} | {mm.get('lat_p50', '?')} | {mm.get('lat_p99', '?')} | "
             f"{mm['non2xx']} | {mm['server_cpu_pct']:.0f}% |")
    L.append("")
    L.append(f"Ratio berth / moto: **{b['ratio']:.0f}×** (target ≥ 50×: {met(b['ratio'] >= 50)}).\n")
    L.append("## (c) Daemon memory\n")
    how = ("tasks with one container `{\"command\":[\"true\"]}` are run (RunTask count 10, "
           "100 times); each exits at once" if c.get("mode") == "true" else
           "tasks with one container `{\"command\":[\"sleep\",\"60\"]}` are run 10 at a time "
           "(RunTask count 10) and stopped at once with StopTask (at most ~50 alive); each")
    L.append(f"Method: a fresh daemon; idle RSS read from `/proc/PID/status` (VmRSS) one second "
             f"after its first answered request. Then {c['tasks']:,} {how} "
             f"stays stored as STOPPED (retention 1 h). After every task is STOPPED "
             f"(ListTasks desiredStatus=STOPPED counts {c['stored']:,}) and one second of quiet, "
             f"VmRSS is read again. `state.db*` on disk: {c['state_db_bytes'] / 1024:.0f} KiB.\n")
    L.append("| | VmRSS | VmHWM (peak) | RssAnon | RssFile |\n|---|---|---|---|---|")
    for name, r in (("idle daemon (baseline)", c["idle"]), (f"{c['stored']:,} stored tasks", c["loaded"])):
        L.append(f"| {name} | {r['VmRSS'] / 1024:.1f} MiB | {r['VmHWM'] / 1024:.1f} MiB | "
                 f"{r['RssAnon'] / 1024:.1f} MiB | {r['RssFile'] / 1024:.1f} MiB |")
    L.append("")
    L.append(f"Ratio loaded / idle: **{c['ratio']:.2f}×**; target < 30 MB: "
             f"{met(c['loaded']['VmRSS'] * 1024 < 30e6)}.\n")
    notes = os.path.join(ROOT, "bench", "notes.md")
    if os.path.exists(notes):
        L.append(open(notes).read().rstrip() + "\n")
    with open(path, "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--forkexec", required=True)
    ap.add_argument("--build-desc", default="")
    ap.add_argument("--runtask-n", type=int, default=300)
    ap.add_argument("--describe-seconds", type=int, default=10)
    ap.add_argument("--rss-tasks", type=int, default=1000)
    ap.add_argument("--rss-mode", default="stop", choices=["stop", "true"])
    ap.add_argument("--only", default="abc")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results_path = os.path.join(OUT, "results.json")
    results = {}
    if os.path.exists(results_path) and args.only != "abc":
        results = json.load(open(results_path))
    if args.only or "machine" not in results:  # --only "": just re-render the stored results
        results["machine"] = machine(args.berth, args.build_desc)
    if "a" in args.only:
        log(f"(a) RunTask -> RUNNING, {args.runtask_n} tasks")
        results["a"] = bench_runtask(args.berth, args.forkexec, args.runtask_n)
        log(json.dumps(results["a"]))
    if "b" in args.only:
        log(f"(b) DescribeTasks throughput, {args.describe_seconds}s each for berth and moto")
        results["b"] = bench_describe(args.berth, args.describe_seconds, 16, 2)
        log(json.dumps({k: (v if not isinstance(v, dict) else {kk: vv for kk, vv in v.items() if kk != "raw"})
                        for k, v in results["b"].items()}))
    if "c" in args.only:
        log(f"(c) RSS with {args.rss_tasks} stored tasks")
        results["c"] = bench_rss(args.berth, args.rss_tasks, args.rss_mode)
        log(json.dumps(results["c"]))
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)
    if all(k in results for k in "abc"):
        write_doc(results["machine"], results["a"], results["b"], results["c"], args.doc)
        log(f"wrote {os.path.relpath(args.doc, ROOT)}")


if __name__ == "__main__":
    main()
