#include "transfer_copies.h"

#include <unordered_map>

namespace zl {

namespace {
bool all_digits(const std::string& s, size_t a, size_t b) {
  if (a >= b) return false;
  for (size_t i = a; i < b; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}
}  // namespace

std::string copy_parent_id(const std::string& id) {
  for (const std::string tag : {"~noise", "~aug"}) {
    const size_t at = id.rfind(tag);
    if (at == std::string::npos || at == 0) continue;
    const size_t k = at + tag.size();
    const size_t dot = id.find('.', k);
    const bool ok = dot == std::string::npos ? all_digits(id, k, id.size())
                                             : all_digits(id, k, dot) && all_digits(id, dot + 1, id.size());
    if (ok) return id.substr(0, at);
  }
  return "";
}

CopySources find_copy_sources(const std::vector<std::string>& ids) {
  std::unordered_map<std::string, int64_t> row;
  row.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) row.emplace(ids[i], static_cast<int64_t>(i));
  CopySources cs;
  cs.source.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t src = static_cast<int64_t>(i);
    bool looked_like_copy = false;
    // Walk up the chain while each parent is a row of the split; the root is the source.
    for (std::string parent = copy_parent_id(ids[i]); !parent.empty(); parent = copy_parent_id(parent)) {
      looked_like_copy = true;
      auto it = row.find(parent);
      if (it != row.end()) src = it->second;
    }
    cs.source[i] = src;
    if (src != static_cast<int64_t>(i)) {
      ++cs.copies;
    } else if (looked_like_copy) {
      if (cs.orphan_example.empty()) cs.orphan_example = ids[i];
      ++cs.orphans;
    }
  }
  return cs;
}

}  // namespace zl
