"""ECS services against a real `berth serve`: the API's shapes and errors, the scheduler
(desired count, replacement, rolling deploys, circuit breaker with rollback, singleton
services), the waiters and `berth services` / `berth deploy` / `berth logs SERVICE`."""
import json
import os
import tempfile
import time
import unittest

import botocore.exceptions

import harness

D = None


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


# Health checks make a task count as healthy as soon as its first probe passes (interval 5 s
# is ECS's minimum); without one ECS waits 40 s after RUNNING.
HEALTHY = {"command": ["CMD-SHELL", "true"], "interval": 5, "timeout": 2, "retries": 1}


def web_container(command=None, image="example/web:v1", health=True):
    c = {"name": "web", "image": image, "memory": 64, "essential": True,
         "entryPoint": ["/bin/sh", "-c"], "command": command or ["exec sleep 3600"]}
    if health:
        c["healthCheck"] = HEALTHY
    return c


class ServicesTest(unittest.TestCase):
    def setUp(self):
        self.ecs = D.boto()

    def register(self, family, **kw):
        return self.ecs.register_task_definition(
            family=family, containerDefinitions=[web_container(**kw)])["taskDefinition"]

    def describe(self, name):
        return self.ecs.describe_services(services=[name])["services"][0]

    def wait_stable(self, name, attempts=90):
        """services-stable, then the PRIMARY's rolloutState COMPLETED: as on ECS, the waiter
        (running == desired, one deployment) can pass while a new task's first health check
        is still to come."""
        harness.fast_waiter(self.ecs, "services_stable", delay=1, attempts=attempts).wait(
            services=[name])
        return harness.wait_for(
            lambda: (lambda s: s if s["deployments"][0]["rolloutState"] == "COMPLETED" else None)(
                self.describe(name)), timeout=30, interval=0.25, what="COMPLETED")

    def tasks_of(self, name, desired="RUNNING"):
        arns = self.ecs.list_tasks(serviceName=name, desiredStatus=desired)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(tasks=arns)["tasks"]

    def messages(self, service):
        return [e["message"] for e in service["events"]]

    def test_create_service_shape_and_defaults(self):
        td = self.register("svc-shape")
        s = self.ecs.create_service(serviceName="shape", taskDefinition="svc-shape",
                                    desiredCount=0)["service"]
        self.assertEqual(s["status"], "ACTIVE")
        self.assertEqual(s["serviceArn"], "arn:aws:ecs:us-east-1:123456789012:service/default/shape")
        self.assertEqual(s["taskDefinition"], td["taskDefinitionArn"])
        self.assertEqual((s["runningCount"], s["pendingCount"], s["desiredCount"]), (0, 0, 0))
        self.assertEqual(s["deploymentConfiguration"], {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200, "minimumHealthyPercent": 100})
        self.assertEqual(s["deploymentController"], {"type": "ECS"})
        self.assertEqual(s["schedulingStrategy"], "REPLICA")
        self.assertEqual(s["launchType"], "EC2")
        for key in ("loadBalancers", "serviceRegistries", "placementConstraints",
                    "placementStrategy", "taskSets"):
            self.assertEqual(s[key], [], key)
        (d,) = s["deployments"]
        self.assertRegex(d["id"], r"^ecs-svc/\d{19}$")
        self.assertEqual(d["status"], "PRIMARY")
        self.assertEqual(d["rolloutState"], "IN_PROGRESS")
        self.assertEqual(d["rolloutStateReason"], "ECS deployment %s in progress." % d["id"])
        # Zero tasks wanted: stable at once, and the deployment completes.
        s = self.wait_stable("shape")
        self.assertEqual(s["deployments"][0]["rolloutState"], "COMPLETED")
        self.assertEqual(s["deployments"][0]["rolloutStateReason"],
                         "ECS deployment %s completed." % d["id"])
        self.assertIn("(service shape) has reached a steady state.", self.messages(s))
        # The same create again is idempotent; different parameters are not.
        again = self.ecs.create_service(serviceName="shape", taskDefinition="svc-shape",
                                        desiredCount=0)["service"]
        self.assertEqual(again["deployments"][0]["id"], d["id"])
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.ecs.create_service(serviceName="shape", taskDefinition="svc-shape", desiredCount=3)
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterException")
        self.assertEqual(e.exception.response["Error"]["Message"], "Creation of service was not idempotent.")

    def test_errors_and_listing(self):
        self.register("svc-errors")
        err = botocore.exceptions.ClientError
        with self.assertRaises(err) as e:
            self.ecs.update_service(service="nope", desiredCount=1)
        self.assertEqual(e.exception.response["Error"]["Code"], "ServiceNotFoundException")
        with self.assertRaises(err) as e:
            self.ecs.create_service(serviceName="x", taskDefinition="no-such-family", desiredCount=1)
        self.assertEqual(e.exception.response["Error"]["Code"], "ClientException")
        self.assertEqual(e.exception.response["Error"]["Message"], "TaskDefinition not found.")
        with self.assertRaises(err) as e:
            self.ecs.describe_services(cluster="no-such-cluster", services=["x"])
        self.assertEqual(e.exception.response["Error"]["Code"], "ClusterNotFoundException")
        r = self.ecs.describe_services(services=["missing-svc"])
        self.assertEqual(r["services"], [])
        self.assertEqual(r["failures"], [{"arn": "arn:aws:ecs:us-east-1:123456789012:service/missing-svc",
                                          "reason": "MISSING"}])
        with self.assertRaises(err) as e:
            self.ecs.list_tasks(serviceName="missing-svc")
        self.assertEqual(e.exception.response["Error"]["Code"], "ServiceNotFoundException")
        # ListServices pages 10 at a time by default.
        self.ecs.create_cluster(clusterName="paging")
        for i in range(12):
            self.ecs.create_service(cluster="paging", serviceName="p%02d" % i,
                                    taskDefinition="svc-errors", desiredCount=0)
        page = self.ecs.list_services(cluster="paging")
        self.assertEqual(len(page["serviceArns"]), 10)
        rest = self.ecs.list_services(cluster="paging", nextToken=page["nextToken"])
        self.assertEqual(len(rest["serviceArns"]), 2)
        self.assertNotIn("nextToken", rest)
        with self.assertRaises(err) as e:
            self.ecs.delete_cluster(cluster="paging")
        self.assertEqual(e.exception.response["Error"]["Code"], "ClusterContainsServicesException")

    def test_keeps_desired_count_and_replaces_a_stopped_task(self):
        self.register("svc-keep")
        self.ecs.create_service(serviceName="keep", taskDefinition="svc-keep", desiredCount=2)
        s = self.wait_stable("keep")
        self.assertEqual((s["runningCount"], s["desiredCount"]), (2, 2))
        tasks = self.tasks_of("keep")
        self.assertEqual(len(tasks), 2)
        dep = s["deployments"][0]["id"]
        for t in tasks:
            self.assertEqual(t["group"], "service:keep")
            self.assertEqual(t["startedBy"], dep)
        self.assertTrue(any(m.startswith("(service keep) has started 2 tasks: (task ")
                            for m in self.messages(s)))
        victim = tasks[0]["taskArn"]
        self.ecs.stop_task(task=victim)
        harness.wait_for(lambda: victim not in [t["taskArn"] for t in self.tasks_of("keep")]
                         and len(self.tasks_of("keep")) == 2, timeout=30, what="replacement")
        s = self.wait_stable("keep")
        self.assertEqual(s["deployments"][0]["id"], dep)  # a replacement is no new deployment
        # desiredCount alone starts no deployment either.
        s = self.ecs.update_service(service="keep", desiredCount=1)["service"]
        self.assertEqual([d["id"] for d in s["deployments"]], [dep])
        s = self.wait_stable("keep")
        self.assertEqual(s["runningCount"], 1)
        stopped = [t for t in self.tasks_of("keep", "STOPPED") if t["stopCode"] == "ServiceSchedulerInitiated"]
        self.assertTrue(stopped)
        self.assertEqual(stopped[0]["stoppedReason"], "Scaling activity initiated by (deployment %s)" % dep)

    def test_rolling_deploy(self):
        self.register("svc-roll")
        self.ecs.create_service(serviceName="roll", taskDefinition="svc-roll", desiredCount=2)
        first = self.wait_stable("roll")
        old_dep = first["deployments"][0]["id"]
        old_tasks = {t["taskArn"] for t in self.tasks_of("roll")}
        td2 = self.register("svc-roll", image="example/web:v2")
        s = self.ecs.update_service(service="roll", taskDefinition="svc-roll:2")["service"]
        self.assertEqual([d["status"] for d in s["deployments"]], ["PRIMARY", "ACTIVE"])
        new_dep = s["deployments"][0]["id"]
        self.assertNotEqual(new_dep, old_dep)
        s = self.wait_stable("roll")
        (d,) = s["deployments"]
        self.assertEqual((d["id"], d["rolloutState"], d["taskDefinition"]),
                         (new_dep, "COMPLETED", td2["taskDefinitionArn"]))
        new_tasks = self.tasks_of("roll")
        self.assertEqual(len(new_tasks), 2)
        self.assertFalse(old_tasks & {t["taskArn"] for t in new_tasks})
        # minimumHealthyPercent 100: the old tasks stopped only after new ones were healthy.
        old = self.ecs.describe_tasks(tasks=list(old_tasks))["tasks"]
        first_stop = min(t["stoppingAt"] for t in old)
        healthy_new = max(t["startedAt"] for t in new_tasks)
        self.assertGreaterEqual(first_stop, healthy_new)
        self.assertIn("(service roll) (deployment %s) deployment completed." % new_dep, self.messages(s))
        # forceNewDeployment replaces every task with the same definition.
        s = self.ecs.update_service(service="roll", forceNewDeployment=True)["service"]
        self.assertNotEqual(s["deployments"][0]["id"], new_dep)
        self.assertEqual(s["deployments"][0]["taskDefinition"], td2["taskDefinitionArn"])

    def test_circuit_breaker_rolls_back(self):
        self.register("svc-cb")
        self.ecs.create_service(
            serviceName="cb", taskDefinition="svc-cb", desiredCount=2,
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        good = self.wait_stable("cb")["deployments"][0]
        self.register("svc-cb", command=["exit 3"])
        s = self.ecs.update_service(service="cb", taskDefinition="svc-cb:2")["service"]
        bad_id = s["deployments"][0]["id"]

        def rolled_back():
            svc = self.describe("cb")
            return svc if svc["deployments"][0]["id"] not in (bad_id,) else None
        s = harness.wait_for(rolled_back, timeout=60, interval=0.5, what="rollback")
        primary = s["deployments"][0]
        self.assertEqual(primary["rolloutStateReason"],
                         "ECS deployment circuit breaker: rolling back to deploymentId %s." % good["id"])
        self.assertEqual(primary["taskDefinition"], good["taskDefinition"])
        self.assertEqual(s["taskDefinition"], good["taskDefinition"])
        failed = [d for d in s["deployments"] if d["id"] == bad_id]
        if failed:  # until its last task is gone the failed deployment stays ACTIVE
            self.assertEqual((failed[0]["status"], failed[0]["rolloutState"]), ("ACTIVE", "FAILED"))
            self.assertEqual(failed[0]["rolloutStateReason"],
                             "ECS deployment circuit breaker: tasks failed to start.")
            self.assertGreaterEqual(failed[0]["failedTasks"], 3)
        msgs = self.messages(s)
        self.assertIn("(service cb) (deployment %s) deployment failed: tasks failed to start." % bad_id, msgs)
        self.assertIn("(service cb) rolling back to deployment %s." % good["id"], msgs)
        s = self.wait_stable("cb")
        self.assertEqual(s["deployments"][0]["rolloutState"], "COMPLETED")

    def test_circuit_breaker_without_rollback_stays_failed(self):
        self.register("svc-cbf")
        self.ecs.create_service(
            serviceName="cbf", taskDefinition="svc-cbf", desiredCount=1,
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}})
        self.wait_stable("cbf")
        self.register("svc-cbf", command=["exit 3"])
        bad = self.ecs.update_service(service="cbf", taskDefinition="svc-cbf:2")["service"]["deployments"][0]["id"]
        s = harness.wait_for(
            lambda: (lambda svc: svc if svc["deployments"][0]["rolloutState"] == "FAILED" else None)(
                self.describe("cbf")), timeout=60, interval=0.5, what="FAILED")
        self.assertEqual(s["deployments"][0]["id"], bad)
        self.assertEqual(len(s["deployments"]), 2)  # the old deployment keeps serving
        self.assertEqual(s["runningCount"], 1)
        time.sleep(2)  # a FAILED deployment launches nothing more
        self.assertEqual(self.describe("cbf")["deployments"][0]["pendingCount"], 0)

    def test_singleton_service_never_overlaps(self):
        self.register("svc-single")
        self.ecs.create_service(
            serviceName="single", taskDefinition="svc-single", desiredCount=1,
            deploymentConfiguration={"maximumPercent": 100, "minimumHealthyPercent": 0})
        self.wait_stable("single")
        for image in ("example/batch:v2", "example/batch:v3"):
            self.register("svc-single", image=image)
            self.ecs.update_service(service="single", taskDefinition="svc-single")
            self.wait_stable("single")
        arns = (self.ecs.list_tasks(serviceName="single", desiredStatus="STOPPED")["taskArns"] +
                self.ecs.list_tasks(serviceName="single")["taskArns"])
        tasks = sorted(self.ecs.describe_tasks(tasks=arns)["tasks"], key=lambda t: t["createdAt"])
        self.assertEqual(len(tasks), 3)
        for before, after in zip(tasks, tasks[1:]):
            # The next task was created only after the previous one had fully stopped.
            self.assertGreaterEqual(after["createdAt"], before["stoppedAt"])

    def test_unhealthy_task_is_replaced(self):
        c = web_container(command=["touch /tmp/berth-unhealthy-$$; exec sleep 3600"], health=False)
        c["healthCheck"] = {"command": ["CMD-SHELL", "! ls /tmp/berth-unhealthy-* >/dev/null 2>&1 || exit 1"],
                            "interval": 5, "timeout": 2, "retries": 1}
        # The first task turns unhealthy (its marker file exists); once it is replaced the marker
        # is gone, because the test removes it. (Its replacement leaves one too: removed at the end.)
        def remove_markers():
            for f in os.listdir("/tmp"):
                if f.startswith("berth-unhealthy-"):
                    os.unlink(os.path.join("/tmp", f))
        self.addCleanup(remove_markers)
        self.ecs.register_task_definition(family="svc-sick", containerDefinitions=[c])
        self.ecs.create_service(serviceName="sick", taskDefinition="svc-sick", desiredCount=1)
        s = harness.wait_for(
            lambda: (lambda svc: svc if any("failed container health checks" in m
                                            for m in self.messages(svc)) else None)(self.describe("sick")),
            timeout=40, interval=0.5, what="health replacement")
        remove_markers()
        stopped = self.tasks_of("sick", "STOPPED")
        self.assertTrue(any(t.get("stoppedReason") == "Task failed container health checks" for t in stopped))
        self.ecs.delete_service(service="sick", force=True)

    def test_delete_service(self):
        self.register("svc-del")
        self.ecs.create_service(serviceName="del", taskDefinition="svc-del", desiredCount=1)
        self.wait_stable("del")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.ecs.delete_service(service="del")
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "The service cannot be stopped while it is scaled above 0.")
        s = self.ecs.delete_service(service="del", force=True)["service"]
        self.assertEqual(s["status"], "DRAINING")
        harness.fast_waiter(self.ecs, "services_inactive", delay=1, attempts=30).wait(services=["del"])
        self.assertNotIn("del", " ".join(self.ecs.list_services()["serviceArns"]))
        self.assertEqual(self.tasks_of("del"), [])
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.ecs.update_service(service="del", desiredCount=1)
        self.assertEqual(e.exception.response["Error"]["Code"], "ServiceNotActiveException")
        # The name can be used again once INACTIVE.
        s = self.ecs.create_service(serviceName="del", taskDefinition="svc-del", desiredCount=0)["service"]
        self.assertEqual(s["status"], "ACTIVE")


class ServiceToolsTest(unittest.TestCase):
    """The AWS CLI v2 waiter and berth's own verbs."""

    def setUp(self):
        self.ecs = D.boto()

    def test_cli_waiter_services_and_deploy(self):
        self.ecs.register_task_definition(
            family="svc-cli", containerDefinitions=[web_container(
                command=["echo started $BERTH_REV; exec sleep 3600"])])
        self.ecs.create_service(serviceName="cli", taskDefinition="svc-cli", desiredCount=1)
        # CLI v2 polls every 15 s: the first poll comes at once and must see it stable.
        harness.fast_waiter(self.ecs, "services_stable").wait(services=["cli"])
        harness.wait_for(lambda: "COMPLETED" in D.berth("services").stdout, what="COMPLETED")
        rc, _, err = D.aws("ecs", "wait", "services-stable", "--services", "cli")
        self.assertEqual(rc, 0, err)
        out = D.berth("services").stdout
        self.assertRegex(out, r"cli\s+ACTIVE\s+1\s+1\s+0\s+svc-cli:1\s+COMPLETED\s+1")
        p = D.berth("deploy", "--service", "cli", "--image", "web=example/web:v9", "--wait",
                    "--timeout", "2m", check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("registered svc-cli:2", p.stdout)
        self.assertIn("is stable", p.stdout)
        td = self.ecs.describe_task_definition(taskDefinition="svc-cli:2")["taskDefinition"]
        self.assertEqual(td["containerDefinitions"][0]["image"], "example/web:v9")
        # A revision whose container exits at once: the breaker fails it, deploy exits 1.
        self.ecs.update_service(service="cli", deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        bad = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"family": "svc-cli", "containerDefinitions": [web_container(command=["exit 1"])]}, bad)
        bad.close()
        p = D.berth("deploy", "--service", "cli", "--task-definition", bad.name, "--wait",
                    "--timeout", "2m", check=False)
        os.unlink(bad.name)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("circuit breaker", p.stderr)
        p = D.berth("deploy", "--service", "cli", "--image", "nosuch=x", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Could not find container definition with matching name", p.stderr)
        harness.fast_waiter(self.ecs, "services_stable").wait(services=["cli"])
        # berth logs SERVICE shows its tasks' output.
        p = D.berth("logs", "cli")
        self.assertIn("started", p.stdout)


if __name__ == "__main__":
    unittest.main()
