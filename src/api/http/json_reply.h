// Reply: what an awsJson handler produces — a JSON body or an AWS error — and its HTTP form
// (x-amzn-RequestId always; x-amzn-ErrorType and {"__type","message"} for errors).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "api/http/error_table.h"
#include "api/http/http_types.h"
#include "api/http/input.h"

namespace berth::api {

struct Reply {
  nlohmann::json body = nlohmann::json::object();
  std::optional<AwsError> error;
  std::string raw_body;  // when set, sent instead of `body` (pre-serialized hot paths)
};

// The first problem Input found while decoding.
Reply InputError(const Input& in);
Reply ErrorReply(AwsError e);
HttpResponse ToHttpResponse(const Reply& reply);
// Parses an awsJson body: {} when empty; SerializationException when it is not a JSON object
// (or nests deeper than 64).
Reply ParseJsonBody(const std::string& body, nlohmann::json* out);

}  // namespace berth::api
