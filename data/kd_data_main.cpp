// kd-data: `kd data prepare` and `kd data inspect` (thin CLI over zl_prepare).
// The only executable that links sentencepiece (docs/design.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "error.h"
#include "inspect.h"
#include "prepare.h"

int main(int argc, char** argv) {
  CLI::App app{"kd data: prepare a dataset into HDF5, or describe a prepared one"};
  app.name("kd data");
  app.require_subcommand(1);

  zl::PrepareOptions popt;
  auto* prep = app.add_subcommand(
      "prepare",
      "read, normalize, mask, tokenize and write one dataset (see docs/data.md)\n"
      "example:\n  kd data prepare --config configs/datasets/demo.yaml --out runs/demo.h5\n"
      "  KD_DATASETS=/work/shared/datasets kd data prepare --config configs/datasets/smp2017_intent.yaml \\\n"
      "      --out runs/smp.h5 --set tokenizer.vocab_size=4000");
  prep->add_option("--config", popt.config_path, "dataset config (YAML)")->required();
  prep->add_option("--out", popt.out_path, "HDF5 file to write (atomically)")->required();
  prep->add_option("--set", popt.overrides, "override a config key: --set a.b=value (repeatable)");
  prep->add_option("--input-dir", popt.input_dir, "folder of the input files (replaces inputs.dir)");
  prep->add_flag("--skip-bad-lines", popt.skip_bad_lines, "skip bad records with a counted warning instead of failing");
  prep->add_flag("--force", popt.force, "replace an existing --out file");
  prep->add_flag("--quiet", popt.quiet, "no per-record warnings");

  std::string inspect_path;
  bool as_json = false;
  auto* insp = app.add_subcommand("inspect",
                                  "describe a prepared HDF5 dataset\nexample:\n  kd data inspect runs/demo.h5 --json");
  insp->add_option("file", inspect_path, "prepared dataset (.h5)")->required();
  insp->add_flag("--json", as_json, "print JSON instead of text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : zl::kUserErrorExit;
  }
  if (prep->parsed()) {
    return zl::run_main("data prepare", [&] {
      auto res = zl::prepare_dataset(popt);
      std::cout << res.summary << std::flush;
      return 0;
    });
  }
  return zl::run_main("data inspect", [&] {
    auto report = zl::inspect_dataset(inspect_path);
    if (as_json) std::cout << report.dump(2) << "\n";
    else std::cout << zl::format_inspection(report);
    return 0;
  });
}
