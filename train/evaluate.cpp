// Dev evaluation during training: gold loss, accuracy and macro-F1 over labelled rows.
#include <vector>

#include "autocast.h"
#include "trainer.h"

namespace zl {

namespace {

// Macro-F1 over the classes that occur in the gold labels or the predictions
// (scikit-learn's convention for labels=None).
double macro_f1(const std::vector<int64_t>& tp, const std::vector<int64_t>& fp, const std::vector<int64_t>& fn) {
  double sum = 0;
  int64_t n = 0;
  for (size_t c = 0; c < tp.size(); ++c) {
    if (tp[c] + fp[c] + fn[c] == 0) continue;
    sum += 2.0 * static_cast<double>(tp[c]) / static_cast<double>(2 * tp[c] + fp[c] + fn[c]);
    ++n;
  }
  return n ? sum / static_cast<double>(n) : 0.0;
}

}  // namespace

DevMetrics evaluate(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info, int64_t batch_size,
                    const torch::Device& device, bool autocast_bf16, torch::Tensor* logits_out) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  const int64_t N = static_cast<int64_t>(split.size());
  auto all_logits = torch::zeros({N, L}, torch::kFloat32);
  for (const auto& rows : eval_batches(split, batch_size)) {
    Batch b = make_batch(split, info.task, L, info.pad_id, rows, model.config().max_length).to(device);
    torch::Tensor lg;
    {
      AutocastGuard ac(device, autocast_bf16);
      lg = model.forward(b).logits;
    }
    all_logits.index_put_({torch::tensor(rows)}, lg.to(torch::kCPU, torch::kFloat32));
  }
  model.train(was_training);

  DevMetrics m;
  std::vector<int64_t> tp(static_cast<size_t>(L)), fp(static_cast<size_t>(L)), fn(static_cast<size_t>(L));
  if (info.task == Task::kMultiLabel) {
    if (!split.multi_hot.empty()) {
      auto target = torch::from_blob(const_cast<uint8_t*>(split.multi_hot.data()), {N, L}, torch::kUInt8).to(torch::kFloat32);
      m.loss = torch::nn::functional::binary_cross_entropy_with_logits(all_logits, target).item<double>();
      auto pred = all_logits.gt(0);
      auto gold = target.gt(0.5);
      m.accuracy = pred.eq(gold).all(1).to(torch::kFloat64).mean().item<double>();
      for (int64_t c = 0; c < L; ++c) {
        auto p = pred.select(1, c), g = gold.select(1, c);
        tp[c] = (p & g).sum().item<int64_t>();
        fp[c] = (p & g.logical_not()).sum().item<int64_t>();
        fn[c] = (p.logical_not() & g).sum().item<int64_t>();
      }
      m.macro_f1 = macro_f1(tp, fp, fn);
      m.examples = N;
    }
  } else {
    std::vector<int64_t> labelled;
    for (int64_t i = 0; i < N && !split.labels.empty(); ++i)
      if (split.labels[static_cast<size_t>(i)] >= 0) labelled.push_back(i);
    if (!labelled.empty()) {
      auto idx = torch::tensor(labelled);
      auto lg = all_logits.index_select(0, idx);
      std::vector<int64_t> gold_v;
      for (auto i : labelled) gold_v.push_back(split.labels[static_cast<size_t>(i)]);
      auto gold = torch::tensor(gold_v);
      m.loss = torch::nn::functional::cross_entropy(lg, gold).item<double>();
      auto pred = lg.argmax(1);
      m.accuracy = pred.eq(gold).to(torch::kFloat64).mean().item<double>();
      auto pa = pred.accessor<int64_t, 1>();
      for (size_t i = 0; i < gold_v.size(); ++i) {
        int64_t p = pa[static_cast<int64_t>(i)], g = gold_v[i];
        if (p == g) ++tp[g];
        else {
          ++fp[p];
          ++fn[g];
        }
      }
      m.macro_f1 = macro_f1(tp, fp, fn);
      m.examples = static_cast<int64_t>(labelled.size());
    }
  }
  if (logits_out) *logits_out = all_logits;
  return m;
}

}  // namespace zl
