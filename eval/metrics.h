// Evaluation metrics on plain arrays: predicted probabilities [n, L] (row-major)
// and gold labels. Pure C++ (no LibTorch), so `kd eval`, `kd sweep`, `kd report`
// and tests share one implementation. Definitions and formulas: docs/evaluation.md.
//
// Conventions (chosen to match numpy / scikit-learn so numbers can be checked there):
//  - argmax ties go to the lowest class index (numpy.argmax);
//  - a ratio whose denominator is 0 is 0 (sklearn zero_division=0), except ROC AUC,
//    which is undefined (NaN, written as null) when one class is absent;
//  - single-label macro F1 averages over the classes that occur in the gold labels or
//    in the predictions (sklearn's f1_score(average="macro") with labels=None): a class
//    with no support and no predictions is listed with F1 0 but left out of the mean;
//  - multi-label macro F1 averages over every label column (sklearn does the same for
//    indicator matrices), so a label with no positives and no predictions counts as 0.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dataset_file.h"  // zl::Task

namespace zl::metrics {

// ---- inputs -----------------------------------------------------------------

// Row-major probabilities: softmax rows (single-label, pair) or independent
// sigmoids (multi-label).
struct ProbMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> values;  // rows * cols
  double at(int64_t i, int64_t j) const { return values[static_cast<size_t>(i * cols + j)]; }
};

ProbMatrix softmax_rows(const std::vector<double>& logits, int64_t rows, int64_t cols);
ProbMatrix sigmoid_all(const std::vector<double>& logits, int64_t rows, int64_t cols);
std::vector<int32_t> argmax_rows(const ProbMatrix& p);

// One evaluated split. Gold labels must be in range (callers drop unlabelled rows);
// violations throw UserError naming the row.
struct EvalInput {
  Task task = Task::kSingleLabel;
  ProbMatrix probs;
  std::vector<int32_t> gold;         // single-label / pair: n class indices
  std::vector<uint8_t> gold_multi;   // multi-label: n * L multi-hot
  double threshold = 0.5;            // multi-label decision threshold
  void validate() const;             // throws UserError
  int64_t size() const { return probs.rows; }
  int64_t num_labels() const { return probs.cols; }
};

// ---- results ----------------------------------------------------------------

struct ClassScores {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;    // gold count
  int64_t predicted = 0;  // predicted count
};

struct ReliabilityBin {
  double lower = 0, upper = 0;      // bin covers (lower, upper]; the first also holds 0
  int64_t count = 0;
  double mean_confidence = 0;       // 0 when empty
  double accuracy = 0;              // 0 when empty
};

struct Calibration {
  double ece = 0;
  std::vector<ReliabilityBin> bins;
};

struct SingleLabelMetrics {
  int64_t n = 0;
  double accuracy = 0, macro_f1 = 0, weighted_f1 = 0;
  int64_t top_k = 3;  // min(3, L)
  double top_k_accuracy = 0;
  std::vector<ClassScores> per_class;
  std::vector<std::vector<int64_t>> confusion;  // [gold][predicted]
  Calibration calibration;
};

struct MultiLabelMetrics {
  int64_t n = 0;
  double threshold = 0.5;
  double micro_f1 = 0, macro_f1 = 0, subset_accuracy = 0;
  std::vector<ClassScores> per_label;
};

struct PairMetrics {
  SingleLabelMetrics base;  // the two-class view (accuracy, macro F1, calibration ...)
  int64_t positive_class = 1;
  double positive_f1 = 0;
  double roc_auc = 0;  // NaN when only one class is present
};

// ---- core metrics ----------------------------------------------------------

// The per-class table from gold/predicted indices (sklearn precision_recall_fscore_support).
std::vector<ClassScores> class_scores(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred,
                                      int64_t num_classes);
// Macro F1 over classes with support or predictions (see the header comment).
double macro_f1_present(const std::vector<ClassScores>& scores);
double weighted_f1(const std::vector<ClassScores>& scores);
std::vector<std::vector<int64_t>> confusion_matrix(const std::vector<int32_t>& gold,
                                                   const std::vector<int32_t>& pred, int64_t num_classes);
// Share of rows whose gold label is among the k most probable (ties: lower index first).
double top_k_accuracy(const ProbMatrix& p, const std::vector<int32_t>& gold, int64_t k);
// Expected calibration error on the max probability with `num_bins` equal-width bins.
Calibration expected_calibration_error(const ProbMatrix& p, const std::vector<int32_t>& gold,
                                       int64_t num_bins = 15);
// ROC AUC by the Mann-Whitney U statistic with average ranks for tied scores.
double roc_auc(const std::vector<double>& scores, const std::vector<int32_t>& positive);

SingleLabelMetrics single_label_metrics(const ProbMatrix& p, const std::vector<int32_t>& gold,
                                        int64_t num_bins = 15);
MultiLabelMetrics multi_label_metrics(const ProbMatrix& p, const std::vector<uint8_t>& gold_multi,
                                      double threshold = 0.5);
PairMetrics pair_metrics(const ProbMatrix& p, const std::vector<int32_t>& gold, int64_t num_bins = 15);

// ---- agreement, slices ----------------------------------------------------

// Share of rows where two models make the same prediction: identical argmax
// (single-label, pair) or identical thresholded label sets (multi-label).
double agreement(const std::vector<int32_t>& pred_a, const std::vector<int32_t>& pred_b);
double agreement_multi(const ProbMatrix& a, const ProbMatrix& b, double threshold);

// The two headline numbers every task has (and that slices and the bootstrap use):
// accuracy (subset accuracy for multi-label) and macro F1.
struct CoreMetrics {
  int64_t n = 0;
  double accuracy = 0, macro_f1 = 0;
};
CoreMetrics core_metrics(const EvalInput& in);
CoreMetrics core_metrics(const EvalInput& in, const std::vector<int64_t>& rows);

struct SliceResult {
  std::string field;  // metadata field name, or "length" for the token-length buckets
  std::string value;
  CoreMetrics metrics;
};

// Token-length buckets from ascending upper bounds: {8,16,32} -> 1-8, 9-16, 17-32, 33+.
std::vector<std::string> length_bucket_names(const std::vector<int64_t>& upper_bounds);
std::string length_bucket(int64_t length, const std::vector<int64_t>& upper_bounds);

// Core metrics per value of each metadata field (values in sorted order) and per
// length bucket (in bucket order; empty buckets omitted). `lengths` may be empty to
// skip length slices; each meta column must have n entries.
std::vector<SliceResult> slice_metrics(const EvalInput& in,
                                       const std::map<std::string, std::vector<std::string>>& meta,
                                       const std::vector<int64_t>& lengths,
                                       const std::vector<int64_t>& length_upper_bounds = {8, 16, 32});

// ---- uncertainty -----------------------------------------------------------

struct Interval {
  double low = 0, high = 0;
};
struct BootstrapResult {
  int64_t resamples = 0;
  uint64_t seed = 0;
  double confidence = 0.95;
  Interval accuracy, macro_f1;
};
// Percentile bootstrap over rows (resampled with replacement, seeded mt19937_64,
// unbiased index draws), quantiles interpolated linearly as numpy.percentile does.
BootstrapResult bootstrap_ci(const EvalInput& in, int64_t resamples = 1000, uint64_t seed = 20240601,
                             double confidence = 0.95);
// numpy.percentile(values, q) with the default "linear" method; q in [0, 100].
double percentile(std::vector<double> values, double q);

struct McNemarResult {
  int64_t b = 0;  // A right, B wrong
  int64_t c = 0;  // A wrong, B right
  std::string method;  // "exact_binomial" | "chi2_continuity" | "none" (b + c == 0)
  double statistic = 0;  // min(b, c) for the exact test; chi-square otherwise
  double p_value = 1;
};
// Paired test on per-row correctness of two models on the same rows. Exact
// two-sided binomial when b + c < exact_below, else chi-square with continuity
// correction (1 degree of freedom).
McNemarResult mcnemar(const std::vector<bool>& correct_a, const std::vector<bool>& correct_b,
                      int64_t exact_below = 25);
// Per-row correctness (exact set match for multi-label).
std::vector<bool> correct_rows(const EvalInput& in);

}  // namespace zl::metrics
