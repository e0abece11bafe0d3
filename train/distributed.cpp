#include "distributed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "distributed_nccl.h"
#include "error.h"

namespace zl::dist {

namespace {

// Parses an integer environment variable; `fallback` when unset.
int env_int(const char* name, int fallback, int min_value) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  errno = 0;
  long x = std::strtol(v, &end, 10);
  if (errno || *end || x < min_value || x > 1 << 20)
    throw UserError(std::string("environment variable ") + name + "='" + v + "' is not an integer >= " +
                    std::to_string(min_value) + " (set by torchrun or --nproc; unset it for a single-process run)");
  return static_cast<int>(x);
}

std::string first_line(const std::string& s) {
  auto p = s.find('\n');
  return p == std::string::npos ? s : s.substr(0, p);
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

// A process that exists and is not a zombie (a killed rank its parent has not reaped yet).
bool process_running(long pid) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return true;
  const char state = text[close + 2];
  return state != 'Z' && state != 'X';
}

std::string seconds(std::chrono::milliseconds t) {
  auto ms = t.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms / 1000.0) + " s";
}

// The launcher's children, for the signal handler.
std::vector<pid_t> g_children;
std::atomic<int> g_forward_signal{0};
void on_launcher_signal(int sig) { g_forward_signal.store(sig); }

}  // namespace

DistEnv env_from_environment() {
  DistEnv e;
  e.world_size = env_int("WORLD_SIZE", 1, 1);
  e.rank = env_int("RANK", 0, 0);
  e.local_rank = env_int("LOCAL_RANK", e.rank, 0);
  if (e.rank >= e.world_size)
    throw UserError("RANK=" + std::to_string(e.rank) + " is not below WORLD_SIZE=" + std::to_string(e.world_size) +
                    ": the launcher's environment is inconsistent");
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", 29500, 1);
  if (e.world_size > 1 && (!std::getenv("MASTER_ADDR") || !std::getenv("MASTER_PORT")))
    throw UserError("WORLD_SIZE=" + std::to_string(e.world_size) +
                    " but MASTER_ADDR / MASTER_PORT are not set: launch with torchrun or --nproc");
  return e;
}

std::chrono::milliseconds default_timeout() {
  if (const char* v = std::getenv("ZL_DIST_TIMEOUT"); v && *v) {
    char* end = nullptr;
    double s = std::strtod(v, &end);
    if (*end || !(s > 0))
      throw UserError(std::string("ZL_DIST_TIMEOUT='") + v + "' must be a positive number of seconds");
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  }
  return std::chrono::seconds(300);
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw DistributedError(std::string("socket(): ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw DistributedError(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

void set_current_device(const torch::Device& device) {
  if (!device.is_cuda()) return;
  c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(device);
}

namespace {
// This process's argv, for re-running it as the ranks.
std::vector<std::string> own_arguments() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string a;
  while (std::getline(f, a, '\0')) args.push_back(a);
  if (args.empty()) throw DistributedError("cannot read /proc/self/cmdline to launch the ranks");
  return args;
}
}  // namespace

int maybe_launch_local(int nproc) {
  if (nproc < 1) throw UserError("--nproc must be at least 1 (got " + std::to_string(nproc) + ")");
  if (nproc == 1 || std::getenv("WORLD_SIZE")) return -1;  // a single process, or already a rank
  std::vector<std::string> args = own_arguments();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int port = free_port();
  std::cerr << "launching " << nproc << " ranks on 127.0.0.1:" << port << " (rank 0 logs)\n";
  struct sigaction sa {};
  sa.sa_handler = on_launcher_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  for (int r = 0; r < nproc; ++r) {
    pid_t pid = ::fork();
    if (pid < 0) throw DistributedError(std::string("fork(): ") + std::strerror(errno));
    if (pid == 0) {
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::execv("/proc/self/exe", argv.data());
      std::cerr << "rank " << r << ": exec failed: " << std::strerror(errno) << "\n";
      _exit(127);
    }
    g_children.push_back(pid);
  }
  int status_out = 0;
  bool failed = false;
  size_t alive = g_children.size();
  auto kill_all = [&](int sig) {
    for (pid_t p : g_children)
      if (p > 0) ::kill(p, sig);
  };
  auto fail_time = std::chrono::steady_clock::time_point{};
  while (alive > 0) {
    if (int sig = g_forward_signal.exchange(0)) kill_all(sig);
    int st = 0;
    pid_t p = ::waitpid(-1, &st, WNOHANG);
    if (p > 0) {
      auto it = std::find(g_children.begin(), g_children.end(), p);
      if (it == g_children.end()) continue;
      const int rank = static_cast<int>(it - g_children.begin());
      *it = -1;
      --alive;
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      if (code != 0 && !failed) {
        failed = true;
        status_out = code;
        fail_time = std::chrono::steady_clock::now();
        if (WIFSIGNALED(st))
          std::cerr << "rank " << rank << " was killed by signal " << WTERMSIG(st) << " (" << strsignal(WTERMSIG(st))
                    << "); stopping the other ranks; continue the run with --resume (from its last checkpoint)\n";
        else
          std::cerr << "rank " << rank << " exited with status " << code << "; stopping the other ranks\n";
        kill_all(SIGTERM);
      }
      continue;
    }
    // Ranks that ignore SIGTERM for long (a hung collective) are killed.
    if (failed && std::chrono::steady_clock::now() - fail_time > std::chrono::seconds(30)) kill_all(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status_out;
}

// ---------------------------------------------------------------------------

std::shared_ptr<ProcessGroup> ProcessGroup::single() {
  return std::shared_ptr<ProcessGroup>(new ProcessGroup());
}

std::shared_ptr<ProcessGroup> ProcessGroup::create(const DistEnv& env, const torch::Device& device,
                                                   std::chrono::milliseconds timeout) {
  auto pg = std::shared_ptr<ProcessGroup>(new ProcessGroup());
  pg->rank_ = env.rank;
  pg->world_ = env.world_size;
  pg->timeout_ = timeout;
  pg->device_ = device;
  if (!env.enabled()) return pg;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    // Under torchrun the agent already serves the store at MASTER_PORT: every rank is a client.
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    so.isServer = env.rank == 0 && !(agent && std::string(agent) == "True");
    so.numWorkers = env.world_size;
    so.waitWorkers = true;
    so.timeout = timeout;
    pg->store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) +
                           ": rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port) +
                           " did not complete within " + seconds(timeout) +
                           " (a rank did not start, or MASTER_ADDR/MASTER_PORT differ between ranks): " +
                           first_line(e.what()));
  }
  try {
    // A fresh key space per torchrun restart (the agent's store outlives the ranks).
    const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
    auto store = c10::make_intrusive<c10d::PrefixStore>(std::string("zl/") + (restart ? restart : "0"), pg->store_);
    if (device.is_cuda()) {
      pg->backend_ = make_nccl_backend(store, env.rank, env.world_size, timeout);
      pg->backend_name_ = "nccl";
    } else {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // Bind to the interface that reaches the master (loopback for local runs).
      const bool local = env.master_addr == "127.0.0.1" || env.master_addr == "localhost";
      opts->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                    : c10d::ProcessGroupGloo::createDefaultDevice());
      pg->backend_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts);
      pg->backend_name_ = "gloo";
    }
    // Who is who, so a failed collective can name the rank it lost (lost_ranks).
    store->set("peer/" + std::to_string(env.rank), host_name() + " " + std::to_string(::getpid()));
    for (int r = 0; r < env.world_size; ++r) {
      const auto v = store->get("peer/" + std::to_string(r));
      const std::string text(v.begin(), v.end());
      Peer peer;
      const size_t sp = text.rfind(' ');
      peer.host = text.substr(0, sp);
      peer.pid = sp == std::string::npos ? 0 : std::atol(text.c_str() + sp + 1);
      pg->peers_.push_back(peer);
    }
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(env.rank) + ": cannot create the " +
                           std::string(device.is_cuda() ? "NCCL" : "Gloo") +
                           " process group: " + first_line(e.what()));
  }
  return pg;
}

ProcessGroup::~ProcessGroup() = default;

std::string ProcessGroup::lost_ranks() const {
  const std::string here = host_name();
  std::string gone, stuck;
  for (int r = 0; r < static_cast<int>(peers_.size()); ++r) {
    if (r == rank_ || peers_[r].host != here || peers_[r].pid <= 0) continue;
    const std::string desc = "rank " + std::to_string(r) + " (process " + std::to_string(peers_[r].pid);
    if (!process_running(peers_[r].pid))
      gone += (gone.empty() ? "" : ", ") + desc + " on this machine has exited)";
    else
      stuck += (stuck.empty() ? "" : ", ") + desc + " on this machine still runs but stopped responding)";
  }
  if (!gone.empty()) return "lost " + gone;
  if (!stuck.empty()) return "lost " + stuck;
  if (world_ == 2) return "lost rank " + std::to_string(1 - rank_) + " (the other rank: it exited or stopped responding)";
  return "another rank exited or stopped responding";
}

void ProcessGroup::fail(const char* what, const std::exception& e) const {
  throw DistributedError("rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
                         " failed: " + lost_ranks() + "; timeout " + seconds(timeout_) +
                         " (ZL_DIST_TIMEOUT). See that rank's output; restart the run with --resume to continue "
                         "from its last checkpoint. Cause: " + first_line(e.what()));
}

void ProcessGroup::wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
  if (!work) return;
  try {
    work->wait(timeout_);
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (world_ == 1) return;
  for (auto& t : tensors) wait(all_reduce_sum_async(t), "all-reduce");
}

c10::intrusive_ptr<c10d::Work> ProcessGroup::all_reduce_sum_async(torch::Tensor& tensor) {
  if (world_ == 1) return {};
  std::vector<at::Tensor> v{tensor};
  try {
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    o.timeout = timeout_;
    return backend_->allreduce(v, o);
  } catch (const std::exception& e) {
    fail("all-reduce", e);
  }
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  if (world_ == 1) return;
  for (auto& t : tensors) {
    std::vector<at::Tensor> v{t};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    o.timeout = timeout_;
    c10::intrusive_ptr<c10d::Work> w;
    try {
      w = backend_->broadcast(v, o);
    } catch (const std::exception& e) {
      fail("broadcast", e);
    }
    wait(w, "broadcast");
  }
}

void ProcessGroup::barrier() {
  if (world_ == 1) return;
  // A one-element all-reduce: unlike Backend::barrier it honours our timeout
  // on every backend and needs no device guess.
  auto t = torch::zeros({1}, torch::TensorOptions().device(device_));
  wait(all_reduce_sum_async(t), "barrier");
}

double ProcessGroup::all_reduce_double(double value, bool max) {
  if (world_ == 1) return value;
  auto t = torch::full({1}, value, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  std::vector<at::Tensor> v{t};
  c10d::AllreduceOptions o;
  o.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
  o.timeout = timeout_;
  c10::intrusive_ptr<c10d::Work> w;
  try {
    w = backend_->allreduce(v, o);
  } catch (const std::exception& e) {
    fail("all-reduce", e);
  }
  wait(w, "all-reduce");
  return t.item<double>();
}

void broadcast_module(ProcessGroup& pg, torch::nn::Module& module) {
  if (pg.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> ts;
  for (auto& p : module.parameters()) ts.push_back(p.data());
  for (auto& b : module.buffers()) ts.push_back(b.data());
  // Flatten per dtype so the start-up costs a few collectives, not hundreds.
  std::map<c10::ScalarType, std::vector<torch::Tensor>> by_type;
  for (auto& t : ts) by_type[t.scalar_type()].push_back(t);
  for (auto& [type, group] : by_type) {
    std::vector<torch::Tensor> flat{torch::cat([&] {
      std::vector<torch::Tensor> v;
      for (auto& t : group) v.push_back(t.reshape({-1}));
      return v;
    }())};
    pg.broadcast(flat, 0);
    int64_t off = 0;
    for (auto& t : group) {
      t.copy_(flat[0].narrow(0, off, t.numel()).view(t.sizes()));
      off += t.numel();
    }
  }
}

// ---------------------------------------------------------------------------

struct GradReducer::Impl {
  std::shared_ptr<ProcessGroup> pg;
  std::vector<torch::Tensor> params;
  std::vector<std::vector<size_t>> buckets;  // parameter indices
  std::vector<size_t> bucket_of;             // parameter -> bucket
  std::vector<int64_t> pending;              // per bucket: gradients not yet accumulated
  std::vector<torch::Tensor> flat;           // per bucket: the buffer in flight
  std::vector<c10::intrusive_ptr<c10d::Work>> work;
  std::vector<bool> launched;
  size_t next_launch = 0;
  bool armed = false;
  bool overlapped = false;
  // Kept alive for the hooks. The pointer type changed across LibTorch versions
  // (shared_ptr up to 2.11, intrusive_ptr later): take whatever grad_accumulator returns.
  std::vector<decltype(torch::autograd::impl::grad_accumulator(std::declval<const at::Tensor&>()))> accumulators;
  std::mutex mu;  // hooks may run on autograd worker threads (CUDA)

  void launch(size_t b) {
    std::vector<torch::Tensor> parts;
    for (size_t i : buckets[b]) {
      auto& p = params[i];
      parts.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
    }
    flat[b] = torch::cat(parts);
    work[b] = pg->all_reduce_sum_async(flat[b]);
    launched[b] = true;
  }
  // Launch every ready bucket in order, so all ranks issue the same sequence.
  void launch_ready() {
    while (next_launch < buckets.size() && pending[next_launch] == 0) {
      launch(next_launch);
      ++next_launch;
    }
  }
};

GradReducer::GradReducer(std::shared_ptr<ProcessGroup> pg, std::vector<torch::Tensor> params, int64_t bucket_bytes)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.pg = std::move(pg);
  for (auto& p : params)
    if (p.requires_grad()) s.params.push_back(p);
  if (s.pg->world_size() == 1) return;
  // Reverse registration order: the output layers' gradients come first in backward.
  s.bucket_of.assign(s.params.size(), 0);
  int64_t bytes = 0;
  for (size_t k = s.params.size(); k-- > 0;) {
    const auto& p = s.params[k];
    // One dtype per bucket (torch::cat needs it; mixed-precision models keep float32 masters anyway).
    bool new_bucket = s.buckets.empty() || bytes >= bucket_bytes ||
                      s.params[s.buckets.back().front()].scalar_type() != p.scalar_type();
    if (new_bucket) {
      s.buckets.emplace_back();
      bytes = 0;
    }
    s.buckets.back().push_back(k);
    s.bucket_of[k] = s.buckets.size() - 1;
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  s.pending.assign(s.buckets.size(), 0);
  s.flat.resize(s.buckets.size());
  s.work.resize(s.buckets.size());
  s.launched.assign(s.buckets.size(), false);
  Impl* self = impl_.get();
  for (size_t k = 0; k < s.params.size(); ++k) {
    auto acc = torch::autograd::impl::grad_accumulator(s.params[k]);
    acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [self, k](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          std::lock_guard<std::mutex> lock(self->mu);
          if (self->armed) {
            size_t b = self->bucket_of[k];
            if (--self->pending[b] == 0 && b == self->next_launch) {
              self->overlapped = true;
              self->launch_ready();
            }
          }
          return outputs;
        }));
    s.accumulators.push_back(std::move(acc));
  }
}

GradReducer::~GradReducer() = default;

int64_t GradReducer::num_buckets() const { return static_cast<int64_t>(impl_->buckets.size()); }
bool GradReducer::overlapped_last_step() const { return impl_->overlapped; }

void GradReducer::prepare() {
  auto& s = *impl_;
  if (s.pg->world_size() == 1) return;
  std::lock_guard<std::mutex> lock(s.mu);
  for (size_t b = 0; b < s.buckets.size(); ++b) {
    s.pending[b] = static_cast<int64_t>(s.buckets[b].size());
    s.launched[b] = false;
    s.work[b].reset();
    s.flat[b] = torch::Tensor();
  }
  s.next_launch = 0;
  s.overlapped = false;
  s.armed = true;
}

void GradReducer::finish() {
  auto& s = *impl_;
  if (s.pg->world_size() == 1) return;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.armed = false;
    // Parameters that took no part in this backward (pending > 0) are sent as
    // zeros; every rank launches the rest in the same order.
    for (size_t b = s.next_launch; b < s.buckets.size(); ++b) s.pending[b] = 0;
    s.launch_ready();
  }
  torch::NoGradGuard no_grad;
  const double inv = 1.0 / s.pg->world_size();
  for (size_t b = 0; b < s.buckets.size(); ++b) {
    s.pg->wait(s.work[b], "gradient all-reduce");
    s.flat[b].mul_(inv);
    int64_t off = 0;
    for (size_t i : s.buckets[b]) {
      auto& p = s.params[i];
      auto part = s.flat[b].narrow(0, off, p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(part);
      else
        p.mutable_grad() = part.clone();
      off += p.numel();
    }
    s.flat[b] = torch::Tensor();
    s.work[b].reset();
  }
}

// ---------------------------------------------------------------------------

std::vector<std::vector<int64_t>> rank_micro_batches(const std::vector<std::vector<int64_t>>& step_batches, int rank,
                                                     int world_size, int64_t max_batch) {
  const int64_t n = static_cast<int64_t>(step_batches.size());
  if (world_size == 1) return step_batches;
  if (n % world_size == 0) {
    const int64_t per = n / world_size;
    return {step_batches.begin() + rank * per, step_batches.begin() + (rank + 1) * per};
  }
  std::vector<int64_t> all;
  for (auto& b : step_batches) all.insert(all.end(), b.begin(), b.end());
  const int64_t total = static_cast<int64_t>(all.size());
  if (total < world_size)
    throw UserError("a training step has " + std::to_string(total) + " examples but there are " +
                    std::to_string(world_size) +
                    " ranks: raise train.batch_size or train.grad_accum (the global batch is batch_size x grad_accum)");
  // Contiguous slices, the first (total % world) ranks one row larger.
  const int64_t base = total / world_size, extra = total % world_size;
  const int64_t lo = rank * base + std::min<int64_t>(rank, extra);
  const int64_t len = base + (rank < extra ? 1 : 0);
  const int64_t m = std::max<int64_t>(1, (len + max_batch - 1) / std::max<int64_t>(1, max_batch));
  std::vector<std::vector<int64_t>> out;
  const int64_t mb = len / m, mextra = len % m;
  int64_t off = lo;
  for (int64_t i = 0; i < m; ++i) {
    int64_t l = mb + (i < mextra ? 1 : 0);
    out.emplace_back(all.begin() + off, all.begin() + off + l);
    off += l;
  }
  return out;
}

}  // namespace zl::dist
