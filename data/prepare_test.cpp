// End-to-end tests of `kd data prepare` on small fixtures: every bad input of
// the issue (message content, exit status 2, no output file left), the valid
// CSV/BOM/CRLF inputs, skip-bad-lines, dedup/leakage, split determinism and
// the HDF5 round trip.
#include "prepare.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "test_util.h"

namespace zl {
namespace {

using zl::testing::TempDir;

const char* kTrain =
    "{\"text\": \"我要退款\", \"label\": \"refund\"}\n"
    "{\"text\": \"怎么退款啊\", \"label\": \"refund\"}\n"
    "{\"text\": \"退款多久到账\", \"label\": \"refund\"}\n"
    "{\"text\": \"快递到哪了 13812345678\", \"label\": \"logistics\"}\n"
    "{\"text\": \"物流怎么不动了\", \"label\": \"logistics\"}\n"
    "{\"text\": \"我要退款\", \"label\": \"refund\"}\n"
    "{\"text\": \"ＳＦ１２３４５６７８９０１２３ 到哪了\", \"label\": \"logistics\"}\n";
const char* kDev =
    "{\"text\": \"退款什么时候到\", \"label\": \"refund\"}\n"
    "{\"text\": \"我要退款\", \"label\": \"refund\"}\n";
const char* kTest = "{\"text\": \"包裹在哪\", \"label\": \"logistics\"}\n";

const char* kConfig =
    "task: single_label\n"
    "inputs:\n"
    "  files: {train: train.jsonl, dev: dev.jsonl, test: test.jsonl}\n"
    "max_length: 16\n"
    "tokenizer: {type: unigram, vocab_size: 60}\n";

struct Fixture {
  TempDir dir;
  std::string config;
  std::string out;
  Fixture(const std::string& train = kTrain, const std::string& dev = kDev, const std::string& cfg = kConfig) {
    dir.write("train.jsonl", train);
    dir.write("dev.jsonl", dev);
    dir.write("test.jsonl", kTest);
    config = dir.write("data.yaml", cfg);
    out = dir.file("out.h5");
  }
  PrepareOptions options() const {
    PrepareOptions o;
    o.config_path = config;
    o.out_path = out;
    o.quiet = true;
    return o;
  }
  // Runs prepare, expects a UserError containing every `parts`, and no output file.
  void expect_error(const std::vector<std::string>& parts, PrepareOptions o) const {
    try {
      prepare_dataset(o);
      ADD_FAILURE() << "no error";
    } catch (const UserError& e) {
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
    EXPECT_FALSE(file_exists(out)) << "output left behind";
    // Nor any temporary file next to it.
    EXPECT_EQ(std::system(("ls " + dir.path() + " | grep -q out.h5").c_str()) == 0, false);
  }
  void expect_error(const std::vector<std::string>& parts) const { expect_error(parts, options()); }
};

// Runs the kd-data binary; returns its exit status and stderr.
std::pair<int, std::string> run_kd_data(const std::string& args) {
  std::string cmd = std::string(KD_DATA_BIN) + " " + args + " 2>&1 >/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Prepare, WritesADatasetThatReadsBack) {
  Fixture f;
  auto res = prepare_dataset(f.options());
  ASSERT_TRUE(file_exists(f.out));
  DatasetInfo info = read_dataset_info(f.out);
  EXPECT_EQ(info.task, Task::kSingleLabel);
  EXPECT_EQ(info.label_names, (std::vector<std::string>{"logistics", "refund"}));
  EXPECT_EQ(info.pad_id, 0);
  EXPECT_EQ(info.unk_id, 1);
  EXPECT_EQ(info.cls_id, 2);
  EXPECT_EQ(info.sep_id, 3);
  EXPECT_EQ(info.split_names.size(), 3u);
  EXPECT_NE(info.config_yaml.find("vocab_size: 60"), std::string::npos);
  EXPECT_EQ(info.tokenizer_sha256.size(), 64u);
  SplitData train = read_split(f.out, "train", true);
  ASSERT_EQ(train.size(), 6u);  // 7 records, one duplicate
  EXPECT_EQ(train.ids[0], "train.jsonl:1");
  EXPECT_EQ(train.ids[5], "train.jsonl:7");
  EXPECT_EQ(train.text[3], "快递到哪了 <PHONE>");
  EXPECT_EQ(train.text[5], "<ORDER> 到哪了");  // NFKC before masking: full-width digits are caught
  EXPECT_EQ(train.labels, (std::vector<int32_t>{1, 1, 1, 0, 0, 0}));
  for (size_t i = 0; i < train.size(); ++i) {
    EXPECT_EQ(train.input_ids[train.offsets[i]], 2);
    EXPECT_EQ(train.input_ids[train.offsets[i + 1] - 1], 3);
    EXPECT_LE(train.length(i), 16);
  }
  // <PHONE> is one user-defined piece with a fixed id (5).
  bool has_phone = false;
  for (size_t k = train.offsets[3]; k < static_cast<size_t>(train.offsets[4]); ++k) has_phone |= train.input_ids[k] == 5;
  EXPECT_TRUE(has_phone);
  EXPECT_FALSE(read_tokenizer_model(f.out).empty());
  const auto& st = res.stats;
  EXPECT_EQ(st["splits"]["train"]["records_read"], 7);
  EXPECT_EQ(st["splits"]["train"]["duplicates_removed"], 1);
  EXPECT_EQ(st["masks"]["phone"], 1);
  EXPECT_EQ(st["masks"]["order"], 1);
  EXPECT_EQ(st["leakage"]["train&dev"], 1);  // 我要退款
  EXPECT_EQ(st["leakage"]["examples"][0]["text"], "我要退款");
  EXPECT_NE(res.summary.find("phone=1"), std::string::npos);
}

TEST(Prepare, OriginalTextOnlyWithOptIn) {
  Fixture f;
  prepare_dataset(f.options());
  EXPECT_TRUE(read_split(f.out, "train", true).original_text.empty());
  auto o = f.options();
  o.force = true;
  o.overrides = {"keep_original_text=true"};
  prepare_dataset(o);
  auto s = read_split(f.out, "train", true);
  ASSERT_EQ(s.original_text.size(), s.size());
  EXPECT_EQ(s.original_text[3], "快递到哪了 13812345678");
  EXPECT_EQ(s.text[3], "快递到哪了 <PHONE>");
}

TEST(Prepare, SameInputSameFile) {
  Fixture f;
  prepare_dataset(f.options());
  auto a = read_dataset_info(f.out);
  auto o = f.options();
  o.force = true;
  prepare_dataset(o);
  auto b = read_dataset_info(f.out);
  EXPECT_EQ(a.content_sha256, b.content_sha256);
  EXPECT_EQ(a.tokenizer_sha256, b.tokenizer_sha256);
}

TEST(Prepare, SingleFileSeededSplitIsDeterministic) {
  TempDir d;
  std::string all;
  for (int i = 0; i < 60; ++i)
    all += "{\"text\": \"第" + std::to_string(i) + "条评论 " + (i % 3 ? "好吃" : "太慢") + "\", \"label\": " +
           (i % 3 ? "1" : "0") + "}\n";
  d.write("all.jsonl", all);
  auto cfg = d.write("c.yaml",
                     "inputs: {file: all.jsonl, split: {train: 0.8, dev: 0.1, test: 0.1, seed: 5}}\n"
                     "tokenizer: {vocab_size: 40}\n");
  PrepareOptions o;
  o.config_path = cfg;
  o.quiet = true;
  o.out_path = d.file("a.h5");
  prepare_dataset(o);
  o.out_path = d.file("b.h5");
  prepare_dataset(o);
  for (const char* s : {"train", "dev", "test"}) {
    auto a = read_split(d.file("a.h5"), s);
    auto b = read_split(d.file("b.h5"), s);
    EXPECT_EQ(a.ids, b.ids) << s;
  }
  EXPECT_EQ(read_split(d.file("a.h5"), "train").size(), 48u);
  EXPECT_EQ(read_split(d.file("a.h5"), "dev").size(), 6u);
  // Integer labels sort numerically.
  EXPECT_EQ(read_dataset_info(d.file("a.h5")).label_names, (std::vector<std::string>{"0", "1"}));
  o.out_path = d.file("c.h5");
  o.overrides = {"inputs.split.seed=6"};
  prepare_dataset(o);
  EXPECT_NE(read_split(d.file("a.h5"), "dev").ids, read_split(d.file("c.h5"), "dev").ids);
}

TEST(Prepare, PairTaskSegmentsAndTruncation) {
  TempDir d;
  d.write("train.jsonl",
          "{\"text_a\": \"花呗怎么还款\", \"text_b\": \"花呗还款方式\", \"label\": 1}\n"
          "{\"text_a\": \"借呗额度\", \"text_b\": \"" + std::string(200, 'x') + "\", \"label\": 0}\n");
  auto cfg = d.write("c.yaml",
                     "task: pair\ninputs: {files: {train: train.jsonl}}\nmax_length: 12\n"
                     "tokenizer: {type: char, vocab_size: 40}\n");
  PrepareOptions o{cfg, d.file("p.h5")};
  o.quiet = true;
  prepare_dataset(o);
  auto s = read_split(d.file("p.h5"), "train", true);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.segment_ids.size(), s.input_ids.size());
  EXPECT_EQ(s.length(1), 12);  // truncated, longer side first
  EXPECT_EQ(s.text_b[0], "花呗还款方式");
  // [CLS] a [SEP] -> 0, b [SEP] -> 1; the short side (借呗额度, 4 chars + prefix) survives.
  EXPECT_EQ(s.segment_ids[s.offsets[1]], 0);
  EXPECT_EQ(s.segment_ids[s.offsets[2] - 1], 1);
  int seps = 0;
  for (auto k = s.offsets[1]; k < s.offsets[2]; ++k) seps += s.input_ids[k] == 3;
  EXPECT_EQ(seps, 2);
}

TEST(Prepare, MultiLabelCsvWithQuotedCommasNewlinesBomCrlf) {
  TempDir d;
  d.write("train.csv",
          "\xEF\xBB\xBFtext,labels,channel\r\n"
          "\"退款,还有发票\",refund|invoice,app\r\n"
          "\"第一行\r\n第二行\",refund,web\r\n"
          "开发票,invoice,app\r\n");
  auto cfg = d.write("c.yaml",
                     "task: multi_label\ninputs: {files: {train: train.csv}, meta: [channel]}\n"
                     "tokenizer: {type: char, vocab_size: 30}\n");
  PrepareOptions o{cfg, d.file("m.h5")};
  o.quiet = true;
  prepare_dataset(o);
  auto s = read_split(d.file("m.h5"), "train", true);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.text[0], "退款,还有发票");
  EXPECT_EQ(s.text[1], "第一行 第二行");
  EXPECT_EQ(s.ids[2], "train.csv:5");
  EXPECT_EQ(s.multi_hot, (std::vector<uint8_t>{1, 1, 0, 1, 1, 0}));  // labels: invoice, refund
  EXPECT_EQ(s.meta["channel"], (std::vector<std::string>{"app", "web", "app"}));
}

// --- bad input: one test each -------------------------------------------------------

TEST(BadInput, InvalidUtf8) {
  Fixture f(std::string(kTrain) + "{\"text\": \"\xe9\x80\", \"label\": \"refund\"}\n");
  f.expect_error({"train.jsonl:8:", "invalid UTF-8", "iconv"});
}

TEST(BadInput, MalformedJsonLine) {
  Fixture f(std::string(kTrain) + "{\"text\": \"x\", \"label\": refund}\n");
  f.expect_error({"train.jsonl:8:", "malformed JSON"});
}

TEST(BadInput, MissingField) {
  Fixture f(std::string(kTrain) + "{\"txt\": \"x\", \"label\": \"refund\"}\n");
  f.expect_error({"train.jsonl:8:", "missing field 'text'", "the record has: label, txt", "inputs.fields.text"});
}

TEST(BadInput, EmptyTextAfterNormalization) {
  Fixture f(std::string(kTrain) + "{\"text\": \" \\u200b\\t \", \"label\": \"refund\"}\n");
  f.expect_error({"train.jsonl:8:", "text is empty after normalization"});
}

TEST(BadInput, UnknownLabelInDev) {
  Fixture f(kTrain, std::string(kDev) + "{\"text\": \"发票\", \"label\": \"invoice\"}\n");
  f.expect_error({"dev.jsonl:3:", "label 'invoice'", "not in the label set", "logistics, refund"});
}

TEST(BadInput, ListLabelInSingleLabelTask) {
  Fixture f(std::string(kTrain) + "{\"text\": \"x\", \"label\": [\"refund\", \"logistics\"]}\n");
  f.expect_error({"train.jsonl:8:", "is a list", "single_label", "multi_label"});
}

TEST(BadInput, LineOverOneMegabyte) {
  Fixture f(std::string(kTrain) + "{\"text\": \"" + std::string(1100000, 'a') + "\", \"label\": \"refund\"}\n");
  f.expect_error({"train.jsonl:8:", "over the 1 MB limit"});
}

TEST(BadInput, MissingInputFile) {
  Fixture f;
  std::remove(f.dir.file("test.jsonl").c_str());
  f.expect_error({"test.jsonl does not exist", "inputs.dir"});
}

TEST(BadInput, UnknownConfigKeySuggestsTheClosest) {
  Fixture f(kTrain, kDev, std::string(kConfig) + "max_lenght: 32\n");
  f.expect_error({"data.yaml:", "unknown key 'max_lenght'", "did you mean 'max_length'"});
  Fixture g(kTrain, kDev, std::string(kConfig) + "normalize: {nfck: false}\n");
  g.expect_error({"unknown key 'normalize.nfck'", "did you mean 'normalize.nfkc'"});
}

TEST(BadInput, UnknownKeyFromSetOverride) {
  Fixture f;
  auto o = f.options();
  o.overrides = {"tokenizer.vocab_sise=100"};
  f.expect_error({"unknown key 'tokenizer.vocab_sise'", "did you mean 'tokenizer.vocab_size'"}, o);
}

TEST(BadInput, UnsetEnvironmentVariableInPath) {
  ::unsetenv("ZL_SURELY_UNSET");
  Fixture g(kTrain, kDev,
            "inputs: {dir: '${ZL_SURELY_UNSET}/x', files: {train: train.jsonl}}\n");
  g.expect_error({"${ZL_SURELY_UNSET}", "not set", "--input-dir"});
}

TEST(BadInput, ExistingOutputNeedsForce) {
  Fixture f;
  write_file_atomic(f.out, "keep me");
  try {
    prepare_dataset(f.options());
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos);
  }
  EXPECT_EQ(read_file(f.out), "keep me");
}

TEST(BadInput, SkipBadLinesCountsThem) {
  Fixture f(std::string(kTrain) + "{\"text\": 13812345678, \"label\": \"refund\"}\n{\"text\": \"   \", \"label\": \"refund\"}\n",
            std::string(kDev) + "{\"text\": \"发票\", \"label\": \"invoice\"}\n");
  auto o = f.options();
  o.skip_bad_lines = true;
  auto res = prepare_dataset(o);
  EXPECT_EQ(res.stats["skipped_bad_lines"], 3);
  EXPECT_EQ(res.stats["splits"]["train"]["skipped_bad"], 2);
  EXPECT_EQ(res.stats["splits"]["dev"]["skipped_bad"], 1);
  EXPECT_EQ(read_split(f.out, "dev").size(), 2u);
  EXPECT_NE(res.summary.find("skipped bad records: 3"), std::string::npos);
  // The stored messages are masked: the phone number quoted in the error is not in the file.
  const std::string stored = res.stats["skipped_examples"].dump();
  EXPECT_EQ(stored.find("13812345678"), std::string::npos) << stored;
  EXPECT_NE(stored.find("must be a string, got <PHONE>"), std::string::npos) << stored;
}

TEST(BadInput, SkipBadLinesWarningsAreMasked) {
  Fixture f(std::string(kTrain) + "{\"text\": 13812345678, \"label\": \"refund\"}\n");
  auto [rc, err] = run_kd_data("prepare --skip-bad-lines --config " + f.config + " --out " + f.out);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("warning: skipped"), std::string::npos) << err;
  EXPECT_NE(err.find("<PHONE>"), std::string::npos) << err;
  EXPECT_EQ(err.find("13812345678"), std::string::npos) << err;
}

TEST(BadInput, BinaryExitsWithStatus2AndLeavesNoFile) {
  Fixture f(std::string(kTrain) + "{\"text\": \"x\", \"label\": [1]}\n");
  auto [rc, err] = run_kd_data("prepare --config " + f.config + " --out " + f.out);
  EXPECT_EQ(rc, 2) << err;
  EXPECT_NE(err.find("kd data prepare: error: "), std::string::npos) << err;
  EXPECT_NE(err.find("train.jsonl:8:"), std::string::npos) << err;
  EXPECT_FALSE(file_exists(f.out));
  auto [rc2, err2] = run_kd_data("prepare --config " + f.dir.file("nope.yaml") + " --out " + f.out);
  EXPECT_EQ(rc2, 2) << err2;
  auto [rc3, out3] = run_kd_data("inspect " + f.out);
  EXPECT_EQ(rc3, 2) << out3;
}

TEST(Prepare, BinaryPrepareAndInspect) {
  Fixture f;
  auto [rc, err] = run_kd_data("prepare --config " + f.config + " --out " + f.out);
  ASSERT_EQ(rc, 0) << err;
  std::string cmd = std::string(KD_DATA_BIN) + " inspect --json " + f.out;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["splits"][0]["name"], "train");
  EXPECT_EQ(j["splits"][0]["examples"], 6);
  EXPECT_EQ(j["splits"][0]["label_counts"]["refund"], 3);
  EXPECT_EQ(j["tokenizer"]["cls_id"], 2);
  EXPECT_EQ(j["provenance"]["source_files"].size(), 3u);
  EXPECT_EQ(j["provenance"]["source_files"][0]["sha256"].get<std::string>().size(), 64u);
}

TEST(Prepare, DemoDatasetCountsAndMasksMatchItsReadme) {
  // data/samples/README.md: 830/173/173 utterances, 16 intents, and the fake
  // personal data per kind (found there by make_stats.py's own regular expressions).
  TempDir d;
  PrepareOptions o;
  o.config_path = "configs/datasets/demo.yaml";  // tests run in the source folder
  o.out_path = d.file("demo.h5");
  o.quiet = true;
  auto res = prepare_dataset(o);
  const auto& st = res.stats;
  EXPECT_EQ(st["splits"]["train"]["records_read"], 830);
  EXPECT_EQ(st["splits"]["dev"]["records_read"], 173);
  EXPECT_EQ(st["splits"]["test"]["records_read"], 173);
  EXPECT_EQ(read_dataset_info(o.out_path).label_names.size(), 16u);
  EXPECT_EQ(st["masks"]["email"], 14);
  EXPECT_EQ(st["masks"]["id"], 8);
  EXPECT_EQ(st["masks"]["card"], 11);
  EXPECT_EQ(st["masks"]["order"], 32);
  EXPECT_EQ(st["masks"]["tel"], 7);
  EXPECT_EQ(st["masks"]["phone"], 21);
  // No digit run of >= 10 digits survives masking anywhere.
  for (const char* s : {"train", "dev", "test"}) {
    for (const auto& t : read_split(o.out_path, s, true).text) {
      int run = 0, longest = 0;
      for (char c : t) {
        run = (c >= '0' && c <= '9') ? run + 1 : 0;
        longest = std::max(longest, run);
      }
      EXPECT_LT(longest, 10) << t;
    }
  }
}

}  // namespace
}  // namespace zl
