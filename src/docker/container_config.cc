#include "docker/container_config.h"

namespace berth::docker {

using nlohmann::json;

namespace {

const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

// j[key] when j is an object and the member has type T's JSON type, else def (the definition
// was validated at registration; this only keeps odd input from throwing).
std::string Str(const json& j, const char* key, std::string def = "") {
  const json* v = Member(j, key);
  return v && v->is_string() ? v->get<std::string>() : def;
}
long long Int(const json& j, const char* key, long long def = 0) {
  const json* v = Member(j, key);
  return v && v->is_number_integer() ? v->get<long long>() : def;
}

bool Flag(const json& j, const char* key) {
  const json* v = Member(j, key);
  return v && v->is_boolean() && v->get<bool>();
}

std::vector<std::string> Strings(const json* j) {
  std::vector<std::string> out;
  if (!j || !j->is_array()) return out;
  for (const auto& v : *j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// mountPoints over the task's volumes: host paths become Binds, Docker volumes (and volumes
// without a host) named Mounts.
Status AddMounts(const driver::ProcessSpec& spec, json& host) {
  const json* mounts = Member(spec.definition, "mountPoints");
  if (!mounts || !mounts->is_array()) return Status::Ok();
  json binds = json::array(), named = json::array();
  for (const auto& m : *mounts) {
    std::string source = Str(m, "sourceVolume");
    std::string target = Str(m, "containerPath");
    bool read_only = Flag(m, "readOnly");
    const json* volume = nullptr;
    if (spec.task_volumes.is_array()) {
      for (const auto& v : spec.task_volumes) {
        if (Str(v, "name") == source) volume = &v;
      }
    }
    if (!volume) {
      return InvalidArgument("mountPoint sourceVolume '" + source +
                             "' names no volume of the task definition");
    }
    const json* host_cfg = Member(*volume, "host");
    std::string path = host_cfg ? Str(*host_cfg, "sourcePath") : "";
    if (!path.empty()) {
      binds.push_back(path + ":" + target + (read_only ? ":ro" : ""));
      continue;
    }
    json mount = {{"Type", "volume"}, {"Target", target}, {"ReadOnly", read_only}};
    const json* docker_cfg = Member(*volume, "dockerVolumeConfiguration");
    // A task-scoped volume without a name of its own gets one per task; shared ones keep theirs.
    bool shared = docker_cfg && Str(*docker_cfg, "scope", "task") == "shared";
    mount["Source"] = shared ? source : "ecs-" + spec.task_id + "-" + source;
    if (docker_cfg) {
      json vol_opts = json::object();
      if (const json* d = Member(*docker_cfg, "driver")) vol_opts["DriverConfig"]["Name"] = *d;
      if (const json* o = Member(*docker_cfg, "driverOpts")) vol_opts["DriverConfig"]["Options"] = *o;
      if (const json* l = Member(*docker_cfg, "labels")) vol_opts["Labels"] = *l;
      if (!vol_opts.empty()) mount["VolumeOptions"] = vol_opts;
    }
    named.push_back(mount);
  }
  if (!binds.empty()) host["Binds"] = binds;
  if (!named.empty()) host["Mounts"] = named;
  return Status::Ok();
}

}  // namespace

Result<json> CreateBody(const driver::ProcessSpec& spec, const CreateOptions& options) {
  const json& def = spec.definition;
  json body = {{"Image", spec.image}, {"AttachStdin", false}, {"AttachStdout", false},
               {"AttachStderr", false}, {"Tty", false}, {"OpenStdin", false}};
  if (spec.entry_point) body["Entrypoint"] = *spec.entry_point;
  if (spec.command) body["Cmd"] = *spec.command;
  json env = json::array();
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  body["Env"] = env;
  if (!spec.working_dir.empty()) body["WorkingDir"] = spec.working_dir;
  if (!spec.user.empty()) body["User"] = spec.user;
  json labels = json::object();
  if (const json* dl = Member(def, "dockerLabels"); dl && dl->is_object()) {
    for (const auto& [k, v] : dl->items()) {
      if (v.is_string()) labels[k] = v;
    }
  }
  for (const auto& [k, v] : spec.labels) labels[k] = v;
  for (const auto& [k, v] : options.berth_labels) labels[k] = v;
  body["Labels"] = labels;

  json host = json::object();
  host["NetworkMode"] = options.network_mode;
  if (spec.memory_limit_bytes > 0) host["Memory"] = spec.memory_limit_bytes;
  if (spec.memory_reservation_bytes > 0) host["MemoryReservation"] = spec.memory_reservation_bytes;
  host["CpuShares"] = spec.cpu_shares < 2 ? 2 : spec.cpu_shares;
  if (!spec.ulimits.empty()) {
    json ul = json::array();
    for (const auto& u : spec.ulimits) ul.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    host["Ulimits"] = ul;
  }
  if (const json* lp = Member(def, "linuxParameters")) {
    if (Flag(*lp, "initProcessEnabled")) host["Init"] = true;
    if (const json* caps = Member(*lp, "capabilities")) {
      auto add = Strings(Member(*caps, "add")), drop = Strings(Member(*caps, "drop"));
      if (!add.empty()) host["CapAdd"] = add;
      if (!drop.empty()) host["CapDrop"] = drop;
    }
    if (const json* shm = Member(*lp, "sharedMemorySize"); shm && shm->is_number_integer()) {
      host["ShmSize"] = shm->get<long long>() * 1024 * 1024;
    }
    if (const json* tmpfs = Member(*lp, "tmpfs"); tmpfs && tmpfs->is_array()) {
      json t = json::object();
      for (const auto& m : *tmpfs) {
        std::string opts = "size=" + std::to_string(Int(m, "size")) + "m";
        for (const auto& o : Strings(Member(m, "mountOptions"))) opts += "," + o;
        t[Str(m, "containerPath")] = opts;
      }
      if (!t.empty()) host["Tmpfs"] = t;
    }
  }
  if (Flag(def, "readonlyRootFilesystem")) host["ReadonlyRootfs"] = true;
  if (Flag(def, "privileged")) {
    if (!options.allow_privileged) {
      return InvalidArgument(
          "CannotCreateContainerError: privileged containers are refused by this berth daemon "
          "(start it with --docker-allow-privileged to run them)");
    }
    host["Privileged"] = true;
  }
  if (Status st = AddMounts(spec, host); !st.ok()) return st;
  if (const json* vf = Member(def, "volumesFrom"); vf && vf->is_array() && !vf->empty()) {
    json from = json::array();
    for (const auto& v : *vf) {
      std::string source = Str(v, "sourceContainer");
      auto id = options.task_container_ids.find(source);
      if (id == options.task_container_ids.end()) {
        return InvalidArgument("CannotCreateContainerError: volumesFrom: container '" + source +
                               "' of the task has not been created (add a dependsOn on it)");
      }
      from.push_back(id->second + (Flag(v, "readOnly") ? ":ro" : ":rw"));
    }
    host["VolumesFrom"] = from;
  }
  if (options.network_mode == "bridge") {
    if (const json* pm = Member(def, "portMappings"); pm && pm->is_array()) {
      json exposed = json::object(), bindings = json::object();
      for (const auto& m : *pm) {
        if (Int(m, "containerPort", -1) < 0) continue;
        std::string key = std::to_string(Int(m, "containerPort")) + "/" + Str(m, "protocol", "tcp");
        long long host_port = Int(m, "hostPort");
        exposed[key] = json::object();
        bindings[key] = json::array(
            {{{"HostIp", "127.0.0.1"}, {"HostPort", host_port ? std::to_string(host_port) : ""}}});
      }
      if (!exposed.empty()) {
        body["ExposedPorts"] = exposed;
        host["PortBindings"] = bindings;
      }
    }
  }
  body["HostConfig"] = host;
  return body;
}

}  // namespace berth::docker
