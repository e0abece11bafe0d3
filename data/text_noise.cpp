#include "text_noise.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "error.h"

namespace zl {

namespace {

// FNV-1a over the bytes, then splitmix64: a seed that depends on nothing but its inputs (not on
// the standard library's hash or distributions, so every build gives the same noise).
uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return (h ^ 0xFF) * 0x100000001B3ULL;  // a separator, so ("ab","c") != ("a","bc")
}

struct SplitMix {
  uint64_t x;
  uint64_t next() {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double u01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

bool is_punct(char32_t c) {
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_placeholder(const std::u32string& u) { return u.size() > 2 && u.front() == U'<'; }

bool is_space(const std::u32string& u) { return u.size() == 1 && (u[0] == U' ' || u[0] == U'\t'); }

}  // namespace

std::string NoiseOptions::spec() const {
  std::ostringstream o;
  bool first = true;
  auto put = [&](const char* k, double v) {
    if (v <= 0) return;
    o << (first ? "" : ",") << k << "=" << v;
    first = false;
  };
  put("homophone", homophone);
  put("near_homophone", near_homophone);
  put("ime", ime);
  put("drop", drop);
  put("repeat", repeat);
  put("swap", swap);
  put("punct", punct);
  if (same_tone) o << (first ? "" : ",") << "same_tone=1";
  return o.str();
}

NoiseOptions parse_noise_spec(const std::string& spec, const std::string& where) {
  NoiseOptions o;
  auto number = [&](const std::string& v, const std::string& key) {
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(x >= 0.0 && x <= 1.0))
      throw UserError(where + ": '" + key + "' needs a rate in [0, 1] (got '" + v + "')");
    return x;
  };
  if (spec.find('=') == std::string::npos) {
    const double r = number(spec, spec);
    o.homophone = r;
    o.near_homophone = r / 2;
    o.ime = r / 4;
    o.drop = r / 4;
    o.repeat = r / 8;
    o.swap = r / 8;
    o.punct = std::min(1.0, 3 * r);
    return o;
  }
  std::istringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw UserError(where + ": '" + item + "' is not kind=rate (kinds: homophone, near_homophone, ime, drop, "
                      "repeat, swap, punct, same_tone)");
    const std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "homophone") o.homophone = number(v, k);
    else if (k == "near_homophone") o.near_homophone = number(v, k);
    else if (k == "ime") o.ime = number(v, k);
    else if (k == "drop") o.drop = number(v, k);
    else if (k == "repeat") o.repeat = number(v, k);
    else if (k == "swap") o.swap = number(v, k);
    else if (k == "punct") o.punct = number(v, k);
    else if (k == "same_tone") o.same_tone = number(v, k) > 0;
    else
      throw UserError(where + ": unknown noise kind '" + k + "' (kinds: homophone, near_homophone, ime, drop, repeat, "
                      "swap, punct, same_tone; or a bare level such as 0.1)");
  }
  if (o.homophone + o.near_homophone > 1.0)
    throw UserError(where + ": homophone + near_homophone must be at most 1 (each character is substituted once)");
  if (o.drop + o.repeat + o.swap > 1.0) throw UserError(where + ": drop + repeat + swap must be at most 1");
  return o;
}

std::unordered_map<char32_t, int64_t> count_chars(const std::vector<std::string>& texts) {
  std::unordered_map<char32_t, int64_t> c;
  for (const auto& t : texts)
    for (const auto& u : noise_units(t))
      if (u.size() == 1) ++c[u[0]];
  return c;
}

void NoiseCounts::add(const NoiseCounts& o) {
  units += o.units;
  eligible += o.eligible;
  substitutable += o.substitutable;
  homophone += o.homophone;
  near_homophone += o.near_homophone;
  ime_spans += o.ime_spans;
  ime_chars += o.ime_chars;
  drop += o.drop;
  repeat += o.repeat;
  swap += o.swap;
  punct += o.punct;
  placeholders += o.placeholders;
}

std::vector<std::u32string> noise_units(std::string_view text) {
  const std::vector<char32_t> cps = utf8_to_codepoints(text);
  std::vector<std::u32string> out;
  out.reserve(cps.size());
  for (size_t i = 0; i < cps.size();) {
    if (cps[i] == U'<') {
      size_t j = i + 1;
      while (j < cps.size() && ((cps[j] >= U'A' && cps[j] <= U'Z') || cps[j] == U'_' || (cps[j] >= U'0' && cps[j] <= U'9')))
        ++j;
      if (j < cps.size() && cps[j] == U'>' && j > i + 1) {
        out.emplace_back(cps.begin() + static_cast<long>(i), cps.begin() + static_cast<long>(j) + 1);
        i = j + 1;
        continue;
      }
    }
    out.emplace_back(1, cps[i]);
    ++i;
  }
  return out;
}

TextNoiser::TextNoiser(const PinyinTable& table, std::unordered_map<char32_t, int64_t> char_counts,
                       NoiseOptions options)
    : table_(table), counts_(std::move(char_counts)), opt_(options) {}

const TextNoiser::Pool& TextNoiser::pool(char32_t c, bool near) const {
  auto& cache = near ? near_pools_ : homophone_pools_;
  auto it = cache.find(c);
  if (it != cache.end()) return it->second;
  Pool p;
  double sum = 0;
  for (char32_t o : near ? table_.near_homophones(c) : table_.homophones(c, opt_.same_tone)) {
    auto f = counts_.find(o);
    const double w = counts_.empty() ? 1.0 : f == counts_.end() ? 0.0 : static_cast<double>(f->second);
    if (w <= 0) continue;
    sum += w;
    p.chars.push_back(o);
    p.cumulative.push_back(sum);
  }
  return cache.emplace(c, std::move(p)).first->second;
}

char32_t TextNoiser::top_char(char32_t c) const {
  const auto& rs = table_.readings(c);
  if (rs.empty()) return c;
  const std::string& base = rs.front().base;
  auto it = top_of_base_.find(base);
  if (it != top_of_base_.end()) return it->second;
  // The most frequent character with this syllable among its customary (kMandarin) readings, as an
  // IME ranks them: 地 (de, di) for "di", not 的 (de; di only in the dictionary's rarer readings).
  char32_t best = c;
  int64_t best_n = -1;
  for (char32_t o : table_.chars_of(base)) {
    bool customary = false;
    for (const auto& r : table_.readings(o)) customary |= r.customary && r.base == base;
    if (!customary) continue;
    auto f = counts_.find(o);
    const int64_t n = f == counts_.end() ? 0 : f->second;
    if (n > best_n) best = o, best_n = n;
  }
  if (best_n <= 0) best = c;
  top_of_base_.emplace(base, best);
  return best;
}

std::string TextNoiser::apply(std::string_view text, uint64_t seed, std::string_view row_id, int64_t copy,
                              NoiseCounts* counts) const {
  uint64_t h = 0xCBF29CE484222325ULL;
  h = fnv1a(h, std::to_string(seed));
  h = fnv1a(h, row_id);
  h = fnv1a(h, std::to_string(copy));
  h = fnv1a(h, opt_.spec());
  SplitMix rng{h};
  NoiseCounts nc;
  std::vector<std::u32string> units = noise_units(text);
  nc.units = static_cast<int64_t>(units.size());
  std::vector<bool> changed(units.size(), false);
  auto reading_char = [&](size_t i) { return units[i].size() == 1 && table_.has_reading(units[i][0]); };
  for (size_t i = 0; i < units.size(); ++i) {
    if (is_placeholder(units[i])) ++nc.placeholders;
    if (reading_char(i)) ++nc.eligible;
  }

  // 1. IME spans: 2-3 characters with readings -> each syllable's most frequent character.
  if (opt_.ime > 0) {
    for (size_t i = 0; i + 1 < units.size(); ++i) {
      if (!reading_char(i) || !reading_char(i + 1)) continue;
      if (rng.u01() >= opt_.ime) continue;
      size_t len = (i + 2 < units.size() && reading_char(i + 2) && rng.u01() < 0.5) ? 3 : 2;
      bool any = false;
      for (size_t k = i; k < i + len; ++k) any |= top_char(units[k][0]) != units[k][0];
      if (!any) continue;
      for (size_t k = i; k < i + len; ++k) {
        const char32_t t = top_char(units[k][0]);
        if (t != units[k][0]) ++nc.ime_chars;
        units[k] = std::u32string(1, t);
        changed[k] = true;
      }
      ++nc.ime_spans;
      i += len - 1;
    }
  }
  // 2. Character substitutions.
  if (opt_.homophone > 0 || opt_.near_homophone > 0) {
    for (size_t i = 0; i < units.size(); ++i) {
      if (changed[i] || !reading_char(i)) continue;
      if (!pool(units[i][0], false).chars.empty()) ++nc.substitutable;
      const double r = rng.u01();
      const bool near = r >= opt_.homophone;
      if (near && r >= opt_.homophone + opt_.near_homophone) continue;
      const Pool& p = pool(units[i][0], near);
      if (p.chars.empty()) continue;
      const double x = rng.u01() * p.cumulative.back();
      const size_t k = static_cast<size_t>(std::upper_bound(p.cumulative.begin(), p.cumulative.end(), x) -
                                           p.cumulative.begin());
      units[i] = std::u32string(1, p.chars[std::min(k, p.chars.size() - 1)]);
      changed[i] = true;
      ++(near ? nc.near_homophone : nc.homophone);
    }
  }
  // 3. Punctuation loss, then drops / repeats / swaps, building the output.
  std::vector<std::u32string> out;
  out.reserve(units.size() + 4);
  for (size_t i = 0; i < units.size(); ++i) {
    const std::u32string& u = units[i];
    if (is_placeholder(u) || is_space(u)) {
      out.push_back(u);
      continue;
    }
    if (opt_.punct > 0 && u.size() == 1 && is_punct(u[0])) {
      if (rng.u01() < opt_.punct) {
        ++nc.punct;
        continue;
      }
    }
    if (opt_.drop + opt_.repeat + opt_.swap > 0) {
      const double r = rng.u01();
      if (r < opt_.drop) {
        ++nc.drop;
        continue;
      }
      if (r < opt_.drop + opt_.repeat) {
        out.push_back(u);
        out.push_back(u);
        ++nc.repeat;
        continue;
      }
      if (r < opt_.drop + opt_.repeat + opt_.swap && i + 1 < units.size() && !is_placeholder(units[i + 1]) &&
          !is_space(units[i + 1]) && units[i + 1] != u) {
        out.push_back(units[i + 1]);
        out.push_back(u);
        ++nc.swap;
        ++i;
        continue;
      }
    }
    out.push_back(u);
  }
  if (out.empty()) return std::string(text);  // everything dropped: keep the text (a row needs one)
  std::string s;
  s.reserve(text.size() + 8);
  for (const auto& u : out)
    for (char32_t c : u) append_utf8(s, c);
  if (counts) counts->add(nc);
  return s;
}

}  // namespace zl
