#include "error.h"

#include <iostream>

namespace zl {

int run_main(const std::string& command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UserError& e) {
    std::cerr << "kd " << command << ": error: " << e.what() << std::endl;
    return kUserErrorExit;
  } catch (const std::exception& e) {
    std::cerr << "kd " << command << ": internal error: " << e.what()
              << "\n(this is a bug in Zhengliu, not in your input: please report it)" << std::endl;
    return 1;
  }
}

}  // namespace zl
