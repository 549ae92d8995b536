// fuzz_secrets: libFuzzer target for secrets/ — ECS's valueFrom parser and the SecretStore's
// resolver (secrets/value_from.h, SecretStore::ResolveValueFrom), and the decoders of the
// store's files (secrets/store_codec.h).
//
// Input: one selector byte, then the text. Selector % 3: 0 = valueFrom (parsed, then resolved
// against a store holding a SecureString parameter and a JSON secret), 1 = parameters.json,
// 2 = secrets.json (decoded, re-encoded, decoded again).
//
// Checked: nothing crashes or throws; no error message of the resolver contains a stored value
// (unless the reference itself spelled it); a decoded file survives an encode/decode round trip
// unchanged in size.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/clock.h"
#include "secrets/secret_store.h"
#include "secrets/store_codec.h"
#include "secrets/value_from.h"

namespace {

using namespace berth;
using namespace berth::secrets;

constexpr char kParamValue[] = "fuzz-param-plaintext";
constexpr char kSecretValue[] = "fuzz-secret-plaintext";

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "fuzz_secrets: invariant failed: %s\n", what);
    abort();
  }
}

class FixedClock : public Clock {
 public:
  TimeMs NowMs() const override { return 1'700'000'000'000; }
};

SecretStore& Store() {
  static FixedClock clock;
  static std::unique_ptr<SecretStore> store = [] {
    auto s = SecretStore::Open(clock, {});
    Check(s.ok(), "open");
    PutParameterRequest p;
    p.name = "/app/db/password";
    p.value = kParamValue;
    p.type = "SecureString";
    Check((*s)->PutParameter(p).ok(), "put parameter");
    p.name = "plain";
    Check((*s)->PutParameter(p).ok(), "put parameter");
    CreateSecretRequest c;
    c.name = "prod/db";
    c.value = SecretPayload{
        false, std::string("{\"password\":\"") + kSecretValue + "\",\"n\":[1,{\"a\":2}]}"};
    Check((*s)->CreateSecret(c).ok(), "create secret");
    return std::move(*s);
  }();
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      (void)ParseValueFrom(text);
      // Also try the text appended to the real secret's ARN (json-key/stage/version fields).
      SecretStore& store = Store();
      static const std::string arn = store.DescribeSecret("prod/db")->arn;
      for (const std::string& v : {text, arn + text, arn.substr(0, arn.size() - 7) + text}) {
        auto r = store.ResolveValueFrom(v);
        // Errors name the reference (which may itself contain anything), never a stored value.
        if (!r.ok()) {
          const std::string& m = r.status().message();
          Check(m.find(kParamValue) == std::string::npos || v.find(kParamValue) != v.npos,
                "param in error");
          Check(m.find(kSecretValue) == std::string::npos || v.find(kSecretValue) != v.npos,
                "secret in error");
        }
      }
      (void)JsonNestingWithin(text, 64);
      break;
    }
    case 1: {
      auto p = DecodeParameters(text);
      if (p.ok()) {
        std::vector<const Parameter*> list;
        for (const auto& x : *p) list.push_back(&x);
        auto again = DecodeParameters(EncodeParameters(list));
        Check(again.ok() && again->size() == p->size(), "parameters round trip");
      }
      break;
    }
    default: {
      auto s = DecodeSecrets(text);
      if (s.ok()) {
        std::vector<const Secret*> list;
        for (const auto& x : *s) list.push_back(&x);
        auto again = DecodeSecrets(EncodeSecrets(list));
        Check(again.ok() && again->size() == s->size(), "secrets round trip");
      }
      break;
    }
  }
  return 0;
}
