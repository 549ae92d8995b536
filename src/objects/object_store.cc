// ObjectStore: opening and loading, buckets, object writes (the commit), reads and listing.
// Multipart uploads are in multipart.cc.
#include "objects/object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/ids.h"
#include "objects/checksum.h"
#include "objects/store_files.h"

namespace berth::objects {

using namespace internal;  // NOLINT: the store's own helpers

namespace {

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string NoSuchBucketMsg(const std::string& b) {
  return "The specified bucket does not exist: bucket '" + b + "' is missing.";
}

}  // namespace

TempFile::~TempFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)), size_(other.size_) {
  other.path_.clear();
}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) unlink(path_.c_str());
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    size_ = other.size_;
    other.path_.clear();
  }
  return *this;
}

Status TempFile::Write(std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd_.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write " + path_);
    off += static_cast<size_t>(n);
  }
  size_ += data.size();
  return Status::Ok();
}

bool IsValidBucketName(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  bool all_digits_dots = true;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && (name[i + 1] == '.' || name[i + 1] == '-' || name[i - 1] == '-')) return false;
    if (!(c == '.' || (c >= '0' && c <= '9'))) all_digits_dots = false;
  }
  return !all_digits_dots;  // "192.168.5.4" looks like an IP address
}

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(const std::string& dir, const Clock& clock) {
  std::unique_ptr<ObjectStore> store(new ObjectStore(dir, clock));
  RemoveTree(dir + "/tmp");  // bodies of requests that never finished
  for (const char* sub : {"/tmp", "/buckets", "/uploads"}) {
    BERTH_RETURN_IF_ERROR(MakeDirs(dir + sub));
  }
  BERTH_RETURN_IF_ERROR(store->Load());
  return store;
}

Status ObjectStore::Load() {
  for (const std::string& name : ListDir(dir_ + "/buckets")) {
    if (!IsValidBucketName(name)) continue;
    BERTH_RETURN_IF_ERROR(LoadBucket(name));
  }
  return LoadUploads();
}

Status ObjectStore::LoadBucket(const std::string& name) {
  std::string bdir = BucketDir(name);
  auto rec = ReadWholeFile(bdir + "/bucket.rec", 64 * 1024);
  if (!rec.ok()) {
    RemoveTree(bdir);  // a CreateBucket that never committed
    return Status::Ok();
  }
  Bucket b;
  b.info.name = name;
  for (const auto& line : ParseRecord(*rec)) {
    if (line[0] == "created" && line.size() == 2) b.info.created = std::atoll(line[1].c_str());
    if (line[0] == "region" && line.size() == 2) b.info.region = Decode(line[1]);
  }
  for (const std::string& hh : ListDir(bdir + "/o")) {
    std::string odir = bdir + "/o/" + hh;
    std::vector<std::string> files = ListDir(odir);
    std::map<std::string, bool> referenced;  // data file → named by a record
    for (const std::string& f : files) {
      if (!EndsWith(f, ".rec")) continue;
      auto text = ReadWholeFile(odir + "/" + f, 1 << 20);
      ObjectInfo info;
      if (!text.ok() || !ParseObject(*text, &info) || KeyHash(info.key) + ".rec" != f) {
        continue;  // not ours or unreadable: leave it, list nothing
      }
      referenced[info.data_file] = true;
      std::string key = info.key;
      b.objects[key] = std::move(info);
    }
    for (const std::string& f : files) {
      // Temp records, and data files of writes that died before their record was renamed.
      if (f.find(".tmp-") != std::string::npos || (!EndsWith(f, ".rec") && !referenced[f])) {
        unlink((odir + "/" + f).c_str());
      }
    }
  }
  buckets_[name] = std::move(b);
  return Status::Ok();
}

Status ObjectStore::LoadUploads() {
  for (const std::string& id : ListDir(dir_ + "/uploads")) {
    auto text = ReadWholeFile(UploadDir(id) + "/upload.rec", 1 << 20);
    UploadInfo up;
    if (!text.ok() || !ParseUpload(*text, &up) || up.id != id || !buckets_.count(up.bucket)) {
      RemoveTree(UploadDir(id));
      continue;
    }
    uploads_[id] = std::move(up);
  }
  return Status::Ok();
}

std::string ObjectStore::BucketDir(const std::string& name) const {
  return dir_ + "/buckets/" + name;
}

std::string ObjectStore::ObjectDir(const std::string& bucket, const std::string& key) const {
  return BucketDir(bucket) + "/o/" + KeyHash(key).substr(0, 2);
}

std::string ObjectStore::UploadDir(const std::string& id) const { return dir_ + "/uploads/" + id; }

Result<const ObjectStore::Bucket*> ObjectStore::FindBucket(const std::string& name) const {
  auto it = buckets_.find(name);
  if (it == buckets_.end()) return NotFound(NoSuchBucketMsg(name), Resource::kBucket);
  return &it->second;
}

Result<ObjectStore::Bucket*> ObjectStore::FindBucket(const std::string& name) {
  auto it = buckets_.find(name);
  if (it == buckets_.end()) return NotFound(NoSuchBucketMsg(name), Resource::kBucket);
  return &it->second;
}

Status ObjectStore::CreateBucket(const std::string& name, const std::string& region) {
  if (!IsValidBucketName(name)) {
    return InvalidArgument("The specified bucket is not valid.", Resource::kBucket);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (buckets_.count(name)) {
    return Status(Code::kAlreadyExists,
                  "Your previous request to create the named bucket succeeded and you already "
                  "own it.",
                  Resource::kBucket);
  }
  Bucket b;
  b.info = {name, clock_.NowMs(), region};
  std::string bdir = BucketDir(name);
  BERTH_RETURN_IF_ERROR(MakeDirs(bdir + "/o"));
  Record r = {{"created", std::to_string(b.info.created)}, {"region", Encode(region)}};
  Status st = WriteFileAtomic(bdir + "/bucket.rec", FormatRecord(r));
  if (!st.ok()) {
    RemoveTree(bdir);
    return st;
  }
  SyncDir(dir_ + "/buckets");
  buckets_[name] = std::move(b);
  return Status::Ok();
}

Status ObjectStore::DeleteBucket(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(name);
  if (!b.ok()) return b.status();
  if (!(*b)->objects.empty()) {
    return FailedPrecondition("The bucket you tried to delete is not empty", Resource::kBucket);
  }
  // Out of the namespace first (one rename), then removed at leisure.
  std::string trash = dir_ + "/tmp/deleted-" + RandomHex(16);
  if (rename(BucketDir(name).c_str(), trash.c_str()) != 0) return Errno("cannot delete bucket");
  SyncDir(dir_ + "/buckets");
  RemoveTree(trash);
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    if (it->second.bucket == name) {
      RemoveTree(UploadDir(it->first));
      it = uploads_.erase(it);
    } else {
      ++it;
    }
  }
  buckets_.erase(name);
  return Status::Ok();
}

std::vector<BucketInfo> ObjectStore::ListBuckets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<BucketInfo> out;
  for (const auto& [name, b] : buckets_) out.push_back(b.info);
  return out;
}

Result<BucketInfo> ObjectStore::GetBucket(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(name);
  if (!b.ok()) return b.status();
  return (*b)->info;
}

Result<TempFile> ObjectStore::NewTempFile() {
  std::string path = dir_ + "/tmp/body-" + RandomHex(24);
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Errno("cannot create " + path);
  return TempFile(std::move(fd), path);
}

Result<ObjectInfo> ObjectStore::Commit(Bucket& bucket, ObjectInfo info, TempFile data) {
  std::string odir = ObjectDir(bucket.info.name, info.key);
  BERTH_RETURN_IF_ERROR(MakeDirs(odir));
  std::string hash = KeyHash(info.key);
  info.data_file = hash + "." + RandomHex(16);
  info.last_modified = clock_.NowMs();
  if (fsync(data.fd()) != 0) return Errno("cannot sync object data");
  std::string data_path = odir + "/" + info.data_file;
  if (rename(data.path().c_str(), data_path.c_str()) != 0) return Errno("cannot store object");
  data.Release();
  Status st = WriteFileAtomic(odir + "/" + hash + ".rec", FormatObject(info));
  if (!st.ok()) {
    unlink(data_path.c_str());
    return st;
  }
  auto it = bucket.objects.find(info.key);
  if (it != bucket.objects.end()) unlink((odir + "/" + it->second.data_file).c_str());
  bucket.objects[info.key] = info;
  return info;
}

Result<ObjectInfo> ObjectStore::PutObject(const std::string& bucket, const std::string& key,
                                          const ObjectAttributes& attrs, TempFile body,
                                          const std::string& md5_hex) {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  ObjectInfo info;
  info.key = key;
  info.size = body.size();
  info.etag = md5_hex;
  info.attrs = attrs;
  return Commit(**b, std::move(info), std::move(body));
}

Result<ObjectInfo> ObjectStore::HeadObject(const std::string& bucket,
                                           const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  auto it = (*b)->objects.find(key);
  if (it == (*b)->objects.end()) {
    return NotFound("The specified key does not exist.", Resource::kObject);
  }
  return it->second;
}

Result<OpenedObject> ObjectStore::OpenObject(const std::string& bucket,
                                             const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  auto it = (*b)->objects.find(key);
  if (it == (*b)->objects.end()) {
    return NotFound("The specified key does not exist.", Resource::kObject);
  }
  std::string path = ObjectDir(bucket, key) + "/" + it->second.data_file;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Errno("cannot open object data");
  return OpenedObject{it->second, std::move(fd)};
}

Status ObjectStore::DeleteObject(const std::string& bucket, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  auto it = (*b)->objects.find(key);
  if (it == (*b)->objects.end()) return Status::Ok();
  std::string odir = ObjectDir(bucket, key);
  // The record goes first: without it the data file is an orphan that Open removes.
  if (unlink((odir + "/" + KeyHash(key) + ".rec").c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot delete object");
  }
  SyncDir(odir);
  unlink((odir + "/" + it->second.data_file).c_str());
  (*b)->objects.erase(it);
  return Status::Ok();
}

Result<ObjectInfo> ObjectStore::CopyObject(const std::string& src_bucket,
                                           const std::string& src_key,
                                           const std::string& dst_bucket,
                                           const std::string& dst_key,
                                           const ObjectAttributes& attrs) {
  auto src = OpenObject(src_bucket, src_key);
  if (!src.ok()) return src.status();
  auto tmp = NewTempFile();
  if (!tmp.ok()) return tmp.status();
  Digest md5(Algorithm::kMd5);
  BERTH_RETURN_IF_ERROR(CopyBytes(src->fd.get(), src->info.size, *tmp, &md5));
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(dst_bucket);
  if (!b.ok()) return b.status();
  ObjectInfo info;
  info.key = dst_key;
  info.size = tmp->size();
  info.etag = HexEncode(md5.Finish());
  info.attrs = attrs;
  return Commit(**b, std::move(info), std::move(*tmp));
}

Status ObjectStore::PutObjectTags(const std::string& bucket, const std::string& key,
                                  const Pairs& tags) {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  auto it = (*b)->objects.find(key);
  if (it == (*b)->objects.end()) {
    return NotFound("The specified key does not exist.", Resource::kObject);
  }
  ObjectInfo info = it->second;
  info.attrs.tags = tags;
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(ObjectDir(bucket, key) + "/" + KeyHash(key) + ".rec", FormatObject(info)));
  it->second = std::move(info);
  return Status::Ok();
}

Result<ListResult> ObjectStore::ListObjects(const std::string& bucket, const ListOptions& o) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  const auto& objects = (*b)->objects;
  ListResult out;
  int count = 0;
  std::string last_prefix;
  auto it = objects.lower_bound(std::max(o.prefix, o.after));
  for (; it != objects.end(); ++it) {
    const std::string& key = it->first;
    if (key.compare(0, o.prefix.size(), o.prefix) != 0) break;  // past the prefix's range
    if (!o.after.empty() && key <= o.after) continue;
    std::string common;
    if (!o.delimiter.empty()) {
      size_t d = key.find(o.delimiter, o.prefix.size());
      if (d != std::string::npos) common = key.substr(0, d + o.delimiter.size());
    }
    if (!common.empty() && (common == last_prefix || common == o.after)) continue;
    if (count >= o.max_keys) {
      out.truncated = o.max_keys > 0;
      break;
    }
    ++count;
    if (!common.empty()) {
      out.common_prefixes.push_back(common);
      last_prefix = common;
      out.next_after = common;
    } else {
      out.objects.push_back(it->second);
      out.next_after = key;
    }
  }
  if (!out.truncated) out.next_after.clear();
  return out;
}

Result<std::string> ObjectStore::ReadSmallObject(const std::string& bucket, const std::string& key,
                                                 size_t max_bytes) const {
  auto obj = OpenObject(bucket, key);
  if (!obj.ok()) {
    if (obj.status().code() != Code::kNotFound) return obj.status();
    if (obj.status().resource() == Resource::kBucket) {
      return NotFound("bucket '" + bucket + "' does not exist", Resource::kBucket);
    }
    return NotFound("object '" + key + "' does not exist in bucket '" + bucket + "'",
                    Resource::kObject);
  }
  if (obj->info.size > max_bytes) {
    return InvalidArgument("object '" + key + "' in bucket '" + bucket + "' is " +
                           std::to_string(obj->info.size) + " bytes, more than the limit of " +
                           std::to_string(max_bytes));
  }
  std::string out(static_cast<size_t>(obj->info.size), '\0');
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = pread(obj->fd.get(), out.data() + off, out.size() - off, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot read object '" + key + "'");
    off += static_cast<size_t>(n);
  }
  return out;
}

Status ObjectStore::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const char* sub : {"/buckets", "/uploads"}) {
    std::string trash = dir_ + "/tmp/reset-" + RandomHex(16);
    if (rename((dir_ + sub).c_str(), trash.c_str()) != 0) return Errno("cannot reset the store");
    RemoveTree(trash);
    BERTH_RETURN_IF_ERROR(MakeDirs(dir_ + sub));
  }
  buckets_.clear();
  uploads_.clear();
  return Status::Ok();
}

}  // namespace berth::objects
