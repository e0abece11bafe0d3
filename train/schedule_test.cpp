#include <gtest/gtest.h>

#include "trainer.h"

namespace zl {
namespace {

TEST(Schedule, LinearWarmupThenLinearDecay) {
  TrainConfig c;
  c.schedule = "linear";
  EXPECT_DOUBLE_EQ(lr_factor(c, 0, 110, 10), 0.1);
  EXPECT_DOUBLE_EQ(lr_factor(c, 9, 110, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor(c, 10, 110, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor(c, 60, 110, 10), 0.5);
  EXPECT_DOUBLE_EQ(lr_factor(c, 110, 110, 10), 0.0);
  c.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(lr_factor(c, 60, 110, 10), 0.55);
}

TEST(Schedule, Cosine) {
  TrainConfig c;
  c.schedule = "cosine";
  EXPECT_DOUBLE_EQ(lr_factor(c, 0, 100, 0), 1.0);
  EXPECT_NEAR(lr_factor(c, 50, 100, 0), 0.5, 1e-12);
  EXPECT_NEAR(lr_factor(c, 25, 100, 0), 0.5 * (1 + std::cos(M_PI / 4)), 1e-12);
  EXPECT_NEAR(lr_factor(c, 100, 100, 0), 0.0, 1e-12);
}

TEST(Schedule, Constant) {
  TrainConfig c;
  c.schedule = "constant";
  EXPECT_DOUBLE_EQ(lr_factor(c, 1, 100, 4), 0.5);
  EXPECT_DOUBLE_EQ(lr_factor(c, 80, 100, 4), 1.0);
}

}  // namespace
}  // namespace zl
