// Built instead of distributed_nccl.cpp when LibTorch has no CUDA (no NCCL).
#include "distributed.h"
#include "distributed_nccl.h"

namespace zl::dist {

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                                    std::chrono::milliseconds) {
  throw DistributedError("this build's LibTorch has no CUDA/NCCL: multi-GPU training is unavailable");
}

}  // namespace zl::dist
