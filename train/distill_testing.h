// Tests only: run kd distill in process and return the UserError it stops with.
#pragma once

#include <string>
#include <utility>

#include "distill.h"
#include "error.h"

namespace zl::testing {

// The message of the UserError run_distill throws, or "(no error)" when it returns.
inline std::string distill_error_of(DistillRequest r) {
  try {
    run_distill(std::move(r));
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace zl::testing
