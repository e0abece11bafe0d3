// `kd data augment`: a transfer set for distillation, made from the train split.
//
// A teacher trained from scratch has memorised its own training rows: its logits
// there are nearly one-hot and carry little beyond the gold label, so a student
// distilled on those rows alone learns little it could not learn from the labels
// (docs/benchmarks-distill.md measures this). Tang et al. 2019 ("Distilling
// task-specific knowledge from BERT into simple neural networks") fix this with
// an augmented transfer set: perturbed copies of the training texts, which the
// teacher has never seen and on which its soft labels are informative.
//
// The copies are made on token ids, so any tokenizer works: each non-special
// token is replaced by [MASK] with probability mask_prob, else by a token drawn
// from the train split's unigram distribution with probability replace_prob; with
// probability ngram_prob a copy keeps only a random span of ngram_min..ngram_max
// tokens (single-text tasks only). Copies identical to a train row or to an
// earlier copy are dropped. They join the train split unlabelled (label -1): only
// the teacher term of `kd distill` learns from them. Dev and test are copied as
// they are, so evaluations stay comparable with the source file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zl {

struct AugmentOptions {
  std::string in_path;
  std::string out_path;
  std::string split = "train";
  int64_t copies = 4;          // perturbed copies tried per row
  double mask_prob = 0.1;      // token -> [MASK]
  double replace_prob = 0.1;   // token -> a token drawn from the split's unigram distribution
  double ngram_prob = 0.25;    // the copy keeps one random span only (single-text tasks)
  int64_t ngram_min = 2, ngram_max = 8;
  uint64_t seed = 1;
  bool force = false;          // overwrite an existing output file
  // Text-level noise (text_noise.h; noise_augment.h), instead of the token-level perturbations
  // above: the texts are noised and tokenized again with the file's own tokenizer, so it works
  // for files prepared with a pretrained checkpoint's tokenizer too.
  std::string noise;                    // transfer copies of `split` with this noise spec ("" = none)
  std::string noisy_eval;               // a labelled split to copy with noise (e.g. test) ...
  std::vector<std::string> eval_noise;  // ... once per spec: split "<noisy_eval>@noise-<spec>"
};

struct AugmentResult {
  int64_t source_rows = 0, added_rows = 0, duplicates_dropped = 0;
  nlohmann::json record;  // the parameters and counts, stored in the file's stats under "augmentation"
  std::string summary;
};

// Throws UserError on bad options or input (names the file or option); writes
// the output atomically, so a failure leaves no file.
AugmentResult augment_dataset(const AugmentOptions& options);

}  // namespace zl
