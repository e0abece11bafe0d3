// `kd data augment --noise SPEC` / `--noisy-eval SPLIT --eval-noise SPEC`: text-level
// customer-service noise (text_noise.h) on a prepared file of either tokenizer kind.
//
//   --noise SPEC: `copies` noised copies of each row of `split` (train) join it unlabelled
//     (label -1, ids "<id>~noise<k>"), the transfer set of `kd distill`; a copy whose text equals
//     a row of the split or an earlier copy is dropped and counted.
//   --noisy-eval test --eval-noise 0.1 --eval-noise 0.2: one labelled noised copy of the split per
//     spec, as a new split "test@noise-0.1" (same ids and labels, every row kept): what `kd eval`
//     reports as robustness (docs/evaluation.md).
// Each noised text is a function of (seed, row id, copy index, text, spec, the train split's
// character counts) only, and is tokenized again with the file's own tokenizer (file_encoder.h),
// so two views of one dataset (two tokenizers, equal text_sha256) come out with equal text_sha256
// again: a teacher file predicted on one view is accepted for the other.
#pragma once

#include "augment.h"

namespace zl {

AugmentResult augment_with_text_noise(const AugmentOptions& options);

// The split name of a noised copy: "<split>@noise-<spec>" ("," of a spec written as "+").
std::string noisy_split_name(const std::string& split, const std::string& spec);

}  // namespace zl
