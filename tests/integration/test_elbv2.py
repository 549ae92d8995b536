"""Elastic Load Balancing v2 end to end with the AWS CLI v2 and boto3: load balancers, target
groups, listeners that really proxy to `python3 -m http.server` targets on 127.0.0.1, health
checks (initial -> healthy, unhealthy), round-robin, draining, 503 without healthy targets, AWS
error codes, and the configuration surviving a daemon restart. As root, listeners forward local
connections in the kernel (nftables); test_elbv2_proxy.py runs the data-path tests again with
`--lb-forwarding proxy`. All traffic stays on 127.0.0.1; every process started here is stopped
by its PID."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import botocore.exceptions

import harness

D = None
TARGETS = []  # (port, Popen)
TMP = None
EXTRA_ARGS = ()  # daemon flags (test_elbv2_proxy.py sets --lb-forwarding proxy)



def start_target(name):
    """A python http.server on 127.0.0.1 whose / answers `name`."""
    root = os.path.join(TMP, name)
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(name)
    port = harness.free_port()
    p = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                          "--directory", root],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    TARGETS.append((port, p))
    harness.wait_for(lambda: _connects(port), timeout=10, what="target %s up" % name)
    return port


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def get(port, conn=None):
    """GET / through 127.0.0.1:port; returns (status, body). A given conn is reused."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/")
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        if conn is None:
            c.close()


def setUpModule():
    global D, TMP
    TMP = tempfile.mkdtemp(prefix="berth-elbv2-")
    D = harness.Daemon(extra_args=EXTRA_ARGS).start()


def tearDownModule():
    D.cleanup()
    for _, p in TARGETS:
        if p.poll() is None:
            os.kill(p.pid, 15)
            p.wait(timeout=10)
    shutil.rmtree(TMP, ignore_errors=True)


class Elbv2Test(unittest.TestCase):
    def setUp(self):
        self.elb = D.boto("elbv2")

    def aws(self, *args, check=True):
        return D.aws("elbv2", *args, check=check)

    def error_code(self, *args):
        rc, _, err = self.aws(*args, check=False)
        self.assertNotEqual(rc, 0, err)
        return err

    def make_stack(self, name, interval=5):
        """Load balancer + target group (fast health checks) + listener on a free port."""
        _, out, _ = self.aws("create-load-balancer", "--name", name, "--subnets", "subnet-a",
                             "subnet-b", "--security-groups", "sg-1")
        lb = out["LoadBalancers"][0]
        _, out, _ = self.aws("create-target-group", "--name", name + "-tg", "--protocol", "HTTP",
                             "--port", "80", "--target-type", "ip", "--vpc-id", "vpc-1",
                             "--health-check-interval-seconds", str(interval),
                             "--health-check-timeout-seconds", "2",
                             "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2",
                             "--health-check-path", "/")
        tg = out["TargetGroups"][0]
        port = harness.free_port()
        _, out, _ = self.aws("create-listener", "--load-balancer-arn", lb["LoadBalancerArn"],
                             "--protocol", "HTTP", "--port", str(port), "--default-actions",
                             "Type=forward,TargetGroupArn=" + tg["TargetGroupArn"])
        return lb, tg, out["Listeners"][0], port

    def health(self, tg_arn):
        _, out, _ = self.aws("describe-target-health", "--target-group-arn", tg_arn)
        return {(d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"]
                for d in out["TargetHealthDescriptions"]}

    def wait_states(self, tg_arn, want, timeout=30):
        def check():
            h = self.health(tg_arn)
            return [h] if {k: v["State"] for k, v in h.items()} == want else None  # [{}] is true
        return harness.wait_for(check, timeout=timeout, interval=0.3,
                                what="target states %r" % want)[0]

    def test_1_health_round_robin_draining(self):
        lb, tg, listener, port = self.make_stack("web")
        self.assertEqual(lb["State"]["Code"], "active")
        self.assertTrue(lb["DNSName"].startswith("web-") and lb["DNSName"].endswith(".elb.localhost"))
        self.assertRegex(lb["LoadBalancerArn"],
                         r"^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer/app/web/[0-9a-f]{16}$")
        self.assertRegex(tg["TargetGroupArn"], r":targetgroup/web-tg/[0-9a-f]{16}$")
        self.assertRegex(listener["ListenerArn"], r":listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}$")
        self.assertEqual(tg["HealthCheckIntervalSeconds"], 5)
        self.assertEqual(tg["Matcher"], {"HttpCode": "200"})
        tg_arn = tg["TargetGroupArn"]
        self.aws("modify-target-group-attributes", "--target-group-arn", tg_arn, "--attributes",
                 "Key=deregistration_delay.timeout_seconds,Value=20")

        # No target yet: the listener answers 503 itself.
        status, body = get(port)
        self.assertEqual(status, 503)
        self.assertIn("503 Service Temporarily Unavailable", body)

        a, b = start_target("target-a"), start_target("target-b")
        # Registered and read back through boto3 (in-process, milliseconds apart): two CLI runs
        # can take longer than the 5 s interval on a busy machine, and the state would have
        # moved on from `initial` before it is read.
        elb = D.boto("elbv2")
        elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": a},
                                                              {"Id": "127.0.0.1", "Port": b}])
        h = {(d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"] for d in
             elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]}
        self.assertEqual(set(h), {("127.0.0.1", a), ("127.0.0.1", b)})
        for v in h.values():
            self.assertEqual(v, {"State": "initial", "Reason": "Elb.RegistrationInProgress",
                                 "Description": "Target registration is in progress"})
        self.wait_states(tg_arn, {("127.0.0.1", a): "healthy", ("127.0.0.1", b): "healthy"})

        # Round-robin over new connections.
        bodies = [get(port)[1] for _ in range(6)]
        self.assertEqual(set(bodies), {"target-a", "target-b"}, bodies)
        self.assertTrue(all(bodies[i] != bodies[i + 1] for i in range(5)), bodies)

        # Two connections whose requests are not finished yet: round-robin put one on each
        # target (http.server answers HTTP/1.0 and closes, so only an unfinished request keeps
        # a connection to b open). That keeps b draining after deregistration.
        held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\nHost: lb\r\n")
        self.aws("deregister-targets", "--target-group-arn", tg_arn, "--targets",
                 "Id=127.0.0.1,Port=%d" % b)
        h = self.health(tg_arn)
        self.assertEqual(h[("127.0.0.1", b)], {
            "State": "draining", "Reason": "Target.DeregistrationInProgress",
            "Description": "Target deregistration is in progress"})
        self.assertEqual(h[("127.0.0.1", a)]["State"], "healthy")
        # No new connections go to b; the open ones still work.
        self.assertEqual({get(port)[1] for _ in range(4)}, {"target-a"})
        answers = []
        for s in held:
            s.sendall(b"\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            answers.append(data.decode(errors="replace").rsplit("\r\n\r\n", 1)[-1])
        self.assertEqual(sorted(answers), ["target-a", "target-b"])
        # The last connection to b closed: the drain ends early (well before the 20 s delay).
        self.wait_states(tg_arn, {("127.0.0.1", a): "healthy"}, timeout=10)

        # boto3 sees the same, and the ECS-facing lookups work.
        d = self.elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
        self.assertEqual([t["TargetGroupArn"] for t in d], [tg_arn])
        self.assertEqual(d[0]["LoadBalancerArns"], [lb["LoadBalancerArn"]])
        l = self.elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        self.assertEqual(l[0]["DefaultActions"][0]["TargetGroupArn"], tg_arn)
        self.assertEqual(l[0]["Port"], port)

        # Deregistering the last target: 503 again.
        self.aws("deregister-targets", "--target-group-arn", tg_arn, "--targets",
                 "Id=127.0.0.1,Port=%d" % a)
        self.wait_states(tg_arn, {}, timeout=10)
        self.assertEqual(get(port)[0], 503)

    def test_2_unhealthy_target_gets_no_traffic(self):
        lb, tg, _, port = self.make_stack("dead")
        tg_arn = tg["TargetGroupArn"]
        dead = harness.free_port()  # nothing listens there
        self.aws("register-targets", "--target-group-arn", tg_arn, "--targets",
                 "Id=127.0.0.1,Port=%d" % dead)
        h = self.wait_states(tg_arn, {("127.0.0.1", dead): "unhealthy"}, timeout=20)
        self.assertEqual(h[("127.0.0.1", dead)]["Reason"], "Target.FailedHealthChecks")
        self.assertEqual(get(port)[0], 503)
        # A matcher that rejects the target's 200: ResponseCodeMismatch.
        ok = start_target("target-c")
        self.aws("modify-target-group", "--target-group-arn", tg_arn, "--matcher",
                 "HttpCode=201-299")
        self.aws("register-targets", "--target-group-arn", tg_arn, "--targets",
                 "Id=127.0.0.1,Port=%d" % ok)
        h = self.wait_states(tg_arn, {("127.0.0.1", dead): "unhealthy",
                                      ("127.0.0.1", ok): "unhealthy"}, timeout=20)
        self.assertEqual(h[("127.0.0.1", ok)]["Reason"], "Target.ResponseCodeMismatch")
        self.assertEqual(h[("127.0.0.1", ok)]["Description"],
                         "Health checks failed with these codes: [200]")
        # Unused once no listener forwards to the group.
        self.aws("delete-load-balancer", "--load-balancer-arn", lb["LoadBalancerArn"])
        h = self.health(tg_arn)
        self.assertEqual(h[("127.0.0.1", ok)]["State"], "unused")
        self.assertEqual(h[("127.0.0.1", ok)]["Reason"], "Target.NotInUse")
        harness.wait_for(lambda: not _connects(port), timeout=10, what="listener closed")

    def test_3_errors(self):
        lb, tg, listener, port = self.make_stack("errs", interval=30)
        lb_arn, tg_arn = lb["LoadBalancerArn"], tg["TargetGroupArn"]
        # Creating the same thing again is idempotent; different settings are a duplicate.
        _, out, _ = self.aws("create-load-balancer", "--name", "errs", "--subnets", "subnet-a",
                             "subnet-b", "--security-groups", "sg-1")
        self.assertEqual(out["LoadBalancers"][0]["LoadBalancerArn"], lb_arn)
        self.assertIn("(DuplicateLoadBalancerName)",
                      self.error_code("create-load-balancer", "--name", "errs", "--scheme", "internal"))
        self.assertIn("(DuplicateTargetGroupName)",
                      self.error_code("create-target-group", "--name", "errs-tg", "--protocol",
                                      "HTTP", "--port", "81", "--vpc-id", "vpc-1"))
        self.assertIn("(DuplicateListener)",
                      self.error_code("create-listener", "--load-balancer-arn", lb_arn,
                                      "--protocol", "HTTP", "--port", str(port),
                                      "--default-actions", "Type=forward,TargetGroupArn=" +
                                      self.make_tg("errs-other")))
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            self.assertIn("(InvalidConfigurationRequest)",
                          self.error_code("create-listener", "--load-balancer-arn", lb_arn,
                                          "--protocol", "HTTP", "--port",
                                          str(taken.getsockname()[1]), "--default-actions",
                                          "Type=forward,TargetGroupArn=" + tg_arn))
        self.assertIn("(ResourceInUse)",
                      self.error_code("delete-target-group", "--target-group-arn", tg_arn))
        bogus_lb = lb_arn[:-16] + "0" * 16
        self.assertIn("(LoadBalancerNotFound)",
                      self.error_code("describe-load-balancers", "--load-balancer-arns", bogus_lb))
        self.assertIn("(LoadBalancerNotFound)",
                      self.error_code("describe-load-balancers", "--names", "nope"))
        bogus_tg = tg_arn[:-16] + "0" * 16
        self.assertIn("(TargetGroupNotFound)",
                      self.error_code("describe-target-health", "--target-group-arn", bogus_tg))
        self.assertIn("(ListenerNotFound)",
                      self.error_code("delete-listener", "--listener-arn",
                                      listener["ListenerArn"][:-16] + "0" * 16))
        self.assertIn("(InvalidTarget)",
                      self.error_code("register-targets", "--target-group-arn", tg_arn,
                                      "--targets", "Id=i-0123456789abcdef0"))
        self.assertIn("(InvalidTarget)",
                      self.error_code("deregister-targets", "--target-group-arn", tg_arn,
                                      "--targets", "Id=127.0.0.1,Port=1"))
        self.assertIn("(ValidationError)",
                      self.error_code("create-target-group", "--name", "bad", "--protocol", "HTTP",
                                      "--port", "80", "--health-check-interval-seconds", "5",
                                      "--health-check-timeout-seconds", "5"))
        self.assertIn("(ValidationError)",
                      self.error_code("modify-target-group-attributes", "--target-group-arn",
                                      tg_arn, "--attributes",
                                      "Key=deregistration_delay.timeout_seconds,Value=4000"))
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.elb.describe_target_groups(Names=["missing"])
        self.assertEqual(e.exception.response["Error"]["Code"], "TargetGroupNotFound")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        # Deleting the listener frees the group.
        self.aws("delete-listener", "--listener-arn", listener["ListenerArn"])
        self.aws("delete-target-group", "--target-group-arn", tg_arn)

    def make_tg(self, name):
        _, out, _ = self.aws("create-target-group", "--name", name, "--protocol", "HTTP",
                             "--port", "80", "--vpc-id", "vpc-1")
        return out["TargetGroups"][0]["TargetGroupArn"]

    def test_4_tags_paging_and_attributes(self):
        arns = []
        for i in range(3):
            r = self.elb.create_load_balancer(Name="page%d" % i,
                                              Tags=[{"Key": "n", "Value": "<%d & >" % i}])
            arns.append(r["LoadBalancers"][0]["LoadBalancerArn"])
        pages = self.elb.get_paginator("describe_load_balancers").paginate(
            LoadBalancerArns=arns, PaginationConfig={"PageSize": 2})
        seen = [lb["LoadBalancerName"] for p in pages for lb in p["LoadBalancers"]]
        self.assertEqual(seen, ["page0", "page1", "page2"])
        self.elb.add_tags(ResourceArns=arns[:2], Tags=[{"Key": "team", "Value": "web"}])
        self.elb.remove_tags(ResourceArns=[arns[0]], TagKeys=["n"])
        d = self.elb.describe_tags(ResourceArns=arns)["TagDescriptions"]
        self.assertEqual(d[0]["Tags"], [{"Key": "team", "Value": "web"}])
        self.assertEqual(d[1]["Tags"], [{"Key": "n", "Value": "<1 & >"}, {"Key": "team", "Value": "web"}])
        tg = self.make_tg("attrs")
        attrs = {a["Key"]: a["Value"] for a in
                 self.elb.describe_target_group_attributes(TargetGroupArn=tg)["Attributes"]}
        self.assertEqual(attrs["deregistration_delay.timeout_seconds"], "300")
        self.assertEqual(attrs["stickiness.enabled"], "false")
        t = self.elb.modify_target_group(TargetGroupArn=tg, HealthCheckPath="/health",
                                         Matcher={"HttpCode": "200,302"})["TargetGroups"][0]
        self.assertEqual(t["HealthCheckPath"], "/health")
        self.assertEqual(t["Matcher"]["HttpCode"], "200,302")
        self.assertEqual(t["HealthyThresholdCount"], 5)
        for arn in arns:
            self.elb.delete_load_balancer(LoadBalancerArn=arn)
        self.elb.delete_load_balancer(LoadBalancerArn=arns[0])  # gone already: succeeds

    def kernel_table(self):
        """The daemon's nftables table if its listeners forward in the kernel, else None."""
        found = re.findall(r"nftables table ip (berth_lb_[0-9_]+)\)", D.logs())
        return found[-1] if found else None

    def nft_chain(self, table, port):
        r = subprocess.run(["nft", "list", "chain", "ip", table, "listener_%d" % port],
                           capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else None

    def test_5_kernel_data_path(self):
        table = self.kernel_table()
        if "proxy" in EXTRA_ARGS:
            self.assertIsNone(table, D.logs())
            return
        if os.geteuid() != 0 or not shutil.which("nft"):
            self.skipTest("forwarding in the kernel needs root and nftables (nft)")
        self.assertIsNotNone(table, D.logs())
        lb, tg, listener, port = self.make_stack("kern")
        tg_arn = tg["TargetGroupArn"]
        # No healthy target: no rule, the proxy answers.
        self.assertNotIn("dnat", self.nft_chain(table, port) or "")
        self.assertEqual(get(port)[0], 503)
        a = start_target("target-kern")
        self.aws("register-targets", "--target-group-arn", tg_arn, "--targets",
                 "Id=127.0.0.1,Port=%d" % a)
        self.wait_states(tg_arn, {("127.0.0.1", a): "healthy"})
        rule = harness.wait_for(lambda: "dnat" in (self.nft_chain(table, port) or "") and
                                self.nft_chain(table, port), timeout=5, what="dnat rule")
        self.assertIn("tcp dport %d" % port, rule)
        self.assertIn("127.0.0.1 . %d" % a, rule)
        self.assertEqual(get(port), (200, "target-kern"))
        self.aws("deregister-targets", "--target-group-arn", tg_arn, "--targets",
                 "Id=127.0.0.1,Port=%d" % a)
        self.wait_states(tg_arn, {}, timeout=10)
        self.assertNotIn("dnat", self.nft_chain(table, port) or "")
        self.assertEqual(get(port)[0], 503)
        self.aws("delete-listener", "--listener-arn", listener["ListenerArn"])
        harness.wait_for(lambda: self.nft_chain(table, port) is None, timeout=5,
                         what="listener chain removed")

    def test_9_config_survives_restart(self):
        lb, tg, _, port = self.make_stack("keep", interval=5)
        target = start_target("target-k")
        self.aws("register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
                 "Id=127.0.0.1,Port=%d" % target)
        D.stop()
        D.start()
        _, out, _ = self.aws("describe-load-balancers", "--names", "keep")
        self.assertEqual(out["LoadBalancers"][0]["LoadBalancerArn"], lb["LoadBalancerArn"])
        self.wait_states(tg["TargetGroupArn"], {("127.0.0.1", target): "healthy"}, timeout=20)
        self.assertEqual(get(port), (200, "target-k"))


if __name__ == "__main__":
    unittest.main()
