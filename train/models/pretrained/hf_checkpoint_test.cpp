// Reading Hugging Face checkpoint directories: the safetensors reader, config.json
// validation, the encoder prefix, and every bad directory as a UserError naming
// the file and what to do.
#include "hf_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "model.h"
#include "pretrained_testing.h"
#include "safetensors.h"

namespace zl {
namespace {

using testing::error_of;


TEST(Safetensors, ReadsF32F16Bf16AsFloat32) {
  const std::string dir = testing::make_temp_dir("st");
  auto a = torch::randn({3, 4});
  auto b = torch::tensor({0.5f, -2.0f, 1024.0f}).to(torch::kFloat16);
  auto c = torch::tensor({1.5f, 3.0f}).to(torch::kBFloat16);
  testing::write_safetensors(dir + "/w.safetensors", {{"a", a}, {"b", b}, {"c", c}, {"ids", torch::arange(5)}});
  SafetensorsFile f(dir + "/w.safetensors");
  EXPECT_EQ(f.entries().size(), 4u);
  EXPECT_EQ(f.entry("b").dtype, "F16");
  EXPECT_EQ(f.entry("a").shape, (std::vector<int64_t>{3, 4}));
  EXPECT_TRUE(torch::equal(f.read_float("a"), a));
  EXPECT_TRUE(torch::equal(f.read_float("b"), b.to(torch::kFloat32)));
  EXPECT_TRUE(torch::equal(f.read_float("c"), c.to(torch::kFloat32)));
  EXPECT_EQ(f.read_float("c").scalar_type(), torch::kFloat32);
  EXPECT_CONTAINS(error_of([&] { f.read_float("ids"); }), "is I64; weights must be F32, F16 or BF16");
  EXPECT_CONTAINS(error_of([&] { f.read_float("zz"); }), "has no tensor 'zz'");
}

TEST(Safetensors, TruncatedAndMalformedFilesAreUserErrors) {
  const std::string dir = testing::make_temp_dir("st-bad");
  const std::string p = dir + "/w.safetensors";
  testing::write_safetensors(p, {{"a", torch::randn({64, 8})}});
  const std::string whole = read_file(p);
  write_file_atomic(dir + "/cut.safetensors", whole.substr(0, whole.size() - 100));
  EXPECT_CONTAINS(error_of([&] { SafetensorsFile(dir + "/cut.safetensors"); }), "cut.safetensors: truncated safetensors file");
  write_file_atomic(dir + "/tiny.safetensors", "abc");
  EXPECT_CONTAINS(error_of([&] { SafetensorsFile(dir + "/tiny.safetensors"); }), "tiny.safetensors: truncated");
  write_file_atomic(dir + "/head.safetensors", whole.substr(0, 20));
  EXPECT_CONTAINS(error_of([&] { SafetensorsFile(dir + "/head.safetensors"); }), "head.safetensors: truncated or not a safetensors file");
  std::string bad = whole;
  bad[8] = '[';  // the JSON header no longer parses as an object
  write_file_atomic(dir + "/json.safetensors", bad);
  EXPECT_CONTAINS(error_of([&] { SafetensorsFile(dir + "/json.safetensors"); }), "json.safetensors:");
}

TEST(HfConfig, ValidatesWhatTheEncoderComputes) {
  auto err = [](nlohmann::json j) {
    return error_of([&] { HfEncoderConfig::from_json(j.dump(), "/ck/config.json"); });
  };
  auto base = testing::tiny_config_json({});
  EXPECT_EQ(err(base), "(no error)");
  auto j = base;
  j["model_type"] = "gpt2";
  EXPECT_CONTAINS(err(j), "/ck/config.json: model_type 'gpt2' is not supported");
  j = base;
  j["hidden_act"] = "relu";
  EXPECT_CONTAINS(err(j), "hidden_act 'relu' is not supported");
  j = base;
  j["position_embedding_type"] = "relative_key";
  EXPECT_CONTAINS(err(j), "position_embedding_type 'relative_key' is not supported");
  j = base;
  j.erase("hidden_size");
  EXPECT_CONTAINS(err(j), "has no 'hidden_size'");
  j = base;
  j["num_attention_heads"] = 3;
  EXPECT_CONTAINS(err(j), "not a multiple of num_attention_heads");
  j = base;
  j["is_decoder"] = true;
  EXPECT_CONTAINS(err(j), "decoder");
  auto x = testing::tiny_config_json(testing::tiny_xlmr());
  HfEncoderConfig h = HfEncoderConfig::from_json(x.dump(), "x");
  EXPECT_TRUE(h.roberta_positions());
  EXPECT_EQ(h.max_tokens(), 66 - 2);
  EXPECT_EQ(h.tokenizer_family, "xlm-roberta");
  x["model_type"] = "bert";
  x["tokenizer_class"] = "XLMRobertaTokenizer";  // multilingual-e5-small: BERT with XLM-R's tokenizer
  EXPECT_EQ(HfEncoderConfig::from_json(x.dump(), "x").tokenizer_family, "xlm-roberta");
}

TEST(HfConfig, ExpandsEnvironmentVariablesWithDefaults) {
  setenv("ZL_TEST_CK", "/a/b", 1);
  unsetenv("ZL_TEST_UNSET");
  EXPECT_EQ(expand_env_vars("${ZL_TEST_CK}/c", "k"), "/a/b/c");
  EXPECT_EQ(expand_env_vars("${ZL_TEST_UNSET:-/d}", "k"), "/d");
  EXPECT_EQ(expand_env_vars("${ZL_TEST_UNSET:-${ZL_TEST_CK}/e}", "k"), "/a/b/e");
  EXPECT_CONTAINS(error_of([] { expand_env_vars("${ZL_TEST_UNSET}", "m.yaml: model.checkpoint"); }),
                  "m.yaml: model.checkpoint: '${ZL_TEST_UNSET}' uses ${ZL_TEST_UNSET}, which is not set");
}

TEST(HfCheckpoint, FindsTheEncoderPrefixAndPooler) {
  const std::string root = testing::make_temp_dir("ck-prefix");
  for (std::string prefix : {"", "bert.", "roberta."}) {
    auto c = prefix == "roberta." ? testing::tiny_xlmr() : testing::TinyCheckpoint{};
    c.prefix = prefix;
    const std::string dir = testing::write_tiny_checkpoint(root + "/p" + prefix, c);
    HfEncoderConfig h = inspect_checkpoint(dir);
    EXPECT_EQ(h.prefix, prefix);
    EXPECT_EQ(h.has_pooler, c.pooler);
    EXPECT_EQ(h.weights_file, "model.safetensors");
    EXPECT_EQ(h.config_sha256.size(), 64u);
    HfCheckpoint ck(dir);
    EXPECT_EQ(ck.shape("encoder.layer.1.intermediate.dense.weight"), (std::vector<int64_t>{c.ffn, c.hidden}));
    EXPECT_TRUE(torch::equal(ck.tensor("embeddings.word_embeddings.weight"), testing::tiny_tensors(c)[0].second));
  }
}

TEST(HfCheckpoint, ReadsLayerNormGammaBetaAndShards) {
  const std::string root = testing::make_temp_dir("ck-old");
  testing::TinyCheckpoint c;
  auto tensors = testing::tiny_tensors(c);
  std::vector<std::pair<std::string, torch::Tensor>> renamed;
  for (auto [n, t] : tensors) {
    if (n.size() > 17 && n.compare(n.size() - 17, 17, ".LayerNorm.weight") == 0) n = n.substr(0, n.size() - 6) + "gamma";
    if (n.size() > 15 && n.compare(n.size() - 15, 15, ".LayerNorm.bias") == 0) n = n.substr(0, n.size() - 4) + "beta";
    renamed.emplace_back("bert." + n, t);
  }
  std::filesystem::create_directories(root + "/old");
  write_file_atomic(root + "/old/config.json", testing::tiny_config_json(c).dump());
  testing::write_safetensors(root + "/old/model.safetensors", renamed);
  HfCheckpoint old(root + "/old");
  EXPECT_TRUE(torch::equal(old.tensor("embeddings.LayerNorm.weight"), tensors[3].second));
  EXPECT_TRUE(torch::equal(old.tensor("embeddings.LayerNorm.bias"), tensors[4].second));
  // Two shards and their index.
  std::filesystem::create_directories(root + "/sharded");
  write_file_atomic(root + "/sharded/config.json", testing::tiny_config_json(c).dump());
  std::vector<std::pair<std::string, torch::Tensor>> s1(tensors.begin(), tensors.begin() + 5), s2(tensors.begin() + 5, tensors.end());
  testing::write_safetensors(root + "/sharded/a.safetensors", s1);
  testing::write_safetensors(root + "/sharded/b.safetensors", s2);
  nlohmann::json map;
  for (auto& kv : s1) map[kv.first] = "a.safetensors";
  for (auto& kv : s2) map[kv.first] = "b.safetensors";
  write_file_atomic(root + "/sharded/model.safetensors.index.json", nlohmann::json{{"weight_map", map}}.dump());
  HfCheckpoint sh(root + "/sharded");
  EXPECT_EQ(sh.weights_file(), "model.safetensors.index.json");
  EXPECT_EQ(sh.prefix(), "");
  EXPECT_TRUE(torch::equal(sh.tensor("pooler.dense.bias"), tensors.back().second));
  EXPECT_EQ(sh.weights_sha256().size(), 64u);
  std::filesystem::remove(root + "/sharded/b.safetensors");
  EXPECT_CONTAINS(error_of([&] { HfCheckpoint x(root + "/sharded"); }), "names the shard b.safetensors, which is missing");
}

TEST(HfCheckpoint, BadDirectoriesAreUserErrorsNamingTheFile) {
  const std::string root = testing::make_temp_dir("ck-bad");
  EXPECT_CONTAINS(error_of([&] { inspect_checkpoint(root + "/nope"); }), root + "/nope is not a directory");
  std::filesystem::create_directories(root + "/empty");
  EXPECT_CONTAINS(error_of([&] { inspect_checkpoint(root + "/empty"); }), root + "/empty has no config.json");
  const std::string dir = testing::write_tiny_checkpoint(root + "/noweights");
  std::filesystem::remove(dir + "/model.safetensors");
  EXPECT_CONTAINS(error_of([&] { inspect_checkpoint(dir); }), dir + " has no weights: expected model.safetensors");
  const std::string t = testing::write_tiny_checkpoint(root + "/trunc");
  std::filesystem::resize_file(t + "/model.safetensors", std::filesystem::file_size(t + "/model.safetensors") - 64);
  EXPECT_CONTAINS(error_of([&] { inspect_checkpoint(t); }), t + "/model.safetensors: truncated safetensors file");
  const std::string g = testing::write_tiny_checkpoint(root + "/gpt");
  auto j = testing::tiny_config_json({});
  j["model_type"] = "distilbert";
  write_file_atomic(g + "/config.json", j.dump());
  EXPECT_CONTAINS(error_of([&] { inspect_checkpoint(g); }), g + "/config.json: model_type 'distilbert' is not supported");
  const std::string n = root + "/noencoder";
  std::filesystem::create_directories(n);
  write_file_atomic(n + "/config.json", testing::tiny_config_json({}).dump());
  testing::write_safetensors(n + "/model.safetensors", {{"lm_head.weight", torch::zeros({2, 2})}});
  EXPECT_CONTAINS(error_of([&] { inspect_checkpoint(n); }), "no tensor named ...embeddings.word_embeddings.weight");
}

}  // namespace
}  // namespace zl
