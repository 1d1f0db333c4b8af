// Model file reader: validates the whole file, then copies the tensors into one float block.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "kws/error.hpp"
#include "kws/model.hpp"
#include "model/architecture.hpp"

namespace kws {

namespace {
using json = nlohmann::ordered_json;  // keeps the file order of tensors

// A corrupt length field must not make us parse (or allocate for) gigabytes of "JSON".
constexpr std::uint64_t kMaxHeaderBytes = 16u << 20;
// The largest BC-ResNet (tau 8) is about 2.5 MB; a path to /dev/zero must not grow without end.
constexpr std::uint64_t kMaxModelFileBytes = 64u << 20;
// 60 s of 10 ms frames: a window longer than a minute is a corrupt field, and the engine's
// buffers (and every evaluation's cost) grow with it.
constexpr int kMaxInputFrames = 6001;
// Trained BC-ResNet values stay far below this (the bundled models: under 100); a value near
// FLT_MAX overflows to Inf in the first convolution, and the posteriors become NaN.
constexpr float kMaxWeightMagnitude = 1e6f;

[[noreturn]] void corrupt(const std::string& message) { throw FileError(ErrorCode::corrupt_data, message); }
[[noreturn]] void unsupported(const std::string& message) {
  throw FileError(ErrorCode::unsupported_format, message);
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 5) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

std::string shape_string(const std::vector<int>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// A positive decimal integer metadata value (no sign, no spaces, fits an int).
int parse_positive_int(const std::string& key, const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  const int value = digits ? std::atoi(text.c_str()) : 0;
  if (value < 1) corrupt("metadata " + key + " must be a positive decimal integer, got \"" + text + "\"");
  return value;
}

}  // namespace

namespace detail {
struct ModelData {
  std::string architecture;
  bool ctc = false;
  PhonemizerSpec phonemizer;
  float tau = 0.0f;
  int num_classes = 0;
  std::vector<std::string> labels;
  FeatureConfig feature_config;
  int input_frames = 0;
  float bn_eps = 0.0f;
  std::map<std::string, float> thresholds;
  std::string description;

  struct Entry {
    std::size_t offset;  // in floats, into weights
    std::vector<int> shape;
  };
  std::vector<std::string> names;  // file order
  std::unordered_map<std::string, Entry> tensors;
  std::vector<float> weights;
};
}  // namespace detail

Model::Model(std::shared_ptr<const detail::ModelData> impl) : impl_(std::move(impl)) {}

namespace {

// The CTC rules (MODEL_FORMAT.md, version 2): labels[0] is the blank, the others are phoneme
// tokens the keyword search matches exactly, and the phonemizer says how text becomes them.
void parse_ctc_metadata(const std::string& phonemizer, detail::ModelData& model) {
  if (model.labels.size() < 2 || model.labels[0] != detail::kBlankLabel)
    corrupt(std::string("a CTC model's first label must be the blank \"") + detail::kBlankLabel +
            "\", followed by at least one token");
  for (std::size_t i = 1; i < model.labels.size(); ++i) {
    const std::string& token = model.labels[i];
    if (std::any_of(token.begin(), token.end(), [](unsigned char ch) { return std::isspace(ch) != 0; }))
      corrupt("CTC token \"" + token + "\" contains whitespace (tokens are separated by spaces in keywords)");
  }
  json spec;
  try {
    spec = json::parse(phonemizer);
  } catch (const json::exception& error) {
    corrupt(std::string("metadata phonemizer is not valid JSON: ") + error.what());
  }
  if (!spec.is_object()) corrupt("metadata phonemizer must be a JSON object");
  auto field = [&](const char* key) {
    const auto it = spec.find(key);
    if (it == spec.end() || !it->is_string() || it->get<std::string>().empty())
      corrupt(std::string("metadata phonemizer needs a non-empty string \"") + key + "\"");
    return it->get<std::string>();
  };
  model.phonemizer.engine = field("engine");
  model.phonemizer.voice = field("voice");
  model.phonemizer.notation = field("notation");
}

void parse_metadata(const json& header, detail::ModelData& model) {
  const auto found = header.find("__metadata__");
  if (found == header.end()) corrupt("header has no __metadata__ (not a libkws model file)");
  const json& meta = *found;
  if (!meta.is_object()) corrupt("__metadata__ must be a JSON object");
  for (const auto& [key, value] : meta.items())
    if (!value.is_string()) corrupt("metadata " + key + " must be a string");
  auto get = [&](const char* key) -> std::string {
    const auto it = meta.find(key);
    if (it == meta.end()) corrupt(std::string("metadata lacks required key ") + key);
    return it->get<std::string>();
  };

  // Identity first: a file of another format or a newer version gets a clear "unsupported".
  if (const std::string format = get("format"); format != "libkws")
    unsupported("format \"" + format + "\" is not a libkws model file (expected \"libkws\")");
  const std::string version = get("format_version");
  if (version != "1" && version != "2")
    unsupported("format_version \"" + version + "\" is not supported (this libkws reads versions 1 and 2)");
  model.architecture = get("architecture");
  if (model.architecture != detail::kClassifierArchitecture && model.architecture != detail::kCtcArchitecture)
    unsupported("architecture \"" + model.architecture + "\" is not supported (expected \"" +
                detail::kClassifierArchitecture + "\" or \"" + detail::kCtcArchitecture + "\")");
  model.ctc = model.architecture == detail::kCtcArchitecture;
  // Version 1 readers know only classifiers, so a CTC model must say it needs version 2.
  if (model.ctc && version != "2")
    corrupt("architecture \"" + model.architecture + "\" needs format_version \"2\", got \"" + version + "\"");

  const std::string tau = get("tau");
  const auto known = std::find_if(detail::kTauNames.begin(), detail::kTauNames.end(),
                                  [&](const char* name) { return tau == name; });
  if (known == detail::kTauNames.end())
    unsupported("tau \"" + tau + "\" is not a supported BC-ResNet width (1, 1.5, 2, 3, 6, 8)");
  model.tau = std::strtof(tau.c_str(), nullptr);

  model.num_classes = parse_positive_int("num_classes", get("num_classes"));

  json labels;
  try {
    labels = json::parse(get("labels"));
  } catch (const json::exception& error) {
    corrupt(std::string("metadata labels is not valid JSON: ") + error.what());
  }
  if (!labels.is_array()) corrupt("metadata labels must be a JSON list of strings");
  std::set<std::string> seen;
  for (const json& label : labels) {
    if (!label.is_string() || label.get<std::string>().empty())
      corrupt("metadata labels must be a JSON list of non-empty strings");
    if (!seen.insert(label.get<std::string>()).second)
      corrupt("metadata labels has the duplicate \"" + label.get<std::string>() + "\"");
    model.labels.push_back(label.get<std::string>());
  }
  if (int(model.labels.size()) != model.num_classes)
    corrupt("metadata has " + std::to_string(model.labels.size()) + " labels but num_classes is " +
            std::to_string(model.num_classes));

  try {
    model.feature_config = FeatureConfig::from_json(get("feature_config"));
  } catch (const InvalidArgument& error) {
    corrupt(std::string("metadata feature_config: ") + error.what());
  }
  if (model.feature_config.bins() != detail::kInputRows)
    corrupt("BC-ResNet takes " + std::to_string(detail::kInputRows) + " feature rows, but feature_config gives " +
            std::to_string(model.feature_config.bins()));

  model.input_frames = parse_positive_int("input_frames", get("input_frames"));
  if (model.input_frames > kMaxInputFrames)
    corrupt("metadata input_frames " + std::to_string(model.input_frames) + " exceeds the limit of " +
            std::to_string(kMaxInputFrames) + " frames (60 s)");

  const std::string eps = get("bn_eps");
  char* end = nullptr;
  const double eps_value = std::strtod(eps.c_str(), &end);
  if (eps.empty() || *end != '\0' || !std::isfinite(eps_value) || eps_value <= 0.0 || eps_value > 1.0)
    corrupt("metadata bn_eps must be a small positive number, got \"" + eps + "\"");
  model.bn_eps = float(eps_value);

  if (model.ctc) parse_ctc_metadata(get("phonemizer"), model);

  if (meta.contains("thresholds")) {
    if (model.ctc) corrupt("metadata thresholds is for classifiers; a CTC model's keywords bring their own");
    json thresholds;
    try {
      thresholds = json::parse(get("thresholds"));
    } catch (const json::exception& error) {
      corrupt(std::string("metadata thresholds is not valid JSON: ") + error.what());
    }
    if (!thresholds.is_object()) corrupt("metadata thresholds must be a JSON object label -> number");
    for (const auto& [label, value] : thresholds.items()) {
      if (!seen.count(label)) corrupt("metadata thresholds names the unknown label \"" + label + "\"");
      // A posterior is in [0, 1]: a threshold outside would silently never (or always) fire.
      if (!value.is_number() || !(value.get<double>() >= 0.0 && value.get<double>() <= 1.0))
        corrupt("metadata threshold of \"" + label + "\" must be a number in [0, 1], got " + value.dump());
      model.thresholds[label] = value.get<float>();
    }
  }
  if (meta.contains("description")) model.description = get("description");
}

struct Span {
  std::uint64_t begin, end;
  const std::string* name;
};

std::shared_ptr<detail::ModelData> parse(const unsigned char* bytes, std::size_t size) {
  static_assert(std::numeric_limits<float>::is_iec559, "libkws needs IEEE 754 floats");
  {
    const std::uint32_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    if (first != 1) throw Error(ErrorCode::internal, "libkws model files need a little-endian host");
  }
  if (size < 8) corrupt("file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = header_length << 8 | bytes[i];
  if (header_length > size - 8)
    corrupt("header length " + std::to_string(header_length) + " extends past the end of the " +
            std::to_string(size) + "-byte file (truncated?)");
  if (header_length > kMaxHeaderBytes)
    corrupt("header length " + std::to_string(header_length) + " exceeds the " + std::to_string(kMaxHeaderBytes) +
            "-byte limit");

  json header;
  try {
    header = json::parse(bytes + 8, bytes + 8 + header_length);  // also rejects invalid UTF-8
  } catch (const json::exception& error) {
    corrupt(std::string("header is not valid JSON: ") + error.what());
  }
  if (!header.is_object()) corrupt("header must be a JSON object");

  auto model = std::make_shared<detail::ModelData>();
  parse_metadata(header, *model);

  const unsigned char* data = bytes + 8 + header_length;
  const std::uint64_t data_size = size - 8 - header_length;
  std::vector<Span> spans;
  std::uint64_t total_floats = 0;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = "tensor " + name + ": ";
    if (!entry.is_object() || entry.size() != 3 || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      corrupt(where + "entry must have exactly dtype, shape and data_offsets");
    const json& dtype = entry["dtype"];
    if (!dtype.is_string()) corrupt(where + "dtype must be a string");
    if (dtype.get<std::string>() != "F32")
      unsupported(where + "dtype " + dtype.get<std::string>() + " is not supported (only F32)");
    const json& shape = entry["shape"];
    if (!shape.is_array()) corrupt(where + "shape must be a list of positive integers");
    std::vector<int> dims;
    std::uint64_t count = 1;
    for (const json& d : shape) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > (1 << 30))
        corrupt(where + "shape must be a list of positive integers, got " + shape.dump());
      const auto dim = d.get<std::uint64_t>();
      if (count > (std::uint64_t(1) << 40) / dim) corrupt(where + "shape " + shape.dump() + " is absurdly large");
      count *= dim;
      dims.push_back(int(dim));
    }
    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      corrupt(where + "data_offsets must be [begin, end], non-negative integers");
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    if (begin > end || end > data_size)
      corrupt(where + "data_offsets " + offsets.dump() + " extend past the " + std::to_string(data_size) +
              "-byte data section (truncated?)");
    if (end - begin != count * 4)
      corrupt(where + "data_offsets " + offsets.dump() + " span " + std::to_string(end - begin) +
              " bytes, but shape " + shape.dump() + " needs " + std::to_string(count * 4));
    model->names.push_back(name);
    model->tensors[name] = {std::size_t(total_floats), std::move(dims)};
    total_floats += count;
  }
  for (const std::string& name : model->names) {
    const auto& offsets = header[name]["data_offsets"];
    spans.push_back({offsets[0].get<std::uint64_t>(), offsets[1].get<std::uint64_t>(), &name});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      corrupt("tensor data ranges overlap: " + *spans[i - 1].name + " and " + *spans[i].name);
  const std::uint64_t data_end = spans.empty() ? 0 : spans.back().end;
  if (data_end != data_size)
    corrupt("data section is " + std::to_string(data_size) + " bytes but the tensors end at " +
            std::to_string(data_end) + " (trailing bytes)");

  // The exact tensor set of the declared architecture, with the exact shapes.
  const std::vector<detail::TensorSpec> expected = detail::bcresnet_tensors(model->tau, model->num_classes);
  std::vector<std::string> missing, unknown, wrong;
  std::set<std::string> expected_names;
  for (const detail::TensorSpec& spec : expected) {
    expected_names.insert(spec.name);
    const auto it = model->tensors.find(spec.name);
    if (it == model->tensors.end())
      missing.push_back(spec.name);
    else if (it->second.shape != spec.shape)
      wrong.push_back(spec.name + " " + shape_string(it->second.shape) + " (expected " + shape_string(spec.shape) + ")");
  }
  for (const std::string& name : model->names)
    if (!expected_names.count(name)) unknown.push_back(name);
  if (!missing.empty() || !unknown.empty() || !wrong.empty()) {
    std::string problems;
    if (!missing.empty()) problems += "missing tensors " + list_names(missing);
    if (!unknown.empty()) problems += std::string(problems.empty() ? "" : "; ") + "unknown tensors " + list_names(unknown);
    if (!wrong.empty()) problems += std::string(problems.empty() ? "" : "; ") + "wrong shapes: " + list_names(wrong);
    corrupt("tensors do not match BC-ResNet tau=" + header["__metadata__"]["tau"].get<std::string>() + " with " +
            std::to_string(model->num_classes) + " classes: " + problems);
  }

  // Only now touch the data: copy (the buffer need not be aligned) and check finiteness.
  model->weights.resize(std::size_t(total_floats));
  for (const std::string& name : model->names) {
    const auto& offsets = header[name]["data_offsets"];
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    float* out = model->weights.data() + model->tensors[name].offset;
    std::memcpy(out, data + begin, std::size_t(end - begin));
    const bool variance = name.size() > 12 && name.compare(name.size() - 12, 12, ".running_var") == 0;
    for (std::size_t i = 0; i < (end - begin) / 4; ++i) {
      if (!std::isfinite(out[i])) corrupt("tensor " + name + " has a non-finite value (NaN or Inf) at index " +
                                          std::to_string(i));
      if (std::fabs(out[i]) > kMaxWeightMagnitude)
        corrupt("tensor " + name + " has the value " + std::to_string(out[i]) + " at index " + std::to_string(i) +
                ", beyond the +-1e6 a trained model holds");
      if (variance && out[i] < 0.0f)
        corrupt("tensor " + name + " has a negative variance at index " + std::to_string(i));
    }
  }
  return model;
}

}  // namespace

Model Model::load(const void* data, std::size_t size) {
  if (data == nullptr && size != 0) throw InvalidArgument("Model::load: null buffer");
  return Model(parse(static_cast<const unsigned char*>(data), size));
}

Model Model::load(const std::string& path) {
  std::error_code status;
  if (std::filesystem::is_directory(path, status))
    throw FileError(ErrorCode::io, path + ": is a directory, not a model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(ErrorCode::io, path + ": cannot open: " + std::strerror(errno));
  // Read in pieces up to the cap: the size of a FIFO or a device is not known in advance.
  std::vector<char> blob;
  char piece[1 << 16];
  while (in.read(piece, sizeof piece) || in.gcount() > 0) {
    blob.insert(blob.end(), piece, piece + in.gcount());
    if (blob.size() > kMaxModelFileBytes)
      throw FileError(ErrorCode::corrupt_data, path + ": larger than the " + std::to_string(kMaxModelFileBytes >> 20) +
                                                   " MiB a model file may be");
  }
  if (in.bad()) throw FileError(ErrorCode::io, path + ": read failed");
  try {
    return Model(parse(reinterpret_cast<const unsigned char*>(blob.data()), blob.size()));
  } catch (const FileError& error) {
    throw FileError(error.code(), path + ": " + error.what());
  }
}

const std::string& Model::architecture() const { return impl_->architecture; }
bool Model::is_ctc() const { return impl_->ctc; }
const PhonemizerSpec& Model::phonemizer() const { return impl_->phonemizer; }
float Model::tau() const { return impl_->tau; }
int Model::num_classes() const { return impl_->num_classes; }
const std::vector<std::string>& Model::labels() const { return impl_->labels; }
const FeatureConfig& Model::feature_config() const { return impl_->feature_config; }
int Model::input_frames() const { return impl_->input_frames; }
float Model::bn_eps() const { return impl_->bn_eps; }
const std::map<std::string, float>& Model::thresholds() const { return impl_->thresholds; }
const std::string& Model::description() const { return impl_->description; }
std::vector<std::string> Model::tensor_names() const { return impl_->names; }
bool Model::has_tensor(const std::string& name) const { return impl_->tensors.count(name) != 0; }

TensorView Model::tensor(const std::string& name) const {
  const auto it = impl_->tensors.find(name);
  if (it == impl_->tensors.end()) throw InvalidArgument("model has no tensor \"" + name + "\"");
  return {impl_->weights.data() + it->second.offset, it->second.shape};
}

}  // namespace kws
