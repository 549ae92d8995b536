// EcsApi: task definition actions.
#include "api/ecs/ecs_api.h"
#include "common/time_format.h"

namespace berth::api {

using nlohmann::json;

namespace {

// The capabilities a definition needs, as ECS lists them (no client reads them).
json RequiresAttributes(const model::TaskDefinition& td) {
  json attrs = json::array();
  auto add = [&](const std::string& name) {
    json a = {{"name", name}};
    if (std::find(attrs.begin(), attrs.end(), a) == attrs.end()) attrs.push_back(a);
  };
  const json& doc = td.document;
  if (doc.contains("executionRoleArn")) add("ecs.capability.execution-role-awslogs");
  if (doc.contains("taskRoleArn")) add("com.amazonaws.ecs.capability.task-iam-role");
  if (td.network_mode == "awsvpc") add("ecs.capability.task-eni");
  for (const auto& c : doc.value("containerDefinitions", json::array())) {
    if (c.contains("logConfiguration") && c["logConfiguration"].is_object()) {
      std::string driver = c["logConfiguration"].value("logDriver", "");
      if (!driver.empty()) add("com.amazonaws.ecs.capability.logging-driver." + driver);
    }
    if (c.contains("healthCheck")) add("ecs.capability.container-health-check");
    if (c.contains("dependsOn")) add("ecs.capability.container-ordering");
    if (c.contains("environmentFiles")) add("ecs.capability.env-files.s3");
  }
  add("com.amazonaws.ecs.capability.docker-remote-api.1.18");
  return attrs;
}

json Compatibilities(const model::TaskDefinition& td) {
  bool fargate = std::find(td.requires_compatibilities.begin(), td.requires_compatibilities.end(),
                           "FARGATE") != td.requires_compatibilities.end();
  if (fargate) return {"EC2", "MANAGED_INSTANCES", "FARGATE"};
  return {"EXTERNAL", "EC2"};
}

}  // namespace

json EcsApi::TaskDefinitionJson(const model::TaskDefinition& td) const {
  json j = td.document;
  j["taskDefinitionArn"] = td.arn;
  j["family"] = td.family;
  j["revision"] = td.revision;
  j["status"] = model::TaskDefinitionStatusName(td.status);
  j["registeredAt"] = EpochSeconds(td.registered_at);
  j["registeredBy"] = "arn:aws:iam::" + cp_.options().account_id + ":root";
  if (td.deregistered_at != 0) j["deregisteredAt"] = EpochSeconds(td.deregistered_at);
  j["compatibilities"] = Compatibilities(td);
  j["requiresAttributes"] = RequiresAttributes(td);
  return j;
}

Reply EcsApi::RegisterTaskDefinition(Input& in, const ecs::RequestContext& ctx) {
  auto td = model::ParseTaskDefinition(in.body());
  if (!td.ok()) return Fail(td.status());
  auto registered = cp_.RegisterTaskDefinition(ctx, std::move(*td));
  if (!registered.ok()) return Fail(registered.status());
  Reply r;
  r.body["taskDefinition"] = TaskDefinitionJson(*registered);
  if (!registered->tags.empty()) r.body["tags"] = model::TagsToJson(registered->tags);
  return r;
}

Reply EcsApi::DescribeTaskDefinition(Input& in) {
  std::string ref = in.RequiredString("taskDefinition");
  std::vector<std::string> include = in.StringList("include");
  if (!in.ok()) return InputError(in);
  auto td = cp_.FindTaskDefinition(ref);
  if (!td.ok() || (*td)->status == model::TaskDefinitionStatus::kDeleteInProgress) {
    return Fail(NotFound("Unable to describe task definition.", Resource::kTaskDefinition));
  }
  Reply r;
  r.body["taskDefinition"] = TaskDefinitionJson(**td);
  if (std::find(include.begin(), include.end(), "TAGS") != include.end()) {
    r.body["tags"] = model::TagsToJson((*td)->tags);
  }
  return r;
}

Reply EcsApi::ListTaskDefinitions(Input& in) {
  ecs::ListTaskDefinitionsFilter f;
  f.family = in.StringOr("familyPrefix", "");
  std::string status = in.StringOr("status", "ACTIVE");
  std::string sort = in.StringOr("sort", "ASC");
  if (!in.ok()) return InputError(in);
  if (status == "ACTIVE") f.status = model::TaskDefinitionStatus::kActive;
  else if (status == "INACTIVE") f.status = model::TaskDefinitionStatus::kInactive;
  else if (status == "DELETE_IN_PROGRESS") f.status = model::TaskDefinitionStatus::kDeleteInProgress;
  else return InvalidParameter("status must be one of ACTIVE, INACTIVE, DELETE_IN_PROGRESS.");
  if (sort != "ASC" && sort != "DESC") return InvalidParameter("sort must be ASC or DESC.");
  f.descending = sort == "DESC";
  std::vector<std::string> arns;
  for (const auto* td : cp_.ListTaskDefinitions(f)) arns.push_back(td->arn);
  return Paginate(in, arns, "taskDefinitionArns", 100);
}

Reply EcsApi::ListTaskDefinitionFamilies(Input& in) {
  std::string prefix = in.StringOr("familyPrefix", "");
  std::string status = in.StringOr("status", "ALL");
  if (!in.ok()) return InputError(in);
  if (status != "ALL" && status != "ACTIVE" && status != "INACTIVE") {
    return InvalidParameter("status must be one of ACTIVE, INACTIVE, ALL.");
  }
  return Paginate(in, cp_.ListFamilies(prefix, status), "families", 100);
}

Reply EcsApi::DeregisterTaskDefinition(Input& in) {
  std::string ref = in.RequiredString("taskDefinition");
  if (!in.ok()) return InputError(in);
  auto td = cp_.DeregisterTaskDefinition(ref);
  if (!td.ok()) return Fail(td.status());
  Reply r;
  r.body["taskDefinition"] = TaskDefinitionJson(*td);
  return r;
}

Reply EcsApi::DeleteTaskDefinitions(Input& in) {
  std::vector<std::string> refs = in.StringList("taskDefinitions");
  if (!in.ok()) return InputError(in);
  if (refs.empty()) return InvalidParameter("taskDefinitions cannot be empty.");
  if (refs.size() > 10) return InvalidParameter("taskDefinitions can have at most 10 items.");
  Reply r;
  r.body["taskDefinitions"] = json::array();
  r.body["failures"] = json::array();
  for (const auto& ref : refs) {
    auto td = cp_.DeleteTaskDefinition(ref);
    if (td.ok()) {
      r.body["taskDefinitions"].push_back(TaskDefinitionJson(*td));
    } else {
      r.body["failures"].push_back(
          {{"arn", ref}, {"reason", "TASK_DEFINITION_NOT_DELETABLE"}, {"detail", td.status().message()}});
    }
  }
  return r;
}

}  // namespace berth::api
