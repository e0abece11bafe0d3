// No host synchronisation per training step (issue 12): the loss parts are summed
// where they are computed and read at logging steps only. On CPU the logged values
// must be bit-identical to summing them on the host (the old way), and a step's host
// reads are pinned down by count; on CUDA (skipped without a GPU) the steps between
// two logging steps make no device-to-host copy at all, checked twice: by our
// operator counter and by CUDA's own sync debug mode set to "error".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#ifdef ZL_HAVE_C10_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "host_read_counter.h"
#include "kd_loss.h"
#include "run_training.h"
#include "run_training_test_util.h"

namespace {

using zl::testing::HostReadCounter;

std::vector<nlohmann::json> train_events(const std::string& run_dir) {
  std::ifstream f(run_dir + "/metrics.jsonl");
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.value("event", "") == "train") out.push_back(j);
  }
  return out;
}

TEST(HostReadCounter, CountsScalarReads) {
  HostReadCounter c;
  auto t = torch::arange(4, torch::kFloat);
  (void)t.sum().item<double>();
  (void)t.max().item<float>();
  EXPECT_EQ(c.host_reads(), 2);
  EXPECT_EQ(c.device_to_host(), 0);  // CPU tensors: nothing to wait for
  c.reset();
  (void)(t * 2).sum();
  EXPECT_EQ(c.host_reads(), 0);
}

// The logged parts equal, to the bit, the host-side sum the trainer used to do
// (value.item<double>() / n_micro summed per window, / steps in the window).
TEST(HostSync, LoggedPartsAreBitIdenticalToSummingOnTheHost) {
  auto s = zl::testing::small_run("hostsync_bits");
  auto r = s.request("run", {"train.max_steps=12", "train.log_every=3", "train.grad_accum=2", "train.eval_every=5"});
  std::map<int64_t, std::vector<std::map<std::string, double>>> seen;  // step -> per micro-batch parts
  zl::HooksFactory factory = [&](const zl::RunContext& ctx) {
    zl::TrainerHooks h;
    auto gold = zl::default_loss(ctx.info.task, 0.1);
    h.loss = [&, gold](const zl::Batch& b, const zl::ModelOutput& o, int64_t step) {
      zl::LossParts lp = gold(b, o, step);
      lp.parts.push_back({"mean_logit", o.logits.detach().mean()});                          // a float device value
      lp.parts.push_back({"host_value", torch::scalar_tensor(0.1 * static_cast<double>(step), torch::kFloat64)});
      std::map<std::string, double> v;
      for (const auto& [k, t] : lp.parts) v[k] = t.item<double>();
      seen[step].push_back(v);
      return lp;
    };
    return h;
  };
  ASSERT_EQ(zl::run_training(r, factory), 0);
  auto events = train_events(r.out_dir);
  ASSERT_EQ(events.size(), 4u);
  std::map<std::string, double> sum;
  int64_t n = 0;
  size_t e = 0;
  for (int64_t step = 0; step < 12; ++step) {
    const auto& micro = seen.at(step);
    for (const auto& v : micro)
      for (const auto& [k, x] : v) sum[k] += x / static_cast<double>(micro.size());
    ++n;
    if ((step + 1) % 3 == 0) {
      for (const auto& [k, x] : sum) {
        ASSERT_TRUE(events[e].contains(k)) << k;
        EXPECT_EQ(events[e][k].get<double>(), x / static_cast<double>(n)) << k << " at step " << step + 1;
      }
      sum.clear();
      n = 0;
      ++e;
    }
  }
}

// On CPU a step reads exactly: per micro-batch the gold loss's "any labelled row?"
// test, then the trainer's non-finite check and the loss (host reads are free on CPU).
TEST(HostSync, CpuStepHostReadsArePinnedDown) {
  auto s = zl::testing::small_run("hostsync_cpu");
  auto r = s.request("run", {"train.max_steps=6", "train.log_every=100", "train.grad_accum=2", "train.dev_split=none"});
  HostReadCounter c;
  std::map<int64_t, int64_t> at_step;
  zl::HooksFactory factory = [&](const zl::RunContext&) {
    zl::TrainerHooks h;
    h.on_step = [&](int64_t step) { at_step[step] = c.host_reads(); };
    return h;
  };
  ASSERT_EQ(zl::run_training(r, factory), 0);
  for (int64_t step = 2; step <= 5; ++step) EXPECT_EQ(at_step.at(step) - at_step.at(step - 1), 2 + 2) << step;
}

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine"

// Runs `steps` optimizer steps on CUDA with logging only at the end, counting the
// device-to-host copies of steps 3 .. steps-1 (after warm-up, before the final read).
int64_t cuda_syncs_between_logs(const std::string& tag, bool distill_loss) {
  auto s = zl::testing::small_run(tag);
  auto r = s.request("run", {"train.max_steps=10", "train.log_every=100", "train.grad_accum=2",
                             "train.dev_split=none", "train.checkpoint_every=100"});
  r.device = "cuda";
  auto counter = std::make_shared<HostReadCounter>();
  int64_t syncs = -1;
  torch::Tensor teacher;  // fixed "teacher logits" for every train row, on the device
  zl::HooksFactory factory = [&](const zl::RunContext& ctx) {
    zl::TrainerHooks h;
    if (distill_loss) {
      teacher = torch::randn({static_cast<int64_t>(ctx.train.size()), static_cast<int64_t>(ctx.info.label_names.size())},
                             torch::TensorOptions().device(ctx.device));
      h.loss = [&](const zl::Batch& b, const zl::ModelOutput& o, int64_t) {
        zl::KdLossInput in;
        in.student_logits = o.logits;
        in.teacher_logits = {teacher.index_select(0, b.row_index)};
        in.labels = b.labels;
        zl::KdLossTerms t = zl::kd_loss_terms(in, zl::KdLossOptions{});
        zl::LossParts lp;
        lp.total = t.total;
        lp.parts = {{"kd", t.soft}, {"ce", t.hard}};
        return lp;
      };
    }
    h.on_step = [&](int64_t step) {
      if (step == 2) {
        counter->reset();
#ifdef ZL_HAVE_C10_CUDA
        c10::cuda::warning_state().set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
#endif
      }
      if (step == 9) {
#ifdef ZL_HAVE_C10_CUDA
        c10::cuda::warning_state().set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
#endif
        syncs = counter->device_to_host();
      }
    };
    return h;
  };
  int rc = -1;
  try {
    rc = zl::run_training(r, factory);
  } catch (...) {
#ifdef ZL_HAVE_C10_CUDA
    c10::cuda::warning_state().set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
#endif
    throw;  // "called a synchronizing CUDA operation": the message names it
  }
  EXPECT_EQ(rc, 0);
  return syncs;
}

TEST(HostSync, CudaTrainStepsBetweenLogsCopyNothingToTheHost) {
  SKIP_WITHOUT_CUDA();
  EXPECT_EQ(cuda_syncs_between_logs("hostsync_cuda_train", false), 0);
}

TEST(HostSync, CudaDistillStepsBetweenLogsCopyNothingToTheHost) {
  SKIP_WITHOUT_CUDA();
  EXPECT_EQ(cuda_syncs_between_logs("hostsync_cuda_kd", true), 0);
}

}  // namespace
