"""`berth rules` and `berth events` against a real daemon: a delivered event with its matched rule
and outcome, rule counters, a schedule's next firings, dead letters and their replay, --follow,
and errors. Rules and events are set up with boto3."""
import datetime
import json
import queue
import re
import signal
import subprocess
import threading
import time
import unittest

import harness

D = None
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/berth/test"
SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:q"  # berth has no invoker for SQS: dead at once


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


def rule_block(out, name):
    """The lines of `berth rules` output for one rule (blocks are separated by blank lines)."""
    for block in out.strip().split("\n\n"):
        lines = block.splitlines()
        if lines and lines[0].split()[0] == name:
            return lines
    raise AssertionError("no rule %s in:\n%s" % (name, out))


def counters(lines, label):
    """The six counters of the row labelled `label` ("rule" or "target ID")."""
    for line in lines:
        words = line.split()
        n = len(label.split())
        if words[:n] == label.split() and len(words) >= n + 6 and words[n].isdigit():
            return [int(w) for w in words[n:n + 6]]
    raise AssertionError("no %r row in:\n%s" % (label, "\n".join(lines)))


def event_block(out, event_id):
    """The header and delivery lines of one event in `berth events` output."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.endswith("id " + event_id) or ("id " + event_id + "  ") in line:
            block = [line]
            for rest in lines[i + 1:]:
                if not rest.startswith("  "):
                    break
                block.append(rest)
            return block
    return None


class EventCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ev = D.boto("events")

    def put_rule(self, name, source, target_id, arn):
        self.ev.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))
        self.ev.put_targets(Rule=name, Targets=[{"Id": target_id, "Arn": arn}])

    def put_event(self, source, detail_type, detail):
        r = self.ev.put_events(Entries=[{"Source": source, "DetailType": detail_type,
                                         "Detail": json.dumps(detail)}])
        self.assertEqual(r["FailedEntryCount"], 0, r)
        return r["Entries"][0]["EventId"]

    def test_delivered_event_and_rule_counters(self):
        self.put_rule("cli-orders", "cli.orders", "logs", LOG_GROUP_ARN)
        event_id = self.put_event("cli.orders", "Order Placed", {"orderId": "42"})

        def delivered():
            block = event_block(D.berth("events").stdout, event_id)
            return block if block and "delivered" in "\n".join(block) else None
        block = harness.wait_for(delivered, timeout=10, what="berth events shows delivered")
        head, deliveries = block[0], block[1:]
        self.assertRegex(head, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  cli\.orders  Order Placed  id ")
        self.assertEqual(len(deliveries), 1, block)
        self.assertEqual(deliveries[0].split()[:5],
                         ["cli-orders", "->", "logs", "delivered", "1"])
        self.assertIn("1 attempt", deliveries[0])

        out = D.berth("rules").stdout
        lines = rule_block(out, "cli-orders")
        self.assertEqual(lines[0].split(), ["cli-orders", "ENABLED", "bus", "default"])
        self.assertIn('  pattern   {"source":["cli.orders"]}', lines)
        self.assertEqual(lines[2].split(), ["MATCHED", "DELIVERED", "FAILED", "RETRIED",
                                            "DEAD-LETTERED", "SKIPPED"])
        self.assertEqual(counters(lines, "rule"), [1, 1, 0, 0, 0, 0])
        self.assertEqual(counters(lines, "target logs"), [1, 1, 0, 0, 0, 0])
        self.assertTrue(lines[-1].endswith(LOG_GROUP_ARN), lines)
        # The same rule with --bus; an event that matches nothing says so.
        self.assertEqual(rule_block(D.berth("rules", "--bus", "default").stdout, "cli-orders"),
                         lines)
        lonely = self.put_event("cli.nobody", "Nothing", {})
        self.assertEqual(event_block(D.berth("events").stdout, lonely)[1].strip(),
                         "no rule matched")

    def test_schedule_shows_next_five_firings(self):
        self.ev.put_rule(Name="cli-every-5m", ScheduleExpression="rate(5 minutes)")
        before = datetime.datetime.now(datetime.timezone.utc)
        lines = rule_block(D.berth("rules").stdout, "cli-every-5m")
        self.assertIn("  schedule  rate(5 minutes)", lines)
        start = next(i for i, line in enumerate(lines) if line.startswith("  next "))
        times = [datetime.datetime.strptime(line.split()[-1], "%Y-%m-%dT%H:%M:%S.%fZ")
                 .replace(tzinfo=datetime.timezone.utc) for line in lines[start:start + 5]]
        self.assertTrue(all(lines[start + i].startswith("  " + " " * 10) for i in range(1, 5)))
        self.assertEqual([(b - a).total_seconds() for a, b in zip(times, times[1:])], [300] * 4)
        self.assertGreater(times[0], before - datetime.timedelta(seconds=1))
        self.assertLessEqual(times[0], before + datetime.timedelta(minutes=5, seconds=5))
        self.assertEqual(counters(lines, "rule"), [0] * 6)
        self.assertIn("  (no targets)", lines)

    def test_dead_letter_and_replay(self):
        self.put_rule("cli-dead", "cli.dead", "q", SQS_ARN)
        event_id = self.put_event("cli.dead", "Doomed", {"n": 1})

        def dead():
            block = event_block(D.berth("events").stdout, event_id)
            return block if block and " dead " in "\n".join(block) else None
        block = harness.wait_for(dead, timeout=10, what="berth events shows dead")
        self.assertEqual(block[1].split()[:4], ["cli-dead", "->", "q", "dead"])
        self.assertIn("UnsupportedTarget", block[1])

        out = D.berth("events", "--dead").stdout
        m = re.search(r"^dead letter (\d+)  (\S+)  cli-dead -> q  (\d+) attempts?$", out, re.M)
        self.assertTrue(m, out)
        letter_id = m.group(1)
        block = out[m.start():].split("\n\n")[0].splitlines()
        self.assertEqual(block[1], "  target  " + SQS_ARN)
        self.assertTrue(block[2].startswith("  error   UnsupportedTarget: "), block)
        self.assertEqual(block[3], '  event   cli.dead  Doomed  id %s  {"n":1}' % event_id)
        dead_before = len(re.findall(r"^dead letter ", out, re.M))

        p = D.berth("events", "--replay", letter_id)
        self.assertIn("replayed dead letter %s: event %s to rule cli-dead -> target q" %
                      (letter_id, event_id), p.stdout)
        self.assertRegex(p.stdout, r"dead after \d+ attempts?: UnsupportedTarget: .* "
                                   r"\(now dead letter \d+\)")
        out = D.berth("events", "--dead").stdout
        self.assertEqual(len(re.findall(r"^dead letter ", out, re.M)), dead_before + 1, out)
        lines = rule_block(D.berth("rules").stdout, "cli-dead")
        self.assertEqual(counters(lines, "target q")[0], 1)  # matched once
        self.assertEqual(counters(lines, "target q")[4], 2)  # dead-lettered twice

    def test_follow_prints_new_events_until_ctrl_c(self):
        self.put_rule("cli-follow", "cli.follow", "logs", LOG_GROUP_ARN)
        env = dict(D.client_env())
        p = subprocess.Popen([harness.BERTH, "events", "--follow"], stdout=subprocess.PIPE,
                             text=True, env=env)
        lines = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True)
        reader.start()
        try:
            time.sleep(0.5)  # let it print what the bus already has
            event_id = self.put_event("cli.follow", "Followed", {})
            start = time.time()
            seen_head = seen_delivered = False
            while not seen_delivered:
                line = lines.get(timeout=5)
                if ("id " + event_id) in line and "cli.follow  Followed" in line:
                    seen_head = time.time()
                elif seen_head and "cli-follow -> logs" in line and "delivered" in line:
                    seen_delivered = True
            self.assertLess(seen_head - start, 2.0)
        finally:
            p.send_signal(signal.SIGINT)
            rc = p.wait(timeout=5)
            reader.join(timeout=5)
            p.stdout.close()
        self.assertEqual(rc, 0)

    def test_errors(self):
        p = D.berth("rules", "--bus", "no-such-bus", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^berth: ResourceNotFoundException: .*no-such-bus")
        p = D.berth("events", "--replay", "987654", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("berth: ResourceNotFoundException: No dead letter with id 987654.", p.stderr)
        p = D.berth("events", "--replay", "abc", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("dead-letter id", p.stderr)
        p = D.berth("events", "--dead", "--follow", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("excludes", p.stderr)


if __name__ == "__main__":
    unittest.main()
