// The backend registry's internal half: which Kernels a Backend stands for in this build. The
// public half (names, availability, the fastest backend, the compiled ISA) is declared in
// include/kws/engine.hpp and defined beside this in backends.cpp.
#pragma once

#include <memory>

#include "engine/kernels.hpp"
#include "kws/engine.hpp"

namespace kws::detail {

// Throws InvalidArgument when this build of libkws lacks `backend`.
void require_backend(Backend backend);

// A fresh Kernels instance of `backend` (one per Engine lane); throws as require_backend does.
std::unique_ptr<Kernels> make_kernels(Backend backend);

}  // namespace kws::detail
