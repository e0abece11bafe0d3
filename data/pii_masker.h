// Masking of personal data in customer-service text, ON by default: what the
// masker replaces never reaches the tokenizer, the statistics, the teacher
// files or a model.
//
// A hand-written scanner (no std::regex: it must keep up with 50,000 texts/s on
// one core). Kinds and placeholders, in order of precedence (the first rule that
// matches a candidate wins):
//   <EMAIL>  local@domain.tld (ASCII local part and domain; TLD of >= 2 letters)
//   <PHONE>  mainland mobile: 11 digits 1[3-9]xxxxxxxxx, optionally +86 / 86 in
//            front, groups separated by single spaces or dashes (138 0013 8000)
//   <ID>     18-character resident ID (GB 11643-1999): 17 digits + check digit or X,
//            when the ISO 7064 MOD 11-2 check digit is right and it starts with a
//            province code, or (conservative: a
//            mistyped ID is still the person's) when region and birth date are
//            plausible or an ID keyword (身份证, 证件号) is near; also the 15-digit
//            first-generation ID (region + YYMMDD + 3 digits) when plausible
//   <CARD>   bank card: 16-19 digits with an issuer prefix (3-6, 9, 2221-2720) passing
//            the Luhn check, unless an order keyword is nearest; or any 16-19 digits
//            after a card keyword (卡号, 银行卡, ...): a mistyped card number is still personal
//   <TEL>    landline: 0 + area code + local number, 10-12 digits in all
//            (010-12345678, 0755 1234567, (021)12345678)
//   <ORDER>  order and tracking numbers: a run of >= order_min_digits (default 10)
//            digits, also with a 1-4 letter prefix (SF1234567890123); the EMS / UPU
//            S10 format (EA123456789CN); after an order keyword (订单, 单号, 快递,
//            ...) also an alphanumeric id (A20231105B0012). A long digit run is NOT
//            an order number when the nearest keyword says what else it is
//            (商品编号, 货号, SKU, 条码, 批号, 型号, ...), nor, without an order
//            keyword, when it is a valid EAN-13 barcode or a 14-digit timestamp
//            (20231105143022), nor when it is part of a decimal number.
// Service hotlines 400-xxx-xxxx and 800-xxx-xxxx are public company numbers and
// are left alone (unless an order keyword is nearest).
// Candidates are maximal digit runs (not glued to further ASCII digits); grouped
// forms (digits separated by one space or dash) are tried longest first.
// Keywords are looked for within 12 characters before the candidate (nearest
// first, not across . ! ? ;), else within 12 characters after it.
//
// kMaskingVersion is stored in a prepared file's `masking` JSON; it changes
// whenever the rules change what is masked (1: up to 2026-12; 2: keyword
// context, S10, hotlines, barcodes, timestamps, mistyped IDs and cards).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zl {

enum class PiiKind { kEmail = 0, kPhone, kId, kCard, kTel, kOrder };
constexpr size_t kNumPiiKinds = 6;
constexpr int kMaskingVersion = 2;
const char* pii_kind_name(PiiKind k);         // "email", "phone", ...
const char* pii_placeholder(PiiKind k);       // "<EMAIL>", "<PHONE>", ...

struct MaskOptions {
  bool enabled = true;
  std::array<bool, kNumPiiKinds> kinds{true, true, true, true, true, true};
  int order_min_digits = 10;
  std::string to_json() const;
};

using MaskCounts = std::array<int64_t, kNumPiiKinds>;

// One masked item: bytes [begin, end) of the (normalized) text.
struct PiiSpan {
  size_t begin = 0, end = 0;
  PiiKind kind = PiiKind::kOrder;
};

class PiiMasker {
 public:
  explicit PiiMasker(MaskOptions options) : options_(std::move(options)) {}
  // Writes the masked text into `out` and adds what it replaced to `counts`.
  void mask(std::string_view text, std::string& out, MaskCounts& counts) const;
  std::string mask(std::string_view text) const {
    std::string out;
    MaskCounts c{};
    mask(text, out, c);
    return out;
  }
  // The spans mask() replaces, in text order, without overlaps.
  void find(std::string_view text, std::vector<PiiSpan>& spans) const;
  const MaskOptions& options() const { return options_; }

 private:
  MaskOptions options_;
};

// The validators, exposed for tests.
bool gb11643_valid(std::string_view eighteen_chars);  // 17 digits + digit or X/x
bool luhn_valid(std::string_view digits);
bool ean13_valid(std::string_view digits);          // GS1 check digit of a 13-digit barcode
bool timestamp14(std::string_view digits);          // YYYYMMDDhhmmss, 1970-2099
bool id_plausible(std::string_view eighteen_chars);  // region code and birth date look right
bool id15_plausible(std::string_view digits);       // first-generation 15-digit ID: region, YYMMDD
bool id_region_ok(std::string_view id);             // starts with a GB/T 2260 province code
bool card_prefix_ok(std::string_view digits);       // a card issuer's first digits (3-6, 9, 2221-2720)

}  // namespace zl
