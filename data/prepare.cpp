#include "prepare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <time.h>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "atomic_file.h"
#include "checksum.h"
#include "dataset_config.h"
#include "dataset_file.h"
#include "pii_masker.h"
#include "pretrained_tokenizer.h"
#include "record_reader.h"
#include "splitter.h"
#include "text_normalizer.h"
#include "text_encoder.h"
#include "tokenizer_trainer.h"
#include "vocab_pruning.h"

namespace zl {

int64_t percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank == 0) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU seconds of this process: on a shared machine, wall time also counts other
// processes; the per-text phases are single-threaded, so CPU time is what one
// dedicated core would need.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Example {
  std::string id;
  std::string file;
  int64_t line = 0;
  std::string text, text_b;
  std::string original, original_b;
  std::vector<std::string> labels;
  std::vector<std::string> meta;
};

struct SplitWork {
  std::string name;
  std::vector<Example> examples;
  int64_t records_read = 0;
  int64_t skipped = 0;
  int64_t duplicates = 0;
  int64_t duplicate_label_conflicts = 0;
  int64_t labels_trimmed = 0;
  std::map<std::string, int64_t> labels_read;
};

std::string split_counts(const std::vector<SplitWork>& splits) {
  std::string s;
  for (const auto& w : splits) s += (s.empty() ? "" : ", ") + w.name + " " + std::to_string(w.examples.size());
  return s;
}

// Labels present in another split but in no train example: after splitting a file (or carving
// dev out of train) that is the split's doing, not a label typo, so it is refused as such.
// `splits` is train first, then the splits made with it.
void refuse_labels_missing_from_train(const std::vector<const SplitWork*>& splits, const std::string& what,
                                      const std::string& remedy) {
  std::map<std::string, std::map<std::string, int64_t>> missing;  // label -> split -> count
  for (size_t k = 1; k < splits.size(); ++k)
    for (const auto& [l, n] : splits[k]->labels_read)
      if (n > 0 && !splits[0]->labels_read.count(l)) missing[l][splits[k]->name] = n;
  if (missing.empty()) return;
  std::string list;
  size_t shown = 0;
  for (const auto& [l, by_split] : missing) {
    if (shown++ == 5) {
      list += ", ...";
      break;
    }
    list += (list.empty() ? "'" : ", '") + l + "' (train 0";
    for (const auto& [sp, n] : by_split) list += ", " + sp + " " + std::to_string(n);
    list += ")";
  }
  throw UserError(what + " leaves " + std::to_string(missing.size()) + " label(s) with no train example: " + list +
                  "; a class absent from train cannot be learnt. " + remedy);
}

std::string basename_of(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

bool all_integers(const std::vector<std::string>& v) {
  for (const auto& s : v) {
    if (s.empty() || s.size() > 18) return false;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i)
      if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// The documented label order: numeric when every label is an integer, else by
// UTF-8 bytes (= code point order).
void sort_labels(std::vector<std::string>& v) {
  if (all_integers(v))
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
  else
    std::sort(v.begin(), v.end());
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string shorten(const std::string& s, size_t max_bytes = 60) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return s.substr(0, cut) + "...";
}

class BadLines {
 public:
  BadLines(bool skip, bool quiet, const PiiMasker& masker) : skip_(skip), quiet_(quiet), masker_(masker) {}
  // Rethrows unless bad lines are skipped; else counts and warns.
  void handle(const RecordError& e, bool fatal) {
    if (!skip_ || fatal) throw e;
    ++count_;
    // A JSON error quotes the raw line: the warning (which ends up in job logs) and the
    // messages stored in the file are masked like the texts.
    const std::string masked = masker_.mask(e.what());
    if (!quiet_) std::fprintf(stderr, "kd data prepare: warning: skipped %s\n", masked.c_str());
    if (examples_.size() < 20) examples_.push_back(masked);
  }
  int64_t count() const { return count_; }
  const std::vector<std::string>& examples() const { return examples_; }

 private:
  bool skip_, quiet_;
  const PiiMasker& masker_;
  int64_t count_ = 0;
  std::vector<std::string> examples_;
};

struct Timer {
  double read = 0, normalize = 0, mask = 0;
};

}  // namespace

PrepareResult prepare_dataset(const PrepareOptions& opt) {
  const auto t_start = Clock::now();
  DatasetConfig cfg = load_dataset_config(opt.config_path, opt.overrides, opt.input_dir);
  if (opt.out_path.empty()) throw UserError("--out is required: the HDF5 file to write (e.g. --out runs/demo.h5)");
  if (file_exists(opt.out_path) && !opt.force)
    throw UserError(opt.out_path + " already exists; pass --force to replace it, or choose another --out");
  {
    std::string dir = opt.out_path.find('/') == std::string::npos ? "." : opt.out_path.substr(0, opt.out_path.rfind('/'));
    if (!dir.empty() && !file_exists(dir))
      throw UserError("the folder of --out " + opt.out_path + " does not exist; create it first (mkdir -p " + dir + ")");
  }

  TextNormalizer normalizer(cfg.normalize);
  PiiMasker masker(cfg.mask);
  MaskCounts mask_counts{};
  BadLines bad(opt.skip_bad_lines, opt.quiet, masker);
  Timer tm;
  const bool pair = cfg.task == Task::kPair;

  // --- read, normalize, mask --------------------------------------------------
  std::vector<std::pair<std::string, std::string>> inputs = cfg.files;
  if (!cfg.single_file.empty()) inputs = {{"all", cfg.single_file}};
  std::set<std::string> basenames;
  bool basename_clash = false;
  for (const auto& [s, p] : inputs) basename_clash |= !basenames.insert(basename_of(p)).second;

  nlohmann::json source_files = nlohmann::json::array();
  std::vector<SplitWork> read_splits;
  int64_t texts_processed = 0;
  std::string norm_buf;
  const double cpu_read_start = cpu_seconds();
  for (const auto& input : inputs) {
    // Named copies, not structured bindings: lambdas below capture `path`, which
    // C++17 does not allow for a binding (clang refuses it; the fuzz build is clang).
    const std::string& split_name = input.first;
    const std::string& path = input.second;
    ReaderOptions ro = cfg.reader;
    ro.format = parse_format(cfg.format, path, cfg.config_path + ": inputs.format");
    auto t0 = Clock::now();
    RecordReader reader(path, ro);
    tm.read += seconds_since(t0);
    source_files.push_back({{"split", split_name},
                            {"path", path},
                            {"format", format_name(ro.format)},
                            {"bytes", reader.bytes().size()},
                            {"sha256", sha256_hex(reader.bytes())}});
    SplitWork w;
    w.name = split_name;
    const std::string base = (basename_clash ? split_name + "/" : "") + basename_of(path);
    InputRecord r;
    while (true) {
      try {
        auto tr = Clock::now();
        bool more = reader.next(r);
        tm.read += seconds_since(tr);
        if (!more) break;
        ++w.records_read;
        for (const auto& l : r.labels) ++w.labels_read[l];
        if (r.labels_trimmed > 0) {
          if (w.labels_trimmed == 0 && !opt.quiet)
            std::fprintf(stderr,
                         "kd data prepare: warning: %s:%lld: label '%s' has white space around it; labels are "
                         "compared trimmed ('chat ' is the class 'chat'); the count is in stats.labels_trimmed\n",
                         path.c_str(), static_cast<long long>(r.line), r.trimmed_example.c_str());
          w.labels_trimmed += r.labels_trimmed;
        }
        Example e;
        e.file = path;
        e.line = r.line;
        e.id = base + ":" + std::to_string(r.line);
        auto clean = [&](const std::string& raw, std::string& out, const char* which) {
          size_t badpos;
          if (!valid_utf8(raw, &badpos))
            throw RecordError(path, r.line, std::string("invalid UTF-8 in ") + which + " at byte " +
                                                std::to_string(badpos + 1) + "; convert the file to UTF-8");
          auto tn = Clock::now();
          normalizer.normalize(raw, norm_buf);
          auto tk = Clock::now();
          tm.normalize += std::chrono::duration<double>(tk - tn).count();
          masker.mask(norm_buf, out, mask_counts);
          tm.mask += seconds_since(tk);
          ++texts_processed;
          if (out.empty())
            throw RecordError(path, r.line,
                              std::string(which) + " is empty after normalization (raw: \"" + shorten(raw) +
                                  "\"); remove the record or fix the text");
        };
        clean(r.text, e.text, pair ? "text_a" : "text");
        if (pair) clean(r.text_b, e.text_b, "text_b");
        if (cfg.keep_original_text) {
          e.original = r.text;
          e.original_b = r.text_b;
        }
        e.labels = r.labels;
        e.meta = r.meta;
        w.examples.push_back(std::move(e));
      } catch (const RecordError& err) {
        ++w.skipped;
        bad.handle(err, reader.fatal());
        if (reader.fatal()) break;
      }
    }
    if (w.records_read == 0 && w.skipped == 0)
      throw UserError("input file " + path + " has no records" +
                      (ro.format != InputFormat::kJsonl && ro.header ? ": only the header line" : std::string()) +
                      "; check that inputs.file / inputs.files name the right file, or fill it");
    if (w.examples.empty())
      throw UserError("input file " + path + ": every record was bad and skipped (" + std::to_string(w.skipped) +
                      ", --skip-bad-lines); nothing is left of split " + split_name +
                      "; fix the file (the first problems are printed above)");
    if (w.labels_trimmed > 0 && !opt.quiet)
      std::fprintf(stderr, "kd data prepare: warning: %s: %lld label(s) trimmed of surrounding white space\n",
                   path.c_str(), static_cast<long long>(w.labels_trimmed));
    source_files.back()["labels_trimmed"] = w.labels_trimmed;
    read_splits.push_back(std::move(w));
  }
  const double cpu_read = cpu_seconds() - cpu_read_start;
  int64_t labels_trimmed = 0;
  for (const auto& w : read_splits) labels_trimmed += w.labels_trimmed;

  // --- split one file -----------------------------------------------------------
  std::vector<SplitWork> splits;
  if (!cfg.single_file.empty()) {
    SplitWork& all = read_splits[0];
    std::vector<std::string> strata;
    for (const auto& e : all.examples) strata.push_back(e.labels.empty() ? "" : e.labels[0]);
    auto assign = stratified_split(strata, cfg.ratios.train, cfg.ratios.dev, cfg.ratios.test, cfg.ratios.seed);
    splits.resize(3);
    splits[0].name = "train";
    splits[1].name = "dev";
    splits[2].name = "test";
    for (size_t i = 0; i < all.examples.size(); ++i) {
      SplitWork& s = splits[static_cast<size_t>(assign[i])];
      ++s.records_read;
      for (const auto& l : all.examples[i].labels) ++s.labels_read[l];
      s.examples.push_back(std::move(all.examples[i]));
    }
    splits[0].skipped = all.skipped;  // bad lines of the single file are reported once, with train
    if (cfg.ratios.test == 0) splits.pop_back();
    if (cfg.ratios.dev == 0) splits.erase(splits.begin() + 1);
    std::ostringstream what;
    what << cfg.single_file << ": splitting its " << all.examples.size() << " records by inputs.split (train "
         << cfg.ratios.train << ", dev " << cfg.ratios.dev << ", test " << cfg.ratios.test << ")";
    const std::string remedy =
        "Give more records (each class needs enough for every split), set a split's ratio to 0 to drop it, "
        "giving its share to train (e.g. --set inputs.split.train=0.9 --set inputs.split.test=0), or give one "
        "file per split in inputs.files.";
    for (const auto& sp : splits)
      if (sp.examples.empty())
        throw UserError(what.str() + " gives " + split_counts(splits) + " examples: split " + sp.name +
                        " would be empty. " + remedy);
    std::vector<const SplitWork*> made;
    for (const auto& sp : splits) made.push_back(&sp);
    refuse_labels_missing_from_train(made, what.str(), remedy);
  } else {
    splits = std::move(read_splits);
    if (cfg.dev_from_train > 0) {
      // A seeded, stratified dev split out of train (inputs.split.dev_from_train): ids stay the
      // train file's, so every later tool sees the same rows.
      SplitWork& train = splits[0];
      std::vector<std::string> strata;
      for (const auto& e : train.examples) strata.push_back(e.labels.empty() ? "" : e.labels[0]);
      auto assign = stratified_split(strata, 1 - cfg.dev_from_train, cfg.dev_from_train, 0, cfg.ratios.seed);
      SplitWork kept, dev;
      kept.name = "train";
      dev.name = "dev";
      kept.skipped = train.skipped;
      kept.labels_trimmed = train.labels_trimmed;
      for (size_t i = 0; i < train.examples.size(); ++i) {
        SplitWork& to = assign[i] == SplitId::kDev ? dev : kept;
        ++to.records_read;
        for (const auto& l : train.examples[i].labels) ++to.labels_read[l];
        to.examples.push_back(std::move(train.examples[i]));
      }
      std::ostringstream what;
      what << cfg.config_path << ": inputs.split.dev_from_train " << cfg.dev_from_train << " of the "
           << (kept.examples.size() + dev.examples.size()) << " train records";
      const std::string remedy =
          "Give more train records, a larger inputs.split.dev_from_train, or a dev file in inputs.files.";
      if (dev.examples.empty())
        throw UserError(what.str() + " gives train " + std::to_string(kept.examples.size()) +
                        ", dev 0 examples: the dev split would be empty. " + remedy);
      splits[0] = std::move(kept);
      splits.insert(splits.begin() + 1, std::move(dev));
      refuse_labels_missing_from_train({&splits[0], &splits[1]}, what.str(), remedy);
    }
  }

  // --- labels -----------------------------------------------------------------------
  std::vector<std::string> label_names = cfg.labels;
  const bool explicit_labels = !label_names.empty();
  if (!explicit_labels) {
    std::set<std::string> seen;
    for (const auto& e : splits[0].examples)
      for (const auto& l : e.labels) seen.insert(l);
    label_names.assign(seen.begin(), seen.end());
    sort_labels(label_names);
  }
  if (label_names.empty())  // every record has a label (the reader refuses empty ones); kept as a guard
    throw UserError(cfg.config_path + ": no labels found in the train split; give labels: [...] in the config");
  std::unordered_map<std::string, int32_t> label_index;
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (!label_index.emplace(label_names[i], static_cast<int32_t>(i)).second)
      throw UserError(cfg.config_path + ": labels lists '" + label_names[i] + "' twice");
  }
  std::string known;
  for (size_t i = 0; i < label_names.size() && i < 40; ++i) known += (i ? ", " : "") + label_names[i];
  if (label_names.size() > 40) known += ", ...";
  for (auto& s : splits) {
    if (s.name == "train" && !explicit_labels) continue;
    std::vector<Example> kept;
    kept.reserve(s.examples.size());
    for (auto& e : s.examples) {
      bool ok = true;
      for (const auto& l : e.labels) {
        if (label_index.count(l)) continue;
        RecordError err(e.file, e.line,
                        "label '" + l + "' (split " + s.name + ") is not in the label set (" +
                            (explicit_labels ? "from the config's labels" : "taken from the train split") +
                            ": " + known + "); fix the label, add it to labels: in the config, or pass --skip-bad-lines");
        ++s.skipped;
        bad.handle(err, false);
        ok = false;
        break;
      }
      if (ok) kept.push_back(std::move(e));
    }
    s.examples = std::move(kept);
  }

  // --- dedup within splits, leakage across them ---------------------------------------
  auto key_of = [&](const Example& e) { return pair ? e.text + '\x1f' + e.text_b : e.text; };
  for (auto& s : splits) {
    if (!cfg.dedup) break;
    std::unordered_map<std::string, size_t> first;
    std::vector<Example> kept;
    kept.reserve(s.examples.size());
    for (auto& e : s.examples) {
      auto [it, fresh] = first.emplace(key_of(e), kept.size());
      if (fresh) {
        kept.push_back(std::move(e));
      } else {
        ++s.duplicates;
        if (kept[it->second].labels != e.labels) ++s.duplicate_label_conflicts;
      }
    }
    s.examples = std::move(kept);
  }
  for (const auto& s : splits)
    if (s.examples.empty())
      throw UserError(cfg.config_path + ": split " + s.name + " has 0 examples (read " +
                      std::to_string(s.records_read) + ", bad " + std::to_string(s.skipped) + ", duplicates " +
                      std::to_string(s.duplicates) + "; splits: " + split_counts(splits) +
                      "); later steps would evaluate on nothing. Fix its input" +
                      (s.name == "train" ? std::string()
                       : cfg.single_file.empty() ? ", or drop the split (--set inputs.files." + s.name + "=null)"
                                                 : ", or drop the split (inputs.split." + s.name + ": 0)"));
  {
    // Degenerate data: most classes seen once (or never) in train cannot be learnt or evaluated;
    // this is usually a wrong label column (an id or a free-text field). allow_singleton_labels overrides.
    std::map<std::string, int64_t> train_counts;
    for (const auto& e : splits[0].examples)
      for (const auto& l : e.labels) ++train_counts[l];
    int64_t once = 0, never = 0;
    for (const auto& l : label_names) {
      auto it = train_counts.find(l);
      if (it == train_counts.end()) ++never;
      else if (it->second == 1) ++once;
    }
    const int64_t L = static_cast<int64_t>(label_names.size());
    // From kMinClassesForSingletonCheck classes up: a handful of classes in a toy file is plain to see
    // in the summary's label counts, and is what small fixtures and demos look like.
    constexpr int64_t kMinClassesForSingletonCheck = 10;
    if (L >= kMinClassesForSingletonCheck && 2 * (once + never) > L && !cfg.allow_singleton_labels)
      throw UserError(cfg.config_path + ": " + std::to_string(once + never) + " of the " + std::to_string(L) +
                      " labels have fewer than 2 train examples (" + std::to_string(once) + " have 1, " +
                      std::to_string(never) + " have none; " + std::to_string(splits[0].examples.size()) +
                      " train examples): such classes cannot be learnt. Check inputs.fields.label names the label "
                      "column (not an id or a text), merge rare labels, or set allow_singleton_labels: true to "
                      "prepare it anyway");
  }
  nlohmann::json leakage = nlohmann::json::object();
  {
    std::map<std::string, std::unordered_map<std::string, const Example*>> index;
    for (const auto& s : splits)
      for (const auto& e : s.examples) index[s.name].emplace(key_of(e), &e);
    nlohmann::json examples = nlohmann::json::array();
    for (size_t a = 0; a < splits.size(); ++a) {
      for (size_t b = a + 1; b < splits.size(); ++b) {
        int64_t n = 0;
        const auto& other = index[splits[b].name];
        for (const auto& e : splits[a].examples) {
          auto it = other.find(key_of(e));
          if (it == other.end()) continue;
          ++n;
          if (examples.size() < 50)
            examples.push_back({{"text", e.text}, {"splits", {splits[a].name, splits[b].name}},
                                {"ids", {e.id, it->second->id}}});
        }
        leakage[splits[a].name + "&" + splits[b].name] = n;
      }
    }
    leakage["examples"] = examples;
  }

  // --- tokenizer --------------------------------------------------------------------
  auto t_tok = Clock::now();
  std::string model_bytes;
  std::string tokenizer_type = cfg.tokenizer.type;
  std::unique_ptr<Tokenizer> tok;       // trained or reused here
  std::optional<PretrainedTokenizer> pre;  // a checkpoint's own (tokenizer.pretrained)
  const TextEncoder* encoder = nullptr;
  Framing framing;
  int unk_id = 0;
  if (!cfg.tokenizer_pretrained.empty()) {
    pre = load_pretrained_tokenizer(cfg.tokenizer_pretrained, cfg.config_path + ": tokenizer.pretrained");
    if (pre->max_positions > 0 && cfg.max_length > pre->max_positions)
      throw UserError(cfg.config_path + ": max_length " + std::to_string(cfg.max_length) + " is more than the " +
                      std::to_string(pre->max_positions) + " positions the checkpoint takes (" + pre->dir +
                      "/config.json max_position_embeddings); lower max_length");
    model_bytes = pre->model_bytes;
    tokenizer_type = pre->tokenizer_type;
    encoder = pre->encoder.get();
    framing = pre->framing;
    unk_id = pre->unk.id;
  } else {
    if (!cfg.tokenizer.model_path.empty()) {
      if (!file_exists(cfg.tokenizer.model_path))
        throw UserError(cfg.config_path + ": tokenizer.model " + cfg.tokenizer.model_path +
                        " does not exist; fix the path or leave tokenizer.model empty to train one");
      model_bytes = read_file(cfg.tokenizer.model_path);
      tokenizer_type = "reused:" + basename_of(cfg.tokenizer.model_path);
    } else {
      std::vector<std::string> corpus;
      corpus.reserve(splits[0].examples.size() * (pair ? 2 : 1));
      for (const auto& e : splits[0].examples) {
        corpus.push_back(e.text);
        if (pair) corpus.push_back(e.text_b);
      }
      model_bytes = train_sentencepiece(corpus, cfg.tokenizer);
    }
    tok = std::make_unique<Tokenizer>(model_bytes, cfg.tokenizer.model_path.empty() ? "trained tokenizer"
                                                                                    : cfg.tokenizer.model_path);
    encoder = tok.get();
    framing.cls_id = tok->cls_id();
    framing.sep_id = tok->sep_id();
    unk_id = tok->unk_id();
  }
  const double t_tokenizer = seconds_since(t_tok);

  // --- token ids ----------------------------------------------------------------------
  auto t_enc = Clock::now();
  const double cpu_enc_start = cpu_seconds();
  const int64_t L = cfg.max_length;
  std::vector<SplitData> out(splits.size());
  nlohmann::json split_stats = nlohmann::json::object();
  std::vector<int> ia, ib;
  for (size_t si = 0; si < splits.size(); ++si) {
    SplitWork& s = splits[si];
    SplitData& d = out[si];
    d.name = s.name;
    const size_t n = s.examples.size();
    d.ids.reserve(n);
    d.text.reserve(n);
    d.offsets.reserve(n + 1);
    int64_t truncated = 0, unk = 0, content_tokens = 0;
    std::vector<int64_t> lengths;
    lengths.reserve(n);
    std::map<std::string, int64_t> label_counts;
    for (const auto& name : label_names) label_counts[name] = 0;
    for (size_t k = 0; k < cfg.reader.fields.meta.size(); ++k) d.meta[cfg.reader.fields.meta[k]].reserve(n);
    for (auto& e : s.examples) {
      encoder->encode(e.text, ia);
      if (pair) encoder->encode(e.text_b, ib);
      size_t la = 0, lb = 0;
      truncated += frame_example(framing, ia, pair ? &ib : nullptr, static_cast<size_t>(L), d.input_ids,
                                 pair ? &d.segment_ids : nullptr, la, lb);
      for (size_t k = 0; k < la; ++k) unk += ia[k] == unk_id;
      for (size_t k = 0; k < lb; ++k) unk += ib[k] == unk_id;
      content_tokens += static_cast<int64_t>(la + lb);
      d.offsets.push_back(static_cast<int64_t>(d.input_ids.size()));
      lengths.push_back(d.offsets.back() - d.offsets[d.offsets.size() - 2]);
      d.ids.push_back(std::move(e.id));
      d.text.push_back(std::move(e.text));
      if (pair) d.text_b.push_back(std::move(e.text_b));
      if (cfg.keep_original_text) d.original_text.push_back(pair ? e.original + "\t" + e.original_b : e.original);
      for (size_t k = 0; k < cfg.reader.fields.meta.size(); ++k)
        d.meta[cfg.reader.fields.meta[k]].push_back(std::move(e.meta[k]));
      if (cfg.task == Task::kMultiLabel) {
        size_t row = d.multi_hot.size();
        d.multi_hot.resize(row + label_names.size(), 0);
        for (const auto& l : e.labels) d.multi_hot[row + static_cast<size_t>(label_index.at(l))] = 1;
      } else {
        d.labels.push_back(e.labels.empty() ? -1 : label_index.at(e.labels[0]));
      }
      for (const auto& l : e.labels) ++label_counts[l];
    }
    std::sort(lengths.begin(), lengths.end());
    double mean = 0;
    for (auto v : lengths) mean += static_cast<double>(v);
    if (!lengths.empty()) mean /= static_cast<double>(lengths.size());
    split_stats[s.name] = {
        {"records_read", s.records_read},
        {"skipped_bad", s.skipped},
        {"duplicates_removed", s.duplicates},
        {"duplicate_label_conflicts", s.duplicate_label_conflicts},
        {"examples", n},
        {"label_counts_read", s.labels_read},
        {"label_counts", label_counts},
        {"truncated", truncated},
        {"content_tokens", content_tokens},
        {"unk_tokens", unk},
        {"length", {{"p50", percentile(lengths, 0.5)}, {"p90", percentile(lengths, 0.9)},
                    {"p99", percentile(lengths, 0.99)}, {"max", lengths.empty() ? 0 : lengths.back()},
                    {"mean", std::round(mean * 100) / 100}}},
    };
  }

  // --- the vocabulary of a pretrained tokenizer: the map to the checkpoint's rows, pruning ---
  DatasetInfo info;
  std::string vocab_line;
  if (pre) {
    VocabPlan plan;
    const int64_t encoder_vocab = pre->encoder_vocab_size();
    if (cfg.tokenizer_prune) {
      // Keep what the prepared splits use, the special tokens and every placeholder (a later
      // dataset or augmentation may need a placeholder this one never saw).
      std::vector<bool> keep(static_cast<size_t>(encoder_vocab), false);
      for (const auto& d : out)
        for (int32_t id : d.input_ids) keep[static_cast<size_t>(id)] = true;
      for (const SpecialToken* t : {&pre->pad, &pre->unk, &pre->cls, &pre->sep, &pre->mask})
        keep[static_cast<size_t>(t->id)] = true;
      for (const auto& [piece, id] : pre->placeholder_ids) keep[static_cast<size_t>(id)] = true;
      plan = pruned_vocab(keep, pre->base_vocab_size);
      for (auto& d : out) remap_ids(plan, d.input_ids);
    } else {
      plan = full_vocab(encoder_vocab, pre->base_vocab_size);
    }
    auto file_id = [&](int id) { return plan.file_id[static_cast<size_t>(id)]; };
    nlohmann::json j = pre->details;
    j["pruned"] = cfg.tokenizer_prune;
    j["vocab_size"] = plan.size();
    j["encoder_vocab_size"] = encoder_vocab;
    nlohmann::json specials = nlohmann::json::object();
    for (const auto& [name, t] : {std::pair<const char*, const SpecialToken*>{"pad", &pre->pad}, {"unk", &pre->unk},
                                  {"cls", &pre->cls}, {"sep", &pre->sep}, {"mask", &pre->mask}})
      specials[name] = {{"piece", t->piece}, {"id", file_id(t->id)}, {"checkpoint_id", t->id}};
    j["special_tokens"] = specials;
    nlohmann::json placeholders = nlohmann::json::object();
    for (const auto& [piece, id] : pre->placeholder_ids) placeholders[piece] = file_id(id);
    j["placeholders"] = placeholders;
    info.pretrained_json = j.dump();
    info.vocab_map = plan.vocab_map;
    info.vocab_size = plan.size();
    info.pad_id = file_id(pre->pad.id);
    info.unk_id = file_id(pre->unk.id);
    info.cls_id = file_id(pre->cls.id);
    info.sep_id = file_id(pre->sep.id);
    info.tokenizer_sha256 = pre->tokenizer_sha256;
    std::ostringstream v;
    v << "  vocabulary: " << pre->family << " checkpoint " << pre->dir << " (" << pre->source_file << ", "
      << pre->base_vocab_size << " pieces + " << pre->added.size() << " added placeholders)";
    if (cfg.tokenizer_prune) v << ", pruned: kept " << plan.size() << " of " << encoder_vocab << " pieces";
    v << "\n";
    vocab_line = v.str();
  } else {
    info.vocab_size = tok->vocab_size();
    info.pad_id = tok->pad_id();
    info.unk_id = tok->unk_id();
    info.cls_id = tok->cls_id();
    info.sep_id = tok->sep_id();
    info.tokenizer_sha256 = sha256_hex(model_bytes);
  }
  const double t_encode = seconds_since(t_enc);
  const double cpu_encode = cpu_seconds() - cpu_enc_start;

  // --- write ------------------------------------------------------------------------
  nlohmann::json masks = nlohmann::json::object();
  for (size_t k = 0; k < kNumPiiKinds; ++k) masks[pii_kind_name(static_cast<PiiKind>(k))] = mask_counts[k];
  nlohmann::json stats = {
      {"splits", split_stats},
      {"masks", masks},
      {"leakage", leakage},
      {"skipped_bad_lines", bad.count()},
      {"skipped_examples", bad.examples()},
      {"labels_trimmed", labels_trimmed},
      {"dedup", cfg.dedup},
  };
  info.task = cfg.task;
  info.label_names = label_names;
  info.max_length = L;
  info.tokenizer_type = tokenizer_type;
  info.normalization_json = cfg.normalize.to_json();
  info.masking_json = cfg.mask.to_json();
  info.source_files_json = source_files.dump();
  info.toolkit_version = ZL_VERSION;
  info.created_at = now_utc();
  info.config_yaml = cfg.resolved_yaml;

  auto t_w = Clock::now();
  const double cpu_write_start = cpu_seconds();
  // Timings go into the stats too; they are measured before the write, so the write itself is timed below.
  const double per_text_base = tm.read + tm.normalize + tm.mask + t_encode;
  stats["timings_s"] = {{"read_parse", tm.read}, {"normalize", tm.normalize}, {"mask", tm.mask},
                        {"tokenizer_train_or_load", t_tokenizer}, {"encode", t_encode}};
  info.stats_json = stats.dump();
  {
    AtomicFile af(opt.out_path);
    write_dataset_file(af.temp_path(), info, out, model_bytes);
    af.commit();
  }
  const double t_write = seconds_since(t_w);
  const double cpu_write = cpu_seconds() - cpu_write_start;
  stats["timings_s"]["write"] = t_write;
  const double cpu_per_text = cpu_read + cpu_encode + cpu_write;
  const double total = seconds_since(t_start);

  // --- summary ------------------------------------------------------------------------
  std::ostringstream o;
  o << std::fixed << std::setprecision(1);
  o << "prepared " << (cfg.name.empty() ? opt.config_path : cfg.name) << " -> " << opt.out_path << "\n";
  o << "  task " << task_name(cfg.task) << ", " << label_names.size() << " labels, max_length " << L
    << ", tokenizer " << tokenizer_type << " (vocab " << info.vocab_size << ")\n";
  o << vocab_line;
  o << "  splits:\n";
  for (const auto& s : splits) {
    const auto& st = split_stats[s.name];
    o << "    " << std::left << std::setw(6) << s.name << std::right << " read " << st["records_read"].get<int64_t>()
      << ", kept " << st["examples"].get<int64_t>() << " (duplicates " << s.duplicates << ", bad "
      << s.skipped << "), tokens p50/p90/p99/max " << st["length"]["p50"].get<int64_t>() << "/"
      << st["length"]["p90"].get<int64_t>() << "/" << st["length"]["p99"].get<int64_t>() << "/"
      << st["length"]["max"].get<int64_t>() << ", truncated " << st["truncated"].get<int64_t>() << "\n";
  }
  o << "  labels (train):";
  {
    const auto& lc = split_stats[splits[0].name]["label_counts"];
    size_t shown = 0;
    for (const auto& name : label_names) {
      if (shown++ == 20) {
        o << " ...";
        break;
      }
      o << " " << name << "=" << lc[name].get<int64_t>();
    }
  }
  o << "\n  masked:";
  for (size_t k = 0; k < kNumPiiKinds; ++k) o << " " << pii_kind_name(static_cast<PiiKind>(k)) << "=" << mask_counts[k];
  o << "\n  leakage:";
  for (auto it = leakage.begin(); it != leakage.end(); ++it)
    if (it.key() != "examples") o << " " << it.key() << "=" << it.value().get<int64_t>();
  if (bad.count()) o << "\n  skipped bad records: " << bad.count();
  if (labels_trimmed) o << "\n  labels trimmed of surrounding white space: " << labels_trimmed << " (see the warning)";
  const double per_text = per_text_base + t_write;
  o << "\n  throughput: " << texts_processed << " texts, normalize+mask+tokenize+write "
    << std::setprecision(0) << (per_text > 0 ? texts_processed / per_text : 0) << " texts/s (read "
    << std::setprecision(3) << tm.read << " s, normalize " << tm.normalize << " s, mask " << tm.mask << " s, encode "
    << t_encode << " s, write " << t_write << " s; tokenizer " << t_tokenizer << " s; total " << total << " s)\n";
  o << "  cpu time: " << std::setprecision(0) << (cpu_per_text > 0 ? texts_processed / cpu_per_text : 0)
    << " texts/s (read+normalize+mask " << std::setprecision(3) << cpu_read << " s, encode " << cpu_encode
    << " s, write " << cpu_write << " s)\n";

  PrepareResult res;
  res.out_path = opt.out_path;
  res.stats = stats;
  res.summary = o.str();
  return res;
}

}  // namespace zl
