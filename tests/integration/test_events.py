"""EventBridge end to end against a real `berth serve`, with boto3 and the AWS CLI v2: the
rules/targets/buses API and its AWS errors, an API destination receiving transformed events (with the connection's API key), a
target that is down for a while and a daemon restart in between (nothing acknowledged is lost),
ECS task state changes reaching a log group, and dead letters in a DeadLetterConfig log group.
Everything stays on 127.0.0.1; every process started here is stopped by its PID."""
import http.server
import json
import os
import threading
import time
import unittest

import botocore.exceptions

import harness

D = None
ACCOUNT = "123456789012"


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records POSTs; `status` is what it answers."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    status = outer.status
                    if status == 200:
                        outer.requests.append((self.path, dict(self.headers), body.decode()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self):
        with self.lock:
            return [json.loads(b) for _, _, b in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def setUpModule():
    global D
    D = harness.Daemon(extra_args=["--event-retry-cap", "2"]).start()


def tearDownModule():
    D.cleanup()


class EventsTest(unittest.TestCase):
    def setUp(self):
        self.ev = D.boto("events")

    def aws(self, *args, check=True):
        return D.aws("events", *args, check=check)

    def api_destination(self, receiver, name, path="/hook"):
        conn = self.ev.create_connection(
            Name=name + "-conn", AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                     "ApiKeyValue": "s3cret-" + name}})
        dest = self.ev.create_api_destination(
            Name=name, ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
            InvocationEndpoint="http://127.0.0.1:%d%s" % (receiver.port, path))
        return dest["ApiDestinationArn"]

    def test_2_rules_targets_buses_and_errors(self):
        ev = self.ev
        arn = ev.put_rule(Name="deploys", EventPattern='{"source":["app"]}',
                          Description="d", Tags=[{"Key": "team", "Value": "web"}])["RuleArn"]
        self.assertEqual(arn, "arn:aws:events:us-east-1:%s:rule/deploys" % ACCOUNT)
        d = ev.describe_rule(Name="deploys")
        self.assertEqual((d["State"], d["EventPattern"], d["EventBusName"], d["Description"]),
                         ("ENABLED", '{"source":["app"]}', "default", "d"))
        for i in range(3):
            ev.put_rule(Name="page-%d" % i, ScheduleExpression="rate(%d minutes)" % (i + 2))
        pages = list(ev.get_paginator("list_rules").paginate(
            NamePrefix="page-", PaginationConfig={"PageSize": 2}))
        self.assertEqual([r["Name"] for p in pages for r in p["Rules"]],
                         ["page-0", "page-1", "page-2"])
        ev.disable_rule(Name="page-0")
        self.assertEqual(ev.describe_rule(Name="page-0")["State"], "DISABLED")
        ev.enable_rule(Name="page-0")
        fn = "arn:aws:lambda:us-east-1:%s:function:f" % ACCOUNT
        ev.put_targets(Rule="deploys", Targets=[{"Id": "t1", "Arn": fn, "Input": '{"a":1}'}])
        self.assertEqual(ev.list_targets_by_rule(Rule="deploys")["Targets"],
                         [{"Id": "t1", "Arn": fn, "Input": '{"a":1}'}])
        self.assertEqual(ev.list_rule_names_by_target(TargetArn=fn)["RuleNames"], ["deploys"])
        # AWS's texts (Terraform retries on the first).
        rc, _, err = self.aws("delete-rule", "--name", "deploys", check=False)
        self.assertIn("Rule can't be deleted since it has targets.", err)
        self.assertIn("(ValidationException)", err)

        def code_and_message(fn_, **kw):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                fn_(**kw)
            return e.exception.response["Error"]["Code"], e.exception.response["Error"]["Message"]

        self.assertEqual(code_and_message(ev.put_targets, Rule="deploys", Targets=[
            {"Id": "t2", "Arn": fn, "Input": "{}", "InputPath": "$.detail"}]),
            ("ValidationException",
             "Only one of Input, InputPath, or InputTransformer must be provided for target t2."))
        self.assertEqual(code_and_message(ev.put_targets, Rule="deploys", Targets=[
            {"Id": "t3", "Arn": fn, "InputTransformer": {"InputPathsMap": {"a": "$.a"},
                                                          "InputTemplate": '{"x": <b>}'}}]),
            ("ValidationException", "InputTemplate for target t3 contains invalid placeholder b."))
        self.assertEqual(code_and_message(ev.put_rule, Name="x"),
                         ("ValidationException",
                          "Parameter(s) EventPattern or ScheduleExpression must be specified."))
        self.assertEqual(code_and_message(ev.put_rule, Name="x", ScheduleExpression="rate(1 minutes)"),
                         ("ValidationException", "Parameter ScheduleExpression is not valid."))
        self.assertEqual(code_and_message(ev.put_rule, Name="x", EventPattern='{"a": 1}')[0],
                         "InvalidEventPatternException")
        self.assertEqual(code_and_message(ev.describe_rule, Name="missing"),
                         ("ResourceNotFoundException", "Rule missing does not exist."))
        self.assertEqual(code_and_message(ev.put_targets, Rule="missing",
                                          Targets=[{"Id": "a", "Arn": fn}]),
                         ("ResourceNotFoundException",
                          "Rule missing does not exist on EventBus default."))
        ev.remove_targets(Rule="deploys", Ids=["t1"])
        ev.delete_rule(Name="deploys")
        ev.delete_rule(Name="deploys")  # a missing rule: 200, as AWS
        # Buses, rules on them, tags.
        bus = ev.create_event_bus(Name="orders")["EventBusArn"]
        self.assertEqual(bus, "arn:aws:events:us-east-1:%s:event-bus/orders" % ACCOUNT)
        self.assertEqual(code_and_message(ev.create_event_bus, Name="orders")[0],
                         "ResourceAlreadyExistsException")
        self.assertEqual(code_and_message(ev.put_rule, Name="s", EventBusName="orders",
                                          ScheduleExpression="rate(5 minutes)"),
                         ("ValidationException",
                          "ScheduleExpression is supported only on the default event bus."))
        r = ev.put_rule(Name="big", EventBusName=bus, EventPattern='{"detail":{"n":[{"numeric":[">",100]}]}}')
        self.assertEqual(r["RuleArn"], "arn:aws:events:us-east-1:%s:rule/orders/big" % ACCOUNT)
        names = [b["Name"] for b in ev.list_event_buses()["EventBuses"]]
        self.assertEqual(names, ["default", "orders"])
        ev.tag_resource(ResourceARN=r["RuleArn"], Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(ev.list_tags_for_resource(ResourceARN=r["RuleArn"])["Tags"],
                         [{"Key": "k", "Value": "v"}])
        ev.untag_resource(ResourceARN=r["RuleArn"], TagKeys=["k"])
        self.assertEqual(ev.list_tags_for_resource(ResourceARN=r["RuleArn"])["Tags"], [])
        # PutEvents: per-entry results, in order.
        out = ev.put_events(Entries=[
            {"Source": "shop", "DetailType": "order", "Detail": '{"n": 150}', "EventBusName": "orders"},
            {"Source": "shop", "DetailType": "order", "Detail": "not json"},
            {"Source": "aws.ecs", "DetailType": "x", "Detail": "{}"},
            {"Source": "shop", "DetailType": "order", "Detail": "{}", "EventBusName": "nope"}])
        self.assertEqual(out["FailedEntryCount"], 3)
        self.assertIn("EventId", out["Entries"][0])
        self.assertEqual(out["Entries"][1], {"ErrorCode": "MalformedDetail",
                                             "ErrorMessage": "Detail is malformed."})
        self.assertEqual(out["Entries"][2]["ErrorCode"], "NotAuthorizedForSourceException")
        self.assertEqual(out["Entries"][3]["ErrorCode"], "ResourceNotFoundException")
        self.assertEqual(code_and_message(ev.put_events, Entries=[
            {"Source": "s", "DetailType": "d", "Detail": "{}"}] * 11)[0], "ValidationException")
        ev.delete_rule(Name="big", EventBusName="orders")
        ev.delete_event_bus(Name="orders")

    def test_3_api_destination_gets_transformed_events(self):
        rx = Receiver()
        try:
            dest = self.api_destination(rx, "slack", "/services/*")
            self.ev.put_rule(Name="notify", EventPattern=json.dumps(
                {"source": ["app"], "detail": {"status": [{"prefix": "deploy"}]}}))
            _, out, _ = self.aws(
                "put-targets", "--rule", "notify", "--targets", json.dumps([{
                    "Id": "slack", "Arn": dest, "RoleArn": "arn:aws:iam::%s:role/x" % ACCOUNT,
                    "HttpParameters": {"PathParameterValues": ["T000/B000"],
                                       "HeaderParameters": {"X-Team": "web"}},
                    "InputTransformer": {
                        "InputPathsMap": {"svc": "$.detail.service", "st": "$.detail.status"},
                        "InputTemplate": '{"text": "<svc>: <st>", "rule": <aws.events.rule-name>}'}}]))
            self.assertEqual(out["FailedEntryCount"], 0)
            self.aws("put-events", "--entries", json.dumps([
                {"Source": "app", "DetailType": "d",
                 "Detail": json.dumps({"service": "web", "status": "deploy completed"})},
                {"Source": "app", "DetailType": "d",
                 "Detail": json.dumps({"service": "web", "status": "idle"})}]))
            harness.wait_for(lambda: rx.requests, timeout=10, what="webhook call")
            time.sleep(0.5)
            self.assertEqual(rx.bodies(), [{"text": "web: deploy completed", "rule": "notify"}])
            path, headers, _ = rx.requests[0]
            self.assertEqual(path, "/services/T000%2FB000")
            self.assertEqual(headers["x-api-key"], "s3cret-slack")
            self.assertEqual(headers["X-Team"], "web")
            self.assertEqual(headers["User-Agent"], "Amazon/EventBridge/ApiDestinations")
            self.assertEqual(headers["Content-Type"], "application/json; charset=utf-8")
            # The key is never shown back.
            desc = self.ev.describe_connection(Name="slack-conn")
            self.assertEqual(desc["AuthParameters"], {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}})
            self.assertNotIn("s3cret", json.dumps(desc, default=str))
        finally:
            rx.close()

    def test_4_target_down_then_daemon_restart_loses_nothing(self):
        rx = Receiver()
        try:
            rx.status = 503  # down
            dest = self.api_destination(rx, "flaky")
            self.ev.put_rule(Name="flaky", EventPattern='{"source":["batch"]}')
            self.ev.put_targets(Rule="flaky", Targets=[{"Id": "t", "Arn": dest}])
            sent = []
            for i in range(5):
                out = self.ev.put_events(Entries=[{"Source": "batch", "DetailType": "n",
                                                   "Detail": json.dumps({"n": i})}])
                self.assertEqual(out["FailedEntryCount"], 0)
                sent.append(i)
            time.sleep(2)
            self.assertEqual(rx.requests, [])
            D.stop()  # the daemon goes away with every delivery still pending
            D.start()
            rx.status = 200  # the target comes back
            harness.wait_for(lambda: len(rx.requests) >= 5, timeout=30, what="all 5 events")
            got = sorted(b["detail"]["n"] for b in rx.bodies())
            self.assertEqual(sorted(set(got)), sent)  # at-least-once: none lost
            for b in rx.bodies():
                self.assertEqual(b["source"], "batch")
                self.assertEqual(b["account"], ACCOUNT)
                self.assertRegex(b["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        finally:
            rx.close()

    def test_5_ecs_task_state_changes_reach_a_log_group_and_dead_letters(self):
        logs = D.boto("logs")
        ecs = D.boto("ecs")
        group_arn = "arn:aws:logs:us-east-1:%s:log-group:/berth/ecs-events" % ACCOUNT
        dlq_arn = "arn:aws:logs:us-east-1:%s:log-group:/berth/dead" % ACCOUNT
        self.ev.put_rule(Name="ecs-state", EventPattern=json.dumps({
            "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
            "detail": {"group": ["family:ev-task"]}}))
        self.ev.put_targets(Rule="ecs-state", Targets=[
            {"Id": "logs", "Arn": group_arn},
            # No invoker for SQS in berth: dead-lettered into the DLQ log group.
            {"Id": "sqs", "Arn": "arn:aws:sqs:us-east-1:%s:nowhere" % ACCOUNT,
             "DeadLetterConfig": {"Arn": dlq_arn}}])
        ecs.register_task_definition(family="ev-task", containerDefinitions=[
            {"name": "main", "image": "busybox", "essential": True, "memory": 64,
             "command": ["sh", "-c", "sleep 0.3"]}])
        task = ecs.run_task(taskDefinition="ev-task")["tasks"][0]["taskArn"]

        def states():
            try:
                ev = logs.filter_log_events(logGroupName="/berth/ecs-events")["events"]
            except logs.exceptions.ResourceNotFoundException:
                return None
            seen = [json.loads(e["message"]) for e in ev]
            details = [(s["detail"]["lastStatus"], s["detail"]["desiredStatus"]) for s in seen
                       if s["detail"]["taskArn"] == task]
            return details if ("STOPPED", "STOPPED") in details else None
        details = harness.wait_for(states, timeout=30, what="STOPPED event in the log group")
        self.assertEqual(details[0], ("PENDING", "RUNNING"))
        self.assertIn(("RUNNING", "RUNNING"), details)
        one = json.loads(logs.filter_log_events(logGroupName="/berth/ecs-events")["events"][0]["message"])
        self.assertEqual((one["source"], one["detail-type"], one["resources"]),
                         ("aws.ecs", "ECS Task State Change", [task]))
        for k in ("clusterArn", "taskDefinitionArn", "containers", "version", "group", "createdAt"):
            self.assertIn(k, one["detail"])
        dead = harness.wait_for(
            lambda: logs.filter_log_events(logGroupName="/berth/dead")["events"]
            if "/berth/dead" in [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
            else None, timeout=15, what="dead letter")
        dl = json.loads(dead[0]["message"])
        self.assertEqual(dl["errorCode"], "UnsupportedTarget")
        self.assertEqual(dl["ruleArn"], "arn:aws:events:us-east-1:%s:rule/ecs-state" % ACCOUNT)
        self.assertEqual(dl["event"]["source"], "aws.ecs")


if __name__ == "__main__":
    unittest.main()
