#include "api/ecs/ecs_api.h"

#include "common/ids.h"
#include "model/task_json.h"

namespace berth::api {

using nlohmann::json;

Reply Fail(const Status& s) {
  Reply r;
  r.error = EcsError(s);
  return r;
}

Reply InvalidParameter(const std::string& message) {
  Reply r;
  r.error = AwsError{400, "InvalidParameterException", message};
  return r;
}

namespace {

// nextToken is opaque to clients: "b1." + the offset of the next item.
bool DecodeToken(const std::string& token, size_t* offset) {
  if (token.rfind("b1.", 0) != 0 || token.size() > 12) return false;
  std::string digits = token.substr(3);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  *offset = std::stoul(digits);
  return true;
}

}  // namespace

Reply Paginate(Input& in, const std::vector<std::string>& items, const char* key,
               int default_page_size) {
  auto max_results = in.Integer("maxResults");
  auto token = in.String("nextToken");
  if (!in.ok()) return InputError(in);
  if (max_results && (*max_results < 1 || *max_results > 100)) {
    return InvalidParameter("maxResults must be between 1 and 100.");
  }
  size_t offset = 0;
  if (token && !DecodeToken(*token, &offset)) return InvalidParameter("Invalid nextToken.");
  size_t page = max_results ? static_cast<size_t>(*max_results) : default_page_size;
  Reply r;
  json list = json::array();
  for (size_t i = offset; i < items.size() && i < offset + page; ++i) list.push_back(items[i]);
  r.body[key] = list;
  if (offset + page < items.size()) r.body["nextToken"] = "b1." + std::to_string(offset + page);
  return r;
}

HttpResponse EcsApi::Handle(const std::string& op, const std::string& body,
                            const ecs::RequestContext& ctx) {
  json parsed;
  Reply reply = ParseJsonBody(body, &parsed);
  if (!reply.error) {
    Input in(parsed);
    if (op == "CreateCluster") reply = CreateCluster(in, ctx);
    else if (op == "DescribeClusters") reply = DescribeClusters(in, ctx);
    else if (op == "ListClusters") reply = ListClusters(in);
    else if (op == "DeleteCluster") reply = DeleteCluster(in);
    else if (op == "RegisterTaskDefinition") reply = RegisterTaskDefinition(in, ctx);
    else if (op == "DescribeTaskDefinition") reply = DescribeTaskDefinition(in);
    else if (op == "ListTaskDefinitions") reply = ListTaskDefinitions(in);
    else if (op == "ListTaskDefinitionFamilies") reply = ListTaskDefinitionFamilies(in);
    else if (op == "DeregisterTaskDefinition") reply = DeregisterTaskDefinition(in);
    else if (op == "DeleteTaskDefinitions") reply = DeleteTaskDefinitions(in);
    else if (op == "RunTask") reply = RunTask(in, ctx);
    else if (op == "StopTask") reply = StopTask(in);
    else if (op == "DescribeTasks") reply = DescribeTasks(in, ctx);
    else if (op == "ListTasks") reply = ListTasks(in);
    else if (op == "CreateService") reply = CreateService(in, ctx);
    else if (op == "UpdateService") reply = UpdateService(in);
    else if (op == "DescribeServices") reply = DescribeServices(in, ctx);
    else if (op == "ListServices") reply = ListServices(in);
    else if (op == "DeleteService") reply = DeleteService(in);
    else if (op == "TagResource") reply = TagResource(in);
    else if (op == "UntagResource") reply = UntagResource(in);
    else if (op == "ListTagsForResource") reply = ListTagsForResource(in);
    else {
      reply = ErrorReply({400, "UnknownOperationException",
                          "The operation " + op + " is not supported by berth's ECS API."});
    }
  }
  return ToHttpResponse(reply);
}

// ---- Clusters ----

Reply EcsApi::CreateCluster(Input& in, const ecs::RequestContext& ctx) {
  std::string name = in.StringOr("clusterName", "default");
  const json* tags_json = in.Array("tags");
  const json* settings = in.Array("settings");
  if (!in.ok()) return InputError(in);
  model::Tags tags;
  if (tags_json) {
    auto t = model::ParseTags(*tags_json, Resource::kCluster);
    if (!t.ok()) return InvalidParameter(t.status().message());
    tags = *t;
  }
  auto c = cp_.CreateCluster(ctx, name, tags, settings ? *settings : json());
  if (!c.ok()) return Fail(c.status());
  Reply r;
  r.body["cluster"] = model::ClusterToJson(*c, cp_.Counts(*c), !c->tags.empty(), true);
  return r;
}

Reply EcsApi::DescribeClusters(Input& in, const ecs::RequestContext& ctx) {
  std::vector<std::string> names = in.StringList("clusters");
  std::vector<std::string> include = in.StringList("include");
  if (!in.ok()) return InputError(in);
  if (names.size() > 100) return InvalidParameter("clusters can have at most 100 items.");
  if (names.empty()) names.push_back("default");
  bool tags = std::find(include.begin(), include.end(), "TAGS") != include.end();
  bool settings = std::find(include.begin(), include.end(), "SETTINGS") != include.end();
  Reply r;
  r.body["clusters"] = json::array();
  r.body["failures"] = json::array();
  for (const auto& n : names) {
    auto c = cp_.FindCluster(n);
    if (!c.ok()) {
      std::string arn = n.rfind("arn:", 0) == 0
                            ? n
                            : "arn:aws:ecs:" + ctx.region + ":" + cp_.options().account_id +
                                  ":cluster/" + n;
      r.body["failures"].push_back({{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    r.body["clusters"].push_back(model::ClusterToJson(**c, cp_.Counts(**c), tags, settings));
  }
  return r;
}

Reply EcsApi::ListClusters(Input& in) {
  std::vector<std::string> arns;
  for (const auto* c : cp_.Clusters()) {
    if (c->active) arns.push_back(c->arn);
  }
  return Paginate(in, arns, "clusterArns", 100);
}

Reply EcsApi::DeleteCluster(Input& in) {
  std::string name = in.RequiredString("cluster");
  if (!in.ok()) return InputError(in);
  auto c = cp_.DeleteCluster(name);
  if (!c.ok()) return Fail(c.status());
  Reply r;
  r.body["cluster"] = model::ClusterToJson(*c, cp_.Counts(*c), false, true);
  return r;
}

// ---- Tags ----

Reply EcsApi::TagResource(Input& in) {
  std::string arn = in.RequiredString("resourceArn");
  const json* tags_json = in.Array("tags");
  if (!in.ok()) return InputError(in);
  if (!tags_json) return InvalidParameter("Missing required parameter 'tags'.");
  auto tags = model::ParseTags(*tags_json, Resource::kNone);
  if (!tags.ok()) return Fail(tags.status());
  Status st = cp_.TagResource(arn, *tags);
  return st.ok() ? Reply{} : Fail(st);
}

Reply EcsApi::UntagResource(Input& in) {
  std::string arn = in.RequiredString("resourceArn");
  std::vector<std::string> keys = in.StringList("tagKeys");
  if (!in.ok()) return InputError(in);
  Status st = cp_.UntagResource(arn, keys);
  return st.ok() ? Reply{} : Fail(st);
}

Reply EcsApi::ListTagsForResource(Input& in) {
  std::string arn = in.RequiredString("resourceArn");
  if (!in.ok()) return InputError(in);
  auto tags = cp_.ListTagsForResource(arn);
  if (!tags.ok()) return Fail(tags.status());
  Reply r;
  r.body["tags"] = model::TagsToJson(*tags);
  return r;
}

}  // namespace berth::api
