#include "checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "model_test_util.h"
#include "run_dir.h"
#include "synthetic_data_testing.h"

namespace zl {
namespace {

TEST(Checkpoint, WeightsRoundTrip) {
  auto dir = testing::make_temp_dir("ckpt");
  ModelConfig c;
  c.layers = 1;
  c.hidden = 16;
  c.heads = 2;
  c.ffn = 32;
  c.max_length = 16;
  auto info = testing::tiny_info();
  torch::manual_seed(1);
  auto a = build_model(c, info);
  torch::manual_seed(2);
  auto b = build_model(c, info);
  save_weights(*a, dir + "/w.pt");
  load_weights(*b, dir + "/w.pt");
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (auto& kv : pa) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
  // No temporary file is left beside the target.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  // Weights of another shape are refused with a clear error.
  ModelConfig wide = c;
  wide.hidden = 32;
  auto w = build_model(wide, info);
  EXPECT_THROW(load_weights(*w, dir + "/w.pt"), UserError);
  EXPECT_THROW(load_weights(*w, dir + "/missing.pt"), UserError);
}

TEST(Checkpoint, RngStateRoundTrip) {
  auto dir = testing::make_temp_dir("rng");
  torch::manual_seed(5);
  torch::randn({3});
  save_archive_atomic(dir + "/r.pt", [](torch::serialize::OutputArchive& a) {
    save_rng_state(a);
    write_int(a, "n", 42);
    write_double(a, "x", 0.25);
    write_string(a, "s", "hello");
  });
  auto first = torch::randn({4});
  torch::serialize::InputArchive in;
  load_archive(dir + "/r.pt", in);
  load_rng_state(in);
  EXPECT_TRUE(torch::equal(first, torch::randn({4})));
  EXPECT_EQ(read_int(in, "n"), 42);
  EXPECT_EQ(read_double(in, "x"), 0.25);
  EXPECT_EQ(read_string(in, "s"), "hello");
  EXPECT_THROW(read_int(in, "absent"), UserError);
}

}  // namespace
}  // namespace zl
