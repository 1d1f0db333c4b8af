// FeatureConfig <-> JSON: the one representation shared by model files, the Python tooling and
// the golden fixtures.
#include <nlohmann/json.hpp>

#include "kws/error.hpp"
#include "kws/features.hpp"

namespace kws {

namespace {

using nlohmann::json;

template <class Enum>
struct EnumNames;
template <>
struct EnumNames<Window> {
  static constexpr const char* names[] = {"hann", "hamming"};
};
template <>
struct EnumNames<PadMode> {
  static constexpr const char* names[] = {"reflect", "constant"};
};
template <>
struct EnumNames<MelScale> {
  static constexpr const char* names[] = {"htk", "slaney"};
};
template <>
struct EnumNames<MelNorm> {
  static constexpr const char* names[] = {"none", "slaney"};
};
template <>
struct EnumNames<LogMode> {
  static constexpr const char* names[] = {"natural", "decibel"};
};
template <>
struct EnumNames<FeatureKind> {
  static constexpr const char* names[] = {"log_mel", "mfcc"};
};

template <class Enum>
const char* enum_name(Enum value) {
  return EnumNames<Enum>::names[int(value)];
}

template <class Enum>
Enum parse_enum(const json& value, const char* key) {
  if (!value.is_string()) throw InvalidArgument(std::string("feature config: ") + key + " must be a string");
  const auto& names = EnumNames<Enum>::names;
  std::string accepted;
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (value.get<std::string>() == names[i]) return Enum(i);
    accepted += std::string(i ? ", " : "") + names[i];
  }
  throw InvalidArgument(std::string("feature config: ") + key + " = \"" + value.get<std::string>() +
                        "\" is not one of " + accepted);
}

int parse_int(const json& value, const char* key) {
  if (!value.is_number_integer() || value.get<long long>() < INT32_MIN || value.get<long long>() > INT32_MAX)
    throw InvalidArgument(std::string("feature config: ") + key + " must be an integer");
  return value.get<int>();
}

float parse_float(const json& value, const char* key) {
  if (!value.is_number()) throw InvalidArgument(std::string("feature config: ") + key + " must be a number");
  return value.get<float>();
}

// The double nearest the shortest decimal that reads back as `value`, so that 1e-6f is written
// as 1e-06 rather than its exact binary value 9.999999974752427e-07 (configs round-trip, and
// read like the torchaudio arguments they came from).
json shortest(float value) {
  char text[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, double(value));
    if (std::strtof(text, nullptr) == value) break;
  }
  return std::strtod(text, nullptr);
}

}  // namespace

std::string FeatureConfig::to_json() const {
  json out = {
      {"sample_rate", sample_rate}, {"n_fft", n_fft}, {"win_length", win_length},
      {"hop_length", hop_length},   {"window", enum_name(window)}, {"center", center},
      {"pad_mode", enum_name(pad_mode)}, {"power", shortest(power)}, {"n_mels", n_mels},
      {"f_min", shortest(f_min)},             {"f_max", shortest(f_max)}, {"mel_scale", enum_name(mel_scale)},
      {"mel_norm", enum_name(mel_norm)}, {"log", enum_name(log)}, {"log_offset", shortest(log_offset)},
      {"top_db", top_db ? shortest(*top_db) : json(nullptr)}, {"kind", enum_name(kind)},
      {"n_mfcc", n_mfcc},
  };
  return out.dump();
}

FeatureConfig FeatureConfig::from_json(const std::string& text) {
  json in;
  try {
    in = json::parse(text);
  } catch (const json::exception& error) {
    throw InvalidArgument(std::string("feature config: not valid JSON: ") + error.what());
  }
  if (!in.is_object()) throw InvalidArgument("feature config: expected a JSON object");
  FeatureConfig config;
  for (const auto& [key, value] : in.items()) {
    const char* k = key.c_str();
    if (key == "sample_rate") config.sample_rate = parse_int(value, k);
    else if (key == "n_fft") config.n_fft = parse_int(value, k);
    else if (key == "win_length") config.win_length = parse_int(value, k);
    else if (key == "hop_length") config.hop_length = parse_int(value, k);
    else if (key == "window") config.window = parse_enum<Window>(value, k);
    else if (key == "center") {
      if (!value.is_boolean()) throw InvalidArgument("feature config: center must be true or false");
      config.center = value.get<bool>();
    } else if (key == "pad_mode") config.pad_mode = parse_enum<PadMode>(value, k);
    else if (key == "power") config.power = parse_float(value, k);
    else if (key == "n_mels") config.n_mels = parse_int(value, k);
    else if (key == "f_min") config.f_min = parse_float(value, k);
    else if (key == "f_max") config.f_max = parse_float(value, k);
    else if (key == "mel_scale") config.mel_scale = parse_enum<MelScale>(value, k);
    else if (key == "mel_norm") config.mel_norm = parse_enum<MelNorm>(value, k);
    else if (key == "log") config.log = parse_enum<LogMode>(value, k);
    else if (key == "log_offset") config.log_offset = parse_float(value, k);
    else if (key == "top_db") config.top_db = value.is_null() ? std::optional<float>() : parse_float(value, k);
    else if (key == "kind") config.kind = parse_enum<FeatureKind>(value, k);
    else if (key == "n_mfcc") config.n_mfcc = parse_int(value, k);
    else throw InvalidArgument("feature config: unknown key \"" + key + "\"");
  }
  config.validate();
  return config;
}

}  // namespace kws
