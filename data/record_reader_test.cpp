#include "record_reader.h"

#include <gtest/gtest.h>

#include "record_reader_testing.h"
#include "test_util.h"

namespace zl {
namespace {

using zl::testing::TempDir;

using zl::testing::read_all;
using zl::testing::reader_error;

TEST(JsonlReader, StringAndIntegerLabelsMetaBlankLines) {
  TempDir t;
  auto p = t.write("a.jsonl",
                   "{\"text\": \"你好\", \"label\": \"greet\", \"channel\": \"app\"}\n\n"
                   "{\"text\": \"退款\", \"label\": 3}\r\n");
  ReaderOptions o;
  o.fields.meta = {"channel"};
  auto v = read_all(p, o);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].text, "你好");
  EXPECT_EQ(v[0].labels, std::vector<std::string>{"greet"});
  EXPECT_EQ(v[0].meta, std::vector<std::string>{"app"});
  EXPECT_EQ(v[1].line, 3);
  EXPECT_EQ(v[1].labels, std::vector<std::string>{"3"});
  EXPECT_EQ(v[1].meta, std::vector<std::string>{""});
}

TEST(JsonlReader, PairAndMultiLabel) {
  TempDir t;
  auto p = t.write("p.jsonl", "{\"q1\": \"a\", \"q2\": \"b\", \"label\": 1}\n");
  ReaderOptions o;
  o.task = Task::kPair;
  o.fields.text_a = "q1";
  o.fields.text_b = "q2";
  auto v = read_all(p, o);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "a");
  EXPECT_EQ(v[0].text_b, "b");
  // (An empty list is refused: input_hygiene_test.cpp.)
  auto m = t.write("m.jsonl", "{\"text\": \"x\", \"labels\": [\"a\", 2]}\n{\"text\": \"y\", \"labels\": [\"b\"]}\n");
  ReaderOptions om;
  om.task = Task::kMultiLabel;
  auto w = read_all(m, om);
  EXPECT_EQ(w[0].labels, (std::vector<std::string>{"a", "2"}));
  EXPECT_EQ(w[1].labels, std::vector<std::string>{"b"});
}

TEST(JsonlReader, BomAndCrlf) {
  TempDir t;
  auto p = t.write("b.jsonl", "\xEF\xBB\xBF{\"text\": \"a\", \"label\": 0}\r\n{\"text\": \"b\", \"label\": 1}\r\n");
  auto v = read_all(p, ReaderOptions{});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].text, "b");
}

TEST(JsonlReader, RecordErrorsNameFileLineAndProblem) {
  TempDir t;
  struct Case {
    std::string content, expect;
  } cases[] = {
      {"{\"text\": \"a\", \"label\": 0}\n{\"text\": \"a\", \"label\": \n", "x.jsonl:2: malformed JSON"},
      {"{\"label\": 0}\n", "x.jsonl:1: missing field 'text'"},
      {"{\"text\": \"a\"}\n", "x.jsonl:1: missing field 'label'"},
      {"{\"text\": \"a\", \"label\": [\"x\", \"y\"]}\n", "is a list"},
      {"{\"text\": \"a\", \"label\": 1.5}\n", "must be a string or an integer"},
      {"{\"text\": \"\xff\", \"label\": 0}\n", "x.jsonl:1: invalid UTF-8 at byte 11"},
      {"[1, 2]\n", "expected a JSON object"},
      // A number past double's range (found by fuzz/record_reader_fuzz): nlohmann's
      // out_of_range escaped the reader before.
      {"{\"text\": \"a\", \"label\": 1e400}\n", "x.jsonl:1: malformed JSON (number overflow parsing '1e400')"},
  };
  for (const auto& c : cases) {
    auto p = t.write("x.jsonl", c.content);
    std::string err = reader_error(p, ReaderOptions{});
    EXPECT_NE(err.find(c.expect), std::string::npos) << "got: " << err;
  }
}

TEST(JsonlReader, LineOverOneMegabyte) {
  TempDir t;
  auto p = t.write("big.jsonl", "{\"text\": \"" + std::string((1 << 20) + 10, 'a') + "\", \"label\": 0}\n");
  std::string err = reader_error(p, ReaderOptions{});
  EXPECT_NE(err.find("big.jsonl:1: line is 1.00 MB, over the 1 MB limit"), std::string::npos) << err;
}

TEST(JsonlReader, ContinuesAfterABadRecord) {
  TempDir t;
  auto p = t.write("c.jsonl", "{bad\n{\"text\": \"ok\", \"label\": 0}\n");
  RecordReader r(p, ReaderOptions{});
  InputRecord rec;
  EXPECT_THROW(r.next(rec), RecordError);
  EXPECT_FALSE(r.fatal());
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.text, "ok");
  EXPECT_EQ(rec.line, 2);
}

TEST(JsonlReader, MissingFile) {
  try {
    RecordReader r("/nonexistent/x.jsonl", ReaderOptions{});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.jsonl does not exist"), std::string::npos);
  }
}

TEST(CsvReader, QuotedCommasQuotesAndNewlines) {
  TempDir t;
  auto p = t.write("r.csv",
                   "label,review\n"
                   "1,很快，好吃\n"
                   "0,\"送餐慢,鸡肉腥\"\n"
                   "0,\"他说\"\"不行\"\"\n第二行\"\n"
                   "1,last\n");
  ReaderOptions o;
  o.format = InputFormat::kCsv;
  o.fields.text = "review";
  auto v = read_all(p, o);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[1].text, "送餐慢,鸡肉腥");
  EXPECT_EQ(v[2].text, "他说\"不行\"\n第二行");
  EXPECT_EQ(v[2].line, 4);
  EXPECT_EQ(v[3].line, 6);
  EXPECT_EQ(v[3].labels[0], "1");
}

TEST(CsvReader, BomAndCrlf) {
  TempDir t;
  auto p = t.write("b.csv", "\xEF\xBB\xBFtext,label\r\n\"a,b\",x\r\n\"multi\r\nline\",y\r\nc,z\r\n");
  ReaderOptions o;
  o.format = InputFormat::kCsv;
  auto v = read_all(p, o);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].text, "a,b");
  EXPECT_EQ(v[0].labels[0], "x");
  EXPECT_EQ(v[2].text, "c");
  EXPECT_EQ(v[2].labels[0], "z");
}

TEST(CsvReader, ErrorsAndUnterminatedQuote) {
  TempDir t;
  ReaderOptions o;
  o.format = InputFormat::kCsv;
  auto p = t.write("e.csv", "text,label\na,b,c\n");
  EXPECT_NE(reader_error(p, o).find("e.csv:2: has 3 fields, but there are 2 columns"), std::string::npos);
  p = t.write("e.csv", "text,label\n\"open,x\nmore\n");
  EXPECT_NE(reader_error(p, o).find("e.csv:2: unterminated quoted field"), std::string::npos);
  p = t.write("e.csv", "txt,label\na,b\n");
  EXPECT_NE(reader_error(p, o).find("no column 'text' (columns: txt, label)"), std::string::npos);
}

TEST(TsvReader, NoHeaderWithColumnsAndMultiLabel) {
  TempDir t;
  auto p = t.write("a.txt", "借呗\t花呗\t0\n\"引号\"\tb\t1\n");
  ReaderOptions o;
  o.format = InputFormat::kTsv;
  o.task = Task::kPair;
  o.header = false;
  o.columns = {"text_a", "text_b", "label"};
  auto v = read_all(p, o);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].text, "\"引号\"");  // TSV has no quoting
  auto m = t.write("m.tsv", "text\tlabels\nx\ta|b\n");
  ReaderOptions om;
  om.format = InputFormat::kTsv;
  om.task = Task::kMultiLabel;
  EXPECT_EQ(read_all(m, om)[0].labels, (std::vector<std::string>{"a", "b"}));
}

TEST(Format, FromExtension) {
  EXPECT_EQ(parse_format("auto", "a/b.jsonl", "c"), InputFormat::kJsonl);
  EXPECT_EQ(parse_format("auto", "a/b.csv", "c"), InputFormat::kCsv);
  EXPECT_EQ(parse_format("auto", "a/b.txt", "c"), InputFormat::kTsv);
  EXPECT_THROW(parse_format("auto", "a/b.xlsx", "c"), UserError);
}

}  // namespace
}  // namespace zl
