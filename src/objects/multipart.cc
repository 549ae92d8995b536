// ObjectStore's multipart uploads: parts are files named by number and ETag in the upload's
// directory, so a part uploaded twice never mixes with its predecessor and Complete finds
// exactly the part the client names. Complete concatenates them into a temp file (constant
// memory) and commits it like any PutObject.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/ids.h"
#include "objects/checksum.h"
#include "objects/object_store.h"
#include "objects/store_files.h"

namespace berth::objects {

using namespace internal;  // NOLINT: the store's own helpers

namespace {

bool IsUploadId(const std::string& id) {
  if (id.size() != 48) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsMd5Hex(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string PartName(int number, const std::string& etag) {
  return std::to_string(number) + "-" + etag + ".part";
}

Status NoSuchUpload() {
  return NotFound(
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
      "been aborted or completed.",
      Resource::kMultipartUpload);
}

}  // namespace

Result<const UploadInfo*> ObjectStore::FindUpload(const std::string& bucket, const std::string& key,
                                                  const std::string& id) const {
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  auto it = uploads_.find(id);
  if (!IsUploadId(id) || it == uploads_.end() || it->second.bucket != bucket ||
      it->second.key != key) {
    return NoSuchUpload();
  }
  return &it->second;
}

Result<std::string> ObjectStore::CreateMultipartUpload(const std::string& bucket,
                                                       const std::string& key,
                                                       const ObjectAttributes& attrs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  UploadInfo up;
  up.id = RandomHex(48);
  up.bucket = bucket;
  up.key = key;
  up.initiated = clock_.NowMs();
  up.attrs = attrs;
  std::string udir = UploadDir(up.id);
  BERTH_RETURN_IF_ERROR(MakeDirs(udir));
  Status st = WriteFileAtomic(udir + "/upload.rec", FormatUpload(up));
  if (!st.ok()) {
    RemoveTree(udir);
    return st;
  }
  std::string id = up.id;
  uploads_[id] = std::move(up);
  return id;
}

Result<PartInfo> ObjectStore::UploadPart(const std::string& bucket, const std::string& key,
                                         const std::string& upload_id, int part_number,
                                         TempFile body, const std::string& md5_hex) {
  std::lock_guard<std::mutex> lock(mu_);
  auto up = FindUpload(bucket, key, upload_id);
  if (!up.ok()) return up.status();
  if (part_number < 1 || part_number > kMaxPartNumber || !IsMd5Hex(md5_hex)) {
    return InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  }
  std::string udir = UploadDir(upload_id);
  if (fsync(body.fd()) != 0) return Errno("cannot sync part data");
  PartInfo part{part_number, md5_hex, body.size(), clock_.NowMs()};
  std::string name = PartName(part_number, md5_hex);
  if (rename(body.path().c_str(), (udir + "/" + name).c_str()) != 0) {
    return Errno("cannot store part");
  }
  body.Release();
  SyncDir(udir);
  // Earlier uploads of the same part number are superseded.
  std::string prefix = std::to_string(part_number) + "-";
  DIR* d = opendir(udir.c_str());
  if (d) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind(prefix, 0) == 0 && n != name) unlink((udir + "/" + n).c_str());
    }
    closedir(d);
  }
  return part;
}

Result<std::vector<PartInfo>> ObjectStore::ListParts(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& upload_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto up = FindUpload(bucket, key, upload_id);
  if (!up.ok()) return up.status();
  std::string udir = UploadDir(upload_id);
  std::map<int, PartInfo> parts;
  DIR* d = opendir(udir.c_str());
  if (!d) return Errno("cannot list parts");
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    size_t dash = n.find('-');
    if (dash == std::string::npos || n.size() != dash + 1 + 32 + 5 ||
        n.substr(dash + 33) != ".part") {
      continue;
    }
    struct stat st;
    if (stat((udir + "/" + n).c_str(), &st) != 0) continue;
    PartInfo p;
    p.number = std::atoi(n.substr(0, dash).c_str());
    p.etag = n.substr(dash + 1, 32);
    p.size = static_cast<uint64_t>(st.st_size);
    p.last_modified = static_cast<TimeMs>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    parts[p.number] = p;
  }
  closedir(d);
  std::vector<PartInfo> out;
  for (auto& [n, p] : parts) out.push_back(p);
  return out;
}

Result<ObjectInfo> ObjectStore::CompleteMultipartUpload(const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& upload_id,
                                                        const std::vector<CompletedPart>& parts) {
  std::unique_lock<std::mutex> lock(mu_);
  auto up = FindUpload(bucket, key, upload_id);
  if (!up.ok()) return up.status();
  ObjectAttributes attrs = (*up)->attrs;
  lock.unlock();
  if (parts.empty()) {
    return InvalidArgument("You must specify at least one part", Resource::kMultipartUpload);
  }
  std::string udir = UploadDir(upload_id);
  std::vector<std::pair<std::string, uint64_t>> files;
  std::string md5s;
  int previous = 0;
  for (const CompletedPart& p : parts) {
    if (p.number <= previous) {
      return InvalidArgument(
          "The list of parts was not in ascending order. Parts must be ordered "
          "by part number.",
          Resource::kPart);
    }
    previous = p.number;
    auto raw = HexDecode(p.etag);
    struct stat st;
    std::string path = udir + "/" + PartName(p.number, p.etag);
    if (!IsMd5Hex(p.etag) || !raw || stat(path.c_str(), &st) != 0) {
      return NotFound(
          "One or more of the specified parts could not be found. The part may not have been "
          "uploaded, or the specified entity tag may not match the part's entity tag.",
          Resource::kPart);
    }
    md5s += *raw;
    files.emplace_back(path, static_cast<uint64_t>(st.st_size));
  }
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    if (files[i].second < kMinPartSize) {
      return FailedPrecondition("Your proposed upload is smaller than the minimum allowed size",
                                Resource::kPart);
    }
  }
  auto tmp = NewTempFile();
  if (!tmp.ok()) return tmp.status();
  for (const auto& [path, size] : files) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Errno("cannot open part");
    BERTH_RETURN_IF_ERROR(CopyBytes(fd.get(), size, *tmp, nullptr));
  }
  lock.lock();
  // The upload may have been aborted or completed while the parts were copied.
  up = FindUpload(bucket, key, upload_id);
  if (!up.ok()) return up.status();
  auto b = FindBucket(bucket);
  if (!b.ok()) return b.status();
  ObjectInfo info;
  info.key = key;
  info.size = tmp->size();
  info.etag = HexEncode(DigestOf(Algorithm::kMd5, md5s)) + "-" + std::to_string(parts.size());
  info.parts = static_cast<int>(parts.size());
  info.attrs = attrs;
  info.attrs.checksum_algorithm.clear();  // a whole-object checksum is not known
  info.attrs.checksum.clear();
  auto committed = Commit(**b, std::move(info), std::move(*tmp));
  if (committed.ok()) {
    RemoveTree(udir);
    uploads_.erase(upload_id);
  }
  return committed;
}

Status ObjectStore::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                         const std::string& upload_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto up = FindUpload(bucket, key, upload_id);
  if (!up.ok()) return up.status();
  std::string trash = dir_ + "/tmp/aborted-" + RandomHex(16);
  if (rename(UploadDir(upload_id).c_str(), trash.c_str()) != 0) return Errno("cannot abort");
  RemoveTree(trash);
  uploads_.erase(upload_id);
  return Status::Ok();
}

std::vector<UploadInfo> ObjectStore::ListMultipartUploads(const std::string& bucket) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UploadInfo> out;
  for (const auto& [id, up] : uploads_) {
    if (up.bucket == bucket) out.push_back(up);
  }
  return out;
}

}  // namespace berth::objects
