// Fuzz target: the reader of our prepared-dataset HDF5 file (data/dataset_file.*):
// arbitrary bytes written to a file and read the way the trainers and `kd data
// inspect` read it (attributes, every split with texts, labels only, texts only,
// the tokenizer). Only zl::UserError may come out. The HDF5 library itself
// (Debian's libhdf5, not instrumented) parses the container: a crash inside it is
// reported as a third-party finding in docs/fuzzing.md.
#include <cstdint>
#include <string>

#include "dataset_file.h"
#include "error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = zl_fuzz::write_input_file(data, size, ".h5");
  try {
    const zl::DatasetInfo info = zl::read_dataset_info(path);
    for (const std::string& s : info.split_names) {
      try {
        const zl::SplitData d = zl::read_split(path, s, /*with_text=*/true);
        for (size_t i = 0; i < d.size(); ++i) (void)d.length(i);
      } catch (const zl::UserError&) {
      }
      try {
        (void)zl::read_split_labels(path, s);
      } catch (const zl::UserError&) {
      }
      try {
        (void)zl::read_split_texts(path, s);
      } catch (const zl::UserError&) {
      }
    }
    (void)zl::read_tokenizer_model(path);
  } catch (const zl::UserError&) {
  }
  return 0;
}
