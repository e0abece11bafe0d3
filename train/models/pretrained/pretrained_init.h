// Starting a run of architecture pretrained: the dataset must have been prepared
// with the checkpoint's tokenizer, and the checkpoint's weights are copied into the
// freshly built model. Only new runs do this (kd train / kd distill without
// --resume): resumed and reloaded runs read their own weights, so a finished run
// never needs the checkpoint directory again.
#pragma once

#include <nlohmann/json.hpp>

#include "dataset_file.h"
#include "model.h"

namespace zl {

// UserError unless `info` was prepared with this checkpoint's tokenizer
// (tokenizer.pretrained: DIR): a vocab_map of info.vocab_size rows that all lie in
// the checkpoint's vocabulary, a pretrained_tokenizer record of the same family and
// base vocabulary size, and the pad id mapping to the checkpoint's pad_token_id.
void check_pretrained_vocab(const HfEncoderConfig& hf, const DatasetInfo& info);

// For architecture pretrained: checks the dataset (above), copies every encoder
// tensor (and the pooler) from cfg.hf.dir into `model` (the word embedding row by
// row through info.vocab_map; the chosen layers cfg.layer_ids), prints a summary,
// and returns the provenance run.json records under "pretrained". Other
// architectures: does nothing and returns null.
nlohmann::json load_pretrained_weights(ClassifierImpl& model, const ModelConfig& cfg, const DatasetInfo& info);

}  // namespace zl
