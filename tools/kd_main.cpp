// `kd`: the one command users type. Like git, it runs `kd-<command>` from its
// own directory. The split is deliberate: sentencepiece (kd-data) carries its
// own protobuf runtime, LibTorch and libonnx carry others, and they must never
// share a process (docs/design.md).
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Command {
  const char* name;
  const char* program;
  const char* summary;
};

// One place that maps command names to programs.
const Command kCommands[] = {
    {"data", "kd-data", "prepare a dataset into HDF5 (prepare), or describe one (inspect)"},
    {"train", "kd-train", "train a model (teacher, or student without distillation)"},
    {"teacher", "kd-teacher", "write (predict) or verify (check) a teacher-output file"},
    {"distill", "kd-distill", "distill a student from teacher-output files"},
    {"eval", "kd-eval", "evaluate a run on a prepared split"},
    {"sweep", "kd-sweep", "run the whole pipeline: teacher, student grid, evaluation, report"},
    {"report", "kd-report", "write the HTML/Markdown report of a sweep"},
    {"export", "kd-export", "export a student to ONNX and verify it"},
};

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  std::string p(buf);
  return p.substr(0, p.rfind('/'));
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: kd <command> [options]   (kd <command> --help for each)\n\n"
               "Zhengliu (蒸馏): distil large teachers into small Chinese customer-service models.\n\n"
               "commands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\nexample:\n  kd data prepare --config configs/datasets/demo.yaml --out runs/demo.h5\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("kd (Zhengliu) %s\n", ZL_VERSION);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    std::string program = self_dir() + "/" + c.program;
    if (::access(program.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "kd: '%s' is not built in this installation (%s missing)\n", c.name, program.c_str());
      return 2;
    }
    std::vector<char*> args;
    args.push_back(const_cast<char*>(program.c_str()));
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(program.c_str(), args.data());
    std::perror(("kd: cannot run " + program).c_str());
    return 1;
  }
  std::fprintf(stderr, "kd: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
