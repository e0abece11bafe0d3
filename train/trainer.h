// The training loop shared by `kd train` and `kd distill`: AdamW, warmup +
// linear/cosine decay, clipping, accumulation, bucketed batches, dev evaluation,
// best checkpoint, early stopping, exact resume, SIGINT/SIGTERM checkpoints.
// The loss is pluggable (LossFn); extensions keep their own state in checkpoints
// through TrainerHooks.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "batch.h"
#include "config.h"
#include "dataset_file.h"
#include "model.h"

namespace zl {
class SplitRowReader;
namespace dist {
class ProcessGroup;
}
}  // namespace zl

namespace zl {

struct LossParts {
  torch::Tensor total;  // scalar, differentiable
  // Named values for logs and metrics.jsonl: detached scalar tensors, left where they were
  // computed (on CUDA the trainer sums them on the device and reads them at logging steps only).
  std::vector<std::pair<std::string, torch::Tensor>> parts;
};
using LossFn = std::function<LossParts(const Batch&, const ModelOutput&, int64_t step)>;

// Cross-entropy on gold labels (rows with label -1 excluded; label smoothing), or
// BCE-with-logits against multi-hot labels for multi-label tasks.
LossParts gold_loss(Task task, const Batch& batch, const torch::Tensor& logits, double label_smoothing);
LossFn default_loss(Task task, double label_smoothing);

struct TrainConfig {
  uint64_t seed = 42;
  int64_t threads = 0;          // 0 = every core this process may use (threads.h)
  int64_t batch_size = 32;
  int64_t grad_accum = 1;
  int64_t epochs = 10;          // used when max_steps = 0
  int64_t max_steps = 0;        // optimizer steps; 0 = epochs * steps per epoch
  int64_t max_steps_this_invocation = 0;  // stop (with a checkpoint) after this many steps; 0 = off
  double lr = 5e-4;
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double warmup_ratio = 0.06;   // of max_steps (warmup_steps wins when > 0)
  int64_t warmup_steps = 0;
  std::string schedule = "linear";  // linear | cosine | constant
  double min_lr_ratio = 0.0;
  double grad_clip = 1.0;       // 0 = off
  // Fine-tuning pretrained encoders. Layer-wise lr decay (ELECTRA, BEiT): a parameter
  // at depth d (ClassifierImpl::parameter_depth; embeddings 0, layer l 1..L, head L+1)
  // trains at lr * layer_lr_decay^(L + 1 - d); 1 = off. freeze_embeddings: the
  // "embeddings." parameters get no gradient and stay out of the optimizer.
  double layer_lr_decay = 1.0;
  bool freeze_embeddings = false;
  // The parameters above the encoder layers (depth L+1: pooler, final LayerNorm,
  // classification head, kd distill's projections) train at lr * head_lr_multiplier.
  // A head initialised at random on top of a pretrained encoder whose sentence vectors
  // vary little between texts (e5's mean-pooled vectors: per-dimension spread ~0.09)
  // needs weights that grow many times over; at the encoder's small lr Adam
  // takes most of the budget to get there (measured: docs/benchmarks-distill.md).
  double head_lr_multiplier = 1.0;
  double label_smoothing = 0.0;
  bool bucket = true;
  int64_t pool_batches = 100;
  int64_t eval_every = 0;       // steps; 0 = once per epoch
  int64_t eval_batch_size = 128;
  std::string metric = "accuracy";  // accuracy | macro_f1 | loss
  int64_t patience = 0;         // evaluations without improvement; 0 = no early stopping
  int64_t log_every = 50;
  int64_t checkpoint_every = 0; // steps; 0 = at every evaluation
  std::string train_split = "train";
  std::string dev_split = "dev";
  std::string progress = "auto";  // auto | bar | lines

  static TrainConfig from_config(const Config& c);  // the `train` section
};

// Learning rate multiplier at an optimizer step (0-based): warmup then decay.
double lr_factor(const TrainConfig& cfg, int64_t step, int64_t total_steps, int64_t warmup_steps);

// Extensions (kd distill): its loss, extra trainable modules (projections), and
// extra checkpoint state. Everything is optional.
struct TrainerHooks {
  LossFn loss;                             // default: default_loss(task, label_smoothing)
  bool want_attentions = false;            // ask the model for attention probabilities
  std::shared_ptr<torch::nn::Module> extra_module;  // trained and checkpointed with the model
  std::function<void(torch::serialize::OutputArchive&)> save_extra;
  std::function<void(torch::serialize::InputArchive&)> load_extra;
  std::function<void(int64_t step)> on_step;  // after each optimizer step
  // Per-row values the loader reads with each window of rows (StepLoaderOptions::row_extra):
  // data-parallel kd distill reads only its rank's teacher logits this way.
  std::function<torch::Tensor(const std::vector<int64_t>& rows)> row_extra;
};

struct DevMetrics {
  double loss = 0, accuracy = 0, macro_f1 = 0;  // multi-label: accuracy = exact match, macro_f1 over labels
  int64_t examples = 0;
};

// Evaluates on a split with the gold loss (no dropout, no grad). Logits are returned per row when asked.
DevMetrics evaluate(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info, int64_t batch_size,
                    const torch::Device& device, bool autocast_bf16, torch::Tensor* logits_out = nullptr);

// How the loop ended; the CLI maps it to an exit status.
enum class TrainStatus { kFinished, kEarlyStopped, kInterrupted /* signal */, kPaused /* max_steps_this_invocation */, kNaN };

struct TrainerSetup {
  Classifier model;
  TrainConfig cfg;
  DatasetInfo info;
  const SplitData* train = nullptr;
  const SplitData* dev = nullptr;  // may be null: no evaluation, best = final
  torch::Device device = torch::kCPU;
  std::string run_dir;
  std::string config_hash;  // of the model- and data-relevant resolved config; resume refuses another
  TrainerHooks hooks;
  // Data-parallel training (distributed.h, docs/distributed.md): null or world
  // size 1 = one process. Every rank runs a Trainer; rank 0 alone writes.
  std::shared_ptr<dist::ProcessGroup> process_group;
  // Read the train split row by row for this rank instead of `train` (which may
  // then be null): data-parallel `kd train` never loads the whole split.
  std::shared_ptr<SplitRowReader> train_reader;
};

class Trainer {
 public:
  explicit Trainer(TrainerSetup setup);
  ~Trainer();
  // Loads RUN_DIR/checkpoint.pt (UserError when missing or from another config).
  void resume();
  TrainStatus run();
  int64_t step() const;
  double best_metric() const;
  int64_t best_step() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace zl
