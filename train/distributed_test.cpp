// Unit tests of the data-parallel helpers that need no second process.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>

#include "distributed.h"
#include "error.h"

namespace {

TEST(RankMicroBatches, WholeBatchesWhenAccumulationDivides) {
  std::vector<std::vector<int64_t>> step{{0, 1}, {2, 3}, {4, 5}, {6, 7}};
  auto r0 = zl::dist::rank_micro_batches(step, 0, 2, 2);
  auto r1 = zl::dist::rank_micro_batches(step, 1, 2, 2);
  EXPECT_EQ(r0, (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}}));
  EXPECT_EQ(r1, (std::vector<std::vector<int64_t>>{{4, 5}, {6, 7}}));
  EXPECT_EQ(zl::dist::rank_micro_batches(step, 0, 1, 2), step);
}

TEST(RankMicroBatches, SlicesWhenItDoesNot) {
  std::vector<std::vector<int64_t>> step{{0, 1, 2, 3, 4}};
  auto r0 = zl::dist::rank_micro_batches(step, 0, 2, 5);
  auto r1 = zl::dist::rank_micro_batches(step, 1, 2, 5);
  EXPECT_EQ(r0, (std::vector<std::vector<int64_t>>{{0, 1, 2}}));
  EXPECT_EQ(r1, (std::vector<std::vector<int64_t>>{{3, 4}}));
  // A slice larger than the micro-batch limit is split.
  auto r = zl::dist::rank_micro_batches({{0, 1, 2, 3, 4, 5, 6, 7}}, 0, 2, 3);
  EXPECT_EQ(r, (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}}));
  EXPECT_THROW(zl::dist::rank_micro_batches({{0}}, 0, 2, 4), zl::UserError);
}

TEST(DistEnv, SingleProcessWithoutTorchrunVariables) {
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  auto e = zl::dist::env_from_environment();
  EXPECT_EQ(e.world_size, 1);
  EXPECT_FALSE(e.enabled());
  setenv("WORLD_SIZE", "two", 1);
  EXPECT_THROW(zl::dist::env_from_environment(), zl::UserError);
  unsetenv("WORLD_SIZE");
}

}  // namespace
