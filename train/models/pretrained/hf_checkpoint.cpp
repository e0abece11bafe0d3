#include "hf_checkpoint.h"

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "atomic_file.h"
#include "checksum.h"
#include "error.h"
#include "safetensors.h"

namespace zl {

namespace {

const char* kConvert =
    "convert it with transformers: AutoModel.from_pretrained(DIR).save_pretrained(DIR) writes model.safetensors";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// pytorch_model.bin: LibTorch's unpickler reads a torch.save zip file (torch >= 1.6)
// holding a plain dict of tensors, which is what transformers' save_pretrained
// (safe_serialization=False) writes. It cannot read torch.save(model.state_dict())
// (an OrderedDict, which it turns into None) nor the pre-1.6 format: those are refused.
std::map<std::string, torch::Tensor> read_bin(const std::string& path) {
  const std::string bytes = read_file(path);
  std::vector<char> data(bytes.begin(), bytes.end());
  c10::IValue v;
  std::string why;
  try {
    v = torch::pickle_load(data);
  } catch (const std::exception& e) {
    const auto* ce = dynamic_cast<const c10::Error*>(&e);
    why = std::string(ce ? ce->what_without_backtrace() : e.what()).substr(0, 200);
  }
  if (why.find("got None") != std::string::npos || (why.empty() && v.isNone()))
    why = "it holds an OrderedDict (torch.save(model.state_dict())), which LibTorch's unpickler cannot read";
  if (!why.empty()) throw UserError(path + ": cannot read this torch.save file (" + why + "): " + kConvert);
  if (!v.isGenericDict()) throw UserError(path + ": not a state dict (a mapping of names to tensors): " + kConvert);
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : v.toGenericDict()) {
    if (!kv.key().isString() || !kv.value().isTensor())
      throw UserError(path + ": holds something other than named tensors: " + kConvert);
    out.emplace(kv.key().toStringRef(), kv.value().toTensor());
  }
  return out;
}

}  // namespace

HfCheckpoint::HfCheckpoint(const std::string& dir) : dir_(dir) {
  if (!std::filesystem::is_directory(dir_))
    throw UserError("model.checkpoint " + dir_ + " is not a directory: give a Hugging Face checkpoint directory "
                    "(config.json + model.safetensors)");
  if (file_exists(dir_ + "/model.safetensors")) {
    weights_file_ = "model.safetensors";
    auto f = std::make_shared<SafetensorsFile>(weights_path());
    for (const auto& kv : f->entries()) shard_of_[kv.first] = f;
  } else if (file_exists(dir_ + "/model.safetensors.index.json")) {
    weights_file_ = "model.safetensors.index.json";
    nlohmann::json idx;
    try {
      idx = nlohmann::json::parse(read_file(weights_path())).at("weight_map");
    } catch (const nlohmann::json::exception& e) {
      throw UserError(weights_path() + ": not a safetensors index (no weight_map: " + std::string(e.what()) + ")");
    }
    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
    for (auto it = idx.begin(); it != idx.end(); ++it) {
      const std::string shard = it.value().get<std::string>();
      if (!shards.count(shard)) {
        if (!file_exists(dir_ + "/" + shard))
          throw UserError(weights_path() + " names the shard " + shard + ", which is missing from " + dir_);
        shards[shard] = std::make_shared<SafetensorsFile>(dir_ + "/" + shard);
      }
      if (!shards[shard]->has(it.key()))
        throw UserError(weights_path() + " puts tensor '" + it.key() + "' in " + shard + ", which does not hold it");
      shard_of_[it.key()] = shards[shard];
    }
  } else if (file_exists(dir_ + "/pytorch_model.bin")) {
    weights_file_ = "pytorch_model.bin";
    bin_ = read_bin(weights_path());
  } else {
    throw UserError(dir_ + " has no weights: expected model.safetensors (or model.safetensors.index.json, or "
                    "pytorch_model.bin) next to config.json");
  }
  for (const auto& kv : shard_of_) names_.push_back(kv.first);
  for (const auto& kv : bin_) names_.push_back(kv.first);
  static const std::string kAnchor = "embeddings.word_embeddings.weight";
  std::set<std::string> prefixes;
  for (const auto& n : names_)
    if (ends_with(n, kAnchor)) prefixes.insert(n.substr(0, n.size() - kAnchor.size()));
  if (prefixes.empty())
    throw UserError(weights_path() + " has no tensor named ...embeddings.word_embeddings.weight: not the weights "
                    "of a BERT/XLM-R encoder");
  if (prefixes.size() > 1) {
    std::string all;
    for (const auto& p : prefixes) all += (all.empty() ? "'" : ", '") + p + "'";
    throw UserError(weights_path() + " holds several encoders (name prefixes " + all +
                    "): save the one to use alone with save_pretrained");
  }
  prefix_ = *prefixes.begin();
  if (!prefix_.empty() && prefix_.back() != '.')
    throw UserError(weights_path() + ": unexpected tensor name " + prefix_ + kAnchor);
}

HfCheckpoint::~HfCheckpoint() = default;

std::string HfCheckpoint::full_name(const std::string& name) const {
  const std::string n = prefix_ + name;
  auto stored = [&](const std::string& k) { return shard_of_.count(k) > 0 || bin_.count(k) > 0; };
  if (stored(n)) return n;
  // Checkpoints converted from the original TensorFlow BERT name LayerNorm's
  // parameters gamma and beta (transformers renames them when it loads).
  if (ends_with(n, "LayerNorm.weight") && stored(n.substr(0, n.size() - 6) + "gamma")) return n.substr(0, n.size() - 6) + "gamma";
  if (ends_with(n, "LayerNorm.bias") && stored(n.substr(0, n.size() - 4) + "beta")) return n.substr(0, n.size() - 4) + "beta";
  return "";
}

bool HfCheckpoint::has(const std::string& name) const { return !full_name(name).empty(); }

void HfCheckpoint::missing(const std::string& name) const {
  throw UserError(weights_path() + " has no tensor '" + prefix_ + name +
                  "': the checkpoint is incomplete or not a BERT/XLM-R encoder of the shape config.json describes");
}

std::vector<int64_t> HfCheckpoint::shape(const std::string& name) const {
  const std::string n = full_name(name);
  if (n.empty()) missing(name);
  if (auto it = shard_of_.find(n); it != shard_of_.end()) return it->second->entry(n).shape;
  return bin_.at(n).sizes().vec();
}

torch::Tensor HfCheckpoint::tensor(const std::string& name) const {
  const std::string n = full_name(name);
  if (n.empty()) missing(name);
  if (auto it = shard_of_.find(n); it != shard_of_.end()) return it->second->read_float(n);
  const torch::Tensor& t = bin_.at(n);
  if (!t.is_floating_point())
    throw UserError(weights_path() + ": tensor '" + n + "' is not floating point");
  return t.to(torch::kFloat32).contiguous();
}

std::string HfCheckpoint::weights_sha256() const {
  if (weights_file_ != "model.safetensors.index.json") return sha256_file(weights_path());
  std::set<std::string> files;
  for (const auto& kv : shard_of_) files.insert(kv.second->path());
  std::string lines;
  for (const auto& f : files) lines += std::filesystem::path(f).filename().string() + " " + sha256_file(f) + "\n";
  return sha256_hex(lines);
}

HfEncoderConfig inspect_checkpoint(const std::string& dir) {
  const std::string cfg_path = dir + "/config.json";
  if (!std::filesystem::is_directory(dir))
    throw UserError("model.checkpoint " + dir + " is not a directory: give a Hugging Face checkpoint directory "
                    "(config.json + model.safetensors)");
  if (!file_exists(cfg_path))
    throw UserError(dir + " has no config.json: not a Hugging Face checkpoint directory (save the model with "
                    "save_pretrained, which writes config.json and model.safetensors)");
  const std::string text = read_file(cfg_path);
  HfEncoderConfig h = HfEncoderConfig::from_json(text, cfg_path);
  h.dir = dir;
  h.config_sha256 = sha256_hex(text);
  if (!nlohmann::json::parse(text).contains("tokenizer_class") && file_exists(dir + "/tokenizer_config.json")) {
    try {
      h.set_tokenizer_family(nlohmann::json::parse(read_file(dir + "/tokenizer_config.json")).value("tokenizer_class", ""));
    } catch (const nlohmann::json::exception&) {
      // An unreadable tokenizer_config.json leaves the family model_type gives.
    }
  }
  HfCheckpoint ck(dir);
  h.weights_file = ck.weights_file();
  h.prefix = ck.prefix();
  h.has_pooler = ck.has("pooler.dense.weight");
  return h;
}

}  // namespace zl
