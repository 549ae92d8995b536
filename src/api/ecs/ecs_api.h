// EcsApi: the ECS wire protocol (awsJson1_1, X-Amz-Target AmazonEC2ContainerServiceV20141113.*)
// over ecs::ControlPlane. One handler per AWS action, named after it; each decodes and checks
// its input completely before touching the control plane, so bad input changes nothing.
// Shapes, defaults and error texts follow spec/ecs.md.
//
// Threads: control thread only.
#pragma once

#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "api/http/http_types.h"
#include "api/http/input.h"
#include "api/http/json_reply.h"
#include "ecs/control_plane.h"

namespace berth::api {

class EcsApi {
 public:
  static constexpr const char* kTargetPrefix = "AmazonEC2ContainerServiceV20141113.";

  explicit EcsApi(ecs::ControlPlane& cp) : cp_(cp) {}

  // `operation` is the X-Amz-Target suffix, e.g. "RunTask".
  HttpResponse Handle(const std::string& operation, const std::string& body,
                      const ecs::RequestContext& ctx);

 private:
  Reply CreateCluster(Input& in, const ecs::RequestContext& ctx);
  Reply DescribeClusters(Input& in, const ecs::RequestContext& ctx);
  Reply ListClusters(Input& in);
  Reply DeleteCluster(Input& in);
  Reply RegisterTaskDefinition(Input& in, const ecs::RequestContext& ctx);
  Reply DescribeTaskDefinition(Input& in);
  Reply ListTaskDefinitions(Input& in);
  Reply ListTaskDefinitionFamilies(Input& in);
  Reply DeregisterTaskDefinition(Input& in);
  Reply DeleteTaskDefinitions(Input& in);
  Reply RunTask(Input& in, const ecs::RequestContext& ctx);
  Reply StopTask(Input& in);
  Reply DescribeTasks(Input& in, const ecs::RequestContext& ctx);
  Reply ListTasks(Input& in);
  Reply CreateService(Input& in, const ecs::RequestContext& ctx);
  Reply UpdateService(Input& in);
  Reply DescribeServices(Input& in, const ecs::RequestContext& ctx);
  Reply ListServices(Input& in);
  Reply DeleteService(Input& in);
  Reply TagResource(Input& in);
  Reply UntagResource(Input& in);
  Reply ListTagsForResource(Input& in);

  nlohmann::json TaskDefinitionJson(const model::TaskDefinition& td) const;
  // A task's DescribeTasks JSON text, rebuilt only when the task changed (DescribeTasks is the
  // call waiters and dashboards poll).
  const std::string& TaskJsonText(const model::Task& t, bool include_tags);

  struct CachedTask {
    uint64_t change_seq = 0;
    bool include_tags = false;
    std::string text;
  };
  std::unordered_map<std::string, CachedTask> task_text_cache_;
  ecs::ControlPlane& cp_;
};

// Shared by the handlers.
Reply Fail(const Status& s);
Reply InvalidParameter(const std::string& message);
// Pages `items` by Input's nextToken/maxResults into body[key] (+ nextToken when more remain).
Reply Paginate(Input& in, const std::vector<std::string>& items, const char* key,
               int default_page_size);

}  // namespace berth::api
