// The Unihan readings (unicode-data) as loaded: spot checks against the known readings of common
// characters, the pinyin parser, the confusions, and the homophone / near-homophone sets.
#include "pinyin.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "error.h"

namespace zl {
namespace {

char32_t cp(const char* utf8) { return utf8_to_codepoints(utf8).at(0); }

std::string numbered(const char* c) {
  std::string s;
  for (const auto& r : PinyinTable::system().readings(cp(c))) s += (s.empty() ? "" : " ") + r.numbered();
  return s;
}

bool contains(const std::vector<char32_t>& v, const char* c) { return std::find(v.begin(), v.end(), cp(c)) != v.end(); }

TEST(Pinyin, ParsesToneMarks) {
  EXPECT_EQ(parse_pinyin("zài").numbered(), "zai4");
  EXPECT_EQ(parse_pinyin("lǘ").numbered(), "lv2");
  EXPECT_EQ(parse_pinyin("nǚ").numbered(), "nv3");
  EXPECT_EQ(parse_pinyin("de").numbered(), "de5");
  EXPECT_EQ(parse_pinyin("shuō").numbered(), "shuo1");
  EXPECT_EQ(parse_pinyin("ǹg").numbered(), "ng4");
  EXPECT_THROW(parse_pinyin("zai!"), UserError);
}

TEST(Pinyin, KnownReadingsOfCommonCharacters) {
  // The customary reading first (kMandarin), then the other standard ones (kTGHZ2013).
  const std::vector<std::pair<const char*, const char*>> want = {
      {"在", "zai4"}, {"再", "zai4"}, {"的", "de5 di1 di2 di4"}, {"得", "de2 de5 dei3"}, {"已", "yi3"},
      {"以", "yi3"}, {"快", "kuai4"}, {"地", "de5 di4"}, {"了", "le5 liao3"}, {"行", "xing2 hang2 heng2"},
      {"长", "zhang3 chang2"}, {"是", "shi4"}, {"四", "si4"}, {"号", "hao4 hao2"}, {"好", "hao3 hao4"},
      {"买", "mai3"}, {"卖", "mai4"}, {"吗", "ma5 ma2 ma3"}, {"订", "ding4"}, {"单", "dan1 chan2 shan4"},
      {"退", "tui4"}, {"款", "kuan3"}, {"钱", "qian2"}, {"女", "nv3"}, {"绿", "lv4 lu4"}, {"路", "lu4"},
      {"你", "ni3"}, {"李", "li3"}, {"说", "shuo1 shui4"}, {"话", "hua4"}, {"发", "fa1 fa4"}, {"货", "huo4"},
      {"递", "di4"}, {"查", "cha2 zha1"}, {"询", "xun2"}, {"重", "zhong4 chong2"}, {"乐", "le4 yue4"},
      {"还", "hai2 huan2"}};
  for (const auto& [c, r] : want) EXPECT_EQ(numbered(c), r) << c;
  EXPECT_TRUE(PinyinTable::system().readings(cp("A")).empty());
  EXPECT_GT(PinyinTable::system().size(), 40000u);
}

TEST(Pinyin, Confusions) {
  auto has = [](const std::string& b, const std::string& v) {
    auto c = confusable_syllables(b);
    return std::find(c.begin(), c.end(), v) != c.end();
  };
  EXPECT_TRUE(has("shi", "si"));
  EXPECT_TRUE(has("si", "shi"));
  EXPECT_TRUE(has("zhang", "zang"));
  EXPECT_TRUE(has("zhang", "zhan"));
  EXPECT_TRUE(has("chen", "cheng"));
  EXPECT_TRUE(has("qin", "qing"));
  EXPECT_TRUE(has("nv", "lv"));
  EXPECT_TRUE(has("lan", "nan"));
  EXPECT_TRUE(has("fei", "hei"));
  EXPECT_TRUE(has("xian", "xiang"));
  EXPECT_FALSE(has("ma", "ma"));
  EXPECT_FALSE(has("ma", "na"));  // m/n is not one of the confusions
}

TEST(Pinyin, HomophoneAndNearHomophoneSets) {
  const PinyinTable& t = PinyinTable::system();
  EXPECT_TRUE(contains(t.homophones(cp("在")), "再"));
  EXPECT_TRUE(contains(t.homophones(cp("已")), "以"));
  EXPECT_TRUE(contains(t.homophones(cp("的")), "得"));
  EXPECT_TRUE(contains(t.homophones(cp("的")), "地"));
  EXPECT_TRUE(contains(t.homophones(cp("递")), "地"));
  EXPECT_FALSE(contains(t.homophones(cp("在")), "在"));
  EXPECT_FALSE(contains(t.homophones(cp("在")), "四"));
  // Same tone: 买 mai3 and 卖 mai4 are toneless homophones only.
  EXPECT_TRUE(contains(t.homophones(cp("买")), "卖"));
  EXPECT_FALSE(contains(t.homophones(cp("买"), true), "卖"));
  EXPECT_TRUE(contains(t.homophones(cp("在"), true), "再"));
  // Near: shi/si, nv/lv, n/l, an/ang; not a homophone, not itself.
  EXPECT_TRUE(contains(t.near_homophones(cp("是")), "四"));
  EXPECT_TRUE(contains(t.near_homophones(cp("女")), "绿"));
  EXPECT_TRUE(contains(t.near_homophones(cp("你")), "李"));
  EXPECT_TRUE(contains(t.near_homophones(cp("单")), "当"));
  EXPECT_FALSE(contains(t.near_homophones(cp("是")), "事"));
  EXPECT_FALSE(contains(t.near_homophones(cp("是")), "是"));
  EXPECT_TRUE(t.homophones(cp("A")).empty());
}

TEST(Pinyin, MissingFileIsAUserError) {
  try {
    PinyinTable::load("/nonexistent/Unihan_Readings.txt.bz2");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("unicode-data"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace zl
