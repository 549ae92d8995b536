// Small file helpers for the function registry: atomic replace (temp + fsync + rename + fsync
// of the directory), bounded reads, tree removal. Return Status, never throw. Any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace berth::functions {

// Writes path atomically: readers see the old content or the new, never a mix, also after a
// crash.
Status WriteFileAtomic(const std::string& path, const std::string& content, int mode = 0644);
// Writes path plainly (scratch files).
Status WriteFile(const std::string& path, const std::string& content);
// Reads at most max_bytes (+1, so a caller can tell "too long"); NotFound when absent.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);
// Removes a file or a directory tree; a missing path is fine.
void RemoveTree(const std::string& path);
// Creates path and its parents (0755); fine when it exists.
Status MakeDirs(const std::string& path);
// fsyncs a directory (after a rename or unlink in it).
void SyncDir(const std::string& dir);

}  // namespace berth::functions
