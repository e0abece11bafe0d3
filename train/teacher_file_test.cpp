#include "teacher_file.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "error.h"
#include "h5_file.h"

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("zl_tf_" + std::to_string(::getpid()) + "_" + name)).string();
}

// A 3-label dataset with train (4 rows) and dev (2 rows).
struct Fixture {
  std::string dataset = temp_path("ds.h5");
  std::string teacher = temp_path("t.h5");
  zl::DatasetInfo info;
  std::vector<zl::SplitData> splits;

  Fixture() {
    info.task = zl::Task::kSingleLabel;
    info.label_names = {"查询物流", "催发货", "退货退款"};
    info.vocab_size = 50;
    splits.push_back(make_split("train", {"train:0", "train:1", "train:2", "train:3"}, {0, 1, 2, -1}));
    splits.push_back(make_split("dev", {"dev:0", "dev:1"}, {2, 0}));
    zl::write_dataset_file(dataset, info, splits, "tok");
  }
  ~Fixture() {
    std::filesystem::remove(dataset);
    std::filesystem::remove(teacher);
  }
  static zl::SplitData make_split(const std::string& name, std::vector<std::string> ids, std::vector<int32_t> labels) {
    zl::SplitData s;
    s.name = name;
    s.ids = std::move(ids);
    s.labels = std::move(labels);
    for (size_t i = 0; i < s.ids.size(); ++i) {
      s.input_ids.insert(s.input_ids.end(), {2, static_cast<int32_t>(10 + i), 3});
      s.offsets.push_back(s.offsets.back() + 3);
    }
    return s;
  }
  zl::TeacherInfo teacher_info() const {
    zl::TeacherInfo t;
    t.task = info.task;
    t.label_names = info.label_names;
    t.dataset_sha256 = zl::read_dataset_info(dataset).content_sha256;
    t.teacher_run_id = "run-test";
    t.param_count = 1234;
    t.checkpoint_sha256 = "abc";
    return t;
  }
  zl::TeacherSplit teacher_split(const zl::SplitData& d) const {
    zl::TeacherSplit s;
    s.name = d.name;
    s.ids = d.ids;
    s.num_labels = 3;
    for (size_t i = 0; i < d.ids.size(); ++i)
      for (int j = 0; j < 3; ++j) s.values.push_back(0.25f * static_cast<float>(i) - 0.5f * static_cast<float>(j));
    return s;
  }
  std::vector<zl::TeacherSplit> all_splits() const { return {teacher_split(splits[0]), teacher_split(splits[1])}; }
  std::string problems() const {
    std::string all;
    for (const auto& p : zl::find_teacher_problems(teacher, dataset, {"train"})) all += p + "\n";
    return all;
  }
};

}  // namespace

TEST(TeacherFile, RoundTripFloat32AndCheckPasses) {
  Fixture fx;
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), fx.all_splits());
  auto info = zl::read_teacher_info(fx.teacher);
  EXPECT_EQ(info.label_names, fx.info.label_names);
  EXPECT_EQ(info.param_count, 1234);
  EXPECT_EQ(info.kind, "logits");
  EXPECT_EQ(info.split_names, (std::vector<std::string>{"dev", "train"}));
  auto s = zl::read_teacher_split(fx.teacher, "train");
  EXPECT_EQ(s.values, fx.all_splits()[0].values);
  EXPECT_EQ(s.stored_dtype, "float32");
  EXPECT_EQ(fx.problems(), "");
  EXPECT_NO_THROW(zl::check_teacher_file(fx.teacher, fx.dataset, {"train", "dev"}));
}

TEST(TeacherFile, HalfConversionRoundsToNearestEven) {
  EXPECT_EQ(zl::float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(zl::float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(zl::float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(zl::float_to_half(1e6f), 0x7c00);
  EXPECT_EQ(zl::float_to_half(5.9604645e-8f), 0x0001);  // smallest subnormal 2^-24
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
  EXPECT_EQ(zl::float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(zl::float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  for (float v : {0.0f, 1.5f, -3.25f, 0.0999755859375f, 1024.0f, std::ldexp(1.0f, -20)})
    EXPECT_EQ(zl::half_to_float(zl::float_to_half(v)), v) << v;
  EXPECT_TRUE(std::isnan(zl::half_to_float(zl::float_to_half(std::nanf("")))));
}

TEST(TeacherFile, Float16RoundTripAndH5pyReadsFloat16) {
  Fixture fx;
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), fx.all_splits(), "float16");
  auto s = zl::read_teacher_split(fx.teacher, "train");
  EXPECT_EQ(s.stored_dtype, "float16");
  EXPECT_EQ(s.values, fx.all_splits()[0].values);  // multiples of 0.25 are exact in float16
  EXPECT_EQ(fx.problems(), "");
#ifdef ZL_PYTHON_EXE
  std::string cmd = std::string(ZL_PYTHON_EXE) +
                    " -c \"import h5py,sys,numpy as np; f=h5py.File(sys.argv[1],'r'); d=f['splits/train/logits'];"
                    " assert d.dtype==np.float16, d.dtype; assert d.shape==(4,3), d.shape;"
                    " assert float(d[1,0])==0.25, d[1,0]; assert f.attrs['format']=='zhengliu.teacher'\" " +
                    fx.teacher;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
#else
  GTEST_SKIP() << "ZL_PYTHON not configured: cannot check the float16 file with h5py";
#endif
}

TEST(TeacherFile, Float16RefusesOutOfRangeValues) {
  Fixture fx;
  auto splits = fx.all_splits();
  splits[0].values[4] = 70000.f;
  try {
    zl::write_teacher_file(fx.teacher, fx.teacher_info(), splits, "float16");
    FAIL() << "no error";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("train:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("float32"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(fx.teacher));  // nothing half-written
}

TEST(TeacherCheck, DifferentLabelOrderShowsBoth) {
  Fixture fx;
  auto t = fx.teacher_info();
  t.label_names = {"催发货", "查询物流", "退货退款"};
  zl::write_teacher_file(fx.teacher, t, fx.all_splits());
  auto p = fx.problems();
  EXPECT_NE(p.find("label order differs"), std::string::npos) << p;
  EXPECT_NE(p.find("teacher: [催发货, 查询物流, 退货退款]"), std::string::npos) << p;
  EXPECT_NE(p.find("dataset: [查询物流, 催发货, 退货退款]"), std::string::npos) << p;
  EXPECT_THROW(zl::check_teacher_file(fx.teacher, fx.dataset), zl::UserError);
}

TEST(TeacherCheck, MissingAndExtraIdsAreCountedAndListed) {
  Fixture fx;
  auto splits = fx.all_splits();
  splits[0].ids[1] = "train:99";  // train:1 missing, train:99 extra
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), splits);
  auto p = fx.problems();
  EXPECT_NE(p.find("split 'train': 1 dataset example ids have no teacher output ('train:1')"), std::string::npos) << p;
  EXPECT_NE(p.find("split 'train': 1 teacher example ids are not in the dataset ('train:99')"), std::string::npos) << p;
}

TEST(TeacherCheck, MissingRequiredSplit) {
  Fixture fx;
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), {fx.teacher_split(fx.splits[1])});
  auto p = fx.problems();
  EXPECT_NE(p.find("split 'train' is missing from the teacher file"), std::string::npos) << p;
}

TEST(TeacherCheck, DatasetChecksumChanged) {
  Fixture fx;
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), fx.all_splits());
  // Prepare the "same" dataset again with one label changed: same ids, different content.
  fx.splits[0].labels[0] = 2;
  zl::write_dataset_file(fx.dataset, fx.info, fx.splits, "tok");
  auto p = fx.problems();
  EXPECT_NE(p.find("dataset checksum changed"), std::string::npos) << p;
  EXPECT_EQ(p.find("example ids"), std::string::npos) << p;  // ids still match: only the checksum
}

TEST(TeacherCheck, NonFiniteValuesCountedWithFirstId) {
  Fixture fx;
  auto splits = fx.all_splits();
  splits[1].values[4] = std::numeric_limits<float>::quiet_NaN();
  splits[0].values[11] = std::numeric_limits<float>::infinity();
  splits[0].values[7] = -std::numeric_limits<float>::infinity();
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), splits);
  auto p = fx.problems();
  EXPECT_NE(p.find("split 'dev': 1 examples have non-finite values (NaN or Inf), first 'dev:1'"), std::string::npos)
      << p;
  EXPECT_NE(p.find("split 'train': 2 examples have non-finite values (NaN or Inf), first 'train:2'"),
            std::string::npos)
      << p;
}

TEST(TeacherCheck, WrongShape) {
  Fixture fx;
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), fx.all_splits());
  {
    auto f = zl::h5::File::open_rw(fx.teacher);
    H5Ldelete(f.id(), "/splits/dev/logits", H5P_DEFAULT);
    f.write<float>("/splits/dev/logits", std::vector<float>(8, 0.f), {2, 4});
    H5Ldelete(f.id(), "/splits/train/logits", H5P_DEFAULT);
    f.write<float>("/splits/train/logits", std::vector<float>(9, 0.f), {3, 3});
  }
  auto p = fx.problems();
  EXPECT_NE(p.find("split 'dev': wrong shape: logits are [2, 4], expected [2, 3]"), std::string::npos) << p;
  EXPECT_NE(p.find("split 'train': wrong shape:"), std::string::npos) << p;
  EXPECT_NE(p.find("has 3 rows but /splits/train/ids has 4 ids"), std::string::npos) << p;
}

TEST(TeacherCheck, WrongTask) {
  Fixture fx;
  auto t = fx.teacher_info();
  t.task = zl::Task::kMultiLabel;
  zl::write_teacher_file(fx.teacher, t, fx.all_splits());
  auto p = fx.problems();
  EXPECT_NE(p.find("task differs: the teacher file is for a multi_label task, the dataset is single_label"),
            std::string::npos)
      << p;
}

TEST(TeacherCheck, UnknownSchemaVersionAndForeignFile) {
  Fixture fx;
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), fx.all_splits());
  {
    auto f = zl::h5::File::open_rw(fx.teacher);
    f.set_attr("/", "format_version", int64_t{7});
  }
  try {
    zl::check_teacher_file(fx.teacher, fx.dataset);
    FAIL() << "no error";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 7 is unknown"), std::string::npos) << e.what();
  }
  // A dataset file passed as the teacher file.
  try {
    zl::check_teacher_file(fx.dataset, fx.dataset);
    FAIL() << "no error";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not a Zhengliu teacher file"), std::string::npos) << e.what();
  }
}

TEST(TeacherCheck, ProbsMustBeDistributions) {
  Fixture fx;
  auto t = fx.teacher_info();
  t.kind = "probs";
  auto splits = fx.all_splits();
  for (auto& s : splits)
    for (size_t i = 0; i < s.values.size(); ++i) s.values[i] = (i % 3 == 0) ? 0.5f : 0.25f;
  splits[0].values[3] = 0.9f;  // train:1 sums to 1.4
  zl::write_teacher_file(fx.teacher, t, splits);
  auto p = fx.problems();
  EXPECT_NE(p.find("split 'train': 1 rows are not probability distributions although kind=probs, first 'train:1'"),
            std::string::npos)
      << p;
  EXPECT_EQ(p.find("split 'dev'"), std::string::npos) << p;
}

TEST(TeacherFile, AlignsByIdAndTurnsProbsIntoLogits) {
  Fixture fx;
  auto t = fx.teacher_info();
  t.kind = "probs";
  t.temperature = 2.0;
  zl::TeacherSplit s;
  s.name = "dev";
  s.ids = {"dev:1", "dev:0"};  // reversed on purpose
  s.num_labels = 3;
  s.values = {0.5f, 0.25f, 0.25f, 0.f, 0.f, 1.f};
  auto z = zl::aligned_teacher_logits(fx.teacher, t, s, {"dev:0", "dev:1"});
  ASSERT_EQ(z.size(), 6u);
  // dev:0 -> (0, 0, 1): 2*log(1e-7) = -32.236, 2*log(1 - 1e-7) ~ -2e-7
  EXPECT_NEAR(z[0], 2.0 * std::log(1e-7), 1e-4);
  EXPECT_NEAR(z[2], 0.0, 1e-5);
  // dev:1 -> (0.5, 0.25, 0.25): 2*log p = (-1.3863, -2.7726, -2.7726)
  EXPECT_NEAR(z[3], -1.3862944, 1e-5);
  EXPECT_NEAR(z[4], -2.7725887, 1e-5);
  EXPECT_THROW(zl::aligned_teacher_logits(fx.teacher, t, s, {"dev:0", "dev:7"}), zl::UserError);
}

// The per-rank reader of data-parallel kd distill gives, for any rows in any order,
// exactly what aligned_teacher_logits gives for the whole split: float32, float16, probs,
// a teacher file whose row order differs from the dataset's.
TEST(TeacherRowReader, ReadsChosenRowsLikeTheWholeSplit) {
  Fixture fx;
  for (const std::string dtype : {"float32", "float16"}) {
    for (const std::string kind : {"logits", "probs"}) {
      auto t = fx.teacher_info();
      t.kind = kind;
      t.temperature = 2.0;
      zl::TeacherSplit s = fx.teacher_split(fx.splits[0]);
      std::reverse(s.ids.begin(), s.ids.end());  // the file's order is not the dataset's
      if (kind == "probs")
        for (size_t i = 0; i < s.size(); ++i) {
          float* r = &s.values[i * 3];
          r[0] = 0.25f * static_cast<float>(i % 3), r[1] = 0.5f, r[2] = 1.f - r[0] - r[1];
        }
      zl::write_teacher_file(fx.teacher, t, {s}, dtype);
      ASSERT_EQ(fx.problems(), "") << dtype << " " << kind;
      zl::TeacherSplit whole = zl::read_teacher_split(fx.teacher, "train");
      auto all = zl::aligned_teacher_logits(fx.teacher, zl::read_teacher_info(fx.teacher), whole, fx.splits[0].ids);
      zl::TeacherRowReader reader(fx.teacher, "train", fx.splits[0].ids);
      EXPECT_EQ(reader.num_labels(), 3);
      EXPECT_EQ(reader.size(), 4);
      const std::vector<int64_t> rows = {3, 0, 3, 2};
      auto got = reader.read(rows);
      ASSERT_EQ(got.size(), rows.size() * 3);
      for (size_t i = 0; i < rows.size(); ++i)
        for (size_t j = 0; j < 3; ++j)
          EXPECT_FLOAT_EQ(got[i * 3 + j], all[static_cast<size_t>(rows[i]) * 3 + j]) << dtype << " " << kind;
      EXPECT_TRUE(reader.read({}).empty());
      EXPECT_THROW(reader.read({4}), std::out_of_range);
    }
  }
  EXPECT_THROW(zl::TeacherRowReader(fx.teacher, "train", {"train:0", "train:9"}), zl::UserError);
}

// The check reads values in blocks; a non-finite value past the first rows is still found.
TEST(TeacherCheck, ValuesCheckedInBlocksWithoutReadingTheWholeFileAtOnce) {
  Fixture fx;
  auto splits = fx.all_splits();
  splits[0].values[3 * 3 + 1] = std::numeric_limits<float>::infinity();
  zl::write_teacher_file(fx.teacher, fx.teacher_info(), splits);
  EXPECT_NE(fx.problems().find("1 examples have non-finite values (NaN or Inf), first 'train:3'"), std::string::npos)
      << fx.problems();
  zl::TeacherSplit header = zl::read_teacher_split(fx.teacher, "train", /*with_values=*/false);
  EXPECT_TRUE(header.values.empty());
  EXPECT_EQ(header.num_labels, 3);
  EXPECT_EQ(header.ids.size(), 4u);
}

namespace {
// The same two splits prepared twice: A with one tokenizer (the teacher's), B with another
// (other token ids, vocab, tokenizer checksum), or B from changed inputs when edited.
struct CrossFixture {
  std::string a = temp_path("a.h5"), b = temp_path("b.h5"), teacher = temp_path("tx.h5");
  zl::DatasetInfo info;
  std::vector<zl::SplitData> splits;

  CrossFixture() {
    info.task = zl::Task::kSingleLabel;
    info.label_names = {"查询物流", "催发货", "退货退款"};
    info.vocab_size = 50;
    info.tokenizer_sha256 = "teacher-tokenizer";
    splits.push_back(make("train", {"train:0", "train:1", "train:2", "train:3"}, {0, 1, 2, -1},
                          {"快递到哪了", "快点发货", "我要退货", "你好"}));
    splits.push_back(make("dev", {"dev:0", "dev:1"}, {2, 0}, {"退款", "物流呢"}));
    zl::write_dataset_file(a, info, splits, "tok-a");
    write_b(info, splits);
  }
  ~CrossFixture() {
    for (const auto& p : {a, b, teacher}) std::filesystem::remove(p);
  }
  static zl::SplitData make(const std::string& name, std::vector<std::string> ids, std::vector<int32_t> labels,
                            std::vector<std::string> text) {
    zl::SplitData s;
    s.name = name;
    s.ids = std::move(ids);
    s.labels = std::move(labels);
    s.text = std::move(text);
    for (size_t i = 0; i < s.ids.size(); ++i) {
      s.input_ids.insert(s.input_ids.end(), {2, static_cast<int32_t>(10 + i), 3});
      s.offsets.push_back(s.offsets.back() + 3);
    }
    return s;
  }
  // B: one token per character instead of one per text (another tokenizer).
  void write_b(zl::DatasetInfo i, std::vector<zl::SplitData> sp) const {
    i.tokenizer_sha256 = "student-tokenizer";
    i.vocab_size = 30;
    for (auto& s : sp) {
      s.input_ids.clear();
      s.offsets = {0};
      for (const auto& t : s.text) {
        s.input_ids.push_back(0);
        for (size_t k = 0; k < t.size(); k += 3) s.input_ids.push_back(static_cast<int32_t>(5 + k % 20));
        s.input_ids.push_back(1);
        s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
      }
    }
    zl::write_dataset_file(b, i, sp, "tok-b");
  }
  // A teacher file computed on A (what kd teacher predict writes), optionally with sentence vectors.
  void write_teacher(int64_t sentence_dim = 0, const std::string& dtype = "float32") const {
    auto d = zl::read_dataset_info(a);
    zl::TeacherInfo t;
    t.task = info.task;
    t.label_names = info.label_names;
    t.dataset_sha256 = d.content_sha256;
    t.dataset_text_sha256 = d.text_sha256;
    t.dataset_path = a;
    t.teacher_run_id = "run-cross";
    t.sentence_dim = sentence_dim;
    std::vector<zl::TeacherSplit> out;
    for (const auto& s : splits) {
      zl::TeacherSplit ts;
      ts.name = s.name;
      ts.ids = s.ids;
      std::reverse(ts.ids.begin(), ts.ids.end());  // any row order
      ts.num_labels = 3;
      ts.dataset_text_sha256 = d.split_text_sha256.at(s.name);
      for (size_t i = 0; i < ts.ids.size(); ++i) {
        for (int j = 0; j < 3; ++j) ts.values.push_back(0.5f * static_cast<float>(j) - 0.25f * static_cast<float>(i));
        for (int64_t k = 0; k < sentence_dim; ++k) ts.sentence.push_back(row_value(ts.ids[i], k));
      }
      out.push_back(std::move(ts));
    }
    zl::write_teacher_file(teacher, t, out, dtype);
  }
  // A sentence value that identifies its example: the id's last digit and the column.
  static float row_value(const std::string& id, int64_t k) {
    return static_cast<float>(id.back() - '0') + 0.25f * static_cast<float>(k) + (id[0] == 'd' ? 10.f : 0.f);
  }
  std::string problems_b() const {
    std::string all;
    for (const auto& p : zl::find_teacher_problems(teacher, b, {"train"})) all += p + "\n";
    return all;
  }
};
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST(TeacherCrossTokenizer, SameTextsWithAnotherTokenizerAreAccepted) {
  CrossFixture fx;
  fx.write_teacher();
  auto da = zl::read_dataset_info(fx.a), db = zl::read_dataset_info(fx.b);
  ASSERT_NE(da.content_sha256, db.content_sha256);  // other token ids
  ASSERT_EQ(da.text_sha256, db.text_sha256);
  auto t = zl::read_teacher_info(fx.teacher);
  EXPECT_EQ(t.dataset_text_sha256, da.text_sha256);
  EXPECT_EQ(t.dataset_path, fx.a);
  EXPECT_EQ(zl::teacher_dataset_relation(t, da), zl::TeacherDataset::kSameFile);
  EXPECT_EQ(zl::teacher_dataset_relation(t, db), zl::TeacherDataset::kSameTexts);
  EXPECT_EQ(fx.problems_b(), "");
  EXPECT_NO_THROW(zl::check_teacher_file(fx.teacher, fx.b, {"train", "dev"}));
  // The logits align with B's rows by id, exactly as with A's.
  auto ids = zl::read_split_labels(fx.b, "train").ids;
  auto z = zl::aligned_teacher_logits(fx.teacher, t, zl::read_teacher_split(fx.teacher, "train"), ids);
  EXPECT_FLOAT_EQ(z[0 * 3 + 1], 0.5f - 0.25f * 3);  // train:0 is the teacher file's last row
}

TEST(TeacherCrossTokenizer, ATeacherFileWithoutTextChecksumOnlyServesItsOwnDataset) {
  CrossFixture fx;
  fx.write_teacher();
  {  // as written before text checksums existed
    auto f = zl::h5::File::open_rw(fx.teacher);
    H5Adelete(f.id(), "dataset_text_sha256");
  }
  EXPECT_EQ(zl::read_teacher_info(fx.teacher).dataset_text_sha256, "");
  EXPECT_TRUE(zl::find_teacher_problems(fx.teacher, fx.a).empty());
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "dataset checksum changed")) << p;
  EXPECT_TRUE(has(p, "predates text checksums")) << p;
  EXPECT_TRUE(has(p, "recompute the teacher file")) << p;
}

TEST(TeacherCrossTokenizer, OtherTextsAreRefusedNamingTheSplitAndTheExample) {
  CrossFixture fx;
  fx.write_teacher();
  auto changed = fx.splits;
  changed[0].text[2] = "我要退款";  // one line of the inputs changed
  fx.write_b(fx.info, changed);
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "dataset checksum changed")) << p;
  EXPECT_TRUE(has(p, "texts, labels or ids differ in split 'train'")) << p;
  EXPECT_TRUE(has(p, "same texts, labels and ids in split 'dev'")) << p;
  EXPECT_TRUE(has(p, "1 shared ids have other texts ('train:2' \"我要退货\" there, \"我要退款\" here)")) << p;
  EXPECT_TRUE(has(p, "the teacher was computed on other texts: prepare the student's dataset from the same inputs "
                     "and config (only the tokenizer may differ)"))
      << p;
  EXPECT_FALSE(has(p, "other labels")) << p;
  EXPECT_THROW(zl::check_teacher_file(fx.teacher, fx.b), zl::UserError);
}

TEST(TeacherCrossTokenizer, OtherLabelsOfSharedIdsAreListed) {
  CrossFixture fx;
  fx.write_teacher();
  auto changed = fx.splits;
  changed[1].labels[1] = 1;  // dev:1: 查询物流 -> 催发货
  fx.write_b(fx.info, changed);
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "split 'dev': 1 shared ids have other labels ('dev:1' 查询物流 there, 催发货 here)")) << p;
  EXPECT_TRUE(has(p, "the teacher was computed on other labels")) << p;
}

TEST(TeacherCrossTokenizer, AnotherLabelSetIsRefused) {
  CrossFixture fx;
  fx.write_teacher();
  auto info = fx.info;
  info.label_names = {"查询物流", "催发货", "投诉"};
  fx.write_b(info, fx.splits);
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "label order differs")) << p;
  EXPECT_TRUE(has(p, "dataset checksum changed")) << p;
  // Every split's rows agree: the difference is in the label names.
  EXPECT_TRUE(has(p, "the splits the teacher file holds agree")) << p;
}

TEST(TeacherCrossTokenizer, ExtraAndMissingIdsAreCounted) {
  CrossFixture fx;
  fx.write_teacher();
  auto changed = fx.splits;
  changed[0].ids.push_back("train:4");
  changed[0].labels.push_back(0);
  changed[0].text.push_back("新的一行");
  changed[1].ids.pop_back();
  changed[1].labels.pop_back();
  changed[1].text.pop_back();
  fx.write_b(fx.info, changed);
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "split 'train': 1 dataset example ids have no teacher output ('train:4')")) << p;
  EXPECT_TRUE(has(p, "split 'dev': 1 teacher example ids are not in the dataset ('dev:1')")) << p;
  EXPECT_TRUE(has(p, "texts, labels or ids differ in splits 'dev', 'train'")) << p;
  EXPECT_TRUE(has(p, "the teacher was computed on other example ids")) << p;
}

TEST(TeacherCrossTokenizer, WithoutTheTeachersDatasetTheCheckSaysWhichSplitOnly) {
  CrossFixture fx;
  fx.write_teacher();
  auto changed = fx.splits;
  changed[0].text[0] = "快递到了";
  fx.write_b(fx.info, changed);
  std::filesystem::remove(fx.a);
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "texts, labels or ids differ in split 'train'")) << p;
  EXPECT_TRUE(has(p, "is no longer there: cannot say which texts, labels or ids differ")) << p;
}

TEST(TeacherSentence, RoundTripAlignedByIdAndPerRank) {
  CrossFixture fx;
  for (const std::string dtype : {"float32", "float16"}) {
    fx.write_teacher(/*sentence_dim=*/4, dtype);
    auto t = zl::read_teacher_info(fx.teacher);
    EXPECT_EQ(t.sentence_dim, 4);
    auto header = zl::read_teacher_split(fx.teacher, "train", /*with_values=*/false);
    EXPECT_EQ(header.sentence_dim, 4);
    EXPECT_TRUE(header.sentence.empty());  // never read with the logits
    EXPECT_EQ(fx.problems_b(), "") << dtype;
    auto ids = zl::read_split_labels(fx.b, "train").ids;
    auto v = zl::aligned_teacher_sentences(fx.teacher, "train", ids);
    ASSERT_EQ(v.size(), ids.size() * 4);
    for (size_t i = 0; i < ids.size(); ++i)
      for (int64_t k = 0; k < 4; ++k) EXPECT_FLOAT_EQ(v[i * 4 + static_cast<size_t>(k)], CrossFixture::row_value(ids[i], k));
    zl::TeacherRowReader reader(fx.teacher, "train", ids);
    EXPECT_EQ(reader.sentence_dim(), 4);
    auto rows = reader.read_sentences({3, 0, 3});
    ASSERT_EQ(rows.size(), 12u);
    for (int64_t k = 0; k < 4; ++k) {
      EXPECT_FLOAT_EQ(rows[static_cast<size_t>(k)], CrossFixture::row_value("train:3", k));
      EXPECT_FLOAT_EQ(rows[4 + static_cast<size_t>(k)], CrossFixture::row_value("train:0", k));
    }
  }
#ifdef ZL_PYTHON_EXE
  std::string cmd = std::string(ZL_PYTHON_EXE) +
                    " -c \"import h5py,sys,numpy as np; f=h5py.File(sys.argv[1],'r'); d=f['splits/dev/sentence'];"
                    " assert d.dtype==np.float16 and d.shape==(2,4), (d.dtype, d.shape);"
                    " assert f.attrs['sentence_dim']==4\" " +
                    fx.teacher;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
#endif
}

TEST(TeacherSentence, MissingVectorsNameTheFileAndTheCommand) {
  CrossFixture fx;
  fx.write_teacher();
  EXPECT_EQ(zl::read_teacher_info(fx.teacher).sentence_dim, 0);
  try {
    zl::aligned_teacher_sentences(fx.teacher, "train", {"train:0"});
    FAIL() << "no error";
  } catch (const zl::UserError& e) {
    EXPECT_TRUE(has(e.what(), fx.teacher)) << e.what();
    EXPECT_TRUE(has(e.what(), "kd teacher predict --sentence")) << e.what();
  }
  EXPECT_EQ(zl::TeacherRowReader(fx.teacher, "train", {"train:0"}).sentence_dim(), 0);
}

TEST(TeacherSentence, CheckFindsWrongShapesNonFiniteAndMissingVectors) {
  CrossFixture fx;
  fx.write_teacher(/*sentence_dim=*/4);
  {
    auto f = zl::h5::File::open_rw(fx.teacher);
    H5Ldelete(f.id(), "/splits/dev/sentence", H5P_DEFAULT);
    f.write<float>("/splits/dev/sentence", std::vector<float>(6, 0.f), {2, 3});
    H5Ldelete(f.id(), "/splits/train/sentence", H5P_DEFAULT);
    std::vector<float> v(16, 1.f);
    v[2 * 4 + 1] = std::numeric_limits<float>::quiet_NaN();  // the file's row 2: 'train:1' (rows reversed)
    f.write<float>("/splits/train/sentence", v, {4, 4});
  }
  auto p = fx.problems_b();
  EXPECT_TRUE(has(p, "split 'dev': wrong shape: sentence vectors are [2, 3], expected [2, 4]")) << p;
  EXPECT_TRUE(has(p, "split 'train': 1 examples have non-finite sentence vectors (NaN or Inf), first 'train:1'")) << p;
  {
    auto f = zl::h5::File::open_rw(fx.teacher);
    H5Ldelete(f.id(), "/splits/dev/sentence", H5P_DEFAULT);
  }
  p = fx.problems_b();
  EXPECT_TRUE(has(p, "split 'dev': no sentence vectors (/splits/dev/sentence) although sentence_dim is 4")) << p;
}

// Issue 11: label names beyond the 64 KiB HDF5 attribute limit (about 4000) live in the
// /label_names dataset; the attribute is kept while it fits, for older readers.
TEST(TeacherFile, ThousandsOfLabelNamesRoundTrip) {
  const std::string path = temp_path("many.h5");
  zl::TeacherInfo t;
  t.task = zl::Task::kSingleLabel;
  for (int i = 0; i < 5000; ++i) t.label_names.push_back("类目" + std::to_string(i));
  t.dataset_sha256 = "x";
  zl::TeacherSplit s;
  s.name = "train";
  s.ids = {"a:1"};
  s.num_labels = 5000;
  s.values.assign(5000, 0.5f);
  zl::write_teacher_file(path, t, {s});
  EXPECT_EQ(zl::read_teacher_info(path).label_names, t.label_names);
  {
    auto f = zl::h5::File::open_read(path);
    EXPECT_TRUE(f.exists("/label_names"));
    EXPECT_FALSE(f.has_attr("/", "label_names"));
  }
  t.label_names.resize(3);
  s.num_labels = 3;
  s.values.assign(3, 0.5f);
  zl::write_teacher_file(path, t, {s});
  auto f = zl::h5::File::open_read(path);
  EXPECT_EQ(f.attr_strings("/", "label_names"), t.label_names);
  EXPECT_EQ(zl::read_teacher_info(path).label_names, t.label_names);
  std::filesystem::remove(path);
}

// Issue 11: a required split with 0 rows in the teacher file is nothing to distill from.
TEST(TeacherCheck, EmptyRequiredSplitIsAProblem) {
  Fixture fx;
  fx.splits.push_back(Fixture::make_split("extra", {}, {}));
  zl::write_dataset_file(fx.dataset, fx.info, fx.splits, "tok");
  auto splits = fx.all_splits();
  splits.push_back(fx.teacher_split(fx.splits[2]));
  auto t = fx.teacher_info();
  zl::write_teacher_file(fx.teacher, t, splits);
  std::string all;
  for (const auto& p : zl::find_teacher_problems(fx.teacher, fx.dataset, {"train", "extra"})) all += p + "\n";
  EXPECT_NE(all.find("split 'extra' of the teacher file has 0 rows"), std::string::npos) << all;
  EXPECT_EQ(fx.problems(), "");  // not required: fine
}
