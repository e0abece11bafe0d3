#include "transformer.h"

#include <gtest/gtest.h>

#include "model_test_util.h"

namespace zl {
namespace {

ModelConfig small(const std::string& pooling = "cls") {
  ModelConfig c;
  c.layers = 2;
  c.hidden = 32;
  c.heads = 4;
  c.ffn = 64;
  c.max_length = 16;
  c.pooling = pooling;
  return c;
}

TEST(Transformer, ShapesAndHiddenStates) {
  torch::manual_seed(0);
  auto info = testing::tiny_info();
  TransformerClassifierImpl m(small(), info);
  auto s = testing::tiny_split();
  Batch b = make_batch(s, info.task, 3, 0, {0, 1, 2});
  auto out = m.forward(b, /*want_attentions=*/true);
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 3}));
  ASSERT_EQ(out.hidden_states.size(), 3u);  // embeddings + 2 layers
  EXPECT_EQ(out.hidden_states[2].sizes(), (std::vector<int64_t>{3, 9, 32}));
  ASSERT_EQ(out.attention_probs.size(), 2u);
  EXPECT_EQ(out.attention_probs[0].sizes(), (std::vector<int64_t>{3, 4, 9, 9}));
  // Rows sum to 1 and padded keys get no attention.
  auto p = out.attention_probs[0];
  EXPECT_LT((p.sum(-1) - 1).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(p.index({0, torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(2)}).abs().max().item<double>(), 0.0);
}

TEST(Transformer, FusedAndExplicitAttentionAgree) {
  torch::manual_seed(1);
  auto info = testing::tiny_info();
  TransformerClassifierImpl m(small(), info);
  m.eval();
  auto s = testing::tiny_split();
  Batch b = make_batch(s, info.task, 3, 0, {0, 1, 2});
  auto fused = m.forward(b, false).logits;
  auto expl = m.forward(b, true).logits;
  EXPECT_LT((fused - expl).abs().max().item<double>(), 1e-5);
}

TEST(Transformer, PaddingDoesNotChangeOutputCls) {
  torch::manual_seed(2);
  auto info = testing::tiny_info();
  TransformerClassifierImpl m(small("cls"), info);
  testing::expect_padding_invariant(m, info.task);
}

TEST(Transformer, PaddingDoesNotChangeOutputMean) {
  torch::manual_seed(3);
  auto info = testing::tiny_info();
  TransformerClassifierImpl m(small("mean"), info);
  testing::expect_padding_invariant(m, info.task);
}

TEST(Transformer, PairUsesSegmentEmbeddings) {
  torch::manual_seed(4);
  auto info = testing::tiny_info(Task::kPair, 2);
  TransformerClassifierImpl m(small(), info);
  m.eval();
  testing::expect_padding_invariant(m, Task::kPair, 2);
  auto s = testing::tiny_split(Task::kPair);
  Batch b = make_batch(s, Task::kPair, 2, 0, {1});
  ASSERT_TRUE(b.token_type_ids.defined());
  auto with = m.forward(b).logits;
  b.token_type_ids.zero_();
  auto without = m.forward(b).logits;
  EXPECT_GT((with - without).abs().max().item<double>(), 1e-6);
}

}  // namespace
}  // namespace zl
