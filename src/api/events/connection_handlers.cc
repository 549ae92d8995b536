// EventsApi: connections and API destinations (how a rule reaches an HTTP endpoint, e.g. a
// Slack webhook). Secrets given to CreateConnection are stored (config file mode 0600) and
// used by deliveries, but never returned.
#include "api/events/events_api.h"

namespace berth::api {

using nlohmann::json;

namespace {

double Seconds(TimeMs t) { return static_cast<double>(t) / 1000.0; }

// AuthParameters as Describe shows them: names, never keys, passwords or client secrets.
json PublicAuth(const json& auth) {
  json out = json::object();
  if (!auth.is_object()) return out;
  if (auth.contains("ApiKeyAuthParameters") && auth["ApiKeyAuthParameters"].is_object()) {
    out["ApiKeyAuthParameters"] = {
        {"ApiKeyName", auth["ApiKeyAuthParameters"].value("ApiKeyName", "")}};
  }
  if (auth.contains("BasicAuthParameters") && auth["BasicAuthParameters"].is_object()) {
    out["BasicAuthParameters"] = {{"Username", auth["BasicAuthParameters"].value("Username", "")}};
  }
  if (auth.contains("OAuthParameters") && auth["OAuthParameters"].is_object()) {
    json o = auth["OAuthParameters"];
    if (o.contains("ClientParameters") && o["ClientParameters"].is_object()) {
      o["ClientParameters"].erase("ClientSecret");
    }
    out["OAuthParameters"] = o;
  }
  if (auth.contains("InvocationHttpParameters")) {
    out["InvocationHttpParameters"] = auth["InvocationHttpParameters"];
  }
  return out;
}

json ConnectionJson(const events::Connection& c, bool full) {
  json j = {{"ConnectionArn", c.arn},
            {"Name", c.name},
            {"ConnectionState", "AUTHORIZED"},
            {"AuthorizationType", c.authorization_type},
            {"CreationTime", Seconds(c.created_ms)},
            {"LastModifiedTime", Seconds(c.modified_ms)},
            {"LastAuthorizedTime", Seconds(c.modified_ms)}};
  if (full) {
    j["AuthParameters"] = PublicAuth(c.auth_parameters);
    if (!c.description.empty()) j["Description"] = c.description;
  }
  return j;
}

json DestinationJson(const events::ApiDestination& d) {
  json j = {{"ApiDestinationArn", d.arn},
            {"Name", d.name},
            {"ApiDestinationState", "ACTIVE"},
            {"ConnectionArn", d.connection_arn},
            {"InvocationEndpoint", d.endpoint},
            {"HttpMethod", d.http_method},
            {"InvocationRateLimitPerSecond", d.rate_limit_per_second},
            {"CreationTime", Seconds(d.created_ms)},
            {"LastModifiedTime", Seconds(d.modified_ms)}};
  if (!d.description.empty()) j["Description"] = d.description;
  return j;
}

}  // namespace

Reply EventsApi::CreateConnection(Input& in) {
  events::Connection c;
  c.name = in.RequiredString("Name");
  c.authorization_type = in.RequiredString("AuthorizationType");
  c.description = in.StringOr("Description", "");
  const json* auth = in.Object("AuthParameters");
  if (!in.ok()) return InputError(in);
  if (c.authorization_type != "API_KEY" && c.authorization_type != "BASIC" &&
      c.authorization_type != "OAUTH_CLIENT_CREDENTIALS") {
    return EventsInvalid("1 validation error detected: Value '" + c.authorization_type +
                         "' at 'authorizationType' failed to satisfy constraint: Member must "
                         "satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]");
  }
  if (!auth) {
    return EventsInvalid(
        "1 validation error detected: Value null at 'authParameters' failed "
        "to satisfy constraint: Member must not be null");
  }
  c.auth_parameters = *auth;
  auto created = bus_.CreateConnection(std::move(c));
  if (!created.ok()) return EventsFail(created.status());
  Reply r;
  r.body = {{"ConnectionArn", created->arn},
            {"ConnectionState", "AUTHORIZED"},
            {"CreationTime", Seconds(created->created_ms)},
            {"LastModifiedTime", Seconds(created->modified_ms)}};
  return r;
}

Reply EventsApi::DescribeConnection(Input& in) {
  std::string name = in.RequiredString("Name");
  if (!in.ok()) return InputError(in);
  auto c = bus_.DescribeConnection(name);
  if (!c.ok()) return EventsFail(c.status());
  Reply r;
  r.body = ConnectionJson(*c, true);
  return r;
}

Reply EventsApi::ListConnections(Input& in) {
  std::string prefix = in.StringOr("NamePrefix", "");
  in.String("ConnectionState");
  if (!in.ok()) return InputError(in);
  return Page(in, bus_.ListConnections(prefix), "Connections",
              [](const events::Connection& c) { return ConnectionJson(c, false); });
}

Reply EventsApi::DeleteConnection(Input& in) {
  std::string name = in.RequiredString("Name");
  if (!in.ok()) return InputError(in);
  auto c = bus_.DeleteConnection(name);
  if (!c.ok()) return EventsFail(c.status());
  Reply r;
  r.body = {{"ConnectionArn", c->arn},
            {"ConnectionState", "DELETING"},
            {"CreationTime", Seconds(c->created_ms)},
            {"LastModifiedTime", Seconds(c->modified_ms)}};
  return r;
}

Reply EventsApi::CreateApiDestination(Input& in) {
  events::ApiDestination d;
  d.name = in.RequiredString("Name");
  d.connection_arn = in.RequiredString("ConnectionArn");
  d.endpoint = in.RequiredString("InvocationEndpoint");
  d.http_method = in.RequiredString("HttpMethod");
  d.description = in.StringOr("Description", "");
  auto rate = in.Integer("InvocationRateLimitPerSecond");
  if (!in.ok()) return InputError(in);
  static const char* kMethods[] = {"POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), d.http_method) == std::end(kMethods)) {
    return EventsInvalid("1 validation error detected: Value '" + d.http_method +
                         "' at 'httpMethod' failed to satisfy constraint: Member must satisfy "
                         "enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]");
  }
  // AWS takes https only; berth also takes http:// so a local receiver needs no certificate.
  if (d.endpoint.rfind("https://", 0) != 0 && d.endpoint.rfind("http://", 0) != 0) {
    return EventsInvalid("1 validation error detected: Value '" + d.endpoint +
                         "' at 'invocationEndpoint' failed to satisfy constraint: Member must "
                         "satisfy regular expression pattern: ^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:"
                         "@\\x26=+$,A-Za-z0-9])+)([).!';/?:,])?$");
  }
  if (rate) {
    if (*rate < 1) {
      return EventsInvalid(
          "1 validation error detected: Value at "
          "'invocationRateLimitPerSecond' failed to satisfy constraint: Member "
          "must have value greater than or equal to 1");
    }
    d.rate_limit_per_second = static_cast<int>(std::min<long long>(*rate, 300));
  }
  auto created = bus_.CreateApiDestination(std::move(d));
  if (!created.ok()) return EventsFail(created.status());
  Reply r;
  r.body = {{"ApiDestinationArn", created->arn},
            {"ApiDestinationState", "ACTIVE"},
            {"CreationTime", Seconds(created->created_ms)},
            {"LastModifiedTime", Seconds(created->modified_ms)}};
  return r;
}

Reply EventsApi::DescribeApiDestination(Input& in) {
  std::string name = in.RequiredString("Name");
  if (!in.ok()) return InputError(in);
  auto d = bus_.DescribeApiDestination(name);
  if (!d.ok()) return EventsFail(d.status());
  Reply r;
  r.body = DestinationJson(*d);
  return r;
}

Reply EventsApi::ListApiDestinations(Input& in) {
  std::string prefix = in.StringOr("NamePrefix", "");
  in.String("ConnectionArn");
  if (!in.ok()) return InputError(in);
  return Page(in, bus_.ListApiDestinations(prefix), "ApiDestinations",
              [](const events::ApiDestination& d) { return DestinationJson(d); });
}

Reply EventsApi::DeleteApiDestination(Input& in) {
  std::string name = in.RequiredString("Name");
  if (!in.ok()) return InputError(in);
  auto d = bus_.DeleteApiDestination(name);
  if (!d.ok()) return EventsFail(d.status());
  return Reply{};
}

}  // namespace berth::api
