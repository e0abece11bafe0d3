#include "pii_masker.h"

#include <nlohmann/json.hpp>
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

}  // namespace

const char* pii_kind_name(PiiKind k) { return kNames[static_cast<size_t>(k)]; }
const char* pii_placeholder(PiiKind k) { return kPlaceholders[static_cast<size_t>(k)]; }

std::string MaskOptions::to_json() const {
  nlohmann::json j;
  j["enabled"] = enabled;
  for (size_t k = 0; k < kNumPiiKinds; ++k) j[kNames[k]] = enabled && kinds[k];
  j["order_min_digits"] = order_min_digits;
  j["precedence"] = "email > phone > id > card > tel > order";
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
  if (!options_.enabled) {
    out.assign(t.data(), t.size());
    return;
  }
  // Fast path: nothing to look at without an ASCII digit or an '@'.
  bool any = false;
  for (char c : t) {
    if (is_digit(c) || c == '@') {
      any = true;
      break;
    }
  }
  if (!any) {
    out.assign(t.data(), t.size());
    return;
  }
  const auto& on = options_.kinds;
  thread_local std::vector<Span> emails;
  emails.clear();
  if (on[static_cast<size_t>(PiiKind::kEmail)]) find_emails(t, emails);
  size_t next_email = 0;

  out.reserve(t.size());
  const size_t n = t.size();
  std::string digits;
  size_t i = 0;
  auto emit = [&](PiiKind k) {
    out += kPlaceholders[static_cast<size_t>(k)];
    ++counts[static_cast<size_t>(k)];
  };
  while (i < n) {
    if (next_email < emails.size() && emails[next_email].begin == i) {
      emit(PiiKind::kEmail);
      i = emails[next_email].end;
      ++next_email;
      continue;
    }
    const size_t limit = next_email < emails.size() ? emails[next_email].begin : n;
    if (!is_digit(t[i])) {
      out.push_back(t[i]);
      ++i;
      continue;
    }
    // A maximal digit run starts at i. Collect groups: digits separated by one
    // space or dash (the same separator throughout); later groups have >= 3 digits.
    // "(0xx)" opens a landline with ')' as the first separator.
    struct Group {
      size_t end;          // one past the group's last digit
      size_t digits_end;   // length of `digits` after this group
    };
    Group groups[8];
    int ng = 0;
    digits.clear();
    size_t j = i;
    while (j < limit && is_digit(t[j])) digits.push_back(t[j++]);
    groups[ng++] = {j, digits.size()};
    const bool paren = i > 0 && t[i - 1] == '(' && t[i] == '0' && j < limit && t[j] == ')';
    char sep = 0;
    while (ng < 8 && j + 1 < limit) {
      char s = t[j];
      bool sep_ok = (paren && ng == 1) ? s == ')' : (s == ' ' || s == '-') && (sep == 0 || s == sep);
      if (!sep_ok) break;
      size_t k = j + 1;
      if (paren && ng == 1 && k < limit && t[k] == ' ') ++k;
      size_t g = k;
      while (g < limit && is_digit(t[g])) ++g;
      if (g - k < 3) break;
      if (!(paren && ng == 1)) sep = s;
      digits.append(t.data() + k, g - k);
      groups[ng++] = {g, digits.size()};
      j = g;
    }
    const bool plus = i > 0 && t[i - 1] == '+';

    // Pass 1: the specific kinds, longest grouping first; pass 2: order numbers.
    PiiKind kind = PiiKind::kOrder;
    size_t end = 0;
    bool found = false;
    for (int k = ng; k >= 1 && !found; --k) {
      std::string_view d(digits.data(), groups[k - 1].digits_end);
      size_t e = groups[k - 1].end;
      if (on[static_cast<size_t>(PiiKind::kPhone)] && is_mobile(d) && (k == 1 || !paren)) {
        kind = PiiKind::kPhone, end = e, found = true;
      } else if (on[static_cast<size_t>(PiiKind::kId)] && !paren &&
                 ((d.size() == 18 && gb11643_valid(d)) ||
                  (d.size() == 17 && e < limit && (t[e] == 'X' || t[e] == 'x') &&
                   (e + 1 >= n || !is_alpha(t[e + 1])) && gb11643_valid(std::string(d) + 'X')))) {
        kind = PiiKind::kId, end = d.size() == 17 ? e + 1 : e, found = true;
      } else if (on[static_cast<size_t>(PiiKind::kCard)] && !paren && d.size() >= 16 && d.size() <= 19 &&
                 luhn_valid(d)) {
        kind = PiiKind::kCard, end = e, found = true;
      } else if (on[static_cast<size_t>(PiiKind::kTel)] && is_landline(d) && (!paren || k >= 2)) {
        kind = PiiKind::kTel, end = e, found = true;
      }
    }
    size_t prefix = 0;  // letters before the digits that belong to an order number
    if (!found && on[static_cast<size_t>(PiiKind::kOrder)]) {
      for (int k = ng; k >= 1 && !found; --k) {
        if (groups[k - 1].digits_end >= static_cast<size_t>(options_.order_min_digits)) {
          kind = PiiKind::kOrder, end = groups[k - 1].end, found = true;
        }
      }
      if (found) {
        size_t b = i;
        while (b > 0 && is_alpha(t[b - 1]) && i - (b - 1) <= 4) --b;
        // Only a whole word of 1-4 letters is a prefix (not the end of a longer word).
        if (b < i && (b == 0 || !is_alnum(t[b - 1]))) prefix = i - b;
      }
    }
    if (!found) {
      out.append(t.data() + i, groups[0].end - i);
      i = groups[0].end;
      continue;
    }
    // Take back what was already copied and belongs to the match.
    if (kind == PiiKind::kPhone && plus && digits[0] == '8' && digits[1] == '6') out.pop_back();
    if (paren && kind == PiiKind::kTel) out.pop_back();
    if (prefix) out.resize(out.size() - prefix);
    emit(kind);
    i = end;
  }
}

}  // namespace zl
