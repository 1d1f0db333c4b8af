// Replaces the global operator new/delete with counting versions, for tests that prove a code
// path allocates nothing. Include it in exactly one source file of a test executable of its own.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace kws::test {
inline std::atomic<std::size_t> allocations{0};
}

void* operator new(std::size_t size) {
  kws::test::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
