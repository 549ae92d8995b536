// Shared fixtures for the task definition tests: valid definitions to edit, and helpers that
// parse and return the definition or the error message.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "model/task_definition.h"

namespace berth::model {

using nlohmann::json;

// A valid bridge definition with one container.
inline json Minimal() {
  return json::parse(R"({
    "family": "web",
    "containerDefinitions": [{"name": "app", "image": "nginx:1.25", "memory": 128}]
  })");
}

// A valid Fargate definition.
inline json FargateMinimal() {
  return json::parse(R"({
    "family": "web",
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [{"name": "app", "image": "nginx:1.25"}]
  })");
}

// The task-definition.json shape in aws-actions/amazon-ecs-render-task-definition's README.
inline json RenderActionReadmeSample() {
  return json::parse(R"({
    "family": "task-def-family",
    "containerDefinitions": [
      {
        "name": "web",
        "image": "nginx:latest",
        "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
        "essential": true,
        "logConfiguration": {
          "logDriver": "awslogs",
          "options": {
            "awslogs-group": "/ecs/task-def-family",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "ecs"
          }
        },
        "environment": [{"name": "LOG_LEVEL", "value": "info"}]
      }
    ],
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"
  })");
}

// The task-definition.json the render action's integration test registers.
inline json RenderActionIntegSample() {
  return json::parse(R"({
    "containerDefinitions": [
      {
        "entryPoint": ["sh", "-c"],
        "portMappings": [{"hostPort": 80, "protocol": "tcp", "containerPort": 80}],
        "command": ["/bin/sh -c \"echo hi > /usr/local/apache2/htdocs/index.html && httpd-foreground\""],
        "cpu": 256,
        "memoryReservation": 512,
        "image": "httpd:2.4",
        "essential": true,
        "name": "sample-app"
      },
      {
        "entryPoint": ["sh", "-c"],
        "portMappings": [{"hostPort": 8080, "protocol": "tcp", "containerPort": 8080}],
        "command": ["httpd-foreground"],
        "image": "httpd:2.4",
        "name": "sample-app-2"
      }
    ],
    "memory": "512",
    "family": "github-actions-render-task-definition-integ-tests",
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "tags": [{"key": "test-name", "value": "github-actions-render-task-definition-integ-tests"}]
  })");
}

inline TaskDefinition MustParse(const json& j) {
  Result<TaskDefinition> r = ParseTaskDefinition(j);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << j.dump();
  if (!r.ok()) return TaskDefinition();
  return std::move(r).value();
}

// The error message, or "ok". Checks the code and resource of every error.
inline std::string ErrorOf(const json& j) {
  Result<TaskDefinition> r = ParseTaskDefinition(j);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().resource(), Resource::kTaskDefinition);
  return r.status().message();
}

// Minimal() with `edit` applied to its one container.
inline json WithContainer(const std::function<void(json&)>& edit) {
  json j = Minimal();
  edit(j["containerDefinitions"][0]);
  return j;
}

inline json Container(const std::string& name) {
  return {{"name", name}, {"image", "busybox"}, {"memory", 64}};
}

// A two-container definition: "app" (essential) and "init" edited by `edit`.
inline json TwoContainers(const std::function<void(json& app, json& init)>& edit) {
  json j = Minimal();
  j["containerDefinitions"] = json::array({Container("app"), Container("init")});
  edit(j["containerDefinitions"][0], j["containerDefinitions"][1]);
  return j;
}

// ---- Normalisation

}  // namespace berth::model
