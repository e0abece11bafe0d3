// Integration tests on the shared real datasets (label `datasets`): each is
// prepared with its config in configs/datasets/, and the counts read per split
// and per label must equal those stated in the dataset's SOURCE.md (copied
// below). Skipped, with the reason, when KD_DATASETS is not set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "dataset_file.h"
#include "prepare.h"
#include "test_util.h"

namespace zl {
namespace {

using Counts = std::map<std::string, int64_t>;

class SharedDatasets : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* d = std::getenv("KD_DATASETS");
    if (!d || !*d) GTEST_SKIP() << "KD_DATASETS is not set (e.g. export KD_DATASETS=/work/shared/datasets)";
  }
  nlohmann::json prepare(const std::string& name, std::vector<std::string> overrides = {}) {
    PrepareOptions o;
    o.config_path = "configs/datasets/" + name + ".yaml";  // tests run in the source folder
    o.out_path = tmp_.file(name + ".h5");
    o.overrides = std::move(overrides);
    o.overrides.push_back("tokenizer.threads=2");  // deterministic too; faster on CI's 2 cores
    o.quiet = true;
    o.force = true;
    auto res = prepare_dataset(o);
    EXPECT_EQ(res.stats["skipped_bad_lines"], 0);
    // The file reads back with the counts the summary reported.
    for (auto it = res.stats["splits"].begin(); it != res.stats["splits"].end(); ++it)
      EXPECT_EQ(static_cast<int64_t>(read_split(o.out_path, it.key()).size()), it.value()["examples"].get<int64_t>());
    return res.stats;
  }
  static Counts read_counts(const nlohmann::json& split) { return split["label_counts_read"].get<Counts>(); }
  zl::testing::TempDir tmp_;
};

TEST_F(SharedDatasets, Smp2017Intent) {
  auto st = prepare("smp2017_intent");
  // SOURCE.md "Labels": train / dev / test per label.
  const std::map<std::string, std::array<int64_t, 3>> want = {
      {"chat", {455, 154, 51}}, {"cookbook", {269, 89, 90}}, {"video", {182, 60, 61}}, {"epg", {107, 36, 36}},
      {"poetry", {102, 34, 34}}, {"stock", {71, 24, 24}}, {"tvchannel", {71, 23, 24}}, {"train", {70, 24, 23}},
      {"map", {68, 23, 23}}, {"music", {66, 22, 22}}, {"weather", {66, 22, 22}}, {"message", {63, 21, 21}},
      {"telephone", {63, 21, 21}}, {"flight", {62, 21, 21}}, {"translation", {61, 21, 20}},
      {"news", {58, 20, 19}}, {"health", {55, 19, 18}}, {"website", {54, 18, 18}}, {"app", {53, 18, 18}},
      {"riddle", {34, 11, 11}}, {"contacts", {30, 10, 10}}, {"schedule", {29, 9, 10}}, {"bus", {24, 8, 8}},
      {"calc", {24, 8, 8}}, {"cinemas", {24, 8, 8}}, {"email", {24, 8, 8}}, {"lottery", {24, 8, 8}},
      {"match", {24, 8, 8}}, {"novel", {24, 8, 8}}, {"radio", {24, 8, 8}}, {"datetime", {18, 6, 6}}};
  ASSERT_EQ(want.size(), 31u);
  const char* splits[] = {"train", "dev", "test"};
  const int64_t sizes[] = {2299, 770, 667};
  for (int s = 0; s < 3; ++s) {
    const auto& sp = st["splits"][splits[s]];
    EXPECT_EQ(sp["records_read"], sizes[s]) << splits[s];
    EXPECT_EQ(sp["duplicates_removed"], 0) << splits[s];  // SOURCE.md: no duplicates within a split
    Counts c = read_counts(sp);
    EXPECT_EQ(c.size(), 31u);
    for (const auto& [label, n] : want) EXPECT_EQ(c[label], n[s]) << splits[s] << " " << label;
  }
  EXPECT_EQ(st["leakage"]["train&test"], 0);  // SOURCE.md: no train/test text overlap
}

TEST_F(SharedDatasets, AfqmcFaqMatch) {
  auto st = prepare("afqmc_faq_match");
  const auto& train = st["splits"]["train"];
  const auto& test = st["splits"]["test"];  // AFQMC dev, used as test
  EXPECT_EQ(train["records_read"], 34334);
  EXPECT_EQ(read_counts(train), (Counts{{"0", 23761}, {"1", 10573}}));
  EXPECT_EQ(test["records_read"], 4316);
  EXPECT_EQ(read_counts(test), (Counts{{"0", 2978}, {"1", 1338}}));
  EXPECT_EQ(train["duplicates_removed"], 0);
  EXPECT_EQ(test["duplicates_removed"], 0);
}

TEST_F(SharedDatasets, WaimaiSentimentSeededSplit) {
  auto st = prepare("waimai_sentiment");
  int64_t total = 0;
  Counts all;
  for (const char* s : {"train", "dev", "test"}) {
    total += st["splits"][s]["records_read"].get<int64_t>();
    for (const auto& [l, n] : read_counts(st["splits"][s])) all[l] += n;
  }
  EXPECT_EQ(total, 11987);
  EXPECT_EQ(all, (Counts{{"0", 7987}, {"1", 4000}}));
  // Stratified 80/10/10: each label's share is kept in every split.
  EXPECT_EQ(read_counts(st["splits"]["dev"]), (Counts{{"0", 799}, {"1", 400}}));
  EXPECT_EQ(read_counts(st["splits"]["test"]), (Counts{{"0", 799}, {"1", 400}}));
}

TEST_F(SharedDatasets, WaimaiRawCsvGivesTheSameCounts) {
  // The raw CSV (quoted fields with commas) holds the same 11987 reviews.
  auto st = prepare("waimai_sentiment", {"inputs.file=waimai_10k.csv", "inputs.fields.text=review"});
  Counts all;
  for (const char* s : {"train", "dev", "test"})
    for (const auto& [l, n] : read_counts(st["splits"][s])) all[l] += n;
  EXPECT_EQ(all, (Counts{{"0", 7987}, {"1", 4000}}));
}

TEST_F(SharedDatasets, JddcCsRouting) {
  auto st = prepare("jddc_cs_routing");
  EXPECT_EQ(st["splits"]["train"]["records_read"], 2000);
  EXPECT_EQ(read_counts(st["splits"]["train"]), (Counts{{"0", 1668}, {"1", 332}}));
  EXPECT_EQ(st["splits"]["test"]["records_read"], 200);
  EXPECT_EQ(read_counts(st["splits"]["test"]), (Counts{{"0", 174}, {"1", 26}}));
  // SOURCE.md: "train/test text overlap: 12".
  EXPECT_EQ(st["leakage"]["train&test"], 12);
  // SOURCE.md counts 77 duplicate rows in train.jsonl (exact text); normalization
  // (whitespace collapse) can only merge more.
  EXPECT_GE(st["splits"]["train"]["duplicates_removed"].get<int64_t>(), 77);
}

}  // namespace
}  // namespace zl
