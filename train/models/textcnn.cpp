#include "textcnn.h"

#include <algorithm>
#include <limits>

namespace zl {

TextCnnClassifierImpl::TextCnnClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info)
    : ClassifierImpl(cfg, static_cast<int64_t>(info.label_names.size())), pad_id_(info.pad_id) {
  embeddings = register_module("embeddings", TokenEmbeddings(info.vocab_size, cfg.embedding_dim, info.task == Task::kPair));
  convs = register_module("convs", torch::nn::ModuleList());
  for (int64_t k : cfg.kernel_sizes) convs->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(cfg.embedding_dim, cfg.filters, k)));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
  classifier = register_module(
      "classifier", torch::nn::Linear(cfg.filters * static_cast<int64_t>(cfg.kernel_sizes.size()), num_labels_));
}

ModelOutput TextCnnClassifierImpl::forward(const Batch& batch_in, bool) {
  Batch batch = batch_in;
  const int64_t kmax = *std::max_element(cfg_.kernel_sizes.begin(), cfg_.kernel_sizes.end());
  const int64_t T0 = batch.input_ids.size(1);
  if (T0 < kmax) {
    // Short batches are padded with the pad token up to the widest kernel, the same
    // way whether a sequence is alone or in a batch, so outputs do not depend on padding.
    namespace F = torch::nn::functional;
    batch.input_ids = F::pad(batch.input_ids, F::PadFuncOptions({0, kmax - T0}).value(static_cast<double>(pad_id_)));
    batch.attention_mask = F::pad(batch.attention_mask, F::PadFuncOptions({0, kmax - T0}));
    if (batch.token_type_ids.defined())
      batch.token_type_ids = F::pad(batch.token_type_ids, F::PadFuncOptions({0, kmax - T0}));
  }
  auto x = drop(embeddings(batch)).transpose(1, 2);  // [B,E,T]
  auto lengths = batch_in.attention_mask.sum(1, /*keepdim=*/true);  // [B,1] real tokens
  std::vector<torch::Tensor> pooled;
  for (size_t i = 0; i < convs->size(); ++i) {
    const int64_t k = cfg_.kernel_sizes[i];
    auto h = torch::relu(convs[i]->as<torch::nn::Conv1d>()->forward(x));  // [B,F,T-k+1]
    // Window t covers tokens t..t+k-1: valid when it ends inside the sequence (or is the first window).
    auto t = torch::arange(h.size(2), lengths.options()).unsqueeze(0);     // [1,T']
    auto ok = (t + k <= lengths) | (t == 0);                               // [B,T']
    h = h.masked_fill(ok.unsqueeze(1).logical_not(), -std::numeric_limits<float>::infinity());
    pooled.push_back(h.amax(2));
  }
  ModelOutput out;
  out.sentence = torch::cat(pooled, 1);
  out.logits = classifier(drop(out.sentence));
  return out;
}

std::string TextCnnClassifierImpl::describe() const {
  std::string ks;
  for (auto k : cfg_.kernel_sizes) ks += (ks.empty() ? "" : ",") + std::to_string(k);
  return "textcnn E" + std::to_string(cfg_.embedding_dim) + " kernels " + ks + " x" + std::to_string(cfg_.filters);
}

}  // namespace zl
