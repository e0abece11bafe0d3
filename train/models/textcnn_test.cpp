#include "textcnn.h"

#include <gtest/gtest.h>

#include "model_test_util.h"

namespace zl {
namespace {

TEST(TextCnn, ShapesAndPaddingInvariance) {
  torch::manual_seed(0);
  ModelConfig c;
  c.architecture = "textcnn";
  c.embedding_dim = 16;
  c.filters = 8;
  c.kernel_sizes = {2, 3, 4};
  auto info = testing::tiny_info();
  TextCnnClassifierImpl m(c, info);
  auto s = testing::tiny_split();
  auto out = m.forward(make_batch(s, info.task, 3, 0, {0, 1, 2}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 3}));
  // Row 0 has 2 tokens: shorter than the widest kernel, still padding-invariant.
  testing::expect_padding_invariant(m, info.task);
}

TEST(TextCnn, PaddingInvariantWithWideKernelPair) {
  torch::manual_seed(1);
  ModelConfig c;
  c.architecture = "textcnn";
  c.embedding_dim = 8;
  c.filters = 4;
  c.kernel_sizes = {5};
  auto info = testing::tiny_info(Task::kPair, 2);
  TextCnnClassifierImpl m(c, info);
  testing::expect_padding_invariant(m, Task::kPair, 2);
}

}  // namespace
}  // namespace zl
