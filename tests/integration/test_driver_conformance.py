"""One suite, both drivers (issue 7): dependsOn, health checks, essential containers, the stop
sequence, exit codes and OOM kills behave the same with the process driver and the Docker driver.
The task definitions use only what a shell and busybox offer, so the same definitions run on the
host (process driver; the image is only a name) and in berth-test/busybox:1 (Docker driver;
tests/docker/dockerd.sh's image). Files the containers share with their health checks live in the
container's working directory (the task's directory on the host; `/` in the image).
The Docker half skips, with the reason, where the test dockerd cannot run.
"""
import os
import unittest

import harness

IMAGE = "berth-test/busybox:1"
DOCKER_DIR = os.environ.get("BERTH_DOCKER_DIR", "")


def docker_unavailable():
    if not DOCKER_DIR or not os.path.isdir(DOCKER_DIR):
        return "no test dockerd (run through ctest: the docker.start fixture starts it)"
    marker = os.path.join(DOCKER_DIR, "unavailable")
    return open(marker).read().strip() if os.path.exists(marker) else None


def engine():
    """Which engine serves the Docker API in DOCKER_DIR: docker, or podman (podman.sh)."""
    marker = os.path.join(DOCKER_DIR, "engine")
    return open(marker).read().strip() if os.path.exists(marker) else "docker"


def sh(name, script, **extra):
    # A shell that is PID 1 of its container has no SIGTERM handler unless it sets one, so the
    # kernel drops the signal: containers that sleep until the task stops get a short
    # stopTimeout. With the 30 s default, stopping a dependent and then what it depends on took
    # ~55 s of the 60 s budget of wait() below, too close for a loaded machine.
    c = {"name": name, "image": IMAGE, "memory": 32, "entryPoint": ["sh", "-c"],
         "command": [script]}
    c.update(extra)
    return c


class Conformance:
    """The shared cases; subclasses start a daemon with their driver as cls.d."""

    def setUp(self):
        self.ecs = self.d.boto()
        self.logs = self.d.boto("logs")

    def start(self, family, containers, **kwargs):
        self.ecs.register_task_definition(family=family, networkMode="host",
                                          containerDefinitions=containers, **kwargs)
        r = self.ecs.run_task(taskDefinition=family)
        self.assertEqual(r["failures"], [])
        return r["tasks"][0]["taskArn"]

    def wait(self, arn, waiter="tasks_stopped"):
        try:
            harness.fast_waiter(self.ecs, waiter, delay=0.2, attempts=300).wait(tasks=[arn])
        except Exception as e:
            # What the task and its containers were doing, for a failure that only a loaded
            # machine shows.
            task = self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
            state = [{k: c.get(k) for k in ("name", "lastStatus", "healthStatus", "exitCode",
                                            "reason", "runtimeId")}
                     for c in task["containers"]]
            self.fail("%s: %s; task %s, containers %s" % (waiter, e, task["lastStatus"], state))
        return self.ecs.describe_tasks(tasks=[arn])["tasks"][0]

    def containers(self, task):
        return {c["name"]: c for c in task["containers"]}

    def awslogs(self, group):
        return {"logDriver": "awslogs", "options": {
            "awslogs-group": group, "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "c", "awslogs-create-group": "true"}}

    def events(self, group, stream, count):
        out = []

        def enough():
            nonlocal out
            try:
                out = self.logs.get_log_events(logGroupName=group, logStreamName=stream,
                                               startFromHead=True)["events"]
            except self.logs.exceptions.ResourceNotFoundException:
                return False
            return len(out) >= count
        harness.wait_for(enough, timeout=20, what=f"{count} events in {group} {stream}")
        return out

    def test_exit_codes_and_essential_exit(self):
        task = self.wait(self.start("conf-exit", [
            sh("main", "sleep 1; exit 7"),
            sh("helper", "exit 3", essential=False)]))
        c = self.containers(task)
        self.assertEqual(c["main"]["exitCode"], 7)
        self.assertEqual(c["helper"]["exitCode"], 3)  # a non-essential exit did not stop it...
        self.assertEqual(task["stopCode"], "EssentialContainerExited")  # ...the essential one did
        self.assertEqual(task["stoppedReason"], "Essential container in task exited")

    def test_depends_on_success_complete_start_and_healthy(self):
        group = "/conf/%s/deps" % self.driver
        arn = self.start("conf-deps", [
            sh("migrate", "echo migrated > migrated; exit 0", essential=False),
            sh("app", "sleep 0.5; touch ready; sleep 60", stopTimeout=2,
               dependsOn=[{"containerName": "migrate", "condition": "SUCCESS"}],
               healthCheck={"command": ["CMD-SHELL", "test -f ready"], "interval": 5,
                            "timeout": 2, "retries": 2, "startPeriod": 0}),
            sh("worker", "echo worker-started; sleep 60", essential=False, stopTimeout=2,
               dependsOn=[{"containerName": "app", "condition": "HEALTHY"}],
               logConfiguration=self.awslogs(group))])
        task = self.wait(arn, "tasks_running")
        c = self.containers(task)
        self.assertEqual(c["migrate"]["exitCode"], 0)
        harness.wait_for(lambda: self.containers(self.ecs.describe_tasks(tasks=[arn])["tasks"][0])
                         ["worker"]["lastStatus"] == "RUNNING", timeout=30,
                         what="the worker, after app became HEALTHY")
        task = self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(self.containers(task)["app"]["healthStatus"], "HEALTHY")
        self.assertEqual(task["healthStatus"], "HEALTHY")
        tid = arn.rsplit("/", 1)[1]
        self.assertEqual([e["message"] for e in self.events(group, "c/worker/" + tid, 1)],
                         ["worker-started"])
        self.ecs.stop_task(task=arn)
        self.wait(arn)

    def test_failed_success_dependency_never_starts_the_dependent(self):
        task = self.wait(self.start("conf-fail", [
            sh("migrate", "exit 4", essential=False),
            sh("app", "sleep 60", dependsOn=[{"containerName": "migrate",
                                               "condition": "SUCCESS"}])]))
        c = self.containers(task)
        self.assertEqual(c["migrate"]["exitCode"], 4)
        self.assertNotIn("exitCode", c["app"])  # never ran
        self.assertIn("DependencyError", c["app"].get("reason", ""))

    def test_stop_sequence_reverse_order_sigterm_then_sigkill(self):
        group = "/conf/%s/stop" % self.driver
        arn = self.start("conf-stop", [
            sh("db", "trap 'echo db-term; exit 0' TERM; echo db-ready; "
               "while true; do sleep 0.1; done", logConfiguration=self.awslogs(group)),
            sh("web", "trap 'echo web-term; exit 0' TERM; echo web-ready; "
               "while true; do sleep 0.1; done",
               dependsOn=[{"containerName": "db", "condition": "START"}],
               logConfiguration=self.awslogs(group)),
            sh("stubborn", "trap '' TERM; echo stubborn-ready; while true; do sleep 0.1; done",
               stopTimeout=2, essential=False, logConfiguration=self.awslogs(group))])
        self.wait(arn, "tasks_running")
        tid = arn.rsplit("/", 1)[1]
        # RUNNING comes before the shells have set their traps: a SIGTERM before that ends a
        # shell with 143, on a loaded machine too.
        for name in ("db", "web", "stubborn"):
            self.events(group, "c/%s/%s" % (name, tid), 1)
        self.ecs.stop_task(task=arn, reason="conformance")
        task = self.wait(arn)
        c = self.containers(task)
        self.assertEqual(c["db"]["exitCode"], 0)
        self.assertEqual(c["web"]["exitCode"], 0)
        self.assertEqual(c["stubborn"]["exitCode"], 137)  # SIGKILL after its stopTimeout
        self.assertEqual(task["stopCode"], "UserInitiated")

        # (the process driver signals the container's whole process group, so the shell may
        # also report its `sleep` "Terminated"; Docker signals PID 1 only)
        def term_event(name):
            found = []

            def logged():
                found[:] = [e for e in self.events(group, "c/%s/%s" % (name, tid), 1)
                            if e["message"] == name + "-term"]
                return bool(found)
            harness.wait_for(logged, timeout=20, what="%s-term logged" % name)
            return found[0]
        web, db = term_event("web"), term_event("db")
        # Reverse dependency order: the dependent (web) is told first.
        self.assertLessEqual(web["timestamp"], db["timestamp"])

    def test_an_unhealthy_essential_container_marks_the_task(self):
        arn = self.start("conf-unhealthy", [
            sh("app", "sleep 60", stopTimeout=2,
               healthCheck={"command": ["CMD-SHELL", "exit 1"], "interval": 5, "timeout": 2,
                            "retries": 1, "startPeriod": 0})])
        harness.wait_for(lambda: self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
                         .get("healthStatus") == "UNHEALTHY", timeout=30, what="UNHEALTHY")
        self.ecs.stop_task(task=arn)
        self.wait(arn)

    def test_an_oom_kill_is_reported(self):
        # Bounded: without an enforced limit the loop ends by itself after ~40 MB.
        task = self.wait(self.start("conf-oom", [
            sh("hog", "x=0123456789; i=0; while [ $i -lt 22 ]; do x=$x$x; i=$((i+1)); done",
               memory=8)]))
        hog = self.containers(task)["hog"]
        if hog["exitCode"] == 0 and self.driver == "process":
            self.skipTest("the process driver cannot enforce memory limits on this machine")
        self.assertEqual(hog["exitCode"], 137)
        if self.driver == "docker" and engine() == "podman" and "reason" not in hog:
            # berth reports what the engine's inspect says (State.OOMKilled).
            self.skipTest("this Podman does not report OOMKilled for a container the kernel "
                          "OOM-killed (exit 137)")
        self.assertEqual(hog["reason"], "OutOfMemoryError: Container killed due to memory usage")


class ProcessDriverConformance(Conformance, unittest.TestCase):
    driver = "process"

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon(extra_args=("--driver", "process")).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()


@unittest.skipIf(docker_unavailable(), "Docker cannot run here: %s" % docker_unavailable())
class DockerDriverConformance(Conformance, unittest.TestCase):
    driver = "docker"

    @classmethod
    def setUpClass(cls):
        env = dict(os.environ)
        env["DOCKER_HOST"] = open(os.path.join(DOCKER_DIR, "docker_host")).read().strip()
        cls.d = harness.Daemon(extra_args=("--driver", "docker"), env=env).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()


if __name__ == "__main__":
    unittest.main()
