#include "h5_file.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "error.h"

namespace {
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("zl_h5_" + std::to_string(::getpid()) + name)).string();
}
}  // namespace

TEST(H5File, RoundTripsArraysStringsAndAttributes) {
  std::string p = temp_path("rt.h5");
  {
    auto f = zl::h5::File::create(p);
    f.set_attr("/", "s", std::string("中文"));
    f.set_attr("/", "i", int64_t{42});
    f.set_attr("/", "names", std::vector<std::string>{"查询物流", "催发货"});
    std::vector<float> big(10000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.5f;
    f.write<float>("/g/big", big, {100, 100});
    f.write_strings("/g/text", {"你好", "", "abc"});
  }
  auto f = zl::h5::File::open_read(p);
  EXPECT_EQ(f.attr_string("/", "s"), "中文");
  EXPECT_EQ(f.attr_int("/", "i"), 42);
  EXPECT_EQ(f.attr_strings("/", "names"), (std::vector<std::string>{"查询物流", "催发货"}));
  auto big = f.read<float>("/g/big");
  ASSERT_EQ(big.size(), 10000u);
  EXPECT_FLOAT_EQ(big[9999], 4999.5f);
  EXPECT_EQ(f.shape("/g/big"), (std::vector<hsize_t>{100, 100}));
  auto rows = f.read_rows<float>("/g/big", 3, 2);
  ASSERT_EQ(rows.size(), 200u);
  EXPECT_FLOAT_EQ(rows[0], 150.0f);
  EXPECT_EQ(f.read_strings("/g/text"), (std::vector<std::string>{"你好", "", "abc"}));
  EXPECT_TRUE(f.exists("/g/text"));
  EXPECT_FALSE(f.exists("/nope/x"));
  EXPECT_THROW(f.read<float>("/g/missing"), zl::UserError);
  std::filesystem::remove(p);
}

TEST(H5File, MissingFileIsUserError) {
  EXPECT_THROW(zl::h5::File::open_read("/nonexistent/x.h5"), zl::UserError);
}

// A corrupt or hostile file can declare an array far larger than what it stores
// (unwritten chunks read as fill values). Found by fuzz/dataset_file_fuzz: the reader
// tried to allocate it (bad_alloc / length_error) instead of refusing the file.
TEST(H5File, ArrayLargerThanItsStorageIsUserError) {
  std::string p = temp_path("huge.h5");
  {
    hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims = hsize_t{1} << 40, chunk = 1024;
    hid_t space = H5Screate_simple(1, &dims, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    hid_t ds = H5Dcreate2(f, "/ids", H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    hid_t st = H5Dcreate2(f, "/text", H5T_C_S1, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(ds, 0);
    ASSERT_GE(st, 0);
    H5Dclose(st);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
  }
  auto f = zl::h5::File::open_read(p);
  for (auto read : {+[](const zl::h5::File& f) { f.read<int32_t>("/ids"); },
                    +[](const zl::h5::File& f) { f.read_rows<int32_t>("/ids", 0, 2); },
                    +[](const zl::h5::File& f) { f.read_strings("/text"); }}) {
    try {
      read(f);
      ADD_FAILURE() << "no error";
    } catch (const zl::UserError& e) {
      EXPECT_NE(std::string(e.what()).find("elements but the file stores only 0 bytes"), std::string::npos) << e.what();
    }
  }
  std::filesystem::remove(p);
}
