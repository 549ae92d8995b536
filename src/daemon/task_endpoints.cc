#include "daemon/task_endpoints.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "common/time_format.h"
#include "daemon/task_metadata.h"
#include "functions/files.h"
#include "network/namespace_listener.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

api::HttpResponse Json(int status, const json& body) {
  api::HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// The ECS agent's error shape for its credentials and metadata handlers.
api::HttpResponse AgentError(int status, const std::string& code, const std::string& message) {
  return Json(status, {{"code", code}, {"message", message}});
}

std::string RoleArnOf(const model::Task& task, const model::TaskDefinition& def) {
  auto o = task.overrides.find("taskRoleArn");
  if (o != task.overrides.end() && o->is_string() && !o->get<std::string>().empty()) {
    return o->get<std::string>();
  }
  auto d = def.document.find("taskRoleArn");
  if (d != def.document.end() && d->is_string()) return d->get<std::string>();
  return "";
}

// RFC 3339 in whole seconds, as the agent echoes STS's Expiration.
std::string ExpirationText(TimeMs t) { return FormatIsoMillis(t / 1000 * 1000); }

}  // namespace

TaskEndpointService::TaskEndpointService(const Clock& clock, driver::Driver& driver,
                                         TaskEndpointOptions options)
    : clock_(clock), driver_(driver), options_(std::move(options)) {
  LoadStoredSessions();
}

TaskEndpointService::~TaskEndpointService() {
  if (server_) {
    for (auto& [arn, t] : tasks_) {
      for (int l : t.listeners) server_->CloseListener(l);
    }
  }
}

namespace {
// The value of `name` in env after `marker` ("" when absent): a token a running container holds.
std::string TokenAfter(const runner::EnvironmentList& env, const std::string& name,
                       const std::string& marker) {
  for (const auto& [k, v] : env) {
    if (k != name) continue;
    size_t at = marker.empty() ? 0 : v.find(marker);
    if (at == std::string::npos) return "";
    return v.substr(at + marker.size());
  }
  return "";
}
}  // namespace

std::map<std::string, runner::EnvironmentList> TaskEndpointService::Open(
    const model::Task& task, const model::TaskDefinition& def, int netns_fd,
    const std::map<std::string, runner::EnvironmentList>& running) {
  std::map<std::string, runner::EnvironmentList> out;
  if (port_ == 0) return out;  // not serving yet (no task starts before the server listens)
  Close(task.arn);  // a task is opened once; be safe against a repeat
  TaskState& state = tasks_[task.arn];
  std::string base = "http://127.0.0.1:" + std::to_string(port_);

  runner::EnvironmentList common = {{"AWS_ENDPOINT_URL", base}};
  std::string role_arn = RoleArnOf(task, def);
  if (!role_arn.empty()) {
    // An adopted task keeps the credentials URI and token its containers were given.
    std::string id, auth_token;
    for (const auto& [name, env] : running) {
      id = TokenAfter(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "/v2/credentials/");
      auth_token = TokenAfter(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "");
      if (!id.empty() && !auth_token.empty() && !roles_.count(id)) break;
      id.clear();
    }
    if (id.empty()) {
      id = NewUuid();
      auth_token = RandomHex(64);
    }
    Role& role = roles_[id];
    role.task_arn = task.arn;
    role.role_arn = role_arn;
    role.auth_token = auth_token;
    ClaimStoredSessions(id, role);
    state.credentials_id = id;
    common.push_back({"AWS_CONTAINER_CREDENTIALS_FULL_URI", base + "/v2/credentials/" + id});
    common.push_back({"AWS_CONTAINER_AUTHORIZATION_TOKEN", role.auth_token});
  }
  for (const auto& c : task.containers) {
    std::string token;
    if (auto r = running.find(c.name); r != running.end()) {
      token = TokenAfter(r->second, "ECS_CONTAINER_METADATA_URI_V4", "/v4/");
      if (containers_.count(token)) token.clear();
    }
    if (token.empty()) token = RandomHex(32) + "-" + RandomHex(8);
    containers_[token] = {task.arn, task.cluster_arn, c.name};
    state.container_tokens.push_back(token);
    runner::EnvironmentList env = common;
    env.push_back({"ECS_CONTAINER_METADATA_URI_V4", base + "/v4/" + token});
    out[c.name] = std::move(env);
  }
  if (netns_fd >= 0) AddNamespace(task.arn, netns_fd);
  return out;
}

void TaskEndpointService::AddNamespace(const std::string& task_arn, int netns_fd) {
  auto it = tasks_.find(task_arn);
  if (it == tasks_.end() || server_ == nullptr) return;
  std::string task_id = task_arn.substr(task_arn.rfind('/') + 1);
  auto fd = network::ListenInNamespace(netns_fd, "127.0.0.1", port_);
  auto id = fd.ok() ? server_->AddListener(std::move(*fd), "task:" + task_id)
                    : Result<int>(fd.status());
  if (id.ok()) {
    it->second.listeners.push_back(*id);
  } else {
    fprintf(stderr, "berth: task %s cannot reach berth at 127.0.0.1:%d: %s\n", task_id.c_str(),
            port_, id.status().message().c_str());
  }
}

void TaskEndpointService::Close(const std::string& task_arn) {
  auto it = tasks_.find(task_arn);
  if (it == tasks_.end()) return;
  for (const auto& token : it->second.container_tokens) containers_.erase(token);
  if (auto r = roles_.find(it->second.credentials_id); r != roles_.end()) {
    for (const auto& key : r->second.access_keys) keys_.erase(key);
    roles_.erase(r);
  }
  bool had_role = !it->second.credentials_id.empty();
  if (server_) {
    for (int l : it->second.listeners) server_->CloseListener(l);
  }
  tasks_.erase(it);
  if (had_role) SaveSessions();
}

std::optional<auth::SessionCredentials> TaskEndpointService::FindSession(
    const std::string& access_key_id) const {
  auto it = keys_.find(access_key_id);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

const auth::SessionCredentials& TaskEndpointService::Issue(Role& role) {
  TimeMs now = clock_.NowMs();
  if (!role.access_keys.empty()) {
    const auth::SessionCredentials& last = keys_.at(role.access_keys.back());
    if (last.expires_ms - now > options_.credentials_lifetime_ms / 2) return last;
  }
  // Forget keys expired for over a lifetime (until then they answer "expired", not "invalid").
  while (!role.access_keys.empty() &&
         keys_.at(role.access_keys.front()).expires_ms + options_.credentials_lifetime_ms < now) {
    keys_.erase(role.access_keys.front());
    role.access_keys.erase(role.access_keys.begin());
  }
  auth::SessionCredentials s;
  s.creds.access_key_id = "ASIA" + RandomAlnum(16, /*upper_only=*/true);
  s.creds.secret_access_key = RandomAlnum(40);
  s.session_token = RandomAlnum(200);
  s.expires_ms = now + options_.credentials_lifetime_ms;
  role.access_keys.push_back(s.creds.access_key_id);
  std::string key = s.creds.access_key_id;
  keys_[key] = std::move(s);
  SaveSessions();
  return keys_.at(key);
}

void TaskEndpointService::LoadStoredSessions() {
  if (options_.sessions_path.empty()) return;
  auto text = functions::ReadFile(options_.sessions_path, 16 << 20);
  if (!text.ok()) return;
  auto j = json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("sessions") || !j["sessions"].is_array()) return;
  for (const auto& e : j["sessions"]) {
    if (!e.is_object()) continue;
    auth::SessionCredentials c;
    c.creds.access_key_id = e.value("accessKeyId", "");
    c.creds.secret_access_key = e.value("secretAccessKey", "");
    c.session_token = e.value("sessionToken", "");
    c.expires_ms = e.value("expiresMs", int64_t{0});
    std::string id = e.value("credentialsId", "");
    if (id.empty() || c.creds.access_key_id.empty()) continue;
    stored_[id].push_back(std::move(c));
  }
}

void TaskEndpointService::ClaimStoredSessions(const std::string& credentials_id, Role& role) {
  auto it = stored_.find(credentials_id);
  if (it == stored_.end()) return;
  for (auto& c : it->second) {
    role.access_keys.push_back(c.creds.access_key_id);
    keys_[c.creds.access_key_id] = std::move(c);
  }
  stored_.erase(it);
}

void TaskEndpointService::SaveSessions() {
  if (options_.sessions_path.empty()) return;
  json sessions = json::array();
  for (const auto& [id, role] : roles_) {
    for (const auto& key : role.access_keys) {
      const auth::SessionCredentials& c = keys_.at(key);
      sessions.push_back({{"credentialsId", id},
                          {"accessKeyId", c.creds.access_key_id},
                          {"secretAccessKey", c.creds.secret_access_key},
                          {"sessionToken", c.session_token},
                          {"expiresMs", c.expires_ms}});
    }
  }
  // Sessions of tasks not adopted (yet) stay until the adoption is over (ForgetUnclaimed).
  for (const auto& [id, list] : stored_) {
    for (const auto& c : list) {
      sessions.push_back({{"credentialsId", id},
                          {"accessKeyId", c.creds.access_key_id},
                          {"secretAccessKey", c.creds.secret_access_key},
                          {"sessionToken", c.session_token},
                          {"expiresMs", c.expires_ms}});
    }
  }
  Status st = functions::WriteFileAtomic(options_.sessions_path,
                                         json{{"sessions", sessions}}.dump(), 0600);
  if (!st.ok()) fprintf(stderr, "berth: cannot store task credentials: %s\n", st.message().c_str());
}

void TaskEndpointService::ForgetUnclaimed() {
  if (stored_.empty()) return;
  stored_.clear();
  SaveSessions();
}

api::HttpResponse TaskEndpointService::Handle(const api::HttpRequest& req) {
  std::string path = req.Path();
  const std::string v4 = "/v4/", creds = "/v2/credentials/";
  if (path.rfind(creds, 0) == 0) return HandleCredentials(req, path.substr(creds.size()));
  std::string rest = path.substr(v4.size());
  size_t slash = rest.find('/');
  std::string token = rest.substr(0, slash);
  return HandleMetadata(token, slash == std::string::npos ? "" : rest.substr(slash));
}

api::HttpResponse TaskEndpointService::HandleCredentials(const api::HttpRequest& req,
                                                         const std::string& id) {
  auto it = roles_.find(id);
  if (id.empty()) return AgentError(400, "NoIdInRequest", "CredentialsV2Request: No ID in the request");
  // The token first: an unknown id and a wrong token look the same to a caller without it.
  if (it == roles_.end() ||
      !auth::ConstantTimeEquals(req.Header("Authorization"), it->second.auth_token)) {
    return AgentError(400, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found");
  }
  const auth::SessionCredentials& s = Issue(it->second);
  return Json(200, {{"RoleArn", it->second.role_arn},
                    {"AccessKeyId", s.creds.access_key_id},
                    {"SecretAccessKey", s.creds.secret_access_key},
                    {"Token", s.session_token},
                    {"Expiration", ExpirationText(s.expires_ms)}});
}

api::HttpResponse TaskEndpointService::HandleMetadata(const std::string& token,
                                                      const std::string& rest) {
  auto it = containers_.find(token);
  const model::Cluster* cluster = nullptr;
  const model::Task* task = nullptr;
  if (it != containers_.end() && control_plane_) {
    auto c = control_plane_->FindCluster(it->second.cluster_arn);
    if (c.ok()) cluster = *c;
    if (cluster) task = control_plane_->FindTask(*cluster, it->second.task_arn);
  }
  if (task == nullptr) {
    return AgentError(404, "NotFound", "V4 metadata handler: no running task has this endpoint");
  }
  auto def = control_plane_->FindTaskDefinition(task->task_definition_arn);
  if (!def.ok()) return AgentError(500, "InternalError", def.status().message());
  MetadataContext ctx;
  ctx.cluster_name = cluster->name;
  ctx.availability_zone = options_.availability_zone;
  if (task->group.rfind("service:", 0) == 0) ctx.service_name = task->group.substr(8);
  const model::Container* self = nullptr;
  for (const auto& c : task->containers) {
    if (c.name == it->second.container_name) self = &c;
  }
  auto stats = [&](const model::Container& c) -> json {
    auto s = c.runtime_id.empty() ? Result<driver::ContainerStats>(NotFound(""))
                                  : driver_.Stats(c.runtime_id);
    if (!s.ok()) return nullptr;  // not running: Docker's API answers null too
    return ContainerStatsJson(c, *s, clock_.NowMs());
  };
  if (rest.empty() || rest == "/") {
    if (!self) return AgentError(404, "NotFound", "V4 metadata handler: no such container");
    return Json(200, ContainerMetadata(*task, *self, **def, ctx));
  }
  if (rest == "/task") return Json(200, TaskMetadata(*task, **def, ctx));
  if (rest == "/taskWithTags") {
    json j = TaskMetadata(*task, **def, ctx);
    json tags = json::object();
    for (const auto& t : task->tags) tags[t.key] = t.value;
    j["TaskTags"] = tags;
    return Json(200, j);
  }
  if (rest == "/stats") {
    if (!self) return AgentError(404, "NotFound", "V4 metadata handler: no such container");
    return Json(200, stats(*self));
  }
  if (rest == "/task/stats") {
    json all = json::object();
    for (const auto& c : task->containers) {
      if (!c.runtime_id.empty()) all[c.runtime_id] = stats(c);
    }
    return Json(200, all);
  }
  return AgentError(404, "NotFound", "V4 metadata handler: no such path " + rest);
}

}  // namespace berth::daemon
