// Model weights and full training checkpoints as LibTorch archives, always written
// to a temporary file beside the target and renamed (never half-written).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>

namespace zl {

// Saves an archive filled by `fill` to `path` atomically.
void save_archive_atomic(const std::string& path, const std::function<void(torch::serialize::OutputArchive&)>& fill);
// Loads an archive; UserError naming the path when it is missing or unreadable.
void load_archive(const std::string& path, torch::serialize::InputArchive& archive);

// Scalar values in archives.
void write_int(torch::serialize::OutputArchive& a, const std::string& key, int64_t v);
void write_double(torch::serialize::OutputArchive& a, const std::string& key, double v);
void write_string(torch::serialize::OutputArchive& a, const std::string& key, const std::string& v);
int64_t read_int(torch::serialize::InputArchive& a, const std::string& key);
double read_double(torch::serialize::InputArchive& a, const std::string& key);
std::string read_string(torch::serialize::InputArchive& a, const std::string& key);

// The config hash a training checkpoint was written for (UserError when unreadable).
std::string checkpoint_config_hash(const std::string& path);

// Random-number generator states (torch CPU generator, and CUDA when present).
void save_rng_state(torch::serialize::OutputArchive& a);
void load_rng_state(torch::serialize::InputArchive& a);

}  // namespace zl
