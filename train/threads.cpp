#include "threads.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <mutex>
#include <string>
#include <thread>

#include "error.h"

namespace zl {

int64_t available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int64_t>(hw) : 1;
}

namespace {
std::mutex g_mutex;
bool g_interop_set = false;
bool g_interop_fixed_earlier = false;
}  // namespace

ThreadSettings configure_threads(int64_t requested) {
  if (requested < 0)
    throw UserError("--threads " + std::to_string(requested) + ": must be >= 1 (or 0 = every available core)");
  std::lock_guard<std::mutex> lock(g_mutex);
  ThreadSettings s;
  s.available_cores = available_cores();
  if (!g_interop_set) {
    g_interop_set = true;
    // set_num_interop_threads throws once the pool has started (or was sized before).
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error&) {
      g_interop_fixed_earlier = true;
    }
  }
  at::set_num_threads(static_cast<int>(requested > 0 ? requested : s.available_cores));
  s.intra_op = at::get_num_threads();
  s.inter_op = at::get_num_interop_threads();
  s.inter_op_fixed_earlier = g_interop_fixed_earlier;
  return s;
}

nlohmann::json thread_settings_json() {
  return {{"intra_op", at::get_num_threads()},
          {"inter_op", at::get_num_interop_threads()},
          {"available_cores", available_cores()}};
}

}  // namespace zl
