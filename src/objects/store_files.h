// File helpers and the record format of the object store (internal to objects/): atomic
// writes, directory sync, copies in constant memory, and `field value…` text records whose
// values are percent-coded so any byte string round-trips.
// Pure functions over the file system; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "objects/checksum.h"
#include "objects/object_store.h"

namespace berth::objects::internal {

Status Errno(const std::string& what);
// temp file next to path + fsync + rename + fsync of the directory.
Status WriteFileAtomic(const std::string& path, const std::string& content);
Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes);
void SyncDir(const std::string& dir);
Status MakeDirs(const std::string& path);
void RemoveTree(const std::string& path);
// Appends the bytes of in_fd (from its start, `size` bytes) to out; constant memory. When md5
// is not null, it receives the copied bytes too.
Status CopyBytes(int in_fd, uint64_t size, TempFile& out, Digest* md5);

// Percent-codes bytes outside printable ASCII, plus '%' and ' ' (so a value is one token).
std::string Encode(std::string_view s);
std::string Decode(std::string_view s);

// A record: lines of tokens separated by one space; the first token names the field.
using Record = std::vector<std::vector<std::string>>;
std::string FormatRecord(const Record& r);
Record ParseRecord(std::string_view text);

// ObjectInfo / UploadInfo ⇄ record. Parse returns false when a required field is missing.
std::string FormatObject(const ObjectInfo& info);
bool ParseObject(std::string_view text, ObjectInfo* info);
std::string FormatUpload(const UploadInfo& up);
bool ParseUpload(std::string_view text, UploadInfo* up);

std::string KeyHash(std::string_view key);  // SHA-256 hex

}  // namespace berth::objects::internal
