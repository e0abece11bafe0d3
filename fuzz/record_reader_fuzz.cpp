// Fuzz target: the JSONL / CSV / TSV record readers (data/record_reader.*) with their
// options. Byte 0 picks the options, the rest is the input file. Every record is
// read to the end of the file the way `kd data prepare --skip-bad-lines` does; the
// only exceptions allowed out of the reader are RecordError / UserError, and it must
// make progress (a reader that repeats a record forever is a hang: -timeout).
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "record_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t opt = data[0];
  zl::ReaderOptions o;
  o.format = static_cast<zl::InputFormat>((opt & 3) % 3);
  const int task = (opt >> 2) & 3;
  o.task = task == 1 ? zl::Task::kMultiLabel : task == 2 ? zl::Task::kPair : zl::Task::kSingleLabel;
  o.header = !(opt & 0x10);
  if (!o.header) o.columns = {"text", "label", "text_a", "text_b", "labels", "channel"};
  if (opt & 0x20) o.fields.meta = {"channel", "id"};
  o.label_separator = (opt & 0x40) ? "," : "|";
  if (opt & 0x80) o.max_record_bytes = 64;  // the record-size limit on short inputs
  const std::string path = zl_fuzz::write_input_file(data + 1, size - 1, ".in");
  try {
    zl::RecordReader reader(path, o);
    zl::InputRecord r;
    for (;;) {
      try {
        if (!reader.next(r)) break;
      } catch (const zl::RecordError&) {
        if (reader.fatal()) break;
      }
    }
  } catch (const zl::UserError&) {
    // A whole-file problem (no header, missing column): reported to the user.
  }
  return 0;
}
