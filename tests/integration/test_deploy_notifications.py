"""The seed's deploy notifications end to end against a real `berth serve`: an EventBridge rule
on "ECS Task State Change" for one cluster invokes the seed's Slack notifier
(../shared/seed/notifier/index.js, read from there and zipped at test time, unmodified) as a
Lambda function; a service deploy makes it post "service:web deploy started" and
"service:web deploy completed" to a local HTTPS webhook (a test CA handed to node through
NODE_EXTRA_CA_CERTS). Everything on 127.0.0.1; every process started here is stopped by PID."""
import json
import os
import shutil
import tempfile
import unittest

import harness
from test_lambda import NOTIFIER, Receiver, make_certs, make_zip

D = None
TMP = None


def setUpModule():
    global D, TMP
    TMP = tempfile.mkdtemp(prefix="berth-notify-")
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)


class DeployNotificationTest(unittest.TestCase):
    def test_service_deploy_posts_started_and_completed(self):
        ca, cert, key = make_certs(TMP)
        receiver = Receiver(cert, key)
        try:
            with open(NOTIFIER) as f:
                zip_path = make_zip(os.path.join(TMP, "notifier.zip"), {"index.js": f.read()})
            lam, ev, ecs = D.boto("lambda"), D.boto("events"), D.boto("ecs")
            with open(zip_path, "rb") as f:
                fn = lam.create_function(
                    FunctionName="deploy-notifier", Runtime="nodejs20.x",
                    Handler="index.handler", Role="arn:aws:iam::123456789012:role/notifier",
                    Code={"ZipFile": f.read()},
                    Environment={"Variables": {
                        "SLACK_HOOK_URL": "https://127.0.0.1:%d/services/T0/B0/X" % receiver.port,
                        "SLACK_CHANNEL": "#deploys", "SLACK_ICON": ":ship:",
                        "SLACK_APP_NAME": "berth", "NODE_EXTRA_CA_CERTS": ca}})["FunctionArn"]
            ecs.create_cluster(clusterName="prod")
            cluster = ecs.describe_clusters(clusters=["prod"])["clusters"][0]["clusterArn"]
            # The seed's rule: task state changes of the cluster → the notifier.
            D.aws("events", "put-rule", "--name", "deploy-notify", "--event-pattern", json.dumps({
                "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                "detail": {"clusterArn": [cluster]}}))
            D.aws("events", "put-targets", "--rule", "deploy-notify", "--targets",
                  "Id=notifier,Arn=" + fn)
            ecs.register_task_definition(family="web", containerDefinitions=[
                {"name": "php-fpm", "image": "php:fpm-alpine", "essential": True, "memory": 64,
                 "command": ["sleep", "600"]}])
            ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web",
                               desiredCount=1)

            def texts():
                return [json.loads(p["body"])["text"] for p in receiver.posts]
            got = harness.wait_for(
                lambda: texts() if "service:web deploy completed" in texts() else None,
                timeout=60, interval=0.3, what="deploy completed message")
            # Each event is its own asynchronous invocation (as on AWS): no order between them.
            got = harness.wait_for(
                lambda: texts() if "service:web deploy started" in texts() else None,
                timeout=30, interval=0.3, what="deploy started message")
            self.assertEqual(got.count("service:web deploy completed"), 1, got)
            body = json.loads(receiver.posts[0]["body"])
            self.assertEqual((body["channel"], body["username"]), ("#deploys", "berth"))
            ecs.delete_service(cluster="prod", service="web", force=True)
        finally:
            receiver.stop()


if __name__ == "__main__":
    unittest.main()
