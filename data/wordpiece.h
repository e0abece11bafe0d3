// BERT's tokenization (basic tokenizer + WordPiece), as the checkpoint's own Hugging Face
// tokenizer does it: BertNormalizer + BertPreTokenizer + WordPiece of the `tokenizers` library
// that transformers' BertTokenizer runs on. Written here because no Debian or PyPI C++ library
// provides it; the ids are checked against transformers on the shared datasets
// (tests/python/pretrained_tokenizer_reference.py).
//
// Basic tokenization, in this order (what BertNormalizer and BertPreTokenizer do):
//   clean text: drop NUL, U+FFFD and "other" characters (C*, not \t \n \r); white space -> ' '
//   CJK ideographs (the ranges BERT uses) get a space on each side
//   strip accents (NFD, drop non-spacing marks) when strip_accents, which defaults to lowercase
//   lowercase
//   split on white space (dropped) and around punctuation (ASCII symbols and P*, kept as words)
// The character classes come from data/bert_unicode_tables.inc (measured on `tokenizers`).
// WordPiece: greedy longest-match-first, continuation pieces prefixed "##", a word of more
// than 100 characters (or one that cannot be covered) is one [UNK].
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text_encoder.h"

namespace zl {

struct BertBasicOptions {
  bool lowercase = true;               // tokenizer_config.json do_lower_case (default true, as in HF)
  std::optional<bool> strip_accents;   // unset: follows lowercase, as in BERT
  bool tokenize_chinese_chars = true;  // tokenizer_config.json tokenize_chinese_chars
};

// The words WordPiece sees. Invalid UTF-8 bytes count as U+FFFD (and are dropped).
std::vector<std::string> bert_basic_tokenize(std::string_view text, const BertBasicOptions& options);

class WordPiece {
 public:
  // `vocab` in id order (line i of vocab.txt is id i; a repeated piece keeps its last id, as in HF).
  // Throws UserError when `unk_token` is not in it; `source` names the vocabulary in errors.
  WordPiece(const std::vector<std::string>& vocab, const std::string& unk_token, const std::string& source,
            std::string continuation_prefix = "##", size_t max_chars_per_word = 100);
  // Appends the pieces of one word (from bert_basic_tokenize).
  void encode_word(std::string_view word, std::vector<int>& ids) const;
  int id_of(const std::string& piece) const;  // -1 when absent
  int unk_id() const { return unk_id_; }

 private:
  std::unordered_map<std::string, int> vocab_;
  std::string prefix_;
  size_t max_chars_;
  int unk_id_ = -1;
};

// Text -> ids: bert_basic_tokenize, then WordPiece on every word.
class BertWordPieceEncoder : public TextEncoder {
 public:
  BertWordPieceEncoder(WordPiece wordpiece, BertBasicOptions options)
      : wordpiece_(std::move(wordpiece)), options_(options) {}
  void encode(std::string_view text, std::vector<int>& ids) const override;
  const WordPiece& wordpiece() const { return wordpiece_; }

 private:
  WordPiece wordpiece_;
  BertBasicOptions options_;
};

}  // namespace zl
