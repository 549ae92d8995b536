"""Daemon restarts and shutdown: state survives, interrupted tasks are reported, nothing is
left running."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness


def container(task, name):
    return next(c for c in task["containers"] if c["name"] == name)


def read_pid(path):
    with open(path) as f:
        text = f.read().strip()
    return int(text) if text else None


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="berth-restart-")
        self.tmp = tempfile.mkdtemp(prefix="berth-restart-files-")
        self.daemon = None
        # (cleanups run after tearDown has stopped the daemon)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        if self.daemon:
            self.daemon.stop(signal.SIGKILL)

    def start(self):
        self.daemon = harness.Daemon(data_dir=self.dir).start()
        return self.daemon.boto()

    def test_kill_9_then_restart_keeps_definitions_and_reports_interrupted_tasks(self):
        ecs = self.start()
        ecs.create_cluster(clusterName="keep", tags=[{"key": "team", "value": "web"}])
        ecs.register_task_definition(family="longrun", containerDefinitions=[{
            "name": "app", "image": "x", "memory": 32,
            "command": ["sh", "-c", "echo $$ > %s/main.pid; sleep 1000 & echo $! > %s/child.pid; wait"
                        % (self.tmp, self.tmp)]}])
        ecs.register_task_definition(family="longrun", containerDefinitions=[{
            "name": "app", "image": "x", "memory": 32, "command": ["true"]}])
        arn = ecs.run_task(taskDefinition="longrun:1")["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_running", delay=0.3).wait(tasks=[arn])
        harness.wait_for(lambda: os.path.exists(self.tmp + "/child.pid") and
                         read_pid(self.tmp + "/child.pid"), what="child pid")
        main_pid = read_pid(self.tmp + "/main.pid")
        child_pid = read_pid(self.tmp + "/child.pid")

        self.daemon.stop(signal.SIGKILL)
        # The container's main process dies with the daemon (PR_SET_PDEATHSIG).
        harness.wait_for(lambda: not harness.process_alive(main_pid), timeout=5, what="main gone")

        ecs = self.start()
        # The restarted daemon sweeps what the old one left (the backgrounded sleep).
        harness.wait_for(lambda: not harness.process_alive(child_pid), timeout=5, what="child gone")
        defs = ecs.list_task_definitions(familyPrefix="longrun")["taskDefinitionArns"]
        self.assertEqual(len(defs), 2)
        self.assertEqual(ecs.describe_task_definition(taskDefinition="longrun")["taskDefinition"]["revision"], 2)
        self.assertEqual(ecs.register_task_definition(family="longrun", containerDefinitions=[{
            "name": "app", "image": "x", "memory": 32, "command": ["true"]}])["taskDefinition"]["revision"], 3)
        c = ecs.describe_clusters(clusters=["keep"], include=["TAGS"])["clusters"][0]
        self.assertEqual(c["tags"], [{"key": "team", "value": "web"}])
        t = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(t["lastStatus"], "STOPPED")
        self.assertEqual(t["desiredStatus"], "STOPPED")
        self.assertIn("berth daemon", t["stoppedReason"])
        self.assertEqual(container(t, "app")["lastStatus"], "STOPPED")
        self.assertIn(arn, ecs.list_tasks(desiredStatus="STOPPED")["taskArns"])
        self.assertEqual(ecs.list_tasks()["taskArns"], [])

    def test_services_survive_a_restart_and_start_their_tasks_again(self):
        ecs = self.start()
        ecs.register_task_definition(family="svc", containerDefinitions=[{
            "name": "app", "image": "x", "memory": 32, "command": ["sleep", "1000"],
            "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 1}}])
        ecs.create_service(serviceName="keep", taskDefinition="svc", desiredCount=2,
                           tags=[{"key": "team", "value": "web"}])
        harness.fast_waiter(ecs, "services_stable", delay=0.5).wait(services=["keep"])
        dep = ecs.describe_services(services=["keep"])["services"][0]["deployments"][0]["id"]
        old = set(ecs.list_tasks(serviceName="keep")["taskArns"])
        self.daemon.stop(signal.SIGKILL)
        ecs = self.start()
        s = ecs.describe_services(services=["keep"], include=["TAGS"])["services"][0]
        self.assertEqual((s["status"], s["desiredCount"]), ("ACTIVE", 2))
        self.assertEqual(s["tags"], [{"key": "team", "value": "web"}])
        self.assertEqual(s["deployments"][0]["id"], dep)
        # Its tasks died with the old daemon; the scheduler starts new ones.
        harness.fast_waiter(ecs, "services_stable", delay=0.5).wait(services=["keep"])
        new = set(ecs.list_tasks(serviceName="keep")["taskArns"])
        self.assertEqual(len(new), 2)
        self.assertFalse(old & new)

    def test_sigterm_with_a_service_does_not_wait_for_replacements(self):
        ecs = self.start()
        ecs.register_task_definition(family="svc", containerDefinitions=[{
            "name": "app", "image": "x", "memory": 32, "command": ["sleep", "1000"]}])
        ecs.create_service(serviceName="web", taskDefinition="svc", desiredCount=2)
        harness.fast_waiter(ecs, "services_stable", delay=0.3).wait(services=["web"])
        started = time.time()
        rc = self.daemon.stop(signal.SIGTERM, timeout=20)
        self.assertEqual(rc, 0)
        # sleep exits on SIGTERM at once: the scheduler must not start replacements meanwhile,
        # or shutdown would wait for the whole stop timeout (30 s).
        self.assertLess(time.time() - started, 10)
        self.daemon = None

    def test_sigterm_stops_tasks_with_their_stop_sequence_and_exits_0(self):
        ecs = self.start()
        ecs.register_task_definition(family="graceful", containerDefinitions=[
            {"name": "stubborn", "image": "x", "memory": 32, "stopTimeout": 2,
             "command": ["sh", "-c", "trap '' TERM; touch %s/trapped; while true; do sleep 0.1; done"
                         % self.tmp]},
            {"name": "polite", "image": "x", "memory": 32, "command": ["sleep", "1000"]}])
        arn = ecs.run_task(taskDefinition="graceful")["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_running", delay=0.3).wait(tasks=[arn])
        harness.wait_for(lambda: os.path.exists(self.tmp + "/trapped"), what="TERM trapped")
        start = time.time()
        rc = self.daemon.stop(signal.SIGTERM, timeout=10)
        elapsed = time.time() - start
        self.assertEqual(rc, 0, self.daemon.logs())
        self.assertGreaterEqual(elapsed, 1.8)        # waited for the stopTimeout
        self.assertLess(elapsed, 2 + 1 + 0.5)        # ... plus at most a second
        self.assertFalse(os.path.exists(os.path.join(self.dir, "endpoint")))

        ecs = self.start()
        t = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(t["lastStatus"], "STOPPED")
        self.assertEqual(container(t, "stubborn")["exitCode"], 137)
        self.assertEqual(container(t, "polite")["exitCode"], 143)
        self.assertEqual(t["stoppedReason"], "berth daemon shutting down")

    def test_second_daemon_on_same_data_dir_refuses(self):
        self.start()
        p = subprocess.run([harness.BERTH, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.dir],
                           capture_output=True, text=True, timeout=10)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("another berth daemon", p.stderr)
        self.assertIn(str(self.daemon.proc.pid), p.stderr)


if __name__ == "__main__":
    unittest.main()
