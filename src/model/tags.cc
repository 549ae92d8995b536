#include "model/tags.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace berth::model {

namespace {

constexpr size_t kMaxTags = 50;
constexpr size_t kMaxKeyLength = 128;
constexpr size_t kMaxValueLength = 256;

// Length in Unicode characters: the limits count characters, not UTF-8 bytes.
size_t CharCount(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool HasAwsPrefix(std::string_view key) {
  if (key.size() < 4) return false;
  return (key[0] == 'a' || key[0] == 'A') && (key[1] == 'w' || key[1] == 'W') &&
         (key[2] == 's' || key[2] == 'S') && key[3] == ':';
}

}  // namespace

Result<Tags> ParseTags(const nlohmann::json& j, Resource resource) {
  Tags tags;
  if (j.is_null()) return tags;  // JS v3 drops nulls; treat as absent
  if (!j.is_array()) return InvalidArgument("tags must be a list.", resource);
  if (j.size() > kMaxTags) {
    return InvalidArgument("A resource can have at most 50 tags.", resource);
  }
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& t = j[i];
    std::string path = "tags[" + std::to_string(i) + "]";
    if (!t.is_object()) return InvalidArgument(path + " must be an object.", resource);
    Tag tag;
    auto key = t.find("key");
    if (key == t.end() || key->is_null()) {
      return InvalidArgument(path + ".key is required.", resource);
    }
    if (!key->is_string()) return InvalidArgument(path + ".key must be a string.", resource);
    tag.key = key->get_ref<const std::string&>();
    auto value = t.find("value");
    if (value != t.end() && !value->is_null()) {
      if (!value->is_string()) {
        return InvalidArgument(path + ".value must be a string.", resource);
      }
      tag.value = value->get_ref<const std::string&>();
    }
    size_t key_length = CharCount(tag.key);
    if (key_length < 1 || key_length > kMaxKeyLength) {
      return InvalidArgument("Tag keys must be between 1 and 128 characters long.", resource);
    }
    if (CharCount(tag.value) > kMaxValueLength) {
      return InvalidArgument("Tag values must be at most 256 characters long.", resource);
    }
    if (HasAwsPrefix(tag.key)) {
      return InvalidArgument("Tag keys beginning with 'aws:' are reserved for AWS use.", resource);
    }
    MergeTags(&tags, {tag});
  }
  return tags;
}

nlohmann::json TagsToJson(const Tags& tags) {
  nlohmann::json out = nlohmann::json::array();
  for (const Tag& t : tags) out.push_back({{"key", t.key}, {"value", t.value}});
  return out;
}

void MergeTags(Tags* into, const Tags& more) {
  for (const Tag& t : more) {
    auto it = std::find_if(into->begin(), into->end(),
                           [&](const Tag& existing) { return existing.key == t.key; });
    if (it != into->end()) {
      it->value = t.value;
    } else {
      into->push_back(t);
    }
  }
}

void RemoveTags(Tags* from, const std::vector<std::string>& keys) {
  std::erase_if(*from, [&](const Tag& t) {
    return std::find(keys.begin(), keys.end(), t.key) != keys.end();
  });
}

}  // namespace berth::model
