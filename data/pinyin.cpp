#include "pinyin.h"

#include <bzlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "error.h"

namespace zl {

namespace {

std::string read_maybe_bz2(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    throw UserError(path + ": cannot open the Unihan readings (install Debian's unicode-data: scripts/setup, or set "
                    "ZL_UNIHAN_READINGS to a Unihan_Readings.txt[.bz2])");
  std::string out;
  const bool bz2 = path.size() > 4 && path.compare(path.size() - 4, 4, ".bz2") == 0;
  char buf[1 << 16];
  if (!bz2) {
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
  }
  int err = BZ_OK;
  BZFILE* b = BZ2_bzReadOpen(&err, f, 0, 0, nullptr, 0);
  while (err == BZ_OK) {
    int n = BZ2_bzRead(&err, b, buf, sizeof(buf));
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  const bool ok = err == BZ_STREAM_END;
  BZ2_bzReadClose(&err, b);
  std::fclose(f);
  if (!ok) throw UserError(path + ": not a complete bzip2 stream (damaged?): reinstall unicode-data");
  return out;
}

// Tone-marked vowels -> (plain letter, tone).
struct Mark {
  const char* utf8;
  char letter;
  int tone;
};
constexpr Mark kMarks[] = {
    {"ā", 'a', 1}, {"á", 'a', 2}, {"ǎ", 'a', 3}, {"à", 'a', 4}, {"ē", 'e', 1}, {"é", 'e', 2}, {"ě", 'e', 3},
    {"è", 'e', 4}, {"ī", 'i', 1}, {"í", 'i', 2}, {"ǐ", 'i', 3}, {"ì", 'i', 4}, {"ō", 'o', 1}, {"ó", 'o', 2},
    {"ǒ", 'o', 3}, {"ò", 'o', 4}, {"ū", 'u', 1}, {"ú", 'u', 2}, {"ǔ", 'u', 3}, {"ù", 'u', 4}, {"ǖ", 'v', 1},
    {"ǘ", 'v', 2}, {"ǚ", 'v', 3}, {"ǜ", 'v', 4}, {"ü", 'v', 5}, {"ń", 'n', 2}, {"ň", 'n', 3}, {"ǹ", 'n', 4},
    {"ḿ", 'm', 2}, {"ê", 'e', 5}, {"ế", 'e', 2}, {"ề", 'e', 4},
};

}  // namespace

Syllable parse_pinyin(std::string_view s, std::string_view where) {
  Syllable out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 'a' && c <= 'z') out.base += static_cast<char>(c);
      else if (c >= 'A' && c <= 'Z') out.base += static_cast<char>(c - 'A' + 'a');
      else
        throw UserError(std::string(where) + ": '" + std::string(s) + "' is not a pinyin syllable");
      ++i;
      continue;
    }
    bool found = false;
    for (const auto& m : kMarks) {
      const size_t len = std::char_traits<char>::length(m.utf8);
      if (s.compare(i, len, m.utf8) == 0) {
        out.base += m.letter;
        if (m.tone != 5) out.tone = m.tone;
        i += len;
        found = true;
        break;
      }
    }
    if (!found) {
      // A combining mark (e.g. ê̄ written with U+0304): skip it; the tone is then unknown (neutral).
      if (c == 0xCC || c == 0xCD) {
        i += 2;
        continue;
      }
      throw UserError(std::string(where) + ": '" + std::string(s) + "' is not a pinyin syllable");
    }
  }
  if (out.base.empty()) throw UserError(std::string(where) + ": empty pinyin syllable");
  return out;
}

std::vector<std::string> confusable_syllables(const std::string& b) {
  std::set<std::string> out;
  auto starts = [&](const char* p) { return b.rfind(p, 0) == 0; };
  auto ends = [&](const std::string& p) { return b.size() > p.size() && b.compare(b.size() - p.size(), p.size(), p) == 0; };
  // Initials.
  if (starts("zh")) out.insert("z" + b.substr(2));
  else if (starts("ch")) out.insert("c" + b.substr(2));
  else if (starts("sh")) out.insert("s" + b.substr(2));
  else if (starts("z") || starts("c") || starts("s")) out.insert(b.substr(0, 1) + "h" + b.substr(1));
  if (starts("n") && b.size() > 1 && b != "ng") out.insert("l" + b.substr(1));
  if (starts("l")) out.insert("n" + b.substr(1));
  if (starts("f")) out.insert("h" + b.substr(1));
  if (starts("h")) out.insert("f" + b.substr(1));
  // Finals.
  if (ends("ang")) out.insert(b.substr(0, b.size() - 1));
  else if (ends("an")) out.insert(b + "g");
  if (ends("eng")) out.insert(b.substr(0, b.size() - 1));
  else if (ends("en")) out.insert(b + "g");
  if (ends("ing")) out.insert(b.substr(0, b.size() - 1));
  else if (ends("in")) out.insert(b + "g");
  out.erase(b);
  return {out.begin(), out.end()};
}

PinyinTable PinyinTable::load(const std::string& path) {
  const std::string text = read_maybe_bz2(path);
  PinyinTable t;
  t.source_ = path;
  // kMandarin first (the customary reading), then kTGHZ2013's in its order; duplicates once.
  std::unordered_map<char32_t, std::vector<Syllable>> tghz;
  std::istringstream in(text);
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    const size_t t1 = line.find('\t'), t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos || line.compare(0, 2, "U+") != 0) continue;
    const std::string field = line.substr(t1 + 1, t2 - t1 - 1);
    const bool mandarin = field == "kMandarin";
    if (!mandarin && field != "kTGHZ2013") continue;
    const char32_t cp = static_cast<char32_t>(std::strtoul(line.c_str() + 2, nullptr, 16));
    const std::string where = path + " line " + std::to_string(lineno);
    std::istringstream values(line.substr(t2 + 1));
    std::string v;
    auto& dst = mandarin ? t.readings_[cp] : tghz[cp];
    while (values >> v) {
      if (!mandarin) {
        const size_t colon = v.find(':');  // "212.080:le" -> "le"
        if (colon == std::string::npos) continue;
        v = v.substr(colon + 1);
      }
      Syllable s;
      try {
        s = parse_pinyin(v, where);
      } catch (const UserError&) {
        continue;  // a letter outside pinyin (a later Unicode version's notation): that reading only
      }
      s.customary = mandarin;
      if (std::find(dst.begin(), dst.end(), s) == dst.end()) dst.push_back(std::move(s));
    }
  }
  for (auto& [cp, extra] : tghz) {
    auto& dst = t.readings_[cp];
    for (auto& s : extra)
      if (std::find(dst.begin(), dst.end(), s) == dst.end()) dst.push_back(s);
  }
  if (t.readings_.empty())
    throw UserError(path + ": no kMandarin readings found: is it Unihan_Readings.txt (unicode-data)?");
  for (const auto& [cp, rs] : t.readings_) {
    std::set<std::string> bases;
    for (const auto& s : rs) bases.insert(s.base);
    for (const auto& b : bases) t.by_base_[b].push_back(cp);
  }
  for (auto& [b, cs] : t.by_base_) std::sort(cs.begin(), cs.end());
  return t;
}

std::string PinyinTable::default_path() {
  const char* env = std::getenv("ZL_UNIHAN_READINGS");
  return env && *env ? env : "/usr/share/unicode/Unihan_Readings.txt.bz2";
}

const PinyinTable& PinyinTable::system() {
  static std::once_flag once;
  static PinyinTable table;
  static std::string error;
  std::call_once(once, [] {
    try {
      table = load(default_path());
    } catch (const UserError& e) {
      error = e.what();
    }
  });
  if (!error.empty()) throw UserError(error);
  return table;
}

const std::vector<Syllable>& PinyinTable::readings(char32_t c) const {
  static const std::vector<Syllable> none;
  auto it = readings_.find(c);
  return it == readings_.end() ? none : it->second;
}

const std::vector<char32_t>& PinyinTable::chars_of(const std::string& base) const {
  static const std::vector<char32_t> none;
  auto it = by_base_.find(base);
  return it == by_base_.end() ? none : it->second;
}

std::vector<char32_t> PinyinTable::homophones(char32_t c, bool same_tone) const {
  const auto& rs = readings(c);
  if (rs.empty()) return {};
  const Syllable& r = rs.front();
  std::vector<char32_t> out;
  for (char32_t o : chars_of(r.base)) {
    if (o == c) continue;
    if (!same_tone) {
      out.push_back(o);
      continue;
    }
    for (const auto& s : readings(o))
      if (s == r) {
        out.push_back(o);
        break;
      }
  }
  return out;
}

std::vector<char32_t> PinyinTable::near_homophones(char32_t c) const {
  const auto& rs = readings(c);
  if (rs.empty()) return {};
  std::set<char32_t> out;
  for (const auto& b : confusable_syllables(rs.front().base))
    for (char32_t o : chars_of(b))
      if (o != c) out.insert(o);
  return {out.begin(), out.end()};
}

std::vector<char32_t> utf8_to_codepoints(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool bad = false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc >> 6) != 2) bad = true;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (bad) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace zl
