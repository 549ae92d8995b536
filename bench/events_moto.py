#!/usr/bin/env python3
"""(i) baseline: moto's EventBridge pattern matcher over the events and rules that
bench/events_bench.cc generated (its --out-dir: events.jsonl, rules-N.json, matches-N.json).

moto's put_events builds one event message per rule (the envelope dict, `detail` parsed) and
calls `rule.event_pattern.matches_event(message)` for every rule of the bus; that call is what is
timed here, rule x event pair by pair, with the messages built once beforehand (so moto is not
charged for its per-rule deepcopy and json.loads). Patterns are compiled with
`EventPattern.load`, as PutRule does. For each rule set the events are matched against every
rule in order, cycling over the events until at least --seconds have passed; the first full pass
(when it fits in the time) is also compared with berth's matches for the same events.

Run with a python that has moto (the pyenv one); with no moto, prints {"skipped": "..."}.
    events_moto.py --dir DIR [--rules 1,100,1000] [--seconds 3]
"""
import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--rules", default="1,100,1000")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    try:
        import moto
        from moto.events.models import EventPattern
    except Exception as e:  # noqa: BLE001 — any import failure means "no moto here"
        print(json.dumps({"skipped": f"moto is not importable by {sys.executable}: {e}"}))
        return
    entries = [json.loads(line) for line in open(os.path.join(args.dir, "events.jsonl"))]
    messages = []
    for i, e in enumerate(entries):
        # moto's put_events message (models.py), once per event.
        messages.append({
            "version": "0",
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "detail-type": e["DetailType"],
            "source": e["Source"],
            "account": "123456789012",
            "time": "2024-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": e.get("Resources", []),
            "detail": json.loads(e["Detail"]),
            "ingestion-time": 1704067200.0,
        })
    out = {"moto_version": moto.__version__, "python": sys.version.split()[0],
           "events": len(messages), "sets": []}
    for n in (int(x) for x in args.rules.split(",")):
        rules = json.load(open(os.path.join(args.dir, f"rules-{n}.json")))
        patterns = [EventPattern.load(r["EventPattern"]) for r in rules]
        berth = None
        path = os.path.join(args.dir, f"matches-{n}.json")
        if os.path.exists(path):
            berth = json.load(open(path))
        for m in messages[:20]:  # warm-up
            for p in patterns:
                p.matches_event(m)
        pairs = events = matched = 0
        per_event = []
        t0 = time.process_time()
        w0 = time.perf_counter()
        i = 0
        while True:
            m = messages[i]
            k = 0
            for p in patterns:
                if p.matches_event(m):
                    k += 1
            pairs += len(patterns)
            events += 1
            matched += k
            if len(per_event) < len(messages):
                per_event.append(k)
            i += 1
            if i == len(messages):
                i = 0
            if time.process_time() - t0 >= args.seconds and events >= 10:
                break
        cpu = time.process_time() - t0
        wall = time.perf_counter() - w0
        s = {"rules": n, "pairs": pairs, "events": events, "cpu_s": cpu, "wall_s": wall,
             "pairs_per_cpu_s": pairs / cpu, "events_per_cpu_s": events / cpu,
             "matched_per_event": matched / events}
        if berth is not None:
            k = min(len(per_event), len(berth))
            s["compared_events"] = k
            s["agree_events"] = sum(1 for a, b in zip(per_event[:k], berth[:k]) if a == b)
            s["moto_matched"] = sum(per_event[:k])
            s["berth_matched"] = sum(berth[:k])
        out["sets"].append(s)
        print(f"[events_moto] {n} rules: {s['pairs_per_cpu_s']:,.0f} pairs/s, "
              f"{s['events_per_cpu_s']:,.0f} events/s", file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
