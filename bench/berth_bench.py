#!/usr/bin/python3
"""berth benchmarks (run by bench/run; needs Debian's python3-boto3 and wrk).

  (a) RunTask -> RUNNING latency vs a bare fork+exec of /bin/true (bench/forkexec.c)
  (b) DescribeTasks (10 tasks) req/s with 16 keep-alive connections (wrk) vs moto_server
  (c) daemon RSS with 1,000 stored tasks vs the idle daemon

Every process started here is stopped by its PID. Only 127.0.0.1 is used. Results go to
bench/out/results.json and docs/benchmarks.md (with bench/notes.md appended).

  (d) log ingest: one container `cat`s >= 1 GB of Laravel-style records through the awslogs
      pipeline (line split -> grouping -> store) vs `cat file | cat > copy`; exact event count
  (e) FilterLogEvents for a plain term over the stored events vs `LC_ALL=C grep -c`
  (f) daemon VmRSS during (d), sampled every 100 ms
  (g) ELBv2 listener throughput and latency vs straight to the target (bench/lb_bench.py)
  (h) ECS service UpdateService -> steady state vs the 5 s health-check floor and the new
      tasks' own start times (bench/service_bench.py)
  (i) event bus: PutEvents -> match -> in-memory target events/s with 1/100/1,000 rules vs
      moto's matcher on the same events and rules; PutEvents -> webhook latency
      (bench/event_bus_bench.py: bench/events_bench.cc, events_moto.py, events_e2e.py)
  (j) Docker driver: RunTask -> RUNNING from a local image vs `docker run -d` (bench/docker_bench.py)
d, e and f share one session (one generated file, one daemon); e and f need d's ingest, which
runs (and is reported only if d was asked for) whenever any of them is selected.
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
import docker_bench
import event_bus_bench
import lb_bench
import service_bench
import botocore.awsrequest
import botocore.credentials

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
TARGET = "AmazonEC2ContainerServiceV20141113."
LOGS_TARGET = "Logs_20140328."
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
    def __init__(self, binary, name, driver="process"):
        self.dir = tempfile.mkdtemp(prefix=f"berth-bench-{name}-")
        self.proc = Proc([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.dir,
                          "--driver", driver],
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

    def logs_client(self, timeout=600):
        """CloudWatch Logs (awsJson1.1, Logs_20140328.*, SigV4 service "logs")."""
        return Client(self.endpoint, self.key, self.secret, service="logs",
                      target=LOGS_TARGET, timeout=timeout)

    def stop(self):
        self.proc.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """A keep-alive awsJson1.1 client that signs each request with botocore's SigV4."""

    def __init__(self, endpoint, key, secret, region="us-east-1", service="ecs", target=TARGET,
                 timeout=30):
        self.endpoint = endpoint
        self.target = target
        u = endpoint.split("://", 1)[1]
        host, port = u.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        self.signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                                              service, region)

    def sign(self, op, body):
        data = json.dumps(body).encode()
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=self.endpoint + "/", data=data,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": self.target + op})
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


# ---------------------------------------------------------------------------------------------
# (d) log ingest, (e) FilterLogEvents, (f) daemon RSS during ingest — issue 3.
LOG_TERM = "zebracorn"  # planted in exactly LOG_TERM_RECORDS single-line records, nowhere else
LOG_TERM_RECORDS = 100
LOG_GROUP = "/bench/ingest"

_INFO = [
    'production.INFO: User {a} logged in from 10.{b}.{c}.{d} {{"request_id":"{h}","guard":"web"}}',
    'production.INFO: Order #{a} placed for customer {b} total {c}.{d} EUR {{"request_id":"{h}"}}',
    'production.DEBUG: Cache hit for key products:{a}:page:{b} in {c}.{d} ms {{"request_id":"{h}"}}',
    'production.INFO: Job App\\\\Jobs\\\\SendInvoiceMail {a} processed in {b} ms on queue emails {{"attempt":{c},"request_id":"{h}"}}',
    'production.WARNING: Slow query ({a} ms): select * from `orders` where `customer_id` = {b} limit {c} {{"request_id":"{h}"}}',
    'production.NOTICE: Rate limit {a}/{b} reached for api key k_{h} route /api/v1/items/{c}',
]
_ERR = [
    ('SQLSTATE[HY000] [2002] Connection refused (SQL: select * from `users` where `id` = {a} limit 1)',
     'Illuminate\\\\Database\\\\QueryException(code: 2002)', '/var/www/vendor/laravel/framework/src/Illuminate/Database/Connection.php:760'),
    ('Call to a member function getKey() on null',
     'Error(code: 0)', '/var/www/app/Http/Controllers/OrderController.php:{b}'),
    ('Undefined array key "customer_{a}"',
     'ErrorException(code: 0)', '/var/www/app/Services/Billing/InvoiceBuilder.php:{b}'),
]
_FRAMES = [
    "/var/www/vendor/laravel/framework/src/Illuminate/Database/Connection.php({n}): Illuminate\\\\Database\\\\Connection->runQueryCallback('select * from `...', Array, Object(Closure))",
    "/var/www/vendor/laravel/framework/src/Illuminate/Routing/Pipeline.php({n}): Illuminate\\\\Pipeline\\\\Pipeline->Illuminate\\\\Pipeline\\\\{{closure}}(Object(Illuminate\\\\Http\\\\Request))",
    "/var/www/app/Http/Middleware/TrustProxies.php({n}): Illuminate\\\\Http\\\\Middleware\\\\TrustProxies->handle(Object(Illuminate\\\\Http\\\\Request), Object(Closure))",
    "/var/www/vendor/laravel/framework/src/Illuminate/Foundation/Http/Kernel.php({n}): Illuminate\\\\Foundation\\\\Http\\\\Kernel->sendRequestThroughRouter(Object(Illuminate\\\\Http\\\\Request))",
    "/var/www/app/Services/Billing/InvoiceBuilder.php({n}): App\\\\Services\\\\Billing\\\\InvoiceBuilder->lines(Object(App\\\\Models\\\\Order))",
    "/var/www/vendor/laravel/framework/src/Illuminate/Container/BoundMethod.php({n}): Illuminate\\\\Container\\\\BoundMethod::callBoundMethod(Object(Illuminate\\\\Foundation\\\\Application), Array, Object(Closure))",
]


def gen_laravel_log(path, target_bytes, seed=3):
    """Writes Laravel-style records until target_bytes: single-line INFO/DEBUG/WARNING/NOTICE
    records and (10%) ERROR records followed by "[stacktrace]", 5-40 "#N /var/www/..." frames
    and a closing line. Only a record's first line holds a date. Returns exact counts."""
    import random
    rnd = random.Random(seed)
    ri = rnd.randrange
    base = int(datetime.datetime(2026, 11, 28, 0, 0, 0).timestamp())
    frames = [[f.format(n=n) for n in range(20, 900, 37)] for f in _FRAMES]
    hexes = [f"{rnd.getrandbits(48):012x}" for _ in range(4096)]
    # Estimate the record count first (records average ~530 bytes), so the planted term is spread
    # evenly over the whole file.
    est = max(LOG_TERM_RECORDS * 10, target_bytes // 560)
    plant_every = est // LOG_TERM_RECORDS
    counts = {"records": 0, "multiline_records": 0, "lines": 0, "term_records": 0}
    written = 0
    ts_cache = {}
    with open(path, "w", buffering=1 << 22) as f:
        buf = []
        i = 0
        while written < target_bytes:
            sec = base + i // 40
            ts = ts_cache.get(sec)
            if ts is None:
                ts_cache.clear()
                ts = ts_cache[sec] = datetime.datetime.fromtimestamp(sec).strftime("[%Y-%m-%d %H:%M:%S] ")
            if i % plant_every == plant_every // 2 and counts["term_records"] < LOG_TERM_RECORDS:
                rec = (ts + f"production.INFO: Feature flag {LOG_TERM} enabled for tenant {ri(100000)}"
                       f' {{"request_id":"{hexes[ri(4096)]}"}}\n')
                counts["term_records"] += 1
                nl = 1
            elif ri(10) == 0:
                msg, exc, where = _ERR[ri(len(_ERR))]
                a, b = ri(100000), ri(1000)
                k = 5 + ri(36)
                fr = [f"#{j} " + frames[(j + a) % len(frames)][ri(24)] for j in range(k)]
                rec = (ts + "production.ERROR: " + msg.format(a=a, b=b) +
                       ' {"exception":"[object] (' + exc + ": " + msg.format(a=a, b=b) + " at " +
                       where.format(b=b) + ")\n[stacktrace]\n" + "\n".join(fr) +
                       f"\n#{k} {{main}}\n\"}}\n")
                nl = k + 4
                counts["multiline_records"] += 1
            else:
                rec = ts + _INFO[ri(len(_INFO))].format(
                    a=ri(1000000), b=ri(256), c=ri(1000), d=ri(100), h=hexes[ri(4096)]) + "\n"
                nl = 1
            buf.append(rec)
            written += len(rec)
            counts["lines"] += nl
            i += 1
            if len(buf) >= 4096:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    counts["records"] = i
    counts["bytes"] = os.path.getsize(path)
    return counts


def timed(argv_or_shell, shell=False):
    t0 = time.perf_counter()
    out = subprocess.run(argv_or_shell, shell=shell, check=True, capture_output=True, text=True,
                         env=dict(os.environ, LC_ALL="C"))
    return time.perf_counter() - t0, out.stdout


class RssSampler:
    """Samples a PID's VmRSS every `every` seconds on a thread; keeps the max and the series."""

    def __init__(self, pid, every=0.1):
        import threading
        self.pid, self.every = pid, every
        self.samples = []
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_ev.is_set():
            try:
                self.samples.append(rss_kib(self.pid)["VmRSS"])
            except (OSError, KeyError):
                pass
            self.stop_ev.wait(self.every)

    def stop(self):
        self.stop_ev.set()
        self.t.join()
        return self.samples


def filter_all(lc, pattern, check=None, limit=10000):
    """Pages FilterLogEvents over the whole group; returns (seconds, events, pages, bytes)."""
    n = pages = nbytes = 0
    token = None
    t0 = time.perf_counter()
    while True:
        body = {"logGroupName": LOG_GROUP, "filterPattern": pattern, "limit": limit}
        if token:
            body["nextToken"] = token
        r = lc.call("FilterLogEvents", body)
        pages += 1
        ev = r["events"]
        n += len(ev)
        for e in ev:
            nbytes += len(e["message"])
            if check:
                check(e["message"])
        token = r.get("nextToken")
        if not token:
            break
    return time.perf_counter() - t0, n, pages, nbytes


def bench_logs(binary, only, size_mb, filter_reps):
    """One session for (d), (e), (f): generate the file, pipe baseline, ingest through berth
    (sampling RSS), count what was stored, then filter vs grep."""
    work = tempfile.mkdtemp(prefix="berth-bench-logs-")
    d = None
    res = {}
    try:
        src = os.path.join(work, "laravel.log")
        log(f"(d-f) generating {size_mb} MB of Laravel-style records in {src}")
        t0 = time.perf_counter()
        counts = gen_laravel_log(src, size_mb * 1000 * 1000)
        log(f"(d-f) generated {counts} in {time.perf_counter() - t0:.1f}s")
        res["input"] = counts
        size = counts["bytes"]
        # Warm the page cache for both sides the same way.
        subprocess.run(["cat", src], stdout=subprocess.DEVNULL, check=True)

        d = Daemon(binary, "logs")
        copy = os.path.join(d.dir, "pipe-copy.log")  # same file system as the store
        base_runs = []
        for _ in range(2):
            t, _ = timed(f"cat {src} | cat > {copy}", shell=True)
            base_runs.append(t)
            os.remove(copy)
        c = d.client()
        lc = d.logs_client()
        c.call("RegisterTaskDefinition", {
            "family": "bench-logs",
            "containerDefinitions": [{
                "name": "app", "image": "busybox", "memory": 256, "command": ["cat", src],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": LOG_GROUP, "awslogs-create-group": "true",
                    "awslogs-stream-prefix": "b",
                    "awslogs-datetime-format": "%Y-%m-%d %H:%M:%S"}}}]})
        time.sleep(0.5)
        idle = rss_kib(d.pid)
        cpu0 = cpu_seconds(d.pid)
        sampler = RssSampler(d.pid)
        t0 = time.perf_counter()
        r = c.call("RunTask", {"taskDefinition": "bench-logs"})
        if r.get("failures"):
            raise RuntimeError(f"RunTask failed: {r['failures']}")
        arn = r["tasks"][0]["taskArn"]
        while True:
            t = c.call("DescribeTasks", {"tasks": [arn]})["tasks"][0]
            if t["lastStatus"] == "STOPPED":
                t_ingest = time.perf_counter() - t0
                break
            if time.perf_counter() - t0 > 1800:
                raise RuntimeError("ingest task did not stop in 30 minutes")
            time.sleep(0.02)
        samples = sampler.stop()
        cpu_ingest = cpu_seconds(d.pid) - cpu0
        task_id = arn.rsplit("/", 1)[1]
        stream = f"b/app/{task_id}"
        exit_code = t["containers"][0].get("exitCode")
        streams = lc.call("DescribeLogStreams", {"logGroupName": LOG_GROUP})["logStreams"]
        stored_bytes = sum(s.get("storedBytes", 0) for s in streams)
        after = rss_kib(d.pid)
        log(f"(d) ingest {t_ingest:.2f}s, exit {exit_code}, streams {[s['logStreamName'] for s in streams]}")

        # Exact count: page FilterLogEvents (empty pattern) over everything and check that every
        # event is one whole record (starts with a date; multi-line ones end with the closing line).
        bad = {"split_or_merged": 0}
        multi = [0]

        def check(m):
            if not m.startswith("[20") or m.count("\n[20") or not m.endswith("\n"):
                bad["split_or_merged"] += 1
            elif "[stacktrace]" in m:
                multi[0] += 1
                if not m.endswith('"}\n'):
                    bad["split_or_merged"] += 1
        t_count, n_events, n_pages, ev_bytes = filter_all(lc, "", check)
        res["count"] = {"events": n_events, "pages": n_pages, "seconds": t_count,
                        "message_bytes": ev_bytes, "multiline_events": multi[0],
                        "bad_events": bad["split_or_merged"], "stored_bytes": stored_bytes,
                        "events_from_stored_bytes": (stored_bytes - size) / 28.0}
        log(f"(d) counted {res['count']}")
        res["d"] = {
            "bytes": size, "records": counts["records"], "seconds": t_ingest,
            "mb_s": size / t_ingest / 1e6, "records_s": counts["records"] / t_ingest,
            "pipe_seconds": min(base_runs), "pipe_runs": base_runs,
            "pipe_mb_s": size / min(base_runs) / 1e6,
            "daemon_cpu_s": cpu_ingest, "exit_code": exit_code, "stream": stream,
            "streams": len(streams),
        }
        res["d"]["ratio"] = res["d"]["mb_s"] / res["d"]["pipe_mb_s"]
        res["d"]["exact"] = (n_events == counts["records"] and bad["split_or_merged"] == 0
                             and multi[0] == counts["multiline_records"])
        res["f"] = {"idle": idle, "after": after, "max_kib": max(samples) if samples else None,
                    "samples": len(samples), "every_ms": 100}

        if "e" in only:
            runs, gruns = [], []
            for _ in range(filter_reps):
                t, n, pages, _ = filter_all(lc, LOG_TERM)
                runs.append((t, n, pages))
                gt, out = timed(["grep", "-c", LOG_TERM, src])
                gruns.append((gt, int(out.strip())))
            best = min(runs)
            gbest = min(gruns)
            res["e"] = {"term": LOG_TERM, "bytes": size, "records": counts["records"],
                        "seconds": best[0], "matches": best[1], "pages": best[2],
                        "runs": [r[0] for r in runs], "grep_seconds": gbest[0],
                        "grep_count": gbest[1], "grep_runs": [g[0] for g in gruns],
                        "mb_s": size / best[0] / 1e6, "grep_mb_s": size / gbest[0] / 1e6}
            res["e"]["ratio"] = res["e"]["mb_s"] / res["e"]["grep_mb_s"]
            res["e"]["exact"] = best[1] == counts["term_records"] == gbest[1]
            log(f"(e) {res['e']}")
    finally:
        if d:
            d.stop()
        shutil.rmtree(work, ignore_errors=True)
    out = {k: res[k] for k in "def" if k in only and k in res}
    for k in out:
        out[k]["input"] = res["input"]
        if k in "df":
            out[k]["count"] = res["count"]
    return out


def met(ok):
    return "**met**" if ok else "**NOT met**"


# docs/benchmarks.md is assembled from one section per benchmark letter. A run renders the
# sections of the letters it ran and keeps every other section (its summary rows "| (x) …" and
# its "## (x) …" text) from the existing docs/benchmarks.md, so `BENCH_ONLY=de` leaves the
# a/b/c text of the last full run in place. Each section starts with a "Run:" line saying when
# and with which binary it was measured. Rendered sections are also written to
# bench/out/sections/<letter>.md.
LETTERS = "abcdefghij"


def run_line(m):
    return (f"Run: {m['date']}, `{m['binary']}` ({m['build']}), commit {m['commit']}, 1-min load "
            f"average at start {m['loadavg']}.\n")


def render_a(m, a):
    rows = [
        f"| (a) RunTask → RUNNING, p50, client-observed | {a['client_p50_ms']:.2f} ms | "
        f"fork+exec+wait `/bin/true`: {a['forkexec_wait_p50_ms']:.2f} ms | "
        f"{a['ratio_client_p50']:.1f}× | ≤ 5× | {met(a['ratio_client_p50'] <= 5)} |",
        f"| (a) RunTask → RUNNING, p50, server-side `startedAt − createdAt` | "
        f"{a['server_p50_ms']:.2f} ms | (same) | {a['ratio_server_p50']:.1f}× | — | |"]
    L = ["## (a) RunTask → RUNNING\n", run_line(m)]
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
    return rows, "\n".join(L)


def render_b(m, b):
    bb, mm = b["berth"], b["moto"]
    rows = [f"| (b) DescribeTasks (10 tasks), 16 keep-alive connections | "
            f"{bb['rps']:,.0f} req/s | moto_server {b['moto_version']}: "
            f"{mm['rps']:,.0f} req/s | {b['ratio']:.0f}× | ≥ 50× | {met(b['ratio'] >= 50)} |"]
    L = ["## (b) DescribeTasks throughput\n", run_line(m)]
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
    return rows, "\n".join(L)


def render_c(m, c):
    rows = [f"| (c) daemon RSS with {c['stored']:,} stored tasks | "
            f"{c['loaded']['VmRSS'] / 1024:.1f} MiB | idle daemon: {c['idle']['VmRSS'] / 1024:.1f} MiB | "
            f"{c['ratio']:.2f}× | < 30 MB | {met(c['loaded']['VmRSS'] * 1024 < 30e6)} |"]
    L = ["## (c) Daemon memory\n", run_line(m)]
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
    return rows, "\n".join(L)


def input_desc(i):
    return (f"{i['bytes'] / 1e9:.2f} GB of Laravel-style records generated for the run: "
            f"{i['records']:,} records ({i['multiline_records']:,} ERROR records of 7–44 lines — "
            f"header, `[stacktrace]`, 5–40 `#N /var/www/…` frames, `#N {{main}}`, closing `\"}}` — "
            f"and single-line INFO/DEBUG/WARNING/NOTICE records), {i['lines']:,} lines; only a "
            f"record's first line holds a date")


def render_d(m, d):
    i, cnt = d["input"], d["count"]
    target_ok = d["mb_s"] >= 300 and d["ratio"] >= 0.25
    rows = [
        f"| (d) log ingest, 1 container → grouping → store, MB/s | {d['mb_s']:,.0f} MB/s | "
        f"`cat file \\| cat > file`: {d['pipe_mb_s']:,.0f} MB/s | {d['ratio'] * 100:.0f}% | "
        f"≥ 300 MB/s and ≥ 25% | {met(target_ok)} |",
        f"| (d) log ingest, records/s; events stored = records | {d['records_s']:,.0f} records/s | "
        f"{d['records']:,} records in | {cnt['events']:,} events stored | exactly equal, none split "
        f"| {met(d['exact'])} |"]
    L = ["## (d) Log ingest (awslogs pipeline → store)\n", run_line(m)]
    L.append(f"Input: {input_desc(i)}. Method: a fresh daemon; task definition with one container "
             f"`\"command\":[\"cat\",\"<file>\"]` (ProcessDriver: a host `cat`, a producer faster "
             f"than the pipeline) and `logConfiguration` awslogs (`awslogs-group` {LOG_GROUP}, "
             f"`awslogs-create-group` true, `awslogs-stream-prefix` b, `awslogs-datetime-format` "
             f"`%Y-%m-%d %H:%M:%S`, default blocking mode). Timed from just before RunTask until "
             f"DescribeTasks (polled every 20 ms) shows the task STOPPED; the runner closes the "
             f"container's log (flushing the grouper into the store) before the task can stop, so "
             f"at that point every event is in the store. Baseline in the same run, after the same "
             f"page-cache warm-up: `cat file | cat > copy` with the copy in the daemon's data dir "
             f"(same file system as the store), best of {len(d['pipe_runs'])}. The machine has "
             f"{m['nproc']} CPUs: the producer, the daemon's capture thread and the baseline's two "
             f"`cat`s share them.\n")
    L.append("| | time | MB/s | records/s |\n|---|---|---|---|")
    L.append(f"| berth: RunTask → STOPPED, all events stored | {d['seconds']:.2f} s | {d['mb_s']:,.0f} | "
             f"{d['records_s']:,.0f} |")
    L.append(f"| baseline: `cat file \\| cat > copy` | {d['pipe_seconds']:.2f} s | {d['pipe_mb_s']:,.0f} | "
             f"{d['records'] / d['pipe_seconds']:,.0f} |")
    L.append(f"| daemon CPU (utime+stime) during the ingest | {d['daemon_cpu_s']:.2f} s | "
             f"{100 * d['daemon_cpu_s'] / d['seconds']:.0f}% of one CPU | |")
    L.append("")
    L.append(f"Ratio berth / pipe: **{d['ratio'] * 100:.0f}%** (target ≥ 25%); berth "
             f"**{d['mb_s']:,.0f} MB/s** (target ≥ 300 MB/s): {met(target_ok)}.\n")
    L.append(f"Exactness: counted by paging `FilterLogEvents` with an empty filter pattern and "
             f"limit 10000 over the whole group ({cnt['pages']:,} pages of ≤ 1 MiB, "
             f"{cnt['seconds']:.1f} s, outside the timed part), checking each event: it must start "
             f"with `[20`, hold no second dated line and end with \"\\n\" (the multiline "
             f"grouper's line ending), and a `[stacktrace]` event must end with the closing "
             f"`\"}}`. Events stored: **{cnt['events']:,}** for {d['records']:,} records; "
             f"multi-line events {cnt['multiline_events']:,} for {i['multiline_records']:,} ERROR "
             f"records; events failing the check: {cnt['bad_events']:,}. Cross-check: "
             f"DescribeLogStreams storedBytes {cnt['stored_bytes']:,} = input bytes + 28 × "
             f"{cnt['events_from_stored_bytes']:,.1f} (28-byte record header per event). "
             f"Streams in the group: {d['streams']}; container exit code {d['exit_code']}. "
             f"{met(d['exact'])}.\n")
    return rows, "\n".join(L)


def render_e(m, e):
    ok = e["ratio"] >= 0.5
    rows = [f"| (e) FilterLogEvents, plain term over {e['bytes'] / 1e9:.2f} GB stored | "
            f"{e['mb_s']:,.0f} MB/s ({e['seconds']:.2f} s) | `LC_ALL=C grep -c`: "
            f"{e['grep_mb_s']:,.0f} MB/s ({e['grep_seconds']:.2f} s) | {e['ratio'] * 100:.0f}% | "
            f"≥ 50% | {met(ok)} |"]
    L = ["## (e) FilterLogEvents scan\n", run_line(m)]
    L.append(f"Input: the events stored by (d) (same run, same daemon): {input_desc(e['input'])}. "
             f"The term `{e['term']}` was planted in {e['grep_count']} single-line records spread "
             f"evenly through the file and occurs nowhere else. Method: `FilterLogEvents` "
             f"`{{\"logGroupName\":\"{LOG_GROUP}\",\"filterPattern\":\"{e['term']}\","
             f"\"limit\":10000}}`, following nextToken to the end (the whole group is scanned), "
             f"timed client-side including HTTP and JSON; baseline `LC_ALL=C grep -c {e['term']} "
             f"<file>` on the same text (page cache warm for both). Best of {len(e['runs'])} each, "
             f"alternating. MB/s = input bytes / time.\n")
    L.append("| | best | all runs | MB/s | matches |\n|---|---|---|---|---|")
    L.append(f"| berth FilterLogEvents | {e['seconds']:.2f} s | "
             f"{', '.join(f'{x:.2f}' for x in e['runs'])} s | {e['mb_s']:,.0f} | {e['matches']} "
             f"({e['pages']} page{'s' if e['pages'] != 1 else ''}) |")
    L.append(f"| `LC_ALL=C grep -c` | {e['grep_seconds']:.2f} s | "
             f"{', '.join(f'{x:.2f}' for x in e['grep_runs'])} s | {e['grep_mb_s']:,.0f} | "
             f"{e['grep_count']} |")
    L.append("")
    L.append(f"Ratio berth / grep: **{e['ratio'] * 100:.0f}%** of grep's speed (target ≥ 50%): "
             f"{met(ok)}. Matches equal and exact: {met(e['exact'])}.\n")
    return rows, "\n".join(L)


def render_f(m, f):
    mx = f["max_kib"]
    ok = mx is not None and mx * 1024 <= 64e6
    rows = [f"| (f) daemon RSS during the (d) ingest, max of 100 ms samples | {mx / 1024:.1f} MiB | "
            f"idle daemon: {f['idle']['VmRSS'] / 1024:.1f} MiB | {mx / f['idle']['VmRSS']:.2f}× | "
            f"≤ 64 MB | {met(ok)} |"]
    L = ["## (f) Daemon memory during log ingest\n", run_line(m)]
    L.append(f"Method: during (d), VmRSS of the daemon read from `/proc/PID/status` every "
             f"{f['every_ms']} ms from just before RunTask until the task was STOPPED "
             f"({f['samples']} samples); idle = the same daemon after registering the task "
             f"definition, before RunTask.\n")
    L.append("| | VmRSS | VmHWM (peak) | RssAnon | RssFile |\n|---|---|---|---|---|")
    for name, r in (("idle, before RunTask", f["idle"]), ("after the ingest", f["after"])):
        L.append(f"| {name} | {r['VmRSS'] / 1024:.1f} MiB | {r['VmHWM'] / 1024:.1f} MiB | "
                 f"{r['RssAnon'] / 1024:.1f} MiB | {r['RssFile'] / 1024:.1f} MiB |")
    L.append(f"| max VmRSS sampled during the ingest | {mx / 1024:.1f} MiB | | | |")
    L.append("")
    L.append(f"Max during ingest **{mx / 1024:.1f} MiB** = {mx * 1024 / 1e6:.1f} MB (target ≤ 64 MB): "
             f"{met(ok)}.\n")
    return rows, "\n".join(L)


RENDER = {"a": render_a, "b": render_b, "c": render_c, "d": render_d, "e": render_e,
          "f": render_f, "g": lambda m, g: lb_bench.render_g(m, g, run_line),
          "h": lambda m, h: service_bench.render_h(m, h, run_line),
          "i": lambda m, i: event_bus_bench.render_i(m, i, run_line),
          "j": lambda m, j: docker_bench.render_j(m, j, run_line)}


def parse_doc(path):
    """The existing docs/benchmarks.md → ({letter: summary rows}, {letter: section text},
    legacy machine table as a dict)."""
    rows, sections, machine_rows = {}, {}, {}
    if not os.path.exists(path):
        return rows, sections, machine_rows
    cur, where = None, None
    for line in open(path).read().split("\n"):
        if line.startswith("## "):
            where = line[3:].strip()
            cur = None
            if len(where) >= 3 and where[0] == "(" and where[2] == ")" and where[1] in LETTERS:
                cur = where[1]
                sections[cur] = [line]
            continue
        if cur:
            sections[cur].append(line)
        elif where == "Summary" and len(line) > 5 and line.startswith("| (") and line[4] == ")":
            rows.setdefault(line[3], []).append(line)
        elif where == "Machine" and line.startswith("| ") and not line.startswith("| |"):
            parts = [p.strip() for p in line.strip("|").split("|")]
            if len(parts) >= 2:
                machine_rows[parts[0]] = parts[1]
    out = {}
    for k, v in sections.items():
        text = "\n".join(v).rstrip("\n") + "\n"
        if "\nRun: " not in text and machine_rows.get("date"):
            # A section from before per-section provenance: its run is the old Machine table's.
            head, _, rest = text.partition("\n")
            run = (f"Run: {machine_rows['date']}, {machine_rows.get('berth', '?')}, 1-min load "
                   f"average at start {machine_rows.get('1-min load average at start', '?')}.\n")
            text = head + "\n\n" + run + rest
        out[k] = text
    return rows, out, machine_rows


def write_doc(m, results, ran, path):
    old_rows, old_sections, _ = parse_doc(path)
    rows, sections = dict(old_rows), dict(old_sections)
    sec_dir = os.path.join(OUT, "sections")
    os.makedirs(sec_dir, exist_ok=True)
    for k in LETTERS:
        if k in ran and k in results:
            rows[k], sections[k] = RENDER[k](results[k].get("run", m), results[k])
            sections[k] = sections[k].rstrip("\n") + "\n"
        if k in sections:
            with open(os.path.join(sec_dir, f"{k}.md"), "w") as f:
                f.write("\n".join(rows.get(k, [])) + "\n\n" + sections[k])
    L = []
    L.append("# berth benchmarks\n")
    L.append("Generated by `bench/run` (`make bench`); the raw numbers of the last run are in "
             "`bench/out/results.json` (not committed). Every number is compared with a baseline "
             "measured in the same run, because these machines are noisy: read the ratios, not "
             "the absolute values. Each section says when it was run (`BENCH_ONLY` re-runs some "
             "benchmarks and keeps the other sections of this file as they were).\n")
    L.append("## Machine\n")
    L.append(f"| | |\n|---|---|\n| CPUs (nproc) | {m['nproc']} |\n"
             f"| CPU model | {m['cpu']} |\n| kernel | {m['kernel']} |\n| memory | {m['mem_gib']} GiB |\n"
             f"| load tools | Python {m['python']} + botocore SigV4 (a, c, d, e, f); {m['wrk']} (b); "
             f"GNU grep and coreutils `cat` as baselines (d, e); a C++ driver of berth's event bus "
             f"and moto's matcher as its baseline, boto3 for the webhook latency (i) |\n")
    L.append("## Summary\n")
    L.append("| benchmark | berth | baseline (same run) | ratio | target | |\n|---|---|---|---|---|---|")
    for k in LETTERS:
        L.extend(rows.get(k, []))
    L.append("")
    for k in LETTERS:
        if k in sections:
            L.append(sections[k])
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
    ap.add_argument("--log-mb", type=int, default=1100)
    ap.add_argument("--filter-reps", type=int, default=3)
    ap.add_argument("--lb-target", default="")
    ap.add_argument("--lb-latency", default="")
    ap.add_argument("--lb-seconds", type=int, default=5)
    ap.add_argument("--svc-updates", type=int, default=5)
    ap.add_argument("--events-bench", default="")
    ap.add_argument("--events-seconds", type=float, default=2.0)
    ap.add_argument("--events-rounds", type=int, default=3)
    ap.add_argument("--events-e2e-n", type=int, default=300)
    ap.add_argument("--docker-n", type=int, default=30)
    ap.add_argument("--only", default="abcdefghij")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results_path = os.path.join(OUT, "results.json")
    results = {}
    if os.path.exists(results_path):
        results = json.load(open(results_path))
        for k in LETTERS:  # results from before per-benchmark provenance: the run's machine
            if k in results and "run" not in results[k] and "machine" in results:
                results[k]["run"] = results["machine"]
    m = machine(args.berth, args.build_desc)
    if args.only:
        results["machine"] = m
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
    if any(k in args.only for k in "def"):
        log(f"(d/e/f) logs: {args.log_mb} MB ingest, FilterLogEvents vs grep, RSS during ingest")
        results.update(bench_logs(args.berth, args.only, args.log_mb, args.filter_reps))
    if "g" in args.only:
        log(f"(g) ELBv2 listener vs direct, {args.lb_seconds}s wrk runs")
        results["g"] = lb_bench.bench_lb(args.berth, args.lb_target, args.lb_latency,
                                         seconds=args.lb_seconds)
        log(json.dumps({k: v for k, v in results["g"].items()
                        if k not in ("direct", "lb", "lat_direct", "lat_lb")}))
    if "h" in args.only:
        log(f"(h) service UpdateService -> steady, {args.svc_updates} updates per configuration")
        results["h"] = service_bench.bench_service(args.berth, args.svc_updates)
    if "i" in args.only:
        if not args.events_bench:
            raise SystemExit("(i) needs --events-bench (bench/run builds build-bench/bench/events_bench)")
        results["i"] = event_bus_bench.bench_events(
            args.berth, args.events_bench, MOTO_PYTHON, seconds=args.events_seconds,
            rounds=args.events_rounds, e2e_n=args.events_e2e_n)
        log(json.dumps({k: v for k, v in results["i"].items() if k not in ("throughput", "moto")}))
    if "j" in args.only:
        log(f"(j) Docker driver RunTask -> RUNNING vs docker run -d, {args.docker_n} each")
        results["j"] = docker_bench.bench_docker(args.berth, args.docker_n)
        log(json.dumps(results["j"]))
    for k in LETTERS:
        if k in args.only and k in results:
            results[k]["run"] = m
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)
    # --only "": re-render every stored result.
    ran = args.only if args.only else "".join(k for k in LETTERS if k in results)
    write_doc(m, results, ran, args.doc)
    log(f"wrote {os.path.relpath(args.doc, ROOT)}")


if __name__ == "__main__":
    main()
