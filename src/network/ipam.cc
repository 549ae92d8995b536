#include "network/ipam.h"

#include <cstdlib>

namespace berth::network {

std::string FormatIpv4(Ipv4 address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

Result<Ipv4> ParseIpv4(const std::string& text) {
  Ipv4 address = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') break;
      ++pos;
    }
    size_t begin = pos;
    while (pos < text.size() && pos - begin < 4 && text[pos] >= '0' && text[pos] <= '9') ++pos;
    size_t digits = pos - begin;
    if (digits == 0 || digits > 3 || (digits > 1 && text[begin] == '0')) break;
    int value = std::atoi(text.substr(begin, digits).c_str());
    if (value > 255) break;
    address = (address << 8) | static_cast<Ipv4>(value);
    if (part == 3 && pos == text.size()) return address;
  }
  return InvalidArgument("\"" + text + "\" is not an IPv4 address (a.b.c.d)");
}

Result<Subnet> ParseSubnet(const std::string& text) {
  std::string shape = "the task subnet \"" + text + "\" ";
  size_t slash = text.find('/');
  if (slash == std::string::npos) {
    return InvalidArgument(shape + "needs a prefix length, e.g. 10.213.0.0/16");
  }
  Result<Ipv4> network = ParseIpv4(text.substr(0, slash));
  if (!network.ok()) return InvalidArgument(shape + "is not CIDR notation (a.b.c.d/n)");
  std::string prefix = text.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 2 ||
      prefix.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument(shape + "is not CIDR notation (a.b.c.d/n)");
  }
  Subnet subnet{*network, std::atoi(prefix.c_str())};
  if (subnet.prefix_len < 8 || subnet.prefix_len > 30) {
    return InvalidArgument(shape + "must have a prefix length between /8 and /30");
  }
  if ((subnet.network & ~subnet.Mask()) != 0) {
    Subnet fixed{subnet.network & subnet.Mask(), subnet.prefix_len};
    return InvalidArgument(shape + "has host bits set; did you mean " + fixed.ToString() + "?");
  }
  return subnet;
}

Ipam::Ipam(Subnet subnet)
    : subnet_(subnet), first_(subnet.gateway() + 1), last_(subnet.broadcast() - 1), next_(first_) {}

Result<Ipv4> Ipam::Allocate() {
  if (used_.size() >= Capacity()) {
    return ResourceExhausted("every address of the task subnet " + subnet_.ToString() +
                             " is in use (" + std::to_string(Capacity()) + " tasks)");
  }
  // Walk up from next_ past the taken ones; there is a free one (checked above).
  Ipv4 candidate = next_;
  while (used_.count(candidate)) candidate = candidate == last_ ? first_ : candidate + 1;
  used_.insert(candidate);
  next_ = candidate == last_ ? first_ : candidate + 1;
  return candidate;
}

void Ipam::Release(Ipv4 address) { used_.erase(address); }

}  // namespace berth::network
