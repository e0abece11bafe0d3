#include "dataset_config.h"

#include <cmath>
#include <cstdlib>

namespace zl {

std::string expand_env(const std::string& value, const std::string& where) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    if (value.compare(i, 2, "${") == 0) {
      size_t close = value.find('}', i + 2);
      if (close == std::string::npos) throw UserError(where + ": unclosed '${' in '" + value + "'");
      std::string name = value.substr(i + 2, close - i - 2);
      const char* v = std::getenv(name.c_str());
      if (!v || !*v)
        throw UserError(where + ": '" + value + "' uses ${" + name + "}, which is not set; export " + name +
                        "=/path (e.g. " + name + "=/work/shared/datasets) or pass --input-dir");
      out += v;
      i = close + 1;
    } else {
      out += value[i++];
    }
  }
  return out;
}

std::string resolve_path(const std::string& path, const std::string& base) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return base + "/" + path;
}

namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

DatasetConfig load_dataset_config(const std::string& path, const std::vector<std::string>& overrides,
                                  const std::string& input_dir) {
  Config c = Config::load_file(path, overrides);
  DatasetConfig d;
  d.config_path = path;
  const std::string cfg_dir = dir_of(path);
  d.name = c.get<std::string>("name", "");
  d.task = parse_task(c.get_choice("task", "single_label", {"single_label", "multi_label", "pair"}), path);

  Config in = c.child("inputs");
  std::string dir = in.get<std::string>("dir", "");
  if (!input_dir.empty()) dir = input_dir;
  else dir = resolve_path(expand_env(dir, path + ": inputs.dir"), cfg_dir);
  if (dir.empty()) dir = cfg_dir;
  d.format = in.get_choice("format", "auto", {"auto", "jsonl", "csv", "tsv"});
  Config fields = in.child("fields");
  FieldNames& f = d.reader.fields;
  f.text = fields.get<std::string>("text", f.text);
  f.text_a = fields.get<std::string>("text_a", f.text_a);
  f.text_b = fields.get<std::string>("text_b", f.text_b);
  f.label = fields.get<std::string>("label", f.label);
  f.labels = fields.get<std::string>("labels", f.labels);
  f.meta = in.get<std::vector<std::string>>("meta", {});
  d.reader.header = in.get<bool>("header", true);
  d.reader.columns = in.get<std::vector<std::string>>("columns", {});
  d.reader.label_separator = in.get<std::string>("label_separator", "|");
  in.check(!d.reader.label_separator.empty(), "label_separator", "must not be empty");
  d.reader.task = d.task;

  const bool has_files = in.has("files");
  const bool has_file = in.has("file");
  if (has_files == has_file)
    in.fail(has_files ? "file" : "files",
            "give either inputs.files (a file per split: {train: ..., dev: ..., test: ...}) or inputs.file "
            "(one file, split by inputs.split ratios), not both and not neither");
  if (has_files) {
    Config files = in.child("files");
    std::map<std::string, std::string> by_name;
    for (const std::string& name : files.keys()) {
      files.allow(name);
      if (!files.has(name)) continue;  // `--set inputs.files.test=null` drops a split
      std::string p = files.require<std::string>(name);
      in.check(!name.empty() && name.find('/') == std::string::npos, "files", "has a bad split name '" + name + "'");
      by_name[name] = resolve_path(expand_env(p, path + ": inputs.files." + name), dir);
    }
    if (!by_name.count("train"))
      in.fail("files", "needs a 'train' file (the labels and the tokenizer come from it)");
    // train, dev, test first, then any others by name.
    for (const char* s : {"train", "dev", "test"})
      if (by_name.count(s)) d.files.emplace_back(s, by_name[s]);
    for (const auto& [n, p] : by_name)
      if (n != "train" && n != "dev" && n != "test") d.files.emplace_back(n, p);
    Config split = in.child("split");
    d.dev_from_train = split.get<double>("dev_from_train", 0.0);
    split.check(d.dev_from_train >= 0 && d.dev_from_train < 0.5, "dev_from_train",
                "must be >= 0 and < 0.5 (the share of train that becomes the dev split, e.g. 0.1)");
    if (d.dev_from_train > 0 && by_name.count("dev"))
      split.fail("dev_from_train", "carves a dev split out of train, but inputs.files has a dev file already; "
                                   "remove one of the two");
    d.ratios.seed = split.get<uint64_t>("seed", d.ratios.seed);
  } else {
    Config split = in.child("split");
    if (split.has("dev_from_train"))
      split.fail("dev_from_train", "is for inputs.files without a dev file; with inputs.file, the dev share is "
                                   "inputs.split.dev");
    d.single_file = resolve_path(expand_env(in.require<std::string>("file"), path + ": inputs.file"), dir);
    d.ratios.train = split.get<double>("train", d.ratios.train);
    d.ratios.dev = split.get<double>("dev", d.ratios.dev);
    d.ratios.test = split.get<double>("test", d.ratios.test);
    d.ratios.seed = split.get<uint64_t>("seed", d.ratios.seed);
    split.check(d.ratios.train > 0 && d.ratios.dev >= 0 && d.ratios.test >= 0 &&
                    std::fabs(d.ratios.train + d.ratios.dev + d.ratios.test - 1.0) < 1e-6,
                "train", "ratios must be >= 0 (train > 0) and sum to 1 (e.g. train: 0.8, dev: 0.1, test: 0.1)");
  }

  d.labels = c.get<std::vector<std::string>>("labels", {});
  {
    // The label set is the class list: a blank or white-space variant would be a class no record
    // can match (record labels are trimmed), a duplicate an ambiguous index.
    std::map<std::string, std::string> seen;  // trimmed -> as written
    for (const auto& l : d.labels) {
      const std::string t = trim_label(l);
      if (t.empty()) c.fail("labels", "holds an empty (or white-space) label; remove it");
      if (t != l) c.fail("labels", "holds '" + l + "' with white space around it; write '" + t + "'");
      auto [it, fresh] = seen.emplace(t, l);
      if (!fresh) c.fail("labels", "lists '" + l + "' twice; give each label once");
    }
  }
  d.allow_singleton_labels = c.get<bool>("allow_singleton_labels", false);
  d.max_length = c.get<int64_t>("max_length", 128);
  c.check(d.max_length >= (d.task == Task::kPair ? 5 : 3) && d.max_length <= 65536, "max_length",
          "must be between 5 and 65536 (it counts [CLS] and [SEP] too)");

  Config norm = c.child("normalize");
  d.normalize.nfkc = norm.get<bool>("nfkc", true);
  d.normalize.collapse_whitespace = norm.get<bool>("collapse_whitespace", true);
  d.normalize.remove_control = norm.get<bool>("remove_control", true);
  d.normalize.t2s = norm.get<bool>("t2s", false);

  Config mask = c.child("mask");
  d.mask.enabled = mask.get<bool>("enabled", true);
  for (size_t k = 0; k < kNumPiiKinds; ++k)
    d.mask.kinds[k] = mask.get<bool>(pii_kind_name(static_cast<PiiKind>(k)), true);
  d.mask.order_min_digits = mask.get<int>("order_min_digits", 10);
  mask.check(d.mask.order_min_digits >= 6, "order_min_digits", "must be >= 6");

  d.dedup = c.get<bool>("dedup", true);
  Config tok = c.child("tokenizer");
  if (tok.has("pretrained")) {
    // A checkpoint's own tokenizer: nothing is trained or reused, so the sentencepiece keys have no
    // meaning, and giving one is a mistake to point out rather than to ignore.
    for (const char* key : {"model", "type", "vocab_size", "character_coverage", "threads"})
      if (tok.has(key))
        tok.fail(key, std::string("cannot be combined with tokenizer.pretrained (the checkpoint's own tokenizer is "
                                  "used; nothing is trained or reused): remove tokenizer.") + key +
                          " or tokenizer.pretrained");
    const std::string dir = tok.require<std::string>("pretrained");
    tok.check(!dir.empty(), "pretrained", "must name a Hugging Face checkpoint directory");
    d.tokenizer_pretrained = resolve_path(expand_env(dir, path + ": tokenizer.pretrained"), cfg_dir);
    d.tokenizer_prune = tok.get<bool>("prune", false);
  } else {
    if (tok.has("prune"))
      tok.fail("prune", "needs tokenizer.pretrained: pruning keeps the pieces of a pretrained vocabulary that the "
                        "data uses (a tokenizer trained here has only those already)");
    d.tokenizer.type = tok.get_choice("type", "unigram", {"unigram", "bpe", "char"});
    d.tokenizer.vocab_size = tok.get<int64_t>("vocab_size", 8000);
    tok.check(d.tokenizer.vocab_size >= 16, "vocab_size", "must be >= 16");
    d.tokenizer.character_coverage = tok.get<double>("character_coverage", 0.9995);
    tok.check(d.tokenizer.character_coverage > 0 && d.tokenizer.character_coverage <= 1, "character_coverage",
              "must be in (0, 1]");
    std::string model = tok.get<std::string>("model", "");
    if (!model.empty()) d.tokenizer.model_path = resolve_path(expand_env(model, path + ": tokenizer.model"), cfg_dir);
    d.tokenizer.threads = tok.get<int>("threads", 1);
    tok.check(d.tokenizer.threads >= 1, "threads", "must be >= 1");
  }
  d.keep_original_text = c.get<bool>("keep_original_text", false);

  c.check_unknown_keys();
  d.resolved_yaml = c.to_yaml();
  return d;
}

}  // namespace zl
