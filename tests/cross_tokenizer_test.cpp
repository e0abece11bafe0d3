// A teacher with its own tokenizer, end to end on the demo data (data/samples):
// two datasets prepared from the same inputs and config, A with a unigram
// tokenizer (the teacher's) and B with a character one (the student's). A tiny
// teacher trained on A predicts its logits and sentence vectors; the teacher file
// passes `kd teacher check` on B and `kd distill` on B trains with the sentence
// term. Datasets from other inputs (one text changed, another label, an extra and
// a missing line) are refused with exit status 2, naming what differs, and no run
// directory is written. Tiny models and a few steps: this checks the plumbing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct Env {
  fs::path dir = fs::temp_directory_path() / ("zl_xtok_" + std::to_string(::getpid()));
  std::string t = dir.string();
  std::string last_log;

  Env() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Env() {
    if (!::testing::Test::HasFailure()) fs::remove_all(dir);
  }
  // Runs a program; its stdout+stderr are kept in last_log. Returns the exit status.
  int sh(const std::string& cmd) {
    const std::string log = t + "/cmd.log";
    int rc = std::system((cmd + " > " + q(log) + " 2>&1").c_str());
    last_log = "+ " + cmd + "\n" + read(log);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
  }
  // A copy of the demo inputs, edited by `edit(lines of train, lines of dev)`.
  std::string inputs(const std::string& name,
                     const std::function<void(std::vector<std::string>&, std::vector<std::string>&)>& edit = {}) {
    const std::string in = t + "/" + name;
    fs::create_directories(in);
    auto lines = [](const std::string& path) {
      std::vector<std::string> v;
      std::ifstream f(path);
      for (std::string l; std::getline(f, l);) v.push_back(l);
      return v;
    };
    const std::string src = std::string(ZL_SOURCE_DIR) + "/data/samples/";
    auto train = lines(src + "train.jsonl"), dev = lines(src + "dev.jsonl");
    if (edit) edit(train, dev);
    auto put = [](const std::string& path, const std::vector<std::string>& v) {
      std::ofstream f(path);
      for (const auto& l : v) f << l << "\n";
    };
    put(in + "/train.jsonl", train);
    put(in + "/dev.jsonl", dev);
    fs::copy_file(src + "test.jsonl", in + "/test.jsonl");
    return in;
  }
  // kd data prepare of `inputs` with the dataset config below and `tokenizer` (unigram | char).
  std::string prepare(const std::string& inputs_dir, const std::string& tokenizer, const std::string& out) {
    const std::string cfg = t + "/dataset.yaml";
    if (!fs::exists(cfg))
      write(cfg,
            "name: xtok\ntask: single_label\n"
            "inputs: {format: jsonl, files: {train: train.jsonl, dev: dev.jsonl, test: test.jsonl}}\n"
            "max_length: 64\nnormalize: {t2s: true}\ntokenizer: {type: unigram, vocab_size: 2000}\n");
    const std::string path = t + "/" + out;
    EXPECT_EQ(sh(std::string(ZL_KD_DATA) + " prepare --config " + q(cfg) + " --out " + q(path) +
                 " --set inputs.dir=" + q(inputs_dir) + " --set tokenizer.type=" + tokenizer + " --quiet"),
              0)
        << last_log;
    return path;
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(CrossTokenizer, TeacherFileFromAnotherTokenizerDistillsWithTheSentenceTerm) {
  Env e;
  const std::string t = e.t;
  const std::string same = e.inputs("in");
  const std::string a = e.prepare(same, "unigram", "a_unigram.h5");
  const std::string b = e.prepare(same, "char", "b_char.h5");

  write(t + "/teacher.yaml",
        "model: {architecture: transformer, layers: 1, hidden: 32, heads: 2, ffn: 64, max_length: 64}\n"
        "train: {max_steps: 12, batch_size: 32, lr: 0.003, threads: 2, seed: 1, progress: lines, log_every: 6}\n");
  ASSERT_EQ(e.sh(std::string(ZL_KD_TRAIN) + " --data " + q(a) + " --config " + q(t + "/teacher.yaml") + " --out " +
                 q(t + "/teacher")),
            0)
      << e.last_log;
  const std::string teacher = t + "/teacher.h5";
  const std::string predict = std::string(ZL_KD_TEACHER) + " predict --run " + q(t + "/teacher") + " --data " + q(a) +
                              " --splits train,dev --device cpu --threads 2";
  ASSERT_EQ(e.sh(predict + " --sentence --out " + q(teacher)), 0) << e.last_log;
  EXPECT_TRUE(has(e.last_log, "sentence vectors of 32")) << e.last_log;
  // An ensemble has no single sentence space: refused, nothing written.
  EXPECT_EQ(e.sh(predict + " --run " + q(t + "/teacher") + " --sentence --out " + q(t + "/ens.h5")), 2) << e.last_log;
  EXPECT_TRUE(has(e.last_log, "an ensemble has no single sentence representation")) << e.last_log;
  EXPECT_FALSE(fs::exists(t + "/ens.h5"));

  // The student's dataset (same inputs, character tokenizer) is accepted.
  ASSERT_EQ(e.sh(std::string(ZL_KD_TEACHER) + " check " + q(teacher) + " " + q(b) + " --require train"), 0)
      << e.last_log;
  EXPECT_TRUE(has(e.last_log, "same texts and another tokenizer; rows aligned by id")) << e.last_log;
  EXPECT_TRUE(has(e.last_log, "sentence vectors of 32")) << e.last_log;

  // kd distill on B: a transformer student of another width (16 -> 32 through the projection).
  write(t + "/student.yaml",
        "model: {architecture: transformer, layers: 1, hidden: 16, heads: 2, ffn: 32, max_length: 64}\n"
        "train: {max_steps: 8, batch_size: 32, lr: 0.003, threads: 2, seed: 1, progress: lines, log_every: 4}\n"
        "distill: {alpha: 0.5, temperature: 2, sentence_weight: 1.0}\n");
  const std::string distill = std::string(ZL_KD_DISTILL) + " --config " + q(t + "/student.yaml") + " --device cpu";
  ASSERT_EQ(e.sh(distill + " --data " + q(b) + " --teacher " + q(teacher) + " --out " + q(t + "/kd")), 0)
      << e.last_log;
  EXPECT_TRUE(has(e.last_log, "teacher file " + teacher + " computed on dataset " + a +
                                  " with another tokenizer; rows aligned by id"))
      << e.last_log;
  EXPECT_TRUE(has(e.last_log, "sentence distillation from " + teacher + " (student 16 -> teacher 32")) << e.last_log;
  int logged = 0;
  std::ifstream m(t + "/kd/metrics.jsonl");
  for (std::string line; std::getline(m, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.value("event", "") != "train") continue;
    ASSERT_TRUE(j.contains("sentence_mse")) << line;
    EXPECT_TRUE(std::isfinite(j["sentence_mse"].get<double>()) && j["sentence_mse"].get<double>() > 0) << line;
    EXPECT_TRUE(j.contains("kd") && j.contains("ce")) << line;
    ++logged;
  }
  EXPECT_EQ(logged, 2);
  auto rec = nlohmann::json::parse(read(t + "/kd/distill.json"));
  EXPECT_EQ(rec["teachers"][0].value("dataset", ""), "same texts, another tokenizer") << rec.dump(2);
  EXPECT_TRUE(rec["teachers"][0].value("sentence_term", false)) << rec.dump(2);
  // The projection is checkpointed with the student: the run resumes (and finishes) from it.
  ASSERT_EQ(e.sh(distill + " --data " + q(b) + " --teacher " + q(teacher) + " --out " + q(t + "/kd_resume") +
                 " --set train.max_steps_this_invocation=4"),
            0)
      << e.last_log;
  ASSERT_EQ(e.sh(std::string(ZL_KD_DISTILL) + " --out " + q(t + "/kd_resume") + " --resume --device cpu"), 0)
      << e.last_log;

  // Another architecture and the cosine loss: the student's sentence width comes from the model itself.
  write(t + "/bilstm.yaml",
        "model: {architecture: bilstm, embedding_dim: 16, lstm_hidden: 8, max_length: 64}\n"
        "train: {max_steps: 4, batch_size: 32, lr: 0.003, threads: 2, seed: 1, progress: lines, log_every: 4}\n"
        "distill: {sentence_weight: 0.5, sentence_loss: cosine}\n");
  ASSERT_EQ(e.sh(std::string(ZL_KD_DISTILL) + " --config " + q(t + "/bilstm.yaml") + " --device cpu --data " + q(b) +
                 " --teacher " + q(teacher) + " --out " + q(t + "/kd_bilstm")),
            0)
      << e.last_log;
  EXPECT_TRUE(has(read(t + "/kd_bilstm/metrics.jsonl"), "\"sentence_cosine\"")) << read(t + "/kd_bilstm/metrics.jsonl");

  // The token-level terms need the student's token positions: refused across tokenizers.
  EXPECT_EQ(e.sh(distill + " --data " + q(b) + " --teacher " + q(teacher) + " --out " + q(t + "/kd_hidden") +
                 " --set distill.intermediate.teacher_run=" + q(t + "/teacher") +
                 " --set distill.intermediate.hidden_weight=1"),
            2)
      << e.last_log;
  EXPECT_TRUE(has(e.last_log, "was trained with another tokenizer")) << e.last_log;
  EXPECT_TRUE(has(e.last_log, "use distill.sentence_weight instead")) << e.last_log;
  EXPECT_FALSE(fs::exists(t + "/kd_hidden"));

  // sentence_weight > 0 with a teacher file without sentence vectors: refused, naming the file.
  ASSERT_EQ(e.sh(predict + " --out " + q(t + "/no_sentence.h5")), 0) << e.last_log;
  EXPECT_EQ(e.sh(distill + " --data " + q(b) + " --teacher " + q(t + "/no_sentence.h5") + " --out " +
                 q(t + "/kd_nosent")),
            2)
      << e.last_log;
  EXPECT_TRUE(has(e.last_log, t + "/no_sentence.h5")) << e.last_log;
  EXPECT_TRUE(has(e.last_log, "kd teacher predict --sentence")) << e.last_log;
  EXPECT_FALSE(fs::exists(t + "/kd_nosent"));

  // Datasets from other inputs: exit 2 with what differs, no run directory.
  struct Case {
    std::string name;
    std::function<void(std::vector<std::string>&, std::vector<std::string>&)> edit;
    std::vector<std::string> expect;
  };
  const std::vector<Case> cases = {
      {"other_text",
       [](auto& train, auto&) { train[0] = R"({"text": "红包到底怎么用", "label": "优惠券"})"; },
       {"1 shared ids have other texts ('train.jsonl:1' \"红包怎么用\" there, \"红包到底怎么用\" here)",
        "the teacher was computed on other texts: prepare the student's dataset from the same inputs and config "
        "(only the tokenizer may differ)"}},
      {"other_labels",
       [](auto& train, auto&) { train[1] = R"({"text": "我的退款去哪了", "label": "新标签"})"; },
       {"label order differs", "'train.jsonl:2' 退货退款 there, 新标签 here"}},
      {"other_ids",
       [](auto& train, auto& dev) {
         train.push_back(R"({"text": "这是另外加上的一句话", "label": "优惠券"})");
         dev.pop_back();
       },
       {"split 'train': 1 dataset example ids have no teacher output ('train.jsonl:831')",
        "split 'dev': 1 teacher example ids are not in the dataset ('dev.jsonl:173')",
        "the teacher was computed on other example ids"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string d = e.prepare(e.inputs("in_" + c.name, c.edit), "char", c.name + ".h5");
    EXPECT_EQ(e.sh(std::string(ZL_KD_TEACHER) + " check " + q(teacher) + " " + q(d)), 2) << e.last_log;
    for (const auto& x : c.expect) EXPECT_TRUE(has(e.last_log, x)) << x << "\n" << e.last_log;
    EXPECT_TRUE(has(e.last_log, "dataset checksum changed")) << e.last_log;
    EXPECT_EQ(e.sh(distill + " --data " + q(d) + " --teacher " + q(teacher) + " --out " + q(t + "/kd_" + c.name)), 2)
        << e.last_log;
    EXPECT_TRUE(has(e.last_log, "does not match")) << e.last_log;
    EXPECT_FALSE(fs::exists(t + "/kd_" + c.name));
  }
}
