// The vector type the CPU kernels are written on: GCC/Clang vector extensions as wide as the
// target's registers, so one source compiles to AVX-512, AVX or SSE (or NEON) code. Internal.
#pragma once

#include <cstring>

namespace kws::detail {
// Internal linkage: the width follows each file's compile flags, so no two files may share one
// definition of these.
namespace {

// Floats per vector: AVX-512 registers hold 16; otherwise 8 (one AVX register, or two SSE / NEON
// registers the compiler pairs).
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#else
constexpr int kLanes = 8;
#endif
typedef float Vector __attribute__((vector_size(sizeof(float) * kLanes)));

inline Vector load(const float* p) {
  Vector v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}

inline void store(float* p, Vector v) { std::memcpy(p, &v, sizeof v); }

inline Vector relu_vector(Vector v) {
  const Vector zero{};
  return v > zero ? v : zero;
}

}  // namespace
}  // namespace kws::detail
