// zl_train_bench: training throughput of the real `kd train` loop (Trainer,
// StepLoader, bf16 autocast on CUDA) on a synthetic prepared dataset whose
// lengths resemble the customer-service data (median ~20 tokens, long tail to
// 128), with samples/s, tokens/s and model FLOP utilisation. Used by
// scripts/gpu_check.sh and for docs/benchmarks-distributed.md.
//
//   zl_train_bench --model configs/models/teacher.yaml --device cuda --batch 256 --steps 60
//   zl_train_bench --matmul      # achieved dense bf16 matmul TFLOP/s (8192^3), the practical peak
//   zl_train_bench --gemm-cpu --threads 2   # LibTorch fp32 matmul GFLOP/s on the CPU (2048^3), for CPU MFU
//   zl_train_bench --dump-batches B.json --data D.h5 --batch 32 --seed 0 --steps 60
//       # the rows of kd train's first optimizer steps (its StepLoader), for scripts/bench_train_torch.py
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "atomic_file.h"
#include "config.h"
#include "error.h"
#include "model.h"
#include "run_training.h"
#include "step_loader.h"
#include "threads.h"

namespace fs = std::filesystem;

namespace {

struct Lengths {
  double mean = 0, mean_sq = 0;
};

// Writes a single-label dataset of `rows` examples; returns the length moments.
Lengths write_dataset(const std::string& path, int64_t rows, int64_t vocab, int64_t labels, uint64_t seed) {
  zl::DatasetInfo info;
  info.task = zl::Task::kSingleLabel;
  for (int64_t l = 0; l < labels; ++l) info.label_names.push_back("label" + std::to_string(l));
  info.vocab_size = vocab;
  info.max_length = 128;
  zl::SplitData s;
  s.name = "train";
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> len_dist(std::log(18.0), 0.55);
  Lengths m;
  for (int64_t i = 0; i < rows; ++i) {
    int64_t n = std::clamp<int64_t>(static_cast<int64_t>(len_dist(rng)), 1, 126) + 2;  // + [CLS] [SEP]
    s.ids.push_back("bench:" + std::to_string(i));
    s.input_ids.push_back(static_cast<int32_t>(info.cls_id));
    for (int64_t t = 0; t < n - 2; ++t) s.input_ids.push_back(static_cast<int32_t>(4 + rng() % (vocab - 4)));
    s.input_ids.push_back(static_cast<int32_t>(info.sep_id));
    s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
    s.labels.push_back(static_cast<int32_t>(rng() % labels));
    s.text.push_back("");
    m.mean += static_cast<double>(n);
    m.mean_sq += static_cast<double>(n * n);
  }
  m.mean /= static_cast<double>(rows);
  m.mean_sq /= static_cast<double>(rows);
  zl::write_dataset_file(path, info, {s}, "");
  return m;
}

double matmul_tflops(const torch::Device& device) {
  const int64_t n = 8192;
  auto opt = torch::TensorOptions().dtype(torch::kBFloat16).device(device);
  auto a = torch::randn({n, n}, opt), b = torch::randn({n, n}, opt);
  for (int i = 0; i < 3; ++i) torch::mm(a, b);
  torch::cuda::synchronize();
  const int reps = 10;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) torch::mm(a, b);
  torch::cuda::synchronize();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * n * reps / s / 1e12;
}

// fp32 C = A B on the CPU with the configured intra-op threads, best of `reps` timed runs.
double cpu_gemm_flops(int64_t n, int reps) {
  auto a = torch::randn({n, n}), b = torch::randn({n, n});
  for (int i = 0; i < 3; ++i) torch::mm(a, b);
  double best = 0;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    torch::mm(a, b);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * static_cast<double>(n * n * n) / s);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zl_train_bench: training throughput and model FLOP utilisation on synthetic data\n\n"
               "example:\n  zl_train_bench --model configs/models/teacher.yaml --device cuda --batch 256 --steps 60"};
  std::string model_path, device_name = "auto", out;
  int64_t batch = 64, steps = 30, rows = 20000, vocab = 8000, labels = 31, threads = 0;
  int nproc = 1;
  double peak = 989.0;
  bool matmul = false, gemm_cpu = false;
  std::string dump_batches, data_path;
  uint64_t seed = 0;
  bool bucket = true;
  int64_t max_length = 128, gemm_size = 2048;
  app.add_option("--model", model_path, "model preset (configs/models/*.yaml)");
  app.add_option("--device", device_name, "auto | cpu | cuda");
  app.add_option("--batch", batch, "global batch size");
  app.add_option("--steps", steps, "optimizer steps (the last third is timed)");
  app.add_option("--rows", rows, "synthetic training examples");
  app.add_option("--vocab", vocab, "vocabulary size");
  app.add_option("--threads", threads, "CPU threads per rank (0 = LibTorch default)");
  app.add_option("--nproc", nproc, "data-parallel ranks on this machine");
  app.add_option("--peak-tflops", peak, "the device's dense bf16 peak for MFU (H100/H200 SXM spec: 989)");
  app.add_option("--out", out, "work directory (default: a temporary one)");
  app.add_flag("--matmul", matmul, "measure an 8192^3 bf16 matmul instead");
  app.add_flag("--gemm-cpu", gemm_cpu, "measure LibTorch's fp32 CPU matmul (--gemm-size^3, --threads) instead");
  app.add_option("--gemm-size", gemm_size, "matrix size for --gemm-cpu");
  app.add_option("--dump-batches", dump_batches, "write the rows of kd train's first --steps steps to this JSON file");
  app.add_option("--data", data_path, "prepared dataset for --dump-batches");
  app.add_option("--seed", seed, "train.seed for --dump-batches");
  app.add_option("--bucket", bucket, "train.bucket for --dump-batches (true/false)");
  app.add_option("--max-length", max_length, "model.max_length for --dump-batches (truncation)");
  CLI11_PARSE(app, argc, argv);
  return zl::run_main("bench", [&]() -> int {
    if (matmul) {
      if (!torch::cuda::is_available()) throw zl::UserError("--matmul needs a CUDA device");
      std::cout << "{\"matmul_bf16_tflops\": " << matmul_tflops(torch::kCUDA) << "}" << std::endl;
      return 0;
    }
    if (gemm_cpu) {
      zl::configure_threads(threads);
      const double f = cpu_gemm_flops(gemm_size, 10);
      std::cout << nlohmann::json{{"matmul_fp32_flops", f}, {"size", gemm_size}, {"threads", zl::thread_settings_json()}}.dump()
                << std::endl;
      return 0;
    }
    if (!dump_batches.empty()) {
      // The Trainer's StepLoader with the Trainer's options (trainer.cpp), one process.
      if (data_path.empty()) throw zl::UserError("--dump-batches needs --data");
      zl::configure_threads(1);
      const zl::DatasetInfo info = zl::read_dataset_info(data_path);
      const zl::SplitData split = zl::read_split(data_path, "train");
      zl::StepLoaderOptions lo;
      lo.sampler.batch_size = batch;
      lo.sampler.bucket = bucket;
      lo.seed = seed;
      lo.max_length = max_length;
      zl::StepLoader loader(split, info, lo);
      nlohmann::json steps_json = nlohmann::json::array();
      int64_t real_tokens = 0;
      for (int64_t s = 0; s < steps; ++s) {
        zl::StepBatches sb = loader.next();
        steps_json.push_back(sb.micro.at(0).rows);
        real_tokens += sb.rank_tokens;
      }
      zl::write_file_atomic(dump_batches, nlohmann::json{{"data", data_path}, {"batch_size", batch}, {"seed", seed},
                                                         {"bucket", bucket}, {"max_length", max_length},
                                                         {"real_tokens", real_tokens}, {"batches", steps_json}}
                                              .dump() + "\n");
      return 0;
    }
    if (model_path.empty()) throw zl::UserError("--model is required (e.g. configs/models/teacher.yaml)");
    const bool is_rank = std::getenv("WORLD_SIZE") != nullptr;
    // Ranks started by --nproc re-run this program: they find the launcher's directory here.
    if (out.empty() && std::getenv("ZL_BENCH_OUT")) out = std::getenv("ZL_BENCH_OUT");
    if (out.empty()) out = (fs::temp_directory_path() / ("zl_bench_" + std::to_string(::getpid()))).string();
    setenv("ZL_BENCH_OUT", out.c_str(), 1);
    fs::create_directories(out);
    const std::string data = out + "/bench.h5";
    Lengths lm;
    if (!is_rank) lm = write_dataset(data, rows, vocab, labels, 1);  // the launcher writes it once
    const std::string cfg = out + "/train.yaml";
    const int64_t window = std::max<int64_t>(1, steps / 3);
    if (!is_rank)
      zl::write_file_atomic(cfg, "train:\n  batch_size: " + std::to_string(batch) + "\n  max_steps: " +
                                     std::to_string(steps) + "\n  log_every: " + std::to_string(window) +
                                     "\n  dev_split: none\n  warmup_steps: 0\n  lr: 1.0e-4\n  progress: lines\n");
    zl::RunRequest req;
    req.data_path = data;
    req.model_path = model_path;
    req.config_path = cfg;
    req.out_dir = out + "/run";
    req.device = device_name;
    req.threads = threads;
    req.nproc = nproc;
    req.command = "bench";
    if (!is_rank) fs::remove_all(req.out_dir);
    int status = zl::run_training(req);
    if (status != 0 || is_rank) return status;
    // The launcher (or the single process) reads rank 0's log: the last window excludes start-up.
    nlohmann::json last;
    std::ifstream m(req.out_dir + "/metrics.jsonl");
    for (std::string line; std::getline(m, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.value("event", "") == "train") last = j;
    }
    if (last.is_null()) throw std::runtime_error("no train event in " + req.out_dir + "/metrics.jsonl");
    auto mc = zl::ModelConfig::from_config(zl::Config::load_file(model_path));
    zl::DatasetInfo info = zl::read_dataset_info(data);
    auto model = zl::build_model(mc, info);
    const double n_params = static_cast<double>(model->num_non_embedding_parameters());
    // Training FLOPs per real token: 6 x non-embedding parameters (forward +
    // backward matmuls) + attention scores and mixing, 12 x layers x hidden x
    // the mean sequence length a token attends over (E[len^2] / E[len]).
    const double attn = mc.architecture == "transformer"
                            ? 12.0 * static_cast<double>(mc.layers * mc.hidden) * lm.mean_sq / lm.mean
                            : 0.0;
    const double flops_per_token = 6.0 * n_params + attn;
    const double tps = last.value("tokens_per_s", 0.0);
    nlohmann::json r = {{"model", model->describe()},
                        {"non_embedding_params", n_params},
                        {"device", device_name},
                        {"ranks", nproc},
                        {"batch", batch},
                        {"mean_tokens", lm.mean},
                        {"samples_per_s", last.value("samples_per_s", 0.0)},
                        {"tokens_per_s", tps},
                        {"train_tflops", tps * flops_per_token / 1e12},
                        {"mfu_vs_peak", tps * flops_per_token / (peak * 1e12)},
                        {"peak_tflops", peak}};
    std::cout << r.dump() << std::endl;
    return 0;
  });
}
