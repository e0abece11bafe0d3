// Tests only: a small end-to-end training request on a synthetic dataset.
#pragma once

#include <string>
#include <vector>

#include "atomic_file.h"
#include "run_training.h"
#include "synthetic_data_testing.h"

namespace zl::testing {

struct SmallRun {
  std::string dir, data, model, config;
  RunRequest request(const std::string& out, std::vector<std::string> overrides = {}) const {
    RunRequest r;
    r.data_path = data;
    r.model_path = model;
    r.config_path = config;
    r.out_dir = dir + "/" + out;
    r.overrides = std::move(overrides);
    r.device = "cpu";
    return r;
  }
};

inline SmallRun small_run(const std::string& tag, const std::string& model_yaml =
                                                      "architecture: transformer\nlayers: 2\nhidden: 32\nheads: 4\n"
                                                      "ffn: 64\nmax_length: 32\ndropout: 0.2\n") {
  SmallRun s;
  s.dir = make_temp_dir(tag);
  SyntheticOptions o;
  o.train = 120;
  o.dev = 40;
  s.data = write_synthetic_dataset(s.dir, "data", o);
  s.model = s.dir + "/model.yaml";
  s.config = s.dir + "/train.yaml";
  write_file_atomic(s.model, model_yaml);
  write_file_atomic(s.config,
                    "train:\n  seed: 3\n  threads: 1\n  batch_size: 16\n  max_steps: 12\n  eval_every: 5\n  lr: 2.0e-3\n"
                    "  grad_accum: 2\n  log_every: 100\n  progress: lines\n  warmup_steps: 3\n");
  return s;
}

}  // namespace zl::testing
