"""The Docker driver (issue 7): tasks run as Docker containers from their images through a
private dockerd (tests/docker/dockerd.sh, a CTest fixture; the test image berth-test/busybox:1
is FROM scratch + Debian's static busybox, with CMD ["echo","from-the-image"]).

Covers: the image's CMD when the definition sets none, entryPoint/command/environment/user/
workingDirectory, ECS's and berth's labels, exit codes, the log pipeline (stdout and stderr,
no line lost), StopTask (SIGTERM, then SIGKILL after stopTimeout), OOM kills, a failed pull
(CannotPullContainerError), health checks run inside the container, the metadata endpoint and
its Docker stats from inside a container, removal of stopped containers, and an awsvpc task
whose containers share localhost through berth's pause container.
"""
import json
import os
import socket
import subprocess
import threading
import time
import unittest
import http.client
import urllib.request

import harness

DOCKER_DIR = os.environ.get("BERTH_DOCKER_DIR", "")
UNAVAILABLE = None
if not DOCKER_DIR or not os.path.isdir(DOCKER_DIR):
    UNAVAILABLE = "no test dockerd (run through ctest: the docker.start fixture starts it)"
elif os.path.exists(os.path.join(DOCKER_DIR, "unavailable")):
    UNAVAILABLE = open(os.path.join(DOCKER_DIR, "unavailable")).read().strip()
IMAGE = "berth-test/busybox:1"
D = None
# The engine behind DOCKER_DIR: docker (dockerd.sh) or podman (podman.sh, which runs some of
# these suites against Podman's Docker-compatible API).
ENGINE = "docker"
if DOCKER_DIR and os.path.exists(os.path.join(DOCKER_DIR, "engine")):
    ENGINE = open(os.path.join(DOCKER_DIR, "engine")).read().strip()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("docker")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def docker_api(method, path):
    conn = UnixHTTPConnection(os.path.join(DOCKER_DIR, "docker.sock"))
    conn.request(method, "/v1.41" + path)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, (json.loads(body) if body else None)


def http_listener(name, target_type):
    """A load balancer NAME with an HTTP listener on a free port forwarding to target group
    NAME-tg (health: GET / every 5 s, healthy after 2). Returns (target group ARN, port)."""
    _, out, _ = D.aws("elbv2", "create-load-balancer", "--name", name, "--subnets", "subnet-a")
    lb = out["LoadBalancers"][0]
    _, out, _ = D.aws("elbv2", "create-target-group", "--name", name + "-tg", "--protocol",
                      "HTTP", "--port", "80", "--target-type", target_type, "--vpc-id", "vpc-1",
                      "--health-check-interval-seconds", "5",
                      "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2",
                      "--health-check-path", "/")
    tg = out["TargetGroups"][0]["TargetGroupArn"]
    port = harness.free_port()
    D.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"],
          "--protocol", "HTTP", "--port", str(port), "--default-actions",
          "Type=forward,TargetGroupArn=" + tg)
    return tg, port


def setUpModule():
    global D
    if UNAVAILABLE:
        raise unittest.SkipTest("Docker cannot run here: " + UNAVAILABLE)
    env = dict(os.environ)
    env["DOCKER_HOST"] = open(os.path.join(DOCKER_DIR, "docker_host")).read().strip()
    D = harness.Daemon(extra_args=("--driver", "docker", "--docker-remove-delay", "2",
                                   "--task-subnet", TASK_SUBNET, "--task-bridge", TASK_BRIDGE),
                       env=env).start()


def tearDownModule():
    if D:
        D.cleanup()


# The module's daemon gets a task bridge and subnet of its engine's: under ctest -j the Docker
# suite runs beside the Podman run of RestartTest, which imports this module and so starts this
# daemon too, and a daemon's start removes the task veths on its bridge that are not its own
# (this took down a rolling deploy's tasks mid-test, in 3 of 7 CI runs).
TASK_BRIDGE, TASK_SUBNET = (("berthit6", "10.222.0.0/24") if ENGINE == "podman"
                            else ("berthit3", "10.218.0.0/24"))


class BridgeWatch:
    """Records, while it runs, each change of the task bridge's ports, of its neighbour entries
    and of the daemon's kernel forwarding rules (`ip`, `nft` every 0.25 s), for a failing
    assertion to show what the network did."""

    def __init__(self, start, daemon_pid):
        self.start = start  # time.monotonic() of what the times count from
        self.table = "berth_lb_%d_1" % daemon_pid  # (KernelForwarding's table of that daemon)
        self.changes = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _state(self):
        def ip(*args):
            r = subprocess.run(["ip", "-br"] + list(args), capture_output=True, text=True)
            return " | ".join(line.strip() for line in r.stdout.splitlines() if line.strip())
        nft = subprocess.run(["nft", "list", "table", "ip", self.table], capture_output=True,
                             text=True).stdout
        dnat = " | ".join(line.strip() for line in nft.splitlines() if "dnat" in line)
        return "ports: %s; neighbours: %s; kernel forwarding: %s" % (
            ip("link", "show", "master", TASK_BRIDGE), ip("neigh", "show", "dev", TASK_BRIDGE),
            dnat)

    def _run(self):
        last = None
        while not self._stop.is_set():
            state = self._state()
            if state != last:
                self.changes.append("%.1f s: %s" % (time.monotonic() - self.start, state))
                last = state
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


class DockerDriverTest(unittest.TestCase):
    def setUp(self):
        self.ecs = D.boto()
        self.logs = D.boto("logs")

    def run_task(self, family, containers, wait="tasks_stopped", **kwargs):
        self.ecs.register_task_definition(family=family, networkMode="host",
                                          containerDefinitions=containers, **kwargs)
        r = self.ecs.run_task(taskDefinition=family)
        self.assertEqual(r["failures"], [])
        arn = r["tasks"][0]["taskArn"]
        harness.fast_waiter(self.ecs, wait, delay=0.2, attempts=300).wait(tasks=[arn])
        return self.ecs.describe_tasks(tasks=[arn])["tasks"][0]

    def log_lines(self, group, stream, count, timeout=15):
        lines = []

        def enough():
            nonlocal lines
            try:
                ev = self.logs.get_log_events(logGroupName=group, logStreamName=stream,
                                              startFromHead=True)["events"]
            except self.logs.exceptions.ResourceNotFoundException:
                return False
            lines = [e["message"] for e in ev]
            return len(lines) >= count
        harness.wait_for(enough, timeout=timeout, what="%d log events in %s" % (count, stream))
        return lines

    def awslogs(self, group):
        return {"logDriver": "awslogs", "options": {
            "awslogs-group": group, "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}

    def test_the_images_command_runs_when_the_definition_sets_none(self):
        task = self.run_task("image-cmd", [{"name": "app", "image": IMAGE, "memory": 32,
                                            "logConfiguration": self.awslogs("/t/image-cmd")}])
        (c,) = task["containers"]
        self.assertEqual(c["exitCode"], 0)
        self.assertEqual(task["stopCode"], "EssentialContainerExited")
        self.assertEqual(len(c["runtimeId"]), 64)
        self.assertIn({"name": "berth.driver", "value": "docker"}, task["attributes"])
        tid = task["taskArn"].rsplit("/", 1)[1]
        self.assertEqual(self.log_lines("/t/image-cmd", "ecs/app/" + tid, 1), ["from-the-image"])
        self.assertIn("pullStartedAt", task)
        self.assertGreaterEqual(task["pullStoppedAt"], task["pullStartedAt"])

    def test_fields_labels_exit_code_and_every_line_of_both_streams(self):
        script = ("echo user=$(id -u):$(id -g) cwd=$(pwd) greeting=$GREETING; "
                  "for i in $(seq 1 500); do echo out-$i; echo err-$i >&2; done; exit 7")
        task = self.run_task("fields", [{
            "name": "app", "image": IMAGE, "memory": 32,
            "entryPoint": ["sh", "-c"], "command": [script],
            "environment": [{"name": "GREETING", "value": "hello docker"}],
            "user": "1000:1000", "workingDirectory": "/tmp",
            "dockerLabels": {"team": "web"},
            "logConfiguration": self.awslogs("/t/fields")}])
        (c,) = task["containers"]
        self.assertEqual(c["exitCode"], 7)
        tid = task["taskArn"].rsplit("/", 1)[1]
        lines = self.log_lines("/t/fields", "ecs/app/" + tid, 1001)
        # (stdout and stderr are two pipes: their relative order is not kept, as in Docker)
        self.assertIn("user=1000:1000 cwd=/tmp greeting=hello docker", lines)
        self.assertEqual(sorted(l for l in lines if l.startswith("out-")),
                         sorted("out-%d" % i for i in range(1, 501)))
        self.assertEqual(sorted(l for l in lines if l.startswith("err-")),
                         sorted("err-%d" % i for i in range(1, 501)))
        status, info = docker_api("GET", "/containers/%s/json" % c["runtimeId"])
        self.assertEqual(status, 200)
        labels = info["Config"]["Labels"]
        self.assertEqual(labels["team"], "web")
        self.assertEqual(labels["com.amazonaws.ecs.task-arn"], task["taskArn"])
        self.assertEqual(labels["com.amazonaws.ecs.container-name"], "app")
        self.assertEqual(labels["berth.task-id"], tid)
        self.assertEqual(info["HostConfig"]["Memory"], 32 << 20)
        # Removed --docker-remove-delay (2 s) after it stopped.
        harness.wait_for(lambda: docker_api("GET", "/containers/%s/json" % c["runtimeId"])[0] == 404,
                         timeout=15, what="the stopped container's removal")

    def test_stop_task_sends_sigterm_then_sigkill_after_the_stop_timeout(self):
        # As in Docker, PID 1 gets only the signals it handles: `sleep` as PID 1 ignores SIGTERM,
        # under initProcessEnabled's init it dies of it; a shell with a trap exits on its own.
        self.ecs.register_task_definition(family="stopper", networkMode="host", containerDefinitions=[
            {"name": "polite", "image": IMAGE, "memory": 16, "command": ["sleep", "60"],
             "linuxParameters": {"initProcessEnabled": True}},
            {"name": "trapping", "image": IMAGE, "memory": 16, "entryPoint": ["sh", "-c"],
             "command": ["trap 'exit 3' TERM; echo trapped; while true; do sleep 0.2; done"],
             "logConfiguration": self.awslogs("/t/stopper")},
            {"name": "stubborn", "image": IMAGE, "memory": 16, "stopTimeout": 2,
             "entryPoint": ["sh", "-c"],
             "command": ["trap '' TERM; echo trapped; while true; do sleep 1; done"],
             "logConfiguration": self.awslogs("/t/stopper")}])
        arn = self.ecs.run_task(taskDefinition="stopper")["tasks"][0]["taskArn"]
        harness.fast_waiter(self.ecs, "tasks_running", delay=0.2, attempts=150).wait(tasks=[arn])
        # RUNNING comes before the shells have set their traps: a SIGTERM before that would
        # reach a shell with none (Docker drops it for PID 1; the 30 s default stop then ends it).
        tid = arn.rsplit("/", 1)[1]
        for name in ("trapping", "stubborn"):
            self.log_lines("/t/stopper", "ecs/%s/%s" % (name, tid), 1)
        t0 = time.time()
        self.ecs.stop_task(task=arn, reason="test")
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.2, attempts=150).wait(tasks=[arn])
        took = time.time() - t0
        task = self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
        codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
        self.assertEqual(codes["polite"], 143)     # SIGTERM, forwarded by the init
        self.assertEqual(codes["trapping"], 3)     # its own TERM handler
        self.assertEqual(codes["stubborn"], 137)   # SIGKILL after its 2 s stopTimeout
        self.assertEqual(task["stopCode"], "UserInitiated")
        self.assertGreaterEqual(took, 1.5)

    def test_an_oom_kill_is_reported(self):
        task = self.run_task("oom", [{
            "name": "hog", "image": IMAGE, "memory": 8, "entryPoint": ["sh", "-c"],
            "command": ["x=0123456789; while true; do x=$x$x; done"]}])
        (c,) = task["containers"]
        self.assertEqual(c["exitCode"], 137)
        if ENGINE == "podman" and "reason" not in c:
            self.skipTest("this Podman does not report OOMKilled (berth maps State.OOMKilled)")
        self.assertEqual(c["reason"], "OutOfMemoryError: Container killed due to memory usage")

    def test_a_failed_pull_stops_the_task(self):
        task = self.run_task("nopull", [{"name": "app", "image": "127.0.0.1:1/nope/nothing:1",
                                         "memory": 16}])
        self.assertEqual(task["stopCode"], "TaskFailedToStart")
        self.assertTrue(task["stoppedReason"].startswith("CannotPullContainerError:"),
                        task["stoppedReason"])
        self.assertTrue(task["containers"][0]["reason"].startswith("CannotPullContainerError:"))

    def test_health_checks_run_inside_the_container(self):
        task = self.run_task("healthy", [{
            "name": "app", "image": IMAGE, "memory": 16, "entryPoint": ["sh", "-c"],
            "command": ["sleep 1; touch /tmp/ready; sleep 60"],
            "healthCheck": {"command": ["CMD-SHELL", "test -f /tmp/ready"], "interval": 5,
                            "timeout": 2, "retries": 3, "startPeriod": 0}}], wait="tasks_running")
        arn = task["taskArn"]
        harness.wait_for(lambda: self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
                         ["containers"][0].get("healthStatus") == "HEALTHY", timeout=20,
                         what="HEALTHY from a check that only passes inside the container")
        self.ecs.stop_task(task=arn)

    def test_the_metadata_endpoint_answers_inside_a_container(self):
        script = ('wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task"; echo; '
                  'wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/stats"; echo')
        task = self.run_task("meta", [{"name": "app", "image": IMAGE, "memory": 32,
                                       "entryPoint": ["sh", "-c"], "command": [script],
                                       "logConfiguration": self.awslogs("/t/meta")}])
        tid = task["taskArn"].rsplit("/", 1)[1]
        lines = self.log_lines("/t/meta", "ecs/app/" + tid, 2)
        meta, stats = json.loads(lines[0]), json.loads(lines[1])
        self.assertEqual(meta["TaskARN"], task["taskArn"])
        self.assertEqual(meta["Containers"][0]["DockerId"], task["containers"][0]["runtimeId"])
        self.assertEqual(stats["memory_stats"]["limit"], 32 << 20)
        self.assertGreater(stats["memory_stats"]["usage"], 0)

    @unittest.skipUnless(os.geteuid() == 0, "task networks need root")
    def test_an_awsvpc_task_shares_localhost_through_its_pause_container(self):
        # (httpd as PID 1 ignores SIGTERM: a short stopTimeout, or the stop takes the 30 s
        # default, all of the tasks_stopped waiter's budget below)
        web = {"name": "web", "image": IMAGE, "memory": 16, "stopTimeout": 2,
               "entryPoint": ["sh", "-c"],
               "command": ["mkdir -p /www && echo served-by-web > /www/index.html && "
                           "httpd -f -p 8080 -h /www"]}
        sidecar = {"name": "sidecar", "image": IMAGE, "memory": 16, "essential": False,
                   "entryPoint": ["sh", "-c"],
                   "command": ["for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/ && "
                               "wget -qO- \"$ECS_CONTAINER_METADATA_URI_V4\" >/dev/null && "
                               "echo metadata-ok && exit 0; sleep 0.2; done; exit 1"],
                   "dependsOn": [{"containerName": "web", "condition": "START"}],
                   "logConfiguration": self.awslogs("/t/awsvpc")}
        self.ecs.register_task_definition(family="vpc", networkMode="awsvpc",
                                          containerDefinitions=[web, sidecar])
        arn = self.ecs.run_task(taskDefinition="vpc")["tasks"][0]["taskArn"]
        harness.fast_waiter(self.ecs, "tasks_running", delay=0.2, attempts=150).wait(tasks=[arn])
        tid = arn.rsplit("/", 1)[1]
        # The sidecar reached web on 127.0.0.1 and berth's metadata endpoint on its localhost.
        self.assertEqual(self.log_lines("/t/awsvpc", "ecs/sidecar/" + tid, 2),
                         ["served-by-web", "metadata-ok"])
        task = self.ecs.describe_tasks(tasks=[arn])["tasks"][0]
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        ip = details["privateIPv4Address"]
        # The host reaches the task at its own address.
        with urllib.request.urlopen("http://%s:8080/" % ip, timeout=5) as r:
            self.assertEqual(r.read(), b"served-by-web\n")
        web_c = next(c for c in task["containers"] if c["name"] == "web")
        status, info = docker_api("GET", "/containers/%s/json" % web_c["runtimeId"])
        pause_id = info["HostConfig"]["NetworkMode"].split(":", 1)[1]
        status, pause = docker_api("GET", "/containers/%s/json" % pause_id)
        self.assertTrue(pause["Config"]["Image"].endswith("berth/pause:1"))  # podman: docker.io/…
        self.ecs.stop_task(task=arn)
        harness.fast_waiter(self.ecs, "tasks_stopped", delay=0.2, attempts=150).wait(tasks=[arn])
        harness.wait_for(lambda: docker_api("GET", "/containers/%s/json" % pause_id)[0] == 404,
                         timeout=15, what="the pause container's removal")


    @unittest.skipUnless(os.geteuid() == 0, "task networks need root")
    def test_rolling_deploy_of_a_docker_service_behind_a_listener_loses_nothing(self):
        from test_service_lb import Load
        ecs = self.ecs
        tg, port = http_listener("dweb", "ip")
        D.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg, "--attributes",
              "Key=deregistration_delay.timeout_seconds,Value=3")

        def register(version):
            web = {"name": "web", "image": IMAGE, "memory": 16, "stopTimeout": 5,
                   "entryPoint": ["sh", "-c"],
                   "command": ["mkdir -p /www && echo $VERSION > /www/index.html && "
                               "exec httpd -f -p 80 -h /www"],
                   "linuxParameters": {"initProcessEnabled": True},
                   "environment": [{"name": "VERSION", "value": version}],
                   "portMappings": [{"containerPort": 80}]}
            ecs.register_task_definition(family="dweb", networkMode="awsvpc",
                                         containerDefinitions=[web])
        register("v1")
        ecs.create_service(serviceName="dweb", taskDefinition="dweb", desiredCount=2,
                           loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                           "containerPort": 80}])

        def completed(dep_id=None):
            s = ecs.describe_services(services=["dweb"])["services"][0]
            d = s["deployments"][0]
            ok = (len(s["deployments"]) == 1 and d["rolloutState"] == "COMPLETED" and
                  (dep_id is None or d["id"] == dep_id))
            return s if ok else None
        harness.wait_for(completed, timeout=90, interval=0.5, what="first deployment")
        url = "http://127.0.0.1:%d/" % port
        with urllib.request.urlopen(url, timeout=5) as r:
            self.assertEqual(r.read(), b"v1\n")
        with Load(url) as load, BridgeWatch(load.start, D.proc.pid) as bridge:
            time.sleep(1)
            register("v2")
            dep = ecs.update_service(service="dweb", taskDefinition="dweb")["service"]["deployments"][0]["id"]
            harness.wait_for(lambda: completed(dep), timeout=120, interval=0.5, what="rolling deploy")
            time.sleep(1)
        events = [e["message"] for e in
                  ecs.describe_services(services=["dweb"])["services"][0]["events"][:12]]
        self.assertEqual(load.failed, [], "requests failed during the deploy (v2 registered 1 s "
                         "after the load began): %s; service events, newest first: %s; the task "
                         "bridge's ports and neighbours as they changed: %s"
                         % (load.summary(), events, bridge.changes))
        self.assertGreater(load.ok, 20)
        with urllib.request.urlopen(url, timeout=5) as r:
            self.assertEqual(r.read(), b"v2\n")
        ecs.delete_service(service="dweb", force=True)
        harness.fast_waiter(ecs, "services_inactive", delay=1, attempts=60).wait(services=["dweb"])


class BridgeTest(unittest.TestCase):
    @unittest.skipUnless(DOCKER_DIR and os.path.exists(os.path.join(DOCKER_DIR, "bridge")),
                         "the test dockerd has no bridge network")
    def test_a_bridge_service_publishes_dynamic_host_ports_behind_a_listener(self):
        ecs, logs = D.boto(), D.boto("logs")
        tg, port = http_listener("bweb", "instance")
        web = {"name": "web", "image": IMAGE, "memory": 16, "entryPoint": ["sh", "-c"],
               # (`;`, not `&&`, before the `&`: only the probe loop goes to the background)
               "command": ["mkdir -p /www; echo bridged > /www/index.html; "
                           "(for i in $(seq 50); do wget -qO- \"$ECS_CONTAINER_METADATA_URI_V4\" "
                           ">/dev/null && echo metadata-ok && break; sleep 0.2; done) & "
                           "exec httpd -f -p 80 -h /www"],
               "portMappings": [{"containerPort": 80, "hostPort": 0}],
               "logConfiguration": {"logDriver": "awslogs", "options": {
                   "awslogs-group": "/t/bridge", "awslogs-region": "us-east-1",
                   "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}}
        ecs.register_task_definition(family="bweb", networkMode="bridge", containerDefinitions=[web])
        ecs.create_service(serviceName="bweb", taskDefinition="bweb", desiredCount=2,
                           loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                           "containerPort": 80}])
        self.addCleanup(ecs.delete_service, service="bweb", force=True)

        def completed():
            s = ecs.describe_services(services=["bweb"])["services"][0]
            d = s["deployments"][0]
            return len(s["deployments"]) == 1 and d["rolloutState"] == "COMPLETED"
        try:
            harness.wait_for(completed, timeout=90, interval=0.5, what="the deployment")
        except AssertionError:
            s = ecs.describe_services(services=["bweb"])["services"][0]
            arns = ecs.list_tasks(serviceName="bweb")["taskArns"]
            arns += ecs.list_tasks(serviceName="bweb", desiredStatus="STOPPED")["taskArns"][:5]
            tasks = ecs.describe_tasks(tasks=arns)["tasks"] if arns else []
            _, health, _ = D.aws("elbv2", "describe-target-health", "--target-group-arn", tg)
            for t in tasks:
                if t["lastStatus"] == "STOPPED":
                    health["output of " + t["taskArn"]] = [e["message"] for e in logs.get_log_events(
                        logGroupName="/t/bridge",
                        logStreamName="ecs/web/" + t["taskArn"].rsplit("/", 1)[1])["events"]]
                    break
            raise AssertionError("deployment not COMPLETED:\nevents %s\ntasks %s\ntargets %s" % (
                [e["message"] for e in s["events"][:10]],
                [(t["lastStatus"], t.get("stoppedReason"),
                  [(c.get("networkBindings"), c.get("reason"), c.get("exitCode"))
                   for c in t["containers"]]) for t in tasks], health))
        arns = ecs.list_tasks(serviceName="bweb")["taskArns"]
        tasks = ecs.describe_tasks(tasks=arns)["tasks"]
        self.assertEqual(len(tasks), 2)
        host_ports = []
        for t in tasks:
            (b,) = t["containers"][0]["networkBindings"]
            self.assertEqual((b["bindIP"], b["containerPort"], b["protocol"]), ("127.0.0.1", 80, "tcp"))
            self.assertGreater(b["hostPort"], 1024)  # picked by the engine
            host_ports.append(b["hostPort"])
            with urllib.request.urlopen("http://127.0.0.1:%d/" % b["hostPort"], timeout=5) as r:
                self.assertEqual(r.read(), b"bridged\n")
            status, info = docker_api("GET", "/containers/%s/json" % t["containers"][0]["runtimeId"])
            self.assertEqual(info["HostConfig"]["NetworkMode"], "bridge")
            # (the endpoint listens in the container's namespace just after it started)
            self.assertIn("metadata-ok", [e["message"] for e in logs.get_log_events(
                logGroupName="/t/bridge", logStreamName="ecs/web/" + t["taskArn"].rsplit("/", 1)[1]
            )["events"]])
        self.assertEqual(len(set(host_ports)), 2)
        _, out, _ = D.aws("elbv2", "describe-target-health", "--target-group-arn", tg)
        registered = sorted(d["Target"]["Port"] for d in out["TargetHealthDescriptions"])
        self.assertEqual(registered, sorted(host_ports))
        for _ in range(4):
            with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
                self.assertEqual(r.read(), b"bridged\n")


class RegistryCredentialsTest(unittest.TestCase):
    """repositoryCredentials: the secret's username and password reach the registry."""

    @unittest.skipIf(ENGINE == "podman", "Podman pulls over TLS unless registries.conf lists the "
                     "registry as insecure; this fake registry speaks plain HTTP")
    def test_the_pull_authenticates_with_the_secret(self):
        import base64
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        seen = []

        class Registry(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.headers.get("Authorization"))
                if self.path == "/v2/" and not self.headers.get("Authorization"):
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="berth-test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
                self.send_response(200 if self.path == "/v2/" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            do_HEAD = do_GET

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        port = server.server_address[1]
        _, out, _ = D.aws("secretsmanager", "create-secret", "--name", "registry/creds",
                          "--secret-string", json.dumps({"username": "ci", "password": "s3cret"}))
        ecs = D.boto()
        ecs.register_task_definition(family="private", networkMode="host", containerDefinitions=[{
            "name": "app", "image": "127.0.0.1:%d/team/app:1" % port, "memory": 16,
            "repositoryCredentials": {"credentialsParameter": out["ARN"]}}])
        arn = ecs.run_task(taskDefinition="private")["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.2, attempts=150).wait(tasks=[arn])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertTrue(task["stoppedReason"].startswith("CannotPullContainerError:"), task)
        expected = "Basic " + base64.b64encode(b"ci:s3cret").decode()
        self.assertIn(expected, seen)

    def test_a_missing_credentials_secret_stops_the_task(self):
        ecs = D.boto()
        ecs.register_task_definition(family="private2", networkMode="host", containerDefinitions=[{
            "name": "app", "image": IMAGE, "memory": 16,
            "repositoryCredentials": {"credentialsParameter":
                                      "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"}}])
        arn = ecs.run_task(taskDefinition="private2")["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.2, attempts=150).wait(tasks=[arn])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(task["stopCode"], "TaskFailedToStart")
        self.assertTrue(task["stoppedReason"].startswith(
            "ResourceInitializationError: unable to pull secrets or registry auth"), task)


class VolumesFromTest(unittest.TestCase):
    def test_a_container_mounts_the_volumes_of_another_and_task_volumes_go_with_the_task(self):
        ecs = D.boto()
        logs = D.boto("logs")
        ecs.register_task_definition(
            family="vfrom", networkMode="host",
            volumes=[{"name": "shared", "dockerVolumeConfiguration": {"scope": "task"}}],
            containerDefinitions=[
                {"name": "data", "image": IMAGE, "memory": 16, "essential": False,
                 "entryPoint": ["sh", "-c"], "command": ["echo from-data > /shared/file"],
                 "mountPoints": [{"sourceVolume": "shared", "containerPath": "/shared"}]},
                {"name": "app", "image": IMAGE, "memory": 16, "entryPoint": ["sh", "-c"],
                 "command": ["cat /shared/file; sleep 2"],
                 "volumesFrom": [{"sourceContainer": "data", "readOnly": True}],
                 "dependsOn": [{"containerName": "data", "condition": "SUCCESS"}],
                 "logConfiguration": {"logDriver": "awslogs", "options": {
                     "awslogs-group": "/t/vfrom", "awslogs-region": "us-east-1",
                     "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}}])
        arn = ecs.run_task(taskDefinition="vfrom")["tasks"][0]["taskArn"]
        tid = arn.rsplit("/", 1)[1]
        volume = "/volumes/ecs-%s-shared" % tid  # the agent's name for a task-scoped volume
        harness.fast_waiter(ecs, "tasks_running", delay=0.1, attempts=150).wait(tasks=[arn])
        self.assertEqual(docker_api("GET", volume)[0], 200)
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.2, attempts=150).wait(tasks=[arn])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
        self.assertEqual(codes, {"data": 0, "app": 0}, task)
        # Removed with the task's containers (--docker-remove-delay 2 here).
        harness.wait_for(lambda: docker_api("GET", volume)[0] == 404, timeout=20,
                         what="the task-scoped volume removed")
        harness.wait_for(lambda: [e["message"] for e in logs.get_log_events(
            logGroupName="/t/vfrom", logStreamName="ecs/app/" + tid)["events"]] == ["from-data"],
            timeout=15, what="app read data's volume")


class SdkInsideContainerTest(unittest.TestCase):
    PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "task_probe.py")

    def test_boto3_inside_a_container_calls_berth_with_the_task_role(self):
        # The test image has no Python: the container chroots into the host's root (mounted
        # read-only) to run the machine's boto3 — still inside the container's namespaces,
        # with the environment berth gave the container.
        import tempfile
        import shutil
        tmp = tempfile.mkdtemp(prefix="berth-sdk-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o777)
        D.aws("s3", "mb", "s3://docker-task-bucket")
        ecs = D.boto()
        env = {"OUT": os.path.join(tmp, "probe.json"), "HOME": tmp, "BUCKET": "docker-task-bucket",
               "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "none"),
               "AWS_CONFIG_FILE": os.path.join(tmp, "none")}
        ecs.register_task_definition(
            family="sdk", networkMode="host", taskRoleArn="arn:aws:iam::123456789012:role/app",
            volumes=[{"name": "root", "host": {"sourcePath": "/"}},
                     {"name": "out", "host": {"sourcePath": tmp}}],
            containerDefinitions=[{
                "name": "app", "image": IMAGE, "memory": 128,
                "entryPoint": ["/bin/busybox", "chroot", "/host", "/usr/bin/python3", self.PROBE],
                "environment": [{"name": k, "value": v} for k, v in env.items()],
                "mountPoints": [{"sourceVolume": "root", "containerPath": "/host",
                                 "readOnly": True},
                                {"sourceVolume": "out", "containerPath": "/host" + tmp}]}])
        arn = ecs.run_task(taskDefinition="sdk")["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.3, attempts=200).wait(tasks=[arn])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(task["containers"][0].get("exitCode"), 0, task)
        with open(env["OUT"]) as f:
            p = json.load(f)
        self.assertEqual(p["container"][1]["DockerId"], task["containers"][0]["runtimeId"])
        self.assertEqual(p["provider"], "container-role")
        self.assertTrue(p["creds"]["key"].startswith("ASIA"))
        self.assertIn(task["clusterArn"], p["clusters"])
        self.assertEqual(p["forged_fetch"][0], 400)
        self.assertEqual(p["forged_token"], "UnrecognizedClientException")
        body = D.boto("s3").get_object(Bucket="docker-task-bucket", Key="from-task")["Body"].read()
        self.assertEqual(body, b"written by the task role")


class RestartTest(unittest.TestCase):
    def daemon(self):
        env = dict(os.environ)
        env["DOCKER_HOST"] = open(os.path.join(DOCKER_DIR, "docker_host")).read().strip()
        # The Docker and Podman runs of these cases run at the same time under ctest -j: each
        # gets its own bridge and subnet, or one daemon's start would sweep the other's veths
        # and hand out the same addresses.
        subnet, bridge = (("10.221.0.0/24", "berthit5") if ENGINE == "podman"
                          else ("10.219.0.0/24", "berthit4"))
        d = harness.Daemon(extra_args=("--driver", "docker", "--task-subnet", subnet,
                                       "--task-bridge", bridge), env=env).start()
        self.addCleanup(d.cleanup)
        return d

    def test_kill_9_while_containers_log_tasks_keep_running_and_no_line_is_lost_or_repeated(self):
        d = self.daemon()
        ecs, logs = d.boto(), d.boto("logs")
        creds = ('wget -qO- --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" '
                 '"$AWS_CONTAINER_CREDENTIALS_FULL_URI"')
        script = ('echo "creds-before $(%s)"; i=0; while [ $i -lt 1500 ]; do echo "line $i"; '
                  'i=$((i+1)); [ $((i %% 100)) = 0 ] && echo "err $i" >&2; usleep 4000; done; '
                  'echo "meta-after $(wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task")"; '
                  'echo "creds-after $(%s)"') % (creds, creds)
        ecs.register_task_definition(
            family="survivor", networkMode="host",
            taskRoleArn="arn:aws:iam::123456789012:role/app",
            containerDefinitions=[{
                "name": "app", "image": IMAGE, "memory": 32, "entryPoint": ["sh", "-c"],
                "command": [script], "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/t/survivor", "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}}])
        arn = ecs.run_task(taskDefinition="survivor")["tasks"][0]["taskArn"]
        stream = "ecs/app/" + arn.rsplit("/", 1)[1]

        def events():
            out, token = [], None
            while True:
                kwargs = {"nextToken": token} if token else {}
                try:
                    r = logs.get_log_events(logGroupName="/t/survivor", logStreamName=stream,
                                            startFromHead=True, **kwargs)
                except logs.exceptions.ResourceNotFoundException:
                    return []
                out += [e["message"] for e in r["events"]]
                if r["nextForwardToken"] == token:
                    return out
                token = r["nextForwardToken"]
        harness.wait_for(lambda: len(events()) > 200, timeout=30, what="the task logging")
        cid = ecs.describe_tasks(tasks=[arn])["tasks"][0]["containers"][0]["runtimeId"]
        time.sleep(0.5)  # lines stored since the last read (which flushed the store's buffer)
        d.stop(sig=9)
        time.sleep(1)  # the container goes on writing while no daemon reads
        self.assertTrue(docker_api("GET", "/containers/%s/json" % cid)[1]["State"]["Running"])
        d.start()
        ecs = d.boto()
        logs = d.boto("logs")  # events() reads through the new daemon
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(task["lastStatus"], "RUNNING")
        self.assertEqual(task["containers"][0]["runtimeId"], cid)
        # The role's keys handed out before the restart still sign requests.
        before = json.loads([m for m in events() if m.startswith("creds-before ")][0][13:])
        s3 = boto3_client(d, "s3", before)
        s3.list_buckets()
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.3, attempts=200).wait(tasks=[arn])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(task["containers"][0]["exitCode"], 0)
        got = events()
        lines = [m for m in got if m.startswith("line ")]
        self.assertEqual(lines, ["line %d" % i for i in range(1500)])
        self.assertEqual([m for m in got if m.startswith("err ")],
                         ["err %d" % i for i in range(100, 1501, 100)])
        meta = json.loads([m for m in got if m.startswith("meta-after ")][0][11:])
        self.assertEqual(meta["TaskARN"], arn)
        after = json.loads([m for m in got if m.startswith("creds-after ")][0][12:])
        self.assertEqual(after["AccessKeyId"], before["AccessKeyId"])
        self.assertNotIn("Docker containers left by an earlier daemon", d.logs())

    def test_a_container_removed_while_no_daemon_ran_stops_its_task(self):
        d = self.daemon()
        ecs = d.boto()
        ecs.register_task_definition(family="vanish", networkMode="host", containerDefinitions=[
            {"name": "app", "image": IMAGE, "memory": 16, "command": ["sleep", "600"]}])
        arn = ecs.run_task(taskDefinition="vanish")["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_running", delay=0.2, attempts=150).wait(tasks=[arn])
        cid = ecs.describe_tasks(tasks=[arn])["tasks"][0]["containers"][0]["runtimeId"]
        d.stop(sig=9)
        self.assertEqual(docker_api("DELETE", "/containers/%s?force=1" % cid)[0], 204)
        d.start()
        ecs = d.boto()
        harness.fast_waiter(ecs, "tasks_stopped", delay=0.2, attempts=100).wait(tasks=[arn])
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(task["stopCode"], "EssentialContainerExited")
        self.assertIn("CannotInspectContainerError", task["containers"][0]["reason"])

    @unittest.skipUnless(os.geteuid() == 0, "task networks need root")
    def test_a_restarted_daemon_removes_the_containers_of_tasks_it_cannot_adopt(self):
        d = self.daemon()
        ecs = d.boto()
        ecs.register_task_definition(family="netns", networkMode="awsvpc", containerDefinitions=[
            {"name": "app", "image": IMAGE, "memory": 16, "command": ["sleep", "600"]}])
        arn = ecs.run_task(taskDefinition="netns", networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-1"]}})["tasks"][0]["taskArn"]
        harness.fast_waiter(ecs, "tasks_running", delay=0.2, attempts=150).wait(tasks=[arn])
        cid = ecs.describe_tasks(tasks=[arn])["tasks"][0]["containers"][0]["runtimeId"]
        pause = docker_api("GET", "/containers/%s/json" % cid)[1]["HostConfig"]["NetworkMode"]
        pause = pause.split(":", 1)[1]
        d.stop(sig=9)
        d.start()
        # An awsvpc task's namespace was wired by the previous daemon: it is not adopted.
        task = d.boto().describe_tasks(tasks=[arn])["tasks"][0]
        self.assertEqual(task["lastStatus"], "STOPPED")
        for what, c in (("the container", cid), ("its pause container", pause)):
            harness.wait_for(lambda: docker_api("GET", "/containers/%s/json" % c)[0] == 404,
                             timeout=15, what=what + " removed")
        self.assertIn("Docker containers left by an earlier daemon", d.logs())


def boto3_client(d, service, creds):
    import boto3
    return boto3.client(service, endpoint_url=d.url, region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["Token"])


if __name__ == "__main__":
    unittest.main()
