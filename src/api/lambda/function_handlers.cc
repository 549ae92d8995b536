// LambdaApi: the function actions (Create/Get/List/Delete/Update*).
#include <climits>

#include "api/lambda/lambda_api.h"
#include "api/lambda/lambda_internal.h"
#include "functions/encoding.h"

namespace berth::api {

using lambda::Body;
using lambda::InvalidContent;
using lambda::JsonResponse;
using lambda::ValidationError;
using nlohmann::json;

namespace {

AwsError NotNull(const char* member) {
  return ValidationError(std::string("1 validation error detected: Value null at '") + member +
                         "' failed to satisfy constraint: Member must not be null");
}

int ClampInt(long long v) {
  return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : static_cast<int>(v);
}

// The {FunctionName} of a path plus ?Qualifier=; ValidationException when malformed.
std::optional<AwsError> CheckName(const std::string& name) {
  auto ref = functions::ParseFunctionRef(name);
  if (!ref.ok()) return ValidationError(ref.status().message());
  return std::nullopt;
}

// Code.ZipFile, decoded; the other code sources are refused.
std::optional<AwsError> ZipFrom(Body& in, const json& code, std::string* zip) {
  auto has = [&](const char* k) { return code.contains(k) && !code[k].is_null(); };
  if (has("ImageUri")) {
    return AwsError{400, "InvalidParameterValueException",
                    "berth runs Zip functions only; ImageUri is not supported."};
  }
  if (has("S3Bucket") || has("S3Key")) {
    return AwsError{400, "InvalidParameterValueException",
                    "berth does not fetch function code from S3 yet; send the zip as ZipFile "
                    "(e.g. aws lambda create-function --zip-file fileb://function.zip)."};
  }
  if (!has("ZipFile")) {
    return AwsError{400, "InvalidParameterValueException",
                    "Please provide a source for function code."};
  }
  if (!code["ZipFile"].is_string())
    return InvalidContent(
        "Could not parse request body into json: "
        "ZipFile must be a base64 string");
  auto bytes = functions::Base64Decode(code["ZipFile"].get<std::string>());
  if (!bytes) {
    return InvalidContent("Could not parse request body into json: ZipFile is not valid base64");
  }
  *zip = std::move(*bytes);
  (void)in;
  return std::nullopt;
}

std::optional<AwsError> CheckArchitectures(const json& body) {
  auto it = body.find("Architectures");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_array() || it->size() != 1 || !(*it)[0].is_string() ||
      ((*it)[0] != "x86_64" && (*it)[0] != "arm64")) {
    return ValidationError(
        "1 validation error detected: Value at 'architectures' failed to satisfy constraint: "
        "Member must have length less than or equal to 1, and each member must satisfy enum "
        "value set: [x86_64, arm64]");
  }
  return std::nullopt;
}

std::string Qualified(const LambdaApi::Request& r, const std::string& name) {
  auto q = r.Query("Qualifier");
  return q && !q->empty() ? name + ":" + *q : name;
}

}  // namespace

HttpResponse LambdaApi::CreateFunction(const Request& r) {
  Body in(r.http.body);
  functions::FunctionConfig c;
  auto name = in.String("FunctionName");
  auto role = in.String("Role");
  const json* code = in.Object("Code");
  c.runtime = in.String("Runtime").value_or("");
  c.handler = in.String("Handler").value_or("");
  c.description = in.String("Description").value_or("");
  if (auto t = in.Integer("Timeout")) c.timeout_s = ClampInt(*t);
  if (auto m = in.Integer("MemorySize")) c.memory_mb = ClampInt(*m);
  (void)in.Boolean("Publish");  // no versions: always $LATEST
  auto package = in.String("PackageType");
  if (const json* env = in.Object("Environment")) {
    c.environment =
        in.StringMap(*env, "Variables", "Environment.Variables").value_or(functions::StringMap{});
  }
  c.tags = in.StringMap(in.root(), "Tags", "Tags").value_or(functions::StringMap{});
  if (!in.ok()) return ErrorResponse(in.error());
  if (!name) return ErrorResponse(NotNull("functionName"));
  if (!role) return ErrorResponse(NotNull("role"));
  if (!code) return ErrorResponse(NotNull("code"));
  if (package && *package == "Image") {
    return ErrorResponse({400, "InvalidParameterValueException",
                          "berth runs Zip functions only; PackageType Image is not supported."});
  }
  if (package && *package != "Zip") {
    return ErrorResponse(ValidationError("1 validation error detected: Value '" + *package +
                                         "' at 'packageType' failed to satisfy constraint: "
                                         "Member must satisfy enum value set: [Image, Zip]"));
  }
  if (auto e = CheckArchitectures(in.root())) return ErrorResponse(*e);
  auto ref = functions::ParseFunctionRef(*name);
  if (!ref.ok()) return ErrorResponse(ValidationError(ref.status().message()));
  c.name = ref->name;
  c.role = *role;
  c.region = r.region;
  if (Status st = functions::CheckConstraints(c); !st.ok()) {
    return ErrorResponse(ValidationError(st.message()));
  }
  std::string zip;
  if (auto e = ZipFrom(in, *code, &zip)) return ErrorResponse(*e);
  auto created = functions_.CreateFunction(c, zip);
  if (!created.ok()) return ErrorResponse(LambdaError(created.status()));
  return JsonResponse(201, ConfigurationJson(*created));
}

HttpResponse LambdaApi::ListFunctions(const Request& r) {
  int max_items = 50;
  if (auto m = r.Query("MaxItems")) {
    long long v = -1;
    bool digits =
        !m->empty() && m->size() < 10 && m->find_first_not_of("0123456789") == std::string::npos;
    if (digits) v = std::stoll(*m);
    if (v < 1 || v > 10000) {
      return ErrorResponse(ValidationError(
          "1 validation error detected: Value '" + *m +
          "' at 'maxItems' failed to satisfy constraint: Member must have value " +
          (v > 10000 ? "less than or equal to 10000" : "greater than or equal to 1")));
    }
    max_items = static_cast<int>(v);
  }
  functions::FunctionPage page =
      functions_.ListFunctions(r.Query("Marker").value_or(""), max_items);
  json list = json::array();
  for (const auto& c : page.functions) list.push_back(ConfigurationJson(c));
  json body = {{"Functions", list}};
  if (!page.next_marker.empty()) body["NextMarker"] = page.next_marker;
  return JsonResponse(200, body);
}

HttpResponse LambdaApi::GetFunction(const Request& r, const std::string& name) {
  std::string ref = Qualified(r, name);
  if (auto e = CheckName(ref)) return ErrorResponse(*e);
  auto c = functions_.GetFunction(ref, r.region);
  if (!c.ok()) return ErrorResponse(LambdaError(c.status()));
  json body = {{"Configuration", ConfigurationJson(*c)}, {"Code", {{"RepositoryType", "S3"}}}};
  if (!c->tags.empty()) {
    json tags = json::object();
    for (const auto& [k, v] : c->tags) tags[k] = v;
    body["Tags"] = tags;
  }
  return JsonResponse(200, body);
}

HttpResponse LambdaApi::GetFunctionConfiguration(const Request& r, const std::string& name) {
  std::string ref = Qualified(r, name);
  if (auto e = CheckName(ref)) return ErrorResponse(*e);
  auto c = functions_.GetFunction(ref, r.region);
  if (!c.ok()) return ErrorResponse(LambdaError(c.status()));
  return JsonResponse(200, ConfigurationJson(*c));
}

HttpResponse LambdaApi::DeleteFunction(const Request& r, const std::string& name) {
  std::string ref = Qualified(r, name);
  if (auto e = CheckName(ref)) return ErrorResponse(*e);
  auto parsed = functions::ParseFunctionRef(ref);
  if (parsed.ok() && parsed->qualifier == "$LATEST") {
    return ErrorResponse({400, "InvalidParameterValueException",
                          "$LATEST version cannot be deleted without deleting the function."});
  }
  Status st = functions_.DeleteFunction(ref, r.region);
  if (!st.ok()) return ErrorResponse(LambdaError(st));
  return lambda::EmptyResponse(204);
}

HttpResponse LambdaApi::UpdateFunctionCode(const Request& r, const std::string& name) {
  if (auto e = CheckName(name)) return ErrorResponse(*e);
  Body in(r.http.body);
  auto dry_run = in.Boolean("DryRun");
  (void)in.Boolean("Publish");
  auto revision = in.String("RevisionId");
  if (!in.ok()) return ErrorResponse(in.error());
  if (auto e = CheckArchitectures(in.root())) return ErrorResponse(*e);
  auto current = functions_.GetFunction(name, r.region);
  if (!current.ok()) return ErrorResponse(LambdaError(current.status()));
  if (revision && *revision != current->revision_id) {
    return ErrorResponse({412, "PreconditionFailedException",
                          "The Revision Id provided does not match the latest Revision Id. Call "
                          "the GetFunction/GetAlias API to retrieve the latest Revision Id"});
  }
  std::string zip;
  if (auto e = ZipFrom(in, in.root(), &zip)) return ErrorResponse(*e);
  if (dry_run.value_or(false)) return JsonResponse(200, ConfigurationJson(*current));
  auto updated = functions_.UpdateFunctionCode(name, r.region, zip);
  if (!updated.ok()) return ErrorResponse(LambdaError(updated.status()));
  return JsonResponse(200, ConfigurationJson(*updated));
}

HttpResponse LambdaApi::UpdateFunctionConfiguration(const Request& r, const std::string& name) {
  if (auto e = CheckName(name)) return ErrorResponse(*e);
  Body in(r.http.body);
  functions::ConfigurationUpdate u;
  u.runtime = in.String("Runtime");
  u.handler = in.String("Handler");
  u.role = in.String("Role");
  u.description = in.String("Description");
  if (auto t = in.Integer("Timeout")) u.timeout_s = ClampInt(*t);
  if (auto m = in.Integer("MemorySize")) u.memory_mb = ClampInt(*m);
  if (const json* env = in.Object("Environment")) {
    u.environment =
        in.StringMap(*env, "Variables", "Environment.Variables").value_or(functions::StringMap{});
  }
  auto revision = in.String("RevisionId");
  if (!in.ok()) return ErrorResponse(in.error());
  auto current = functions_.GetFunction(name, r.region);
  if (!current.ok()) return ErrorResponse(LambdaError(current.status()));
  if (revision && *revision != current->revision_id) {
    return ErrorResponse({412, "PreconditionFailedException",
                          "The Revision Id provided does not match the latest Revision Id. Call "
                          "the GetFunction/GetAlias API to retrieve the latest Revision Id"});
  }
  functions::FunctionConfig next = *current;
  if (u.runtime) next.runtime = *u.runtime;
  if (u.handler) next.handler = *u.handler;
  if (u.role) next.role = *u.role;
  if (u.description) next.description = *u.description;
  if (u.environment) next.environment = *u.environment;
  if (u.timeout_s) next.timeout_s = *u.timeout_s;
  if (u.memory_mb) next.memory_mb = *u.memory_mb;
  if (Status st = functions::CheckConstraints(next); !st.ok()) {
    return ErrorResponse(ValidationError(st.message()));
  }
  auto updated = functions_.UpdateFunctionConfiguration(name, r.region, u);
  if (!updated.ok()) return ErrorResponse(LambdaError(updated.status()));
  return JsonResponse(200, ConfigurationJson(*updated));
}

}  // namespace berth::api
