#include "api/http/json_reply.h"

#include "common/ids.h"

namespace berth::api {

using nlohmann::json;

Reply InputError(const Input& in) { return ErrorReply(in.error()); }

Reply ErrorReply(AwsError e) {
  Reply r;
  r.error = std::move(e);
  return r;
}

HttpResponse ToHttpResponse(const Reply& reply) {
  HttpResponse resp;
  resp.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", NewUuid()}};
  if (reply.error) {
    resp.status = reply.error->http_status;
    resp.headers.push_back({"x-amzn-ErrorType", reply.error->type});
    resp.body = json{{"__type", reply.error->type}, {"message", reply.error->message}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
  } else if (!reply.raw_body.empty()) {
    resp.body = reply.raw_body;
  } else {
    resp.body = reply.body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return resp;
}

Reply ParseJsonBody(const std::string& body, json* out) {
  *out = !JsonDepthWithin(body, 64) ? json(nullptr)
         : body.empty()             ? json::object()
                                    : json::parse(body, nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    return ErrorReply({400, "SerializationException", "The request body is not a valid JSON object."});
  }
  return Reply{};
}

}  // namespace berth::api
