// Distillation losses (Hinton et al. 2015; TinyBERT / MiniLM for the
// intermediate terms). Pure tensor functions: no trainer, no files, so each one
// is unit-tested against hand-computed values (kd_loss_test.cpp).
//
// Per row i of a batch (p_t = the teachers' weighted average of softened
// probabilities, s = student logits, T = temperature):
//   soft_i = T^2 * KL(p_t || softmax(s/T))                      (loss: kl)
//          = mean_k (s_k - sum_j w_j t_jk)^2                     (loss: mse; T unused)
//          = T^2 * mean_k BCE(sigmoid(s_k/T), p_tk)              (multi-label, p_t from sigmoid(t/T))
//   hard_i = CE(s, y_i) with label smoothing, or mean_k BCE(s_k, y_ik) (multi-label)
//   row_i  = alpha * soft_i + (1 - alpha) * hard_i   when row i has a gold label
//          = soft_i                                   when it has none (transfer rows)
//   loss   = mean_i row_i
// so every row has weight 1/B, a fully labelled batch gives exactly the textbook
// alpha*T^2*KL + (1-alpha)*CE, and a batch without gold labels gives pure KD.
//
// Sentence representations (across tokenizers: one vector per example, no token
// positions), with a learned projection P (Linear D_student -> D_teacher, bias):
//   mse    = mean over rows and dimensions of (P s_i - t_i)^2
//   cosine = mean over rows of 1 - cos(P s_i, t_i)
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace zl {

enum class SoftLoss { kKL, kMSE };
SoftLoss parse_soft_loss(const std::string& name, const std::string& context);  // kl | mse

struct KdLossInput {
  torch::Tensor student_logits;               // float [B, L]
  std::vector<torch::Tensor> teacher_logits;  // one float [B, L] per teacher (logits, not probabilities)
  std::vector<double> teacher_weights;        // same length; normalised to sum 1 (empty: equal weights)
  // single-label: int64 [B], -1 = no gold label; multi-label: float [B, L] multi-hot.
  torch::Tensor labels;
  // bool [B]: rows whose gold label may be used (undefined: single-label rows with label >= 0,
  // multi-label: all rows). Rows hidden by the gold-label share are false here.
  torch::Tensor labelled;
  bool multi_label = false;
};

struct KdLossOptions {
  double alpha = 0.5;
  double temperature = 1.0;
  SoftLoss soft = SoftLoss::kKL;
  double label_smoothing = 0.0;
};

struct KdLossValue {
  torch::Tensor total;    // scalar, differentiable
  double soft = 0;        // mean soft_i over all rows (for logs)
  double hard = 0;        // mean hard_i over labelled rows (0 when none)
  int64_t labelled_rows = 0;
};

KdLossValue kd_loss(const KdLossInput& in, const KdLossOptions& opt);

// The same loss with the logged values left on the device (no host sync): the training
// loop copies all of a step's logged values to the host at once.
struct KdLossTerms {
  torch::Tensor total;          // scalar, differentiable
  torch::Tensor soft, hard;     // detached scalars: mean soft_i, mean hard_i over labelled rows (0: none)
  torch::Tensor labelled_rows;  // int64 scalar
};
KdLossTerms kd_loss_terms(const KdLossInput& in, const KdLossOptions& opt);

// The teachers' weighted average of softened distributions, as probabilities [B, L]
// (softmax, or sigmoid per label for multi-label).
torch::Tensor teacher_probabilities(const std::vector<torch::Tensor>& teacher_logits,
                                    const std::vector<double>& weights, double temperature, bool multi_label);

// Linear schedule from `start` at step 0 to `end` at step total_steps-1 (and after).
// A constant value is start == end.
double linear_schedule(double start, double end, int64_t step, int64_t total_steps);

// Sentence representations -------------------------------------------------------
enum class SentenceLoss { kMSE, kCosine };
SentenceLoss parse_sentence_loss(const std::string& name, const std::string& context);  // mse | cosine
// student_sentence float [B, Ds], teacher_sentence float [B, Dt] (not differentiated),
// projection Linear(Ds, Dt). Every row counts (labelled and transfer rows alike).
torch::Tensor sentence_loss(const torch::Tensor& student_sentence, const torch::Tensor& teacher_sentence,
                            torch::nn::Linear& projection, SentenceLoss kind);

// Intermediate layers ----------------------------------------------------------
// Hidden-state MSE through a learned projection (TinyBERT): mean over non-padding
// tokens and hidden units of (proj(h_s) - h_t)^2. mask: int/bool [B, T], 1 = token.
torch::Tensor hidden_mse(const torch::Tensor& student_hidden, const torch::Tensor& teacher_hidden,
                         torch::nn::Linear& projection, const torch::Tensor& mask);
// Attention-distribution KL (MiniLM): KL(a_t || a_s) over keys, averaged over heads
// and non-padding query positions. When head counts differ both sides are first
// averaged over heads (one distribution per query).
torch::Tensor attention_kl(const torch::Tensor& student_attn, const torch::Tensor& teacher_attn,
                           const torch::Tensor& mask);

}  // namespace zl
