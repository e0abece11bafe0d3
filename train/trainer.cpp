#include "trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <iomanip>
#include <sstream>

#include "atomic_file.h"
#include "autocast.h"
#include "checkpoint.h"
#include "metrics_log.h"
#include "progress.h"
#include "run_dir.h"
#include "signals.h"

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
  std::unique_ptr<DataLoader> loader;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::vector<torch::Tensor> params;  // everything trained (model + extra module)
  LossFn loss;
  int64_t steps_per_epoch = 0, total_steps = 0, warmup_steps = 0, eval_every = 0;
  int64_t step = 0;
  double best = std::nan("");
  int64_t best_step = -1;
  int64_t bad_evals = 0;
  MetricsLog log;
  int64_t resumed_log_size = -1;

  std::string path(const std::string& name) const { return setup.run_dir + "/" + name; }

  void save_checkpoint() {
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
      auto pos = loader->sampler().position();
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
  TORCH_CHECK(S.setup.model && S.setup.train, "Trainer needs a model and a train split");
  SamplerOptions so;
  so.batch_size = cfg.batch_size;
  so.bucket = cfg.bucket;
  so.pool_batches = cfg.pool_batches;
  S.loader = std::make_unique<DataLoader>(*S.setup.train, S.setup.info, so, cfg.seed, S.setup.model->config().max_length);
  const int64_t bpe = S.loader->sampler().batches_per_epoch();
  S.steps_per_epoch = std::max<int64_t>(1, (bpe + cfg.grad_accum - 1) / cfg.grad_accum);
  S.total_steps = cfg.max_steps > 0 ? cfg.max_steps : cfg.epochs * S.steps_per_epoch;
  S.warmup_steps = cfg.warmup_steps > 0 ? cfg.warmup_steps
                                        : static_cast<int64_t>(std::llround(cfg.warmup_ratio * static_cast<double>(S.total_steps)));
  S.eval_every = cfg.eval_every > 0 ? cfg.eval_every : S.steps_per_epoch;
  S.loss = S.setup.hooks.loss ? S.setup.hooks.loss : default_loss(S.setup.info.task, cfg.label_smoothing);

  // AdamW with decoupled weight decay on weight matrices and embeddings only:
  // biases and LayerNorm parameters (1-D) are not decayed.
  std::vector<torch::Tensor> decay, no_decay;
  auto add = [&](torch::nn::Module& m) {
    for (auto& p : m.parameters()) {
      if (!p.requires_grad()) continue;
      (p.dim() >= 2 ? decay : no_decay).push_back(p);
      S.params.push_back(p);
    }
  };
  add(*S.setup.model);
  if (S.setup.hooks.extra_module) add(*S.setup.hooks.extra_module);
  auto base = torch::optim::AdamWOptions(cfg.lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(base.weight_decay(cfg.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(cfg.lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps).weight_decay(0.0)));
  S.optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), base);
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
  if (read_string(a, "format") != kCheckpointFormat) throw UserError(p + " is not a Zhengliu training checkpoint");
  if (read_int(a, "version") != kCheckpointVersion)
    throw UserError(p + " has checkpoint version " + std::to_string(read_int(a, "version")) + "; this build reads " +
                    std::to_string(kCheckpointVersion));
  const std::string h = read_string(a, "config_hash");
  if (h != S.setup.config_hash)
    throw UserError(p + " was written for a different model/data/training config (config hash " + h.substr(0, 12) +
                    ", now " + S.setup.config_hash.substr(0, 12) +
                    "): resume with the run's own config.yaml (omit --model/--config), or start a new --out");
  torch::serialize::InputArchive m;
  a.read("model", m);
  S.setup.model->load(m);
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
  S.loader->sampler().set_position({read_int(a, "epoch"), read_int(a, "batch")});
  S.best = read_double(a, "best");
  S.best_step = read_int(a, "best_step");
  S.bad_evals = read_int(a, "bad_evals");
  S.resumed_log_size = read_int(a, "metrics_bytes");
  load_rng_state(a);
}

TrainStatus Trainer::run() {
  auto& S = *s_;
  const auto& cfg = S.setup.cfg;
  auto& model = *S.setup.model;
  const auto device = S.setup.device;
  const bool bf16 = device.is_cuda();
  S.log.open(S.path("metrics.jsonl"), S.resumed_log_size);
  StopSignals signals;
  Progress progress(cfg.progress, S.total_steps);
  const int64_t start_step = S.step;
  if (start_step > 0) progress.message("resuming at step " + std::to_string(start_step) + " of " + std::to_string(S.total_steps));
  if (S.step >= S.total_steps) {
    progress.message("the run already reached its last step (" + std::to_string(S.total_steps) + ")");
  }
  model.train();
  if (S.setup.hooks.extra_module) S.setup.hooks.extra_module->train();
  double t_window = now_s();
  int64_t samples_window = 0, tokens_window = 0;
  double loss_sum = 0;
  int64_t loss_n = 0;
  std::map<std::string, double> parts_sum;
  TrainStatus status = TrainStatus::kFinished;

  auto stop_for_signal = [&]() {
    int sig = stop_signal();
    progress.message("received " + std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + ": checkpoint at step " +
                     std::to_string(S.step) + " written to " + S.path("checkpoint.pt") + "; continue with --resume");
    S.log.write({{"event", "interrupted"}, {"step", S.step}, {"signal", sig}});
    S.save_checkpoint();
    return TrainStatus::kInterrupted;
  };

  while (S.step < S.total_steps) {
    if (stop_signal()) return stop_for_signal();
    S.optimizer->zero_grad();
    double step_loss = 0;
    for (int64_t micro = 0; micro < cfg.grad_accum; ++micro) {
      Batch b = S.loader->next().to(device);
      LossParts lp;
      {
        AutocastGuard ac(device, bf16);
        ModelOutput out = model.forward(b, S.setup.hooks.want_attentions);
        lp = S.loss(b, out, S.step);
      }
      const double lv = lp.total.item<double>();
      if (!std::isfinite(lv)) {
        progress.message("loss is " + std::to_string(lv) + " at step " + std::to_string(S.step + 1) +
                         ": stopping; the last good checkpoint (" + S.path("checkpoint.pt") +
                         ") is kept. Lower train.lr, raise warmup, or check the data.");
        S.log.write({{"event", "nan"}, {"step", S.step + 1}, {"loss", std::to_string(lv)}});
        return TrainStatus::kNaN;
      }
      (lp.total / static_cast<double>(cfg.grad_accum)).backward();
      step_loss += lv / static_cast<double>(cfg.grad_accum);
      for (const auto& [k, v] : lp.parts) parts_sum[k] += v / static_cast<double>(cfg.grad_accum);
      samples_window += b.size();
      tokens_window += b.num_tokens();
    }
    if (cfg.grad_clip > 0) torch::nn::utils::clip_grad_norm_(S.params, cfg.grad_clip);
    const double lr = cfg.lr * lr_factor(cfg, S.step, S.total_steps, S.warmup_steps);
    for (auto& g : S.optimizer->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    S.optimizer->step();
    ++S.step;
    if (S.setup.hooks.on_step) S.setup.hooks.on_step(S.step);
    loss_sum += step_loss;
    ++loss_n;

    const double t = now_s();
    const double sps = t > t_window ? static_cast<double>(samples_window) / (t - t_window) : 0;
    const bool log_now = S.step % cfg.log_every == 0 || S.step == S.total_steps;
    progress.step(S.step, step_loss, lr, sps, log_now);
    if (log_now) {
      nlohmann::json ev = {{"event", "train"},
                           {"step", S.step},
                           {"epoch", static_cast<double>(S.step) / static_cast<double>(S.steps_per_epoch)},
                           {"loss", loss_sum / static_cast<double>(loss_n)},
                           {"lr", lr},
                           {"samples_per_s", sps},
                           {"tokens_per_s", t > t_window ? static_cast<double>(tokens_window) / (t - t_window) : 0}};
      for (const auto& [k, v] : parts_sum) ev[k] = v / static_cast<double>(loss_n);
      S.log.write(ev);
      loss_sum = 0;
      loss_n = 0;
      parts_sum.clear();
      t_window = now_s();
      samples_window = tokens_window = 0;
    }

    bool evaluated = false, stop_early = false;
    if (S.setup.dev && (S.step % S.eval_every == 0 || S.step == S.total_steps)) {
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
      S.log.write({{"event", "eval"},
                   {"step", S.step},
                   {"split", cfg.dev_split},
                   {"loss", m.loss},
                   {"accuracy", m.accuracy},
                   {"macro_f1", m.macro_f1},
                   {"examples", m.examples},
                   {"best", improved}});
      evaluated = true;
      // Early stopping: `patience` evaluations in a row without improvement.
      if (cfg.patience > 0 && S.bad_evals >= cfg.patience) stop_early = true;
      t_window = now_s();  // evaluation time does not count against training speed
      samples_window = tokens_window = 0;
    }
    const bool ckpt_now = cfg.checkpoint_every > 0 ? S.step % cfg.checkpoint_every == 0 : evaluated;
    if (ckpt_now) S.save_checkpoint();
    if (stop_early) {
      progress.message("early stopping at step " + std::to_string(S.step) + ": no dev improvement in " +
                       std::to_string(cfg.patience) + " evaluations (best " + std::to_string(S.best) + " at step " +
                       std::to_string(S.best_step) + ")");
      status = TrainStatus::kEarlyStopped;
      break;
    }
    if (stop_signal()) return stop_for_signal();
    if (cfg.max_steps_this_invocation > 0 && S.step - start_step >= cfg.max_steps_this_invocation &&
        S.step < S.total_steps) {
      progress.message("paused after " + std::to_string(cfg.max_steps_this_invocation) + " steps (step " +
                       std::to_string(S.step) + "); continue with --resume");
      S.log.write({{"event", "paused"}, {"step", S.step}});
      S.save_checkpoint();
      return TrainStatus::kPaused;
    }
  }
  progress.finish();
  save_weights(model, S.path("final.pt"));
  if (!S.setup.dev) {
    save_weights(model, S.path("best.pt"));
    S.best_step = S.step;
  }
  S.save_checkpoint();
  S.log.write({{"event", "end"},
               {"step", S.step},
               {"status", status == TrainStatus::kEarlyStopped ? "early_stopped" : "finished"},
               {"best_metric", std::isnan(S.best) ? nlohmann::json(nullptr) : nlohmann::json(S.best)},
               {"best_step", S.best_step}});
  return status;
}

}  // namespace zl
