#include <gtest/gtest.h>

#include <cmath>

#include "trainer.h"

namespace zl {
namespace {

Batch with_labels(torch::Tensor labels) {
  Batch b;
  b.labels = labels;
  b.rows = {0, 1, 2};
  return b;
}

TEST(GoldLoss, CrossEntropyExcludesUnlabelled) {
  auto logits = torch::tensor({{2.0f, 0.0f}, {0.0f, 0.0f}, {5.0f, -5.0f}});
  auto b = with_labels(torch::tensor({0L, 1L, -1L}));
  auto lp = gold_loss(Task::kSingleLabel, b, logits, 0.0);
  // Hand-computed: row0 -log(e^2/(e^2+1)), row1 log 2; row2 excluded.
  double expected = (std::log(1 + std::exp(-2.0)) + std::log(2.0)) / 2;
  EXPECT_NEAR(lp.total.item<double>(), expected, 1e-6);
}

TEST(GoldLoss, LabelSmoothing) {
  auto logits = torch::tensor({{2.0f, 0.0f}});
  Batch b;
  b.labels = torch::tensor({0L});
  auto lp = gold_loss(Task::kSingleLabel, b, logits, 0.2);
  double lp0 = -std::log(1 + std::exp(-2.0)), lp1 = -2 - std::log(1 + std::exp(-2.0));
  EXPECT_NEAR(lp.total.item<double>(), -(0.9 * lp0 + 0.1 * lp1), 1e-6);
}

TEST(GoldLoss, AllUnlabelledIsZeroNotNaN) {
  auto logits = torch::randn({2, 3}, torch::requires_grad());
  Batch b;
  b.labels = torch::tensor({-1L, -1L});
  auto lp = gold_loss(Task::kSingleLabel, b, logits, 0.1);
  EXPECT_EQ(lp.total.item<double>(), 0.0);
  lp.total.backward();
}

TEST(GoldLoss, MultiLabelBce) {
  auto logits = torch::tensor({{0.0f, 2.0f}});
  Batch b;
  b.labels = torch::tensor({{1.0f, 0.0f}});
  auto lp = gold_loss(Task::kMultiLabel, b, logits, 0.0);
  double expected = (std::log(2.0) + std::log(1 + std::exp(2.0))) / 2;
  EXPECT_NEAR(lp.total.item<double>(), expected, 1e-6);
}

}  // namespace
}  // namespace zl
