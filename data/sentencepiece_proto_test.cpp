// The hand-written ModelProto writer: exact wire bytes of the primitives, and a model built with it
// that libsentencepiece loads and encodes with as the pieces, scores and flags say.
#include "sentencepiece_proto.h"

#include <gtest/gtest.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>

namespace zl {
namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += std::string{d[c >> 4], d[c & 15]};
  return out;
}

TEST(ProtoWire, Primitives) {
  std::string o;
  protowire::put_varint(o, 300);
  EXPECT_EQ(hex(o), "ac02");
  o.clear();
  protowire::put_int(o, 4, 150);  // field 4 varint: tag 0x20
  EXPECT_EQ(hex(o), "209601");
  o.clear();
  protowire::put_int(o, 43, -1);  // a negative int32: ten bytes, tag (43 << 3) = 344 = d8 02
  EXPECT_EQ(hex(o), "d802ffffffffffffffffff01");
  o.clear();
  protowire::put_float(o, 2, 1.0f);  // fixed32, little endian
  EXPECT_EQ(hex(o), "150000803f");
  o.clear();
  protowire::put_bytes(o, 1, "ab");
  EXPECT_EQ(hex(o), "0a026162");
}

SpmModel tiny(bool dummy_prefix) {
  SpmModel m;
  m.pieces = {{"<s>", 0, SpmPiece::kControl},   {"<pad>", 0, SpmPiece::kControl}, {"</s>", 0, SpmPiece::kControl},
              {"<unk>", 0, SpmPiece::kUnknown}, {"\xE2\x96\x81", -2, SpmPiece::kNormal},
              {"a", -3, SpmPiece::kNormal},     {"b", -3, SpmPiece::kNormal},     {"\xE2\x96\x81" "ab", -1.5f, SpmPiece::kNormal},
              {"ab", -1, SpmPiece::kNormal},    {"<mask>", 0, SpmPiece::kControl}};
  m.unk_id = 3;
  m.bos_id = 0;
  m.eos_id = 2;
  m.pad_id = 1;
  m.add_dummy_prefix = dummy_prefix;
  return m;
}

TEST(SpmModelWriter, LoadsAndEncodesAsWritten) {
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.LoadFromSerializedProto(serialize_spm_model(tiny(true))).ok());
  EXPECT_EQ(sp.GetPieceSize(), 10);
  EXPECT_TRUE(sp.IsControl(0));
  EXPECT_TRUE(sp.IsUnknown(3));
  EXPECT_TRUE(sp.IsControl(9));
  EXPECT_EQ(sp.unk_id(), 3);
  EXPECT_EQ(sp.bos_id(), 0);
  EXPECT_EQ(sp.pad_id(), 1);
  EXPECT_FLOAT_EQ(sp.GetScore(7), -1.5f);
  EXPECT_EQ(sp.IdToPiece(8), "ab");
  std::vector<int> ids;
  ASSERT_TRUE(sp.Encode("ab  ab", &ids).ok());  // extra white space removed, dummy prefix added
  EXPECT_EQ(ids, (std::vector<int>{7, 7}));
  ASSERT_TRUE(sp.Encode("abx", &ids).ok());  // an unknown character
  EXPECT_EQ(ids, (std::vector<int>{7, 3}));
  ASSERT_TRUE(sp.Encode("<mask>", &ids).ok());  // a control piece never comes from text
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 9), 0);

  sentencepiece::SentencePieceProcessor no_prefix;
  ASSERT_TRUE(no_prefix.LoadFromSerializedProto(serialize_spm_model(tiny(false))).ok());
  ASSERT_TRUE(no_prefix.Encode("ab", &ids).ok());
  EXPECT_EQ(ids, (std::vector<int>{8}));
}

// Reads a length-delimited field of a message (the test's way to take the charsmap out of a model
// sentencepiece trained; the library's own ModelProto accessors need the missing pb.h).
std::string read_field(const std::string& msg, int want) {
  size_t i = 0;
  auto varint = [&] {
    uint64_t v = 0;
    for (int shift = 0; i < msg.size(); shift += 7) {
      const auto b = static_cast<unsigned char>(msg[i++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  while (i < msg.size()) {
    const uint64_t tag = varint();
    const int field = static_cast<int>(tag >> 3), type = static_cast<int>(tag & 7);
    if (type == 0) varint();
    else if (type == 1) i += 8;
    else if (type == 5) i += 4;
    else if (type == 2) {
      const size_t n = varint();
      if (field == want) return msg.substr(i, n);
      i += n;
    } else {
      ADD_FAILURE() << "wire type " << type;
      return "";
    }
  }
  return "";
}

class Sentences : public sentencepiece::SentenceIterator {
 public:
  explicit Sentences(std::vector<std::string> v) : v_(std::move(v)) {}
  bool done() const override { return i_ >= v_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return v_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  std::vector<std::string> v_;
  size_t i_ = 0;
};

TEST(SpmModelWriter, PrecompiledCharsmapIsUsed) {
  // A model trained with sentencepiece's default rule (nmt_nfkc) carries the rule compiled.
  Sentences texts(std::vector<std::string>(50, "ab ab ba abab"));
  std::string trained;
  ASSERT_TRUE(sentencepiece::SentencePieceTrainer::Train({{"model_type", "unigram"},
                                                          {"vocab_size", "10"},
                                                          {"hard_vocab_limit", "false"},
                                                          {"minloglevel", "2"}},
                                                         &texts, &trained)
                  .ok());
  const std::string charsmap = read_field(read_field(trained, 3), 2);
  ASSERT_GT(charsmap.size(), 1000u);
  SpmModel m = tiny(true);
  sentencepiece::SentencePieceProcessor plain, folded;
  ASSERT_TRUE(plain.LoadFromSerializedProto(serialize_spm_model(m)).ok());
  m.precompiled_charsmap = charsmap;
  m.normalizer_name = "nmt_nfkc";
  ASSERT_TRUE(folded.LoadFromSerializedProto(serialize_spm_model(m)).ok());
  std::vector<int> ids;
  const std::string fullwidth = "\xEF\xBD\x81\xEF\xBD\x82";  // ａｂ: NFKC folds it to ab
  ASSERT_TRUE(plain.Encode(fullwidth, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int>{4, 3}));  // ▁ and one unknown run
  ASSERT_TRUE(folded.Encode(fullwidth, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int>{7}));
}

}  // namespace
}  // namespace zl
