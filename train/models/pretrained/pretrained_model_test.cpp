// architecture: pretrained — its config keys, how the checkpoint's weights land in
// the model (vocab_map rows, chosen layers), and what it refuses.
#include "bert_encoder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "checksum.h"
#include "hf_checkpoint.h"
#include "model_test_util.h"
#include "pretrained_init.h"
#include "pretrained_testing.h"

namespace zl {
namespace {

using testing::error_of;


ModelConfig model_config(const std::string& yaml) {
  Config c = Config::from_string(yaml, "model.yaml");
  ModelConfig m = ModelConfig::from_config(c);
  c.check_unknown_keys();
  return m;
}

// A dataset info as prepared with the checkpoint's tokenizer: ids 0..n-1 map to
// `map` (default: the identity over the first 40 rows).
DatasetInfo info_for(const testing::TinyCheckpoint& c, std::vector<int32_t> map = {}) {
  DatasetInfo info = testing::tiny_info();
  if (map.empty())
    for (int32_t i = 0; i < 40; ++i) map.push_back(i);
  info.vocab_map = map;
  info.vocab_size = static_cast<int64_t>(map.size());
  info.pad_id = 0;
  info.pretrained_json = nlohmann::json{{"dir", "/x"},
                                        {"family", c.model_type},
                                        {"base_vocab_size", c.vocab}}
                             .dump();
  if (c.model_type != "bert") info.vocab_map[0] = 1;  // XLM-R's <pad> is row 1
  return info;
}

struct Fixture {
  std::string root = testing::make_temp_dir("pretrained-model");
  testing::TinyCheckpoint c;
  std::string dir = testing::write_tiny_checkpoint(root + "/bert", c);
  std::string yaml(const std::string& extra = "") const {
    return "architecture: pretrained\ncheckpoint: " + dir + "\n" + extra;
  }
};

TEST(PretrainedConfig, DefaultsComeFromTheCheckpoint) {
  Fixture f;
  ModelConfig m = model_config(f.yaml());
  EXPECT_EQ(m.hf.hidden_size, 16);
  EXPECT_EQ(m.layers, 2);
  EXPECT_EQ(m.layer_ids, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(m.pooling, "pooler");  // the checkpoint has pooler weights
  EXPECT_DOUBLE_EQ(m.dropout, 0.1);
  EXPECT_EQ(m.max_length, 64);  // min(128, max_position_embeddings)
  EXPECT_EQ(m.hf.prefix, "bert.");
  auto x = testing::tiny_xlmr();
  const std::string xd = testing::write_tiny_checkpoint(f.root + "/xlmr", x);
  ModelConfig mx = model_config("architecture: pretrained\ncheckpoint: " + xd + "\n");
  EXPECT_EQ(mx.pooling, "mean");  // no pooler: e5-style mean pooling
  EXPECT_EQ(mx.max_length, 64);   // 66 positions minus pad_token_id + 1
  EXPECT_CONTAINS(error_of([&] { model_config("architecture: pretrained\ncheckpoint: " + xd + "\npooling: pooler\n"); }),
                  "has no pooler weights");
}

TEST(PretrainedConfig, KeysAndTheirErrors) {
  Fixture f;
  EXPECT_EQ(model_config(f.yaml("layers: 1\n")).layer_ids, (std::vector<int64_t>{0}));
  EXPECT_EQ(model_config(f.yaml("layer_ids: [1]\ndropout: 0.0\nattention_dropout: 0.0\n")).layer_ids,
            (std::vector<int64_t>{1}));
  EXPECT_CONTAINS(error_of([&] { model_config(f.yaml("layers: 3\n")); }), "model.yaml:3: layers must be in 1..2");
  EXPECT_CONTAINS(error_of([&] { model_config(f.yaml("layer_ids: [0, 2]\n")); }), "names layer 2");
  EXPECT_CONTAINS(error_of([&] { model_config(f.yaml("layer_ids: [1, 0]\n")); }), "increasing order");
  EXPECT_CONTAINS(error_of([&] { model_config(f.yaml("layer_ids: [0]\nlayers: 1\n")); }), "both set");
  EXPECT_CONTAINS(error_of([&] { model_config(f.yaml("max_length: 65\n")); }), "exceeds what the checkpoint's position table holds (64");
  EXPECT_CONTAINS(error_of([&] { model_config(f.yaml("hidden: 32\n")); }), "unknown key 'hidden'");
  EXPECT_CONTAINS(error_of([&] { model_config("architecture: pretrained\n"); }), "checkpoint is required");
  unsetenv("ZL_TEST_NO_SUCH_CK");
  EXPECT_CONTAINS(error_of([&] { model_config("architecture: pretrained\ncheckpoint: ${ZL_TEST_NO_SUCH_CK}\n"); }),
                  "uses ${ZL_TEST_NO_SUCH_CK}, which is not set");
  setenv("ZL_TEST_CK_DIR", f.dir.c_str(), 1);
  EXPECT_EQ(model_config("architecture: pretrained\ncheckpoint: ${ZL_TEST_CK_DIR}\n").hf.dir, f.dir);
}

TEST(PretrainedConfig, TheResolvedConfigRebuildsTheModelWithoutTheDirectory) {
  Fixture f;
  Config c = Config::from_string(f.yaml("layers: 1\n"), "model.yaml");
  ModelConfig a = ModelConfig::from_config(c);
  const std::string resolved = c.to_yaml();
  EXPECT_CONTAINS(resolved, "checkpoint_config:");
  std::filesystem::remove_all(f.dir);
  ModelConfig b = ModelConfig::from_config(Config::from_string(resolved, "config.yaml"));
  EXPECT_EQ(b.hf.to_yaml().size(), a.hf.to_yaml().size());
  EXPECT_EQ(YAML::Dump(b.hf.to_yaml()), YAML::Dump(a.hf.to_yaml()));
  EXPECT_EQ(b.layer_ids, a.layer_ids);
  auto m = build_model(b, info_for(f.c));
  EXPECT_EQ(m->describe(), "pretrained bert L1-H16-A2-F32 (first 1 of 2 layers; pooler pooling)");
}

TEST(PretrainedModel, ParameterNamesMirrorTransformers) {
  Fixture f;
  auto m = build_model(model_config(f.yaml()), info_for(f.c));
  auto names = m->named_parameters();
  std::set<std::string> ours;
  for (const auto& kv : names) ours.insert(kv.key());
  std::set<std::string> theirs{"classifier.weight", "classifier.bias"};
  for (const auto& kv : testing::tiny_tensors(f.c)) theirs.insert(kv.first);
  EXPECT_EQ(ours, theirs);
  // Non-embedding parameters: everything but the three embeddings and their LayerNorm.
  int64_t emb = 0;
  for (const auto& kv : names)
    if (kv.key().rfind("embeddings.", 0) == 0) emb += kv.value().numel();
  EXPECT_EQ(m->num_non_embedding_parameters(), m->num_parameters() - emb);
  EXPECT_EQ(m->parameter_depth("embeddings.LayerNorm.weight"), 0);
  EXPECT_EQ(m->parameter_depth("encoder.layer.0.output.dense.weight"), 1);
  EXPECT_EQ(m->parameter_depth("encoder.layer.1.attention.self.query.bias"), 2);
  EXPECT_EQ(m->parameter_depth("pooler.dense.weight"), 3);
  EXPECT_EQ(m->parameter_depth("classifier.weight"), 3);
  EXPECT_EQ(m->top_depth(), 3);
}

TEST(PretrainedModel, VocabMapRowsAndAddedPiecesAtTheMean) {
  Fixture f;
  ModelConfig cfg = model_config(f.yaml());
  DatasetInfo info = info_for(f.c, {0, 1, 2, 3, 17, 59, 5, -1, -1});
  auto m = build_model(cfg, info);
  auto prov = load_pretrained_weights(*m, cfg, info);
  EXPECT_EQ(prov["weights_file"], "model.safetensors");
  EXPECT_EQ(prov["weights_sha256"], sha256_file(f.dir + "/model.safetensors"));
  EXPECT_EQ(prov["dir"], f.dir);
  HfCheckpoint ck(f.dir);
  auto full = ck.tensor("embeddings.word_embeddings.weight");
  auto ours = m->named_parameters()["embeddings.word_embeddings.weight"];
  ASSERT_EQ(ours.sizes(), (std::vector<int64_t>{9, 16}));
  for (int64_t i = 0; i < 7; ++i) EXPECT_TRUE(torch::equal(ours[i], full[info.vocab_map[i]])) << i;
  EXPECT_TRUE(torch::allclose(ours[7], full.mean(0)));
  EXPECT_TRUE(torch::equal(ours[7], ours[8]));
  for (auto n : {"encoder.layer.1.output.LayerNorm.bias", "pooler.dense.weight", "embeddings.position_embeddings.weight"})
    EXPECT_TRUE(torch::equal(m->named_parameters()[n], ck.tensor(n))) << n;
}

TEST(PretrainedModel, FirstKLayersAndChosenLayers) {
  Fixture f;
  HfCheckpoint ck(f.dir);
  DatasetInfo info = info_for(f.c);
  ModelConfig k1 = model_config(f.yaml("layers: 1\n"));
  auto a = build_model(k1, info);
  load_pretrained_weights(*a, k1, info);
  ModelConfig top = model_config(f.yaml("layer_ids: [1]\n"));
  auto b = build_model(top, info);
  load_pretrained_weights(*b, top, info);
  const std::string w = "encoder.layer.0.intermediate.dense.weight";
  EXPECT_TRUE(torch::equal(a->named_parameters()[w], ck.tensor("encoder.layer.0.intermediate.dense.weight")));
  EXPECT_TRUE(torch::equal(b->named_parameters()[w], ck.tensor("encoder.layer.1.intermediate.dense.weight")));
  EXPECT_FALSE(a->named_parameters().contains("encoder.layer.1.output.dense.weight"));
  auto full = build_model(model_config(f.yaml()), info);
  EXPECT_LT(a->num_non_embedding_parameters(), full->num_non_embedding_parameters());
  a->eval();
  torch::NoGradGuard g;
  Batch batch = make_batch(testing::tiny_split(), Task::kSingleLabel, 3, 0, {0, 1, 2});
  auto out = a->forward(batch);
  EXPECT_EQ(out.hidden_states.size(), 2u);
  EXPECT_EQ(out.sentence.sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(b->describe(), "pretrained bert L1-H16-A2-F32 (layers 1 of 2; pooler pooling)");
}

TEST(PretrainedModel, PaddingDoesNotChangeOutputsAndAttentionPathsAgree) {
  Fixture f;
  for (std::string kind : {"bert", "xlmr"}) {
    auto c = kind == "bert" ? f.c : testing::tiny_xlmr();
    const std::string dir = kind == "bert" ? f.dir : testing::write_tiny_checkpoint(f.root + "/x", c);
    for (Task task : {Task::kSingleLabel, Task::kPair}) {
      ModelConfig cfg = model_config("architecture: pretrained\ncheckpoint: " + dir + "\n");
      DatasetInfo info = info_for(c);
      info.task = task;
      auto m = build_model(cfg, info);
      load_pretrained_weights(*m, cfg, info);
      testing::expect_padding_invariant(*m, task);
      // The explicit-softmax path (attention distillation) computes the same function.
      m->eval();
      torch::NoGradGuard g;
      Batch b = make_batch(testing::tiny_split(task), task, 3, 0, {0, 1, 2});
      auto fused = m->forward(b), expl = m->forward(b, true);
      EXPECT_LT((fused.logits - expl.logits).abs().max().item<double>(), 1e-5) << kind;
      ASSERT_EQ(expl.attention_probs.size(), 2u);
      EXPECT_EQ(expl.attention_probs[0].sizes(), (std::vector<int64_t>{3, 2, 9, 9}));
      EXPECT_LT((expl.attention_probs[1].sum(-1) - 1).abs().max().item<double>(), 1e-5);
      // Padding keys get no attention: row 0 has 2 tokens.
      EXPECT_EQ(expl.attention_probs[0][0].narrow(-1, 2, 7).abs().max().item<double>(), 0.0);
    }
  }
}

TEST(PretrainedModel, SegmentIdsOnlyWithBertTokenizers) {
  Fixture f;
  auto logits = [&](const std::string& dir, bool with_types) {
    ModelConfig cfg = model_config("architecture: pretrained\ncheckpoint: " + dir + "\n");
    DatasetInfo info = info_for(f.c);
    info.task = Task::kPair;
    info.pretrained_json = nlohmann::json{{"family", cfg.hf.tokenizer_family}, {"base_vocab_size", 60}}.dump();
    torch::manual_seed(0);  // the same new head every time
    auto m = build_model(cfg, info);
    load_pretrained_weights(*m, cfg, info);
    m->eval();
    torch::NoGradGuard g;
    Batch b = make_batch(testing::tiny_split(Task::kPair), Task::kPair, 3, 0, {0, 1, 2});
    if (!with_types) b.token_type_ids = torch::zeros_like(b.token_type_ids);
    return m->forward(b).logits;
  };
  EXPECT_FALSE(torch::allclose(logits(f.dir, true), logits(f.dir, false)));
  // A BERT model with XLM-R's tokenizer (multilingual-e5-small): type 0 everywhere.
  auto j = testing::tiny_config_json(f.c);
  j["tokenizer_class"] = "XLMRobertaTokenizer";
  write_file_atomic(f.dir + "/config.json", j.dump());
  EXPECT_TRUE(torch::equal(logits(f.dir, true), logits(f.dir, false)));
}

TEST(PretrainedModel, RefusesDatasetsOfAnotherTokenizer) {
  Fixture f;
  ModelConfig cfg = model_config(f.yaml());
  auto load = [&](const DatasetInfo& info) {
    return error_of([&] {
      auto m = build_model(cfg, info);
      load_pretrained_weights(*m, cfg, info);
    });
  };
  EXPECT_EQ(load(info_for(f.c)), "(no error)");
  DatasetInfo plain = testing::tiny_info();  // tokenizer trained here
  EXPECT_CONTAINS(load(plain), "prepare the data with tokenizer.pretrained: " + f.dir);
  DatasetInfo other = info_for(f.c);
  other.pretrained_json = nlohmann::json{{"family", "xlm-roberta"}, {"base_vocab_size", 60}}.dump();
  EXPECT_CONTAINS(load(other), "prepared with a xlm-roberta tokenizer, but " + f.dir + " uses a bert tokenizer");
  other.pretrained_json = nlohmann::json{{"family", "bert"}, {"base_vocab_size", 61}}.dump();
  EXPECT_CONTAINS(load(other), "checkpoint with 61 pieces");
  DatasetInfo big = info_for(f.c, {0, 1, 2, 3, 60});
  EXPECT_CONTAINS(load(big), "sends id 4 to row 60, outside the checkpoint's 60 rows");
  DatasetInfo pad = info_for(f.c, {5, 1, 2, 3});
  EXPECT_CONTAINS(load(pad), "pad id 0 is checkpoint row 5");
}

TEST(PretrainedModel, MissingOrMisshapenTensorsNameTheFile) {
  Fixture f;
  const std::string dir = f.root + "/broken";
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/config.json", testing::tiny_config_json(f.c).dump());
  auto tensors = testing::tiny_tensors(f.c);
  std::vector<std::pair<std::string, torch::Tensor>> kept;
  for (auto& kv : tensors)
    if (kv.first != "encoder.layer.1.output.dense.bias") kept.push_back(kv);
  testing::write_safetensors(dir + "/model.safetensors", kept);
  ModelConfig cfg = model_config("architecture: pretrained\ncheckpoint: " + dir + "\n");
  DatasetInfo info = info_for(f.c);
  auto m = build_model(cfg, info);
  EXPECT_CONTAINS(error_of([&] { load_pretrained_weights(*m, cfg, info); }),
                  dir + "/model.safetensors has no tensor 'encoder.layer.1.output.dense.bias'");
  // config.json says ffn 24, the weights have 32.
  auto j = testing::tiny_config_json(f.c);
  j["intermediate_size"] = 24;
  write_file_atomic(f.dir + "/config.json", j.dump());
  ModelConfig wrong = model_config(f.yaml());
  auto w = build_model(wrong, info);
  EXPECT_CONTAINS(error_of([&] { load_pretrained_weights(*w, wrong, info); }),
                  f.dir + "/model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape "
                          "[32, 16], expected [24, 16]");
}

}  // namespace
}  // namespace zl
