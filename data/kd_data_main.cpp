// kd-data: `kd data prepare`, `kd data augment` and `kd data inspect` (thin CLI over zl_prepare).
// The only executable that links sentencepiece (docs/design.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "augment.h"
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

  zl::AugmentOptions aopt;
  auto* aug = app.add_subcommand(
      "augment",
      "add perturbed, unlabelled copies of the train texts: a transfer set for kd distill (docs/data.md)\n"
      "example:\n  kd data augment --data runs/smp.h5 --out runs/smp_aug.h5 --copies 4\n"
      "  kd teacher predict --run runs/teacher --data runs/smp_aug.h5 --out runs/teacher_aug.h5\n"
      "  kd distill --data runs/smp_aug.h5 --teacher runs/teacher_aug.h5 ...");
  aug->add_option("--data", aopt.in_path, "prepared dataset (kd data prepare)")->required();
  aug->add_option("--out", aopt.out_path, "augmented dataset to write (atomically)")->required();
  aug->add_option("--split", aopt.split, "split to augment (default train)");
  aug->add_option("--copies", aopt.copies, "perturbed copies tried per row (default 4)");
  aug->add_option("--mask-prob", aopt.mask_prob, "probability that a token becomes [MASK] (default 0.1)");
  aug->add_option("--replace-prob", aopt.replace_prob,
                  "probability that a token is replaced by one drawn from the split's unigram distribution (default 0.1)");
  aug->add_option("--ngram-prob", aopt.ngram_prob, "probability that a copy keeps one random span only (default 0.25)");
  aug->add_option("--ngram-min", aopt.ngram_min, "shortest span in tokens (default 2)");
  aug->add_option("--ngram-max", aopt.ngram_max, "longest span in tokens (default 8)");
  aug->add_option("--seed", aopt.seed, "random seed (default 1)");
  aug->add_flag("--force", aopt.force, "replace an existing --out file");
  aug->add_option("--noise", aopt.noise,
                  "text-level noise for the transfer copies instead of the token perturbations: a level (0.1: the "
                  "voice-channel preset) or kind=rate,... (homophone, near_homophone, ime, drop, repeat, swap, punct); "
                  "works for pretrained-tokenizer files too (docs/data.md)");
  aug->add_option("--noisy-eval", aopt.noisy_eval, "a labelled split to copy with noise, e.g. test (with --eval-noise)");
  aug->add_option("--eval-noise", aopt.eval_noise,
                  "noise spec of one labelled copy of --noisy-eval, written as split <split>@noise-<spec> (repeatable)");

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
  if (aug->parsed()) {
    return zl::run_main("data augment", [&] {
      if (!aopt.noise.empty() || !aopt.noisy_eval.empty())
        for (const char* o : {"--mask-prob", "--replace-prob", "--ngram-prob", "--ngram-min", "--ngram-max"})
          if (aug->count(o) > 0)
            throw zl::UserError(std::string(o) + " is a token-level perturbation: it does not apply with --noise / "
                                "--noisy-eval (text-level noise)");
      auto res = zl::augment_dataset(aopt);
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
