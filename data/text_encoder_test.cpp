// Framing and truncation of one example, and the added-token splitting of the pretrained path.
#include "text_encoder.h"

#include <gtest/gtest.h>

#include "added_tokens.h"
#include "vocab_pruning.h"

namespace zl {
namespace {

std::pair<size_t, size_t> cut(Framing::PairTruncation rule, size_t la, size_t lb, size_t budget) {
  Framing f;
  f.pair_truncation = rule;
  truncate_lengths(f, budget, la, lb);
  return {la, lb};
}

TEST(Truncation, HuggingFaceLongestFirst) {
  using P = std::pair<size_t, size_t>;
  const auto hf = Framing::PairTruncation::kHuggingFace;
  // Measured with transformers' BertTokenizer(truncation=True) (budget = max_length - 3).
  EXPECT_EQ(cut(hf, 5, 5, 7), (P{3, 4}));
  EXPECT_EQ(cut(hf, 6, 5, 6), (P{3, 3}));
  EXPECT_EQ(cut(hf, 7, 3, 5), (P{3, 2}));  // the longer side keeps the odd token
  EXPECT_EQ(cut(hf, 4, 4, 5), (P{2, 3}));
  EXPECT_EQ(cut(hf, 10, 2, 8), (P{6, 2}));  // the short side stays whole when it fits
  EXPECT_EQ(cut(hf, 100, 80, 61), (P{31, 30}));
  EXPECT_EQ(cut(hf, 3, 2, 10), (P{3, 2}));  // nothing to cut
  EXPECT_EQ(cut(hf, 70, 0, 62), (P{62, 0}));  // a single text: the first `budget` tokens
}

TEST(Truncation, OneAtATimeIsTheRuleOfTrainedTokenizers) {
  using P = std::pair<size_t, size_t>;
  const auto one = Framing::PairTruncation::kOneAtATime;
  EXPECT_EQ(cut(one, 7, 3, 5), (P{2, 3}));  // ties trim the first side
  EXPECT_EQ(cut(one, 5, 5, 7), (P{3, 4}));
  EXPECT_EQ(cut(one, 10, 2, 8), (P{6, 2}));
}

TEST(Framing, BertAndXlmrPairs) {
  Framing bert;  // [CLS]=2 [SEP]=3, segment 1 for b
  std::vector<int32_t> ids;
  std::vector<int8_t> seg;
  size_t la, lb;
  const std::vector<int> a{10, 11, 12}, b{20, 21};
  EXPECT_FALSE(frame_example(bert, a, &b, 16, ids, &seg, la, lb));
  EXPECT_EQ(ids, (std::vector<int32_t>{2, 10, 11, 12, 3, 20, 21, 3}));
  EXPECT_EQ(seg, (std::vector<int8_t>{0, 0, 0, 0, 0, 1, 1, 1}));

  Framing xlmr;
  xlmr.cls_id = 0;
  xlmr.sep_id = 2;
  xlmr.double_sep = true;
  xlmr.segment_b = 0;
  xlmr.pair_truncation = Framing::PairTruncation::kHuggingFace;
  ids.clear();
  seg.clear();
  // max_length 7: 4 specials, 3 content tokens: a keeps 2 (the longer side gets the odd one), b 1.
  EXPECT_TRUE(frame_example(xlmr, a, &b, 7, ids, &seg, la, lb));
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 10, 11, 2, 2, 20, 2}));
  EXPECT_EQ(seg, (std::vector<int8_t>(7, 0)));
  EXPECT_EQ(la, 2u);
  EXPECT_EQ(lb, 1u);
  ids.clear();
  EXPECT_TRUE(frame_example(xlmr, a, nullptr, 4, ids, nullptr, la, lb));
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 10, 11, 2}));
}

// Encodes every byte as its value: shows where the added tokens cut the text.
class ByteEncoder : public TextEncoder {
 public:
  void encode(std::string_view text, std::vector<int>& ids) const override {
    ids.clear();
    for (char c : text) ids.push_back(static_cast<unsigned char>(c));
  }
};

TEST(AddedTokens, SplitBeforeTheSubwordTokenizerLeftmostLongest) {
  AddedTokenEncoder enc({{"<ID>", 1000}, {"<IDX>", 1001}, {"[CLS]", 1002}, {"<PHONE>", 1003}},
                        std::make_unique<ByteEncoder>());
  std::vector<int> ids;
  enc.encode("a<PHONE>b<IDX><ID>", ids);
  EXPECT_EQ(ids, (std::vector<int>{'a', 1003, 'b', 1001, 1000}));
  enc.encode("[CLS][cls]<PHONE", ids);  // case-sensitive, whole tokens only
  std::vector<int> want{1002};
  for (char c : std::string("[cls]<PHONE")) want.push_back(c);
  EXPECT_EQ(ids, want);
  enc.encode("", ids);
  EXPECT_TRUE(ids.empty());
}

TEST(VocabPruning, MapAndRemap) {
  // 6 checkpoint rows + 2 added pieces.
  VocabPlan full = full_vocab(8, 6);
  EXPECT_EQ(full.vocab_map, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, -1, -1}));
  EXPECT_FALSE(full.pruned);
  VocabPlan p = pruned_vocab({true, false, true, false, false, true, true, true}, 6);
  EXPECT_TRUE(p.pruned);
  EXPECT_EQ(p.vocab_map, (std::vector<int32_t>{0, 2, 5, -1, -1}));
  std::vector<int32_t> ids{0, 5, 2, 7, 6};
  remap_ids(p, ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 2, 1, 4, 3}));
  std::vector<int32_t> dropped{1};
  EXPECT_THROW(remap_ids(p, dropped), std::logic_error);
}

}  // namespace
}  // namespace zl
