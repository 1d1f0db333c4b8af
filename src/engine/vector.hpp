// The vector type the CPU kernels are written on: GCC/Clang vector extensions as wide as the
// target's registers, so one source compiles to AVX-512, AVX, SSE or NEON code (AArch64: 4 floats
// in each of 32 registers). Internal.
#pragma once

#include <cstring>

namespace kws::detail {
// Internal linkage: the width follows each file's compile flags, so no two files may share one
// definition of these.
namespace {

// Floats per vector: one register of the widest kind the target has (AVX-512: 16, AVX: 8,
// SSE or NEON: 4). Wider than the registers would split every vector and change the ABI of
// these functions.
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef float Vector __attribute__((vector_size(sizeof(float) * kLanes)));

// Vector registers the compiler can allocate: AVX-512 and AArch64 (NEON) have 32, AVX and SSE
// 16. Register tiles are sized by it.
#if defined(__AVX512F__) || defined(__aarch64__)
constexpr int kVectorRegisters = 32;
#else
constexpr int kVectorRegisters = 16;
#endif

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
