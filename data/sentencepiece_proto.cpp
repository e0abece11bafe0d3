#include "sentencepiece_proto.h"

#include <cstring>

namespace zl {

namespace protowire {

// Wire types: 0 varint, 2 length-delimited, 5 32-bit.
constexpr int kVarint = 0, kLengthDelimited = 2, kFixed32 = 5;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_tag(std::string& out, int field, int wire_type) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_tag(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

void put_int(std::string& out, int field, int64_t v) {
  put_tag(out, field, kVarint);
  // A negative int32 is sign-extended to 64 bits (ten bytes), as protobuf does.
  put_varint(out, static_cast<uint64_t>(v));
}

void put_float(std::string& out, int field, float v) {
  put_tag(out, field, kFixed32);
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

}  // namespace protowire

std::string serialize_spm_model(const SpmModel& m) {
  using namespace protowire;
  std::string out, sub;
  for (const auto& p : m.pieces) {
    sub.clear();
    put_bytes(sub, 1, p.piece);
    put_float(sub, 2, p.score);
    put_int(sub, 3, p.type);
    put_bytes(out, 1, sub);
  }
  sub.clear();
  put_int(sub, 3, m.model_type);
  put_int(sub, 4, static_cast<int64_t>(m.pieces.size()));
  put_int(sub, 40, m.unk_id);
  put_int(sub, 41, m.bos_id);
  put_int(sub, 42, m.eos_id);
  put_int(sub, 43, m.pad_id);
  put_bytes(sub, 45, m.unk_piece);
  put_bytes(sub, 46, m.bos_piece);
  put_bytes(sub, 47, m.eos_piece);
  put_bytes(sub, 48, m.pad_piece);
  put_bytes(out, 2, sub);
  sub.clear();
  put_bytes(sub, 1, m.normalizer_name);
  if (!m.precompiled_charsmap.empty()) put_bytes(sub, 2, m.precompiled_charsmap);
  put_int(sub, 3, m.add_dummy_prefix);
  put_int(sub, 4, m.remove_extra_whitespaces);
  put_int(sub, 5, m.escape_whitespaces);
  put_bytes(out, 3, sub);
  return out;
}

}  // namespace zl
