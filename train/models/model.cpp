#include "model.h"

#include "bilstm.h"
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
}  // namespace

ModelConfig ModelConfig::from_config(const Config& c) {
  ModelConfig m;
  m.architecture = c.get_choice("architecture", m.architecture, {"transformer", "bilstm", "textcnn"});
  m.head = c.get_choice("head", m.head, {"auto", "single_label", "multi_label", "pair"});
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
    if (m.architecture == "transformer" && !m.init_from.layers.empty())
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
  throw UserError("unknown model architecture '" + cfg.architecture + "' (choose transformer, bilstm or textcnn)");
}

}  // namespace zl
