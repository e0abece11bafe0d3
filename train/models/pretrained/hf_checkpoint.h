// A Hugging Face checkpoint directory as users have it: config.json and the weights
// in model.safetensors, a sharded model.safetensors.index.json, or a torch.save
// pytorch_model.bin. Tensors are looked up by their name without the encoder's
// prefix ("bert.", "roberta.", "" ...): the prefix is found from the key that ends
// in embeddings.word_embeddings.weight, whatever head class saved the model.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hf_config.h"

namespace zl {

class SafetensorsFile;

class HfCheckpoint {
 public:
  // Opens DIR's weights (header only for safetensors; a .bin file is read whole).
  explicit HfCheckpoint(const std::string& dir);
  ~HfCheckpoint();

  const std::string& dir() const { return dir_; }
  const std::string& weights_file() const { return weights_file_; }  // file name inside dir
  std::string weights_path() const { return dir_ + "/" + weights_file_; }
  const std::string& prefix() const { return prefix_; }
  // `name` is relative to the encoder ("embeddings.word_embeddings.weight").
  bool has(const std::string& name) const;
  std::vector<int64_t> shape(const std::string& name) const;  // UserError when absent
  torch::Tensor tensor(const std::string& name) const;        // float32, CPU; UserError when absent
  // SHA-256 of the weights: the file's, or for a sharded checkpoint of the lines
  // "<shard> <sha256>" of every shard in name order.
  std::string weights_sha256() const;

 private:
  std::string full_name(const std::string& name) const;
  [[noreturn]] void missing(const std::string& name) const;
  std::string dir_, weights_file_, prefix_;
  std::vector<std::string> names_;  // every tensor name as stored
  std::map<std::string, std::shared_ptr<SafetensorsFile>> shard_of_;  // safetensors: name -> file
  std::map<std::string, torch::Tensor> bin_;                         // pytorch_model.bin: name -> tensor
};

// Reads DIR/config.json and the weight names: the stored form of the checkpoint
// (model.checkpoint_config) with prefix, pooler presence and config hash filled in.
HfEncoderConfig inspect_checkpoint(const std::string& dir);

}  // namespace zl
