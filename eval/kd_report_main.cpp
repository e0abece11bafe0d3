// kd report: the report of a sweep (or of any run directories) for managers
// (report.html) and for engineers and scripts (report.md, summary.json).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "error.h"
#include "report_builder.h"

int main(int argc, char** argv) {
  return zl::run_main("report", [&]() -> int {
    CLI::App app{
        "Write the report of a sweep: report.html (one self-contained page with a plain-language summary in Chinese\n"
        "and English), report.md and summary.json. Each input is a run directory (run.json + eval/<split>/metrics.json)\n"
        "or a sweep directory holding such runs in <dir>/<run>/ or <dir>/runs/<run>/.\n\n"
        "Example:\n"
        "  kd report runs/sweep-smp2017 --out runs/sweep-smp2017/report --max-drop 1.0\n"
        "  kd report runs/sweep-complaints --metric macro_f1\n"
        "  kd report runs/teacher runs/tiny-kd-s1 runs/tiny-s1 --out /tmp/report",
        "kd report"};
    std::vector<std::string> inputs;
    std::string out;
    zl::report::ReportOptions options;
    app.add_option("dirs", inputs, "sweep directory or run directories")->required();
    app.add_option("--out", out, "output directory (default: <sweep dir>/report when one sweep directory is given)");
    std::string metric = "accuracy";
    app.add_option("--max-drop", options.max_drop_points,
                   "recommend the smallest student within this many points (of --metric) of the teacher")
        ->capture_default_str();
    app.add_option("--metric", metric,
                   "what the recommendation, the headline and the charts use: accuracy or macro_f1 (every class "
                   "counts alike; use it when one class dominates)")
        ->capture_default_str();
    app.add_option("--split", options.split, "which evaluated split to report (eval/<split>/metrics.json)")
        ->capture_default_str();
    app.add_option("--title", options.title, "page title");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      int code = app.exit(e);
      return code == 0 ? 0 : zl::kUserErrorExit;
    }
    options.metric = zl::report::parse_report_metric(metric, "--metric");
    if (out.empty()) {
      if (inputs.size() != 1 || std::filesystem::exists(std::filesystem::path(inputs[0]) / "run.json"))
        throw zl::UserError("--out is required unless a single sweep directory is given");
      out = (std::filesystem::path(inputs[0]) / "report").string();
    }
    auto dirs = zl::report::find_run_dirs(inputs);
    auto data = zl::report::build_report_data(zl::report::load_runs(dirs, options.split), options);
    zl::report::write_report(data, out);
    std::cout << zl::report::report_markdown(data) << "\nreport: " << out << "/report.html\n";
    return 0;
  });
}
