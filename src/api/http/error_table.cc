#include "api/http/error_table.h"

namespace berth::api {

namespace {

struct Row {
  Code code;
  Resource resource;  // kNone matches any resource not listed before it
  int http_status;
  const char* type;
};

// First match wins, so specific resources come before the kNone fallback of the same code.
constexpr Row kEcsTable[] = {
    {Code::kNotFound, Resource::kCluster, 400, "ClusterNotFoundException"},
    {Code::kNotFound, Resource::kService, 400, "ServiceNotFoundException"},
    {Code::kNotFound, Resource::kTaskDefinition, 400, "ClientException"},
    {Code::kNotFound, Resource::kTask, 400, "InvalidParameterException"},
    {Code::kNotFound, Resource::kNone, 400, "ResourceNotFoundException"},
    {Code::kInvalidArgument, Resource::kTaskDefinition, 400, "ClientException"},
    {Code::kInvalidArgument, Resource::kNone, 400, "InvalidParameterException"},
    {Code::kFailedPrecondition, Resource::kTask, 400, "ClusterContainsTasksException"},
    {Code::kFailedPrecondition, Resource::kService, 400, "ClusterContainsServicesException"},
    {Code::kFailedPrecondition, Resource::kTaskDefinition, 400, "ClientException"},
    {Code::kFailedPrecondition, Resource::kInactiveService, 400, "ServiceNotActiveException"},
    {Code::kFailedPrecondition, Resource::kNone, 400, "InvalidParameterException"},
    {Code::kAlreadyExists, Resource::kNone, 400, "InvalidParameterException"},
    {Code::kConflict, Resource::kNone, 400, "ConflictException"},
    {Code::kResourceExhausted, Resource::kNone, 400, "LimitExceededException"},
    {Code::kUnauthenticated, Resource::kNone, 403, "UnrecognizedClientException"},
    {Code::kUnavailable, Resource::kNone, 503, "ServerException"},
    {Code::kInternal, Resource::kNone, 500, "ServerException"},
};

constexpr Row kLogsTable[] = {
    {Code::kNotFound, Resource::kNone, 400, "ResourceNotFoundException"},
    {Code::kAlreadyExists, Resource::kNone, 400, "ResourceAlreadyExistsException"},
    {Code::kInvalidArgument, Resource::kNone, 400, "InvalidParameterException"},
    {Code::kFailedPrecondition, Resource::kNone, 400, "InvalidParameterException"},
    {Code::kConflict, Resource::kNone, 400, "OperationAbortedException"},
    {Code::kResourceExhausted, Resource::kNone, 400, "LimitExceededException"},
    {Code::kUnavailable, Resource::kNone, 500, "ServiceUnavailableException"},
    {Code::kInternal, Resource::kNone, 500, "ServiceUnavailableException"},
};

template <size_t N>
AwsError Lookup(const Row (&table)[N], const Status& s, const char* fallback) {
  for (const Row& row : table) {
    if (row.code == s.code() && (row.resource == s.resource() || row.resource == Resource::kNone)) {
      return {row.http_status, row.type, s.message()};
    }
  }
  return {500, fallback, s.message()};
}

}  // namespace

AwsError LogsError(const Status& s) { return Lookup(kLogsTable, s, "ServiceUnavailableException"); }

AwsError EcsError(const Status& s) { return Lookup(kEcsTable, s, "ServerException"); }

}  // namespace berth::api
