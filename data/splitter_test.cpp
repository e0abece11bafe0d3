#include "splitter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace zl {
namespace {

std::vector<std::string> strata(size_t a, size_t b) {
  std::vector<std::string> v;
  for (size_t i = 0; i < a + b; ++i) v.push_back(i % 3 == 0 && b ? "neg" : "pos");
  return v;
}

TEST(Splitter, DeterministicForASeed) {
  auto s = strata(700, 300);
  EXPECT_EQ(stratified_split(s, 0.8, 0.1, 0.1, 7), stratified_split(s, 0.8, 0.1, 0.1, 7));
  EXPECT_NE(stratified_split(s, 0.8, 0.1, 0.1, 7), stratified_split(s, 0.8, 0.1, 0.1, 8));
}

TEST(Splitter, StratifiedProportions) {
  std::vector<std::string> s;
  for (int i = 0; i < 800; ++i) s.push_back("a");
  for (int i = 0; i < 200; ++i) s.push_back("b");
  auto out = stratified_split(s, 0.8, 0.1, 0.1, 42);
  std::map<std::pair<std::string, int>, int> c;
  for (size_t i = 0; i < s.size(); ++i) ++c[{s[i], static_cast<int>(out[i])}];
  EXPECT_EQ((c[{"a", 0}]), 640);
  EXPECT_EQ((c[{"a", 1}]), 80);
  EXPECT_EQ((c[{"a", 2}]), 80);
  EXPECT_EQ((c[{"b", 0}]), 160);
  EXPECT_EQ((c[{"b", 1}]), 20);
  EXPECT_EQ((c[{"b", 2}]), 20);
}

TEST(Splitter, KnownAssignmentIsStableAcrossBuilds) {
  // Pins the algorithm: a change here re-splits everyone's datasets.
  std::vector<std::string> s(10, "x");
  auto out = stratified_split(s, 0.6, 0.2, 0.2, 1);
  std::string code;
  for (auto v : out) code += static_cast<char>('0' + static_cast<int>(v));
  EXPECT_EQ(code.size(), 10u);
  EXPECT_EQ(std::count(code.begin(), code.end(), '1'), 2);
  EXPECT_EQ(std::count(code.begin(), code.end(), '2'), 2);
  EXPECT_EQ(code, "0121000002") << "update this constant only on purpose";
}

}  // namespace
}  // namespace zl
