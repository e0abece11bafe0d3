#include "model_cost.h"

#include <algorithm>
#include <chrono>

#include "batch.h"

namespace zl {

ParameterSizes parameter_sizes(ClassifierImpl& model) {
  ParameterSizes s;
  s.params_total = model.num_parameters();
  s.params_non_embedding = model.num_non_embedding_parameters();
  for (const auto& p : model.parameters()) {
    const int64_t n = p.numel();
    s.bytes_fp32 += 4 * n;
    s.bytes_fp16 += 2 * n;
    s.bytes_int8 += p.dim() >= 2 ? n + 4 : 4 * n;
  }
  return s;
}

namespace {

using Clock = std::chrono::steady_clock;

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Batches of real examples: rows taken in file order, wrapping around.
std::vector<Batch> make_batches(const SplitData& split, const DatasetInfo& info, int64_t max_length,
                                int64_t batch, int64_t count, const torch::Device& device) {
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  const int64_t n = static_cast<int64_t>(split.size());
  std::vector<Batch> out;
  int64_t next = 0;
  for (int64_t k = 0; k < count; ++k) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < batch; ++i) rows.push_back((next++) % n);
    out.push_back(make_batch(split, info.task, L, info.pad_id, rows, max_length).to(device));
  }
  return out;
}

double timed_throughput(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                        const torch::Device& device, const SpeedOptions& opt) {
  auto batches = make_batches(split, info, model.config().max_length, opt.throughput_batch,
                              opt.throughput_batches + 2, device);
  torch::InferenceMode guard;
  for (int k = 0; k < 2; ++k) model.forward(batches[static_cast<size_t>(k)]);
  sync(device);
  auto t0 = Clock::now();
  for (int64_t k = 2; k < opt.throughput_batches + 2; ++k) model.forward(batches[static_cast<size_t>(k)]);
  sync(device);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(opt.throughput_batches * opt.throughput_batch) / s;
}

}  // namespace

double measure_cpu_throughput(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                              int64_t threads, const SpeedOptions& opt) {
  const int previous = torch::get_num_threads();
  torch::set_num_threads(static_cast<int>(threads));
  double tp = timed_throughput(model, split, info, torch::kCPU, opt);
  torch::set_num_threads(previous);
  return tp;
}

metrics::DeviceCost measure_speed(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                                  const torch::Device& device, const SpeedOptions& opt) {
  model.eval();
  model.to(device);
  const int previous = torch::get_num_threads();
  if (device.is_cpu()) torch::set_num_threads(1);
  metrics::DeviceCost c;
  c.device = device.is_cpu() ? "cpu" : device.str();
  c.threads = device.is_cpu() ? 1 : 0;
  c.warmup_runs = opt.warmup_runs;
  c.runs = opt.runs;
  c.throughput_batch = opt.throughput_batch;
  {
    auto singles = make_batches(split, info, model.config().max_length, 1, opt.warmup_runs + opt.runs, device);
    torch::InferenceMode guard;
    for (int64_t k = 0; k < opt.warmup_runs; ++k) model.forward(singles[static_cast<size_t>(k)]);
    sync(device);
    std::vector<double> ms;
    ms.reserve(static_cast<size_t>(opt.runs));
    for (int64_t k = opt.warmup_runs; k < opt.warmup_runs + opt.runs; ++k) {
      auto t0 = Clock::now();
      auto out = model.forward(singles[static_cast<size_t>(k)]);
      sync(device);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    c.p50_ms = metrics::percentile(ms, 50);
    c.p95_ms = metrics::percentile(ms, 95);
    c.p99_ms = metrics::percentile(ms, 99);
  }
  c.throughput_per_s = timed_throughput(model, split, info, device, opt);
  if (device.is_cpu()) torch::set_num_threads(previous);
  model.to(torch::kCPU);
  return c;
}

}  // namespace zl
