#include "config.h"

#include <gtest/gtest.h>

using zl::Config;
using zl::UserError;

TEST(Config, ReadsValuesAndDefaults) {
  auto c = Config::from_string("model:\n  hidden: 256\n  heads: 4\n", "t.yaml");
  auto m = c.child("model");
  EXPECT_EQ(m.get<int>("hidden", 128), 256);
  EXPECT_EQ(m.get<int>("layers", 2), 2);
  EXPECT_EQ(m.get<int>("heads", 8), 4);
  c.check_unknown_keys();
  // The default is recorded in the resolved config.
  EXPECT_NE(c.to_yaml().find("layers: 2"), std::string::npos);
}

TEST(Config, UnknownKeySuggestsClosest) {
  auto c = Config::from_string("model:\n  hiden: 256\n", "t.yaml");
  c.child("model").get<int>("hidden", 128);
  try {
    c.check_unknown_keys();
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("t.yaml:2"), std::string::npos) << m;
    EXPECT_NE(m.find("unknown key 'model.hiden'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'model.hidden'"), std::string::npos) << m;
  }
}

TEST(Config, OverridesCreateAndReplace) {
  auto c = Config::from_string("train:\n  lr: 0.1\n", "t.yaml", {"train.lr=3e-4", "train.sched.kind=cosine"});
  auto t = c.child("train");
  EXPECT_DOUBLE_EQ(t.get<double>("lr", 1.0), 3e-4);
  EXPECT_EQ(t.child("sched").get<std::string>("kind", "linear"), "cosine");
  c.check_unknown_keys();
}

TEST(Config, UnknownOverrideIsAnError) {
  auto c = Config::from_string("{}", "t.yaml", {"train.lrr=1"});
  c.child("train").get<double>("lr", 1.0);
  EXPECT_THROW(c.check_unknown_keys(), UserError);
}

TEST(Config, WrongTypeNamesKey) {
  auto c = Config::from_string("train:\n  lr: fast\n", "t.yaml");
  try {
    c.child("train").get<double>("lr", 1.0);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("train.lr"), std::string::npos);
  }
}

TEST(Config, ChoiceAndRequired) {
  auto c = Config::from_string("kind: cosin\n", "t.yaml");
  EXPECT_THROW(c.get_choice("kind", "linear", {"linear", "cosine"}), UserError);
  EXPECT_THROW(c.require<int>("steps"), UserError);
}

TEST(Config, SyntaxErrorNamesLine) {
  try {
    Config::from_string("a: 1\nb: [1, 2\n", "bad.yaml");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:"), std::string::npos) << e.what();
  }
}

// Found by fuzz/config_fuzz (fuzz/regressions/config/): a list as a key made
// check_unknown_keys throw YAML::BadConversion instead of a UserError.
TEST(Config, NonScalarKeyIsUserError) {
  auto c = Config::from_string("a: 1\nmodel:\n  [x, y]: 2\n", "k.yaml");
  c.get<int>("a", 0);
  c.child("model").get<int>("hidden", 128);
  try {
    c.check_unknown_keys();
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("k.yaml:3: a key in section 'model' is a list or mapping"), std::string::npos) << m;
  }
}

TEST(Config, AbsentSectionInsideAPresentOne) {
  // child() of a missing key inside an existing section used to throw YAML::InvalidNode.
  auto c = Config::from_string("inputs:\n  dir: x\n", "t.yaml");
  auto in = c.child("inputs");
  EXPECT_EQ(in.get<std::string>("dir", ""), "x");
  EXPECT_EQ(in.child("fields").get<std::string>("text", "text"), "text");
  EXPECT_NE(c.to_yaml().find("text: text"), std::string::npos) << c.to_yaml();
  EXPECT_NO_THROW(c.check_unknown_keys());
}

TEST(EditDistance, Basic) {
  EXPECT_EQ(zl::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(zl::closest("hiden", {"hidden", "heads", "layers"}), "hidden");
}
