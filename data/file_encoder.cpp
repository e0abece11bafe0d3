#include "file_encoder.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "error.h"
#include "pretrained_tokenizer.h"
#include "tokenizer_trainer.h"

namespace zl {

struct FileEncoder::Impl {
  std::unique_ptr<Tokenizer> tok;
  std::optional<PretrainedTokenizer> pre;
  const TextEncoder* encoder = nullptr;
  Framing framing;
  std::vector<int32_t> file_id;  // encoder id -> file id (-1: pruned away); empty = identity
  int32_t unk = 0;
  size_t max_length = 128;
  std::vector<int> a, b;
};

FileEncoder::FileEncoder(const std::string& path, const DatasetInfo& info) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.max_length = static_cast<size_t>(info.max_length);
  m.unk = static_cast<int32_t>(info.unk_id);
  if (info.pretrained_json.empty()) {
    m.tok = std::make_unique<Tokenizer>(read_tokenizer_model(path), path + " (tokenizer)");
    m.encoder = m.tok.get();
    m.framing.cls_id = m.tok->cls_id();
    m.framing.sep_id = m.tok->sep_id();
    kind_ = "sentencepiece (the file's /tokenizer/model)";
    return;
  }
  const nlohmann::json j = nlohmann::json::parse(info.pretrained_json);
  const std::string dir = j.value("dir", "");
  m.pre = load_pretrained_tokenizer(dir, path + ": attribute pretrained_tokenizer \"dir\"");
  if (m.pre->tokenizer_sha256 != info.tokenizer_sha256)
    throw UserError(path + ": the checkpoint tokenizer in " + dir + " is not the one the file was prepared with "
                    "(tokenizer sha256 " + m.pre->tokenizer_sha256.substr(0, 12) + " vs the file's " +
                    info.tokenizer_sha256.substr(0, 12) + "): prepare the file again with this checkpoint");
  m.encoder = m.pre->encoder.get();
  m.framing = m.pre->framing;
  // encoder id -> file id, from the file's vocab map (checkpoint rows; -1 = an added piece) and
  // its placeholders (piece -> file id).
  const int64_t enc_vocab = m.pre->encoder_vocab_size();
  m.file_id.assign(static_cast<size_t>(enc_vocab), -1);
  for (size_t f = 0; f < info.vocab_map.size(); ++f) {
    const int32_t row = info.vocab_map[f];
    if (row >= 0 && row < enc_vocab) m.file_id[static_cast<size_t>(row)] = static_cast<int32_t>(f);
  }
  if (j.contains("placeholders"))
    for (const auto& [piece, id] : j["placeholders"].items()) {
      auto it = m.pre->placeholder_ids.find(piece);
      if (it != m.pre->placeholder_ids.end()) m.file_id[static_cast<size_t>(it->second)] = id.get<int32_t>();
    }
  if (info.vocab_map.empty())  // no map stored: ids are the encoder's
    for (int64_t i = 0; i < enc_vocab; ++i) m.file_id[static_cast<size_t>(i)] = static_cast<int32_t>(i);
  m.framing.cls_id = static_cast<int>(info.cls_id);
  m.framing.sep_id = static_cast<int>(info.sep_id);
  kind_ = "pretrained tokenizer " + dir;
}

FileEncoder::~FileEncoder() = default;

void FileEncoder::encode_row(const std::string& text, const std::string* text_b, std::vector<int32_t>& ids,
                             std::vector<int8_t>* segments) {
  Impl& m = *impl_;
  m.encoder->encode(text, m.a);
  if (text_b) m.encoder->encode(*text_b, m.b);
  if (!m.file_id.empty()) {
    for (auto* v : {&m.a, &m.b}) {
      if (v == &m.b && !text_b) continue;
      for (int& t : *v) {
        const int32_t f = t >= 0 && static_cast<size_t>(t) < m.file_id.size() ? m.file_id[static_cast<size_t>(t)] : -1;
        if (f < 0) ++pruned_to_unk_;
        t = f < 0 ? m.unk : f;
      }
    }
  }
  size_t ka = 0, kb = 0;
  frame_example(m.framing, m.a, text_b ? &m.b : nullptr, m.max_length, ids, segments, ka, kb);
}

}  // namespace zl
