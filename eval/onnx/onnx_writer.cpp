#include "onnx_writer.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <stdexcept>

#include "atomic_file.h"

namespace zl::onnx_graph {

namespace {

void set_type(::onnx::ValueInfoProto* vi, const ValueInfo& v) {
  vi->set_name(v.name);
  auto* tensor = vi->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(static_cast<int32_t>(v.type));
  auto* shape = tensor->mutable_shape();
  for (const auto& d : v.dims) {
    auto* dim = shape->add_dim();
    if (d.symbol.empty())
      dim->set_dim_value(d.size);
    else
      dim->set_dim_param(d.symbol);
  }
}

void set_attribute(::onnx::AttributeProto* a, const Attribute& attr) {
  a->set_name(attr.name);
  switch (attr.kind) {
    case Attribute::Kind::kInt:
      a->set_type(::onnx::AttributeProto::INT);
      a->set_i(attr.i);
      break;
    case Attribute::Kind::kFloat:
      a->set_type(::onnx::AttributeProto::FLOAT);
      a->set_f(attr.f);
      break;
    case Attribute::Kind::kInts:
      a->set_type(::onnx::AttributeProto::INTS);
      for (auto v : attr.ints) a->add_ints(v);
      break;
    case Attribute::Kind::kFloats:
      a->set_type(::onnx::AttributeProto::FLOATS);
      for (auto v : attr.floats) a->add_floats(v);
      break;
    case Attribute::Kind::kString:
      a->set_type(::onnx::AttributeProto::STRING);
      a->set_s(attr.s);
      break;
  }
}

void set_initializer(::onnx::TensorProto* t, const Initializer& init) {
  t->set_name(init.name);
  t->set_data_type(static_cast<int32_t>(init.type));
  for (auto d : init.dims) t->add_dims(d);
  // raw_data: little-endian bytes, the compact form ONNX Runtime and onnx read directly.
  if (init.type == DType::kFloat) {
    t->set_raw_data(std::string(reinterpret_cast<const char*>(init.floats.data()), init.floats.size() * sizeof(float)));
  } else if (init.type == DType::kInt64) {
    t->set_raw_data(std::string(reinterpret_cast<const char*>(init.ints.data()), init.ints.size() * sizeof(int64_t)));
  } else {
    throw std::logic_error("initializer " + init.name + ": only float and int64 initializers are supported");
  }
}

}  // namespace

std::string serialize_model(const Model& model) {
  ::onnx::ModelProto mp;
  mp.set_ir_version(kIrVersion);
  mp.set_producer_name("zhengliu");
  mp.set_producer_version(model.producer_version);
  mp.set_doc_string(model.doc);
  auto* opset = mp.add_opset_import();
  opset->set_domain("");
  opset->set_version(model.opset);
  for (const auto& [k, v] : model.metadata) {
    auto* p = mp.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  auto* g = mp.mutable_graph();
  g->set_name(model.graph_name);
  for (const auto& in : model.inputs) set_type(g->add_input(), in);
  for (const auto& out : model.outputs) set_type(g->add_output(), out);
  for (const auto& init : model.initializers) set_initializer(g->add_initializer(), init);
  for (const auto& n : model.nodes) {
    auto* np = g->add_node();
    np->set_op_type(n.op_type);
    np->set_name(n.name);
    for (const auto& i : n.inputs) np->add_input(i);
    for (const auto& o : n.outputs) np->add_output(o);
    for (const auto& a : n.attributes) set_attribute(np->add_attribute(), a);
  }

  try {
    ::onnx::checker::check_model(mp);
    // The C++ equivalent of onnx.checker.check_model(full_check=True): strict
    // shape inference with type checks; node-level inference errors are thrown.
    ::onnx::ShapeInferenceOptions options(/*check_type=*/true, /*error_mode=*/1, /*data_prop=*/false);
    ::onnx::ModelProto inferred = mp;
    ::onnx::shape_inference::InferShapes(inferred, ::onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the ONNX checker rejected the generated graph: ") + e.what());
  }
  std::string bytes;
  if (!mp.SerializeToString(&bytes)) throw std::runtime_error("could not serialize the ONNX model (over 2 GiB?)");
  return bytes;
}

void write_model(const Model& model, const std::string& path) { write_file_atomic(path, serialize_model(model)); }

}  // namespace zl::onnx_graph
