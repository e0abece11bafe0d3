// `kd teacher predict`: run trained teachers over splits of a prepared dataset
// and write their outputs once, as a teacher file (teacher_file.h). Several runs
// make an ensemble teacher: their probabilities are averaged and stored as the
// log of the average (kind logits, source ensemble), which softmax turns back
// into exactly the averaged distribution (at T = 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zl {

struct TeacherPredictRequest {
  std::vector<std::string> runs;  // run directories (kd train --out)
  std::string which = "best";     // best | final weights
  std::string data_path;
  std::vector<std::string> splits{"train", "dev", "test"};
  std::string out_path;
  std::string dtype = "float32";  // float32 | float16
  std::string device = "auto";
  int64_t batch_size = 256;
  int64_t threads = 0;
  bool sentence = false;  // also store ModelOutput::sentence (/splits/<s>/sentence); one run only
};

struct TeacherSplitReport {
  std::string split;
  int64_t examples = 0;
  int64_t labelled = 0;
  double accuracy = 0;  // single-label/pair: argmax == gold; multi-label: exact match at p >= 0.5
};

// Writes the teacher file atomically (and checks it against the dataset); prints
// and returns the teacher's accuracy per split.
std::vector<TeacherSplitReport> predict_teacher(const TeacherPredictRequest& req);

}  // namespace zl
