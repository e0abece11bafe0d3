// The gold-label loss of `kd train` (and the hard-label term of distillation).
#include "trainer.h"

namespace zl {

LossParts gold_loss(Task task, const Batch& batch, const torch::Tensor& logits, double label_smoothing) {
  namespace F = torch::nn::functional;
  LossParts out;
  auto lg = logits.to(torch::kFloat32);
  auto zero = [&] { return torch::zeros({}, lg.options()); };
  if (!batch.labels.defined()) {
    out.total = lg.sum() * 0.0;  // keeps the graph; no gold labels in this batch
    out.parts = {{"ce", zero()}};
    return out;
  }
  if (task == Task::kMultiLabel) {
    auto target = batch.labels.to(lg.dtype());
    if (label_smoothing > 0) target = target * (1.0 - label_smoothing) + 0.5 * label_smoothing;
    out.total = F::binary_cross_entropy_with_logits(lg, target);
    out.parts = {{"bce", out.total.detach()}};
    return out;
  }
  auto labelled = batch.labels.ge(0);
  if (lg.is_cuda()) {
    // No host sync (boolean indexing and .any() read the device): every row's loss,
    // masked, over the labelled count. Same value as the indexed mean below.
    auto per_row = F::cross_entropy(lg, batch.labels.clamp_min(0),
                                    F::CrossEntropyFuncOptions().reduction(torch::kNone).label_smoothing(label_smoothing));
    out.total = (per_row * labelled.to(per_row.dtype())).sum() / labelled.sum().clamp_min(1).to(per_row.dtype());
    out.parts = {{"ce", out.total.detach()}};
    return out;
  }
  if (!labelled.any().item<bool>()) {
    out.total = lg.sum() * 0.0;
    out.parts = {{"ce", zero()}};
    return out;
  }
  // Unlabelled rows (-1) are excluded, not counted as zero loss.
  out.total = F::cross_entropy(lg.index({labelled}), batch.labels.index({labelled}),
                               F::CrossEntropyFuncOptions().label_smoothing(label_smoothing));
  out.parts = {{"ce", out.total.detach()}};
  return out;
}

LossFn default_loss(Task task, double label_smoothing) {
  return [task, label_smoothing](const Batch& b, const ModelOutput& o, int64_t) {
    return gold_loss(task, b, o.logits, label_smoothing);
  };
}

}  // namespace zl
