// Data-parallel training on the C++ core of torch.distributed (c10d): one
// process per device, rendezvous through a TCPStore, NCCL on CUDA and Gloo on
// CPU. The environment is torchrun's (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), so `torchrun --no-python ... kd distill ...` works
// as for any PyTorch job; `--nproc N` is the same thing without torchrun (this
// process becomes the launcher of N local ranks).
//
// Every collective runs under a timeout: a rank that died or hangs makes the
// others fail with a DistributedError naming the operation and the timeout
// instead of blocking forever. See docs/distributed.md.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace c10d {
class Backend;
class Store;
class Work;
}  // namespace c10d

namespace zl::dist {

// A collective failed or the rendezvous could not complete (a peer died, hung,
// or never started). Not a UserError: the input was fine, exit status 1.
class DistributedError : public std::runtime_error {
 public:
  explicit DistributedError(const std::string& m) : std::runtime_error(m) {}
};

// Where this process sits in the job.
struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool enabled() const { return world_size > 1; }
};

// Reads torchrun's variables; world size 1 when WORLD_SIZE is unset. Malformed
// or inconsistent values are a UserError naming the variable.
DistEnv env_from_environment();

// Default collective / rendezvous timeout: ZL_DIST_TIMEOUT seconds, else 300.
std::chrono::milliseconds default_timeout();

// `--nproc N` without torchrun: when N > 1 and WORLD_SIZE is not set, re-runs
// this executable (same arguments, read from /proc/self/cmdline) as N ranks on
// this machine with torchrun's variables set (MASTER_ADDR=127.0.0.1, a free
// MASTER_PORT), forwards SIGINT and SIGTERM, and when one rank fails terminates
// the others. Returns the exit status to exit with (the first failing rank's,
// else 0), or -1 when this process is a rank itself (or N is 1) and should go
// on. Call before LibTorch starts threads (before any tensor work).
int maybe_launch_local(int nproc);

// Makes `device` the current CUDA device (NCCL and the caching allocator use it).
void set_current_device(const torch::Device& device);

// A free TCP port on 127.0.0.1 (bind to port 0 and read it back).
int free_port();

// The process group: rank, world size, and the collectives training needs.
// world_size 1 is valid and makes every collective a no-op, so callers need no
// special case for single-process runs.
class ProcessGroup {
 public:
  // Rendezvous (rank 0 hosts the TCPStore at MASTER_ADDR:MASTER_PORT) and the
  // backend: NCCL when `device` is CUDA, Gloo otherwise.
  static std::shared_ptr<ProcessGroup> create(const DistEnv& env, const torch::Device& device,
                                              std::chrono::milliseconds timeout = default_timeout());
  static std::shared_ptr<ProcessGroup> single();  // world size 1, no store, no backend
  ~ProcessGroup();

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  bool is_main() const { return rank_ == 0; }
  std::string backend_name() const { return backend_name_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // In-place sum over ranks (blocking).
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  // In-place sum, returns the pending work (wait with `wait`).
  c10::intrusive_ptr<c10d::Work> all_reduce_sum_async(torch::Tensor& tensor);
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what);
  // Copies rank `root`'s tensors into every rank's (in place).
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
  void barrier();
  // A double summed / maxed over ranks (e.g. a loss for logging, a stop flag).
  double all_reduce_double(double value, bool max = false);

 private:
  ProcessGroup() = default;
  [[noreturn]] void fail(const char* what, const std::exception& e) const;
  // "lost rank 1 (...)": which ranks a failed collective lost, as far as this rank can
  // tell (a rank on this machine whose process is gone; with 2 ranks, the other one).
  std::string lost_ranks() const;

  struct Peer {
    std::string host;
    long pid = 0;
  };
  std::vector<Peer> peers_;  // every rank's host name and process id (exchanged at the rendezvous)

  int rank_ = 0, world_ = 1;
  std::string backend_name_ = "none";
  std::chrono::milliseconds timeout_{0};
  torch::Device device_ = torch::kCPU;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> backend_;
};

// Copies rank 0's parameters and buffers into every rank (at start and after
// resume, so all replicas begin identical).
void broadcast_module(ProcessGroup& pg, torch::nn::Module& module);

// Gradient all-reduce in buckets of ~bucket_bytes: parameters are grouped in
// reverse registration order (about the order backward produces their
// gradients); each bucket is flattened and all-reduced asynchronously as soon
// as every gradient in it has been accumulated (a post-hook on each
// parameter's gradient accumulator), so communication overlaps the rest of the
// backward pass. Buckets are launched strictly in order on every rank, which
// keeps the collectives matched. `finish()` launches what is left (parameters
// that got no gradient count as zero), waits, and writes the averaged
// gradients back. With world size 1 it does nothing.
class GradReducer {
 public:
  GradReducer(std::shared_ptr<ProcessGroup> pg, std::vector<torch::Tensor> params,
              int64_t bucket_bytes = 25 * 1024 * 1024);
  ~GradReducer();
  // Arms the hooks for the next backward pass (the last micro-batch of an
  // accumulation step); earlier micro-batches only accumulate locally.
  void prepare();
  // After the armed backward: all-reduce what is left, wait, average.
  void finish();
  int64_t num_buckets() const;
  bool overlapped_last_step() const;  // some bucket was launched during backward

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One global optimizer step's rows for `rank`. `step_batches` are the sampler
// batches the single-process run accumulates in that step (train.grad_accum of
// them, train.batch_size rows each). When their count divides by the world
// size, rank r takes its share of whole batches unchanged, so every
// micro-batch is exactly a single-process one; otherwise the step's rows are
// concatenated, cut into world_size contiguous slices, and each slice into
// micro-batches of at most `max_batch` rows. Each rank then scales its loss by
// 1 / (its micro-batch count) and GradReducer averages over ranks: the update
// is the single-process one whatever the launch. UserError when the step has
// fewer rows than ranks.
std::vector<std::vector<int64_t>> rank_micro_batches(const std::vector<std::vector<int64_t>>& step_batches, int rank,
                                                     int world_size, int64_t max_batch);

}  // namespace zl::dist
