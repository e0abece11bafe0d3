#include "text_normalizer.h"

#include <gtest/gtest.h>

namespace zl {
namespace {

TEST(Utf8, AcceptsValidRejectsInvalid) {
  EXPECT_TRUE(valid_utf8("hello 你好 😀"));
  size_t bad = 0;
  EXPECT_FALSE(valid_utf8(std::string("ab\xff", 3), &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(valid_utf8(std::string("\xe4\xbd", 2), &bad));          // truncated
  EXPECT_FALSE(valid_utf8(std::string("\xc0\xaf", 2), &bad));          // overlong '/'
  EXPECT_FALSE(valid_utf8(std::string("\xed\xa0\x80", 3), &bad));      // surrogate
  EXPECT_FALSE(valid_utf8(std::string("12345678\x80", 9), &bad));      // after the 8-byte fast path
  EXPECT_EQ(bad, 8u);
}

TEST(Normalizer, NfkcFullWidthToHalfWidth) {
  TextNormalizer n(NormalizeOptions{});
  EXPECT_EQ(n.normalize("ＡＢＣ１２３，你好！？"), "ABC123,你好!?");
  EXPECT_EQ(n.normalize("㈠①ｶ"), "(一)1カ");
  // A combining accent after an ASCII letter composes (the piecewise path keeps the starter).
  EXPECT_EQ(n.normalize("cafe\xcc\x81"), "caf\xc3\xa9");
}

TEST(Normalizer, WhitespaceCollapseAndTrim) {
  TextNormalizer n(NormalizeOptions{});
  EXPECT_EQ(n.normalize("  我要\t\t退款 \n 谢谢　　"), "我要 退款 谢谢");  // U+3000 too
  NormalizeOptions keep;
  keep.collapse_whitespace = false;
  EXPECT_EQ(TextNormalizer(keep).normalize(" a  b "), " a  b ");
}

TEST(Normalizer, ControlAndFormatCharactersRemoved) {
  TextNormalizer n(NormalizeOptions{});
  EXPECT_EQ(n.normalize("退\x01款\x7f"), "退款");
  EXPECT_EQ(n.normalize("退\xe2\x80\x8b款\xef\xbb\xbf"), "退款");  // ZWSP, BOM
  NormalizeOptions off;
  off.remove_control = false;
  EXPECT_EQ(TextNormalizer(off).normalize("a\x01" "b"), "a\x01" "b");
}

TEST(Normalizer, NfkcSwitchOff) {
  NormalizeOptions o;
  o.nfkc = false;
  EXPECT_EQ(TextNormalizer(o).normalize("ＡＢＣ"), "ＡＢＣ");
}

TEST(Normalizer, TraditionalToSimplified) {
  NormalizeOptions o;
  o.t2s = true;
  EXPECT_EQ(TextNormalizer(o).normalize("請問訂單什麼時候發貨"), "请问订单什么时候发货");
  EXPECT_EQ(TextNormalizer(NormalizeOptions{}).normalize("請問"), "請問");  // off by default
}

// Found by fuzz/text_normalizer_fuzz (fuzz/regressions/text_normalizer/): OpenCC stops at a
// NUL byte, so with control characters kept t2s dropped the text after one.
TEST(Normalizer, TraditionalToSimplifiedKeepsTextAfterNul) {
  NormalizeOptions o;
  o.t2s = true;
  o.remove_control = false;
  const std::string in("請問\0訂單\0\0發貨", 21);
  EXPECT_EQ(TextNormalizer(o).normalize(in), std::string("请问\0订单\0\0发货", 21));
  EXPECT_EQ(TextNormalizer(o).normalize(std::string(":\t\0\t", 4)), std::string(": \0", 3));
}

TEST(Normalizer, OptionsJsonNamesEverySwitch) {
  std::string j = NormalizeOptions{}.to_json();
  for (const char* k : {"nfkc", "collapse_whitespace", "remove_control", "t2s"})
    EXPECT_NE(j.find(k), std::string::npos) << k;
}

}  // namespace
}  // namespace zl
