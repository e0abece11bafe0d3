#include "model.h"

#include <gtest/gtest.h>

#include "model_test_util.h"

namespace zl {
namespace {

ModelConfig parse(const std::string& yaml) {
  Config c = Config::from_string(yaml, "model.yaml");
  auto m = ModelConfig::from_config(c);
  c.check_unknown_keys();
  return m;
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, ParsesPresetKeys) {
  auto m = parse("architecture: transformer\nlayers: 2\nhidden: 128\nheads: 2\nffn: 512\npooling: mean\n");
  EXPECT_EQ(m.layers, 2);
  EXPECT_EQ(m.hidden, 128);
  EXPECT_EQ(m.pooling, "mean");
}

TEST(ModelConfig, Errors) {
  EXPECT_NE(error_of("hidden: 100\nheads: 3\n").find("heads (3) must divide hidden (100)"), std::string::npos);
  EXPECT_NE(error_of("layers: 0\n").find("layers must be a positive integer"), std::string::npos);
  EXPECT_NE(error_of("dropout: 1.5\n").find("dropout must be in [0, 1)"), std::string::npos);
  EXPECT_NE(error_of("architecture: lstm\n").find("did you mean 'bilstm'"), std::string::npos);
  EXPECT_NE(error_of("hiden: 64\n").find("did you mean 'hidden'"), std::string::npos);
  // A key of another architecture is unknown, not silently ignored.
  EXPECT_NE(error_of("architecture: textcnn\nlayers: 2\n").find("unknown key 'layers'"), std::string::npos);
  EXPECT_NE(error_of("architecture: textcnn\nkernel_sizes: []\n").find("at least one kernel"), std::string::npos);
  EXPECT_NE(error_of("layers: 2\ninit_from: {run: x, layers: [0]}\n").find("one teacher layer per student layer"),
            std::string::npos);
}

TEST(BuildModel, ArchitecturesAndParameterCounts) {
  auto info = testing::tiny_info();
  for (std::string arch : {"transformer", "bilstm", "textcnn"}) {
    ModelConfig c;
    c.architecture = arch;
    c.layers = 1;
    c.hidden = 16;
    c.heads = 2;
    c.ffn = 32;
    c.max_length = 8;
    c.embedding_dim = 16;
    auto m = build_model(c, info);
    EXPECT_GT(m->num_parameters(), m->num_non_embedding_parameters()) << arch;
    EXPECT_GT(m->num_non_embedding_parameters(), 0) << arch;
  }
  ModelConfig c;
  c.layers = 1;
  c.hidden = 16;
  c.heads = 2;
  c.ffn = 32;
  c.max_length = 8;
  auto m = build_model(c, info);
  // Embeddings: 50*16 words + 8*16 positions; layer: 4*16*16+4*16 (attn) + 2*16*32+32+16 (ffn) + 4*16 (2 LN);
  // final LN 2*16; classifier 16*3+3.
  EXPECT_EQ(m->num_parameters() - m->num_non_embedding_parameters(), 50 * 16 + 8 * 16);
  EXPECT_EQ(m->num_non_embedding_parameters(), (4 * 16 * 16 + 4 * 16) + (2 * 16 * 32 + 32 + 16) + 4 * 16 + 2 * 16 + 16 * 3 + 3);
}

TEST(BuildModel, HeadMustMatchTask) {
  ModelConfig c;
  c.head = "multi_label";
  try {
    build_model(c, testing::tiny_info(Task::kSingleLabel));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the dataset's task 'single_label'"), std::string::npos);
  }
}

}  // namespace
}  // namespace zl
