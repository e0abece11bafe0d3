// Re-tokenizes texts with the tokenizer a prepared file was made with, giving the ids that
// `kd data prepare` would have written for them: what text-level augmentation (kd data augment
// --noise) needs to add rows to a file of either kind.
//   - a tokenizer trained or reused here: the sentencepiece model stored in /tokenizer/model;
//   - a pretrained checkpoint's tokenizer: re-read from the checkpoint directory the file
//     records (attribute pretrained_tokenizer "dir"), checked against the file's
//     tokenizer_sha256, and mapped to the file's ids through its vocab map (pruned files keep
//     only the pieces their texts used: a piece pruned away becomes the file's [UNK] id, counted).
// Checked on construction's caller side by reencode_matches (the file's own rows must come out
// as stored).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataset_file.h"
#include "text_encoder.h"

namespace zl {

class FileEncoder {
 public:
  // Throws UserError naming the file: the checkpoint directory is gone or its files changed.
  FileEncoder(const std::string& path, const DatasetInfo& info);
  ~FileEncoder();
  // Appends one framed row (as prepare does: [CLS] a [SEP] (b [SEP]), cut to max_length).
  void encode_row(const std::string& text, const std::string* text_b, std::vector<int32_t>& ids,
                  std::vector<int8_t>* segments);
  int64_t pruned_to_unk() const { return pruned_to_unk_; }
  const std::string& kind() const { return kind_; }  // "sentencepiece (file)" or "pretrained: DIR"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t pruned_to_unk_ = 0;
  std::string kind_;
};

}  // namespace zl
