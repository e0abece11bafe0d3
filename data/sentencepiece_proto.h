// A minimal writer of sentencepiece's ModelProto, so a sentencepiece model can be built in memory
// from a Hugging Face tokenizer.json (Unigram vocabulary + precompiled normalizer charsmap) and
// loaded with SentencePieceProcessor::LoadFromSerializedProto. Debian's libsentencepiece-dev ships
// no generated sentencepiece_model.pb.h, so the few fields needed are written in protobuf's wire
// format by hand. Field numbers from sentencepiece's src/sentencepiece_model.proto:
//
//   ModelProto       1 pieces (repeated SentencePiece)  2 trainer_spec  3 normalizer_spec
//   SentencePiece    1 piece (string)  2 score (float)  3 type (enum)
//   TrainerSpec      3 model_type (enum: UNIGRAM 1)  4 vocab_size
//                    40 unk_id  41 bos_id  42 eos_id  43 pad_id (int32)
//                    45 unk_piece  46 bos_piece  47 eos_piece  48 pad_piece (string)
//   NormalizerSpec   1 name  2 precompiled_charsmap (bytes)  3 add_dummy_prefix
//                    4 remove_extra_whitespaces  5 escape_whitespaces (bool)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zl {

struct SpmPiece {
  // SentencePiece.Type
  enum Type : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
  std::string piece;
  float score = 0;
  Type type = kNormal;
};

struct SpmModel {
  std::vector<SpmPiece> pieces;  // id = position
  int model_type = 1;            // TrainerSpec.ModelType: UNIGRAM
  int unk_id = 0, bos_id = -1, eos_id = -1, pad_id = -1;
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
  std::string normalizer_name = "identity";
  std::string precompiled_charsmap;  // the compiled normalization rules (empty: none)
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

// The serialized ModelProto.
std::string serialize_spm_model(const SpmModel& model);

// Protobuf wire-format pieces, exposed for the tests.
namespace protowire {
void put_varint(std::string& out, uint64_t v);
void put_tag(std::string& out, int field, int wire_type);
void put_bytes(std::string& out, int field, const std::string& bytes);  // strings, bytes, sub-messages
void put_int(std::string& out, int field, int64_t v);                   // int32 / enum / bool (varint)
void put_float(std::string& out, int field, float v);                   // fixed32, little endian
}  // namespace protowire

}  // namespace zl
