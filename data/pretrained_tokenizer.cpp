#include "pretrained_tokenizer.h"

#include <openssl/evp.h>
#include <sentencepiece_processor.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <unordered_map>

#include "added_tokens.h"
#include "atomic_file.h"
#include "checksum.h"
#include "error.h"
#include "sentencepiece_proto.h"
#include "tokenizer_trainer.h"
#include "wordpiece.h"

namespace zl {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The files of one checkpoint directory, each read at most once and recorded with its sha256.
class CheckpointDir {
 public:
  explicit CheckpointDir(std::string dir) : dir_(std::move(dir)) {}
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  bool has(const std::string& name) const { return fs::is_regular_file(path(name)); }
  const std::string& read(const std::string& name) {
    auto it = bytes_.find(name);
    if (it != bytes_.end()) return it->second;
    std::string b = read_file(path(name));
    files_[name] = sha256_hex(b);
    return bytes_[name] = std::move(b);
  }
  json read_json(const std::string& name) {
    try {
      return json::parse(read(name));
    } catch (const json::exception& e) {
      throw UserError(path(name) + ": not valid JSON (" + e.what() + "); the checkpoint's files are damaged");
    }
  }
  // Optional JSON file: an empty object when absent.
  json read_json_if_any(const std::string& name) { return has(name) ? read_json(name) : json::object(); }
  const std::map<std::string, std::string>& files() const { return files_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, std::string> bytes_, files_;
};

std::string tokenizer_sha(const std::map<std::string, std::string>& files) {
  std::string lines;
  for (const auto& [name, sha] : files) lines += sha + "  " + name + "\n";  // std::map: sorted by name
  return sha256_hex(lines);
}

// A special token's text in tokenizer_config.json / special_tokens_map.json: a string, or an
// AddedToken object {"content": ...}.
std::string token_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return "";
}

struct SpecialNames {
  std::string pad, unk, cls, sep, mask;
  std::map<std::string, std::string> declared_in;  // key -> file that named it (for errors)
};

// tokenizer_config.json first (transformers passes it as the constructor's arguments), then
// special_tokens_map.json, then the family's defaults.
SpecialNames special_names(const json& tok_config, const json& special_map, const SpecialNames& defaults) {
  SpecialNames s = defaults;
  auto pick = [&](const char* key, std::string& out) {
    for (const auto& [file, j] : {std::pair<const char*, const json*>{"tokenizer_config.json", &tok_config},
                                  {"special_tokens_map.json", &special_map}}) {
      if (j->contains(key)) {
        std::string t = token_text((*j)[key]);
        if (!t.empty()) {
          out = t;
          s.declared_in[key] = file;
          return;
        }
      }
    }
    s.declared_in[key] = "the family's defaults";
  };
  pick("pad_token", s.pad);
  pick("unk_token", s.unk);
  pick("cls_token", s.cls);
  pick("sep_token", s.sep);
  pick("mask_token", s.mask);
  return s;
}

// Added tokens of tokenizer.json ("added_tokens": [{"id", "content", ...}]) and of
// tokenizer_config.json ("added_tokens_decoder": {"id": {"content": ...}}).
std::vector<AddedToken> checkpoint_added_tokens(const json& tokenizer_json, const json& tok_config) {
  std::vector<AddedToken> out;
  if (tokenizer_json.contains("added_tokens") && tokenizer_json["added_tokens"].is_array())
    for (const auto& t : tokenizer_json["added_tokens"])
      if (t.contains("id") && t["id"].is_number_integer() && !token_text(t).empty())
        out.push_back({token_text(t), t["id"].get<int>()});
  if (tok_config.contains("added_tokens_decoder") && tok_config["added_tokens_decoder"].is_object())
    for (auto it = tok_config["added_tokens_decoder"].begin(); it != tok_config["added_tokens_decoder"].end(); ++it) {
      try {
        const int id = std::stoi(it.key());
        if (!token_text(it.value()).empty()) out.push_back({token_text(it.value()), id});
      } catch (const std::exception&) {
      }
    }
  return out;
}

// The rows config.json may have beyond the tokenizer's pieces: unused embedding rows, as in
// multilingual-e5-small (250,037 rows, 250,002 pieces). More than this is another tokenizer.
int64_t unused_rows_allowed(int64_t config_vocab) { return std::max<int64_t>(128, config_vocab / 100); }

void check_vocab_size(const CheckpointDir& d, const std::string& file, int64_t pieces, int64_t config_vocab) {
  const bool fits = pieces <= config_vocab && config_vocab - pieces <= unused_rows_allowed(config_vocab);
  if (!fits)
    throw UserError(d.path(file) + " has " + std::to_string(pieces) + " pieces but " + d.path("config.json") +
                    " says vocab_size " + std::to_string(config_vocab) +
                    ": the tokenizer is not this checkpoint's (its ids must index the embedding rows, and at most " +
                    std::to_string(unused_rows_allowed(config_vocab)) +
                    " rows may be unused); copy the checkpoint's own tokenizer files into " + d.dir());
}

// A string field of a JSON object, "" when absent or not a string (null included).
std::string str_field(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string base64_decode(const std::string& in, const std::string& where) {
  std::string out(in.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0 || in.size() % 4 != 0) throw UserError(where + ": precompiled_charsmap is not valid base64");
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

// A normalizer or pre-tokenizer of tokenizer.json of the given type, also inside a Sequence.
const json* find_component(const json& j, const char* list_key, const std::string& type) {
  if (!j.is_object()) return nullptr;
  if (j.value("type", "") == type) return &j;
  if (j.value("type", "") == "Sequence" && j.contains(list_key) && j[list_key].is_array())
    for (const auto& c : j[list_key])
      if (const json* f = find_component(c, list_key, type)) return f;
  return nullptr;
}

// sentencepiece encoding, with the fairseq id mapping of XLM-R's sentencepiece.bpe.model
// (piece p -> p+1, <unk> 0 -> 3, <s> 1 -> 0, </s> 2 -> 2) or with the ids as they are (a model
// built from tokenizer.json, already in HF order).
class SentencePieceEncoder : public TextEncoder {
 public:
  SentencePieceEncoder(const std::string& model_bytes, bool fairseq, const std::string& source) : fairseq_(fairseq) {
    auto status = sp_.LoadFromSerializedProto(model_bytes);
    if (!status.ok()) throw UserError(source + ": not a sentencepiece model: " + status.ToString());
  }
  void encode(std::string_view text, std::vector<int>& ids) const override {
    ids.clear();
    auto status = sp_.Encode(absl::string_view(text.data(), text.size()), &ids);
    if (!status.ok()) throw std::runtime_error("sentencepiece encode failed: " + status.ToString());
    if (fairseq_)
      for (auto& id : ids) id = fairseq_id(id);
  }
  static int fairseq_id(int spm_id) { return spm_id == 0 ? 3 : spm_id == 1 ? 0 : spm_id == 2 ? 2 : spm_id + 1; }
  const sentencepiece::SentencePieceProcessor& sp() const { return sp_; }

 private:
  sentencepiece::SentencePieceProcessor sp_;
  bool fairseq_;
};

// What the two families share once their vocabulary is read.
struct Vocab {
  std::function<int(const std::string&)> id_of;  // -1 when absent
  int64_t size = 0;
};

SpecialToken resolve(const CheckpointDir& d, const Vocab& v, const SpecialNames& names, const char* key,
                     const std::string& piece) {
  SpecialToken t{piece, v.id_of(piece)};
  if (t.id < 0)
    throw UserError(d.dir() + ": the special token " + piece + " (" + key + ", from " + names.declared_in.at(key) +
                    ") is not in the vocabulary; the tokenizer files do not belong together");
  return t;
}

void finish(PretrainedTokenizer& t, CheckpointDir& d, const Vocab& v, const SpecialNames& names,
            std::vector<AddedToken> added_tokens, std::unique_ptr<TextEncoder> inner) {
  t.pad = resolve(d, v, names, "pad_token", names.pad);
  t.unk = resolve(d, v, names, "unk_token", names.unk);
  t.cls = resolve(d, v, names, "cls_token", names.cls);
  t.sep = resolve(d, v, names, "sep_token", names.sep);
  t.mask = resolve(d, v, names, "mask_token", names.mask);
  t.framing.cls_id = t.cls.id;
  t.framing.sep_id = t.sep.id;
  t.framing.pair_truncation = Framing::PairTruncation::kHuggingFace;
  // The checkpoint's own added tokens must be pieces of its vocabulary: ids past it would have
  // no embedding row in the numbering here.
  for (const auto& a : added_tokens)
    if (a.id < 0 || a.id >= t.base_vocab_size)
      throw UserError(d.dir() + ": the added token " + a.content + " has id " + std::to_string(a.id) +
                      ", outside the tokenizer's " + std::to_string(t.base_vocab_size) +
                      " pieces; tokenizers with added tokens past their vocabulary are not supported");
  for (const SpecialToken* s : {&t.pad, &t.unk, &t.cls, &t.sep, &t.mask}) added_tokens.push_back({s->piece, s->id});
  // Our placeholders: the checkpoint's own piece when it has one (as transformers' add_tokens does),
  // else a new id after its vocabulary.
  for (const auto& p : placeholder_symbols()) {
    int id = v.id_of(p);
    if (id < 0) {
      id = static_cast<int>(t.base_vocab_size + static_cast<int64_t>(t.added.size()));
      t.added.push_back(p);
    }
    t.placeholder_ids[p] = id;
    added_tokens.push_back({p, id});
  }
  std::vector<AddedToken> unique;
  std::set<std::string> seen;
  for (auto& a : added_tokens)
    if (seen.insert(a.content).second) unique.push_back(std::move(a));
  t.encoder = std::make_unique<AddedTokenEncoder>(std::move(unique), std::move(inner));
  t.files = d.files();
  t.tokenizer_sha256 = tokenizer_sha(t.files);
}

// --- BERT ------------------------------------------------------------------------------------

void load_bert(PretrainedTokenizer& t, CheckpointDir& d, int64_t config_vocab, const json& tok_config,
               const json& special_map) {
  std::vector<std::string> vocab;
  json tokenizer_json = json::object();
  if (d.has("vocab.txt")) {
    t.source_file = "vocab.txt";
    const std::string& bytes = d.read("vocab.txt");
    // One piece a line, id = line number; trailing white space (\r too) is not part of the piece.
    size_t start = 0;
    while (start < bytes.size()) {
      size_t end = bytes.find('\n', start);
      if (end == std::string::npos) end = bytes.size();
      std::string line = bytes.substr(start, end - start);
      while (!line.empty() && std::string(" \t\r\v\f").find(line.back()) != std::string::npos) line.pop_back();
      vocab.push_back(std::move(line));
      start = end + 1;
    }
    t.model_bytes = bytes;
  } else if (d.has("tokenizer.json")) {
    t.source_file = "tokenizer.json";
    tokenizer_json = d.read_json("tokenizer.json");
    const json& model = tokenizer_json.contains("model") ? tokenizer_json["model"] : json::object();
    const std::string type = model.is_object() ? model.value("type", "") : "";
    if (type != "WordPiece" || !model.contains("vocab") || !model["vocab"].is_object())
      throw UserError(d.path("tokenizer.json") + ": the model is " + (type.empty() ? "of no type" : "'" + type + "'") +
                      ", not WordPiece; a BERT tokenizer needs a WordPiece "
                      "tokenizer.json or a vocab.txt");
    const json& v = model["vocab"];
    vocab.assign(v.size(), std::string());
    std::vector<bool> filled(v.size(), false);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const int64_t id = it.value().is_number_integer() ? it.value().get<int64_t>() : -1;
      if (id < 0 || id >= static_cast<int64_t>(v.size()) || filled[static_cast<size_t>(id)])
        throw UserError(d.path("tokenizer.json") + ": model.vocab ids are not 0.." + std::to_string(v.size() - 1) +
                        " each once (piece '" + it.key() + "')");
      filled[static_cast<size_t>(id)] = true;
      vocab[static_cast<size_t>(id)] = it.key();
    }
    // /tokenizer/model keeps the vocabulary as vocab.txt would hold it: one piece a line, by id.
    for (const auto& p : vocab) t.model_bytes += p + "\n";
  } else {
    throw UserError(d.dir() + ": no tokenizer files of a BERT checkpoint: looked for vocab.txt and tokenizer.json "
                    "(WordPiece); copy them from the checkpoint (e.g. the Hugging Face model repository)");
  }
  t.base_vocab_size = static_cast<int64_t>(vocab.size());
  check_vocab_size(d, t.source_file, t.base_vocab_size, config_vocab);

  BertBasicOptions o;
  auto flag = [&](const char* key, bool dflt) {
    return tok_config.contains(key) && tok_config[key].is_boolean() ? tok_config[key].get<bool>() : dflt;
  };
  o.lowercase = flag("do_lower_case", true);  // transformers' default, also for Chinese BERTs
  if (tok_config.contains("strip_accents") && tok_config["strip_accents"].is_boolean())
    o.strip_accents = tok_config["strip_accents"].get<bool>();
  o.tokenize_chinese_chars = flag("tokenize_chinese_chars", true);
  const SpecialNames names = special_names(tok_config, special_map, {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", {}});
  auto wp = std::make_shared<WordPiece>(vocab, names.unk, d.path(t.source_file));
  Vocab v{[wp](const std::string& p) { return wp->id_of(p); }, t.base_vocab_size};
  t.family = "bert";
  t.kind = "wordpiece";
  t.tokenizer_type = "pretrained:bert-wordpiece";
  t.framing.double_sep = false;
  t.framing.segment_b = 1;
  t.details = {{"do_lower_case", o.lowercase},
               {"strip_accents", o.strip_accents ? json(*o.strip_accents) : json(nullptr)},
               {"tokenize_chinese_chars", o.tokenize_chinese_chars},
               {"tokenizer_model", {{"format", "vocab.txt"}, {"id_map", "identity"}}},
               {"framing", {{"single", "[CLS] a [SEP]"}, {"pair", "[CLS] a [SEP] b [SEP]"}, {"segment_b", 1}}}};
  auto inner = std::make_unique<BertWordPieceEncoder>(*wp, o);
  finish(t, d, v, names, checkpoint_added_tokens(tokenizer_json, tok_config), std::move(inner));
}

// --- XLM-RoBERTa -----------------------------------------------------------------------------

void load_xlmr(PretrainedTokenizer& t, CheckpointDir& d, int64_t config_vocab, const json& tok_config,
               const json& special_map) {
  const SpecialNames names = special_names(tok_config, special_map, {"<pad>", "<unk>", "<s>", "</s>", "<mask>", {}});
  json tokenizer_json = json::object();
  std::unique_ptr<SentencePieceEncoder> enc;
  Vocab v;
  if (d.has("sentencepiece.bpe.model")) {
    t.source_file = "sentencepiece.bpe.model";
    t.model_bytes = d.read("sentencepiece.bpe.model");
    enc = std::make_unique<SentencePieceEncoder>(t.model_bytes, true, d.path(t.source_file));
    const auto& sp = enc->sp();
    if (sp.GetPieceSize() < 4 || !sp.IsUnknown(0) || !sp.IsControl(1) || !sp.IsControl(2))
      throw UserError(d.path(t.source_file) +
                      ": pieces 0, 1, 2 must be <unk> (unknown) and <s>, </s> (control), as in XLM-R's model, for "
                      "the fairseq id mapping transformers uses; this is not an XLM-R sentencepiece model");
    // The fairseq vocabulary: <s> <pad> </s> <unk>, the pieces from id 3 on (shifted by one), <mask>.
    t.base_vocab_size = sp.GetPieceSize() + 2;
    const int mask_id = static_cast<int>(t.base_vocab_size - 1);
    const SentencePieceEncoder* e = enc.get();
    v.id_of = [e, mask_id, names](const std::string& p) {
      if (p == "<s>") return 0;
      if (p == "<pad>") return 1;
      if (p == "</s>") return 2;
      if (p == "<unk>") return 3;
      if (p == "<mask>" || p == names.mask) return mask_id;
      const int id = e->sp().PieceToId(p);
      return id >= 3 && e->sp().IdToPiece(id) == p ? id + 1 : -1;
    };
    t.details["tokenizer_model"] = {{"format", "sentencepiece"}, {"id_map", "fairseq"},
                                    {"id_map_rule", "<s>=0 <pad>=1 </s>=2 <unk>=3, sentencepiece piece p>=3 -> p+1, "
                                                    "<mask>=base_vocab_size-1"}};
    t.details["add_dummy_prefix"] = true;
  } else if (d.has("tokenizer.json")) {
    t.source_file = "tokenizer.json";
    tokenizer_json = d.read_json("tokenizer.json");
    const std::string where = d.path("tokenizer.json");
    const json& model = tokenizer_json.contains("model") ? tokenizer_json["model"] : json::object();
    const std::string type = model.is_object() ? model.value("type", "") : "";
    if (type != "Unigram" || !model.contains("vocab") || !model["vocab"].is_array())
      throw UserError(where + ": the model is " + (type.empty() ? "of no type" : "'" + type + "'") +
                      ", not Unigram; an XLM-RoBERTa checkpoint needs a Unigram tokenizer.json or a "
                      "sentencepiece.bpe.model");
    if (model.value("byte_fallback", false))
      throw UserError(where + ": a Unigram model with byte_fallback is not supported (XLM-R models have none)");
    const int unk_id = model.contains("unk_id") && model["unk_id"].is_number_integer() ? model["unk_id"].get<int>() : -1;
    std::map<std::string, bool> added;  // content -> special
    if (tokenizer_json.contains("added_tokens") && tokenizer_json["added_tokens"].is_array())
      for (const auto& a : tokenizer_json["added_tokens"]) added[token_text(a)] = a.value("special", false);
    SpmModel m;
    for (const auto& e : model["vocab"]) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
        throw UserError(where + ": model.vocab entry " + std::to_string(m.pieces.size()) + " is not [piece, score]");
      SpmPiece p{e[0].get<std::string>(), e[1].get<float>(), SpmPiece::kNormal};
      const int id = static_cast<int>(m.pieces.size());
      if (id == unk_id) p.type = SpmPiece::kUnknown;
      else if (added.count(p.piece)) p.type = added[p.piece] ? SpmPiece::kControl : SpmPiece::kUserDefined;
      m.pieces.push_back(std::move(p));
    }
    if (unk_id < 0 || unk_id >= static_cast<int>(m.pieces.size()))
      throw UserError(where + ": model.unk_id is missing or outside the vocabulary; sentencepiece needs an unknown piece");
    m.unk_id = unk_id;
    m.unk_piece = m.pieces[static_cast<size_t>(unk_id)].piece;
    auto index = std::make_shared<std::unordered_map<std::string, int>>();
    for (size_t i = 0; i < m.pieces.size(); ++i) index->emplace(m.pieces[i].piece, static_cast<int>(i));
    auto id_in = [index](const std::string& p) {
      auto it = index->find(p);
      return it == index->end() ? -1 : it->second;
    };
    // The named special tokens are control symbols (never produced from text) even when
    // tokenizer.json does not list them as added tokens.
    for (const std::string* s : {&names.pad, &names.cls, &names.sep, &names.mask}) {
      const int id = id_in(*s);
      if (id >= 0 && id != unk_id) m.pieces[static_cast<size_t>(id)].type = SpmPiece::kControl;
    }
    m.bos_id = id_in(names.cls);
    m.eos_id = id_in(names.sep);
    m.pad_id = id_in(names.pad);
    m.bos_piece = names.cls;
    m.eos_piece = names.sep;
    m.pad_piece = names.pad;
    const json normalizer = tokenizer_json.value("normalizer", json()), pre_tokenizer = tokenizer_json.value("pre_tokenizer", json());
    if (const json* pc = find_component(normalizer, "normalizers", "Precompiled")) {
      if (pc->contains("precompiled_charsmap") && (*pc)["precompiled_charsmap"].is_string())
        m.precompiled_charsmap = base64_decode((*pc)["precompiled_charsmap"].get<std::string>(), where);
    }
    m.normalizer_name = m.precompiled_charsmap.empty() ? "identity" : "precompiled";
    // The dummy prefix "▁": transformers' XLMRobertaTokenizer takes add_prefix_space from
    // tokenizer_config.json (default true); else the Metaspace pre-tokenizer of tokenizer.json says.
    bool prefix = true;
    if (const json* ms = find_component(pre_tokenizer, "pretokenizers", "Metaspace")) {
      if (ms->value("replacement", "\xE2\x96\x81") != "\xE2\x96\x81")
        throw UserError(where + ": a Metaspace replacement other than U+2581 is not supported");
      if (ms->contains("prepend_scheme") && (*ms)["prepend_scheme"].is_string())
        prefix = (*ms)["prepend_scheme"].get<std::string>() != "never";
      else if (ms->contains("add_prefix_space") && (*ms)["add_prefix_space"].is_boolean())
        prefix = (*ms)["add_prefix_space"].get<bool>();
    }
    if (tok_config.contains("add_prefix_space") && tok_config["add_prefix_space"].is_boolean())
      prefix = tok_config["add_prefix_space"].get<bool>();
    m.add_dummy_prefix = prefix;
    m.remove_extra_whitespaces = true;  // transformers splits on white space before the Metaspace step
    m.escape_whitespaces = true;
    t.model_bytes = serialize_spm_model(m);
    enc = std::make_unique<SentencePieceEncoder>(t.model_bytes, false, where + " (converted to sentencepiece)");
    if (enc->sp().GetPieceSize() != static_cast<int>(m.pieces.size()))
      throw std::runtime_error(where + ": the converted sentencepiece model has another size than the vocabulary");
    t.base_vocab_size = static_cast<int64_t>(m.pieces.size());
    v.id_of = id_in;
    t.details["tokenizer_model"] = {{"format", "sentencepiece"}, {"id_map", "identity"},
                                    {"built_from", "tokenizer.json (Unigram vocabulary, precompiled charsmap)"}};
    t.details["add_dummy_prefix"] = prefix;
  } else {
    throw UserError(d.dir() + ": no tokenizer files of an XLM-RoBERTa checkpoint: looked for sentencepiece.bpe.model "
                    "and tokenizer.json (Unigram); copy them from the checkpoint");
  }
  v.size = t.base_vocab_size;
  check_vocab_size(d, t.source_file, t.base_vocab_size, config_vocab);
  t.family = "xlm-roberta";
  t.kind = "sentencepiece";
  t.tokenizer_type = "pretrained:xlmr-sentencepiece";
  t.framing.double_sep = true;
  t.framing.segment_b = 0;
  t.details["do_lower_case"] = false;
  t.details["framing"] = {{"single", "<s> a </s>"}, {"pair", "<s> a </s></s> b </s>"}, {"segment_b", 0}};
  std::vector<AddedToken> extra = checkpoint_added_tokens(tokenizer_json, tok_config);
  // Control pieces of a sentencepiece.bpe.model: transformers adds them as tokens, so "<s>" in a
  // text is the token. (User-defined pieces it adds too; sentencepiece itself matches those whole,
  // and Debian's library cannot tell them apart, so they are left to it.)
  if (t.source_file == "sentencepiece.bpe.model") {
    const auto& sp = enc->sp();
    for (int i = 0; i < sp.GetPieceSize(); ++i)
      if (sp.IsControl(i)) extra.push_back({sp.IdToPiece(i), SentencePieceEncoder::fairseq_id(i)});
  }
  finish(t, d, v, names, std::move(extra), std::move(enc));
}

}  // namespace

PretrainedTokenizer load_pretrained_tokenizer(const std::string& dir_in, const std::string& where) {
  std::string dir = dir_in;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (!fs::is_directory(dir))
    throw UserError(where + ": " + dir + " is not a directory; give the folder of a Hugging Face checkpoint "
                    "(config.json and its tokenizer files)");
  CheckpointDir d(dir);
  if (!d.has("config.json"))
    throw UserError(d.path("config.json") + " does not exist (" + where + "): a Hugging Face checkpoint directory "
                    "has config.json with model_type and vocab_size, beside its tokenizer files");
  const json config = d.read_json("config.json");
  const std::string model_type = str_field(config, "model_type");
  if (!config.contains("vocab_size") || !config["vocab_size"].is_number_integer())
    throw UserError(d.path("config.json") + ": no integer vocab_size; it is needed to check the tokenizer");
  const int64_t config_vocab = config["vocab_size"].get<int64_t>();
  const json tok_config = d.read_json_if_any("tokenizer_config.json");
  const json special_map = d.read_json_if_any("special_tokens_map.json");

  // The tokenizer's family as transformers' AutoTokenizer finds it: tokenizer_class (of
  // tokenizer_config.json, else config.json), else model_type. multilingual-e5-small is a BertModel
  // (model_type bert) with tokenizer_class XLMRobertaTokenizer.
  std::string class_file = "tokenizer_config.json";
  std::string tokenizer_class = str_field(tok_config, "tokenizer_class");
  if (tokenizer_class.empty()) {
    class_file = "config.json";
    tokenizer_class = str_field(config, "tokenizer_class");
  }
  std::string family;
  const std::string cls = tokenizer_class.size() > 4 && tokenizer_class.compare(tokenizer_class.size() - 4, 4, "Fast") == 0
                              ? tokenizer_class.substr(0, tokenizer_class.size() - 4)
                              : tokenizer_class;
  const std::string supported =
      "supported: BERT WordPiece (model_type bert / BertTokenizer: vocab.txt or a WordPiece tokenizer.json; "
      "bert-base-chinese, chinese-roberta-wwm-ext, MacBERT, RBT3) and XLM-R sentencepiece (model_type xlm-roberta / "
      "XLMRobertaTokenizer: sentencepiece.bpe.model or a Unigram tokenizer.json; multilingual-e5, bge-m3)";
  if (cls == "BertTokenizer") family = "bert";
  else if (cls == "XLMRobertaTokenizer") family = "xlm-roberta";
  else if (!cls.empty())
    throw UserError(d.path(class_file) + ": tokenizer_class '" + tokenizer_class + "' is not supported (" + where +
                    "); " + supported);
  else if (model_type == "bert") family = "bert";
  else if (model_type == "xlm-roberta") family = "xlm-roberta";
  else
    throw UserError(d.path("config.json") + ": model_type '" + model_type + "' is not supported (" + where + "); " +
                    supported);

  PretrainedTokenizer t;
  t.dir = dir;
  if (family == "bert") load_bert(t, d, config_vocab, tok_config, special_map);
  else load_xlmr(t, d, config_vocab, tok_config, special_map);
  // XLM-RoBERTa models number positions from padding_idx + 1 (two rows fewer usable).
  if (config.contains("max_position_embeddings") && config["max_position_embeddings"].is_number_integer())
    t.max_positions = config["max_position_embeddings"].get<int64_t>() - (model_type == "xlm-roberta" ? 2 : 0);
  t.details["max_positions"] = t.max_positions;
  t.details["tokenizer_class"] = tokenizer_class;
  t.details["checkpoint_vocab_size"] = config_vocab;  // embedding rows; base_vocab_size of them are pieces
  t.details["dir"] = fs::absolute(dir).lexically_normal().string();
  t.details["family"] = t.family;
  t.details["kind"] = t.kind;
  t.details["model_type"] = model_type;
  t.details["source"] = t.source_file;
  t.details["base_vocab_size"] = t.base_vocab_size;
  t.details["added"] = t.added;
  t.details["files"] = t.files;
  t.details["truncation"] = "longest_first (Hugging Face tokenizers)";
  return t;
}

}  // namespace zl
