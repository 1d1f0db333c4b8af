// libkws error model.
//
// Every failure in the C++ API is reported by throwing kws::Error (or a subclass), carrying a
// stable ErrorCode that the C API maps one-to-one onto its status values, and a message meant
// for a human: what was wrong and, where it helps, what would be accepted.
#pragma once

#include <stdexcept>
#include <string>

namespace kws {

// Pinned values: the C API's kws_status mirrors them, so never renumber.
enum class ErrorCode : int {
  invalid_argument = 1,  // a parameter out of range or inconsistent with another
  io = 2,                // a file could not be opened, read or written
  unsupported_format = 3,// well-formed input in a format or variant libkws does not handle
  corrupt_data = 4,      // malformed input: truncated, wrong magic, inconsistent sizes
  out_of_memory = 5,
  internal = 6,          // a bug in libkws; please report it
  buffer_too_small = 7,  // an output buffer is smaller than the result (the C API reports the sizes)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& message) : Error(ErrorCode::invalid_argument, message) {}
};

// Raised for problems with an input file or buffer (audio or model); code() tells which kind.
class FileError : public Error {
 public:
  FileError(ErrorCode code, const std::string& message) : Error(code, message) {}
};

}  // namespace kws
