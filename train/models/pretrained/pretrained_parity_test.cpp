// Our encoder against transformers: tiny random BERT and XLM-R models built and
// saved by transformers in the venv (make_tiny_checkpoints.py, nothing downloaded),
// loaded through the real loader (safetensors, a sharded index, a torch.save .bin),
// compared on the same inputs: every hidden state, the pooler output / mean vector
// and the logits, max |difference| <= 1e-4 in float32 on the real (non-padding)
// tokens. The head: BERT's classifier (pooler -> dropout -> Linear) is ours, so the
// test copies transformers' classifier weights into our head and compares logits;
// XLM-R's head (dense + tanh + out_proj) is not, so the script draws a random linear
// head, and our head with those weights must give mean @ W^T + b.
// The converted multilingual-e5-small ($ZL_E5_SMALL_DIR or
// ~/.cache/zhengliu/models/multilingual-e5-small) is compared too when present.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "bert_encoder.h"
#include "hf_checkpoint.h"
#include "pretrained_init.h"
#include "pretrained_testing.h"
#include "safetensors.h"

namespace zl {
namespace {

constexpr double kTol = 1e-4;

#ifdef ZL_PYTHON_EXE
// Runs the script once per test process.
const std::string& tiny_dir() {
  static const std::string dir = [] {
    std::string d = testing::make_temp_dir("parity");
    std::string cmd = std::string(ZL_PYTHON_EXE) + " " + ZL_TINY_CHECKPOINTS_PY + " tiny " + d + " > " + d + "/log.txt 2>&1";
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << cmd << "\n" << read_file(d + "/log.txt");
    return d;
  }();
  return dir;
}
#endif

DatasetInfo identity_info(const HfEncoderConfig& h, Task task) {
  DatasetInfo info;
  info.task = task;
  info.label_names = {"a", "b", "c"};
  info.vocab_size = h.vocab_size;
  for (int32_t i = 0; i < h.vocab_size; ++i) info.vocab_map.push_back(i);
  info.pad_id = h.pad_token_id;
  info.pretrained_json = nlohmann::json{{"family", h.tokenizer_family}, {"base_vocab_size", h.vocab_size}}.dump();
  return info;
}

double masked_max_diff(const torch::Tensor& ours, const torch::Tensor& ref, const torch::Tensor& mask) {
  return ((ours - ref).abs() * mask.unsqueeze(-1).to(torch::kFloat32)).max().item<double>();
}

struct Case {
  std::string dir, name, pooling;
  Task task = Task::kSingleLabel;
  std::string head_w, head_b;  // reference names of the head weights to copy into ours ("" = no logits check)
};

void compare(const SafetensorsFile& refs, const Case& c) {
  SCOPED_TRACE(c.dir + " / " + c.name + " / " + c.pooling);
  Config yc = Config::from_string("architecture: pretrained\ncheckpoint: " + c.dir + "\npooling: " + c.pooling +
                                      "\ndropout: 0.0\nmax_length: 32\n",
                                  "parity.yaml");
  ModelConfig cfg = ModelConfig::from_config(yc);
  DatasetInfo info = identity_info(cfg.hf, c.task);
  auto model = build_model(cfg, info);
  load_pretrained_weights(*model, cfg, info);
  model->eval();
  torch::NoGradGuard g;
  if (!c.head_w.empty()) {
    model->named_parameters()["classifier.weight"].copy_(refs.read_float(c.head_w));
    model->named_parameters()["classifier.bias"].copy_(refs.read_float(c.head_b));
  }
  Batch b;
  b.input_ids = refs.read_float(c.name + ".input_ids").to(torch::kLong);
  b.attention_mask = refs.read_float(c.name + ".attention_mask").to(torch::kLong);
  if (refs.has(c.name + ".token_type_ids")) b.token_type_ids = refs.read_float(c.name + ".token_type_ids").to(torch::kLong);
  for (int64_t r = 0; r < b.input_ids.size(0); ++r) b.rows.push_back(r);
  for (bool explicit_softmax : {false, true}) {
    SCOPED_TRACE(explicit_softmax ? "explicit softmax" : "scaled_dot_product_attention");
    ModelOutput out = model->forward(b, explicit_softmax);
    ASSERT_EQ(static_cast<int64_t>(out.hidden_states.size()), cfg.hf.num_hidden_layers + 1);
    for (size_t i = 0; i < out.hidden_states.size(); ++i) {
      auto ref = refs.read_float(c.name + ".hidden." + std::to_string(i));
      ASSERT_EQ(out.hidden_states[i].sizes(), ref.sizes());
      EXPECT_LE(masked_max_diff(out.hidden_states[i], ref, b.attention_mask), kTol) << "hidden state " << i;
      EXPECT_GT(ref.abs().max().item<double>(), 0.1);  // not a degenerate comparison
    }
    const std::string sentence_ref = c.pooling == "pooler" ? c.name + ".pooler" : c.name + ".mean";
    if (c.pooling == "cls")
      EXPECT_LE((out.sentence - out.hidden_states.back().select(1, 0)).abs().max().item<double>(), 0.0);
    else
      EXPECT_LE((out.sentence - refs.read_float(sentence_ref)).abs().max().item<double>(), kTol) << sentence_ref;
    if (!c.head_w.empty())
      EXPECT_LE((out.logits - refs.read_float(c.name + ".logits")).abs().max().item<double>(), kTol) << "logits";
  }
}

TEST(Parity, TinyBertSingleAndPair) {
#ifdef ZL_PYTHON_EXE
  SafetensorsFile refs(tiny_dir() + "/refs.safetensors");
  const std::string bert = tiny_dir() + "/bert";
  compare(refs, {bert, "bert_single", "pooler", Task::kSingleLabel, "bert.classifier.weight", "bert.classifier.bias"});
  compare(refs, {bert, "bert_pair", "pooler", Task::kPair, "bert.classifier.weight", "bert.classifier.bias"});
  compare(refs, {bert, "bert_single", "mean", Task::kSingleLabel, "", ""});
#else
  GTEST_SKIP() << "ZL_PYTHON not configured: no transformers to compare with";
#endif
}

TEST(Parity, TinyBertFromShardsAndFromPytorchModelBin) {
#ifdef ZL_PYTHON_EXE
  SafetensorsFile refs(tiny_dir() + "/refs.safetensors");
  compare(refs, {tiny_dir() + "/bert_sharded", "bert_pair", "pooler", Task::kPair, "bert.classifier.weight",
                 "bert.classifier.bias"});
  compare(refs, {tiny_dir() + "/bert_bin", "bert_single", "pooler", Task::kSingleLabel, "bert.classifier.weight",
                 "bert.classifier.bias"});
  // torch.save(model.state_dict()): LibTorch cannot unpickle an OrderedDict; refused clearly.
  const std::string ordered = tiny_dir() + "/bert_bin_ordered";
  try {
    inspect_checkpoint(ordered);
    ADD_FAILURE() << "an OrderedDict pytorch_model.bin was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(ordered + "/pytorch_model.bin: cannot read this torch.save file (it holds an "
                                                   "OrderedDict"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("save_pretrained(DIR) writes model.safetensors"), std::string::npos) << e.what();
  }
#else
  GTEST_SKIP() << "ZL_PYTHON not configured: no transformers to compare with";
#endif
}

TEST(Parity, TinyXlmRoberta) {
#ifdef ZL_PYTHON_EXE
  SafetensorsFile refs(tiny_dir() + "/refs.safetensors");
  const std::string x = tiny_dir() + "/xlmr";
  compare(refs, {x, "xlmr", "mean", Task::kSingleLabel, "xlmr.head_weight", "xlmr.head_bias"});
  compare(refs, {x, "xlmr", "cls", Task::kSingleLabel, "", ""});
#else
  GTEST_SKIP() << "ZL_PYTHON not configured: no transformers to compare with";
#endif
}

TEST(Parity, MultilingualE5SmallWhenPresent) {
  std::string dir;
  if (const char* e = std::getenv("ZL_E5_SMALL_DIR"); e && *e) dir = e;
  else if (const char* h = std::getenv("HOME")) dir = std::string(h) + "/.cache/zhengliu/models/multilingual-e5-small";
  if (!file_exists(dir + "/config.json") || !file_exists(dir + "/tokenizer.json"))
    GTEST_SKIP() << "no converted multilingual-e5-small at " << dir << " (set ZL_E5_SMALL_DIR)";
#ifdef ZL_PYTHON_EXE
  const std::string out = testing::make_temp_dir("parity-e5");
  std::string cmd = std::string(ZL_PYTHON_EXE) + " " + ZL_TINY_CHECKPOINTS_PY + " e5 " + dir + " " + out + " > " + out +
                    "/log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << read_file(out + "/log.txt");
  SafetensorsFile refs(out + "/refs_e5.safetensors");
  compare(refs, {dir, "e5", "mean", Task::kSingleLabel, "", ""});
#else
  GTEST_SKIP() << "ZL_PYTHON not configured: no transformers to compare with";
#endif
}

}  // namespace
}  // namespace zl
