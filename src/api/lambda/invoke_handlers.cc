// LambdaApi: Invoke (asynchronous reply) and the tag actions.
#include "api/lambda/lambda_api.h"
#include "api/lambda/lambda_internal.h"
#include "functions/encoding.h"

namespace berth::api {

using lambda::Body;
using lambda::ValidationError;
using nlohmann::json;

void LambdaApi::Invoke(const Request& r, const std::string& name, Reply reply) {
  std::string ref = name;
  if (auto q = r.Query("Qualifier"); q && !q->empty()) ref += ":" + *q;
  auto parsed = functions::ParseFunctionRef(ref);
  if (!parsed.ok()) return reply(ErrorResponse(ValidationError(parsed.status().message())));
  functions::InvokeOptions o;
  std::string type = r.http.Header("X-Amz-Invocation-Type");
  if (type.empty() || type == "RequestResponse") {
    o.type = functions::InvocationType::kRequestResponse;
  } else if (type == "Event") {
    o.type = functions::InvocationType::kEvent;
  } else if (type == "DryRun") {
    o.type = functions::InvocationType::kDryRun;
  } else {
    return reply(ErrorResponse(ValidationError(
        "1 validation error detected: Value '" + type +
        "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: "
        "[Event, RequestResponse, DryRun]")));
  }
  std::string log_type = r.http.Header("X-Amz-Log-Type");
  if (!log_type.empty() && log_type != "None" && log_type != "Tail") {
    return reply(ErrorResponse(ValidationError(
        "1 validation error detected: Value '" + log_type +
        "' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: "
        "[None, Tail]")));
  }
  o.tail_log = log_type == "Tail" && o.type == functions::InvocationType::kRequestResponse;
  o.client_context = r.http.Header("X-Amz-Client-Context");
  o.region = r.region;
  const std::string& payload = r.http.body;
  if (!payload.empty() && !json::accept(payload)) {
    return reply(ErrorResponse(lambda::InvalidContent(
        "Could not parse request body into json: Could not parse payload into json: the "
        "payload is not a JSON document")));
  }
  bool tail = o.tail_log;
  functions_.Invoke(
      ref, payload, std::move(o), [reply = std::move(reply), tail](functions::InvokeResult result) {
        if (!result.status.ok()) return reply(ErrorResponse(LambdaError(result.status)));
        HttpResponse resp;
        resp.status = result.status_code;
        resp.headers = {{"x-amzn-RequestId", result.request_id}};
        if (result.status_code == 200) {
          resp.headers.push_back({"Content-Type", "application/json"});
          resp.headers.push_back({"X-Amz-Executed-Version", result.executed_version});
          if (!result.function_error.empty()) {
            resp.headers.push_back({"X-Amz-Function-Error", result.function_error});
          }
          if (tail) {
            resp.headers.push_back({"X-Amz-Log-Result", functions::Base64Encode(result.log_tail)});
          }
          resp.body = std::move(result.payload);
        }
        reply(std::move(resp));
      });
}

namespace {

// A function ARN for the tag actions; ValidationException otherwise.
std::optional<AwsError> CheckArn(const std::string& arn) {
  auto ref = functions::ParseFunctionRef(arn);
  if (!ref.ok() || ref->region.empty()) {
    return ValidationError("1 validation error detected: Value '" + arn +
                           "' at 'resource' failed to satisfy constraint: Member must satisfy "
                           "regular expression pattern: arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}"
                           "(-gov)?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|"
                           "[a-zA-Z0-9-_]+))?");
  }
  return std::nullopt;
}

}  // namespace

HttpResponse LambdaApi::ListTags(const Request& r, const std::string& arn) {
  if (auto e = CheckArn(arn)) return ErrorResponse(*e);
  auto tags = functions_.ListTags(arn, r.region);
  if (!tags.ok()) return ErrorResponse(LambdaError(tags.status()));
  json t = json::object();
  for (const auto& [k, v] : *tags) t[k] = v;
  return lambda::JsonResponse(200, {{"Tags", t}});
}

HttpResponse LambdaApi::TagResource(const Request& r, const std::string& arn) {
  if (auto e = CheckArn(arn)) return ErrorResponse(*e);
  Body in(r.http.body);
  auto tags = in.StringMap(in.root(), "Tags", "Tags");
  if (!in.ok()) return ErrorResponse(in.error());
  if (!tags) {
    return ErrorResponse(
        ValidationError("1 validation error detected: Value null at 'tags' "
                        "failed to satisfy constraint: Member must not be null"));
  }
  Status st = functions_.TagResource(arn, r.region, *tags);
  if (!st.ok()) return ErrorResponse(LambdaError(st));
  return lambda::EmptyResponse(204);
}

HttpResponse LambdaApi::UntagResource(const Request& r, const std::string& arn) {
  if (auto e = CheckArn(arn)) return ErrorResponse(*e);
  std::vector<std::string> keys = r.QueryAll("tagKeys");
  if (keys.empty()) {
    return ErrorResponse(
        ValidationError("1 validation error detected: Value null at 'tagKeys' "
                        "failed to satisfy constraint: Member must not be null"));
  }
  Status st = functions_.UntagResource(arn, r.region, keys);
  if (!st.ok()) return ErrorResponse(LambdaError(st));
  return lambda::EmptyResponse(204);
}

}  // namespace berth::api
