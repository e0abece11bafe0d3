// Counts the operators that make the host wait for a tensor's value, through
// LibTorch's operator observer (RecordFunction), for tests of "no host sync per
// step": scalar reads (.item(), aten::_local_scalar_dense), copies into host
// memory from a device, and operators whose output size depends on device data
// (nonzero, masked_select: boolean indexing). On CPU nothing waits, but the same
// calls are counted (host_reads), so a CPU test pins down what a step reads.
// Observes the constructing thread and the autograd threads it starts; not the
// StepLoader's producer thread (which only copies host -> device).
#pragma once

#include <ATen/record_function.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace zl::testing {

class HostReadCounter {
 public:
  HostReadCounter();   // starts counting on this thread
  ~HostReadCounter();  // stops
  HostReadCounter(const HostReadCounter&) = delete;
  HostReadCounter& operator=(const HostReadCounter&) = delete;

  int64_t host_reads() const { return counts_->scalar_reads.load(); }    // .item() on any device
  int64_t device_to_host() const {                                        // waits for a device: the syncs
    return counts_->device_scalar_reads.load() + counts_->device_to_host_copies.load() +
           counts_->device_data_dependent.load();
  }
  void reset();

  struct Counts {
    std::atomic<int64_t> scalar_reads{0}, device_scalar_reads{0}, device_to_host_copies{0}, device_data_dependent{0};
  };

 private:
  std::shared_ptr<Counts> counts_;
  at::CallbackHandle handle_;
};

}  // namespace zl::testing
