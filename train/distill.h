// `kd distill`: the shared Trainer with a distillation loss. Teacher logits come
// from teacher files (checked against the dataset, aligned by example id at
// start-up), or, with distill.online_teacher, from a teacher run evaluated every
// step on the same rows; otherwise the teacher model is only run for the optional
// intermediate-layer terms. Config section `distill:` (docs/distillation.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "dataset_file.h"
#include "kd_loss.h"
#include "run_training.h"

namespace zl {

struct IntermediateConfig {
  std::string teacher_run;   // run directory of a teacher trained here ("" = off)
  std::string which = "best";
  double hidden_weight = 0;     // hidden-state MSE (through learned projections)
  double attention_weight = 0;  // attention-distribution KL
  // [student_layer, teacher_layer] pairs; 0 = embeddings output, i = layer i.
  // Empty: student layer i -> teacher layer i * L_teacher / L_student.
  std::vector<std::vector<int64_t>> layers;
  bool enabled() const { return !teacher_run.empty() && (hidden_weight > 0 || attention_weight > 0); }
};

struct DistillConfig {
  double alpha = 0.7, alpha_end = 0.7;
  double temperature = 4.0, temperature_end = 4.0;
  SoftLoss loss = SoftLoss::kKL;
  double label_smoothing = 0.0;
  std::vector<double> teacher_weights;  // one per teacher file; empty = equal
  double gold_label_share = 1.0;        // fraction of train rows whose gold label is used
  uint64_t gold_label_seed = 0;         // fixed by default: every student sees the same labelled subset
  IntermediateConfig intermediate;
  // Sentence term (docs/distillation.md): sentence_weight * L(P s_student, s_teacher), with
  // a learned Linear P; works across tokenizers (one vector per example). 0 = off.
  double sentence_weight = 0;
  SentenceLoss sentence_loss = SentenceLoss::kMSE;
  int64_t sentence_teacher = -1;  // index of the --teacher file whose sentence vectors to use; -1 = first with any
  // Online distillation (instead of --teacher files): this teacher run is run every step,
  // eval mode, no grad, on the same rows; its own tokenization of the same texts comes
  // from online_teacher_data ("" = the student's dataset, when the tokenizers agree).
  std::string online_teacher;
  std::string online_teacher_which = "best";
  std::string online_teacher_data;
  // Transfer copies made by `kd data augment` (ids "<id>~noise<k>", "<id>~aug<k>"): their soft
  // target is copy_source_weight x the teacher's outputs on the clean source row plus
  // (1 - copy_source_weight) x its outputs on the copy (logits mixed like an ensemble: in
  // probability space at the step's temperature for kl, as logits for mse; sentence
  // vectors linearly). 0 = each row's own outputs (the default); 1 = the source's only.
  double copy_source_weight = 0;

  // Reads and validates the `distill` section (UserError naming the key).
  static DistillConfig from_config(const Config& c, double default_label_smoothing);
};

// The stratified subset of rows whose gold labels are kept (1) when only a share of
// them may be used; the other rows become transfer rows (teacher term only).
// Per class: round(share * count) rows, at least one when share > 0. Multi-label:
// a plain random subset. Rows without a label stay unlabelled.
std::vector<uint8_t> choose_gold_rows(const SplitData& split, Task task, int64_t num_labels, double share,
                                      uint64_t seed);

struct DistillRequest {
  RunRequest run;
  std::vector<std::string> teachers;        // teacher files; on --resume default to the run's
  std::vector<double> teacher_weights;      // --teacher-weight, overrides distill.teacher_weights
};

// Runs `kd distill`; returns the exit status like run_training.
int run_distill(DistillRequest req);

}  // namespace zl
