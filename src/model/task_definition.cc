#include "model/task_definition.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <utility>

namespace berth::model {

namespace {

using nlohmann::json;

constexpr Resource kResource = Resource::kTaskDefinition;
constexpr size_t kMaxContainers = 10;
constexpr size_t kMaxNameLength = 255;
// Real task definitions are about 6 levels deep; the limit keeps the recursive walks below
// (ours and nlohmann's copy, compare and dump) far from the stack's end.
constexpr int kMaxDepth = 32;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();

// Output-only members the control plane stamps; clients re-send them from Describe output.
constexpr const char* kStampedMembers[] = {
    "taskDefinitionArn", "revision",       "status",          "registeredAt",
    "registeredBy",      "deregisteredAt", "compatibilities", "requiresAttributes",
};

Status Invalid(std::string message) { return InvalidArgument(std::move(message), kResource); }

// A client-supplied string shown inside an error message: printable ASCII only, cut short.
std::string Printable(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (char c : s.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > kMax) out += "...";
  return out;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsValidName(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNameLength && std::all_of(s.begin(), s.end(), IsNameChar);
}

std::string Join(const std::string& path, std::string_view member) {
  return path.empty() ? std::string(member) : path + "." + std::string(member);
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Status EnumError(const std::string& path, std::string_view value, std::string_view allowed) {
  return Invalid("1 validation error detected: Value '" + Printable(value) + "' at '" + path +
                 "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                 std::string(allowed) + "]");
}

bool NestedDeeperThan(const json& root, int max_depth) {
  std::vector<std::pair<const json*, int>> stack = {{&root, 1}};
  while (!stack.empty()) {
    auto [j, depth] = stack.back();
    stack.pop_back();
    if (depth > max_depth) return true;
    if (j->is_structured()) {
      for (const json& child : *j) stack.emplace_back(&child, depth + 1);
    }
  }
  return false;
}

// JS v3 drops nulls and real ECS never returns them: a null member is an absent one.
void StripNulls(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (it->is_null()) {
        it = j.erase(it);
      } else {
        StripNulls(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (json& e : j) StripNulls(e);
  }
}

// ---- The members berth knows, by type (the ECS service model). Unknown members are kept.

enum class Kind { kString, kInt, kBool, kObject, kStringMap, kStringList, kIntList, kObjectList };
using enum Kind;

struct Field {
  const char* name;
  Kind kind;
  std::span<const Field> members = {};  // known members of a kObject / kObjectList element
};

// clang-format off
constexpr Field kKeyValueFields[] = {{"name", kString}, {"value", kString}};
constexpr Field kSecretFields[] = {{"name", kString}, {"valueFrom", kString}};
constexpr Field kPortMappingFields[] = {
    {"containerPort", kInt}, {"hostPort", kInt}, {"protocol", kString}, {"name", kString},
    {"appProtocol", kString}, {"containerPortRange", kString}};
constexpr Field kDependencyFields[] = {{"containerName", kString}, {"condition", kString}};
constexpr Field kUlimitFields[] = {{"name", kString}, {"softLimit", kInt}, {"hardLimit", kInt}};
constexpr Field kHealthCheckFields[] = {
    {"command", kStringList}, {"interval", kInt}, {"timeout", kInt}, {"retries", kInt},
    {"startPeriod", kInt}};
constexpr Field kLogConfigurationFields[] = {
    {"logDriver", kString}, {"options", kStringMap}, {"secretOptions", kObjectList, kSecretFields}};
constexpr Field kEnvironmentFileFields[] = {{"value", kString}, {"type", kString}};
constexpr Field kMountPointFields[] = {
    {"sourceVolume", kString}, {"containerPath", kString}, {"readOnly", kBool}};
constexpr Field kVolumeFromFields[] = {{"sourceContainer", kString}, {"readOnly", kBool}};
constexpr Field kSystemControlFields[] = {{"namespace", kString}, {"value", kString}};
constexpr Field kTypeValueFields[] = {{"type", kString}, {"value", kString}};
constexpr Field kHostEntryFields[] = {{"hostname", kString}, {"ipAddress", kString}};
constexpr Field kRestartPolicyFields[] = {
    {"enabled", kBool}, {"ignoredExitCodes", kIntList}, {"restartAttemptPeriod", kInt}};
constexpr Field kRepositoryCredentialsFields[] = {{"credentialsParameter", kString}};

constexpr Field kContainerFields[] = {
    {"name", kString}, {"image", kString}, {"cpu", kInt}, {"memory", kInt},
    {"memoryReservation", kInt}, {"essential", kBool}, {"entryPoint", kStringList},
    {"command", kStringList}, {"workingDirectory", kString}, {"user", kString},
    {"startTimeout", kInt}, {"stopTimeout", kInt}, {"hostname", kString},
    {"versionConsistency", kString}, {"links", kStringList}, {"dnsServers", kStringList},
    {"dnsSearchDomains", kStringList}, {"dockerSecurityOptions", kStringList},
    {"credentialSpecs", kStringList}, {"disableNetworking", kBool}, {"privileged", kBool},
    {"readonlyRootFilesystem", kBool}, {"interactive", kBool}, {"pseudoTerminal", kBool},
    {"dockerLabels", kStringMap}, {"linuxParameters", kObject}, {"firelensConfiguration", kObject},
    {"repositoryCredentials", kObject, kRepositoryCredentialsFields},
    {"restartPolicy", kObject, kRestartPolicyFields},
    {"logConfiguration", kObject, kLogConfigurationFields},
    {"healthCheck", kObject, kHealthCheckFields},
    {"portMappings", kObjectList, kPortMappingFields},
    {"environment", kObjectList, kKeyValueFields},
    {"environmentFiles", kObjectList, kEnvironmentFileFields},
    {"mountPoints", kObjectList, kMountPointFields},
    {"volumesFrom", kObjectList, kVolumeFromFields},
    {"secrets", kObjectList, kSecretFields},
    {"dependsOn", kObjectList, kDependencyFields},
    {"extraHosts", kObjectList, kHostEntryFields},
    {"ulimits", kObjectList, kUlimitFields},
    {"systemControls", kObjectList, kSystemControlFields},
    {"resourceRequirements", kObjectList, kTypeValueFields},
};

constexpr Field kVolumeFields[] = {
    {"name", kString}, {"host", kObject}, {"configuredAtLaunch", kBool},
    {"dockerVolumeConfiguration", kObject}, {"efsVolumeConfiguration", kObject},
    {"fsxWindowsFileServerVolumeConfiguration", kObject}};
constexpr Field kPlacementConstraintFields[] = {{"type", kString}, {"expression", kString}};
constexpr Field kEphemeralStorageFields[] = {{"sizeInGiB", kInt}};
constexpr Field kRuntimePlatformFields[] = {
    {"cpuArchitecture", kString}, {"operatingSystemFamily", kString}};

constexpr Field kTaskFields[] = {
    {"family", kString}, {"taskRoleArn", kString}, {"executionRoleArn", kString},
    {"networkMode", kString}, {"cpu", kString}, {"memory", kString}, {"pidMode", kString},
    {"ipcMode", kString}, {"enableFaultInjection", kBool}, {"proxyConfiguration", kObject},
    {"requiresCompatibilities", kStringList}, {"inferenceAccelerators", kObjectList},
    {"ephemeralStorage", kObject, kEphemeralStorageFields},
    {"runtimePlatform", kObject, kRuntimePlatformFields},
    {"volumes", kObjectList, kVolumeFields},
    {"placementConstraints", kObjectList, kPlacementConstraintFields},
    {"containerDefinitions", kObjectList, kContainerFields},
};
// clang-format on

Status CheckInt(const json& v, const std::string& path) {
  if (!v.is_number_integer()) return Invalid(path + " must be an integer.");
  bool in_range = v.is_number_unsigned()
                      ? v.get<uint64_t>() <= static_cast<uint64_t>(kInt32Max)
                      : v.get<int64_t>() >= kInt32Min && v.get<int64_t>() <= kInt32Max;
  if (!in_range) return Invalid(path + " is out of range.");
  return Status::Ok();
}

Status CheckFields(json& obj, std::span<const Field> fields, const std::string& path);

// Type-checks one member. Known lists that are empty are removed (treated as absent).
Status CheckMember(json& obj, const Field& f, const std::string& path) {
  auto it = obj.find(f.name);
  if (it == obj.end()) return Status::Ok();
  json& v = *it;
  const std::string p = Join(path, f.name);
  switch (f.kind) {
    case kString:
      if (!v.is_string()) return Invalid(p + " must be a string.");
      return Status::Ok();
    case kInt:
      return CheckInt(v, p);
    case kBool:
      if (!v.is_boolean()) return Invalid(p + " must be a boolean.");
      return Status::Ok();
    case kObject:
      if (!v.is_object()) return Invalid(p + " must be an object.");
      return CheckFields(v, f.members, p);
    case kStringMap:
      if (!v.is_object()) return Invalid(p + " must be an object.");
      for (const json& e : v) {
        if (!e.is_string()) return Invalid(p + " values must be strings.");
      }
      return Status::Ok();
    case kStringList:
    case kIntList:
    case kObjectList:
      break;
  }
  if (!v.is_array()) return Invalid(p + " must be a list.");
  if (v.empty()) {
    obj.erase(it);
    return Status::Ok();
  }
  for (size_t i = 0; i < v.size(); ++i) {
    json& e = v[i];
    if (f.kind == kStringList && !e.is_string()) {
      return Invalid(Index(p, i) + " must be a string.");
    }
    if (f.kind == kIntList) BERTH_RETURN_IF_ERROR(CheckInt(e, Index(p, i)));
    if (f.kind == kObjectList) {
      if (!e.is_object()) return Invalid(Index(p, i) + " must be an object.");
      BERTH_RETURN_IF_ERROR(CheckFields(e, f.members, Index(p, i)));
    }
  }
  return Status::Ok();
}

Status CheckFields(json& obj, std::span<const Field> fields, const std::string& path) {
  for (const Field& f : fields) BERTH_RETURN_IF_ERROR(CheckMember(obj, f, path));
  return Status::Ok();
}

// ---- Readers for members that CheckFields has type-checked (still safe on anything).

std::optional<std::string> GetString(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<int> GetInt(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !CheckInt(*it, "").ok()) return std::nullopt;
  return static_cast<int>(it->get<int64_t>());
}

std::optional<bool> GetBool(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::vector<std::string> GetStrings(const json& obj, const char* name) {
  std::vector<std::string> out;
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_array()) return out;
  for (const json& e : *it) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

// The list member `name`, created empty when absent.
json& ListMember(json& obj, const char* name) {
  json& v = obj[name];
  if (!v.is_array()) v = json::array();
  return v;
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::optional<DependencyCondition> ConditionFromName(std::string_view s) {
  if (s == "START") return DependencyCondition::kStart;
  if (s == "COMPLETE") return DependencyCondition::kComplete;
  if (s == "SUCCESS") return DependencyCondition::kSuccess;
  if (s == "HEALTHY") return DependencyCondition::kHealthy;
  return std::nullopt;
}

// What a container's rules need to know about the task.
struct TaskContext {
  std::string network_mode;
  bool fargate = false;
  bool task_memory = false;
};

Status CheckNoNul(const std::string& s, const std::string& path) {
  if (HasNul(s)) return Invalid(path + " must not contain NUL characters.");
  return Status::Ok();
}

// environmentFiles (type s3, at most 10) and secrets (name and valueFrom required).
Status ParseEnvironmentFilesAndSecrets(const std::string& path, const json& c,
                                       ContainerDefinition* cd) {
  if (auto it = c.find("environmentFiles"); it != c.end()) {
    if (it->size() > 10) {
      return Invalid("You can specify a maximum of 10 environment files per container.");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string f_path = Index(path + ".environmentFiles", i);
      EnvironmentFile f;
      std::optional<std::string> value = GetString((*it)[i], "value");
      std::optional<std::string> type = GetString((*it)[i], "type");
      if (!value || value->empty()) return Invalid(f_path + ".value is required.");
      if (!type) return Invalid(f_path + ".type is required.");
      if (*type != "s3") return EnumError(f_path + ".type", *type, "s3");
      BERTH_RETURN_IF_ERROR(CheckNoNul(*value, f_path + ".value"));
      f.value = *value;
      f.type = *type;
      cd->environment_files.push_back(std::move(f));
    }
  }
  if (auto it = c.find("secrets"); it != c.end()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string s_path = Index(path + ".secrets", i);
      std::optional<std::string> name = GetString((*it)[i], "name");
      std::optional<std::string> value_from = GetString((*it)[i], "valueFrom");
      if (!name || name->empty()) return Invalid(s_path + ".name is required.");
      if (!value_from || value_from->empty()) return Invalid(s_path + ".valueFrom is required.");
      BERTH_RETURN_IF_ERROR(CheckNoNul(*name, s_path + ".name"));
      BERTH_RETURN_IF_ERROR(CheckNoNul(*value_from, s_path + ".valueFrom"));
      cd->secrets.push_back({*name, *value_from});
    }
  }
  return Status::Ok();
}

Status ParsePortMappings(const TaskContext& task, const std::string& prefix,
                         const std::string& path, json& c, ContainerDefinition* cd) {
  json& mappings = ListMember(c, "portMappings");
  if (task.network_mode == "none" && !mappings.empty()) {
    return Invalid(prefix + "Port mappings are not supported when networkMode=none.");
  }
  const bool same_port = task.network_mode == "awsvpc" || task.network_mode == "host";
  for (size_t i = 0; i < mappings.size(); ++i) {
    json& pm = mappings[i];
    const std::string pm_path = Index(path + ".portMappings", i);
    std::string protocol = GetString(pm, "protocol").value_or("tcp");
    if (protocol != "tcp" && protocol != "udp") {
      return EnumError(pm_path + ".protocol", protocol, "tcp, udp");
    }
    pm["protocol"] = protocol;
    std::optional<int> container_port = GetInt(pm, "containerPort");
    std::optional<int> host_port = GetInt(pm, "hostPort");
    if (!container_port) {
      if (pm.contains("containerPortRange")) continue;  // kept as sent; not bound by berth
      return Invalid(pm_path + ".containerPort is required.");
    }
    if (*container_port < 1 || *container_port > 65535) {
      return Invalid(prefix + "Container ports must be between 1 and 65535.");
    }
    if (host_port && (*host_port < 0 || *host_port > 65535)) {
      return Invalid(prefix + "Host ports must be between 0 and 65535.");
    }
    if (same_port) {
      // hostPort 0 counts as blank: it is how bridge definitions describe a dynamic port.
      if (host_port && *host_port != 0 && *host_port != *container_port) {
        return Invalid(prefix + "When networkMode=" + task.network_mode +
                       ", the host ports and container ports in port mappings must match.");
      }
      host_port = container_port;
      pm["hostPort"] = *container_port;
    }
    cd->port_mappings.push_back({*container_port, host_port.value_or(0), protocol});
  }
  return Status::Ok();
}

Status ParseHealthCheck(const std::string& prefix, const std::string& path, json& hc,
                        ContainerDefinition* cd) {
  HealthCheck h;
  h.command = GetStrings(hc, "command");
  if (h.command.empty()) return Invalid(prefix + "The health check command must not be empty.");
  const std::string& kind = h.command[0];
  if (kind != "CMD" && kind != "CMD-SHELL" && kind != "NONE") {
    return Invalid(prefix + "The health check command must start with CMD, CMD-SHELL or NONE.");
  }
  if (kind != "NONE" && h.command.size() < 2) {
    return Invalid(prefix + "The health check command must name a command after " + kind + ".");
  }
  for (size_t i = 0; i < h.command.size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckNoNul(h.command[i], Index(path + ".healthCheck.command", i)));
  }
  struct Setting {
    const char* name;
    const char* words;
    int* out;
    int lo, hi;
  };
  const Setting settings[] = {
      {"interval", "interval", &h.interval_s, 5, 300},
      {"timeout", "timeout", &h.timeout_s, 2, 60},
      {"retries", "retries", &h.retries, 1, 10},
      {"startPeriod", "start period", &h.start_period_s, 0, 300},
  };
  for (const Setting& s : settings) {
    std::optional<int> v = GetInt(hc, s.name);
    if (!v) {
      if (std::string_view(s.name) != "startPeriod") hc[s.name] = *s.out;  // the default
      continue;
    }
    if (*v < s.lo || *v > s.hi) {
      return Invalid(prefix + "The health check " + s.words + " must be between " +
                     std::to_string(s.lo) + " and " + std::to_string(s.hi) +
                     (std::string_view(s.name) == "retries" ? "." : " seconds."));
    }
    *s.out = *v;
  }
  if (kind != "NONE") cd->health_check = std::move(h);  // NONE disables the check
  return Status::Ok();
}

Status ParseTimeouts(const TaskContext& task, const std::string& prefix, const json& c,
                     ContainerDefinition* cd) {
  cd->start_timeout_s = GetInt(c, "startTimeout");
  cd->stop_timeout_s = GetInt(c, "stopTimeout");
  const std::pair<const char*, const std::optional<int>*> timeouts[] = {
      {"startTimeout", &cd->start_timeout_s}, {"stopTimeout", &cd->stop_timeout_s}};
  for (const auto& [name, value] : timeouts) {
    if (!value->has_value()) continue;
    int v = **value;
    if (task.fargate && (v < 2 || v > 120)) {
      return Invalid(prefix + "On Fargate, '" + name + "' must be between 2 and 120 seconds.");
    }
    if (v < 0) return Invalid(prefix + "'" + name + "' must not be negative.");
  }
  return Status::Ok();
}

Status ParseDependsOn(const std::string& path, const json& c, ContainerDefinition* cd) {
  auto it = c.find("dependsOn");
  if (it == c.end() || !it->is_array()) return Status::Ok();
  for (size_t i = 0; i < it->size(); ++i) {
    const json& dep = (*it)[i];
    const std::string dep_path = Index(path + ".dependsOn", i);
    std::optional<std::string> name = GetString(dep, "containerName");
    if (!name || name->empty()) return Invalid(dep_path + ".containerName is required.");
    std::optional<std::string> condition = GetString(dep, "condition");
    if (!condition) return Invalid(dep_path + ".condition is required.");
    std::optional<DependencyCondition> parsed = ConditionFromName(*condition);
    if (!parsed) {
      return EnumError(dep_path + ".condition", *condition, "START, COMPLETE, SUCCESS, HEALTHY");
    }
    cd->depends_on.push_back({*name, *parsed});
  }
  return Status::Ok();
}

Status ParseLogConfiguration(const std::string& path, json& c, ContainerDefinition* cd) {
  auto it = c.find("logConfiguration");
  if (it == c.end()) return Status::Ok();
  std::optional<std::string> driver = GetString(*it, "logDriver");
  if (!driver) return Invalid(path + ".logConfiguration.logDriver is required.");
  static constexpr std::string_view kDrivers[] = {
      "json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"};
  if (std::find(std::begin(kDrivers), std::end(kDrivers), *driver) == std::end(kDrivers)) {
    return EnumError(path + ".logConfiguration.logDriver", *driver,
                     "json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens");
  }
  ListMember(*it, "secretOptions");
  cd->log_driver = *driver;
  auto options = it->find("options");
  if (options != it->end() && options->is_object()) {
    for (const auto& [k, v] : options->items()) {
      if (v.is_string()) cd->log_options[k] = v.get<std::string>();
    }
  }
  // Docker refuses the two multiline options together (spec/logs.md §1.1).
  if (cd->log_options.count("awslogs-datetime-format") &&
      cd->log_options.count("awslogs-multiline-pattern")) {
    return Invalid("Invalid setting for container '" + cd->name +
                   "'. you cannot configure log opt 'awslogs-datetime-format' and "
                   "'awslogs-multiline-pattern' at the same time");
  }
  return Status::Ok();
}

Result<ContainerDefinition> ParseContainer(const TaskContext& task, size_t index, json& c) {
  const std::string path = Index("containerDefinitions", index);
  ContainerDefinition cd;
  std::optional<std::string> name = GetString(c, "name");
  if (!name || name->empty()) return Invalid("Container.name should not be null or empty.");
  if (!IsValidName(*name)) {
    return Invalid("Invalid container name '" + Printable(*name) +
                   "'. Container names can have up to 255 letters (uppercase and lowercase), "
                   "numbers, hyphens, and underscores.");
  }
  cd.name = *name;
  const std::string prefix = "Invalid setting for container '" + cd.name + "'. ";
  std::optional<std::string> image = GetString(c, "image");
  if (!image || image->empty()) return Invalid("Container.image should not be null or empty.");
  cd.image = *image;
  cd.working_directory = GetString(c, "workingDirectory").value_or("");
  cd.user = GetString(c, "user").value_or("");
  cd.entry_point = GetStrings(c, "entryPoint");
  cd.command = GetStrings(c, "command");
  BERTH_RETURN_IF_ERROR(CheckNoNul(cd.image, path + ".image"));
  BERTH_RETURN_IF_ERROR(CheckNoNul(cd.working_directory, path + ".workingDirectory"));
  BERTH_RETURN_IF_ERROR(CheckNoNul(cd.user, path + ".user"));
  for (size_t i = 0; i < cd.entry_point.size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckNoNul(cd.entry_point[i], Index(path + ".entryPoint", i)));
  }
  for (size_t i = 0; i < cd.command.size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckNoNul(cd.command[i], Index(path + ".command", i)));
  }

  // Resources.
  cd.memory = GetInt(c, "memory");
  cd.memory_reservation = GetInt(c, "memoryReservation");
  if (cd.memory && *cd.memory < 1) return Invalid(prefix + "'memory' must be greater than 0.");
  if (cd.memory_reservation && *cd.memory_reservation < 1) {
    return Invalid(prefix + "'memoryReservation' must be greater than 0.");
  }
  if (!cd.memory && !cd.memory_reservation && !task.task_memory) {
    return Invalid(prefix + "At least one of 'memory' or 'memoryReservation' must be specified.");
  }
  if (cd.memory && cd.memory_reservation && *cd.memory_reservation > *cd.memory) {
    return Invalid(prefix +
                   "The memory reservation must be less than or equal to the hard memory limit.");
  }
  cd.cpu = GetInt(c, "cpu").value_or(0);
  if (cd.cpu < 0) return Invalid(prefix + "'cpu' must not be negative.");
  c["cpu"] = cd.cpu;
  cd.essential = GetBool(c, "essential").value_or(true);
  c["essential"] = cd.essential;

  // Lists ECS always returns.
  for (const char* list : {"environment", "mountPoints", "volumesFrom", "systemControls"}) {
    ListMember(c, list);
  }
  const json& environment = c["environment"];
  for (size_t i = 0; i < environment.size(); ++i) {
    std::optional<std::string> var = GetString(environment[i], "name");
    if (!var || var->empty()) continue;  // ECS accepts it; there is nothing to set
    KeyValue kv{*var, GetString(environment[i], "value").value_or("")};
    BERTH_RETURN_IF_ERROR(CheckNoNul(kv.name, Index(path + ".environment", i) + ".name"));
    BERTH_RETURN_IF_ERROR(CheckNoNul(kv.value, Index(path + ".environment", i) + ".value"));
    cd.environment.push_back(std::move(kv));
  }
  BERTH_RETURN_IF_ERROR(ParseEnvironmentFilesAndSecrets(path, c, &cd));
  BERTH_RETURN_IF_ERROR(ParsePortMappings(task, prefix, path, c, &cd));

  if (auto it = c.find("ulimits"); it != c.end()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const json& u = (*it)[i];
      const std::string u_path = Index(path + ".ulimits", i);
      std::optional<std::string> u_name = GetString(u, "name");
      std::optional<int> soft = GetInt(u, "softLimit");
      std::optional<int> hard = GetInt(u, "hardLimit");
      if (!u_name) return Invalid(u_path + ".name is required.");
      if (!soft) return Invalid(u_path + ".softLimit is required.");
      if (!hard) return Invalid(u_path + ".hardLimit is required.");
      cd.ulimits.push_back({*u_name, *soft, *hard});
    }
  }
  if (auto it = c.find("healthCheck"); it != c.end()) {
    BERTH_RETURN_IF_ERROR(ParseHealthCheck(prefix, path, *it, &cd));
  }
  BERTH_RETURN_IF_ERROR(ParseTimeouts(task, prefix, c, &cd));
  BERTH_RETURN_IF_ERROR(ParseDependsOn(path, c, &cd));
  BERTH_RETURN_IF_ERROR(ParseLogConfiguration(path, c, &cd));
  return cd;
}

// Cross-container rules: unique names, an essential container, and sound dependencies.
Status CheckContainerSet(const std::vector<ContainerDefinition>& containers) {
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < containers.size(); ++i) {
    if (!by_name.emplace(containers[i].name, i).second) {
      return Invalid("Invalid setting for container '" + containers[i].name +
                     "'. Container names must be unique within a task definition.");
    }
  }
  if (std::none_of(containers.begin(), containers.end(),
                   [](const ContainerDefinition& c) { return c.essential; })) {
    return Invalid("At least one essential container is required.");
  }
  std::vector<std::vector<size_t>> edges(containers.size());
  for (size_t i = 0; i < containers.size(); ++i) {
    const std::string prefix = "Invalid setting for container '" + containers[i].name + "'. ";
    for (const ContainerDependency& dep : containers[i].depends_on) {
      auto target = by_name.find(dep.container_name);
      if (target == by_name.end()) {
        return Invalid(prefix + "dependsOn names unknown container '" +
                       Printable(dep.container_name) + "'.");
      }
      const ContainerDefinition& t = containers[target->second];
      if ((dep.condition == DependencyCondition::kComplete ||
           dep.condition == DependencyCondition::kSuccess) &&
          t.essential) {
        return Invalid(prefix + "Container '" + t.name +
                       "' is essential, so it cannot be a COMPLETE or SUCCESS dependency.");
      }
      if (dep.condition == DependencyCondition::kHealthy && !t.health_check) {
        return Invalid(prefix + "Container '" + t.name +
                       "' has no health check, so it cannot be a HEALTHY dependency.");
      }
      edges[i].push_back(target->second);
    }
  }
  // Depth-first search for a cycle (at most 10 containers).
  enum Mark { kUnseen, kOnPath, kDone };
  std::vector<Mark> marks(containers.size(), kUnseen);
  auto visit = [&](auto&& self, size_t n) -> bool {  // true when a cycle is reachable
    marks[n] = kOnPath;
    for (size_t m : edges[n]) {
      if (marks[m] == kOnPath) return true;
      if (marks[m] == kUnseen && self(self, m)) return true;
    }
    marks[n] = kDone;
    return false;
  };
  for (size_t i = 0; i < containers.size(); ++i) {
    if (marks[i] == kUnseen && visit(visit, i)) {
      return Invalid("Invalid setting for container '" + containers[i].name +
                     "'. Container dependencies must not form a cycle.");
    }
  }
  return Status::Ok();
}

Status ParseTaskLevel(json& doc, TaskDefinition* td) {
  auto family = doc.find("family");
  if (family == doc.end() ||
      (family->is_string() && family->get_ref<const std::string&>().empty())) {
    return Invalid("Family can not be blank.");
  }
  if (!family->is_string()) return Invalid("family must be a string.");
  td->family = family->get<std::string>();
  if (!IsValidName(td->family)) {
    return Invalid("Invalid family '" + Printable(td->family) +
                   "'. Family names can have up to 255 letters (uppercase and lowercase), "
                   "numbers, hyphens, and underscores.");
  }
  BERTH_RETURN_IF_ERROR(CheckFields(doc, kTaskFields, ""));

  td->network_mode = GetString(doc, "networkMode").value_or("bridge");
  if (td->network_mode != "bridge" && td->network_mode != "host" && td->network_mode != "awsvpc" &&
      td->network_mode != "none") {
    return EnumError("networkMode", td->network_mode, "bridge, host, awsvpc, none");
  }
  doc["networkMode"] = td->network_mode;
  td->requires_compatibilities = GetStrings(doc, "requiresCompatibilities");
  for (size_t i = 0; i < td->requires_compatibilities.size(); ++i) {
    const std::string& c = td->requires_compatibilities[i];
    if (c != "EC2" && c != "FARGATE" && c != "EXTERNAL" && c != "MANAGED_INSTANCES") {
      return EnumError(Index("requiresCompatibilities", i), c,
                       "EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES");
    }
  }
  if (std::optional<std::string> cpu = GetString(doc, "cpu")) {
    td->cpu = ParseCpuUnits(*cpu);
    if (!td->cpu) {
      return Invalid("Invalid 'cpu' setting for task: '" + Printable(*cpu) +
                     "'. Use CPU units (\"1024\") or vCPUs (\"1 vCPU\").");
    }
    if (*td->cpu < 128 || *td->cpu > 196608) {
      return Invalid(
          "Invalid 'cpu' setting for task. The task cpu must be between 128 and "
          "196608 CPU units.");
    }
    doc["cpu"] = std::to_string(*td->cpu);
  }
  if (std::optional<std::string> memory = GetString(doc, "memory")) {
    td->memory = ParseMemoryMiB(*memory);
    if (!td->memory) {
      return Invalid("Invalid 'memory' setting for task: '" + Printable(*memory) +
                     "'. Use MiB (\"1024\") or GB (\"1 GB\").");
    }
    if (*td->memory < 1) {
      return Invalid("Invalid 'memory' setting for task. The task memory must be greater than 0.");
    }
    doc["memory"] = std::to_string(*td->memory);
  }
  ListMember(doc, "volumes");
  ListMember(doc, "placementConstraints");
  return Status::Ok();
}

Status CheckFargate(const TaskDefinition& td) {
  if (!td.cpu) return Invalid("Fargate requires that 'cpu' be defined at the task level.");
  if (!td.memory) return Invalid("Fargate requires that 'memory' be defined at the task level.");
  if (!FargateSupports(*td.cpu, *td.memory)) {
    return Invalid("No Fargate configuration exists for given values: " + std::to_string(*td.cpu) +
                   " CPU, " + std::to_string(*td.memory) + " memory");
  }
  if (td.network_mode != "awsvpc") return Invalid("Fargate only supports network mode 'awsvpc'.");
  return Status::Ok();
}

Result<TaskDefinition> Parse(const json& request) {
  if (!request.is_object()) return Invalid("The task definition must be a JSON object.");
  if (NestedDeeperThan(request, kMaxDepth)) {
    return Invalid("The task definition is nested too deeply.");
  }
  TaskDefinition td;
  td.document = request;
  json& doc = td.document;
  StripNulls(doc);
  for (const char* member : kStampedMembers) doc.erase(member);

  BERTH_RETURN_IF_ERROR(ParseTaskLevel(doc, &td));
  if (auto tags = doc.find("tags"); tags != doc.end()) {
    Result<Tags> parsed = ParseTags(*tags, kResource);
    if (!parsed.ok()) return parsed.status();
    td.tags = std::move(parsed).value();
    doc.erase(tags);
  }

  auto containers = doc.find("containerDefinitions");
  if (containers == doc.end()) return Invalid("Container list cannot be empty.");
  if (containers->size() > kMaxContainers) {
    return Invalid("Too many containers: a task definition can have at most 10 containers.");
  }
  TaskContext task;
  task.network_mode = td.network_mode;
  task.fargate = std::find(td.requires_compatibilities.begin(), td.requires_compatibilities.end(),
                           "FARGATE") != td.requires_compatibilities.end();
  task.task_memory = td.memory.has_value();
  if (task.fargate) BERTH_RETURN_IF_ERROR(CheckFargate(td));

  for (size_t i = 0; i < containers->size(); ++i) {
    Result<ContainerDefinition> cd = ParseContainer(task, i, (*containers)[i]);
    if (!cd.ok()) return cd.status();
    td.containers.push_back(std::move(cd).value());
  }
  BERTH_RETURN_IF_ERROR(CheckContainerSet(td.containers));
  return td;
}

}  // namespace

const ContainerDefinition* TaskDefinition::FindContainer(const std::string& name) const {
  for (const ContainerDefinition& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int TaskDefinition::ReservedMemoryMiB() const {
  if (memory) return *memory;
  int64_t sum = 0;
  for (const ContainerDefinition& c : containers) {
    sum += c.memory ? *c.memory : c.memory_reservation.value_or(0);
  }
  return static_cast<int>(std::min(sum, kInt32Max));
}

int TaskDefinition::ReservedCpuUnits() const {
  if (cpu) return *cpu;
  int64_t sum = 0;
  for (const ContainerDefinition& c : containers) sum += c.cpu;
  return static_cast<int>(std::min(sum, kInt32Max));
}

Result<TaskDefinition> ParseTaskDefinition(const nlohmann::json& request) {
  try {
    return Parse(request);
  } catch (const nlohmann::json::exception& e) {
    // Not expected: every access above is type-checked first.
    return Invalid(std::string("Invalid task definition: ") + e.what());
  }
}

std::string TaskDefinitionStatusName(TaskDefinitionStatus s) {
  switch (s) {
    case TaskDefinitionStatus::kActive:
      return "ACTIVE";
    case TaskDefinitionStatus::kInactive:
      return "INACTIVE";
    case TaskDefinitionStatus::kDeleteInProgress:
      return "DELETE_IN_PROGRESS";
  }
  return "ACTIVE";
}



}  // namespace berth::model
