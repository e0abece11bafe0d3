# Sourced by scripts/gpu_check.sh on a GPU machine that has PyTorch, CMake and
# nvcc but not Debian's -dev packages and no package registry. The caller
# carries Debian's .deb files in .gpu/debs (and .gpu/fallback for runtime
# libraries the machine may lack); this unpacks them into a prefix and points
# pkg-config and CMake at it. Prepare the carry on a Debian 12 machine with:
#   mkdir -p .gpu/debs && (cd .gpu/debs && apt-get download libyaml-cpp-dev libyaml-cpp0.7 \
#     nlohmann-json3-dev libhdf5-dev libhdf5-103-1 libaec0 libsz2 libssl-dev libgtest-dev libgmock-dev libcli11-dev libgloo-dev)
zl_gpu_prefix="${ZL_GPU_PREFIX:-/tmp/zl-gpudeps}"
if [[ -d .gpu/debs ]]; then
  mkdir -p "$zl_gpu_prefix"
  for deb in .gpu/debs/*.deb; do dpkg-deb -x "$deb" "$zl_gpu_prefix" 2>/dev/null || dpkg -x "$deb" "$zl_gpu_prefix"; done
  export PKG_CONFIG_SYSROOT_DIR="$zl_gpu_prefix"
  export PKG_CONFIG_LIBDIR="$zl_gpu_prefix/usr/lib/x86_64-linux-gnu/pkgconfig:$zl_gpu_prefix/usr/share/pkgconfig"
  export ZL_EXTRA_PREFIX="$zl_gpu_prefix/usr"
  # gloo headers (declarations for c10d's ProcessGroupGloo) are included as <gloo/...>.
  export CPATH="$zl_gpu_prefix/usr/include${CPATH:+:$CPATH}"
  export ZL_CMAKE_ARGS="${ZL_CMAKE_ARGS:-} -DZL_WITH_TEXT_TOOLS=OFF -DZL_WITH_ONNX=OFF -DOPENSSL_ROOT_DIR=$zl_gpu_prefix/usr"
  # Runtime libraries libhdf5 needs (libcurl and friends) only where the machine lacks them.
  if ! ldconfig -p | grep -q 'libcurl.so.4' && [[ -d .gpu/fallback ]]; then
    mkdir -p "$zl_gpu_prefix/fallback"
    for deb in .gpu/fallback/*.deb; do dpkg-deb -x "$deb" "$zl_gpu_prefix/fallback"; done
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$zl_gpu_prefix/fallback/usr/lib/x86_64-linux-gnu"
  fi
fi
