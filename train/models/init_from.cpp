// Student initialisation from another run's weights (DistilBERT: a student takes
// every other teacher layer). Only tensors whose shapes match are copied; what is
// copied is printed, and asking for layers that cannot fit is an error.
#include <iostream>
#include <regex>

#include "model.h"
#include "run_dir.h"

namespace zl {

void init_from_run(ClassifierImpl& model, const ModelConfig& cfg, const DatasetInfo& info) {
  const InitFrom& init = cfg.init_from;
  if (init.run.empty()) return;
  LoadedRun t = load_run(init.run, init.which);
  if (t.model_config.architecture != cfg.architecture)
    throw UserError("model.init_from.run " + init.run + " holds a " + t.model_config.architecture +
                    " model; this model is a " + cfg.architecture + ": remove init_from or pick a run of the same architecture");
  if (t.info.tokenizer_sha256 != info.tokenizer_sha256 || t.info.vocab_size != info.vocab_size)
    throw UserError("model.init_from.run " + init.run +
                    " was trained with another tokenizer (vocabulary) than this dataset: embeddings would not line up");
  // Models with numbered encoder layers: transformer (layers.N.) and pretrained (encoder.layer.N.).
  const bool layered = cfg.architecture == "transformer" || cfg.architecture == "pretrained";
  std::vector<int64_t> layers = init.layers;
  if (layered && layers.empty()) {
    // Evenly spaced teacher layers: L6 -> L3 takes 0,2,4 (DistilBERT's every other layer).
    const int64_t tl = t.model_config.layers;
    for (int64_t i = 0; i < cfg.layers; ++i) layers.push_back(i * tl / cfg.layers);
  }
  for (auto l : layers)
    if (l >= t.model_config.layers)
      throw UserError("model.init_from.layers names teacher layer " + std::to_string(l) + " but " + init.run +
                      " has " + std::to_string(t.model_config.layers) + " layers (0.." +
                      std::to_string(t.model_config.layers - 1) + ")");
  if (layered && !init.layers.empty() && t.model_config.hidden != cfg.hidden)
    throw UserError("model.init_from.layers: teacher hidden size " + std::to_string(t.model_config.hidden) +
                    " differs from the student's " + std::to_string(cfg.hidden) +
                    ": layers can only be copied between equal widths (drop init_from.layers or match hidden/ffn)");
  auto src = t.model->named_parameters();
  auto dst = model.named_parameters();
  int64_t copied = 0, skipped = 0;
  torch::NoGradGuard g;
  static const std::regex layer_re("^(layers|encoder\\.layer)\\.([0-9]+)\\.(.*)$");
  for (auto& kv : dst) {
    std::string name = kv.key();
    std::string from = name;
    std::smatch m;
    if (std::regex_match(name, m, layer_re)) {
      size_t i = std::stoul(m[2].str());
      if (i >= layers.size()) continue;
      from = m[1].str() + "." + std::to_string(layers[i]) + "." + m[3].str();
    } else if (name.rfind("embeddings.", 0) == 0 && !init.embeddings) {
      continue;
    }
    const torch::Tensor* s = src.find(from);
    if (!s || s->sizes() != kv.value().sizes()) {
      ++skipped;
      continue;
    }
    kv.value().copy_(*s);
    ++copied;
  }
  std::cerr << "init_from " << init.run << " (" << init.which << "): copied " << copied << " tensors, " << skipped
            << " kept their random initialisation (shapes differ)";
  if (!layers.empty()) {
    std::cerr << "; student layer <- teacher layer:";
    for (size_t i = 0; i < layers.size(); ++i) std::cerr << " " << i << "<-" << layers[i];
  }
  std::cerr << std::endl;
  if (copied == 0)
    throw UserError("model.init_from.run " + init.run + ": no tensor has a matching shape; nothing to initialise from");
}

}  // namespace zl
