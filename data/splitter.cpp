#include "splitter.h"

#include <cmath>
#include <map>

namespace zl {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::vector<SplitId> stratified_split(const std::vector<std::string>& strata, double train, double dev, double test,
                                      uint64_t seed) {
  (void)train;
  std::map<std::string, std::vector<size_t>> groups;  // ordered: independent of hash-map layout
  for (size_t i = 0; i < strata.size(); ++i) groups[strata[i]].push_back(i);
  std::vector<SplitId> out(strata.size(), SplitId::kTrain);
  for (auto& [key, idx] : groups) {
    uint64_t state = seed ^ fnv1a(key);
    for (size_t i = idx.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(splitmix64(state) % i);
      std::swap(idx[i - 1], idx[j]);
    }
    const size_t n = idx.size();
    size_t n_dev = static_cast<size_t>(std::llround(n * dev));
    size_t n_test = static_cast<size_t>(std::llround(n * test));
    if (n_dev + n_test > n) n_test = n - std::min(n, n_dev);
    for (size_t k = 0; k < n; ++k) {
      if (k < n_dev) out[idx[k]] = SplitId::kDev;
      else if (k < n_dev + n_test) out[idx[k]] = SplitId::kTest;
    }
  }
  return out;
}

}  // namespace zl
