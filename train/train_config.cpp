// The `train` section of a training config: every key, its default and its range.
#include "trainer.h"

namespace zl {

TrainConfig TrainConfig::from_config(const Config& c) {
  TrainConfig t;
  t.seed = c.get<uint64_t>("seed", t.seed);
  t.threads = c.get<int64_t>("threads", t.threads);
  c.check(t.threads >= 0, "threads", "must be >= 0 (0 = every core this process may use)");
  t.batch_size = c.get<int64_t>("batch_size", t.batch_size);
  c.check(t.batch_size > 0, "batch_size", "must be a positive integer");
  t.grad_accum = c.get<int64_t>("grad_accum", t.grad_accum);
  c.check(t.grad_accum > 0, "grad_accum", "must be a positive integer (1 = no accumulation)");
  t.epochs = c.get<int64_t>("epochs", t.epochs);
  c.check(t.epochs > 0, "epochs", "must be a positive integer");
  t.max_steps = c.get<int64_t>("max_steps", t.max_steps);
  c.check(t.max_steps >= 0, "max_steps", "must be >= 0 (0 = epochs decide)");
  t.max_steps_this_invocation = c.get<int64_t>("max_steps_this_invocation", t.max_steps_this_invocation);
  c.check(t.max_steps_this_invocation >= 0, "max_steps_this_invocation", "must be >= 0 (0 = off)");
  t.lr = c.get<double>("lr", t.lr);
  c.check(t.lr > 0 && std::isfinite(t.lr), "lr", "must be a positive learning rate (e.g. 5e-4)");
  t.weight_decay = c.get<double>("weight_decay", t.weight_decay);
  c.check(t.weight_decay >= 0, "weight_decay", "must be >= 0");
  t.beta1 = c.get<double>("beta1", t.beta1);
  c.check(t.beta1 >= 0 && t.beta1 < 1, "beta1", "must be in [0, 1)");
  t.beta2 = c.get<double>("beta2", t.beta2);
  c.check(t.beta2 >= 0 && t.beta2 < 1, "beta2", "must be in [0, 1)");
  t.eps = c.get<double>("eps", t.eps);
  c.check(t.eps > 0, "eps", "must be positive");
  t.warmup_ratio = c.get<double>("warmup_ratio", t.warmup_ratio);
  c.check(t.warmup_ratio >= 0 && t.warmup_ratio <= 1, "warmup_ratio", "must be in [0, 1]");
  t.warmup_steps = c.get<int64_t>("warmup_steps", t.warmup_steps);
  c.check(t.warmup_steps >= 0, "warmup_steps", "must be >= 0 (0 = use warmup_ratio)");
  t.schedule = c.get_choice("schedule", t.schedule, {"linear", "cosine", "constant"});
  t.min_lr_ratio = c.get<double>("min_lr_ratio", t.min_lr_ratio);
  c.check(t.min_lr_ratio >= 0 && t.min_lr_ratio <= 1, "min_lr_ratio", "must be in [0, 1]");
  t.grad_clip = c.get<double>("grad_clip", t.grad_clip);
  c.check(t.grad_clip >= 0, "grad_clip", "must be >= 0 (0 = no clipping)");
  t.layer_lr_decay = c.get<double>("layer_lr_decay", t.layer_lr_decay);
  c.check(t.layer_lr_decay > 0 && t.layer_lr_decay <= 1, "layer_lr_decay",
          "must be in (0, 1] (1 = every layer at train.lr; BERT fine-tuning often uses 0.8-0.95)");
  t.freeze_embeddings = c.get<bool>("freeze_embeddings", t.freeze_embeddings);
  t.head_lr_multiplier = c.get<double>("head_lr_multiplier", t.head_lr_multiplier);
  c.check(t.head_lr_multiplier > 0 && t.head_lr_multiplier <= 1000, "head_lr_multiplier",
          "must be in (0, 1000] (1 = the head trains at train.lr; a random head on a pretrained encoder often uses 10-100)");
  t.label_smoothing = c.get<double>("label_smoothing", t.label_smoothing);
  c.check(t.label_smoothing >= 0 && t.label_smoothing < 1, "label_smoothing", "must be in [0, 1)");
  t.bucket = c.get<bool>("bucket", t.bucket);
  t.pool_batches = c.get<int64_t>("pool_batches", t.pool_batches);
  c.check(t.pool_batches > 0, "pool_batches", "must be a positive integer");
  t.eval_every = c.get<int64_t>("eval_every", t.eval_every);
  c.check(t.eval_every >= 0, "eval_every", "must be >= 0 (0 = once per epoch)");
  t.eval_batch_size = c.get<int64_t>("eval_batch_size", t.eval_batch_size);
  c.check(t.eval_batch_size > 0, "eval_batch_size", "must be a positive integer");
  t.metric = c.get_choice("metric", t.metric, {"accuracy", "macro_f1", "loss"});
  t.patience = c.get<int64_t>("patience", t.patience);
  c.check(t.patience >= 0, "patience", "must be >= 0 (0 = no early stopping)");
  t.log_every = c.get<int64_t>("log_every", t.log_every);
  c.check(t.log_every > 0, "log_every", "must be a positive integer");
  t.checkpoint_every = c.get<int64_t>("checkpoint_every", t.checkpoint_every);
  c.check(t.checkpoint_every >= 0, "checkpoint_every", "must be >= 0 (0 = at every evaluation)");
  t.train_split = c.get<std::string>("train_split", t.train_split);
  t.dev_split = c.get<std::string>("dev_split", t.dev_split);
  t.progress = c.get_choice("progress", t.progress, {"auto", "bar", "lines"});
  return t;
}

}  // namespace zl
