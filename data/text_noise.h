// Customer-service text noise: what pinyin input methods and speech recognition do to
// Chinese messages. Applied to the normalized, masked text of a prepared file (before it
// is tokenized again), so personal-data placeholders (<PHONE>, <ORDER>, any <UPPER_CASE>
// run) are one unit and never altered, split, dropped or moved.
//
// Kinds, each with its own rate (a probability per eligible unit):
//   homophone       a character -> another with the same toneless reading (在->再, 的->得)
//   near_homophone  -> one with a reading one accent/ASR confusion away (zh/z, n/l, an/ang, ...: 是->四)
//   ime             a 2-3 character span -> each syllable's most frequent character, as a pinyin
//                   IME without the word in its lexicon types it (快递 kuai di -> 快地); the rate
//                   is per character where a span may start; spans that come out unchanged are kept
//   drop / repeat / swap   a unit dropped, doubled, or swapped with the next one (placeholders excluded)
//   punct           a punctuation mark dropped (ASR transcripts carry almost none)
// Substitutes are drawn with weights = their counts in `char_counts` (the train split's
// characters; characters never seen there are not drawn), so common characters stand in
// for common ones, as an IME's first candidates do.
//
// Determinism, across tokenizers: the output is a function of (seed, the row's id, the copy
// index, the text, the options, char_counts) only — never of token ids, the tokenizer or other
// rows' outputs — so two views of one dataset (prepared with different tokenizers, equal
// text_sha256) get identical noised texts. char_counts are computed from texts (count_chars).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pinyin.h"

namespace zl {

struct NoiseOptions {
  double homophone = 0, near_homophone = 0, ime = 0, drop = 0, repeat = 0, swap = 0, punct = 0;
  bool same_tone = false;  // homophones: the same tone too
  // Canonical spec: "homophone=0.1,near_homophone=0.05,..." (kinds with rate 0 left out).
  std::string spec() const;
  bool any() const { return homophone + near_homophone + ime + drop + repeat + swap + punct > 0; }
};

// "0.1": the voice-channel preset at level r (homophone r, near_homophone r/2, ime r/4, drop r/4,
// repeat r/8, swap r/8, punct min(1, 3r)); or "kind=rate[,kind=rate...]" with the kinds above and
// "same_tone=1". Throws UserError naming `where` for an unknown kind or a rate outside [0, 1].
NoiseOptions parse_noise_spec(const std::string& spec, const std::string& where);

// Character counts of texts (what TextNoiser weights substitutes by).
std::unordered_map<char32_t, int64_t> count_chars(const std::vector<std::string>& texts);

struct NoiseCounts {
  int64_t units = 0, eligible = 0;  // units (characters + placeholders), characters with a reading
  int64_t substitutable = 0;         // characters (not changed by ime) with a homophone among the counted ones
  int64_t homophone = 0, near_homophone = 0, ime_spans = 0, ime_chars = 0, drop = 0, repeat = 0, swap = 0,
          punct = 0, placeholders = 0;
  void add(const NoiseCounts& o);
};

class TextNoiser {
 public:
  TextNoiser(const PinyinTable& table, std::unordered_map<char32_t, int64_t> char_counts, NoiseOptions options);
  // The noised text. `counts` (optional) accumulates what was done.
  std::string apply(std::string_view text, uint64_t seed, std::string_view row_id, int64_t copy,
                    NoiseCounts* counts = nullptr) const;
  const NoiseOptions& options() const { return opt_; }

 private:
  struct Pool {
    std::vector<char32_t> chars;
    std::vector<double> cumulative;  // running sum of weights
  };
  const Pool& pool(char32_t c, bool near) const;
  char32_t top_char(char32_t c) const;  // the most frequent character of c's customary syllable

  const PinyinTable& table_;
  std::unordered_map<char32_t, int64_t> counts_;
  NoiseOptions opt_;
  mutable std::unordered_map<char32_t, Pool> homophone_pools_, near_pools_;
  mutable std::unordered_map<std::string, char32_t> top_of_base_;
};

// Splits a text into units: a placeholder (<UPPER>) is one unit, every other code point one.
// Exposed for tests.
std::vector<std::u32string> noise_units(std::string_view text);

}  // namespace zl
