#include "onnx_writer.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <limits>

namespace zl::onnx_graph {
namespace {

// y = softmax(x W^T + b) over a [batch, 3] input: the smallest useful graph.
Model tiny_model() {
  Model m;
  GraphBuilder g(m);
  m.inputs.push_back({"x", DType::kFloat, {Dim::named("batch"), Dim::fixed(3)}});
  m.outputs.push_back({"y", DType::kFloat, {Dim::named("batch"), Dim::fixed(2)}});
  auto h = g.linear("x", "fc", 2, 3, {1, 2, 3, 4, 5, 6}, {0.5f, -0.5f});
  g.op_to("Softmax", {h}, {"y"}, {Attribute::of("axis", int64_t{-1})});
  m.metadata = {{"labels", "[\"a\",\"b\"]"}, {"task", "single_label"}};
  return m;
}

TEST(OnnxWriter, WritesAModelThatParsesBackWithItsMetadataAndWeights) {
  const std::string bytes = serialize_model(tiny_model());
  ::onnx::ModelProto mp;
  ASSERT_TRUE(mp.ParseFromString(bytes));
  EXPECT_EQ(mp.ir_version(), kIrVersion);
  ASSERT_EQ(mp.opset_import_size(), 1);
  EXPECT_EQ(mp.opset_import(0).version(), 17);
  ASSERT_EQ(mp.metadata_props_size(), 2);
  EXPECT_EQ(mp.metadata_props(0).key(), "labels");
  EXPECT_EQ(mp.metadata_props(1).value(), "single_label");
  EXPECT_EQ(mp.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  // The Linear weight is stored transposed for MatMul: W^T[i][o] = W[o][i].
  const auto& w = mp.graph().initializer(0);
  ASSERT_EQ(w.dims_size(), 2);
  EXPECT_EQ(w.dims(0), 3);
  EXPECT_EQ(w.dims(1), 2);
  const float* f = reinterpret_cast<const float*>(w.raw_data().data());
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], 4.0f);
  EXPECT_EQ(f[2], 2.0f);
}

TEST(OnnxWriter, RejectsAnUnknownOperator) {
  Model m = tiny_model();
  m.nodes.back().op_type = "NoSuchOp";
  EXPECT_THROW(serialize_model(m), std::runtime_error);
}

TEST(OnnxWriter, StrictShapeInferenceRejectsATypeMismatch) {
  // MatMul of a float input with an int64 initializer: the checker alone does
  // not look at types; strict inference must.
  Model m = tiny_model();
  GraphBuilder g(m);
  auto bad = g.ints("bad", {3, 2}, {1, 2, 3, 4, 5, 6});
  m.nodes[0].inputs[1] = bad;
  EXPECT_THROW(serialize_model(m), std::runtime_error);
}

TEST(OnnxWriter, RejectsAnUndefinedInput) {
  Model m = tiny_model();
  m.nodes.back().inputs[0] = "nowhere";
  EXPECT_THROW(serialize_model(m), std::runtime_error);
}

TEST(GraphBuilder, RejectsWeightsOfTheWrongSize) {
  Model m;
  GraphBuilder g(m);
  EXPECT_THROW(g.linear("x", "fc", 2, 3, {1, 2, 3}, {0, 0}), std::logic_error);
  EXPECT_THROW(g.floats("w", {2, 2}, {1, 2, 3}), std::logic_error);
}

}  // namespace
}  // namespace zl::onnx_graph
