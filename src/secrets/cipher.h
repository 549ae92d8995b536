// Cipher: authenticated encryption of SecureString and secret values at rest — AES-256-GCM
// (OpenSSL EVP) under one 32-byte key, a fresh random 12-byte nonce per value. A sealed value is
// nonce ‖ ciphertext ‖ 16-byte tag; the associated data binds it to its record (parameter name
// and version, secret ARN and version id), so a sealed value moved to another record does not
// open. The key lives in DATA_DIR/secrets/key (mode 0600), created on first use.
// Also base64, for sealed values inside JSON files and on the wire.
// Immutable after construction: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace berth::secrets {

class Cipher {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;

  // Reads the key at `path`, or creates it (O_EXCL, 0600, fsync'd, and the directory too) when
  // it does not exist and `may_create`. A key file with a wrong size is an error; one readable
  // by others is tightened to 0600.
  static Result<Cipher> LoadOrCreate(const std::string& path, bool may_create);
  // A random key kept in memory only (tests, a store without a data dir).
  static Result<Cipher> Ephemeral();
  static Cipher FromKey(std::string_view key32);

  Cipher(const Cipher&) = default;
  Cipher& operator=(const Cipher&) = default;
  ~Cipher();

  // nonce ‖ ciphertext ‖ tag. Fails only when the system's random source does.
  Result<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
  // The plaintext, or Internal when the value was altered, belongs to another record or was
  // sealed under another key. The message never contains any part of the value.
  Result<std::string> Open(std::string_view sealed, std::string_view aad) const;

 private:
  Cipher() = default;
  std::string key_;
};

std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is canonical padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace berth::secrets
