#include "common/local_config.h"

#include <cstdlib>
#include <fstream>

namespace berth {

namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  size_t b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

}  // namespace

std::string DefaultDataDir() {
  if (const char* d = getenv("BERTH_DATA_DIR"); d && *d) return d;
  const char* home = getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.local/share/berth";
}

Result<ProfileKeys> ReadSharedCredentials(const std::string& path, const std::string& profile) {
  std::ifstream in(path);
  if (!in) return NotFound("no credentials file at " + path);
  ProfileKeys keys;
  std::string line, section;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = Trim(line.substr(1, line.size() - 2));
      if (section.rfind("profile ", 0) == 0) section = Trim(section.substr(8));
      continue;
    }
    if (section != profile) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = Trim(line.substr(0, eq)), value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") keys.access_key_id = value;
    if (key == "aws_secret_access_key") keys.secret_access_key = value;
    if (key == "region") keys.region = value;
  }
  if (keys.access_key_id.empty() || keys.secret_access_key.empty()) {
    return NotFound("no profile '" + profile + "' with keys in " + path);
  }
  return keys;
}

Result<std::string> ReadEndpointFile(const std::string& dir) {
  std::ifstream in(dir + "/endpoint");
  std::string url;
  if (!in || !std::getline(in, url) || Trim(url).empty()) {
    return Unavailable("the berth daemon is not running (no " + dir +
                       "/endpoint). Start it with `berth serve`, or set AWS_ENDPOINT_URL.");
  }
  return Trim(url);
}

}  // namespace berth
