#include "hf_config.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "error.h"

namespace zl {

std::string expand_env_vars(const std::string& value, const std::string& where) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    if (value.compare(i, 2, "${") != 0) {
      out += value[i++];
      continue;
    }
    // The matching '}' (a default may hold ${HOME}: nested braces).
    size_t close = i + 2;
    for (int depth = 1; close < value.size(); ++close) {
      if (value.compare(close, 2, "${") == 0) ++depth, ++close;
      else if (value[close] == '}' && --depth == 0) break;
    }
    if (close >= value.size()) throw UserError(where + ": unclosed '${' in '" + value + "'");
    std::string name = value.substr(i + 2, close - i - 2);
    std::string fallback;
    bool has_fallback = false;
    if (auto dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name = name.substr(0, dash);
      has_fallback = true;
    }
    const char* v = std::getenv(name.c_str());
    if (v && *v) {
      out += v;
    } else if (has_fallback) {
      // The fallback may name another variable: ${KD_E5_SMALL:-${HOME}/...}.
      out += expand_env_vars(fallback, where);
    } else {
      throw UserError(where + ": '" + value + "' uses ${" + name + "}, which is not set: export " + name +
                      "=/path/to/the/checkpoint/directory (or write the path into the config)");
    }
    i = close + 1;
  }
  return out;
}

HfEncoderConfig HfEncoderConfig::from_json(const std::string& text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw UserError(path + ": not a Hugging Face config (expected a JSON object)");
  HfEncoderConfig h;
  auto fail = [&](const std::string& msg) { throw UserError(path + ": " + msg); };
  auto integer = [&](const char* key, int64_t def, bool required) {
    if (!j.contains(key) || j[key].is_null()) {
      if (required) fail(std::string("has no '") + key + "': not a BERT/XLM-R encoder config");
      return def;
    }
    if (!j[key].is_number_integer()) fail(std::string("'") + key + "' must be an integer");
    return j[key].get<int64_t>();
  };
  auto number = [&](const char* key, double def) {
    if (!j.contains(key) || j[key].is_null()) return def;
    if (!j[key].is_number()) fail(std::string("'") + key + "' must be a number");
    return j[key].get<double>();
  };
  auto text_of = [&](const char* key, const std::string& def) {
    if (!j.contains(key) || j[key].is_null()) return def;
    if (!j[key].is_string()) fail(std::string("'") + key + "' must be a string");
    return j[key].get<std::string>();
  };
  h.model_type = text_of("model_type", "");
  if (h.model_type != "bert" && h.model_type != "xlm-roberta" && h.model_type != "roberta")
    fail("model_type '" + h.model_type +
         "' is not supported: architecture pretrained loads BERT (model_type bert) and XLM-R/RoBERTa "
         "(xlm-roberta, roberta) encoders; convert the model to one of those or train another architecture");
  if (j.value("is_decoder", false) || j.value("add_cross_attention", false))
    fail("is a decoder configuration (is_decoder / add_cross_attention): only bidirectional encoders are supported");
  const std::string act = text_of("hidden_act", "gelu");
  if (act != "gelu")
    fail("hidden_act '" + act + "' is not supported: this encoder computes the exact (erf) GELU of BERT and XLM-R ('gelu')");
  const std::string pos = text_of("position_embedding_type", "absolute");
  if (pos != "absolute")
    fail("position_embedding_type '" + pos + "' is not supported: only absolute position embeddings are");
  const bool bert = h.model_type == "bert";
  h.vocab_size = integer("vocab_size", 0, true);
  h.hidden_size = integer("hidden_size", 0, true);
  h.num_hidden_layers = integer("num_hidden_layers", 0, true);
  h.num_attention_heads = integer("num_attention_heads", 0, true);
  h.intermediate_size = integer("intermediate_size", 0, true);
  // The defaults of transformers' BertConfig / XLMRobertaConfig for keys old configs omit.
  h.max_position_embeddings = integer("max_position_embeddings", bert ? 512 : 514, false);
  h.type_vocab_size = integer("type_vocab_size", bert ? 2 : 1, false);
  h.pad_token_id = integer("pad_token_id", bert ? 0 : 1, false);
  h.layer_norm_eps = number("layer_norm_eps", bert ? 1e-12 : 1e-5);
  h.hidden_dropout_prob = number("hidden_dropout_prob", 0.1);
  h.attention_probs_dropout_prob = number("attention_probs_dropout_prob", 0.1);
  for (auto [k, v] : {std::pair{"vocab_size", h.vocab_size}, {"hidden_size", h.hidden_size},
                      {"num_hidden_layers", h.num_hidden_layers}, {"num_attention_heads", h.num_attention_heads},
                      {"intermediate_size", h.intermediate_size}, {"max_position_embeddings", h.max_position_embeddings},
                      {"type_vocab_size", h.type_vocab_size}})
    if (v <= 0) fail(std::string("'") + k + "' must be positive (got " + std::to_string(v) + ")");
  if (h.hidden_size % h.num_attention_heads != 0)
    fail("hidden_size " + std::to_string(h.hidden_size) + " is not a multiple of num_attention_heads " +
         std::to_string(h.num_attention_heads));
  if (h.pad_token_id < 0 || h.pad_token_id >= h.vocab_size)
    fail("pad_token_id " + std::to_string(h.pad_token_id) + " is outside the vocabulary");
  if (h.max_tokens() < 2) fail("max_position_embeddings " + std::to_string(h.max_position_embeddings) + " is too small");
  if (!(h.layer_norm_eps > 0)) fail("'layer_norm_eps' must be positive");
  h.tokenizer_family = h.model_type;
  h.set_tokenizer_family(text_of("tokenizer_class", ""));
  return h;
}

bool HfEncoderConfig::set_tokenizer_family(const std::string& cls) {
  if (cls.find("XLMRoberta") != std::string::npos) tokenizer_family = "xlm-roberta";
  else if (cls.rfind("Bert", 0) == 0) tokenizer_family = "bert";
  else if (cls.rfind("Roberta", 0) == 0) tokenizer_family = "roberta";
  else return false;
  return true;
}

YAML::Node HfEncoderConfig::to_yaml() const {
  YAML::Node n(YAML::NodeType::Map);
  n["dir"] = dir;
  n["model_type"] = model_type;
  n["vocab_size"] = vocab_size;
  n["hidden_size"] = hidden_size;
  n["num_hidden_layers"] = num_hidden_layers;
  n["num_attention_heads"] = num_attention_heads;
  n["intermediate_size"] = intermediate_size;
  n["max_position_embeddings"] = max_position_embeddings;
  n["type_vocab_size"] = type_vocab_size;
  n["pad_token_id"] = pad_token_id;
  n["layer_norm_eps"] = layer_norm_eps;
  n["hidden_dropout_prob"] = hidden_dropout_prob;
  n["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
  n["weights_file"] = weights_file;
  n["prefix"] = prefix;
  n["has_pooler"] = has_pooler;
  n["config_sha256"] = config_sha256;
  n["tokenizer_family"] = tokenizer_family;
  return n;
}

HfEncoderConfig HfEncoderConfig::from_config(const Config& c) {
  HfEncoderConfig h;
  h.dir = c.require<std::string>("dir");
  h.model_type = c.get_choice("model_type", "", {"bert", "xlm-roberta", "roberta"});
  auto positive = [&](const char* key) {
    const auto v = c.require<int64_t>(key);
    c.check(v > 0, key, "must be positive");
    return v;
  };
  h.vocab_size = positive("vocab_size");
  h.hidden_size = positive("hidden_size");
  h.num_hidden_layers = positive("num_hidden_layers");
  h.num_attention_heads = positive("num_attention_heads");
  h.intermediate_size = positive("intermediate_size");
  h.max_position_embeddings = positive("max_position_embeddings");
  h.type_vocab_size = positive("type_vocab_size");
  h.pad_token_id = c.require<int64_t>("pad_token_id");
  h.layer_norm_eps = c.require<double>("layer_norm_eps");
  h.hidden_dropout_prob = c.require<double>("hidden_dropout_prob");
  h.attention_probs_dropout_prob = c.require<double>("attention_probs_dropout_prob");
  h.weights_file = c.require<std::string>("weights_file");
  h.prefix = c.get<std::string>("prefix", "");
  h.has_pooler = c.require<bool>("has_pooler");
  h.config_sha256 = c.get<std::string>("config_sha256", "");
  h.tokenizer_family = c.get<std::string>("tokenizer_family", h.model_type);
  c.check(h.hidden_size % h.num_attention_heads == 0, "num_attention_heads", "must divide hidden_size");
  return h;
}

}  // namespace zl
