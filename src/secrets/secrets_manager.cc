// SecretStore: Secrets Manager — secrets, versions and staging labels, scheduled deletion.
#include <algorithm>
#include <cctype>

#include "common/ids.h"
#include "secrets/secret_store.h"

namespace berth::secrets {

namespace {

constexpr const char* kCurrent = "AWSCURRENT";
constexpr const char* kPrevious = "AWSPREVIOUS";
constexpr int64_t kDayMs = 86'400'000;
constexpr size_t kMaxValueBytes = 65536;

Status SecretNotFound() {
  return Status(Code::kNotFound, "Secrets Manager can't find the specified secret.",
                Resource::kSecret);
}

Status MarkedForDeletion() {
  return Status(Code::kFailedPrecondition,
                "You can't perform this operation on the secret because it was marked for "
                "deletion.",
                Resource::kSecret);
}

Status ValidateSecretName(const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 512 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("/_+=.@-").find(c) != std::string_view::npos;
      });
  if (!ok) {
    return InvalidArgument(
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
        "following: -/_+=.@!");
  }
  return Status::Ok();
}

Status ValidateToken(const std::optional<std::string>& token) {
  if (token && (token->size() < 32 || token->size() > 64)) {
    return InvalidArgument("ClientRequestToken must be 32-64 characters long.");
  }
  return Status::Ok();
}

Status ValidatePayload(const SecretPayload& value) {
  if (value.bytes.size() > kMaxValueBytes) {
    return InvalidArgument("The secret value is larger than the maximum of 65536 bytes.");
  }
  return Status::Ok();
}

void RemoveStage(std::vector<std::string>& stages, const std::string& stage) {
  stages.erase(std::remove(stages.begin(), stages.end(), stage), stages.end());
}

bool HasStage(const SecretVersion& v, const std::string& stage) {
  return std::find(v.stages.begin(), v.stages.end(), stage) != v.stages.end();
}

SecretWriteResult WriteResult(const Secret& s, const SecretVersion* v) {
  SecretWriteResult r{s.arn, s.name, "", {}};
  if (v) {
    r.version_id = v->id;
    r.stages = v->stages;
  }
  return r;
}

}  // namespace

std::string SecretStore::NewSecretArn(const std::string& name) const {
  return "arn:aws:secretsmanager:" + options_.region + ":" + options_.account_id +
         ":secret:" + name + "-" + RandomAlnum(6);
}

const Secret* SecretStore::FindSecret(const std::string& id) const {
  const Secret* found = nullptr;
  if (id.rfind("arn:", 0) == 0) {
    // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, or the partial ARN without the
    // suffix. Region and account are not checked: berth keeps one set of secrets.
    size_t p = id.find(":secret:");
    size_t svc = id.find(":secretsmanager:");
    if (p == std::string::npos || svc == std::string::npos || svc > p) return nullptr;
    std::string tail = id.substr(p + 8);
    if (tail.empty() || tail.find(':') != std::string::npos) return nullptr;
    for (const auto& [_, s] : secrets_) {
      size_t q = s.arn.find(":secret:");
      if (q != std::string::npos && s.arn.compare(q + 8, std::string::npos, tail) == 0) {
        found = &s;
        break;
      }
    }
    if (!found) {
      auto it = secrets_.find(tail);
      if (it != secrets_.end()) found = &it->second;
    }
  } else {
    auto it = secrets_.find(id);
    if (it != secrets_.end()) found = &it->second;
  }
  if (found && found->deletion_ms != 0 && found->deletion_ms <= clock_.NowMs()) return nullptr;
  return found;
}

Result<const Secret*> SecretStore::FindLiveSecret(const std::string& secret_id) const {
  const Secret* s = FindSecret(secret_id);
  if (!s) return SecretNotFound();
  if (s->scheduled_for_deletion()) return MarkedForDeletion();
  return s;
}

void SecretStore::DropExpired(SecretMap& secrets) const {
  TimeMs now = clock_.NowMs();
  for (auto it = secrets.begin(); it != secrets.end();) {
    if (it->second.deletion_ms != 0 && it->second.deletion_ms <= now) {
      it = secrets.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::string> SecretStore::SealPayload(const std::string& arn, const std::string& version_id,
                                             const SecretPayload& value) const {
  auto sealed = cipher_.Seal(value.bytes, SecretAad(arn, version_id));
  if (!sealed.ok()) return sealed.status();
  return Base64Encode(*sealed);
}

Result<SecretPayload> SecretStore::OpenVersion(const Secret& s, const SecretVersion& v) const {
  auto sealed = Base64Decode(v.sealed);
  if (!sealed) return Internal("cannot decrypt secret " + s.name + ": its stored form is damaged");
  auto plain = cipher_.Open(*sealed, SecretAad(s.arn, v.id));
  if (!plain.ok()) {
    return Internal("cannot decrypt secret " + s.name + ": " + plain.status().message());
  }
  return SecretPayload{v.binary, std::move(*plain)};
}

Result<SecretWriteResult> SecretStore::AddVersion(Secret& s, std::optional<std::string> token,
                                                  const SecretPayload& value,
                                                  std::vector<std::string> stages) {
  BERTH_RETURN_IF_ERROR(ValidateToken(token));
  BERTH_RETURN_IF_ERROR(ValidatePayload(value));
  if (token) {
    if (const SecretVersion* v = s.VersionWithId(*token)) {
      // The same request again changes nothing; another value under that id is refused.
      auto old = OpenVersion(s, *v);
      if (!old.ok()) return old.status();
      if (old->binary == value.binary && old->bytes == value.bytes) return WriteResult(s, v);
      return Status(Code::kAlreadyExists,
                    "You can't modify an existing version, you can only create a new version.",
                    Resource::kSecretVersion);
    }
  }
  if (stages.empty()) stages.push_back(kCurrent);
  if (stages.size() > 20) return InvalidArgument("A version can have at most 20 staging labels.");
  std::sort(stages.begin(), stages.end());
  stages.erase(std::unique(stages.begin(), stages.end()), stages.end());
  SecretVersion v;
  v.id = token ? *token : NewUuid();
  v.binary = value.binary;
  v.created_ms = clock_.NowMs();
  auto sealed = SealPayload(s.arn, v.id, value);
  if (!sealed.ok()) return sealed.status();
  v.sealed = std::move(*sealed);
  bool moves_current = std::find(stages.begin(), stages.end(), kCurrent) != stages.end();
  for (auto& old : s.versions) {
    if (moves_current) {
      RemoveStage(old.stages, kPrevious);
      if (HasStage(old, kCurrent)) old.stages.push_back(kPrevious);
    }
    for (const auto& st : stages) RemoveStage(old.stages, st);
  }
  // AWSPREVIOUS given explicitly with AWSCURRENT: the new version keeps what was asked.
  v.stages = stages;
  s.versions.push_back(std::move(v));
  // Versions without labels are deprecated; beyond 100 versions the oldest of those go.
  for (auto it = s.versions.begin();
       s.versions.size() > kMaxSecretVersions && it != s.versions.end();) {
    it = it->stages.empty() ? s.versions.erase(it) : it + 1;
  }
  s.changed_ms = clock_.NowMs();
  return WriteResult(s, &s.versions.back());
}

Result<SecretWriteResult> SecretStore::CreateSecret(const CreateSecretRequest& req) {
  BERTH_RETURN_IF_ERROR(ValidateSecretName(req.name));
  BERTH_RETURN_IF_ERROR(ValidateToken(req.client_request_token));
  if (req.description.size() > 2048) {
    return InvalidArgument("The description is longer than 2048 characters.");
  }
  if (const Secret* existing = FindSecret(req.name)) {
    if (existing->scheduled_for_deletion()) {
      return Status(Code::kFailedPrecondition,
                    "You can't create this secret because a secret with this name is already "
                    "scheduled for deletion.",
                    Resource::kSecret);
    }
    return Status(Code::kAlreadyExists,
                  "The operation failed because the secret " + req.name + " already exists.",
                  Resource::kSecret);
  }
  SecretMap next = secrets_;
  DropExpired(next);
  Secret& s = next[req.name];
  s = Secret{};
  s.name = req.name;
  s.arn = NewSecretArn(req.name);
  s.description = req.description;
  s.kms_key_id = req.kms_key_id;
  s.tags = req.tags;
  s.created_ms = s.changed_ms = clock_.NowMs();
  SecretWriteResult result = WriteResult(s, nullptr);
  if (req.value) {
    auto r = AddVersion(s, req.client_request_token, *req.value, {});
    if (!r.ok()) return r.status();
    result = std::move(*r);
  }
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return result;
}

Result<SecretValueView> SecretStore::GetSecretValue(const std::string& secret_id,
                                                    const std::string& version_id,
                                                    const std::string& version_stage) const {
  auto found = FindLiveSecret(secret_id);
  if (!found.ok()) return found.status();
  const Secret& s = **found;
  const SecretVersion* v = nullptr;
  if (!version_id.empty()) {
    v = s.VersionWithId(version_id);
    if (!v) {
      return Status(
          Code::kNotFound,
          "Secrets Manager can't find the specified secret value for VersionId: " + version_id,
          Resource::kSecretVersion);
    }
    if (!version_stage.empty() && !HasStage(*v, version_stage)) {
      return Status(Code::kFailedPrecondition,
                    "You provided a VersionStage that is not associated to the provided "
                    "VersionId.",
                    Resource::kSecretVersion);
    }
  } else {
    std::string stage = version_stage.empty() ? kCurrent : version_stage;
    v = s.VersionWithStage(stage);
    if (!v) {
      return Status(
          Code::kNotFound,
          "Secrets Manager can't find the specified secret value for staging label: " + stage,
          Resource::kSecretVersion);
    }
  }
  auto value = OpenVersion(s, *v);
  if (!value.ok()) return value.status();
  return SecretValueView{s.arn, s.name, v->id, std::move(*value), v->stages, v->created_ms};
}

Result<SecretWriteResult> SecretStore::PutSecretValue(const PutSecretValueRequest& req) {
  auto found = FindLiveSecret(req.secret_id);
  if (!found.ok()) return found.status();
  if (!req.value) {
    return InvalidArgument("You must provide either SecretString or SecretBinary.");
  }
  SecretMap next = secrets_;
  DropExpired(next);
  Secret& s = next[(*found)->name];
  auto r = AddVersion(s, req.client_request_token, *req.value, req.stages);
  if (!r.ok()) return r.status();
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return r;
}

Result<SecretWriteResult> SecretStore::UpdateSecret(const UpdateSecretRequest& req) {
  auto found = FindLiveSecret(req.secret_id);
  if (!found.ok()) return found.status();
  if (req.description && req.description->size() > 2048) {
    return InvalidArgument("The description is longer than 2048 characters.");
  }
  SecretMap next = secrets_;
  DropExpired(next);
  Secret& s = next[(*found)->name];
  if (req.description) s.description = *req.description;
  if (req.kms_key_id) s.kms_key_id = *req.kms_key_id;
  s.changed_ms = clock_.NowMs();
  SecretWriteResult result = WriteResult(s, nullptr);
  if (req.value) {
    auto r = AddVersion(s, req.client_request_token, *req.value, {});
    if (!r.ok()) return r.status();
    result = std::move(*r);
  }
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return result;
}

Result<Secret> SecretStore::DeleteSecret(const std::string& secret_id,
                                         std::optional<int64_t> recovery_days, bool force) {
  if (force && recovery_days) {
    return InvalidArgument(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }
  if (recovery_days && (*recovery_days < 7 || *recovery_days > 30)) {
    return InvalidArgument(
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  const Secret* found = FindSecret(secret_id);
  if (!found) return SecretNotFound();
  if (found->scheduled_for_deletion() && !force) {
    return Status(Code::kFailedPrecondition,
                  "You tried to perform the operation on a secret that's currently marked "
                  "deleted.",
                  Resource::kSecret);
  }
  SecretMap next = secrets_;
  DropExpired(next);
  Secret result = next[found->name];
  TimeMs now = clock_.NowMs();
  if (force) {
    next.erase(result.name);
    result.deleted_ms = result.deletion_ms = now;
  } else {
    Secret& s = next[result.name];
    s.deleted_ms = now;
    s.deletion_ms = now + recovery_days.value_or(30) * kDayMs;
    result = s;
  }
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return result;
}

Result<Secret> SecretStore::RestoreSecret(const std::string& secret_id) {
  const Secret* found = FindSecret(secret_id);
  if (!found) return SecretNotFound();
  if (!found->scheduled_for_deletion()) return *found;
  SecretMap next = secrets_;
  DropExpired(next);
  Secret& s = next[found->name];
  s.deleted_ms = s.deletion_ms = 0;
  s.changed_ms = clock_.NowMs();
  Secret result = s;
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return result;
}

Result<Secret> SecretStore::DescribeSecret(const std::string& secret_id) const {
  const Secret* found = FindSecret(secret_id);
  if (!found) return SecretNotFound();
  return *found;
}

std::vector<Secret> SecretStore::ListSecrets(bool include_planned_deletion) const {
  std::vector<Secret> out;
  TimeMs now = clock_.NowMs();
  for (const auto& [_, s] : secrets_) {
    if (s.deletion_ms != 0 && s.deletion_ms <= now) continue;
    if (s.scheduled_for_deletion() && !include_planned_deletion) continue;
    out.push_back(s);
  }
  return out;
}

Status SecretStore::TagResource(const std::string& secret_id, const Tags& tags) {
  auto found = FindLiveSecret(secret_id);
  if (!found.ok()) return found.status();
  SecretMap next = secrets_;
  DropExpired(next);
  Secret& s = next[(*found)->name];
  for (const auto& tag : tags) {
    const std::string& k = tag.first;
    const std::string& v = tag.second;
    auto it =
        std::find_if(s.tags.begin(), s.tags.end(), [&](const auto& t) { return t.first == k; });
    if (it != s.tags.end()) {
      it->second = v;
    } else {
      s.tags.emplace_back(k, v);
    }
  }
  if (s.tags.size() > 50) return InvalidArgument("A secret can have at most 50 tags.");
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return Status::Ok();
}

Status SecretStore::UntagResource(const std::string& secret_id,
                                  const std::vector<std::string>& keys) {
  auto found = FindLiveSecret(secret_id);
  if (!found.ok()) return found.status();
  SecretMap next = secrets_;
  DropExpired(next);
  Secret& s = next[(*found)->name];
  for (const auto& k : keys) {
    s.tags.erase(
        std::remove_if(s.tags.begin(), s.tags.end(), [&](const auto& t) { return t.first == k; }),
        s.tags.end());
  }
  BERTH_RETURN_IF_ERROR(SaveSecrets(next));
  secrets_ = std::move(next);
  return Status::Ok();
}

}  // namespace berth::secrets
