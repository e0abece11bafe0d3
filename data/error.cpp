#include "error.h"

#include <filesystem>
#include <iostream>

namespace zl {

int run_main(const std::string& command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UserError& e) {
    std::cerr << "kd " << command << ": error: " << e.what() << std::endl;
    return kUserErrorExit;
  } catch (const std::filesystem::filesystem_error& e) {
    // The file system refused (disk full, read-only, permissions): the machine's
    // state, not a bug; e.what() names the operation, the path and the reason.
    std::cerr << "kd " << command << ": error: " << e.what()
              << " (check the free space and the permissions of that path)" << std::endl;
    return kUserErrorExit;
  } catch (const std::exception& e) {
    std::cerr << "kd " << command << ": internal error: " << e.what()
              << "\n(this is a bug in Zhengliu, not in your input: please report it)" << std::endl;
    return 1;
  }
}

}  // namespace zl
