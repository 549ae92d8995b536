"""Endpoints for code inside tasks (issue 7, point 7), with the process driver: the task metadata
endpoint v4 (container, /task, /stats, /task/stats, /taskWithTags) and, for a task with a
taskRoleArn, the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI +
AWS_CONTAINER_AUTHORIZATION_TOKEN). A probe (task_probe.py) runs inside the task and uses boto3's
default credential chain — no keys given — to call berth's ECS and S3 APIs at AWS_ENDPOINT_URL.
Forged tokens are refused; credentials stop working when their task stops and when they expire;
a task in its own network namespace (awsvpc, as root) reaches the same URLs on its 127.0.0.1.
"""
import json
import os
import shutil
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import boto3
from botocore.exceptions import ClientError

import harness

D = None
ROOT = os.geteuid() == 0
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "task_probe.py")


def setUpModule():
    global D
    D = harness.Daemon(extra_args=("--task-subnet", "10.217.0.0/24",
                                   "--task-bridge", "berthit2")).start()


def tearDownModule():
    D.cleanup()


def client_with(daemon, creds, service="ecs"):
    return boto3.client(service, endpoint_url=daemon.url, region_name="us-east-1",
                        aws_access_key_id=creds["key"], aws_secret_access_key=creds["secret"],
                        aws_session_token=creds["token"])


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def http_get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class ProbeMixin:
    def register(self, daemon, family, role=True, network_mode="host", hold=0, extra_env=()):
        self.tmp = tempfile.mkdtemp(prefix="berth-te-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        env = [{"name": "OUT", "value": os.path.join(self.tmp, "probe.json")},
               {"name": "HOLD", "value": str(hold)},
               # Only the container provider may answer: no shared files in this HOME.
               {"name": "HOME", "value": self.tmp},
               {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": os.path.join(self.tmp, "none")},
               {"name": "AWS_CONFIG_FILE", "value": os.path.join(self.tmp, "none")}]
        env += [{"name": k, "value": v} for k, v in extra_env]
        kwargs = {"taskRoleArn": "arn:aws:iam::123456789012:role/app"} if role else {}
        daemon.boto().register_task_definition(
            family=family, networkMode=network_mode, **kwargs,
            containerDefinitions=[{"name": "app", "image": "laravel:app", "memory": 128,
                                   "entryPoint": ["/usr/bin/python3", PROBE],
                                   "environment": env}])

    def run_probe(self, daemon, family, **kwargs):
        ecs = daemon.boto()
        r = ecs.run_task(taskDefinition=family, **kwargs)
        self.assertEqual(r["failures"], [])
        arn = r["tasks"][0]["taskArn"]
        out = os.path.join(self.tmp, "probe.json")
        harness.wait_for(lambda: os.path.exists(out) or self.stopped(ecs, arn), timeout=30,
                         what="the probe's report")
        if not os.path.exists(out):
            self.fail("probe stopped without a report: %s\n%s" % (
                ecs.describe_tasks(tasks=[arn])["tasks"][0], daemon.logs()[-3000:]))
        with open(out) as f:
            return arn, json.load(f)

    def stopped(self, ecs, arn):
        return ecs.describe_tasks(tasks=[arn])["tasks"][0]["lastStatus"] == "STOPPED"


class TaskEndpointsTest(ProbeMixin, unittest.TestCase):
    def test_metadata_and_role_credentials_in_a_host_network_task(self):
        D.aws("s3", "mb", "s3://task-bucket")
        self.register(D, "probe-host", hold=30, extra_env=[("BUCKET", "task-bucket")])
        ecs = D.boto()
        arn, p = self.run_probe(D, "probe-host", tags=[{"key": "team", "value": "web"}])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        (c,) = task["containers"]
        base = "http://127.0.0.1:%d" % D.port
        self.assertEqual(p["env"]["AWS_ENDPOINT_URL"], base)
        self.assertTrue(p["env"]["ECS_CONTAINER_METADATA_URI_V4"].startswith(base + "/v4/"))
        self.assertTrue(p["env"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith(
            base + "/v2/credentials/"))
        self.assertEqual(len(p["env"]["AWS_CONTAINER_AUTHORIZATION_TOKEN"]), 64)
        self.assertNotIn("AWS_ACCESS_KEY_ID", p["env"])  # the daemon's own key never leaks

        status, meta = p["container"]
        self.assertEqual(status, 200)
        self.assertEqual(meta["DockerId"], c["runtimeId"])
        self.assertEqual(meta["Name"], "app")
        self.assertEqual(meta["KnownStatus"], "RUNNING")
        self.assertEqual(meta["DesiredStatus"], "RUNNING")
        self.assertEqual(meta["ContainerARN"], c["containerArn"])
        self.assertEqual(meta["Labels"]["com.amazonaws.ecs.task-arn"], arn)
        self.assertEqual(meta["Labels"]["com.amazonaws.ecs.task-definition-family"], "probe-host")
        self.assertEqual(meta["Labels"]["com.amazonaws.ecs.cluster"], "default")
        self.assertEqual(meta["Limits"]["Memory"], 128)
        status, tmeta = p["task"]
        self.assertEqual(status, 200)
        self.assertEqual(tmeta["TaskARN"], arn)
        self.assertEqual(tmeta["Family"], "probe-host")
        self.assertEqual(tmeta["Revision"], task["taskDefinitionArn"].rsplit(":", 1)[1])
        self.assertEqual(tmeta["KnownStatus"], "RUNNING")
        self.assertEqual([x["DockerId"] for x in tmeta["Containers"]], [c["runtimeId"]])
        self.assertIn("PullStartedAt", tmeta)
        self.assertEqual(p["tags"][1]["TaskTags"], {"team": "web"})
        status, stats = p["stats"]
        self.assertEqual(status, 200)
        self.assertEqual(stats["id"], c["runtimeId"])
        self.assertGreater(stats["memory_stats"]["usage"], 1 << 20)  # python3 is running
        self.assertEqual(stats["memory_stats"]["limit"], 128 << 20)
        self.assertGreaterEqual(stats["pids_stats"]["current"], 1)
        self.assertGreater(stats["cpu_stats"]["cpu_usage"]["total_usage"], 0)
        status, all_stats = p["task_stats"]
        self.assertEqual(list(all_stats), [c["runtimeId"]])

        # Credentials: the container provider answered; a forged token gets nothing.
        self.assertEqual(p["provider"], "container-role")
        self.assertTrue(p["creds"]["key"].startswith("ASIA"), p["creds"]["key"])
        self.assertEqual(p["forged_fetch"][0], 400)
        self.assertEqual(p["forged_fetch"][1]["code"], "InvalidIdInRequest")
        self.assertIn(task["clusterArn"], p["clusters"])
        self.assertEqual(p["forged_token"], "UnrecognizedClientException")
        body = D.boto("s3").get_object(Bucket="task-bucket", Key="from-task")["Body"].read()
        self.assertEqual(body, b"written by the task role")
        # The same credentials work from outside while the task runs...
        self.assertIn(task["clusterArn"],
                      client_with(D, p["creds"]).list_clusters()["clusterArns"])
        # ...and stop working once it has stopped; its endpoints stop answering.
        ecs.stop_task(task=arn)
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.3, attempts=100).wait(tasks=[arn])
        self.assertEqual(error_code(lambda: client_with(D, p["creds"]).list_clusters()),
                         "UnrecognizedClientException")
        # (the key is gone: S3 says so in its own words)
        self.assertEqual(error_code(lambda: client_with(D, p["creds"], "s3").list_buckets()),
                         "InvalidAccessKeyId")
        self.assertEqual(http_get(p["env"]["ECS_CONTAINER_METADATA_URI_V4"])[0], 404)

    def test_a_task_without_a_role_gets_metadata_but_no_credentials(self):
        self.register(D, "probe-norole", role=False)
        arn, p = self.run_probe(D, "probe-norole")
        self.assertNotIn("AWS_CONTAINER_CREDENTIALS_FULL_URI", p["env"])
        self.assertNotIn("AWS_CONTAINER_AUTHORIZATION_TOKEN", p["env"])
        self.assertEqual(p["container"][0], 200)
        self.assertEqual(p["task"][1]["TaskARN"], arn)

    def test_the_task_role_override_gives_credentials(self):
        self.register(D, "probe-override", role=False)
        arn, p = self.run_probe(D, "probe-override", overrides={
            "taskRoleArn": "arn:aws:iam::123456789012:role/override"})
        self.assertEqual(p["provider"], "container-role")
        self.assertEqual(p["forged_token"], "UnrecognizedClientException")

    def test_the_task_environment_wins_over_the_endpoint_variables(self):
        self.register(D, "probe-own-endpoint", role=False,
                      extra_env=[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")])
        arn, p = self.run_probe(D, "probe-own-endpoint")
        self.assertEqual(p["env"]["AWS_ENDPOINT_URL"], "http://127.0.0.1:9")

    def test_credentials_endpoint_needs_the_token(self):
        status, body = http_get("http://127.0.0.1:%d/v2/credentials/%s" % (D.port, "0" * 36))
        self.assertEqual((status, body["code"]), (400, "InvalidIdInRequest"))
        status, _ = http_get("http://127.0.0.1:%d/v4/nonexistent/task" % D.port)
        self.assertEqual(status, 404)

    @unittest.skipUnless(ROOT, "network namespaces need root")
    def test_an_awsvpc_task_reaches_the_endpoints_on_its_own_localhost(self):
        self.register(D, "probe-awsvpc", network_mode="awsvpc", hold=30)
        ecs = D.boto()
        arn, p = self.run_probe(D, "probe-awsvpc")
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        status, meta = p["container"]
        self.assertEqual(status, 200, p)
        net = meta["Networks"][0]
        self.assertEqual(net["NetworkMode"], "awsvpc")
        self.assertEqual(net["IPv4Addresses"], [details["privateIPv4Address"]])
        self.assertEqual(p["provider"], "container-role")
        self.assertIn(task["clusterArn"], p["clusters"])
        self.assertEqual(p["forged_token"], "UnrecognizedClientException")
        ecs.stop_task(task=arn)
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.3, attempts=100).wait(tasks=[arn])


class CredentialExpiryTest(ProbeMixin, unittest.TestCase):
    """A daemon whose task credentials live 3 s: they expire while the task still runs, and the
    endpoint then hands out a new set."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon(extra_args=("--task-credentials-lifetime", "3")).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_credentials_expire_and_are_reissued(self):
        # botocore refuses credentials that expire within 10 minutes, so the probe only reports
        # the endpoint here; the test fetches and signs with what it gets.
        self.register(self.d, "probe-expiry", hold=60, extra_env=[("SDK", "0")])
        ecs = self.d.boto()
        arn, p = self.run_probe(self.d, "probe-expiry")
        self.addCleanup(lambda: ecs.stop_task(task=arn))
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        url = p["env"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        token = p["env"]["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        status, first = http_get(url, {"Authorization": token})
        self.assertEqual(status, 200, first)
        self.assertEqual(first["RoleArn"], "arn:aws:iam::123456789012:role/app")
        self.assertRegex(first["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        creds = {"key": first["AccessKeyId"], "secret": first["SecretAccessKey"],
                 "token": first["Token"]}
        self.assertIn(task["clusterArn"],
                      client_with(self.d, creds).list_clusters()["clusterArns"])
        time.sleep(3.2)
        self.assertEqual(error_code(lambda: client_with(self.d, creds).list_clusters()),
                         "ExpiredTokenException")
        self.assertEqual(error_code(lambda: client_with(self.d, creds, "s3").list_buckets()),
                         "ExpiredToken")
        status, second = http_get(url, {"Authorization": token})
        self.assertEqual(status, 200)
        self.assertNotEqual(second["AccessKeyId"], first["AccessKeyId"])
        fresh = {"key": second["AccessKeyId"], "secret": second["SecretAccessKey"],
                 "token": second["Token"]}
        self.assertIn(task["clusterArn"],
                      client_with(self.d, fresh).list_clusters()["clusterArns"])


if __name__ == "__main__":
    unittest.main()
