#!/usr/bin/python3
"""(h) ECS service rolling deployment: UpdateService -> steady state, with the baselines
measured in the same run.

One berth daemon per deployment configuration. Task definition: one essential container
`/bin/sh -c "exec sleep 3600"`, memory 32, and a container health check that passes at once
(`CMD-SHELL true`, interval 5 s = ECS's minimum, timeout 2, retries 1). A service of 4 tasks is
created and waited for (one deployment, PRIMARY rolloutState COMPLETED); then N times: register
a new revision (only an environment variable changes), UpdateService to it, and poll
DescribeServices (boto3) every 20 ms until there is exactly one deployment, it is the new one,
its rolloutState is COMPLETED and the service's runningCount is 4. That interval, from just
before the UpdateService call, is the "steady time".

Baselines, same run:
  * the floor of any ECS-faithful scheduler: the health check interval (5 s) once per wave of
    new tasks — a new task counts as healthy at its first passing probe, which Docker runs
    `interval` seconds after the container starts. With maximumPercent 200 /
    minimumHealthyPercent 100 all 4 new tasks start at once (1 wave); with 100 / 50 the old
    tasks must make room first and only 2 can be replaced at a time (2 waves).
  * the sum of the new tasks' own start times (`startedAt - createdAt` from DescribeTasks).
overhead = steady - floor, reported against the sum of start times. Per update the script
also keeps the server-side timestamps (task createdAt/startedAt/stoppingAt/stoppedAt and the
service's events) to show where the time goes.

Only 127.0.0.1 is used; every process started here is stopped by its PID.

Standalone: service_bench.py --berth BIN [--updates 5] [--json OUT]   (prints JSON)
berth_bench.py runs it as letter h.
"""
import argparse
import configparser
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import boto3
import botocore.config

DESIRED = 4
INTERVAL_S = 5
POLL_S = 0.02
CONFIGS = (
    # (key, maximumPercent, minimumHealthyPercent)
    ("rolling", 200, 100),
    ("stop_first", 100, 50),
)


def log(msg):
    print(f"[bench] {msg}", flush=True)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(40)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def ts(v):
    """boto3 timestamp (datetime) -> epoch seconds."""
    return v.timestamp() if v is not None else None


def task_def(rev):
    return dict(family="bench-svc", containerDefinitions=[{
        "name": "c", "image": "busybox", "memory": 32, "essential": True,
        "entryPoint": ["/bin/sh", "-c"], "command": ["exec sleep 3600"],
        "environment": [{"name": "BENCH_REV", "value": str(rev)}],
        "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": INTERVAL_S, "timeout": 2,
                        "retries": 1}}])


def is_steady(svc, deployment_id):
    deps = svc["deployments"]
    return (len(deps) == 1 and deps[0]["id"] == deployment_id and deps[0]["status"] == "PRIMARY"
            and deps[0].get("rolloutState") == "COMPLETED" and svc["runningCount"] == DESIRED)


def wait_steady(ecs, deployment_id, timeout=120):
    """Poll every 20 ms; returns (perf_counter at the steady answer, [(send, round trip)] of
    each poll in ms, service)."""
    deadline = time.perf_counter() + timeout
    polls = []
    while True:
        a = time.perf_counter()
        svc = ecs.describe_services(cluster="default", services=["bench"])["services"][0]
        b = time.perf_counter()
        polls.append((a * 1000, (b - a) * 1000))
        if is_steady(svc, deployment_id):
            return b, polls, svc
        if time.perf_counter() > deadline:
            raise RuntimeError(f"service not steady after {timeout}s: {svc['deployments']} "
                               f"events {svc['events'][:8]}")
        time.sleep(POLL_S)


def describe(ecs, arns):
    out = []
    for i in range(0, len(arns), 100):
        out += ecs.describe_tasks(cluster="default", tasks=arns[i:i + 100])["tasks"]
    return out


def running_tasks(ecs):
    arns = ecs.list_tasks(cluster="default", serviceName="bench",
                          desiredStatus="RUNNING")["taskArns"]
    return describe(ecs, arns)


def one_update(ecs, rev, old_arns):
    td = ecs.register_task_definition(**task_def(rev))["taskDefinition"]["taskDefinitionArn"]
    t0_wall = time.time()
    t0 = time.perf_counter()
    r = ecs.update_service(cluster="default", service="bench", taskDefinition=td)["service"]
    dep = next(d["id"] for d in r["deployments"] if d["status"] == "PRIMARY")
    t1, polls, svc = wait_steady(ecs, dep)
    rtts = [p[1] for p in polls]
    gaps = [b[0] - a[0] for a, b in zip(polls, polls[1:])]
    steady = t1 - t0
    new = running_tasks(ecs)
    if len(new) != DESIRED or any(t["taskDefinitionArn"] != td or t.get("startedBy") != dep
                                  for t in new):
        raise RuntimeError(f"steady, but the running tasks are not the new deployment's: "
                           f"{[(t['taskDefinitionArn'], t.get('startedBy')) for t in new]}")
    old = describe(ecs, old_arns) if old_arns else []
    rel = lambda v: None if v is None else ts(v) - t0_wall  # noqa: E731
    new_created = [rel(t["createdAt"]) for t in new]
    new_started = [rel(t["startedAt"]) for t in new]
    starts = [ts(t["startedAt"]) - ts(t["createdAt"]) for t in new]
    events = [{"at": rel(e["createdAt"]), "message": e["message"]} for e in svc["events"]
              if ts(e["createdAt"]) >= t0_wall - 0.002]
    events.sort(key=lambda e: e["at"])
    completed = [e["at"] for e in events if "deployment completed" in e["message"]]
    return {
        "steady_s": steady, "polls": len(rtts),
        # DescribeServices round trips: all polls, and the last 5 (during the switchover).
        "poll_rtt_ms": statistics.median(rtts), "poll_rtt_last5_ms": statistics.median(rtts[-5:]),
        "poll_period_ms": statistics.median(gaps), "last_poll_gap_ms": gaps[-1],
        "sum_start_s": sum(starts), "starts_ms": [round(s * 1000, 1) for s in starts],
        "new_created_s": sorted(new_created), "new_started_s": sorted(new_started),
        "old_stopping_s": sorted(rel(t.get("stoppingAt")) for t in old if t.get("stoppingAt")),
        "old_stopped_s": sorted(rel(t.get("stoppedAt")) for t in old if t.get("stoppedAt")),
        "old_statuses": sorted({t["lastStatus"] for t in old}),
        "old_stop_ms": [round((ts(t["stoppedAt"]) - ts(t["stoppingAt"])) * 1000, 1) for t in old
                        if t.get("stoppingAt") and t.get("stoppedAt")],
        "completed_event_s": completed[0] if completed else None,
        "events": events,
        "new_arns": [t["taskArn"] for t in new],
    }


def bench_config(berth, max_pct, min_pct, updates):
    tmp = tempfile.mkdtemp(prefix="berth-bench-svc-")
    logf = open(os.path.join(tmp, "daemon.log"), "wb")
    daemon = subprocess.Popen([berth, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp, "--driver", "process"],
                              stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        ep = os.path.join(tmp, "endpoint")
        deadline = time.time() + 20
        while not os.path.exists(ep):
            if daemon.poll() is not None or time.time() > deadline:
                raise RuntimeError("berth serve did not start; see " + tmp + "/daemon.log")
            time.sleep(0.02)
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(tmp, "credentials"))
        ecs = boto3.client("ecs", endpoint_url=open(ep).read().strip(), region_name="us-east-1",
                           aws_access_key_id=cfg["berth"]["aws_access_key_id"],
                           aws_secret_access_key=cfg["berth"]["aws_secret_access_key"],
                           config=botocore.config.Config(retries={"max_attempts": 1}))
        # One signed round trip, to put the 20 ms polling in proportion.
        rtt = []
        for _ in range(50):
            a = time.perf_counter()
            ecs.describe_services(cluster="default", services=["none"])
            rtt.append(time.perf_counter() - a)
        td = ecs.register_task_definition(**task_def(0))["taskDefinition"]["taskDefinitionArn"]
        t0 = time.perf_counter()
        r = ecs.create_service(
            cluster="default", serviceName="bench", taskDefinition=td, desiredCount=DESIRED,
            deploymentConfiguration={"maximumPercent": max_pct,
                                     "minimumHealthyPercent": min_pct})["service"]
        t1, _, _ = wait_steady(ecs, r["deployments"][0]["id"])
        res = {"max_pct": max_pct, "min_pct": min_pct, "desired": DESIRED,
               "create_steady_s": t1 - t0, "describe_rtt_ms": statistics.median(rtt) * 1000,
               "updates": []}
        old = [t["taskArn"] for t in running_tasks(ecs)]
        for i in range(updates):
            u = one_update(ecs, i + 1, old)
            old = u.pop("new_arns")
            res["updates"].append(u)
            log(f"(h) {max_pct}/{min_pct} update {i + 1}: steady {u['steady_s']:.3f} s, "
                f"sum of start times {u['sum_start_s'] * 1000:.0f} ms, new RUNNING by "
                f"{u['new_started_s'][-1]:.3f} s, deployment completed at "
                f"{u['completed_event_s']} s")
        # Tear down: scale to 0, wait for the tasks to stop, delete.
        ecs.update_service(cluster="default", service="bench", desiredCount=0)
        deadline = time.time() + 60
        while ecs.list_tasks(cluster="default", serviceName="bench",
                             desiredStatus="RUNNING")["taskArns"] or any(
                t["lastStatus"] != "STOPPED" for t in describe(ecs, old)):
            if time.time() > deadline:
                raise RuntimeError("service tasks did not stop")
            time.sleep(0.1)
        ecs.delete_service(cluster="default", service="bench")
    finally:
        stop(daemon)
        logf.close()
        shutil.rmtree(tmp, ignore_errors=True)
    waves = math.ceil(DESIRED / max(1, DESIRED * max_pct // 100 - math.ceil(DESIRED * min_pct / 100)))
    med = statistics.median
    ups = res["updates"]
    res["waves"] = waves
    res["floor_s"] = waves * INTERVAL_S
    res["steady_s"] = med(u["steady_s"] for u in ups)
    res["overhead_s"] = res["steady_s"] - res["floor_s"]
    res["sum_start_s"] = med(u["sum_start_s"] for u in ups)
    res["ratio"] = res["overhead_s"] / res["sum_start_s"]
    res["steady_all_s"] = [u["steady_s"] for u in ups]
    # Where the time goes (medians over the updates, seconds after the UpdateService call).
    res["last_new_started_s"] = med(u["new_started_s"][-1] for u in ups)
    res["completed_event_s_med"] = med(u["completed_event_s"] for u in ups
                                       if u["completed_event_s"] is not None)
    res["last_old_stopped_s"] = med(u["old_stopped_s"][-1] for u in ups if u["old_stopped_s"])
    res["polls_med"] = med(u["polls"] for u in ups)
    res["poll_rtt_ms"] = med(u["poll_rtt_ms"] for u in ups)
    res["poll_rtt_last5_ms"] = med(u["poll_rtt_last5_ms"] for u in ups)
    res["poll_period_ms"] = med(u["poll_period_ms"] for u in ups)
    res["last_poll_gap_ms"] = med(u["last_poll_gap_ms"] for u in ups)
    # Client-side detection: from the server's "deployment completed" event to the poll that saw it.
    res["client_lag_ms"] = med(1000 * (u["steady_s"] - u["completed_event_s"]) for u in ups
                               if u["completed_event_s"] is not None)
    res["old_stop_ms"] = med(v for u in ups for v in u["old_stop_ms"])
    if waves == 1:
        # Each old task is stopped when one more new task passes its first probe: k-th old
        # stoppingAt - (k-th new startedAt + interval) = probe run + report + reconcile.
        res["probe_lag_ms"] = med(1000 * (o - n - INTERVAL_S) for u in ups
                                  for o, n in zip(u["old_stopping_s"], u["new_started_s"]))
        res["last_probe_lag_ms"] = med(1000 * (u["old_stopping_s"][-1] - u["new_started_s"][-1]
                                               - INTERVAL_S) for u in ups)
    return res


def bench_service(berth, updates=5, configs=CONFIGS):
    out = {"updates": updates, "interval_s": INTERVAL_S, "desired": DESIRED,
           "poll_ms": POLL_S * 1000}
    for key, mx, mn in configs:
        log(f"(h) service of {DESIRED}, maximumPercent {mx} / minimumHealthyPercent {mn}, "
            f"{updates} updates")
        out[key] = bench_config(berth, mx, mn, updates)
    return out


def _timeline(u):
    parts = []
    for e in u["events"]:
        m = e["message"]
        m = m.split(") ", 1)[1] if m.startswith("(service bench) ") else m
        short = ("started" if "has started" in m else "stopped old" if "has stopped" in m
                 else "completed" if "deployment completed" in m else "steady" if "steady" in m
                 else m[:40])
        parts.append(f"{short} {e['at']:.2f}")
    return ", ".join(parts)


def render_h(m, h, run_line):
    r, s = h["rolling"], h.get("stop_first")
    rows = [
        f"| (h) UpdateService → steady, 4 tasks, max 200% / min 100%, median of {h['updates']} | "
        f"{r['steady_s']:.2f} s; overhead beyond the 5 s first probe {r['overhead_s'] * 1000:.0f} ms | "
        f"sum of the 4 new tasks' start times: {r['sum_start_s'] * 1000:.0f} ms | "
        f"{r['ratio']:.1f}× | — | |"]
    if s:
        rows.append(
            f"| (h) UpdateService → steady, 4 tasks, max 100% / min 50%, median of "
            f"{h['updates']} | {s['steady_s']:.2f} s; overhead beyond 2 × 5 s probes "
            f"{s['overhead_s'] * 1000:.0f} ms | sum of the 4 new tasks' start times: "
            f"{s['sum_start_s'] * 1000:.0f} ms | {s['ratio']:.1f}× | — | |")
    L = ["## (h) Service rolling deployment: UpdateService → steady state\n", run_line(m)]
    L.append(
        f"Method: `bench/service_bench.py`, run by `BENCH_ONLY=h bench/run` (with an existing "
        f"binary: `BERTH_BIN=build/berth BENCH_ONLY=h bench/run`; `SVC_UPDATES` sets the number "
        f"of updates; about 2½ minutes). A fresh daemon per "
        f"deployment configuration; task definition with one essential container "
        f"`\"entryPoint\":[\"/bin/sh\",\"-c\"],\"command\":[\"exec sleep 3600\"]`, memory 32, and "
        f"`\"healthCheck\":{{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":{h['interval_s']},"
        f"\"timeout\":2,\"retries\":1}}` (passes at its first probe). CreateService desiredCount "
        f"{h['desired']}, waited for until steady. Then {h['updates']} times: RegisterTaskDefinition "
        f"of a new revision (one environment variable changes), UpdateService to it, and "
        f"DescribeServices (boto3, every {h['poll_ms']:.0f} ms) until there is exactly one "
        f"deployment, it is the new one, its rolloutState is COMPLETED and runningCount is "
        f"{h['desired']}; timed from just before UpdateService. Afterwards the running tasks are "
        f"checked to be the new revision's.\n")
    L.append(
        f"Baselines, same run: (1) the floor any ECS-faithful scheduler must wait — a task with "
        f"a container health check counts as healthy at its first passing probe, and Docker runs "
        f"that probe `interval` = {h['interval_s']} s (ECS's minimum) after the container starts; "
        f"with max 200% / min 100% all 4 replacements start at once (one wave, floor "
        f"{h['interval_s']} s), with max 100% / min 50% only 2 can be replaced at a time (two "
        f"waves, floor {2 * h['interval_s']} s). Overhead = steady − floor. (2) The sum of the 4 "
        f"new tasks' own start times, `startedAt − createdAt` from DescribeTasks (millisecond "
        f"timestamps). The machine has {m['nproc']} CPUs and was shared with other work (see the "
        f"load average): the absolute milliseconds are noisy.\n")
    L.append("| | max 200% / min 100% | max 100% / min 50% |\n|---|---|---|")

    def row(name, f):
        L.append(f"| {name} | {f(r)} | {f(s) if s else 'not run'} |")
    row("steady time, median", lambda x: f"**{x['steady_s']:.3f} s**")
    row("steady time, each update", lambda x: ", ".join(f"{v:.2f}" for v in x["steady_all_s"]) + " s")
    row("floor (health-check waves × interval)", lambda x: f"{x['waves']} × {h['interval_s']} s = {x['floor_s']} s")
    row("overhead = steady − floor", lambda x: f"**{x['overhead_s'] * 1000:.0f} ms**")
    row("baseline: sum of the 4 new tasks' startedAt − createdAt, median", lambda x: f"{x['sum_start_s'] * 1000:.0f} ms")
    row("ratio overhead / sum of start times", lambda x: f"**{x['ratio']:.1f}×**")
    row("last new task RUNNING (startedAt), after UpdateService", lambda x: f"{x['last_new_started_s'] * 1000:.0f} ms")
    row("old task stop, stoppingAt → stoppedAt, median", lambda x: f"{x['old_stop_ms']:.0f} ms")
    row("last old task STOPPED (stoppedAt), after UpdateService", lambda x: f"{x['last_old_stopped_s']:.3f} s")
    row("service event \"deployment completed\"", lambda x: f"{x['completed_event_s_med']:.3f} s")
    row("client saw it (next 20 ms poll) − \"deployment completed\", median", lambda x: f"{x['client_lag_ms']:.0f} ms")
    row("DescribeServices polls until steady, median", lambda x: f"{x['polls_med']:.0f}")
    row("poll period (send to send), median / last gap before steady", lambda x: f"{x['poll_period_ms']:.0f} ms / {x['last_poll_gap_ms']:.0f} ms")
    row("one DescribeServices round trip (boto3), median: idle service", lambda x: f"{x['describe_rtt_ms']:.1f} ms")
    row("… while polling, all polls / the last 5 before steady (medians)", lambda x: f"{x['poll_rtt_ms']:.1f} ms / {x['poll_rtt_last5_ms']:.1f} ms")
    row("CreateService → steady (first deployment, once)", lambda x: f"{x['create_steady_s']:.3f} s")
    L.append("")
    lag_why = (f" (polls go out every {r['poll_period_ms']:.0f} ms: the 20 ms sleep, the round "
               f"trip and boto3's own work; the gap between the last two polls was "
               f"{r['last_poll_gap_ms']:.0f} ms)")
    L.append(
        f"Where the overhead goes (max 200% / min 100%, medians): the 4 new tasks are started one "
        f"after the other, the last RUNNING {r['last_new_started_s'] * 1000:.0f} ms after "
        f"UpdateService; each old task is stopped when one more new task passes its first probe, "
        f"{r['probe_lag_ms']:.0f} ms after that task's startedAt + {h['interval_s']} s (the last: "
        f"{r['last_probe_lag_ms']:.0f} ms — running `sh -c true`, reporting HEALTHY, reconciling); "
        f"an old task takes {r['old_stop_ms']:.0f} ms from stoppingAt to stoppedAt (SIGTERM to "
        f"`sleep`, reap); the deployment completes on the reconcile after the last old task "
        f"stops, at {r['completed_event_s_med']:.3f} s; the client's next poll sees it "
        f"{r['client_lag_ms']:.0f} ms later{lag_why}. The sum of start times counts the serial start "
        f"queue several times (the 4th task's `startedAt − createdAt` includes the first "
        f"three's spawns), so the ratio is against a generous baseline.\n")
    for key, x in (("max 200% / min 100%", r), ("max 100% / min 50%", s)):
        if x:
            u = x["updates"][len(x["updates"]) // 2]
            L.append(f"Timeline of update {len(x['updates']) // 2 + 1} ({key}), service events in "
                     f"seconds after UpdateService: {_timeline(u)}; new tasks RUNNING at "
                     f"{', '.join(f'{v:.3f}' for v in u['new_started_s'])} s; old tasks STOPPED at "
                     f"{', '.join(f'{v:.3f}' for v in u['old_stopped_s'])} s; client saw steady at "
                     f"{u['steady_s']:.3f} s.\n")
    return rows, "\n".join(L)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--updates", type=int, default=5)
    ap.add_argument("--only-rolling", action="store_true")
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    r = bench_service(a.berth, a.updates, CONFIGS[:1] if a.only_rolling else CONFIGS)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)
    print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "updates"}
                          if isinstance(v, dict) else v) for k, v in r.items()}, indent=1))
