// ObjectStore: S3 buckets, objects and multipart uploads kept under one directory
// (DATA_DIR/objects). The S3 API (api/s3) streams request bodies into a TempFile of the store
// and commits it; the task runner reads env files with ReadSmallObject.
//
// Layout (every name below is made by the store, never taken from a key):
//   tmp/                              incoming bodies (TempFile); emptied by Open
//   buckets/NAME/bucket.rec           the bucket's record (creation time, region)
//   buckets/NAME/o/HH/HASH.rec        one object's record: its key, size, ETag, headers,
//                                     metadata, tags, checksum and the name of its data file
//   buckets/NAME/o/HH/HASH.GEN        the object's bytes; each write makes a new GEN
//   uploads/ID/upload.rec             a multipart upload (bucket, key, headers)
//   uploads/ID/N-ETAG.part            its parts (the ETag in the name: re-uploads never mix)
// NAME passes IsValidBucketName (S3's rules: [a-z0-9.-], 3..63) and ID is 48 hex digits before
// either is used in a path; HASH is the SHA-256 hex of the key and HH its first two digits, so
// keys are opaque byte strings (any bytes, "../", NUL, 1 KiB+) that can never address a file.
//
// Atomicity: data first (written to tmp/, fsync'd, renamed to a new GEN), then the record
// (temp + fsync + rename). The record's rename is the commit: a kill -9 at any point leaves the
// old object or the new one, never a mix; Open deletes data files no record names. Readers get
// an open fd on one GEN, which a later write never touches (it unlinks the old GEN).
//
// Records are text lines `field value…`, values percent-coded, so any key or header byte
// round-trips. The index (buckets, keys → ObjectInfo) lives in memory, loaded by Open.
//
// Threads: any thread; one mutex serialises every call (file copies and fsyncs of a commit run
// under it — the API calls it from the control thread, bodies are streamed before the call).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::objects {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// What a client sets on an object (PutObject, CreateMultipartUpload, CopyObject REPLACE).
struct ObjectAttributes {
  std::string content_type;
  Pairs headers;   // Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
                   // Expires, as given (canonical capitalisation)
  Pairs metadata;  // x-amz-meta-NAME: NAME lowercased, without the prefix
  Pairs tags;      // object tags, in the order given
  std::string checksum_algorithm;  // "CRC32", "CRC32C", "SHA1", "SHA256" or empty
  std::string checksum;            // base64 digest of the whole object (single PUT only)
};

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // hex MD5, or "HEX-N" for a multipart object; no quotes
  TimeMs last_modified = 0;
  int parts = 0;  // 0 = not multipart
  ObjectAttributes attrs;
  std::string data_file;  // internal: the GEN file's name
};

struct BucketInfo {
  std::string name;
  TimeMs created = 0;
  std::string region;
};

// An object opened for reading: fd stays valid (and the bytes unchanged) even if the object is
// overwritten or deleted meanwhile.
struct OpenedObject {
  ObjectInfo info;
  UniqueFd fd;
};

// A file in the store's tmp/ that receives a request body. Removed on destruction unless a
// commit took it.
class TempFile {
 public:
  TempFile() = default;
  TempFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  ~TempFile();
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // Appends all of data (retries short writes).
  Status Write(std::string_view data);
  uint64_t size() const { return size_; }
  void Release() { path_.clear(); }  // the commit renamed it

 private:
  UniqueFd fd_;
  std::string path_;
  uint64_t size_ = 0;
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  std::string after;  // exclusive: start-after, marker or the continuation token's key
  int max_keys = 1000;
};

struct ListResult {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_after;  // when truncated: the last key or common prefix returned
};

struct UploadInfo {
  std::string id, bucket, key;
  TimeMs initiated = 0;
  ObjectAttributes attrs;
};

struct PartInfo {
  int number = 0;
  std::string etag;  // hex MD5
  uint64_t size = 0;
  TimeMs last_modified = 0;
};

struct CompletedPart {
  int number = 0;
  std::string etag;  // hex MD5, quotes already removed
};

// S3's bucket naming rules (3-63 chars of a-z 0-9 . -, starting and ending with a letter or
// digit, no "..", not an IP address).
bool IsValidBucketName(const std::string& name);

class ObjectStore {
 public:
  static constexpr uint64_t kMinPartSize = 5 * 1024 * 1024;  // all parts but the last
  static constexpr int kMaxPartNumber = 10000;

  // Opens (creating) the store in dir; clock gives LastModified and creation dates.
  static Result<std::unique_ptr<ObjectStore>> Open(const std::string& dir, const Clock& clock);

  // Buckets. Create: AlreadyExists (kBucket) if it exists, InvalidArgument (kBucket) for a bad
  // name. Delete: FailedPrecondition (kBucket) while it holds objects.
  Status CreateBucket(const std::string& name, const std::string& region);
  Status DeleteBucket(const std::string& name);
  std::vector<BucketInfo> ListBuckets() const;
  Result<BucketInfo> GetBucket(const std::string& name) const;

  // A new empty file in tmp/ for an incoming body.
  Result<TempFile> NewTempFile();

  // Objects. NotFound (kBucket) when the bucket is missing, (kObject) when the key is.
  // PutObject commits body (fsync, rename) with md5_hex as its ETag.
  Result<ObjectInfo> PutObject(const std::string& bucket, const std::string& key,
                               const ObjectAttributes& attrs, TempFile body,
                               const std::string& md5_hex);
  Result<ObjectInfo> HeadObject(const std::string& bucket, const std::string& key) const;
  Result<OpenedObject> OpenObject(const std::string& bucket, const std::string& key) const;
  // OK when the key does not exist (S3's DeleteObject).
  Status DeleteObject(const std::string& bucket, const std::string& key);
  // Copies the source's bytes into a new object with attrs (the caller merges COPY/REPLACE).
  Result<ObjectInfo> CopyObject(const std::string& src_bucket, const std::string& src_key,
                                const std::string& dst_bucket, const std::string& dst_key,
                                const ObjectAttributes& attrs);
  Status PutObjectTags(const std::string& bucket, const std::string& key, const Pairs& tags);
  Result<ListResult> ListObjects(const std::string& bucket, const ListOptions& options) const;

  // Reads a whole object of at most max_bytes (env files). NotFound messages say whether the
  // bucket or the key is missing; InvalidArgument when the object is bigger than max_bytes.
  Result<std::string> ReadSmallObject(const std::string& bucket, const std::string& key,
                                      size_t max_bytes) const;

  // Multipart uploads (multipart.cc). NotFound (kMultipartUpload) for an unknown id or one of
  // another bucket/key. Complete: NotFound (kPart) for a part that was not uploaded with that
  // ETag, InvalidArgument (kPart) for parts out of order, FailedPrecondition (kPart) for a part
  // other than the last under kMinPartSize.
  Result<std::string> CreateMultipartUpload(const std::string& bucket, const std::string& key,
                                            const ObjectAttributes& attrs);
  Result<PartInfo> UploadPart(const std::string& bucket, const std::string& key,
                              const std::string& upload_id, int part_number, TempFile body,
                              const std::string& md5_hex);
  Result<std::vector<PartInfo>> ListParts(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id) const;
  Result<ObjectInfo> CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<CompletedPart>& parts);
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id);
  std::vector<UploadInfo> ListMultipartUploads(const std::string& bucket) const;

  // Deletes every bucket, object and upload (/_berth/reset).
  Status Reset();

  const std::string& dir() const { return dir_; }

 private:
  struct Bucket {
    BucketInfo info;
    std::map<std::string, ObjectInfo> objects;  // by key, sorted as S3 lists (bytewise)
  };

  ObjectStore(std::string dir, const Clock& clock) : dir_(std::move(dir)), clock_(clock) {}
  Status Load();
  Status LoadBucket(const std::string& name);
  Status LoadUploads();

  std::string BucketDir(const std::string& name) const;
  std::string ObjectDir(const std::string& bucket, const std::string& key) const;
  std::string UploadDir(const std::string& id) const;
  Result<const Bucket*> FindBucket(const std::string& name) const;
  Result<Bucket*> FindBucket(const std::string& name);
  Result<const UploadInfo*> FindUpload(const std::string& bucket, const std::string& key,
                                       const std::string& id) const;
  // Moves tmp (fsync'd here) into place as key's new data, writes the record, drops the old
  // data file and updates the index. The commit point of every object write.
  Result<ObjectInfo> Commit(Bucket& bucket, ObjectInfo info, TempFile data);

  std::string dir_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, UploadInfo> uploads_;
};

}  // namespace berth::objects
