// `kd data augment --noise / --noisy-eval`: transfer copies and labelled noisy copies, on a file
// with a trained sentencepiece tokenizer and on one with a pretrained (BERT WordPiece) tokenizer;
// the two views of one dataset keep equal text checksums after noising (what lets a teacher file
// predicted on the teacher's view be accepted for the students').
#include "noise_augment.h"

#include <gtest/gtest.h>

#include <set>

#include "dataset_file.h"
#include "error.h"
#include "prepare.h"
#include "test_util.h"

namespace zl {
namespace {

using zl::testing::TempDir;

const char* kTrain =
    "{\"id\": \"a1\", \"text\": \"我的快递到哪了，怎么还没到？\", \"label\": \"logistics\"}\n"
    "{\"id\": \"a2\", \"text\": \"我要退款，电话13812345678。\", \"label\": \"refund\"}\n"
    "{\"id\": \"a3\", \"text\": \"在吗？已经付款了，什么时候发货\", \"label\": \"logistics\"}\n"
    "{\"id\": \"a4\", \"text\": \"退款多久到账可以快点吗\", \"label\": \"refund\"}\n"
    "{\"id\": \"a5\", \"text\": \"物流信息在哪里查询\", \"label\": \"logistics\"}\n"
    "{\"id\": \"a6\", \"text\": \"好\", \"label\": \"refund\"}\n";
const char* kTest =
    "{\"id\": \"t1\", \"text\": \"快递在哪里了\", \"label\": \"logistics\"}\n"
    "{\"id\": \"t2\", \"text\": \"我想退款，已经付款了\", \"label\": \"refund\"}\n";

struct Views {
  TempDir dir;
  std::string spm, bert;
  Views() {
    dir.write("train.jsonl", kTrain);
    dir.write("test.jsonl", kTest);
    // A tiny BERT checkpoint: some characters of the texts (others become [UNK]).
    std::system(("mkdir -p " + dir.file("bert")).c_str());
    std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (const char* c : {"我", "的", "快", "递", "到", "哪", "了", "退", "款", "在", "吗", "已", "经", "付", "以", "再", "，"})
      vocab += std::string(c) + "\n";
    dir.write("bert/vocab.txt", vocab);
    dir.write("bert/config.json", "{\"model_type\": \"bert\", \"vocab_size\": 22}");
    dir.write("bert/tokenizer_config.json", "{\"do_lower_case\": true}");
    const std::string inputs = "task: single_label\ninputs:\n  files: {train: train.jsonl, test: test.jsonl}\nmax_length: 32\n";
    dir.write("spm.yaml", inputs + "tokenizer: {type: char}\n");
    dir.write("bert.yaml", inputs + "tokenizer: {pretrained: bert}\n");
    spm = prepare("spm");
    bert = prepare("bert");
  }
  std::string prepare(const std::string& name) {
    PrepareOptions o;
    o.config_path = dir.file(name + ".yaml");
    o.out_path = dir.file(name + ".h5");
    o.quiet = true;
    prepare_dataset(o);
    return o.out_path;
  }
  AugmentOptions noise(const std::string& in, const std::string& out) const {
    AugmentOptions a;
    a.in_path = in;
    a.out_path = dir.file(out);
    a.noise = "homophone=0.3,near_homophone=0.1,ime=0.1,drop=0.05,punct=0.5";
    a.copies = 3;
    a.seed = 5;
    a.noisy_eval = "test";
    a.eval_noise = {"0.1", "0.3"};
    return a;
  }
};

TEST(NoiseAugment, TwoViewsGetIdenticalNoisedTextsAndChecksums) {
  Views v;
  ASSERT_EQ(read_dataset_info(v.spm).text_sha256, read_dataset_info(v.bert).text_sha256);
  const AugmentResult rs = augment_dataset(v.noise(v.spm, "spm_noise.h5"));
  const AugmentResult rb = augment_dataset(v.noise(v.bert, "bert_noise.h5"));
  EXPECT_GT(rs.added_rows, 8);
  EXPECT_EQ(rs.added_rows, rb.added_rows);
  EXPECT_EQ(rs.duplicates_dropped, rb.duplicates_dropped);
  EXPECT_EQ(rs.added_rows + rs.duplicates_dropped, 18);
  const DatasetInfo is = read_dataset_info(v.dir.file("spm_noise.h5"));
  const DatasetInfo ib = read_dataset_info(v.dir.file("bert_noise.h5"));
  EXPECT_EQ(is.text_sha256, ib.text_sha256);
  EXPECT_NE(is.text_sha256, read_dataset_info(v.spm).text_sha256);
  EXPECT_NE(is.content_sha256, ib.content_sha256);  // the token ids differ, the texts do not
  for (const char* split : {"train", "test@noise-0.1", "test@noise-0.3"}) {
    const SplitData a = read_split(v.dir.file("spm_noise.h5"), split, true);
    const SplitData b = read_split(v.dir.file("bert_noise.h5"), split, true);
    EXPECT_EQ(a.text, b.text) << split;
    EXPECT_EQ(a.ids, b.ids) << split;
  }
  // The bert file's ids are the checkpoint's: the placeholder survives as one token.
  const SplitData bt = read_split(v.dir.file("bert_noise.h5"), "train", true);
  const nlohmann::json pj = nlohmann::json::parse(ib.pretrained_json);
  const int32_t phone = pj["placeholders"]["<PHONE>"].get<int32_t>();
  int copies_with_phone = 0;
  for (size_t i = 6; i < bt.size(); ++i) {
    if (bt.ids[i].rfind("train.jsonl:2~", 0) != 0) continue;
    EXPECT_NE(bt.text[i].find("<PHONE>"), std::string::npos) << bt.text[i];
    bool has = false;
    for (int64_t k = bt.offsets[i]; k < bt.offsets[i + 1]; ++k) has |= bt.input_ids[static_cast<size_t>(k)] == phone;
    EXPECT_TRUE(has);
    ++copies_with_phone;
  }
  EXPECT_GT(copies_with_phone, 0);
}

TEST(NoiseAugment, TransferCopiesUnlabelledEvalCopiesLabelled) {
  Views v;
  const AugmentResult r = augment_dataset(v.noise(v.spm, "out.h5"));
  const std::string out = v.dir.file("out.h5");
  const DatasetInfo info = read_dataset_info(out);
  const SplitData train = read_split(out, "train", true);
  ASSERT_EQ(train.size(), 6u + static_cast<size_t>(r.added_rows));
  std::set<std::string> texts(train.text.begin(), train.text.begin() + 6);
  for (size_t i = 6; i < train.size(); ++i) {
    EXPECT_EQ(train.labels[i], -1);
    EXPECT_NE(train.ids[i].find("~noise"), std::string::npos);
    EXPECT_TRUE(texts.insert(train.text[i]).second) << "duplicate kept: " << train.text[i];
  }
  const SplitData test = read_split(out, "test", true);
  const SplitData noisy = read_split(out, "test@noise-0.3", true);
  EXPECT_EQ(noisy.ids, test.ids);
  EXPECT_EQ(noisy.labels, test.labels);
  EXPECT_NE(noisy.text, test.text);
  ASSERT_TRUE(r.record.contains("noisy_eval"));
  EXPECT_EQ(r.record["noisy_eval"].size(), 2u);
  EXPECT_NE(info.stats_json.find("text_noise"), std::string::npos);
  // Deterministic: the same call again writes the same file contents.
  AugmentOptions again = v.noise(v.spm, "again.h5");
  augment_dataset(again);
  EXPECT_EQ(read_dataset_info(v.dir.file("again.h5")).content_sha256, info.content_sha256);
}

TEST(NoiseAugment, BadOptionsAreUserErrors) {
  Views v;
  AugmentOptions a = v.noise(v.spm, "bad.h5");
  a.noisy_eval = "dev";
  EXPECT_THROW(augment_dataset(a), UserError);
  a = v.noise(v.spm, "bad.h5");
  a.noise = "homofone=0.1";
  EXPECT_THROW(augment_dataset(a), UserError);
  a = v.noise(v.spm, "bad.h5");
  a.eval_noise = {"0.1", "0.1"};
  EXPECT_THROW(augment_dataset(a), UserError);
  a = v.noise(v.spm, "bad.h5");
  a.noisy_eval = "train";
  EXPECT_THROW(augment_dataset(a), UserError);
  // A pretrained file whose checkpoint changed since it was prepared.
  v.dir.write("bert/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n我\n");
  v.dir.write("bert/config.json", "{\"model_type\": \"bert\", \"vocab_size\": 6}");
  try {
    augment_dataset(v.noise(v.bert, "bad.h5"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not the one the file was prepared with"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::ifstream(v.dir.file("bad.h5")).good());
}

}  // namespace
}  // namespace zl
