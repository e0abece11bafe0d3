// Inputs a new user brings that the pipeline used to take silently or diagnose wrongly
// (issue 11, items 1-4 and the dev split of 7): labels that should not exist, NUL
// characters, empty and tiny inputs, splits that leave nothing to evaluate, degenerate
// label sets, and thousands of labels (the HDF5 attribute limit). Each test checks the
// rule documented in docs/data.md ("Labels", "Bad input", "Dataset config").
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "atomic_file.h"
#include "dataset_config.h"
#include "dataset_file.h"
#include "error.h"
#include "h5_file.h"
#include "inspect.h"
#include "prepare.h"
#include "record_reader.h"
#include "record_reader_testing.h"
#include "test_util.h"

namespace zl {
namespace {

using zl::testing::TempDir;

using zl::testing::read_all;
using zl::testing::reader_error;

ReaderOptions with(InputFormat f, Task t = Task::kSingleLabel) {
  ReaderOptions o;
  o.format = f;
  o.task = t;
  return o;
}

#define EXPECT_HAS(haystack, needle)                                      \
  do {                                                                    \
    const std::string h_ = (haystack);                                    \
    EXPECT_NE(h_.find(needle), std::string::npos) << "in: " << h_;        \
  } while (0)

// Prepares `cfg` (written as data.yaml beside the inputs) and returns the error ("" if none).
std::string prepare_error(const TempDir& d, const std::string& cfg, bool skip_bad = false) {
  PrepareOptions o;
  o.config_path = d.write("data.yaml", cfg);
  o.out_path = d.file("out.h5");
  o.quiet = true;
  o.force = true;
  o.skip_bad_lines = skip_bad;
  std::remove(o.out_path.c_str());  // a refused run must not leave one (nor keep a file of an earlier run)
  try {
    prepare_dataset(o);
  } catch (const UserError& e) {
    EXPECT_FALSE(file_exists(o.out_path)) << "output left behind";
    return e.what();
  }
  return "";
}

PrepareResult prepare_ok(const TempDir& d, const std::string& cfg) {
  PrepareOptions o;
  o.config_path = d.write("data.yaml", cfg);
  o.out_path = d.file("out.h5");
  o.quiet = true;
  o.force = true;
  return prepare_dataset(o);
}

std::string records(const std::vector<std::pair<std::string, std::string>>& text_label) {
  std::string s;
  for (const auto& [t, l] : text_label) s += "{\"text\": \"" + t + "\", \"label\": \"" + l + "\"}\n";
  return s;
}

// n records per label, texts unique.
std::string balanced(const std::vector<std::string>& labels, int n) {
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto& l : labels)
    for (int i = 0; i < n; ++i) v.emplace_back("问题" + l + "第" + std::to_string(i) + "条", l);
  return records(v);
}

const char* kTok = "tokenizer: {type: char, vocab_size: 60}\n";

// ---- item 1: labels ---------------------------------------------------------------

TEST(LabelHygiene, EmptyAndBlankLabelsAreRefusedWithFileAndLine) {
  TempDir t;
  auto j = t.write("x.jsonl", "{\"text\": \"a\", \"label\": \"ok\"}\n{\"text\": \"b\", \"label\": \"\"}\n");
  EXPECT_HAS(reader_error(j, with(InputFormat::kJsonl)), "x.jsonl:2: empty label in 'label'");
  auto b = t.write("b.jsonl", "{\"text\": \"b\", \"label\": \" \\u3000 \"}\n");
  EXPECT_HAS(reader_error(b, with(InputFormat::kJsonl)), "b.jsonl:1: label of only white space");
  auto c = t.write("c.tsv", "text\tlabel\na\t \n");
  EXPECT_HAS(reader_error(c, with(InputFormat::kTsv)), "c.tsv:2: label of only white space in 'label'");
}

TEST(LabelHygiene, SurroundingWhiteSpaceIsTrimmedAndCounted) {
  TempDir t;
  auto p = t.write("x.tsv", "text\tlabel\na\tchat \nb\t\xE3\x80\x80" "chat\nc\tchat\n");
  auto v = read_all(p, with(InputFormat::kTsv));
  ASSERT_EQ(v.size(), 3u);
  for (const auto& r : v) EXPECT_EQ(r.labels, std::vector<std::string>{"chat"});
  EXPECT_EQ(v[0].labels_trimmed, 1);
  EXPECT_EQ(v[0].trimmed_example, "chat ");
  EXPECT_EQ(v[1].labels_trimmed, 1);
  EXPECT_EQ(v[2].labels_trimmed, 0);
  EXPECT_EQ(trim_label("\t a b \xC2\xA0"), "a b");
  EXPECT_EQ(trim_label("\xE3\x80\x80"), "");
}

TEST(LabelHygiene, WhiteSpaceVariantsAreOneClassWithALoudCount) {
  TempDir t;
  t.write("train.jsonl", records({{"你好", "chat "}, {"在吗", "chat"}, {"退钱", " refund"}, {"退款", "refund"},
                                  {"嗨", "chat"}, {"退货", "refund"}}));
  t.write("test.jsonl", records({{"早", "chat\\t"}, {"退", "refund"}}));  // a JSON \t escape
  const std::string cfg = std::string("inputs:\n  files: {train: train.jsonl, test: test.jsonl}\n") + kTok;
  auto res = prepare_ok(t, cfg);
  EXPECT_EQ(read_dataset_info(t.file("out.h5")).label_names, (std::vector<std::string>{"chat", "refund"}));
  EXPECT_EQ(res.stats["labels_trimmed"], 3);
  EXPECT_HAS(res.summary, "labels trimmed of surrounding white space: 3");
  EXPECT_HAS(format_inspection(inspect_dataset(t.file("out.h5"))), "labels trimmed of surrounding white space");
  // The warning names the file and line of the first trimmed label (on stderr, unless --quiet).
  const std::string cmd = std::string(KD_DATA_BIN) + " prepare --config " + t.file("data.yaml") + " --out " +
                          t.file("out2.h5") + " 2>&1 >/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string err;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) err.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  EXPECT_HAS(err, "train.jsonl:1: label 'chat ' has white space around it");
  EXPECT_HAS(err, "train.jsonl: 2 label(s) trimmed");
}

TEST(LabelHygiene, EmptyMultiLabelListsAndEmptyPartsAreRefused) {
  TempDir t;
  auto j = t.write("m.jsonl", "{\"text\": \"x\", \"labels\": [\"a\"]}\n{\"text\": \"y\", \"labels\": []}\n");
  EXPECT_HAS(reader_error(j, with(InputFormat::kJsonl, Task::kMultiLabel)),
             "m.jsonl:2: field 'labels' is an empty list");
  auto e = t.write("e.jsonl", "{\"text\": \"y\", \"labels\": [\"a\", \" \"]}\n");
  EXPECT_HAS(reader_error(e, with(InputFormat::kJsonl, Task::kMultiLabel)), "e.jsonl:1: a label of only white space");
  auto c = t.write("m.csv", "text,labels\nx,a|b\ny,\n");
  EXPECT_HAS(reader_error(c, with(InputFormat::kCsv, Task::kMultiLabel)), "m.csv:3: column 'labels' is empty");
  auto s = t.write("s.csv", "text,labels\nx,a||b\n");
  EXPECT_HAS(reader_error(s, with(InputFormat::kCsv, Task::kMultiLabel)), "s.csv:2: an empty label in 'labels'");
  auto ok = t.write("ok.csv", "text,labels\nx,a | b\n");
  auto v = read_all(ok, with(InputFormat::kCsv, Task::kMultiLabel));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(v[0].labels_trimmed, 2);
}

TEST(LabelHygiene, ConfigLabelListIsCheckedNamingTheKey) {
  TempDir t;
  t.write("train.jsonl", balanced({"a", "b"}, 3));
  const std::string base = std::string("inputs:\n  files: {train: train.jsonl}\n") + kTok;
  EXPECT_HAS(prepare_error(t, base + "labels: [a, '', b]\n"), "labels holds an empty (or white-space) label");
  EXPECT_HAS(prepare_error(t, base + "labels: [a, 'b ']\n"), "labels holds 'b ' with white space around it");
  EXPECT_HAS(prepare_error(t, base + "labels: [a, b, a]\n"), "labels lists 'a' twice");
  EXPECT_EQ(prepare_error(t, base + "labels: [b, a]\n"), "");
}

// ---- item 4: NUL characters ----------------------------------------------------------

TEST(NulCharacters, RawNulIsRefusedWithFileAndLineInEveryFormat) {
  TempDir t;
  const std::string nul(1, '\0');
  auto tsv = t.write("x.tsv", "text\tlabel\nok\ta\nbad" + nul + "text\ta\n");
  EXPECT_HAS(reader_error(tsv, with(InputFormat::kTsv)), "x.tsv:3: a NUL byte (0x00) at byte 4 of the record");
  auto csv = t.write("x.csv", "text,label\nok,a" + nul + "\n");
  EXPECT_HAS(reader_error(csv, with(InputFormat::kCsv)), "x.csv:2: a NUL byte");
  auto jl = t.write("x.jsonl", "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"b" + nul + "\", \"label\": \"a\"}\n");
  EXPECT_HAS(reader_error(jl, with(InputFormat::kJsonl)), "x.jsonl:2: a NUL byte (0x00) at byte 12 of the line");
  EXPECT_HAS(reader_error(jl, with(InputFormat::kJsonl)), "UTF-16");
}

TEST(NulCharacters, EscapedNulInJsonIsRefusedWithFileLineAndField) {
  TempDir t;
  auto a = t.write("a.jsonl", "{\"text\": \"退款\\u0000\", \"label\": \"a\"}\n");
  EXPECT_HAS(reader_error(a, with(InputFormat::kJsonl)), "a.jsonl:1: field 'text' holds a NUL character (\\u0000)");
  auto b = t.write("b.jsonl", "{\"text\": \"x\", \"label\": \"a\\u0000b\"}\n");
  EXPECT_HAS(reader_error(b, with(InputFormat::kJsonl)), "b.jsonl:1: label in 'label' holds a NUL character");
  auto m = t.write("m.jsonl", "{\"text\": \"x\", \"label\": \"a\", \"channel\": \"\\u0000\"}\n");
  ReaderOptions o = with(InputFormat::kJsonl);
  o.fields.meta = {"channel"};
  EXPECT_HAS(reader_error(m, o), "m.jsonl:1: field 'channel' holds a NUL character");
  // Other control characters are still the normalizer's (removed, documented).
  auto c = t.write("c.jsonl", "{\"text\": \"x\\u0001y\", \"label\": \"a\"}\n");
  EXPECT_EQ(reader_error(c, with(InputFormat::kJsonl)), "");
}

TEST(NulCharacters, SkipBadLinesSkipsANulRecord) {
  TempDir t;
  std::string train = balanced({"a", "b"}, 3);
  train += std::string("{\"text\": \"x\\u0000\", \"label\": \"a\"}\n");
  t.write("train.jsonl", train);
  EXPECT_EQ(prepare_error(t, std::string("inputs:\n  files: {train: train.jsonl}\n") + kTok, true), "");
  EXPECT_EQ(read_dataset_info(t.file("out.h5")).label_names.size(), 2u);
}

// ---- item 3: empty and tiny inputs -----------------------------------------------------

TEST(EmptyInputs, EmptyBlankHeaderOnlyAndDirectoryNameTheFile) {
  TempDir t;
  const std::string cfg = std::string("inputs:\n  files: {train: train.") + "EXT}\n" + kTok;
  auto cfg_for = [&](const std::string& ext) {
    std::string c = cfg;
    c.replace(c.find("EXT"), 3, ext);
    return c;
  };
  t.write("train.jsonl", "");
  std::string e = prepare_error(t, cfg_for("jsonl"));
  EXPECT_HAS(e, "train.jsonl has no records: it is empty (0 bytes)");
  EXPECT_EQ(e.find("no labels found"), std::string::npos) << e;
  t.write("train.jsonl", "\n  \n\r\n");
  EXPECT_HAS(prepare_error(t, cfg_for("jsonl")), "train.jsonl has no records: it holds only blank lines");
  t.write("train.csv", "text,label\n");
  EXPECT_HAS(prepare_error(t, cfg_for("csv")), "train.csv has no records: only the header line");
  t.write("train.tsv", "\xEF\xBB\xBFtext\tlabel\r\n\r\n");
  EXPECT_HAS(prepare_error(t, cfg_for("tsv")), "train.tsv has no records: only the header line");
  std::filesystem::create_directory(t.file("train.d"));
  EXPECT_HAS(prepare_error(t, std::string("inputs:\n  format: jsonl\n  files: {train: train.d}\n") + kTok),
             "train.d is a directory, not a file");
  EXPECT_HAS(prepare_error(t, "inputs:\n  format: jsonl\n  file: train.d\n"), "train.d is a directory");
}

TEST(EmptyInputs, AnEmptyDevOrTestFileIsRefusedToo) {
  TempDir t;
  t.write("train.jsonl", balanced({"a", "b"}, 3));
  t.write("dev.jsonl", "\n");
  EXPECT_HAS(prepare_error(t, std::string("inputs:\n  files: {train: train.jsonl, dev: dev.jsonl}\n") + kTok),
             "dev.jsonl has no records");
}

TEST(EmptyInputs, ASplitLeftEmptyBySkippedOrDuplicateRecordsIsRefused) {
  TempDir t;
  t.write("train.jsonl", balanced({"a", "b"}, 3));
  t.write("dev.jsonl", "{\"text\": \"x\"}\nnot json\n");
  const std::string cfg = std::string("inputs:\n  files: {train: train.jsonl, dev: dev.jsonl}\n") + kTok;
  EXPECT_HAS(prepare_error(t, cfg, true), "dev.jsonl: every record was bad and skipped (2, --skip-bad-lines)");
  // Every dev record has a label train does not know: dev is left with 0 examples.
  t.write("dev.jsonl", records({{"x", "c"}, {"y", "c"}}));
  std::string e = prepare_error(t, cfg, true);
  EXPECT_HAS(e, "split dev has 0 examples (read 2, bad 2, duplicates 0; splits: train 6, dev 0)");
  EXPECT_HAS(e, "--set inputs.files.dev=null");
}

TEST(TinySplits, TwoOrTwentyRecordsCannotFillDevAndTest) {
  TempDir t;
  t.write("all.jsonl", records({{"你好", "a"}, {"退款", "b"}}));
  const std::string cfg = std::string("inputs: {file: all.jsonl}\n") + kTok;
  std::string e = prepare_error(t, cfg);
  EXPECT_HAS(e, "all.jsonl: splitting its 2 records by inputs.split (train 0.8, dev 0.1, test 0.1)");
  EXPECT_HAS(e, "gives train 2, dev 0, test 0 examples: split dev would be empty");
  EXPECT_HAS(e, "--set inputs.split.train=0.9 --set inputs.split.test=0");
  // 20 records, 10 classes of 2: round(2 * 0.1) = 0 per class, so dev and test are empty.
  t.write("all.jsonl", balanced({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, 2));
  EXPECT_HAS(prepare_error(t, cfg), "gives train 20, dev 0, test 0 examples: split dev would be empty");
  // Dropping the splits it cannot fill is the documented way out.
  EXPECT_EQ(prepare_error(t, std::string("inputs: {file: all.jsonl, split: {train: 1, dev: 0, test: 0}}\n") + kTok +
                                 "allow_singleton_labels: true\n"),
            "");
}

TEST(TinySplits, AClassWithNoTrainExampleAfterTheSplitIsRefused) {
  TempDir t;
  // b has one record; dev 0.5 rounds it into dev, leaving no b in train.
  std::string all = balanced({"a"}, 10) + records({{"只有一条", "b"}});
  t.write("all.jsonl", all);
  std::string e = prepare_error(t, std::string("inputs: {file: all.jsonl, split: {train: 0.5, dev: 0.5, test: 0}}\n") +
                                       kTok + "allow_singleton_labels: true\n");
  EXPECT_HAS(e, "leaves 1 label(s) with no train example: 'b' (train 0, dev 1)");
  EXPECT_EQ(e.find("is not in the label set"), std::string::npos) << e;
}

// ---- item 2: degenerate label sets and thousands of labels ------------------------------

TEST(ManyLabels, MostClassesSeenOnceAreRefusedUnlessAllowed) {
  TempDir t;
  const std::vector<std::string> common{"a", "b", "c", "d", "e"}, rare{"f", "g", "h", "i", "j", "k", "l"};
  t.write("train.jsonl", balanced(common, 3) + balanced(rare, 1));
  const std::string cfg = std::string("inputs:\n  files: {train: train.jsonl}\n") + kTok;
  std::string e = prepare_error(t, cfg);
  EXPECT_HAS(e, "7 of the 12 labels have fewer than 2 train examples (7 have 1, 0 have none; 22 train examples)");
  EXPECT_HAS(e, "allow_singleton_labels: true");
  EXPECT_EQ(prepare_error(t, cfg + "allow_singleton_labels: true\n"), "");
  // Explicit labels no train record has count as degenerate too.
  t.write("train.jsonl", balanced({"a", "b"}, 3));
  EXPECT_HAS(prepare_error(t, cfg + "labels: [a, b, c, d, e, f, g, h, i, j]\n"),
             "8 of the 10 labels have fewer than 2 train examples (0 have 1, 8 have none");
  // Half or fewer is fine (a long tail is normal), and so is a handful of classes.
  t.write("train.jsonl", balanced({"a", "b", "c", "d", "e", "f"}, 3) + balanced({"g", "h", "i", "j", "k", "l"}, 1));
  EXPECT_EQ(prepare_error(t, cfg), "");
  t.write("train.jsonl", balanced({"a", "b", "c"}, 1));
  EXPECT_EQ(prepare_error(t, cfg), "");
}

// The case: a single-label file of 10,000 records with 10,000 distinct labels failed
// with "cannot write attribute /@label_names" (the 64 KiB HDF5 attribute limit).
TEST(ManyLabels, TenThousandClassesPrepareInspectAndReadFromPython) {
  TempDir t;
  const int kLabels = 10000;
  std::string train;
  std::vector<std::pair<std::string, std::string>> v;
  for (int i = 0; i < kLabels; ++i) v.emplace_back("类目" + std::to_string(i) + "的商品", "cat" + std::to_string(i));
  t.write("train.jsonl", records(v));
  const std::string cfg =
      std::string("inputs:\n  files: {train: train.jsonl}\nmax_length: 16\ntokenizer: {type: char, vocab_size: 40}\n");
  EXPECT_HAS(prepare_error(t, cfg), "10000 of the 10000 labels have fewer than 2 train examples (10000 have 1");
  auto res = prepare_ok(t, cfg + "allow_singleton_labels: true\n");
  const std::string out = t.file("out.h5");
  DatasetInfo info = read_dataset_info(out);
  ASSERT_EQ(info.label_names.size(), static_cast<size_t>(kLabels));
  EXPECT_EQ(info.label_names[0], "cat0");  // integer-free names: byte order
  EXPECT_EQ(info.label_names[1], "cat1");
  EXPECT_EQ(info.label_names[2], "cat10");
  {
    auto f = h5::File::open_read(out);
    EXPECT_TRUE(f.exists("/label_names"));
    EXPECT_FALSE(f.has_attr("/", "label_names"));  // too long for an attribute: the dataset only
  }
  SplitData s = read_split(out, "train");
  ASSERT_EQ(s.size(), static_cast<size_t>(kLabels));
  EXPECT_EQ(info.label_names[static_cast<size_t>(s.labels[9999])], "cat9999");
  const std::string report = format_inspection(inspect_dataset(out));
  EXPECT_HAS(report, "single_label, 10000 labels");
#ifdef ZL_PYTHON_EXE
  const std::string cmd = std::string(ZL_PYTHON_EXE) + " " + ZL_SOURCE_DIR + "/tests/check_prepared_h5.py " + out;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
#endif
}

TEST(ManyLabels, ShortLabelListsKeepTheAttributeForOlderReaders) {
  TempDir t;
  t.write("train.jsonl", balanced({"a", "b"}, 3));
  prepare_ok(t, std::string("inputs:\n  files: {train: train.jsonl}\n") + kTok);
  auto f = h5::File::open_read(t.file("out.h5"));
  EXPECT_EQ(f.attr_strings("/", "label_names"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.read_strings("/label_names"), (std::vector<std::string>{"a", "b"}));
}

// ---- item 7: a dev split carved out of train ----------------------------------------------

TEST(DevFromTrain, ASeededStratifiedDevSplitOutOfTrain) {
  TempDir t;
  t.write("train.jsonl", balanced({"a", "b"}, 10));
  t.write("test.jsonl", balanced({"a", "b"}, 1));
  const std::string cfg = std::string("inputs:\n  files: {train: train.jsonl, test: test.jsonl}\n  split: "
                                      "{dev_from_train: 0.2}\n") +
                          kTok;
  auto res = prepare_ok(t, cfg);
  const std::string out = t.file("out.h5");
  DatasetInfo info = read_dataset_info(out);
  EXPECT_EQ(info.split_names, (std::vector<std::string>{"dev", "test", "train"}));
  SplitData train = read_split(out, "train"), dev = read_split(out, "dev");
  EXPECT_EQ(train.size(), 16u);
  ASSERT_EQ(dev.size(), 4u);
  EXPECT_EQ(std::count(dev.labels.begin(), dev.labels.end(), 0), 2);  // stratified: 2 of each label
  for (const auto& id : dev.ids) {
    EXPECT_EQ(id.rfind("train.jsonl:", 0), 0u) << id;  // ids stay the train file's
    EXPECT_EQ(std::find(train.ids.begin(), train.ids.end(), id), train.ids.end()) << id;
  }
  EXPECT_EQ(res.stats["splits"]["dev"]["records_read"], 4);
  EXPECT_EQ(res.stats["splits"]["train"]["records_read"], 16);
  // Seeded: the same config gives the same rows; another seed other rows.
  prepare_ok(t, cfg);
  EXPECT_EQ(read_split(out, "dev").ids, dev.ids);
  std::string seeded = cfg;
  seeded.replace(seeded.find("dev_from_train: 0.2"), 19, "dev_from_train: 0.2, seed: 7");
  prepare_ok(t, seeded);
  EXPECT_NE(read_split(out, "dev").ids, dev.ids);
}

TEST(DevFromTrain, BadUsesAreRefusedNamingTheKey) {
  TempDir t;
  t.write("train.jsonl", balanced({"a", "b"}, 3));
  t.write("dev.jsonl", balanced({"a"}, 1));
  EXPECT_HAS(prepare_error(t, std::string("inputs:\n  files: {train: train.jsonl, dev: dev.jsonl}\n  split: "
                                          "{dev_from_train: 0.1}\n") +
                                  kTok),
             "inputs.split.dev_from_train carves a dev split out of train, but inputs.files has a dev file already");
  EXPECT_HAS(prepare_error(t, std::string("inputs:\n  files: {train: train.jsonl}\n  split: {dev_from_train: 0.7}\n") +
                                  kTok),
             "inputs.split.dev_from_train must be >= 0 and < 0.5");
  EXPECT_HAS(prepare_error(t, std::string("inputs:\n  file: train.jsonl\n  split: {dev_from_train: 0.1}\n") + kTok),
             "inputs.split.dev_from_train is for inputs.files without a dev file");
  // Too few train records to give dev anything.
  EXPECT_HAS(prepare_error(t, std::string("inputs:\n  files: {train: train.jsonl}\n  split: {dev_from_train: 0.1}\n") +
                                  kTok),
             "dev_from_train 0.1 of the 6 train records gives train 6, dev 0 examples");
}

}  // namespace
}  // namespace zl
