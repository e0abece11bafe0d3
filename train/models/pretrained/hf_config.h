// What the model needs from a Hugging Face checkpoint directory: its config.json
// (BERT or XLM-R/RoBERTa encoder hyper-parameters) and a few facts about its
// weight file (which file, the name prefix of the encoder, whether it has pooler
// weights). kd train reads them once from the directory and stores them in the
// run's resolved config (model.checkpoint_config), so a run is rebuilt later
// without the checkpoint directory.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "config.h"

namespace zl {

struct HfEncoderConfig {
  std::string dir;          // the checkpoint directory (environment variables expanded)
  std::string model_type;   // bert | xlm-roberta | roberta
  int64_t vocab_size = 0, hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, intermediate_size = 0;
  int64_t max_position_embeddings = 0, type_vocab_size = 0, pad_token_id = 0;
  double layer_norm_eps = 1e-12, hidden_dropout_prob = 0.1, attention_probs_dropout_prob = 0.1;
  std::string weights_file;  // model.safetensors | model.safetensors.index.json | pytorch_model.bin
  std::string prefix;        // "" (BertModel), "bert.", "roberta.", ...: the encoder's name prefix
  bool has_pooler = false;
  std::string config_sha256;  // of config.json
  // The tokenizer family a dataset prepared for this checkpoint records
  // (DatasetInfo::pretrained_json "family"): from tokenizer_class in config.json or
  // tokenizer_config.json, else from model_type. They can differ: multilingual-e5-small
  // (Multilingual-MiniLM) is a BERT model with XLM-R's sentencepiece tokenizer.
  std::string tokenizer_family;

  // XLM-R / RoBERTa count positions from pad_token_id + 1 (fairseq's make_positions).
  bool roberta_positions() const { return model_type != "bert"; }
  // The longest input the position table allows.
  int64_t max_tokens() const { return roberta_positions() ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings; }

  // Sets tokenizer_family from a tokenizer_class ("XLMRobertaTokenizerFast" ->
  // xlm-roberta, "BertTokenizer" -> bert, ...); false for a class it does not know.
  bool set_tokenizer_family(const std::string& tokenizer_class);

  // Parses and validates config.json text (`path` names it in errors): only what
  // this encoder computes is accepted (gelu, absolute positions, bert/xlm-roberta).
  static HfEncoderConfig from_json(const std::string& text, const std::string& path);
  // The stored form (model.checkpoint_config) and its strict reader.
  YAML::Node to_yaml() const;
  static HfEncoderConfig from_config(const Config& c);
};

// ${NAME} and ${NAME:-default} from the environment (UserError naming `where` when
// NAME is unset and there is no default).
std::string expand_env_vars(const std::string& value, const std::string& where);

}  // namespace zl
