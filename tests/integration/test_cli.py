"""The berth CLI verbs against a real daemon: env, ps, run-task, stop, describe."""
import json
import os
import shutil
import tempfile
import unittest

import harness

D = None


def setUpModule():
    global D
    D = harness.Daemon().start()
    D.boto().register_task_definition(family="cli", containerDefinitions=[
        {"name": "web", "image": "x", "memory": 32, "command": ["sleep", "60"]},
        {"name": "worker", "image": "x", "memory": 32, "essential": False,
         "command": ["sleep", "60"]}])


def tearDownModule():
    D.cleanup()


class CliTest(unittest.TestCase):
    def temp_dir(self):
        """A directory of this test's, removed when it ends."""
        path = tempfile.mkdtemp(prefix="berth-cli-test-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def test_env_prints_working_exports(self):
        out = D.berth("env").stdout
        exports = dict(line[len("export "):].split("=", 1) for line in out.splitlines())
        self.assertEqual(exports["AWS_ENDPOINT_URL"], D.url)
        self.assertEqual(exports["AWS_ACCESS_KEY_ID"], D.creds["aws_access_key_id"])
        self.assertEqual(exports["AWS_SECRET_ACCESS_KEY"], D.creds["aws_secret_access_key"])
        self.assertEqual(exports["AWS_DEFAULT_REGION"], "us-east-1")

    def test_run_task_ps_describe_stop(self):
        task_id = D.berth("run-task", "cli").stdout.strip()
        self.assertRegex(task_id, r"^[0-9a-f]{32}$")
        harness.wait_for(lambda: "RUNNING" in D.berth("ps").stdout, what="ps shows RUNNING")
        ps = D.berth("ps").stdout.splitlines()
        self.assertEqual(ps[0].split()[:7],
                         ["TASK", "DEFINITION", "STATUS", "HEALTH", "AGE", "DRIVER", "CONTAINERS"])
        row = next(line for line in ps if line.startswith(task_id))
        self.assertIn("cli:1", row)
        self.assertEqual(row.split()[5], "process")
        self.assertIn("web:RUNNING", row)
        described = json.loads(D.berth("describe", task_id).stdout)
        self.assertEqual(described["taskArn"].rsplit("/", 1)[1], task_id)
        self.assertIn({"name": "berth.driver", "value": "process"}, described["attributes"])
        out = D.berth("stop", task_id, "--reason", "cli test").stdout
        self.assertIn("desired STOPPED", out)
        harness.wait_for(lambda: json.loads(D.berth("describe", task_id).stdout)["lastStatus"] == "STOPPED",
                         what="stopped")
        self.assertNotIn(task_id, D.berth("ps").stdout)
        self.assertIn(task_id, D.berth("ps", "--all").stdout)
        self.assertEqual(json.loads(D.berth("describe", task_id).stdout)["stoppedReason"], "cli test")

    def test_run_task_override_command_and_wait(self):
        tmp = self.temp_dir()
        p = D.berth("run-task", "cli", "--override-command", "web", "--wait", "--",
                    "sh", "-c", "echo overridden > %s/out" % tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(open(os.path.join(tmp, "out")).read().strip(), "overridden")
        self.assertIn("Essential container in task exited", p.stdout)
        failing = D.berth("run-task", "cli", "--override-command", "web", "--wait", "--",
                          "sh", "-c", "exit 4", check=False)
        self.assertEqual(failing.returncode, 1)
        self.assertIn("web:STOPPED(4)", failing.stdout)

    def test_errors_are_helpful(self):
        p = D.berth("run-task", "no-such-family", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("TaskDefinition not found.", p.stderr)
        empty = self.temp_dir()
        env = dict(os.environ)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.pop(k, None)
        env["BERTH_DATA_DIR"] = empty
        p = D.berth("ps", check=False, env=env)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not running", p.stderr)
        self.assertIn("berth serve", p.stderr)

    def test_honours_standard_aws_environment(self):
        env = dict(os.environ)
        env.update({"AWS_ENDPOINT_URL": D.url, "AWS_ACCESS_KEY_ID": D.creds["aws_access_key_id"],
                    "AWS_SECRET_ACCESS_KEY": D.creds["aws_secret_access_key"], "AWS_REGION": "us-east-1",
                    "BERTH_DATA_DIR": self.temp_dir()})
        p = D.berth("ps", env=env)
        self.assertIn("TASK", p.stdout)
        env["AWS_SECRET_ACCESS_KEY"] = "wrong"
        p = D.berth("ps", env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("InvalidSignatureException", p.stderr)


if __name__ == "__main__":
    unittest.main()
