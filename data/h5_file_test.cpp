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
