#include "model.h"

#include <algorithm>
#include <filesystem>

#include "bert_encoder.h"
#include "bilstm.h"
#include "hf_checkpoint.h"
#include "textcnn.h"
#include "transformer.h"

namespace zl {

namespace {
void positive(const Config& c, const std::string& key, int64_t v) {
  c.check(v > 0, key, "must be a positive integer (got " + std::to_string(v) + ")");
}
void probability(const Config& c, const std::string& key, double v) {
  c.check(v >= 0.0 && v < 1.0, key, "must be in [0, 1) (got " + std::to_string(v) + ")");
}

// architecture: pretrained, the keys read before the common ones (whose defaults
// come from the checkpoint: dropout, attention_dropout, max_length). The checkpoint
// directory is read only when the config does not hold model.checkpoint_config yet
// (a preset): a run's config.yaml has it, so the run reloads without the directory.
void read_checkpoint(const Config& c, ModelConfig& m) {
  m.checkpoint = c.require<std::string>("checkpoint");
  if (!c.has("checkpoint_config")) {
    const std::string dir = expand_env_vars(m.checkpoint, c.source() + ": " + c.path("checkpoint"));
    HfEncoderConfig h = inspect_checkpoint(std::filesystem::absolute(dir).lexically_normal().string());
    c.node()["checkpoint_config"] = h.to_yaml();
  }
  m.hf = HfEncoderConfig::from_config(c.child("checkpoint_config"));
  m.dropout = m.hf.hidden_dropout_prob;
  m.attention_dropout = m.hf.attention_probs_dropout_prob;
  m.max_length = std::min<int64_t>(m.max_length, m.hf.max_tokens());
}

// The pretrained keys after the common ones: which layers, pooling.
void read_pretrained(const Config& c, ModelConfig& m) {
  const HfEncoderConfig& h = m.hf;
  c.check(m.max_length <= h.max_tokens(), "max_length",
          "(" + std::to_string(m.max_length) + ") exceeds what the checkpoint's position table holds (" +
              std::to_string(h.max_tokens()) + " tokens)");
  m.attention_dropout = c.get<double>("attention_dropout", m.attention_dropout);
  probability(c, "attention_dropout", m.attention_dropout);
  const int64_t L = h.num_hidden_layers;
  if (c.has("layer_ids")) {
    c.check(!c.has("layers"), "layers", "and layer_ids are both set: keep one (layers: K keeps the first K layers)");
    m.layer_ids = c.get<std::vector<int64_t>>("layer_ids", {});
    c.check(!m.layer_ids.empty(), "layer_ids", "must name at least one checkpoint layer");
    for (size_t i = 0; i < m.layer_ids.size(); ++i) {
      c.check(m.layer_ids[i] >= 0 && m.layer_ids[i] < L, "layer_ids",
              "names layer " + std::to_string(m.layer_ids[i]) + " but the checkpoint has layers 0.." + std::to_string(L - 1));
      c.check(i == 0 || m.layer_ids[i] > m.layer_ids[i - 1], "layer_ids", "must list layers in increasing order");
    }
  } else {
    const int64_t k = c.get<int64_t>("layers", L);
    c.check(k > 0 && k <= L, "layers",
            "must be in 1.." + std::to_string(L) + " (the checkpoint's layers; the first K are kept), got " + std::to_string(k));
    for (int64_t i = 0; i < k; ++i) m.layer_ids.push_back(i);
  }
  m.layers = static_cast<int64_t>(m.layer_ids.size());
  m.hidden = h.hidden_size;
  m.heads = h.num_attention_heads;
  m.ffn = h.intermediate_size;
  // e5 and other sentence-embedding exports have no pooler and are trained for mean pooling.
  m.pooling = c.get_choice("pooling", h.has_pooler ? "pooler" : "mean", {"pooler", "cls", "mean"});
  c.check(m.pooling != "pooler" || h.has_pooler, "pooling",
          "is pooler but " + h.dir + "/" + h.weights_file + " has no pooler weights (pooler.dense): use cls or mean");
}

}  // namespace

ModelConfig ModelConfig::from_config(const Config& c) {
  ModelConfig m;
  m.architecture = c.get_choice("architecture", m.architecture, {"transformer", "bilstm", "textcnn", "pretrained"});
  m.head = c.get_choice("head", m.head, {"auto", "single_label", "multi_label", "pair"});
  if (m.architecture == "pretrained") read_checkpoint(c, m);
  m.dropout = c.get<double>("dropout", m.dropout);
  probability(c, "dropout", m.dropout);
  m.max_length = c.get<int64_t>("max_length", m.max_length);
  positive(c, "max_length", m.max_length);
  // Only the keys of the chosen architecture are read: another architecture's key
  // in the file is reported as unknown instead of being silently ignored.
  if (m.architecture == "transformer") {
    m.layers = c.get<int64_t>("layers", m.layers);
    positive(c, "layers", m.layers);
    m.hidden = c.get<int64_t>("hidden", m.hidden);
    positive(c, "hidden", m.hidden);
    m.heads = c.get<int64_t>("heads", m.heads);
    positive(c, "heads", m.heads);
    c.check(m.hidden % m.heads == 0, "heads",
            "(" + std::to_string(m.heads) + ") must divide hidden (" + std::to_string(m.hidden) +
                "): choose heads so that hidden / heads is a whole number, e.g. " +
                std::to_string(m.hidden >= 64 ? m.hidden / 64 : 1));
    m.ffn = c.get<int64_t>("ffn", m.ffn);
    positive(c, "ffn", m.ffn);
    m.attention_dropout = c.get<double>("attention_dropout", m.attention_dropout);
    probability(c, "attention_dropout", m.attention_dropout);
    m.pooling = c.get_choice("pooling", m.pooling, {"cls", "mean"});
  } else if (m.architecture == "pretrained") {
    read_pretrained(c, m);
  } else {
    m.embedding_dim = c.get<int64_t>("embedding_dim", m.embedding_dim);
    positive(c, "embedding_dim", m.embedding_dim);
    if (m.architecture == "bilstm") {
      m.lstm_hidden = c.get<int64_t>("lstm_hidden", m.lstm_hidden);
      positive(c, "lstm_hidden", m.lstm_hidden);
      m.lstm_layers = c.get<int64_t>("lstm_layers", m.lstm_layers);
      positive(c, "lstm_layers", m.lstm_layers);
    } else {
      m.kernel_sizes = c.get<std::vector<int64_t>>("kernel_sizes", m.kernel_sizes);
      c.check(!m.kernel_sizes.empty(), "kernel_sizes", "must list at least one kernel width, e.g. [2, 3, 4]");
      for (auto k : m.kernel_sizes) c.check(k > 0, "kernel_sizes", "must hold positive widths (got " + std::to_string(k) + ")");
      m.filters = c.get<int64_t>("filters", m.filters);
      positive(c, "filters", m.filters);
    }
  }
  if (c.has("init_from")) {
    Config i = c.child("init_from");
    m.init_from.run = i.require<std::string>("run");
    m.init_from.which = i.get_choice("which", m.init_from.which, {"best", "final"});
    m.init_from.layers = i.get<std::vector<int64_t>>("layers", {});
    for (auto l : m.init_from.layers) i.check(l >= 0, "layers", "must hold teacher layer indices >= 0");
    m.init_from.embeddings = i.get<bool>("embeddings", true);
    if (m.architecture != "bilstm" && m.architecture != "textcnn" && !m.init_from.layers.empty())
      i.check(static_cast<int64_t>(m.init_from.layers.size()) == m.layers, "layers",
              "must name one teacher layer per student layer (" + std::to_string(m.layers) + "), got " +
                  std::to_string(m.init_from.layers.size()));
  }
  return m;
}

int64_t ClassifierImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

int64_t ClassifierImpl::parameter_depth(const std::string& name) const {
  return name.rfind("embeddings.", 0) == 0 ? 0 : 1;
}

int64_t ClassifierImpl::num_non_embedding_parameters() const {
  int64_t n = 0;
  for (const auto& kv : named_parameters())
    if (kv.key().rfind("embeddings.", 0) != 0) n += kv.value().numel();
  return n;
}

Classifier build_model(const ModelConfig& cfg, const DatasetInfo& info) {
  const std::string task = task_name(info.task);
  if (cfg.head != "auto" && cfg.head != task)
    throw UserError("model head '" + cfg.head + "' does not match the dataset's task '" + task +
                    "': use a dataset prepared for " + cfg.head + ", or set model.head to auto or " + task);
  if (info.label_names.empty()) throw UserError("the dataset has no label names: it cannot train a classifier");
  if (info.vocab_size <= 0) throw UserError("the dataset's vocab_size is " + std::to_string(info.vocab_size));
  if (cfg.architecture == "transformer") return std::make_shared<TransformerClassifierImpl>(cfg, info);
  if (cfg.architecture == "bilstm") return std::make_shared<BiLstmClassifierImpl>(cfg, info);
  if (cfg.architecture == "textcnn") return std::make_shared<TextCnnClassifierImpl>(cfg, info);
  if (cfg.architecture == "pretrained") return std::make_shared<PretrainedEncoderClassifierImpl>(cfg, info);
  throw UserError("unknown model architecture '" + cfg.architecture +
                  "' (choose transformer, bilstm, textcnn or pretrained)");
}

}  // namespace zl
