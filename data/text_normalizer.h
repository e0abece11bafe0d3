// Text normalization for Chinese customer-service text: UTF-8 validation,
// Unicode NFKC (full-width letters, digits and punctuation to half-width),
// control/format character removal, whitespace collapse and optional
// traditional-to-simplified conversion. Each step is switchable.
//
// Speed matters (every text of a dataset passes through here): ASCII and CJK
// ideographs are stable under NFKC and are copied as they are; only the runs
// of other code points go through utf8proc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace zl {

struct NormalizeOptions {
  bool nfkc = true;                 // Unicode NFKC via utf8proc
  bool collapse_whitespace = true;  // any run of Unicode white space -> one ASCII space; trimmed at both ends
  bool remove_control = true;       // drop control (Cc) and format (Cf) characters, e.g. U+200B, U+FEFF
  bool t2s = false;                 // traditional -> simplified Chinese (OpenCC t2s.json)
  std::string to_json() const;
};

// Returns true when `s` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
// On failure *bad_offset is the byte offset of the first invalid sequence.
bool valid_utf8(std::string_view s, size_t* bad_offset = nullptr);

class TextNormalizer {
 public:
  explicit TextNormalizer(NormalizeOptions options);
  ~TextNormalizer();
  TextNormalizer(const TextNormalizer&) = delete;
  TextNormalizer& operator=(const TextNormalizer&) = delete;

  // `text` must be valid UTF-8 (see valid_utf8). Writes the result into `out`.
  void normalize(std::string_view text, std::string& out) const;
  std::string normalize(std::string_view text) const {
    std::string out;
    normalize(text, out);
    return out;
  }
  const NormalizeOptions& options() const { return options_; }

 private:
  NormalizeOptions options_;
  struct OpenCC;
  std::unique_ptr<OpenCC> opencc_;
};

}  // namespace zl
