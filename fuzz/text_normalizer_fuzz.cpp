// Fuzz target: UTF-8 validation and the text normalizer (data/text_normalizer.*:
// NFKC through utf8proc, control removal, whitespace collapse, OpenCC t2s). Byte 0
// picks the steps; the rest is the text. Invalid UTF-8 must be refused by
// valid_utf8 (the normalizer's precondition, as in prepare); valid text must
// normalize to valid UTF-8 with no leading/trailing space when collapsing.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "text_normalizer.h"

namespace {
// One normalizer per option set (OpenCC loads its dictionaries once, as prepare does).
const zl::TextNormalizer& normalizer(unsigned bits) {
  static std::unique_ptr<zl::TextNormalizer> cache[16];
  auto& n = cache[bits & 15];
  if (!n) {
    zl::NormalizeOptions o;
    o.nfkc = !(bits & 1);
    o.collapse_whitespace = !(bits & 2);
    o.remove_control = !(bits & 4);
    o.t2s = bits & 8;
    n = std::make_unique<zl::TextNormalizer>(o);
  }
  return *n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t bad = 0;
  if (!zl::valid_utf8(text, &bad)) {
    if (bad >= text.size()) std::abort();  // the offset must point into the text
    return 0;
  }
  const zl::TextNormalizer& n = normalizer(data[0]);
  std::string out;
  n.normalize(text, out);
  if (!zl::valid_utf8(out)) std::abort();
  if (n.options().collapse_whitespace && !out.empty() && (out.front() == ' ' || out.back() == ' ')) std::abort();
  return 0;
}
