"""The ECS JSON 1.1 API's bad-input paths and the shapes around them (spec §1-§3): wire errors,
RegisterTaskDefinition validation and normalisation, task-definition lifecycle and listing,
RunTask/StopTask/DescribeTasks/ListTasks errors, clusters, pagination, clientToken and tags.
Through boto3 where it lets the request through, raw signed JSON where it validates client-side.

Run: cd tests/integration && BERTH_BIN=../../build/berth /usr/bin/python3 -m unittest -v test_api_errors
"""
import datetime
import socket
import unittest
import uuid
import warnings

from botocore.exceptions import ClientError

import harness

D = None    # the module's shared daemon
ECS = None  # a boto3 ECS client for it

ACCOUNT = "123456789012"
REGION = harness.REGION
ARN = "arn:aws:ecs:%s:%s:" % (REGION, ACCOUNT)


def setUpModule():
    global D, ECS
    # unittest's runner resets the warning filters; boto3's pooled sockets are not our leak.
    warnings.simplefilter("ignore", ResourceWarning)
    D = harness.Daemon().start()
    ECS = D.boto()


def tearDownModule():
    if D:
        D.cleanup()


def sleeper(name="web", **extra):
    c = {"name": name, "image": "busybox", "command": ["sleep", "60"], "memory": 32}
    c.update(extra)
    return c


def register(family, containers=None, **kw):
    return ECS.register_task_definition(
        family=family, containerDefinitions=containers or [sleeper()], **kw)["taskDefinition"]


class ApiTestCase(unittest.TestCase):
    def assertClientError(self, code, message=None, status=400):
        """Context manager: the block raises ClientError with this code (and exact message)."""
        test = self

        class _Ctx:
            def __enter__(self):
                return self

            def __exit__(self, exc_type, exc, tb):
                if exc_type is None:
                    test.fail("no ClientError raised (expected %s)" % code)
                if not issubclass(exc_type, ClientError):
                    return False
                err = exc.response["Error"]
                test.assertEqual(err["Code"], code, exc.response)
                if message is not None:
                    test.assertEqual(err["Message"], message, exc.response)
                test.assertEqual(exc.response["ResponseMetadata"]["HTTPStatusCode"], status,
                                 exc.response)
                self.response = exc.response
                return True

        return _Ctx()

    def assertRawError(self, result, status, type_, message=None):
        code, headers, body = result
        self.assertEqual(code, status, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body.get("__type"), type_, body)
        self.assertIsInstance(body.get("message"), str, body)
        if message is not None:
            self.assertEqual(body["message"], message, body)
        return body


class TaskTestCase(ApiTestCase):
    """Tracks the tasks a test starts and stops them afterwards, so the module ends quickly."""

    def setUp(self):
        self.started = []

    def tearDown(self):
        stop_all(self.started)

    def run_task(self, **kw):
        resp = ECS.run_task(**kw)
        self.started.extend((kw.get("cluster"), t["taskArn"]) for t in resp["tasks"])
        return resp


def stop_all(started):
    for cluster, arn in started:
        try:
            ECS.stop_task(cluster=cluster or "default", task=arn)
        except ClientError:
            pass


# ---------------------------------------------------------------------------------------------
class WireProtocolTest(ApiTestCase):
    def test_unknown_operation(self):
        code, headers, body = D.ecs_raw("DescribeUnicorns", {})
        self.assertRawError((code, headers, body), 400, "UnknownOperationException")
        self.assertEqual(headers.get("content-type"), "application/x-amz-json-1.1")
        self.assertTrue(headers.get("x-amzn-requestid"))

    def test_malformed_json(self):
        self.assertRawError(D.ecs_raw("ListClusters", b'{"maxResults": 1,'), 400,
                            "SerializationException")

    def test_json_that_is_not_an_object(self):
        for body in (b"[]", b'"text"', b"42"):
            with self.subTest(body=body):
                self.assertRawError(D.ecs_raw("ListClusters", body), 400,
                                    "SerializationException")

    def test_empty_body_means_no_input(self):
        code, _, body = D.ecs_raw("ListClusters", b"")
        self.assertEqual(code, 200, body)
        self.assertIn(ARN + "cluster/default", body["clusterArns"])

    def test_wrong_member_types(self):
        cases = [("RunTask", {"taskDefinition": "x", "count": "x"}),
                 ("DescribeClusters", {"clusters": "default"}),
                 ("DescribeClusters", {"clusters": [1, 2]}),
                 ("ListTaskDefinitions", {"maxResults": "2"}),
                 ("DescribeTaskDefinition", {"taskDefinition": 7}),
                 ("RunTask", {"taskDefinition": "x", "overrides": "none"})]
        for op, body in cases:
            with self.subTest(op=op, body=body):
                self.assertRawError(D.ecs_raw(op, body), 400, "SerializationException")

    def _post_oversized(self, expect_continue):
        """Sends a signed-looking POST whose body is over 1 MiB on a raw socket. The daemon
        answers 413 as soon as it has read the headers and then closes, so the rest of the body
        may hit a closed socket (EPIPE): keep going and read the answer anyway."""
        big = b'{"clusters":["' + b"a" * (1024 * 1024 + 16) + b'"]}'
        head = ("POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                "Content-Type: application/x-amz-json-1.1\r\n"
                "X-Amz-Target: %sDescribeClusters\r\nContent-Length: %d\r\n%s\r\n"
                % (D.port, harness.TARGET_PREFIX, len(big),
                   "Expect: 100-continue\r\n" if expect_continue else "")).encode()
        with socket.create_connection(("127.0.0.1", D.port), timeout=10) as s:
            s.sendall(head)
            if not expect_continue:
                try:
                    s.sendall(big)
                except OSError:
                    pass
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError as e:
                self.fail("no answer to an oversized body (%r); got %r" % (e, data))
        return data.split(b"\r\n", 1)[0]

    def test_body_over_one_mib_is_413(self):
        self.assertEqual(self._post_oversized(False)[:12], b"HTTP/1.1 413")
        self.assertEqual(self._post_oversized(True)[:12], b"HTTP/1.1 413")
        self.assertEqual(ECS.list_clusters()["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_body_just_under_one_mib_is_accepted(self):
        body = b'{"clusters":["x"],"pad":"' + b"p" * (1024 * 1024 - 64) + b'"}'
        self.assertLessEqual(len(body), 1024 * 1024)
        code, _, parsed = D.ecs_raw("DescribeClusters", body)
        self.assertEqual(code, 200, parsed)
        self.assertEqual(parsed["failures"][0]["reason"], "MISSING")

    def test_deeply_nested_json_is_rejected_and_daemon_survives(self):
        for body in (b"[" * 100000, b'{"a":' * 100000):
            with self.subTest(start=body[:5]):
                code, _, parsed = D.ecs_raw("ListClusters", body)
                self.assertEqual(code, 400, parsed)
        self.assertIn(ARN + "cluster/default", ECS.list_clusters()["clusterArns"])
        code, _, _ = harness.http_request(D.port, "GET", "/_berth/health")
        self.assertEqual(code, 200)

    def test_missing_required_member(self):
        self.assertRawError(D.ecs_raw("RunTask", {}), 400, "InvalidParameterException")
        self.assertRawError(D.ecs_raw("RunTask", {"count": 1}), 400, "InvalidParameterException")
        self.assertRawError(D.ecs_raw("DeleteCluster", {}), 400, "InvalidParameterException")
        self.assertRawError(D.ecs_raw("DescribeTaskDefinition", {}), 400,
                            "InvalidParameterException")

    def test_error_body_shape(self):
        code, headers, body = D.ecs_raw("DescribeTaskDefinition", {"taskDefinition": "nope-x"})
        self.assertEqual(code, 400)
        self.assertEqual(set(body), {"__type", "message"})
        self.assertEqual(body["__type"], "ClientException")
        self.assertEqual(body["message"], "Unable to describe task definition.")

    def test_unknown_input_members_are_ignored(self):
        code, _, body = D.ecs_raw("ListClusters", {"someFutureMember": {"x": [1]}})
        self.assertEqual(code, 200, body)


# ---------------------------------------------------------------------------------------------
class RegisterValidationTest(ApiTestCase):
    def test_empty_container_list(self):
        self.assertRawError(
            D.ecs_raw("RegisterTaskDefinition", {"family": "v-empty", "containerDefinitions": []}),
            400, "ClientException", "Container list cannot be empty.")

    def test_missing_container_list(self):
        self.assertRawError(D.ecs_raw("RegisterTaskDefinition", {"family": "v-missing"}),
                            400, "ClientException", "Container list cannot be empty.")

    def test_container_without_name(self):
        for c in ({"image": "busybox", "memory": 32}, {"name": "", "image": "busybox", "memory": 32}):
            with self.subTest(container=c), \
                    self.assertClientError("ClientException",
                                           "Container.name should not be null or empty."):
                register("v-noname", [c])

    def test_container_without_image(self):
        for c in ({"name": "web", "memory": 32}, {"name": "web", "image": "", "memory": 32}):
            with self.subTest(container=c), \
                    self.assertClientError("ClientException",
                                           "Container.image should not be null or empty."):
                register("v-noimage", [c])

    def test_container_without_memory(self):
        with self.assertClientError(
                "ClientException",
                "Invalid setting for container 'web'. At least one of 'memory' or "
                "'memoryReservation' must be specified."):
            register("v-nomem", [{"name": "web", "image": "busybox"}])

    def test_task_level_memory_satisfies_the_memory_rule(self):
        td = register("v-taskmem", [{"name": "web", "image": "busybox"}], memory="512")
        self.assertEqual(td["memory"], "512")

    def test_fargate_requires_task_cpu(self):
        with self.assertClientError("ClientException",
                                    "Fargate requires that 'cpu' be defined at the task level."):
            register("v-fg-cpu", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                     memory="512")

    def test_fargate_cpu_memory_pair(self):
        with self.assertClientError("ClientException",
                                    "No Fargate configuration exists for given values: "
                                    "256 CPU, 256 memory"):
            register("v-fg-pair", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                     cpu="256", memory="256")

    def test_fargate_network_mode(self):
        with self.assertClientError("ClientException",
                                    "Fargate only supports network mode 'awsvpc'."):
            register("v-fg-net", requiresCompatibilities=["FARGATE"], networkMode="bridge",
                     cpu="256", memory="512")

    def test_blank_family(self):
        with self.assertClientError("ClientException", "Family can not be blank."):
            register("")
        self.assertRawError(
            D.ecs_raw("RegisterTaskDefinition", {"containerDefinitions": [sleeper()]}),
            400, "ClientException", "Family can not be blank.")

    def test_fargate_requires_task_memory(self):
        with self.assertClientError("ClientException",
                                    "Fargate requires that 'memory' be defined at the task level."):
            register("v-fg-mem", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                     cpu="256")

    def test_other_rejections(self):
        """The rest of spec §3's validation list; ECS's texts are not pinned for these."""
        w = {"name": "web", "image": "busybox", "memory": 32}
        cases = {
            "duplicate names": dict(containerDefinitions=[w, dict(w)]),
            "11 containers": dict(containerDefinitions=[dict(w, name="c%d" % i)
                                                        for i in range(11)]),
            "no essential": dict(containerDefinitions=[dict(w, essential=False)]),
            "reservation > memory": dict(containerDefinitions=[dict(w, memoryReservation=64)]),
            "dependsOn unknown": dict(containerDefinitions=[
                dict(w, dependsOn=[{"containerName": "ghost", "condition": "START"}])]),
            "dependsOn cycle": dict(containerDefinitions=[
                dict(w, name="a", dependsOn=[{"containerName": "b", "condition": "START"}]),
                dict(w, name="b", dependsOn=[{"containerName": "a", "condition": "START"}])]),
            "COMPLETE on essential": dict(containerDefinitions=[
                dict(w, name="a", dependsOn=[{"containerName": "b", "condition": "COMPLETE"}]),
                dict(w, name="b")]),
            "SUCCESS on essential": dict(containerDefinitions=[
                dict(w, name="a", dependsOn=[{"containerName": "b", "condition": "SUCCESS"}]),
                dict(w, name="b")]),
            "task cpu 64": dict(containerDefinitions=[w], cpu="64"),
            "task cpu 200000": dict(containerDefinitions=[w], cpu="200000"),
            "51 tags": dict(containerDefinitions=[w], tags=[{"key": "k%d" % i, "value": "v"}
                                                            for i in range(51)]),
            "long tag key": dict(containerDefinitions=[w], tags=[{"key": "k" * 129, "value": "v"}]),
            "long tag value": dict(containerDefinitions=[w],
                                   tags=[{"key": "k", "value": "v" * 257}]),
            "aws: tag": dict(containerDefinitions=[w], tags=[{"key": "aws:x", "value": "v"}]),
            "health interval 4": dict(containerDefinitions=[
                dict(w, healthCheck={"command": ["CMD", "true"], "interval": 4})]),
            "health retries 11": dict(containerDefinitions=[
                dict(w, healthCheck={"command": ["CMD", "true"], "retries": 11})]),
            "health timeout 61": dict(containerDefinitions=[
                dict(w, healthCheck={"command": ["CMD", "true"], "timeout": 61})]),
            "fargate stopTimeout 121": dict(
                containerDefinitions=[dict(w, stopTimeout=121)], requiresCompatibilities=["FARGATE"],
                networkMode="awsvpc", cpu="256", memory="512"),
            "family with a space": dict(containerDefinitions=[w], family="bad name"),
            "family of 256": dict(containerDefinitions=[w], family="f" * 256),
        }
        for what, kw in cases.items():
            kw = dict(kw)
            family = kw.pop("family", "v-other")
            with self.subTest(what), self.assertClientError("ClientException"):
                ECS.register_task_definition(family=family, **kw)
        self.assertEqual(
            ECS.list_task_definitions(familyPrefix="v-other")["taskDefinitionArns"], [])

    def test_validation_failures_register_nothing(self):
        with self.assertClientError("ClientException"):
            register("v-nothing", [{"name": "web", "image": "busybox"}])
        self.assertEqual(
            ECS.list_task_definitions(familyPrefix="v-nothing")["taskDefinitionArns"], [])
        self.assertEqual(register("v-nothing")["revision"], 1)


# ---------------------------------------------------------------------------------------------
class TaskDefinitionTest(ApiTestCase):
    def test_registration_normalises(self):
        before = datetime.datetime.now(datetime.timezone.utc)
        resp = ECS.register_task_definition(
            family="norm", cpu="1 vCPU", memory="1 GB",
            containerDefinitions=[{"name": "web", "image": "busybox", "memory": 32,
                                   "portMappings": [{"containerPort": 8080}],
                                   "healthCheck": {"command": ["CMD", "true"]}}])
        td = resp["taskDefinition"]
        self.assertEqual(td["taskDefinitionArn"], ARN + "task-definition/norm:1")
        self.assertEqual(td["family"], "norm")
        self.assertEqual(td["revision"], 1)
        self.assertEqual(td["status"], "ACTIVE")
        self.assertEqual(td["cpu"], "1024")
        self.assertEqual(td["memory"], "1024")
        self.assertEqual(td["networkMode"], "bridge")
        self.assertEqual(td["compatibilities"], ["EXTERNAL", "EC2"])
        self.assertNotIn("requiresCompatibilities", td)
        self.assertEqual(td["volumes"], [])
        self.assertEqual(td["placementConstraints"], [])
        self.assertIsInstance(td["requiresAttributes"], list)
        self.assertTrue(td["registeredBy"].startswith("arn:aws:"), td["registeredBy"])
        self.assertIsInstance(td["registeredAt"], datetime.datetime)
        self.assertLess(abs((td["registeredAt"] - before).total_seconds()), 60)
        self.assertNotIn("deregisteredAt", td)
        self.assertNotIn("tags", resp)
        c = td["containerDefinitions"][0]
        self.assertEqual(c["cpu"], 0)
        self.assertIs(c["essential"], True)
        for key in ("environment", "mountPoints", "volumesFrom", "systemControls"):
            self.assertEqual(c[key], [], key)
        self.assertEqual(c["portMappings"][0]["protocol"], "tcp")
        self.assertEqual(c["portMappings"][0]["containerPort"], 8080)
        self.assertEqual(c["healthCheck"],
                         {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3})

        self.assertEqual(register("norm")["revision"], 2)
        self.assertEqual(register("norm")["revision"], 3)

    def test_raw_timestamps_are_epoch_seconds(self):
        code, _, body = D.ecs_raw("RegisterTaskDefinition", {
            "family": "rawts", "containerDefinitions": [sleeper()]})
        self.assertEqual(code, 200, body)
        self.assertIsInstance(body["taskDefinition"]["registeredAt"], (int, float))

    def test_fargate_registration(self):
        td = register("fg-ok", [sleeper(portMappings=[{"containerPort": 80}])],
                      requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                      cpu="256", memory="512")
        self.assertEqual(td["compatibilities"], ["EC2", "MANAGED_INSTANCES", "FARGATE"])
        self.assertEqual(td["requiresCompatibilities"], ["FARGATE"])
        pm = td["containerDefinitions"][0]["portMappings"][0]
        self.assertEqual(pm["hostPort"], 80)
        self.assertEqual(pm["protocol"], "tcp")

    def test_tags_on_registration_and_describe(self):
        resp = ECS.register_task_definition(family="tdtags", containerDefinitions=[sleeper()],
                                            tags=[{"key": "team", "value": "blue"}])
        self.assertEqual(resp["tags"], [{"key": "team", "value": "blue"}])
        plain = ECS.describe_task_definition(taskDefinition="tdtags")
        self.assertNotIn("tags", plain)
        tagged = ECS.describe_task_definition(taskDefinition="tdtags", include=["TAGS"])
        self.assertEqual(tagged["tags"], [{"key": "team", "value": "blue"}])

    def test_describe_by_family_rev_and_arn(self):
        r1 = register("desc")
        r2 = register("desc")
        self.assertEqual(ECS.describe_task_definition(taskDefinition="desc")
                         ["taskDefinition"]["revision"], r2["revision"])
        self.assertEqual(ECS.describe_task_definition(taskDefinition="desc:%d" % r1["revision"])
                         ["taskDefinition"]["taskDefinitionArn"], r1["taskDefinitionArn"])
        self.assertEqual(ECS.describe_task_definition(taskDefinition=r1["taskDefinitionArn"])
                         ["taskDefinition"]["revision"], r1["revision"])

    def test_describe_miss(self):
        register("descmiss")
        for ref in ("no-such-family", "descmiss:99",
                    ARN + "task-definition/no-such-family:1"):
            with self.subTest(ref=ref), \
                    self.assertClientError("ClientException",
                                           "Unable to describe task definition."):
                ECS.describe_task_definition(taskDefinition=ref)

    def test_deregister(self):
        r1 = register("dereg")
        r2 = register("dereg")
        out = ECS.deregister_task_definition(taskDefinition="dereg:2")["taskDefinition"]
        self.assertEqual(out["status"], "INACTIVE")
        self.assertIsInstance(out["deregisteredAt"], datetime.datetime)
        again = ECS.describe_task_definition(taskDefinition="dereg:2")["taskDefinition"]
        self.assertEqual(again["status"], "INACTIVE")
        self.assertIn("deregisteredAt", again)
        # A bare family now means the latest ACTIVE revision.
        self.assertEqual(ECS.describe_task_definition(taskDefinition="dereg")
                         ["taskDefinition"]["revision"], r1["revision"])
        ECS.deregister_task_definition(taskDefinition=r1["taskDefinitionArn"])
        with self.assertClientError("ClientException", "Unable to describe task definition."):
            ECS.describe_task_definition(taskDefinition="dereg")
        # Revisions are never reused.
        self.assertEqual(register("dereg")["revision"], r2["revision"] + 1)

    def test_list_task_definitions_filters_and_sort(self):
        a1, a2, a3 = register("lstd"), register("lstd"), register("lstd")
        register("lstd-extra")
        arns = [a1["taskDefinitionArn"], a2["taskDefinitionArn"], a3["taskDefinitionArn"]]
        self.assertEqual(ECS.list_task_definitions(familyPrefix="lstd")["taskDefinitionArns"],
                         arns)
        self.assertEqual(ECS.list_task_definitions(familyPrefix="lstd", sort="DESC")
                         ["taskDefinitionArns"], arns[::-1])
        ECS.deregister_task_definition(taskDefinition="lstd:2")
        self.assertEqual(ECS.list_task_definitions(familyPrefix="lstd")["taskDefinitionArns"],
                         [arns[0], arns[2]])
        self.assertEqual(ECS.list_task_definitions(familyPrefix="lstd", status="INACTIVE")
                         ["taskDefinitionArns"], [arns[1]])
        everything = ECS.list_task_definitions()["taskDefinitionArns"]
        self.assertIn(ARN + "task-definition/lstd-extra:1", everything)
        self.assertNotIn(arns[1], everything)
        desc = ECS.list_task_definitions(sort="DESC")["taskDefinitionArns"]
        self.assertEqual(desc, everything[::-1])

    def test_list_task_definition_families(self):
        register("fam-a")
        register("fam-ab")
        register("fam-b")
        ECS.deregister_task_definition(taskDefinition="fam-b:1")
        self.assertEqual(ECS.list_task_definition_families(familyPrefix="fam-a")["families"],
                         ["fam-a", "fam-ab"])
        self.assertEqual(ECS.list_task_definition_families(familyPrefix="fam-")["families"],
                         ["fam-a", "fam-ab", "fam-b"])
        self.assertEqual(ECS.list_task_definition_families(familyPrefix="fam-", status="ALL")
                         ["families"], ["fam-a", "fam-ab", "fam-b"])
        self.assertEqual(ECS.list_task_definition_families(familyPrefix="fam-", status="ACTIVE")
                         ["families"], ["fam-a", "fam-ab"])
        self.assertEqual(ECS.list_task_definition_families(familyPrefix="fam-", status="INACTIVE")
                         ["families"], ["fam-b"])

    def test_delete_task_definitions(self):
        register("del")
        register("del")
        ECS.deregister_task_definition(taskDefinition="del:1")
        code, _, body = D.ecs_raw("DeleteTaskDefinitions", {"taskDefinitions": ["del:2"]})
        self.assertEqual(code, 200, body)
        self.assertEqual(body["taskDefinitions"], [])
        self.assertEqual(len(body["failures"]), 1, body)
        self.assertIn("del:2", body["failures"][0]["arn"])
        self.assertTrue(body["failures"][0].get("reason"), body)

        code, _, body = D.ecs_raw("DeleteTaskDefinitions", {"taskDefinitions": ["del:1"]})
        self.assertEqual(code, 200, body)
        self.assertEqual(body["failures"], [])
        self.assertEqual(len(body["taskDefinitions"]), 1, body)
        self.assertEqual(body["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS")
        self.assertEqual(body["taskDefinitions"][0]["taskDefinitionArn"],
                         ARN + "task-definition/del:1")
        self.assertEqual(ECS.list_task_definitions(familyPrefix="del", status="DELETE_IN_PROGRESS")
                         ["taskDefinitionArns"], [ARN + "task-definition/del:1"])
        self.assertEqual(ECS.list_task_definitions(familyPrefix="del", status="INACTIVE")
                         ["taskDefinitionArns"], [])
        # Numbers are never reused after deletion either.
        self.assertEqual(register("del")["revision"], 3)


# ---------------------------------------------------------------------------------------------
class PaginationTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.arns = [register("pg")["taskDefinitionArn"] for _ in range(5)]

    def test_pages_of_two(self):
        pages, token = [], None
        for _ in range(10):
            kw = {"familyPrefix": "pg", "maxResults": 2}
            if token:
                kw["nextToken"] = token
            resp = ECS.list_task_definitions(**kw)
            pages.append(resp["taskDefinitionArns"])
            token = resp.get("nextToken")
            if not token:
                break
        self.assertEqual([len(p) for p in pages], [2, 2, 1])
        self.assertEqual(sum(pages, []), self.arns)

    def test_last_page_has_no_next_token(self):
        code, _, body = D.ecs_raw("ListTaskDefinitions", {"familyPrefix": "pg", "maxResults": 5})
        self.assertEqual(code, 200, body)
        self.assertEqual(body["taskDefinitionArns"], self.arns)
        self.assertNotIn("nextToken", body)
        code, _, body = D.ecs_raw("ListTaskDefinitions", {"familyPrefix": "pg"})
        self.assertNotIn("nextToken", body)

    def test_max_results_out_of_range(self):
        for n in (0, 101, -1):
            with self.subTest(maxResults=n), self.assertClientError("InvalidParameterException"):
                ECS.list_task_definitions(familyPrefix="pg", maxResults=n)

    def test_paginator_collects_everything(self):
        pages = ECS.get_paginator("list_task_definitions").paginate(
            familyPrefix="pg", PaginationConfig={"PageSize": 2})
        collected = [a for page in pages for a in page["taskDefinitionArns"]]
        self.assertEqual(collected, self.arns)

    def test_garbage_next_token(self):
        with self.assertClientError("InvalidParameterException"):
            ECS.list_task_definitions(familyPrefix="pg", nextToken="not-a-token")


# ---------------------------------------------------------------------------------------------
class ClusterTest(TaskTestCase):
    def test_create_cluster_shape_and_idempotence(self):
        c = ECS.create_cluster(clusterName="c-idem")["cluster"]
        self.assertEqual(c["clusterArn"], ARN + "cluster/c-idem")
        self.assertEqual(c["clusterName"], "c-idem")
        self.assertEqual(c["status"], "ACTIVE")
        for k in ("registeredContainerInstancesCount", "runningTasksCount", "pendingTasksCount",
                  "activeServicesCount"):
            self.assertEqual(c[k], 0, k)
        again = ECS.create_cluster(clusterName="c-idem")["cluster"]
        self.assertEqual(again["clusterArn"], c["clusterArn"])
        self.assertEqual(again["status"], "ACTIVE")
        self.assertEqual(ECS.list_clusters()["clusterArns"].count(c["clusterArn"]), 1)

    def test_create_cluster_defaults(self):
        c = ECS.create_cluster(clusterName="c-shape")["cluster"]
        self.assertEqual(c["statistics"], [])
        self.assertEqual(c["settings"], [{"name": "containerInsights", "value": "disabled"}])
        self.assertEqual(c["capacityProviders"], [])
        self.assertEqual(c["defaultCapacityProviderStrategy"], [])
        plain = ECS.describe_clusters(clusters=["c-shape"])["clusters"][0]
        self.assertNotIn("tags", plain)
        self.assertNotIn("settings", plain)

    def test_bad_cluster_name(self):
        with self.assertClientError("InvalidParameterException"):
            ECS.create_cluster(clusterName="bad name!")

    def test_too_many_items(self):
        with self.assertClientError("InvalidParameterException"):
            ECS.describe_clusters(clusters=["c%d" % i for i in range(101)])
        with self.assertClientError("InvalidParameterException"):
            ECS.describe_tasks(tasks=["%032x" % i for i in range(101)])

    def test_default_cluster_exists(self):
        self.assertIn(ARN + "cluster/default", ECS.list_clusters()["clusterArns"])
        self.assertEqual(ECS.describe_clusters()["clusters"][0]["clusterArn"],
                         ARN + "cluster/default")

    def test_describe_unknown_cluster_is_missing_failure(self):
        resp = ECS.describe_clusters(clusters=["c-nope", "default"])
        self.assertEqual([c["clusterName"] for c in resp["clusters"]], ["default"])
        self.assertEqual(resp["failures"], [{"arn": ARN + "cluster/c-nope", "reason": "MISSING"}])

    def test_delete_cluster_goes_inactive_but_stays_describable(self):
        ECS.create_cluster(clusterName="c-del")
        out = ECS.delete_cluster(cluster="c-del")["cluster"]
        self.assertEqual(out["status"], "INACTIVE")
        desc = ECS.describe_clusters(clusters=["c-del"])
        self.assertEqual(desc["failures"], [])
        self.assertEqual(desc["clusters"][0]["status"], "INACTIVE")
        self.assertNotIn(ARN + "cluster/c-del", ECS.list_clusters()["clusterArns"])
        # Creating it again reactivates it.
        self.assertEqual(ECS.create_cluster(clusterName="c-del")["cluster"]["status"], "ACTIVE")

    def test_delete_unknown_cluster(self):
        with self.assertClientError("ClusterNotFoundException", "Cluster not found."):
            ECS.delete_cluster(cluster="c-never")

    def test_delete_cluster_with_running_task(self):
        ECS.create_cluster(clusterName="c-busy")
        register("busy")
        arn = self.run_task(cluster="c-busy", taskDefinition="busy")["tasks"][0]["taskArn"]
        with self.assertClientError("ClusterContainsTasksException",
                                    "The Cluster cannot be deleted while Tasks are active."):
            ECS.delete_cluster(cluster="c-busy")
        busy = ECS.describe_clusters(clusters=["c-busy"])["clusters"][0]
        self.assertEqual(busy["status"], "ACTIVE")
        self.assertEqual(busy["runningTasksCount"] + busy["pendingTasksCount"], 1, busy)
        self.assertRegex(arn, "^" + ARN + "task/c-busy/[0-9a-f]{32}$")


# ---------------------------------------------------------------------------------------------
class TaskErrorsTest(TaskTestCase):
    @classmethod
    def setUpClass(cls):
        register("terr")

    def test_run_task_unknown_definition(self):
        for ref in ("no-such-def", "terr:42"):
            with self.subTest(ref=ref), \
                    self.assertClientError("ClientException", "TaskDefinition not found."):
                ECS.run_task(taskDefinition=ref)

    def test_run_task_inactive_definition(self):
        register("terr-inactive")
        ECS.deregister_task_definition(taskDefinition="terr-inactive:1")
        with self.assertRaises(ClientError) as cm:
            ECS.run_task(taskDefinition="terr-inactive:1")
        err = cm.exception.response["Error"]
        self.assertIn(err["Code"], ("ClientException", "InvalidParameterException"))
        self.assertEqual(err["Message"], "TaskDefinition is inactive")

    def test_run_task_count_out_of_range(self):
        for n in (11, 0):
            with self.subTest(count=n), self.assertClientError("InvalidParameterException"):
                ECS.run_task(taskDefinition="terr", count=n)
        self.assertEqual(ECS.list_tasks(family="terr")["taskArns"], [])

    def test_run_task_unknown_cluster(self):
        with self.assertClientError("ClusterNotFoundException", "Cluster not found."):
            ECS.run_task(taskDefinition="terr", cluster="no-such-cluster")

    def test_stop_unknown_task(self):
        with self.assertClientError("InvalidParameterException",
                                    "The referenced task was not found."):
            ECS.stop_task(task=uuid.uuid4().hex)

    def test_describe_tasks_empty_list(self):
        self.assertRawError(D.ecs_raw("DescribeTasks", {"tasks": []}), 400,
                            "InvalidParameterException", "Tasks cannot be empty.")

    def test_describe_unknown_task_is_missing_failure(self):
        tid = uuid.uuid4().hex
        code, _, body = D.ecs_raw("DescribeTasks", {"tasks": [tid]})
        self.assertEqual(code, 200, body)
        self.assertEqual(body["tasks"], [])
        self.assertEqual(len(body["failures"]), 1, body)
        self.assertEqual(body["failures"][0]["reason"], "MISSING")
        self.assertTrue(body["failures"][0]["arn"].endswith(tid), body)
        resp = ECS.describe_tasks(tasks=[tid])
        self.assertEqual(resp["tasks"], [])
        self.assertEqual(resp["failures"][0]["reason"], "MISSING")

    def test_describe_tasks_unknown_cluster(self):
        with self.assertClientError("ClusterNotFoundException", "Cluster not found."):
            ECS.describe_tasks(cluster="no-such-cluster", tasks=[uuid.uuid4().hex])

    def test_stop_task_response(self):
        arn = self.run_task(taskDefinition="terr")["tasks"][0]["taskArn"]
        t = ECS.stop_task(task=arn)["task"]
        self.assertEqual(t["desiredStatus"], "STOPPED")
        self.assertEqual(t["stopCode"], "UserInitiated")
        self.assertEqual(t["stoppedReason"], "Task stopped by user")
        self.assertIn("stoppingAt", t)
        arn2 = self.run_task(taskDefinition="terr")["tasks"][0]["taskArn"]
        t2 = ECS.stop_task(task=arn2.rsplit("/", 1)[1], reason="because")["task"]
        self.assertEqual(t2["taskArn"], arn2)
        self.assertEqual(t2["stoppedReason"], "because")

    def test_stop_already_stopped_task_is_unchanged(self):
        arn = self.run_task(taskDefinition="terr", tags=[{"key": "k", "value": "v"}])[
            "tasks"][0]["taskArn"]
        ECS.stop_task(task=arn, reason="first")
        # StopTask deletes the task's tags [model].
        self.assertEqual(ECS.list_tags_for_resource(resourceArn=arn)["tags"], [])
        harness.fast_waiter(ECS, "tasks_stopped", delay=1, attempts=30).wait(tasks=[arn])
        before = ECS.describe_tasks(tasks=[arn])["tasks"][0]
        after = ECS.stop_task(task=arn, reason="second")["task"]
        self.assertEqual(after["stoppedReason"], "first")
        self.assertEqual(after["lastStatus"], "STOPPED")
        self.assertEqual(after["version"], before["version"])
        self.assertEqual(after["stoppedAt"], before["stoppedAt"])

    def run_raw(self, body):
        """RunTask as raw JSON: botocore 1.29's model predates RunTask's clientToken."""
        code, _, out = D.ecs_raw("RunTask", body)
        if code == 200:
            self.started.extend((body.get("cluster"), t["taskArn"]) for t in out["tasks"])
        return code, out

    def test_client_token_idempotency(self):
        token = "tok-" + uuid.uuid4().hex
        base = {"taskDefinition": "terr", "clientToken": token, "startedBy": "idem"}
        code, first = self.run_raw(base)
        self.assertEqual(code, 200, first)
        code, second = self.run_raw(dict(base))
        self.assertEqual(code, 200, second)
        self.assertEqual(len(first["tasks"]), 1)
        self.assertEqual([t["taskArn"] for t in first["tasks"]],
                         [t["taskArn"] for t in second["tasks"]])
        self.assertEqual(len(ECS.list_tasks(startedBy="idem")["taskArns"]), 1)
        for changed in ({"startedBy": "other"}, {"count": 2}):
            with self.subTest(changed=changed):
                code, out = self.run_raw(dict(base, **changed))
                self.assertEqual(code, 400, out)
                self.assertEqual(out["__type"], "ConflictException", out)
        self.assertEqual(len(ECS.list_tasks(startedBy="idem")["taskArns"]), 1)
        self.assertEqual(ECS.list_tasks(startedBy="other")["taskArns"], [])

    def test_client_token_too_long(self):
        code, out = self.run_raw({"taskDefinition": "terr", "clientToken": "t" * 65})
        self.assertEqual(code, 400, out)
        self.assertEqual(out["__type"], "InvalidParameterException", out)


# ---------------------------------------------------------------------------------------------
class TagsTest(TaskTestCase):
    def check_tagging(self, arn, initial):
        self.assertEqual(ECS.list_tags_for_resource(resourceArn=arn)["tags"], initial)
        resp = ECS.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"},
                                                       {"key": "b", "value": "2"}])
        self.assertEqual({k: v for k, v in resp.items() if k != "ResponseMetadata"}, {})
        ECS.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "one"}])
        tags = {t["key"]: t["value"]
                for t in ECS.list_tags_for_resource(resourceArn=arn)["tags"]}
        expected = {t["key"]: t["value"] for t in initial}
        expected.update({"a": "one", "b": "2"})
        self.assertEqual(tags, expected)
        resp = ECS.untag_resource(resourceArn=arn, tagKeys=["b"])
        self.assertEqual({k: v for k, v in resp.items() if k != "ResponseMetadata"}, {})
        del expected["b"]
        tags = {t["key"]: t["value"]
                for t in ECS.list_tags_for_resource(resourceArn=arn)["tags"]}
        self.assertEqual(tags, expected)

    def test_cluster_tags(self):
        arn = ECS.create_cluster(clusterName="tagged",
                                 tags=[{"key": "env", "value": "dev"}])["cluster"]["clusterArn"]
        self.check_tagging(arn, [{"key": "env", "value": "dev"}])
        desc = ECS.describe_clusters(clusters=["tagged"], include=["TAGS"])["clusters"][0]
        self.assertEqual({t["key"] for t in desc["tags"]}, {"env", "a"})

    def test_task_definition_tags(self):
        arn = register("tagged-td")["taskDefinitionArn"]
        self.check_tagging(arn, [])
        self.assertEqual(ECS.describe_task_definition(taskDefinition=arn, include=["TAGS"])
                         ["tags"], [{"key": "a", "value": "one"}])

    def test_task_tags_and_describe_include(self):
        register("tagged-task")
        arn = self.run_task(taskDefinition="tagged-task",
                            tags=[{"key": "run", "value": "x"}])["tasks"][0]["taskArn"]
        harness.fast_waiter(ECS, "tasks_running", delay=1, attempts=30).wait(tasks=[arn])
        self.check_tagging(arn, [{"key": "run", "value": "x"}])
        plain = ECS.describe_tasks(tasks=[arn])["tasks"][0]
        self.assertNotIn("tags", plain)
        tagged = ECS.describe_tasks(tasks=[arn], include=["TAGS"])["tasks"][0]
        self.assertEqual({t["key"]: t["value"] for t in tagged["tags"]},
                         {"run": "x", "a": "one"})

    def test_bad_arn(self):
        for arn in ("not-an-arn", "arn:aws:s3:::bucket", ARN + "widget/x"):
            with self.subTest(arn=arn), self.assertClientError("InvalidParameterException"):
                ECS.list_tags_for_resource(resourceArn=arn)
            with self.subTest(arn=arn), self.assertClientError("InvalidParameterException"):
                ECS.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])

    def test_unknown_resource(self):
        with self.assertClientError("ClusterNotFoundException"):
            ECS.list_tags_for_resource(resourceArn=ARN + "cluster/never-created")

    def test_unknown_task_and_task_definition(self):
        with self.assertClientError("InvalidParameterException"):
            ECS.list_tags_for_resource(resourceArn=ARN + "task/default/" + "0" * 32)
        with self.assertClientError("ClientException"):
            ECS.list_tags_for_resource(resourceArn=ARN + "task-definition/never-registered:1")

    def test_arn_of_another_account_is_not_ours(self):
        with self.assertRaises(ClientError) as cm:
            ECS.list_tags_for_resource(
                resourceArn="arn:aws:ecs:%s:999999999999:cluster/default" % REGION)
        self.assertIn(cm.exception.response["Error"]["Code"],
                      ("ClusterNotFoundException", "InvalidParameterException"))

    def test_reserved_tag_prefix(self):
        arn = ECS.create_cluster(clusterName="tag-reserved")["cluster"]["clusterArn"]
        with self.assertClientError("InvalidParameterException"):
            ECS.tag_resource(resourceArn=arn, tags=[{"key": "aws:owner", "value": "me"}])


# ---------------------------------------------------------------------------------------------
class ListTasksTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = []
        ECS.create_cluster(clusterName="lt")
        register("lt-a")
        register("lt-b")

        def run(**kw):
            arn = ECS.run_task(cluster="lt", **kw)["tasks"][0]["taskArn"]
            cls.started.append(("lt", arn))
            return arn

        cls.a = run(taskDefinition="lt-a", startedBy="alpha")
        cls.b = run(taskDefinition="lt-b", startedBy="beta")
        cls.stopped = run(taskDefinition="lt-a", startedBy="gamma")
        ECS.stop_task(cluster="lt", task=cls.stopped)
        harness.fast_waiter(ECS, "tasks_running", delay=1, attempts=30).wait(
            cluster="lt", tasks=[cls.a, cls.b])

    @classmethod
    def tearDownClass(cls):
        stop_all(cls.started)

    def list(self, **kw):
        return sorted(ECS.list_tasks(cluster="lt", **kw)["taskArns"])

    def test_default_is_desired_running(self):
        self.assertEqual(self.list(), sorted([self.a, self.b]))
        self.assertEqual(self.list(desiredStatus="RUNNING"), sorted([self.a, self.b]))

    def test_stopped(self):
        self.assertEqual(self.list(desiredStatus="STOPPED"), [self.stopped])

    def test_pending_is_always_empty(self):
        self.assertEqual(self.list(desiredStatus="PENDING"), [])

    def test_family_filter(self):
        self.assertEqual(self.list(family="lt-a"), [self.a])
        self.assertEqual(self.list(family="lt-a", desiredStatus="STOPPED"), [self.stopped])
        self.assertEqual(self.list(family="lt"), [])

    def test_started_by_filter(self):
        self.assertEqual(self.list(startedBy="beta"), [self.b])
        self.assertEqual(self.list(startedBy="nobody"), [])

    def test_unknown_service(self):
        with self.assertClientError("ServiceNotFoundException", "Service not found."):
            ECS.list_tasks(cluster="lt", serviceName="no-such-service")

    def test_unknown_cluster(self):
        with self.assertClientError("ClusterNotFoundException", "Cluster not found."):
            ECS.list_tasks(cluster="no-such-cluster")

    def test_other_cluster_is_separate(self):
        self.assertNotIn(self.a, ECS.list_tasks()["taskArns"])


if __name__ == "__main__":
    unittest.main()
