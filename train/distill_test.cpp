#include "distill.h"

#include <gtest/gtest.h>

#include <map>

#include "error.h"

namespace {
zl::DistillConfig parse(const std::string& yaml) {
  auto c = zl::Config::from_string(yaml, "test.yaml");
  auto d = zl::DistillConfig::from_config(c.child("distill"), 0.0);
  c.check_unknown_keys();
  return d;
}
std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const zl::UserError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(DistillConfig, DefaultsAndSchedules) {
  auto d = parse("distill: {alpha: 0.9, alpha_end: 0.5, temperature: 4}\n");
  EXPECT_DOUBLE_EQ(d.alpha, 0.9);
  EXPECT_DOUBLE_EQ(d.alpha_end, 0.5);
  EXPECT_DOUBLE_EQ(d.temperature_end, 4.0);  // constant unless temperature_end is given
  EXPECT_EQ(d.loss, zl::SoftLoss::kKL);
  EXPECT_DOUBLE_EQ(d.gold_label_share, 1.0);
  EXPECT_FALSE(d.intermediate.enabled());
}

TEST(DistillConfig, BadValuesNameTheKey) {
  EXPECT_NE(error_of("distill: {alpha: 1.5}\n").find("distill.alpha"), std::string::npos);
  EXPECT_NE(error_of("distill: {alpha: -0.1}\n").find("must be in [0, 1]"), std::string::npos);
  EXPECT_NE(error_of("distill: {temperature: 0}\n").find("distill.temperature"), std::string::npos);
  EXPECT_NE(error_of("distill: {loss: kld}\n").find("distill.loss"), std::string::npos);
  EXPECT_NE(error_of("distill: {gold_label_share: 1.2}\n").find("distill.gold_label_share"), std::string::npos);
  EXPECT_NE(error_of("distill: {teacher_weights: [1, -1]}\n").find("distill.teacher_weights"), std::string::npos);
  EXPECT_NE(error_of("distill: {intermediate: {hidden_weight: 1}}\n").find("distill.intermediate.teacher_run"),
            std::string::npos);
  EXPECT_NE(error_of("distill: {alpah: 0.5}\n").find("alpha"), std::string::npos);  // unknown key, closest suggested
}

TEST(DistillConfig, SentenceTermKeys) {
  auto off = parse("distill: {alpha: 0.5}\n");
  EXPECT_EQ(off.sentence_weight, 0.0);  // off by default
  EXPECT_EQ(off.sentence_loss, zl::SentenceLoss::kMSE);
  EXPECT_EQ(off.sentence_teacher, -1);
  auto on = parse("distill: {sentence_weight: 0.5, sentence_loss: cosine, sentence_teacher: 1}\n");
  EXPECT_DOUBLE_EQ(on.sentence_weight, 0.5);
  EXPECT_EQ(on.sentence_loss, zl::SentenceLoss::kCosine);
  EXPECT_EQ(on.sentence_teacher, 1);
  EXPECT_NE(error_of("distill: {sentence_weight: -1}\n").find("distill.sentence_weight"), std::string::npos);
  EXPECT_NE(error_of("distill: {sentence_loss: l1}\n").find("distill.sentence_loss"), std::string::npos);
  EXPECT_NE(error_of("distill: {sentence_teacher: -2}\n").find("distill.sentence_teacher"), std::string::npos);
}

TEST(GoldRows, StratifiedSeededAndKeepsUnlabelledRows) {
  zl::SplitData s;
  // class 0: 10 rows, class 1: 20 rows, class 2: 1 row, 3 unlabelled
  for (int i = 0; i < 10; ++i) s.labels.push_back(0);
  for (int i = 0; i < 20; ++i) s.labels.push_back(1);
  s.labels.push_back(2);
  for (int i = 0; i < 3; ++i) s.labels.push_back(-1);
  s.ids.resize(s.labels.size());
  auto keep = zl::choose_gold_rows(s, zl::Task::kSingleLabel, 3, 0.2, 7);
  std::map<int, int> kept;
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) ++kept[s.labels[i]];
  EXPECT_EQ(kept[0], 2);   // round(0.2 * 10)
  EXPECT_EQ(kept[1], 4);   // round(0.2 * 20)
  EXPECT_EQ(kept[2], 1);   // at least one per class
  EXPECT_EQ(kept[-1], 0);  // no label to keep
  EXPECT_EQ(keep, zl::choose_gold_rows(s, zl::Task::kSingleLabel, 3, 0.2, 7));  // same seed, same rows
  EXPECT_NE(keep, zl::choose_gold_rows(s, zl::Task::kSingleLabel, 3, 0.2, 8));
  auto all = zl::choose_gold_rows(s, zl::Task::kSingleLabel, 3, 1.0, 7);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], s.labels[i] >= 0 ? 1 : 0);
}
