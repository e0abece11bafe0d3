// Reading a checkpoint's tokenizer (hand-made BERT and XLM-R directories), the bad directories
// (messages, exit status 2, no output file), and `kd data prepare` with tokenizer.pretrained:
// framing, the vocab map, pruning and what the file records. The ids against transformers itself
// on the shared datasets: pretrained_reference_test.cpp.
#include "pretrained_tokenizer.h"

#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <sys/wait.h>

#include <cstdio>
#include <tuple>

#include "atomic_file.h"
#include "checksum.h"
#include "dataset_file.h"
#include "error.h"
#include "prepare.h"
#include "test_util.h"
#include "tokenizer_trainer.h"

namespace zl {
namespace {

using zl::testing::TempDir;
using nlohmann::json;

const std::vector<std::string> kBertVocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "我", "要", "退", "款",
                                             "快", "递", "到", "哪", "了", "包", "裹", "在", "什", "么", "时",
                                             "候", "物", "流", "怎", "不", "动", "多", "久", "账", "啊", "sf",
                                             "##12", "##3", "，", "refund", "re", "##fund"};

std::string bert_dir(const TempDir& t, const std::string& name = "bert", int64_t vocab_size = -1,
                     const std::string& tok_config = "{\"do_lower_case\": true}") {
  const std::string dir = t.file(name);
  std::system(("mkdir -p " + dir).c_str());
  std::string vocab;
  for (const auto& p : kBertVocab) vocab += p + "\n";
  t.write(name + "/vocab.txt", vocab);
  const int64_t n = vocab_size < 0 ? static_cast<int64_t>(kBertVocab.size()) : vocab_size;
  t.write(name + "/config.json", "{\"model_type\": \"bert\", \"vocab_size\": " + std::to_string(n) + "}");
  if (!tok_config.empty()) t.write(name + "/tokenizer_config.json", tok_config);
  return dir;
}

// A tokenizer.json of an XLM-R-like Unigram model, vocabulary in HF order.
std::string xlmr_json_dir(const TempDir& t, const std::string& name = "xlmr", int64_t vocab_size = 10) {
  const std::string dir = t.file(name);
  std::system(("mkdir -p " + dir).c_str());
  json tj = {
      {"added_tokens",
       json::array({{{"id", 0}, {"content", "<s>"}, {"special", true}},
                    {{"id", 1}, {"content", "<pad>"}, {"special", true}},
                    {{"id", 2}, {"content", "</s>"}, {"special", true}},
                    {{"id", 3}, {"content", "<unk>"}, {"special", true}},
                    {{"id", 9}, {"content", "<mask>"}, {"special", true}}})},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}}},
      {"model",
       {{"type", "Unigram"},
        {"unk_id", 3},
        {"vocab", json::array({json::array({"<s>", 0.0}), json::array({"<pad>", 0.0}), json::array({"</s>", 0.0}),
                               json::array({"<unk>", 0.0}), json::array({"\xE2\x96\x81", -2.0}),
                               json::array({"a", -3.0}), json::array({"b", -3.0}),
                               json::array({"\xE2\x96\x81" "ab", -1.0}), json::array({"ab", -1.0}),
                               json::array({"<mask>", 0.0})})}}}};
  t.write(name + "/tokenizer.json", tj.dump());
  t.write(name + "/config.json", "{\"model_type\": \"xlm-roberta\", \"vocab_size\": " + std::to_string(vocab_size) + "}");
  return dir;
}

std::vector<int> encode(const PretrainedTokenizer& t, const std::string& s) {
  std::vector<int> ids;
  t.encoder->encode(s, ids);
  return ids;
}

std::string error_of(const std::string& dir) {
  try {
    load_pretrained_tokenizer(dir, "cfg.yaml: tokenizer.pretrained");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PretrainedBert, VocabTxtSpecialsAndPlaceholders) {
  TempDir t;
  PretrainedTokenizer tok = load_pretrained_tokenizer(bert_dir(t), "cfg");
  EXPECT_EQ(tok.family, "bert");
  EXPECT_EQ(tok.tokenizer_type, "pretrained:bert-wordpiece");
  EXPECT_EQ(tok.base_vocab_size, static_cast<int64_t>(kBertVocab.size()));
  EXPECT_EQ(tok.pad.id, 0);
  EXPECT_EQ(tok.unk.id, 1);
  EXPECT_EQ(tok.cls.id, 2);
  EXPECT_EQ(tok.sep.id, 3);
  EXPECT_EQ(tok.mask.id, 4);
  ASSERT_EQ(tok.added, placeholder_symbols());  // none is in the vocabulary
  const int phone = static_cast<int>(tok.base_vocab_size);
  EXPECT_EQ(tok.placeholder_ids.at("<PHONE>"), phone);
  EXPECT_EQ(tok.placeholder_ids.at("<ORDER>"), phone + 5);
  // Placeholders and special tokens are one token; the text between them is WordPiece'd.
  EXPECT_EQ(encode(tok, "快递到哪了<PHONE>[SEP]SF123"),
            (std::vector<int>{9, 10, 11, 12, 13, phone, 3, 30, 31, 32}));
  EXPECT_EQ(encode(tok, "Refund，REFUNDS"), (std::vector<int>{34, 33, 1}));  // lower-cased; "refunds" is [UNK]
  EXPECT_EQ(tok.model_bytes, read_file(t.file("bert/vocab.txt")));
  EXPECT_EQ(tok.files.size(), 3u);  // config.json, tokenizer_config.json, vocab.txt
  EXPECT_EQ(tok.files.at("vocab.txt"), sha256_file(t.file("bert/vocab.txt")));
  EXPECT_EQ(tok.details["do_lower_case"], true);
  EXPECT_FALSE(tok.framing.double_sep);
  EXPECT_EQ(tok.framing.segment_b, 1);
}

TEST(PretrainedBert, DoLowerCaseFalseKeepsCase) {
  TempDir t;
  PretrainedTokenizer tok = load_pretrained_tokenizer(bert_dir(t, "cased", -1, "{\"do_lower_case\": false}"), "cfg");
  EXPECT_EQ(encode(tok, "Refund refund"), (std::vector<int>{1, 34}));
  // Without tokenizer_config.json: lower-casing, as transformers' default.
  PretrainedTokenizer dflt = load_pretrained_tokenizer(bert_dir(t, "noconf", -1, ""), "cfg");
  EXPECT_EQ(encode(dflt, "Refund"), (std::vector<int>{34}));
}

TEST(PretrainedBert, TokenizerJsonWhenVocabTxtIsAbsent) {
  TempDir t;
  const std::string dir = bert_dir(t);
  json vocab = json::object();
  for (size_t i = 0; i < kBertVocab.size(); ++i) vocab[kBertVocab[i]] = i;
  t.write("bert/tokenizer.json", json{{"model", {{"type", "WordPiece"}, {"vocab", vocab}}}}.dump());
  const std::string want_bytes = read_file(t.file("bert/vocab.txt"));
  std::remove(t.file("bert/vocab.txt").c_str());
  PretrainedTokenizer tok = load_pretrained_tokenizer(dir, "cfg");
  EXPECT_EQ(tok.source_file, "tokenizer.json");
  EXPECT_EQ(encode(tok, "快递到哪了<PHONE>"), (std::vector<int>{9, 10, 11, 12, 13, 37}));
  EXPECT_EQ(tok.model_bytes, want_bytes);  // stored as vocab.txt would hold it
  // A tokenizer.json that is not WordPiece is refused for BERT.
  t.write("bert/tokenizer.json", json{{"model", {{"type", "BPE"}, {"vocab", vocab}}}}.dump());
  const std::string e = error_of(dir);
  EXPECT_NE(e.find("tokenizer.json"), std::string::npos) << e;
  EXPECT_NE(e.find("not WordPiece"), std::string::npos) << e;
}

TEST(PretrainedXlmr, TokenizerJsonBecomesASentencepieceModel) {
  TempDir t;
  PretrainedTokenizer tok = load_pretrained_tokenizer(xlmr_json_dir(t), "cfg");
  EXPECT_EQ(tok.family, "xlm-roberta");
  EXPECT_EQ(tok.tokenizer_type, "pretrained:xlmr-sentencepiece");
  EXPECT_EQ(tok.cls.id, 0);
  EXPECT_EQ(tok.pad.id, 1);
  EXPECT_EQ(tok.sep.id, 2);
  EXPECT_EQ(tok.unk.id, 3);
  EXPECT_EQ(tok.mask.id, 9);
  EXPECT_TRUE(tok.framing.double_sep);
  EXPECT_EQ(tok.framing.segment_b, 0);
  // Each stretch between placeholders gets its own dummy prefix ▁, as in transformers.
  EXPECT_EQ(encode(tok, "ab ab<PHONE>ab x"), (std::vector<int>{7, 7, 10, 7, 4, 3}));
  EXPECT_EQ(encode(tok, "<s>ab</s>"), (std::vector<int>{0, 7, 2}));
  EXPECT_EQ(tok.details["tokenizer_model"]["id_map"], "identity");
}

// A sentencepiece.bpe.model like XLM-R's: <unk>=0 <s>=1 </s>=2 (sentencepiece's default ids).
std::string train_xlmr_like_spm() {
  class Sentences : public sentencepiece::SentenceIterator {
   public:
    bool done() const override { return i_ >= 60; }
    void Next() override { ++i_; }
    const std::string& value() const override { return s_[i_ % s_.size()]; }
    sentencepiece::util::Status status() const override { return {}; }

   private:
    std::vector<std::string> s_{"我要退款", "快递到哪了", "退款多久到账", "包裹在哪", "hello world"};
    size_t i_ = 0;
  } it;
  std::string model;
  auto st = sentencepiece::SentencePieceTrainer::Train(
      {{"model_type", "unigram"}, {"vocab_size", "30"}, {"hard_vocab_limit", "false"}, {"minloglevel", "2"}}, &it,
      &model);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return model;
}

TEST(PretrainedXlmr, TokenizerClassOverModelType) {
  // multilingual-e5-small's layout: a BertModel config with an XLM-R tokenizer.
  TempDir t;
  const std::string dir = xlmr_json_dir(t, "e5like", 12);
  t.write("e5like/config.json", "{\"model_type\": \"bert\", \"tokenizer_class\": \"XLMRobertaTokenizer\", "
                                "\"vocab_size\": 12}");
  PretrainedTokenizer tok = load_pretrained_tokenizer(dir, "cfg");
  EXPECT_EQ(tok.family, "xlm-roberta");
  EXPECT_EQ(tok.base_vocab_size, 10);
  EXPECT_EQ(tok.placeholder_ids.at("<PHONE>"), 10);  // after the pieces, as transformers' add_tokens
  EXPECT_EQ(tok.details["model_type"], "bert");
  EXPECT_EQ(tok.details["checkpoint_vocab_size"], 12);
}

TEST(PretrainedXlmr, SentencepieceModelWithFairseqIds) {
  TempDir t;
  std::system(("mkdir -p " + t.file("spm")).c_str());
  const std::string model = train_xlmr_like_spm();
  t.write("spm/sentencepiece.bpe.model", model);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.LoadFromSerializedProto(model).ok());
  const int n = sp.GetPieceSize();
  t.write("spm/config.json", "{\"model_type\": \"xlm-roberta\", \"vocab_size\": " + std::to_string(n + 2) + "}");
  PretrainedTokenizer tok = load_pretrained_tokenizer(t.file("spm"), "cfg");
  EXPECT_EQ(tok.base_vocab_size, n + 2);
  EXPECT_EQ(tok.mask.id, n + 1);
  EXPECT_EQ(tok.unk.id, 3);
  std::vector<int> raw;
  ASSERT_TRUE(sp.Encode("我要退款", &raw).ok());
  std::vector<int> want;
  for (int id : raw) want.push_back(id == 0 ? 3 : id + 1);
  EXPECT_EQ(encode(tok, "我要退款"), want);
  EXPECT_EQ(tok.model_bytes, model);
  EXPECT_EQ(tok.details["tokenizer_model"]["id_map"], "fairseq");
  // A model whose first pieces are not <unk> <s> </s> cannot take the fairseq mapping.
  t.write("spm/sentencepiece.bpe.model", train_sentencepiece({"我要退款", "快递到哪了"}, TokenizerOptions{"unigram", 40}));
  const std::string e = error_of(t.file("spm"));
  EXPECT_NE(e.find("sentencepiece.bpe.model"), std::string::npos) << e;
  EXPECT_NE(e.find("fairseq"), std::string::npos) << e;
}

TEST(PretrainedBadDirs, MessagesNameTheFile) {
  TempDir t;
  std::string e = error_of(t.file("missing"));
  EXPECT_NE(e.find("missing is not a directory"), std::string::npos) << e;

  std::system(("mkdir -p " + t.file("empty")).c_str());
  e = error_of(t.file("empty"));
  EXPECT_NE(e.find("empty/config.json does not exist"), std::string::npos) << e;

  std::system(("mkdir -p " + t.file("gpt")).c_str());
  t.write("gpt/config.json", "{\"model_type\": \"gpt2\", \"vocab_size\": 50257}");
  e = error_of(t.file("gpt"));
  EXPECT_NE(e.find("gpt/config.json: model_type 'gpt2' is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("xlm-roberta"), std::string::npos) << e;

  std::system(("mkdir -p " + t.file("notok")).c_str());
  t.write("notok/config.json", "{\"model_type\": \"bert\", \"vocab_size\": 10}");
  e = error_of(t.file("notok"));
  EXPECT_NE(e.find("notok: no tokenizer files"), std::string::npos) << e;
  EXPECT_NE(e.find("vocab.txt and tokenizer.json"), std::string::npos) << e;

  bert_dir(t, "size", 1000);
  e = error_of(t.file("size"));
  EXPECT_NE(e.find("size/vocab.txt has 37 pieces but " + t.file("size/config.json") + " says vocab_size 1000: the "
                   "tokenizer is not this checkpoint's"),
            std::string::npos)
      << e;
  xlmr_json_dir(t, "xsize", 1000);
  e = error_of(t.file("xsize"));
  EXPECT_NE(e.find("xsize/tokenizer.json has 10 pieces but"), std::string::npos) << e;

  // A few unused embedding rows are fine (multilingual-e5-small: 250,037 rows, 250,002 pieces).
  bert_dir(t, "padded", 37 + 35);
  EXPECT_EQ(load_pretrained_tokenizer(t.file("padded"), "cfg").base_vocab_size, 37);

  // tokenizer_class decides the family before model_type; an unknown class is refused.
  bert_dir(t, "cls", -1, "{\"tokenizer_class\": \"BertJapaneseTokenizer\"}");
  e = error_of(t.file("cls"));
  EXPECT_NE(e.find("cls/tokenizer_config.json: tokenizer_class 'BertJapaneseTokenizer' is not supported"),
            std::string::npos)
      << e;

  // An added token past the vocabulary (tokenizer_config.json added_tokens_decoder).
  bert_dir(t, "past", -1, "{\"added_tokens_decoder\": {\"40\": {\"content\": \"[NEW]\"}}}");
  e = error_of(t.file("past"));
  EXPECT_NE(e.find("the added token [NEW] has id 40, outside the tokenizer's 37 pieces"), std::string::npos) << e;

  bert_dir(t, "badjson");
  t.write("badjson/config.json", "{\"model_type\": ");
  e = error_of(t.file("badjson"));
  EXPECT_NE(e.find("badjson/config.json: not valid JSON"), std::string::npos) << e;

  bert_dir(t, "nomask");
  t.write("nomask/special_tokens_map.json", "{\"mask_token\": \"[MSK]\"}");
  e = error_of(t.file("nomask"));
  EXPECT_NE(e.find("[MSK]"), std::string::npos) << e;
  EXPECT_NE(e.find("special_tokens_map.json"), std::string::npos) << e;
}

// --- kd data prepare with tokenizer.pretrained --------------------------------------------------

const char* kTrain =
    "{\"text\": \"我要退款\", \"label\": \"refund\"}\n"
    "{\"text\": \"退款多久到账 13812345678\", \"label\": \"refund\"}\n"
    "{\"text\": \"快递到哪了\", \"label\": \"logistics\"}\n";
const char* kTest = "{\"text\": \"包裹在哪\", \"label\": \"logistics\"}\n";

struct PrepareFixture {
  TempDir t;
  std::string config, out;
  explicit PrepareFixture(const std::string& tokenizer_yaml) {
    t.write("train.jsonl", kTrain);
    t.write("test.jsonl", kTest);
    bert_dir(t);
    config = t.write("data.yaml",
                     "task: single_label\ninputs:\n  files: {train: train.jsonl, test: test.jsonl}\nmax_length: 8\n"
                     "tokenizer: " + tokenizer_yaml + "\n");
    out = t.file("out.h5");
  }
  PrepareResult run() const {
    PrepareOptions o;
    o.config_path = config;
    o.out_path = out;
    o.quiet = true;
    return prepare_dataset(o);
  }
};

TEST(PreparePretrained, FullVocabularyIdsAndRecord) {
  PrepareFixture f("{pretrained: bert}");  // relative to the config's folder
  auto res = f.run();
  DatasetInfo info = read_dataset_info(f.out);
  const int64_t base = static_cast<int64_t>(kBertVocab.size());
  EXPECT_EQ(info.tokenizer_type, "pretrained:bert-wordpiece");
  EXPECT_EQ(info.vocab_size, base + 6);
  ASSERT_EQ(info.vocab_map.size(), static_cast<size_t>(base + 6));
  for (int64_t i = 0; i < base; ++i) EXPECT_EQ(info.vocab_map[static_cast<size_t>(i)], i);
  for (int64_t i = base; i < base + 6; ++i) EXPECT_EQ(info.vocab_map[static_cast<size_t>(i)], -1);
  EXPECT_EQ(info.cls_id, 2);
  EXPECT_EQ(info.sep_id, 3);
  SplitData train = read_split(f.out, "train");
  // [CLS] 退 款 多 久 到 [SEP]: "退款多久到账 <PHONE>" is cut to max_length 8 minus 2.
  EXPECT_EQ(std::vector<int32_t>(train.input_ids.begin() + train.offsets[1], train.input_ids.begin() + train.offsets[2]),
            (std::vector<int32_t>{2, 7, 8, 26, 27, 11, 28, 3}));
  EXPECT_EQ(res.stats["splits"]["train"]["truncated"], 1);
  json p = json::parse(info.pretrained_json);
  EXPECT_EQ(p["family"], "bert");
  EXPECT_EQ(p["kind"], "wordpiece");
  EXPECT_EQ(p["base_vocab_size"], base);
  EXPECT_EQ(p["added"], json(placeholder_symbols()));
  EXPECT_EQ(p["pruned"], false);
  EXPECT_EQ(p["do_lower_case"], true);
  EXPECT_EQ(p["special_tokens"]["mask"]["id"], 4);
  EXPECT_EQ(p["files"]["vocab.txt"], sha256_file(f.t.file("bert/vocab.txt")));
  EXPECT_EQ(info.tokenizer_sha256.size(), 64u);
  EXPECT_EQ(read_tokenizer_model(f.out), read_file(f.t.file("bert/vocab.txt")));
}

TEST(PreparePretrained, PruningKeepsUsedPiecesSpecialsAndPlaceholders) {
  PrepareFixture full("{pretrained: bert}");
  full.run();
  PrepareFixture pruned("{pretrained: bert, prune: true}");
  auto res = pruned.run();
  DatasetInfo fi = read_dataset_info(full.out), pi = read_dataset_info(pruned.out);
  EXPECT_LT(pi.vocab_size, fi.vocab_size);
  EXPECT_NE(res.summary.find("pruned: kept " + std::to_string(pi.vocab_size) + " of " + std::to_string(fi.vocab_size)),
            std::string::npos)
      << res.summary;
  // The kept rows rise, the specials keep their order and ids 0..4, the placeholders come last as -1.
  for (size_t i = 1; i < pi.vocab_map.size(); ++i)
    if (pi.vocab_map[i] >= 0) EXPECT_GT(pi.vocab_map[i], pi.vocab_map[i - 1]);
  EXPECT_EQ(std::vector<int32_t>(pi.vocab_map.begin(), pi.vocab_map.begin() + 5), (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(std::vector<int32_t>(pi.vocab_map.end() - 6, pi.vocab_map.end()), std::vector<int32_t>(6, -1));
  // Mapped back through vocab_map, the ids are the unpruned file's (placeholders by position).
  for (const char* split : {"train", "test"}) {
    SplitData a = read_split(full.out, split), b = read_split(pruned.out, split);
    ASSERT_EQ(a.input_ids.size(), b.input_ids.size());
    const int32_t base = static_cast<int32_t>(kBertVocab.size());
    const int32_t first_added = static_cast<int32_t>(pi.vocab_size) - 6;
    for (size_t k = 0; k < a.input_ids.size(); ++k) {
      const int32_t row = pi.vocab_map[static_cast<size_t>(b.input_ids[k])];
      EXPECT_EQ(row >= 0 ? row : base + (b.input_ids[k] - first_added), a.input_ids[k]) << split << " " << k;
    }
  }
  json p = json::parse(pi.pretrained_json);
  EXPECT_EQ(p["pruned"], true);
  EXPECT_EQ(p["vocab_size"], pi.vocab_size);
  EXPECT_EQ(p["placeholders"]["<PHONE>"], pi.vocab_size - 6);
  EXPECT_EQ(p["special_tokens"]["cls"]["id"], pi.cls_id);
}

TEST(PreparePretrained, MaxLengthWithinTheModelsPositions) {
  PrepareFixture f("{pretrained: bert}");
  f.t.write("bert/config.json", "{\"model_type\": \"bert\", \"vocab_size\": 37, \"max_position_embeddings\": 6}");
  try {
    f.run();  // max_length 8
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("max_length 8 is more than the 6 positions"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(file_exists(f.out));
  // XLM-R numbers positions from 2: 514 rows take 512 tokens.
  TempDir t;
  const std::string dir = xlmr_json_dir(t);
  t.write("xlmr/config.json", "{\"model_type\": \"xlm-roberta\", \"vocab_size\": 10, \"max_position_embeddings\": 514}");
  EXPECT_EQ(load_pretrained_tokenizer(dir, "cfg").max_positions, 512);
}

TEST(PreparePretrained, ConfigConflictsAreErrors) {
  for (const char* tok : {"{pretrained: bert, type: char}", "{pretrained: bert, model: x.model}",
                          "{pretrained: bert, vocab_size: 100}"}) {
    PrepareFixture f(tok);
    try {
      f.run();
      ADD_FAILURE() << tok;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("cannot be combined with tokenizer.pretrained"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(file_exists(f.out));
  }
  PrepareFixture f("{type: char, prune: true}");
  try {
    f.run();
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.prune needs tokenizer.pretrained"), std::string::npos) << e.what();
  }
}

std::pair<int, std::string> run_kd_data(const std::string& args) {
  FILE* p = popen((std::string(KD_DATA_BIN) + " " + args + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(PreparePretrained, BadCheckpointExitsWithStatus2AndNoFile) {
  // Each bad directory: exit 2, the message names the file, nothing written.
  PrepareFixture f("{pretrained: bert}");
  f.t.write("bert/config.json", "{\"model_type\": \"t5\", \"vocab_size\": 37}");
  auto [rc, out] = run_kd_data("prepare --config " + f.config + " --out " + f.out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("bert/config.json: model_type 't5' is not supported"), std::string::npos) << out;
  EXPECT_FALSE(file_exists(f.out));

  f.t.write("bert/config.json", "{\"model_type\": \"bert\", \"vocab_size\": 36}");
  std::tie(rc, out) = run_kd_data("prepare --config " + f.config + " --out " + f.out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("vocab.txt has 37 pieces but"), std::string::npos) << out;
  EXPECT_FALSE(file_exists(f.out));

  std::remove(f.t.file("bert/vocab.txt").c_str());
  std::tie(rc, out) = run_kd_data("prepare --config " + f.config + " --out " + f.out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("no tokenizer files"), std::string::npos) << out;
  EXPECT_FALSE(file_exists(f.out));

  std::remove(f.t.file("bert/config.json").c_str());
  std::tie(rc, out) = run_kd_data("prepare --config " + f.config + " --out " + f.out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("bert/config.json does not exist"), std::string::npos) << out;
  EXPECT_FALSE(file_exists(f.out));
}

TEST(PreparePretrained, InspectShowsThePretrainedTokenizer) {
  PrepareFixture f("{pretrained: bert, prune: true}");
  f.run();
  auto [rc, out] = run_kd_data("inspect " + f.out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("pretrained: bert (wordpiece, from vocab.txt)"), std::string::npos) << out;
  EXPECT_NE(out.find("pruned: kept"), std::string::npos) << out;
  std::tie(rc, out) = run_kd_data("inspect --json " + f.out);
  EXPECT_EQ(rc, 0);
  json j = json::parse(out);
  EXPECT_EQ(j["tokenizer"]["pretrained"]["family"], "bert");
  EXPECT_EQ(j["tokenizer"]["vocab_map"]["added"], 6);
}

}  // namespace
}  // namespace zl
