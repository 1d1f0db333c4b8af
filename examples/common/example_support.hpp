// Small helpers shared by the C++ examples: which model to load, parsing numbers from the command
// line, and JSON text that survives any file name.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "kws/model.hpp"

#ifndef KWS_DEFAULT_MODEL
#define KWS_DEFAULT_MODEL "examples/models/commands_en.kws"
#endif

namespace kws_example {

// The model an example uses: --model, else $KWS_MODEL, else the model bundled with the examples
// (KWS_DEFAULT_MODEL, an absolute path into the source tree set at build time).
inline std::string model_path(const std::string& from_command_line) {
  if (!from_command_line.empty()) return from_command_line;
  const char* env = std::getenv("KWS_MODEL");
  if (env != nullptr && *env != '\0') return env;
  return KWS_DEFAULT_MODEL;
}

// Loads the model, or says clearly which file is missing and how to choose another one (the
// trained default model is a separate artefact, so a checkout may not have it yet). Returns
// nothing after printing the reason.
inline std::optional<kws::Model> load_model(const char* program, const std::string& from_command_line) {
  const std::string path = model_path(from_command_line);
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const char* source = !from_command_line.empty()                                ? "--model"
                         : (std::getenv("KWS_MODEL") && *std::getenv("KWS_MODEL")) ? "$KWS_MODEL"
                                                                                   : "the default model";
    std::fprintf(stderr, "%s: model file %s (%s) does not exist.\n", program, path.c_str(), source);
    if (path == KWS_DEFAULT_MODEL)
      std::fprintf(stderr,
                   "%s: the trained model is not in this checkout; pass --model PATH or set KWS_MODEL, e.g.\n"
                   "  --model tests/model/golden/bcresnet_tau1.kws   (random weights: exercises the pipeline only)\n",
                   program);
    return std::nullopt;
  }
  try {
    return kws::Model::load(path);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", program, error.what());
    return std::nullopt;
  }
}

// Whole-string numeric parsing for options; false for junk, trailing characters or non-finite values.
inline bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) return false;
  out = value;
  return true;
}

inline bool parse_int(const std::string& text, long& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  out = value;
  return true;
}

// A score or a time for JSON: 6 decimals are plenty, and print as such ("0.512551", not the
// float's exact binary value widened to double, "0.5125510096549988").
inline double rounded(double value) { return std::round(value * 1e6) / 1e6; }

// One line of JSON. File names need not be UTF-8; invalid bytes become U+FFFD instead of throwing.
template <class Json>
std::string json_line(const Json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kws_example
