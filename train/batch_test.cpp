#include "batch.h"

#include <gtest/gtest.h>

#include <set>

#include "model_test_util.h"

namespace zl {
namespace {

TEST(MakeBatch, PadsToLongestAndMasks) {
  auto s = testing::tiny_split();
  Batch b = make_batch(s, Task::kSingleLabel, 3, 0, {0, 1});
  EXPECT_EQ(b.input_ids.sizes(), (std::vector<int64_t>{2, 9}));
  EXPECT_EQ(b.attention_mask.sum().item<int64_t>(), 11);
  EXPECT_EQ(b.input_ids[0][2].item<int64_t>(), 0);  // pad
  EXPECT_EQ(b.labels[1].item<int64_t>(), 1);
  EXPECT_FALSE(b.token_type_ids.defined());
  EXPECT_EQ(b.rows, (std::vector<int64_t>{0, 1}));
}

TEST(MakeBatch, TruncationKeepsFinalSep) {
  auto s = testing::tiny_split();
  Batch b = make_batch(s, Task::kSingleLabel, 3, 0, {1}, /*max_length=*/4);
  EXPECT_EQ(b.input_ids.sizes(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(b.input_ids[0][3].item<int64_t>(), 3);
  EXPECT_EQ(b.input_ids[0][1].item<int64_t>(), 10);
}

TEST(MakeBatch, PairAndMultiLabel) {
  auto s = testing::tiny_split(Task::kPair);
  Batch p = make_batch(s, Task::kPair, 2, 0, {1});
  ASSERT_TRUE(p.token_type_ids.defined());
  EXPECT_EQ(p.token_type_ids[0][5].item<int64_t>(), 1);
  auto m = testing::tiny_split(Task::kMultiLabel);
  Batch ml = make_batch(m, Task::kMultiLabel, 3, 0, {2});
  EXPECT_EQ(ml.labels.sizes(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(ml.labels[0][1].item<float>(), 1.f);
}

std::vector<int64_t> lengths(int n) {
  std::vector<int64_t> l;
  for (int i = 0; i < n; ++i) l.push_back(1 + (i * 37) % 50);
  return l;
}

TEST(BatchSampler, CoversEveryRowOncePerEpoch) {
  SamplerOptions o;
  o.batch_size = 8;
  o.pool_batches = 3;
  BatchSampler s(lengths(101), o, 7);
  EXPECT_EQ(s.batches_per_epoch(), 13);
  std::multiset<int64_t> seen;
  for (auto& b : s.epoch_batches(0)) seen.insert(b.begin(), b.end());
  EXPECT_EQ(seen.size(), 101u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 101u);
}

TEST(BatchSampler, DeterministicPerSeedAndEpoch) {
  SamplerOptions o;
  o.batch_size = 8;
  BatchSampler a(lengths(100), o, 7), b(lengths(100), o, 7), c(lengths(100), o, 8);
  EXPECT_EQ(a.epoch_batches(3), b.epoch_batches(3));
  EXPECT_NE(a.epoch_batches(3), a.epoch_batches(4));
  EXPECT_NE(a.epoch_batches(3), c.epoch_batches(3));
}

TEST(BatchSampler, BucketingReducesPadding) {
  auto l = lengths(400);
  auto padded = [&](bool bucket) {
    SamplerOptions o;
    o.batch_size = 16;
    o.bucket = bucket;
    o.pool_batches = 25;
    int64_t total = 0;
    for (auto& b : BatchSampler(l, o, 1).epoch_batches(0)) {
      int64_t mx = 0;
      for (auto r : b) mx = std::max(mx, l[static_cast<size_t>(r)]);
      total += mx * static_cast<int64_t>(b.size());
    }
    return total;
  };
  EXPECT_LT(padded(true), padded(false) * 0.7);
}

TEST(BatchSampler, PositionSaveRestore) {
  SamplerOptions o;
  o.batch_size = 10;
  BatchSampler a(lengths(95), o, 3);
  for (int i = 0; i < 14; ++i) a.next();  // crosses into epoch 1
  EXPECT_EQ(a.position().epoch, 1);
  EXPECT_EQ(a.position().batch, 4);
  BatchSampler b(lengths(95), o, 3);
  b.set_position(a.position());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_THROW(b.set_position({0, 10}), UserError);
}

}  // namespace
}  // namespace zl
