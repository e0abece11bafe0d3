#include "dataset_file.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "error.h"

TEST(DatasetFile, RoundTripPair) {
  std::string p = (std::filesystem::temp_directory_path() / ("zl_ds_" + std::to_string(::getpid()) + ".h5")).string();
  zl::DatasetInfo info;
  info.task = zl::Task::kPair;
  info.label_names = {"0", "1"};
  info.vocab_size = 100;
  zl::SplitData s;
  s.name = "train";
  s.ids = {"train:1", "train:2"};
  s.input_ids = {2, 10, 3, 11, 3, 2, 12, 3, 13, 14, 3};
  s.offsets = {0, 5, 11};
  s.segment_ids = {0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1};
  s.labels = {1, 0};
  s.text = {"a", "c"};
  s.text_b = {"b", "d"};
  s.meta["channel"] = {"app", "web"};
  zl::write_dataset_file(p, info, {s}, "tokenizer-bytes");
  auto back_info = zl::read_dataset_info(p);
  EXPECT_EQ(back_info.task, zl::Task::kPair);
  EXPECT_EQ(back_info.split_names, std::vector<std::string>{"train"});
  EXPECT_EQ(back_info.content_sha256, zl::compute_content_sha256(info, {s}));
  auto back = zl::read_split(p, "train", true);
  EXPECT_EQ(back.input_ids, s.input_ids);
  EXPECT_EQ(back.segment_ids, s.segment_ids);
  EXPECT_EQ(back.labels, s.labels);
  EXPECT_EQ(back.text_b, s.text_b);
  EXPECT_EQ(back.meta["channel"], s.meta["channel"]);
  EXPECT_EQ(back.length(1), 6);
  EXPECT_EQ(zl::read_tokenizer_model(p), "tokenizer-bytes");
  EXPECT_THROW(zl::read_split(p, "dev"), zl::UserError);
  std::filesystem::remove(p);
}
