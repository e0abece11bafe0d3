// The masking benchmark: tests/fixtures/masking/labelled.txt holds customer-service
// messages with every span that must be masked marked as {{kind:text}}. Each line
// is normalized as `kd data prepare` does and masked; a predicted span counts only
// when its bytes and kind equal a marked span. The per-kind recall and precision
// are printed (docs/data.md quotes them) and the whole set must reach recall
// >= 99 % and precision >= 95 %.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "pii_masker.h"
#include "text_normalizer.h"

namespace zl {
namespace {

// Tests run in the source folder. ZL_MASKING_FIXTURE names another file in the
// same format (e.g. a held-out set) to measure instead.
const std::string kFixture = std::getenv("ZL_MASKING_FIXTURE") ? std::getenv("ZL_MASKING_FIXTURE")
                                                                : "tests/fixtures/masking/labelled.txt";

struct Line {
  int number = 0;
  std::string raw;                 // as the fixture writes it, markup removed
  std::string text;                // normalized
  std::vector<PiiSpan> expected;  // in `text`
};

bool kind_of(const std::string& name, PiiKind& k) {
  for (size_t i = 0; i < kNumPiiKinds; ++i)
    if (name == pii_kind_name(static_cast<PiiKind>(i))) return k = static_cast<PiiKind>(i), true;
  return false;
}

// Normalizes piece by piece so that the marked spans keep their place; white
// space is not collapsed (that would trim each piece), and the test checks the
// pieces give the same text as the whole line.
std::vector<Line> read_fixture() {
  NormalizeOptions no;
  no.collapse_whitespace = false;
  TextNormalizer norm(no);
  std::ifstream in(kFixture);
  EXPECT_TRUE(in.good()) << "cannot read " << kFixture;
  std::vector<Line> lines;
  std::string s;
  int number = 0;
  while (std::getline(in, s)) {
    ++number;
    if (s.empty() || s[0] == '#') continue;
    Line l;
    l.number = number;
    size_t at = 0;
    while (at < s.size()) {
      size_t open = s.find("{{", at);
      std::string plain = s.substr(at, open == std::string::npos ? std::string::npos : open - at);
      l.raw += plain;
      l.text += norm.normalize(plain);
      if (open == std::string::npos) break;
      size_t colon = s.find(':', open), close = s.find("}}", open);
      if (colon == std::string::npos || close == std::string::npos || colon > close) {
        ADD_FAILURE() << kFixture << ":" << number << ": unclosed {{kind:text}}";
        break;
      }
      PiiKind k;
      if (!kind_of(s.substr(open + 2, colon - open - 2), k)) {
        ADD_FAILURE() << kFixture << ":" << number << ": unknown kind " << s.substr(open + 2, colon - open - 2);
        break;
      }
      std::string item = s.substr(colon + 1, close - colon - 1);
      l.raw += item;
      PiiSpan span;
      span.begin = l.text.size();
      l.text += norm.normalize(item);
      span.end = l.text.size();
      span.kind = k;
      l.expected.push_back(span);
      at = close + 2;
    }
    EXPECT_EQ(norm.normalize(l.raw), l.text) << kFixture << ":" << number << ": pieces normalize differently";
    lines.push_back(std::move(l));
  }
  return lines;
}

TEST(PiiMaskerLabelled, RecallAndPrecisionPerKind) {
  const auto lines = read_fixture();
  if (!std::getenv("ZL_MASKING_FIXTURE")) ASSERT_GE(lines.size(), 150u) << kFixture;
  PiiMasker masker{MaskOptions{}};
  struct Count {
    int expected = 0, predicted = 0, correct = 0;
  };
  std::map<std::string, Count> per_kind;
  Count all;
  std::vector<PiiSpan> got;
  for (const auto& l : lines) {
    masker.find(l.text, got);
    auto same = [](const PiiSpan& a, const PiiSpan& b) {
      return a.begin == b.begin && a.end == b.end && a.kind == b.kind;
    };
    for (const auto& e : l.expected) {
      auto& c = per_kind[pii_kind_name(e.kind)];
      ++c.expected, ++all.expected;
      bool hit = false;
      for (const auto& g : got) hit |= same(e, g);
      if (hit) {
        ++c.correct, ++all.correct;
      } else {
        std::printf("  missed %-5s line %d: %s\n    '%s'\n", pii_kind_name(e.kind), l.number, l.text.c_str(),
                    l.text.substr(e.begin, e.end - e.begin).c_str());
      }
    }
    for (const auto& g : got) {
      ++per_kind[pii_kind_name(g.kind)].predicted, ++all.predicted;
      bool hit = false;
      for (const auto& e : l.expected) hit |= same(e, g);
      if (!hit)
        std::printf("  false %-5s line %d: %s\n    '%s'\n", pii_kind_name(g.kind), l.number, l.text.c_str(),
                    l.text.substr(g.begin, g.end - g.begin).c_str());
    }
  }
  auto ratio = [](int a, int b) { return b == 0 ? 1.0 : static_cast<double>(a) / b; };
  std::printf("masking benchmark, %zu messages (%s)\n| kind | marked | masked | correct | recall | precision |\n"
              "|---|---:|---:|---:|---:|---:|\n",
              lines.size(), kFixture.c_str());
  for (const auto& [k, c] : per_kind)
    std::printf("| %s | %d | %d | %d | %.1f%% | %.1f%% |\n", k.c_str(), c.expected, c.predicted, c.correct,
                100 * ratio(c.correct, c.expected), 100 * ratio(c.correct, c.predicted));
  std::printf("| all | %d | %d | %d | %.1f%% | %.1f%% |\n", all.expected, all.predicted, all.correct,
              100 * ratio(all.correct, all.expected), 100 * ratio(all.correct, all.predicted));
  for (size_t k = 0; k < kNumPiiKinds && !std::getenv("ZL_MASKING_FIXTURE"); ++k)
    EXPECT_GT(per_kind[pii_kind_name(static_cast<PiiKind>(k))].expected, 0)
        << "no marked " << pii_kind_name(static_cast<PiiKind>(k)) << " in " << kFixture;
  EXPECT_GE(ratio(all.correct, all.expected), 0.99) << "recall";
  EXPECT_GE(ratio(all.correct, all.predicted), 0.95) << "precision";
}

}  // namespace
}  // namespace zl
