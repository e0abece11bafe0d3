// TextCNN student (Kim 2014): embeddings, parallel 1-D convolutions of several
// widths, ReLU, max-over-time restricted to windows that lie inside the sequence.
#pragma once

#include <torch/torch.h>

#include "bilstm.h"  // TokenEmbeddings
#include "model.h"

namespace zl {

class TextCnnClassifierImpl : public ClassifierImpl {
 public:
  TextCnnClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info);
  ModelOutput forward(const Batch& batch, bool want_attentions = false) override;
  std::string describe() const override;

  TokenEmbeddings embeddings{nullptr};
  torch::nn::ModuleList convs{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  int64_t pad_id_;
};
TORCH_MODULE(TextCnnClassifier);

}  // namespace zl
