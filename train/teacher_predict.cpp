#include "teacher_predict.h"
#include "threads.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "batch.h"
#include "checksum.h"
#include "error.h"
#include "run_dir.h"
#include "run_training.h"
#include "teacher_file.h"

namespace zl {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The run must have been trained on data tokenized the same way, with the same labels in the same order.
void check_run_matches(const LoadedRun& run, const DatasetInfo& info, const std::string& data_path) {
  if (run.info.task != info.task)
    throw UserError(run.run_dir + " was trained for a " + task_name(run.info.task) + " task; " + data_path + " is " +
                    task_name(info.task));
  if (run.info.label_names != info.label_names)
    throw UserError(run.run_dir + " has labels [" + joined(run.info.label_names) + "] but " + data_path + " has [" +
                    joined(info.label_names) + "]: the teacher's outputs would be misaligned");
  if (run.info.tokenizer_sha256 != info.tokenizer_sha256 || run.info.vocab_size != info.vocab_size)
    throw UserError(run.run_dir + " was trained with another tokenizer (sha256 " + run.info.tokenizer_sha256 +
                    ", vocab " + std::to_string(run.info.vocab_size) + ") than " + data_path + " (sha256 " +
                    info.tokenizer_sha256 + ", vocab " + std::to_string(info.vocab_size) +
                    "): prepare the dataset with the teacher's tokenizer");
}

// Logits of one model over a split, in row order, as float [n, L] on the CPU; with
// `sentence`, also its sentence representations, float [n, D].
torch::Tensor predict_split(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                            const torch::Device& device, int64_t batch_size, torch::Tensor* sentence = nullptr) {
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  const int64_t n = static_cast<int64_t>(split.size());
  torch::Tensor out = torch::zeros({n, L}, torch::kFloat);
  torch::NoGradGuard no_grad;
  for (const auto& rows : eval_batches(split, batch_size)) {
    Batch b = make_batch(split, info.task, L, info.pad_id, rows, model.config().max_length).to(device);
    ModelOutput o = model.forward(b);
    torch::Tensor index = torch::tensor(rows, torch::kLong);
    out.index_copy_(0, index, o.logits.to(torch::kFloat).cpu());
    if (sentence) {
      if (!o.sentence.defined() || o.sentence.dim() != 2)
        throw std::logic_error(model.describe() + ": ModelOutput::sentence is not a [B, D] tensor");
      if (!sentence->defined()) *sentence = torch::zeros({n, o.sentence.size(1)}, torch::kFloat);
      sentence->index_copy_(0, index, o.sentence.to(torch::kFloat).cpu());
    }
  }
  if (sentence && !sentence->defined()) *sentence = torch::zeros({0, 0}, torch::kFloat);
  return out;
}

}  // namespace

std::vector<TeacherSplitReport> predict_teacher(const TeacherPredictRequest& req) {
  if (req.runs.empty()) throw UserError("--run is required: the run directory of a trained teacher (kd train --out)");
  if (req.splits.empty()) throw UserError("--splits is empty: name the splits to predict, e.g. train,dev,test");
  if (req.batch_size <= 0) throw UserError("--batch-size must be positive");
  if (req.dtype != "float32" && req.dtype != "float16")
    throw UserError("--dtype must be float32 or float16 (got '" + req.dtype + "')");
  if (req.sentence && req.runs.size() > 1)
    throw UserError("--sentence with " + std::to_string(req.runs.size()) +
                    " --run: an ensemble has no single sentence representation (the members' vectors live in "
                    "different spaces); predict the sentence vectors of one run into its own teacher file");
  configure_threads(req.threads);  // threads.h: 0 = every available core
  const DatasetInfo info = read_dataset_info(req.data_path);
  for (const auto& s : req.splits)
    if (std::find(info.split_names.begin(), info.split_names.end(), s) == info.split_names.end())
      throw UserError(req.data_path + ": no split '" + s + "' (the file has: " + joined(info.split_names) + ")");
  const torch::Device device = resolve_device(req.device);
  const bool multi = info.task == Task::kMultiLabel;
  const int64_t L = static_cast<int64_t>(info.label_names.size());

  std::vector<LoadedRun> runs;
  for (const auto& dir : req.runs) {
    runs.push_back(load_run(dir, req.which));
    check_run_matches(runs.back(), info, req.data_path);
    runs.back().model->to(device);
    runs.back().model->eval();
    std::cerr << "teacher " << runs.back().run_id << ": " << runs.back().model->describe() << ", "
              << runs.back().model->num_parameters() << " parameters (" << req.which << " weights)" << std::endl;
  }

  TeacherInfo t;
  t.task = info.task;
  t.label_names = info.label_names;
  t.dataset_sha256 = info.content_sha256;
  t.dataset_text_sha256 = info.text_sha256;
  t.dataset_path = std::filesystem::absolute(req.data_path).string();
  t.kind = "logits";
  nlohmann::json members = nlohmann::json::array();
  int64_t params = 0;
  for (const auto& r : runs) {
    members.push_back({{"run_id", r.run_id}, {"run_dir", r.run_dir}, {"checkpoint_sha256", r.weights_sha256},
                       {"param_count", r.model->num_parameters()}});
    params += r.model->num_parameters();
  }
  t.members_json = members.dump();
  t.param_count = params;
  if (runs.size() == 1) {
    t.source = "zhengliu";
    t.teacher_run_id = runs[0].run_id;
    t.checkpoint_sha256 = runs[0].weights_sha256;
  } else {
    t.source = "ensemble";
    std::string ids, shas;
    for (const auto& r : runs) {
      ids += (ids.empty() ? "" : "+") + r.run_id;
      shas += r.weights_sha256;
    }
    t.teacher_run_id = "ensemble(" + ids + ")";
    t.checkpoint_sha256 = sha256_hex(shas);
  }

  std::vector<TeacherSplit> out_splits;
  std::vector<TeacherSplitReport> reports;
  for (const auto& name : req.splits) {
    const SplitData split = read_split(req.data_path, name);
    if (split.size() == 0)  // a teacher split of nothing serves no distillation and no check
      throw UserError(req.data_path + ": split '" + name + "' has 0 examples; leave it out of --splits (e.g. --splits " +
                      "train), or prepare the data again with a non-empty " + name + " split");
    torch::Tensor z, sentence;
    if (runs.size() == 1) {
      z = predict_split(*runs[0].model, split, info, device, req.batch_size, req.sentence ? &sentence : nullptr);
    } else {
      // Average the members' probabilities; store log p (single-label) or logit p (multi-label).
      torch::Tensor p;
      for (auto& r : runs) {
        torch::Tensor zr = predict_split(*r.model, split, info, device, req.batch_size);
        torch::Tensor pr = multi ? torch::sigmoid(zr) : torch::softmax(zr, -1);
        p = p.defined() ? p + pr : pr;
      }
      p = (p / static_cast<double>(runs.size())).clamp(1e-7, 1.0 - 1e-7);
      z = multi ? torch::log(p / (1 - p)) : torch::log(p);
    }
    TeacherSplit ts;
    ts.name = name;
    ts.ids = split.ids;
    ts.num_labels = L;
    ts.dataset_text_sha256 = info.split_text_sha256.count(name) ? info.split_text_sha256.at(name) : "";
    z = z.contiguous();
    ts.values.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
    if (req.sentence && split.size() > 0) {
      const int64_t D = sentence.size(1);
      if (t.sentence_dim && t.sentence_dim != D)
        throw std::logic_error("sentence dimension changed between splits");
      t.sentence_dim = D;
      sentence = sentence.contiguous();
      ts.sentence.assign(sentence.data_ptr<float>(), sentence.data_ptr<float>() + sentence.numel());
    }
    out_splits.push_back(std::move(ts));

    TeacherSplitReport rep;
    rep.split = name;
    rep.examples = static_cast<int64_t>(split.size());
    int64_t correct = 0;
    if (multi) {
      if (!split.multi_hot.empty()) {
        auto y = torch::from_blob(const_cast<uint8_t*>(split.multi_hot.data()), {rep.examples, L}, torch::kUInt8);
        auto pred = z.ge(0).to(torch::kUInt8);
        correct = pred.eq(y).all(1).sum().item<int64_t>();
        rep.labelled = rep.examples;
      }
    } else {
      auto pred = z.argmax(1);
      for (int64_t i = 0; i < rep.examples; ++i) {
        if (split.labels[static_cast<size_t>(i)] < 0) continue;
        ++rep.labelled;
        if (pred[i].item<int64_t>() == split.labels[static_cast<size_t>(i)]) ++correct;
      }
    }
    rep.accuracy = rep.labelled ? static_cast<double>(correct) / static_cast<double>(rep.labelled) : NAN;
    std::cerr << "split " << name << ": " << rep.examples << " examples";
    if (rep.labelled)
      std::cerr << ", teacher accuracy " << std::fixed << std::setprecision(4) << rep.accuracy << " on "
                << rep.labelled << " labelled";
    std::cerr << std::endl;
    reports.push_back(rep);
  }
  if (req.sentence) {
    if (t.sentence_dim <= 0)
      throw UserError("--sentence: every split asked for (" + joined(req.splits) + ") is empty; nothing to store");
    for (auto& ts : out_splits)
      if (ts.ids.empty()) ts.sentence.clear();  // an empty split: [0, D]
  }
  write_teacher_file(req.out_path, t, out_splits, req.dtype);
  check_teacher_file(req.out_path, req.data_path);  // what kd distill will check: fail here, not later
  std::cerr << "wrote " << req.out_path << " (" << t.source << ", " << req.dtype << ", splits " << joined(req.splits);
  if (t.sentence_dim > 0) std::cerr << ", sentence vectors of " << t.sentence_dim;
  std::cerr << ")" << std::endl;
  return reports;
}

}  // namespace zl
