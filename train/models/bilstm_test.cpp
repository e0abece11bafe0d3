#include "bilstm.h"

#include <gtest/gtest.h>

#include "model_test_util.h"

namespace zl {
namespace {

TEST(BiLstm, ShapesAndPaddingInvariance) {
  torch::manual_seed(0);
  ModelConfig c;
  c.architecture = "bilstm";
  c.embedding_dim = 16;
  c.lstm_hidden = 12;
  auto info = testing::tiny_info();
  BiLstmClassifierImpl m(c, info);
  auto s = testing::tiny_split();
  auto out = m.forward(make_batch(s, info.task, 3, 0, {0, 1, 2}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_TRUE(out.hidden_states.empty());
  testing::expect_padding_invariant(m, info.task);
}

TEST(BiLstm, TwoLayersPadInvariant) {
  torch::manual_seed(1);
  ModelConfig c;
  c.architecture = "bilstm";
  c.embedding_dim = 8;
  c.lstm_hidden = 8;
  c.lstm_layers = 2;
  auto info = testing::tiny_info(Task::kMultiLabel, 3);
  BiLstmClassifierImpl m(c, info);
  testing::expect_padding_invariant(m, info.task);
}

}  // namespace
}  // namespace zl
