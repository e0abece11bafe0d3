// SHA-256 (OpenSSL libcrypto): checksums that pin source files, tokenizers,
// datasets and checkpoints, so stale derived files are detected.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace zl {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finalizes

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);

}  // namespace zl
