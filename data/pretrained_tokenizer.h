// A pretrained Hugging Face checkpoint's own tokenizer (dataset config `tokenizer.pretrained: DIR`),
// read from the files users have on disk, so the ids of a prepared file are those the checkpoint
// was trained with:
//
// The family is the tokenizer's, as transformers' AutoTokenizer picks it: tokenizer_class of
// tokenizer_config.json or config.json (BertTokenizer, XLMRobertaTokenizer), else model_type.
//   BERT family (config.json model_type "bert": bert-base-chinese, chinese-roberta-wwm-ext,
//   MacBERT, RBT3): vocab.txt, or tokenizer.json with a WordPiece model when vocab.txt is absent;
//   lower-casing etc. from tokenizer_config.json. Encoding: wordpiece.h.
//   XLM-RoBERTa family (model_type "xlm-roberta": bge-m3; multilingual-e5 is model_type "bert" with
//   tokenizer_class XLMRobertaTokenizer): sentencepiece.bpe.model
//   with the fairseq id mapping of transformers (<s>=0 <pad>=1 </s>=2 <unk>=3, piece p -> p+1,
//   <mask> last), or, when only tokenizer.json exists, a sentencepiece model built from its Unigram
//   vocabulary and precompiled normalizer (sentencepiece_proto.h; the ids are then HF ids as they are).
//   Encoding: libsentencepiece.
//
// Special tokens come from special_tokens_map.json / tokenizer_config.json / the family's defaults;
// they and our personal-data placeholders are one token each (added_tokens.h). A placeholder the
// checkpoint does not have gets id base_vocab_size + j (j = its position among the added ones).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text_encoder.h"

namespace zl {

struct SpecialToken {
  std::string piece;
  int id = -1;  // the checkpoint's id
};

struct PretrainedTokenizer {
  std::string dir;             // as given (resolved against the config's folder)
  std::string family;          // "bert" | "xlm-roberta"
  std::string kind;            // "wordpiece" | "sentencepiece"
  std::string tokenizer_type;  // "pretrained:bert-wordpiece" | "pretrained:xlmr-sentencepiece"
  std::string source_file;     // the vocabulary file the encoder was built from (e.g. vocab.txt)
  std::unique_ptr<TextEncoder> encoder;  // text -> encoder ids (checkpoint ids, then the added pieces)
  Framing framing;                       // with the checkpoint's ids
  int64_t base_vocab_size = 0;           // the tokenizer's pieces (config.json vocab_size, or a few rows less)
  std::vector<std::string> added;        // pieces added here; id base_vocab_size + j
  std::map<std::string, int> placeholder_ids;  // every placeholder -> its encoder id
  SpecialToken pad, unk, cls, sep, mask;
  int64_t max_positions = 0;  // the longest input the model takes (config.json; 0 = not stated)
  std::map<std::string, std::string> files;  // every file read -> its sha256
  std::string tokenizer_sha256;  // sha256 of the `sha256sum` lines ("<sha256>  <name>\n") of `files`, by name
  std::string model_bytes;       // what /tokenizer/model stores to re-create the encoder
  nlohmann::json details;        // pretrained_json: dir, family, kind, files, options, ...

  int64_t encoder_vocab_size() const { return base_vocab_size + static_cast<int64_t>(added.size()); }
};

// Reads the checkpoint directory `dir`; `where` names the config key in errors (e.g.
// "configs/x.yaml: tokenizer.pretrained"). Throws UserError naming the directory or file and
// what was looked for: no such directory, no config.json, an unsupported model_type, no tokenizer
// file, a tokenizer with more pieces than config.json's vocab_size or far fewer (more than
// max(128, 1%) unused rows), a missing special token.
PretrainedTokenizer load_pretrained_tokenizer(const std::string& dir, const std::string& where);

}  // namespace zl
