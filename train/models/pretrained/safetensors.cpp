#include "safetensors.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "error.h"

namespace zl {

namespace {

// Bytes per element of the dtypes a header may name (the format's full list);
// only the float ones can be read as weights, the others are checked for size.
int64_t element_size(const std::string& dtype) {
  static const std::map<std::string, int64_t> sizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
      {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2},  {"U32", 4}, {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? -1 : it->second;
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path_, ec);
  if (ec) throw UserError(path_ + ": cannot read the weights file (" + ec.message() + ")");
  const std::string redo = ": re-download or re-save the checkpoint (save_pretrained writes model.safetensors)";
  if (file_size < 8) throw UserError(path_ + ": truncated safetensors file (" + std::to_string(file_size) + " bytes)" + redo);
  std::ifstream in(path_, std::ios::binary);
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];  // little-endian
  if (!in || header_len > file_size - 8)
    throw UserError(path_ + ": truncated or not a safetensors file (header of " + std::to_string(header_len) +
                    " bytes in a file of " + std::to_string(file_size) + ")" + redo);
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) throw UserError(path_ + ": cannot read the safetensors header" + redo);
  data_start_ = 8 + header_len;
  const uint64_t data_size = file_size - data_start_;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path_ + ": the safetensors header is not valid JSON (" + std::string(e.what()) + ")" + redo);
  }
  if (!j.is_object()) throw UserError(path_ + ": the safetensors header is not a JSON object" + redo);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    SafetensorsEntry e;
    try {
      e.dtype = it.value().at("dtype").get<std::string>();
      e.shape = it.value().at("shape").get<std::vector<int64_t>>();
      auto off = it.value().at("data_offsets").get<std::vector<uint64_t>>();
      if (off.size() != 2) throw UserError("");
      e.begin = off[0];
      e.end = off[1];
    } catch (const std::exception&) {
      throw UserError(path_ + ": tensor '" + it.key() + "' has no valid dtype/shape/data_offsets in the header" + redo);
    }
    const int64_t es = element_size(e.dtype);
    if (es < 0) throw UserError(path_ + ": tensor '" + it.key() + "' has an unknown dtype '" + e.dtype + "'");
    int64_t numel = 1;
    for (auto d : e.shape) {
      if (d < 0) throw UserError(path_ + ": tensor '" + it.key() + "' has a negative dimension");
      numel *= d;
    }
    if (e.end < e.begin || e.end - e.begin != static_cast<uint64_t>(numel * es))
      throw UserError(path_ + ": tensor '" + it.key() + "' has data_offsets that do not match its shape and dtype" + redo);
    if (e.end > data_size)
      throw UserError(path_ + ": truncated safetensors file: tensor '" + it.key() + "' ends at byte " +
                      std::to_string(data_start_ + e.end) + " of a file of " + std::to_string(file_size) + redo);
    entries_.emplace(it.key(), std::move(e));
  }
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw UserError(path_ + ": has no tensor '" + name + "'");
  return it->second;
}

torch::Tensor SafetensorsFile::read_float(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  torch::Dtype dt;
  if (e.dtype == "F32") dt = torch::kFloat32;
  else if (e.dtype == "F16") dt = torch::kFloat16;
  else if (e.dtype == "BF16") dt = torch::kBFloat16;
  else
    throw UserError(path_ + ": tensor '" + name + "' is " + e.dtype +
                    "; weights must be F32, F16 or BF16 (convert the checkpoint with save_pretrained)");
  // The bytes are little-endian like every machine LibTorch supports here.
  auto t = torch::empty(e.shape, torch::TensorOptions().dtype(dt));
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(data_start_ + e.begin));
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
  if (!in) throw UserError(path_ + ": cannot read tensor '" + name + "' (truncated file?)");
  return dt == torch::kFloat32 ? t : t.to(torch::kFloat32);
}

}  // namespace zl
