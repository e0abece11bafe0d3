// Disk full and unwritable outputs (issue 14): kd data prepare, kd train (--resume),
// kd teacher predict, kd report and kd export write into a full file system (a small
// tmpfs the test mounts and fills) or an unwritable one (that tmpfs remounted
// read-only: root ignores chmod; chmod 555 when not root). Each must exit with
// status 2 and a message naming the path and the cause, leave the previous good
// output byte for byte unchanged, and leave no temporary file behind. Mounting needs
// root: without it the full-disk cases are skipped (saying so) and the unwritable
// cases use chmod. Tiny model, a few steps, the demo data.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kBin = ZL_BIN_DIR;
const std::string kSrc = ZL_SOURCE_DIR;

// Runs a shell command; returns the exit status, output in *log.
int sh(const std::string& cmd, std::string* log) {
  const std::string out = fs::temp_directory_path() / ("zl_diskfull_cmd_" + std::to_string(::getpid()) + ".log");
  const int rc = std::system((cmd + " > " + q(out) + " 2>&1").c_str());
  *log = "+ " + cmd + "\n" + read(out);
  fs::remove(out);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

// Every file below `dir` with its bytes (the "previous good outputs").
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) m[e.path().string()] = read(e.path().string());
  return m;
}

// The good inputs and outputs every case starts from, made once (in the normal temp dir).
struct Good {
  std::string dir, data, run_paused, run_done, run_student, teacher, report, train_cfg;
  bool ok = false;
  std::string log;
};

std::string report_command(const Good& g, const std::string& out) {
  return q(kBin + "/kd-report") + " " + q(g.run_done) + " " + q(g.run_student) + " --out " + q(out);
}

const Good& good() {
  static Good g = [] {
    Good g;
    g.dir = (fs::temp_directory_path() / ("zl_diskfull_" + std::to_string(::getpid()))).string();
    fs::remove_all(g.dir);
    fs::create_directories(g.dir);
    g.data = g.dir + "/demo.h5";
    g.train_cfg = g.dir + "/train.yaml";
    std::ofstream(g.train_cfg) << "train:\n  seed: 1\n  batch_size: 16\n  max_steps: 6\n  eval_every: 3\n"
                                  "  threads: 1\n  progress: lines\n";
    const std::string model = kSrc + "/configs/models/student_l1_h64.yaml";
    auto train = [&](const std::string& out, const std::string& extra) {
      return q(kBin + "/kd-train") + " --data " + q(g.data) + " --model " + q(model) + " --config " + q(g.train_cfg) +
             " --device cpu --out " + q(out) + " --set model.max_length=32 " + extra;
    };
    g.run_paused = g.dir + "/run_paused";
    g.run_done = g.dir + "/run_done";
    g.teacher = g.dir + "/teacher.h5";
    g.report = g.dir + "/report";
    const std::vector<std::string> steps = {
        q(kBin + "/kd-data") + " prepare --config " + q(kSrc + "/configs/datasets/demo.yaml") + " --out " + q(g.data),
        train(g.run_paused, "--set train.max_steps_this_invocation=3"),
        train(g.run_done, ""),
        q(kBin + "/kd-teacher") + " predict --run " + q(g.run_done) + " --data " + q(g.data) +
            " --splits train,test --threads 1 --out " + q(g.teacher),
        q(kBin + "/kd-eval") + " --run " + q(g.run_done) + " --data " + q(g.data) + " --split test --out " +
            q(g.run_done + "/eval/test/metrics.json") + " --latency-runs 200",
    };
    for (const auto& s : steps) {
      std::string log;
      if (sh(s, &log) != 0) {
        g.log = log;
        return g;
      }
    }
    // kd report reads the fields kd sweep writes into run.json (docs/evaluation.md):
    // run_done as the teacher, a copy of it as the student.
    g.run_student = g.dir + "/run_student";
    fs::copy(g.run_done, g.run_student, fs::copy_options::recursive);
    auto annotate = [](const std::string& run, const std::string& name, const std::string& kind) {
      auto j = nlohmann::json::parse(read(run + "/run.json"));
      j["name"] = name;
      j["kind"] = kind;
      j["with_distillation"] = false;
      j["gold_label_share"] = 1.0;
      j["seed"] = 1;
      j["params"] = j["parameters"];
      std::ofstream(run + "/run.json") << j.dump(2) << "\n";
    };
    annotate(g.run_done, "teacher", "teacher");
    annotate(g.run_student, "tiny", "student");
    std::string log;
    if (sh(report_command(g, g.report), &log) != 0) {
      g.log = log;
      return g;
    }
    g.ok = true;
    return g;
  }();
  return g;
}

bool is_root() { return ::geteuid() == 0; }

// A small tmpfs at `dir`, unmounted when the case ends.
struct SmallFs {
  std::string dir;
  bool mounted = false;
  std::string why;
  explicit SmallFs(const std::string& d, const std::string& size = "12m") : dir(d) {
    fs::create_directories(dir);
    std::string log;
    mounted = sh("mount -t tmpfs -o size=" + size + " zl_diskfull " + q(dir), &log) == 0;
    if (!mounted) why = "cannot mount a tmpfs here (needs root): " + log;
  }
  ~SmallFs() {
    std::string log;
    if (mounted) sh("umount " + q(dir), &log);
    fs::remove_all(dir);
  }
  // Fills the file system to the last byte.
  void fill() {
    std::ofstream f(dir + "/filler", std::ios::binary);
    std::string block(1 << 16, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size()))) f.flush();
    std::ofstream g(dir + "/filler2", std::ios::binary);
    while (g.put('x')) g.flush();
  }
  bool read_only() {
    std::string log;
    return sh("mount -o remount,ro " + q(dir), &log) == 0;
  }
};

#define EXPECT_CONTAINS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)

std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) v.push_back(e.path().string());
  return v;
}

// One case: `place` puts the previous good output under the mount, `command`
// overwrites it; `cause` is what the message must say.
struct Case {
  std::string name;
  std::function<void(const std::string& mnt)> place;
  std::function<std::string(const std::string& mnt)> command;
  std::string names;  // a path (relative to the mount) the message names
};

std::vector<Case> cases() {
  const Good& g = good();
  const std::string model = kSrc + "/configs/models/student_l1_h64.yaml";
  auto copy_dir = [](const std::string& from, const std::string& to) {
    fs::copy(from, to, fs::copy_options::recursive);
  };
  return {
      {"prepare", [=](const std::string& m) { fs::copy_file(g.data, m + "/demo.h5"); },
       [=](const std::string& m) {
         return q(kBin + "/kd-data") + " prepare --config " + q(kSrc + "/configs/datasets/demo.yaml") + " --out " +
                q(m + "/demo.h5") + " --force";
       },
       "demo.h5"},
      {"train", [=](const std::string& m) { copy_dir(g.run_paused, m + "/run"); },
       [=](const std::string& m) {
         return q(kBin + "/kd-train") + " --data " + q(g.data) + " --model " + q(model) + " --config " +
                q(g.train_cfg) + " --device cpu --set model.max_length=32 --resume --out " + q(m + "/run");
       },
       "run/"},
      {"teacher predict", [=](const std::string& m) { fs::copy_file(g.teacher, m + "/teacher.h5"); },
       [=](const std::string& m) {
         return q(kBin + "/kd-teacher") + " predict --run " + q(g.run_done) + " --data " + q(g.data) +
                " --splits train,test --threads 1 --out " + q(m + "/teacher.h5");
       },
       "teacher.h5"},
      {"report", [=](const std::string& m) { copy_dir(g.report, m + "/report"); },
       [=](const std::string& m) { return report_command(g, m + "/report"); },
       "report/"},
      {"export", [=](const std::string& m) {
         fs::create_directories(m + "/export");
         std::ofstream(m + "/export/model.onnx") << "the previous export\n";
       },
       [=](const std::string& m) {
         return q(kBin + "/kd-export") + " onnx --run " + q(g.run_done) + " --data " + q(g.data) + " --out " +
                q(m + "/export") + " --force";
       },
       "export"},
  };
}

void expect_refused(const Case& c, const std::string& mnt, const std::string& cause) {
  const auto before = snapshot(mnt);
  std::string log;
  const int rc = sh(c.command(mnt), &log);
  SCOPED_TRACE(c.name);
  EXPECT_EQ(rc, 2) << log;
  EXPECT_CONTAINS(log, "error: ");
  EXPECT_CONTAINS(log, mnt + "/" + c.names);
  EXPECT_CONTAINS(log, cause);
  EXPECT_EQ(log.find("internal error"), std::string::npos) << log;
  EXPECT_EQ(log.find("Exception raised from"), std::string::npos) << log;
  auto after = snapshot(mnt);
  for (const auto& [path, bytes] : before) {
    if (path.find("/filler") != std::string::npos) continue;
    EXPECT_TRUE(after.count(path) && after[path] == bytes) << path << " changed or vanished\n" << log;
  }
  EXPECT_TRUE(temp_files(mnt).empty()) << "left behind: " << temp_files(mnt)[0] << "\n" << log;
}

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!good().ok) FAIL() << "preparing the good outputs failed:\n" << good().log;
  }
};

TEST_F(DiskFull, FullFileSystem) {
  for (const auto& c : cases()) {
    SmallFs mnt(good().dir + "/full");
    if (!mnt.mounted) GTEST_SKIP() << mnt.why;
    c.place(mnt.dir);
    mnt.fill();
    expect_refused(c, mnt.dir, "No space left on device");
  }
}

TEST_F(DiskFull, UnwritableDirectory) {
  for (const auto& c : cases()) {
    if (is_root()) {
      // Root writes through chmod 555: a read-only mount refuses even root.
      SmallFs mnt(good().dir + "/ro");
      if (!mnt.mounted) GTEST_SKIP() << mnt.why;
      c.place(mnt.dir);
      ASSERT_TRUE(mnt.read_only());
      expect_refused(c, mnt.dir, "Read-only file system");
    } else {
      const std::string dir = good().dir + "/ro";
      fs::create_directories(dir);
      c.place(dir);
      std::string log;
      sh("chmod -R a-w " + q(dir), &log);
      expect_refused(c, dir, "Permission denied");
      sh("chmod -R u+w " + q(dir), &log);
      fs::remove_all(dir);
    }
  }
}

}  // namespace
