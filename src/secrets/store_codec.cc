#include "secrets/store_codec.h"

#include <nlohmann/json.hpp>

namespace berth::secrets {

using nlohmann::json;

namespace {

constexpr int kFormat = 1;

std::string Dump(const json& j) { return j.dump(1, ' ', false, json::error_handler_t::replace); }

// Typed reads of one JSON object; the first problem is kept.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string Str(const char* key, bool required = false) {
    const json* v = Get(key, required);
    if (!v) return "";
    if (!v->is_string()) return Fail(key, "a string"), "";
    return v->get<std::string>();
  }
  int64_t Int(const char* key, bool required = false) {
    const json* v = Get(key, required);
    if (!v) return 0;
    if (!v->is_number_integer()) return Fail(key, "an integer"), 0;
    return v->get<int64_t>();
  }
  bool Bool(const char* key) {
    const json* v = Get(key, false);
    if (!v) return false;
    if (!v->is_boolean()) return Fail(key, "a boolean"), false;
    return v->get<bool>();
  }
  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    const json* v = Get(key, false);
    if (!v) return out;
    if (!v->is_array()) return Fail(key, "an array of strings"), out;
    for (const auto& e : *v) {
      if (!e.is_string()) return Fail(key, "an array of strings"), out;
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  const json* Array(const char* key, bool required) {
    const json* v = Get(key, required);
    if (v && !v->is_array()) return Fail(key, "an array"), nullptr;
    return v;
  }

 private:
  const json* Get(const char* key, bool required) {
    if (!ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) Fail(key, "present");
      return nullptr;
    }
    return &*it;
  }
  void Fail(const char* key, const char* what) {
    if (error_.empty()) error_ = where_ + ": member " + key + " must be " + what;
  }

  const json& j_;
  std::string where_;
  std::string error_;
};

Result<json> ParseTop(std::string_view text, const char* file, const char* list_key) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument(std::string(file) + " is not a JSON object");
  }
  auto f = j.find("format");
  if (f == j.end() || !f->is_number_integer() || f->get<int64_t>() != kFormat) {
    return InvalidArgument(std::string(file) + " has an unknown format");
  }
  auto l = j.find(list_key);
  if (l == j.end() || !l->is_array()) {
    return InvalidArgument(std::string(file) + " has no " + list_key + " array");
  }
  return j;
}

}  // namespace

std::string EncodeParameters(const std::vector<const Parameter*>& params) {
  json list = json::array();
  for (const Parameter* p : params) {
    json versions = json::array();
    for (const auto& v : p->versions) {
      json jv = {{"version", v.version}, {"type", ParameterTypeName(v.type)},
                 {"value", v.value},     {"modified_ms", v.modified_ms},
                 {"tier", v.tier},       {"data_type", v.data_type}};
      if (!v.description.empty()) jv["description"] = v.description;
      if (!v.key_id.empty()) jv["key_id"] = v.key_id;
      if (!v.allowed_pattern.empty()) jv["allowed_pattern"] = v.allowed_pattern;
      if (!v.labels.empty()) jv["labels"] = v.labels;
      versions.push_back(std::move(jv));
    }
    list.push_back({{"name", p->name}, {"versions", std::move(versions)}});
  }
  return Dump({{"format", kFormat}, {"parameters", std::move(list)}});
}

Result<std::vector<Parameter>> DecodeParameters(std::string_view text) {
  auto top = ParseTop(text, "parameters.json", "parameters");
  if (!top.ok()) return top.status();
  std::vector<Parameter> out;
  size_t i = 0;
  for (const auto& jp : (*top)["parameters"]) {
    std::string where = "parameters.json: parameter " + std::to_string(i++);
    if (!jp.is_object()) return InvalidArgument(where + " is not an object");
    Reader r(jp, where);
    Parameter p;
    p.name = r.Str("name", true);
    const json* versions = r.Array("versions", true);
    if (!r.ok()) return InvalidArgument(r.error());
    if (p.name.empty() || versions->empty() || versions->size() > kMaxParameterVersions) {
      return InvalidArgument(where + " has no name or a wrong number of versions");
    }
    int64_t last = 0;
    for (const auto& jv : *versions) {
      if (!jv.is_object()) return InvalidArgument(where + ": a version is not an object");
      Reader rv(jv, where);
      ParameterVersion v;
      v.version = rv.Int("version", true);
      std::string type = rv.Str("type", true);
      v.value = rv.Str("value", true);
      v.modified_ms = rv.Int("modified_ms");
      v.tier = rv.Str("tier");
      v.data_type = rv.Str("data_type");
      v.description = rv.Str("description");
      v.key_id = rv.Str("key_id");
      v.allowed_pattern = rv.Str("allowed_pattern");
      v.labels = rv.Strings("labels");
      if (!rv.ok()) return InvalidArgument(rv.error());
      auto t = ParseParameterType(type);
      if (!t) return InvalidArgument(where + " has a version of an unknown type");
      v.type = *t;
      if (v.version <= last) return InvalidArgument(where + " has versions out of order");
      last = v.version;
      if (v.tier.empty()) v.tier = "Standard";
      if (v.data_type.empty()) v.data_type = "text";
      p.versions.push_back(std::move(v));
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string EncodeSecrets(const std::vector<const Secret*>& secrets) {
  json list = json::array();
  for (const Secret* s : secrets) {
    json versions = json::array();
    for (const auto& v : s->versions) {
      versions.push_back({{"id", v.id},
                          {"binary", v.binary},
                          {"sealed", v.sealed},
                          {"stages", v.stages},
                          {"created_ms", v.created_ms}});
    }
    json tags = json::array();
    for (const auto& [k, v] : s->tags) tags.push_back({{"key", k}, {"value", v}});
    json js = {{"name", s->name},
               {"arn", s->arn},
               {"created_ms", s->created_ms},
               {"changed_ms", s->changed_ms},
               {"tags", std::move(tags)},
               {"versions", std::move(versions)}};
    if (!s->description.empty()) js["description"] = s->description;
    if (!s->kms_key_id.empty()) js["kms_key_id"] = s->kms_key_id;
    if (s->deleted_ms) {
      js["deleted_ms"] = s->deleted_ms;
      js["deletion_ms"] = s->deletion_ms;
    }
    list.push_back(std::move(js));
  }
  return Dump({{"format", kFormat}, {"secrets", std::move(list)}});
}

Result<std::vector<Secret>> DecodeSecrets(std::string_view text) {
  auto top = ParseTop(text, "secrets.json", "secrets");
  if (!top.ok()) return top.status();
  std::vector<Secret> out;
  size_t i = 0;
  for (const auto& js : (*top)["secrets"]) {
    std::string where = "secrets.json: secret " + std::to_string(i++);
    if (!js.is_object()) return InvalidArgument(where + " is not an object");
    Reader r(js, where);
    Secret s;
    s.name = r.Str("name", true);
    s.arn = r.Str("arn", true);
    s.description = r.Str("description");
    s.kms_key_id = r.Str("kms_key_id");
    s.created_ms = r.Int("created_ms");
    s.changed_ms = r.Int("changed_ms");
    s.deleted_ms = r.Int("deleted_ms");
    s.deletion_ms = r.Int("deletion_ms");
    const json* tags = r.Array("tags", false);
    const json* versions = r.Array("versions", true);
    if (!r.ok()) return InvalidArgument(r.error());
    if (s.name.empty() || s.arn.empty() || versions->size() > kMaxSecretVersions) {
      return InvalidArgument(where + " has no name, no ARN or too many versions");
    }
    if (tags) {
      for (const auto& t : *tags) {
        if (!t.is_object()) return InvalidArgument(where + ": a tag is not an object");
        Reader rt(t, where);
        std::string k = rt.Str("key", true);
        std::string v = rt.Str("value");
        if (!rt.ok()) return InvalidArgument(rt.error());
        s.tags.emplace_back(std::move(k), std::move(v));
      }
    }
    for (const auto& jv : *versions) {
      if (!jv.is_object()) return InvalidArgument(where + ": a version is not an object");
      Reader rv(jv, where);
      SecretVersion v;
      v.id = rv.Str("id", true);
      v.binary = rv.Bool("binary");
      v.sealed = rv.Str("sealed", true);
      v.stages = rv.Strings("stages");
      v.created_ms = rv.Int("created_ms");
      if (!rv.ok()) return InvalidArgument(rv.error());
      if (v.id.empty()) return InvalidArgument(where + " has a version without an id");
      s.versions.push_back(std::move(v));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace berth::secrets
