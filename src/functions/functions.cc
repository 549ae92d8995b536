// Functions: the registry side (Load, Create/Get/List/Update/Delete, tags). Invocation is in
// invocation.cc.
#include "functions/functions.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "common/ids.h"
#include "functions/encoding.h"
#include "functions/files.h"
#include "functions/functions_internal.h"
#include "functions/runtime_shims.h"

namespace berth::functions {

namespace {

void Warn(const std::string& msg) {
  std::string line = "berth: functions: " + msg + "\n";
  fwrite(line.data(), 1, line.size(), stderr);
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Functions::Functions(Executor& executor, driver::Driver& driver, Options options)
    : executor_(executor),
      driver_(driver),
      options_(std::move(options)),
      root_(options_.data_dir + "/functions") {}

Functions::~Functions() {
  alive_.reset();
  for (auto& [id, a] : attempts_) executor_.Cancel(a->timer);
  for (TimerId id : retry_timers_) executor_.Cancel(id);
}

std::string Functions::Dir(const std::string& sub) const { return root_ + "/" + sub; }

std::string Functions::Arn(const FunctionConfig& c) const {
  return FunctionArn(c.region.empty() ? options_.default_region : c.region, options_.account_id,
                     c.name);
}

std::string Functions::CodeRoot(const FunctionConfig& c) const { return Dir("code/" + c.code_id); }

Status Functions::Load() {
  for (const char* sub : {"registry", "code", "run", "runtime"}) {
    BERTH_RETURN_IF_ERROR(MakeDirs(Dir(sub)));
  }
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(Dir(std::string("runtime/") + kNodeShimFile), kNodeShim));
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(Dir(std::string("runtime/") + kPythonShimFile), kPythonShim));
  for (const std::string& n : ListDir(Dir("run"))) RemoveTree(Dir("run/" + n));
  functions_.clear();
  for (const std::string& n : ListDir(Dir("registry"))) {
    std::string path = Dir("registry/" + n);
    if (!EndsWith(n, ".json")) {
      if (n.find(".tmp-") != std::string::npos) unlink(path.c_str());  // an interrupted write
      continue;
    }
    auto text = ReadFile(path, 1 << 20);
    auto config = text.ok() ? FromStorageJson(*text) : Result<FunctionConfig>(text.status());
    if (!config.ok() || config->name + ".json" != n) {
      Warn("ignoring " + path + ": " +
           (config.ok() ? std::string("its name does not match") : config.status().message()));
      continue;
    }
    functions_[config->name] = std::move(*config);
  }
  std::set<std::string> used;
  for (const auto& [name, c] : functions_) used.insert(c.code_id);
  for (const std::string& n : ListDir(Dir("code"))) {
    if (!used.count(n)) RemoveTree(Dir("code/" + n));
  }
  return Status::Ok();
}

Status Functions::NotFoundError(const std::string& name, const std::string& qualifier,
                                const std::string& region) const {
  std::string arn =
      FunctionArn(region.empty() ? options_.default_region : region, options_.account_id, name);
  if (!qualifier.empty()) arn += ":" + qualifier;
  return NotFound("Function not found: " + arn);
}

Result<const FunctionConfig*> Functions::Find(std::string_view name_or_arn,
                                              const std::string& region,
                                              bool allow_qualifier) const {
  auto ref = ParseFunctionRef(name_or_arn);
  if (!ref.ok()) return ref.status();
  std::string msg_region = !ref->region.empty() ? ref->region : region;
  auto it = functions_.find(ref->name);
  bool qualifier_ok = ref->qualifier.empty() || (allow_qualifier && ref->qualifier == "$LATEST");
  if (it == functions_.end() || !qualifier_ok ||
      (!ref->account.empty() && ref->account != options_.account_id) ||
      (!ref->region.empty() && ref->region != it->second.region)) {
    return NotFoundError(ref->name, ref->qualifier, msg_region);
  }
  return &it->second;
}

Result<std::string> Functions::ExtractCode(std::string_view zip) {
  std::string id = RandomHex(32);
  std::string tmp = Dir("code/" + id + ".tmp");
  Status st = MakeDirs(tmp);
  Result<uint64_t> n = st.ok() ? ExtractZip(zip, tmp, options_.zip_limits) : Result<uint64_t>(st);
  if (!n.ok()) {
    RemoveTree(tmp);
    switch (n.status().code()) {
      case Code::kInvalidArgument:
        return InvalidArgument(
            "Could not unzip uploaded file. Please check your file, then try to upload again. (" +
            n.status().message() + ")");
      case Code::kResourceExhausted:
        return InvalidArgument(n.status().message());
      default:
        return n.status();
    }
  }
  if (rename(tmp.c_str(), Dir("code/" + id).c_str()) != 0) {
    RemoveTree(tmp);
    return Internal("cannot move the extracted code into place");
  }
  SyncDir(Dir("code"));
  return id;
}

Status Functions::WriteConfig(const FunctionConfig& c) {
  return WriteFileAtomic(Dir("registry/" + c.name + ".json"), ToStorageJson(c));
}

void Functions::CollectCode(const std::string& code_id) {
  if (code_id.empty()) return;
  for (const auto& [name, c] : functions_) {
    if (c.code_id == code_id) return;
  }
  auto it = code_in_use_.find(code_id);
  if (it != code_in_use_.end() && it->second > 0) {
    orphaned_code_.push_back(code_id);
    return;
  }
  RemoveTree(Dir("code/" + code_id));
}

void Functions::ReleaseCode(const std::string& code_id) {
  auto it = code_in_use_.find(code_id);
  if (it == code_in_use_.end()) return;
  if (--it->second > 0) return;
  code_in_use_.erase(it);
  for (size_t i = 0; i < orphaned_code_.size(); ++i) {
    if (orphaned_code_[i] == code_id) {
      orphaned_code_.erase(orphaned_code_.begin() + static_cast<long>(i));
      CollectCode(code_id);
      return;
    }
  }
}

Result<FunctionConfig> Functions::CreateFunction(FunctionConfig config, std::string_view zip) {
  if (config.region.empty()) config.region = options_.default_region;
  BERTH_RETURN_IF_ERROR(ValidateConfig(config));
  if (functions_.count(config.name)) {
    return Status(Code::kAlreadyExists, "Function already exist: " + config.name);
  }
  auto id = ExtractCode(zip);
  if (!id.ok()) return id.status();
  config.code_id = *id;
  config.code_sha256 = Sha256Base64(zip);
  config.code_size = static_cast<int64_t>(zip.size());
  config.last_modified = executor_.clock().NowMs();
  config.revision_id = NewUuid();
  Status st = WriteConfig(config);
  if (!st.ok()) {
    RemoveTree(Dir("code/" + *id));
    return st;
  }
  functions_[config.name] = config;
  return config;
}

Result<FunctionConfig> Functions::GetFunction(std::string_view name_or_arn,
                                              const std::string& region) const {
  auto f = Find(name_or_arn, region, true);
  if (!f.ok()) return f.status();
  return **f;
}

FunctionPage Functions::ListFunctions(const std::string& marker, int max_items) const {
  FunctionPage page;
  if (max_items < 1) max_items = 1;
  auto it = marker.empty() ? functions_.begin() : functions_.lower_bound(marker);
  for (; it != functions_.end(); ++it) {
    if (static_cast<int>(page.functions.size()) == max_items) {
      page.next_marker = it->first;
      break;
    }
    page.functions.push_back(it->second);
  }
  return page;
}

Status Functions::DeleteFunction(std::string_view name_or_arn, const std::string& region) {
  auto f = Find(name_or_arn, region, false);
  if (!f.ok()) return f.status();
  FunctionConfig c = **f;
  std::string path = Dir("registry/" + c.name + ".json");
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Internal("cannot delete " + path);
  }
  SyncDir(Dir("registry"));
  functions_.erase(c.name);
  streams_.erase(c.name);
  CollectCode(c.code_id);
  return Status::Ok();
}

Result<FunctionConfig> Functions::UpdateFunctionCode(std::string_view name_or_arn,
                                                     const std::string& region,
                                                     std::string_view zip) {
  auto f = Find(name_or_arn, region, false);
  if (!f.ok()) return f.status();
  FunctionConfig c = **f;
  std::string old_code = c.code_id;
  auto id = ExtractCode(zip);
  if (!id.ok()) return id.status();
  c.code_id = *id;
  c.code_sha256 = Sha256Base64(zip);
  c.code_size = static_cast<int64_t>(zip.size());
  c.last_modified = executor_.clock().NowMs();
  c.revision_id = NewUuid();
  Status st = WriteConfig(c);
  if (!st.ok()) {
    RemoveTree(Dir("code/" + *id));
    return st;
  }
  functions_[c.name] = c;
  CollectCode(old_code);
  return c;
}

Result<FunctionConfig> Functions::UpdateFunctionConfiguration(std::string_view name_or_arn,
                                                              const std::string& region,
                                                              const ConfigurationUpdate& u) {
  auto f = Find(name_or_arn, region, false);
  if (!f.ok()) return f.status();
  FunctionConfig c = **f;
  if (u.runtime) c.runtime = *u.runtime;
  if (u.handler) c.handler = *u.handler;
  if (u.role) c.role = *u.role;
  if (u.description) c.description = *u.description;
  if (u.environment) c.environment = *u.environment;
  if (u.timeout_s) c.timeout_s = *u.timeout_s;
  if (u.memory_mb) c.memory_mb = *u.memory_mb;
  BERTH_RETURN_IF_ERROR(ValidateConfig(c));
  c.last_modified = executor_.clock().NowMs();
  c.revision_id = NewUuid();
  BERTH_RETURN_IF_ERROR(WriteConfig(c));
  functions_[c.name] = c;
  return c;
}

Status Functions::TagResource(std::string_view arn, const std::string& region,
                              const StringMap& tags) {
  auto f = Find(arn, region, false);
  if (!f.ok()) return f.status();
  FunctionConfig c = **f;
  for (const auto& [k, v] : tags) c.tags[k] = v;
  BERTH_RETURN_IF_ERROR(ValidateConfig(c));
  BERTH_RETURN_IF_ERROR(WriteConfig(c));
  functions_[c.name] = c;
  return Status::Ok();
}

Status Functions::UntagResource(std::string_view arn, const std::string& region,
                                const std::vector<std::string>& keys) {
  auto f = Find(arn, region, false);
  if (!f.ok()) return f.status();
  FunctionConfig c = **f;
  for (const auto& k : keys) c.tags.erase(k);
  BERTH_RETURN_IF_ERROR(WriteConfig(c));
  functions_[c.name] = c;
  return Status::Ok();
}

Result<StringMap> Functions::ListTags(std::string_view arn, const std::string& region) const {
  auto f = Find(arn, region, false);
  if (!f.ok()) return f.status();
  return (*f)->tags;
}

Status Functions::Reset() {
  for (auto& [id, a] : attempts_) {
    if (!a->runtime_id.empty()) (void)driver_.Signal(a->runtime_id, SIGKILL);
  }
  queue_.clear();
  for (TimerId id : retry_timers_) executor_.Cancel(id);
  retry_timers_.clear();
  std::vector<std::string> codes;
  for (const auto& [name, c] : functions_) {
    std::string path = Dir("registry/" + name + ".json");
    unlink(path.c_str());
    codes.push_back(c.code_id);
  }
  SyncDir(Dir("registry"));
  functions_.clear();
  streams_.clear();
  for (const auto& id : codes) CollectCode(id);
  return Status::Ok();
}

}  // namespace berth::functions
