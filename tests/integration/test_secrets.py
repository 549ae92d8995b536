"""SSM Parameter Store and Secrets Manager end to end against a real `berth serve`, with the AWS
CLI v2 and boto3: parameters (String, StringList, SecureString; versions, paths, paging,
deletes), secrets (versions and staging labels, updates, deletion with a recovery window,
restore, binary values), AWS's error shapes, a daemon restart on the same data dir, and no
plaintext secret anywhere in the data dir or the daemon's output. Everything stays on
127.0.0.1; every process started here is stopped by its PID."""
import base64
import os
import unittest

import botocore.exceptions

import harness

D = None
ACCOUNT = "123456789012"
SSM_SECRET = "ssm-plaintext-Zq7Rk2Vw"
ASM_SECRET = "asm-plaintext-Lp4Xn8Tc"
ASM_SECRET_2 = "asm-plaintext-second-Hj5Ue1"


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


def raw_secrets(op, body):
    """A signed Secrets Manager request without client-side validation (Debian's botocore
    predates IncludePlannedDeletion). Returns (status, parsed JSON)."""
    status, _, out = D.ecs_raw(op, body, headers={"X-Amz-Target": "secretsmanager." + op},
                               service="secretsmanager")
    return status, out


def error_of(fn, **kw):
    with unittest.TestCase().assertRaises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.exception.response["Error"]
    return err["Code"], err.get("Message", "")


class SecretsTest(unittest.TestCase):
    def setUp(self):
        self.ssm = D.boto("ssm")
        self.sm = D.boto("secretsmanager")

    def test_1_ssm_with_the_cli(self):
        _, out, _ = D.aws("ssm", "put-parameter", "--name", "/cli/db/host", "--type", "String",
                          "--value", "db.local", "--description", "the host")
        self.assertEqual(out, {"Version": 1, "Tier": "Standard"})
        D.aws("ssm", "put-parameter", "--name", "/cli/db/password", "--type", "SecureString",
              "--value", SSM_SECRET)
        D.aws("ssm", "put-parameter", "--name", "/cli/db/replicas/list", "--type", "StringList",
              "--value", "a,b,c")
        _, out, _ = D.aws("ssm", "get-parameter", "--name", "/cli/db/password",
                          "--with-decryption")
        p = out["Parameter"]
        self.assertEqual((p["Name"], p["Type"], p["Value"], p["Version"], p["DataType"]),
                         ("/cli/db/password", "SecureString", SSM_SECRET, 1, "text"))
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1:%s:parameter/cli/db/password" % ACCOUNT)
        self.assertIn("LastModifiedDate", p)
        _, out, _ = D.aws("ssm", "get-parameter", "--name", "/cli/db/password")
        self.assertNotEqual(out["Parameter"]["Value"], SSM_SECRET)
        self.assertNotIn(SSM_SECRET, out["Parameter"]["Value"])
        rc, _, err = D.aws("ssm", "put-parameter", "--name", "/cli/db/host", "--type", "String",
                           "--value", "x", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("(ParameterAlreadyExists)", err)
        _, out, _ = D.aws("ssm", "put-parameter", "--name", "/cli/db/host", "--value",
                          "db2.local", "--overwrite")
        self.assertEqual(out["Version"], 2)
        _, out, _ = D.aws("ssm", "get-parameters-by-path", "--path", "/cli", "--recursive",
                          "--with-decryption")
        self.assertEqual([(p["Name"], p["Value"]) for p in out["Parameters"]],
                         [("/cli/db/host", "db2.local"), ("/cli/db/password", SSM_SECRET),
                          ("/cli/db/replicas/list", "a,b,c")])
        _, out, _ = D.aws("ssm", "describe-parameters", "--parameter-filters",
                          "Key=Path,Option=Recursive,Values=/cli")
        meta = {p["Name"]: p for p in out["Parameters"]}
        self.assertEqual(sorted(meta), ["/cli/db/host", "/cli/db/password",
                                        "/cli/db/replicas/list"])
        self.assertEqual(meta["/cli/db/host"]["Description"], "the host")
        self.assertEqual(meta["/cli/db/host"]["Version"], 2)
        self.assertEqual(meta["/cli/db/password"]["KeyId"], "alias/aws/ssm")
        self.assertNotIn("Value", meta["/cli/db/password"])
        D.aws("ssm", "delete-parameter", "--name", "/cli/db/host")
        _, out, _ = D.aws("ssm", "delete-parameters", "--names", "/cli/db/password",
                          "/cli/db/replicas/list", "/cli/nope")
        self.assertEqual(out["DeletedParameters"], ["/cli/db/password", "/cli/db/replicas/list"])
        self.assertEqual(out["InvalidParameters"], ["/cli/nope"])
        rc, _, err = D.aws("ssm", "delete-parameter", "--name", "/cli/db/host", check=False)
        self.assertIn("(ParameterNotFound)", err)

    def test_2_secrets_manager_with_the_cli(self):
        _, created, _ = D.aws("secretsmanager", "create-secret", "--name", "cli/db",
                              "--description", "db credentials", "--secret-string",
                              '{"username":"app","password":"%s"}' % ASM_SECRET)
        arn = created["ARN"]
        self.assertRegex(arn, r"^arn:aws:secretsmanager:us-east-1:%s:secret:cli/db-[A-Za-z0-9]{6}$"
                         % ACCOUNT)
        _, out, _ = D.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/db")
        self.assertEqual(out["SecretString"], '{"username":"app","password":"%s"}' % ASM_SECRET)
        self.assertEqual((out["ARN"], out["VersionStages"], out["VersionId"]),
                         (arn, ["AWSCURRENT"], created["VersionId"]))
        _, put, _ = D.aws("secretsmanager", "put-secret-value", "--secret-id", arn,
                          "--secret-string", ASM_SECRET_2)
        self.assertEqual(put["VersionStages"], ["AWSCURRENT"])
        D.aws("secretsmanager", "update-secret", "--secret-id", "cli/db", "--description", "new")
        _, out, _ = D.aws("secretsmanager", "describe-secret", "--secret-id", arn[:-7])
        self.assertEqual(out["Description"], "new")
        self.assertEqual(out["VersionIdsToStages"], {created["VersionId"]: ["AWSPREVIOUS"],
                                                     put["VersionId"]: ["AWSCURRENT"]})
        _, out, _ = D.aws("secretsmanager", "list-secrets")
        self.assertIn("cli/db", [s["Name"] for s in out["SecretList"]])
        _, out, _ = D.aws("secretsmanager", "delete-secret", "--secret-id", "cli/db",
                          "--recovery-window-in-days", "7")
        self.assertEqual(out["Name"], "cli/db")
        self.assertIn("DeletionDate", out)
        rc, _, err = D.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/db",
                           check=False)
        self.assertIn("(InvalidRequestException)", err)
        self.assertIn("marked for deletion", err)
        self.assertNotIn(ASM_SECRET_2, err)

    def test_3_ssm_errors_and_paging_with_boto3(self):
        ssm = self.ssm
        self.assertEqual(error_of(ssm.get_parameter, Name="/missing"), ("ParameterNotFound", ""))
        ssm.put_parameter(Name="/b3/x", Value="1", Type="String")
        self.assertEqual(error_of(ssm.put_parameter, Name="/b3/x", Value="2", Type="String"),
                         ("ParameterAlreadyExists",
                          "The parameter already exists. To overwrite this value, set the "
                          "overwrite option in the request to true."))
        code, _ = error_of(ssm.get_parameter, Name="/b3/x:7")
        self.assertEqual(code, "ParameterVersionNotFound")
        code, msg = error_of(ssm.put_parameter, Name="a/b", Value="v", Type="String")
        self.assertEqual((code, msg), ("ValidationException",
                                       "Parameter name must be a fully qualified name."))
        out = ssm.get_parameters(Names=["/b3/x", "/b3/none"])
        self.assertEqual([p["Value"] for p in out["Parameters"]], ["1"])
        self.assertEqual(out["InvalidParameters"], ["/b3/none"])
        self.assertEqual(ssm.get_parameter(Name="/b3/x:1")["Parameter"]["Selector"], ":1")
        for i in range(5):
            ssm.put_parameter(Name="/b3/page/p%d" % i, Value=str(i), Type="SecureString")
        pages = list(ssm.get_paginator("get_parameters_by_path").paginate(
            Path="/b3/page", WithDecryption=True, PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([p["Value"] for pg in pages for p in pg["Parameters"]],
                         ["0", "1", "2", "3", "4"])
        pages = list(ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/b3/page/"]}],
            PaginationConfig={"PageSize": 2}))
        self.assertEqual(sum(len(pg["Parameters"]) for pg in pages), 5)
        hist = ssm.get_parameter_history(Name="/b3/page/p0", WithDecryption=True)
        self.assertEqual([h["Value"] for h in hist["Parameters"]], ["0"])

    def test_4_secrets_manager_errors_with_boto3(self):
        sm = self.sm
        self.assertEqual(error_of(sm.get_secret_value, SecretId="nope"),
                         ("ResourceNotFoundException",
                          "Secrets Manager can't find the specified secret."))
        sm.create_secret(Name="b3/s", SecretString="v1")
        self.assertEqual(error_of(sm.create_secret, Name="b3/s", SecretString="v"),
                         ("ResourceExistsException",
                          "The operation failed because the secret b3/s already exists."))
        code, msg = error_of(sm.get_secret_value, SecretId="b3/s", VersionStage="AWSPENDING")
        self.assertEqual((code, msg), (
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"))
        code, _ = error_of(sm.create_secret, Name="b3/both", SecretString="a", SecretBinary=b"b")
        self.assertEqual(code, "InvalidParameterException")
        sm.create_secret(Name="b3/bin", SecretBinary=b"\x00\x01binary\xff")
        self.assertEqual(sm.get_secret_value(SecretId="b3/bin")["SecretBinary"],
                         b"\x00\x01binary\xff")
        token = "a" * 32
        v = sm.put_secret_value(SecretId="b3/s", SecretString="v2", ClientRequestToken=token)
        again = sm.put_secret_value(SecretId="b3/s", SecretString="v2", ClientRequestToken=token)
        self.assertEqual(v["VersionId"], again["VersionId"])
        code, _ = error_of(sm.put_secret_value, SecretId="b3/s", SecretString="v3",
                           ClientRequestToken=token)
        self.assertEqual(code, "ResourceExistsException")
        self.assertEqual(sm.get_secret_value(SecretId="b3/s", VersionStage="AWSPREVIOUS")
                         ["SecretString"], "v1")
        sm.delete_secret(SecretId="b3/s")
        code, msg = error_of(sm.put_secret_value, SecretId="b3/s", SecretString="x")
        self.assertEqual((code, msg), (
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion."))
        names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
        self.assertNotIn("b3/s", names)
        status, out = raw_secrets("ListSecrets", {"IncludePlannedDeletion": True})
        self.assertEqual(status, 200)
        self.assertIn("b3/s", [s["Name"] for s in out["SecretList"]])
        self.assertIn("DeletedDate", sm.describe_secret(SecretId="b3/s"))
        sm.restore_secret(SecretId="b3/s")
        self.assertEqual(sm.get_secret_value(SecretId="b3/s")["SecretString"], "v2")
        sm.delete_secret(SecretId="b3/bin", ForceDeleteWithoutRecovery=True)
        code, _ = error_of(sm.describe_secret, SecretId="b3/bin")
        self.assertEqual(code, "ResourceNotFoundException")
        for i in range(3):
            sm.create_secret(Name="b3/page-%d" % i, SecretString="x")
        pages = list(sm.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": ["b3/page-"]}], PaginationConfig={"PageSize": 2}))
        self.assertEqual([s["Name"] for pg in pages for s in pg["SecretList"]],
                         ["b3/page-0", "b3/page-1", "b3/page-2"])

    def test_8_reset_clears_the_store(self):
        self.ssm.put_parameter(Name="/reset/me", Value="1", Type="String")
        self.sm.create_secret(Name="reset/me", SecretString="x")
        D.reset()
        self.assertEqual(self.ssm.describe_parameters()["Parameters"], [])
        self.assertEqual(raw_secrets("ListSecrets", {"IncludePlannedDeletion": True}),
                         (200, {"SecretList": []}))

    def test_9_restart_keeps_values_and_no_plaintext_on_disk_or_in_logs(self):
        self.ssm.put_parameter(Name="/keep/password", Value=SSM_SECRET, Type="SecureString")
        arn = self.sm.create_secret(Name="keep/db", SecretString=ASM_SECRET)["ARN"]
        self.sm.put_secret_value(SecretId=arn, SecretString=ASM_SECRET_2)
        D.stop()
        again = harness.Daemon(data_dir=D.data_dir).start()
        try:
            ssm, sm = again.boto("ssm"), again.boto("secretsmanager")
            self.assertEqual(ssm.get_parameter(Name="/keep/password", WithDecryption=True)
                             ["Parameter"]["Value"], SSM_SECRET)
            self.assertEqual(sm.get_secret_value(SecretId=arn)["SecretString"], ASM_SECRET_2)
            self.assertEqual(sm.get_secret_value(SecretId="keep/db", VersionStage="AWSPREVIOUS")
                             ["SecretString"], ASM_SECRET)
            # Error answers never carry a value.
            code, msg = error_of(sm.get_secret_value, SecretId=arn, VersionId="x" * 32)
            self.assertEqual(code, "ResourceNotFoundException")
            self.assertNotIn(ASM_SECRET, msg)
        finally:
            again.stop()
        secrets_dir = os.path.join(D.data_dir, "secrets")
        self.assertEqual(os.stat(secrets_dir).st_mode & 0o777, 0o700)
        for f in ("key", "parameters.json", "secrets.json"):
            self.assertEqual(os.stat(os.path.join(secrets_dir, f)).st_mode & 0o777, 0o600, f)
        needles = [s.encode() for s in (SSM_SECRET, ASM_SECRET, ASM_SECRET_2)]
        needles += [base64.b64encode(n) for n in needles]
        scanned = 0
        for root, _, files in os.walk(D.data_dir):
            for f in files:
                path = os.path.join(root, f)
                try:
                    data = open(path, "rb").read()
                except OSError:
                    continue
                scanned += 1
                for n in needles:
                    self.assertNotIn(n, data, "%s contains a plaintext secret" % path)
        self.assertGreater(scanned, 3)
        self.assertIn("listening on", D.logs())  # the daemon's output was among them


if __name__ == "__main__":
    unittest.main()
