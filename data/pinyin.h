// Mandarin readings of CJK characters, from the Unicode Character Database's Unihan
// readings (Debian package unicode-data: /usr/share/unicode/Unihan_Readings.txt.bz2, read
// with libbz2): field kMandarin (the customary reading first) and kTGHZ2013 (the readings of
// the 2013 Table of General Standard Chinese Characters' dictionary, which lists the neutral
// tone and the other common readings, e.g. 得 de / dei). From it: homophone sets (the same
// toneless syllable, or the same syllable and tone) and near-homophone sets (one of the
// common accent/ASR confusions: zh/z, ch/c, sh/s, n/l, f/h, an/ang, en/eng, in/ing).
// What the text noise of `kd data augment --noise` substitutes with (text_noise.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zl {

struct Syllable {
  std::string base;  // toneless, lower case, ü written v: "zai", "lv", "de"
  int tone = 5;      // 1-4; 5 = neutral
  bool customary = false;  // one of kMandarin's (the customary readings), not only kTGHZ2013's
  bool operator==(const Syllable& o) const { return base == o.base && tone == o.tone; }
  std::string numbered() const { return base + std::to_string(tone); }  // "zai4", "de5"
};

// "zài" -> {zai, 4}, "lǘ" -> {lv, 2}, "de" -> {de, 5}. Throws UserError on a letter that is
// no pinyin (names `where`).
Syllable parse_pinyin(std::string_view marked, std::string_view where = "pinyin");

// The syllables one common confusion away from `base` (not `base` itself), whether they
// exist or not: initials zh<->z, ch<->c, sh<->s, n<->l, f<->h; finals an<->ang, en<->eng,
// in<->ing (ian/iang, uan/uang included).
std::vector<std::string> confusable_syllables(const std::string& base);

class PinyinTable {
 public:
  // Reads a Unihan_Readings.txt file, plain or .bz2. Throws UserError naming the file.
  static PinyinTable load(const std::string& path);
  // The system's table: $ZL_UNIHAN_READINGS, else /usr/share/unicode/Unihan_Readings.txt.bz2
  // (scripts/setup installs unicode-data); loaded once. UserError when absent.
  static const PinyinTable& system();
  static std::string default_path();

  // The readings of `c`, the customary one (kMandarin's first) first; empty when none.
  const std::vector<Syllable>& readings(char32_t c) const;
  bool has_reading(char32_t c) const { return readings_.count(c) > 0; }
  // Every character with a reading of that toneless syllable (any tone), in code point order.
  const std::vector<char32_t>& chars_of(const std::string& base) const;
  // Characters sharing a reading with c's customary one (toneless, or with the tone when
  // `same_tone`), c excluded.
  std::vector<char32_t> homophones(char32_t c, bool same_tone = false) const;
  // Characters with a reading one confusion away from c's customary one (toneless), c excluded.
  std::vector<char32_t> near_homophones(char32_t c) const;
  size_t size() const { return readings_.size(); }
  const std::string& source() const { return source_; }

 private:
  std::unordered_map<char32_t, std::vector<Syllable>> readings_;
  std::unordered_map<std::string, std::vector<char32_t>> by_base_;
  std::string source_;
};

// UTF-8 helpers shared with text_noise.cpp (invalid bytes decode to U+FFFD, one byte each).
std::vector<char32_t> utf8_to_codepoints(std::string_view s);
void append_utf8(std::string& out, char32_t c);

}  // namespace zl
