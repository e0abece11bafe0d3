#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "error.h"

namespace zl::metrics {

namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

double f1_from(double precision, double recall) {
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

void check_shape(const ProbMatrix& p) {
  if (p.rows < 0 || p.cols <= 0 || static_cast<int64_t>(p.values.size()) != p.rows * p.cols)
    throw UserError("metrics: probability matrix has " + std::to_string(p.values.size()) + " values for " +
                    std::to_string(p.rows) + " rows x " + std::to_string(p.cols) + " labels");
}

void check_gold(const std::vector<int32_t>& gold, int64_t rows, int64_t num_classes) {
  if (static_cast<int64_t>(gold.size()) != rows)
    throw UserError("metrics: " + std::to_string(gold.size()) + " gold labels for " + std::to_string(rows) +
                    " predicted rows");
  for (size_t i = 0; i < gold.size(); ++i)
    if (gold[i] < 0 || gold[i] >= num_classes)
      throw UserError("metrics: gold label " + std::to_string(gold[i]) + " at row " + std::to_string(i) +
                      " is outside [0, " + std::to_string(num_classes) +
                      "); drop unlabelled rows (-1) before evaluating");
}

// Predictions in the form every core metric needs, computed once (the bootstrap
// reuses them for each resample).
struct Prepared {
  Task task;
  int64_t labels;
  std::vector<int32_t> gold, pred;          // single-label / pair
  std::vector<uint8_t> gold_multi, pred_multi;  // multi-label
};

Prepared prepare(const EvalInput& in) {
  in.validate();
  Prepared p{in.task, in.num_labels(), {}, {}, {}, {}};
  if (in.task == Task::kMultiLabel) {
    p.gold_multi = in.gold_multi;
    p.pred_multi.resize(in.probs.values.size());
    for (size_t i = 0; i < in.probs.values.size(); ++i) p.pred_multi[i] = in.probs.values[i] >= in.threshold;
  } else {
    p.gold = in.gold;
    p.pred = argmax_rows(in.probs);
  }
  return p;
}

CoreMetrics core_of(const Prepared& p, const std::vector<int64_t>& rows) {
  CoreMetrics m;
  m.n = static_cast<int64_t>(rows.size());
  const int64_t L = p.labels;
  std::vector<int64_t> tp(L, 0), fp(L, 0), fn(L, 0);
  int64_t correct = 0;
  if (p.task == Task::kMultiLabel) {
    for (int64_t r : rows) {
      bool same = true;
      const uint8_t* g = &p.gold_multi[static_cast<size_t>(r * L)];
      const uint8_t* q = &p.pred_multi[static_cast<size_t>(r * L)];
      for (int64_t j = 0; j < L; ++j) {
        if (g[j] && q[j]) ++tp[j];
        else if (q[j]) ++fp[j], same = false;
        else if (g[j]) ++fn[j], same = false;
      }
      correct += same;
    }
    double sum = 0;
    for (int64_t j = 0; j < L; ++j) {
      double prec = ratio(tp[j], tp[j] + fp[j]), rec = ratio(tp[j], tp[j] + fn[j]);
      sum += f1_from(prec, rec);
    }
    m.macro_f1 = sum / L;
  } else {
    for (int64_t r : rows) {
      int32_t g = p.gold[r], q = p.pred[r];
      if (g == q) ++tp[g], ++correct;
      else ++fp[q], ++fn[g];
    }
    double sum = 0;
    int64_t present = 0;
    for (int64_t j = 0; j < L; ++j) {
      if (tp[j] + fn[j] == 0 && tp[j] + fp[j] == 0) continue;  // no support, no predictions
      ++present;
      sum += f1_from(ratio(tp[j], tp[j] + fp[j]), ratio(tp[j], tp[j] + fn[j]));
    }
    m.macro_f1 = present ? sum / present : 0.0;
  }
  m.accuracy = ratio(correct, m.n);
  return m;
}

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

// Uniform integer in [0, n) without modulo bias (rejection, as arc4random_uniform),
// so resamples are identical on every platform for a given seed.
uint64_t uniform_index(std::mt19937_64& rng, uint64_t n) {
  const uint64_t min = (0 - n) % n;  // 2^64 mod n
  uint64_t x;
  do x = rng();
  while (x < min);
  return x % n;
}

}  // namespace

// ---- inputs -----------------------------------------------------------------

ProbMatrix softmax_rows(const std::vector<double>& logits, int64_t rows, int64_t cols) {
  ProbMatrix p{rows, cols, logits};
  check_shape(p);
  for (int64_t i = 0; i < rows; ++i) {
    double* row = &p.values[static_cast<size_t>(i * cols)];
    double mx = *std::max_element(row, row + cols);
    double sum = 0;
    for (int64_t j = 0; j < cols; ++j) sum += (row[j] = std::exp(row[j] - mx));
    for (int64_t j = 0; j < cols; ++j) row[j] /= sum;
  }
  return p;
}

ProbMatrix sigmoid_all(const std::vector<double>& logits, int64_t rows, int64_t cols) {
  ProbMatrix p{rows, cols, logits};
  check_shape(p);
  for (double& v : p.values) v = v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v));
  return p;
}

std::vector<int32_t> argmax_rows(const ProbMatrix& p) {
  std::vector<int32_t> out(static_cast<size_t>(p.rows));
  for (int64_t i = 0; i < p.rows; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < p.cols; ++j)
      if (p.at(i, j) > p.at(i, best)) best = j;  // strict: ties keep the lower index
    out[static_cast<size_t>(i)] = static_cast<int32_t>(best);
  }
  return out;
}

void EvalInput::validate() const {
  check_shape(probs);
  if (probs.rows == 0) throw UserError("metrics: nothing to evaluate (0 rows)");
  if (task == Task::kMultiLabel) {
    if (static_cast<int64_t>(gold_multi.size()) != probs.rows * probs.cols)
      throw UserError("metrics: multi-hot gold has " + std::to_string(gold_multi.size()) + " entries for " +
                      std::to_string(probs.rows) + " x " + std::to_string(probs.cols));
    if (!(threshold > 0 && threshold < 1))
      throw UserError("metrics: multi-label threshold must be in (0, 1), got " + std::to_string(threshold));
  } else {
    check_gold(gold, probs.rows, probs.cols);
    if (task == Task::kPair && probs.cols != 2)
      throw UserError("metrics: sentence-pair evaluation needs 2 classes, got " + std::to_string(probs.cols));
  }
}

// ---- core metrics ----------------------------------------------------------

std::vector<ClassScores> class_scores(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred,
                                      int64_t num_classes) {
  std::vector<ClassScores> out(static_cast<size_t>(num_classes));
  std::vector<int64_t> tp(num_classes, 0);
  for (size_t i = 0; i < gold.size(); ++i) {
    ++out[gold[i]].support;
    ++out[pred[i]].predicted;
    if (gold[i] == pred[i]) ++tp[gold[i]];
  }
  for (int64_t j = 0; j < num_classes; ++j) {
    ClassScores& c = out[j];
    c.precision = ratio(tp[j], c.predicted);
    c.recall = ratio(tp[j], c.support);
    c.f1 = f1_from(c.precision, c.recall);
  }
  return out;
}

double macro_f1_present(const std::vector<ClassScores>& scores) {
  double sum = 0;
  int64_t present = 0;
  for (const auto& c : scores) {
    if (c.support == 0 && c.predicted == 0) continue;
    sum += c.f1;
    ++present;
  }
  return present ? sum / present : 0.0;
}

double weighted_f1(const std::vector<ClassScores>& scores) {
  double sum = 0;
  int64_t total = 0;
  for (const auto& c : scores) sum += c.f1 * c.support, total += c.support;
  return ratio(sum, total);
}

std::vector<std::vector<int64_t>> confusion_matrix(const std::vector<int32_t>& gold,
                                                   const std::vector<int32_t>& pred, int64_t num_classes) {
  std::vector<std::vector<int64_t>> m(num_classes, std::vector<int64_t>(num_classes, 0));
  for (size_t i = 0; i < gold.size(); ++i) ++m[gold[i]][pred[i]];
  return m;
}

double top_k_accuracy(const ProbMatrix& p, const std::vector<int32_t>& gold, int64_t k) {
  k = std::min(k, p.cols);
  int64_t hits = 0;
  for (int64_t i = 0; i < p.rows; ++i) {
    // The gold class is in the top k when fewer than k classes rank above it;
    // a tied class ranks above it when its index is lower.
    double g = p.at(i, gold[i]);
    int64_t above = 0;
    for (int64_t j = 0; j < p.cols; ++j) {
      double v = p.at(i, j);
      if (v > g || (v == g && j < gold[i])) ++above;
    }
    hits += above < k;
  }
  return ratio(hits, p.rows);
}

Calibration expected_calibration_error(const ProbMatrix& p, const std::vector<int32_t>& gold, int64_t num_bins) {
  if (num_bins <= 0) throw UserError("metrics: the number of calibration bins must be positive");
  Calibration cal;
  cal.bins.resize(static_cast<size_t>(num_bins));
  std::vector<double> conf_sum(num_bins, 0), correct(num_bins, 0);
  for (int64_t b = 0; b < num_bins; ++b) {
    cal.bins[b].lower = static_cast<double>(b) / num_bins;
    cal.bins[b].upper = static_cast<double>(b + 1) / num_bins;
  }
  std::vector<int32_t> pred = argmax_rows(p);
  for (int64_t i = 0; i < p.rows; ++i) {
    double conf = p.at(i, pred[i]);
    int64_t b = 0;  // the first bin whose upper edge is >= conf: bins are (lower, upper]
    while (b < num_bins - 1 && conf > cal.bins[b].upper) ++b;
    ++cal.bins[b].count;
    conf_sum[b] += conf;
    correct[b] += pred[i] == gold[i];
  }
  for (int64_t b = 0; b < num_bins; ++b) {
    ReliabilityBin& bin = cal.bins[b];
    if (bin.count == 0) continue;
    bin.mean_confidence = conf_sum[b] / bin.count;
    bin.accuracy = correct[b] / bin.count;
    cal.ece += static_cast<double>(bin.count) / p.rows * std::fabs(bin.accuracy - bin.mean_confidence);
  }
  return cal;
}

double roc_auc(const std::vector<double>& scores, const std::vector<int32_t>& positive) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Average ranks (1-based) over runs of tied scores.
  std::vector<double> rank(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    double avg = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = avg;
    i = j + 1;
  }
  double pos = 0, rank_sum = 0;
  for (size_t i = 0; i < n; ++i)
    if (positive[i]) ++pos, rank_sum += rank[i];
  double neg = static_cast<double>(n) - pos;
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

SingleLabelMetrics single_label_metrics(const ProbMatrix& p, const std::vector<int32_t>& gold, int64_t num_bins) {
  EvalInput in;
  in.probs = p;
  in.gold = gold;
  in.validate();
  SingleLabelMetrics m;
  m.n = p.rows;
  std::vector<int32_t> pred = argmax_rows(p);
  m.per_class = class_scores(gold, pred, p.cols);
  m.confusion = confusion_matrix(gold, pred, p.cols);
  int64_t correct = 0;
  for (size_t i = 0; i < gold.size(); ++i) correct += gold[i] == pred[i];
  m.accuracy = ratio(correct, m.n);
  m.macro_f1 = macro_f1_present(m.per_class);
  m.weighted_f1 = weighted_f1(m.per_class);
  m.top_k = std::min<int64_t>(3, p.cols);
  m.top_k_accuracy = top_k_accuracy(p, gold, m.top_k);
  m.calibration = expected_calibration_error(p, gold, num_bins);
  return m;
}

MultiLabelMetrics multi_label_metrics(const ProbMatrix& p, const std::vector<uint8_t>& gold_multi, double threshold) {
  EvalInput in;
  in.task = Task::kMultiLabel;
  in.probs = p;
  in.gold_multi = gold_multi;
  in.threshold = threshold;
  in.validate();
  MultiLabelMetrics m;
  m.n = p.rows;
  m.threshold = threshold;
  const int64_t L = p.cols;
  m.per_label.resize(static_cast<size_t>(L));
  std::vector<int64_t> tp(L, 0);
  int64_t exact = 0;
  for (int64_t i = 0; i < p.rows; ++i) {
    bool same = true;
    for (int64_t j = 0; j < L; ++j) {
      bool g = gold_multi[static_cast<size_t>(i * L + j)] != 0;
      bool q = p.at(i, j) >= threshold;
      m.per_label[j].support += g;
      m.per_label[j].predicted += q;
      tp[j] += g && q;
      same = same && g == q;
    }
    exact += same;
  }
  int64_t tp_all = 0, sup_all = 0, pred_all = 0;
  double f1_sum = 0;
  for (int64_t j = 0; j < L; ++j) {
    ClassScores& c = m.per_label[j];
    c.precision = ratio(tp[j], c.predicted);
    c.recall = ratio(tp[j], c.support);
    c.f1 = f1_from(c.precision, c.recall);
    f1_sum += c.f1;
    tp_all += tp[j], sup_all += c.support, pred_all += c.predicted;
  }
  // Micro F1 = 2TP / (2TP + FP + FN) over all label decisions = 2TP / (predicted + support).
  m.micro_f1 = ratio(2.0 * tp_all, static_cast<double>(pred_all + sup_all));
  m.macro_f1 = f1_sum / L;
  m.subset_accuracy = ratio(exact, m.n);
  return m;
}

PairMetrics pair_metrics(const ProbMatrix& p, const std::vector<int32_t>& gold, int64_t num_bins) {
  EvalInput in;
  in.task = Task::kPair;
  in.probs = p;
  in.gold = gold;
  in.validate();
  PairMetrics m;
  m.base = single_label_metrics(p, gold, num_bins);
  m.positive_f1 = m.base.per_class[1].f1;
  std::vector<double> score(static_cast<size_t>(p.rows));
  for (int64_t i = 0; i < p.rows; ++i) score[i] = p.at(i, 1);
  std::vector<int32_t> positive(gold.size());
  for (size_t i = 0; i < gold.size(); ++i) positive[i] = gold[i] == 1;
  m.roc_auc = roc_auc(score, positive);
  return m;
}

// ---- agreement, slices ----------------------------------------------------

double agreement(const std::vector<int32_t>& pred_a, const std::vector<int32_t>& pred_b) {
  if (pred_a.size() != pred_b.size())
    throw UserError("metrics: agreement needs predictions for the same rows (" + std::to_string(pred_a.size()) +
                    " vs " + std::to_string(pred_b.size()) + ")");
  if (pred_a.empty()) throw UserError("metrics: agreement on 0 rows");
  int64_t same = 0;
  for (size_t i = 0; i < pred_a.size(); ++i) same += pred_a[i] == pred_b[i];
  return ratio(same, static_cast<double>(pred_a.size()));
}

double agreement_multi(const ProbMatrix& a, const ProbMatrix& b, double threshold) {
  if (a.rows != b.rows || a.cols != b.cols)
    throw UserError("metrics: agreement needs matrices of the same shape");
  if (a.rows == 0) throw UserError("metrics: agreement on 0 rows");
  int64_t same = 0;
  for (int64_t i = 0; i < a.rows; ++i) {
    bool eq = true;
    for (int64_t j = 0; j < a.cols && eq; ++j) eq = (a.at(i, j) >= threshold) == (b.at(i, j) >= threshold);
    same += eq;
  }
  return ratio(same, a.rows);
}

CoreMetrics core_metrics(const EvalInput& in) { return core_of(prepare(in), all_rows(in.size())); }

CoreMetrics core_metrics(const EvalInput& in, const std::vector<int64_t>& rows) {
  for (int64_t r : rows)
    if (r < 0 || r >= in.size()) throw UserError("metrics: row " + std::to_string(r) + " out of range");
  return core_of(prepare(in), rows);
}

std::vector<std::string> length_bucket_names(const std::vector<int64_t>& upper_bounds) {
  std::vector<std::string> names;
  int64_t lo = 1;
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (upper_bounds[i] < lo)
      throw UserError("metrics: length bucket bounds must be ascending positive integers (got " +
                      std::to_string(upper_bounds[i]) + " after " + std::to_string(lo - 1) + ")");
    names.push_back(std::to_string(lo) + "-" + std::to_string(upper_bounds[i]));
    lo = upper_bounds[i] + 1;
  }
  names.push_back(std::to_string(lo) + "+");
  return names;
}

std::string length_bucket(int64_t length, const std::vector<int64_t>& upper_bounds) {
  std::vector<std::string> names = length_bucket_names(upper_bounds);
  for (size_t i = 0; i < upper_bounds.size(); ++i)
    if (length <= upper_bounds[i]) return names[i];
  return names.back();
}

std::vector<SliceResult> slice_metrics(const EvalInput& in,
                                       const std::map<std::string, std::vector<std::string>>& meta,
                                       const std::vector<int64_t>& lengths,
                                       const std::vector<int64_t>& length_upper_bounds) {
  Prepared p = prepare(in);
  std::vector<SliceResult> out;
  for (const auto& [field, values] : meta) {
    if (static_cast<int64_t>(values.size()) != in.size())
      throw UserError("metrics: metadata field '" + field + "' has " + std::to_string(values.size()) +
                      " values for " + std::to_string(in.size()) + " rows");
    std::map<std::string, std::vector<int64_t>> groups;
    for (int64_t i = 0; i < in.size(); ++i) groups[values[i]].push_back(i);
    for (const auto& [value, rows] : groups) out.push_back({field, value, core_of(p, rows)});
  }
  if (!lengths.empty()) {
    if (static_cast<int64_t>(lengths.size()) != in.size())
      throw UserError("metrics: " + std::to_string(lengths.size()) + " lengths for " + std::to_string(in.size()) +
                      " rows");
    std::vector<std::string> names = length_bucket_names(length_upper_bounds);
    std::vector<std::vector<int64_t>> groups(names.size());
    for (int64_t i = 0; i < in.size(); ++i) {
      size_t b = 0;
      while (b < length_upper_bounds.size() && lengths[i] > length_upper_bounds[b]) ++b;
      groups[b].push_back(i);
    }
    for (size_t b = 0; b < names.size(); ++b)
      if (!groups[b].empty()) out.push_back({"length", names[b], core_of(p, groups[b])});
  }
  return out;
}

// ---- uncertainty -----------------------------------------------------------

double percentile(std::vector<double> values, double q) {
  if (values.empty()) throw UserError("metrics: percentile of an empty list");
  std::sort(values.begin(), values.end());
  double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

BootstrapResult bootstrap_ci(const EvalInput& in, int64_t resamples, uint64_t seed, double confidence) {
  if (resamples < 1) throw UserError("metrics: bootstrap needs at least one resample");
  if (!(confidence > 0 && confidence < 1)) throw UserError("metrics: bootstrap confidence must be in (0, 1)");
  Prepared p = prepare(in);
  const uint64_t n = static_cast<uint64_t>(in.size());
  std::mt19937_64 rng(seed);
  std::vector<double> acc, f1;
  acc.reserve(resamples), f1.reserve(resamples);
  std::vector<int64_t> rows(n);
  for (int64_t b = 0; b < resamples; ++b) {
    for (auto& r : rows) r = static_cast<int64_t>(uniform_index(rng, n));
    CoreMetrics m = core_of(p, rows);
    acc.push_back(m.accuracy);
    f1.push_back(m.macro_f1);
  }
  BootstrapResult r;
  r.resamples = resamples;
  r.seed = seed;
  r.confidence = confidence;
  double lo_q = (1 - confidence) / 2 * 100, hi_q = 100 - lo_q;
  r.accuracy = {percentile(acc, lo_q), percentile(acc, hi_q)};
  r.macro_f1 = {percentile(f1, lo_q), percentile(f1, hi_q)};
  return r;
}

McNemarResult mcnemar(const std::vector<bool>& correct_a, const std::vector<bool>& correct_b, int64_t exact_below) {
  if (correct_a.size() != correct_b.size())
    throw UserError("metrics: McNemar needs the two models' results on the same rows (" +
                    std::to_string(correct_a.size()) + " vs " + std::to_string(correct_b.size()) + ")");
  McNemarResult r;
  for (size_t i = 0; i < correct_a.size(); ++i) {
    if (correct_a[i] && !correct_b[i]) ++r.b;
    if (!correct_a[i] && correct_b[i]) ++r.c;
  }
  const int64_t n = r.b + r.c;
  if (n == 0) {  // no discordant pair: no evidence of any difference
    r.method = "none";
    r.statistic = 0;
    r.p_value = 1;
    return r;
  }
  if (n < exact_below) {
    // Two-sided exact binomial: 2 * P(X <= min(b, c)), X ~ Binomial(b + c, 1/2).
    r.method = "exact_binomial";
    const int64_t k = std::min(r.b, r.c);
    r.statistic = static_cast<double>(k);
    double tail = 0;
    for (int64_t i = 0; i <= k; ++i)
      tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
    r.p_value = std::min(1.0, 2 * tail);
  } else {
    // (|b - c| - 1)^2 / (b + c), chi-square with 1 degree of freedom: P = erfc(sqrt(x / 2)).
    r.method = "chi2_continuity";
    double d = std::fabs(static_cast<double>(r.b - r.c)) - 1;
    r.statistic = d * d / static_cast<double>(n);
    r.p_value = std::erfc(std::sqrt(r.statistic / 2));
  }
  return r;
}

std::vector<bool> correct_rows(const EvalInput& in) {
  Prepared p = prepare(in);
  std::vector<bool> out(static_cast<size_t>(in.size()));
  const int64_t L = p.labels;
  for (int64_t i = 0; i < in.size(); ++i) {
    if (p.task == Task::kMultiLabel)
      out[i] = std::equal(p.gold_multi.begin() + i * L, p.gold_multi.begin() + (i + 1) * L, p.pred_multi.begin() + i * L);
    else
      out[i] = p.gold[i] == p.pred[i];
  }
  return out;
}

}  // namespace zl::metrics
