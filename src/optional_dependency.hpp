// What a libkws built without an optional dependency (KWS_WITH_SNDFILE / KWS_WITH_SOXR off, as
// the WebAssembly build) says where that dependency would be needed: a status naming the missing
// library, never a crash.
#pragma once

#include <string>

#include "kws/error.hpp"

namespace kws::detail {

// Throws Error(unsupported_format, "<what>: this libkws was built without <library> (<option>=OFF)").
[[noreturn]] inline void throw_not_built_with(const std::string& what, const char* library, const char* option) {
  throw Error(ErrorCode::unsupported_format,
              what + ": this libkws was built without " + library + " (" + option + "=OFF)");
}

}  // namespace kws::detail
