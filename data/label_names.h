// Where a file's class names live: the string dataset `/label_names`, which readers
// prefer, and the attribute `/@label_names` while it fits. An HDF5 attribute is stored
// in the object header, limited to 64 KiB (16 bytes per variable-length string: about
// 4000 names), so a dataset of thousands of classes (product-category routing) keeps
// its names only in the dataset; files written before it have only the attribute.
// Used by the prepared-dataset file and the teacher file alike.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "h5_file.h"

namespace zl {

// The most names also written as the attribute (well under the 64 KiB header limit).
constexpr size_t kLabelNamesAttrMax = 2048;

void write_label_names(h5::File& f, const std::vector<std::string>& names);
// The dataset when present, else the attribute (older files).
std::vector<std::string> read_label_names(const h5::File& f);

}  // namespace zl
