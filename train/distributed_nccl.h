// The NCCL backend, in its own translation unit: ProcessGroupNCCL.hpp needs the
// CUDA and NCCL headers (compiled with USE_C10D_NCCL); a LibTorch without CUDA
// builds distributed_nccl_stub.cpp instead.
#pragma once

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

namespace zl::dist {

// Creates a ProcessGroupNCCL on the current CUDA device (set by the caller from LOCAL_RANK).
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int world_size, std::chrono::milliseconds timeout);

}  // namespace zl::dist
