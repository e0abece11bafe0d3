// Every metric against values computed by hand (the computation is in the comments).
#include "metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "error.h"

namespace zl::metrics {
namespace {

constexpr double kEps = 1e-12;

ProbMatrix probs(std::vector<std::vector<double>> rows) {
  ProbMatrix p;
  p.rows = static_cast<int64_t>(rows.size());
  p.cols = static_cast<int64_t>(rows[0].size());
  for (auto& r : rows) p.values.insert(p.values.end(), r.begin(), r.end());
  return p;
}

// Six rows, three classes. argmax / gold / confidence:
//   r0 [.70 .20 .10] gold 0 -> 0 right  conf .70
//   r1 [.10 .75 .15] gold 1 -> 1 right  conf .75
//   r2 [.50 .30 .20] gold 1 -> 0 wrong  conf .50
//   r3 [.20 .15 .65] gold 2 -> 2 right  conf .65
//   r4 [.30 .62 .08] gold 2 -> 1 wrong  conf .62
//   r5 [.90 .05 .05] gold 0 -> 0 right  conf .90
ProbMatrix six_probs() {
  return probs({{.70, .20, .10}, {.10, .75, .15}, {.50, .30, .20}, {.20, .15, .65}, {.30, .62, .08}, {.90, .05, .05}});
}
const std::vector<int32_t> kSixGold = {0, 1, 1, 2, 2, 0};

TEST(SingleLabel, HandComputedExample) {
  SingleLabelMetrics m = single_label_metrics(six_probs(), kSixGold);
  EXPECT_EQ(m.n, 6);
  EXPECT_NEAR(m.accuracy, 4.0 / 6, kEps);  // r0 r1 r3 r5 right
  // Confusion [gold][pred]: gold 0 -> {0,0}; gold 1 -> {1,0}; gold 2 -> {2,1}.
  std::vector<std::vector<int64_t>> cm = {{2, 0, 0}, {1, 1, 0}, {0, 1, 1}};
  EXPECT_EQ(m.confusion, cm);
  // class 0: tp 2, predicted 3 (r0 r2 r5), support 2 -> P 2/3, R 1, F1 2*(2/3)/(5/3) = 4/5
  EXPECT_NEAR(m.per_class[0].precision, 2.0 / 3, kEps);
  EXPECT_NEAR(m.per_class[0].recall, 1.0, kEps);
  EXPECT_NEAR(m.per_class[0].f1, 0.8, kEps);
  EXPECT_EQ(m.per_class[0].support, 2);
  EXPECT_EQ(m.per_class[0].predicted, 3);
  // class 1: tp 1, predicted 2 (r1 r4), support 2 -> P 1/2, R 1/2, F1 1/2
  EXPECT_NEAR(m.per_class[1].f1, 0.5, kEps);
  // class 2: tp 1, predicted 1, support 2 -> P 1, R 1/2, F1 2/3
  EXPECT_NEAR(m.per_class[2].precision, 1.0, kEps);
  EXPECT_NEAR(m.per_class[2].recall, 0.5, kEps);
  EXPECT_NEAR(m.per_class[2].f1, 2.0 / 3, kEps);
  // macro = (4/5 + 1/2 + 2/3) / 3 = (24 + 15 + 20) / 90 = 59/90; equal supports -> weighted = macro
  EXPECT_NEAR(m.macro_f1, 59.0 / 90, kEps);
  EXPECT_NEAR(m.weighted_f1, 59.0 / 90, kEps);
  // three classes: top-3 contains every class
  EXPECT_EQ(m.top_k, 3);
  EXPECT_NEAR(m.top_k_accuracy, 1.0, kEps);
}

TEST(SingleLabel, ExpectedCalibrationErrorWith15Bins) {
  Calibration cal = expected_calibration_error(six_probs(), kSixGold, 15);
  ASSERT_EQ(cal.bins.size(), 15u);
  // Bin b covers (b/15, (b+1)/15]:
  //   .50 -> bin 7 (.4667, .5333]   {r2 wrong}        acc 0,  conf .50  gap .50
  //   .62, .65 -> bin 9 (.6, .6667] {r4 wrong, r3 right} acc .5, conf .635 gap .135
  //   .70 -> bin 10 (.6667, .7333]  {r0 right}        acc 1,  conf .70  gap .30
  //   .75 -> bin 11 (.7333, .8]     {r1 right}        acc 1,  conf .75  gap .25
  //   .90 -> bin 13 (.8667, .9333]  {r5 right}        acc 1,  conf .90  gap .10
  // ECE = (1*.5 + 2*.135 + 1*.3 + 1*.25 + 1*.1) / 6 = 1.42 / 6
  EXPECT_NEAR(cal.ece, 1.42 / 6, 1e-12);
  EXPECT_EQ(cal.bins[7].count, 1);
  EXPECT_EQ(cal.bins[9].count, 2);
  EXPECT_NEAR(cal.bins[9].mean_confidence, 0.635, kEps);
  EXPECT_NEAR(cal.bins[9].accuracy, 0.5, kEps);
  EXPECT_EQ(cal.bins[13].count, 1);
  EXPECT_EQ(cal.bins[0].count, 0);
  EXPECT_NEAR(cal.bins[0].lower, 0.0, kEps);
  EXPECT_NEAR(cal.bins[14].upper, 1.0, kEps);
  int64_t total = 0;
  for (const auto& b : cal.bins) total += b.count;
  EXPECT_EQ(total, 6);
}

TEST(SingleLabel, BinEdgeBelongsToLowerBin) {
  // conf exactly 0.6 = 9/15 is the upper edge of bin 8 (.5333, .6]; 1.0 sits in bin 14.
  Calibration cal = expected_calibration_error(probs({{.6, .4}, {1.0, 0.0}}), {0, 0}, 15);
  EXPECT_EQ(cal.bins[8].count, 1);
  EXPECT_EQ(cal.bins[14].count, 1);
  // gaps: |1 - .6| and |1 - 1| -> ECE = .4 / 2
  EXPECT_NEAR(cal.ece, 0.2, kEps);
}

TEST(SingleLabel, TopKWithTiesPrefersLowerIndex) {
  // Rank of the gold class = 1 + classes above it (a tie counts as above when its index is lower).
  //   [.4 .3 .2 .1] gold 3: 3 above -> miss
  //   [.1 .2 .3 .4] gold 1: .3 .4 above -> 2 above -> hit
  //   [.25 x4] gold 3: classes 0 1 2 tie below index 3 -> 3 above -> miss
  //   [.25 x4] gold 2: classes 0 1 -> 2 above -> hit
  ProbMatrix p = probs({{.4, .3, .2, .1}, {.1, .2, .3, .4}, {.25, .25, .25, .25}, {.25, .25, .25, .25}});
  std::vector<int32_t> gold = {3, 1, 3, 2};
  EXPECT_NEAR(top_k_accuracy(p, gold, 3), 0.5, kEps);
  // top-1 equals argmax accuracy (ties -> class 0): every row misses.
  EXPECT_NEAR(top_k_accuracy(p, gold, 1), 0.0, kEps);
  EXPECT_EQ(argmax_rows(p), (std::vector<int32_t>{0, 3, 0, 0}));
}

TEST(SingleLabel, EmptyClassIsListedButLeftOutOfMacroF1) {
  // gold [0 0 1 2], pred [0 1 1 2], class 3 never seen nor predicted (sklearn labels=None):
  //   class 0: tp 1, pred 1, sup 2 -> P 1, R 1/2, F1 2/3
  //   class 1: tp 1, pred 2, sup 1 -> P 1/2, R 1, F1 2/3
  //   class 2: tp 1, pred 1, sup 1 -> F1 1
  //   class 3: no support, no predictions -> F1 0, excluded
  // macro = (2/3 + 2/3 + 1) / 3 = 7/9 (7/12 if class 3 were included)
  // weighted = (2*2/3 + 1*2/3 + 1*1) / 4 = 3/4
  ProbMatrix p = probs({{.9, .1, 0, 0}, {.2, .8, 0, 0}, {.1, .7, .2, 0}, {0, .1, .9, 0}});
  SingleLabelMetrics m = single_label_metrics(p, {0, 0, 1, 2});
  EXPECT_NEAR(m.macro_f1, 7.0 / 9, kEps);
  EXPECT_NEAR(m.weighted_f1, 0.75, kEps);
  ASSERT_EQ(m.per_class.size(), 4u);
  EXPECT_EQ(m.per_class[3].support, 0);
  EXPECT_EQ(m.per_class[3].f1, 0.0);
}

TEST(SingleLabel, PredictedButUnsupportedClassCountsInMacro) {
  // gold [0 0], pred [0 1], 3 classes: class 0 F1 2/3 (P 1, R 1/2); class 1 predicted
  // without support: P 0 (0/1), R 0 (0/0 -> 0), F1 0, included; class 2 excluded.
  // macro = (2/3 + 0) / 2 = 1/3 (sklearn f1_score([0,0],[0,1],average="macro") = 1/3)
  SingleLabelMetrics m = single_label_metrics(probs({{.8, .1, .1}, {.1, .8, .1}}), {0, 0});
  EXPECT_NEAR(m.macro_f1, 1.0 / 3, kEps);
  // weighted: only class 0 has support -> 2/3
  EXPECT_NEAR(m.weighted_f1, 2.0 / 3, kEps);
}

TEST(SingleLabel, RejectsBadInput) {
  EXPECT_THROW(single_label_metrics(probs({{.5, .5}}), {2}), UserError);   // label out of range
  EXPECT_THROW(single_label_metrics(probs({{.5, .5}}), {-1}), UserError);  // unlabelled row
  EXPECT_THROW(single_label_metrics(probs({{.5, .5}}), {0, 1}), UserError);  // count mismatch
  ProbMatrix empty;
  empty.cols = 2;
  EXPECT_THROW(single_label_metrics(empty, {}), UserError);
}

TEST(Logits, SoftmaxAndSigmoid) {
  // softmax([0, ln 3]) = [1/4, 3/4]; sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4
  ProbMatrix s = softmax_rows({0.0, std::log(3.0)}, 1, 2);
  EXPECT_NEAR(s.at(0, 0), 0.25, kEps);
  EXPECT_NEAR(s.at(0, 1), 0.75, kEps);
  ProbMatrix g = sigmoid_all({0.0, std::log(3.0), -std::log(3.0)}, 1, 3);
  EXPECT_NEAR(g.at(0, 0), 0.5, kEps);
  EXPECT_NEAR(g.at(0, 1), 0.75, kEps);
  EXPECT_NEAR(g.at(0, 2), 0.25, kEps);
  // large logits do not overflow
  ProbMatrix big = softmax_rows({1000.0, 0.0}, 1, 2);
  EXPECT_NEAR(big.at(0, 0), 1.0, kEps);
}

TEST(MultiLabel, HandComputedExample) {
  // threshold .5 (>= is positive):
  //   gold [1 0 1]  probs [.9 .2 .4]  -> pred [1 0 0]
  //   gold [0 1 0]  probs [.1 .7 .6]  -> pred [0 1 1]
  //   gold [0 0 0]  probs [.2 .3 .1]  -> pred [0 0 0]   (empty = empty: exact match)
  //   gold [1 1 0]  probs [.8 .5 .3]  -> pred [1 1 0]   (.5 counts as positive)
  // label 0: tp 2 fp 0 fn 0 -> F1 1; label 1: tp 2 -> F1 1; label 2: tp 0 fp 1 fn 1 -> F1 0
  // micro = 2*4 / (2*4 + 1 + 1) = 0.8; macro = 2/3; subset accuracy = 2/4 (rows 3, 4)
  ProbMatrix p = probs({{.9, .2, .4}, {.1, .7, .6}, {.2, .3, .1}, {.8, .5, .3}});
  std::vector<uint8_t> gold = {1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0};
  MultiLabelMetrics m = multi_label_metrics(p, gold, 0.5);
  EXPECT_NEAR(m.micro_f1, 0.8, kEps);
  EXPECT_NEAR(m.macro_f1, 2.0 / 3, kEps);
  EXPECT_NEAR(m.subset_accuracy, 0.5, kEps);
  EXPECT_EQ(m.threshold, 0.5);
  EXPECT_EQ(m.per_label[2].support, 1);
  EXPECT_EQ(m.per_label[2].predicted, 1);
  EXPECT_EQ(m.per_label[2].f1, 0.0);
  // The core view (used by slices and the bootstrap) agrees: accuracy = subset accuracy.
  EvalInput in;
  in.task = Task::kMultiLabel;
  in.probs = p;
  in.gold_multi = gold;
  CoreMetrics c = core_metrics(in);
  EXPECT_NEAR(c.accuracy, 0.5, kEps);
  EXPECT_NEAR(c.macro_f1, 2.0 / 3, kEps);
  // A higher threshold (.65): row 2 predicts [0 1 0] -> exact; row 4 predicts [1 0 0] -> not.
  MultiLabelMetrics h = multi_label_metrics(p, gold, 0.65);
  EXPECT_NEAR(h.subset_accuracy, 0.5, kEps);  // rows 2 and 3
  EXPECT_EQ(h.threshold, 0.65);
}

TEST(MultiLabel, NoPositiveLabelsAnywhere) {
  // No gold positives and no predicted positives: every F1 is 0/0 -> 0 (sklearn
  // zero_division=0), yet every row's empty set matches exactly: subset accuracy 1.
  MultiLabelMetrics m = multi_label_metrics(probs({{.1, .2}, {.3, .4}}), {0, 0, 0, 0}, 0.5);
  EXPECT_EQ(m.micro_f1, 0.0);
  EXPECT_EQ(m.macro_f1, 0.0);
  EXPECT_NEAR(m.subset_accuracy, 1.0, kEps);
  // A false positive with no gold positives: micro = 0 / (1 + 0) = 0, subset accuracy 1/2.
  MultiLabelMetrics f = multi_label_metrics(probs({{.6, .2}, {.3, .4}}), {0, 0, 0, 0}, 0.5);
  EXPECT_EQ(f.micro_f1, 0.0);
  EXPECT_NEAR(f.subset_accuracy, 0.5, kEps);
  EXPECT_EQ(f.per_label[0].precision, 0.0);
}

TEST(MultiLabel, RejectsBadThresholdAndShape) {
  EXPECT_THROW(multi_label_metrics(probs({{.1, .2}}), {0, 0}, 1.0), UserError);
  EXPECT_THROW(multi_label_metrics(probs({{.1, .2}}), {0}, 0.5), UserError);
}

TEST(Pair, RocAucWithTiesUsesAverageRanks) {
  // scores .1 .4 .4 .8 .4, positive 0 0 1 1 1
  // ranks: .1 -> 1; the three .4 -> (2+3+4)/3 = 3; .8 -> 5
  // positives' rank sum = 3 + 5 + 3 = 11; U = 11 - 3*4/2 = 5; AUC = 5 / (3*2) = 5/6
  // (check by pairs: (.4,.1)=1 (.4,.4)=.5 (.8,.1)=1 (.8,.4)=1 (.4,.1)=1 (.4,.4)=.5 -> 5/6)
  std::vector<double> s = {.1, .4, .4, .8, .4};
  std::vector<int32_t> pos = {0, 0, 1, 1, 1};
  EXPECT_NEAR(roc_auc(s, pos), 5.0 / 6, kEps);
  // all tied -> 0.5; perfect ranking -> 1; one class only -> undefined (NaN)
  EXPECT_NEAR(roc_auc({.3, .3, .3}, {0, 1, 1}), 0.5, kEps);
  EXPECT_NEAR(roc_auc({.1, .2, .9}, {0, 1, 1}), 1.0, kEps);
  EXPECT_TRUE(std::isnan(roc_auc({.1, .2}, {1, 1})));
}

TEST(Pair, AccuracyPositiveF1AndAuc) {
  // probs [1-s, s] for the scores above: argmax -> [0 0 0 1 0]; gold [0 0 1 1 1]
  // accuracy 3/5 (rows 0 1 3); positive class: tp 1, predicted 1, support 3 ->
  // P 1, R 1/3, F1 2*(1/3)/(4/3) = 1/2
  ProbMatrix p = probs({{.9, .1}, {.6, .4}, {.6, .4}, {.2, .8}, {.6, .4}});
  PairMetrics m = pair_metrics(p, {0, 0, 1, 1, 1});
  EXPECT_NEAR(m.base.accuracy, 0.6, kEps);
  EXPECT_NEAR(m.positive_f1, 0.5, kEps);
  EXPECT_NEAR(m.roc_auc, 5.0 / 6, kEps);
  EXPECT_THROW(pair_metrics(probs({{.3, .3, .4}}), {0}), UserError);  // pairs have 2 classes
}

TEST(Agreement, ShareOfIdenticalPredictions) {
  EXPECT_NEAR(agreement({0, 1, 2, 1}, {0, 1, 1, 1}), 0.75, kEps);  // 3 of 4
  EXPECT_THROW(agreement({0}, {0, 1}), UserError);
  // multi-label: row 0 sets {0} vs {0}; row 1 {1} vs {0,1} -> 1/2
  EXPECT_NEAR(agreement_multi(probs({{.9, .1}, {.2, .7}}), probs({{.8, .3}, {.6, .9}}), 0.5), 0.5, kEps);
}

TEST(Slices, PerMetadataValueAndLengthBucket) {
  EvalInput in;
  in.probs = six_probs();
  in.gold = kSixGold;
  // gold/pred: r0 0/0, r1 1/1, r2 1/0, r3 2/2, r4 2/1, r5 0/0
  std::map<std::string, std::vector<std::string>> meta = {{"channel", {"a", "b", "a", "b", "a", "b"}}};
  std::vector<int64_t> lengths = {3, 9, 20, 40, 8, 16};
  std::vector<SliceResult> s = slice_metrics(in, meta, lengths, {8, 16, 32});
  ASSERT_EQ(s.size(), 6u);
  // channel a = r0 r2 r4: acc 1/3; class 0 tp 1 pred 2 sup 1 -> F1 2/3; class 1 (pred 1,
  // sup 1, tp 0) and class 2 (sup 1) -> 0; macro = (2/3) / 3 = 2/9
  EXPECT_EQ(s[0].field, "channel");
  EXPECT_EQ(s[0].value, "a");
  EXPECT_EQ(s[0].metrics.n, 3);
  EXPECT_NEAR(s[0].metrics.accuracy, 1.0 / 3, kEps);
  EXPECT_NEAR(s[0].metrics.macro_f1, 2.0 / 9, kEps);
  // channel b = r1 r3 r5: all right, macro 1
  EXPECT_EQ(s[1].value, "b");
  EXPECT_NEAR(s[1].metrics.accuracy, 1.0, kEps);
  EXPECT_NEAR(s[1].metrics.macro_f1, 1.0, kEps);
  // length 1-8 = r0 (3), r4 (8): acc 1/2; class 0 F1 1, class 1 (predicted only) 0,
  // class 2 (support only) 0 -> macro 1/3
  EXPECT_EQ(s[2].field, "length");
  EXPECT_EQ(s[2].value, "1-8");
  EXPECT_NEAR(s[2].metrics.accuracy, 0.5, kEps);
  EXPECT_NEAR(s[2].metrics.macro_f1, 1.0 / 3, kEps);
  // 9-16 = r1 (9), r5 (16): all right
  EXPECT_EQ(s[3].value, "9-16");
  EXPECT_NEAR(s[3].metrics.accuracy, 1.0, kEps);
  // 17-32 = r2 (20): wrong; classes 0 (predicted) and 1 (support) both F1 0
  EXPECT_EQ(s[4].value, "17-32");
  EXPECT_NEAR(s[4].metrics.accuracy, 0.0, kEps);
  EXPECT_NEAR(s[4].metrics.macro_f1, 0.0, kEps);
  // 33+ = r3 (40): right
  EXPECT_EQ(s[5].value, "33+");
  EXPECT_EQ(s[5].metrics.n, 1);
  EXPECT_NEAR(s[5].metrics.accuracy, 1.0, kEps);
}

TEST(Slices, BucketNamesAndBadBounds) {
  EXPECT_EQ(length_bucket_names({8, 16, 32}), (std::vector<std::string>{"1-8", "9-16", "17-32", "33+"}));
  EXPECT_EQ(length_bucket(33, {8, 16, 32}), "33+");
  EXPECT_EQ(length_bucket(8, {8, 16, 32}), "1-8");
  EXPECT_EQ(length_bucket_names({}), (std::vector<std::string>{"1+"}));
  EXPECT_THROW(length_bucket_names({16, 8}), UserError);
  EvalInput in;
  in.probs = six_probs();
  in.gold = kSixGold;
  EXPECT_THROW(slice_metrics(in, {{"channel", {"a"}}}, {}), UserError);  // 1 value for 6 rows
}

TEST(Bootstrap, PercentileMatchesNumpyLinear) {
  // numpy.percentile([1,2,3,4], 25): position .25*3 = .75 -> 1 + .75*(2-1) = 1.75
  EXPECT_NEAR(percentile({4, 1, 3, 2}, 25), 1.75, kEps);
  EXPECT_NEAR(percentile({4, 1, 3, 2}, 100), 4.0, kEps);
  EXPECT_NEAR(percentile({4, 1, 3, 2}, 0), 1.0, kEps);
  EXPECT_NEAR(percentile({5}, 97.5), 5.0, kEps);
}

TEST(Bootstrap, DeterministicForASeedAndSensible) {
  EvalInput in;
  in.probs = six_probs();
  in.gold = kSixGold;
  BootstrapResult a = bootstrap_ci(in, 1000, 7);
  BootstrapResult b = bootstrap_ci(in, 1000, 7);
  EXPECT_EQ(a.accuracy.low, b.accuracy.low);
  EXPECT_EQ(a.accuracy.high, b.accuracy.high);
  EXPECT_EQ(a.macro_f1.low, b.macro_f1.low);
  EXPECT_EQ(a.macro_f1.high, b.macro_f1.high);
  EXPECT_EQ(a.resamples, 1000);
  EXPECT_EQ(a.seed, 7u);
  // Resampled accuracies are k/6, so the bounds are on that grid or between two of its
  // points; the interval holds the point estimate 4/6 and is wide for six rows.
  EXPECT_LE(a.accuracy.low, 4.0 / 6);
  EXPECT_GE(a.accuracy.high, 4.0 / 6);
  EXPECT_LE(a.accuracy.low, 2.0 / 6 + kEps);
  EXPECT_GE(a.accuracy.high, 5.0 / 6 - kEps);
  EXPECT_LE(a.macro_f1.low, a.macro_f1.high);
}

TEST(Bootstrap, SeedChangesTheResamples) {
  // 300 rows, 3 classes, every third row wrong (predicted one class up): with six rows
  // the quantiles sit on the same k/6 grid for any seed, so use a larger set here.
  EvalInput in;
  in.probs.cols = 3;
  for (int i = 0; i < 300; ++i) {
    int gold = i % 3, pred = (i % 7 == 0) ? (gold + 1) % 3 : gold;
    for (int j = 0; j < 3; ++j) in.probs.values.push_back(j == pred ? 0.8 : 0.1);
    in.gold.push_back(gold);
  }
  in.probs.rows = 300;
  BootstrapResult a = bootstrap_ci(in, 1000, 7), c = bootstrap_ci(in, 1000, 8);
  EXPECT_TRUE(c.accuracy.low != a.accuracy.low || c.accuracy.high != a.accuracy.high ||
              c.macro_f1.low != a.macro_f1.low || c.macro_f1.high != a.macro_f1.high);
  // accuracy = 1 - 43/300 (rows 0, 7, ..., 294 are wrong); the 95% interval holds it
  double acc = 1 - 43.0 / 300;
  EXPECT_NEAR(core_metrics(in).accuracy, acc, kEps);
  EXPECT_LT(a.accuracy.low, acc);
  EXPECT_GT(a.accuracy.high, acc);
  EXPECT_LT(a.accuracy.high - a.accuracy.low, 0.1);  // about 4 standard errors of 0.02
}

TEST(Bootstrap, PerfectModelHasDegenerateInterval) {
  // Every resample of an all-correct set has accuracy 1 and macro F1 1.
  EvalInput in;
  in.probs = probs({{.9, .1}, {.2, .8}, {.7, .3}});
  in.gold = {0, 1, 0};
  BootstrapResult r = bootstrap_ci(in, 200, 1);
  EXPECT_EQ(r.accuracy.low, 1.0);
  EXPECT_EQ(r.accuracy.high, 1.0);
  EXPECT_EQ(r.macro_f1.low, 1.0);
  EXPECT_EQ(r.macro_f1.high, 1.0);
}

TEST(McNemar, NoDiscordantPairs) {
  // b = c = 0: no evidence of a difference; p = 1.
  McNemarResult r = mcnemar({true, false, true}, {true, false, true});
  EXPECT_EQ(r.b, 0);
  EXPECT_EQ(r.c, 0);
  EXPECT_EQ(r.method, "none");
  EXPECT_EQ(r.statistic, 0.0);
  EXPECT_EQ(r.p_value, 1.0);
}

TEST(McNemar, ExactBinomialForSmallCounts) {
  // b = 5, c = 1 (n = 6 < 25): p = 2 * P(X <= 1), X ~ Bin(6, 1/2) = 2 * (1 + 6) / 64 = 14/64
  std::vector<bool> a, b;
  for (int i = 0; i < 5; ++i) a.push_back(true), b.push_back(false);
  a.push_back(false), b.push_back(true);
  for (int i = 0; i < 4; ++i) a.push_back(true), b.push_back(true);  // concordant rows do not count
  McNemarResult r = mcnemar(a, b);
  EXPECT_EQ(r.b, 5);
  EXPECT_EQ(r.c, 1);
  EXPECT_EQ(r.method, "exact_binomial");
  EXPECT_EQ(r.statistic, 1.0);
  EXPECT_NEAR(r.p_value, 14.0 / 64, 1e-12);
  // b = c = 3: 2 * P(X <= 3 | n = 6) = 2 * 42/64 > 1 -> capped at 1
  std::vector<bool> x = {true, true, true, false, false, false}, y = {false, false, false, true, true, true};
  EXPECT_NEAR(mcnemar(x, y).p_value, 1.0, kEps);
}

TEST(McNemar, ChiSquareWithContinuityCorrection) {
  // b = 30, c = 10 (n = 40 >= 25): (|30 - 10| - 1)^2 / 40 = 361/40 = 9.025;
  // p = chi2.sf(9.025, 1) = erfc(sqrt(9.025 / 2)) = 0.0026631192591...
  std::vector<bool> a, b;
  for (int i = 0; i < 30; ++i) a.push_back(true), b.push_back(false);
  for (int i = 0; i < 10; ++i) a.push_back(false), b.push_back(true);
  McNemarResult r = mcnemar(a, b);
  EXPECT_EQ(r.method, "chi2_continuity");
  EXPECT_NEAR(r.statistic, 9.025, 1e-12);
  EXPECT_NEAR(r.p_value, 0.002663119259138554, 1e-12);
  // The threshold is configurable: with exact_below = 100 the same counts use the binomial.
  EXPECT_EQ(mcnemar(a, b, 100).method, "exact_binomial");
  EXPECT_THROW(mcnemar({true}, {true, false}), UserError);
}

TEST(McNemar, CorrectRowsFeedsTheTest) {
  EvalInput in;
  in.probs = six_probs();
  in.gold = kSixGold;
  EXPECT_EQ(correct_rows(in), (std::vector<bool>{true, true, false, true, false, true}));
}

}  // namespace
}  // namespace zl::metrics
