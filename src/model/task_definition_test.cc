#include "model/task_definition.h"

#include <gtest/gtest.h>

#include "model/task_definition_test_util.h"

namespace berth::model {
namespace {

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

}  // namespace
}  // namespace berth::model
