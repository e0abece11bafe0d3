// CUDA-only checks of the data-parallel and GPU-performance path (label cuda;
// skipped, and reported as skipped, without a GPU): NCCL all-reduce through
// c10d, pinned asynchronous batches, and bf16 training steps through the Trainer.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <fstream>

#include "distributed.h"
#include "distributed_nccl.h"
#include "run_dir.h"
#include "run_training.h"
#include "step_loader.h"
#include "synthetic_data_testing.h"
#include "atomic_file.h"

namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine"

TEST(DistributedCuda, NcclAllReduceOneRank) {
  SKIP_WITHOUT_CUDA();
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(zl::dist::free_port());
  so.isServer = true;
  so.numWorkers = 1;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  zl::dist::set_current_device(torch::Device(torch::kCUDA, 0));
  auto pg = zl::dist::make_nccl_backend(store, 0, 1, std::chrono::seconds(60));
  std::vector<at::Tensor> t{torch::arange(8, torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA))};
  pg->allreduce(t)->wait();
  EXPECT_TRUE(torch::equal(t[0].cpu(), torch::arange(8, torch::kFloat32)));
}

TEST(DistributedCuda, StepLoaderDeliversPinnedCopiesOnTheDevice) {
  SKIP_WITHOUT_CUDA();
  auto path = zl::testing::write_synthetic_dataset(zl::testing::make_temp_dir("cuda_loader"), "d");
  auto split = zl::read_split(path, "train");
  auto info = zl::read_dataset_info(path);
  zl::StepLoaderOptions o;
  o.sampler.batch_size = 16;
  o.grad_accum = 2;
  o.prefetch_steps = 3;
  zl::StepLoader cpu(split, info, o);
  o.device = torch::Device(torch::kCUDA, 0);
  zl::StepLoader gpu(split, info, o);
  for (int i = 0; i < 10; ++i) {
    auto a = cpu.next(), b = gpu.next();
    ASSERT_EQ(a.micro.size(), b.micro.size());
    for (size_t m = 0; m < a.micro.size(); ++m) {
      EXPECT_TRUE(b.micro[m].input_ids.is_cuda());
      EXPECT_TRUE(torch::equal(a.micro[m].input_ids, b.micro[m].input_ids.cpu()));
      EXPECT_TRUE(torch::equal(a.micro[m].labels, b.micro[m].labels.cpu()));
    }
  }
}

// bf16 autocast training through the whole kd train path learns the synthetic rule.
TEST(DistributedCuda, TrainerLearnsInBf16) {
  SKIP_WITHOUT_CUDA();
  auto dir = zl::testing::make_temp_dir("cuda_train");
  auto data = zl::testing::write_synthetic_dataset(dir, "d");
  zl::write_file_atomic(dir + "/m.yaml", "architecture: transformer\nlayers: 2\nhidden: 64\nheads: 4\nffn: 128\nmax_length: 32\n");
  zl::write_file_atomic(dir + "/t.yaml",
                        "train:\n  batch_size: 16\n  max_steps: 150\n  eval_every: 150\n  lr: 2.0e-3\n  log_every: 50\n"
                        "  progress: lines\n");
  zl::RunRequest r;
  r.data_path = data;
  r.model_path = dir + "/m.yaml";
  r.config_path = dir + "/t.yaml";
  r.out_dir = dir + "/run";
  r.device = "cuda";
  ASSERT_EQ(zl::run_training(r), 0);
  std::ifstream m(dir + "/run/metrics.jsonl");
  double acc = -1;
  for (std::string line; std::getline(m, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.value("event", "") == "eval") acc = j.value("accuracy", -1.0);
  }
  EXPECT_GT(acc, 0.8) << "dev accuracy after 150 bf16 steps";
}

}  // namespace
