"""Task lifecycle against a real `berth serve`, driven by the AWS CLI v2 and boto3."""
import json
import os
import shutil
import tempfile
import time
import unittest

import harness

D = None


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


def container(task, name):
    return next(c for c in task["containers"] if c["name"] == name)


class TaskLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.ecs = D.boto()
        self.tmp = tempfile.mkdtemp(prefix="berth-task-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def register(self, family, containers, **extra):
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=containers, **extra)["taskDefinition"]

    def run_task(self, family, **kwargs):
        r = self.ecs.run_task(taskDefinition=family, **kwargs)
        self.assertEqual(r["failures"], [])
        return r["tasks"][0]

    def describe(self, arn):
        return self.ecs.describe_tasks(tasks=[arn])["tasks"][0]

    def wait_stopped(self, arn):
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.5, attempts=120).wait(tasks=[arn])
        return self.describe(arn)

    def test_web_and_sidecar_with_healthy_dependency_via_cli(self):
        defs = [
            {"name": "web", "image": "php:fpm", "memory": 64,
             "entryPoint": ["sh", "-c"], "command": ["echo web up; sleep 120"],
             "healthCheck": {"command": ["CMD-SHELL", "test -n \"$ROLE\""], "interval": 5},
             "environment": [{"name": "ROLE", "value": "web"}]},
            {"name": "worker", "image": "php:fpm", "memory": 64,
             "command": ["sleep", "120"],
             "dependsOn": [{"containerName": "web", "condition": "HEALTHY"}]},
        ]
        _, out, _ = D.aws("ecs", "register-task-definition", "--family", "lifecycle",
                          "--container-definitions", json.dumps(defs))
        self.assertEqual(out["taskDefinition"]["revision"], 1)
        _, out, _ = D.aws("ecs", "run-task", "--task-definition", "lifecycle")
        task = out["tasks"][0]
        arn = task["taskArn"]
        self.assertEqual(task["lastStatus"], "PENDING")
        self.assertEqual(task["desiredStatus"], "RUNNING")
        self.assertEqual(task["version"], 1)
        self.assertEqual([c["lastStatus"] for c in task["containers"]], ["PENDING", "PENDING"])
        self.assertEqual(task["group"], "family:lifecycle")

        # The sidecar waits for web to be HEALTHY (first probe after `interval` = 5 s).
        time.sleep(1)
        t = self.describe(arn)
        self.assertEqual(container(t, "web")["lastStatus"], "RUNNING")
        self.assertEqual(container(t, "worker")["lastStatus"], "PENDING")
        self.assertEqual(t["lastStatus"], "PENDING")

        D.aws("ecs", "wait", "tasks-running", "--tasks", arn, timeout=120)
        t = self.describe(arn)
        self.assertEqual(t["lastStatus"], "RUNNING")
        self.assertEqual(t["healthStatus"], "HEALTHY")
        self.assertEqual(container(t, "web")["healthStatus"], "HEALTHY")
        self.assertEqual(container(t, "worker")["healthStatus"], "UNKNOWN")
        self.assertLessEqual(t["createdAt"], t["pullStartedAt"])
        self.assertLessEqual(t["pullStoppedAt"], t["startedAt"])
        self.assertGreaterEqual((t["startedAt"] - t["createdAt"]).total_seconds(), 4.5)
        self.assertGreaterEqual(t["version"], 4)
        for c in t["containers"]:
            self.assertEqual(len(c["runtimeId"]), 64)
            self.assertNotIn("exitCode", c)
        running_version = t["version"]

        _, out, _ = D.aws("ecs", "stop-task", "--task", arn, "--reason", "deploying v2")
        self.assertEqual(out["task"]["desiredStatus"], "STOPPED")
        self.assertEqual(out["task"]["lastStatus"], "RUNNING")
        self.assertEqual(out["task"]["stopCode"], "UserInitiated")
        self.assertEqual(out["task"]["stoppedReason"], "deploying v2")
        D.aws("ecs", "wait", "tasks-stopped", "--tasks", arn, timeout=120)
        t = self.describe(arn)
        self.assertEqual(t["lastStatus"], "STOPPED")
        self.assertEqual(t["stopCode"], "UserInitiated")
        self.assertEqual(t["stoppedReason"], "deploying v2")
        self.assertGreater(t["version"], running_version)
        self.assertLessEqual(t["stoppingAt"], t["executionStoppedAt"])
        self.assertLessEqual(t["executionStoppedAt"], t["stoppedAt"])
        self.assertEqual([c["exitCode"] for c in t["containers"]], [143, 143])
        self.assertEqual([c["lastStatus"] for c in t["containers"]], ["STOPPED", "STOPPED"])

    def test_essential_container_exit_stops_the_task(self):
        self.register("essential-exit", [
            {"name": "app", "image": "x", "memory": 32, "command": ["sh", "-c", "sleep 0.3; exit 3"]},
            {"name": "sidecar", "image": "x", "memory": 32, "command": ["sleep", "60"]},
        ])
        arn = self.run_task("essential-exit")["taskArn"]
        t = self.wait_stopped(arn)
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["stoppedReason"], "Essential container in task exited")
        self.assertEqual(container(t, "app")["exitCode"], 3)
        self.assertEqual(container(t, "sidecar")["exitCode"], 143)

    def test_non_essential_exit_keeps_the_task_running(self):
        self.register("nonessential", [
            {"name": "app", "image": "x", "memory": 32, "command": ["sleep", "60"]},
            {"name": "once", "image": "x", "memory": 32, "essential": False, "command": ["true"]},
        ])
        arn = self.run_task("nonessential")["taskArn"]
        harness.wait_for(lambda: "exitCode" in container(self.describe(arn), "once"),
                         what="non-essential container exit")
        t = self.describe(arn)
        self.assertEqual(t["lastStatus"], "RUNNING")
        self.assertEqual(t["desiredStatus"], "RUNNING")
        self.ecs.stop_task(task=arn)
        self.wait_stopped(arn)

    def test_failed_success_dependency_never_starts_the_dependent(self):
        self.register("migrate-fails", [
            {"name": "migrate", "image": "x", "memory": 32, "essential": False,
             "command": ["sh", "-c", "exit 1"]},
            {"name": "app", "image": "x", "memory": 32, "command": ["sleep", "60"],
             "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}]},
        ])
        arn = self.run_task("migrate-fails")["taskArn"]
        t = self.wait_stopped(arn)
        self.assertEqual(container(t, "migrate")["exitCode"], 1)
        app = container(t, "app")
        self.assertEqual(app["lastStatus"], "STOPPED")
        self.assertNotIn("exitCode", app)
        self.assertNotIn("runtimeId", app)
        self.assertIn("SUCCESS", app["reason"])
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertNotIn("startedAt", t)

    def test_success_dependency_then_app_runs(self):
        marker = os.path.join(self.tmp, "migrated")
        self.register("migrate-ok", [
            {"name": "migrate", "image": "x", "memory": 32, "essential": False,
             "command": ["sh", "-c", "sleep 0.2; touch " + marker]},
            {"name": "app", "image": "x", "memory": 32,
             "command": ["sh", "-c", "test -f " + marker + " && sleep 60"],
             "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}]},
        ])
        arn = self.run_task("migrate-ok")["taskArn"]
        harness.fast_waiter(self.ecs, "tasks_running", delay=0.5).wait(tasks=[arn])
        t = self.describe(arn)
        self.assertEqual(container(t, "migrate")["exitCode"], 0)
        self.assertEqual(container(t, "app")["lastStatus"], "RUNNING")
        self.ecs.stop_task(task=arn)
        self.wait_stopped(arn)

    def test_environment_working_directory_and_overrides(self):
        out = os.path.join(self.tmp, "env.txt")
        self.register("envtest", [
            {"name": "app", "image": "x", "memory": 32, "workingDirectory": self.tmp,
             "entryPoint": ["sh", "-c"],
             "command": ["echo definition"],
             "environment": [{"name": "A", "value": "from-def"}, {"name": "B", "value": "b"}]},
        ])
        arn = self.run_task("envtest", overrides={"containerOverrides": [{
            "name": "app", "command": ['echo "$A $B $C $(pwd)" > env.txt'],
            "environment": [{"name": "A", "value": "from-override"}, {"name": "C", "value": "c"}]}]},
            startedBy="it-test")["taskArn"]
        t = self.wait_stopped(arn)
        self.assertEqual(container(t, "app")["exitCode"], 0)
        self.assertEqual(open(out).read().strip(), "from-override b c " + self.tmp)
        self.assertEqual(t["startedBy"], "it-test")
        self.assertEqual(t["overrides"]["containerOverrides"][0]["name"], "app")

    def test_container_without_command_fails_to_start(self):
        self.register("nocmd", [{"name": "app", "image": "nginx:latest", "memory": 32}])
        t = self.wait_stopped(self.run_task("nocmd")["taskArn"])
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertIn("neither entryPoint nor command", container(t, "app")["reason"])
        self.assertIn("neither entryPoint nor command", t["stoppedReason"])

    def test_missing_executable_fails_to_start(self):
        self.register("noexec", [{"name": "app", "image": "x", "memory": 32,
                                  "command": ["no-such-binary-berth"]}])
        t = self.wait_stopped(self.run_task("noexec")["taskArn"])
        self.assertIn("CannotStartContainerError", container(t, "app")["reason"])
        self.assertIn("executable file not found", t["stoppedReason"])

    def test_stop_timeout_escalates_to_sigkill(self):
        ready = os.path.join(self.tmp, "trapped")
        self.register("stubborn", [{
            "name": "app", "image": "x", "memory": 32, "stopTimeout": 2,
            "command": ["sh", "-c", "trap '' TERM; touch %s; while true; do sleep 0.1; done" % ready]}])
        arn = self.run_task("stubborn")["taskArn"]
        harness.wait_for(lambda: os.path.exists(ready), what="TERM trapped")
        start = time.time()
        self.ecs.stop_task(task=arn)
        t = self.wait_stopped(arn)
        self.assertGreaterEqual(time.time() - start, 1.8)
        self.assertEqual(container(t, "app")["exitCode"], 137)

    def test_unhealthy_standalone_task_keeps_running(self):
        self.register("unhealthy", [{
            "name": "app", "image": "x", "memory": 32, "command": ["sleep", "60"],
            "healthCheck": {"command": ["CMD", "false"], "interval": 5, "retries": 1}}])
        arn = self.run_task("unhealthy")["taskArn"]
        harness.wait_for(lambda: self.describe(arn)["healthStatus"] == "UNHEALTHY", timeout=20,
                         what="UNHEALTHY")
        t = self.describe(arn)
        self.assertEqual(t["lastStatus"], "RUNNING")
        self.assertEqual(container(t, "app")["healthStatus"], "UNHEALTHY")
        self.ecs.stop_task(task=arn)
        self.wait_stopped(arn)

    def test_whole_process_tree_dies_with_the_task(self):
        pidfile = os.path.join(self.tmp, "child.pid")
        self.register("tree", [{
            "name": "app", "image": "x", "memory": 32,
            "command": ["sh", "-c", "sleep 1000 & echo $! > %s; setsid sleep 1000 & wait" % pidfile]}])
        arn = self.run_task("tree")["taskArn"]
        harness.wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
                         what="child pid")
        child = int(open(pidfile).read())
        self.assertTrue(harness.process_alive(child))
        self.ecs.stop_task(task=arn)
        self.wait_stopped(arn)
        harness.wait_for(lambda: not harness.process_alive(child), timeout=5, what="child gone")

    def test_capacity_failure(self):
        self.register("huge", [{"name": "app", "image": "x", "memory": 100000000,
                                "command": ["sleep", "1"]}])
        r = self.ecs.run_task(taskDefinition="huge")
        self.assertEqual(r["tasks"], [])
        self.assertEqual(r["failures"][0]["reason"], "RESOURCE:MEMORY")
        self.assertIn(":container-instance/", r["failures"][0]["arn"])

    def test_count_runs_several_tasks(self):
        self.register("many", [{"name": "app", "image": "x", "memory": 16, "command": ["sleep", "60"]}])
        r = self.ecs.run_task(taskDefinition="many", count=3, group="batch", tags=[{"key": "k", "value": "v"}])
        arns = [t["taskArn"] for t in r["tasks"]]
        self.assertEqual(len(set(arns)), 3)
        harness.fast_waiter(self.ecs, "tasks_running", delay=0.5).wait(tasks=arns)
        listed = self.ecs.list_tasks(family="many")["taskArns"]
        self.assertEqual(sorted(listed), sorted(arns))
        described = self.ecs.describe_tasks(tasks=arns, include=["TAGS"])["tasks"]
        self.assertEqual({t["group"] for t in described}, {"batch"})
        self.assertEqual(described[0]["tags"], [{"key": "k", "value": "v"}])
        for a in arns:
            self.ecs.stop_task(task=a)
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.5).wait(tasks=arns)


if __name__ == "__main__":
    unittest.main()
