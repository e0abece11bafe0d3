#include "bilstm.h"

#include <limits>

namespace zl {

TokenEmbeddingsImpl::TokenEmbeddingsImpl(int64_t vocab, int64_t dim, bool segments) {
  word = register_module("word", torch::nn::Embedding(vocab, dim));
  if (segments) segment = register_module("segment", torch::nn::Embedding(2, dim));
}

torch::Tensor TokenEmbeddingsImpl::forward(const Batch& batch) {
  auto x = word(batch.input_ids);
  if (segment && batch.token_type_ids.defined()) x = x + segment(batch.token_type_ids);
  return x;
}

BiLstmClassifierImpl::BiLstmClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info)
    : ClassifierImpl(cfg, static_cast<int64_t>(info.label_names.size())) {
  embeddings = register_module("embeddings", TokenEmbeddings(info.vocab_size, cfg.embedding_dim, info.task == Task::kPair));
  lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(cfg.embedding_dim, cfg.lstm_hidden)
                                                     .num_layers(cfg.lstm_layers)
                                                     .bidirectional(true)
                                                     .batch_first(true)
                                                     .dropout(cfg.lstm_layers > 1 ? cfg.dropout : 0.0)));
  fc = register_module("fc", torch::nn::Linear(2 * cfg.lstm_hidden, cfg.lstm_hidden));
  classifier = register_module("classifier", torch::nn::Linear(cfg.lstm_hidden, num_labels_));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
}

ModelOutput BiLstmClassifierImpl::forward(const Batch& batch, bool) {
  auto x = drop(embeddings(batch));
  auto lengths = batch.attention_mask.sum(1).to(torch::kCPU, torch::kInt64);
  // Packing: the backward direction starts at each sequence's last real token,
  // so padding cannot change a sequence's output.
  auto packed = torch::nn::utils::rnn::pack_padded_sequence(x, lengths, /*batch_first=*/true,
                                                            /*enforce_sorted=*/false);
  auto out_packed = std::get<0>(lstm->forward_with_packed_input(packed));
  auto h = std::get<0>(torch::nn::utils::rnn::pad_packed_sequence(out_packed, /*batch_first=*/true, 0.0,
                                                                  batch.input_ids.size(1)));
  auto valid = batch.attention_mask.to(torch::kBool).unsqueeze(-1);
  auto pooled = h.masked_fill(valid.logical_not(), -std::numeric_limits<float>::infinity()).amax(1);
  ModelOutput out;
  out.sentence = torch::relu(fc(pooled));
  out.logits = classifier(drop(out.sentence));
  return out;
}

std::string BiLstmClassifierImpl::describe() const {
  return "bilstm E" + std::to_string(cfg_.embedding_dim) + "-H" + std::to_string(cfg_.lstm_hidden) + "x" +
         std::to_string(cfg_.lstm_layers) + " (max pooling)";
}

}  // namespace zl
