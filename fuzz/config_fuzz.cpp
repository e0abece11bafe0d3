// Fuzz target: the strict YAML config loader (data/config.*) and the dataset config
// on top of it (data/dataset_config.*: every key of `kd data prepare`). The input is
// the YAML file; a line starting with "--set " ends it, and the rest of that line is
// applied as an override (the --set path). Only zl::UserError may come out: a
// YAML::Exception or std::exception escaping is a finding (the mains would print an
// internal error instead of naming the key). The train/model config validation
// (train/train_config.cpp) is not here: it is compiled against LibTorch (trainer.h).
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "dataset_config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  const size_t at = yaml.find("\n--set ");
  if (at != std::string::npos) {  // the rest of that line is the override; what follows it is dropped
    const size_t end = yaml.find('\n', at + 1);
    overrides.push_back(yaml.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7));
    yaml.resize(at + 1);
  }
  // The generic reader: a few typed reads, a section, defaults written back, unknown keys.
  try {
    zl::Config c = zl::Config::from_string(yaml, "fuzz.yaml", overrides);
    (void)c.get<std::string>("name", "x");
    (void)c.get<int64_t>("max_length", 128);
    (void)c.get<double>("lr", 1e-3);
    (void)c.get<bool>("dedup", true);
    zl::Config t = c.child("train");
    (void)t.get<std::vector<std::string>>("labels", {});
    (void)t.get_choice("schedule", "linear", {"linear", "cosine", "constant"});
    (void)c.to_yaml();
    c.check_unknown_keys();
  } catch (const zl::UserError&) {
  }
  // The dataset config, from a file as `kd data prepare --config` reads it.
  const std::string path =
      zl_fuzz::write_input_file(reinterpret_cast<const uint8_t*>(yaml.data()), yaml.size(), ".yaml");
  try {
    (void)zl::load_dataset_config(path, overrides);
  } catch (const zl::UserError&) {
  }
  return 0;
}
