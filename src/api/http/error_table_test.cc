#include "api/http/error_table.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

TEST(EcsErrorTable, MapsByCodeAndResource) {
  struct Case {
    Status status;
    int http;
    const char* type;
  } cases[] = {
      {NotFound("Cluster not found.", Resource::kCluster), 400, "ClusterNotFoundException"},
      {NotFound("Service not found.", Resource::kService), 400, "ServiceNotFoundException"},
      {NotFound("Unable to describe task definition.", Resource::kTaskDefinition), 400,
       "ClientException"},
      {NotFound("The referenced task was not found.", Resource::kTask), 400,
       "InvalidParameterException"},
      {InvalidArgument("Container list cannot be empty.", Resource::kTaskDefinition), 400,
       "ClientException"},
      {InvalidArgument("Tasks cannot be empty."), 400, "InvalidParameterException"},
      {FailedPrecondition("x", Resource::kTask), 400, "ClusterContainsTasksException"},
      {FailedPrecondition("x", Resource::kService), 400, "ClusterContainsServicesException"},
      {Conflict("x"), 400, "ConflictException"},
      {Internal("boom"), 500, "ServerException"},
  };
  for (const auto& c : cases) {
    AwsError e = EcsError(c.status);
    EXPECT_EQ(e.http_status, c.http) << c.status.ToString();
    EXPECT_EQ(e.type, c.type) << c.status.ToString();
    EXPECT_EQ(e.message, c.status.message());
  }
}

}  // namespace
}  // namespace berth::api
