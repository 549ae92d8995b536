"""Environment files and secrets reach a task's containers (issue 6, the seed's flow): `.env`
objects copied to berth's S3 with `aws s3 cp`, an SSM SecureString and a Secrets Manager secret
(also one JSON key of it), a task definition naming them in `environmentFiles` and `secrets`,
`berth run-task`. ECS's precedence (overrides > environment > the first env file listed >
later files; secrets set last); a missing env file or secret stops the task at start with a
ResourceInitializationError naming it; secret values never appear in API answers, berth's log
or its data dir.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness

D = None
PASSWORD = "hunter2-" + os.urandom(6).hex()
TOKEN = "tok-" + os.urandom(6).hex()


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


class TaskConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="berth-taskcfg-")
        cls.ecs = D.boto()
        app_env = os.path.join(cls.tmp, "app.env")
        with open(app_env, "w") as f:
            f.write("# production settings\nAPP_ENV=production\nAPP_URL=https://x.test/?a=b\n"
                    "SHARED=from-app-env\nDB_HOST=file-db\nQUOTED=\"kept\"\n")
        extra_env = os.path.join(cls.tmp, "extra.env")
        with open(extra_env, "w") as f:
            f.write("SHARED=from-extra\nEXTRA=1\n")
        D.aws("s3", "mb", "s3://app-config")
        D.aws("s3", "cp", app_env, "s3://app-config/app.env")
        D.aws("s3", "cp", extra_env, "s3://app-config/extra.env")
        D.aws("ssm", "put-parameter", "--name", "/app/db/password", "--type", "SecureString",
              "--value", PASSWORD)
        _, out, _ = D.aws("secretsmanager", "create-secret", "--name", "app/api",
                          "--secret-string", json.dumps({"token": TOKEN, "other": "o"}))
        cls.secret_arn = out["ARN"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def register(self, family, env_files, secrets, out_file):
        self.ecs.register_task_definition(family=family, containerDefinitions=[{
            "name": "app", "image": "laravel:app", "memory": 64,
            "entryPoint": ["sh", "-c"], "command": ["env > " + out_file],
            "environment": [{"name": "DB_HOST", "value": "from-definition"},
                            {"name": "OVERRIDDEN", "value": "definition"}],
            "environmentFiles": [{"value": v, "type": "s3"} for v in env_files],
            "secrets": secrets}])

    def run_and_wait(self, family, overrides=None):
        kwargs = {"overrides": overrides} if overrides else {}
        r = self.ecs.run_task(taskDefinition=family, **kwargs)
        self.assertEqual(r["failures"], [])
        arn = r["tasks"][0]["taskArn"]
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.3, attempts=100).wait(tasks=[arn])
        return self.ecs.describe_tasks(tasks=[arn])["tasks"][0]

    def env_of(self, path):
        with open(path) as f:
            return dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)

    def test_env_files_and_secrets_with_ecs_precedence(self):
        out = os.path.join(self.tmp, "env-1.txt")
        self.register("with-config", ["arn:aws:s3:::app-config/app.env",
                                      "arn:aws:s3:::app-config/extra.env"],
                      [{"name": "DB_PASSWORD", "valueFrom": "/app/db/password"},
                       {"name": "API_TOKEN", "valueFrom": self.secret_arn + ":token::"},
                       {"name": "API_SECRET_JSON", "valueFrom": self.secret_arn}], out)
        # The seed's flow, through berth's own CLI.
        D.berth("run-task", "with-config")
        harness.wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 0, timeout=20,
                         what="the container's env dump")
        env = self.env_of(out)
        self.assertEqual(env["APP_ENV"], "production")
        self.assertEqual(env["APP_URL"], "https://x.test/?a=b")  # split at the first '='
        self.assertEqual(env["QUOTED"], "\"kept\"")  # no quote processing
        self.assertEqual(env["SHARED"], "from-app-env")  # the first file listed wins
        self.assertEqual(env["EXTRA"], "1")  # later files add keys
        self.assertEqual(env["DB_HOST"], "from-definition")  # environment beats files
        self.assertEqual(env["DB_PASSWORD"], PASSWORD)
        self.assertEqual(env["API_TOKEN"], TOKEN)
        self.assertEqual(json.loads(env["API_SECRET_JSON"])["token"], TOKEN)

        # Container overrides beat both.
        out2 = os.path.join(self.tmp, "env-2.txt")
        self.register("with-config-2", ["arn:aws:s3:::app-config/app.env"],
                      [{"name": "DB_PASSWORD", "valueFrom": "/app/db/password"}], out2)
        t = self.run_and_wait("with-config-2", {"containerOverrides": [{
            "name": "app", "environment": [{"name": "APP_ENV", "value": "staging"},
                                           {"name": "OVERRIDDEN", "value": "override"}]}]})
        self.assertEqual(t["containers"][0].get("exitCode"), 0, t)
        env = self.env_of(out2)
        self.assertEqual(env["APP_ENV"], "staging")
        self.assertEqual(env["OVERRIDDEN"], "override")
        self.assertEqual(env["SHARED"], "from-app-env")

        # Secret values reach the container only: not the API, not berth's log or data dir.
        answers = json.dumps(self.ecs.describe_tasks(tasks=[t["taskArn"]]), default=str)
        answers += json.dumps(self.ecs.describe_task_definition(taskDefinition="with-config"),
                              default=str)
        answers += json.dumps(self.ecs.list_tasks(), default=str)
        for secret in (PASSWORD, TOKEN):
            self.assertNotIn(secret, answers)
            self.assertNotIn(secret, D.logs())
            grep = subprocess.run(["grep", "-r", "-l", "-a", "-F", secret, D.data_dir],
                                  capture_output=True, text=True)
            self.assertEqual(grep.stdout, "", "secret found in " + grep.stdout)

    def test_missing_env_file_stops_the_task_naming_it(self):
        out = os.path.join(self.tmp, "never.txt")
        self.register("missing-file", ["arn:aws:s3:::app-config/app.env",
                                       "arn:aws:s3:::app-config/nope.env"], [], out)
        t = self.run_and_wait("missing-file")
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertTrue(t["stoppedReason"].startswith(
            "ResourceInitializationError: failed to download env files:"), t["stoppedReason"])
        self.assertIn("NoSuchKey", t["stoppedReason"])
        self.assertIn("arn:aws:s3:::app-config/nope.env", t["stoppedReason"])
        self.assertFalse(os.path.exists(out))
        self.register("missing-bucket", ["arn:aws:s3:::no-such-bucket/app.env"], [], out)
        t = self.run_and_wait("missing-bucket")
        self.assertIn("NoSuchBucket", t["stoppedReason"])
        self.assertFalse(os.path.exists(out))

    def test_missing_secret_stops_the_task_naming_it(self):
        out = os.path.join(self.tmp, "never2.txt")
        self.register("missing-secret", [],
                      [{"name": "DB_PASSWORD", "valueFrom": "/app/db/password"},
                       {"name": "X", "valueFrom": "/app/not/there"}], out)
        t = self.run_and_wait("missing-secret")
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertTrue(t["stoppedReason"].startswith(
            "ResourceInitializationError: unable to pull secrets or registry auth:"),
            t["stoppedReason"])
        self.assertIn("/app/not/there", t["stoppedReason"])
        self.assertNotIn(PASSWORD, t["stoppedReason"])
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
