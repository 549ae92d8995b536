"""Task networking on one host: awsvpc/bridge tasks in their own network namespaces (each its
own address on berth's bridge, containers of a task sharing localhost, two tasks on the same
port), host mode sharing the host's network with RESOURCE:PORTS placement."""
import os
import unittest
import urllib.request

import harness

D = None
ROOT = os.geteuid() == 0


def setUpModule():
    global D
    # A subnet and bridge of its own, so a developer's running berth is left alone.
    D = harness.Daemon(extra_args=("--task-subnet", "10.215.0.0/24", "--task-bridge", "berthit0")).start()


def tearDownModule():
    D.cleanup()



@unittest.skipUnless(ROOT, "network namespaces need root")
class OwnNamespaceTest(unittest.TestCase):
    def setUp(self):
        self.ecs = D.boto()

    def running(self, arn):
        harness.fast_waiter(self.ecs, "tasks_running", delay=0.2, attempts=100).wait(tasks=[arn])
        return self.ecs.describe_tasks(tasks=[arn])["tasks"][0]

    def test_awsvpc_tasks_have_own_address_and_shared_localhost(self):
        web = {"name": "web", "image": "python:3", "memory": 64,
               "entryPoint": ["python3", "-m", "http.server", "80", "--bind", "0.0.0.0"],
               "portMappings": [{"containerPort": 80}]}
        # The sidecar reaches the web container on 127.0.0.1, as ECS sidecars do.
        sidecar = {"name": "sidecar", "image": "curl", "memory": 32, "essential": False,
                   "entryPoint": ["/bin/sh", "-c"],
                   "command": ["for i in $(seq 50); do python3 -c \"import urllib.request as u; "
                               "u.urlopen('http://127.0.0.1:80/')\" && echo reached && exit 0; "
                               "sleep 0.1; done; exit 1"],
                   "dependsOn": [{"containerName": "web", "condition": "START"}]}
        self.ecs.register_task_definition(family="net-web", networkMode="awsvpc",
                                          containerDefinitions=[web, sidecar])
        arns = [t["taskArn"] for t in self.ecs.run_task(taskDefinition="net-web", count=2)["tasks"]]
        tasks = [self.running(a) for a in arns]
        ips = []
        for t in tasks:
            (att,) = t["attachments"]
            self.assertEqual(att["type"], "ElasticNetworkInterface")
            details = {d["name"]: d["value"] for d in att["details"]}
            ip = details["privateIPv4Address"]
            self.assertTrue(ip.startswith("10.215.0."), ip)
            web_c = next(c for c in t["containers"] if c["name"] == "web")
            self.assertEqual(web_c["networkInterfaces"][0]["privateIpv4Address"], ip)
            ips.append(ip)
        self.assertNotEqual(ips[0], ips[1])
        # Both bound port 80; the host reaches each at its own address.
        for ip in ips:
            body = harness.wait_for(lambda: self._get("http://%s:80/" % ip), timeout=20, what="web on " + ip)
            self.assertIn(b"Directory listing", body)
        # Each sidecar reached its own web container over localhost and exited 0.
        def sidecars_done():
            ts = self.ecs.describe_tasks(tasks=arns)["tasks"]
            codes = [next(c for c in t["containers"] if c["name"] == "sidecar").get("exitCode") for t in ts]
            return codes if all(c is not None for c in codes) else None
        self.assertEqual(harness.wait_for(sidecars_done, timeout=30, what="sidecars"), [0, 0])
        for a in arns:
            self.ecs.stop_task(task=a)
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.2, attempts=200).wait(tasks=arns)
        # The task's link is gone once it stopped.
        t = self.ecs.describe_tasks(tasks=[arns[0]])["tasks"][0]
        self.assertEqual(t["attachments"][0]["status"], "DELETED")

    def _get(self, url):
        try:
            return urllib.request.urlopen(url, timeout=2).read()
        except OSError:
            return None


class HostModeTest(unittest.TestCase):
    def setUp(self):
        self.ecs = D.boto()

    def test_host_ports_are_placed_once(self):
        port = harness.free_port()
        c = {"name": "app", "image": "python:3", "memory": 32,
             "entryPoint": ["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
             "portMappings": [{"containerPort": port, "hostPort": port}]}
        self.ecs.register_task_definition(family="net-host", networkMode="host", containerDefinitions=[c])
        first = self.ecs.run_task(taskDefinition="net-host")
        self.assertEqual(first["failures"], [])
        arn = first["tasks"][0]["taskArn"]
        binding = first["tasks"][0]["containers"][0]["networkBindings"]
        self.assertEqual(binding, [{"bindIP": "0.0.0.0", "containerPort": port, "hostPort": port,
                                    "protocol": "tcp"}])
        second = self.ecs.run_task(taskDefinition="net-host")
        self.assertEqual(second["tasks"], [])
        self.assertEqual(second["failures"][0]["reason"], "RESOURCE:PORTS")
        # Host network: reachable on the host's loopback.
        harness.wait_for(lambda: self._up(port), timeout=20, what="host-mode server")
        self.ecs.stop_task(task=arn)
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.2, attempts=200).wait(tasks=[arn])
        third = self.ecs.run_task(taskDefinition="net-host")
        self.assertEqual(third["failures"], [])
        self.ecs.stop_task(task=third["tasks"][0]["taskArn"])

    def _up(self, port):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2).read()
            return True
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()
