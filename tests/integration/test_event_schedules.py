"""A `rate(1 minute)` EventBridge rule with an ECS target against a real `berth serve`: the
first run starts one minute after the rule was created (within a second), with startedBy
`events-rule/NAME`; with the rule tag `berth:overlap=skip` the next firing is skipped while that
task still runs, and the skip is recorded. ~2 minutes of wall time, mostly waiting."""
import json
import time
import unittest

import harness

D = None


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


def berth_events(op, body=None):
    status, _, out = D.ecs_raw(op, body or {}, service="events",
                               headers={"X-Amz-Target": "BerthEvents." + op})
    assert status == 200, out
    return out


class ScheduleTest(unittest.TestCase):
    def test_rate_rule_runs_a_task_on_time_and_skips_overlaps(self):
        ecs, ev = D.boto("ecs"), D.boto("events")
        td = ecs.register_task_definition(family="sched", containerDefinitions=[
            {"name": "artisan", "image": "php", "essential": True, "memory": 64,
             "command": ["sleep", "600"]}])["taskDefinition"]
        cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]["clusterArn"]
        created = time.time()
        ev.put_rule(Name="laravel-schedule", ScheduleExpression="rate(1 minute)",
                    Tags=[{"Key": "berth:overlap", "Value": "skip"}])
        ev.put_targets(Rule="laravel-schedule", Targets=[{
            "Id": "run", "Arn": cluster, "RoleArn": "arn:aws:iam::123456789012:role/ecsEvents",
            "EcsParameters": {"TaskDefinitionArn": td["taskDefinitionArn"].rsplit(":", 1)[0],
                              "TaskCount": 1},
            "Input": json.dumps({"containerOverrides": [
                {"name": "artisan", "command": ["sleep", "600"]}]})}])
        rules = berth_events("DescribeRules")["Rules"]
        nxt = rules[0]["NextFirings"]
        self.assertEqual(len(nxt), 5)

        def started():
            arns = ecs.list_tasks(startedBy="events-rule/laravel-schedule")["taskArns"]
            return arns or None
        arns = harness.wait_for(started, timeout=75, interval=0.2, what="scheduled task")
        task = ecs.describe_tasks(tasks=arns)["tasks"][0]
        delay = task["createdAt"].timestamp() - created
        self.assertGreaterEqual(delay, 59.0)
        self.assertLess(delay, 61.5)  # a minute after creation, within a second or so
        self.assertEqual(task["startedBy"], "events-rule/laravel-schedule")
        self.assertEqual(task["overrides"]["containerOverrides"][0]["command"], ["sleep", "600"])
        self.assertEqual(task["group"], "family:sched")
        # The next firing finds that task still running: skipped, no second task.
        def skipped():
            for e in berth_events("ListRecentEvents")["Events"]:
                for d in e["Deliveries"]:
                    if d["Rule"] == "laravel-schedule" and d["State"] == "skipped":
                        return d
            return None
        d = harness.wait_for(skipped, timeout=75, interval=0.5, what="skipped run")
        self.assertIn("still running", d["Error"])
        self.assertEqual(len(ecs.list_tasks(startedBy="events-rule/laravel-schedule")["taskArns"]), 1)
        counters = berth_events("DescribeRules")["Rules"][0]["Counters"]
        self.assertEqual((counters["Delivered"], counters["Skipped"]), (1, 1))
        ecs.stop_task(task=arns[0])


if __name__ == "__main__":
    unittest.main()
