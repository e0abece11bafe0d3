// Multi-process tests (label slow: each worker start loads LibTorch, ~2 s) of the data-parallel layer: 2 ranks over Gloo on
// loopback must train to the same weights as one process on the same global
// batches; a dead or hung rank must make the other exit with an error within
// the timeout; a 2-rank checkpoint resumes on 1 rank.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "distributed.h"
#include "error.h"

extern char** environ;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Proc {
  pid_t pid = -1;
  std::string log;
};

// Starts the worker with extra environment variables, stderr+stdout to `log`.
Proc spawn_worker(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                  const std::string& log) {
  std::vector<std::string> argv_s{ZL_DIST_WORKER};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string v = *e;
    // The test controls the launch variables itself.
    bool launch_var = false;
    for (const char* k : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "MASTER_ADDR=", "MASTER_PORT=", "ZL_DIST_TIMEOUT="})
      if (v.rfind(k, 0) == 0) launch_var = true;
    if (!launch_var) env_s.push_back(v);
  }
  env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  Proc p;
  p.log = log;
  int rc = posix_spawn(&p.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  return p;
}

// Exit status (128+signal when killed), or -1 when still running after `timeout`.
int wait_for(Proc& p, std::chrono::seconds timeout) {
  auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    int st = 0;
    pid_t r = waitpid(p.pid, &st, WNOHANG);
    if (r == p.pid) {
      p.pid = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

void kill_if_running(Proc& p) {
  if (p.pid > 0) {
    kill(p.pid, SIGKILL);
    waitpid(p.pid, nullptr, 0);
    p.pid = -1;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("zl_dist_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs the worker to completion (60 s at most) and returns its log.
  void run_ok(const std::vector<std::string>& args, const std::string& log) {
    Proc p = spawn_worker(args, {"ZL_DIST_TIMEOUT=30"}, path(log));
    int status = wait_for(p, std::chrono::seconds(60));
    kill_if_running(p);
    ASSERT_EQ(status, 0) << read_file(path(log));
  }

  static std::vector<torch::Tensor> load(const std::string& p) {
    std::vector<torch::Tensor> v;
    torch::load(v, p);
    return v;
  }
  static void expect_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-4, 1e-5))
          << "parameter " << i << " differs by " << (a[i] - b[i]).abs().max().item<double>();
    }
  }
  // The weights must also have moved: equal-but-untrained would prove nothing.
  static void expect_trained(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff += (a[i] - b[i]).abs().sum().item<double>();
    EXPECT_GT(diff, 1e-3);
  }

  fs::path dir_;
};

// 2 ranks (--nproc 2, Gloo on loopback) == 1 process on the same global batches,
// both when the accumulation divides by the world size (whole micro-batches per
// rank) and when it does not (each batch sliced between the ranks).
TEST_F(DistributedTest, TwoRanksMatchOneProcess) {
  for (const std::string accum : {"2", "1"}) {
    SCOPED_TRACE("grad_accum " + accum);
    const std::vector<std::string> common{"--steps", "6", "--batch", "8", "--accum", accum};
    auto args1 = common;
    args1.insert(args1.end(), {"--out", path("one.pt")});
    run_ok(args1, "one.log");
    auto args2 = common;
    args2.insert(args2.end(), {"--nproc", "2", "--out", path("two.pt")});
    run_ok(args2, "two.log");
    auto zero = common;
    zero[1] = "0";
    zero.insert(zero.end(), {"--out", path("init.pt")});
    run_ok(zero, "init.log");
    auto one = load(path("one.pt")), two = load(path("two.pt")), init = load(path("init.pt"));
    expect_close(one, two);
    expect_trained(one, init);
    EXPECT_NE(read_file(path("two.log")).find("world 2"), std::string::npos) << read_file(path("two.log"));
  }
}

// A checkpoint written by a 2-rank run continues on 1 rank to the same weights
// as an uninterrupted single-process run.
TEST_F(DistributedTest, ResumeTwoRankCheckpointOnOneRank) {
  const std::vector<std::string> common{"--steps", "6", "--batch", "8", "--accum", "2"};
  auto a = common;
  a.insert(a.end(), {"--nproc", "2", "--save-at", "3", "--save", path("ckpt.pt")});
  a[1] = "3";
  run_ok(a, "first.log");
  auto b = common;
  b.insert(b.end(), {"--resume", path("ckpt.pt"), "--out", path("resumed.pt")});
  run_ok(b, "resumed.log");
  auto c = common;
  c.insert(c.end(), {"--out", path("straight.pt")});
  run_ok(c, "straight.log");
  expect_close(load(path("resumed.pt")), load(path("straight.pt")));
}

// Launches 2 ranks by hand (torchrun's variables) training forever, stops rank 1
// with `sig`, and expects rank 0 to exit with a clear error within the timeout.
void expect_peer_failure_detected(DistributedTest* t, const std::string& dir, int sig, int timeout_s) {
  const int port = zl::dist::free_port();
  std::vector<Proc> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.push_back(spawn_worker({"--forever"},
                                 {"RANK=" + std::to_string(r), "LOCAL_RANK=" + std::to_string(r), "WORLD_SIZE=2",
                                  "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port),
                                  "ZL_DIST_TIMEOUT=" + std::to_string(timeout_s)},
                                 dir + "/rank" + std::to_string(r) + ".log"));
  // Wait until both train.
  auto end = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < end && read_file(ranks[1].log).find("step 2") == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_NE(read_file(ranks[1].log).find("step 2"), std::string::npos) << read_file(ranks[1].log);
  kill(ranks[1].pid, sig);
  auto t0 = Clock::now();
  int status = wait_for(ranks[0], std::chrono::seconds(timeout_s + 15));
  double took = std::chrono::duration<double>(Clock::now() - t0).count();
  kill_if_running(ranks[0]);
  kill_if_running(ranks[1]);
  const std::string log0 = read_file(ranks[0].log);
  ASSERT_NE(status, -1) << "rank 0 still running " << timeout_s + 15 << " s after rank 1 stopped:\n" << log0;
  EXPECT_EQ(status, 1) << log0;
  // The survivor names the rank it lost, and how it knows.
  EXPECT_NE(log0.find(sig == SIGKILL ? "lost rank 1 (process " : "lost rank 1 (process "), std::string::npos) << log0;
  EXPECT_NE(log0.find(sig == SIGKILL ? "on this machine has exited" : "still runs but stopped responding"),
            std::string::npos)
      << log0;
  EXPECT_NE(log0.find("--resume"), std::string::npos) << log0;
  EXPECT_LE(took, timeout_s + 10) << log0;
  (void)t;
}

TEST_F(DistributedTest, KilledRankMakesTheOtherExit) {
  expect_peer_failure_detected(this, dir_.string(), SIGKILL, 10);
}

TEST_F(DistributedTest, HungRankTimesOut) {
  expect_peer_failure_detected(this, dir_.string(), SIGSTOP, 5);
}

}  // namespace
