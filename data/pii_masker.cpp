#include "pii_masker.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

namespace zl {

namespace {

constexpr const char* kNames[kNumPiiKinds] = {"email", "phone", "id", "card", "tel", "order"};
constexpr const char* kPlaceholders[kNumPiiKinds] = {"<EMAIL>", "<PHONE>", "<ID>", "<CARD>", "<TEL>", "<ORDER>"};

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
inline bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
inline bool is_domain_char(char c) { return is_alnum(c) || c == '-' || c == '.'; }

struct Span {
  size_t begin, end;
};

// E-mail spans: around each '@', an ASCII local part and a dotted domain whose
// last label is >= 2 letters.
void find_emails(std::string_view t, std::vector<Span>& spans) {
  size_t from = 0;
  while (true) {
    size_t at = t.find('@', from);
    if (at == std::string_view::npos) return;
    from = at + 1;
    size_t b = at;
    while (b > 0 && is_local_char(t[b - 1])) --b;
    while (b < at && (t[b] == '.' || t[b] == '-')) ++b;  // a local part does not start with punctuation
    if (b == at || (!spans.empty() && b < spans.back().end)) continue;
    size_t e = at + 1;
    while (e < t.size() && is_domain_char(t[e])) ++e;
    while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) --e;
    // Domain must have a dot; the top-level label must be letters only, >= 2.
    size_t last_dot = t.rfind('.', e - 1);
    if (last_dot == std::string_view::npos || last_dot <= at + 1 || e - last_dot - 1 < 2) continue;
    bool tld_ok = true;
    for (size_t k = last_dot + 1; k < e; ++k) tld_ok &= is_alpha(t[k]);
    if (!tld_ok) continue;
    spans.push_back({b, e});
    from = e;
  }
}

bool is_mobile(std::string_view d) {
  if (d.size() == 13 && d[0] == '8' && d[1] == '6') d.remove_prefix(2);
  return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

bool is_landline(std::string_view d) { return d.size() >= 10 && d.size() <= 12 && d[0] == '0' && d[1] != '0'; }

// 400-xxx-xxxx / 800-xxx-xxxx: a company's public service number, not personal.
bool is_hotline(std::string_view d) {
  return d.size() == 10 && (d.substr(0, 3) == "400" || d.substr(0, 3) == "800");
}

// --- keyword context --------------------------------------------------------
// What the nearest keyword says a number is. Chinese keywords are matched as
// bytes; ASCII ones case-insensitively and not inside a longer ASCII word.
enum class Ctx { kNone, kOrder, kNotOrder, kId, kCard };

struct Keyword {
  std::string_view text;
  Ctx ctx;
};

// When two keywords end at the same place the first in this list wins; no
// two of different meaning do today (会员卡号 ends in 卡号, 订单时间 in 时间).
constexpr Keyword kKeywords[] = {
    // order and tracking numbers, and the carriers and shops that issue them
    {"订单", Ctx::kOrder}, {"单号", Ctx::kOrder}, {"运单", Ctx::kOrder}, {"快递", Ctx::kOrder},
    {"物流", Ctx::kOrder}, {"包裹", Ctx::kOrder}, {"快件", Ctx::kOrder}, {"邮件号", Ctx::kOrder},
    {"交易号", Ctx::kOrder}, {"流水号", Ctx::kOrder}, {"工单", Ctx::kOrder}, {"售后", Ctx::kOrder},
    {"退货单", Ctx::kOrder}, {"退款单", Ctx::kOrder}, {"服务单", Ctx::kOrder}, {"追踪号", Ctx::kOrder},
    {"跟踪号", Ctx::kOrder}, {"顺丰", Ctx::kOrder}, {"中通", Ctx::kOrder}, {"圆通", Ctx::kOrder},
    {"申通", Ctx::kOrder}, {"韵达", Ctx::kOrder}, {"极兔", Ctx::kOrder}, {"德邦", Ctx::kOrder},
    {"百世", Ctx::kOrder}, {"邮政", Ctx::kOrder}, {"京东", Ctx::kOrder}, {"菜鸟", Ctx::kOrder},
    {"淘宝", Ctx::kOrder}, {"拼多多", Ctx::kOrder}, {"order", Ctx::kOrder}, {"tracking", Ctx::kOrder},
    {"waybill", Ctx::kOrder}, {"ems", Ctx::kOrder},
    // numbers that identify a product, a lot, a version or a time, not a person
    {"商品编号", Ctx::kNotOrder}, {"商品编码", Ctx::kNotOrder}, {"商品号", Ctx::kNotOrder},
    {"商品码", Ctx::kNotOrder}, {"商品id", Ctx::kNotOrder}, {"商品ID", Ctx::kNotOrder},
    {"产品编号", Ctx::kNotOrder}, {"产品编码", Ctx::kNotOrder}, {"物料", Ctx::kNotOrder},
    {"货号", Ctx::kNotOrder}, {"款号", Ctx::kNotOrder}, {"型号", Ctx::kNotOrder}, {"条码", Ctx::kNotOrder},
    {"条形码", Ctx::kNotOrder}, {"批号", Ctx::kNotOrder}, {"批次", Ctx::kNotOrder}, {"版本", Ctx::kNotOrder},
    {"时间戳", Ctx::kNotOrder}, {"序列号", Ctx::kNotOrder}, {"热线", Ctx::kNotOrder},
    {"时间", Ctx::kNotOrder}, {"日期", Ctx::kNotOrder},  // 下单时间20231105143022 is a time
    {"sku", Ctx::kNotOrder}, {"spu", Ctx::kNotOrder}, {"ean", Ctx::kNotOrder}, {"upc", Ctx::kNotOrder},
    {"gtin", Ctx::kNotOrder}, {"isbn", Ctx::kNotOrder}, {"barcode", Ctx::kNotOrder},
    {"batch", Ctx::kNotOrder}, {"lot", Ctx::kNotOrder}, {"timestamp", Ctx::kNotOrder},
    // personal numbers whose check digit may be mistyped
    {"身份证", Ctx::kId}, {"证件号", Ctx::kId}, {"卡号", Ctx::kCard}, {"银行卡", Ctx::kCard},
    {"信用卡", Ctx::kCard}, {"储蓄卡", Ctx::kCard}, {"借记卡", Ctx::kCard},
};

constexpr size_t kWindow = 36;  // bytes: 12 CJK characters

// context() looks for a keyword ending (or starting) at every byte of its window;
// testing all 73 keywords there made it the masker's hot loop. These lists hold,
// per byte value, the keywords that can end (start) with it, in kKeywords order so
// the first-listed keyword still wins.
struct KeywordIndex {
  std::array<std::vector<uint8_t>, 256> by_last, by_first;
};

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool keyword_at(std::string_view t, size_t pos, std::string_view kw) {
  if (pos + kw.size() > t.size()) return false;
  if (static_cast<unsigned char>(kw[0]) >= 0x80) return t.compare(pos, kw.size(), kw) == 0;
  for (size_t k = 0; k < kw.size(); ++k)
    if (lower(t[pos + k]) != kw[k]) return false;
  // An ASCII keyword is a word of its own: no letter glued on either side
  // (digits may follow: SKU12345...).
  return (pos == 0 || !is_alpha(t[pos - 1])) && (pos + kw.size() >= t.size() || !is_alpha(t[pos + kw.size()]));
}

const KeywordIndex& keyword_index() {
  static const KeywordIndex index = [] {
    static_assert(std::size(kKeywords) <= 256, "KeywordIndex stores keyword numbers as uint8_t");
    KeywordIndex ix;
    for (size_t k = 0; k < std::size(kKeywords); ++k) {
      const std::string_view w = kKeywords[k].text;
      ix.by_last[static_cast<unsigned char>(lower(w.back()))].push_back(static_cast<uint8_t>(k));
      ix.by_first[static_cast<unsigned char>(w[0])].push_back(static_cast<uint8_t>(k));
    }
    return ix;
  }();
  return index;
}

inline bool sentence_end(std::string_view t, size_t p) {
  char c = t[p];
  if (c == '!' || c == '?' || c == ';' || c == '\n') return true;
  return p + 3 <= t.size() && t.compare(p, 3, "。") == 0;
}

// The nearest keyword before [begin, end) (ending at most kWindow bytes before
// it), else the nearest after it. `*before` says which.
// `*gap`: bytes between the keyword and the candidate.
Ctx context(std::string_view t, size_t begin, size_t end, bool* before = nullptr, size_t* gap = nullptr) {
  if (before) *before = true;
  const KeywordIndex& index = keyword_index();
  const size_t lo = begin > kWindow ? begin - kWindow : 0;
  for (size_t p = begin; p-- > lo;) {
    if (sentence_end(t, p)) break;
    for (const uint8_t k : index.by_last[static_cast<unsigned char>(lower(t[p]))]) {
      const Keyword& kw = kKeywords[k];
      if (p + 1 >= kw.text.size() && keyword_at(t, p + 1 - kw.text.size(), kw.text)) {
        if (gap) *gap = begin - (p + 1);
        return kw.ctx;
      }
    }
  }
  if (before) *before = false;
  const size_t hi = std::min(t.size(), end + kWindow);
  for (size_t p = end; p < hi; ++p) {
    if (sentence_end(t, p)) break;
    for (const uint8_t k : index.by_first[static_cast<unsigned char>(lower(t[p]))]) {
      const Keyword& kw = kKeywords[k];
      if (keyword_at(t, p, kw.text)) {
        if (gap) *gap = p - end;
        return kw.ctx;
      }
    }
  }
  return Ctx::kNone;
}

// UPU S10 (EMS and international registered mail): 2 letters, 9 digits, 2 letters.
bool is_s10(std::string_view w) {
  if (w.size() != 13) return false;
  for (size_t k = 0; k < 13; ++k)
    if ((k < 2 || k >= 11) ? !is_alpha(w[k]) : !is_digit(w[k])) return false;
  return true;
}

}  // namespace

const char* pii_kind_name(PiiKind k) { return kNames[static_cast<size_t>(k)]; }
const char* pii_placeholder(PiiKind k) { return kPlaceholders[static_cast<size_t>(k)]; }

std::string MaskOptions::to_json() const {
  nlohmann::json j;
  j["enabled"] = enabled;
  for (size_t k = 0; k < kNumPiiKinds; ++k) j[kNames[k]] = enabled && kinds[k];
  j["order_min_digits"] = order_min_digits;
  j["precedence"] = "email > phone > id > card > tel > order";
  j["version"] = kMaskingVersion;
  return j.dump();
}

bool gb11643_valid(std::string_view s) {
  if (s.size() != 18) return false;
  static const int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (!is_digit(s[i])) return false;
    sum += (s[i] - '0') * kWeights[i];
  }
  if (s[0] == '0') return false;  // no region code starts with 0
  char c = s[17] == 'x' ? 'X' : s[17];
  return c == kCheck[sum % 11];
}

bool ean13_valid(std::string_view d) {
  if (d.size() != 13) return false;
  int sum = 0;
  for (size_t k = 0; k < 13; ++k) {
    if (!is_digit(d[k])) return false;
    if (k < 12) sum += (d[k] - '0') * (k % 2 ? 3 : 1);
  }
  return (10 - sum % 10) % 10 == d[12] - '0';
}

namespace {
int num(std::string_view d, size_t at, size_t len) {
  int v = 0;
  for (size_t k = at; k < at + len; ++k) v = v * 10 + (d[k] - '0');
  return v;
}
bool valid_date(int y, int m, int day) {
  static const int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m >= 1 && m <= 12 && day >= 1 && day <= kDays[m - 1] && (m != 2 || day <= 28 || y % 4 == 0);
}
}  // namespace

bool id_region_ok(std::string_view s) {
  if (s.size() < 2 || !is_digit(s[0]) || !is_digit(s[1])) return false;
  // Province-level codes of GB/T 2260 (11 Beijing ... 65 Xinjiang, 71 Taiwan,
  // 81/82 Hong Kong/Macao, 83 for residence permits, 91 abroad).
  static const int kRegions[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                                 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91};
  const int region = num(s, 0, 2);
  for (int r : kRegions)
    if (r == region) return true;
  return false;
}

bool card_prefix_ok(std::string_view d) {
  if (d.size() < 4) return false;
  // Issuer prefixes: 3 (JCB, Amex), 4 (Visa), 5 (Mastercard), 6 (UnionPay 62, Discover),
  // 9 (old domestic cards such as 9558), and Mastercard's 2221-2720.
  if (d[0] == '3' || d[0] == '4' || d[0] == '5' || d[0] == '6' || d[0] == '9') return true;
  const int four = num(d, 0, 4);
  return four >= 2221 && four <= 2720;
}

bool id15_plausible(std::string_view d) {
  if (d.size() != 15) return false;
  for (char c : d)
    if (!is_digit(c)) return false;
  return id_region_ok(d) && valid_date(1900 + num(d, 6, 2), num(d, 8, 2), num(d, 10, 2));
}

bool timestamp14(std::string_view d) {
  if (d.size() != 14) return false;
  for (char c : d)
    if (!is_digit(c)) return false;
  const int y = num(d, 0, 4);
  return y >= 1970 && y <= 2099 && valid_date(y, num(d, 4, 2), num(d, 6, 2)) && num(d, 8, 2) < 24 &&
         num(d, 10, 2) < 60 && num(d, 12, 2) < 60;
}

bool id_plausible(std::string_view s) {
  if (s.size() != 18) return false;
  for (size_t k = 0; k < 17; ++k)
    if (!is_digit(s[k])) return false;
  if (!is_digit(s[17]) && s[17] != 'X' && s[17] != 'x') return false;
  if (!id_region_ok(s)) return false;
  const int y = num(s, 6, 4);
  return y >= 1900 && y <= 2030 && valid_date(y, num(s, 10, 2), num(s, 12, 2));
}

bool luhn_valid(std::string_view d) {
  if (d.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = d.size(); i-- > 0;) {
    if (!is_digit(d[i])) return false;
    int v = d[i] - '0';
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

void PiiMasker::mask(std::string_view t, std::string& out, MaskCounts& counts) const {
  out.clear();
  thread_local std::vector<PiiSpan> spans;
  find(t, spans);
  if (spans.empty()) {
    out.assign(t.data(), t.size());
    return;
  }
  out.reserve(t.size());
  size_t at = 0;
  for (const auto& s : spans) {
    out.append(t.data() + at, s.begin - at);
    out += kPlaceholders[static_cast<size_t>(s.kind)];
    ++counts[static_cast<size_t>(s.kind)];
    at = s.end;
  }
  out.append(t.data() + at, t.size() - at);
}

void PiiMasker::find(std::string_view t, std::vector<PiiSpan>& spans) const {
  spans.clear();
  if (!options_.enabled) return;
  // Fast path: nothing to look at without an ASCII digit or an '@'.
  bool any = false;
  for (char c : t) {
    if (is_digit(c) || c == '@') {
      any = true;
      break;
    }
  }
  if (!any) return;
  const auto& on = options_.kinds;
  const bool order_on = on[static_cast<size_t>(PiiKind::kOrder)];
  thread_local std::vector<Span> emails;
  emails.clear();
  if (on[static_cast<size_t>(PiiKind::kEmail)]) find_emails(t, emails);
  size_t next_email = 0;

  const size_t n = t.size();
  std::string digits;
  size_t i = 0;
  auto emit = [&](size_t b, size_t e, PiiKind k) { spans.push_back({b, e, k}); };
  while (i < n) {
    if (next_email < emails.size() && emails[next_email].begin == i) {
      emit(i, emails[next_email].end, PiiKind::kEmail);
      i = emails[next_email].end;
      ++next_email;
      continue;
    }
    const size_t limit = next_email < emails.size() ? emails[next_email].begin : n;
    // An ASCII word of letters and digits (single '-' or '_' inside): the S10
    // format, or an alphanumeric id after an order keyword.
    if (order_on && is_alnum(t[i]) && (i == 0 || !is_alnum(t[i - 1]))) {
      size_t j = i;
      int letters = 0, nd = 0;
      while (j < limit) {
        if (is_alnum(t[j])) {
          (is_digit(t[j]) ? nd : letters) += 1;
          ++j;
        } else if ((t[j] == '-' || t[j] == '_') && j + 1 < limit && is_alnum(t[j + 1])) {
          ++j;
        } else {
          break;
        }
      }
      if (letters > 0 && nd > 0 && (j >= n || static_cast<unsigned char>(t[j]) != '@')) {
        const std::string_view w = t.substr(i, j - i);
        bool take = false;
        if (is_s10(w)) {
          take = context(t, i, j) != Ctx::kNotOrder;
        } else if (nd >= 6 && letters <= nd && w.size() >= 8) {
          take = context(t, i, j) == Ctx::kOrder;
        }
        if (take) {
          emit(i, j, PiiKind::kOrder);
          i = j;
          continue;
        }
      }
    }
    if (!is_digit(t[i])) {
      ++i;
      continue;
    }
    // A maximal digit run starts at i. Collect groups: digits separated by one
    // space or dash (0512-6666 8888 mixes them); later groups have >= 3 digits.
    // "(0xx)" opens a landline with ')' as the first separator.
    struct Group {
      size_t end;          // one past the group's last digit
      size_t digits_end;   // length of `digits` after this group
      char sep;            // the separator in front of the group (0 for the first)
    };
    Group groups[8];
    int ng = 0;
    digits.clear();
    size_t j = i;
    while (j < limit && is_digit(t[j])) digits.push_back(t[j++]);
    groups[ng++] = {j, digits.size(), 0};
    const bool paren = i > 0 && t[i - 1] == '(' && t[i] == '0' && j < limit && t[j] == ')';
    while (ng < 8 && j + 1 < limit) {
      char s = t[j];
      bool sep_ok = (paren && ng == 1) ? s == ')' : s == ' ' || s == '-';
      if (!sep_ok) break;
      size_t k = j + 1;
      if (paren && ng == 1 && k < limit && t[k] == ' ') ++k;
      size_t g = k;
      while (g < limit && is_digit(t[g])) ++g;
      if (g - k < 3) break;
      digits.append(t.data() + k, g - k);
      groups[ng++] = {g, digits.size(), s};
      j = g;
    }
    const bool plus = i > 0 && t[i - 1] == '+';
    // Only long candidates need the keyword context (it costs a short scan).
    bool ctx_before = false;
    size_t ctx_gap = 0;
    const Ctx ctx = digits.size() >= 10 ? context(t, i, groups[ng - 1].end, &ctx_before, &ctx_gap) : Ctx::kNone;
    // 货号13912345678: a product keyword right in front (at most "：" or ": "
    // between) says even a mobile-shaped number is none.
    const bool product_adjacent = ctx == Ctx::kNotOrder && ctx_before && ctx_gap <= 3;
    // An order keyword right in front (订单号6222..., 订单号：..., 订单号是...)
    // outweighs a check digit that is right by chance (1 in 10 for Luhn, 1 in 11
    // for the ID); one further away or after the number does not
    // (取消订单的钱退到6222...; 退款到卡6222...，订单号...).
    const bool order_before = ctx == Ctx::kOrder && ctx_before && ctx_gap <= 4;

    // Pass 1: the specific kinds, longest grouping first; pass 2: order numbers.
    PiiKind kind = PiiKind::kOrder;
    size_t end = 0;
    bool found = false, leave = false;  // leave: a public number, copied as it is
    for (int k = ng; k >= 1 && !found && !leave; --k) {
      std::string_view d(digits.data(), groups[k - 1].digits_end);
      size_t e = groups[k - 1].end;
      const bool x_next = d.size() == 17 && e < limit && (t[e] == 'X' || t[e] == 'x') &&
                          (e + 1 >= n || !is_alnum(t[e + 1]));
      std::string id18;
      if (d.size() == 18) id18 = d;
      if (x_next) id18 = std::string(d) + 'X';
      const bool id15 = d.size() == 15 && !x_next && (ctx == Ctx::kId || (ctx != Ctx::kOrder && id15_plausible(d)));
      if (on[static_cast<size_t>(PiiKind::kPhone)] && is_mobile(d) && (k == 1 || !paren) &&
          !(k == 1 && product_adjacent)) {
        kind = PiiKind::kPhone, end = e, found = true;
      } else if (on[static_cast<size_t>(PiiKind::kId)] && !paren && !id18.empty() &&
                 ((gb11643_valid(id18) && id_region_ok(id18)) || ctx == Ctx::kId ||
                  (!order_before && id_plausible(id18)))) {
        kind = PiiKind::kId, end = x_next ? e + 1 : e, found = true;
      } else if (on[static_cast<size_t>(PiiKind::kId)] && !paren && id15) {
        kind = PiiKind::kId, end = e, found = true;  // first-generation 15-digit ID (YYMMDD birth date)
      } else if (on[static_cast<size_t>(PiiKind::kCard)] && !paren && d.size() >= 16 && d.size() <= 19 &&
                 (ctx == Ctx::kCard || (!order_before && luhn_valid(d) && card_prefix_ok(d)))) {
        // One number in ten passes Luhn by chance: after an order keyword, or
        // without a card issuer's prefix (20231105... order numbers), it is no card.
        kind = PiiKind::kCard, end = e, found = true;
      } else if (!paren && is_hotline(d) && ctx != Ctx::kOrder) {
        end = e, leave = true;
      } else if (on[static_cast<size_t>(PiiKind::kTel)] && is_landline(d) && (!paren || k >= 2) &&
                 !(k == 1 && !paren && ctx == Ctx::kNotOrder)) {
        kind = PiiKind::kTel, end = e, found = true;
      }
    }
    // Letters before the digits that belong to an order number: a whole word of
    // 1-4 letters glued to them (SF1234567890123, not the end of a longer word),
    // or, after an order keyword, 2-4 capitals and one space (顺丰 SF 1234 5678 9012).
    size_t prefix = 0;
    {
      size_t s0 = i, b = i;
      if (ctx == Ctx::kOrder && i >= 3 && t[i - 1] == ' ' && is_alpha(t[i - 2])) s0 = b = i - 1;
      while (b > 0 && is_alpha(t[b - 1]) && s0 - (b - 1) <= 4) --b;
      bool upper = true;
      for (size_t k = b; k < s0; ++k) upper &= t[k] >= 'A' && t[k] <= 'Z';
      bool keyword = false;  // 快递EMS 1123456789012: the word is the keyword, not part of the number
      for (const auto& kw : kKeywords) keyword |= kw.text.size() == s0 - b && keyword_at(t, b, kw.text);
      if (b < s0 && (b == 0 || !is_alnum(t[b - 1])) && (s0 == i || (s0 - b >= 2 && upper && !keyword)))
        prefix = i - b;
    }
    if (!found && !leave && order_on) {
      for (int k = ng; k >= 1 && !found && !leave; --k) {
        std::string_view d(digits.data(), groups[k - 1].digits_end);
        if (d.size() < static_cast<size_t>(options_.order_min_digits)) continue;
        // A grouped order number is written in short groups (1234 5678 9012);
        // a space between two long runs separates two numbers.
        // After an order keyword, dashes join long parts too (231105-123456789012345).
        bool short_groups = groups[0].digits_end <= 6, dashes = true;
        for (int g = 1; g < k; ++g) {
          short_groups &= groups[g].digits_end - groups[g - 1].digits_end <= 6;
          dashes &= groups[g].sep == '-';
        }
        if (k > 1 && !short_groups && !(dashes && ctx == Ctx::kOrder)) continue;
        const size_t e = groups[k - 1].end;
        const bool decimal = (i >= 2 && t[i - 1] == '.' && is_digit(t[i - 2])) ||
                             (e + 1 < n && t[e] == '.' && is_digit(t[e + 1]));
        // A barcode or a timestamp has no letter prefix (AS20231105000123 is an id).
        if (ctx == Ctx::kNotOrder || decimal ||
            (ctx != Ctx::kOrder && prefix == 0 && (timestamp14(d) || ean13_valid(d)))) {
          end = e, leave = true;
        } else {
          kind = PiiKind::kOrder, end = e, found = true;
        }
      }
    }
    if (kind != PiiKind::kOrder) prefix = 0;
    if (!found) {
      i = leave ? end : groups[0].end;
      continue;
    }
    size_t begin = i - prefix;
    if (kind == PiiKind::kPhone && plus && digits[0] == '8' && digits[1] == '6') begin = i - 1;
    if (kind == PiiKind::kPhone && i >= 5 && t.compare(i - 5, 5, "(+86)") == 0) begin = i - 5;
    if (kind == PiiKind::kPhone && i >= 4 && t.compare(i - 4, 4, "(86)") == 0) begin = i - 4;
    if (paren && kind == PiiKind::kTel) begin = i - 1;
    emit(begin, end, kind);
    i = end;
  }
}

}  // namespace zl
