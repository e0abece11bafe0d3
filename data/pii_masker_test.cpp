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

// Version 2 rules (docs/data.md): keyword context, S10, hotlines, barcodes, timestamps.
TEST(MaskContext, AlphanumericIdsAfterAnOrderKeyword) {
  EXPECT_EQ(M("订单号A20231105B0012还没发货"), "订单号<ORDER>还没发货");
  EXPECT_EQ(M("工单 WO-20231105-0042 处理了吗"), "工单 <ORDER> 处理了吗");
  EXPECT_EQ(M("A20231105B0012这个订单"), "<ORDER>这个订单");  // keyword after the id
  EXPECT_EQ(M("A20231105B0012"), "A20231105B0012");          // no keyword: not an order
  EXPECT_EQ(M("订单里的iPhone15ProMax256G"), "订单里的iPhone15ProMax256G");  // more letters than digits
  EXPECT_EQ(M("拼多多订单号231105-123456789012345"), "拼多多订单号<ORDER>");
  EXPECT_EQ(M("顺丰 SF 1234 5678 9012 到了吗"), "顺丰 <ORDER> 到了吗");
}

TEST(MaskContext, S10InternationalMail) {
  EXPECT_EQ(M("EMS单号EA123456789CN查不到"), "EMS单号<ORDER>查不到");
  EXPECT_EQ(M("我寄的RR987654321US到哪了"), "我寄的<ORDER>到哪了");
  EXPECT_EQ(M("型号AB123456789CD"), "型号AB123456789CD");
}

TEST(MaskContext, ProductBatchTimeAndHotlineNumbersStay) {
  for (const char* s : {"商品编号100012345678还有货吗", "货号2023115678901", "SKU10086123456789", "sku 4567891234567",
                        "批号2023110512345", "批次：2023110502", "时间戳1699164622", "商品条码6901234567892扫不出来",
                        "6901234567892是什么商品", "下单时间20231105143022", "20231105143022付的款",
                        "客服电话400-820-8820", "请拨打4008208820", "售后热线 800 810 8888", "3.14159265358979",
                        "货号13912345678有货吗", "条码是 6 901234 567892"})
    EXPECT_EQ(M(s), s);
  // Still order numbers: after an order keyword, or with a letter prefix.
  EXPECT_EQ(M("订单号20231105143022"), "订单号<ORDER>");
  EXPECT_EQ(M("订单号6901234567892"), "订单号<ORDER>");
  EXPECT_EQ(M("订单号4008208820"), "订单号<ORDER>");
  EXPECT_EQ(M("售后AS20231105000123进度"), "售后<ORDER>进度");
  EXPECT_EQ(M("帮我查下1234567890123到哪了"), "帮我查下<ORDER>到哪了");  // bare, no barcode check digit
  // The nearest keyword decides.
  EXPECT_EQ(M("订单里商品编号100012345678少发了"), "订单里商品编号100012345678少发了");
  EXPECT_EQ(M("商品编号123456的订单202311051234567890"), "商品编号123456的订单<ORDER>");
}

TEST(MaskContext, MistypedPersonalNumbersStayMasked) {
  // Wrong check digit, plausible region and birth date: still the person's ID.
  EXPECT_EQ(M("身份证110105194912310021"), "身份证<ID>");
  EXPECT_FALSE(gb11643_valid("110105199003071235"));
  EXPECT_EQ(M("110105199003071235"), "<ID>");  // no keyword: region and birth date suffice
  EXPECT_EQ(M("身份证号110105491231002"), "身份证号<ID>");  // 15-digit first-generation ID
  // After a card keyword, 16-19 digits failing Luhn are still a card.
  EXPECT_EQ(M("卡号4111111111111112"), "卡号<CARD>");
  // A check digit right by chance does not make an order number personal.
  EXPECT_TRUE(luhn_valid("2025102393924817"));
  EXPECT_EQ(M("订单号2025102393924817"), "订单号<ORDER>");
  EXPECT_EQ(M("2025102393924817"), "<ORDER>");  // no card issuer starts with 20
  EXPECT_EQ(M("取消订单的钱退到6222021234567890128了吗"), "取消订单的钱退到<CARD>了吗");
  EXPECT_EQ(M("(+86)13800138000"), "<PHONE>");
  EXPECT_EQ(M("座机0512-6666 8888"), "座机<TEL>");
}

TEST(MaskContext, ValidatorsAndVersion) {
  EXPECT_TRUE(ean13_valid("6901234567892"));
  EXPECT_FALSE(ean13_valid("6901234567893"));
  EXPECT_TRUE(timestamp14("20231105143022"));
  EXPECT_FALSE(timestamp14("20231305143022"));  // month 13
  EXPECT_FALSE(timestamp14("20230230143022"));  // 30 February
  EXPECT_TRUE(id_plausible("110105194912310021"));
  EXPECT_FALSE(id_plausible("990105194912310021"));  // no province 99
  EXPECT_FALSE(id_plausible("110105194913310021"));  // month 13
  EXPECT_NE(MaskOptions{}.to_json().find("\"version\":2"), std::string::npos);
  std::vector<PiiSpan> spans;
  PiiMasker(MaskOptions{}).find("卡号6222021234567890128 a@b.cn", spans);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].begin, 6u);
  EXPECT_EQ(spans[0].end, 25u);
  EXPECT_EQ(spans[0].kind, PiiKind::kCard);
  EXPECT_EQ(spans[1].kind, PiiKind::kEmail);
}

TEST(Mask, LeavesOrdinaryTextAlone) {
  for (const char* s : {"你好，我想退货", "3.5折", "共12件 合计99.80元", "2024年3月5日", "<num>"})
    EXPECT_EQ(M(s), s);
}

}  // namespace
}  // namespace zl
