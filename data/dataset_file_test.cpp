#include "dataset_file.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "error.h"
#include "h5_file.h"

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

namespace {
// Two tokenizations of the same two-row pair split: what kd data prepare writes for the
// same inputs with a unigram and with a char tokenizer.
zl::SplitData pair_split(bool other_tokenizer) {
  zl::SplitData s;
  s.name = "train";
  s.ids = {"train:1", "train:2"};
  if (!other_tokenizer) {
    s.input_ids = {2, 10, 3, 11, 3, 2, 12, 3, 13, 14, 3};
    s.offsets = {0, 5, 11};
    s.segment_ids = {0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1};
  } else {
    s.input_ids = {0, 7, 7, 1, 8, 1, 0, 9, 1, 5, 1};
    s.offsets = {0, 6, 11};
    s.segment_ids = {0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1};
  }
  s.labels = {1, 0};
  s.text = {"我的快递", "到哪了"};
  s.text_b = {"物流", "催一下"};
  return s;
}
zl::DatasetInfo pair_info(bool other_tokenizer) {
  zl::DatasetInfo info;
  info.task = zl::Task::kPair;
  info.label_names = {"0", "1"};
  info.vocab_size = other_tokenizer ? 40 : 100;
  info.tokenizer_sha256 = other_tokenizer ? "char-tok" : "unigram-tok";
  info.tokenizer_type = other_tokenizer ? "char" : "unigram";
  if (other_tokenizer) info.vocab_map.assign(40, -1);
  return info;
}
std::string text_sha(const zl::DatasetInfo& info, const zl::SplitData& s) { return zl::compute_text_sha256(info, {s}); }
}  // namespace

TEST(DatasetFile, TextChecksumIgnoresTheTokenizerButNotTextsLabelsOrIds) {
  const auto a = pair_split(false), b = pair_split(true);
  const auto ia = pair_info(false), ib = pair_info(true);
  EXPECT_NE(zl::compute_content_sha256(ia, {a}), zl::compute_content_sha256(ib, {b}));
  EXPECT_EQ(text_sha(ia, a), text_sha(ib, b));
  EXPECT_EQ(zl::compute_split_text_sha256(a), zl::compute_split_text_sha256(b));
  auto changed = [&](auto edit) {
    auto s = a;
    auto i = ia;
    edit(i, s);
    return text_sha(i, s) != text_sha(ia, a);
  };
  EXPECT_TRUE(changed([](auto&, auto& s) { s.text[1] = "到哪了吗"; }));
  EXPECT_TRUE(changed([](auto&, auto& s) { s.text_b[0] = "物流信息"; }));
  EXPECT_TRUE(changed([](auto&, auto& s) { s.labels[0] = 0; }));
  EXPECT_TRUE(changed([](auto&, auto& s) { s.ids[1] = "train:3"; }));
  EXPECT_TRUE(changed([](auto&, auto& s) { s.name = "dev"; }));
  EXPECT_TRUE(changed([](auto& i, auto&) { i.label_names = {"no", "yes"}; }));
  EXPECT_TRUE(changed([](auto& i, auto&) { i.task = zl::Task::kSingleLabel; }));
  // Strings are length-prefixed: moving a character between two texts changes the checksum.
  EXPECT_TRUE(changed([](auto&, auto& s) {
    s.text = {"我的快", "递到哪了"};
  }));
  // One extra row (the same texts otherwise).
  EXPECT_TRUE(changed([](auto&, auto& s) {
    s.ids.push_back("train:3");
    s.text.push_back("x");
    s.text_b.push_back("y");
    s.labels.push_back(0);
  }));
}

TEST(DatasetFile, TextChecksumsStoredPerSplitAndAbsentInOlderFiles) {
  const std::string p =
      (std::filesystem::temp_directory_path() / ("zl_ds_text_" + std::to_string(::getpid()) + ".h5")).string();
  auto train = pair_split(false);
  auto dev = pair_split(false);
  dev.name = "dev";
  dev.ids = {"dev:1", "dev:2"};
  const auto info = pair_info(false);
  zl::write_dataset_file(p, info, {train, dev}, "tok");
  auto back = zl::read_dataset_info(p);
  EXPECT_EQ(back.text_sha256, zl::compute_text_sha256(info, {train, dev}));
  EXPECT_EQ(back.split_text_sha256.at("train"), zl::compute_split_text_sha256(train));
  EXPECT_EQ(back.split_text_sha256.at("dev"), zl::compute_split_text_sha256(dev));
  // The texts read back (without tokens) give the same checksum.
  EXPECT_EQ(zl::compute_split_text_sha256(zl::read_split_texts(p, "dev")), back.split_text_sha256.at("dev"));
  EXPECT_TRUE(zl::read_split_texts(p, "dev").input_ids.empty());
  // Changing one dev text changes dev's checksum only.
  dev.text[0] = "别的";
  zl::write_dataset_file(p, info, {train, dev}, "tok");
  auto changed = zl::read_dataset_info(p);
  EXPECT_EQ(changed.split_text_sha256.at("train"), back.split_text_sha256.at("train"));
  EXPECT_NE(changed.split_text_sha256.at("dev"), back.split_text_sha256.at("dev"));
  EXPECT_NE(changed.text_sha256, back.text_sha256);
  {  // A file written before text checksums existed.
    auto f = zl::h5::File::open_rw(p);
    H5Adelete(f.id(), "text_sha256");
    H5Adelete_by_name(f.id(), "/splits/dev", "text_sha256", H5P_DEFAULT);
  }
  auto old = zl::read_dataset_info(p);
  EXPECT_EQ(old.text_sha256, "");
  EXPECT_EQ(old.split_text_sha256.at("dev"), "");
  EXPECT_EQ(old.split_text_sha256.at("train"), changed.split_text_sha256.at("train"));
  std::filesystem::remove(p);
}

// Issue 11: 10,000 label names used to fail with "cannot write attribute /@label_names" (an
// HDF5 attribute is limited to 64 KiB). They live in /label_names; the attribute is kept up to
// kLabelNamesAttrMax names, and a file with only the attribute (older) still reads.
TEST(DatasetFile, TenThousandLabelNamesAndOlderFilesWithTheAttributeOnly) {
  std::string p = (std::filesystem::temp_directory_path() / ("zl_ds_many_" + std::to_string(::getpid()) + ".h5")).string();
  zl::DatasetInfo info;
  for (int i = 0; i < 10000; ++i) info.label_names.push_back("商品类目-" + std::to_string(i));
  zl::SplitData s;
  s.name = "train";
  s.ids = {"t:1"};
  s.input_ids = {2, 3};
  s.offsets = {0, 2};
  s.labels = {9999};
  s.text = {"x"};
  zl::write_dataset_file(p, info, {s}, "tok");
  EXPECT_EQ(zl::read_dataset_info(p).label_names, info.label_names);
  {
    auto f = zl::h5::File::open_read(p);
    EXPECT_FALSE(f.has_attr("/", "label_names"));
  }
  info.label_names = {"a", "b"};
  s.labels = {1};
  zl::write_dataset_file(p, info, {s}, "tok");
  {
    auto f = zl::h5::File::open_rw(p);
    EXPECT_EQ(f.attr_strings("/", "label_names"), info.label_names);
    H5Ldelete(f.id(), "/label_names", H5P_DEFAULT);  // as written before /label_names existed
  }
  EXPECT_EQ(zl::read_dataset_info(p).label_names, info.label_names);
  std::filesystem::remove(p);
}
