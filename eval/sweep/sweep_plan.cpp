#include "sweep_plan.h"

#include <algorithm>
#include <filesystem>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "label_share.h"

namespace zl::sweep {
namespace fs = std::filesystem;

namespace {

std::string abs_path(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

// Program name only in the hashed command, so another build directory does not rerun everything.
StepKey make_key(const std::string& id, const std::vector<std::string>& argv) {
  StepKey k;
  k.id = id;
  k.command = argv;
  if (!k.command.empty()) k.command[0] = fs::path(argv[0]).filename().string();
  return k;
}

void add_sets(std::vector<std::string>& argv, const std::vector<std::string>& sets) {
  for (const auto& s : sets) {
    argv.push_back("--set");
    argv.push_back(s);
  }
}

// The files of a finished run that later steps depend on.
std::vector<std::string> run_files(const std::string& run_dir) { return {run_dir + "/best.pt", run_dir + "/config.yaml"}; }

}  // namespace

Plan build_plan(const PipelineConfig& cfg, const std::string& sweep_dir_in, const std::string& bin_dir) {
  Plan plan;
  const std::string dir = abs_path(sweep_dir_in);
  plan.sweep_dir = dir;
  auto bin = [&](const std::string& name) { return bin_dir + "/" + name; };
  const std::string split = cfg.eval.split;

  // ---- dataset (and the teacher's own view of it, when it reads the texts with another tokenizer)
  auto add_prepare = [&](const std::string& id, const std::string& config, const std::string& out) {
    Step s;
    s.kind = "prepare";
    s.argv = {bin("kd-data"), "prepare", "--config", abs_path(config), "--out", out};
    s.key = make_key(id, s.argv);
    s.key.inputs = {abs_path(config)};
    s.key.outputs = {out};
    s.clean = {out};
    s.discovered_inputs = [out]() {
      std::vector<std::string> files;
      if (!file_exists(out)) return files;
      try {
        for (const auto& f : nlohmann::json::parse(read_dataset_info(out).source_files_json))
          if (f.contains("path")) files.push_back(f["path"].get<std::string>());
      } catch (const std::exception&) {
        // An unreadable dataset: its own checksum (an output) already fails the check.
      }
      return files;
    };
    plan.steps.push_back(s);
  };
  if (!cfg.dataset.config.empty()) {
    plan.dataset = dir + "/data/dataset.h5";
    add_prepare("prepare", cfg.dataset.config, plan.dataset);
  } else {
    plan.dataset = abs_path(cfg.dataset.file);
  }
  const bool teacher_view = !cfg.teacher.dataset.empty();
  const std::string teacher_data = teacher_view ? dir + "/data/teacher-dataset.h5" : plan.dataset;
  if (teacher_view) add_prepare("prepare-teacher", cfg.teacher.dataset, teacher_data);
  const std::string data = plan.dataset;

  // eval.noise: noised copies of the evaluation split (kd data augment --noisy-eval) in a copy of each
  // evaluated file; kd eval finds them there and reports robustness.
  std::string eval_dataset = data, eval_teacher_data = teacher_data;
  if (!cfg.eval.noise.empty()) {
    auto add_noisy = [&](const std::string& id, const std::string& in, const std::string& out) {
      Step s;
      s.kind = "noisy-eval";
      s.argv = {bin("kd-data"), "augment", "--data", in, "--out", out, "--force", "--noisy-eval", split};
      for (const auto& n : cfg.eval.noise) s.argv.insert(s.argv.end(), {"--eval-noise", n});
      s.key = make_key(id, s.argv);
      s.key.inputs = {in};
      s.key.outputs = {out};
      s.clean = {out};
      plan.steps.push_back(s);
    };
    eval_dataset = dir + "/data/dataset-noisy.h5";
    add_noisy("noisy-eval", data, eval_dataset);
    if (teacher_view) {
      eval_teacher_data = dir + "/data/teacher-dataset-noisy.h5";
      add_noisy("noisy-eval-teacher", teacher_data, eval_teacher_data);
    }
  }

  nlohmann::json runs = nlohmann::json::array();
  nlohmann::json teachers = nlohmann::json::array();
  std::vector<std::string> metrics_files;

  auto add_eval = [&](const std::string& run_name, const std::string& run_dir, const std::string& eval_data,
                      const std::string& teacher_file, const std::string& compare_dir,
                      const std::string& transfer_ids) {
    // The same file with the noised evaluation splits added, when eval.noise asks for them.
    const std::string& eval_file = eval_data == data ? eval_dataset : eval_data == teacher_data ? eval_teacher_data : eval_data;
    Step s;
    s.kind = "eval";
    const std::string out = run_dir + "/eval/" + split + "/metrics.json";
    s.argv = {bin("kd-eval"), "--run", run_dir, "--data", eval_file, "--split", split, "--out", out,
              "--device", cfg.eval.device, "--latency-runs", std::to_string(cfg.eval.latency_runs)};
    s.key.inputs = run_files(run_dir);
    s.key.inputs.push_back(eval_file);
    if (!teacher_file.empty()) {
      s.argv.insert(s.argv.end(), {"--teacher", teacher_file});
      s.key.inputs.push_back(teacher_file);
    }
    if (!compare_dir.empty()) {
      s.argv.insert(s.argv.end(), {"--compare", compare_dir});
      for (const auto& f : run_files(compare_dir)) s.key.inputs.push_back(f);
    }
    if (!transfer_ids.empty()) {
      s.argv.insert(s.argv.end(), {"--transfer-ids", transfer_ids});
      s.key.inputs.push_back(transfer_ids);
    }
    std::vector<std::string> inputs = s.key.inputs;
    s.key = make_key("eval/" + run_name, s.argv);
    s.key.inputs = inputs;
    s.key.outputs = {out};
    s.clean = {out};
    plan.steps.push_back(s);
    metrics_files.push_back(out);
    return out;
  };

  // ---- per label share: derived files, teacher(s), teacher file
  struct ShareState {
    double share;
    std::string train_data;    // what the teacher and no-KD students train on
    std::string distill_data;  // what the teacher labels and KD students train on
    std::string transfer_ids;  // "" for share 1
    std::string teacher_file;
    std::string teacher_train_data, teacher_distill_data;  // the same rows in the teacher's view
  };
  std::vector<ShareState> shares;
  std::vector<Step> predict_steps;
  for (double share : cfg.students.label_shares) {
    ShareState st{share, data, data, "", "", teacher_data, teacher_data};
    const std::string label = share_label(share);
    if (share < 1.0) {
      if (!cfg.teacher.file.empty())
        throw UserError(cfg.source + ": students.label_shares has " + label +
                        " but the teacher is an external file (teacher.file): the sweep cannot show that such a "
                        "teacher never saw the transfer rows' labels, and distilling on share files needs a "
                        "teacher file made for them. Use label_shares: [1.0] with an external teacher, or let "
                        "the sweep train its teachers (teacher.model + teacher.train)");
      ShareFiles files{dir + "/data/gold-" + label + ".h5", dir + "/data/share-" + label + ".h5",
                       dir + "/data/transfer-" + label + ".ids"};
      Step s;
      s.kind = "shares";
      s.key.id = "shares/" + label;
      s.key.command = {"(in-process) write_share_files", "share=" + label,
                       "seed=" + std::to_string(cfg.students.label_share_seed), "version=1"};
      s.key.inputs = {data};
      s.key.outputs = {files.gold_path, files.share_path, files.transfer_ids_path};
      ShareFiles tfiles{dir + "/data/teacher-gold-" + label + ".h5", dir + "/data/teacher-share-" + label + ".h5",
                        dir + "/data/teacher-transfer-" + label + ".ids"};
      if (teacher_view) {
        s.key.command.push_back("teacher-view=1");
        s.key.inputs.push_back(teacher_data);
        for (const auto& f : {tfiles.gold_path, tfiles.share_path, tfiles.transfer_ids_path})
          s.key.outputs.push_back(f);
      }
      s.clean = s.key.outputs;
      const uint64_t seed = cfg.students.label_share_seed;
      s.action = [data, share, seed, files, teacher_view, teacher_data, tfiles] {
        int64_t g = 0, t = 0;
        write_share_files(data, share, seed, files, &g, &t);
        // The teacher's view gets exactly the same gold rows, chosen by id.
        if (teacher_view) write_share_files_like(teacher_data, data, files.gold_path, tfiles);
        std::printf("  label share %s: %lld gold rows, %lld transfer rows\n", share_label(share).c_str(),
                    static_cast<long long>(g), static_cast<long long>(t));
      };
      plan.steps.push_back(s);
      st.train_data = files.gold_path;
      st.distill_data = files.share_path;
      st.transfer_ids = files.transfer_ids_path;
      st.teacher_train_data = teacher_view ? tfiles.gold_path : st.train_data;
      st.teacher_distill_data = teacher_view ? tfiles.share_path : st.distill_data;
    }

    // students.transfer_noise: the teacher labels, and the KD students learn from, noised copies too.
    if (!cfg.students.transfer_noise.empty()) {
      auto add_transfer = [&](const std::string& id, const std::string& in, const std::string& out) {
        Step s;
        s.kind = "noise-transfer";
        s.argv = {bin("kd-data"), "augment", "--data", in, "--out", out, "--force", "--noise",
                  cfg.students.transfer_noise, "--copies", std::to_string(cfg.students.transfer_copies), "--seed",
                  std::to_string(cfg.students.transfer_seed)};
        s.key = make_key(id, s.argv);
        s.key.inputs = {in};
        s.key.outputs = {out};
        s.clean = {out};
        plan.steps.push_back(s);
      };
      const std::string out = dir + "/data/noise-transfer-" + label + ".h5";
      add_transfer("noise-transfer/share-" + label, st.distill_data, out);
      if (teacher_view) {
        const std::string tout = dir + "/data/teacher-noise-transfer-" + label + ".h5";
        add_transfer("noise-transfer-teacher/share-" + label, st.teacher_distill_data, tout);
        st.teacher_distill_data = tout;
      } else {
        st.teacher_distill_data = out;
      }
      st.distill_data = out;
    }

    nlohmann::json tinfo = {{"label_share", share}, {"members", nlohmann::json::array()}};
    if (!cfg.teacher.file.empty()) {
      st.teacher_file = abs_path(cfg.teacher.file);
      tinfo["external_file"] = st.teacher_file;
    } else {
      std::vector<std::string> member_dirs;
      for (int64_t seed : cfg.teacher.seeds) {
        const std::string name = "teacher_share" + label + "_seed" + std::to_string(seed);
        const std::string run_dir = dir + "/runs/" + name;
        Step s;
        s.kind = "teacher";
        s.trains = true;
        s.argv = {bin("kd-train"), "--data", st.teacher_train_data, "--model", abs_path(cfg.teacher.model),
                  "--config", abs_path(cfg.teacher.train), "--out", run_dir, "--set",
                  "train.seed=" + std::to_string(seed)};
        add_sets(s.argv, cfg.teacher.overrides);
        s.key = make_key("teacher/share-" + label + "/seed-" + std::to_string(seed), s.argv);
        s.key.inputs = {st.teacher_train_data, abs_path(cfg.teacher.model), abs_path(cfg.teacher.train)};
        s.key.outputs = run_files(run_dir);
        s.clean = {run_dir};
        s.run_dir = run_dir;
        plan.steps.push_back(s);
        member_dirs.push_back(run_dir);
        tinfo["members"].push_back({{"name", name}, {"run_dir", run_dir}, {"seed", seed}});
        runs.push_back({{"name", name},
                        {"role", "teacher"},
                        {"model", "teacher"},
                        {"model_preset", abs_path(cfg.teacher.model)},
                        {"distillation", false},
                        {"label_share", share},
                        {"seed", seed},
                        {"run_dir", run_dir},
                        {"train_data", st.teacher_train_data},
                        {"eval_data", teacher_data},
                        {"transfer_ids", st.transfer_ids},
                        {"metrics", run_dir + "/eval/" + split + "/metrics.json"}});
      }
      st.teacher_file = dir + "/teachers/teacher_share" + label + ".h5";
      Step s;
      s.kind = "teacher-predict";
      s.argv = {bin("kd-teacher"), "predict"};
      for (const auto& m : member_dirs) s.argv.insert(s.argv.end(), {"--run", m});
      s.argv.insert(s.argv.end(),
                    {"--data", st.teacher_distill_data, "--splits", "train," + split, "--out", st.teacher_file});
      if (cfg.teacher.sentence) s.argv.push_back("--sentence");
      s.key = make_key("teacher-predict/share-" + label, s.argv);
      s.key.inputs = {st.teacher_distill_data};
      for (const auto& m : member_dirs)
        for (const auto& f : run_files(m)) s.key.inputs.push_back(f);
      s.key.outputs = {st.teacher_file};
      s.clean = {st.teacher_file};
      predict_steps.push_back(s);  // after every teacher has trained (they need only kd train)
      tinfo["teacher_file"] = st.teacher_file;
    }
    teachers.push_back(tinfo);
    shares.push_back(st);
  }

  for (auto& s : predict_steps) plan.steps.push_back(std::move(s));

  // ---- students
  struct StudentRun {
    std::string name, run_dir, teacher_file, twin_dir, eval_data;
    bool kd;
  };
  std::vector<StudentRun> students;
  for (const auto& st : shares) {
    const std::string label = share_label(st.share);
    for (const auto& [model_name, preset] : cfg.students.models) {
      const auto own_seeds = cfg.students.model_seeds.find(model_name);
      for (int64_t seed : own_seeds != cfg.students.model_seeds.end() ? own_seeds->second : cfg.students.seeds) {
        for (bool kd : cfg.students.distillation) {
          const std::string name =
              model_name + (kd ? "_kd" : "_nokd") + "_share" + label + "_seed" + std::to_string(seed);
          const std::string twin = model_name + "_nokd_share" + label + "_seed" + std::to_string(seed);
          const std::string run_dir = dir + "/runs/" + name;
          Step s;
          s.kind = "student";
          s.trains = true;
          const std::string train_cfg = abs_path(kd ? cfg.students.distill : cfg.students.train);
          const bool own_view = std::find(cfg.students.teacher_view.begin(), cfg.students.teacher_view.end(),
                                          model_name) != cfg.students.teacher_view.end();
          const std::string train_data = own_view ? (kd ? st.teacher_distill_data : st.teacher_train_data)
                                                  : (kd ? st.distill_data : st.train_data);
          s.argv = {bin(kd ? "kd-distill" : "kd-train"), "--data", train_data, "--model", abs_path(preset),
                    "--config", train_cfg, "--out", run_dir};
          if (kd) s.argv.insert(s.argv.end(), {"--teacher", st.teacher_file});
          s.argv.insert(s.argv.end(), {"--set", "train.seed=" + std::to_string(seed)});
          add_sets(s.argv, cfg.students.overrides);
          if (auto o = cfg.students.model_overrides.find(model_name); o != cfg.students.model_overrides.end())
            add_sets(s.argv, o->second);
          s.key = make_key("student/" + model_name + "/" + (kd ? "kd" : "nokd") + "/share-" + label + "/seed-" +
                               std::to_string(seed),
                           s.argv);
          s.key.inputs = {train_data, abs_path(preset), train_cfg};
          if (kd) s.key.inputs.push_back(st.teacher_file);
          s.key.outputs = run_files(run_dir);
          s.clean = {run_dir};
          s.run_dir = run_dir;
          plan.steps.push_back(s);
          bool has_twin = false;
          for (bool b : cfg.students.distillation) has_twin |= !b;
          const std::string twin_dir = (kd && has_twin) ? dir + "/runs/" + twin : "";
          students.push_back({name, run_dir, st.teacher_file, twin_dir, own_view ? teacher_data : data, kd});
          runs.push_back({{"name", name},
                          {"role", "student"},
                          {"model", model_name},
                          {"model_preset", abs_path(preset)},
                          {"distillation", kd},
                          {"label_share", st.share},
                          {"seed", seed},
                          {"run_dir", run_dir},
                          {"train_data", train_data},
                          {"eval_data", own_view ? teacher_data : data},
                          {"teacher_file", kd ? st.teacher_file : ""},
                          {"twin", kd && has_twin ? twin : ""},
                          {"metrics", run_dir + "/eval/" + split + "/metrics.json"}});
        }
      }
    }
  }

  // ---- evaluation: teachers first (their transfer-row accuracy), then students.
  for (const auto& r : runs) {
    if (r["role"] != "teacher") continue;
    add_eval(r["name"], r["run_dir"], teacher_data, "", "", r["transfer_ids"]);
  }
  for (const auto& s : students)
    add_eval(s.name, s.run_dir, s.eval_data, s.teacher_file, s.kd ? s.twin_dir : "", "");

  // ---- reports: the whole sweep (the teacher of the largest share and every
  // student), and one per share below 1 (that share's teacher, with its accuracy on
  // the transfer rows, and that share's students).
  if (cfg.teacher.file.empty()) {
    double top = 0;
    for (double sh : cfg.students.label_shares) top = std::max(top, sh);
    auto add_report = [&](const std::string& id, const std::string& out, bool all_shares, double share,
                          const std::string& title) {
      Step s;
      s.kind = "report";
      s.argv = {bin("kd-report")};
      std::vector<std::string> inputs;
      for (const auto& r : runs) {
        const double rs = r["label_share"].get<double>();
        const bool teacher = r["role"] == "teacher";
        const bool wanted = teacher ? rs == share : (all_shares || rs == share);
        if (!wanted) continue;
        s.argv.push_back(r["run_dir"].get<std::string>());
        inputs.push_back(r["metrics"].get<std::string>());
        inputs.push_back(r["run_dir"].get<std::string>() + "/run.json");
      }
      s.argv.insert(s.argv.end(), {"--out", out, "--max-drop", share_label(cfg.report_max_drop_points), "--metric",
                                   cfg.report_metric, "--split", split, "--title", title});
      s.key = make_key(id, s.argv);
      s.key.inputs = inputs;
      s.key.outputs = {out + "/report.html", out + "/report.md", out + "/summary.json"};
      plan.steps.push_back(s);
    };
    add_report("report", dir + "/report", true, top,
               cfg.name + (cfg.report_metric == "macro_f1" ? ": macro-F1 versus size" : ": accuracy versus size"));
    for (double sh : cfg.students.label_shares)
      if (sh < top)
        add_report("report/share-" + share_label(sh), dir + "/report/share-" + share_label(sh), false, sh,
                   cfg.name + ": " + share_label(sh * 100) + "% of the gold labels");
  }

  plan.manifest = {{"format", "zhengliu.sweep"},
                   {"format_version", 1},
                   {"name", cfg.name},
                   {"config", abs_path(cfg.source)},
                   {"dataset", data},
                   {"teacher_dataset", teacher_data},
                   {"split", split},
                   {"label_share_seed", cfg.students.label_share_seed},
                   {"report_max_drop_points", cfg.report_max_drop_points},
                   {"report_metric", cfg.report_metric},
                   {"teachers", teachers},
                   {"runs", runs}};
  return plan;
}

}  // namespace zl::sweep
