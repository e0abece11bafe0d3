// The one interface `kd data prepare` encodes texts through, and how the ids of one example
// are framed with the special tokens. Implementations: the sentencepiece model trained or
// reused here (tokenizer_trainer.h), and a pretrained checkpoint's own tokenizer
// (pretrained_tokenizer.h: BERT WordPiece or XLM-R sentencepiece).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace zl {

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  // The ids of `text`, without framing ([CLS]/[SEP] or <s>/</s>); replaces `ids`.
  virtual void encode(std::string_view text, std::vector<int>& ids) const = 0;
};

// How the ids of one example are framed and cut to max_length.
struct Framing {
  int cls_id = 2;
  int sep_id = 3;
  // XLM-R pairs: <s> a </s></s> b </s> (two separators between the texts); BERT: [CLS] a [SEP] b [SEP].
  bool double_sep = false;
  // Segment id of `b` and its separator in a pair: 1 for BERT, 0 for XLM-R (type_vocab_size 1).
  int8_t segment_b = 1;
  enum class PairTruncation {
    // One token at a time from the end of the longer side, the first side on ties: the rule of the
    // tokenizers trained here (kept as it was, so files prepared before stay the same).
    kOneAtATime,
    // Hugging Face tokenizers' `longest_first`: the shorter side is kept whole when it fits in
    // half, else both are cut to half the budget and the odd token goes to the longer side.
    kHuggingFace,
  };
  PairTruncation pair_truncation = PairTruncation::kOneAtATime;

  size_t specials(bool pair) const { return pair ? (double_sep ? 4 : 3) : 2; }
};

// How many tokens of a (la) and b (lb) stay within `budget` content tokens, by the rule of
// `framing` (single texts: pass lb = 0 and get the first `budget` tokens).
void truncate_lengths(const Framing& framing, size_t budget, size_t& la, size_t& lb);

// Appends one framed example: ids (and segment ids for pairs, when `segments` is given).
// `b` is null for a single text. Returns true when tokens were cut; `kept_a`/`kept_b` get the
// number of content tokens kept from each side.
bool frame_example(const Framing& framing, const std::vector<int>& a, const std::vector<int>* b,
                   size_t max_length, std::vector<int32_t>& ids, std::vector<int8_t>* segments,
                   size_t& kept_a, size_t& kept_b);

}  // namespace zl
