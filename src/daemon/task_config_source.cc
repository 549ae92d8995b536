#include "daemon/task_config_source.h"

namespace berth::daemon {

Result<std::string> StoreConfigSource::ReadEnvironmentFile(const std::string& arn) {
  // arn:aws:s3:::BUCKET/KEY — the only form ECS accepts (type "s3").
  static constexpr std::string_view kPrefix = "arn:aws:s3:::";
  size_t slash = arn.find('/', kPrefix.size());
  if (arn.compare(0, kPrefix.size(), kPrefix) != 0 || slash == std::string::npos ||
      slash == kPrefix.size() || slash + 1 == arn.size()) {
    return InvalidArgument("InvalidArgument: the environment file " + arn +
                           " is not an S3 object ARN (arn:aws:s3:::bucket/key)");
  }
  std::string bucket = arn.substr(kPrefix.size(), slash - kPrefix.size());
  std::string key = arn.substr(slash + 1);
  auto text = objects_.ReadSmallObject(bucket, key, kMaxEnvironmentFileBytes);
  if (text.ok()) return text;
  const Status& st = text.status();
  if (st.code() == Code::kNotFound && st.resource() == Resource::kBucket) {
    return NotFound("NoSuchBucket: The specified bucket does not exist. (" + arn + ")");
  }
  if (st.code() == Code::kNotFound) {
    return NotFound("NoSuchKey: The specified key does not exist. (" + arn + ")");
  }
  if (st.code() == Code::kInvalidArgument) {
    return InvalidArgument("EntityTooLarge: the environment file " + arn + " is larger than " +
                           std::to_string(kMaxEnvironmentFileBytes) + " bytes");
  }
  return Status(st.code(), "InternalError: " + st.message() + " (" + arn + ")");
}

Result<std::string> StoreConfigSource::ResolveSecret(const std::string& value_from) {
  auto value = secrets_.ResolveValueFrom(value_from);
  if (value.ok()) return value;
  // The agent's wording names the service it asked: Secrets Manager for its ARNs, else SSM.
  bool asm_arn = value_from.rfind("arn:aws:secretsmanager:", 0) == 0;
  std::string where = asm_arn ? "unable to retrieve secret from asm: "
                              : "unable to retrieve secrets from ssm: ";
  return Status(value.status().code(), where + value.status().message());
}

}  // namespace berth::daemon
