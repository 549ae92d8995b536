#include "model/task_definition.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace berth::model {
namespace {

using nlohmann::json;

// A valid bridge definition with one container.
json Minimal() {
  return json::parse(R"({
    "family": "web",
    "containerDefinitions": [{"name": "app", "image": "nginx:1.25", "memory": 128}]
  })");
}

// A valid Fargate definition.
json FargateMinimal() {
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
json RenderActionReadmeSample() {
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
json RenderActionIntegSample() {
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

TaskDefinition MustParse(const json& j) {
  Result<TaskDefinition> r = ParseTaskDefinition(j);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << j.dump();
  if (!r.ok()) return TaskDefinition();
  return std::move(r).value();
}

// The error message, or "ok". Checks the code and resource of every error.
std::string ErrorOf(const json& j) {
  Result<TaskDefinition> r = ParseTaskDefinition(j);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().resource(), Resource::kTaskDefinition);
  return r.status().message();
}

// Minimal() with `edit` applied to its one container.
json WithContainer(const std::function<void(json&)>& edit) {
  json j = Minimal();
  edit(j["containerDefinitions"][0]);
  return j;
}

json Container(const std::string& name) {
  return {{"name", name}, {"image", "busybox"}, {"memory", 64}};
}

// A two-container definition: "app" (essential) and "init" edited by `edit`.
json TwoContainers(const std::function<void(json& app, json& init)>& edit) {
  json j = Minimal();
  j["containerDefinitions"] = json::array({Container("app"), Container("init")});
  edit(j["containerDefinitions"][0], j["containerDefinitions"][1]);
  return j;
}

// ---- Normalisation

TEST(ParseTaskDefinition, MinimalGetsEcsDefaults) {
  TaskDefinition td = MustParse(Minimal());
  const json& doc = td.document;
  EXPECT_EQ(doc["family"], "web");
  EXPECT_EQ(doc["networkMode"], "bridge");
  EXPECT_EQ(doc["volumes"], json::array());
  EXPECT_EQ(doc["placementConstraints"], json::array());
  EXPECT_FALSE(doc.contains("requiresCompatibilities"));
  EXPECT_FALSE(doc.contains("cpu"));
  EXPECT_FALSE(doc.contains("memory"));
  EXPECT_FALSE(doc.contains("tags"));
  const json& c = doc["containerDefinitions"][0];
  EXPECT_EQ(c["cpu"], 0);
  EXPECT_EQ(c["essential"], true);
  for (const char* list :
       {"portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"}) {
    EXPECT_EQ(c[list], json::array()) << list;
  }
  EXPECT_FALSE(c.contains("logConfiguration"));
  EXPECT_FALSE(c.contains("healthCheck"));

  EXPECT_EQ(td.family, "web");
  EXPECT_EQ(td.network_mode, "bridge");
  EXPECT_FALSE(td.cpu);
  EXPECT_FALSE(td.memory);
  EXPECT_TRUE(td.requires_compatibilities.empty());
  EXPECT_TRUE(td.tags.empty());
  ASSERT_EQ(td.containers.size(), 1u);
  EXPECT_EQ(td.containers[0].name, "app");
  EXPECT_EQ(td.containers[0].image, "nginx:1.25");
  EXPECT_EQ(td.containers[0].memory, 128);
  EXPECT_FALSE(td.containers[0].memory_reservation);
  EXPECT_EQ(td.containers[0].cpu, 0);
  EXPECT_TRUE(td.containers[0].essential);
  EXPECT_EQ(td.revision, 0);
  EXPECT_EQ(td.status, TaskDefinitionStatus::kActive);
}

TEST(ParseTaskDefinition, TaskCpuAndMemoryBecomeIntegerStrings) {
  struct Case {
    const char* cpu;
    const char* memory;
    int cpu_units;
    int memory_mib;
  };
  for (const Case& c : std::vector<Case>{{"1 vCPU", "1 GB", 1024, 1024},
                                         {"0.5 vCPU", "1GB", 512, 1024},
                                         {"0.25 vcpu", "0.5 GB", 256, 512},
                                         {"2vCPU", "2gb", 2048, 2048},
                                         {"512", "512", 512, 512},
                                         {" 1024 ", "3072", 1024, 3072}}) {
    json j = Minimal();
    j["cpu"] = c.cpu;
    j["memory"] = c.memory;
    TaskDefinition td = MustParse(j);
    EXPECT_EQ(td.document["cpu"], std::to_string(c.cpu_units)) << c.cpu;
    EXPECT_EQ(td.document["memory"], std::to_string(c.memory_mib)) << c.memory;
    EXPECT_EQ(td.cpu, c.cpu_units);
    EXPECT_EQ(td.memory, c.memory_mib);
  }
}

TEST(ParseCpuUnitsAndMemory, Formats) {
  EXPECT_EQ(ParseCpuUnits("256"), 256);
  EXPECT_EQ(ParseCpuUnits("0"), 0);
  EXPECT_EQ(ParseCpuUnits("1 vCPU"), 1024);
  EXPECT_EQ(ParseCpuUnits("1 VCPU"), 1024);
  EXPECT_EQ(ParseCpuUnits("0.125 vCPU"), 128);
  EXPECT_EQ(ParseCpuUnits("16 vCPU"), 16384);
  EXPECT_EQ(ParseCpuUnits("2147483647"), 2147483647);
  EXPECT_EQ(ParseMemoryMiB("1 GB"), 1024);
  EXPECT_EQ(ParseMemoryMiB("1GB"), 1024);
  EXPECT_EQ(ParseMemoryMiB("120 GB"), 122880);
  EXPECT_EQ(ParseMemoryMiB("0.75GB"), 768);
  for (const char* bad : {"", " ", "abc", "1.5", "-1", "+1", "1 TB", "1 vCPU", "1 GB extra",
                          ".5 GB", "1. GB", "1,024", "2147483648", "99999999999", "0x10",
                          "0.0000001 GB", "0.001 GB", "1 G B", "1\tGB\n"}) {
    EXPECT_FALSE(ParseMemoryMiB(bad)) << bad;
  }
  for (const char* bad : {"", "abc", "1.5", "1 GB", "vCPU", "0.001 vCPU", "1e3"}) {
    EXPECT_FALSE(ParseCpuUnits(bad)) << bad;
  }
  EXPECT_FALSE(ParseCpuUnits(std::string_view("1\0 vCPU", 7)));
  EXPECT_EQ(ParseMemoryMiB("1\tGB"), 1024);
}

TEST(ParseTaskDefinition, StripsControlPlaneStampedMembers) {
  json j = Minimal();
  j["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
  j["revision"] = 3;
  j["status"] = "ACTIVE";
  j["registeredAt"] = 1621198756.207;
  j["registeredBy"] = "arn:aws:iam::123456789012:root";
  j["deregisteredAt"] = 1621198757.0;
  j["compatibilities"] = {"EC2", "EXTERNAL"};
  j["requiresAttributes"] = json::array({{{"name", "ecs.capability.task-eni"}}});
  TaskDefinition td = MustParse(j);
  for (const char* k : {"taskDefinitionArn", "revision", "status", "registeredAt", "registeredBy",
                        "deregisteredAt", "compatibilities", "requiresAttributes"}) {
    EXPECT_FALSE(td.document.contains(k)) << k;
  }
  EXPECT_EQ(td.revision, 0);
  EXPECT_TRUE(td.arn.empty());
}

TEST(ParseTaskDefinition, KeepsUnknownMembers) {
  json j = Minimal();
  j["pidMode"] = "task";
  j["someFutureField"] = {{"nested", json::array({1, 2})}};
  j["containerDefinitions"][0]["futureContainerField"] = "x";
  j["containerDefinitions"][0]["linuxParameters"] = {{"initProcessEnabled", true}};
  j["containerDefinitions"][0]["dockerLabels"] = {{"a", "b"}};
  TaskDefinition td = MustParse(j);
  EXPECT_EQ(td.document["pidMode"], "task");
  EXPECT_EQ(td.document["someFutureField"], j["someFutureField"]);
  EXPECT_EQ(td.document["containerDefinitions"][0]["futureContainerField"], "x");
  EXPECT_EQ(td.document["containerDefinitions"][0]["linuxParameters"]["initProcessEnabled"], true);
  EXPECT_EQ(td.document["containerDefinitions"][0]["dockerLabels"]["a"], "b");
}

TEST(ParseTaskDefinition, NullsAndEmptyListsAreAbsent) {
  json j = json::parse(R"({
    "family": "web",
    "taskRoleArn": null,
    "cpu": null,
    "volumes": null,
    "placementConstraints": [],
    "requiresCompatibilities": [],
    "tags": [],
    "unknown": {"a": null, "b": 1},
    "containerDefinitions": [{
      "name": "app", "image": "nginx", "memory": 128, "memoryReservation": null,
      "command": [], "entryPoint": null, "portMappings": [], "environment": null,
      "healthCheck": null, "dependsOn": [], "secrets": []
    }]
  })");
  TaskDefinition td = MustParse(j);
  const json& doc = td.document;
  EXPECT_FALSE(doc.contains("taskRoleArn"));
  EXPECT_FALSE(doc.contains("cpu"));
  EXPECT_FALSE(doc.contains("requiresCompatibilities"));
  EXPECT_FALSE(doc.contains("tags"));
  EXPECT_EQ(doc["volumes"], json::array());
  EXPECT_EQ(doc["placementConstraints"], json::array());
  EXPECT_EQ(doc["unknown"], json::parse(R"({"b":1})"));
  const json& c = doc["containerDefinitions"][0];
  for (const char* k :
       {"memoryReservation", "command", "entryPoint", "healthCheck", "dependsOn", "secrets"}) {
    EXPECT_FALSE(c.contains(k)) << k;
  }
  EXPECT_EQ(c["portMappings"], json::array());
  EXPECT_EQ(c["environment"], json::array());
  EXPECT_FALSE(td.containers[0].memory_reservation);
  EXPECT_TRUE(td.containers[0].command.empty());
}

TEST(ParseTaskDefinition, TagsMoveOutOfTheDocument) {
  json j = Minimal();
  j["tags"] = json::parse(R"([{"key":"team","value":"web"}])");
  TaskDefinition td = MustParse(j);
  EXPECT_FALSE(td.document.contains("tags"));
  ASSERT_EQ(td.tags.size(), 1u);
  EXPECT_EQ(td.tags[0].key, "team");
  EXPECT_EQ(td.tags[0].value, "web");
}

TEST(ParseTaskDefinition, TagErrors) {
  json j = Minimal();
  j["tags"] = json::parse(R"([{"key":"aws:x","value":"v"}])");
  EXPECT_EQ(ErrorOf(j), "Tag keys beginning with 'aws:' are reserved for AWS use.");
  j["tags"] = json::array();
  for (int i = 0; i < 51; ++i) j["tags"].push_back({{"key", "k" + std::to_string(i)}});
  EXPECT_EQ(ErrorOf(j), "A resource can have at most 50 tags.");
  j["tags"] = json::array({{{"key", std::string(129, 'k')}}});
  EXPECT_EQ(ErrorOf(j), "Tag keys must be between 1 and 128 characters long.");
  j["tags"] = json::array({{{"key", "k"}, {"value", std::string(257, 'v')}}});
  EXPECT_EQ(ErrorOf(j), "Tag values must be at most 256 characters long.");
  j["tags"] = "team=web";
  EXPECT_EQ(ErrorOf(j), "tags must be a list.");
}

TEST(ParseTaskDefinition, RequiresCompatibilitiesEchoedOnlyIfSent) {
  json j = Minimal();
  j["requiresCompatibilities"] = {"EC2"};
  TaskDefinition td = MustParse(j);
  EXPECT_EQ(td.document["requiresCompatibilities"], json::array({"EC2"}));
  EXPECT_EQ(td.requires_compatibilities, std::vector<std::string>{"EC2"});
  EXPECT_FALSE(MustParse(Minimal()).document.contains("requiresCompatibilities"));
}

TEST(ParseTaskDefinition, ContainerTypedFields) {
  json j = json::parse(R"({
    "family": "laravel",
    "networkMode": "bridge",
    "containerDefinitions": [{
      "name": "worker",
      "image": "app:1",
      "entryPoint": ["php"],
      "command": ["artisan", "queue:work"],
      "environment": [{"name": "APP_ENV", "value": "production"}, {"name": "EMPTY"},
                      {"value": "nameless"}],
      "workingDirectory": "/var/www",
      "user": "www-data:www-data",
      "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
      "cpu": 512,
      "memory": 256,
      "memoryReservation": 128,
      "essential": false,
      "startTimeout": 60,
      "stopTimeout": 300,
      "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"},
                    {"containerName": "db", "condition": "HEALTHY"},
                    {"containerName": "db", "condition": "START"}]
    }, {
      "name": "migrate", "image": "app:1", "memory": 64, "essential": false,
      "dependsOn": [{"containerName": "db", "condition": "COMPLETE"}]
    }, {
      "name": "db", "image": "mysql:8", "memory": 512, "essential": false,
      "healthCheck": {"command": ["CMD-SHELL", "mysqladmin ping"], "startPeriod": 10}
    }, {
      "name": "web", "image": "nginx", "memory": 64
    }]
  })");
  // "db" is the target of a COMPLETE dependency, so it must not be essential; "web" is.
  TaskDefinition td = MustParse(j);
  ASSERT_EQ(td.containers.size(), 4u);
  const ContainerDefinition& w = td.containers[0];
  EXPECT_EQ(w.entry_point, std::vector<std::string>{"php"});
  EXPECT_EQ(w.command, (std::vector<std::string>{"artisan", "queue:work"}));
  ASSERT_EQ(w.environment.size(), 2u);
  EXPECT_EQ(w.environment[0].name, "APP_ENV");
  EXPECT_EQ(w.environment[0].value, "production");
  EXPECT_EQ(w.environment[1].name, "EMPTY");
  EXPECT_EQ(w.environment[1].value, "");
  EXPECT_EQ(w.working_directory, "/var/www");
  EXPECT_EQ(w.user, "www-data:www-data");
  ASSERT_EQ(w.ulimits.size(), 1u);
  EXPECT_EQ(w.ulimits[0].name, "nofile");
  EXPECT_EQ(w.ulimits[0].soft_limit, 1024);
  EXPECT_EQ(w.ulimits[0].hard_limit, 4096);
  EXPECT_EQ(w.cpu, 512);
  EXPECT_EQ(w.memory, 256);
  EXPECT_EQ(w.memory_reservation, 128);
  EXPECT_FALSE(w.essential);
  EXPECT_EQ(w.start_timeout_s, 60);
  EXPECT_EQ(w.stop_timeout_s, 300);
  ASSERT_EQ(w.depends_on.size(), 3u);
  EXPECT_EQ(w.depends_on[0].container_name, "migrate");
  EXPECT_EQ(w.depends_on[0].condition, DependencyCondition::kSuccess);
  EXPECT_EQ(w.depends_on[1].condition, DependencyCondition::kHealthy);
  EXPECT_EQ(w.depends_on[2].condition, DependencyCondition::kStart);
  EXPECT_EQ(td.containers[1].depends_on[0].condition, DependencyCondition::kComplete);
  const ContainerDefinition& db = td.containers[2];
  ASSERT_TRUE(db.health_check);
  EXPECT_EQ(db.health_check->command, (std::vector<std::string>{"CMD-SHELL", "mysqladmin ping"}));
  EXPECT_EQ(db.health_check->interval_s, 30);
  EXPECT_EQ(db.health_check->timeout_s, 5);
  EXPECT_EQ(db.health_check->retries, 3);
  EXPECT_EQ(db.health_check->start_period_s, 10);
  EXPECT_FALSE(w.health_check);
  EXPECT_FALSE(w.stop_timeout_s == std::nullopt);
  EXPECT_FALSE(td.containers[3].stop_timeout_s);
  // The environment is kept as sent in the document, nameless entry included.
  EXPECT_EQ(td.document["containerDefinitions"][0]["environment"].size(), 3u);
}

TEST(ParseTaskDefinition, HealthCheckDefaults) {
  TaskDefinition td = MustParse(WithContainer([](json& c) {
    c["healthCheck"] = {{"command", {"CMD", "curl", "-f", "localhost"}}};
  }));
  const json& hc = td.document["containerDefinitions"][0]["healthCheck"];
  EXPECT_EQ(hc["interval"], 30);
  EXPECT_EQ(hc["timeout"], 5);
  EXPECT_EQ(hc["retries"], 3);
  EXPECT_FALSE(hc.contains("startPeriod"));
  ASSERT_TRUE(td.containers[0].health_check);
  EXPECT_EQ(td.containers[0].health_check->start_period_s, 0);

  td = MustParse(WithContainer([](json& c) {
    c["healthCheck"] = {{"command", {"CMD-SHELL", "true"}},
                        {"interval", 10},
                        {"timeout", 3},
                        {"retries", 5},
                        {"startPeriod", 0}};
  }));
  const HealthCheck& h = *td.containers[0].health_check;
  EXPECT_EQ(h.interval_s, 10);
  EXPECT_EQ(h.timeout_s, 3);
  EXPECT_EQ(h.retries, 5);
  EXPECT_EQ(td.document["containerDefinitions"][0]["healthCheck"]["startPeriod"], 0);
}

TEST(ParseTaskDefinition, HealthCheckNoneDisablesTheCheck) {
  TaskDefinition td = MustParse(WithContainer([](json& c) {
    c["healthCheck"] = {{"command", {"NONE"}}};
  }));
  EXPECT_FALSE(td.containers[0].health_check);
  EXPECT_EQ(td.document["containerDefinitions"][0]["healthCheck"]["command"],
            json::array({"NONE"}));
}

TEST(ParseTaskDefinition, PortMappingsGetProtocolAndBridgeKeepsHostPort) {
  TaskDefinition td = MustParse(WithContainer([](json& c) {
    c["portMappings"] = json::parse(
        R"([{"containerPort": 80}, {"containerPort": 53, "hostPort": 5353, "protocol": "udp"},
            {"containerPort": 8080, "hostPort": 0}])");
  }));
  const json& pms = td.document["containerDefinitions"][0]["portMappings"];
  EXPECT_EQ(pms[0], json::parse(R"({"containerPort": 80, "protocol": "tcp"})"));
  EXPECT_EQ(pms[1], json::parse(R"({"containerPort": 53, "hostPort": 5353, "protocol": "udp"})"));
  EXPECT_EQ(pms[2]["hostPort"], 0);
  const auto& typed = td.containers[0].port_mappings;
  ASSERT_EQ(typed.size(), 3u);
  EXPECT_EQ(typed[0].container_port, 80);
  EXPECT_EQ(typed[0].host_port, 0);
  EXPECT_EQ(typed[0].protocol, "tcp");
  EXPECT_EQ(typed[1].host_port, 5353);
  EXPECT_EQ(typed[1].protocol, "udp");
}

TEST(ParseTaskDefinition, AwsvpcAndHostSetHostPortToContainerPort) {
  for (const char* mode : {"awsvpc", "host"}) {
    json j = WithContainer([](json& c) {
      c["portMappings"] = json::parse(
          R"([{"containerPort": 80}, {"containerPort": 443, "hostPort": 443},
              {"containerPort": 9000, "hostPort": 0}])");
    });
    j["networkMode"] = mode;
    TaskDefinition td = MustParse(j);
    const json& pms = td.document["containerDefinitions"][0]["portMappings"];
    EXPECT_EQ(pms[0], json::parse(R"({"containerPort": 80, "hostPort": 80, "protocol": "tcp"})"));
    EXPECT_EQ(pms[1]["hostPort"], 443);
    EXPECT_EQ(pms[2]["hostPort"], 9000);
    EXPECT_EQ(td.containers[0].port_mappings[0].host_port, 80);
    EXPECT_EQ(td.document["networkMode"], mode);
    EXPECT_EQ(td.network_mode, mode);
  }
}

TEST(ParseTaskDefinition, PortRangeMappingIsKeptButNotBound) {
  TaskDefinition td = MustParse(WithContainer([](json& c) {
    c["portMappings"] = json::parse(R"([{"containerPortRange": "8000-8010"}])");
  }));
  EXPECT_TRUE(td.containers[0].port_mappings.empty());
  EXPECT_EQ(td.document["containerDefinitions"][0]["portMappings"][0]["containerPortRange"],
            "8000-8010");
}

TEST(ParseTaskDefinition, LogConfigurationGetsSecretOptions) {
  TaskDefinition td = MustParse(WithContainer([](json& c) {
    c["logConfiguration"] = {{"logDriver", "awslogs"},
                             {"options", {{"awslogs-group", "/ecs/web"}}}};
  }));
  const json& lc = td.document["containerDefinitions"][0]["logConfiguration"];
  EXPECT_EQ(lc["secretOptions"], json::array());
  EXPECT_EQ(lc["options"]["awslogs-group"], "/ecs/web");
  td = MustParse(WithContainer([](json& c) {
    c["logConfiguration"] = json::parse(
        R"({"logDriver": "splunk", "secretOptions": [{"name": "splunk-token", "valueFrom": "arn"}]})");
  }));
  EXPECT_EQ(td.document["containerDefinitions"][0]["logConfiguration"]["secretOptions"].size(), 1u);
}

TEST(ParseTaskDefinition, RenderActionReadmeSampleParses) {
  TaskDefinition td = MustParse(RenderActionReadmeSample());
  EXPECT_EQ(td.family, "task-def-family");
  EXPECT_EQ(td.network_mode, "awsvpc");
  EXPECT_EQ(td.cpu, 256);
  EXPECT_EQ(td.memory, 512);
  EXPECT_EQ(td.requires_compatibilities, std::vector<std::string>{"FARGATE"});
  EXPECT_EQ(td.document["executionRoleArn"], "arn:aws:iam::111122223333:role/ecsTaskExecutionRole");
  ASSERT_EQ(td.containers.size(), 1u);
  EXPECT_EQ(td.containers[0].port_mappings[0].host_port, 80);
  EXPECT_EQ(td.containers[0].environment[0].name, "LOG_LEVEL");
  const json& c = td.document["containerDefinitions"][0];
  EXPECT_EQ(c["logConfiguration"]["options"]["awslogs-stream-prefix"], "ecs");
  EXPECT_EQ(c["logConfiguration"]["secretOptions"], json::array());
  EXPECT_EQ(c["cpu"], 0);
  EXPECT_EQ(td.ReservedMemoryMiB(), 512);
  EXPECT_EQ(td.ReservedCpuUnits(), 256);
}

TEST(ParseTaskDefinition, RenderActionIntegSampleParses) {
  TaskDefinition td = MustParse(RenderActionIntegSample());
  ASSERT_EQ(td.containers.size(), 2u);
  EXPECT_EQ(td.containers[0].cpu, 256);
  EXPECT_EQ(td.containers[0].memory_reservation, 512);
  EXPECT_EQ(td.containers[1].entry_point, (std::vector<std::string>{"sh", "-c"}));
  EXPECT_TRUE(td.containers[1].essential);
  ASSERT_EQ(td.tags.size(), 1u);
  EXPECT_EQ(td.tags[0].key, "test-name");
  EXPECT_FALSE(td.document.contains("tags"));
}

// ---- Round trip: a parsed document parses to itself (stored documents are re-parsed).

TEST(ParseTaskDefinition, DocumentRoundTrips) {
  json with_everything = json::parse(R"({
    "family": "full",
    "taskRoleArn": "arn:aws:iam::123456789012:role/task",
    "networkMode": "host",
    "cpu": "2 vCPU",
    "memory": "4 GB",
    "volumes": [{"name": "data", "host": {"sourcePath": "/srv/data"}}],
    "placementConstraints": [{"type": "memberOf", "expression": "attribute:x == y"}],
    "requiresCompatibilities": ["EC2", "EXTERNAL"],
    "tags": [{"key": "a", "value": "b"}],
    "ephemeralStorage": {"sizeInGiB": 30},
    "containerDefinitions": [{
      "name": "app", "image": "app:1", "memoryReservation": 256,
      "portMappings": [{"containerPort": 8080, "name": "http", "appProtocol": "http"}],
      "healthCheck": {"command": ["CMD", "true"], "startPeriod": 5},
      "logConfiguration": {"logDriver": "json-file"},
      "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
      "ulimits": [{"name": "nofile", "softLimit": 65535, "hardLimit": 65535}],
      "dependsOn": [{"containerName": "side", "condition": "START"}],
      "stopTimeout": 10
    }, {
      "name": "side", "image": "side:1", "essential": false, "memory": 32
    }]
  })");
  for (const json& input : {Minimal(), FargateMinimal(), RenderActionReadmeSample(),
                            RenderActionIntegSample(), with_everything}) {
    TaskDefinition first = MustParse(input);
    TaskDefinition second = MustParse(first.document);
    EXPECT_EQ(second.document, first.document) << input.dump();
    EXPECT_EQ(second.containers.size(), first.containers.size());
    EXPECT_EQ(second.cpu, first.cpu);
    EXPECT_EQ(second.memory, first.memory);
  }
}

TEST(ParseTaskDefinition, DescribeOutputReRegisters) {
  // What a client gets from DescribeTaskDefinition (document + stamped members + tags).
  TaskDefinition first = MustParse(RenderActionIntegSample());
  json described = first.document;
  described["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1";
  described["revision"] = 1;
  described["status"] = "ACTIVE";
  described["compatibilities"] = {"EC2", "FARGATE"};
  described["requiresAttributes"] = json::array();
  described["registeredAt"] = 1621198756.207;
  described["registeredBy"] = "arn:aws:iam::123456789012:root";
  EXPECT_EQ(MustParse(described).document, first.document);
}

// ---- Validation: task level

TEST(Validation, Family) {
  json j = Minimal();
  j.erase("family");
  EXPECT_EQ(ErrorOf(j), "Family can not be blank.");
  j["family"] = "";
  EXPECT_EQ(ErrorOf(j), "Family can not be blank.");
  j["family"] = nullptr;
  EXPECT_EQ(ErrorOf(j), "Family can not be blank.");
  j["family"] = 7;
  EXPECT_EQ(ErrorOf(j), "family must be a string.");
  const std::string bad_name =
      "'. Family names can have up to 255 letters (uppercase and lowercase), numbers, hyphens, "
      "and underscores.";
  j["family"] = "my.family";
  EXPECT_EQ(ErrorOf(j), "Invalid family 'my.family" + bad_name);
  j["family"] = "a b";
  EXPECT_EQ(ErrorOf(j), "Invalid family 'a b" + bad_name);
  j["family"] = std::string("a\0b", 3);
  EXPECT_EQ(ErrorOf(j), "Invalid family 'a?b" + bad_name);
  j["family"] = std::string(256, 'f');
  EXPECT_EQ(ErrorOf(j), "Invalid family '" + std::string(64, 'f') + "..." + bad_name);
  j["family"] = std::string(255, 'f');
  EXPECT_EQ(ErrorOf(j), "ok");
  j["family"] = "Az09_-";
  EXPECT_EQ(ErrorOf(j), "ok");
}

TEST(Validation, ContainerList) {
  json j = Minimal();
  j.erase("containerDefinitions");
  EXPECT_EQ(ErrorOf(j), "Container list cannot be empty.");
  j["containerDefinitions"] = json::array();
  EXPECT_EQ(ErrorOf(j), "Container list cannot be empty.");
  j["containerDefinitions"] = nullptr;
  EXPECT_EQ(ErrorOf(j), "Container list cannot be empty.");
  j["containerDefinitions"] = json::object();
  EXPECT_EQ(ErrorOf(j), "containerDefinitions must be a list.");
  j["containerDefinitions"] = json::array({"app"});
  EXPECT_EQ(ErrorOf(j), "containerDefinitions[0] must be an object.");
  j["containerDefinitions"] = json::array();
  for (int i = 0; i < 10; ++i)
    j["containerDefinitions"].push_back(Container("c" + std::to_string(i)));
  EXPECT_EQ(ErrorOf(j), "ok");
  j["containerDefinitions"].push_back(Container("c10"));
  EXPECT_EQ(ErrorOf(j), "Too many containers: a task definition can have at most 10 containers.");
}

TEST(Validation, NetworkModeAndCompatibilities) {
  json j = Minimal();
  for (const char* mode : {"bridge", "host", "awsvpc", "none"}) {
    j["networkMode"] = mode;
    EXPECT_EQ(ErrorOf(j), "ok") << mode;
  }
  j["networkMode"] = "nat";
  EXPECT_EQ(ErrorOf(j),
            "1 validation error detected: Value 'nat' at 'networkMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [bridge, host, awsvpc, none]");
  j["networkMode"] = "AWSVPC";
  EXPECT_NE(ErrorOf(j), "ok");
  j["networkMode"] = 1;
  EXPECT_EQ(ErrorOf(j), "networkMode must be a string.");
  j = Minimal();
  j["requiresCompatibilities"] = {"EC2", "EXTERNAL", "MANAGED_INSTANCES"};
  EXPECT_EQ(ErrorOf(j), "ok");
  j["requiresCompatibilities"] = {"EC2", "LAMBDA"};
  EXPECT_EQ(ErrorOf(j),
            "1 validation error detected: Value 'LAMBDA' at 'requiresCompatibilities[1]' failed "
            "to satisfy constraint: Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL, "
            "MANAGED_INSTANCES]");
  j["requiresCompatibilities"] = "EC2";
  EXPECT_EQ(ErrorOf(j), "requiresCompatibilities must be a list.");
  j["requiresCompatibilities"] = {1};
  EXPECT_EQ(ErrorOf(j), "requiresCompatibilities[0] must be a string.");
}

TEST(Validation, TaskCpuAndMemory) {
  json j = Minimal();
  j["cpu"] = "127";
  EXPECT_EQ(ErrorOf(j),
            "Invalid 'cpu' setting for task. The task cpu must be between 128 and 196608 CPU "
            "units.");
  j["cpu"] = "196609";
  EXPECT_NE(ErrorOf(j), "ok");
  j["cpu"] = "0.1 vCPU";  // 102.4 units: not a whole number
  EXPECT_EQ(ErrorOf(j),
            "Invalid 'cpu' setting for task: '0.1 vCPU'. Use CPU units (\"1024\") or vCPUs "
            "(\"1 vCPU\").");
  j["cpu"] = "128";
  EXPECT_EQ(ErrorOf(j), "ok");
  j["cpu"] = "196608";
  EXPECT_EQ(ErrorOf(j), "ok");
  j["cpu"] = "192 vCPU";
  EXPECT_EQ(ErrorOf(j), "ok");
  j["cpu"] = 256;
  EXPECT_EQ(ErrorOf(j), "cpu must be a string.");
  j = Minimal();
  j["memory"] = "lots";
  EXPECT_EQ(ErrorOf(j),
            "Invalid 'memory' setting for task: 'lots'. Use MiB (\"1024\") or GB (\"1 GB\").");
  j["memory"] = "0";
  EXPECT_EQ(ErrorOf(j),
            "Invalid 'memory' setting for task. The task memory must be greater than 0.");
  j["memory"] = 512;
  EXPECT_EQ(ErrorOf(j), "memory must be a string.");
}

// ---- Validation: containers

TEST(Validation, ContainerNameAndImage) {
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c.erase("name"); })),
            "Container.name should not be null or empty.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["name"] = ""; })),
            "Container.name should not be null or empty.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["name"] = nullptr; })),
            "Container.name should not be null or empty.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["name"] = 3; })),
            "containerDefinitions[0].name must be a string.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["name"] = "my app"; })),
            "Invalid container name 'my app'. Container names can have up to 255 letters "
            "(uppercase and lowercase), numbers, hyphens, and underscores.");
  EXPECT_NE(ErrorOf(WithContainer([](json& c) { c["name"] = std::string(256, 'n'); })), "ok");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["name"] = std::string(255, 'n'); })), "ok");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c.erase("image"); })),
            "Container.image should not be null or empty.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["image"] = ""; })),
            "Container.image should not be null or empty.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["image"] = json::array({"nginx"}); })),
            "containerDefinitions[0].image must be a string.");
}

TEST(Validation, DuplicateContainerNames) {
  json j = Minimal();
  j["containerDefinitions"] = json::array({Container("app"), Container("side"), Container("app")});
  EXPECT_EQ(ErrorOf(j),
            "Invalid setting for container 'app'. Container names must be unique within a task "
            "definition.");
}

TEST(Validation, ContainerMemory) {
  const std::string neither =
      "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' "
      "must be specified.";
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c.erase("memory"); })), neither);
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memory"] = nullptr; })), neither);
  json j = WithContainer([](json& c) { c.erase("memory"); });
  j["memory"] = "512";
  EXPECT_EQ(ErrorOf(j), "ok");  // task-level memory suffices
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c.erase("memory");
              c["memoryReservation"] = 64;
            })),
            "ok");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memoryReservation"] = 129; })),
            "Invalid setting for container 'app'. The memory reservation must be less than or "
            "equal to the hard memory limit.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memoryReservation"] = 128; })), "ok");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memory"] = 0; })),
            "Invalid setting for container 'app'. 'memory' must be greater than 0.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memoryReservation"] = -1; })),
            "Invalid setting for container 'app'. 'memoryReservation' must be greater than 0.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memory"] = "512"; })),
            "containerDefinitions[0].memory must be an integer.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memory"] = 512.5; })),
            "containerDefinitions[0].memory must be an integer.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memory"] = 4294967296LL; })),
            "containerDefinitions[0].memory is out of range.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["cpu"] = -1; })),
            "Invalid setting for container 'app'. 'cpu' must not be negative.");
}

TEST(Validation, EssentialContainer) {
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["essential"] = false; })),
            "At least one essential container is required.");
  EXPECT_EQ(ErrorOf(TwoContainers([](json& app, json& init) { init["essential"] = false; })), "ok");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["essential"] = "true"; })),
            "containerDefinitions[0].essential must be a boolean.");
}

TEST(Validation, DependsOn) {
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["dependsOn"] = json::parse(R"([{"containerName":"db","condition":"START"}])");
            })),
            "Invalid setting for container 'app'. dependsOn names unknown container 'db'.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["dependsOn"] = json::parse(R"([{"containerName":"app","condition":"START"}])");
            })),
            "Invalid setting for container 'app'. Container dependencies must not form a cycle.");
  EXPECT_EQ(ErrorOf(TwoContainers([](json& app, json& init) {
              app["dependsOn"] = json::parse(R"([{"containerName":"init","condition":"START"}])");
              init["dependsOn"] = json::parse(R"([{"containerName":"app","condition":"START"}])");
            })),
            "Invalid setting for container 'app'. Container dependencies must not form a cycle.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["dependsOn"] = json::parse(R"([{"containerName":"app","condition":"LATER"}])");
            })),
            "1 validation error detected: Value 'LATER' at "
            "'containerDefinitions[0].dependsOn[0].condition' failed to satisfy constraint: "
            "Member must satisfy enum value set: [START, COMPLETE, SUCCESS, HEALTHY]");
  EXPECT_EQ(ErrorOf(WithContainer(
                [](json& c) { c["dependsOn"] = json::parse(R"([{"condition":"START"}])"); })),
            "containerDefinitions[0].dependsOn[0].containerName is required.");
  EXPECT_EQ(ErrorOf(WithContainer(
                [](json& c) { c["dependsOn"] = json::parse(R"([{"containerName":"app"}])"); })),
            "containerDefinitions[0].dependsOn[0].condition is required.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["dependsOn"] = {{"containerName", "x"}};
            })),
            "containerDefinitions[0].dependsOn must be a list.");
}

TEST(Validation, DependencyConditionsVersusTarget) {
  for (const char* cond : {"COMPLETE", "SUCCESS"}) {
    json dep = {{{"containerName", "init"}, {"condition", cond}}};
    EXPECT_EQ(ErrorOf(TwoContainers([&](json& app, json& init) { app["dependsOn"] = dep; })),
              "Invalid setting for container 'app'. Container 'init' is essential, so it cannot "
              "be a COMPLETE or SUCCESS dependency.");
    EXPECT_EQ(ErrorOf(TwoContainers([&](json& app, json& init) {
                app["dependsOn"] = dep;
                init["essential"] = false;
              })),
              "ok");
  }
  json healthy = {{{"containerName", "init"}, {"condition", "HEALTHY"}}};
  EXPECT_EQ(ErrorOf(TwoContainers([&](json& app, json& init) { app["dependsOn"] = healthy; })),
            "Invalid setting for container 'app'. Container 'init' has no health check, so it "
            "cannot be a HEALTHY dependency.");
  EXPECT_NE(ErrorOf(TwoContainers([&](json& app, json& init) {
              app["dependsOn"] = healthy;
              init["healthCheck"] = {{"command", {"NONE"}}};
            })),
            "ok");
  EXPECT_EQ(ErrorOf(TwoContainers([&](json& app, json& init) {
              app["dependsOn"] = healthy;
              init["healthCheck"] = {{"command", {"CMD", "true"}}};
            })),
            "ok");
  // A longer chain without a cycle is fine; a diamond too.
  json j = Minimal();
  j["containerDefinitions"] =
      json::array({Container("a"), Container("b"), Container("c"), Container("d")});
  j["containerDefinitions"][0]["dependsOn"] =
      json::parse(R"([{"containerName":"b","condition":"START"},
                      {"containerName":"c","condition":"START"}])");
  j["containerDefinitions"][1]["dependsOn"] =
      json::parse(R"([{"containerName":"d","condition":"START"}])");
  j["containerDefinitions"][2]["dependsOn"] =
      json::parse(R"([{"containerName":"d","condition":"START"}])");
  EXPECT_EQ(ErrorOf(j), "ok");
  j["containerDefinitions"][3]["dependsOn"] =
      json::parse(R"([{"containerName":"a","condition":"START"}])");
  EXPECT_EQ(ErrorOf(j),
            "Invalid setting for container 'a'. Container dependencies must not form a cycle.");
}

TEST(Validation, HealthCheck) {
  auto with_hc = [](json hc) { return WithContainer([&](json& c) { c["healthCheck"] = hc; }); };
  const std::string p = "Invalid setting for container 'app'. ";
  EXPECT_EQ(ErrorOf(with_hc(json::object())), p + "The health check command must not be empty.");
  EXPECT_EQ(ErrorOf(with_hc({{"command", json::array()}})),
            p + "The health check command must not be empty.");
  EXPECT_EQ(ErrorOf(with_hc({{"command", {"curl", "-f", "localhost"}}})),
            p + "The health check command must start with CMD, CMD-SHELL or NONE.");
  EXPECT_EQ(ErrorOf(with_hc({{"command", {"cmd", "true"}}})),
            p + "The health check command must start with CMD, CMD-SHELL or NONE.");
  EXPECT_EQ(ErrorOf(with_hc({{"command", {"CMD"}}})),
            p + "The health check command must name a command after CMD.");
  EXPECT_EQ(ErrorOf(with_hc({{"command", {"CMD-SHELL"}}})),
            p + "The health check command must name a command after CMD-SHELL.");
  EXPECT_EQ(ErrorOf(with_hc({{"command", "CMD-SHELL true"}})),
            "containerDefinitions[0].healthCheck.command must be a list.");
  EXPECT_EQ(ErrorOf(with_hc(json::array())),
            "containerDefinitions[0].healthCheck must be an object.");
  struct Range {
    const char* name;
    int lo, hi;
    const char* message;
  };
  for (const Range& r : std::vector<Range>{
           {"interval", 5, 300, "The health check interval must be between 5 and 300 seconds."},
           {"timeout", 2, 60, "The health check timeout must be between 2 and 60 seconds."},
           {"retries", 1, 10, "The health check retries must be between 1 and 10."},
           {"startPeriod", 0, 300,
            "The health check start period must be between 0 and 300 seconds."}}) {
    json hc = {{"command", {"CMD", "true"}}};
    hc[r.name] = r.lo;
    EXPECT_EQ(ErrorOf(with_hc(hc)), "ok") << r.name;
    hc[r.name] = r.hi;
    EXPECT_EQ(ErrorOf(with_hc(hc)), "ok") << r.name;
    hc[r.name] = r.lo - 1;
    EXPECT_EQ(ErrorOf(with_hc(hc)), p + r.message);
    hc[r.name] = r.hi + 1;
    EXPECT_EQ(ErrorOf(with_hc(hc)), p + r.message);
    hc[r.name] = "10";
    EXPECT_EQ(ErrorOf(with_hc(hc)), std::string("containerDefinitions[0].healthCheck.") + r.name +
                                        " must be an integer.");
  }
}

TEST(Validation, PortMappings) {
  const std::string p = "Invalid setting for container 'app'. ";
  auto with_pm = [](const char* mode, json pm) {
    json j = WithContainer([&](json& c) { c["portMappings"] = json::array({pm}); });
    j["networkMode"] = mode;
    return j;
  };
  EXPECT_EQ(ErrorOf(with_pm("awsvpc", {{"containerPort", 80}, {"hostPort", 8080}})),
            p + "When networkMode=awsvpc, the host ports and container ports in port mappings "
                "must match.");
  EXPECT_EQ(ErrorOf(with_pm("host", {{"containerPort", 80}, {"hostPort", 8080}})),
            p + "When networkMode=host, the host ports and container ports in port mappings "
                "must match.");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 80}, {"hostPort", 8080}})), "ok");
  EXPECT_EQ(ErrorOf(with_pm("none", {{"containerPort", 80}})),
            p + "Port mappings are not supported when networkMode=none.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["portMappings"] = json::array(); })), "ok");
  json none_empty = Minimal();
  none_empty["networkMode"] = "none";
  EXPECT_EQ(ErrorOf(none_empty), "ok");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 0}})),
            p + "Container ports must be between 1 and 65535.");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 65536}})),
            p + "Container ports must be between 1 and 65535.");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 65535}, {"hostPort", 65535}})), "ok");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 80}, {"hostPort", -1}})),
            p + "Host ports must be between 0 and 65535.");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 80}, {"hostPort", 70000}})),
            p + "Host ports must be between 0 and 65535.");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"hostPort", 80}})),
            "containerDefinitions[0].portMappings[0].containerPort is required.");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", 80}, {"protocol", "sctp"}})),
            "1 validation error detected: Value 'sctp' at "
            "'containerDefinitions[0].portMappings[0].protocol' failed to satisfy constraint: "
            "Member must satisfy enum value set: [tcp, udp]");
  EXPECT_EQ(ErrorOf(with_pm("bridge", {{"containerPort", "80"}})),
            "containerDefinitions[0].portMappings[0].containerPort must be an integer.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["portMappings"] = {{"containerPort", 80}};
            })),
            "containerDefinitions[0].portMappings must be a list.");
}

TEST(Validation, LogConfiguration) {
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["logConfiguration"] = {{"options", {{"a", "b"}}}};
            })),
            "containerDefinitions[0].logConfiguration.logDriver is required.");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["logConfiguration"] = {{"logDriver", "stdout"}};
            })),
            "1 validation error detected: Value 'stdout' at "
            "'containerDefinitions[0].logConfiguration.logDriver' failed to satisfy constraint: "
            "Member must satisfy enum value set: [json-file, syslog, journald, gelf, fluentd, "
            "awslogs, splunk, awsfirelens]");
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["logConfiguration"] = {{"logDriver", "awslogs"}, {"options", {{"a", 1}}}};
            })),
            "containerDefinitions[0].logConfiguration.options values must be strings.");
}

TEST(Validation, Timeouts) {
  const std::string p = "Invalid setting for container 'app'. ";
  for (const char* name : {"startTimeout", "stopTimeout"}) {
    json j = FargateMinimal();
    json& c = j["containerDefinitions"][0];
    for (int ok : {2, 30, 120}) {
      c[name] = ok;
      EXPECT_EQ(ErrorOf(j), "ok") << name << ok;
    }
    for (int bad : {0, 1, 121, 600}) {
      c[name] = bad;
      EXPECT_EQ(ErrorOf(j), p + "On Fargate, '" + name + "' must be between 2 and 120 seconds.");
    }
    json ec2 = Minimal();
    ec2["containerDefinitions"][0][name] = 600;
    EXPECT_EQ(ErrorOf(ec2), "ok");
    ec2["containerDefinitions"][0][name] = 0;
    EXPECT_EQ(ErrorOf(ec2), "ok");
    ec2["containerDefinitions"][0][name] = -1;
    EXPECT_EQ(ErrorOf(ec2), p + "'" + name + "' must not be negative.");
  }
}

TEST(Validation, Ulimits) {
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) {
              c["ulimits"] = json::parse(R"([{"name":"nofile","softLimit":1}])");
            })),
            "containerDefinitions[0].ulimits[0].hardLimit is required.");
  EXPECT_EQ(ErrorOf(WithContainer(
                [](json& c) { c["ulimits"] = json::parse(R"([{"softLimit":1,"hardLimit":2}])"); })),
            "containerDefinitions[0].ulimits[0].name is required.");
}

TEST(Validation, NulCharactersInExecStrings) {
  const std::string nul("a\0b", 3);
  EXPECT_EQ(ErrorOf(WithContainer([&](json& c) {
              c["command"] = {"sh", nul};
            })),
            "containerDefinitions[0].command[1] must not contain NUL characters.");
  EXPECT_EQ(ErrorOf(WithContainer([&](json& c) { c["entryPoint"] = {nul}; })),
            "containerDefinitions[0].entryPoint[0] must not contain NUL characters.");
  EXPECT_EQ(ErrorOf(WithContainer([&](json& c) { c["image"] = nul; })),
            "containerDefinitions[0].image must not contain NUL characters.");
  EXPECT_EQ(ErrorOf(WithContainer([&](json& c) {
              c["environment"] = {{{"name", "X"}, {"value", nul}}};
            })),
            "containerDefinitions[0].environment[0].value must not contain NUL characters.");
  EXPECT_EQ(ErrorOf(WithContainer([&](json& c) { c["name"] = nul; })),
            "Invalid container name 'a?b'. Container names can have up to 255 letters "
            "(uppercase and lowercase), numbers, hyphens, and underscores.");
  EXPECT_EQ(ErrorOf(WithContainer([&](json& c) {
              c["healthCheck"] = {{"command", {"CMD-SHELL", nul}}};
            })),
            "containerDefinitions[0].healthCheck.command[1] must not contain NUL characters.");
}

// ---- Validation: Fargate

TEST(Fargate, RequiresTaskCpuAndMemory) {
  json j = FargateMinimal();
  EXPECT_EQ(ErrorOf(j), "ok");
  j.erase("cpu");
  EXPECT_EQ(ErrorOf(j), "Fargate requires that 'cpu' be defined at the task level.");
  j = FargateMinimal();
  j.erase("memory");
  j["containerDefinitions"][0]["memory"] = 512;
  EXPECT_EQ(ErrorOf(j), "Fargate requires that 'memory' be defined at the task level.");
  // Even when a container lacks memory, the task-level rule is what ECS reports.
  j["containerDefinitions"][0].erase("memory");
  EXPECT_EQ(ErrorOf(j), "Fargate requires that 'memory' be defined at the task level.");
}

TEST(Fargate, CpuMemoryPairs) {
  json j = FargateMinimal();
  j["memory"] = "256";
  EXPECT_EQ(ErrorOf(j), "No Fargate configuration exists for given values: 256 CPU, 256 memory");
  j["cpu"] = ".25 vCPU";
  EXPECT_NE(ErrorOf(j), "ok");
  j["cpu"] = "1 vCPU";
  j["memory"] = "1 GB";
  EXPECT_EQ(ErrorOf(j), "No Fargate configuration exists for given values: 1024 CPU, 1024 memory");
  struct Pair {
    int cpu;
    int memory;
    bool ok;
  };
  for (const Pair& p :
       std::vector<Pair>{{256, 512, true},      {256, 1024, true},     {256, 2048, true},
                         {256, 3072, false},    {256, 768, false},     {512, 1024, true},
                         {512, 3072, true},     {512, 4096, true},     {512, 512, false},
                         {512, 1536, false},    {512, 5120, false},    {1024, 2048, true},
                         {1024, 8192, true},    {1024, 1024, false},   {1024, 9216, false},
                         {2048, 4096, true},    {2048, 16384, true},   {2048, 17408, false},
                         {4096, 8192, true},    {4096, 30720, true},   {4096, 9216, true},
                         {4096, 31744, false},  {4096, 8704, false},   {8192, 16384, true},
                         {8192, 20480, true},   {8192, 61440, true},   {8192, 18432, false},
                         {8192, 65536, false},  {16384, 32768, true},  {16384, 40960, true},
                         {16384, 122880, true}, {16384, 36864, false}, {16384, 131072, false},
                         {128, 512, false},     {3072, 8192, false},   {32768, 65536, false}}) {
    j["cpu"] = std::to_string(p.cpu);
    j["memory"] = std::to_string(p.memory);
    std::string expected =
        p.ok ? "ok"
             : "No Fargate configuration exists for given values: " + std::to_string(p.cpu) +
                   " CPU, " + std::to_string(p.memory) + " memory";
    EXPECT_EQ(ErrorOf(j), expected);
  }
}

TEST(Fargate, RequiresAwsvpc) {
  json j = FargateMinimal();
  j["networkMode"] = "bridge";
  EXPECT_EQ(ErrorOf(j), "Fargate only supports network mode 'awsvpc'.");
  j.erase("networkMode");  // defaults to bridge
  EXPECT_EQ(ErrorOf(j), "Fargate only supports network mode 'awsvpc'.");
  j["requiresCompatibilities"] = {"EC2", "FARGATE"};
  EXPECT_EQ(ErrorOf(j), "Fargate only supports network mode 'awsvpc'.");
  j["requiresCompatibilities"] = {"EC2"};
  EXPECT_EQ(ErrorOf(j), "ok");
}

// ---- The other functions

TEST(TaskDefinition, FindContainer) {
  TaskDefinition td =
      MustParse(TwoContainers([](json&, json& init) { init["essential"] = false; }));
  ASSERT_NE(td.FindContainer("init"), nullptr);
  EXPECT_EQ(td.FindContainer("init")->name, "init");
  EXPECT_EQ(td.FindContainer("missing"), nullptr);
}

TEST(TaskDefinition, ReservedResources) {
  TaskDefinition td = MustParse(TwoContainers([](json& app, json& init) {
    app["cpu"] = 100;
    app["memory"] = 300;
    app["memoryReservation"] = 200;
    init["cpu"] = 50;
    init.erase("memory");
    init["memoryReservation"] = 20;
  }));
  EXPECT_EQ(td.ReservedMemoryMiB(), 320);  // memory wins over memoryReservation
  EXPECT_EQ(td.ReservedCpuUnits(), 150);
  json j = td.document;
  j["cpu"] = "1 vCPU";
  j["memory"] = "2 GB";
  TaskDefinition with_task_level = MustParse(j);
  EXPECT_EQ(with_task_level.ReservedMemoryMiB(), 2048);
  EXPECT_EQ(with_task_level.ReservedCpuUnits(), 1024);
  TaskDefinition empty;
  EXPECT_EQ(empty.ReservedMemoryMiB(), 0);
  EXPECT_EQ(empty.ReservedCpuUnits(), 0);
  TaskDefinition huge;
  for (int i = 0; i < 3; ++i) {
    ContainerDefinition c;
    c.memory = std::numeric_limits<int>::max();
    c.cpu = std::numeric_limits<int>::max();
    huge.containers.push_back(c);
  }
  EXPECT_EQ(huge.ReservedMemoryMiB(), std::numeric_limits<int>::max());
  EXPECT_EQ(huge.ReservedCpuUnits(), std::numeric_limits<int>::max());
}

TEST(TaskDefinition, StatusNames) {
  EXPECT_EQ(TaskDefinitionStatusName(TaskDefinitionStatus::kActive), "ACTIVE");
  EXPECT_EQ(TaskDefinitionStatusName(TaskDefinitionStatus::kInactive), "INACTIVE");
  EXPECT_EQ(TaskDefinitionStatusName(TaskDefinitionStatus::kDeleteInProgress),
            "DELETE_IN_PROGRESS");
}

// ---- Malformed input never crashes

TEST(Malformed, NonObjectRequests) {
  for (const json& j : {json(), json(1), json("x"), json::array(), json::array({Minimal()}),
                        json(true), json(1.5)}) {
    EXPECT_EQ(ErrorOf(j), "The task definition must be a JSON object.") << j.dump();
  }
  EXPECT_EQ(ErrorOf(json::object()), "Family can not be blank.");
}

TEST(Malformed, DeepNestingIsRejected) {
  json deep = json::array();
  for (int i = 0; i < 10000; ++i) deep = json::array({std::move(deep)});
  json j = Minimal();
  j["unknown"] = std::move(deep);
  EXPECT_EQ(ErrorOf(j), "The task definition is nested too deeply.");
  json shallow = Minimal();
  shallow["unknown"] = json::parse("[[[[[[[[[[1]]]]]]]]]]");
  EXPECT_EQ(ErrorOf(shallow), "ok");
}

TEST(Malformed, HugeNumbers) {
  std::vector<json> values;
  for (const char* literal : {"1e300", "-1e300", "18446744073709551615", "-9223372036854775808",
                              "99999999999999999999999", "2147483648", "-2147483649", "0.5"}) {
    values.push_back(json::parse(literal));
  }
  // Not valid JSON text (nlohmann refuses "1e400" while parsing), but a json value can hold them.
  values.push_back(json(std::numeric_limits<double>::infinity()));
  values.push_back(json(std::numeric_limits<double>::quiet_NaN()));
  for (const json& v : values) {
    json j = WithContainer([&](json& c) { c["memory"] = v; });
    std::string err = ErrorOf(j);
    EXPECT_TRUE(err == "containerDefinitions[0].memory must be an integer." ||
                err == "containerDefinitions[0].memory is out of range.")
        << v.dump() << ": " << err;
  }
  EXPECT_EQ(ErrorOf(WithContainer([](json& c) { c["memory"] = 2147483647; })), "ok");
}

// Replaces every value in the render-action sample, one at a time and at every depth, with
// values of the wrong type; each result must be an error or a definition, never a crash.
TEST(Malformed, EveryMemberWithEveryWrongType) {
  const std::vector<json> weird = {
      json(),
      json(0),
      json(-1),
      json(1.5),
      json(1e300),
      json(std::numeric_limits<uint64_t>::max()),
      json(std::numeric_limits<int64_t>::min()),
      json(true),
      json(""),
      json(std::string("x\0y", 3)),
      json(std::string(100000, 'z')),
      json::array(),
      json::array({nullptr}),
      json::array({1, "a"}),
      json::array({json::array()}),
      json::array({json::object()}),
      json::object(),
      json::object({{"a", nullptr}}),
      json::object({{"key", 1}, {"value", json::array()}}),
      json(std::string("\xff\xfe")),
  };
  std::vector<json> samples = {RenderActionReadmeSample(), RenderActionIntegSample()};
  json rich = json::parse(R"({
    "family": "rich", "networkMode": "bridge", "cpu": "1 vCPU", "memory": "2 GB",
    "tags": [{"key": "a", "value": "b"}],
    "containerDefinitions": [{
      "name": "a", "image": "i", "memory": 10,
      "healthCheck": {"command": ["CMD", "x"], "interval": 10},
      "dependsOn": [{"containerName": "b", "condition": "START"}],
      "ulimits": [{"name": "nofile", "softLimit": 1, "hardLimit": 2}],
      "logConfiguration": {"logDriver": "json-file", "options": {"k": "v"},
                           "secretOptions": [{"name": "n", "valueFrom": "v"}]}
    }, {"name": "b", "image": "i", "memoryReservation": 10}]
  })");
  ASSERT_EQ(ErrorOf(rich), "ok");
  samples.push_back(rich);
  size_t variants = 0;
  for (const json& sample : samples) {
    json flat = sample.flatten();
    // Every member and every container of a path (the parents of the leaves) too.
    std::vector<json::json_pointer> pointers;
    for (const auto& [path, value] : flat.items()) {
      json::json_pointer p(path);
      while (!p.empty()) {
        pointers.push_back(p);
        p = p.parent_pointer();
      }
    }
    for (const json::json_pointer& p : pointers) {
      for (const json& w : weird) {
        json mutated = sample;
        mutated[p] = w;
        Result<TaskDefinition> r = ParseTaskDefinition(mutated);
        if (!r.ok()) {
          EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
          EXPECT_EQ(r.status().resource(), Resource::kTaskDefinition);
          EXPECT_FALSE(r.status().message().empty());
          EXPECT_LT(r.status().message().size(), 1000u) << p.to_string();
        } else {
          // Whatever parses must re-parse to itself.
          Result<TaskDefinition> again = ParseTaskDefinition(r->document);
          ASSERT_TRUE(again.ok()) << again.status().ToString() << " " << mutated.dump();
          EXPECT_EQ(again->document, r->document);
        }
        ++variants;
      }
    }
  }
  EXPECT_GT(variants, 1000u);
}

TEST(ParseTaskDefinition, LogOptionsAreTypedAndMultilineOptionsExclusive) {
  auto td = ParseTaskDefinition(nlohmann::json::parse(R"({"family":"f","containerDefinitions":[
    {"name":"app","image":"x","memory":32,"logConfiguration":{"logDriver":"awslogs",
     "options":{"awslogs-group":"/ecs/app","awslogs-datetime-format":"%Y-%m-%d %H:%M:%S"}}}]})"));
  ASSERT_TRUE(td.ok()) << td.status().ToString();
  EXPECT_EQ(td->containers[0].log_driver, "awslogs");
  EXPECT_EQ(td->containers[0].log_options.at("awslogs-group"), "/ecs/app");
  auto both = ParseTaskDefinition(nlohmann::json::parse(R"({"family":"f","containerDefinitions":[
    {"name":"app","image":"x","memory":32,"logConfiguration":{"logDriver":"awslogs",
     "options":{"awslogs-group":"g","awslogs-datetime-format":"%H","awslogs-multiline-pattern":"^x"}}}]})"));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("at the same time"), std::string::npos);
}

}  // namespace
}  // namespace berth::model
