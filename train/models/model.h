// The common interface of every classifier (transformer, BiLSTM, TextCNN) and
// the one factory that builds them from a config section.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "batch.h"
#include "config.h"
#include "dataset_file.h"
#include "hf_config.h"

namespace zl {

// Initialise a student from a run's weights (DistilBERT style: every other layer).
struct InitFrom {
  std::string run;              // run directory ("" = no initialisation)
  std::string which = "best";   // best | final
  std::vector<int64_t> layers;  // teacher layer for each student layer (transformer only)
  bool embeddings = true;       // copy embeddings (and the final LayerNorm) when shapes match
};

struct ModelConfig {
  std::string architecture = "transformer";  // transformer | bilstm | textcnn | pretrained
  std::string head = "auto";                 // auto | single_label | multi_label | pair (must match the dataset)
  double dropout = 0.1;
  int64_t max_length = 128;  // positions (transformer); longer inputs are truncated
  // transformer
  int64_t layers = 4, hidden = 256, heads = 4, ffn = 1024;
  double attention_dropout = 0.1;
  std::string pooling = "cls";  // cls | mean (pretrained also: pooler)
  // bilstm / textcnn
  int64_t embedding_dim = 128;
  int64_t lstm_hidden = 128, lstm_layers = 1;
  std::vector<int64_t> kernel_sizes{2, 3, 4};
  int64_t filters = 128;
  // pretrained (models/pretrained/): a Hugging Face BERT / XLM-R encoder. `layers`,
  // `hidden`, `heads`, `ffn` then describe the kept encoder.
  std::string checkpoint;          // model.checkpoint as written (${VAR} unexpanded)
  HfEncoderConfig hf;              // model.checkpoint_config: read from the directory once, stored with the run
  std::vector<int64_t> layer_ids;  // the checkpoint layer behind each kept layer, bottom to top
  InitFrom init_from;

  // Reads and validates a model section (UserError with file:line:key on bad values).
  static ModelConfig from_config(const Config& c);
};

struct ModelOutput {
  torch::Tensor logits;                        // float [B, num_labels]
  // The sentence representation the classification head reads ([CLS]/pooled/mean
  // vector, or the BiLSTM/TextCNN feature), [B, D]: sentence-level distillation.
  torch::Tensor sentence;
  std::vector<torch::Tensor> hidden_states;    // transformer: [0] = embeddings, [i] = layer i output, [B,T,H]
  std::vector<torch::Tensor> attention_probs;  // transformer, when requested: per layer [B,heads,T,T]
};

class ClassifierImpl : public torch::nn::Module {
 public:
  virtual ModelOutput forward(const Batch& batch, bool want_attentions = false) = 0;
  // Every parameter; and every parameter outside the "embeddings" submodule
  // (token, position and segment embeddings), the size measure students are scaled by.
  int64_t num_parameters() const;
  int64_t num_non_embedding_parameters() const;
  virtual std::string describe() const = 0;  // e.g. "transformer L4-H256-A4-F1024"
  // Layer-wise learning-rate decay (train.layer_lr_decay): a parameter's depth, 0 =
  // embeddings, 1..L = encoder layers bottom to top, top_depth() = L + 1 = everything
  // above them (pooler, final LayerNorm, head). The default sees one layer over the
  // embeddings ("embeddings." names: 0, the rest: 1).
  virtual int64_t parameter_depth(const std::string& name) const;
  virtual int64_t top_depth() const { return 1; }
  const ModelConfig& config() const { return cfg_; }
  int64_t num_labels() const { return num_labels_; }

 protected:
  ClassifierImpl(ModelConfig cfg, int64_t num_labels) : cfg_(std::move(cfg)), num_labels_(num_labels) {}
  ModelConfig cfg_;
  int64_t num_labels_;
};

using Classifier = std::shared_ptr<ClassifierImpl>;

// Checks the config against the dataset (head vs task, vocab, max_length) and builds
// the model: one switch over the architecture name.
Classifier build_model(const ModelConfig& cfg, const DatasetInfo& info);

// Copies weights from cfg.init_from.run into `model` where shapes allow; prints what it copied.
void init_from_run(ClassifierImpl& model, const ModelConfig& cfg, const DatasetInfo& info);

}  // namespace zl
