#include "api/http/http_types.h"

#include <strings.h>

namespace berth::api {

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

std::string HttpRequest::Path() const { return target.substr(0, target.find('?')); }

}  // namespace berth::api
