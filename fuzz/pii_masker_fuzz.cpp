// Fuzz target: the PII masker (data/pii_masker.*). Byte 0 switches kinds and the
// order length; the rest is the text. Checks what callers rely on: valid UTF-8 in
// gives valid UTF-8 out (the masker only replaces ASCII runs), the counts are not
// negative, masking is deterministic, and with masking off the text is unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pii_masker.h"
#include "text_normalizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t opt = data[0];
  zl::MaskOptions o;
  for (size_t k = 0; k < zl::kNumPiiKinds; ++k) o.kinds[k] = !(opt & (1u << k));
  o.order_min_digits = (opt & 0x40) ? 6 : 10;
  o.enabled = !(opt & 0x80);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const zl::PiiMasker masker(o);
  std::string out, again;
  zl::MaskCounts counts{}, counts2{};
  masker.mask(text, out, counts);
  for (int64_t c : counts)
    if (c < 0) std::abort();
  masker.mask(text, again, counts2);
  if (again != out || counts2 != counts) std::abort();
  if (!o.enabled && out != text) std::abort();
  if (zl::valid_utf8(text) && !zl::valid_utf8(out)) std::abort();
  return 0;
}
