"""Shared harness for berth's integration tests.

Starts one `berth serve` per test module on a free loopback port (--listen 127.0.0.1:0) with a
temporary data dir, and gives tests real clients: boto3 (Debian's python3-boto3) and the AWS CLI
v2 at /usr/bin/aws. Every process it starts is stopped by its PID.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import warnings

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

BERTH = os.environ.get("BERTH_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "berth")
AWS = "/usr/bin/aws"
REGION = "us-east-1"
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."


def http_request(port, method, target, body=b"", headers=None, timeout=30):
    """One raw HTTP/1.1 request to 127.0.0.1:port, headers sent exactly as given (Host
    included, if given). Returns (status, {lowercased header: value}, parsed JSON or raw bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        skip_host = any(k.lower() == "host" for k in hdrs)
        conn.putrequest(method, target, skip_host=skip_host, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if body or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        data = resp.read()
        resp_headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data
    return resp.status, resp_headers, parsed

# boto3 keeps pooled connections open until exit; that is not a bug in the tests.
warnings.simplefilter("ignore", ResourceWarning)


class Daemon:
    def __init__(self, data_dir=None, extra_args=(), env=None, allow_reset=True,
                 listen="127.0.0.1:0"):
        self.owns_dir = data_dir is None
        self.listen = listen
        self.allow_reset = allow_reset
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="berth-it-")
        self.extra_args = list(extra_args)
        # The tests' task definitions name images that do not exist: run them as processes
        # unless a test asks for Docker.
        if "--driver" not in self.extra_args:
            self.extra_args += ["--driver", "process"]
        self.env = env
        self.proc = None
        self.url = None
        self.stderr_path = os.path.join(self.data_dir, "daemon.log")

    def start(self, timeout=15):
        endpoint = os.path.join(self.data_dir, "endpoint")
        if os.path.exists(endpoint):
            os.unlink(endpoint)
        env = dict(os.environ if self.env is None else self.env)
        self.log = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [BERTH, "serve", "--listen", self.listen, "--data-dir", self.data_dir]
            + (["--allow-reset"] if self.allow_reset else []) + self.extra_args,
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("berth serve exited with %s: %s" % (self.proc.returncode, self.logs()))
            if os.path.exists(endpoint):
                self.url = open(endpoint).read().strip()
                try:
                    with urllib.request.urlopen(self.url + "/_berth/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except Exception:
                    pass
            time.sleep(0.05)
        else:
            raise RuntimeError("berth serve did not become healthy: " + self.logs())
        self.port = int(self.url.rsplit(":", 1)[1])
        self.listen = "127.0.0.1:%d" % self.port  # a restart keeps the port (tasks hold URLs)
        self.creds = self.read_credentials()
        return self

    def read_credentials(self):
        creds = {}
        for line in open(os.path.join(self.data_dir, "credentials")):
            if "=" in line:
                k, v = line.split("=", 1)
                creds[k.strip()] = v.strip()
        return creds

    def logs(self):
        try:
            return open(self.stderr_path, errors="replace").read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=40):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def reset(self):
        req = urllib.request.Request(self.url + "/_berth/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200

    # --- clients ---
    def ecs_raw(self, op, body=None, sign=True, host=None, headers=None, access_key=None,
                secret_key=None, region=REGION, service="ecs"):
        """POSTs an ECS JSON 1.1 request without any client-side validation, SigV4-signed with
        botocore's signer (unless sign=False). body: a dict/list (JSON-encoded) or raw bytes/str.
        Returns (status, headers, parsed JSON or bytes)."""
        if body is None:
            body = {}
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        host = host or "127.0.0.1:%d" % self.port
        hdrs = {"Host": host, "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": TARGET_PREFIX + op}
        hdrs.update(headers or {})
        if sign:
            req = botocore.awsrequest.AWSRequest(method="POST", url="http://%s/" % host,
                                                 data=data, headers=hdrs)
            creds = botocore.credentials.Credentials(
                access_key or self.creds["aws_access_key_id"],
                secret_key or self.creds["aws_secret_access_key"])
            botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
            hdrs = dict(req.headers.items())
        return http_request(self.port, "POST", "/", data, hdrs)

    def client_env(self):
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": self.creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": self.creds["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_PAGER": "",
        })
        env.pop("AWS_PROFILE", None)
        return env

    def boto(self, service="ecs"):
        return boto3.client(
            service, endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=self.creds["aws_access_key_id"],
            aws_secret_access_key=self.creds["aws_secret_access_key"],
            config=botocore.config.Config(retries={"max_attempts": 1}))

    def aws(self, *args, check=True, timeout=120):
        """Runs /usr/bin/aws (CLI v2) against the daemon; returns (rc, parsed-json-or-text, stderr)."""
        # The Debian CLI v2 (2.9) ignores AWS_ENDPOINT_URL, so name the endpoint explicitly.
        p = subprocess.run([AWS, "--output", "json", "--endpoint-url", self.url] + list(args),
                           env=self.client_env(),
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        out = p.stdout
        try:
            out = json.loads(p.stdout) if p.stdout.strip() else None
        except ValueError:
            pass
        return p.returncode, out, p.stderr

    def berth(self, *args, check=True, timeout=120, env=None):
        e = dict(os.environ) if env is None else env
        e.setdefault("BERTH_DATA_DIR", self.data_dir)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
            if env is None:
                e.pop(k, None)
        p = subprocess.run([BERTH] + list(args), env=e, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("berth %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p


def wait_for(predicate, timeout=30, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def free_port():
    """A loopback TCP port nothing listens on right now (for listeners the test creates)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fast_waiter(client, name, delay=1, attempts=60):
    w = client.get_waiter(name)
    w.config.delay = delay
    w.config.max_attempts = attempts
    return w


def process_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
