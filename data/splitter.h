// Seeded, stratified split of one input file into train/dev/test.
//
// Deterministic everywhere: the shuffle is our own Fisher-Yates over a
// splitmix64 stream (std::shuffle and std::uniform_int_distribution differ
// between standard libraries). Per stratum (label; the first label for
// multi-label), the examples are shuffled with a seed derived from the config
// seed and the label, then the first round(n*dev) go to dev, the next
// round(n*test) to test, the rest to train. Within a split, examples keep
// their file order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zl {

enum class SplitId : uint8_t { kTrain = 0, kDev = 1, kTest = 2 };

// strata[i] is example i's stratum key; returns the split of each example.
std::vector<SplitId> stratified_split(const std::vector<std::string>& strata, double train, double dev, double test,
                                      uint64_t seed);

uint64_t splitmix64(uint64_t& state);

}  // namespace zl
