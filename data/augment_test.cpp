// `kd data augment`: what the copies look like, that dev/test are untouched,
// determinism, the recorded parameters, and the bad inputs (error, no file).
#include "augment.h"

#include <gtest/gtest.h>

#include <set>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "prepare.h"
#include "test_util.h"

namespace zl {
namespace {

using zl::testing::TempDir;

struct Prepared {
  TempDir dir;
  std::string data;
  explicit Prepared(const std::string& task = "single_label") {
    std::string train, dev;
    if (task == "pair") {
      train = "{\"text_a\": \"花呗怎么还款\", \"text_b\": \"花呗如何还钱\", \"label\": \"1\"}\n"
              "{\"text_a\": \"借呗额度多少\", \"text_b\": \"花呗怎么开通\", \"label\": \"0\"}\n"
              "{\"text_a\": \"退款多久到账\", \"text_b\": \"退款几天能到\", \"label\": \"1\"}\n";
      dev = "{\"text_a\": \"花呗还款\", \"text_b\": \"怎么还花呗\", \"label\": \"1\"}\n";
    } else {
      train = "{\"text\": \"我要退款可以吗\", \"label\": \"refund\", \"channel\": \"app\"}\n"
              "{\"text\": \"怎么退款啊快点\", \"label\": \"refund\", \"channel\": \"web\"}\n"
              "{\"text\": \"快递到哪了还没到\", \"label\": \"logistics\", \"channel\": \"app\"}\n"
              "{\"text\": \"物流怎么不动了呢\", \"label\": \"logistics\", \"channel\": \"web\"}\n";
      dev = "{\"text\": \"退款什么时候到\", \"label\": \"refund\", \"channel\": \"app\"}\n";
    }
    dir.write("train.jsonl", train);
    dir.write("dev.jsonl", dev);
    std::string cfg = "task: " + task + "\ninputs:\n  files: {train: train.jsonl, dev: dev.jsonl}\n" +
                      (task == "pair" ? "" : "  meta: [channel]\n") +
                      "max_length: 32\ntokenizer: {type: char}\n";
    dir.write("data.yaml", cfg);
    PrepareOptions o;
    o.config_path = dir.file("data.yaml");
    o.out_path = data = dir.file("data.h5");
    o.quiet = true;
    prepare_dataset(o);
  }
  AugmentOptions options() const {
    AugmentOptions a;
    a.in_path = data;
    a.out_path = dir.file("aug.h5");
    return a;
  }
};

TEST(Augment, AddsUnlabelledPerturbedCopiesAndKeepsOtherSplits) {
  Prepared p;
  AugmentOptions a = p.options();
  a.copies = 3;
  a.mask_prob = 0.3;
  a.replace_prob = 0.0;
  a.ngram_prob = 0.0;
  AugmentResult r = augment_dataset(a);
  DatasetInfo in = read_dataset_info(p.data), out = read_dataset_info(a.out_path);
  EXPECT_EQ(out.label_names, in.label_names);
  EXPECT_EQ(out.tokenizer_sha256, in.tokenizer_sha256);
  EXPECT_NE(out.content_sha256, in.content_sha256);
  SplitData src = read_split(p.data, "train", true), aug = read_split(a.out_path, "train", true);
  EXPECT_EQ(r.source_rows, 4);
  EXPECT_EQ(static_cast<int64_t>(aug.size()), 4 + r.added_rows);
  EXPECT_EQ(r.added_rows + r.duplicates_dropped, 12);
  EXPECT_GT(r.added_rows, 6);  // 7-9 tokens each at p=0.3: almost every copy differs
  // The original rows come first, unchanged.
  for (size_t i = 0; i < src.size(); ++i) {
    EXPECT_EQ(aug.ids[i], src.ids[i]);
    EXPECT_EQ(aug.labels[i], src.labels[i]);
  }
  std::set<std::vector<int32_t>> rows;
  for (size_t i = 0; i < aug.size(); ++i)
    rows.insert(std::vector<int32_t>(aug.input_ids.begin() + aug.offsets[i], aug.input_ids.begin() + aug.offsets[i + 1]));
  EXPECT_EQ(rows.size(), aug.size()) << "duplicate rows were kept";
  const int mask = 4;  // [MASK] in every tokenizer this toolkit trains
  for (size_t i = src.size(); i < aug.size(); ++i) {
    EXPECT_EQ(aug.labels[i], -1);
    const std::string source_id = aug.ids[i].substr(0, aug.ids[i].find("~aug"));
    auto it = std::find(src.ids.begin(), src.ids.end(), source_id);
    ASSERT_NE(it, src.ids.end()) << aug.ids[i];
    const size_t j = static_cast<size_t>(it - src.ids.begin());
    // Masking keeps the length and [CLS] ... [SEP]; every changed token is [MASK].
    ASSERT_EQ(aug.length(i), src.length(j));
    int changed = 0;
    for (int64_t t = 0; t < aug.length(i); ++t) {
      const int32_t x = aug.input_ids[aug.offsets[i] + t], y = src.input_ids[src.offsets[j] + t];
      if (x != y) {
        ++changed;
        EXPECT_EQ(x, mask);
        EXPECT_GT(t, 0);
        EXPECT_LT(t, aug.length(i) - 1);
      }
    }
    EXPECT_GT(changed, 0);
    EXPECT_NE(aug.text[i].find("[MASK]"), std::string::npos) << aug.text[i];
    EXPECT_EQ(aug.meta.at("channel")[i], src.meta.at("channel")[j]);  // slices still work on the copies
  }
  SplitData dev_in = read_split(p.data, "dev"), dev_out = read_split(a.out_path, "dev");
  EXPECT_EQ(dev_out.ids, dev_in.ids);
  EXPECT_EQ(dev_out.input_ids, dev_in.input_ids);
  EXPECT_EQ(dev_out.labels, dev_in.labels);
  auto stats = nlohmann::json::parse(out.stats_json);
  EXPECT_EQ(stats["augmentation"]["copies"], 3);
  EXPECT_EQ(stats["augmentation"]["added_rows"], r.added_rows);
  EXPECT_EQ(stats["augmentation"]["source_content_sha256"], in.content_sha256);
}

TEST(Augment, NgramSamplingKeepsOneSpanAndReplacementDrawsTrainTokens) {
  Prepared p;
  AugmentOptions a = p.options();
  a.copies = 5;
  a.mask_prob = 0.0;
  a.replace_prob = 0.0;
  a.ngram_prob = 1.0;
  a.ngram_min = 2;
  a.ngram_max = 3;
  augment_dataset(a);
  SplitData src = read_split(p.data, "train"), aug = read_split(a.out_path, "train");
  ASSERT_GT(aug.size(), src.size());
  for (size_t i = src.size(); i < aug.size(); ++i) {
    EXPECT_GE(aug.length(i), 4);  // [CLS] + 2..3 + [SEP]
    EXPECT_LE(aug.length(i), 5);
    EXPECT_EQ(aug.input_ids[aug.offsets[i]], 2);
    EXPECT_EQ(aug.input_ids[aug.offsets[i + 1] - 1], 3);
  }
  a.ngram_prob = 0.0;
  a.replace_prob = 0.5;
  a.force = true;
  augment_dataset(a);
  aug = read_split(a.out_path, "train");
  std::set<int32_t> train_tokens(src.input_ids.begin(), src.input_ids.end());
  for (size_t i = src.size(); i < aug.size(); ++i)
    for (int64_t t = aug.offsets[i]; t < aug.offsets[i + 1]; ++t) EXPECT_TRUE(train_tokens.count(aug.input_ids[t]));
}

TEST(Augment, SameSeedSameFileOtherSeedOtherCopies) {
  Prepared p;
  AugmentOptions a = p.options();
  augment_dataset(a);
  const std::string first = read_dataset_info(a.out_path).content_sha256;
  a.force = true;
  augment_dataset(a);
  EXPECT_EQ(read_dataset_info(a.out_path).content_sha256, first);
  a.seed = 2;
  augment_dataset(a);
  EXPECT_NE(read_dataset_info(a.out_path).content_sha256, first);
}

TEST(Augment, PairTasksKeepBothSidesAndSegments) {
  Prepared p("pair");
  AugmentOptions a = p.options();
  a.mask_prob = 0.3;
  augment_dataset(a);  // ngram_prob 0.25 by default: ignored for pairs
  SplitData src = read_split(p.data, "train"), aug = read_split(a.out_path, "train", true);
  ASSERT_GT(aug.size(), src.size());
  for (size_t i = src.size(); i < aug.size(); ++i) {
    int seps = 0;
    for (int64_t t = aug.offsets[i]; t < aug.offsets[i + 1]; ++t) seps += aug.input_ids[t] == 3;
    EXPECT_EQ(seps, 2);
    EXPECT_EQ(aug.segment_ids.size(), aug.input_ids.size());
    EXPECT_FALSE(aug.text_b[i].empty());
  }
}

TEST(Augment, BadInputIsAClearErrorAndWritesNothing) {
  Prepared p;
  auto expect = [&](AugmentOptions a, const std::string& part) {
    try {
      augment_dataset(a);
      ADD_FAILURE() << "no error for " << part;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
    EXPECT_FALSE(file_exists(a.out_path)) << part;
  };
  AugmentOptions a = p.options();
  a.mask_prob = 1.5;
  expect(a, "--mask-prob must be in [0, 1]");
  a = p.options();
  a.mask_prob = 0.7;
  a.replace_prob = 0.6;
  expect(a, "at most 1");
  a = p.options();
  a.copies = 0;
  expect(a, "--copies");
  a = p.options();
  a.split = "extra";
  expect(a, "no split 'extra'");
  a = p.options();
  a.in_path = p.dir.file("missing.h5");
  expect(a, "missing.h5: no such file");
  a = p.options();
  a.mask_prob = a.replace_prob = a.ngram_prob = 0;
  expect(a, "all 0");
  a = p.options();
  a.out_path = p.data;
  try {
    augment_dataset(a);
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace zl
