#include "pretrained_init.h"

#include <filesystem>
#include <iostream>
#include <regex>

#include "atomic_file.h"
#include "checksum.h"
#include "error.h"
#include "hf_checkpoint.h"

namespace zl {

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string canonical_or_same(const std::string& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

}  // namespace

void check_pretrained_vocab(const HfEncoderConfig& hf, const DatasetInfo& info) {
  const std::string prepare = "prepare the data with tokenizer.pretrained: " + hf.dir + " (kd data prepare)";
  if (info.vocab_map.empty())
    throw UserError("the dataset was not prepared with the checkpoint's tokenizer (it has no /tokenizer/vocab_map: "
                    "its token ids are not rows of " + hf.dir + "'s embedding): " + prepare);
  if (static_cast<int64_t>(info.vocab_map.size()) != info.vocab_size)
    throw UserError("the dataset's /tokenizer/vocab_map has " + std::to_string(info.vocab_map.size()) +
                    " entries but its vocab_size is " + std::to_string(info.vocab_size) + ": the file is damaged; " + prepare);
  nlohmann::json pj;
  try {
    pj = nlohmann::json::parse(info.pretrained_json);
  } catch (const nlohmann::json::exception&) {
    throw UserError("the dataset has a vocab_map but no valid pretrained_tokenizer record: " + prepare);
  }
  // Which checkpoint's tokenizer. The family must match. The recorded base
  // vocabulary may be smaller than the embedding (Multilingual-MiniLM / e5 have 35
  // rows more than XLM-R's 250,002 pieces) but never larger; every mapped row must
  // exist. The recorded directory may differ legitimately (another machine, a copy
  // of the checkpoint): when it exists here, its tokenizer files must equal the
  // checkpoint's; when it does not, that only earns a note.
  const std::string family = pj.value("family", "");
  if (family != hf.tokenizer_family)
    throw UserError("the dataset was prepared with a " + (family.empty() ? std::string("(unknown)") : family) +
                    " tokenizer, but " + hf.dir + " uses a " + hf.tokenizer_family + " tokenizer: " + prepare);
  const int64_t base = pj.value("base_vocab_size", int64_t{-1});
  if (base <= 0 || base > hf.vocab_size)
    throw UserError("the dataset was prepared with the tokenizer of a checkpoint with " + std::to_string(base) +
                    " pieces, but " + hf.dir + "/config.json has vocab_size " + std::to_string(hf.vocab_size) +
                    ": another checkpoint's tokenizer; " + prepare);
  for (size_t i = 0; i < info.vocab_map.size(); ++i) {
    const int32_t r = info.vocab_map[i];
    if (r < -1 || r >= hf.vocab_size)
      throw UserError("the dataset's vocab_map sends id " + std::to_string(i) + " to row " + std::to_string(r) +
                      ", outside the checkpoint's " + std::to_string(hf.vocab_size) + " rows: " + prepare);
  }
  // config.json's pad_token_id names a row of the checkpoint's own tokenizer (not so
  // when tokenizer_class says the tokenizer is another family's, as for e5).
  if (hf.tokenizer_family == hf.model_type && info.pad_id >= 0 && info.pad_id < info.vocab_size &&
      info.vocab_map[static_cast<size_t>(info.pad_id)] != hf.pad_token_id)
    throw UserError("the dataset's pad id " + std::to_string(info.pad_id) + " is checkpoint row " +
                    std::to_string(info.vocab_map[static_cast<size_t>(info.pad_id)]) + ", but config.json's pad_token_id is " +
                    std::to_string(hf.pad_token_id) + ": another tokenizer; " + prepare);
  const std::string dir = pj.value("dir", "");
  if (dir.empty() || canonical_or_same(dir) == canonical_or_same(hf.dir)) return;
  if (!std::filesystem::is_directory(dir)) {
    std::cerr << "note: the dataset's tokenizer came from " << dir << " (not on this machine); the checkpoint is "
              << hf.dir << " (same tokenizer family, vocabulary fits)" << std::endl;
    return;
  }
  for (const char* f : {"vocab.txt", "tokenizer.json", "sentencepiece.bpe.model"}) {
    const std::string a = dir + "/" + f, b = hf.dir + "/" + f;
    if (file_exists(a) && file_exists(b) && sha256_file(a) != sha256_file(b))
      throw UserError("the dataset was prepared with the tokenizer of " + dir + ", whose " + f + " differs from " + b +
                      ": another checkpoint's tokenizer; " + prepare);
  }
}

nlohmann::json load_pretrained_weights(ClassifierImpl& model, const ModelConfig& cfg, const DatasetInfo& info) {
  if (cfg.architecture != "pretrained") return nullptr;
  const HfEncoderConfig& hf = cfg.hf;
  check_pretrained_vocab(hf, info);
  HfCheckpoint ck(hf.dir);
  static const std::regex layer_re("^encoder\\.layer\\.([0-9]+)\\.(.*)$");
  const std::string word = "embeddings.word_embeddings.weight";
  int64_t copied = 0, new_rows = 0;
  torch::NoGradGuard g;
  for (auto& kv : model.named_parameters()) {
    const std::string& name = kv.key();
    if (name.rfind("classifier.", 0) == 0) continue;  // our head: newly initialised
    std::string src = name;
    std::smatch m;
    if (std::regex_match(name, m, layer_re))
      src = "encoder.layer." + std::to_string(cfg.layer_ids.at(std::stoul(m[1].str()))) + "." + m[2].str();
    std::vector<int64_t> expected = kv.value().sizes().vec();
    if (name == word) expected[0] = hf.vocab_size;  // ours holds the dataset's rows of it
    const auto found = ck.shape(src);
    if (found != expected)
      throw UserError(ck.weights_path() + ": tensor '" + ck.prefix() + src + "' has shape " + shape_str(found) +
                      ", expected " + shape_str(expected) + " from " + hf.dir +
                      "/config.json: the weights and config.json do not belong together");
    torch::Tensor t = ck.tensor(src);
    if (name == word) {
      auto map = torch::tensor(std::vector<int64_t>(info.vocab_map.begin(), info.vocab_map.end()), torch::kLong);
      auto added = map.lt(0);
      auto rows = t.index_select(0, map.clamp_min(0));
      // Pieces added here (our placeholders <PHONE>, <ORDER>, ...) have no row in the
      // checkpoint. They start at the mean of its rows: an ordinary-looking token of
      // the embedding distribution's scale (a random or zero vector would stand out
      // after LayerNorm and disturb the pretrained layers; Hewitt 2021).
      new_rows = added.sum().item<int64_t>();
      if (new_rows > 0) rows.index_put_({added}, t.mean(0));
      t = rows;
    }
    kv.value().copy_(t);
    ++copied;
  }
  std::string layers;
  for (auto l : cfg.layer_ids) layers += (layers.empty() ? "" : ",") + std::to_string(l);
  std::cerr << "pretrained: copied " << copied << " tensors from " << ck.weights_path() << " (encoder layers " << layers
            << " of " << hf.num_hidden_layers << "; " << info.vocab_size - new_rows << " word-embedding rows from the checkpoint, "
            << new_rows << " added pieces at the mean embedding); the head is new" << std::endl;
  return {{"dir", hf.dir},
          {"model_type", hf.model_type},
          {"weights_file", hf.weights_file},
          {"weights_sha256", ck.weights_sha256()},
          {"config_sha256", hf.config_sha256},
          {"layers", cfg.layer_ids},
          {"pooling", cfg.pooling}};
}

}  // namespace zl
