// The backend registry: names, what this build contains, the default, and the Kernels behind
// each Backend. Adding a backend is an edit here and a kernels_*.cpp.
#include "engine/backends.hpp"

#include <string>

#include "kws/error.hpp"

namespace kws {

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::reference: return "reference";
    case Backend::eigen: return "eigen";
    case Backend::onednn: return "onednn";
  }
  return "unknown";
}

Backend parse_backend(const std::string& name) {
  for (Backend b : {Backend::reference, Backend::eigen, Backend::onednn})
    if (name == backend_name(b)) return b;
  throw InvalidArgument("unknown backend \"" + name + "\" (expected reference, eigen or onednn)");
}

bool backend_available(Backend backend) {
  switch (backend) {
    case Backend::reference: return true;
#ifdef KWS_HAVE_EIGEN
    case Backend::eigen: return true;
#endif
#ifdef KWS_HAVE_ONEDNN
    case Backend::onednn: return true;
#endif
    default: return false;
  }
}

// Measured (batch 1, 101 frames, 1 thread, fastest of 200 runs, 2-core AVX-512 development
// machine, KWS_NATIVE): eigen 0.34 ms vs onednn 0.45 ms at tau 1, 3.95 ms vs 6.2 ms at tau 8;
// kws-bench engine medians agree (0.36 vs 0.90 ms, 8.4 vs 12.1 ms on a busy machine). oneDNN
// pays per primitive call (three per depthwise layer with the NHWC reorders) on layers this
// small, so eigen stays the default whenever it is built.
Backend fastest_backend() {
  return backend_available(Backend::eigen) ? Backend::eigen : Backend::reference;
}

const char* compiled_isa() {
  return ""
#if defined(__AVX512F__)
         "avx512f "
#endif
#if defined(__AVX2__)
         "avx2 "
#endif
#if defined(__FMA__)
         "fma "
#endif
#if defined(__ARM_NEON)
         "neon "
#endif
#if defined(__ARM_FEATURE_SVE)
         "sve "
#endif
#if defined(__wasm_simd128__)
         "simd128 "  // WebAssembly SIMD: 4 floats per vector (vector.hpp)
#endif
#if !defined(__AVX2__) && !defined(__ARM_NEON) && !defined(__wasm_simd128__)
         "baseline "
#endif
      ;
}

namespace detail {

void require_backend(Backend backend) {
  if (!backend_available(backend))
    throw InvalidArgument(std::string("backend ") + backend_name(backend) + " is not built into this libkws");
}

std::unique_ptr<Kernels> make_kernels(Backend backend) {
  require_backend(backend);
  switch (backend) {
    case Backend::reference: return make_reference_kernels();
#ifdef KWS_HAVE_EIGEN
    case Backend::eigen: return make_eigen_kernels();
#endif
#ifdef KWS_HAVE_ONEDNN
    case Backend::onednn: return make_onednn_kernels();
#endif
    default: break;
  }
  // backend_available() and this switch disagree: a backend was added to one and not the other.
  throw Error(ErrorCode::internal, std::string("no kernels for backend ") + backend_name(backend));
}

}  // namespace detail

}  // namespace kws
