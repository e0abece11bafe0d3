#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "error.h"

namespace zl::sweep {
namespace {

volatile sig_atomic_t g_stop_signal = 0;
volatile sig_atomic_t g_child_pid = 0;

void on_signal(int sig) {
  g_stop_signal = sig;
  pid_t child = g_child_pid;
  if (child > 0) ::kill(child, sig);
}

}  // namespace

std::string ProcessResult::describe() const {
  if (term_signal) return std::string("killed by signal ") + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  return "exit status " + std::to_string(exit_code);
}

void install_signal_forwarding() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal() { return g_stop_signal; }

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

ProcessResult run_logged(const std::vector<std::string>& argv, const std::string& log_path, bool echo) {
  {
    std::ofstream log(log_path, std::ios::app);
    if (!log) throw UserError("cannot write the step log " + log_path + " (check the sweep directory's permissions)");
    log << "$ " << shell_join(argv) << "\n";
  }
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log_fd < 0) throw UserError("cannot open the step log " + log_path + ": " + std::strerror(errno));
  int pipe_fd[2] = {-1, -1};
  if (echo && ::pipe2(pipe_fd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");

  auto start = std::chrono::steady_clock::now();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // A sweep killed outright (SIGKILL) cannot pass the signal on: the kernel sends
    // the step SIGTERM instead, so its trainer still checkpoints and exits rather
    // than training on unsupervised.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(128 + SIGTERM);  // the sweep died before prctl
    int out = echo ? pipe_fd[1] : log_fd;
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::string msg = "cannot run " + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  g_child_pid = pid;
  if (g_stop_signal) ::kill(pid, g_stop_signal);  // a signal that arrived just before the fork
  if (echo) {
    ::close(pipe_fd[1]);
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(pipe_fd[0], buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      (void)!::write(log_fd, buf, n);
      (void)!::write(STDOUT_FILENO, buf, n);
    }
    ::close(pipe_fd[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child_pid = 0;
  ::close(log_fd);
  ProcessResult r;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.term_signal = WTERMSIG(status);
  }
  return r;
}

std::string last_error_lines(const std::string& log_path, size_t max_lines) {
  std::ifstream in(log_path);
  if (!in) return "";
  // Only the last invocation's output: logs are appended to, one header line ("$ cmd") per run.
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("$ ", 0) == 0) lines.clear();
    else if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  }
  std::vector<std::string> errors;
  for (const auto& l : lines) {
    std::string lower = l;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("error") != std::string::npos) errors.push_back(l);
  }
  const auto& pick = errors.empty() ? lines : errors;
  std::string out;
  for (size_t i = pick.size() > max_lines ? pick.size() - max_lines : 0; i < pick.size(); ++i)
    out += "    " + pick[i] + "\n";
  return out;
}

}  // namespace zl::sweep
