// The report's robustness section on the synthetic fixture sweep with `robustness` fields added
// to its metrics.json (as kd eval writes them for a file with noised copies of the split).
#include "report_robustness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "error.h"
#include "report_html.h"

namespace zl::report {
namespace {

namespace fs = std::filesystem;

TEST(ReportRobustness, SectionFromTheRunsRobustnessFields) {
  const fs::path dir = fs::temp_directory_path() / ("zl_report_robustness_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(std::string(ZL_SOURCE_DIR) + "/tests/fixtures/report/sweep", dir, fs::copy_options::recursive);
  ReportOptions options;
  ReportData plain = build_report_data(load_runs(find_run_dirs({dir.string()}), "test"), options);
  EXPECT_FALSE(robustness_table(plain).has_value());
  EXPECT_EQ(robustness_html(plain), "");
  EXPECT_FALSE(summary_json(plain).contains("robustness"));
  // Each run loses (seed index + 1) points at noise 0.1 and twice that at 0.2; the teacher 1 and 2.
  for (const auto& e : fs::directory_iterator(dir / "runs")) {
    const fs::path m = e.path() / "eval" / "test" / "metrics.json";
    if (!fs::exists(m)) continue;
    nlohmann::json j = nlohmann::json::parse(read_file(m.string()));
    ASSERT_TRUE(j["metrics"]["accuracy"].is_number() && j["metrics"]["macro_f1"].is_number()) << m;
    const double acc = j["metrics"]["accuracy"].get<double>(), f1 = j["metrics"]["macro_f1"].get<double>();
    const bool teacher = e.path().filename().string().find("teacher") != std::string::npos;
    const double d1 = teacher ? 0.01 : 0.03;
    j["robustness"] = {{"clean", {{"split", "test"}, {"n", 600}, {"accuracy", acc}, {"macro_f1", f1}}},
                       {"noisy",
                        {{{"split", "test@noise-0.1"}, {"noise", "0.1"}, {"n", 600}, {"accuracy", acc - d1},
                          {"macro_f1", f1 - d1}, {"accuracy_drop_points", d1 * 100}, {"macro_f1_drop_points", d1 * 100}},
                         {{"split", "test@noise-0.2"}, {"noise", "0.2"}, {"n", 600}, {"accuracy", acc - 2 * d1},
                          {"macro_f1", f1 - 2 * d1}, {"accuracy_drop_points", d1 * 200},
                          {"macro_f1_drop_points", d1 * 200}}}}};
    std::ofstream(m) << j.dump(2);
  }
  ReportData d = build_report_data(load_runs(find_run_dirs({dir.string()}), "test"), options);
  auto t = robustness_table(d);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->noises, (std::vector<std::string>{"0.1", "0.2"}));
  ASSERT_EQ(t->rows.size(), d.groups.size());
  const RobustnessRow& teacher = t->rows[0];
  EXPECT_EQ(d.groups[teacher.group].kind, "teacher");
  EXPECT_NEAR(teacher.cells[1]->drop_points, 2.0, 1e-9);
  EXPECT_NEAR(teacher.clean_accuracy, d.groups[teacher.group].accuracy, 1e-9);
  EXPECT_NEAR(t->rows[1].cells[0]->drop_points, 3.0, 1e-9);
  ASSERT_TRUE(t->most_robust_student.has_value());
  const std::string html = report_html(d);
  EXPECT_NE(html.find("Robustness to typing and speech-recognition errors"), std::string::npos);
  EXPECT_NE(html.find("noise 噪声 0.2"), std::string::npos);
  EXPECT_NE(html.find("(-6.0)"), std::string::npos);  // a student at noise 0.2, in red
  EXPECT_NE(report_markdown(d).find("## Robustness to noise"), std::string::npos);
  nlohmann::json s = summary_json(d);
  ASSERT_TRUE(s.contains("robustness"));
  EXPECT_EQ(s["robustness"]["noises"].size(), 2u);
  // A damaged field names the file.
  const fs::path first = dir / "runs" / d.runs[0].info.run_id;
  for (const auto& e : fs::directory_iterator(dir / "runs")) {
    const fs::path m = e.path() / "eval" / "test" / "metrics.json";
    if (!fs::exists(m)) continue;
    nlohmann::json j = nlohmann::json::parse(read_file(m.string()));
    j["robustness"]["noisy"][0].erase("accuracy");
    std::ofstream(m) << j.dump(2);
    break;
  }
  try {
    robustness_table(d);
    ADD_FAILURE() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("robustness"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace zl::report
