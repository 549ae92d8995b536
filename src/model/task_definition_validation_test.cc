#include "model/task_definition.h"

#include <limits>

#include <gtest/gtest.h>

#include "model/task_definition_test_util.h"

namespace berth::model {
namespace {

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
