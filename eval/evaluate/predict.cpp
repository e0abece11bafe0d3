#include "predict.h"

#include <algorithm>
#include <numeric>

#include "batch.h"

namespace zl {

torch::Tensor predict_logits(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                             const std::vector<int64_t>& rows, const torch::Device& device, int64_t batch_size) {
  model.eval();
  torch::NoGradGuard no_grad;
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  const int64_t n = static_cast<int64_t>(rows.size());
  auto out = torch::zeros({n, L}, torch::kFloat32);
  // Bucket: positions in `rows` sorted by length, then cut into batches.
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return split.length(static_cast<size_t>(rows[static_cast<size_t>(a)])) <
           split.length(static_cast<size_t>(rows[static_cast<size_t>(b)]));
  });
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    std::vector<int64_t> batch_rows, positions;
    for (int64_t k = start; k < end; ++k) {
      positions.push_back(order[static_cast<size_t>(k)]);
      batch_rows.push_back(rows[static_cast<size_t>(order[static_cast<size_t>(k)])]);
    }
    Batch b = make_batch(split, info.task, L, info.pad_id, batch_rows, model.config().max_length).to(device);
    torch::Tensor lg = model.forward(b).logits.to(torch::kCPU, torch::kFloat32);
    out.index_put_({torch::tensor(positions)}, lg);
  }
  return out;
}

std::vector<double> probabilities(const torch::Tensor& logits, Task task) {
  torch::Tensor p = task == Task::kMultiLabel ? torch::sigmoid(logits) : torch::softmax(logits, 1);
  p = p.to(torch::kFloat64).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

}  // namespace zl
