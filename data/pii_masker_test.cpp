#include "pii_masker.h"

#include <gtest/gtest.h>

namespace zl {
namespace {

std::string M(const std::string& s) { return PiiMasker(MaskOptions{}).mask(s); }

TEST(Validators, Gb11643AndLuhn) {
  EXPECT_TRUE(gb11643_valid("11010519491231002X"));
  EXPECT_TRUE(gb11643_valid("110105194912310021") == false);
  EXPECT_TRUE(gb11643_valid("440524188001010014"));
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_TRUE(luhn_valid("6222021234567890128"));
}

TEST(Mask, MobilePhone) {
  EXPECT_EQ(M("我的手机13812345678谢谢"), "我的手机<PHONE>谢谢");
  EXPECT_EQ(M("电话 138 1234 5678 打我"), "电话 <PHONE> 打我");
  EXPECT_EQ(M("138-1234-5678"), "<PHONE>");
  EXPECT_EQ(M("+86 138 1234 5678"), "<PHONE>");
  EXPECT_EQ(M("+8613812345678"), "<PHONE>");
  EXPECT_EQ(M("13812345678 13998765432"), "<PHONE> <PHONE>");
  EXPECT_EQ(M("13812345678 123"), "<PHONE> 123");
  // False positives: too short, wrong second digit, glued to more digits.
  EXPECT_EQ(M("1381234567"), "<ORDER>");  // 10 digits: not a phone, but a long number
  EXPECT_EQ(M("买了3件共138元"), "买了3件共138元");
  EXPECT_EQ(M("12812345678"), "<ORDER>");  // 12x is not a mobile prefix
  EXPECT_EQ(M("2023-11-28 下单"), "2023-11-28 下单");
}

TEST(Mask, Landline) {
  EXPECT_EQ(M("座机010-12345678"), "座机<TEL>");
  EXPECT_EQ(M("0755 1234567"), "<TEL>");
  EXPECT_EQ(M("(021)12345678"), "<TEL>");
  EXPECT_EQ(M("02112345678"), "<TEL>");
  EXPECT_EQ(M("编号0012345678"), "编号<ORDER>");  // 00 is not an area code
  EXPECT_EQ(M("0755"), "0755");
}

TEST(Mask, IdNumberWithCheckDigit) {
  EXPECT_EQ(M("身份证11010519491231002X"), "身份证<ID>");
  EXPECT_EQ(M("身份证11010519491231002x。"), "身份证<ID>。");
  EXPECT_EQ(M("440524188001010014"), "<ID>");
  // Wrong check digit: not an ID; 18 digits failing Luhn too -> a long number.
  EXPECT_EQ(M("440524188001010015"), "<ORDER>");
}

TEST(Mask, BankCardLuhn) {
  EXPECT_EQ(M("卡号6222021234567890128"), "卡号<CARD>");
  EXPECT_EQ(M("4111 1111 1111 1111"), "<CARD>");
  EXPECT_EQ(M("4111-1111-1111-1111"), "<CARD>");
  EXPECT_EQ(M("4111111111111112"), "<ORDER>");   // fails Luhn: contiguous -> order number
  EXPECT_EQ(M("4111 1111 1111 1112"), "<ORDER>");  // grouped, fails Luhn, 16 digits -> order
}

TEST(Mask, Email) {
  EXPECT_EQ(M("发到zhang.san+cs@example.com.cn谢谢"), "发到<EMAIL>谢谢");
  EXPECT_EQ(M("12345678@qq.com"), "<EMAIL>");
  EXPECT_EQ(M("a@b"), "a@b");
  EXPECT_EQ(M("@我 你好"), "@我 你好");
  EXPECT_EQ(M("x@host.c1"), "x@host.c1");
}

TEST(Mask, OrderNumbers) {
  EXPECT_EQ(M("订单号123456789012345"), "订单号<ORDER>");
  EXPECT_EQ(M("顺丰SF1234567890123到哪了"), "顺丰<ORDER>到哪了");
  EXPECT_EQ(M("JD0012345678"), "<ORDER>");
  EXPECT_EQ(M("订单123456789"), "订单123456789");  // 9 digits: below order_min_digits
  EXPECT_EQ(M("version12345678901"), "version<ORDER>");  // a long word is not a prefix
}

TEST(Mask, CountsPerKindAndSwitches) {
  MaskCounts c{};
  std::string out;
  PiiMasker(MaskOptions{}).mask("13812345678 a@b.cn 010-12345678 SF1234567890123", out, c);
  EXPECT_EQ(out, "<PHONE> <EMAIL> <TEL> <ORDER>");
  EXPECT_EQ(c[static_cast<size_t>(PiiKind::kPhone)], 1);
  EXPECT_EQ(c[static_cast<size_t>(PiiKind::kEmail)], 1);
  EXPECT_EQ(c[static_cast<size_t>(PiiKind::kTel)], 1);
  EXPECT_EQ(c[static_cast<size_t>(PiiKind::kOrder)], 1);
  MaskOptions no_phone;
  no_phone.kinds[static_cast<size_t>(PiiKind::kPhone)] = false;
  no_phone.kinds[static_cast<size_t>(PiiKind::kOrder)] = false;
  EXPECT_EQ(PiiMasker(no_phone).mask("13812345678"), "13812345678");
  MaskOptions off;
  off.enabled = false;
  EXPECT_EQ(PiiMasker(off).mask("13812345678 a@b.cn"), "13812345678 a@b.cn");
}

TEST(Mask, LeavesOrdinaryTextAlone) {
  for (const char* s : {"你好，我想退货", "3.5折", "共12件 合计99.80元", "2024年3月5日", "<num>"})
    EXPECT_EQ(M(s), s);
}

}  // namespace
}  // namespace zl
