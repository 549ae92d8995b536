// EcsApi: service actions (spec/ecs.md §3 Services).
#include "api/ecs/ecs_api.h"
#include "model/service_json.h"

namespace berth::api {

using nlohmann::json;

namespace {

// deploymentConfiguration's members, each optional (UpdateService merges them).
struct ConfigInput {
  std::optional<int> maximum_percent;
  std::optional<int> minimum_healthy_percent;
  std::optional<bool> enable;
  std::optional<bool> rollback;
};

std::string ParseConfig(const json* j, ConfigInput* out) {
  if (j == nullptr) return "";
  for (const char* k : {"maximumPercent", "minimumHealthyPercent"}) {
    if (j->contains(k) && !(*j)[k].is_null() && !(*j)[k].is_number_integer()) {
      return std::string("deploymentConfiguration.") + k + " must be an integer.";
    }
  }
  if (auto it = j->find("maximumPercent"); it != j->end() && it->is_number_integer()) {
    out->maximum_percent = it->get<int>();
  }
  if (auto it = j->find("minimumHealthyPercent"); it != j->end() && it->is_number_integer()) {
    out->minimum_healthy_percent = it->get<int>();
  }
  if (auto cb = j->find("deploymentCircuitBreaker"); cb != j->end() && !cb->is_null()) {
    if (!cb->is_object()) return "deploymentCircuitBreaker must be a structure.";
    for (const char* k : {"enable", "rollback"}) {
      if (!cb->contains(k) || !(*cb)[k].is_boolean()) {
        return std::string("deploymentCircuitBreaker.") + k + " is required and must be a boolean.";
      }
    }
    out->enable = (*cb)["enable"].get<bool>();
    out->rollback = (*cb)["rollback"].get<bool>();
  }
  return "";
}

std::string ParseLoadBalancers(const json* j, std::vector<model::ServiceLoadBalancer>* out) {
  if (j == nullptr) return "";
  for (const auto& lb : *j) {
    if (!lb.is_object()) return "loadBalancers entries must be structures.";
    model::ServiceLoadBalancer s;
    if (auto it = lb.find("targetGroupArn"); it != lb.end() && it->is_string()) s.target_group_arn = *it;
    if (auto it = lb.find("containerName"); it != lb.end() && it->is_string()) s.container_name = *it;
    if (auto it = lb.find("containerPort"); it != lb.end() && it->is_number_integer()) s.container_port = *it;
    if (lb.contains("loadBalancerName")) {
      return "berth supports load balancers by targetGroupArn only (Classic Load Balancers are not supported).";
    }
    if (s.target_group_arn.empty()) return "loadBalancers.targetGroupArn is required.";
    if (s.container_name.empty() || s.container_port <= 0) {
      return "loadBalancers must name containerName and containerPort.";
    }
    out->push_back(s);
  }
  return "";
}

}  // namespace

Reply EcsApi::CreateService(Input& in, const ecs::RequestContext& ctx) {
  ecs::CreateServiceRequest req;
  req.name = in.RequiredString("serviceName");
  req.cluster = in.StringOr("cluster", "");
  req.task_definition = in.StringOr("taskDefinition", "");
  if (auto d = in.Integer("desiredCount")) req.desired_count = static_cast<int>(*d);
  req.launch_type = in.StringOr("launchType", "");
  req.scheduling_strategy = in.StringOr("schedulingStrategy", "REPLICA");
  const json* config = in.Object("deploymentConfiguration");
  const json* controller = in.Object("deploymentController");
  const json* network = in.Object("networkConfiguration");
  const json* lbs = in.Array("loadBalancers");
  auto grace = in.Integer("healthCheckGracePeriodSeconds");
  const json* tags = in.Array("tags");
  req.propagate_tags = in.StringOr("propagateTags", "NONE");
  req.enable_ecs_managed_tags = in.Boolean("enableECSManagedTags").value_or(false);
  req.enable_execute_command = in.Boolean("enableExecuteCommand").value_or(false);
  const json* constraints = in.Array("placementConstraints");
  const json* strategy = in.Array("placementStrategy");
  req.role_arn = in.StringOr("role", "");
  req.platform_version = in.StringOr("platformVersion", "");
  std::string client_token = in.StringOr("clientToken", "");
  if (!in.ok()) return InputError(in);
  if (client_token.size() > 36) return InvalidParameter("clientToken can have at most 36 characters.");
  if (req.task_definition.empty()) {
    return InvalidParameter("TaskDefinition must be specified for a service with the ECS deployment controller.");
  }
  if (req.launch_type != "" && req.launch_type != "EC2" && req.launch_type != "FARGATE" &&
      req.launch_type != "EXTERNAL") {
    return InvalidParameter("launchType must be one of EC2, FARGATE, EXTERNAL.");
  }
  if (req.propagate_tags != "NONE" && req.propagate_tags != "SERVICE" &&
      req.propagate_tags != "TASK_DEFINITION") {
    return InvalidParameter("propagateTags must be one of TASK_DEFINITION, SERVICE, NONE.");
  }
  ConfigInput ci;
  if (auto e = ParseConfig(config, &ci); !e.empty()) return InvalidParameter(e);
  if (ci.maximum_percent) req.deployment_configuration.maximum_percent = *ci.maximum_percent;
  else if (req.scheduling_strategy == "DAEMON") req.deployment_configuration.maximum_percent = 100;
  if (ci.minimum_healthy_percent) {
    req.deployment_configuration.minimum_healthy_percent = *ci.minimum_healthy_percent;
  } else if (req.scheduling_strategy == "DAEMON") {
    req.deployment_configuration.minimum_healthy_percent = 0;
  }
  if (ci.enable) req.deployment_configuration.circuit_breaker_enable = *ci.enable;
  if (ci.rollback) req.deployment_configuration.circuit_breaker_rollback = *ci.rollback;
  if (controller != nullptr) {
    auto it = controller->find("type");
    if (it != controller->end() && it->is_string()) req.deployment_controller = *it;
  }
  if (network != nullptr) req.network_configuration = *network;
  if (auto e = ParseLoadBalancers(lbs, &req.load_balancers); !e.empty()) return InvalidParameter(e);
  if (grace) {
    if (*grace < 0 || *grace > 2147483647) {
      return InvalidParameter("healthCheckGracePeriodSeconds must be between 0 and 2147483647.");
    }
    req.health_check_grace_period_s = static_cast<int>(*grace);
  }
  if (tags != nullptr) {
    auto parsed = model::ParseTags(*tags, Resource::kService);
    if (!parsed.ok()) return Fail(parsed.status());
    req.tags = *parsed;
  }
  if (constraints != nullptr) req.placement_constraints = *constraints;
  if (strategy != nullptr) req.placement_strategy = *strategy;
  // Idempotency: the same parameters (minus the token) give the same service back.
  json canonical = in.body();
  canonical.erase("clientToken");
  req.fingerprint = canonical.dump(-1, ' ', false, json::error_handler_t::replace);
  auto s = cp_.CreateService(ctx, req);
  if (!s.ok()) return Fail(s.status());
  Reply r;
  r.body["service"] = model::ServiceToJson(*s, false);
  return r;
}

Reply EcsApi::UpdateService(Input& in) {
  ecs::UpdateServiceRequest req;
  req.service = in.RequiredString("service");
  req.cluster = in.StringOr("cluster", "");
  if (auto d = in.Integer("desiredCount")) req.desired_count = static_cast<int>(*d);
  req.task_definition = in.StringOr("taskDefinition", "");
  req.force_new_deployment = in.Boolean("forceNewDeployment").value_or(false);
  const json* config = in.Object("deploymentConfiguration");
  const json* network = in.Object("networkConfiguration");
  const json* lbs = in.Array("loadBalancers");
  auto grace = in.Integer("healthCheckGracePeriodSeconds");
  req.enable_execute_command = in.Boolean("enableExecuteCommand");
  req.propagate_tags = in.String("propagateTags");
  const json* volumes = in.Array("volumeConfigurations");
  if (!in.ok()) return InputError(in);
  if (volumes != nullptr) {
    return InvalidParameter("berth does not support volumeConfigurations (Amazon EBS volumes).");
  }
  ConfigInput ci;
  if (auto e = ParseConfig(config, &ci); !e.empty()) return InvalidParameter(e);
  req.maximum_percent = ci.maximum_percent;
  req.minimum_healthy_percent = ci.minimum_healthy_percent;
  req.circuit_breaker_enable = ci.enable;
  req.circuit_breaker_rollback = ci.rollback;
  if (network != nullptr) req.network_configuration = *network;
  if (lbs != nullptr) {
    std::vector<model::ServiceLoadBalancer> parsed;
    if (auto e = ParseLoadBalancers(lbs, &parsed); !e.empty()) return InvalidParameter(e);
    req.load_balancers = parsed;
  }
  if (grace) {
    if (*grace < 0 || *grace > 2147483647) {
      return InvalidParameter("healthCheckGracePeriodSeconds must be between 0 and 2147483647.");
    }
    req.health_check_grace_period_s = static_cast<int>(*grace);
  }
  auto s = cp_.UpdateService(req);
  if (!s.ok()) return Fail(s.status());
  Reply r;
  r.body["service"] = model::ServiceToJson(*s, false);
  return r;
}

Reply EcsApi::DescribeServices(Input& in, const ecs::RequestContext& ctx) {
  std::vector<std::string> names = in.StringList("services");
  std::string cluster = in.StringOr("cluster", "");
  std::vector<std::string> include = in.StringList("include");
  if (!in.ok()) return InputError(in);
  if (names.empty()) return InvalidParameter("Services cannot be empty.");
  if (names.size() > 10) return InvalidParameter("Services can have at most 10 items.");
  auto c = cp_.FindCluster(cluster);
  if (!c.ok()) return Fail(c.status());
  bool tags = std::find(include.begin(), include.end(), "TAGS") != include.end();
  Reply r;
  r.body["services"] = json::array();
  r.body["failures"] = json::array();
  for (const auto& name : names) {
    const model::Service* s = cp_.FindService(**c, name);
    if (s == nullptr) {
      r.body["failures"].push_back({{"arn", cp_.MissingServiceArn(ctx, name)}, {"reason", "MISSING"}});
      continue;
    }
    r.body["services"].push_back(model::ServiceToJson(*s, tags));
  }
  return r;
}

Reply EcsApi::ListServices(Input& in) {
  std::string cluster = in.StringOr("cluster", "");
  std::string launch_type = in.StringOr("launchType", "");
  std::string strategy = in.StringOr("schedulingStrategy", "");
  if (!in.ok()) return InputError(in);
  auto c = cp_.FindCluster(cluster);
  if (!c.ok()) return Fail(c.status());
  std::vector<std::string> arns;
  for (const model::Service* s : cp_.ListServices(**c, launch_type, strategy)) arns.push_back(s->arn);
  return Paginate(in, arns, "serviceArns", 10);
}

Reply EcsApi::DeleteService(Input& in) {
  std::string service = in.RequiredString("service");
  std::string cluster = in.StringOr("cluster", "");
  bool force = in.Boolean("force").value_or(false);
  if (!in.ok()) return InputError(in);
  auto s = cp_.DeleteService(cluster, service, force);
  if (!s.ok()) return Fail(s.status());
  Reply r;
  r.body["service"] = model::ServiceToJson(*s, false);
  return r;
}

}  // namespace berth::api
