#include "host_read_counter.h"

#include <cstring>
#include <stdexcept>

namespace zl::testing {

namespace {
// RecordFunction takes a plain function pointer: the active counter is a global (one at a time).
std::atomic<HostReadCounter::Counts*> g_counts{nullptr};

bool on_device(const c10::IValue& v) { return v.isTensor() && v.toTensor().defined() && !v.toTensor().is_cpu(); }

std::unique_ptr<at::ObserverContext> observe(const at::RecordFunction& fn) {
  HostReadCounter::Counts* c = g_counts.load();
  if (!c) return nullptr;
  const char* name = fn.name();
  if (std::strcmp(name, "aten::_local_scalar_dense") == 0) {
    ++c->scalar_reads;
    auto in = fn.inputs();
    if (!in.empty() && on_device(in[0])) ++c->device_scalar_reads;
  } else if (std::strcmp(name, "aten::copy_") == 0) {
    auto in = fn.inputs();  // (self = destination, src, non_blocking)
    if (in.size() >= 2 && in[0].isTensor() && in[0].toTensor().is_cpu() && on_device(in[1])) ++c->device_to_host_copies;
  } else if (std::strcmp(name, "aten::nonzero") == 0 || std::strcmp(name, "aten::masked_select") == 0 ||
             std::strcmp(name, "aten::is_nonzero") == 0) {
    auto in = fn.inputs();
    if (!in.empty() && on_device(in[0])) ++c->device_data_dependent;
  }
  return nullptr;
}
}  // namespace

HostReadCounter::HostReadCounter() : counts_(std::make_shared<Counts>()) {
  Counts* expected = nullptr;
  if (!g_counts.compare_exchange_strong(expected, counts_.get()))
    throw std::logic_error("HostReadCounter: only one may be active at a time");
  handle_ = at::addThreadLocalCallback(
      at::RecordFunctionCallback(&observe).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
}

HostReadCounter::~HostReadCounter() {
  at::removeCallback(handle_);
  g_counts.store(nullptr);
}

void HostReadCounter::reset() {
  counts_->scalar_reads = 0;
  counts_->device_scalar_reads = 0;
  counts_->device_to_host_copies = 0;
  counts_->device_data_dependent = 0;
}

}  // namespace zl::testing
