#include "tokenizer_trainer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unordered_map>

#include "error.h"

namespace zl {

const std::vector<std::string>& placeholder_symbols() {
  static const std::vector<std::string> k = {"<PHONE>", "<TEL>", "<ID>", "<CARD>", "<EMAIL>", "<ORDER>"};
  return k;
}

namespace {

class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& v) : v_(v) {}
  bool done() const override { return i_ >= v_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return v_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& v_;
  size_t i_ = 0;
};

}  // namespace

std::string train_sentencepiece(const std::vector<std::string>& texts, const TokenizerOptions& o) {
  if (texts.empty()) throw UserError("tokenizer: the training split has no texts to train a tokenizer on");
  std::string users;
  for (const auto& p : placeholder_symbols()) users += (users.empty() ? "" : ",") + p;
  std::unordered_map<std::string, std::string> args = {
      {"model_type", o.type},
      {"vocab_size", std::to_string(o.vocab_size)},
      {"hard_vocab_limit", "false"},
      {"character_coverage", std::to_string(o.character_coverage)},
      {"pad_id", "0"},
      {"unk_id", "1"},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"pad_piece", "[PAD]"},
      {"unk_piece", "[UNK]"},
      {"control_symbols", "[CLS],[SEP],[MASK]"},
      {"user_defined_symbols", users},
      // The text is normalized already (NFKC etc.); the model must not change it
      // again, so that decode(encode(text)) gives the stored text back.
      {"normalization_rule_name", "identity"},
      {"num_threads", std::to_string(o.threads)},
      {"minloglevel", "2"},
      {"max_sentence_length", "1048576"},
      {"shuffle_input_sentence", "false"},
  };
  VectorIterator it(texts);
  std::string model;
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
  if (!status.ok())
    throw UserError("tokenizer: sentencepiece training failed: " + status.ToString() +
                    " (check tokenizer.vocab_size / tokenizer.type in the config)");
  return model;
}

struct Tokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
};

Tokenizer::Tokenizer(const std::string& model_bytes, const std::string& source) : impl_(std::make_unique<Impl>()) {
  auto status = impl_->sp.LoadFromSerializedProto(model_bytes);
  if (!status.ok()) throw UserError(source + ": not a sentencepiece model: " + status.ToString());
  auto need = [&](const char* piece) {
    int id = impl_->sp.PieceToId(piece);
    if (id == impl_->sp.unk_id() && std::string(piece) != "[UNK]")
      throw UserError(source + ": the sentencepiece model has no " + piece +
                      " piece; train it with this toolkit (leave tokenizer.model empty) or add control_symbols=[CLS],[SEP] and pad_piece=[PAD]");
    return id;
  };
  pad_ = need("[PAD]");
  unk_ = impl_->sp.unk_id();
  cls_ = need("[CLS]");
  sep_ = need("[SEP]");
}

Tokenizer::~Tokenizer() = default;

void Tokenizer::encode(std::string_view text, std::vector<int>& ids) const {
  ids.clear();
  auto status = impl_->sp.Encode(absl::string_view(text.data(), text.size()), &ids);
  if (!status.ok()) throw std::runtime_error("sentencepiece encode failed: " + status.ToString());
}

int Tokenizer::vocab_size() const { return impl_->sp.GetPieceSize(); }

std::vector<std::string> Tokenizer::missing_placeholders() const {
  std::vector<std::string> out;
  for (const auto& p : placeholder_symbols())
    if (impl_->sp.PieceToId(p) == impl_->sp.unk_id()) out.push_back(p);
  return out;
}

int Tokenizer::piece_id(const std::string& piece) const {
  const int id = impl_->sp.PieceToId(piece);
  return id == impl_->sp.unk_id() && piece != impl_->sp.IdToPiece(id) ? -1 : id;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string out, part;
  std::vector<int> run;
  auto flush = [&] {
    if (run.empty()) return;
    auto status = impl_->sp.Decode(run, &part);
    if (!status.ok()) throw std::runtime_error("sentencepiece decode failed: " + status.ToString());
    out += part;
    run.clear();
  };
  for (int id : ids) {
    if (impl_->sp.IsControl(id) || impl_->sp.IsUnknown(id)) {
      flush();
      out += impl_->sp.IdToPiece(id);
    } else {
      run.push_back(id);
    }
  }
  flush();
  return out;
}

}  // namespace zl
