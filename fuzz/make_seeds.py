#!/usr/bin/env python3
"""Writes the small seed corpus fuzz/seeds/ for fuzz_request (see the layout at the top of
fuzz_request.cc). Run from anywhere; overwrites the files it owns."""
import json
import os

OPS = ["RegisterTaskDefinition", "RunTask", "DescribeTasks", "StopTask", "ListTasks",
       "DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies",
       "DeregisterTaskDefinition", "DeleteTaskDefinitions", "CreateCluster", "DescribeClusters",
       "ListClusters", "DeleteCluster", "TagResource", "UntagResource", "ListTagsForResource",
       "NoSuchOperation",
       # CloudWatch Logs, then ELBv2 (same order as kOperations in fuzz_request.cc).
       "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents",
       "logs:FilterLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
       "logs:PutRetentionPolicy", "logs:DeleteLogGroup",
       "elbv2:CreateLoadBalancer", "elbv2:CreateTargetGroup", "elbv2:CreateListener",
       "elbv2:RegisterTargets", "elbv2:DeregisterTargets", "elbv2:DescribeTargetHealth",
       "elbv2:DescribeLoadBalancers", "elbv2:DescribeTargetGroups", "elbv2:ModifyTargetGroup",
       "elbv2:ModifyTargetGroupAttributes", "elbv2:DeleteTargetGroup", "elbv2:AddTags",
       "CreateService", "UpdateService", "DescribeServices", "ListServices", "DeleteService"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
ARN = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


def signed(control, op, body):
    raw = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return bytes([control, OPS.index(op)]) + raw.encode()


def raw(control, text):
    return bytes([control]) + text.replace("\n", "\r\n").encode()


def http(method, target, headers, body=""):
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers]
    if body and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        lines.append(f"Content-Length: {len(body.encode())}")
    return "\n".join(lines) + "\n\n" + body


TD = {"family": "fuzz", "containerDefinitions": [
    {"name": "c", "image": "busybox", "memory": 16, "command": ["sleep", "60"], "essential": True}]}
TD2 = {"family": "web", "networkMode": "host", "cpu": "256", "memory": "512",
       "containerDefinitions": [
           {"name": "app", "image": "php", "memoryReservation": 64, "cpu": 128,
            "environment": [{"name": "A", "value": "1"}], "portMappings": [{"containerPort": 80}],
            "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
            "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 2},
            "stopTimeout": 2},
           {"name": "init", "image": "php", "memory": 32, "essential": False,
            "entryPoint": ["sh", "-c"], "command": ["exit 0"]}],
       "tags": [{"key": "k", "value": "v"}]}
RUN = {"cluster": "default", "taskDefinition": "fuzz", "count": 2, "startedBy": "fuzz",
       "overrides": {"containerOverrides": [{"name": "c", "command": ["true"],
                                             "environment": [{"name": "X", "value": "y"}]}]},
       "tags": [{"key": "t", "value": "1"}], "clientToken": "tok-1"}

TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef"
LB_ARN = ("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/"
          "0123456789abcdef")


def form(control, op, body):
    """An ELBv2 query-protocol body (the harness prepends Action and Version)."""
    return bytes([control, OPS.index(op)]) + body.encode()


SEEDS = {
    "register_task_definition": signed(0x01, "RegisterTaskDefinition", TD),
    "register_task_definition_2": signed(0x31, "RegisterTaskDefinition", TD2),
    "run_task": signed(0x31, "RunTask", RUN),
    "run_task_web_exit": signed(0x75, "RunTask", {"taskDefinition": "web:1", "launchType": "EC2"}),
    "describe_tasks": signed(0x01, "DescribeTasks",
                             {"cluster": "default", "tasks": [ARN, "0123456789abcdef"],
                              "include": ["TAGS"]}),
    "stop_task": signed(0x81, "StopTask", {"task": ARN, "reason": "fuzz"}),
    "list_tasks": signed(0x01, "ListTasks", {"family": "fuzz", "desiredStatus": "STOPPED",
                                             "maxResults": 5}),
    "create_cluster": signed(0x01, "CreateCluster", {"clusterName": "c1",
                                                     "tags": [{"key": "a", "value": "b"}]}),
    "tag_resource": signed(0x01, "TagResource", {
        "resourceArn": "arn:aws:ecs:us-east-1:123456789012:cluster/default",
        "tags": [{"key": "a", "value": "b"}]}),
    "list_task_definitions": signed(0x01, "ListTaskDefinitions",
                                    {"familyPrefix": "fuzz", "sort": "DESC", "nextToken": "x"}),
    "raw_health": raw(0x00, http("GET", "/_berth/health", [("Host", "127.0.0.1:4747")])),
    "raw_unsigned_runtask": raw(0x00, http("POST", "/", [
        ("Host", "127.0.0.1:4747"), ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask"),
        ("X-Amz-Date", "20231114T221320Z"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20231114/us-east-1/ecs/aws4_request, "
                          "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)],
        json.dumps({"taskDefinition": "fuzz"}))),
    "raw_presigned": raw(0x00, http("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                                    "AKIDFUZZ%2F20231114%2Fus-east-1%2Fecs%2Faws4_request&X-Amz-Date="
                                    "20231114T221320Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
                                    "&X-Amz-Signature=" + "a" * 64, [("Host", "localhost:4747")])),
    "raw_chunked_resigned": raw(0x02, http("POST", "/a%20b/../c?x=1&y=%2F", [
        ("Host", "127.0.0.1:4747"), ("Transfer-Encoding", "chunked"),
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
        ("X-Amz-Meta", "  a   b  "), ("x-amz-meta", "dup")], "2\n{}\n0\n\n")),
    "raw_resigned_runtask": raw(0x32, http("POST", "/", [
        ("Host", "127.0.0.1:4747"), ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask")],
        json.dumps({"taskDefinition": "fuzz", "count": 1}))),
    "elbv2_create_load_balancer": form(0x01, "elbv2:CreateLoadBalancer",
                                       "Name=web&Subnets.member.1=subnet-a&Scheme=internal"
                                       "&Tags.member.1.Key=k&Tags.member.1.Value=%3Cv%3E"),
    "elbv2_create_target_group": form(0x01, "elbv2:CreateTargetGroup",
                                      "Name=app&Protocol=HTTP&Port=8080&TargetType=ip"
                                      "&HealthCheckIntervalSeconds=5&HealthCheckTimeoutSeconds=2"
                                      "&HealthyThresholdCount=2&Matcher.HttpCode=200-299"),
    "elbv2_create_listener": form(0x01, "elbv2:CreateListener",
                                  "LoadBalancerArn=" + LB_ARN + "&Protocol=HTTP&Port=8088"
                                  "&DefaultActions.member.1.Type=forward"
                                  "&DefaultActions.member.1.TargetGroupArn=" + TG_ARN),
    "elbv2_register_targets": form(0x41, "elbv2:RegisterTargets",
                                   "TargetGroupArn=" + TG_ARN + "&Targets.member.1.Id=127.0.0.1"
                                   "&Targets.member.1.Port=9000&Targets.member.2.Id=127.0.0.2"),
    "elbv2_modify_attributes": form(0x01, "elbv2:ModifyTargetGroupAttributes",
                                    "TargetGroupArn=" + TG_ARN + "&Attributes.member.1.Key="
                                    "deregistration_delay.timeout_seconds"
                                    "&Attributes.member.1.Value=0"),
    "elbv2_describe_target_groups": form(0x01, "elbv2:DescribeTargetGroups",
                                         "Names.member.1=app&PageSize=1&Marker=o.0"),
    "raw_reset": raw(0x00, http("POST", "/_berth/reset", [("Host", "127.0.0.1:4747")])),
    # Services: the fuzz stack keeps its tasks in a FakeDriver; clock advances run the scheduler.
    "create_service": signed(0x51, "CreateService", {
        "serviceName": "svc", "taskDefinition": "fuzz", "desiredCount": 2,
        "deploymentConfiguration": {"maximumPercent": 100, "minimumHealthyPercent": 50,
                                    "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "healthCheckGracePeriodSeconds": 5, "tags": [{"key": "a", "value": "b"}],
        "propagateTags": "SERVICE"}),
    "update_service": signed(0x65, "UpdateService", {
        "service": "svc", "taskDefinition": "fuzz", "forceNewDeployment": True,
        "desiredCount": 3, "volumeConfigurations": []}),
    "describe_services": signed(0x01, "DescribeServices", {"services": ["svc", "nope"],
                                                          "include": ["TAGS"]}),
    "list_services": signed(0x01, "ListServices", {"maxResults": 1}),
    "delete_service": signed(0x91, "DeleteService", {"service": "svc", "force": True}),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {OUT}")
