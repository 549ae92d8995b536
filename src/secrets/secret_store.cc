// SecretStore: opening the data dir, the files, reset, and the small shared helpers.
#include "secrets/secret_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "secrets/store_codec.h"

namespace berth::secrets {

namespace {

constexpr const char* kParametersFile = "parameters.json";
constexpr const char* kSecretsFile = "secrets.json";

// Reads a whole file; nullopt-like empty result with *exists=false when it is not there.
Status ReadFile(const std::string& path, std::string* out, bool* exists) {
  *exists = false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Internal("cannot open " + path + ": " + strerror(errno));
  }
  *exists = true;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return Internal("cannot read " + path + ": " + strerror(errno));
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return Status::Ok();
}

// temp file (0600) → write → fsync → rename → fsync(dir).
Status WriteFileAtomic(const std::string& dir, const std::string& name, const std::string& data) {
  std::string path = dir + "/" + name;
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      unlink(tmp.c_str());
      return Internal("cannot write " + tmp + ": " + strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    int e = errno;
    close(fd);
    unlink(tmp.c_str());
    return Internal("cannot sync " + tmp + ": " + strerror(e));
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return Internal("cannot rename " + tmp + ": " + strerror(e));
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Internal("cannot open " + dir + ": " + strerror(errno));
  int rc = fsync(dfd);
  close(dfd);
  if (rc != 0) return Internal("cannot sync " + dir + ": " + strerror(errno));
  return Status::Ok();
}

}  // namespace

const char* ParameterTypeName(ParameterType t) {
  switch (t) {
    case ParameterType::kString:
      return "String";
    case ParameterType::kStringList:
      return "StringList";
    case ParameterType::kSecureString:
      return "SecureString";
  }
  return "String";
}

std::optional<ParameterType> ParseParameterType(const std::string& s) {
  if (s == "String") return ParameterType::kString;
  if (s == "StringList") return ParameterType::kStringList;
  if (s == "SecureString") return ParameterType::kSecureString;
  return std::nullopt;
}

std::string ParameterAad(const std::string& name, int64_t version) {
  return "ssm-parameter\n" + name + "\n" + std::to_string(version);
}

std::string SecretAad(const std::string& arn, const std::string& version_id) {
  return "secretsmanager-secret\n" + arn + "\n" + version_id;
}

const SecretVersion* Secret::VersionWithStage(const std::string& stage) const {
  for (const auto& v : versions) {
    for (const auto& s : v.stages) {
      if (s == stage) return &v;
    }
  }
  return nullptr;
}

const SecretVersion* Secret::VersionWithId(const std::string& id) const {
  for (const auto& v : versions) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

Result<std::unique_ptr<SecretStore>> SecretStore::Open(const Clock& clock, StoreOptions options) {
  if (options.data_dir.empty()) {
    auto c = Cipher::Ephemeral();
    if (!c.ok()) return c.status();
    return std::unique_ptr<SecretStore>(new SecretStore(clock, std::move(options), *c));
  }
  std::string dir = options.data_dir + "/secrets";
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("cannot create " + dir + ": " + strerror(errno));
  }
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Internal(dir + " is not a directory");
  }
  if ((st.st_mode & 077) != 0 && chmod(dir.c_str(), 0700) != 0) {
    return Internal("cannot restrict " + dir + " to mode 0700: " + strerror(errno));
  }
  std::string ptext, stext;
  bool have_params = false, have_secrets = false;
  BERTH_RETURN_IF_ERROR(ReadFile(dir + "/" + kParametersFile, &ptext, &have_params));
  BERTH_RETURN_IF_ERROR(ReadFile(dir + "/" + kSecretsFile, &stext, &have_secrets));
  std::vector<Parameter> params;
  std::vector<Secret> secrets;
  if (have_params) {
    auto p = DecodeParameters(ptext);
    if (!p.ok())
      return Internal("cannot load " + dir + "/" + kParametersFile + ": " + p.status().message());
    params = std::move(*p);
  }
  if (have_secrets) {
    auto s = DecodeSecrets(stext);
    if (!s.ok())
      return Internal("cannot load " + dir + "/" + kSecretsFile + ": " + s.status().message());
    secrets = std::move(*s);
  }
  // A missing key with sealed values on disk: a fresh key would silently orphan them.
  bool sealed_exist = !secrets.empty();
  for (const auto& p : params) {
    for (const auto& v : p.versions) sealed_exist |= v.type == ParameterType::kSecureString;
  }
  auto cipher = Cipher::LoadOrCreate(dir + "/key", !sealed_exist);
  if (!cipher.ok()) {
    if (sealed_exist && access((dir + "/key").c_str(), F_OK) != 0) {
      return Internal(dir + "/key is missing, but encrypted values exist in " + dir +
                      "; restore the key file (or move the directory away to start empty)");
    }
    return cipher.status();
  }
  std::unique_ptr<SecretStore> store(new SecretStore(clock, std::move(options), *cipher));
  store->dir_ = dir;
  for (auto& p : params) {
    std::string name = p.name;
    store->params_[name] = std::move(p);
  }
  for (auto& s : secrets) {
    std::string name = s.name;
    store->secrets_[name] = std::move(s);
  }
  return store;
}

Status SecretStore::SaveParameters(const ParameterMap& params) const {
  if (dir_.empty()) return Status::Ok();
  std::vector<const Parameter*> list;
  for (const auto& [_, p] : params) list.push_back(&p);
  return WriteFileAtomic(dir_, kParametersFile, EncodeParameters(list));
}

Status SecretStore::SaveSecrets(const SecretMap& secrets) const {
  if (dir_.empty()) return Status::Ok();
  std::vector<const Secret*> list;
  for (const auto& [_, s] : secrets) list.push_back(&s);
  return WriteFileAtomic(dir_, kSecretsFile, EncodeSecrets(list));
}

Status SecretStore::Reset() {
  BERTH_RETURN_IF_ERROR(SaveParameters({}));
  BERTH_RETURN_IF_ERROR(SaveSecrets({}));
  params_.clear();
  secrets_.clear();
  return Status::Ok();
}

std::string SecretStore::ParameterArn(const std::string& name) const {
  // Hierarchical names keep their leading slash as the separator after "parameter".
  return "arn:aws:ssm:" + options_.region + ":" + options_.account_id + ":parameter" +
         (name.rfind('/', 0) == 0 ? name : "/" + name);
}

}  // namespace berth::secrets
