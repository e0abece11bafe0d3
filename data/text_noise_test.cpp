// The text noise: determinism (a function of seed, id, copy, text and options only), placeholders
// untouched, rates honoured within tolerance, each kind doing what it says.
#include "text_noise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "error.h"

namespace zl {
namespace {

const std::vector<std::string> kTexts = {
    "我的快递到哪了，怎么还没到？", "我要退款，订单号<ORDER>，电话<PHONE>。", "在吗？已经付款了，什么时候发货",
    "你们的客服电话是多少", "我想查询一下物流信息", "帮我取消这个订单可以吗"};

TextNoiser noiser(const NoiseOptions& o) { return TextNoiser(PinyinTable::system(), count_chars(kTexts), o); }

TEST(TextNoise, SpecParsing) {
  EXPECT_EQ(parse_noise_spec("homophone=0.1,drop=0.02", "x").spec(), "homophone=0.1,drop=0.02");
  const NoiseOptions p = parse_noise_spec("0.2", "x");
  EXPECT_DOUBLE_EQ(p.homophone, 0.2);
  EXPECT_DOUBLE_EQ(p.near_homophone, 0.1);
  EXPECT_DOUBLE_EQ(p.punct, 0.6000000000000001);
  EXPECT_THROW(parse_noise_spec("homofone=0.1", "x"), UserError);
  EXPECT_THROW(parse_noise_spec("homophone=1.5", "x"), UserError);
  EXPECT_THROW(parse_noise_spec("2", "x"), UserError);
  EXPECT_THROW(parse_noise_spec("homophone=0.7,near_homophone=0.5", "x"), UserError);
}

TEST(TextNoise, PlaceholdersAreOneUnit) {
  auto u = noise_units("订单<ORDER>号<PHONE>和<abc>");
  ASSERT_EQ(u.size(), 11u);  // <abc> is five units
  EXPECT_EQ(u[2], U"<ORDER>");
  EXPECT_EQ(u[4], U"<PHONE>");
  EXPECT_EQ(u[6], U"<");  // not a placeholder: lower case
}

TEST(TextNoise, DeterministicAndDependsOnSeedIdCopy) {
  const NoiseOptions o = parse_noise_spec("0.3", "x");
  const TextNoiser a = noiser(o), b = noiser(o);
  for (const auto& t : kTexts) {
    EXPECT_EQ(a.apply(t, 7, "row1", 1), b.apply(t, 7, "row1", 1));
    EXPECT_EQ(a.apply(t, 7, "row1", 1), a.apply(t, 7, "row1", 1));  // no hidden state
  }
  int differ_seed = 0, differ_id = 0, differ_copy = 0;
  for (const auto& t : kTexts) {
    const std::string x = a.apply(t, 7, "row1", 1);
    differ_seed += x != a.apply(t, 8, "row1", 1);
    differ_id += x != a.apply(t, 7, "row2", 1);
    differ_copy += x != a.apply(t, 7, "row1", 2);
  }
  EXPECT_GE(differ_seed, 4);
  EXPECT_GE(differ_id, 4);
  EXPECT_GE(differ_copy, 4);
}

TEST(TextNoise, PlaceholdersNeverAltered) {
  // Every kind at a high rate: the placeholders survive intact and in order.
  const NoiseOptions o = parse_noise_spec("homophone=0.5,near_homophone=0.3,ime=0.5,drop=0.3,repeat=0.3,swap=0.3,punct=1", "x");
  const TextNoiser n = noiser(o);
  const std::string t = "订单<ORDER>退款<PHONE><ID>卡号<CARD>邮箱<EMAIL>座机<TEL>快递";
  for (int id = 0; id < 200; ++id) {
    const std::string s = n.apply(t, 1, std::to_string(id), 1);
    size_t at = 0;
    for (const char* p : {"<ORDER>", "<PHONE>", "<ID>", "<CARD>", "<EMAIL>", "<TEL>"}) {
      const size_t f = s.find(p, at);
      ASSERT_NE(f, std::string::npos) << s;
      at = f + 1;
    }
    for (const char* p : {"<ORDER>", "<PHONE>", "<ID>", "<CARD>", "<EMAIL>", "<TEL>"})
      EXPECT_EQ(s.find(p, s.find(p) + 1), std::string::npos) << "repeated placeholder: " << s;
  }
}

TEST(TextNoise, RatesHonouredWithinTolerance) {
  // homophone 0.15 over characters with a reading and a substitute; drop 0.05 over all units.
  std::string long_text;
  for (int i = 0; i < 30; ++i) long_text += kTexts[static_cast<size_t>(i) % kTexts.size()];
  const TextNoiser h = noiser(parse_noise_spec("homophone=0.15", "x"));
  NoiseCounts c;
  for (int id = 0; id < 200; ++id) h.apply(long_text, 3, std::to_string(id), 1, &c);
  ASSERT_GT(c.substitutable, 5000);
  const double rate = static_cast<double>(c.homophone) / static_cast<double>(c.substitutable);
  EXPECT_NEAR(rate, 0.15, 0.015) << c.homophone << " of " << c.substitutable;
  const TextNoiser d = noiser(parse_noise_spec("drop=0.05", "x"));
  NoiseCounts dc;
  for (int id = 0; id < 40; ++id) d.apply(long_text, 3, std::to_string(id), 1, &dc);
  const double drop_rate = static_cast<double>(dc.drop) / static_cast<double>(dc.units - dc.placeholders);
  EXPECT_NEAR(drop_rate, 0.05, 0.01);
  EXPECT_EQ(dc.homophone, 0);
}

TEST(TextNoise, KindsDoWhatTheySay) {
  const TextNoiser p = noiser(parse_noise_spec("punct=1", "x"));
  EXPECT_EQ(p.apply("在吗？已经付款了，什么时候发货。", 1, "a", 1), "在吗已经付款了什么时候发货");
  // Homophones only from the train texts' characters: 在 -> a character of kTexts read zai.
  const TextNoiser h = noiser(parse_noise_spec("homophone=1", "x"));
  const std::string s = h.apply("已", 1, "a", 1);
  EXPECT_TRUE(s == "以" || s == "一") << s;  // the other yi characters of kTexts (可以, 一下)
  // IME: 快递 -> each syllable's most frequent character in the counts.
  std::vector<std::string> texts = kTexts;
  texts.push_back("地地地地地地");  // 地 (de, di) now the most frequent "di" character
  TextNoiser ime(PinyinTable::system(), count_chars(texts), parse_noise_spec("ime=1", "x"));
  EXPECT_EQ(ime.apply("快递", 1, "a", 1), "快地");
  const TextNoiser r = noiser(parse_noise_spec("repeat=1", "x"));
  EXPECT_EQ(r.apply("在吗", 1, "a", 1), "在在吗吗");
  const TextNoiser sw = noiser(parse_noise_spec("swap=1", "x"));
  EXPECT_EQ(sw.apply("在吗", 1, "a", 1), "吗在");
  const TextNoiser all = noiser(parse_noise_spec("drop=1", "x"));
  EXPECT_EQ(all.apply("在吗", 1, "a", 1), "在吗");  // never an empty text
}

}  // namespace
}  // namespace zl
