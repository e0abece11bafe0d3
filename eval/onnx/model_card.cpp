#include "model_card.h"

#include <cstdio>
#include <sstream>

namespace zl {

namespace {

std::string py_bool(bool b) { return b ? "True" : "False"; }

// A Python string literal (json strings are valid Python literals for BMP text).
std::string py_str(const std::string& s) { return nlohmann::json(s).dump(); }

std::string fmt(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pct(const nlohmann::json& v) { return v.is_number() ? fmt(100.0 * v.get<double>(), 2) + " %" : "n/a"; }

std::string mib(const nlohmann::json& bytes) {
  return bytes.is_number() ? fmt(static_cast<double>(bytes.get<int64_t>()) / (1024.0 * 1024.0), 2) + " MiB" : "n/a";
}

bool flag(const nlohmann::json& j, const char* key, bool dflt) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : dflt;
}

}  // namespace

std::string python_snippet(const nlohmann::json& s) {
  const auto& d = s.at("dataset");
  const auto& norm = d.at("normalization");
  const auto& mask = d.at("masking");
  const bool pair = d.at("task") == "pair";
  const bool multi = d.at("task") == "multi_label";
  const bool masking = flag(mask, "enabled", false);
  const bool pretrained = d.contains("pretrained_tokenizer") && d["pretrained_tokenizer"].is_object() &&
                          !d["pretrained_tokenizer"].empty();
  std::ostringstream o;
  o << R"PY(import json
import re
import unicodedata

import numpy as np
import onnxruntime as ort
)PY" << (pretrained ? "from transformers import AutoTokenizer\n" : "import sentencepiece as spm\n") << R"PY(
MODEL_DIR = "."  # this export directory
PAD, CLS, SEP = )PY" << d.at("pad_id") << ", " << d.at("cls_id") << ", " << d.at("sep_id") << R"PY(
DATA_MAX_LEN, MODEL_MAX_LEN = )PY" << d.at("max_length") << ", " << s.at("model").at("max_length") << R"PY(
NFKC, REMOVE_CONTROL, COLLAPSE_WHITESPACE = )PY" << py_bool(flag(norm, "nfkc", true)) << ", "
    << py_bool(flag(norm, "remove_control", true)) << ", " << py_bool(flag(norm, "collapse_whitespace", true)) << R"PY(
MASK = {"email": )PY" << py_bool(masking && flag(mask, "email", true)) << R"PY(, "phone": )PY"
    << py_bool(masking && flag(mask, "phone", true)) << R"PY(, "id": )PY" << py_bool(masking && flag(mask, "id", true))
    << R"PY(, "card": )PY" << py_bool(masking && flag(mask, "card", true)) << R"PY(,
        "tel": )PY" << py_bool(masking && flag(mask, "tel", true)) << R"PY(, "order": )PY"
    << py_bool(masking && flag(mask, "order", true)) << "}\nORDER_MIN_DIGITS = "
    << (mask.is_object() && mask.contains("order_min_digits") ? mask["order_min_digits"].get<int>() : 10) << "\n";
  if (flag(norm, "t2s", false)) o << "import opencc  # traditional -> simplified, as kd-data (pip install opencc)\n";
  o << R"PY(
labels = json.load(open(f"{MODEL_DIR}/labels.json", encoding="utf-8"))
)PY" << (pretrained ? R"PY(# The checkpoint's own tokenizer, with kd-data's placeholders as added pieces; its ids are
# mapped to the model's through vocab_map.json (pruned vocabulary: other pieces -> unk).
tok = AutoTokenizer.from_pretrained(f"{MODEL_DIR}/tokenizer")
VOCAB = json.load(open(f"{MODEL_DIR}/vocab_map.json", encoding="utf-8"))
tok.add_tokens(list(VOCAB["placeholders"]), special_tokens=True)
REMAP = {row: i for i, row in enumerate(VOCAB["vocab_map"]) if row >= 0}
REMAP.update({tok.convert_tokens_to_ids(p): i for p, i in VOCAB["placeholders"].items()})
)PY" : "sp = spm.SentencePieceProcessor(model_file=f\"{MODEL_DIR}/tokenizer.model\")\n") << R"PY(session = ort.InferenceSession(f"{MODEL_DIR}/model.onnx", providers=["CPUExecutionProvider"])
SPACES = {0x20, *range(0x09, 0x0E), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}


def normalize(text):
    """kd-data's normalization: NFKC, drop control/format characters, collapse white space."""
    if NFKC:
        text = unicodedata.normalize("NFKC", text)
    out, pending_space = [], False
    for ch in text:
        cp = ord(ch)
        if COLLAPSE_WHITESPACE and cp in SPACES:
            pending_space = bool(out)
            continue
        if REMOVE_CONTROL and cp not in SPACES and unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        out.append(ch)
    text = "".join(out)
)PY";
  if (flag(norm, "t2s", false)) o << "    text = opencc.OpenCC(\"t2s\").convert(text)\n";
  o << R"PY(    return text


def _luhn(d):
    s = sum(int(c) if i % 2 == 0 else (2 * int(c) - 9 if int(c) > 4 else 2 * int(c)) for i, c in enumerate(d[::-1]))
    return s % 10 == 0


def _gb11643(s):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return s[:17].isdigit() and "10X98765432"[sum(int(c) * k for c, k in zip(s, w)) % 11] == s[17].upper()


def _mask_number(m):
    prefix, body = m.group(1) or "", m.group(2)
    digits = re.sub(r"[^0-9Xx]", "", body)
    if MASK["phone"] and re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return "<PHONE>"
    if prefix:  # "86" / "+86" only belongs to a phone number
        return prefix + _mask_number(re.match(r"()(.*)", body, re.S))
    if MASK["id"] and len(digits) == 18 and _gb11643(digits):
        return "<ID>"
    if not digits.isdigit():
        return body
    if MASK["card"] and 16 <= len(digits) <= 19 and _luhn(digits):
        return "<CARD>"
    if MASK["tel"] and digits.startswith("0") and 10 <= len(digits) <= 12:
        return "<TEL>"
    if MASK["order"] and len(digits) >= ORDER_MIN_DIGITS:
        return "<ORDER>"
    return body


def mask_pii(text):
    """kd-data's personal-data masking (data/pii_masker.h) for its common forms."""
    if MASK["email"]:
        text = re.sub(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "<EMAIL>", text)
    if MASK["order"]:
        text = re.sub(r"(?<![A-Za-z0-9])[A-Za-z]{1,4}[0-9]{%d,}(?![0-9])" % ORDER_MIN_DIGITS, "<ORDER>", text)
    return re.sub(r"(?<![0-9])(\+?86[ -]?)?(\(0[0-9]{2,3}\)[0-9]{7,8}|[0-9]+(?:[ -][0-9]{3,})*[Xx]?)(?![0-9])",
                  _mask_number, text)


def encode(text)PY";
  if (pair) o << ", text_b";
  o << R"PY():
)PY";
  if (pretrained) {
    o << R"PY(    """The checkpoint tokenizer's framing and longest-first truncation, as kd-data prepares it."""
    enc = tok(mask_pii(normalize(text)))PY" << (pair ? ", mask_pii(normalize(text_b))" : "") << R"PY(, truncation=True, max_length=DATA_MAX_LEN)
    ids = [REMAP.get(i, )PY" << d.at("unk_id") << R"PY() for i in enc["input_ids"]]
    types = enc.get("token_type_ids") or [0] * len(ids)
    if len(ids) > MODEL_MAX_LEN:  # keep the final separator
        ids, types = ids[:MODEL_MAX_LEN - 1] + ids[-1:], types[:MODEL_MAX_LEN - 1] + types[-1:]
    return ids, types
)PY";
  } else {
  o << R"PY(    """[CLS] a [SEP])PY" << (pair ? " b [SEP]" : "") << R"PY( as kd-data frames it, truncated as kd-data and the model do."""
    a = sp.encode(mask_pii(normalize(text)))
)PY";
  if (pair) {
    o << R"PY(    b = sp.encode(mask_pii(normalize(text_b)))
    while len(a) + len(b) > DATA_MAX_LEN - 3:  # trim the longer side first
        if len(a) >= len(b):
            a = a[:-1]
        else:
            b = b[:-1]
    ids = [CLS] + a + [SEP] + b + [SEP]
    types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    if len(ids) > MODEL_MAX_LEN:  # keep the final [SEP]
        ids, types = ids[:MODEL_MAX_LEN - 1] + ids[-1:], types[:MODEL_MAX_LEN - 1] + types[-1:]
    return ids, types
)PY";
  } else {
    o << R"PY(    ids = [CLS] + a[:DATA_MAX_LEN - 2] + [SEP]
    if len(ids) > MODEL_MAX_LEN:  # keep the final [SEP]
        ids = ids[:MODEL_MAX_LEN - 1] + ids[-1:]
    return ids, [0] * len(ids)
)PY";
  }
  }
  o << R"PY(

def classify()PY" << (pair ? "pairs" : "texts") << R"PY():
    rows = [encode()PY" << (pair ? "*p) for p in pairs" : "t) for t in texts") << R"PY(]
    width = max(len(ids) for ids, _ in rows)
    input_ids = np.full((len(rows), width), PAD, dtype=np.int64)  # pad with [PAD]
    attention_mask = np.zeros((len(rows), width), dtype=np.int64)
    token_type_ids = np.zeros((len(rows), width), dtype=np.int64)
    for r, (ids, types) in enumerate(rows):
        input_ids[r, :len(ids)], attention_mask[r, :len(ids)], token_type_ids[r, :len(ids)] = ids, 1, types
    feed = {"input_ids": input_ids, "attention_mask": attention_mask}
    if any(i.name == "token_type_ids" for i in session.get_inputs()):
        feed["token_type_ids"] = token_type_ids
    logits, probs = session.run(["logits", "probs"], feed)
)PY";
  if (multi)
    o << "    return [[labels[j] for j in np.flatnonzero(p > 0.5)] for p in probs]  # sigmoid > 0.5 per label\n";
  else
    o << "    return [labels[j] for j in probs.argmax(axis=1)]\n";
  const auto& ex = s.at("example");
  o << "\n\nprint(classify([";
  if (pair)
    o << "(" << py_str(ex.at("text").get<std::string>()) << ", " << py_str(ex.at("text_b").get<std::string>()) << ")";
  else
    o << py_str(ex.at("text").get<std::string>());
  o << "])[0])\n";
  return o.str();
}

std::string model_card(const nlohmann::json& s) {
  const auto& d = s.at("dataset");
  const auto& v = s.at("verification");
  const auto& par = v.at("parity");
  const auto& fp32 = v.at("fp32");
  const auto& tl = v.at("torch_latency");
  const bool pair = d.at("task") == "pair";
  std::ostringstream o;
  o << "# " << s.at("model").at("description").get<std::string>() << " — " << d.at("task").get<std::string>()
    << " classifier (ONNX)\n\n";
  o << "Exported by Zhengliu " << s.at("toolkit_version").get<std::string>() << " (`kd export onnx`) from run `"
    << s.at("run").at("run_id").get<std::string>() << "` on " << s.at("exported_at").get<std::string>() << ".\n\n";
  o << "## Trained on\n\n";
  o << "- dataset content sha256 `" << d.at("content_sha256").get<std::string>() << "`, source files: `"
    << d.at("source_files").dump() << "`\n";
  o << "- task `" << d.at("task").get<std::string>() << "`, " << d.at("label_names").size()
    << " labels (in `labels.json`, in output order)\n";
  o << "- architecture: " << s.at("model").at("description").get<std::string>() << ", "
    << s.at("model").at("parameters").get<int64_t>() << " parameters\n";
  if (s.at("run").contains("best")) o << "- training run's best dev metric: `" << s.at("run").at("best").dump() << "`\n";
  o << "\n## Accuracy, size, latency (measured at export on the `" << v.at("split").get<std::string>() << "` split, "
    << v.at("examples") << " examples)\n\n";
  o << "| model | file | size | accuracy | ONNX Runtime CPU latency, batch 1, p50 / p95 (" << fp32.at("latency").at("threads")
    << " thread) |\n|---|---|---|---|---|\n";
  o << "| LibTorch (reference) | — | — | " << pct(par.at("torch_accuracy")) << " | " << fmt(tl.at("p50_ms"), 3)
    << " / " << fmt(tl.at("p95_ms"), 3) << " ms (LibTorch, " << tl.at("threads") << " thread) |\n";
  o << "| fp32 | `model.onnx` | " << mib(fp32.at("size_bytes")) << " | " << pct(fp32.at("accuracy")) << " | "
    << fmt(fp32.at("latency").at("p50_ms"), 3) << " / " << fmt(fp32.at("latency").at("p95_ms"), 3) << " ms |\n";
  if (v.contains("int8")) {
    const auto& q = v.at("int8");
    o << "| int8 (dynamic) | " << (q.at("kept").get<bool>() ? "`model.int8.onnx`" : "not kept") << " | "
      << mib(q.at("size_bytes")) << " | " << pct(q.at("accuracy")) << " | " << fmt(q.at("latency").at("p50_ms"), 3)
      << " / " << fmt(q.at("latency").at("p95_ms"), 3) << " ms |\n";
    o << "\nINT8: accuracy drop " << fmt(q.at("accuracy_drop_points"), 2) << " points (gate "
      << fmt(q.at("max_drop_points"), 2) << "): " << (q.at("kept").get<bool>() ? "kept." : "rejected, file removed.")
      << "\n";
  }
  o << "\nParity with LibTorch (fp32): max |logit difference| " << par.at("max_abs_logit_diff").get<double>()
    << " (limit " << par.at("max_abs_logit_diff_limit").get<double>() << "), identical predictions on "
    << pct(par.at("prediction_agreement")) << " of examples, accuracy equal (" << par.at("onnx_correct") << " vs "
    << par.at("torch_correct") << " correct). " << v.at("checker").get<std::string>() << ". ONNX Runtime "
    << v.at("onnxruntime_version").get<std::string>() << ".\n";

  o << "\n## Inputs and outputs\n\n";
  o << "- `input_ids` int64 [batch, sequence]: token ids, padded with [PAD] = " << d.at("pad_id") << "\n";
  o << "- `attention_mask` int64 [batch, sequence]: 1 for tokens, 0 for padding\n";
  if (pair) o << "- `token_type_ids` int64 [batch, sequence]: 0 for `[CLS] a [SEP]`, 1 for `b [SEP]`\n";
  o << "- outputs `logits` and `probs` float [batch, " << d.at("label_names").size() << "]: "
    << (d.at("task") == "multi_label" ? "probs = sigmoid(logits), a label applies when its prob > 0.5"
                                      : "probs = softmax(logits)")
    << "\n- metadata (`metadata_props`): label names, task, lengths, tokenizer sha256, normalization and masking "
       "settings, the training run and test metrics\n";

  o << "\n## Text preprocessing (apply exactly, before tokenization)\n\n";
  o << "1. Normalization (`" << d.at("normalization").dump() << "`): Unicode NFKC (full-width letters, digits and "
       "punctuation to half-width), remove control (Cc) and format (Cf) characters, collapse every run of white space "
       "into one ASCII space and trim both ends"
    << (flag(d.at("normalization"), "t2s", false) ? ", then traditional -> simplified Chinese (OpenCC t2s)" : "")
    << ".\n";
  o << "2. Personal-data masking (`" << d.at("masking").dump() << "`): e-mail addresses, mobile numbers, resident IDs "
       "(valid check digit), bank cards (Luhn), landlines and long order numbers are replaced by `<EMAIL>`, `<PHONE>`, "
       "`<ID>`, `<CARD>`, `<TEL>`, `<ORDER>`. The snippet below implements the common forms; kd-data's scanner "
       "(`data/pii_masker.h` in Zhengliu) is the reference.\n";
  const bool pretrained = d.contains("pretrained_tokenizer") && d["pretrained_tokenizer"].is_object() &&
                          !d["pretrained_tokenizer"].empty();
  if (pretrained) {
    const auto& pt = d["pretrained_tokenizer"];
    o << "3. Tokenize with the checkpoint's own tokenizer (`tokenizer/`: its files, copied from `"
      << pt.value("dir", std::string()) << "`; family " << pt.value("family", std::string())
      << "), with the placeholders added as single pieces, then map every id through `vocab_map.json`: "
         "`vocab_map[i]` is the checkpoint id of model id `i` (-1 for a placeholder, whose model id is in "
         "`placeholders`); a checkpoint id not listed becomes " << d.at("unk_id")
      << " (unk)" << (pt.value("pruned", false) ? ": the vocabulary was pruned to the pieces of the training data" : "")
      << ".\n";
    o << "4. Frame as the checkpoint's tokenizer does (`" << pt.value("framing", nlohmann::json::object()).dump()
      << "`) with at most " << d.at("max_length") << " tokens (longest side trimmed first); the model then reads at most "
      << s.at("model").at("max_length") << " tokens, keeping the final separator.\n";
  } else {
  o << "3. Tokenize with `tokenizer.model` (sentencepiece, sha256 `" << d.at("tokenizer_sha256").get<std::string>()
    << "`), no extra options.\n";
  o << "4. Frame as `[CLS] a [SEP]" << (pair ? " b [SEP]" : "") << "` ([CLS] = " << d.at("cls_id")
    << ", [SEP] = " << d.at("sep_id") << ") with at most " << d.at("max_length") << " tokens ("
    << (pair ? "the longer text is trimmed first" : "the text is cut at the end")
    << "); the model then reads at most " << s.at("model").at("max_length")
    << " tokens, keeping the final [SEP].\n";
  }
  o << "5. Pad a batch to its longest row with [PAD] (attention_mask 0). Padding does not change the outputs.\n";

  o << "\n## Run it with ONNX Runtime (Python)\n\n`pip install onnxruntime " << (pretrained ? "transformers" : "sentencepiece")
    << " numpy`, then, in this "
       "directory:\n\n```python\n"
    << python_snippet(s) << "```\n";
  o << "\nIt prints `" << s.at("example").at("label_text").get<std::string>()
    << "`, the label LibTorch gives this test sentence.\n";

  o << R"PY(
## Run it with ONNX Runtime (C++)

)PY" << (pretrained ? "Tokenize as above (the checkpoint's tokenizer: e.g. the `tokenizers` library reads `tokenizer/tokenizer.json`; "
                     "then map the ids through `vocab_map.json`), then:"
                   : "Tokenize as above (the C++ sentencepiece library reads the same `tokenizer.model`), then:") << R"PY(

```cpp
#include <onnxruntime_cxx_api.h>
#include <vector>

int main() {
  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "zhengliu");
  Ort::SessionOptions options;
  options.SetIntraOpNumThreads(1);
  Ort::Session session(env, "model.onnx", options);
  std::vector<int64_t> ids = {/* [CLS] ... [SEP] from the steps above */};
  std::vector<int64_t> mask(ids.size(), 1);
  std::vector<int64_t> shape = {1, static_cast<int64_t>(ids.size())};
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<Ort::Value> inputs;
  inputs.push_back(Ort::Value::CreateTensor<int64_t>(mem, ids.data(), ids.size(), shape.data(), 2));
  inputs.push_back(Ort::Value::CreateTensor<int64_t>(mem, mask.data(), mask.size(), shape.data(), 2));
)PY";
  if (pair)
    o << R"PY(  std::vector<int64_t> types(ids.size(), 0);  // 1 for the b [SEP] part
  inputs.push_back(Ort::Value::CreateTensor<int64_t>(mem, types.data(), types.size(), shape.data(), 2));
  const char* in_names[] = {"input_ids", "attention_mask", "token_type_ids"};
)PY";
  else
    o << "  const char* in_names[] = {\"input_ids\", \"attention_mask\"};\n";
  o << R"PY(  const char* out_names[] = {"logits", "probs"};
  auto out = session.Run(Ort::RunOptions{nullptr}, in_names, inputs.data(), inputs.size(), out_names, 2);
  const float* probs = out[1].GetTensorData<float>();  // [1, num_labels], order of labels.json
  (void)probs;
}
```

## Files

- `model.onnx` (opset 17, dynamic batch and sequence axes))PY";
  if (v.contains("int8") && v.at("int8").at("kept").get<bool>()) o << ", `model.int8.onnx` (dynamic INT8)";
  o << "\n- `tokenizer.model`, `labels.json`, `export.json` (every figure above, machine-readable)\n";
  return o.str();
}

}  // namespace zl
