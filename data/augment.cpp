#include "augment.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <unordered_set>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "noise_augment.h"
#include "tokenizer_trainer.h"

namespace fs = std::filesystem;

namespace zl {

namespace {

void check_options(const AugmentOptions& o) {
  auto prob = [](double p, const char* name) {
    if (!(p >= 0.0 && p <= 1.0))
      throw UserError(std::string("--") + name + " must be in [0, 1] (got " + std::to_string(p) + ")");
  };
  prob(o.mask_prob, "mask-prob");
  prob(o.replace_prob, "replace-prob");
  prob(o.ngram_prob, "ngram-prob");
  if (o.mask_prob + o.replace_prob > 1.0)
    throw UserError("--mask-prob + --replace-prob must be at most 1 (each token is masked, replaced or kept)");
  if (o.copies < 1 || o.copies > 1000)
    throw UserError("--copies must be in [1, 1000] (got " + std::to_string(o.copies) + ")");
  if (o.ngram_min < 1 || o.ngram_max < o.ngram_min)
    throw UserError("--ngram-min must be >= 1 and --ngram-max >= --ngram-min (got " + std::to_string(o.ngram_min) +
                    ".." + std::to_string(o.ngram_max) + ")");
  if (o.mask_prob == 0 && o.replace_prob == 0 && o.ngram_prob == 0)
    throw UserError("--mask-prob, --replace-prob and --ngram-prob are all 0: every copy would equal its source");
  if (o.out_path.empty()) throw UserError("--out is required");
  if (fs::exists(o.out_path) && !o.force)
    throw UserError(o.out_path + " exists: pass --force to replace it, or choose another --out");
  if (fs::exists(o.out_path) && fs::equivalent(o.in_path, o.out_path))
    throw UserError("--out " + o.out_path + " is the input file: write the augmented dataset to a new file");
}

std::string key_of(const SplitData& s, int64_t b, int64_t e) {
  std::string k(reinterpret_cast<const char*>(s.input_ids.data() + b), static_cast<size_t>(e - b) * sizeof(int32_t));
  if (!s.segment_ids.empty()) k.append(reinterpret_cast<const char*>(s.segment_ids.data() + b), static_cast<size_t>(e - b));
  return k;
}

}  // namespace

AugmentResult augment_dataset(const AugmentOptions& o) {
  if (!fs::exists(o.in_path)) throw UserError(o.in_path + ": no such file (a dataset from `kd data prepare`)");
  if (!o.noise.empty() || !o.noisy_eval.empty() || !o.eval_noise.empty()) return augment_with_text_noise(o);
  check_options(o);
  DatasetInfo info = read_dataset_info(o.in_path);
  if (info.task == Task::kMultiLabel)
    throw UserError(o.in_path + ": task multi_label has no unlabelled rows in the dataset format, so it cannot hold "
                    "a transfer set; augment a single_label or pair dataset");
  if (std::find(info.split_names.begin(), info.split_names.end(), o.split) == info.split_names.end())
    throw UserError(o.in_path + ": no split '" + o.split + "' to augment");
  if (!info.pretrained_json.empty())
    // The copies' texts are decoded with the file's sentencepiece model; a checkpoint's own tokenizer
    // (vocab.txt, shifted or pruned ids) has no decoder here yet.
    throw UserError(o.in_path + ": prepared with a pretrained checkpoint's tokenizer (tokenizer.pretrained); "
                    "the token-level perturbations need the file's own sentencepiece model: use the text-level "
                    "noise (--noise), which re-tokenizes with the checkpoint's tokenizer");
  const std::string model_bytes = read_tokenizer_model(o.in_path);
  Tokenizer tok(model_bytes, o.in_path + " (tokenizer)");
  const int mask_id = tok.piece_id("[MASK]");
  if (o.mask_prob > 0 && mask_id < 0)
    throw UserError(o.in_path + ": the tokenizer has no [MASK] piece (made outside this toolkit?): use --mask-prob 0");
  const bool pair = info.task == Task::kPair;

  std::vector<SplitData> splits;
  for (const auto& name : info.split_names) splits.push_back(read_split(o.in_path, name, /*with_text=*/true));
  SplitData& s = *std::find_if(splits.begin(), splits.end(), [&](const SplitData& x) { return x.name == o.split; });
  const int64_t n = static_cast<int64_t>(s.size());
  if (n == 0) throw UserError(o.in_path + ": split '" + o.split + "' is empty: nothing to augment");

  auto special = [&](int32_t t) { return t == info.pad_id || t == info.cls_id || t == info.sep_id || t == mask_id; };
  // Unigram distribution of the split's ordinary tokens: the replacement tokens.
  std::vector<int32_t> vocab;
  std::vector<double> weight;
  {
    std::map<int32_t, int64_t> counts;
    for (int32_t t : s.input_ids)
      if (!special(t)) ++counts[t];
    for (auto& [t, c] : counts) vocab.push_back(t), weight.push_back(static_cast<double>(c));
  }
  if (vocab.empty()) throw UserError(o.in_path + ": split '" + o.split + "' has no ordinary tokens to perturb");
  std::discrete_distribution<size_t> draw(weight.begin(), weight.end());

  std::unordered_set<std::string> seen, ids(s.ids.begin(), s.ids.end());
  for (int64_t i = 0; i < n; ++i) seen.insert(key_of(s, s.offsets[i], s.offsets[i + 1]));

  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + 0x5A17);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  AugmentResult res;
  res.source_rows = n;
  std::vector<int32_t> toks;
  std::vector<int8_t> segs;
  for (int64_t k = 1; k <= o.copies; ++k) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t b = s.offsets[i], e = s.offsets[i + 1];
      toks.assign(s.input_ids.begin() + b, s.input_ids.begin() + e);
      segs.clear();
      if (pair) segs.assign(s.segment_ids.begin() + b, s.segment_ids.begin() + e);
      // n-gram sampling: [CLS] span [SEP]. Single texts only (a pair's two sides must both stay).
      const int64_t inner = static_cast<int64_t>(toks.size()) - 2;
      if (!pair && inner >= o.ngram_min && u(rng) < o.ngram_prob) {
        const int64_t hi = std::min(o.ngram_max, inner);
        const int64_t len = std::uniform_int_distribution<int64_t>(o.ngram_min, hi)(rng);
        const int64_t start = 1 + std::uniform_int_distribution<int64_t>(0, inner - len)(rng);
        std::vector<int32_t> span{toks.front()};
        span.insert(span.end(), toks.begin() + start, toks.begin() + start + len);
        span.push_back(toks.back());
        toks.swap(span);
      }
      for (auto& t : toks) {
        if (special(t)) continue;
        const double r = u(rng);
        if (r < o.mask_prob) t = mask_id;
        else if (r < o.mask_prob + o.replace_prob) t = vocab[draw(rng)];
      }
      SplitData tmp;
      tmp.input_ids = toks;
      tmp.segment_ids = segs;
      if (!seen.insert(key_of(tmp, 0, static_cast<int64_t>(toks.size()))).second) {
        ++res.duplicates_dropped;
        continue;
      }
      std::string id = s.ids[i] + "~aug" + std::to_string(k);
      for (int extra = 2; ids.count(id); ++extra) id = s.ids[i] + "~aug" + std::to_string(k) + "." + std::to_string(extra);
      ids.insert(id);
      s.ids.push_back(id);
      s.input_ids.insert(s.input_ids.end(), toks.begin(), toks.end());
      s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
      if (pair) s.segment_ids.insert(s.segment_ids.end(), segs.begin(), segs.end());
      s.labels.push_back(-1);
      if (pair) {
        std::vector<int> a, bb;
        for (size_t j = 1; j < toks.size(); ++j) {
          if (toks[j] == info.sep_id) continue;
          (segs[j] == 0 ? a : bb).push_back(toks[j]);
        }
        s.text.push_back(tok.decode(a));
        s.text_b.push_back(tok.decode(bb));
      } else {
        std::vector<int> a(toks.begin() + 1, toks.end() - 1);
        s.text.push_back(tok.decode(a));
      }
      if (!s.original_text.empty()) s.original_text.push_back("");  // never the unmasked source
      for (auto& [field, col] : s.meta) col.push_back(col[static_cast<size_t>(i)]);
      ++res.added_rows;
    }
  }

  res.record = {{"source_file", fs::absolute(o.in_path).string()},
                {"source_content_sha256", info.content_sha256},
                {"split", o.split},
                {"copies", o.copies},
                {"mask_prob", o.mask_prob},
                {"replace_prob", o.replace_prob},
                {"ngram_prob", o.ngram_prob},
                {"ngram_min", o.ngram_min},
                {"ngram_max", o.ngram_max},
                {"seed", o.seed},
                {"source_rows", res.source_rows},
                {"added_rows", res.added_rows},
                {"duplicates_dropped", res.duplicates_dropped}};
  nlohmann::json stats = nlohmann::json::parse(info.stats_json.empty() ? "{}" : info.stats_json);
  stats["augmentation"] = res.record;
  info.stats_json = stats.dump();

  fs::path out(o.out_path);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  AtomicFile af(o.out_path);
  write_dataset_file(af.temp_path(), info, splits, model_bytes);
  af.commit();

  std::ostringstream sum;
  sum << "augmented " << o.in_path << " -> " << o.out_path << "\n"
      << "  split " << o.split << ": " << res.source_rows << " rows + " << res.added_rows
      << " unlabelled copies (" << res.duplicates_dropped << " duplicates dropped; copies " << o.copies
      << ", mask " << o.mask_prob << ", replace " << o.replace_prob << ", n-gram " << o.ngram_prob << " of "
      << o.ngram_min << ".." << o.ngram_max << " tokens, seed " << o.seed << ")\n"
      << "  next: kd teacher predict --run TEACHER --data " << o.out_path << " --out teacher.h5, then kd distill --data "
      << o.out_path << " --teacher teacher.h5 ...\n";
  res.summary = sum.str();
  return res;
}

}  // namespace zl
