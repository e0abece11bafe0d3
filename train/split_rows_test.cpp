#include "split_rows.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "error.h"

namespace {

// A split of `n` rows with varied lengths; pair task (segment ids) or multi-label.
zl::SplitData make_split(int64_t n, bool pair, int64_t labels) {
  zl::SplitData s;
  s.name = "train";
  std::mt19937 rng(7);
  for (int64_t i = 0; i < n; ++i) {
    s.ids.push_back("train:" + std::to_string(i));
    int64_t len = 3 + static_cast<int64_t>(rng() % 20);
    for (int64_t t = 0; t < len; ++t) {
      s.input_ids.push_back(static_cast<int32_t>((i * 31 + t) % 97));
      if (pair) s.segment_ids.push_back(t * 2 >= len ? 1 : 0);
    }
    s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
    if (labels > 0) {
      for (int64_t l = 0; l < labels; ++l) s.multi_hot.push_back(static_cast<uint8_t>((i + l) % 3 == 0));
    } else {
      s.labels.push_back(static_cast<int32_t>(i % 5) - 1);
    }
  }
  return s;
}

class SplitRowsTest : public ::testing::TestWithParam<bool> {};

TEST_P(SplitRowsTest, ReadsExactlyTheRequestedRows) {
  const bool multi = GetParam();
  std::string p =
      (std::filesystem::temp_directory_path() / ("zl_rows_" + std::to_string(::getpid()) + ".h5")).string();
  zl::DatasetInfo info;
  info.task = multi ? zl::Task::kMultiLabel : zl::Task::kPair;
  info.label_names = multi ? std::vector<std::string>{"a", "b", "c", "d"} : std::vector<std::string>{"0", "1", "2", "3"};
  info.vocab_size = 100;
  auto full = make_split(3000, !multi, multi ? 4 : 0);
  zl::write_dataset_file(p, info, {full}, "tok");
  zl::SplitRowReader reader(p, "train");
  ASSERT_EQ(reader.size(), 3000);
  EXPECT_EQ(reader.lengths()[5], full.length(5));
  // Sparse rows (separate reads), dense runs (coalesced) and both ends.
  std::vector<int64_t> rows{0, 1, 2, 40, 41, 60, 500, 517, 1999, 2999};
  for (int64_t r = 1000; r < 1100; r += 3) rows.push_back(r);
  std::sort(rows.begin(), rows.end());
  auto part = reader.read(rows);
  ASSERT_EQ(part.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<size_t>(rows[i]);
    ASSERT_EQ(part.length(i), full.length(r)) << "row " << r;
    for (int64_t t = 0; t < full.length(r); ++t) {
      EXPECT_EQ(part.input_ids[part.offsets[i] + t], full.input_ids[full.offsets[r] + t]);
      if (!multi) EXPECT_EQ(part.segment_ids[part.offsets[i] + t], full.segment_ids[full.offsets[r] + t]);
    }
    if (multi) {
      for (size_t l = 0; l < 4; ++l) EXPECT_EQ(part.multi_hot[i * 4 + l], full.multi_hot[r * 4 + l]);
    } else {
      EXPECT_EQ(part.labels[i], full.labels[r]);
    }
  }
  EXPECT_THROW(reader.read({5, 3}), std::logic_error);
  EXPECT_THROW(zl::SplitRowReader(p, "dev"), zl::UserError);
  std::filesystem::remove(p);
}

INSTANTIATE_TEST_SUITE_P(Tasks, SplitRowsTest, ::testing::Values(false, true));

TEST(UniqueRows, SortsAndDeduplicates) {
  EXPECT_EQ(zl::unique_rows({{5, 1}, {3, 1}}), (std::vector<int64_t>{1, 3, 5}));
}

}  // namespace
