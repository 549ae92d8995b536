#!/usr/bin/python3
"""(i) Event bus: PutEvents -> match -> in-memory target throughput with 1, 100 and 1,000 rules,
beside moto's matcher on the same events and rules, and end-to-end PutEvents -> webhook latency.

  throughput  bench/events_bench.cc (built by bench/run: `cmake --build build-bench --target
              events_bench`): EventBus::PutEvents in batches of 10 JSON-text entries with a
              FakeExecutor, one thread; events per CPU-second (the machine is shared), with and
              without targets; writes the events and rules it used to a scratch dir
  baseline    bench/events_moto.py under MOTO_PYTHON: moto's EventPattern.matches_event over the
              same rule x event pairs
  latency     bench/events_e2e.py: a daemon, rule -> API destination -> local receiver, boto3

Targets (issue 5): >= 300,000 events/s per core against 100 rules; throughput falling less than
2x from 100 to 1,000 rules; >= 200x moto in the same run.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import events_e2e

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(f"[bench] {msg}", flush=True)


def bench_events(berth, events_bench, moto_python, seconds=2.0, rounds=3, moto_seconds=3.0,
                 e2e_n=300):
    tmp = tempfile.mkdtemp(prefix="berth-bench-events-")
    try:
        log(f"(i) {events_bench}: {rounds} rounds of {seconds:g} s per rule set")
        p = subprocess.run([events_bench, "--out-dir", tmp, "--seconds", str(seconds),
                            "--rounds", str(rounds)], capture_output=True, text=True)
        sys.stderr.write(p.stderr)
        if p.returncode != 0:
            raise RuntimeError(f"events_bench failed ({p.returncode})")
        res = {"throughput": json.loads(p.stdout)}
        log(f"(i) moto's matcher ({moto_python})")
        p = subprocess.run([moto_python, os.path.join(HERE, "events_moto.py"), "--dir", tmp,
                            "--seconds", str(moto_seconds)], capture_output=True, text=True)
        sys.stderr.write(p.stderr)
        try:
            res["moto"] = json.loads(p.stdout)
        except ValueError:
            res["moto"] = {"skipped": f"{moto_python} events_moto.py failed: {p.stderr[-300:]}"}
        log(f"(i) end to end: {e2e_n} events PutEvents -> API destination -> receiver")
        res["e2e"] = events_e2e.bench_e2e(berth, e2e_n)
        derive(res)
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def derive(res):
    sets = res["throughput"]["sets"]
    moto = {s["rules"]: s for s in res["moto"].get("sets", [])}
    # Keys: "N" for a set of its own; "No" / "Nv": the 100-rule set plus rules for other
    # sources / for other values of the same sources; "Nd": the N-rule set, no two pattern
    # texts alike.
    res["eps"] = {set_key(s): s["full"]["events_per_cpu_s"] for s in sets}
    e100 = res["eps"].get("100")
    for key in ("1000", "1000o", "1000v"):
        e = res["eps"].get(key)
        res["drop_100_" + key] = e100 / e if e100 and e else None
    e100d, e1000d = res["eps"].get("100d"), res["eps"].get("1000d")
    res["drop_100d_1000d"] = e100d / e1000d if e100d and e1000d else None
    if 100 in moto:
        res["moto_eps_100"] = moto[100]["events_per_cpu_s"]
        res["ratio_moto_100"] = e100 / moto[100]["events_per_cpu_s"]
    res["ratio_moto"] = {str(n): res["eps"][str(n)] / m["events_per_cpu_s"]
                         for n, m in moto.items() if str(n) in res["eps"]}


def set_key(s):
    return (f"{s['rules']}" + ("o" if s.get("other_sources") else "")
            + ("v" if s.get("other_values") else "") + ("d" if s.get("distinct_texts") else ""))


def met(ok):
    return "**met**" if ok else "**NOT met**"


def fmt_runs(summary):
    return ", ".join(f"{r['events'] / r['cpu_s']:,.0f}" for r in summary["runs"])


def render_i(m, r, run_line):
    t = r["throughput"]
    sets = t["sets"]
    moto = r["moto"]
    moto_sets = {s["rules"]: s for s in moto.get("sets", [])}
    e100 = r["eps"]["100"]
    ok_abs = e100 >= 300_000
    ratio = r.get("ratio_moto_100")
    ok_moto = ratio is not None and ratio >= 200
    drop = r["drop_100_1000"]
    drop_o = r.get("drop_100_1000o")
    drop_v = r.get("drop_100_1000v")
    drop_d = r.get("drop_100d_1000d")
    e2e = r["e2e"]
    by = {set_key(s): s for s in sets}
    s100 = by["100"]
    s1000 = by["1000"]
    so = by.get("1000o")
    sv = by.get("1000v")
    sd = by.get("1000d")
    s100d = by.get("100d")
    rows = [
        f"| (i) event bus: PutEvents → match → in-memory target, 100 rules, events/s per core | "
        f"{e100:,.0f} events/s | "
        + (f"moto {moto.get('moto_version', '')} matcher, same events and rules: "
           f"{r['moto_eps_100']:,.0f} events/s | {ratio:,.0f}× | ≥ 200× moto | {met(ok_moto)} |"
           if ratio is not None else f"moto: {moto.get('skipped', 'not run')} | — | ≥ 200× moto | — |"),
        f"| (i) the same, absolute | {e100:,.0f} events/s | — | — | ≥ 300,000 events/s | "
        f"{met(ok_abs)} |"]
    if sv is not None:
        rows.append(
            f"| (i) 100 → 1,000 rules, the 900 added on the same sources with other values (same "
            f"{sv['matched_per_event']:.1f} deliveries per event) | {r['eps']['1000v']:,.0f} "
            f"events/s | 100 rules: {e100:,.0f} events/s | {drop_v:.2f}× lower | < 2× | "
            f"{met(drop_v < 2)} |")
    if so is not None:
        rows.append(
            f"| (i) 100 → 1,000 rules, the 900 added for other sources (same "
            f"{so['matched_per_event']:.1f} deliveries per event) | {r['eps']['1000o']:,.0f} "
            f"events/s | 100 rules: {e100:,.0f} events/s | {drop_o:.2f}× lower | < 2× | "
            f"{met(drop_o < 2)} |")
    rows.append(
        f"| (i) 100 → 1,000 rules, every rule matching as often (~{s100['match_frac'] * 100:.0f}% "
        f"of the rules each: {s100['matched_per_event']:.1f} → "
        f"{s1000['matched_per_event']:.1f} deliveries per event, 10×) | "
        f"{r['eps']['1000']:,.0f} events/s | 100 rules: {e100:,.0f} events/s | {drop:.2f}× lower | "
        f"< 2× | {met(drop < 2)} (see the notes) |")
    if sd is not None and s100d is not None:
        rows.append(
            f"| (i) the same, with no two pattern texts alike in either set (above, "
            f"{s100['distinct_patterns']} distinct patterns among the 100 rules and "
            f"{s1000['distinct_patterns']:,} among the 1,000; here 100 and 1,000) | "
            f"{r['eps']['1000d']:,.0f} events/s | 100 rules: {r['eps']['100d']:,.0f} events/s | "
            f"{drop_d:.2f}× lower | < 2× | {met(drop_d < 2)} (see the notes) |")
    rows.append(
        f"| (i) PutEvents → webhook delivered (API destination, local receiver), p50 / p99 | "
        f"{e2e['e2e_p50_ms']:.2f} / {e2e['e2e_p99_ms']:.2f} ms | the PutEvents call alone: "
        f"{e2e['put_p50_ms']:.2f} / {e2e['put_p99_ms']:.2f} ms | "
        f"{e2e['e2e_p50_ms'] - e2e['put_p50_ms']:+.2f} ms (p50) | — | |")

    L = ["## (i) Event bus: PutEvents → match → target\n", run_line(m)]
    L.append(
        f"Method (throughput): `bench/events_bench.cc` (links berth's `events/` library; built by "
        f"`bench/run` as `build-bench/bench/events_bench`, from the working tree). It generates "
        f"{t['events']:,} events — ECS-task-state-change-like ones (attachments, 1–3 containers, "
        f"ARNs, timestamps) and order / payment / user / deployment events of custom "
        f"applications; detail {t['detail_bytes_min']:,}–{t['detail_bytes_max']:,} bytes, "
        f"{t['detail_bytes_avg']:,.0f} on average — and rule sets of 1, 100 and 1,000 rules from "
        f"16 templates over exact, prefix, suffix, anything-but (list, prefix, suffix), numeric "
        f"ranges, exists (true and false), cidr, wildcard, equals-ignore-case (also as prefix) "
        f"and $or, chosen so that an event matches ~5–10% of the rules. Every rule has one "
        f"target, handled by an in-memory counting TargetInvoker. The events go through "
        f"`EventBus::PutEvents` in batches of 10 entries whose Detail is JSON text, as the API "
        f"passes it (so JSON parsing is included: the detail is validated, flattened and "
        f"re-emitted in the delivered envelope), with a memory-only outbox and a FakeExecutor whose "
        f"pending work runs after each batch; the target answers at once (`InvokeNow`, as a log "
        f"group does), so each delivery — attempt, invoke, outcome, counters, recent traffic — is "
        f"made while PutEvents routes its event; one thread. Events per CPU-second of that thread "
        f"(`CLOCK_THREAD_CPUTIME_ID`; the machine is shared, see the load average), "
        f"{t['rounds']} rounds of {t['seconds']:g} s per set, the sets interleaved; median, with "
        f"every round listed. \"Match only\": the same rules without targets (matching, "
        f"counters and recent traffic, no deliveries). Two more 1,000-rule sets keep the 100-rule "
        f"set's fan-out: the 100-rule set plus 900 rules of the same templates either for the "
        f"same sources and detail-types with values no event has (every string a value compares "
        f"with gets a `~N`, numbers and ranges move up by 10⁶, cidr ranges become "
        f"198.51.100.0/24; anything-but and exists stay, beside a moved value: other teams' "
        f"rules on the same services, which the index must reject by their values), or for "
        f"sources the events never come from (more applications in the account). The benchmark "
        f"counts every set's matches by trying every rule on every event, and the added rules "
        f"match none. The generated sets repeat patterns (the templates draw their values from "
        f"small pools), and the bus matches a pattern that several rules share once; so the "
        f"100- and 1,000-rule sets are also run with every pattern's text made unique by "
        f"trailing whitespace: the same rules and matches, but a pattern per rule for the "
        f"index.\n")
    L.append("| rule set | distinct patterns | matched rules per event | rule branches verified "
             "per event (index, one pattern per rule) | events/s per core (median) | every round | "
             "match only, events/s |")
    L.append("|---|---|---|---|---|---|---|")
    for s in sets:
        name = (f"{s['rules']:,} ({s['other_sources']:,} for other sources)"
                if s.get("other_sources") else
                f"{s['rules']:,} ({s['other_values']:,} with other values)"
                if s.get("other_values") else
                f"{s['rules']:,} (no two texts alike)" if s.get("distinct_texts") else
                f"{s['rules']:,}")
        L.append(f"| {name} | {s.get('distinct_patterns', '?')} | {s['matched_per_event']:.2f} | "
                 f"{s['index_tried_per_event']:.2f} | "
                 f"{s['full']['events_per_cpu_s']:,.0f} | {fmt_runs(s['full'])} | "
                 f"{s['match_only']['events_per_cpu_s']:,.0f} |")
    L.append("")
    L.append(f"berth's matcher alone (`EventPattern::Matches` on pre-flattened events, every "
             f"pattern of the {t['matcher_rules']:,}-rule set, no index): "
             f"{t['matcher_pairs_per_cpu_s']:,.0f} rule×event pairs per CPU-second.\n")
    if moto_sets:
        L.append(
            f"Baseline: moto {moto.get('moto_version')} (Python {moto.get('python')}), "
            f"`moto.events.models.EventPattern` — `EventPattern.load(pattern)` per rule, then "
            f"`matches_event(message)` for every rule × event pair, the message being the "
            f"envelope dict moto's `put_events` builds (built once per event beforehand, so moto "
            f"is not charged for its per-rule `deepcopy` and `json.loads` of the detail); "
            f"cycling over the same events until ≥ 3 CPU-seconds. moto's `matches_event` "
            f"re-serialises the whole event (`json.loads(json.dumps(event))`) for every pair, so "
            f"its pair rate depends on the event size: with these 1–2 KB events it is far below "
            f"the ~126,000 pairs/s it reaches on small events.\n")
        L.append("| rules | moto pairs/s | moto events/s | berth events/s | berth / moto | "
                 "events compared | same match count |")
        L.append("|---|---|---|---|---|---|---|")
        for n, ms in sorted(moto_sets.items()):
            be = r["eps"].get(str(n))
            agree = (f"{ms['agree_events']:,} of {ms['compared_events']:,} "
                     f"(matches: moto {ms['moto_matched']:,}, berth {ms['berth_matched']:,})"
                     if "compared_events" in ms else "—")
            L.append(f"| {n:,} | {ms['pairs_per_cpu_s']:,.0f} | {ms['events_per_cpu_s']:,.1f} | "
                     f"{be:,.0f} | {be / ms['events_per_cpu_s']:,.0f}× | "
                     f"{ms.get('compared_events', 0):,} | {agree} |")
        L.append("")
        differ = [ms for ms in moto_sets.values()
                  if "compared_events" in ms and ms["agree_events"] != ms["compared_events"]]
        if differ:
            L.append("Where the counts differ, moto's simpler matcher disagrees with "
                     "EventBridge's (moto does not look into arrays of objects, and treats "
                     "`exists` and `anything-but` on missing or array fields differently); "
                     "berth's matcher is checked against AWS's recorded cases "
                     "(spec/events.md §2).\n")
        else:
            L.append("moto and berth found the same number of matching rules for every event "
                     "compared (the rules avoid the constructs where moto's matcher departs "
                     "from EventBridge's, such as fields inside arrays of objects).\n")
    else:
        L.append(f"Baseline: moto was not run ({moto.get('skipped', '?')}).\n")
    L.append(
        f"Method (latency): `bench/events_e2e.py`. One `berth serve` with a fresh data dir (so "
        f"PutEvents journals each event with fdatasync before answering), a connection "
        f"(API_KEY), an API destination `http://127.0.0.1:PORT/hook` (rate limit 300/s) and a "
        f"rule `{{\"source\":[\"bench.e2e\"]}}` targeting it; the receiver is a separate Python "
        f"process (raw sockets, epoll, keep-alive) that stamps each request with "
        f"CLOCK_MONOTONIC when its body has arrived. boto3 (`/usr/bin/python3`) puts one "
        f"{e2e['detail_bytes']:,}-byte-detail event at a time, {e2e['n']} events after "
        f"{e2e['warmup']} warm-up ones; latency = receiver's stamp − the stamp just before "
        f"`put_events`; the client waits for each arrival, then 5 ms (above the 300/s spacing, "
        f"so the rate limiter never delays an event).\n")
    L.append("| | p50 | p99 |\n|---|---|---|")
    L.append(f"| PutEvents → webhook request received | {e2e['e2e_p50_ms']:.2f} ms | "
             f"{e2e['e2e_p99_ms']:.2f} ms |")
    L.append(f"| the PutEvents call alone (boto3, signed, journaled) | {e2e['put_p50_ms']:.2f} ms | "
             f"{e2e['put_p99_ms']:.2f} ms |")
    L.append(f"| from PutEvents returning to the webhook (p50 of the differences) | "
             f"{e2e['after_put_p50_ms']:+.2f} ms | |")
    L.append("")
    L.append("The daemon answers PutEvents once the event is journaled and hands the delivery to "
             "an API-destination worker at once, so the webhook request goes out while the "
             "answer travels back to boto3; a difference near zero (or below it) means the "
             "webhook arrived about when boto3 had finished reading the answer: the end-to-end "
             "time is essentially the PutEvents call itself (boto3 signing and parsing, HTTP, "
             "the journal's fdatasync).\n")
    L.append(
        f"Targets: ≥ 300,000 events/s per core against 100 rules — {e100:,.0f}: {met(ok_abs)}; "
        + (f"≥ 200× moto — {ratio:,.0f}×: {met(ok_moto)}; " if ratio is not None else "")
        + f"throughput falling less than 2× from 100 to 1,000 rules"
        + (f" — {drop_v:.2f}× when the 900 added rules watch other values of the same sources: "
           f"{met(drop_v < 2)}" if drop_v is not None else "")
        + (f"; {drop_o:.2f}× when they are other applications' (same fan-out): "
           f"{met(drop_o < 2)}" if drop_o is not None else "")
        + f"; {drop:.1f}× when every added rule matches as often as the first 100, so that an "
        f"event has 10× the deliveries: {met(drop < 2)}. See the notes below for where the "
        f"time goes.\n")
    return rows, "\n".join(L)
