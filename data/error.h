// Errors that reach the user, and the one place that turns them into exit codes.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace zl {

// Bad input or a bad request: the message names the file, the line or key and
// what to do. Every command exits with status 2 on it.
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

// Exit status for UserError; other failures exit 1.
constexpr int kUserErrorExit = 2;

// Runs a command body; prints "kd <command>: error: ..." and returns 2 for a
// UserError, 1 for any other exception, the body's status otherwise.
int run_main(const std::string& command, const std::function<int()>& body);

}  // namespace zl
