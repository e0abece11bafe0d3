// Fuzz target: the teacher-file reader (train/teacher_file.*, HDF5, no LibTorch):
// arbitrary bytes written to a file and read as `kd teacher check` and `kd distill`
// read it: the attributes, every split, the check against a fixed small dataset file
// (ZL_FUZZ_DATASET, written by make_fuzz_seeds; skipped when unset), and the aligned
// logits and sentence vectors. Only zl::UserError may come out.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "error.h"
#include "fuzz_input.h"
#include "teacher_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = zl_fuzz::write_input_file(data, size, ".teacher.h5");
  static const char* dataset = std::getenv("ZL_FUZZ_DATASET");
  try {
    const zl::TeacherInfo info = zl::read_teacher_info(path);
    for (const std::string& s : info.split_names) {
      try {
        const zl::TeacherSplit split = zl::read_teacher_split(path, s);
        if (split.values.size() != split.ids.size() * static_cast<size_t>(split.num_labels)) std::abort();
        (void)zl::aligned_teacher_logits(path, info, split, split.ids);
        if (split.sentence_dim > 0) (void)zl::aligned_teacher_sentences(path, s, split.ids);
      } catch (const zl::UserError&) {
      }
    }
    if (dataset && *dataset) (void)zl::find_teacher_problems(path, dataset);
  } catch (const zl::UserError&) {
  }
  return 0;
}
