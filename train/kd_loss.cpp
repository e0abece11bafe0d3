#include "kd_loss.h"

#include <algorithm>

#include "error.h"

namespace zl {

namespace F = torch::nn::functional;

SoftLoss parse_soft_loss(const std::string& name, const std::string& context) {
  if (name == "kl") return SoftLoss::kKL;
  if (name == "mse") return SoftLoss::kMSE;
  throw UserError(context + ": distill.loss is '" + name + "'; expected kl or mse");
}

double linear_schedule(double start, double end, int64_t step, int64_t total_steps) {
  if (total_steps <= 1) return end;
  double f = std::clamp(static_cast<double>(step) / static_cast<double>(total_steps - 1), 0.0, 1.0);
  return start + (end - start) * f;
}

namespace {
std::vector<double> normalised(const std::vector<double>& w, size_t n) {
  if (w.empty()) return std::vector<double>(n, 1.0 / static_cast<double>(n));
  if (w.size() != n) throw std::invalid_argument("kd_loss: teacher_weights does not match teacher_logits");
  double sum = 0;
  for (double x : w) sum += x;
  if (!(sum > 0)) throw std::invalid_argument("kd_loss: teacher weights must sum to a positive number");
  std::vector<double> out;
  for (double x : w) out.push_back(x / sum);
  return out;
}
}  // namespace

torch::Tensor teacher_probabilities(const std::vector<torch::Tensor>& teacher_logits,
                                    const std::vector<double>& weights, double temperature, bool multi_label) {
  auto w = normalised(weights, teacher_logits.size());
  torch::Tensor p;
  for (size_t j = 0; j < teacher_logits.size(); ++j) {
    torch::Tensor z = teacher_logits[j].to(torch::kFloat) / temperature;
    torch::Tensor pj = (multi_label ? torch::sigmoid(z) : torch::softmax(z, -1)) * w[j];
    p = p.defined() ? p + pj : pj;
  }
  return p;
}

KdLossTerms kd_loss_terms(const KdLossInput& in, const KdLossOptions& opt) {
  TORCH_CHECK(!in.teacher_logits.empty(), "kd_loss: no teacher logits");
  const double T = opt.temperature;
  torch::Tensor s = in.student_logits.to(torch::kFloat);
  const int64_t B = s.size(0);

  // Soft term per row.
  torch::Tensor soft;
  if (opt.soft == SoftLoss::kMSE) {
    auto w = normalised(in.teacher_weights, in.teacher_logits.size());
    torch::Tensor t;
    for (size_t j = 0; j < in.teacher_logits.size(); ++j) {
      torch::Tensor tj = in.teacher_logits[j].to(torch::kFloat) * w[j];
      t = t.defined() ? t + tj : tj;
    }
    soft = (s - t).pow(2).mean(-1);
  } else {
    torch::Tensor p = teacher_probabilities(in.teacher_logits, in.teacher_weights, T, in.multi_label).detach();
    if (in.multi_label) {
      soft = F::binary_cross_entropy_with_logits(s / T, p, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                 .mean(-1) * (T * T);
    } else {
      // KL(p || q) = sum p (log p - log q); xlogy makes 0 * log 0 = 0.
      torch::Tensor log_q = torch::log_softmax(s / T, -1);
      soft = (torch::xlogy(p, p) - p * log_q).sum(-1) * (T * T);
    }
  }

  // Which rows have a usable gold label.
  torch::Tensor labelled;
  if (in.labelled.defined()) labelled = in.labelled.to(torch::kBool).to(s.device());
  else if (in.multi_label) labelled = torch::ones({B}, torch::TensorOptions().dtype(torch::kBool).device(s.device()));
  else labelled = in.labels.ge(0);
  if (!in.multi_label && in.labels.defined()) labelled = labelled & in.labels.ge(0);

  // The hard term is computed for every row and masked (no host sync to skip it).
  torch::Tensor hard = torch::zeros({B}, s.options());
  if (in.labels.defined()) {
    if (in.multi_label) {
      hard = F::binary_cross_entropy_with_logits(s, in.labels.to(torch::kFloat),
                                                 F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                 .mean(-1);
    } else {
      torch::Tensor y = in.labels.clamp_min(0);  // unlabelled rows get a dummy class, masked out below
      hard = F::cross_entropy(s, y, F::CrossEntropyFuncOptions().reduction(torch::kNone).label_smoothing(opt.label_smoothing));
    }
    hard = torch::where(labelled, hard, torch::zeros_like(hard));
  }
  torch::Tensor row = torch::where(labelled, opt.alpha * soft + (1.0 - opt.alpha) * hard, soft);

  KdLossTerms out;
  out.total = row.mean();
  out.labelled_rows = labelled.sum();
  out.soft = soft.detach().mean();
  out.hard = hard.detach().sum() / out.labelled_rows.clamp_min(1).to(torch::kFloat);
  return out;
}

KdLossValue kd_loss(const KdLossInput& in, const KdLossOptions& opt) {
  KdLossTerms t = kd_loss_terms(in, opt);
  KdLossValue out;
  out.total = t.total;
  out.soft = t.soft.item<double>();
  out.hard = t.hard.item<double>();
  out.labelled_rows = t.labelled_rows.item<int64_t>();
  return out;
}

SentenceLoss parse_sentence_loss(const std::string& name, const std::string& context) {
  if (name == "mse") return SentenceLoss::kMSE;
  if (name == "cosine") return SentenceLoss::kCosine;
  throw UserError(context + ": distill.sentence_loss is '" + name + "'; expected mse or cosine");
}

torch::Tensor sentence_loss(const torch::Tensor& student_sentence, const torch::Tensor& teacher_sentence,
                            torch::nn::Linear& projection, SentenceLoss kind) {
  TORCH_CHECK(student_sentence.dim() == 2 && teacher_sentence.dim() == 2 &&
                  student_sentence.size(0) == teacher_sentence.size(0),
              "sentence_loss: expected [B, Ds] and [B, Dt]");
  torch::Tensor p = projection(student_sentence.to(torch::kFloat));
  torch::Tensor t = teacher_sentence.to(torch::kFloat).detach();
  if (kind == SentenceLoss::kMSE) return (p - t).pow(2).mean();
  return (1.0 - F::cosine_similarity(p, t, F::CosineSimilarityFuncOptions().dim(1).eps(1e-8))).mean();
}

torch::Tensor hidden_mse(const torch::Tensor& student_hidden, const torch::Tensor& teacher_hidden,
                         torch::nn::Linear& projection, const torch::Tensor& mask) {
  torch::Tensor m = mask.to(torch::kFloat).unsqueeze(-1);  // [B,T,1]
  torch::Tensor diff = (projection(student_hidden.to(torch::kFloat)) - teacher_hidden.to(torch::kFloat).detach()) * m;
  const double H = static_cast<double>(teacher_hidden.size(-1));
  return diff.pow(2).sum() / (m.sum().clamp_min(1.0) * H);
}

torch::Tensor attention_kl(const torch::Tensor& student_attn, const torch::Tensor& teacher_attn,
                           const torch::Tensor& mask) {
  torch::Tensor a_s = student_attn.to(torch::kFloat);
  torch::Tensor a_t = teacher_attn.to(torch::kFloat).detach();
  if (a_s.size(1) != a_t.size(1)) {
    a_s = a_s.mean(1, /*keepdim=*/true);
    a_t = a_t.mean(1, /*keepdim=*/true);
  }
  // KL over keys for each (head, query); padded keys have probability 0 on both sides.
  torch::Tensor kl = (torch::xlogy(a_t, a_t) - a_t * torch::log(a_s.clamp_min(1e-12))).sum(-1);  // [B,H,T]
  torch::Tensor q = mask.to(torch::kFloat).unsqueeze(1);                                          // [B,1,T]
  return (kl * q).sum() / (q.sum().clamp_min(1.0) * static_cast<double>(kl.size(1)));
}

}  // namespace zl
