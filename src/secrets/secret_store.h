// SecretStore: berth's SSM Parameter Store and Secrets Manager — parameters (String, StringList,
// SecureString; a history of up to 100 versions each) and secrets (string or binary values,
// versions with staging labels AWSCURRENT/AWSPREVIOUS, scheduled deletion with a recovery
// window), and the resolver of ECS's `secrets[].valueFrom` that the task runner calls when a
// task starts.
//
// Files: DATA_DIR/secrets/ (0700) holds `key` (the 32-byte AES-256-GCM key, 0600, created on
// first start), `parameters.json` and `secrets.json` (0600, each rewritten whole on every change:
// temp file, fsync, rename, fsync of the directory). SecureString and secret values are sealed
// (secrets/cipher.h) before they reach memory structures or files; they are opened only to
// answer a caller that asked for the value. No message of this store contains a value.
//
// Every change is computed on a copy, written, then made visible: a failed write changes
// nothing. Time (LastModifiedDate, deletion dates) comes from the injected Clock. A secret whose
// recovery window has passed is gone: it is never found, and the next change drops it.
//
// Errors: NotFound (Resource kParameter / kParameterVersion / kSecret / kSecretVersion),
// AlreadyExists (an existing parameter without Overwrite, an existing secret name, a changed
// value for an existing VersionId), InvalidArgument (bad names, values, options),
// FailedPrecondition (a secret scheduled for deletion), ResourceExhausted (100 versions of a
// parameter, none old enough to drop), Internal (I/O, a value that does not decrypt).
//
// Threads: the control thread only (API handlers and the task runner).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "secrets/cipher.h"
#include "secrets/secret_types.h"

namespace berth::secrets {

struct StoreOptions {
  std::string data_dir;  // the store lives in data_dir + "/secrets"; "" = memory only
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
};

// --- SSM ---

struct PutParameterRequest {
  std::string name;
  std::string value;
  std::optional<std::string> type;  // String | StringList | SecureString; required for new ones
  std::optional<std::string> description;
  std::optional<std::string> key_id;
  std::optional<std::string> tier;       // Standard | Advanced | Intelligent-Tiering
  std::optional<std::string> data_type;  // text (aws:ec2:image is refused)
  std::optional<std::string> allowed_pattern;
  bool overwrite = false;
};

// A parameter as the API shows it. `value` is the plaintext only when asked with decryption;
// a SecureString read without decryption shows its sealed form (base64), as AWS shows the KMS
// ciphertext. Metadata reads (DescribeParameters) leave `value` empty.
struct ParameterView {
  std::string name;
  std::string arn;
  ParameterType type = ParameterType::kString;
  std::string value;
  int64_t version = 0;
  TimeMs modified_ms = 0;
  std::string description;
  std::string key_id;
  std::string tier;
  std::string data_type;
  std::string allowed_pattern;
  std::string selector;  // ":3" when the request named a version
};

struct PutParameterResult {
  int64_t version = 0;
  std::string tier;
};

// --- Secrets Manager ---

// A secret value as given: SecretString, or SecretBinary's bytes.
struct SecretPayload {
  bool binary = false;
  std::string bytes;
};

struct CreateSecretRequest {
  std::string name;
  std::optional<std::string> client_request_token;
  std::string description;
  std::string kms_key_id;
  std::optional<SecretPayload> value;
  Tags tags;
};

struct PutSecretValueRequest {
  std::string secret_id;
  std::optional<std::string> client_request_token;
  std::optional<SecretPayload> value;
  std::vector<std::string> stages;  // empty = AWSCURRENT
};

struct UpdateSecretRequest {
  std::string secret_id;
  std::optional<std::string> client_request_token;
  std::optional<std::string> description;
  std::optional<std::string> kms_key_id;
  std::optional<SecretPayload> value;
};

// ARN, name and the version a write made (version_id empty when none was made).
struct SecretWriteResult {
  std::string arn;
  std::string name;
  std::string version_id;
  std::vector<std::string> stages;
};

struct SecretValueView {
  std::string arn;
  std::string name;
  std::string version_id;
  SecretPayload value;
  std::vector<std::string> stages;
  TimeMs created_ms = 0;
};

class SecretStore {
 public:
  // Opens (creating) DATA_DIR/secrets and its key, and loads both files. Refuses to start when
  // sealed values exist but the key file is missing (a new key could not open them).
  static Result<std::unique_ptr<SecretStore>> Open(const Clock& clock, StoreOptions options);

  // --- SSM Parameter Store (parameter_store.cc) ---
  Result<PutParameterResult> PutParameter(const PutParameterRequest& req);
  // `name` is a name, a parameter ARN, either with a ":VERSION" selector.
  Result<ParameterView> GetParameter(const std::string& name, bool decrypt) const;
  // Parameters under `path` ("/" or "/a/b", with or without a trailing slash): its direct
  // children, or every descendant when recursive; by name.
  Result<std::vector<ParameterView>> GetParametersByPath(const std::string& path, bool recursive,
                                                         bool decrypt) const;
  Status DeleteParameter(const std::string& name);
  // Deletes those that exist in one write; returns the names that were deleted.
  Result<std::vector<std::string>> DeleteParameters(const std::vector<std::string>& names);
  // Metadata of every parameter (latest version, no value), by name.
  std::vector<ParameterView> DescribeParameters() const;
  // Every version, oldest first; values as GetParameter shows them.
  Result<std::vector<ParameterView>> GetParameterHistory(const std::string& name,
                                                         bool decrypt) const;

  // --- Secrets Manager (secrets_manager.cc). secret_id: a name, an ARN or a partial ARN. ---
  Result<SecretWriteResult> CreateSecret(const CreateSecretRequest& req);
  // By VersionId and/or VersionStage (neither: AWSCURRENT).
  Result<SecretValueView> GetSecretValue(const std::string& secret_id,
                                         const std::string& version_id,
                                         const std::string& version_stage) const;
  Result<SecretWriteResult> PutSecretValue(const PutSecretValueRequest& req);
  Result<SecretWriteResult> UpdateSecret(const UpdateSecretRequest& req);
  // recovery_days 7–30 (default 30) or force (gone at once). Returns the secret as it was, with
  // deletion_ms set.
  Result<Secret> DeleteSecret(const std::string& secret_id, std::optional<int64_t> recovery_days,
                              bool force);
  Result<Secret> RestoreSecret(const std::string& secret_id);
  // Metadata only (sealed values stay sealed); finds secrets scheduled for deletion too.
  Result<Secret> DescribeSecret(const std::string& secret_id) const;
  // By name; those scheduled for deletion only when asked.
  std::vector<Secret> ListSecrets(bool include_planned_deletion) const;
  Status TagResource(const std::string& secret_id, const Tags& tags);
  Status UntagResource(const std::string& secret_id, const std::vector<std::string>& keys);

  // --- ECS (resolve_value_from.cc) ---
  // The value for a container's `secrets[].valueFrom`: an SSM parameter name or ARN (a
  // SecureString is decrypted), or a Secrets Manager ARN — full or without the 6-character
  // suffix — optionally followed by `:json-key:version-stage:version-id` (each may be empty;
  // the stage defaults to AWSCURRENT; json-key selects a top-level member of a JSON
  // SecretString). NotFound / InvalidArgument / FailedPrecondition messages name the parameter
  // or secret, never a value.
  Result<std::string> ResolveValueFrom(const std::string& value_from) const;

  // Drops every parameter and secret (keeps the key): /_berth/reset.
  Status Reset();

  const StoreOptions& options() const { return options_; }
  std::string ParameterArn(const std::string& name) const;

 private:
  SecretStore(const Clock& clock, StoreOptions options, Cipher cipher)
      : clock_(clock), options_(std::move(options)), cipher_(std::move(cipher)) {}

  using ParameterMap = std::map<std::string, Parameter>;
  using SecretMap = std::map<std::string, Secret>;  // by name

  // parameter_store.cc
  const Parameter* FindParameter(const std::string& name) const;
  ParameterView View(const Parameter& p, const ParameterVersion& v, bool decrypt,
                     Status* error) const;
  // secrets_manager.cc
  const Secret* FindSecret(const std::string& secret_id) const;              // ignores expired ones
  Result<const Secret*> FindLiveSecret(const std::string& secret_id) const;  // not scheduled
  Result<std::string> SealPayload(const std::string& arn, const std::string& version_id,
                                  const SecretPayload& value) const;
  Result<SecretPayload> OpenVersion(const Secret& s, const SecretVersion& v) const;
  Result<SecretWriteResult> AddVersion(Secret& s, std::optional<std::string> token,
                                       const SecretPayload& value, std::vector<std::string> stages);
  void DropExpired(SecretMap& secrets) const;
  std::string NewSecretArn(const std::string& name) const;
  // secret_store.cc
  Status SaveParameters(const ParameterMap& params) const;
  Status SaveSecrets(const SecretMap& secrets) const;

  const Clock& clock_;
  StoreOptions options_;
  Cipher cipher_;
  std::string dir_;  // "" = memory only
  ParameterMap params_;
  SecretMap secrets_;
};

}  // namespace berth::secrets
