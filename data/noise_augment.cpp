#include "noise_augment.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <unordered_set>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "file_encoder.h"
#include "text_noise.h"

namespace fs = std::filesystem;

namespace zl {

namespace {

nlohmann::json counts_json(const NoiseCounts& c) {
  return {{"units", c.units},         {"eligible_chars", c.eligible}, {"substitutable_chars", c.substitutable}, {"homophone", c.homophone},
          {"near_homophone", c.near_homophone}, {"ime_spans", c.ime_spans}, {"ime_chars", c.ime_chars},
          {"drop", c.drop},           {"repeat", c.repeat},           {"swap", c.swap},
          {"punct", c.punct},         {"placeholders_kept", c.placeholders}};
}

std::string text_key(const SplitData& s, size_t i) {
  return s.text[i] + (s.text_b.empty() ? std::string() : "\x1f" + s.text_b[i]);
}

// The file's rows must come out of the re-created tokenizer as stored: else added rows would be
// tokenized differently from the rest (a changed checkpoint, a tokenizer built differently).
void check_reencoding(const std::string& path, FileEncoder& enc, const SplitData& s, bool pair) {
  std::vector<int32_t> ids;
  std::vector<int8_t> segs;
  for (size_t i = 0; i < s.size(); ++i) {
    ids.clear();
    segs.clear();
    enc.encode_row(s.text[i], pair ? &s.text_b[i] : nullptr, ids, pair ? &segs : nullptr);
    const int64_t b = s.offsets[i], e = s.offsets[i + 1];
    if (static_cast<int64_t>(ids.size()) != e - b || !std::equal(ids.begin(), ids.end(), s.input_ids.begin() + b))
      throw UserError(path + ": split '" + s.name + "' row '" + s.ids[i] + "': re-tokenizing its text with " +
                      enc.kind() + " does not give the stored ids, so added rows would not match the file; "
                      "prepare the file again (kd data prepare) and augment that");
  }
}

void append_row(SplitData& s, size_t src, std::string id, int32_t label, std::string text, std::string text_b,
                FileEncoder& enc, bool pair) {
  s.ids.push_back(std::move(id));
  enc.encode_row(text, pair ? &text_b : nullptr, s.input_ids, pair ? &s.segment_ids : nullptr);
  s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
  s.labels.push_back(label);
  s.text.push_back(std::move(text));
  if (pair) s.text_b.push_back(std::move(text_b));
  if (!s.original_text.empty()) s.original_text.push_back("");  // never the unmasked source
  for (auto& [field, col] : s.meta) col.push_back(col[src]);
}

}  // namespace

std::string noisy_split_name(const std::string& split, const std::string& spec) {
  std::string s = spec;
  std::replace(s.begin(), s.end(), ',', '+');
  return split + "@noise-" + s;
}

AugmentResult augment_with_text_noise(const AugmentOptions& o) {
  if (o.out_path.empty()) throw UserError("--out is required");
  if (fs::exists(o.out_path) && !o.force)
    throw UserError(o.out_path + " exists: pass --force to replace it, or choose another --out");
  if (fs::exists(o.out_path) && fs::equivalent(o.in_path, o.out_path))
    throw UserError("--out " + o.out_path + " is the input file: write the augmented dataset to a new file");
  if (o.noisy_eval.empty() != o.eval_noise.empty())
    throw UserError("--noisy-eval SPLIT and --eval-noise SPEC go together (e.g. --noisy-eval test --eval-noise 0.1)");
  if (!o.noise.empty() && (o.copies < 1 || o.copies > 1000))
    throw UserError("--copies must be in [1, 1000] (got " + std::to_string(o.copies) + ")");
  DatasetInfo info = read_dataset_info(o.in_path);
  if (info.task == Task::kMultiLabel && !o.noise.empty())
    throw UserError(o.in_path + ": task multi_label has no unlabelled rows in the dataset format, so it cannot hold "
                    "a transfer set; augment a single_label or pair dataset");
  if (info.task == Task::kMultiLabel)
    throw UserError(o.in_path + ": --noisy-eval supports single_label and pair datasets (multi_label: not yet)");
  auto has_split = [&](const std::string& n) {
    return std::find(info.split_names.begin(), info.split_names.end(), n) != info.split_names.end();
  };
  if (!has_split(o.split)) throw UserError(o.in_path + ": no split '" + o.split + "' (the split whose characters weight substitutes, and that --noise copies)");
  if (!o.noise.empty() && o.noisy_eval == o.split)
    throw UserError("--noisy-eval " + o.noisy_eval + " is the split --noise adds transfer copies to: copy an "
                    "evaluation split (dev or test)");
  if (!o.noisy_eval.empty() && !has_split(o.noisy_eval))
    throw UserError(o.in_path + ": no split '" + o.noisy_eval + "' to copy with noise (--noisy-eval)");
  const bool pair = info.task == Task::kPair;
  NoiseOptions train_noise;
  if (!o.noise.empty()) {
    train_noise = parse_noise_spec(o.noise, "--noise");
    if (!train_noise.any()) throw UserError("--noise " + o.noise + ": every rate is 0, so every copy would equal its source");
  }
  std::vector<std::pair<std::string, NoiseOptions>> evals;
  for (const auto& spec : o.eval_noise) {
    NoiseOptions n = parse_noise_spec(spec, "--eval-noise " + spec);
    const std::string name = noisy_split_name(o.noisy_eval, spec);
    if (has_split(name))
      throw UserError(o.in_path + ": already has split '" + name + "': augment the file without it");
    for (const auto& [other, x] : evals)
      if (other == name) throw UserError("--eval-noise " + spec + " is given twice");
    evals.emplace_back(name, n);
  }

  const PinyinTable& table = PinyinTable::system();
  std::vector<SplitData> splits;
  for (const auto& name : info.split_names) splits.push_back(read_split(o.in_path, name, /*with_text=*/true));
  auto find = [&](const std::string& n) -> SplitData& {
    return *std::find_if(splits.begin(), splits.end(), [&](const SplitData& x) { return x.name == n; });
  };
  SplitData& s = find(o.split);
  if (s.size() == 0) throw UserError(o.in_path + ": split '" + o.split + "' is empty: nothing to augment");
  // Substitutes are weighted by the characters of the split's texts (the same in every view).
  std::vector<std::string> texts = s.text;
  texts.insert(texts.end(), s.text_b.begin(), s.text_b.end());
  const auto char_counts = count_chars(texts);

  FileEncoder enc(o.in_path, info);
  AugmentResult res;
  res.record = {{"source_file", fs::absolute(o.in_path).string()},
                {"source_content_sha256", info.content_sha256},
                {"source_text_sha256", info.text_sha256},
                {"method", "text noise (data/text_noise.h)"},
                {"pronunciations", table.source()},
                {"tokenizer", enc.kind()},
                {"seed", o.seed}};
  if (!o.noise.empty()) {
    check_reencoding(o.in_path, enc, s, pair);
    TextNoiser noiser(table, char_counts, train_noise);
    NoiseCounts nc;
    const size_t n = s.size();
    res.source_rows = static_cast<int64_t>(n);
    std::unordered_set<std::string> seen, ids(s.ids.begin(), s.ids.end());
    for (size_t i = 0; i < n; ++i) seen.insert(text_key(s, i));
    for (int64_t k = 1; k <= o.copies; ++k) {
      for (size_t i = 0; i < n; ++i) {
        std::string a = noiser.apply(s.text[i], o.seed, s.ids[i], k, &nc);
        // The second text of a pair is noised as copy -k, independently of the first.
        std::string b = pair ? noiser.apply(s.text_b[i], o.seed, s.ids[i], -k, &nc) : std::string();
        if (!seen.insert(a + (pair ? "\x1f" + b : std::string())).second) {
          ++res.duplicates_dropped;
          continue;
        }
        std::string id = s.ids[i] + "~noise" + std::to_string(k);
        for (int extra = 2; ids.count(id); ++extra) id = s.ids[i] + "~noise" + std::to_string(k) + "." + std::to_string(extra);
        ids.insert(id);
        append_row(s, i, std::move(id), -1, std::move(a), std::move(b), enc, pair);
        ++res.added_rows;
      }
    }
    res.record["transfer"] = {{"split", o.split},          {"noise", train_noise.spec()},
                              {"noise_given", o.noise},    {"copies", o.copies},
                              {"source_rows", res.source_rows}, {"added_rows", res.added_rows},
                              {"duplicates_dropped", res.duplicates_dropped}, {"counts", counts_json(nc)}};
  }
  nlohmann::json eval_records = nlohmann::json::array();
  std::vector<SplitData> noisy;
  for (const auto& [name, opt] : evals) {
    const SplitData& src = find(o.noisy_eval);
    check_reencoding(o.in_path, enc, src, pair);
    TextNoiser noiser(table, char_counts, opt);
    SplitData d;
    d.name = name;
    for (const auto& [field, col] : src.meta) d.meta[field];
    if (!src.original_text.empty()) d.original_text.reserve(src.size());
    NoiseCounts nc;
    int64_t unchanged = 0;
    for (size_t i = 0; i < src.size(); ++i) {
      std::string a = noiser.apply(src.text[i], o.seed, src.ids[i], 0, &nc);
      std::string b = pair ? noiser.apply(src.text_b[i], o.seed, src.ids[i], -1, &nc) : std::string();
      unchanged += a == src.text[i] && (!pair || b == src.text_b[i]);
      d.ids.push_back(src.ids[i]);
      enc.encode_row(a, pair ? &b : nullptr, d.input_ids, pair ? &d.segment_ids : nullptr);
      d.offsets.push_back(static_cast<int64_t>(d.input_ids.size()));
      d.labels.push_back(src.labels[i]);
      d.text.push_back(std::move(a));
      if (pair) d.text_b.push_back(std::move(b));
      if (!src.original_text.empty()) d.original_text.push_back("");
      for (const auto& [field, col] : src.meta) d.meta[field].push_back(col[i]);
    }
    eval_records.push_back({{"split", name}, {"source_split", o.noisy_eval}, {"noise", opt.spec()},
                            {"rows", src.size()}, {"rows_unchanged", unchanged}, {"counts", counts_json(nc)}});
    noisy.push_back(std::move(d));
  }
  for (auto& d : noisy) splits.push_back(std::move(d));
  if (!evals.empty()) res.record["noisy_eval"] = eval_records;
  res.record["pruned_pieces_to_unk"] = enc.pruned_to_unk();

  nlohmann::json stats = nlohmann::json::parse(info.stats_json.empty() ? "{}" : info.stats_json);
  stats["text_noise"] = res.record;
  info.stats_json = stats.dump();
  fs::path out(o.out_path);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  AtomicFile af(o.out_path);
  write_dataset_file(af.temp_path(), info, splits, read_tokenizer_model(o.in_path));
  af.commit();

  std::ostringstream sum;
  sum << "noised " << o.in_path << " -> " << o.out_path << " (tokenizer: " << enc.kind() << ")\n";
  if (!o.noise.empty())
    sum << "  split " << o.split << ": " << res.source_rows << " rows + " << res.added_rows << " unlabelled noised copies ("
        << res.duplicates_dropped << " equal to a row or an earlier copy dropped; copies " << o.copies << ", noise "
        << train_noise.spec() << ", seed " << o.seed << ")\n";
  for (const auto& r : eval_records)
    sum << "  split " << r["split"].get<std::string>() << ": " << r["rows"] << " labelled rows (" << r["rows_unchanged"]
        << " unchanged; noise " << r["noise"].get<std::string>() << ")\n";
  if (enc.pruned_to_unk() > 0)
    sum << "  " << enc.pruned_to_unk() << " pieces of noised texts were pruned from the file's vocabulary: written as [UNK]\n";
  if (!o.noise.empty())
    sum << "  next: kd teacher predict --run TEACHER --data " << o.out_path << " --out teacher.h5, then kd distill --data "
        << o.out_path << " --teacher teacher.h5 ...\n";
  res.summary = sum.str();
  return res;
}

}  // namespace zl
