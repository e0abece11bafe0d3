#include "text_normalizer.h"

#include <opencc/SimpleConverter.hpp>
#include <utf8proc.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "error.h"

namespace zl {

std::string NormalizeOptions::to_json() const {
  nlohmann::json j = {{"nfkc", nfkc},
                      {"collapse_whitespace", collapse_whitespace},
                      {"remove_control", remove_control},
                      {"t2s", t2s},
                      {"nfkc_impl", std::string("utf8proc ") + utf8proc_version()}};
  return j.dump();
}

bool valid_utf8(std::string_view s, size_t* bad_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        if (bad_offset) *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

namespace {

// Decodes one code point of valid UTF-8 at p[i]; returns its length.
inline size_t decode(const unsigned char* p, uint32_t& cp) {
  unsigned char c = p[0];
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c < 0xE0) {
    cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (c < 0xF0) {
    cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  cp = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return 4;
}

// Code points that NFKC leaves alone and that never compose with a neighbour:
// printable ASCII and the CJK Unified Ideographs (main block and extension A).
// They are boundaries where the text can be cut and normalized piecewise.
inline bool nfkc_stable(uint32_t cp) {
  return (cp >= 0x20 && cp < 0x7F) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
}

inline bool is_space(uint32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

inline bool is_control_or_format(uint32_t cp) {
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
  if (cp >= 0x3400 && cp <= 0x9FFF) return false;
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF;
}

// NFKC of a run of non-stable code points (plus the stable starter before it).
void nfkc_run(std::string_view run, std::string& out, std::vector<utf8proc_int32_t>& buf) {
  const auto opts = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  if (buf.size() < run.size() + 16) buf.resize(run.size() * 2 + 16);
  utf8proc_ssize_t n;
  while (true) {
    n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(run.data()),
                           static_cast<utf8proc_ssize_t>(run.size()), buf.data(),
                           static_cast<utf8proc_ssize_t>(buf.size()), opts);
    if (n < 0) throw std::runtime_error(std::string("utf8proc: ") + utf8proc_errmsg(n));
    if (static_cast<size_t>(n) <= buf.size()) break;
    buf.resize(static_cast<size_t>(n) + 16);
  }
  // reencode composes in place and writes UTF-8 into the same buffer (4 bytes per slot is enough).
  utf8proc_ssize_t bytes = utf8proc_reencode(buf.data(), n, opts);
  if (bytes < 0) throw std::runtime_error(std::string("utf8proc: ") + utf8proc_errmsg(bytes));
  out.append(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(bytes));
}

}  // namespace

struct TextNormalizer::OpenCC {
  opencc::SimpleConverter converter;
  explicit OpenCC(const std::string& config) : converter(config) {}
};

TextNormalizer::TextNormalizer(NormalizeOptions options) : options_(std::move(options)) {
  if (options_.t2s) {
    try {
      opencc_ = std::make_unique<OpenCC>("t2s.json");
    } catch (const std::exception& e) {
      throw UserError(std::string("normalize.t2s: cannot load OpenCC's t2s.json (") + e.what() +
                      "); install libopencc-data or set normalize.t2s: false");
    }
  }
}

TextNormalizer::~TextNormalizer() = default;

void TextNormalizer::normalize(std::string_view text, std::string& out) const {
  thread_local std::vector<utf8proc_int32_t> buf;
  thread_local std::string stage;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();

  // 1. NFKC, piecewise: stable code points are copied, other runs go through utf8proc.
  std::string_view src = text;
  if (options_.nfkc) {
    stage.clear();
    stage.reserve(n);
    size_t i = 0, last_stable = std::string::npos;
    while (i < n) {
      uint32_t cp;
      size_t len = decode(p + i, cp);
      if (nfkc_stable(cp)) {
        last_stable = i;
        stage.append(text.data() + i, len);
        i += len;
        continue;
      }
      // A run of non-stable code points; it starts at the stable starter before it,
      // which a combining mark may compose with (e + U+0301 -> é).
      size_t start = i;
      if (last_stable != std::string::npos && last_stable + 1 == i && p[last_stable] < 0x80) {
        start = last_stable;
        stage.pop_back();
      }
      size_t j = i + len;
      while (j < n) {
        uint32_t c2;
        size_t l2 = decode(p + j, c2);
        if (nfkc_stable(c2)) break;
        j += l2;
      }
      nfkc_run(text.substr(start, j - start), stage, buf);
      last_stable = std::string::npos;
      i = j;
    }
    src = stage;
  }

  // 2. Control removal and whitespace collapse in one pass.
  thread_local std::string before_t2s;
  std::string& dst = options_.t2s ? before_t2s : out;
  dst.clear();
  dst.reserve(src.size());
  const auto* q = reinterpret_cast<const unsigned char*>(src.data());
  const size_t m = src.size();
  bool pending_space = false;
  for (size_t i = 0; i < m;) {
    uint32_t cp;
    size_t len = decode(q + i, cp);
    if (options_.collapse_whitespace && is_space(cp)) {
      pending_space = !dst.empty();
      i += len;
      continue;
    }
    if (options_.remove_control && is_control_or_format(cp) && !is_space(cp)) {
      i += len;
      continue;
    }
    if (pending_space) {
      dst.push_back(' ');
      pending_space = false;
    }
    dst.append(src.data() + i, len);
    i += len;
  }

  // 3. Traditional -> simplified.
  // OpenCC stops at a NUL byte even when given the length (found by fuzz/text_normalizer_fuzz:
  // with remove_control: false the rest of the text was lost), so NUL-separated pieces
  // are converted one by one and joined again.
  if (options_.t2s) {
    if (dst.find('\0') == std::string::npos) {
      out = opencc_->converter.Convert(dst.data(), dst.size());
    } else {
      out.clear();
      for (size_t start = 0;;) {
        const size_t nul = dst.find('\0', start);
        const size_t end = nul == std::string::npos ? dst.size() : nul;
        if (end > start) out += opencc_->converter.Convert(dst.data() + start, end - start);
        if (nul == std::string::npos) break;
        out += '\0';
        start = nul + 1;
      }
    }
  }
}

}  // namespace zl
