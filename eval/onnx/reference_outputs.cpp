#include "reference_outputs.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "batch.h"
#include "error.h"
#include "h5_file.h"

namespace zl {

ReferenceOutputs compute_reference(const LoadedRun& run, const std::string& data_path, const std::string& split_name,
                                   int64_t batch_size) {
  const DatasetInfo file_info = read_dataset_info(data_path);
  if (file_info.content_sha256 != run.info.content_sha256)
    throw UserError(data_path + ": this dataset (content " + file_info.content_sha256.substr(0, 12) +
                    ") is not the one the run was trained on (" + run.info.content_sha256.substr(0, 12) +
                    "); pass the run's dataset with --data");
  if (std::find(file_info.split_names.begin(), file_info.split_names.end(), split_name) == file_info.split_names.end())
    throw UserError(data_path + ": has no split '" + split_name + "' to check parity on; choose one with --split");
  const SplitData split = read_split(data_path, split_name);
  if (split.size() == 0) throw UserError(data_path + ": split '" + split_name + "' is empty");

  ReferenceOutputs ref;
  ref.split = split_name;
  ref.num_examples = static_cast<int64_t>(split.size());
  ref.num_labels = static_cast<int64_t>(run.info.label_names.size());
  const int64_t L = ref.num_labels, N = ref.num_examples;
  const Task task = run.info.task;
  ref.logits.assign(static_cast<size_t>(N * L), 0.0f);

  // Per-example truncated tokens, filled in row order after the batched pass.
  std::vector<std::vector<int64_t>> ids(N), types(N);
  auto& model = *run.model;
  model.eval();
  torch::NoGradGuard no_grad;
  for (const auto& rows : eval_batches(split, batch_size)) {
    Batch b = make_batch(split, task, L, run.info.pad_id, rows, model.config().max_length);
    auto logits = model.forward(b).logits.to(torch::kCPU, torch::kFloat32).contiguous();
    auto lengths = b.attention_mask.sum(1);
    for (size_t r = 0; r < rows.size(); ++r) {
      const int64_t row = rows[r], n = lengths[r].item<int64_t>();
      std::copy(logits[r].data_ptr<float>(), logits[r].data_ptr<float>() + L, ref.logits.begin() + row * L);
      auto ids_r = b.input_ids[r].slice(0, 0, n).contiguous();
      ids[row].assign(ids_r.data_ptr<int64_t>(), ids_r.data_ptr<int64_t>() + n);
      if (b.token_type_ids.defined()) {
        auto t = b.token_type_ids[r].slice(0, 0, n).contiguous();
        types[row].assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + n);
      }
    }
  }
  for (int64_t i = 0; i < N; ++i) {
    ref.input_ids.insert(ref.input_ids.end(), ids[i].begin(), ids[i].end());
    ref.token_type_ids.insert(ref.token_type_ids.end(), types[i].begin(), types[i].end());
    ref.offsets.push_back(static_cast<int64_t>(ref.input_ids.size()));
  }

  int64_t correct = 0;
  if (task == Task::kMultiLabel) {
    ref.multi_hot = split.multi_hot;
    if (!ref.multi_hot.empty()) {
      ref.labelled = N;
      for (int64_t i = 0; i < N; ++i) {
        bool all = true;
        for (int64_t c = 0; c < L; ++c) all = all && ((ref.logits[i * L + c] > 0) == (ref.multi_hot[i * L + c] != 0));
        correct += all;
      }
    }
  } else {
    ref.labels = split.labels;
    for (int64_t i = 0; i < N; ++i) {
      if (ref.labels[i] < 0) continue;
      ++ref.labelled;
      const float* row = ref.logits.data() + i * L;
      correct += (std::max_element(row, row + L) - row) == ref.labels[i];
    }
  }
  ref.accuracy = ref.labelled ? static_cast<double>(correct) / static_cast<double>(ref.labelled) : 0.0;
  return ref;
}

LatencyStats summarize_latency(std::vector<double> ms, int64_t threads) {
  LatencyStats s;
  s.runs = static_cast<int64_t>(ms.size());
  s.threads = threads;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  // Nearest-rank percentiles, as numpy.percentile(method="nearest") would give.
  auto pct = [&](double q) {
    auto k = static_cast<size_t>(std::lround(q * static_cast<double>(ms.size() - 1)));
    return ms[std::min(k, ms.size() - 1)];
  };
  s.p50_ms = pct(0.50);
  s.p95_ms = pct(0.95);
  s.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  return s;
}

LatencyStats measure_latency(const LoadedRun& run, const ReferenceOutputs& ref, int64_t runs, int64_t threads) {
  const int prev_threads = torch::get_num_threads();
  torch::set_num_threads(static_cast<int>(threads));
  auto& model = *run.model;
  model.eval();
  torch::NoGradGuard no_grad;
  const int64_t pool = std::min<int64_t>(ref.num_examples, 64);
  std::vector<Batch> batches;
  for (int64_t i = 0; i < pool; ++i) {
    const int64_t a = ref.offsets[i], n = ref.offsets[i + 1] - a;
    Batch b;
    b.input_ids = torch::from_blob(const_cast<int64_t*>(ref.input_ids.data() + a), {1, n}, torch::kInt64).clone();
    b.attention_mask = torch::ones({1, n}, torch::kInt64);
    if (!ref.token_type_ids.empty())
      b.token_type_ids =
          torch::from_blob(const_cast<int64_t*>(ref.token_type_ids.data() + a), {1, n}, torch::kInt64).clone();
    b.rows = {i};
    batches.push_back(std::move(b));
  }
  // Warm-up over every example of the pool (twice): the first pass at a new sequence
  // length is slower (kernel selection), and must not count as latency.
  for (int64_t i = 0; i < 2 * pool; ++i) model.forward(batches[i % pool]);
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(runs));
  for (int64_t i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = model.forward(batches[i % pool]).logits;
    (void)out.data_ptr<float>();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  torch::set_num_threads(prev_threads);
  return summarize_latency(std::move(ms), threads);
}

void write_reference_file(const std::string& path, const ReferenceOutputs& ref, const DatasetInfo& info,
                          const LatencyStats& lat) {
  auto f = h5::File::create(path);
  f.set_attr("/", "format", std::string("zhengliu.onnx_reference"));
  f.set_attr("/", "task", task_name(info.task));
  f.set_attr("/", "split", ref.split);
  f.set_attr("/", "num_labels", ref.num_labels);
  f.set_attr("/", "pad_id", info.pad_id);
  f.set_attr("/", "accuracy", ref.accuracy);
  f.set_attr("/", "labelled", ref.labelled);
  f.set_attr("/", "torch_latency_p50_ms", lat.p50_ms);
  f.set_attr("/", "torch_latency_p95_ms", lat.p95_ms);
  f.set_attr("/", "torch_latency_mean_ms", lat.mean_ms);
  f.set_attr("/", "torch_latency_runs", lat.runs);
  f.set_attr("/", "threads", lat.threads);
  f.write("/input_ids", ref.input_ids);
  f.write("/offsets", ref.offsets);
  if (!ref.token_type_ids.empty()) f.write("/token_type_ids", ref.token_type_ids);
  f.write("/logits", ref.logits,
          {static_cast<hsize_t>(ref.num_examples), static_cast<hsize_t>(ref.num_labels)});
  if (!ref.labels.empty()) f.write("/labels", ref.labels);
  if (!ref.multi_hot.empty())
    f.write("/multi_hot", ref.multi_hot,
            {static_cast<hsize_t>(ref.num_examples), static_cast<hsize_t>(ref.num_labels)});
  f.close();
}

}  // namespace zl
