// Exact resume: a run stopped and resumed ends with the same weights as one
// uninterrupted run (CPU, dropout on, gradient accumulation on).
#include "trainer.h"

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "run_dir.h"
#include "run_training_test_util.h"

namespace zl {
namespace {

// Loads both runs' weights (best or final) and compares every tensor exactly.
void expect_same_weights(const std::string& run_a, const std::string& run_b, const std::string& which = "final") {
  auto a = load_run(run_a, which), b = load_run(run_b, which);
  auto pa = a.model->named_parameters(), pb = b.model->named_parameters();
  ASSERT_GT(pa.size(), 3u);
  for (auto& kv : pa) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
}

nlohmann::json run_json(const std::string& dir) { return nlohmann::json::parse(read_file(dir + "/run.json")); }

TEST(Resume, PausedRunEqualsUninterrupted) {
  auto s = testing::small_run("resume");
  ASSERT_EQ(run_training(s.request("full")), 0);
  ASSERT_EQ(run_training(s.request("split", {"train.max_steps_this_invocation=7"})), 0);
  EXPECT_EQ(run_json(s.dir + "/split")["status"], "paused");
  EXPECT_FALSE(file_exists(s.dir + "/split/final.pt"));
  auto r = s.request("split");
  r.resume = true;
  ASSERT_EQ(run_training(r), 0);
  EXPECT_EQ(run_json(s.dir + "/split")["status"], "finished");
  expect_same_weights(s.dir + "/full", s.dir + "/split", "final");
  expect_same_weights(s.dir + "/full", s.dir + "/split", "best");
  // The metrics log of the resumed run reads like the uninterrupted one (minus the pause event).
  auto lines = [](const std::string& p) {
    std::string t = read_file(p);
    return std::count(t.begin(), t.end(), '\n');
  };
  EXPECT_EQ(lines(s.dir + "/full/metrics.jsonl") + 1, lines(s.dir + "/split/metrics.jsonl"));
}

TEST(Resume, SigtermCheckpointThenResumeEqualsUninterrupted) {
  auto s = testing::small_run("sigterm",
                              "architecture: bilstm\nembedding_dim: 16\nlstm_hidden: 16\ndropout: 0.3\nmax_length: 32\n");
  ASSERT_EQ(run_training(s.request("full")), 0);
  // SIGTERM arrives during step 4: the loop finishes the step, checkpoints, exits 143.
  HooksFactory kill_at_4 = [](const RunContext&) {
    TrainerHooks h;
    h.on_step = [](int64_t step) {
      if (step == 4) std::raise(SIGTERM);
    };
    return h;
  };
  EXPECT_EQ(run_training(s.request("cut"), kill_at_4), 143);
  EXPECT_EQ(run_json(s.dir + "/cut")["status"], "interrupted");
  EXPECT_EQ(run_json(s.dir + "/cut")["step"], 4);
  auto r = s.request("cut");
  r.resume = true;
  ASSERT_EQ(run_training(r), 0);
  expect_same_weights(s.dir + "/full", s.dir + "/cut", "final");
}

TEST(Resume, SameSeedSameMetrics) {
  auto s = testing::small_run("repro",
                              "architecture: textcnn\nembedding_dim: 16\nfilters: 8\nkernel_sizes: [2, 3]\nmax_length: 32\n");
  ASSERT_EQ(run_training(s.request("a")), 0);
  ASSERT_EQ(run_training(s.request("b")), 0);
  EXPECT_EQ(read_file(s.dir + "/a/config.yaml"), read_file(s.dir + "/b/config.yaml"));
  auto strip_speed = [](const std::string& p) {
    std::string out;
    std::istringstream in(read_file(p));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      j.erase("samples_per_s");
      j.erase("tokens_per_s");
      j.erase("window_s");
      out += j.dump() + "\n";
    }
    return out;
  };
  EXPECT_EQ(strip_speed(s.dir + "/a/metrics.jsonl"), strip_speed(s.dir + "/b/metrics.jsonl"));
  // A different seed gives different weights.
  ASSERT_EQ(run_training(s.request("c", {"train.seed=4"})), 0);
  auto ta = load_run(s.dir + "/a", "final").model->named_parameters()["classifier.weight"];
  auto tc = load_run(s.dir + "/c", "final").model->named_parameters()["classifier.weight"];
  EXPECT_FALSE(torch::equal(ta, tc));
}

}  // namespace
}  // namespace zl
