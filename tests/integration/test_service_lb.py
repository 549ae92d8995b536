"""A web service behind berth's load balancer: a rolling deploy under steady HTTP load loses
no request; old tasks leave the target group (draining) before they stop; target health is
what `aws elbv2 describe-target-health` shows and what the deployment waits for."""
import os
import threading
import time
import unittest
import urllib.request

import harness

D = None


def setUpModule():
    global D
    D = harness.Daemon(extra_args=("--task-subnet", "10.216.0.0/24", "--task-bridge", "berthit1")).start()


def tearDownModule():
    D.cleanup()



class Load:
    """A small load generator: one request at a time on a new connection, for as long as it
    runs (bounded by the test), to the listener on 127.0.0.1 only."""

    def __init__(self, url):
        self.url = url
        self.ok = 0
        self.failed = []
        self._failed_at = []  # seconds since start, by failure
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    r.read()
                    if r.status == 200:
                        self.ok += 1
                    else:
                        self.failed.append(r.status)
            except Exception as e:  # noqa: BLE001 - every failure counts
                self.failed.append(repr(e))
                self._failed_at.append(time.monotonic() - self.start)
            time.sleep(0.005)

    def summary(self):
        """What failed, for a failing assertion: each kind of failure with its count and when
        (seconds after the load began) it first and last happened."""
        kinds = {}
        for what, at in zip(self.failed, self._failed_at):
            n, first, _ = kinds.get(what, (0, at, at))
            kinds[what] = (n + 1, first, at)
        return "%d ok; failed: %s" % (self.ok, "; ".join(
            "%d× %s at %.1f–%.1f s" % (n, what, first, last)
            for what, (n, first, last) in kinds.items()))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


@unittest.skipUnless(os.geteuid() == 0, "awsvpc tasks need root")
class ServiceBehindListenerTest(unittest.TestCase):
    def test_rolling_deploy_under_load_loses_nothing(self):
        ecs = D.boto()
        _, out, _ = D.aws("elbv2", "create-load-balancer", "--name", "web", "--subnets", "subnet-a")
        lb = out["LoadBalancers"][0]
        _, out, _ = D.aws("elbv2", "create-target-group", "--name", "web-tg", "--protocol", "HTTP",
                          "--port", "80", "--target-type", "ip", "--vpc-id", "vpc-1",
                          "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
                          "--healthy-threshold-count", "2", "--health-check-path", "/")
        tg = out["TargetGroups"][0]["TargetGroupArn"]
        D.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg, "--attributes",
              "Key=deregistration_delay.timeout_seconds,Value=5")
        port = harness.free_port()
        D.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol",
              "HTTP", "--port", str(port), "--default-actions", "Type=forward,TargetGroupArn=" + tg)

        def register(version):
            web = {"name": "web", "image": "example/web:" + version, "memory": 64,
                   "entryPoint": ["python3", "-m", "http.server", "80"],
                   "environment": [{"name": "VERSION", "value": version}],
                   "portMappings": [{"containerPort": 80}]}
            return ecs.register_task_definition(family="lb-web", networkMode="awsvpc",
                                                containerDefinitions=[web])["taskDefinition"]
        register("v1")
        ecs.create_service(serviceName="web", taskDefinition="lb-web", desiredCount=2,
                           loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                           "containerPort": 80}])

        def completed(dep_id=None):
            s = ecs.describe_services(services=["web"])["services"][0]
            d = s["deployments"][0]
            ok = (len(s["deployments"]) == 1 and d["rolloutState"] == "COMPLETED" and
                  (dep_id is None or d["id"] == dep_id))
            return s if ok else None
        s = harness.wait_for(completed, timeout=60, interval=0.5, what="first deployment")
        self.assertEqual(s["loadBalancers"][0]["targetGroupArn"], tg)
        old = {t["taskArn"] for t in ecs.describe_tasks(
            tasks=ecs.list_tasks(serviceName="web")["taskArns"])["tasks"]}
        _, out, _ = D.aws("elbv2", "describe-target-health", "--target-group-arn", tg)
        states = [d["TargetHealth"]["State"] for d in out["TargetHealthDescriptions"]]
        self.assertEqual(states, ["healthy", "healthy"])

        with Load("http://127.0.0.1:%d/" % port) as load:
            time.sleep(1)
            register("v2")
            dep = ecs.update_service(service="web", taskDefinition="lb-web")["service"]["deployments"][0]["id"]
            s = harness.wait_for(lambda: completed(dep), timeout=90, interval=0.5, what="rolling deploy")
            time.sleep(1)
        self.assertEqual(load.failed, [], "requests failed during the deploy: " + load.summary())
        self.assertGreater(load.ok, 50)

        # The old tasks were drained first (DEACTIVATING), then stopped by the scheduler.
        stopped = ecs.describe_tasks(tasks=list(old))["tasks"]
        for t in stopped:
            self.assertEqual(t["lastStatus"], "STOPPED")
            self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")
        msgs = [e["message"] for e in s["events"]]
        self.assertTrue(any("has begun draining connections on 1 tasks." in m for m in msgs), msgs)
        self.assertTrue(any(m.startswith("(service web) registered 1 targets in (target-group ") for m in msgs))
        _, out, _ = D.aws("elbv2", "describe-target-health", "--target-group-arn", tg)
        new_ips = set()
        for t in ecs.describe_tasks(tasks=ecs.list_tasks(serviceName="web")["taskArns"])["tasks"]:
            new_ips.add(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"])
        self.assertEqual({d["Target"]["Id"] for d in out["TargetHealthDescriptions"]}, new_ips)
        rc, _, err = D.aws("ecs", "wait", "services-stable", "--services", "web")
        self.assertEqual(rc, 0, err)

        ecs.delete_service(service="web", force=True)
        harness.fast_waiter(ecs, "services_inactive", delay=1, attempts=60).wait(services=["web"])
        _, out, _ = D.aws("elbv2", "describe-target-health", "--target-group-arn", tg)
        self.assertEqual(out["TargetHealthDescriptions"], [])

    def test_create_service_checks_its_target_group(self):
        ecs = D.boto()
        _, out, _ = D.aws("elbv2", "create-target-group", "--name", "orphan-tg", "--protocol", "HTTP",
                          "--port", "80", "--target-type", "ip", "--vpc-id", "vpc-1")
        tg = out["TargetGroups"][0]["TargetGroupArn"]
        ecs.register_task_definition(family="lb-orphan", networkMode="awsvpc", containerDefinitions=[
            {"name": "web", "image": "x", "memory": 32, "entryPoint": ["sleep", "60"],
             "portMappings": [{"containerPort": 80}]}])
        with self.assertRaises(Exception) as e:
            ecs.create_service(serviceName="orphan", taskDefinition="lb-orphan", desiredCount=1,
                               loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                               "containerPort": 80}])
        self.assertIn("does not have an associated load balancer", str(e.exception))


if __name__ == "__main__":
    unittest.main()
