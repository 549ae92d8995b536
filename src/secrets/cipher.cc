#include "secrets/cipher.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace berth::secrets {

namespace {

using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status ReadAll(int fd, std::string* out, size_t limit) {
  char buf[256];
  while (out->size() <= limit) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(std::string("cannot read the secrets key: ") + strerror(errno));
    if (n == 0) return Status::Ok();
    out->append(buf, static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDirOf(const std::string& path) {
  std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  if (dir.empty()) dir = ".";
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + dir + ": " + strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Internal("cannot sync " + dir + ": " + strerror(errno));
  return Status::Ok();
}

Result<Cipher> CreateKey(const std::string& path) {
  std::string key(Cipher::kKeySize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return Internal("cannot create the secrets key: no random bytes");
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot create " + path + ": " + strerror(errno));
  size_t off = 0;
  while (off < key.size()) {
    ssize_t n = write(fd, key.data() + off, key.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      unlink(path.c_str());
      return Internal("cannot write " + path + ": " + strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    close(fd);
    unlink(path.c_str());
    return Internal("cannot sync " + path + ": " + strerror(errno));
  }
  close(fd);
  BERTH_RETURN_IF_ERROR(SyncDirOf(path));
  Cipher c = Cipher::FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  return c;
}

}  // namespace

Cipher::~Cipher() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

Cipher Cipher::FromKey(std::string_view key32) {
  Cipher c;
  c.key_.assign(key32.data(), key32.size());
  return c;
}

Result<Cipher> Cipher::Ephemeral() {
  std::string key(kKeySize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return Internal("cannot create a key: no random bytes");
  }
  Cipher c = FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  return c;
}

Result<Cipher> Cipher::LoadOrCreate(const std::string& path, bool may_create) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT && may_create) return CreateKey(path);
    return Internal("cannot open the secrets key " + path + ": " + strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Internal("the secrets key " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
    close(fd);
    return Internal("cannot restrict " + path + " to mode 0600: " + strerror(errno));
  }
  std::string key;
  Status s = ReadAll(fd, &key, kKeySize);
  close(fd);
  BERTH_RETURN_IF_ERROR(s);
  if (key.size() != kKeySize) {
    OPENSSL_cleanse(key.data(), key.size());
    return Internal("the secrets key " + path + " is not " + std::to_string(kKeySize) +
                    " bytes long");
  }
  Cipher c = FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  return c;
}

Result<std::string> Cipher::Seal(std::string_view plaintext, std::string_view aad) const {
  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(o, kNonceSize) != 1) return Internal("cannot encrypt: no random bytes");
  CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), o) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), o + kNonceSize, &len, Bytes(plaintext),
                           static_cast<int>(plaintext.size())) == 1;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), o + kNonceSize + plaintext.size(), &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                           o + kNonceSize + plaintext.size()) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return Internal("cannot encrypt the value");
  }
  return out;
}

Result<std::string> Cipher::Open(std::string_view sealed, std::string_view aad) const {
  if (sealed.size() < kNonceSize + kTagSize) {
    return Internal("cannot decrypt the value: it is too short");
  }
  size_t n = sealed.size() - kNonceSize - kTagSize;
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const unsigned char* in = Bytes(sealed);
  // The tag is passed through a copy: EVP's SET_TAG takes a non-const pointer.
  unsigned char tag[kTagSize];
  memcpy(tag, in + kNonceSize + n, kTagSize);
  CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), in) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && n > 0) {
    ok = EVP_DecryptUpdate(ctx.get(), o, &len, in + kNonceSize, static_cast<int>(n)) == 1;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) == 1 &&
       EVP_DecryptFinal_ex(ctx.get(), o + n, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return Internal("cannot decrypt the value: authentication failed (altered, or another key)");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), Bytes(bytes),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // '=' only in the last two places
      ++pad;
    } else if (!alpha || pad > 0) {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), Bytes(text),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace berth::secrets
