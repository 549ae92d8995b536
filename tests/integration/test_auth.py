"""SigV4 authentication, the Host check, the credentials file, `berth env`, the region taken from
the credential scope, POST /_berth/reset and the data-dir lock, over raw HTTP and boto3.

Run: cd tests/integration && BERTH_BIN=../../build/berth /usr/bin/python3 -m unittest -v test_auth
"""
import datetime
import os
import stat
import subprocess
import time
import unittest
import urllib.parse
import warnings
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
from botocore.exceptions import ClientError

import harness

D = None  # the module's shared daemon

MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")


def setUpModule():
    global D
    # unittest's runner resets the warning filters; boto3's pooled sockets are not our leak.
    warnings.simplefilter("ignore", ResourceWarning)
    D = harness.Daemon().start()


def tearDownModule():
    if D:
        D.cleanup()


def boto_client(url, key_id, secret, region=harness.REGION):
    return boto3.client(
        "ecs", endpoint_url=url, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}))


_REAL_DATETIME = datetime.datetime


class _ShiftedDatetime(datetime.datetime):
    """datetime.datetime whose utcnow() is off by `shift` (botocore.auth signs with utcnow)."""
    shift = datetime.timedelta(0)

    @classmethod
    def utcnow(cls):
        return _REAL_DATETIME.utcnow() + cls.shift


def signing_clock(minutes):
    cls = type("Shifted", (_ShiftedDatetime,), {"shift": datetime.timedelta(minutes=minutes)})
    # botocore.auth.datetime is the datetime module itself, so this patches it for the block.
    return mock.patch("botocore.auth.datetime.datetime", cls)


class AuthTestCase(unittest.TestCase):
    def assertAwsError(self, result, status, type_, message=None, prefix=None):
        code, headers, body = result
        self.assertEqual(code, status, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body.get("__type"), type_, body)
        if message is not None:
            self.assertEqual(body.get("message"), message, body)
        if prefix is not None:
            self.assertTrue(str(body.get("message", "")).startswith(prefix), body)
        return body


class SignatureTest(AuthTestCase):
    def test_signed_request_succeeds(self):
        code, headers, body = D.ecs_raw("ListClusters", {})
        self.assertEqual(code, 200, body)
        self.assertEqual(headers.get("content-type"), "application/x-amz-json-1.1")
        self.assertTrue(headers.get("x-amzn-requestid"))
        self.assertIn("arn:aws:ecs:us-east-1:123456789012:cluster/default", body["clusterArns"])

    def test_unsigned_request_is_missing_authentication_token(self):
        self.assertAwsError(D.ecs_raw("ListClusters", {}, sign=False), 403,
                            "MissingAuthenticationTokenException", "Missing Authentication Token")

    def test_wrong_secret_is_invalid_signature(self):
        self.assertAwsError(
            D.ecs_raw("ListClusters", {}, secret_key="x" * 40), 403,
            "InvalidSignatureException", MISMATCH)

    def test_wrong_secret_through_boto3(self):
        c = boto_client(D.url, D.creds["aws_access_key_id"], "y" * 40)
        with self.assertRaises(ClientError) as cm:
            c.list_clusters()
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "InvalidSignatureException")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_unknown_access_key_is_unrecognized_client(self):
        self.assertAwsError(
            D.ecs_raw("ListClusters", {}, access_key="AKIAUNKNOWNUNKNOWN00"), 403,
            "UnrecognizedClientException", "The security token included in the request is invalid.")

    def test_malformed_authorization_header_is_incomplete_signature(self):
        for value in ("AWS4-HMAC-SHA256 garbage",
                      "AWS4-HMAC-SHA256 Credential=%s/20240101/us-east-1/ecs/aws4_request"
                      % D.creds["aws_access_key_id"],
                      "Bearer abc"):
            with self.subTest(authorization=value):
                self.assertAwsError(
                    D.ecs_raw("ListClusters", {}, sign=False,
                              headers={"Authorization": value,
                                       "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ",
                                                                   time.gmtime())}),
                    403, "IncompleteSignatureException")

    def test_host_must_be_a_signed_header(self):
        class NoHostSigner(botocore.auth.SigV4Auth):
            def headers_to_sign(self, request):
                headers = super().headers_to_sign(request)
                del headers["host"]
                return headers

        host = "127.0.0.1:%d" % D.port
        req = botocore.awsrequest.AWSRequest(
            method="POST", url="http://%s/" % host, data=b"{}",
            headers={"Host": host, "Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": harness.TARGET_PREFIX + "ListClusters"})
        NoHostSigner(botocore.credentials.Credentials(
            D.creds["aws_access_key_id"], D.creds["aws_secret_access_key"]),
            "ecs", harness.REGION).add_auth(req)
        self.assertNotIn("host", req.headers["Authorization"].split("SignedHeaders=")[1]
                         .split(",")[0].split(";"))
        self.assertAwsError(
            harness.http_request(D.port, "POST", "/", b"{}", dict(req.headers.items())),
            403, "IncompleteSignatureException")

    def test_tampered_body_is_invalid_signature(self):
        host = "127.0.0.1:%d" % D.port
        req = botocore.awsrequest.AWSRequest(
            method="POST", url="http://%s/" % host, data=b'{"clusters":["default"]}',
            headers={"Host": host, "Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": harness.TARGET_PREFIX + "DescribeClusters"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(
            D.creds["aws_access_key_id"], D.creds["aws_secret_access_key"]),
            "ecs", harness.REGION).add_auth(req)
        self.assertAwsError(
            harness.http_request(D.port, "POST", "/", b'{"clusters":["other"]}',
                                 dict(req.headers.items())),
            403, "InvalidSignatureException")

    def test_signature_20_minutes_old_is_expired(self):
        with signing_clock(-20):
            result = D.ecs_raw("ListClusters", {})
        self.assertAwsError(result, 403, "InvalidSignatureException", prefix="Signature expired")

    def test_signature_20_minutes_ahead_is_rejected(self):
        with signing_clock(20):
            result = D.ecs_raw("ListClusters", {})
        self.assertAwsError(result, 403, "InvalidSignatureException")

    def test_signature_10_minutes_off_is_within_skew(self):
        for minutes in (-10, 10):
            with self.subTest(minutes=minutes), signing_clock(minutes):
                code, _, body = D.ecs_raw("ListClusters", {})
                self.assertEqual(code, 200, body)

    def test_unsigned_payload_is_rejected(self):
        self.assertAwsError(
            D.ecs_raw("ListClusters", {}, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}),
            403, "InvalidSignatureException")

    def test_credential_scoped_to_another_service_is_rejected(self):
        self.assertAwsError(D.ecs_raw("ListClusters", {}, service="s3"), 403,
                            "InvalidSignatureException")

    def _presigned(self, op, minutes=0, expires=60):
        """botocore's SigV4QueryAuth on a POST that carries X-Amz-Target as a (signed) header.
        SigV4QueryAuth moves a JSON body into the query string, so `{}` leaves an empty body,
        which it signs as the SHA-256 of the empty payload (non-S3 services)."""
        host = "127.0.0.1:%d" % D.port
        req = botocore.awsrequest.AWSRequest(
            method="POST", url="http://%s/" % host, data=b"{}",
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": harness.TARGET_PREFIX + op})
        creds = botocore.credentials.Credentials(D.creds["aws_access_key_id"],
                                                 D.creds["aws_secret_access_key"])
        with signing_clock(minutes):
            botocore.auth.SigV4QueryAuth(creds, "ecs", harness.REGION, expires=expires).add_auth(req)
        url = urllib.parse.urlsplit(req.url)
        self.assertIn("X-Amz-Signature=", url.query)
        headers = dict(req.headers.items())
        headers["Host"] = host
        body = req.data or b""
        if isinstance(body, str):
            body = body.encode()
        return harness.http_request(D.port, "POST", url.path + "?" + url.query, body, headers)

    def test_presigned_query_string_works(self):
        code, _, body = self._presigned("ListClusters")
        self.assertEqual(code, 200, body)
        self.assertIn("clusterArns", body)

    def test_presigned_query_string_past_expiry_is_rejected(self):
        self.assertAwsError(self._presigned("ListClusters", minutes=-10, expires=60), 403,
                            "InvalidSignatureException")


class HostAndHealthTest(AuthTestCase):
    def test_foreign_host_header_is_refused(self):
        code, _, body = D.ecs_raw("ListClusters", {}, host="evil.example.com:%d" % D.port)
        self.assertEqual(code, 403, body)

    def test_host_header_with_another_port_is_refused(self):
        code, _, body = D.ecs_raw("ListClusters", {}, host="127.0.0.1:%d" % (D.port ^ 1))
        self.assertEqual(code, 403, body)

    def test_localhost_host_header_is_accepted(self):
        code, _, body = D.ecs_raw("ListClusters", {}, host="localhost:%d" % D.port)
        self.assertEqual(code, 200, body)
        self.assertIn("clusterArns", body)

    def test_localhost_endpoint_url_works_with_boto3(self):
        c = boto_client("http://localhost:%d" % D.port, D.creds["aws_access_key_id"],
                        D.creds["aws_secret_access_key"])
        self.assertIn("clusterArns", c.list_clusters())

    def test_health_needs_no_signature(self):
        code, _, body = harness.http_request(D.port, "GET", "/_berth/health")
        self.assertEqual(code, 200, body)
        self.assertEqual(body, {"status": "ok"})

    def test_health_with_foreign_host_is_refused(self):
        code, _, body = harness.http_request(D.port, "GET", "/_berth/health",
                                             headers={"Host": "evil.example.com:%d" % D.port})
        self.assertEqual(code, 403, body)


class CredentialsTest(AuthTestCase):
    def test_credentials_file_is_private_berth_profile(self):
        path = os.path.join(D.data_dir, "credentials")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            text = f.read()
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        self.assertEqual(lines[0], "[berth]", text)
        keys = dict((k.strip(), v.strip()) for k, v in
                    (l.split("=", 1) for l in lines[1:] if "=" in l))
        self.assertRegex(keys["aws_access_key_id"], r"^[A-Z0-9]{16,128}$")
        self.assertGreaterEqual(len(keys["aws_secret_access_key"]), 20)

    def test_aws_cli_with_file_credentials(self):
        rc, out, err = D.aws("ecs", "list-clusters")
        self.assertEqual(rc, 0, err)
        self.assertIn("arn:aws:ecs:us-east-1:123456789012:cluster/default", out["clusterArns"])

    def test_keys_from_environment_override_the_file(self):
        env = dict(os.environ)
        env["BERTH_ACCESS_KEY_ID"] = "AKIAENVIRONMENT00001"
        env["BERTH_SECRET_ACCESS_KEY"] = "environment-secret-0123456789abcdefghijkl"
        d2 = harness.Daemon(env=env)
        try:
            d2.start()
            good = boto_client(d2.url, env["BERTH_ACCESS_KEY_ID"], env["BERTH_SECRET_ACCESS_KEY"])
            self.assertIn("clusterArns", good.list_clusters())
            file_keys = d2.read_credentials()
            self.assertNotEqual(file_keys["aws_access_key_id"], env["BERTH_ACCESS_KEY_ID"])
            stale = boto_client(d2.url, file_keys["aws_access_key_id"],
                                file_keys["aws_secret_access_key"])
            with self.assertRaises(ClientError) as cm:
                stale.list_clusters()
            self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        finally:
            d2.cleanup()

    def test_berth_env_prints_working_exports(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")
               and not k.startswith("BERTH_")}
        env["BERTH_DATA_DIR"] = D.data_dir
        p = subprocess.run([harness.BERTH, "env"], env=env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 5, p.stdout)
        exports = {}
        for line in lines:
            self.assertTrue(line.startswith("export "), line)
            k, v = line[len("export "):].split("=", 1)
            exports[k] = v
        self.assertEqual(sorted(exports), ["AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
                                           "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_SECRET_ACCESS_KEY"])
        self.assertEqual(exports["AWS_REGION"], "us-east-1")  # the JS SDK v3 reads only this
        self.assertEqual(exports["AWS_ENDPOINT_URL"], D.url)
        self.assertEqual(exports["AWS_ACCESS_KEY_ID"], D.creds["aws_access_key_id"])
        self.assertEqual(exports["AWS_DEFAULT_REGION"], "us-east-1")
        c = boto_client(exports["AWS_ENDPOINT_URL"], exports["AWS_ACCESS_KEY_ID"],
                        exports["AWS_SECRET_ACCESS_KEY"], exports["AWS_DEFAULT_REGION"])
        self.assertIn("arn:aws:ecs:us-east-1:123456789012:cluster/default",
                      c.list_clusters()["clusterArns"])

    def test_region_comes_from_credential_scope(self):
        c = boto_client(D.url, D.creds["aws_access_key_id"], D.creds["aws_secret_access_key"],
                        region="eu-west-1")
        cluster = c.create_cluster(clusterName="x1")["cluster"]
        self.assertTrue(cluster["clusterArn"].startswith(
            "arn:aws:ecs:eu-west-1:123456789012:cluster/"), cluster["clusterArn"])
        self.assertEqual(cluster["clusterArn"], "arn:aws:ecs:eu-west-1:123456789012:cluster/x1")
        td = c.register_task_definition(
            family="regional", containerDefinitions=[
                {"name": "c", "image": "busybox", "memory": 32}])["taskDefinition"]
        self.assertEqual(td["taskDefinitionArn"],
                         "arn:aws:ecs:eu-west-1:123456789012:task-definition/regional:1")


    def test_missing_failure_arns_use_request_region(self):
        c = boto_client(D.url, D.creds["aws_access_key_id"], D.creds["aws_secret_access_key"],
                        region="eu-west-1")
        failures = c.describe_clusters(clusters=["never-made"])["failures"]
        self.assertEqual(failures, [{"arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/never-made",
                                     "reason": "MISSING"}])
        failures = c.describe_tasks(tasks=["0" * 32])["failures"]
        self.assertEqual(failures[0]["reason"], "MISSING")
        self.assertTrue(failures[0]["arn"].startswith("arn:aws:ecs:eu-west-1:123456789012:task/"),
                        failures)

def register(client, family):
    return client.register_task_definition(
        family=family, containerDefinitions=[
            {"name": "c", "image": "busybox", "memory": 32}])["taskDefinition"]


class ResetTest(AuthTestCase):
    def test_reset_refused_without_allow_reset(self):
        d2 = harness.Daemon(allow_reset=False)
        try:
            d2.start()
            register(d2.boto(), "keepme")
            code, _, body = harness.http_request(d2.port, "POST", "/_berth/reset", b"")
            self.assertIn(code, (403, 404), body)
            # Signed, it is still no reset endpoint.
            host = "127.0.0.1:%d" % d2.port
            req = botocore.awsrequest.AWSRequest(method="POST", url="http://%s/_berth/reset" % host,
                                                 data=b"", headers={"Host": host})
            botocore.auth.SigV4Auth(botocore.credentials.Credentials(
                d2.creds["aws_access_key_id"], d2.creds["aws_secret_access_key"]),
                "ecs", harness.REGION).add_auth(req)
            code, _, body = harness.http_request(d2.port, "POST", "/_berth/reset", b"",
                                                 dict(req.headers.items()))
            self.assertIn(code, (403, 404), body)
            td = d2.boto().describe_task_definition(taskDefinition="keepme")["taskDefinition"]
            self.assertEqual(td["revision"], 1)
        finally:
            d2.cleanup()

    def test_reset_with_allow_reset_forgets_task_definitions(self):
        c = D.boto()
        register(c, "resetme")
        register(c, "resetme")
        code, _, body = harness.http_request(D.port, "POST", "/_berth/reset", b"")
        self.assertEqual(code, 200, body)
        with self.assertRaises(ClientError) as cm:
            c.describe_task_definition(taskDefinition="resetme")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ClientException")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "Unable to describe task definition.")
        self.assertEqual(c.list_task_definitions()["taskDefinitionArns"], [])
        self.assertEqual(c.list_task_definition_families()["families"], [])
        # The daemon is fresh again: revisions restart and `default` exists.
        self.assertEqual(register(c, "resetme")["revision"], 1)
        self.assertEqual(c.list_clusters()["clusterArns"],
                         ["arn:aws:ecs:us-east-1:123456789012:cluster/default"])


class LockTest(unittest.TestCase):
    def test_second_daemon_on_same_data_dir_refuses_to_start(self):
        p = subprocess.Popen(
            [harness.BERTH, "serve", "--listen", "127.0.0.1:0", "--data-dir", D.data_dir],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("a second berth daemon on %s kept running" % D.data_dir)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("another berth daemon", out + err)
        # The first daemon is unharmed and still advertised.
        with open(os.path.join(D.data_dir, "endpoint")) as f:
            self.assertEqual(f.read().strip(), D.url)
        code, _, _ = harness.http_request(D.port, "GET", "/_berth/health")
        self.assertEqual(code, 200)


if __name__ == "__main__":
    unittest.main()
