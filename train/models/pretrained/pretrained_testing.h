// Tests only: tiny Hugging Face checkpoint directories written from C++ (a
// config.json and a model.safetensors of random tensors named like transformers'
// BertModel / XLMRobertaModel), and synthetic datasets that look prepared with
// their tokenizer (vocab_map + pretrained_tokenizer record). The parity test uses
// checkpoints made by transformers itself instead (make_tiny_checkpoints.py).
#pragma once

// Substring check with the whole text in the failure message.
#define EXPECT_CONTAINS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "synthetic_data_testing.h"

namespace zl::testing {

// The message of the UserError that f throws ("(no error)" when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// Writes tensors (F32, F16 or BF16 by their dtype; I64 too) in the safetensors layout.
inline void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, t0] : tensors) {
    auto t = t0.contiguous();
    std::string dtype = t.scalar_type() == torch::kFloat32    ? "F32"
                        : t.scalar_type() == torch::kFloat16  ? "F16"
                        : t.scalar_type() == torch::kBFloat16 ? "BF16"
                        : t.scalar_type() == torch::kLong     ? "I64"
                                                              : "?";
    const size_t begin = data.size();
    data.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel() * t.element_size()));
    header[name] = {{"dtype", dtype}, {"shape", t.sizes().vec()}, {"data_offsets", {begin, data.size()}}};
  }
  std::string h = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  write_file_atomic(path, out + h + data);
}

struct TinyCheckpoint {
  std::string model_type = "bert";  // bert | xlm-roberta
  int64_t layers = 2, hidden = 16, heads = 2, ffn = 32, vocab = 60, max_positions = 64;
  int64_t type_vocab = 2, pad = 0;
  std::string prefix = "bert.";
  bool pooler = true;
  uint64_t seed = 7;
};

inline TinyCheckpoint tiny_xlmr() {
  TinyCheckpoint c;
  c.model_type = "xlm-roberta";
  c.type_vocab = 1;
  c.pad = 1;
  c.max_positions = 66;
  c.prefix = "roberta.";
  c.pooler = false;
  return c;
}

// The encoder's tensors (names without prefix), random but reproducible.
inline std::vector<std::pair<std::string, torch::Tensor>> tiny_tensors(const TinyCheckpoint& c) {
  torch::manual_seed(c.seed);
  std::vector<std::pair<std::string, torch::Tensor>> t;
  auto w = [&](const std::string& n, std::vector<int64_t> shape) { t.emplace_back(n, torch::randn(shape) * 0.2); };
  auto ln = [&](const std::string& n) {
    t.emplace_back(n + ".weight", 1.0 + torch::randn({c.hidden}) * 0.1);
    t.emplace_back(n + ".bias", torch::randn({c.hidden}) * 0.1);
  };
  auto lin = [&](const std::string& n, int64_t out, int64_t in) {
    w(n + ".weight", {out, in});
    w(n + ".bias", {out});
  };
  w("embeddings.word_embeddings.weight", {c.vocab, c.hidden});
  w("embeddings.position_embeddings.weight", {c.max_positions, c.hidden});
  w("embeddings.token_type_embeddings.weight", {c.type_vocab, c.hidden});
  ln("embeddings.LayerNorm");
  for (int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (auto q : {"query", "key", "value"}) lin(p + "attention.self." + q, c.hidden, c.hidden);
    lin(p + "attention.output.dense", c.hidden, c.hidden);
    ln(p + "attention.output.LayerNorm");
    lin(p + "intermediate.dense", c.ffn, c.hidden);
    lin(p + "output.dense", c.hidden, c.ffn);
    ln(p + "output.LayerNorm");
  }
  if (c.pooler) lin("pooler.dense", c.hidden, c.hidden);
  return t;
}

inline nlohmann::json tiny_config_json(const TinyCheckpoint& c) {
  return {{"model_type", c.model_type},
          {"architectures", {c.model_type == "bert" ? "BertModel" : "XLMRobertaModel"}},
          {"vocab_size", c.vocab},
          {"hidden_size", c.hidden},
          {"num_hidden_layers", c.layers},
          {"num_attention_heads", c.heads},
          {"intermediate_size", c.ffn},
          {"hidden_act", "gelu"},
          {"max_position_embeddings", c.max_positions},
          {"type_vocab_size", c.type_vocab},
          {"layer_norm_eps", 1e-12},
          {"pad_token_id", c.pad},
          {"hidden_dropout_prob", 0.1},
          {"attention_probs_dropout_prob", 0.1},
          {"position_embedding_type", "absolute"}};
}

// DIR/config.json + DIR/model.safetensors (with the prefix, plus tensors a
// checkpoint may carry that the encoder does not use).
inline std::string write_tiny_checkpoint(const std::string& dir, const TinyCheckpoint& c = {}) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/config.json", tiny_config_json(c).dump(2));
  auto tensors = tiny_tensors(c);
  for (auto& kv : tensors) kv.first = c.prefix + kv.first;
  tensors.emplace_back(c.prefix + "embeddings.position_ids", torch::arange(c.max_positions).unsqueeze(0));
  tensors.emplace_back("cls.predictions.bias", torch::zeros({c.vocab}));
  write_safetensors(dir + "/model.safetensors", tensors);
  return dir;
}

// A synthetic dataset (synthetic_data_testing.h) made to look prepared with the
// checkpoint's tokenizer: special ids 0-3 map to the checkpoint's pad/unk/cls/sep
// rows, ids from 4 on to rows 4.., except the last `added` ids (placeholders, -1).
inline std::string write_pretrained_dataset(const std::string& dir, const std::string& name, const TinyCheckpoint& c,
                                            SyntheticOptions o = {}, int64_t added = 2) {
  const std::string plain = write_synthetic_dataset(dir, name + "-plain", o);
  DatasetInfo info = read_dataset_info(plain);
  std::vector<SplitData> splits;
  for (const auto& s : info.split_names) splits.push_back(read_split(plain, s, true));
  const bool bert = c.model_type == "bert";
  // bert: [PAD]0 [UNK]1 [CLS]2 [SEP]3 like the synthetic ids; xlm-r: <s>0 <pad>1 </s>2 <unk>3.
  const std::vector<int32_t> specials = bert ? std::vector<int32_t>{0, 1, 2, 3} : std::vector<int32_t>{1, 3, 0, 2};
  info.vocab_map.clear();
  for (int64_t i = 0; i < info.vocab_size; ++i)
    info.vocab_map.push_back(i < 4 ? specials[static_cast<size_t>(i)]
                                   : (i >= info.vocab_size - added ? -1 : static_cast<int32_t>(i)));
  info.pretrained_json = nlohmann::json{{"dir", "/somewhere/else"},
                                        {"family", bert ? "bert" : "xlm-roberta"},
                                        {"kind", bert ? "wordpiece" : "sentencepiece"},
                                        {"base_vocab_size", c.vocab},
                                        {"added", {"<PHONE>", "<ORDER>"}},
                                        {"pruned", false}}
                             .dump();
  const std::string path = dir + "/" + name + ".h5";
  write_dataset_file(path, info, splits, "synthetic-tokenizer-bytes");
  return path;
}

}  // namespace zl::testing
