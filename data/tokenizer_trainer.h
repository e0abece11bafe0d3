// The sentencepiece tokenizer of a prepared dataset: trained in-process on the
// normalized, masked training texts, or an existing .model reused. The special
// tokens have fixed ids in every model this toolkit trains:
//   0 [PAD]  1 [UNK]  2 [CLS]  3 [SEP]  4 [MASK]   (control symbols: never produced from text)
//   5.. <PHONE> <TEL> <ID> <CARD> <EMAIL> <ORDER>  (user-defined: always one piece)
// Only kd-data links sentencepiece (its bundled protobuf must not share a
// process with LibTorch's; see docs/design.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text_encoder.h"

namespace zl {

struct TokenizerOptions {
  std::string type = "unigram";  // unigram | bpe | char
  int64_t vocab_size = 8000;     // a soft limit: small corpora get fewer pieces
  double character_coverage = 0.9995;
  std::string model_path;        // reuse this .model instead of training
  int threads = 1;               // 1 keeps training deterministic
};

// The placeholders the masker writes, in id order from 5.
const std::vector<std::string>& placeholder_symbols();

// Trains a model on `texts`; returns the serialized model bytes.
std::string train_sentencepiece(const std::vector<std::string>& texts, const TokenizerOptions& options);

class Tokenizer : public TextEncoder {
 public:
  // Loads serialized model bytes; `source` names them in errors. Throws
  // UserError when the model lacks [PAD] [UNK] [CLS] [SEP].
  Tokenizer(const std::string& model_bytes, const std::string& source);
  ~Tokenizer() override;
  void encode(std::string_view text, std::vector<int>& ids) const override;
  int vocab_size() const;
  int pad_id() const { return pad_; }
  int unk_id() const { return unk_; }
  int cls_id() const { return cls_; }
  int sep_id() const { return sep_; }
  std::vector<std::string> missing_placeholders() const;  // placeholders the model splits into pieces
  int piece_id(const std::string& piece) const;            // -1 when the model has no such piece
  // Text of token ids; control symbols and [UNK] appear as their piece (e.g. [MASK]).
  std::string decode(const std::vector<int>& ids) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int pad_, unk_, cls_, sep_;
};

}  // namespace zl
