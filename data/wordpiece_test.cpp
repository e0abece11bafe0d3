// BERT basic tokenization and WordPiece on hand-written cases: what transformers' BertTokenizer
// (tokenizers' BertNormalizer + BertPreTokenizer + WordPiece) gives for them. The same cases
// at scale, against transformers itself: tests/python/pretrained_tokenizer_reference.py.
#include "wordpiece.h"

#include <gtest/gtest.h>

#include "error.h"

namespace zl {
namespace {

using Words = std::vector<std::string>;

Words basic(const std::string& s, bool lower = true, std::optional<bool> strip = std::nullopt, bool cjk = true) {
  BertBasicOptions o;
  o.lowercase = lower;
  o.strip_accents = strip;
  o.tokenize_chinese_chars = cjk;
  return bert_basic_tokenize(s, o);
}

TEST(BertBasic, SplitsEveryCjkIdeograph) {
  EXPECT_EQ(basic("我爱Beijing天安门"), (Words{"我", "爱", "beijing", "天", "安", "门"}));
  // Extension B (U+20000..) is in BERT's list; a Hangul syllable is not an ideograph.
  EXPECT_EQ(basic("a\xF0\xA0\x80\x80" "b"), (Words{"a", "\xF0\xA0\x80\x80", "b"}));
  // U+2B820..U+2B91F is outside the ranges tokenizers uses (it starts Extension E at U+2B920).
  EXPECT_EQ(basic("a\xF0\xAB\xA0\xA0" "b"), (Words{"a\xF0\xAB\xA0\xA0" "b"}));
  EXPECT_EQ(basic("我爱", true, std::nullopt, /*cjk=*/false), (Words{"我爱"}));
}

TEST(BertBasic, LowercaseAndAccents) {
  EXPECT_EQ(basic("Héllo WÖRLD"), (Words{"hello", "world"}));                 // strip follows lowercase
  EXPECT_EQ(basic("Héllo WÖRLD", false), (Words{"Héllo", "WÖRLD"}));          // neither
  EXPECT_EQ(basic("Héllo WÖRLD", false, true), (Words{"Hello", "WORLD"}));    // accents only
  EXPECT_EQ(basic("Héllo WÖRLD", true, false), (Words{"héllo", "wörld"}));    // case only
  // İ: full lowercase mapping (i + combining dot) without stripping, plain i with it.
  EXPECT_EQ(basic("\xC4\xB0", true, false), (Words{"i\xCC\x87"}));
  EXPECT_EQ(basic("\xC4\xB0"), (Words{"i"}));
  // Hangul syllables decompose (NFD) into jamo, which are letters and stay.
  EXPECT_EQ(basic("\xED\x95\x9C"), (Words{"\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"}));
}

TEST(BertBasic, PunctuationIsItsOwnWord) {
  EXPECT_EQ(basic("a,b!c？d"), (Words{"a", ",", "b", "!", "c", "？", "d"}));
  // ASCII symbols that are not Unicode punctuation count too ($ + ^ `).
  EXPECT_EQ(basic("$5+3^x`"), (Words{"$", "5", "+", "3", "^", "x", "`"}));
  // Chinese punctuation: 、 。 《 》 「 」
  EXPECT_EQ(basic("好、是。《书》「引」"), (Words{"好", "、", "是", "。", "《", "书", "》", "「", "引", "」"}));
  // U+2E42 (Unicode 8) is punctuation in tokenizers' table, U+2E4F (Unicode 11) is not yet.
  EXPECT_EQ(basic("a\xE2\xB9\x82" "b"), (Words{"a", "\xE2\xB9\x82", "b"}));
  EXPECT_EQ(basic("a\xE2\xB9\x8F" "b"), (Words{"a\xE2\xB9\x8F" "b"}));
  EXPECT_EQ(basic("<PHONE>"), (Words{"<", "phone", ">"}));  // why placeholders are split off first
}

TEST(BertBasic, CleansControlsAndWhiteSpace) {
  const std::string s = std::string("a") + '\0' + "b\tc\xE2\x80\x8B" "d\xEF\xBF\xBD" "e\xE3\x80\x80" "f\x0B" "g";
  // NUL, U+200B (Cf), U+FFFD and \v (Cc) are dropped; \t and U+3000 split.
  EXPECT_EQ(basic(s), (Words{"ab", "cde", "fg"}));
  EXPECT_EQ(basic("  \n "), Words{});
  EXPECT_EQ(basic("a\xFF" "b"), (Words{"ab"}));  // an invalid byte counts as U+FFFD
}

std::vector<std::string> vocab() {
  return {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff", "able", "我", "a", "##a", "##b", "##我"};
}

std::vector<int> pieces(const WordPiece& wp, const std::string& word) {
  std::vector<int> ids;
  wp.encode_word(word, ids);
  return ids;
}

TEST(WordPiece, GreedyLongestMatchFirstWithContinuations) {
  WordPiece wp(vocab(), "[UNK]", "vocab");
  EXPECT_EQ(pieces(wp, "unaffable"), (std::vector<int>{5, 6, 7}));
  EXPECT_EQ(pieces(wp, "affable"), (std::vector<int>{8, 7}));
  EXPECT_EQ(pieces(wp, "我"), (std::vector<int>{10}));
  // One part no piece covers makes the whole word [UNK] (not just that part).
  EXPECT_EQ(pieces(wp, "unaffablex"), (std::vector<int>{1}));
  EXPECT_EQ(pieces(wp, "b"), (std::vector<int>{1}));  // ##b is only a continuation
  EXPECT_EQ(pieces(wp, "ab"), (std::vector<int>{11, 13}));
}

TEST(WordPiece, WordsOverOneHundredCharactersAreUnknown) {
  WordPiece wp(vocab(), "[UNK]", "vocab");
  EXPECT_EQ(pieces(wp, std::string(100, 'a')).size(), 100u);
  EXPECT_EQ(pieces(wp, std::string(101, 'a')), (std::vector<int>{1}));
  // Characters, not bytes: 40 three-byte characters (120 bytes) are a word of 40.
  std::string cjk;
  for (int i = 0; i < 40; ++i) cjk += "我";
  EXPECT_EQ(pieces(wp, cjk).size(), 40u);
}

TEST(WordPiece, NeedsTheUnknownToken) {
  EXPECT_THROW(WordPiece({"a", "b"}, "[UNK]", "x/vocab.txt"), UserError);
  try {
    WordPiece({"a"}, "[UNK]", "x/vocab.txt");
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("x/vocab.txt"), std::string::npos);
  }
}

TEST(BertWordPieceEncoder, BasicThenWordPiece) {
  BertWordPieceEncoder enc(WordPiece(vocab(), "[UNK]", "vocab"), BertBasicOptions{});
  std::vector<int> ids;
  enc.encode("UnAffable, 我!", ids);
  EXPECT_EQ(ids, (std::vector<int>{5, 6, 7, 1, 10, 1}));  // "," and "!" are not in the vocabulary
}

}  // namespace
}  // namespace zl
