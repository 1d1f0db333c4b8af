// Replaces the global operator new/delete with counting versions, and (outside sanitizer builds,
// whose runtimes own malloc) interposes malloc/calloc/realloc too, so that allocations made by C
// libraries underneath libkws (libsoxr, libsndfile) count as well. For tests that prove a code
// path allocates nothing. Include it in exactly one source file of a test executable of its own.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace kws::test {
inline std::atomic<std::size_t> allocations{0};
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* malloc(std::size_t size) {
  kws::test::allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  kws::test::allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) {
  kws::test::allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
}
#endif

void* operator new(std::size_t size) {
  kws::test::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
