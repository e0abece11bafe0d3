// LibTorch's two thread pools, set once per process from one place (every
// training and evaluation command calls configure_threads before any tensor work):
//   intra-op (at::set_num_threads): the threads one operator (a matmul) splits over;
//   inter-op (at::set_num_interop_threads): the pool for independent operators
//     (torch::jit fork); our loops never fork, so it gets one thread and cannot
//     compete with the intra-op pool for the cores.
// The default is every core this process may run on (sched_getaffinity: a taskset
// or a cgroup cpuset is respected, unlike std::thread::hardware_concurrency).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace zl {

// Cores this process may run on (the affinity mask); at least 1.
int64_t available_cores();

struct ThreadSettings {
  int64_t intra_op = 0;   // at::get_num_threads() after configuring
  int64_t inter_op = 0;   // at::get_num_interop_threads()
  int64_t available_cores = 0;
  bool inter_op_fixed_earlier = false;  // the inter-op pool had already been sized (it can be set once)
};

// Sets the pools: `requested` intra-op threads (0 = available_cores()), one inter-op
// thread. Call it at the start of a command; later calls change the intra-op count
// only (LibTorch refuses to resize the inter-op pool once it exists). Throws
// UserError for requested < 0.
ThreadSettings configure_threads(int64_t requested);

// What is in effect now: {"intra_op", "inter_op", "available_cores"} for run.json and benchmarks.
nlohmann::json thread_settings_json();

}  // namespace zl
