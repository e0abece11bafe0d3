#include "label_names.h"

namespace zl {

void write_label_names(h5::File& f, const std::vector<std::string>& names) {
  f.write_strings("/label_names", names);
  if (names.size() <= kLabelNamesAttrMax) f.set_attr("/", "label_names", names);
}

std::vector<std::string> read_label_names(const h5::File& f) {
  if (f.exists("/label_names")) return f.read_strings("/label_names");
  return f.attr_strings("/", "label_names");
}

}  // namespace zl
