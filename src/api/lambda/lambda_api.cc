// LambdaApi: routing, the synchronous adapter, the error table and the shared helpers. The
// function actions are in function_handlers.cc, Invoke and tags in invoke_handlers.cc.
#include "api/lambda/lambda_api.h"

#include <memory>

#include "api/lambda/lambda_internal.h"
#include "common/ids.h"

namespace berth::api {

using nlohmann::json;

namespace {

struct Row {
  Code code;
  int http_status;
  const char* type;
};

// Lambda has no per-resource error names: the code alone decides.
constexpr Row kTable[] = {
    {Code::kNotFound, 404, "ResourceNotFoundException"},
    {Code::kAlreadyExists, 409, "ResourceConflictException"},
    {Code::kConflict, 409, "ResourceConflictException"},
    {Code::kInvalidArgument, 400, "InvalidParameterValueException"},
    {Code::kFailedPrecondition, 400, "InvalidParameterValueException"},
    {Code::kResourceExhausted, 429, "TooManyRequestsException"},
    {Code::kUnauthenticated, 403, "AccessDeniedException"},
    {Code::kUnavailable, 503, "ServiceException"},
    {Code::kInternal, 500, "ServiceException"},
};

// Path segments, percent-decoded.
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(lambda::PercentDecode(path.substr(start, slash - start)));
    start = slash + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();  // a trailing '/'
  return out;
}

std::multimap<std::string, std::string> ParseQuery(const std::string& target) {
  std::multimap<std::string, std::string> q;
  size_t qm = target.find('?');
  if (qm == std::string::npos) return q;
  std::string s = target.substr(qm + 1);
  size_t start = 0;
  while (start < s.size()) {
    size_t amp = s.find('&', start);
    if (amp == std::string::npos) amp = s.size();
    std::string kv = s.substr(start, amp - start);
    size_t eq = kv.find('=');
    if (!kv.empty()) {
      q.emplace(lambda::PercentDecode(kv.substr(0, eq)),
                eq == std::string::npos ? "" : lambda::PercentDecode(kv.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return q;
}

}  // namespace

AwsError LambdaError(const Status& s) {
  for (const Row& row : kTable) {
    if (row.code == s.code()) return {row.http_status, row.type, s.message()};
  }
  return {500, "ServiceException", s.message()};
}

HttpResponse LambdaApi::ErrorResponse(const AwsError& e) {
  HttpResponse r;
  r.status = e.http_status;
  r.headers = {{"Content-Type", "application/json"},
               {"x-amzn-RequestId", NewUuid()},
               {"x-amzn-ErrorType", e.type}};
  // The model spells the member "Message" for these two and "message" for the others.
  bool capital = e.type == "ResourceNotFoundException" || e.type == "ServiceException";
  r.body = json{{"Type", e.http_status >= 500 ? "Service" : "User"},
                {capital ? "Message" : "message", e.message}}
               .dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

void LambdaApi::HandleAsync(const HttpRequest& req, const std::string& region, Reply reply) {
  Request r{req, region, ParseQuery(req.target)};
  std::vector<std::string> seg = Segments(req.Path());
  const std::string& m = req.method;
  auto answer = [&](HttpResponse resp) { reply(std::move(resp)); };
  if (seg.size() >= 2 && seg[0] == "2015-03-31" && seg[1] == "functions") {
    if (seg.size() == 2) {
      if (m == "POST") return answer(CreateFunction(r));
      if (m == "GET") return answer(ListFunctions(r));
    } else if (seg.size() == 3) {
      if (m == "GET") return answer(GetFunction(r, seg[2]));
      if (m == "DELETE") return answer(DeleteFunction(r, seg[2]));
    } else if (seg.size() == 4 && seg[3] == "configuration") {
      if (m == "GET") return answer(GetFunctionConfiguration(r, seg[2]));
      if (m == "PUT") return answer(UpdateFunctionConfiguration(r, seg[2]));
    } else if (seg.size() == 4 && seg[3] == "code") {
      if (m == "PUT") return answer(UpdateFunctionCode(r, seg[2]));
    } else if (seg.size() == 4 && seg[3] == "invocations") {
      if (m == "POST") return Invoke(r, seg[2], std::move(reply));
    }
  } else if (seg.size() == 3 && seg[0] == "2017-03-31" && seg[1] == "tags") {
    if (m == "GET") return answer(ListTags(r, seg[2]));
    if (m == "POST") return answer(TagResource(r, seg[2]));
    if (m == "DELETE") return answer(UntagResource(r, seg[2]));
  }
  answer(ErrorResponse({404, "UnknownOperationException",
                        "berth's Lambda API has no operation at " + m + " " + req.Path() + "."}));
}

HttpResponse LambdaApi::Handle(const HttpRequest& req, const std::string& region) {
  auto slot = std::make_shared<std::optional<HttpResponse>>();
  HandleAsync(req, region, [slot](HttpResponse r) { *slot = std::move(r); });
  if (!slot->has_value() && options_.run_until) {
    options_.run_until([slot] { return slot->has_value(); });
  }
  if (!slot->has_value()) {
    return ErrorResponse(
        {503, "ServiceException", "berth is shutting down; the request was not completed."});
  }
  return std::move(**slot);
}

json LambdaApi::ConfigurationJson(const functions::FunctionConfig& c) const {
  json j = {{"FunctionName", c.name},
            {"FunctionArn", functions_.Arn(c)},
            {"Runtime", c.runtime},
            {"Role", c.role}};
  if (!c.handler.empty()) j["Handler"] = c.handler;
  j["CodeSize"] = c.code_size;
  j["Description"] = c.description;
  j["Timeout"] = c.timeout_s;
  j["MemorySize"] = c.memory_mb;
  j["LastModified"] = functions::FormatLastModified(c.last_modified);
  j["CodeSha256"] = c.code_sha256;
  j["Version"] = "$LATEST";
  if (!c.environment.empty()) {
    json vars = json::object();
    for (const auto& [k, v] : c.environment) vars[k] = v;
    j["Environment"] = {{"Variables", vars}};
  }
  j["TracingConfig"] = {{"Mode", "PassThrough"}};
  j["RevisionId"] = c.revision_id;
  j["State"] = "Active";
  j["LastUpdateStatus"] = "Successful";
  j["PackageType"] = "Zip";
  j["Architectures"] = json::array({"x86_64"});
  j["EphemeralStorage"] = {{"Size", 512}};
  j["SnapStart"] = {{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}};
  j["LoggingConfig"] = {{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/" + c.name}};
  return j;
}

namespace lambda {

Body::Body(const std::string& text) {
  j_ = text.empty() ? json::object() : json::parse(text, nullptr, false);
  if (j_.is_discarded()) {
    error_ = InvalidContent("Could not parse request body into json: the body is not valid JSON");
    j_ = json::object();
  } else if (!j_.is_object()) {
    error_ =
        InvalidContent("Could not parse request body into json: the body is not a JSON object");
    j_ = json::object();
  }
}

const json* Body::Get(const char* key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

void Body::TypeError(const char* key, const char* expected) {
  if (!error_) {
    error_ = InvalidContent(std::string("Could not parse request body into json: Unexpected value "
                                        "for '") +
                            key + "': expected " + expected);
  }
}

std::optional<std::string> Body::String(const char* key) {
  const json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    TypeError(key, "a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<long long> Body::Integer(const char* key) {
  const json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    TypeError(key, "an integer");
    return std::nullopt;
  }
  return v->get<long long>();
}

std::optional<bool> Body::Boolean(const char* key) {
  const json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    TypeError(key, "a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

const json* Body::Object(const char* key) {
  const json* v = Get(key);
  if (v && !v->is_object()) {
    TypeError(key, "an object");
    return nullptr;
  }
  return v;
}

std::optional<functions::StringMap> Body::StringMap(const json& parent, const char* key,
                                                    const char* where) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) {
    TypeError(where, "an object of strings");
    return std::nullopt;
  }
  functions::StringMap out;
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      TypeError(where, "an object of strings");
      return std::nullopt;
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

AwsError ValidationError(const std::string& message) {
  return {400, "ValidationException", message};
}

AwsError InvalidContent(const std::string& message) {
  return {400, "InvalidRequestContentException", message};
}

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}, {"x-amzn-RequestId", NewUuid()}};
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse EmptyResponse(int status) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"x-amzn-RequestId", NewUuid()}};
  return r;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace lambda
}  // namespace berth::api
