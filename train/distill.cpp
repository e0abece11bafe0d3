#include "distill.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <unordered_map>

#include "atomic_file.h"
#include "checksum.h"
#include "error.h"
#include "run_dir.h"
#include "split_rows.h"
#include "teacher_file.h"
#include "trainer.h"
#include "transfer_copies.h"

namespace zl {

namespace fs = std::filesystem;

DistillConfig DistillConfig::from_config(const Config& c, double default_label_smoothing) {
  DistillConfig d;
  d.alpha = c.get<double>("alpha", d.alpha);
  c.check(d.alpha >= 0 && d.alpha <= 1, "alpha", "must be in [0, 1] (weight of the teacher term), got " + std::to_string(d.alpha));
  d.alpha_end = c.get<double>("alpha_end", d.alpha);
  c.check(d.alpha_end >= 0 && d.alpha_end <= 1, "alpha_end", "must be in [0, 1], got " + std::to_string(d.alpha_end));
  d.temperature = c.get<double>("temperature", d.temperature);
  c.check(d.temperature > 0 && std::isfinite(d.temperature), "temperature", "must be positive, got " + std::to_string(d.temperature));
  d.temperature_end = c.get<double>("temperature_end", d.temperature);
  c.check(d.temperature_end > 0 && std::isfinite(d.temperature_end), "temperature_end",
          "must be positive, got " + std::to_string(d.temperature_end));
  d.loss = c.get_choice("loss", "kl", {"kl", "mse"}) == "kl" ? SoftLoss::kKL : SoftLoss::kMSE;
  d.label_smoothing = c.get<double>("label_smoothing", default_label_smoothing);
  c.check(d.label_smoothing >= 0 && d.label_smoothing < 1, "label_smoothing", "must be in [0, 1)");
  d.teacher_weights = c.get<std::vector<double>>("teacher_weights", {});
  for (double w : d.teacher_weights)
    c.check(w >= 0 && std::isfinite(w), "teacher_weights", "must be non-negative numbers");
  if (!d.teacher_weights.empty()) {
    double sum = 0;
    for (double w : d.teacher_weights) sum += w;
    c.check(sum > 0, "teacher_weights", "must not all be zero");
  }
  d.gold_label_share = c.get<double>("gold_label_share", d.gold_label_share);
  c.check(d.gold_label_share >= 0 && d.gold_label_share <= 1, "gold_label_share",
          "must be in [0, 1] (the fraction of training rows whose gold label is used), got " +
              std::to_string(d.gold_label_share));
  d.gold_label_seed = static_cast<uint64_t>(c.get<int64_t>("gold_label_seed", 0));
  Config ic = c.child("intermediate");
  auto& im = d.intermediate;
  im.teacher_run = ic.get<std::string>("teacher_run", "");
  im.which = ic.get_choice("which", "best", {"best", "final"});
  im.hidden_weight = ic.get<double>("hidden_weight", 0.0);
  ic.check(im.hidden_weight >= 0, "hidden_weight", "must be >= 0");
  im.attention_weight = ic.get<double>("attention_weight", 0.0);
  ic.check(im.attention_weight >= 0, "attention_weight", "must be >= 0");
  im.layers = ic.get<std::vector<std::vector<int64_t>>>("layers", {});
  for (const auto& p : im.layers)
    ic.check(p.size() == 2, "layers", "must be a list of [student_layer, teacher_layer] pairs");
  d.sentence_weight = c.get<double>("sentence_weight", d.sentence_weight);
  c.check(d.sentence_weight >= 0 && std::isfinite(d.sentence_weight), "sentence_weight",
          "must be >= 0 (weight of the sentence-representation term; 0 = off), got " + std::to_string(d.sentence_weight));
  d.sentence_loss = c.get_choice("sentence_loss", "mse", {"mse", "cosine"}) == "mse" ? SentenceLoss::kMSE
                                                                                     : SentenceLoss::kCosine;
  d.sentence_teacher = c.get<int64_t>("sentence_teacher", d.sentence_teacher);
  c.check(d.sentence_teacher >= -1, "sentence_teacher",
          "must be the 0-based index of a --teacher file, or -1 (the first file with sentence vectors)");
  d.online_teacher = c.get<std::string>("online_teacher", "");
  d.online_teacher_which = c.get_choice("online_teacher_which", "best", {"best", "final"});
  d.online_teacher_data = c.get<std::string>("online_teacher_data", "");
  d.copy_source_weight = c.get<double>("copy_source_weight", d.copy_source_weight);
  c.check(d.copy_source_weight >= 0 && d.copy_source_weight <= 1, "copy_source_weight",
          "must be in [0, 1] (weight of the teacher's outputs on a transfer copy's clean source; 0 = off), got " +
              std::to_string(d.copy_source_weight));
  if (!d.online_teacher_data.empty() && d.online_teacher.empty())
    c.fail("online_teacher_data", "is set but distill.online_teacher is not: name the teacher run directory too");
  if ((im.hidden_weight > 0 || im.attention_weight > 0) && im.teacher_run.empty())
    ic.fail("teacher_run", "is required when hidden_weight or attention_weight is set: the run directory of the "
                           "teacher (trained with kd train on the same dataset)");
  return d;
}

std::vector<uint8_t> choose_gold_rows(const SplitData& split, Task task, int64_t num_labels, double share,
                                      uint64_t seed) {
  const size_t n = split.size();
  std::vector<uint8_t> keep(n, 0);
  std::mt19937_64 rng(seed);
  auto take = [&](std::vector<size_t>& rows) {
    if (rows.empty()) return;
    size_t k = static_cast<size_t>(std::llround(share * static_cast<double>(rows.size())));
    if (share > 0) k = std::max<size_t>(k, 1);
    k = std::min(k, rows.size());
    std::shuffle(rows.begin(), rows.end(), rng);
    for (size_t i = 0; i < k; ++i) keep[rows[i]] = 1;
  };
  if (task == Task::kMultiLabel) {
    std::vector<size_t> rows(n);
    for (size_t i = 0; i < n; ++i) rows[i] = i;
    take(rows);
    (void)num_labels;
    return keep;
  }
  std::map<int32_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < n; ++i)
    if (split.labels[i] >= 0) by_class[split.labels[i]].push_back(i);
  for (auto& [cls, rows] : by_class) take(rows);
  return keep;
}

namespace {

// The learned projections trained and checkpointed with the student (TrainerHooks::
// extra_module): student hidden -> teacher hidden, one per mapped layer pair
// ("proj_<i>", the names intermediate-only checkpoints have always had), and
// student sentence -> teacher sentence ("sentence_proj") when the sentence term is on.
struct DistillProjectionsImpl : torch::nn::Module {
  std::vector<torch::nn::Linear> proj;
  torch::nn::Linear sentence{nullptr};
  void add_hidden(size_t count, int64_t student_hidden, int64_t teacher_hidden) {
    for (size_t i = 0; i < count; ++i)
      proj.push_back(register_module("proj_" + std::to_string(i),
                                     torch::nn::Linear(torch::nn::LinearOptions(student_hidden, teacher_hidden))));
  }
  void add_sentence(int64_t student_dim, int64_t teacher_dim) {
    sentence = register_module("sentence_proj", torch::nn::Linear(torch::nn::LinearOptions(student_dim, teacher_dim)));
  }
};
TORCH_MODULE(DistillProjections);

// The width of the student's ModelOutput::sentence, from one forward pass over a
// [CLS] [SEP] example: every architecture (and a pretrained encoder) reports it the same way.
int64_t student_sentence_dim(ClassifierImpl& model, const DatasetInfo& info, const torch::Device& device) {
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  SplitData probe;
  probe.name = "probe";
  probe.ids = {"probe"};
  probe.input_ids = {static_cast<int32_t>(info.cls_id), static_cast<int32_t>(info.sep_id)};
  probe.offsets = {0, 2};
  if (info.task == Task::kPair) probe.segment_ids = {0, 0};
  if (info.task == Task::kMultiLabel) probe.multi_hot.assign(static_cast<size_t>(L), 0);
  else probe.labels = {-1};
  Batch b = make_batch(probe, info.task, L, info.pad_id, {0}, model.config().max_length).to(device);
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  ModelOutput out = model.forward(b);
  model.train(was_training);
  if (!out.sentence.defined() || out.sentence.dim() != 2)
    throw std::logic_error(model.describe() + ": ModelOutput::sentence is not a [B, D] tensor");
  return out.sentence.size(1);
}

struct DistillState {
  DistillConfig cfg;
  Task task = Task::kSingleLabel;
  std::vector<torch::Tensor> teacher_logits;  // [n_train, L] float, CPU, rows = train split rows
  // Data-parallel: empty above; each batch carries its rows' logits of every teacher
  // side by side in Batch::row_extra [B, n_teachers * L] (read per window by the loader).
  int64_t n_teachers = 0, num_labels = 0;
  torch::Tensor gold;                         // bool [n_train]; undefined = every labelled row
  int64_t total_steps = 1;
  // intermediate
  Classifier teacher;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  DistillProjections projections{nullptr};
  // sentence term: the chosen teacher's vectors [n_train, sentence_dim] (CPU); data-parallel:
  // empty, the vectors follow the teachers' logits in Batch::row_extra.
  torch::Tensor teacher_sentence;
  int64_t sentence_dim = 0;
  // Online distillation: the teacher run, its tokenization of the train split, and for
  // each student train row the teacher split's row with the same example id.
  Classifier online{nullptr};
  SplitData online_split;
  DatasetInfo online_info;
  std::vector<int64_t> online_row;
  // distill.copy_source_weight > 0: each train row's source row (itself unless it is a
  // transfer copy), on the host (online teacher, data-parallel reads) and on the device.
  std::vector<int64_t> source_row;
  torch::Tensor source_index;
};

// The per-teacher weights of the soft target, own outputs first; with
// copy_source_weight w, each teacher again for the source rows: (1 - w) and w of its weight.
std::vector<double> soft_target_weights(const DistillState& S, size_t n_teachers) {
  std::vector<double> base = S.cfg.teacher_weights;
  if (base.empty()) base.assign(n_teachers, 1.0 / static_cast<double>(n_teachers));
  if (S.source_row.empty()) return base;
  const double w = S.cfg.copy_source_weight;
  std::vector<double> out;
  for (double x : base) out.push_back((1 - w) * x);
  for (double x : base) out.push_back(w * x);
  return out;
}

// Host -> device without blocking the host (pinned memory, asynchronous copy), like the StepLoader.
Batch to_device_async(Batch b, const torch::Device& device) {
  if (device.is_cpu()) return b;
  for (torch::Tensor* t : {&b.input_ids, &b.attention_mask, &b.token_type_ids, &b.labels})
    if (t->defined()) *t = t->pin_memory().to(device, /*non_blocking=*/true);
  return b;
}

// The online teacher's output on the rows of a student batch: its own tokenization of
// the same examples, its own max_length, eval mode, no grad (what kd teacher predict computes).
// student_rows: the batch's rows (or their source rows) in the student's train split.
ModelOutput online_teacher_forward(DistillState& S, const std::vector<int64_t>& student_rows,
                                   const torch::Device& device) {
  std::vector<int64_t> rows(student_rows.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = S.online_row[static_cast<size_t>(student_rows[i])];
  Batch tb = to_device_async(make_batch(S.online_split, S.online_info.task, S.num_labels, S.online_info.pad_id, rows,
                                        S.online->config().max_length),
                             device);
  torch::NoGradGuard no_grad;
  return S.online->forward(tb);
}

std::string teacher_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

LossParts distill_loss(DistillState& S, const Batch& b, const ModelOutput& out, int64_t step) {
  const auto device = out.logits.device();
  // The teacher tensors live on the training device (moved there once): indexing them
  // with the loader's device-side row index copies nothing through the host.
  torch::Tensor rows = b.row_index.defined() ? b.row_index : torch::tensor(b.rows, torch::kLong).to(device);
  KdLossInput in;
  in.student_logits = out.logits;
  ModelOutput online, online_source;
  const bool mix = !S.source_row.empty();
  torch::Tensor src_rows;  // whole-split teacher tensors: the batch's source rows, for logits and sentence alike
  // Data-parallel rows carry [own logits of every teacher | own sentence | the same for the source rows].
  const int64_t extra_width = S.n_teachers * S.num_labels + (S.cfg.sentence_weight > 0 ? S.sentence_dim : 0);
  if (S.online) {
    online = online_teacher_forward(S, b.rows, device);
    in.teacher_logits.push_back(online.logits.to(torch::kFloat));
    if (mix) {
      std::vector<int64_t> src(b.rows.size());
      for (size_t i = 0; i < src.size(); ++i) src[i] = S.source_row[static_cast<size_t>(b.rows[i])];
      online_source = online_teacher_forward(S, src, device);
      in.teacher_logits.push_back(online_source.logits.to(torch::kFloat));
    }
  } else if (b.row_extra.defined()) {
    for (int64_t half = 0; half < (mix ? 2 : 1); ++half)
      for (int64_t t = 0; t < S.n_teachers; ++t)
        in.teacher_logits.push_back(b.row_extra.narrow(1, half * extra_width + t * S.num_labels, S.num_labels));
  } else {
    for (const auto& t : S.teacher_logits) in.teacher_logits.push_back(t.index_select(0, rows));
    if (mix) {
      src_rows = S.source_index.index_select(0, rows);
      for (const auto& t : S.teacher_logits) in.teacher_logits.push_back(t.index_select(0, src_rows));
    }
  }
  in.teacher_weights = soft_target_weights(S, S.online ? 1 : static_cast<size_t>(S.n_teachers));
  in.labels = b.labels;
  in.multi_label = S.task == Task::kMultiLabel;
  if (S.gold.defined()) in.labelled = S.gold.index_select(0, rows);
  if (!in.labels.defined()) {  // a split without labels: every row is a transfer row
    in.labels = torch::full({b.size()}, -1, torch::TensorOptions().dtype(torch::kLong).device(device));
    if (in.multi_label) in.labels = torch::zeros_like(out.logits);
    in.labelled = torch::zeros({b.size()}, torch::TensorOptions().dtype(torch::kBool).device(device));
  }
  KdLossOptions opt;
  opt.alpha = linear_schedule(S.cfg.alpha, S.cfg.alpha_end, step, S.total_steps);
  opt.temperature = linear_schedule(S.cfg.temperature, S.cfg.temperature_end, step, S.total_steps);
  opt.soft = S.cfg.loss;
  opt.label_smoothing = S.cfg.label_smoothing;
  KdLossTerms v = kd_loss_terms(in, opt);
  LossParts lp;
  lp.total = v.total;
  // Logged values stay on the device: the trainer sums them there and reads them at logging steps.
  std::vector<std::string> names{"kd", "ce"};
  std::vector<torch::Tensor> values{v.soft, v.hard};

  if (S.teacher) {
    const auto& im = S.cfg.intermediate;
    ModelOutput t;
    {
      torch::NoGradGuard no_grad;
      t = S.teacher->forward(b, im.attention_weight > 0);
    }
    torch::Tensor hid = torch::zeros({}, out.logits.options().dtype(torch::kFloat));
    torch::Tensor att = torch::zeros({}, out.logits.options().dtype(torch::kFloat));
    for (size_t i = 0; i < S.pairs.size(); ++i) {
      const auto [sl, tl] = S.pairs[i];
      if (im.hidden_weight > 0)
        hid = hid + hidden_mse(out.hidden_states.at(static_cast<size_t>(sl)),
                               t.hidden_states.at(static_cast<size_t>(tl)), S.projections->proj[i], b.attention_mask);
      if (im.attention_weight > 0 && sl > 0 && tl > 0)
        att = att + attention_kl(out.attention_probs.at(static_cast<size_t>(sl - 1)),
                                 t.attention_probs.at(static_cast<size_t>(tl - 1)), b.attention_mask);
    }
    lp.total = lp.total + im.hidden_weight * hid + im.attention_weight * att;
    if (im.hidden_weight > 0) names.push_back("hidden_mse"), values.push_back(hid.detach());
    if (im.attention_weight > 0) names.push_back("attention_kl"), values.push_back(att.detach());
  }
  if (S.cfg.sentence_weight > 0) {
    // Every row of the batch, labelled and transfer rows alike.
    torch::Tensor ts = S.online                 ? online.sentence
                       : b.row_extra.defined() ? b.row_extra.narrow(1, S.n_teachers * S.num_labels, S.sentence_dim)
                                               : S.teacher_sentence.index_select(0, rows);
    if (mix) {
      const double w = S.cfg.copy_source_weight;
      torch::Tensor src_ts =
          S.online ? online_source.sentence
          : b.row_extra.defined()
              ? b.row_extra.narrow(1, extra_width + S.n_teachers * S.num_labels, S.sentence_dim)
              : S.teacher_sentence.index_select(0, src_rows);
      ts = (1 - w) * ts + w * src_ts;
    }
    torch::Tensor sent = sentence_loss(out.sentence, ts, S.projections->sentence, S.cfg.sentence_loss);
    lp.total = lp.total + S.cfg.sentence_weight * sent;
    names.push_back(S.cfg.sentence_loss == SentenceLoss::kMSE ? "sentence_mse" : "sentence_cosine");
    values.push_back(sent.detach());
  }
  for (size_t i = 0; i < names.size(); ++i) lp.parts.push_back({names[i], values[i].to(torch::kFloat).reshape({})});
  // Host values stay on the host (float64: summed exactly as before).
  if (S.cfg.alpha != S.cfg.alpha_end) lp.parts.push_back({"alpha", torch::scalar_tensor(opt.alpha, torch::kFloat64)});
  if (S.cfg.temperature != S.cfg.temperature_end)
    lp.parts.push_back({"temperature", torch::scalar_tensor(opt.temperature, torch::kFloat64)});
  return lp;
}

}  // namespace

int run_distill(DistillRequest req) {
  RunRequest& run = req.run;
  run.command = "distill";
  const std::string record_path = run.out_dir + "/distill.json";
  nlohmann::json recorded;
  if (run.resume && file_exists(record_path)) recorded = nlohmann::json::parse(read_file(record_path));
  if (req.teachers.empty() && run.resume && recorded.contains("teachers"))
    for (const auto& t : recorded["teachers"]) req.teachers.push_back(t.at("path").get<std::string>());
  if (!req.teacher_weights.empty()) {
    if (req.teacher_weights.size() != req.teachers.size())
      throw UserError("--teacher-weight given " + std::to_string(req.teacher_weights.size()) + " times for " +
                      std::to_string(req.teachers.size()) + " --teacher files: give one weight per teacher");
    std::string list;
    for (double w : req.teacher_weights) list += (list.empty() ? "" : ",") + std::to_string(w);
    run.overrides.push_back("distill.teacher_weights=[" + list + "]");
  }
  std::string data_path = run.data_path;
  if (data_path.empty() && run.resume && file_exists(run.out_dir + "/dataset.json"))
    data_path = nlohmann::json::parse(read_file(run.out_dir + "/dataset.json")).value("path", "");

  HooksFactory factory = [&](const RunContext& ctx) -> TrainerHooks {
    auto S = std::make_shared<DistillState>();
    TrainConfig tc = TrainConfig::from_config(ctx.config.child("train"));
    S->cfg = DistillConfig::from_config(ctx.config.child("distill"), tc.label_smoothing);
    S->task = ctx.info.task;
    const int64_t L = static_cast<int64_t>(ctx.info.label_names.size());
    if (!S->cfg.teacher_weights.empty() && S->cfg.teacher_weights.size() != req.teachers.size())
      throw UserError(ctx.config.source() + ": distill.teacher_weights has " +
                      std::to_string(S->cfg.teacher_weights.size()) + " entries for " +
                      std::to_string(req.teachers.size()) + " teacher files (" + teacher_list(req.teachers) + ")");
    // Data-parallel runs read the split row by row: then only its ids and labels are
    // loaded here, and each rank reads its own rows' teacher logits per window.
    const bool sharded = ctx.train_reader != nullptr;
    const bool online = !S->cfg.online_teacher.empty();
    if (online && !req.teachers.empty())
      throw UserError("--teacher " + teacher_list(req.teachers) + " and distill.online_teacher (" +
                      S->cfg.online_teacher + ") are both given: distil from teacher files or from a teacher run "
                      "evaluated every step, not both");
    if (!online && req.teachers.empty())
      throw UserError("--teacher is required: a teacher file (kd teacher predict, scripts/teacher_from_hf.py, "
                      "scripts/teacher_from_llm.py); repeat it for several teachers; or set "
                      "distill.online_teacher: RUN to run a teacher every step");
    if (online && sharded)
      throw UserError("distill.online_teacher is not supported in data-parallel runs (--nproc / torchrun) yet: "
                      "predict a teacher file with kd teacher predict and pass it with --teacher");
    SplitData index_only;
    if (sharded) index_only = read_split_labels(data_path, ctx.train_reader->split());
    const SplitData& train = sharded ? index_only : ctx.train;
    S->n_teachers = static_cast<int64_t>(req.teachers.size());
    S->num_labels = L;
    std::vector<std::shared_ptr<TeacherRowReader>> row_readers;
    // Teacher files: the same check as `kd teacher check`, then aligned to the train rows by id.
    nlohmann::json teachers = nlohmann::json::array();
    for (size_t j = 0; j < req.teachers.size(); ++j) {
      const std::string& path = req.teachers[j];
      check_teacher_file(path, data_path, {train.name});
      TeacherInfo ti = read_teacher_info(path);
      const bool same_file = teacher_dataset_relation(ti, ctx.info) == TeacherDataset::kSameFile;
      if (!same_file)
        std::cerr << "teacher file " << path << " computed on dataset "
                  << (ti.dataset_path.empty() ? "content " + ti.dataset_sha256 : ti.dataset_path)
                  << " with another tokenizer; rows aligned by id" << std::endl;
      if (sharded) {
        row_readers.push_back(std::make_shared<TeacherRowReader>(path, train.name, train.ids));
      } else {
        TeacherSplit ts = read_teacher_split(path, train.name);
        std::vector<float> z = aligned_teacher_logits(path, ti, ts, train.ids);
        S->teacher_logits.push_back(
            torch::from_blob(z.data(), {static_cast<int64_t>(train.size()), L}, torch::kFloat).clone());
      }
      const std::string sha = sha256_file(path);
      if (run.resume && recorded.contains("teachers") && j < recorded["teachers"].size() &&
          recorded["teachers"][j].value("sha256", "") != sha)
        throw UserError(path + " changed since this run started (sha256 " + sha + ", the run used " +
                        recorded["teachers"][j].value("sha256", "") + "): resuming would mix two teachers; "
                        "start a new run");
      teachers.push_back({{"path", fs::absolute(path).string()}, {"sha256", sha}, {"source", ti.source},
                          {"teacher_run_id", ti.teacher_run_id}, {"kind", ti.kind}, {"param_count", ti.param_count},
                          {"dataset", same_file ? "this dataset" : "same texts, another tokenizer"},
                          {"sentence_dim", ti.sentence_dim},
                          {"weight", S->cfg.teacher_weights.empty() ? 1.0 / static_cast<double>(req.teachers.size())
                                                                    : S->cfg.teacher_weights[j]}});
      // The teacher's accuracy on the train rows: a quick sanity line in the log.
      if (!sharded && ctx.info.task != Task::kMultiLabel) {
        auto pred = S->teacher_logits.back().argmax(1);
        int64_t n = 0, ok = 0;
        for (size_t i = 0; i < train.size(); ++i)
          if (train.labels[i] >= 0) {
            ++n;
            ok += pred[static_cast<int64_t>(i)].item<int64_t>() == train.labels[i];
          }
        if (n)
          std::cerr << "teacher " << path << " (" << ti.source << ", " << ti.kind << "): accuracy on "
                    << train.name << " " << static_cast<double>(ok) / static_cast<double>(n) << std::endl;
      }
    }

    // Gold-label share: hide the labels of a seeded stratified subset (they become transfer rows).
    nlohmann::json gold = {{"gold_label_share", S->cfg.gold_label_share}, {"gold_label_seed", S->cfg.gold_label_seed}};
    if (S->cfg.gold_label_share < 1.0) {
      auto keep = choose_gold_rows(train, ctx.info.task, L, S->cfg.gold_label_share, S->cfg.gold_label_seed);
      S->gold = torch::zeros({static_cast<int64_t>(keep.size())}, torch::kBool);
      std::vector<std::string> kept;
      for (size_t i = 0; i < keep.size(); ++i)
        if (keep[i]) {
          S->gold[static_cast<int64_t>(i)] = true;
          kept.push_back(train.ids[i]);
        }
      gold["labelled_rows"] = kept.size();
      gold["transfer_rows"] = keep.size() - kept.size();
      gold["labelled_ids"] = kept;
      std::cerr << "gold-label share " << S->cfg.gold_label_share << ": " << kept.size() << " of " << keep.size()
                << " train rows keep their gold label (ids in " << run.out_dir << "/gold_labels.json)" << std::endl;
    }

    // Transfer copies: the teacher's outputs on their clean sources join their own.
    nlohmann::json copies_rec = {{"copy_source_weight", S->cfg.copy_source_weight}};
    if (S->cfg.copy_source_weight > 0) {
      CopySources cs = find_copy_sources(train.ids);
      const std::string where = data_path + " split " + train.name;
      if (cs.orphans > 0)
        throw UserError(where + ": " + std::to_string(cs.orphans) + " rows have a transfer-copy id whose source row "
                        "is not in the split (first: '" + cs.orphan_example + "'): distill.copy_source_weight needs "
                        "each copy's source; augment the full split again, or set distill.copy_source_weight=0");
      if (cs.copies == 0)
        throw UserError(where + " has no transfer copies (ids '<id>~noise<k>' or '<id>~aug<k>' from kd data augment): "
                        "distill.copy_source_weight " + std::to_string(S->cfg.copy_source_weight) +
                        " has nothing to act on; make copies with kd data augment, or set distill.copy_source_weight=0");
      S->source_row = std::move(cs.source);
      S->source_index = torch::tensor(S->source_row, torch::kLong);
      copies_rec["copies"] = cs.copies;
      std::cerr << "transfer copies: " << cs.copies << " of " << train.size() << " train rows are copies; their soft "
                << "target is " << S->cfg.copy_source_weight << " x the teacher on the clean source + "
                << 1 - S->cfg.copy_source_weight << " x the teacher on the copy" << std::endl;
    }

    // Schedule length: the trainer's optimizer steps.
    {
      SamplerOptions so;
      so.batch_size = tc.batch_size;
      std::vector<int64_t> lens(train.size(), 1);
      const int64_t bpe = BatchSampler(lens, so, 0).batches_per_epoch();
      const int64_t spe = std::max<int64_t>(1, (bpe + tc.grad_accum - 1) / tc.grad_accum);
      S->total_steps = tc.max_steps > 0 ? tc.max_steps : tc.epochs * spe;
    }

    // Online teacher: the run, its tokenization of the same texts, rows aligned by id.
    nlohmann::json online_rec;
    if (online) {
      const auto& od = S->cfg;
      const std::string tdata = od.online_teacher_data.empty() ? data_path : od.online_teacher_data;
      // Building the teacher draws its initial weights from the global generator: restore
      // it, so the student trains with the same random stream as from a teacher file.
      auto gen = at::detail::getDefaultCPUGenerator();
      const at::Tensor rng = gen.get_state();
      LoadedRun tr = load_run(od.online_teacher, od.online_teacher_which);
      gen.set_state(rng);
      if (tr.info.task != ctx.info.task || tr.info.label_names != ctx.info.label_names)
        throw UserError(od.online_teacher + " was trained for other labels or another task than " + data_path +
                        ": distill.online_teacher must be a teacher of this dataset's labels, in the same order");
      if (!file_exists(tdata)) throw UserError("distill.online_teacher_data: " + tdata + " does not exist");
      S->online_info = read_dataset_info(tdata);
      if (tr.info.tokenizer_sha256 != S->online_info.tokenizer_sha256 ||
          tr.info.vocab_size != S->online_info.vocab_size)
        throw UserError(od.online_teacher + " was trained with another tokenizer (sha256 " + tr.info.tokenizer_sha256 +
                        ", vocab " + std::to_string(tr.info.vocab_size) + ") than " + tdata + " (sha256 " +
                        S->online_info.tokenizer_sha256 + ", vocab " + std::to_string(S->online_info.vocab_size) +
                        "): set distill.online_teacher_data to the teacher's tokenization of the same texts "
                        "(kd data prepare with the teacher's dataset config)");
      if (S->online_info.content_sha256 != ctx.info.content_sha256) {
        // Another file: it must hold the same texts (the text checksum, as for teacher files).
        auto split_sha = [&](const DatasetInfo& i) {
          auto it = i.split_text_sha256.find(train.name);
          return it == i.split_text_sha256.end() ? std::string() : it->second;
        };
        const std::string a = split_sha(ctx.info), b = split_sha(S->online_info);
        const bool same = !a.empty() && !b.empty() ? a == b
                                                   : !ctx.info.text_sha256.empty() && ctx.info.text_sha256 == S->online_info.text_sha256;
        if (!same)
          throw UserError("distill.online_teacher_data: " + tdata + " does not hold the same texts as " + data_path +
                          " in split '" + train.name + "' (text_sha256 " + (b.empty() ? S->online_info.text_sha256 : b) +
                          ", the student's " + (a.empty() ? ctx.info.text_sha256 : a) +
                          "): prepare both from the same source files (docs/teacher-files.md)");
      }
      S->online_split = read_split(tdata, train.name);
      std::unordered_map<std::string, int64_t> by_id;
      for (size_t i = 0; i < S->online_split.ids.size(); ++i) by_id.emplace(S->online_split.ids[i], static_cast<int64_t>(i));
      S->online_row.resize(train.size());
      for (size_t i = 0; i < train.size(); ++i) {
        auto it = by_id.find(train.ids[i]);
        if (it == by_id.end())
          throw UserError("distill.online_teacher_data: " + tdata + " split '" + train.name + "' has no example '" +
                          train.ids[i] + "' of " + data_path);
        S->online_row[i] = it->second;
      }
      tr.model->to(ctx.device);
      tr.model->eval();
      for (auto& p : tr.model->parameters()) p.set_requires_grad(false);
      S->online = tr.model;
      online_rec = {{"run_dir", fs::absolute(od.online_teacher).string()}, {"run_id", tr.run_id},
                    {"weights", od.online_teacher_which}, {"checkpoint_sha256", tr.weights_sha256},
                    {"data", fs::absolute(tdata).string()}, {"param_count", tr.model->num_parameters()}};
      if (run.resume && recorded.contains("online_teacher") &&
          recorded["online_teacher"].value("checkpoint_sha256", "") != tr.weights_sha256)
        throw UserError(od.online_teacher + ": its " + od.online_teacher_which + " weights changed since this run "
                        "started (sha256 " + tr.weights_sha256 + "): resuming would mix two teachers; start a new run");
      std::cerr << "online teacher " << tr.run_id << " (" << tr.model->describe() << ", " << tr.model->num_parameters()
                << " parameters) run every step on " << tdata << std::endl;
      if (S->cfg.sentence_weight > 0) S->sentence_dim = student_sentence_dim(*S->online, S->online_info, ctx.device);
    }

    // Sentence term: one teacher file's sentence vectors, aligned like its logits.
    int64_t sentence_teacher = -1;
    if (S->cfg.sentence_weight > 0 && !online) {
      const int64_t k = S->cfg.sentence_teacher;
      if (k >= static_cast<int64_t>(req.teachers.size()))
        throw UserError(ctx.config.source() + ": distill.sentence_teacher is " + std::to_string(k) + " but there are " +
                        std::to_string(req.teachers.size()) + " --teacher files (0-based index, -1 = the first " +
                        "file with sentence vectors)");
      for (size_t j = 0; j < req.teachers.size() && sentence_teacher < 0; ++j)
        if ((k < 0 || static_cast<size_t>(k) == j) && read_teacher_info(req.teachers[j]).sentence_dim > 0)
          sentence_teacher = static_cast<int64_t>(j);
      if (sentence_teacher < 0)
        throw UserError("distill.sentence_weight is " + std::to_string(S->cfg.sentence_weight) + " but " +
                        (k < 0 ? "no teacher file (" + teacher_list(req.teachers) + ") stores"
                               : "the teacher file " + req.teachers[static_cast<size_t>(k)] + " stores no") +
                        " sentence vectors: predict it with `kd teacher predict --sentence` (one --run), or "
                        "scripts/teacher_from_hf.py --sentence; or set distill.sentence_weight=0");
      const std::string& path = req.teachers[static_cast<size_t>(sentence_teacher)];
      if (sharded) {
        S->sentence_dim = row_readers[static_cast<size_t>(sentence_teacher)]->sentence_dim();
      } else {
        std::vector<float> v = aligned_teacher_sentences(path, train.name, train.ids);
        S->sentence_dim = read_teacher_info(path).sentence_dim;
        S->teacher_sentence =
            torch::from_blob(v.data(), {static_cast<int64_t>(train.size()), S->sentence_dim}, torch::kFloat).clone();
      }
      teachers[static_cast<size_t>(sentence_teacher)]["sentence_term"] = true;
    }

    TrainerHooks hooks;
    if (sharded) {
      std::shared_ptr<TeacherRowReader> sentence_reader =
          sentence_teacher >= 0 ? row_readers[static_cast<size_t>(sentence_teacher)] : nullptr;
      // [B, n_teachers * L (+ sentence_dim)]: the logits of every teacher, then the sentence vectors.
      // With copy_source_weight, the same again for the rows' source rows.
      std::vector<int64_t> source_row = S->source_row;
      hooks.row_extra = [row_readers, sentence_reader, L, source_row](const std::vector<int64_t>& rows) {
        const int64_t n = static_cast<int64_t>(rows.size()), T = static_cast<int64_t>(row_readers.size());
        const int64_t D = sentence_reader ? sentence_reader->sentence_dim() : 0, W = T * L + D;
        const bool mix = !source_row.empty();
        torch::Tensor out = torch::empty({n, mix ? 2 * W : W}, torch::kFloat);
        std::vector<int64_t> src;
        if (mix)
          for (int64_t r : rows) src.push_back(source_row[static_cast<size_t>(r)]);
        for (int64_t half = 0; half < (mix ? 2 : 1); ++half) {
          const std::vector<int64_t>& want = half ? src : rows;
          for (int64_t t = 0; t < T; ++t) {
            std::vector<float> z = row_readers[static_cast<size_t>(t)]->read(want);
            out.narrow(1, half * W + t * L, L).copy_(torch::from_blob(z.data(), {n, L}, torch::kFloat));
          }
          if (D) {
            std::vector<float> v = sentence_reader->read_sentences(want);
            out.narrow(1, half * W + T * L, D).copy_(torch::from_blob(v.data(), {n, D}, torch::kFloat));
          }
        }
        return out;
      };
    }
    const auto& im = S->cfg.intermediate;
    if (im.enabled()) {
      if (ctx.model->config().architecture != "transformer")
        throw UserError(ctx.config.source() + ": distill.intermediate needs a transformer student (this one is " +
                        ctx.model->config().architecture + ")");
      LoadedRun tr = load_run(im.teacher_run, im.which);
      if (tr.model_config.architecture != "transformer")
        throw UserError(im.teacher_run + ": distill.intermediate.teacher_run must be a transformer run");
      // Hidden states and attention maps are compared token by token: the teacher must read
      // the very token ids the student reads (a teacher file from another tokenizer is fine
      // for the logit and sentence terms, not for these).
      if (tr.info.tokenizer_sha256 != ctx.info.tokenizer_sha256 || tr.info.vocab_size != ctx.info.vocab_size ||
          tr.info.pad_id != ctx.info.pad_id || tr.info.cls_id != ctx.info.cls_id)
        throw UserError(im.teacher_run + " was trained with another tokenizer (sha256 " + tr.info.tokenizer_sha256 +
                        ", vocab " + std::to_string(tr.info.vocab_size) + ") than " + data_path + " (sha256 " +
                        ctx.info.tokenizer_sha256 + ", vocab " + std::to_string(ctx.info.vocab_size) +
                        "): distill.intermediate (hidden_weight, attention_weight) compares token positions, which "
                        "differ between tokenizers; use distill.sentence_weight instead (one vector per example, "
                        "any tokenizer), or a teacher trained on this dataset's tokenizer");
      if (tr.info.label_names != ctx.info.label_names)
        throw UserError(im.teacher_run + " was trained with other labels than " + data_path +
                        ": distill.intermediate.teacher_run must be a teacher of this dataset's labels");
      if (tr.model_config.max_length < ctx.model->config().max_length)
        throw UserError(im.teacher_run + ": the teacher's max_length " + std::to_string(tr.model_config.max_length) +
                        " is shorter than the student's " + std::to_string(ctx.model->config().max_length));
      const int64_t Ls = ctx.model->config().layers, Lt = tr.model_config.layers;
      if (im.layers.empty()) {
        for (int64_t i = 1; i <= Ls; ++i) S->pairs.push_back({i, std::max<int64_t>(1, i * Lt / Ls)});
      } else {
        for (const auto& p : im.layers) {
          if (p[0] < 0 || p[0] > Ls || p[1] < 0 || p[1] > Lt)
            throw UserError(ctx.config.source() + ": distill.intermediate.layers pair [" + std::to_string(p[0]) + ", " +
                            std::to_string(p[1]) + "] is out of range (student layers 0.." + std::to_string(Ls) +
                            ", teacher layers 0.." + std::to_string(Lt) + "; 0 = embeddings)");
          S->pairs.push_back({p[0], p[1]});
        }
      }
      tr.model->to(ctx.device);
      tr.model->eval();
      for (auto& p : tr.model->parameters()) p.set_requires_grad(false);
      S->teacher = tr.model;
      S->projections = DistillProjections();
      S->projections->add_hidden(S->pairs.size(), ctx.model->config().hidden, tr.model_config.hidden);
      hooks.want_attentions = im.attention_weight > 0;
      std::string map;
      for (const auto& [a, b] : S->pairs) map += " " + std::to_string(a) + "->" + std::to_string(b);
      std::cerr << "intermediate distillation from " << im.teacher_run << " (layers student->teacher:" << map
                << "; hidden_weight " << im.hidden_weight << ", attention_weight " << im.attention_weight << ")"
                << std::endl;
    }
    if (S->cfg.sentence_weight > 0) {
      const int64_t ds = student_sentence_dim(*ctx.model, ctx.info, ctx.device);
      if (!S->projections) S->projections = DistillProjections();
      S->projections->add_sentence(ds, S->sentence_dim);
      std::cerr << "sentence distillation from "
                << (online ? S->cfg.online_teacher : req.teachers[static_cast<size_t>(sentence_teacher)])
                << " (student " << ds << " -> teacher " << S->sentence_dim << " through a learned projection; "
                << (S->cfg.sentence_loss == SentenceLoss::kMSE ? "mse" : "cosine") << ", sentence_weight "
                << S->cfg.sentence_weight << ")" << std::endl;
    }
    if (S->projections) {
      S->projections->to(ctx.device);  // trained and checkpointed with the student
      hooks.extra_module = S->projections.ptr();
    }
    // The per-row teacher values go to the training device once (a few MB for these
    // datasets), so a step indexes them there instead of copying rows from the host.
    for (auto& t : S->teacher_logits) t = t.to(ctx.device);
    if (S->gold.defined()) S->gold = S->gold.to(ctx.device);
    if (S->teacher_sentence.defined()) S->teacher_sentence = S->teacher_sentence.to(ctx.device);
    if (S->source_index.defined()) S->source_index = S->source_index.to(ctx.device);
    hooks.loss = [S](const Batch& b, const ModelOutput& out, int64_t step) { return distill_loss(*S, b, out, step); };

    nlohmann::json rec = {{"teachers", teachers}, {"dataset", fs::absolute(data_path).string()},
                          {"train_split", train.name},
                          {"teacher_logits", online ? "online" : sharded ? "per rank, per window" : "whole split"}};
    if (online) rec["online_teacher"] = online_rec;
    rec["transfer_copies"] = copies_rec;
    write_file_atomic(run.out_dir + "/distill.json", rec.dump(2) + "\n");
    write_file_atomic(run.out_dir + "/gold_labels.json", gold.dump(1) + "\n");
    return hooks;
  };
  return run_training(run, factory);
}

}  // namespace zl
