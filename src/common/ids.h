// Random identifiers in AWS's formats. Thread-safe.
#pragma once

#include <string>

namespace berth {

std::string RandomHex(size_t n_chars);  // lowercase hex, e.g. a 32-char task id
std::string NewUuid();                   // RFC 4122 v4, lowercase
std::string RandomAlnum(size_t n, bool upper_only = false);

}  // namespace berth
