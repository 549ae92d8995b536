"""Container logs end to end: awslogs grouping, php-fpm unwrapping, the CloudWatch Logs API,
`aws logs tail --follow`, `berth logs`, durability across kill -9."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import botocore.exceptions

import harness

D = None

LARAVEL_SCRIPT = r"""
for i in 1 2 3; do
  echo "[2026-11-28 19:34:0$i] production.INFO: request $i handled {\"ms\":$i}"
  sleep 0.05
done
{
  echo "[2026-11-28 19:34:05] production.ERROR: Uncaught Exception: boom {\"exception\":\"[object] (Exception(code: 0): boom at /var/www/app/Http/Controllers/Home.php:12)\"}"
  echo "[stacktrace]"
  for n in $(seq 0 39); do echo "#$n /var/www/vendor/laravel/framework/src/Illuminate/Pipeline.php($n): closure()"; done
} >&2
sleep 0.05
echo "[2026-11-28 19:34:06] production.INFO: after the error"
"""

PHP_FPM_SCRIPT = r"""
P='[28-Nov-2026 19:34:00] WARNING: [pool www] child 27673 said into'
echo "[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1" >&2
echo "$P stdout: \"[2026-11-28 19:34:01] production.INFO: hello\"" >&2
echo "$P stderr: \"[2026-11-28 19:34:02] production.ERROR: boom\"" >&2
for n in 0 1 2 3 4; do echo "$P stderr: \"#$n /var/www/app.php($n): f()\"" >&2; done
echo "$P stdout: \"[2026-11-28 19:34:03] production.INFO: bye\"" >&2
"""


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


def awslogs(group, **extra):
    options = {"awslogs-group": group, "awslogs-region": "us-east-1",
               "awslogs-stream-prefix": "app"}
    options.update(extra)
    return {"logDriver": "awslogs", "options": options}


class LogsTest(unittest.TestCase):
    def setUp(self):
        self.ecs = D.boto()
        self.logs = D.boto("logs")

    def run_to_stop(self, family, containers):
        self.ecs.register_task_definition(family=family, containerDefinitions=containers)
        arn = self.ecs.run_task(taskDefinition=family)["tasks"][0]["taskArn"]
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.3, attempts=100).wait(tasks=[arn])
        return arn, arn.rsplit("/", 1)[1]

    def all_events(self, group, stream):
        r = self.logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
        return [e["message"] for e in r["events"]]

    def test_laravel_stack_trace_is_one_event_with_datetime_format(self):
        self.logs.create_log_group(logGroupName="/ecs/laravel")
        arn, task_id = self.run_to_stop("laravel", [{
            "name": "web", "image": "php:8.3-fpm", "memory": 64,
            "command": ["sh", "-c", LARAVEL_SCRIPT],
            "logConfiguration": awslogs("/ecs/laravel", **{
                "awslogs-datetime-format": "%Y-%m-%d %H:%M:%S"})}])
        stream = "app/web/" + task_id
        streams = self.logs.describe_log_streams(logGroupName="/ecs/laravel")["logStreams"]
        self.assertEqual([s["logStreamName"] for s in streams], [stream])
        events = self.all_events("/ecs/laravel", stream)
        self.assertEqual(len(events), 5, events)
        self.assertTrue(events[0].startswith("[2026-11-28 19:34:01] production.INFO: request 1"))
        error = events[3]
        self.assertTrue(error.startswith("[2026-11-28 19:34:05] production.ERROR: Uncaught Exception: boom"))
        self.assertIn("\n[stacktrace]\n", error)
        self.assertIn("#39 /var/www/vendor/laravel/framework/src/Illuminate/Pipeline.php(39): closure()\n", error)
        self.assertEqual(error.count("\n"), 42)       # header, [stacktrace], 40 frames
        self.assertTrue(all(e.endswith("\n") for e in events))  # Docker's trailing newline
        self.assertEqual(events[4], "[2026-11-28 19:34:06] production.INFO: after the error\n")

    def test_without_multiline_every_line_is_an_event(self):
        self.logs.create_log_group(logGroupName="/ecs/plain")
        _, task_id = self.run_to_stop("plain", [{
            "name": "web", "image": "x", "memory": 32,
            "command": ["sh", "-c", "echo one; echo; echo two >&2; printf three"],
            "logConfiguration": awslogs("/ecs/plain")}])
        events = self.all_events("/ecs/plain", "app/web/" + task_id)
        self.assertEqual(sorted(events), ["one", "three", "two"])

    def test_php_fpm_unwrapping_then_grouping(self):
        _, task_id = self.run_to_stop("phpfpm", [{
            "name": "web", "image": "php:7.2-fpm", "memory": 32,
            "command": ["sh", "-c", PHP_FPM_SCRIPT],
            "logConfiguration": awslogs("/ecs/phpfpm", **{
                "awslogs-create-group": "true",
                "awslogs-datetime-format": "%Y-%m-%d %H:%M:%S",
                "berth-php-fpm-unwrap": "true"})}])
        events = self.all_events("/ecs/phpfpm", "app/web/" + task_id)
        self.assertEqual(events[0], "[28-Nov-2026 19:34:00] NOTICE: fpm is running, pid 1\n")
        self.assertEqual(events[1], "[2026-11-28 19:34:01] production.INFO: hello\n")
        self.assertEqual(events[2], "[2026-11-28 19:34:02] production.ERROR: boom\n" +
                         "".join("#%d /var/www/app.php(%d): f()\n" % (n, n) for n in range(5)))
        self.assertEqual(events[3], "[2026-11-28 19:34:03] production.INFO: bye\n")

    def test_missing_group_without_create_group_stops_the_task(self):
        self.ecs.register_task_definition(family="nogroup", containerDefinitions=[{
            "name": "web", "image": "x", "memory": 32, "command": ["sleep", "30"],
            "logConfiguration": awslogs("/ecs/does-not-exist")}])
        arn = self.ecs.run_task(taskDefinition="nogroup")["tasks"][0]["taskArn"]
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.3).wait(tasks=[arn])
        t = self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertIn("ResourceNotFoundException: The specified log group does not exist.",
                      t["stoppedReason"])

    def test_output_without_log_configuration_is_kept(self):
        _, task_id = self.run_to_stop("nolog", [{
            "name": "job", "image": "x", "memory": 32, "command": ["sh", "-c", "echo kept"]}])
        self.assertEqual(self.all_events("/berth/tasks/nolog", "job/" + task_id), ["kept"])

    def test_berth_logs_shows_blocks_and_filters(self):
        self.logs.create_log_group(logGroupName="/ecs/cli")
        _, task_id = self.run_to_stop("clilogs", [{
            "name": "web", "image": "x", "memory": 64, "command": ["sh", "-c", LARAVEL_SCRIPT],
            "logConfiguration": awslogs("/ecs/cli", **{
                "awslogs-datetime-format": "%Y-%m-%d %H:%M:%S"})}])
        out = D.berth("logs", task_id).stdout
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("web 20"), lines[0])
        self.assertIn("production.INFO: request 1", lines[0])
        trace_line = next(l for l in lines if "#39 /var/www" in l)
        self.assertTrue(trace_line.startswith(" "))   # continuation lines stay in the block
        self.assertNotIn("\x1b[", out)                 # no colour when not on a terminal
        filtered = D.berth("logs", task_id, "--filter", "ERROR").stdout
        self.assertIn("production.ERROR", filtered)
        self.assertNotIn("production.INFO", filtered)
        by_group = D.berth("logs", "/ecs/cli", "--since", "1h").stdout
        self.assertIn("after the error", by_group)
        unknown = D.berth("logs", "no-such-thing", check=False)
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("no task, log group or service named 'no-such-thing'", unknown.stderr)

    def test_berth_logs_follow_prints_new_lines_quickly(self):
        self.ecs.register_task_definition(family="follow", containerDefinitions=[{
            "name": "web", "image": "x", "memory": 32,
            "command": ["sh", "-c", "echo first; sleep 2; echo second; sleep 30"]}])
        arn = self.ecs.run_task(taskDefinition="follow")["tasks"][0]["taskArn"]
        task_id = arn.rsplit("/", 1)[1]
        env = dict(os.environ, BERTH_DATA_DIR=D.data_dir)
        p = subprocess.Popen([harness.BERTH, "logs", task_id, "-f"], stdout=subprocess.PIPE,
                             text=True, env=env)
        try:
            first = p.stdout.readline()
            self.assertIn("first", first)
            start = time.time()
            second = p.stdout.readline()
            self.assertIn("second", second)
            self.assertLess(time.time() - start, 4)
        finally:
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(timeout=5), 0)
            self.ecs.stop_task(task=arn)


class LogsApiTest(unittest.TestCase):
    def setUp(self):
        self.logs = D.boto("logs")

    def code(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        return cm.exception.response["Error"]["Code"], cm.exception.response["Error"]["Message"]

    def test_groups_streams_errors_and_retention(self):
        l = self.logs
        l.create_log_group(logGroupName="/api/g1", tags={"team": "web"})
        self.assertEqual(self.code(l.create_log_group, logGroupName="/api/g1"),
                         ("ResourceAlreadyExistsException", "The specified log group already exists"))
        self.assertEqual(self.code(l.create_log_stream, logGroupName="/api/none", logStreamName="s"),
                         ("ResourceNotFoundException", "The specified log group does not exist."))
        l.create_log_stream(logGroupName="/api/g1", logStreamName="b")
        l.create_log_stream(logGroupName="/api/g1", logStreamName="a")
        self.assertEqual(self.code(l.create_log_stream, logGroupName="/api/g1", logStreamName="a")[0],
                         "ResourceAlreadyExistsException")
        names = [s["logStreamName"] for s in l.describe_log_streams(logGroupName="/api/g1")["logStreams"]]
        self.assertEqual(names, ["a", "b"])
        names = [s["logStreamName"] for s in l.describe_log_streams(
            logGroupName="/api/g1", descending=True)["logStreams"]]
        self.assertEqual(names, ["b", "a"])
        self.assertEqual(self.code(l.describe_log_streams, logGroupName="/api/g1",
                                   orderBy="LastEventTime", logStreamNamePrefix="a"),
                         ("InvalidParameterException",
                          "Cannot order by LastEventTime with a logStreamNamePrefix."))
        self.assertEqual(self.code(l.put_retention_policy, logGroupName="/api/g1",
                                   retentionInDays=2)[0], "InvalidParameterException")
        l.put_retention_policy(logGroupName="/api/g1", retentionInDays=7)
        g = l.describe_log_groups(logGroupNamePrefix="/api/g1")["logGroups"][0]
        self.assertEqual(g["retentionInDays"], 7)
        self.assertEqual(g["arn"], "arn:aws:logs:us-east-1:123456789012:log-group:/api/g1:*")
        self.assertEqual(l.list_tags_log_group(logGroupName="/api/g1")["tags"], {"team": "web"})
        l.delete_retention_policy(logGroupName="/api/g1")
        self.assertNotIn("retentionInDays",
                         l.describe_log_groups(logGroupNamePrefix="/api/g1")["logGroups"][0])
        l.delete_log_stream(logGroupName="/api/g1", logStreamName="a")
        l.delete_log_group(logGroupName="/api/g1")
        self.assertEqual(self.code(l.delete_log_group, logGroupName="/api/g1")[0],
                         "ResourceNotFoundException")

    def test_put_log_events_rules(self):
        l = self.logs
        l.create_log_group(logGroupName="/api/put")
        l.create_log_stream(logGroupName="/api/put", logStreamName="s")
        now = int(time.time() * 1000)
        self.assertEqual(self.code(l.put_log_events, logGroupName="/api/put", logStreamName="s",
                                   logEvents=[{"timestamp": now, "message": "b"},
                                              {"timestamp": now - 1, "message": "a"}]),
                         ("InvalidParameterException",
                          "Log events in a single PutLogEvents request must be in chronological order."))
        old = now - 15 * 86400 * 1000
        r = l.put_log_events(logGroupName="/api/put", logStreamName="s", logEvents=[
            {"timestamp": old, "message": "too old"}, {"timestamp": old + 1, "message": "too old"}])
        self.assertEqual(r["rejectedLogEventsInfo"], {"tooOldLogEventEndIndex": 2})
        r = l.put_log_events(logGroupName="/api/put", logStreamName="s", logEvents=[
            {"timestamp": now, "message": "ok"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "too new"}])
        self.assertEqual(r["rejectedLogEventsInfo"], {"tooNewLogEventStartIndex": 1})
        ev = l.get_log_events(logGroupName="/api/put", logStreamName="s")["events"]
        self.assertEqual([e["message"] for e in ev], ["ok"])
        self.assertEqual(self.code(l.put_log_events, logGroupName="/api/put", logStreamName="nope",
                                   logEvents=[{"timestamp": now, "message": "x"}]),
                         ("ResourceNotFoundException", "The specified log stream does not exist."))

    def test_fifty_thousand_events_page_both_ways(self):
        l = self.logs
        l.create_log_group(logGroupName="/api/big")
        l.create_log_stream(logGroupName="/api/big", logStreamName="s")
        base = int(time.time() * 1000) - 3600 * 1000
        n = 0
        for batch in range(5):
            events = [{"timestamp": base + n + i, "message": "event %d" % (n + i)} for i in range(10000)]
            l.put_log_events(logGroupName="/api/big", logStreamName="s", logEvents=events)
            n += 10000
        # Forward from the head, following nextForwardToken until it is echoed back.
        seen, token, calls = [], None, 0
        while True:
            kw = {"nextToken": token} if token else {}
            r = l.get_log_events(logGroupName="/api/big", logStreamName="s", startFromHead=True, limit=3000, **kw)
            seen += [e["message"] for e in r["events"]]
            calls += 1
            if r["nextForwardToken"] == token:
                break
            token = r["nextForwardToken"]
            self.assertLess(calls, 100)
        self.assertEqual(seen, ["event %d" % i for i in range(50000)])
        # Backward from the newest page.
        pages, token = [], None
        while True:
            kw = {"nextToken": token} if token else {}
            r = l.get_log_events(logGroupName="/api/big", logStreamName="s", limit=3000, **kw)
            if r["events"]:
                pages.append([e["message"] for e in r["events"]])
            if r["nextBackwardToken"] == token:
                break
            token = r["nextBackwardToken"]
        backward = [m for page in reversed(pages) for m in page]
        self.assertEqual(backward, ["event %d" % i for i in range(50000)])
        # FilterLogEvents through boto3's paginator.
        total = 0
        ids = set()
        for page in l.get_paginator("filter_log_events").paginate(
                logGroupName="/api/big", PaginationConfig={"PageSize": 7000}):
            total += len(page["events"])
            ids.update(e["eventId"] for e in page["events"])
        self.assertEqual(total, 50000)
        self.assertEqual(len(ids), 50000)

    def test_filter_pattern_kinds(self):
        l = self.logs
        l.create_log_group(logGroupName="/api/filter")
        l.create_log_stream(logGroupName="/api/filter", logStreamName="s")
        now = int(time.time() * 1000)
        messages = [
            "ERROR 500 upstream failed",
            "WARN slow request",
            "INFO all good",
            json.dumps({"level": "error", "latency": 700, "user": {"id": 1}}),
            json.dumps({"level": "info", "latency": 20}),
            '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326',
        ]
        l.put_log_events(logGroupName="/api/filter", logStreamName="s",
                         logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])

        def match(pattern):
            r = l.filter_log_events(logGroupName="/api/filter", filterPattern=pattern)
            return [e["message"] for e in r["events"]]

        self.assertEqual(match("ERROR"), [messages[0]])
        self.assertEqual(match('"slow request"'), [messages[1]])
        self.assertEqual(match("?ERROR ?WARN"), messages[:2])
        self.assertEqual(match("request -ERROR"), [messages[1]])
        self.assertEqual(match("%5[0-9]{2}%"), [messages[0]])
        self.assertEqual(match('{ $.latency > 500 }'), [messages[3]])
        self.assertEqual(match('{ $.level = "error" && $.user.id = 1 }'), [messages[3]])
        self.assertEqual(match('{ $.user NOT EXISTS }'), [messages[4]])
        self.assertEqual(match("[ip, identity, user, timestamp, request, status_code = 4*, bytes]"),
                         [messages[5]])
        self.assertEqual(self.code(l.filter_log_events, logGroupName="/api/filter",
                                   filterPattern="{ $.x = ")[0], "InvalidParameterException")

    def test_aws_logs_tail_follow_sees_a_new_line(self):
        l = self.logs
        l.create_log_group(logGroupName="/api/tail")
        l.create_log_stream(logGroupName="/api/tail", logStreamName="s")
        l.put_log_events(logGroupName="/api/tail", logStreamName="s",
                         logEvents=[{"timestamp": int(time.time() * 1000), "message": "before"}])
        cmd = [harness.AWS, "--endpoint-url", D.url, "logs", "tail", "/api/tail", "--follow",
               "--format", "short"]
        p = subprocess.Popen(cmd, env=D.client_env(), stdout=subprocess.PIPE, text=True)
        try:
            self.assertIn("before", p.stdout.readline())
            l.put_log_events(logGroupName="/api/tail", logStreamName="s",
                             logEvents=[{"timestamp": int(time.time() * 1000), "message": "after"}])
            self.assertIn("after", p.stdout.readline())   # on its next 5 s poll
        finally:
            p.kill()
            p.wait()


class DurabilityTest(unittest.TestCase):
    def test_kill_9_keeps_everything_acknowledged(self):
        d = harness.Daemon().start()
        # (the restarted daemon below does not own the data dir: it is removed here, at the end)
        self.addCleanup(shutil.rmtree, d.data_dir, True)
        try:
            l = d.boto("logs")
            ecs = d.boto()
            l.create_log_group(logGroupName="/dur/g")
            l.create_log_stream(logGroupName="/dur/g", logStreamName="s")
            now = int(time.time() * 1000)
            acked = 0
            for b in range(5):
                l.put_log_events(logGroupName="/dur/g", logStreamName="s", logEvents=[
                    {"timestamp": now + b, "message": "acked %d-%d" % (b, i)} for i in range(1000)])
                acked += 1000
            ecs.register_task_definition(family="chatty", containerDefinitions=[{
                "name": "c", "image": "x", "memory": 32,
                "command": ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); done"],
                "logConfiguration": awslogs("/dur/g")}])
            ecs.run_task(taskDefinition="chatty")
            time.sleep(1.5)
            d.stop(signal.SIGKILL)
            d = harness.Daemon(data_dir=d.data_dir).start()
            l = d.boto("logs")
            got = []
            token = None
            while True:
                kw = {"nextToken": token} if token else {}
                r = l.get_log_events(logGroupName="/dur/g", logStreamName="s", startFromHead=True, **kw)
                got += [e["message"] for e in r["events"]]
                if r["nextForwardToken"] == token:
                    break
                token = r["nextForwardToken"]
            self.assertEqual(len(got), acked)
            self.assertEqual(got[0], "acked 0-0")
            # The container's stream is readable (whatever was flushed) and appendable again.
            streams = [s["logStreamName"] for s in l.describe_log_streams(logGroupName="/dur/g")["logStreams"]]
            self.assertEqual(len(streams), 2)
            l.put_log_events(logGroupName="/dur/g", logStreamName="s",
                             logEvents=[{"timestamp": int(time.time() * 1000), "message": "after restart"}])
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
