// The records of the SecretStore: SSM parameters (with their version history) and Secrets
// Manager secrets (with their versions and staging labels). SecureString and secret values are
// held sealed (secrets/cipher.h); nothing here ever holds a plaintext secret.
// Value types; the store's thread (the control thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace berth::secrets {

enum class ParameterType { kString, kStringList, kSecureString };

const char* ParameterTypeName(ParameterType t);
std::optional<ParameterType> ParseParameterType(const std::string& s);

// One version of a parameter: SSM keeps type, description and tier per version.
struct ParameterVersion {
  int64_t version = 1;
  ParameterType type = ParameterType::kString;
  // String/StringList: the value. SecureString: base64 of the sealed value, associated data
  // ParameterAad(name, version).
  std::string value;
  std::string description;
  std::string key_id;  // SecureString: the KeyId given (default alias/aws/ssm); never used
  std::string tier = "Standard";
  std::string data_type = "text";
  std::string allowed_pattern;
  std::vector<std::string> labels;  // not yet settable; kept for the file format
  TimeMs modified_ms = 0;
};

struct Parameter {
  std::string name;                        // as given: "/app/db/password" or "name"
  std::vector<ParameterVersion> versions;  // oldest first, at most kMaxParameterVersions
  const ParameterVersion& latest() const { return versions.back(); }
};

inline constexpr size_t kMaxParameterVersions = 100;

using Tags = std::vector<std::pair<std::string, std::string>>;

struct SecretVersion {
  std::string id;  // VersionId (the ClientRequestToken)
  bool binary = false;
  // base64 of the sealed SecretString or SecretBinary bytes, associated data
  // SecretAad(arn, id).
  std::string sealed;
  std::vector<std::string> stages;  // AWSCURRENT, AWSPREVIOUS, custom labels
  TimeMs created_ms = 0;
};

struct Secret {
  std::string name;
  std::string arn;  // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX
  std::string description;
  std::string kms_key_id;  // as given; never used
  Tags tags;
  TimeMs created_ms = 0;
  TimeMs changed_ms = 0;
  TimeMs deleted_ms = 0;                // when DeleteSecret scheduled it (0 = not scheduled)
  TimeMs deletion_ms = 0;               // when it goes for good
  std::vector<SecretVersion> versions;  // oldest first

  bool scheduled_for_deletion() const { return deleted_ms != 0; }
  const SecretVersion* VersionWithStage(const std::string& stage) const;
  const SecretVersion* VersionWithId(const std::string& id) const;
};

inline constexpr size_t kMaxSecretVersions = 100;

// The associated data that binds a sealed value to its record.
std::string ParameterAad(const std::string& name, int64_t version);
std::string SecretAad(const std::string& arn, const std::string& version_id);

}  // namespace berth::secrets
