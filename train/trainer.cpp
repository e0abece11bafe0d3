#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <iomanip>
#include <sstream>

#include "atomic_file.h"
#include "autocast.h"
#include "checkpoint.h"
#include "distributed.h"
#include "metrics_log.h"
#include "progress.h"
#include "run_dir.h"
#include "signals.h"
#include "step_loader.h"

namespace zl {

namespace {
constexpr const char* kCheckpointFormat = "zhengliu.checkpoint";
constexpr int64_t kCheckpointVersion = 1;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool higher_is_better(const std::string& metric) { return metric != "loss"; }

double pick(const DevMetrics& m, const std::string& metric) {
  if (metric == "loss") return m.loss;
  if (metric == "macro_f1") return m.macro_f1;
  return m.accuracy;
}
}  // namespace

struct Trainer::State {
  TrainerSetup setup;
  std::unique_ptr<StepLoader> loader;  // this rank's micro-batches, prefetched (step_loader.h)
  std::shared_ptr<dist::ProcessGroup> pg;  // world size 1 when not data-parallel
  std::unique_ptr<dist::GradReducer> reducer;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::vector<torch::Tensor> params;  // everything trained (model + extra module)
  std::vector<double> group_base_lr;  // per optimizer param group: its lr before the schedule (layer_lr_decay)
  LossFn loss;
  int64_t steps_per_epoch = 0, total_steps = 0, warmup_steps = 0, eval_every = 0;
  int64_t step = 0;
  double best = std::nan("");
  int64_t best_step = -1;
  int64_t bad_evals = 0;
  MetricsLog log;
  int64_t resumed_log_size = -1;

  std::string path(const std::string& name) const { return setup.run_dir + "/" + name; }

  // Everything of a checkpoint after its header (Trainer::resume checks that first).
  void load_state(torch::serialize::InputArchive& a);

  void save_checkpoint() {
    if (!pg->is_main()) return;  // data-parallel: rank 0 writes, the replicas are identical
    save_archive_atomic(path("checkpoint.pt"), [&](torch::serialize::OutputArchive& a) {
      write_string(a, "format", kCheckpointFormat);
      write_int(a, "version", kCheckpointVersion);
      write_string(a, "config_hash", setup.config_hash);
      torch::serialize::OutputArchive m;
      setup.model->save(m);
      a.write("model", m);
      if (setup.hooks.extra_module) {
        torch::serialize::OutputArchive e;
        setup.hooks.extra_module->save(e);
        a.write("extra_module", e);
      }
      torch::serialize::OutputArchive o;
      optimizer->save(o);
      a.write("optimizer", o);
      if (setup.hooks.save_extra) {
        torch::serialize::OutputArchive x;
        setup.hooks.save_extra(x);
        a.write("extra", x);
      }
      write_int(a, "step", step);
      auto pos = loader->position();
      write_int(a, "epoch", pos.epoch);
      write_int(a, "batch", pos.batch);
      write_double(a, "best", best);
      write_int(a, "best_step", best_step);
      write_int(a, "bad_evals", bad_evals);
      write_int(a, "metrics_bytes", log.size());
      save_rng_state(a);
    });
  }
};

Trainer::Trainer(TrainerSetup setup) : s_(std::make_unique<State>()) {
  s_->setup = std::move(setup);
  auto& S = *s_;
  const auto& cfg = S.setup.cfg;
  TORCH_CHECK(S.setup.model && (S.setup.train || S.setup.train_reader), "Trainer needs a model and a train split");
  SamplerOptions so;
  so.batch_size = cfg.batch_size;
  so.bucket = cfg.bucket;
  so.pool_batches = cfg.pool_batches;
  S.pg = S.setup.process_group ? S.setup.process_group : dist::ProcessGroup::single();
  StepLoaderOptions lo;
  lo.sampler = so;
  lo.seed = cfg.seed;
  lo.grad_accum = cfg.grad_accum;
  lo.max_length = S.setup.model->config().max_length;
  lo.rank = S.pg->rank();
  lo.world_size = S.pg->world_size();
  lo.device = S.setup.device;
  lo.row_extra = S.setup.hooks.row_extra;
  S.loader = S.setup.train_reader ? std::make_unique<StepLoader>(S.setup.train_reader, lo)
                                  : std::make_unique<StepLoader>(*S.setup.train, S.setup.info, lo);
  S.steps_per_epoch = S.loader->steps_per_epoch();
  S.total_steps = cfg.max_steps > 0 ? cfg.max_steps : cfg.epochs * S.steps_per_epoch;
  S.warmup_steps = cfg.warmup_steps > 0 ? cfg.warmup_steps
                                        : static_cast<int64_t>(std::llround(cfg.warmup_ratio * static_cast<double>(S.total_steps)));
  S.eval_every = cfg.eval_every > 0 ? cfg.eval_every : S.steps_per_epoch;
  S.loss = S.setup.hooks.loss ? S.setup.hooks.loss : default_loss(S.setup.info.task, cfg.label_smoothing);

  // AdamW with decoupled weight decay on weight matrices and embeddings only:
  // biases and LayerNorm parameters (1-D) are not decayed. Without layer-wise lr
  // decay that is two groups (decay, no decay); with it, two per depth, each with
  // its own base lr (the schedule scales every group's base lr). Empty groups are
  // left out, so the group list is a pure function of model and config (resume).
  auto& model = *S.setup.model;
  if (cfg.freeze_embeddings)
    for (auto& kv : model.named_parameters())
      if (kv.key().rfind("embeddings.", 0) == 0) kv.value().set_requires_grad(false);
  const bool llrd = cfg.layer_lr_decay != 1.0;
  const bool head_lr = cfg.head_lr_multiplier != 1.0;
  const int64_t top = model.top_depth();
  // One group pair per depth with llrd; with only a head multiplier, two depths:
  // everything below the top (index 0) and the top (index 1).
  const int64_t n_depths = llrd ? top + 1 : (head_lr ? 2 : 1);
  std::vector<std::vector<torch::Tensor>> decay(static_cast<size_t>(n_depths)), no_decay(static_cast<size_t>(n_depths));
  auto add = [&](const torch::Tensor& p, int64_t depth) {
    if (!p.requires_grad()) return;
    const auto d = static_cast<size_t>(llrd ? std::clamp<int64_t>(depth, 0, top) : (head_lr && depth >= top ? 1 : 0));
    (p.dim() >= 2 ? decay : no_decay)[d].push_back(p);
    S.params.push_back(p);
  };
  for (auto& kv : model.named_parameters()) add(kv.value(), model.parameter_depth(kv.key()));
  // Extra modules (kd distill's projections) sit above the encoder: depth top, full lr.
  if (S.setup.hooks.extra_module)
    for (auto& kv : S.setup.hooks.extra_module->named_parameters()) add(kv.value(), top);
  auto base = torch::optim::AdamWOptions(cfg.lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps).weight_decay(cfg.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (int64_t d = 0; d < n_depths; ++d) {
    const bool is_top = llrd ? d == top : (head_lr && d == 1);
    const double lr = (llrd ? cfg.lr * std::pow(cfg.layer_lr_decay, static_cast<double>(top - d)) : cfg.lr) *
                      (is_top ? cfg.head_lr_multiplier : 1.0);
    for (bool decayed : {true, false}) {
      auto& ps = (decayed ? decay : no_decay)[static_cast<size_t>(d)];
      if (ps.empty() && (llrd || head_lr)) continue;
      auto o = torch::optim::AdamWOptions(lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps).weight_decay(decayed ? cfg.weight_decay : 0.0);
      groups.emplace_back(ps, std::make_unique<torch::optim::AdamWOptions>(o));
      S.group_base_lr.push_back(lr);
    }
  }
  S.optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), base);
  // Data-parallel: identical replicas from rank 0, then gradients averaged in buckets.
  dist::broadcast_module(*S.pg, *S.setup.model);
  if (S.setup.hooks.extra_module) dist::broadcast_module(*S.pg, *S.setup.hooks.extra_module);
  S.reducer = std::make_unique<dist::GradReducer>(S.pg, S.params);
}

Trainer::~Trainer() = default;

int64_t Trainer::step() const { return s_->step; }
double Trainer::best_metric() const { return s_->best; }
int64_t Trainer::best_step() const { return s_->best_step; }

void Trainer::resume() {
  auto& S = *s_;
  const std::string p = S.path("checkpoint.pt");
  if (!file_exists(p))
    throw UserError(p + " does not exist: there is nothing to resume (start without --resume, or check --out)");
  torch::serialize::InputArchive a;
  load_archive(p, a);
  // A malformed archive raises c10::Error (a LibTorch message with a stack trace)
  // or a UserError about one entry: each becomes one UserError naming the file.
  try {
    if (read_string(a, "format") != kCheckpointFormat) throw UserError(p + " is not a Zhengliu training checkpoint");
    if (read_int(a, "version") != kCheckpointVersion)
      throw UserError(p + " has checkpoint version " + std::to_string(read_int(a, "version")) +
                      "; this build reads " + std::to_string(kCheckpointVersion) +
                      ": resume it with the Zhengliu version that wrote it, or start a new --out");
    const std::string h = read_string(a, "config_hash");
    if (h != S.setup.config_hash)
      throw UserError(p + " was written for a different model/data/training config (config hash " + h.substr(0, 12) +
                      ", now " + S.setup.config_hash.substr(0, 12) +
                      "): resume with the run's own config.yaml (omit --model/--config), or start a new --out");
    S.load_state(a);
  } catch (const UserError& e) {
    if (std::string(e.what()).find(p) != std::string::npos) throw;
    throw UserError(p + ": " + e.what() + "; start a new --out (or remove the run directory and train again)");
  } catch (const c10::Error& e) {
    throw UserError(p + " cannot be resumed: its training state does not fit this run (" +
                    std::string(e.what_without_backtrace()).substr(0, 300) +
                    "); the file is damaged or was written for another model: start a new --out (or remove the run "
                    "directory and train again)");
  }
}

void Trainer::State::load_state(torch::serialize::InputArchive& a) {
  auto& S = *this;
  const std::string p = S.path("checkpoint.pt");
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& kv : S.setup.model->named_parameters()) shapes.emplace_back(kv.key(), kv.value().sizes().vec());
  torch::serialize::InputArchive m;
  a.read("model", m);
  S.setup.model->load(m);
  // Module::load swaps tensors wholesale: a file of another shape would load silently.
  auto after = S.setup.model->named_parameters();
  for (const auto& [name, sizes] : shapes)
    if (after[name].sizes().vec() != sizes)
      throw UserError(p + " holds weights of another shape: " + name + " is " + c10::str(after[name].sizes()) +
                      " in the file, " + c10::str(c10::IntArrayRef(sizes)) +
                      " in the model built from the config: resume with the run's own config, or start a new --out");
  if (S.setup.hooks.extra_module) {
    torch::serialize::InputArchive e;
    a.read("extra_module", e);
    S.setup.hooks.extra_module->load(e);
  }
  torch::serialize::InputArchive o;
  a.read("optimizer", o);
  S.optimizer->load(o);
  if (S.setup.hooks.load_extra) {
    torch::serialize::InputArchive x;
    a.read("extra", x);
    S.setup.hooks.load_extra(x);
  }
  S.step = read_int(a, "step");
  S.loader->set_position({read_int(a, "epoch"), read_int(a, "batch")});
  S.best = read_double(a, "best");
  S.best_step = read_int(a, "best_step");
  S.bad_evals = read_int(a, "bad_evals");
  S.resumed_log_size = read_int(a, "metrics_bytes");
  load_rng_state(a);
}

namespace {

// Progress on rank 0 only; the other ranks of a data-parallel run stay quiet.
struct RankProgress {
  std::unique_ptr<Progress> p;
  void step(int64_t step, double loss, double lr, double sps, bool line) {
    if (p) p->step(step, loss, lr, sps, line);
  }
  void message(const std::string& m) {
    if (p) p->message(m);
  }
  void finish() {
    if (p) p->finish();
  }
};

// clip_grad_norm_ without reading the norm back to the host (LibTorch's returns
// a double, a device synchronisation every step). Same arithmetic: scale by
// max_norm / (norm + 1e-6) when that is below 1.
void clip_grad_norm_on_device(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> grads, norms;
  for (const auto& p : params)
    if (p.grad().defined()) {
      grads.push_back(p.grad());
      norms.push_back(p.grad().detach().norm(2).to(torch::kFloat32));
    }
  if (grads.empty()) return;
  auto total = torch::stack(norms).norm(2);
  auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef.to(g.scalar_type()));
}

}  // namespace

TrainStatus Trainer::run() {
  auto& S = *s_;
  const auto& cfg = S.setup.cfg;
  auto& model = *S.setup.model;
  const auto device = S.setup.device;
  const bool bf16 = device.is_cuda();
  auto& pg = *S.pg;
  const bool main_rank = pg.is_main();
  const bool parallel = pg.world_size() > 1;
  // On CUDA the host reads the loss back only at logging, evaluation and
  // checkpoint steps, so it can queue the next steps while the GPU works; on the
  // CPU reading it is free and the loss is checked every step.
  const bool sync_every_step = !device.is_cuda();
  if (main_rank) S.log.open(S.path("metrics.jsonl"), S.resumed_log_size);
  auto log_event = [&](const nlohmann::json& e) {
    if (main_rank) S.log.write(e);
  };
  StopSignals signals;
  RankProgress progress{main_rank ? std::make_unique<Progress>(cfg.progress, S.total_steps) : nullptr};
  const int64_t start_step = S.step;
  if (parallel)
    progress.message("data-parallel: " + std::to_string(pg.world_size()) + " ranks (" + pg.backend_name() +
                     "), global batch " + std::to_string(cfg.batch_size * cfg.grad_accum) + " = " +
                     std::to_string(cfg.batch_size) + " x " + std::to_string(cfg.grad_accum) +
                     " split between the ranks, " + std::to_string(S.reducer->num_buckets()) + " gradient buckets");
  if (start_step > 0) progress.message("resuming at step " + std::to_string(start_step) + " of " + std::to_string(S.total_steps));
  if (S.step >= S.total_steps) {
    progress.message("the run already reached its last step (" + std::to_string(S.total_steps) + ")");
  }
  model.train();
  if (S.setup.hooks.extra_module) S.setup.hooks.extra_module->train();
  double t_window = now_s();
  int64_t samples_window = 0, tokens_window = 0;
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device));  // on the device: no sync per step
  torch::Tensor nonfinite = torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(device));
  int64_t loss_n = 0;
  double last_loss = std::nan("");
  // The logged loss parts, summed in float64 where they were computed (the device):
  // read back at logging steps only. float64 keeps the CPU sums bit-identical to
  // summing the values on the host.
  std::map<std::string, torch::Tensor> parts_sum;
  TrainStatus status = TrainStatus::kFinished;

  // A stop request must be acted on by every rank at the same step, or the
  // others would wait in the next all-reduce: data-parallel runs agree on it at
  // logging steps (one small all-reduce), single runs check every step.
  auto should_stop = [&](bool boundary) {
    if (!parallel) return stop_signal() != 0;
    if (!boundary) return false;
    return pg.all_reduce_double(stop_signal() ? 1.0 : 0.0, /*max=*/true) > 0;
  };
  auto stop_for_signal = [&]() {
    int sig = stop_signal() ? stop_signal() : SIGTERM;
    progress.message("received " + std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + ": checkpoint at step " +
                     std::to_string(S.step) + " written to " + S.path("checkpoint.pt") + "; continue with --resume");
    log_event({{"event", "interrupted"}, {"step", S.step}, {"signal", sig}});
    S.save_checkpoint();
    return TrainStatus::kInterrupted;
  };

  while (S.step < S.total_steps) {
    if (should_stop(false)) return stop_for_signal();
    const int64_t next = S.step + 1;
    const bool log_now = next % cfg.log_every == 0 || next == S.total_steps;
    const bool eval_now = S.setup.dev && (next % S.eval_every == 0 || next == S.total_steps);
    const bool ckpt_now = cfg.checkpoint_every > 0 ? next % cfg.checkpoint_every == 0 : eval_now;
    const bool pause_now = cfg.max_steps_this_invocation > 0 && next - start_step >= cfg.max_steps_this_invocation;
    // Steps after which the host looks at the loss (and may write weights).
    const bool check_now = sync_every_step || log_now || eval_now || ckpt_now || pause_now || next == S.total_steps;

    S.optimizer->zero_grad();
    StepBatches sb = S.loader->next();
    const auto n_micro = static_cast<int64_t>(sb.micro.size());
    torch::Tensor step_loss;
    for (int64_t micro = 0; micro < n_micro; ++micro) {
      const Batch& b = sb.micro[static_cast<size_t>(micro)];
      // Data-parallel: the last backward of the step all-reduces as it goes.
      if (micro + 1 == n_micro) S.reducer->prepare();
      LossParts lp;
      {
        AutocastGuard ac(device, bf16);
        ModelOutput out = model.forward(b, S.setup.hooks.want_attentions);
        lp = S.loss(b, out, S.step);
      }
      (lp.total / static_cast<double>(n_micro)).backward();
      auto l = lp.total.detach().to(torch::kFloat32) / static_cast<double>(n_micro);
      step_loss = step_loss.defined() ? step_loss + l : l;
      for (const auto& [k, v] : lp.parts) {
        torch::Tensor term = v.detach().to(torch::kFloat64) / static_cast<double>(n_micro);
        auto it = parts_sum.find(k);
        if (it == parts_sum.end()) parts_sum.emplace(k, term);
        else it->second.add_(term);
      }
    }
    S.reducer->finish();
    samples_window += sb.global_samples;
    tokens_window += sb.rank_tokens;  // summed over the ranks when logged
    nonfinite.logical_or_(step_loss.isfinite().logical_not());
    if (check_now) {
      double bad = nonfinite.item<bool>() ? 1.0 : 0.0;
      if (parallel) bad = pg.all_reduce_double(bad, /*max=*/true);
      const double lv = step_loss.item<double>();
      if (bad > 0) {
        progress.message("loss is not finite (" + std::to_string(lv) + ") by step " + std::to_string(next) +
                         ": stopping; the last good checkpoint (" + S.path("checkpoint.pt") +
                         ") is kept. Lower train.lr, raise warmup, or check the data.");
        log_event({{"event", "nan"}, {"step", next}, {"loss", std::to_string(lv)}});
        return TrainStatus::kNaN;
      }
      last_loss = lv;
    }
    if (cfg.grad_clip > 0) clip_grad_norm_on_device(S.params, cfg.grad_clip);
    const double factor = lr_factor(cfg, S.step, S.total_steps, S.warmup_steps);
    const double lr = cfg.lr * factor;  // train.lr scheduled, what the logs show (the head's is head_lr_multiplier x)
    auto& param_groups = S.optimizer->param_groups();
    for (size_t gi = 0; gi < param_groups.size(); ++gi)
      static_cast<torch::optim::AdamWOptions&>(param_groups[gi].options()).lr(S.group_base_lr[gi] * factor);
    S.optimizer->step();
    ++S.step;
    if (S.setup.hooks.on_step) S.setup.hooks.on_step(S.step);
    loss_sum.add_(step_loss);
    ++loss_n;

    const double t = now_s();
    const double sps = t > t_window ? static_cast<double>(samples_window) / (t - t_window) : 0;
    progress.step(S.step, last_loss, lr, sps, log_now);
    if (log_now) {
      // Mean over the window and, data-parallel, over the ranks (one all-reduce).
      std::vector<double> vals{loss_sum.item<double>() / static_cast<double>(loss_n), static_cast<double>(tokens_window)};
      for (const auto& kv : parts_sum) vals.push_back(kv.second.item<double>() / static_cast<double>(loss_n));
      if (parallel) {
        auto v = torch::tensor(vals, torch::kFloat64);
        std::vector<torch::Tensor> vt{device.is_cuda() ? v.to(device) : v};
        pg.all_reduce_sum(vt);
        auto back = vt[0].cpu();
        for (size_t k = 0; k < vals.size(); ++k) vals[k] = back[static_cast<int64_t>(k)].item<double>();
        vals[0] /= pg.world_size();
        for (size_t k = 2; k < vals.size(); ++k) vals[k] /= pg.world_size();
      }
      nlohmann::json ev = {{"event", "train"},
                           {"step", S.step},
                           {"epoch", static_cast<double>(S.step) / static_cast<double>(S.steps_per_epoch)},
                           {"loss", vals[0]},
                           {"lr", lr},
                           {"samples_per_s", sps},
                           {"window_s", t - t_window},  // the time those rates cover (benchmarks sum windows)
                           {"tokens_per_s", t > t_window ? vals[1] / (t - t_window) : 0}};
      size_t k = 2;
      for (const auto& kv : parts_sum) ev[kv.first] = vals[k++];
      if (parallel) ev["world_size"] = pg.world_size();
      log_event(ev);
      loss_sum.zero_();
      loss_n = 0;
      parts_sum.clear();
      t_window = now_s();
      samples_window = tokens_window = 0;
    }

    bool evaluated = false, stop_early = false;
    if (eval_now) {
      // Rank 0 evaluates (the replicas are identical); the others wait for its
      // early-stopping decision, so the timeout must exceed an evaluation.
      if (main_rank) {
        DevMetrics m = evaluate(model, *S.setup.dev, S.setup.info, cfg.eval_batch_size, device, bf16);
        const double v = pick(m, cfg.metric);
        const bool improved = std::isnan(S.best) || (higher_is_better(cfg.metric) ? v > S.best : v < S.best);
        if (improved) {
          S.best = v;
          S.best_step = S.step;
          S.bad_evals = 0;
          save_weights(model, S.path("best.pt"));
        } else {
          ++S.bad_evals;
        }
        std::ostringstream msg;
        msg << std::fixed << std::setprecision(4) << "step " << S.step << " dev: loss " << m.loss << "  accuracy "
            << m.accuracy << "  macro_f1 " << m.macro_f1 << (improved ? "  (best)" : "");
        progress.message(msg.str());
        log_event({{"event", "eval"},
                   {"step", S.step},
                   {"split", cfg.dev_split},
                   {"loss", m.loss},
                   {"accuracy", m.accuracy},
                   {"macro_f1", m.macro_f1},
                   {"examples", m.examples},
                   {"best", improved}});
        // Early stopping: `patience` evaluations in a row without improvement.
        if (cfg.patience > 0 && S.bad_evals >= cfg.patience) stop_early = true;
      }
      if (parallel) stop_early = pg.all_reduce_double(stop_early ? 1.0 : 0.0, /*max=*/true) > 0;
      evaluated = true;
      model.train();
      t_window = now_s();  // evaluation time does not count against training speed
      samples_window = tokens_window = 0;
    }
    const bool ckpt = cfg.checkpoint_every > 0 ? S.step % cfg.checkpoint_every == 0 : evaluated;
    if (ckpt) S.save_checkpoint();
    if (stop_early) {
      progress.message("early stopping at step " + std::to_string(S.step) + ": no dev improvement in " +
                       std::to_string(cfg.patience) + " evaluations (best " + std::to_string(S.best) + " at step " +
                       std::to_string(S.best_step) + ")");
      status = TrainStatus::kEarlyStopped;
      break;
    }
    if (should_stop(log_now || evaluated)) return stop_for_signal();
    if (cfg.max_steps_this_invocation > 0 && S.step - start_step >= cfg.max_steps_this_invocation &&
        S.step < S.total_steps) {
      progress.message("paused after " + std::to_string(cfg.max_steps_this_invocation) + " steps (step " +
                       std::to_string(S.step) + "); continue with --resume");
      log_event({{"event", "paused"}, {"step", S.step}});
      S.save_checkpoint();
      return TrainStatus::kPaused;
    }
  }
  progress.finish();
  if (main_rank) {
    save_weights(model, S.path("final.pt"));
    if (!S.setup.dev) save_weights(model, S.path("best.pt"));
  }
  if (!S.setup.dev) S.best_step = S.step;
  S.save_checkpoint();
  log_event({{"event", "end"},
             {"step", S.step},
             {"status", status == TrainStatus::kEarlyStopped ? "early_stopped" : "finished"},
             {"best_metric", std::isnan(S.best) ? nlohmann::json(nullptr) : nlohmann::json(S.best)},
             {"best_step", S.best_step}});
  return status;
}

}  // namespace zl
