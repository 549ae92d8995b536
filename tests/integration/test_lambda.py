"""Lambda: functions created from zips with the AWS CLI v2 (`--zip-file fileb://`) and boto3,
run by the daemon's local runtimes (node, /usr/bin/python3, a `provided` bootstrap), invoked
synchronously, as events and as dry runs; timeouts and function errors; get/list/update/delete,
tags and Lambda's error shapes; functions surviving a restart; and the seed's Slack notifier
(../shared/seed/notifier/index.js, unmodified) posting to a local HTTPS receiver whose test CA
reaches node through NODE_EXTRA_CA_CERTS.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

import botocore.exceptions

import harness

PROJECT_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NOTIFIER = os.path.join(PROJECT_ROOT, "..", "shared", "seed", "notifier", "index.js")
ROLE = "arn:aws:iam::123456789012:role/lambda-role"
ACCOUNT = "123456789012"

NODE_ECHO = """
exports.handler = async (event, context) => {
  console.log('event', JSON.stringify(event));
  if (event.fail) throw new TypeError('asked to fail');
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.marker) require('fs').writeFileSync(event.marker, context.awsRequestId);
  return { echo: event, greeting: process.env.GREETING || null, fn: context.functionName,
           version: process.env.CODE_VERSION || 'v1' };
};
"""

PYTHON_HANDLER = """
import os

def handler(event, context):
    print("python got", event)
    if event.get("fail"):
        raise ValueError("python failure")
    return {"sum": event["a"] + event["b"], "fn": context.function_name,
            "region": os.environ["AWS_REGION"]}
"""

BOOTSTRAP = """#!/bin/sh
read -r event
echo "bootstrap read $event" >&2
echo "{\\"provided\\":$event}"
"""


def make_zip(path, files):
    """files: {name: text or (text, mode)}; Unix modes recorded like `zip` does."""
    with zipfile.ZipFile(path, "w") as z:
        for name, content in files.items():
            mode = 0o644
            if isinstance(content, tuple):
                content, mode = content
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 3, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return path


class Receiver:
    """An HTTPS server on 127.0.0.1 (a thread of this test process) recording POST bodies."""

    def __init__(self, certfile, keyfile):
        self.posts = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                receiver.posts.append({"path": self.path, "body": body,
                                       "content_type": self.headers.get("Content-Type")})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def make_certs(d):
    """A test CA and a server certificate for IP 127.0.0.1, with the openssl CLI."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "1", "-subj", "/CN=berth test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf")
    return (os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"),
            os.path.join(d, "server.key"))


class LambdaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.D = harness.Daemon().start()
        cls.tmp = tempfile.mkdtemp(prefix="berth-lambda-it-")
        cls.lam = cls.D.boto("lambda")
        cls.logs = cls.D.boto("logs")

    @classmethod
    def tearDownClass(cls):
        cls.D.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers ---
    def zip(self, name, files):
        return make_zip(os.path.join(self.tmp, name + "-" + uuid.uuid4().hex[:8] + ".zip"), files)

    def create(self, name, runtime, handler, files, *extra):
        path = self.zip(name, files)
        _, out, _ = self.D.aws("lambda", "create-function", "--function-name", name,
                               "--runtime", runtime, "--handler", handler, "--role", ROLE,
                               "--zip-file", "fileb://" + path, *extra)
        return out, path

    def invoke(self, name, payload, *extra):
        outfile = os.path.join(self.tmp, "out-" + uuid.uuid4().hex + ".json")
        _, meta, _ = self.D.aws("lambda", "invoke", "--function-name", name,
                                "--cli-binary-format", "raw-in-base64-out",
                                "--payload", json.dumps(payload), *extra, outfile)
        body = ""
        if os.path.exists(outfile):
            with open(outfile) as f:
                body = f.read()
        return meta, body

    def aws_error(self, *args):
        rc, _, err = self.D.aws(*args, check=False)
        self.assertNotEqual(rc, 0, err)
        return err

    def log_messages(self, group):
        try:
            events = self.logs.filter_log_events(logGroupName=group)["events"]
        except botocore.exceptions.ClientError:
            return []
        return [e["message"] for e in events]

    # --- tests ---
    def test_node_function_create_and_invoke(self):
        out, path = self.create("node-echo", "nodejs20.x", "index.handler",
                                {"index.js": NODE_ECHO},
                                "--environment", "Variables={GREETING=hello}", "--timeout", "5",
                                "--description", "echoes", "--tags", "team=web")
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(out["FunctionName"], "node-echo")
        self.assertEqual(out["FunctionArn"],
                         "arn:aws:lambda:us-east-1:%s:function:node-echo" % ACCOUNT)
        self.assertEqual(out["CodeSha256"], base64.b64encode(hashlib.sha256(data).digest()).decode())
        self.assertEqual(out["CodeSize"], len(data))
        self.assertEqual(out["Runtime"], "nodejs20.x")
        self.assertEqual(out["Handler"], "index.handler")
        self.assertEqual(out["Role"], ROLE)
        self.assertEqual(out["Timeout"], 5)
        self.assertEqual(out["MemorySize"], 128)
        self.assertEqual(out["Description"], "echoes")
        self.assertEqual(out["Version"], "$LATEST")
        self.assertEqual(out["State"], "Active")
        self.assertEqual(out["LastUpdateStatus"], "Successful")
        self.assertEqual(out["PackageType"], "Zip")
        self.assertEqual(out["Architectures"], ["x86_64"])
        self.assertEqual(out["Environment"], {"Variables": {"GREETING": "hello"}})
        self.assertRegex(out["LastModified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")

        meta, body = self.invoke("node-echo", {"hello": "world"}, "--log-type", "Tail")
        self.assertEqual(meta["StatusCode"], 200)
        self.assertEqual(meta["ExecutedVersion"], "$LATEST")
        self.assertNotIn("FunctionError", meta)
        result = json.loads(body)
        self.assertEqual(result["echo"], {"hello": "world"})
        self.assertEqual(result["greeting"], "hello")
        self.assertEqual(result["fn"], "node-echo")
        tail = base64.b64decode(meta["LogResult"]).decode()
        self.assertRegex(tail, r"START RequestId: [0-9a-f-]{36} Version: \$LATEST")
        self.assertIn('\tINFO\tevent {"hello":"world"}', tail)
        self.assertRegex(tail, r"END RequestId: [0-9a-f-]{36}")
        self.assertRegex(tail, r"REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\t"
                               r"Billed Duration: \d+ ms\tMemory Size: 128 MB\t"
                               r"Max Memory Used: \d+ MB")
        msgs = harness.wait_for(
            lambda: (lambda m: m if any(x.startswith("REPORT") for x in m) else None)(
                self.log_messages("/aws/lambda/node-echo")),
            what="the function's log")
        self.assertTrue(any(m.startswith("START RequestId: ") for m in msgs))
        self.assertTrue(any("\tINFO\tevent " in m for m in msgs), msgs)
        streams = self.logs.describe_log_streams(logGroupName="/aws/lambda/node-echo")
        name = streams["logStreams"][0]["logStreamName"]
        self.assertRegex(name, r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")

    def test_python_function(self):
        self.create("py-sum", "python3.11", "app.handler", {"app.py": PYTHON_HANDLER})
        meta, body = self.invoke("py-sum", {"a": 2, "b": 40}, "--log-type", "Tail")
        self.assertEqual(meta["StatusCode"], 200)
        self.assertEqual(json.loads(body), {"sum": 42, "fn": "py-sum", "region": "us-east-1"})
        self.assertIn("python got {'a': 2, 'b': 40}", base64.b64decode(meta["LogResult"]).decode())
        meta, body = self.invoke("py-sum", {"fail": True})
        self.assertEqual(meta["FunctionError"], "Unhandled")
        err = json.loads(body)
        self.assertEqual(err["errorType"], "ValueError")
        self.assertEqual(err["errorMessage"], "python failure")
        self.assertTrue(err["stackTrace"])

    def test_provided_bootstrap(self):
        self.create("sh-echo", "provided.al2023", "unused", {"bootstrap": (BOOTSTRAP, 0o755)})
        meta, body = self.invoke("sh-echo", {"k": [1, 2]}, "--log-type", "Tail")
        self.assertEqual(meta["StatusCode"], 200)
        self.assertEqual(json.loads(body), {"provided": {"k": [1, 2]}})
        self.assertIn('bootstrap read {"k": [1, 2]}', base64.b64decode(meta["LogResult"]).decode())

    def test_function_error_and_timeout(self):
        self.create("node-fail", "nodejs20.x", "index.handler", {"index.js": NODE_ECHO},
                    "--timeout", "1")
        meta, body = self.invoke("node-fail", {"fail": True})
        self.assertEqual(meta["StatusCode"], 200)
        self.assertEqual(meta["FunctionError"], "Unhandled")
        err = json.loads(body)
        self.assertEqual(err["errorType"], "TypeError")
        self.assertEqual(err["errorMessage"], "asked to fail")
        self.assertTrue(err["trace"][0].startswith("TypeError: asked to fail"))

        t0 = time.time()
        meta, body = self.invoke("node-fail", {"sleepMs": 30000})
        self.assertLess(time.time() - t0, 15)
        self.assertEqual(meta["FunctionError"], "Unhandled")
        err = json.loads(body)
        self.assertEqual(err["errorType"], "Sandbox.Timedout")
        self.assertRegex(err["errorMessage"],
                         r"^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$")

    def test_event_and_dry_run_invocations(self):
        self.create("node-event", "nodejs20.x", "index.handler", {"index.js": NODE_ECHO})
        marker = os.path.join(self.tmp, "event-marker")
        meta, body = self.invoke("node-event", {"marker": marker}, "--invocation-type", "Event")
        self.assertEqual(meta["StatusCode"], 202)
        self.assertEqual(body, "")
        harness.wait_for(lambda: os.path.exists(marker), what="the event invocation")
        r = self.lam.invoke(FunctionName="node-event", InvocationType="DryRun", Payload=b"{}")
        self.assertEqual(r["StatusCode"], 204)

    def test_concurrent_synchronous_invocations(self):
        self.create("node-slow", "nodejs20.x", "index.handler", {"index.js": NODE_ECHO})
        results = {}

        def call(key, payload):
            c = self.D.boto("lambda")
            r = c.invoke(FunctionName="node-slow", Payload=json.dumps(payload).encode())
            results[key] = json.loads(r["Payload"].read())

        threads = [threading.Thread(target=call, args=("slow", {"sleepMs": 1500, "n": 1})),
                   threading.Thread(target=call, args=("fast", {"n": 2}))]
        threads[0].start()
        time.sleep(0.3)
        threads[1].start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(results["slow"]["echo"]["n"], 1)
        self.assertEqual(results["fast"]["echo"]["n"], 2)
        # Other APIs keep answering while a function runs.
        self.assertTrue(self.D.boto("ecs").list_clusters() is not None)

    def test_get_list_update_delete(self):
        self.create("crud-a", "nodejs20.x", "index.handler", {"index.js": NODE_ECHO})
        self.create("crud-b", "nodejs20.x", "index.handler", {"index.js": NODE_ECHO})
        _, got, _ = self.D.aws("lambda", "get-function", "--function-name", "crud-a")
        self.assertEqual(got["Configuration"]["FunctionName"], "crud-a")
        self.assertEqual(got["Code"]["RepositoryType"], "S3")
        _, conf, _ = self.D.aws("lambda", "get-function-configuration", "--function-name",
                                "arn:aws:lambda:us-east-1:%s:function:crud-a" % ACCOUNT)
        self.assertEqual(conf["FunctionName"], "crud-a")

        names = []
        marker = None
        while True:
            kw = {"MaxItems": 1}
            if marker:
                kw["Marker"] = marker
            page = self.lam.list_functions(**kw)
            self.assertLessEqual(len(page["Functions"]), 1)
            names += [f["FunctionName"] for f in page["Functions"]]
            marker = page.get("NextMarker")
            if not marker:
                break
        self.assertIn("crud-a", names)
        self.assertIn("crud-b", names)
        self.assertEqual(names, sorted(names))
        _, listed, _ = self.D.aws("lambda", "list-functions")
        self.assertTrue({"crud-a", "crud-b"} <= {f["FunctionName"] for f in listed["Functions"]})

        _, upd, _ = self.D.aws("lambda", "update-function-configuration", "--function-name",
                               "crud-a", "--timeout", "10", "--memory-size", "256",
                               "--environment", "Variables={CODE_VERSION=conf}")
        self.assertEqual(upd["Timeout"], 10)
        self.assertEqual(upd["MemorySize"], 256)
        meta, body = self.invoke("crud-a", {})
        self.assertEqual(json.loads(body)["version"], "conf")

        path = self.zip("crud-a2", {"index.js": NODE_ECHO.replace("'v1'", "'v2'")})
        _, code, _ = self.D.aws("lambda", "update-function-code", "--function-name", "crud-a",
                                "--zip-file", "fileb://" + path)
        with open(path, "rb") as f:
            self.assertEqual(code["CodeSha256"],
                             base64.b64encode(hashlib.sha256(f.read()).digest()).decode())
        self.assertEqual(code["Timeout"], 10)
        self.D.aws("lambda", "update-function-configuration", "--function-name", "crud-a",
                   "--environment", "Variables={}")
        meta, body = self.invoke("crud-a", {})
        self.assertEqual(json.loads(body)["version"], "v2")

        arn = "arn:aws:lambda:us-east-1:%s:function:crud-b" % ACCOUNT
        self.D.aws("lambda", "tag-resource", "--resource", arn, "--tags", "env=dev,team=web")
        _, tags, _ = self.D.aws("lambda", "list-tags", "--resource", arn)
        self.assertEqual(tags["Tags"], {"env": "dev", "team": "web"})
        self.D.aws("lambda", "untag-resource", "--resource", arn, "--tag-keys", "env")
        self.assertEqual(self.lam.list_tags(Resource=arn)["Tags"], {"team": "web"})

        self.D.aws("lambda", "delete-function", "--function-name", "crud-b")
        err = self.aws_error("lambda", "get-function", "--function-name", "crud-b")
        self.assertIn("(ResourceNotFoundException)", err)
        self.assertIn("Function not found: arn:aws:lambda:us-east-1:%s:function:crud-b" % ACCOUNT,
                      err)

    def test_errors(self):
        self.create("err-dup", "nodejs20.x", "index.handler", {"index.js": NODE_ECHO})
        path = self.zip("err-dup", {"index.js": NODE_ECHO})
        err = self.aws_error("lambda", "create-function", "--function-name", "err-dup",
                             "--runtime", "nodejs20.x", "--handler", "index.handler",
                             "--role", ROLE, "--zip-file", "fileb://" + path)
        self.assertIn("(ResourceConflictException)", err)
        self.assertIn("Function already exist: err-dup", err)

        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.lam.get_function(FunctionName="missing")
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertEqual(e["Error"]["Message"],
                         "Function not found: arn:aws:lambda:us-east-1:%s:function:missing"
                         % ACCOUNT)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.lam.invoke(FunctionName="missing", Payload=b"{}")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")

        err = self.aws_error("lambda", "create-function", "--function-name", "err-timeout",
                             "--runtime", "nodejs20.x", "--handler", "index.handler",
                             "--role", ROLE, "--zip-file", "fileb://" + path, "--timeout", "1000")
        self.assertIn("(ValidationException)", err)
        self.assertIn("Member must have value less than or equal to 900", err)

        # (The CLI itself refuses a --zip-file that is not a zip; boto3 sends anything.)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.lam.create_function(FunctionName="err-zip", Runtime="nodejs20.x",
                                     Handler="index.handler", Role=ROLE,
                                     Code={"ZipFile": b"PK\x03\x04 this is not a zip archive"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        self.assertIn("Could not unzip uploaded file", cm.exception.response["Error"]["Message"])

        evil = os.path.join(self.tmp, "evil.zip")
        with zipfile.ZipFile(evil, "w") as z:
            z.writestr("../../escape.js", "x")
        err = self.aws_error("lambda", "create-function", "--function-name", "err-evil",
                             "--runtime", "nodejs20.x", "--handler", "index.handler",
                             "--role", ROLE, "--zip-file", "fileb://" + evil)
        self.assertIn("(InvalidParameterValueException)", err)
        for where in ("", "functions", "functions/code"):
            self.assertFalse(os.path.exists(os.path.join(self.D.data_dir, where, "escape.js")))

        with open(path, "rb") as f:
            zip_bytes = f.read()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.lam.create_function(FunctionName="err-env", Runtime="nodejs20.x",
                                     Handler="index.handler", Role=ROLE,
                                     Code={"ZipFile": zip_bytes},
                                     Environment={"Variables": {"AWS_REGION": "x"}})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        self.assertIn("reserved keys", cm.exception.response["Error"]["Message"])

        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.lam.invoke(FunctionName="err-dup", Payload=b"not json")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidRequestContentException")

    def test_seed_notifier_posts_to_slack(self):
        self.assertTrue(os.path.exists(NOTIFIER), NOTIFIER)
        certs = os.path.join(self.tmp, "certs")
        os.makedirs(certs)
        ca, cert, key = make_certs(certs)
        receiver = Receiver(cert, key)
        try:
            with open(NOTIFIER) as f:
                path = self.zip("notifier", {"index.js": f.read()})
            env = {"Variables": {
                "SLACK_HOOK_URL": "https://127.0.0.1:%d/services/T000/B000/XXXX" % receiver.port,
                "SLACK_CHANNEL": "#deploys", "SLACK_ICON": ":rocket:", "SLACK_APP_NAME": "berth",
                "NODE_EXTRA_CA_CERTS": ca}}
            self.D.aws("lambda", "create-function", "--function-name", "notifier",
                       "--runtime", "nodejs20.x", "--handler", "index.handler", "--role", ROLE,
                       "--zip-file", "fileb://" + path, "--environment", json.dumps(env))
            event = {
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "ECS Task State Change",
                "source": "aws.ecs", "account": ACCOUNT, "time": "2026-11-30T03:00:00Z",
                "region": "us-east-1",
                "resources": ["arn:aws:ecs:us-east-1:%s:task/default/0123456789abcdef" % ACCOUNT],
                "detail": {"clusterArn": "arn:aws:ecs:us-east-1:%s:cluster/default" % ACCOUNT,
                           "group": "service:web", "lastStatus": "PENDING",
                           "desiredStatus": "RUNNING", "launchType": "EC2"}}
            meta, body = self.invoke("notifier", event, "--log-type", "Tail")
            self.assertEqual(meta["StatusCode"], 200, body)
            self.assertNotIn("FunctionError", meta, body)
            self.assertEqual(body, "null")
            self.assertEqual(len(receiver.posts), 1)
            post = receiver.posts[0]
            self.assertEqual(post["path"], "/services/T000/B000/XXXX")
            self.assertEqual(post["content_type"], "application/json")
            self.assertEqual(json.loads(post["body"]),
                             {"channel": "#deploys", "text": "service:web deploy started",
                              "icon_emoji": ":rocket:", "username": "berth"})
            msgs = harness.wait_for(
                lambda: (lambda m: m if any(x.startswith("REPORT") for x in m) else None)(
                    self.log_messages("/aws/lambda/notifier")),
                what="the notifier's log")
            self.assertTrue(any(m.startswith("START RequestId: ") for m in msgs), msgs)
            self.assertTrue(any(m.startswith("END RequestId: ") for m in msgs), msgs)
            self.assertTrue(any(re.match(r"REPORT RequestId: \S+\tDuration: ", m) for m in msgs))
            self.assertTrue(any(m.endswith("\tINFO\tok\n") for m in msgs), msgs)

            # An event the notifier does not care about posts nothing.
            event["detail"]["lastStatus"] = "STOPPED"
            event["detail"]["desiredStatus"] = "STOPPED"
            meta, body = self.invoke("notifier", event)
            self.assertNotIn("FunctionError", meta, body)
            self.assertEqual(len(receiver.posts), 1)
        finally:
            receiver.stop()


class LambdaRestartTest(unittest.TestCase):
    def test_functions_survive_a_restart(self):
        d = harness.Daemon().start()
        tmp = tempfile.mkdtemp(prefix="berth-lambda-restart-")
        try:
            path = make_zip(os.path.join(tmp, "f.zip"), {"index.js": NODE_ECHO})
            d.aws("lambda", "create-function", "--function-name", "durable", "--runtime",
                  "nodejs20.x", "--handler", "index.handler", "--role", ROLE,
                  "--zip-file", "fileb://" + path, "--environment", "Variables={GREETING=again}")
            d.stop()
            d.start()
            c = d.boto("lambda")
            self.assertEqual(c.get_function(FunctionName="durable")["Configuration"]["Environment"],
                             {"Variables": {"GREETING": "again"}})
            r = c.invoke(FunctionName="durable", Payload=b'{"x":1}')
            self.assertEqual(json.loads(r["Payload"].read())["greeting"], "again")
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_rule_deliveries_wait_for_the_function_across_a_restart(self):
        # The function fails until a file exists; Lambda would retry a minute later, from a
        # queue in memory. The bus keeps the delivery in its outbox until the function has run,
        # so after a restart the event is delivered again and the function succeeds.
        d = harness.Daemon().start()
        tmp = tempfile.mkdtemp(prefix="berth-lambda-outbox-")
        try:
            code = ("const fs = require('fs');\n"
                    "exports.handler = async (event) => {\n"
                    "  const dir = event.detail.dir;\n"
                    "  if (!fs.existsSync(dir + '/ok')) throw new Error('not ready yet');\n"
                    "  fs.appendFileSync(dir + '/delivered', event.detail.n + '\\n');\n"
                    "};\n")
            path = make_zip(os.path.join(tmp, "f.zip"), {"index.js": code})
            arn = d.boto("lambda").create_function(
                FunctionName="waits", Runtime="nodejs20.x", Handler="index.handler", Role=ROLE,
                Code={"ZipFile": open(path, "rb").read()})["FunctionArn"]
            ev = d.boto("events")
            ev.put_rule(Name="to-waits", EventPattern=json.dumps({"source": ["it.outbox"]}))
            ev.put_targets(Rule="to-waits", Targets=[{"Id": "fn", "Arn": arn}])
            r = ev.put_events(Entries=[{"Source": "it.outbox", "DetailType": "t",
                                        "Detail": json.dumps({"dir": tmp, "n": 7})}])
            self.assertEqual(r["FailedEntryCount"], 0)
            logs = d.boto("logs")
            deadline = time.time() + 20
            failed = False
            while time.time() < deadline and not failed:
                try:
                    msgs = [e["message"] for e in logs.filter_log_events(
                        logGroupName="/aws/lambda/waits")["events"]]
                except botocore.exceptions.ClientError:
                    msgs = []
                failed = any("REPORT RequestId" in m for m in msgs)
                time.sleep(0.2)
            self.assertTrue(failed, "the first attempt never ran")
            self.assertFalse(os.path.exists(os.path.join(tmp, "delivered")))
            open(os.path.join(tmp, "ok"), "w").close()
            d.stop()
            d.start()
            deadline = time.time() + 20
            delivered = os.path.join(tmp, "delivered")
            while time.time() < deadline and not os.path.exists(delivered):
                time.sleep(0.2)
            with open(delivered) as f:
                self.assertEqual(f.read().split(), ["7"])
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
