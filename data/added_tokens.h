// Pieces that are always one token, matched in the raw text before subword tokenization: the
// checkpoint's special tokens ([CLS] [SEP] [PAD] [UNK] [MASK] / <s> </s> <pad> <unk> <mask>, and
// any other added token of the checkpoint) and our personal-data placeholders (<PHONE> ...).
// This is what Hugging Face tokenizers' added vocabulary does for special tokens: leftmost-longest
// matches on the text as given (not normalized), the text between them tokenized on its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "text_encoder.h"

namespace zl {

struct AddedToken {
  std::string content;
  int id = -1;
};

class AddedTokenEncoder : public TextEncoder {
 public:
  // `inner` encodes the text between the added tokens (empty stretches are skipped).
  AddedTokenEncoder(std::vector<AddedToken> tokens, std::unique_ptr<TextEncoder> inner);
  void encode(std::string_view text, std::vector<int>& ids) const override;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // The longest added token that starts at `pos`, or nullptr.
  const AddedToken* match_at(std::string_view text, size_t pos) const;

  std::vector<AddedToken> tokens_;
  std::unique_ptr<TextEncoder> inner_;
  bool first_byte_[256] = {};  // bytes that start some added token: the fast path skips the rest
};

}  // namespace zl
