#include "step_loader.h"

#include <gtest/gtest.h>

#include "synthetic_data_testing.h"

namespace {

zl::StepLoaderOptions options(int rank, int world, int64_t accum, int64_t prefetch) {
  zl::StepLoaderOptions o;
  o.sampler.batch_size = 8;
  o.seed = 5;
  o.grad_accum = accum;
  o.rank = rank;
  o.world_size = world;
  o.prefetch_steps = prefetch;
  o.window_steps = 7;  // several windows per epoch
  return o;
}

std::vector<int64_t> rows_of(const zl::StepBatches& s) {
  std::vector<int64_t> r;
  for (const auto& b : s.micro) r.insert(r.end(), b.rows.begin(), b.rows.end());
  return r;
}

class StepLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    zl::testing::SyntheticOptions so;
    so.train = 150;
    path_ = zl::testing::write_synthetic_dataset(zl::testing::make_temp_dir("step_loader"), "d", so);
    split_ = zl::read_split(path_, "train");
    info_ = zl::read_dataset_info(path_);
  }
  std::string path_;
  zl::SplitData split_;
  zl::DatasetInfo info_;
};

// One process: the step is train.grad_accum consecutive sampler batches, as the
// single-process trainer always took them.
TEST_F(StepLoaderTest, SingleProcessStepsAreConsecutiveSamplerBatches) {
  zl::StepLoader loader(split_, info_, options(0, 1, 2, 2));
  zl::DataLoader ref(split_, info_, options(0, 1, 2, 0).sampler, 5);
  for (int step = 0; step < 25; ++step) {  // crosses epoch boundaries
    auto s = loader.next();
    ASSERT_EQ(s.micro.size(), 2u);
    for (auto& b : s.micro) {
      auto r = ref.next();
      EXPECT_EQ(b.rows, r.rows);
      EXPECT_TRUE(torch::equal(b.input_ids, r.input_ids));
      EXPECT_TRUE(torch::equal(b.labels, r.labels));
    }
    EXPECT_EQ(loader.position().epoch, ref.sampler().position().epoch);
    EXPECT_EQ(loader.position().batch, ref.sampler().position().batch);
  }
}

// Two ranks together see exactly the single process's rows, each step; the
// reader-backed loader (rank shards only) builds the same tensors.
TEST_F(StepLoaderTest, RanksPartitionTheStepAndReaderMatchesMemory) {
  for (int64_t accum : {1, 2, 3}) {
    SCOPED_TRACE("grad_accum " + std::to_string(accum));
    zl::StepLoader one(split_, info_, options(0, 1, accum, 0));
    auto reader = std::make_shared<zl::SplitRowReader>(path_, "train");
    zl::StepLoader r0(split_, info_, options(0, 2, accum, 3));
    zl::StepLoader r1(reader, options(1, 2, accum, 3));
    zl::StepLoader r1_mem(split_, info_, options(1, 2, accum, 0));
    for (int step = 0; step < 30; ++step) {
      auto a = one.next(), b0 = r0.next(), b1 = r1.next(), b1m = r1_mem.next();
      auto rows = rows_of(b0), rows1 = rows_of(b1);
      rows.insert(rows.end(), rows1.begin(), rows1.end());
      EXPECT_EQ(rows, rows_of(a));
      EXPECT_EQ(b0.global_samples, a.global_samples);
      EXPECT_EQ(b0.rank_samples + b1.rank_samples, a.global_samples);
      ASSERT_EQ(b1.micro.size(), b1m.micro.size());
      for (size_t m = 0; m < b1.micro.size(); ++m) {
        EXPECT_EQ(b1.micro[m].rows, b1m.micro[m].rows);
        EXPECT_TRUE(torch::equal(b1.micro[m].input_ids, b1m.micro[m].input_ids));
        EXPECT_TRUE(torch::equal(b1.micro[m].attention_mask, b1m.micro[m].attention_mask));
        EXPECT_TRUE(torch::equal(b1.micro[m].labels, b1m.micro[m].labels));
      }
      EXPECT_EQ(b1.after.batch, a.after.batch);
    }
  }
}

// A checkpointed position resumes the same steps, also on another world size.
TEST_F(StepLoaderTest, ResumesFromPosition) {
  zl::StepLoader full(split_, info_, options(0, 1, 2, 2));
  for (int i = 0; i < 11; ++i) full.next();
  auto pos = full.position();
  auto expect = rows_of(full.next());
  auto reader = std::make_shared<zl::SplitRowReader>(path_, "train");
  zl::StepLoader r0(reader, options(0, 2, 2, 2)), r1(reader, options(1, 2, 2, 0));
  r0.set_position(pos);
  r1.set_position(pos);
  auto got = rows_of(r0.next()), got1 = rows_of(r1.next());
  got.insert(got.end(), got1.begin(), got1.end());
  EXPECT_EQ(got, expect);
}

}  // namespace
