# zl_dist: data-parallel training on c10d (TCPStore, ProcessGroupGloo,
# ProcessGroupNCCL), included from train/CMakeLists.txt. Depends on LibTorch and
# zl_core only; zl_train links it.
#
# LibTorch ships the c10d headers but not the gloo headers ProcessGroupGloo.hpp
# includes; Debian's libgloo-dev provides them (declarations only: everything
# called is implemented inside libtorch_cpu.so, nothing links libgloo).
find_path(ZL_GLOO_INCLUDE_DIR gloo/algorithm.h)
if(NOT ZL_GLOO_INCLUDE_DIR)
  message(FATAL_ERROR "gloo headers not found (gloo/algorithm.h): install libgloo-dev (scripts/setup does)")
endif()
set(ZL_DIST_SOURCES distributed.cpp split_rows.cpp)
# The NCCL backend needs nccl.h: the torch wheel carries it in nvidia/nccl/include.
find_path(ZL_NCCL_INCLUDE_DIR nccl.h HINTS ${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include ${CUDAToolkit_INCLUDE_DIRS}
          /usr/local/cuda/include)
if(TORCH_CUDA_LIBRARIES AND ZL_NCCL_INCLUDE_DIR)
  list(APPEND ZL_DIST_SOURCES distributed_nccl.cpp)
  set(ZL_HAVE_NCCL ON)
else()
  list(APPEND ZL_DIST_SOURCES distributed_nccl_stub.cpp)
  set(ZL_HAVE_NCCL OFF)
endif()
message(STATUS "zl_dist: Gloo headers ${ZL_GLOO_INCLUDE_DIR}; NCCL ${ZL_HAVE_NCCL} (${ZL_NCCL_INCLUDE_DIR})")
add_library(zl_dist STATIC ${ZL_DIST_SOURCES})
target_include_directories(zl_dist PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_include_directories(zl_dist SYSTEM PRIVATE ${ZL_GLOO_INCLUDE_DIR})
target_compile_definitions(zl_dist PRIVATE USE_C10D_GLOO)
if(ZL_HAVE_NCCL)
  target_include_directories(zl_dist SYSTEM PRIVATE ${ZL_NCCL_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
  set_source_files_properties(distributed_nccl.cpp PROPERTIES COMPILE_DEFINITIONS USE_C10D_NCCL)
endif()
target_link_libraries(zl_dist PUBLIC zl_core ${TORCH_LIBRARIES})
target_compile_options(zl_dist PUBLIC ${TORCH_CXX_FLAGS})
set_target_properties(zl_dist PROPERTIES POSITION_INDEPENDENT_CODE ON)

# Multi-process tests: a small worker that trains a toy model through
# GradReducer, and the tests that launch it (2 ranks over Gloo on loopback).
add_executable(zl_dist_worker distributed_worker_testing.cpp)
target_link_libraries(zl_dist_worker PRIVATE zl_dist)
set_target_properties(zl_dist_worker PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
zl_add_test(zl_dist_test
  SOURCES distributed_test.cpp split_rows_test.cpp
  LIBS zl_dist)
zl_add_test(zl_dist_multiprocess_test
  SOURCES distributed_multiprocess_test.cpp
  LIBS zl_dist
  LABELS slow)
if(TARGET zl_dist_multiprocess_test)
  target_compile_definitions(zl_dist_multiprocess_test PRIVATE ZL_DIST_WORKER="$<TARGET_FILE:zl_dist_worker>")
  add_dependencies(zl_dist_multiprocess_test zl_dist_worker)
endif()

# The Trainer's side (after train-core's targets exist): zl_train gets the
# prefetching step loader and links zl_dist, without touching its source list.
if(TARGET zl_train)
  target_sources(zl_train PRIVATE step_loader.cpp)
  target_link_libraries(zl_train PUBLIC zl_dist)
endif()
if(TARGET zl_train_testing)
  zl_add_test(zl_step_loader_test
    SOURCES step_loader_test.cpp
    LIBS zl_train_testing)
endif()
if(TARGET zl_train_testing AND TARGET kd-train)
  # `kd train --nproc 2` against one process, and resume on another world size.
  zl_add_test(zl_distributed_training_test
    SOURCES distributed_training_test.cpp
    LIBS zl_train_testing
    LABELS slow)
  if(TARGET zl_distributed_training_test)
    target_compile_definitions(zl_distributed_training_test PRIVATE ZL_KD_TRAIN="$<TARGET_FILE:kd-train>")
    add_dependencies(zl_distributed_training_test kd-train)
    if(TARGET kd-distill AND TARGET kd-teacher)
      # Data-parallel kd distill: --nproc 2 and torchrun (the torch wheel's, when ZL_PYTHON has one).
      target_compile_definitions(zl_distributed_training_test PRIVATE
        ZL_KD_DISTILL="$<TARGET_FILE:kd-distill>" ZL_KD_TEACHER="$<TARGET_FILE:kd-teacher>"
        ZL_PYTHON_EXE="${ZL_PYTHON}")
      add_dependencies(zl_distributed_training_test kd-distill kd-teacher)
    endif()
  endif()
endif()
if(TARGET zl_train)
  # Training throughput / MFU benchmark (scripts/gpu_check.sh, docs/benchmarks-distributed.md).
  add_executable(zl_train_bench train_bench_main.cpp)
  target_link_libraries(zl_train_bench PRIVATE zl_train)
endif()
if(TARGET zl_train_testing)
  zl_add_test(zl_distributed_cuda_test
    SOURCES distributed_cuda_test.cpp
    LIBS zl_train_testing
    LABELS cuda)
  if(TARGET zl_distributed_cuda_test AND ZL_HAVE_NCCL)
    target_include_directories(zl_distributed_cuda_test SYSTEM PRIVATE ${ZL_NCCL_INCLUDE_DIR})
  endif()
endif()
