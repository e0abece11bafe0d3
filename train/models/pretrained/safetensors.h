// A reader of the safetensors format (Hugging Face's weight files): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}
// (plus an optional "__metadata__"), then the raw little-endian tensor bytes.
// Tensors are read one at a time (seek + read), so a 500 MB file never sits in
// memory whole. Every malformed or truncated file is a UserError naming it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zl {

struct SafetensorsEntry {
  std::string dtype;           // F32, F16, BF16, I64, ... as written in the header
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
};

class SafetensorsFile {
 public:
  // Reads and validates the header (not the tensors).
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  const SafetensorsEntry& entry(const std::string& name) const;  // UserError when absent

  // The tensor as float32 (F32/F16/BF16; UserError for other dtypes), on the CPU.
  torch::Tensor read_float(const std::string& name) const;

 private:
  std::string path_;
  uint64_t data_start_ = 0;  // 8 + header length
  std::map<std::string, SafetensorsEntry> entries_;
};

}  // namespace zl
