// EcsApi: task actions.
#include "api/ecs/ecs_api.h"
#include "model/task_json.h"

namespace berth::api {

using nlohmann::json;

namespace {

bool ValidStartedBy(const std::string& s) {
  if (s.size() > 128) return false;
  for (char c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '/') return false;
  }
  return true;
}

json FailureJson(const ecs::Failure& f) {
  json j = {{"arn", f.arn}, {"reason", f.reason}};
  if (!f.detail.empty()) j["detail"] = f.detail;
  return j;
}

// Checks the shape of RunTask's overrides: containerOverrides[] with string names, string-list
// commands, name/value environment, integer cpu/memory.
std::string CheckOverrides(const json& o) {
  if (!o.is_object()) return "overrides must be a structure.";
  if (o.contains("containerOverrides") && !o["containerOverrides"].is_null()) {
    if (!o["containerOverrides"].is_array()) return "overrides.containerOverrides must be a list.";
    for (const auto& c : o["containerOverrides"]) {
      if (!c.is_object()) return "Each container override must be a structure.";
      if (c.contains("name") && !c["name"].is_string()) return "containerOverrides.name must be a string.";
      if (c.contains("command")) {
        if (!c["command"].is_array()) return "containerOverrides.command must be a list of strings.";
        for (const auto& s : c["command"]) {
          if (!s.is_string()) return "containerOverrides.command must be a list of strings.";
        }
      }
      if (c.contains("environment")) {
        if (!c["environment"].is_array()) return "containerOverrides.environment must be a list.";
        for (const auto& kv : c["environment"]) {
          if (!kv.is_object() || (kv.contains("name") && !kv["name"].is_string()) ||
              (kv.contains("value") && !kv["value"].is_string())) {
            return "containerOverrides.environment entries must have string name and value.";
          }
        }
      }
      for (const char* k : {"cpu", "memory", "memoryReservation"}) {
        if (c.contains(k) && !c[k].is_null() && !c[k].is_number_integer()) {
          return std::string("containerOverrides.") + k + " must be an integer.";
        }
      }
    }
  }
  for (const char* k : {"cpu", "memory"}) {
    if (o.contains(k) && !o[k].is_null() && !o[k].is_string()) {
      return std::string("overrides.") + k + " must be a string.";
    }
  }
  return "";
}

}  // namespace

Reply EcsApi::RunTask(Input& in, const ecs::RequestContext& ctx) {
  ecs::RunTaskRequest req;
  req.task_definition = in.RequiredString("taskDefinition");
  req.cluster = in.StringOr("cluster", "");
  req.count = static_cast<int>(in.Integer("count").value_or(1));
  req.launch_type = in.StringOr("launchType", "");
  req.started_by = in.StringOr("startedBy", "");
  req.group = in.StringOr("group", "");
  req.client_token = in.StringOr("clientToken", "");
  std::string propagate = in.StringOr("propagateTags", "NONE");
  const json* overrides = in.Object("overrides");
  const json* tags_json = in.Array("tags");
  const json* capacity = in.Array("capacityProviderStrategy");
  if (!in.ok()) return InputError(in);
  if (req.count < 1 || req.count > 10) {
    return InvalidParameter("count must be between 1 and 10.");
  }
  if (!req.launch_type.empty() && req.launch_type != "EC2" && req.launch_type != "FARGATE" &&
      req.launch_type != "EXTERNAL" && req.launch_type != "MANAGED_INSTANCES") {
    return InvalidParameter("launchType must be one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.");
  }
  if (!req.launch_type.empty() && capacity) {
    return InvalidParameter(
        "Specifying both a launch type and capacity provider strategy is not supported. Remove "
        "one and try again.");
  }
  if (!ValidStartedBy(req.started_by)) {
    return InvalidParameter(
        "startedBy can have up to 128 characters: letters, numbers, hyphens, underscores and "
        "forward slashes.");
  }
  if (req.group.size() > 255) return InvalidParameter("group can have at most 255 characters.");
  if (req.client_token.size() > 64) return InvalidParameter("clientToken can have at most 64 characters.");
  if (overrides) {
    std::string problem = CheckOverrides(*overrides);
    if (!problem.empty()) {
      Reply r;
      r.error = AwsError{400, "SerializationException", problem};
      return r;
    }
    if (overrides->dump().size() > 8192) {
      return InvalidParameter("Container Overrides length must be at most 8192");
    }
    req.overrides = *overrides;
  }
  if (tags_json) {
    auto tags = model::ParseTags(*tags_json, Resource::kNone);
    if (!tags.ok()) return Fail(tags.status());
    req.tags = *tags;
  }
  if (propagate == "TASK_DEFINITION") {
    auto td = cp_.FindTaskDefinition(req.task_definition);
    if (td.ok()) {
      model::Tags merged = (*td)->tags;
      model::MergeTags(&merged, req.tags);
      req.tags = merged;
    }
  }
  json fingerprint = in.body();
  fingerprint.erase("clientToken");
  req.fingerprint = fingerprint.dump();
  auto result = cp_.RunTask(ctx, req);
  if (!result.ok()) return Fail(result.status());
  Reply r;
  r.body["tasks"] = json::array();
  r.body["failures"] = json::array();
  for (const auto& t : result->tasks) r.body["tasks"].push_back(model::TaskToJson(t, false));
  for (const auto& f : result->failures) r.body["failures"].push_back(FailureJson(f));
  return r;
}

Reply EcsApi::StopTask(Input& in) {
  std::string task = in.RequiredString("task");
  std::string cluster = in.StringOr("cluster", "");
  std::string reason = in.StringOr("reason", "");
  if (!in.ok()) return InputError(in);
  if (reason.size() > 255) return InvalidParameter("reason can have at most 255 characters.");
  auto t = cp_.StopTask(cluster, task, reason);
  if (!t.ok()) return Fail(t.status());
  Reply r;
  r.body["task"] = model::TaskToJson(*t, false);
  return r;
}

Reply EcsApi::DescribeTasks(Input& in, const ecs::RequestContext& ctx) {
  std::vector<std::string> ids = in.StringList("tasks");
  std::string cluster = in.StringOr("cluster", "");
  std::vector<std::string> include = in.StringList("include");
  if (!in.ok()) return InputError(in);
  if (ids.empty()) return InvalidParameter("Tasks cannot be empty.");
  if (ids.size() > 100) return InvalidParameter("Tasks can have at most 100 items.");
  auto c = cp_.FindCluster(cluster);
  if (!c.ok()) return Fail(c.status());
  bool tags = std::find(include.begin(), include.end(), "TAGS") != include.end();
  Reply r;
  r.body["failures"] = json::array();
  std::string tasks_text;
  for (const auto& id : ids) {
    const model::Task* t = cp_.FindTask(**c, id);
    if (t == nullptr) {
      std::string arn = id.rfind("arn:", 0) == 0
                            ? id
                            : "arn:aws:ecs:" + ctx.region + ":" + cp_.options().account_id +
                                  ":task/" + id;
      r.body["failures"].push_back({{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    if (!tasks_text.empty()) tasks_text += ",";
    tasks_text += TaskJsonText(*t, tags);
  }
  r.raw_body = "{\"tasks\":[" + tasks_text + "],\"failures\":" +
               r.body["failures"].dump(-1, ' ', false, json::error_handler_t::replace) + "}";
  return r;
}

const std::string& EcsApi::TaskJsonText(const model::Task& t, bool include_tags) {
  if (task_text_cache_.size() > 20000) task_text_cache_.clear();  // bounded; rebuilt on demand
  CachedTask& c = task_text_cache_[t.id];
  if (c.text.empty() || c.change_seq != t.change_seq || c.include_tags != include_tags) {
    c.change_seq = t.change_seq;
    c.include_tags = include_tags;
    c.text = model::TaskToJson(t, include_tags).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return c.text;
}

Reply EcsApi::ListTasks(Input& in) {
  ecs::ListTasksFilter f;
  f.cluster = in.StringOr("cluster", "");
  f.family = in.StringOr("family", "");
  f.started_by = in.StringOr("startedBy", "");
  f.service_name = in.StringOr("serviceName", "");
  f.launch_type = in.StringOr("launchType", "");
  std::string desired = in.StringOr("desiredStatus", "RUNNING");
  std::string instance = in.StringOr("containerInstance", "");
  if (!in.ok()) return InputError(in);
  if (desired != "RUNNING" && desired != "PENDING" && desired != "STOPPED") {
    return InvalidParameter("desiredStatus must be one of RUNNING, PENDING, STOPPED.");
  }
  f.desired_stopped = desired == "STOPPED";
  auto tasks = cp_.ListTasks(f);
  if (!tasks.ok()) return Fail(tasks.status());
  std::vector<std::string> arns;
  // PENDING is never a desired status, so that filter is always empty.
  if (desired != "PENDING") {
    for (const auto* t : *tasks) arns.push_back(t->arn);
  }
  return Paginate(in, arns, "taskArns", 100);
}

}  // namespace berth::api
