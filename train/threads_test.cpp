// threads.h: the thread pools are sized from the affinity mask, once, in one place.
#include "threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <sched.h>

#include "error.h"

namespace {

TEST(Threads, AvailableCoresFollowsTheAffinityMask) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(zl::available_cores(), CPU_COUNT(&all));
  // Pin this thread to its first allowed core (what taskset -c 0 does to a process).
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const int64_t pinned = zl::available_cores();
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(pinned, 1);
}

TEST(Threads, ConfigureSetsIntraOpAndOneInterOpThread) {
  zl::ThreadSettings s = zl::configure_threads(1);
  EXPECT_EQ(s.intra_op, 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(s.inter_op, at::get_num_interop_threads());
  if (!s.inter_op_fixed_earlier) EXPECT_EQ(s.inter_op, 1);
  // 0 = every available core; a second call changes the intra-op pool only.
  s = zl::configure_threads(0);
  EXPECT_EQ(s.intra_op, zl::available_cores());
  auto j = zl::thread_settings_json();
  EXPECT_EQ(j.at("intra_op").get<int64_t>(), zl::available_cores());
  EXPECT_EQ(j.at("available_cores").get<int64_t>(), zl::available_cores());
  EXPECT_THROW(zl::configure_threads(-1), zl::UserError);
}

}  // namespace
