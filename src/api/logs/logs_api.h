// LogsApi: the CloudWatch Logs wire protocol (awsJson1_1, X-Amz-Target Logs_20140328.*) over
// logs::LogStore — one handler per action (spec/logs.md §2). Input is fully checked before
// the store is touched.
// Threads: control thread only (the store is thread-safe; the capture thread appends).
#pragma once

#include <string>

#include "api/http/http_types.h"
#include "api/http/input.h"
#include "api/http/json_reply.h"
#include "common/clock.h"
#include "logs/log_store.h"

namespace berth::api {

class LogsApi {
 public:
  static constexpr const char* kTargetPrefix = "Logs_20140328.";

  LogsApi(logs::LogStore& store, const Clock& clock, std::string account_id)
      : store_(store), clock_(clock), account_id_(std::move(account_id)) {}

  HttpResponse Handle(const std::string& operation, const std::string& body,
                      const std::string& region);

 private:
  Reply CreateLogGroup(Input& in);
  Reply DeleteLogGroup(Input& in);
  Reply DescribeLogGroups(Input& in, const std::string& region);
  Reply CreateLogStream(Input& in);
  Reply DeleteLogStream(Input& in);
  Reply DescribeLogStreams(Input& in, const std::string& region);
  Reply PutRetentionPolicy(Input& in);
  Reply DeleteRetentionPolicy(Input& in);
  Reply TagLogGroup(Input& in);
  Reply UntagLogGroup(Input& in);
  Reply ListTagsLogGroup(Input& in);
  Reply TagResource(Input& in);
  Reply UntagResource(Input& in);
  Reply ListTagsForResource(Input& in);
  Reply PutLogEvents(Input& in);
  Reply GetLogEvents(Input& in);
  Reply FilterLogEvents(Input& in);

  // logGroupName, or logGroupIdentifier (a name or an ARN); InvalidParameter if neither.
  std::string GroupName(Input& in);

  logs::LogStore& store_;
  const Clock& clock_;
  std::string account_id_;
};

// Shared by the handler files.
Reply LogsFail(const Status& s);
Reply LogsInvalid(const std::string& message);

}  // namespace berth::api
