// kd export onnx / kd export verify: a thin command line over export_pipeline.h.
#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>

#include "error.h"
#include "export_pipeline.h"

namespace {

void add_common(CLI::App* app, zl::ExportRequest& req) {
  app->add_option("--run", req.run_dir, "run directory written by kd train / kd distill")->required();
  app->add_option("--data", req.data_path, "the run's prepared dataset (default: the path in RUN_DIR/dataset.json)");
  app->add_option("--split", req.split, "split to check parity on, every example (default: test)");
  app->add_option("--weights", req.weights, "best | final (default: best)")->check(CLI::IsMember({"best", "final"}));
  app->add_flag("--allow-unfinished", req.allow_unfinished, "export a run whose run.json status is not 'finished'");
  app->add_option("--threads", req.threads, "CPU threads for the latency measurements (default: 1)");
  app->add_option("--latency-runs", req.latency_runs, "batch-1 runs for latency p50/p95 (default: 200, at least 200)");
  app->add_option("--batch-size", req.batch_size, "batch size for the parity pass (default: 64)");
  app->add_option("--max-abs-diff", req.max_abs_diff, "largest |logit difference| allowed (default: 1e-4)");
  app->add_option("--min-agreement", req.min_agreement, "share of identical predictions required (default: 0.999)");
  app->add_option("--python", req.python,
                  "Python with onnxruntime, onnx, h5py, numpy (default: $ZL_PYTHON, then the build's venv)");
}

void print_summary(const nlohmann::json& v) {
  const auto& par = v.at("parity");
  std::cout << "parity (" << v.at("split").get<std::string>() << ", " << v.at("examples") << " examples): max |logit diff| "
            << std::scientific << std::setprecision(2) << par.at("max_abs_logit_diff").get<double>() << std::fixed
            << ", identical predictions " << std::setprecision(2) << 100.0 * par.at("prediction_agreement").get<double>()
            << " %, accuracy LibTorch " << par.at("torch_accuracy") << " / ONNX " << par.at("onnx_accuracy") << "\n";
  const auto& tl = v.at("torch_latency");
  const auto& fl = v.at("fp32").at("latency");
  std::cout << std::setprecision(3) << "latency batch 1 (" << fl.at("threads") << " thread): LibTorch p50 "
            << tl.at("p50_ms").get<double>() << " ms p95 " << tl.at("p95_ms").get<double>() << " ms; ONNX Runtime p50 "
            << fl.at("p50_ms").get<double>() << " ms p95 " << fl.at("p95_ms").get<double>() << " ms; model.onnx "
            << v.at("fp32").at("size_bytes") << " bytes\n";
  if (v.contains("int8")) {
    const auto& q = v.at("int8");
    std::cout << "int8: " << q.at("size_bytes") << " bytes, accuracy " << q.at("accuracy") << " (drop "
              << q.at("accuracy_drop_points").get<double>() << " points, gate " << q.at("max_drop_points").get<double>()
              << "), p50 " << q.at("latency").at("p50_ms").get<double>() << " ms p95 "
              << q.at("latency").at("p95_ms").get<double>() << " ms: " << (q.at("kept").get<bool>() ? "kept" : "REJECTED")
              << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  return zl::run_main("export", [&]() -> int {
    CLI::App app{"Export a trained student to ONNX, verified against LibTorch with ONNX Runtime.\n"
                 "Example:\n"
                 "  kd export onnx --run runs/smp_bilstm --out exports/smp_bilstm --int8\n"
                 "  kd export verify --run runs/smp_bilstm --dir exports/smp_bilstm",
                 "kd export"};
    app.require_subcommand(1);
    zl::ExportRequest req;
    auto* onnx = app.add_subcommand(
        "onnx",
        "write DIR/{model.onnx, tokenizer.model, labels.json, README.md, export.json}; fails (exit 2, nothing "
        "written) when ONNX Runtime and LibTorch disagree\n"
        "Example: kd export onnx --run runs/smp_bilstm --out exports/smp_bilstm --int8 --int8-max-drop 0.5");
    add_common(onnx, req);
    onnx->add_option("--out", req.out_dir, "export directory to create")->required();
    onnx->add_flag("--force", req.force, "replace --out if it exists");
    onnx->add_flag("--int8", req.int8, "also write model.int8.onnx (dynamic quantization), kept if within the gate");
    onnx->add_option("--int8-max-drop", req.int8_max_drop, "accuracy points INT8 may lose (default: 0.5)");
    auto* verify = app.add_subcommand(
        "verify", "re-check an export directory against its run (parity and latency); writes nothing\n"
                  "Example: kd export verify --run runs/smp_bilstm --dir exports/smp_bilstm");
    add_common(verify, req);
    verify->add_option("--dir", req.out_dir, "export directory written by kd export onnx")->required();
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : zl::kUserErrorExit;
    }
    if (onnx->parsed()) {
      auto summary = zl::run_export(req);
      print_summary(summary.at("verification"));
      std::cout << "exported " << req.out_dir << " (model.onnx"
                << (summary["verification"].contains("int8") && summary["verification"]["int8"]["kept"].get<bool>()
                        ? ", model.int8.onnx"
                        : "")
                << ", tokenizer.model, labels.json, README.md, export.json)\n";
    } else {
      auto v = zl::verify_export(req);
      print_summary(v);
      std::cout << "verified " << req.out_dir << ": parity holds\n";
    }
    return 0;
  });
}
