#include "dataset_config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "test_util.h"

namespace zl {
namespace {

using zl::testing::TempDir;

std::string error_of(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    load_dataset_config(path, overrides);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(DatasetConfig, DefaultsAndRelativePaths) {
  TempDir t;
  auto p = t.write("c.yaml", "inputs: {dir: data, files: {test: t.jsonl, train: tr.jsonl, dev: d.jsonl}}\n");
  auto d = load_dataset_config(p);
  EXPECT_EQ(d.task, Task::kSingleLabel);
  ASSERT_EQ(d.files.size(), 3u);
  EXPECT_EQ(d.files[0].first, "train");  // train, dev, test order whatever the file says
  EXPECT_EQ(d.files[0].second, t.path() + "/data/tr.jsonl");
  EXPECT_EQ(d.files[2].first, "test");
  EXPECT_EQ(d.max_length, 128);
  EXPECT_TRUE(d.normalize.nfkc);
  EXPECT_FALSE(d.normalize.t2s);
  EXPECT_TRUE(d.mask.enabled);
  EXPECT_EQ(d.tokenizer.type, "unigram");
  EXPECT_DOUBLE_EQ(d.tokenizer.character_coverage, 0.9995);
  EXPECT_FALSE(d.keep_original_text);
  // The resolved config lists the defaults that were used.
  EXPECT_NE(d.resolved_yaml.find("character_coverage: 0.9995"), std::string::npos) << d.resolved_yaml;
  EXPECT_NE(d.resolved_yaml.find("order_min_digits: 10"), std::string::npos);
}

TEST(DatasetConfig, EnvironmentExpansionAndInputDir) {
  TempDir t;
  ::setenv("ZL_TEST_DATASETS", "/data/sets", 1);
  auto p = t.write("c.yaml", "inputs: {dir: '${ZL_TEST_DATASETS}/smp', files: {train: train.jsonl}}\n");
  EXPECT_EQ(load_dataset_config(p).files[0].second, "/data/sets/smp/train.jsonl");
  EXPECT_EQ(load_dataset_config(p, {}, "/elsewhere").files[0].second, "/elsewhere/train.jsonl");
  ::unsetenv("ZL_TEST_DATASETS");
  EXPECT_NE(error_of(p).find("${ZL_TEST_DATASETS}, which is not set"), std::string::npos);
}

TEST(DatasetConfig, SingleFileSplit) {
  TempDir t;
  auto p = t.write("c.yaml", "inputs: {file: all.jsonl, split: {train: 0.7, dev: 0.15, test: 0.15, seed: 3}}\n");
  auto d = load_dataset_config(p);
  EXPECT_EQ(d.single_file, t.path() + "/all.jsonl");
  EXPECT_DOUBLE_EQ(d.ratios.train, 0.7);
  EXPECT_EQ(d.ratios.seed, 3u);
  auto bad = t.write("b.yaml", "inputs: {file: all.jsonl, split: {train: 0.7, dev: 0.1, test: 0.1}}\n");
  EXPECT_NE(error_of(bad).find("sum to 1"), std::string::npos);
}

TEST(DatasetConfig, Errors) {
  TempDir t;
  auto both = t.write("a.yaml", "inputs: {file: a.jsonl, files: {train: b.jsonl}}\n");
  EXPECT_NE(error_of(both).find("not both"), std::string::npos);
  auto none = t.write("n.yaml", "task: single_label\n");
  EXPECT_NE(error_of(none).find("inputs.files"), std::string::npos);
  auto notrain = t.write("t.yaml", "inputs: {files: {dev: d.jsonl}}\n");
  EXPECT_NE(error_of(notrain).find("needs a 'train' file"), std::string::npos);
  auto task = t.write("k.yaml", "task: multilabel\ninputs: {files: {train: a.jsonl}}\n");
  EXPECT_NE(error_of(task).find("did you mean 'multi_label'"), std::string::npos);
  auto key = t.write("u.yaml", "inputs: {files: {train: a.jsonl}, feilds: {text: q}}\n");
  EXPECT_NE(error_of(key).find("unknown key 'inputs.feilds'; did you mean 'inputs.fields'"), std::string::npos)
      << error_of(key);
  auto type = t.write("y.yaml", "inputs: {files: {train: a.jsonl}}\nmax_length: many\n");
  EXPECT_NE(error_of(type).find("max_length has a value of the wrong type"), std::string::npos);
}

// Found by fuzz/config_fuzz (fuzz/regressions/config/list_as_split_name): a split name
// written as a list made inputs.files throw YAML::BadConversion past the mains.
TEST(DatasetConfig, AKeyThatIsAListOrMappingIsAUserErrorWithItsLine) {
  TempDir t;
  for (const std::string& files : {"{train: a.jsonl, [dev]: b.jsonl}", "{train: a.jsonl, {x: 1}: b.jsonl}",
                                   "{train: a.jsonl, [lemel]}"}) {
    auto p = t.write("l.yaml", "task: single_label\ninputs:\n  files: " + files + "\n");
    const std::string m = error_of(p);
    EXPECT_NE(m.find("l.yaml:3: a key in section 'inputs.files' is a list or mapping, not a name"),
              std::string::npos)
        << files << ": " << m;
  }
}

TEST(Config, KeysListsTheSectionInFileOrder) {
  auto c = Config::from_string("s: {b: 1, a: 2, c: null}\nv: 3\n", "k.yaml");
  EXPECT_EQ(c.child("s").keys(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(c.keys(), (std::vector<std::string>{"s", "v"}));
  EXPECT_TRUE(c.child("absent").keys().empty());
}

TEST(DatasetConfig, SetOverrides) {
  TempDir t;
  auto p = t.write("c.yaml", "inputs: {files: {train: a.jsonl}}\n");
  auto d = load_dataset_config(p, {"mask.phone=false", "tokenizer.type=bpe", "normalize.t2s=true"});
  EXPECT_FALSE(d.mask.kinds[static_cast<size_t>(PiiKind::kPhone)]);
  EXPECT_EQ(d.tokenizer.type, "bpe");
  EXPECT_TRUE(d.normalize.t2s);
}

}  // namespace
}  // namespace zl
