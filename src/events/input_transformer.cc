#include "events/input_transformer.h"

#include <cstdint>
#include <vector>

#include "common/time_format.h"

namespace berth::events {

namespace {

using nlohmann::json;

constexpr size_t kMaxInput = 8192;
constexpr size_t kMaxInputPath = 256;
constexpr size_t kMaxTemplate = 8192;
constexpr size_t kMaxPathsMapEntries = 100;
constexpr size_t kMaxPathsMapKey = 256;

constexpr std::string_view kRuleArn = "aws.events.rule-arn";
constexpr std::string_view kRuleName = "aws.events.rule-name";
constexpr std::string_view kIngestionTime = "aws.events.event.ingestion-time";
constexpr std::string_view kEvent = "aws.events.event";
constexpr std::string_view kEventJson = "aws.events.event.json";

bool IsPredefined(std::string_view name) {
  return name == kRuleArn || name == kRuleName || name == kIngestionTime || name == kEvent ||
         name == kEventJson;
}

// Where a placeholder sits in the template; decides how its value is written.
enum class Context {
  kJsonValue,   // JSON template, outside quotes
  kJsonString,  // JSON template, inside a quoted value
  kJsonKey,     // JSON template, as (or inside) an object key: not allowed
  kText,        // text template
};

struct Placeholder {
  size_t pos;  // of '<'
  size_t len;  // through '>'
  std::string name;
  Context context;
};

bool IsJsonTemplate(std::string_view tmpl) {
  size_t first = tmpl.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && tmpl[first] == '{';
}

// A placeholder starts at tmpl[i] == '<' when a '>' comes before any other '<'.
bool PlaceholderAt(std::string_view tmpl, size_t i, size_t* len) {
  size_t end = tmpl.find_first_of("<>", i + 1);
  if (end == std::string_view::npos || tmpl[end] != '>') return false;
  *len = end - i + 1;
  return true;
}

// Finds every placeholder, tracking for JSON templates whether it sits inside a string and
// whether that position is an object key. The tracking is lexical (quotes, backslash escapes,
// brackets, `:` and `,`); the template need not be valid JSON.
std::vector<Placeholder> ScanTemplate(std::string_view tmpl) {
  std::vector<Placeholder> out;
  const bool json_template = IsJsonTemplate(tmpl);
  std::vector<char> stack;  // '{' or '['
  bool expect_key = false;  // in an object, before the ':' of a member
  bool in_string = false, string_is_key = false, escaped = false;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    size_t len = 0;
    if (c == '<' && PlaceholderAt(tmpl, i, &len)) {
      Context ctx = Context::kText;
      if (json_template) {
        bool key = in_string ? string_is_key : !stack.empty() && stack.back() == '{' && expect_key;
        ctx = key ? Context::kJsonKey : in_string ? Context::kJsonString : Context::kJsonValue;
      }
      out.push_back({i, len, std::string(tmpl.substr(i + 1, len - 2)), ctx});
      i += len - 1;
      escaped = false;
      continue;
    }
    if (!json_template) continue;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_is_key = !stack.empty() && stack.back() == '{' && expect_key;
        break;
      case '{':
      case '[':
        stack.push_back(c);
        expect_key = c == '{';
        break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        expect_key = false;
        break;
      case ':':
        expect_key = false;
        break;
      case ',':
        expect_key = !stack.empty() && stack.back() == '{';
        break;
      default:
        break;
    }
  }
  return out;
}

bool IsPathsMapKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxPathsMapKey) return false;
  for (char c : key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsJson(std::string_view text) {
  try {
    return json::accept(text.begin(), text.end());
  } catch (const std::exception&) {
    return false;
  }
}

// JSON text of a value; invalid UTF-8 in event strings is replaced, never thrown.
std::string Dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Removes blanks outside strings from valid JSON text.
std::string Minify(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else if (c == '"') {
      in_string = true;
    }
    out.push_back(c);
  }
  return out;
}

// The value text of a placeholder in its context; nullopt value = the path selected nothing.
std::string Format(const std::optional<json>& value, Context ctx) {
  if (!value) return ctx == Context::kJsonValue || ctx == Context::kJsonKey ? "\"\"" : "";
  switch (ctx) {
    case Context::kJsonValue:
    case Context::kJsonKey:
      return Dump(*value);
    case Context::kJsonString:
      return value->is_string() ? value->get<std::string>() : Dump(*value);
    case Context::kText:
      if (value->is_string()) return value->get<std::string>();
      if (value->is_structured()) {
        std::string s = Dump(*value);
        std::erase(s, '"');
        return s;
      }
      return Dump(*value);
  }
  return "";
}

// The event as <aws.events.event> shows it: no detail, and detail-type spelt detailType.
json EventWithoutDetail(const json& event) {
  json out = json::object();
  if (!event.is_object()) return out;
  for (auto it = event.begin(); it != event.end(); ++it) {
    if (it.key() == "detail") continue;
    out[it.key() == "detail-type" ? "detailType" : it.key()] = it.value();
  }
  return out;
}

std::optional<json> Resolve(const std::string& name, const InputTransformer& t, const json& event,
                            const RuleContext& rule) {
  if (name == kRuleArn) return json(rule.rule_arn);
  if (name == kRuleName) return json(rule.rule_name);
  if (name == kIngestionTime) {
    return json(FormatIsoMillis(rule.ingestion_time - rule.ingestion_time % 1000));
  }
  if (name == kEvent) return EventWithoutDetail(event);
  if (name == kEventJson) return event;
  auto it = t.input_paths_map.find(name);
  if (it == t.input_paths_map.end()) return std::nullopt;  // undeclared: Validate refuses it
  return SelectJsonPath(event, it->second);
}

Result<std::string> Transform(const InputTransformer& t, const json& event,
                              const RuleContext& rule) {
  const std::string& tmpl = t.input_template;
  std::string out;
  size_t copied = 0;
  for (const Placeholder& p : ScanTemplate(tmpl)) {
    out.append(tmpl, copied, p.pos - copied);
    out += Format(Resolve(p.name, t, event, rule), p.context);
    copied = p.pos + p.len;
  }
  out.append(tmpl, copied, std::string::npos);
  if (!IsJsonTemplate(tmpl)) return out;
  if (!IsJson(out)) {
    // Event data stays out of the message: it may end up in the daemon's log.
    return InvalidArgument("InputTemplate produced invalid JSON for this event.");
  }
  return Minify(out);
}

}  // namespace

std::optional<json> SelectJsonPath(const json& root, std::string_view path) {
  if (path.empty() || path[0] != '$') return std::nullopt;
  std::vector<const json*> nodes = {&root};
  bool wildcard = false;
  size_t i = 1;
  while (i < path.size()) {
    std::vector<const json*> next;
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[]", i + 1);
      if (end == std::string_view::npos) end = path.size();
      std::string_view name = path.substr(i + 1, end - i - 1);
      if (name.empty()) return std::nullopt;
      i = end;
      if (name == "*") {
        wildcard = true;
        for (const json* n : nodes) {
          if (n->is_structured()) {
            for (const json& child : *n) next.push_back(&child);
          }
        }
      } else {
        for (const json* n : nodes) {
          if (!n->is_object()) continue;
          auto it = n->find(name);
          if (it != n->end()) next.push_back(&*it);
        }
      }
    } else if (path[i] == '[') {
      size_t close = path.find(']', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view index = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (index == "*") {
        wildcard = true;
        for (const json* n : nodes) {
          if (n->is_structured()) {
            for (const json& child : *n) next.push_back(&child);
          }
        }
      } else {
        bool negative = !index.empty() && index[0] == '-';
        std::string_view digits = negative ? index.substr(1) : index;
        if (digits.empty() || digits.size() > 9) return std::nullopt;
        int64_t k = 0;
        for (char c : digits) {
          if (c < '0' || c > '9') return std::nullopt;
          k = k * 10 + (c - '0');
        }
        for (const json* n : nodes) {
          if (!n->is_array()) continue;
          int64_t size = static_cast<int64_t>(n->size());
          int64_t at = negative ? size - k : k;
          if (at >= 0 && at < size) next.push_back(&(*n)[static_cast<size_t>(at)]);
        }
      }
    } else {
      return std::nullopt;
    }
    nodes = std::move(next);
  }
  if (wildcard) {
    json all = json::array();
    for (const json* n : nodes) all.push_back(*n);
    return all;
  }
  if (nodes.empty()) return std::nullopt;
  return *nodes.front();
}

Status ValidateTargetInput(const TargetInput& input, std::string_view target_id) {
  const std::string id(target_id);
  int set = input.input.has_value() + input.input_path.has_value() + input.transformer.has_value();
  if (set > 1) {
    return InvalidArgument(
        "Only one of Input, InputPath, or InputTransformer must be provided "
        "for target " +
        id + ".");
  }
  if (input.input) {
    if (input.input->size() > kMaxInput) {
      return InvalidArgument("Input for target " + id + " must be at most 8192 characters.");
    }
    if (!IsJson(*input.input)) {
      return InvalidArgument("Input for target " + id + " is not a valid JSON text.");
    }
  }
  if (input.input_path && input.input_path->size() > kMaxInputPath) {
    return InvalidArgument("InputPath for target " + id + " must be at most 256 characters.");
  }
  if (!input.transformer) return Status::Ok();

  const InputTransformer& t = *input.transformer;
  if (t.input_template.empty() || t.input_template.size() > kMaxTemplate) {
    return InvalidArgument("InputTemplate for target " + id +
                           " must be between 1 and 8192 characters.");
  }
  if (t.input_paths_map.size() > kMaxPathsMapEntries) {
    return InvalidArgument("InputPathsMap for target " + id + " must have at most 100 entries.");
  }
  for (const auto& [key, path] : t.input_paths_map) {
    if (!IsPathsMapKey(key) || key.starts_with("AWS")) {
      return InvalidArgument("InputPathsMap for target " + id + " contains invalid key " + key +
                             ".");
    }
    if (path.size() > kMaxInputPath) {
      return InvalidArgument("InputPathsMap for target " + id + " contains a path longer than " +
                             "256 characters.");
    }
  }
  for (const Placeholder& p : ScanTemplate(t.input_template)) {
    if (!IsPredefined(p.name) && !t.input_paths_map.contains(p.name)) {
      return InvalidArgument("InputTemplate for target " + id + " contains invalid placeholder " +
                             p.name + ".");
    }
  }
  for (const Placeholder& p : ScanTemplate(t.input_template)) {
    if (p.context == Context::kJsonKey) {
      return InvalidArgument("InputTemplate for target " + id + " uses placeholder " + p.name +
                             " as an object key.");
    }
  }
  return Status::Ok();
}

Result<std::string> RenderTargetInput(const TargetInput& input, const json& event,
                                      const RuleContext& rule) {
  if (input.input) return *input.input;
  if (input.input_path) {
    std::optional<json> selected = SelectJsonPath(event, *input.input_path);
    if (!selected) {
      return InvalidArgument("InputPath " + *input.input_path + " selects nothing in the event.");
    }
    return Dump(*selected);
  }
  if (input.transformer) return Transform(*input.transformer, event, rule);
  return Dump(event);
}

}  // namespace berth::events
