#include "label_share.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "error.h"

namespace fs = std::filesystem;
using namespace zl;
using namespace zl::sweep;

namespace {

// A small single-label dataset: class 0 has 60 rows, class 1 has 30, class 2 has 10.
std::vector<SplitData> make_splits() {
  std::vector<SplitData> out;
  for (const char* name : {"train", "dev", "test"}) {
    SplitData s;
    s.name = name;
    const int n = std::string(name) == "train" ? 100 : 10;
    for (int i = 0; i < n; ++i) {
      s.ids.push_back(std::string(name) + "-" + std::to_string(i));
      for (int t = 0; t < 3 + i % 4; ++t) s.input_ids.push_back(4 + (i + t) % 20);
      s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
      s.labels.push_back(i < 60 * n / 100 ? 0 : (i < 90 * n / 100 ? 1 : 2));
      s.text.push_back("text " + std::to_string(i));
      s.meta["channel"].push_back(i % 2 ? "app" : "web");
    }
    out.push_back(s);
  }
  return out;
}

TEST(LabelShare, StratifiedAndSeeded) {
  auto splits = make_splits();
  auto keep = choose_gold_rows(splits[0], Task::kSingleLabel, 3, 0.2, 7);
  int per_class[3] = {0, 0, 0};
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) ++per_class[splits[0].labels[i]];
  EXPECT_EQ(per_class[0], 12);
  EXPECT_EQ(per_class[1], 6);
  EXPECT_EQ(per_class[2], 2);
  EXPECT_EQ(keep, choose_gold_rows(splits[0], Task::kSingleLabel, 3, 0.2, 7));
  EXPECT_NE(keep, choose_gold_rows(splits[0], Task::kSingleLabel, 3, 0.2, 8));
}

TEST(LabelShare, TinyShareKeepsOneRowPerClassAndSkipsUnlabelled) {
  auto splits = make_splits();
  splits[0].labels[0] = -1;
  auto keep = choose_gold_rows(splits[0], Task::kSingleLabel, 4, 0.001, 1);
  EXPECT_EQ(keep[0], 0);
  int total = 0;
  for (auto k : keep) total += k;
  EXPECT_EQ(total, 3);  // one for each present class; class 3 has no rows
}

TEST(LabelShare, DerivedFilesAreDisjointAndComplete) {
  fs::path dir = fs::temp_directory_path() / ("zl_label_share_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  DatasetInfo info;
  info.label_names = {"a", "b", "c"};
  info.vocab_size = 30;
  const std::string src = (dir / "data.h5").string();
  auto splits = make_splits();
  write_dataset_file(src, info, splits, "tokenizer-bytes");

  ShareFiles files{(dir / "gold.h5").string(), (dir / "share.h5").string(), (dir / "transfer.ids").string()};
  int64_t g = 0, t = 0;
  write_share_files(src, 0.2, 0, files, &g, &t);
  EXPECT_EQ(g, 20);
  EXPECT_EQ(t, 80);

  SplitData gold = read_split(files.gold_path, "train", true);
  SplitData shared = read_split(files.share_path, "train", true);
  ASSERT_EQ(gold.size(), 20u);
  ASSERT_EQ(shared.size(), 100u);
  std::set<std::string> gold_ids(gold.ids.begin(), gold.ids.end());
  std::set<std::string> transfer;
  std::istringstream in(read_file(files.transfer_ids_path));
  for (std::string line; std::getline(in, line);) transfer.insert(line);
  EXPECT_EQ(transfer.size(), 80u);
  for (size_t i = 0; i < shared.size(); ++i) {
    const bool is_gold = gold_ids.count(shared.ids[i]) > 0;
    EXPECT_NE(is_gold, transfer.count(shared.ids[i]) > 0) << shared.ids[i];  // G and T partition train
    EXPECT_EQ(shared.labels[i], is_gold ? splits[0].labels[i] : -1) << shared.ids[i];
    EXPECT_EQ(shared.input_ids.size(), splits[0].input_ids.size());
  }
  // Gold rows keep their tokens, labels and metadata.
  for (size_t i = 0; i < gold.size(); ++i) {
    size_t row = std::stoul(gold.ids[i].substr(6));
    EXPECT_EQ(gold.labels[i], splits[0].labels[row]);
    EXPECT_EQ(gold.meta["channel"][i], splits[0].meta["channel"][row]);
    EXPECT_EQ(gold.length(i), splits[0].length(row));
  }
  // dev and test are unchanged.
  EXPECT_EQ(read_split(files.gold_path, "test").labels, splits[2].labels);
  EXPECT_EQ(read_split(files.share_path, "dev").labels, splits[1].labels);
  fs::remove_all(dir);
}

// A pretrained teacher's view of the same rows (other tokens, rows in another order)
// gets exactly the students' gold rows; a view of other rows is refused.
TEST(LabelShare, TeacherViewGetsTheSameGoldRows) {
  fs::path dir = fs::temp_directory_path() / ("zl_label_share_view_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  DatasetInfo info;
  info.label_names = {"a", "b", "c"};
  info.vocab_size = 30;
  const std::string src = (dir / "data.h5").string();
  auto splits = make_splits();
  write_dataset_file(src, info, splits, "tokenizer-bytes");
  // The view: the train rows reversed, each text tokenized into one more token.
  auto view_splits = make_splits();
  SplitData& vt = view_splits[0];
  SplitData rev;
  rev.name = "train";
  for (size_t i = vt.size(); i-- > 0;) {
    rev.ids.push_back(vt.ids[i]);
    for (int t = 0; t < 5; ++t) rev.input_ids.push_back(100 + t);
    rev.offsets.push_back(static_cast<int64_t>(rev.input_ids.size()));
    rev.labels.push_back(vt.labels[i]);
    rev.text.push_back(vt.text[i]);
    rev.meta["channel"].push_back(vt.meta["channel"][i]);
  }
  view_splits[0] = rev;
  DatasetInfo vinfo = info;
  vinfo.vocab_size = 200;
  const std::string view = (dir / "view.h5").string();
  write_dataset_file(view, vinfo, view_splits, "other-tokenizer");

  ShareFiles files{(dir / "gold.h5").string(), (dir / "share.h5").string(), (dir / "transfer.ids").string()};
  write_share_files(src, 0.2, 3, files);
  ShareFiles tfiles{(dir / "tgold.h5").string(), (dir / "tshare.h5").string(), (dir / "ttransfer.ids").string()};
  write_share_files_like(view, src, files.gold_path, tfiles);
  auto ids = [](const SplitData& s) { return std::set<std::string>(s.ids.begin(), s.ids.end()); };
  EXPECT_EQ(ids(read_split_labels(tfiles.gold_path, "train")), ids(read_split_labels(files.gold_path, "train")));
  EXPECT_EQ(read_file(tfiles.transfer_ids_path).size(), read_file(files.transfer_ids_path).size());
  SplitData tshare = read_split(tfiles.share_path, "train");
  EXPECT_EQ(tshare.input_ids[0], 100);  // the view's own tokens
  EXPECT_EQ(read_dataset_info(tfiles.share_path).vocab_size, 200);

  // A view with one train row replaced is not the same data.
  view_splits[0].ids[0] = "train-other";
  write_dataset_file(view, vinfo, view_splits, "other-tokenizer");
  try {
    write_share_files_like(view, src, files.gold_path, tfiles);
    FAIL() << "a view of other rows was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("1 ids only in the teacher's view"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
