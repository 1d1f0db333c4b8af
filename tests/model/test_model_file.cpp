// Model file loader: the golden files load with the right metadata, and every kind of hostile
// file (built here by editing a good one in memory) is refused with the right code and message.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kws/classifier.hpp"
#include "kws/detector.hpp"
#include "kws/engine.hpp"
#include "kws/event_policy.hpp"
#include "kws/error.hpp"
#include "kws/model.hpp"
#include "test_support.hpp"

namespace {

using Json = nlohmann::ordered_json;

std::string golden_path(const std::string& name) { return (kws::test::source_dir() / "model" / "golden" / name).string(); }

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A model file split into its JSON header and data section, and put back together.
struct Parts {
  Json header;
  std::vector<unsigned char> data;
};

Parts split(const std::vector<unsigned char>& blob) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | blob[std::size_t(i)];
  Parts parts;
  parts.header = Json::parse(blob.begin() + 8, blob.begin() + 8 + std::ptrdiff_t(n));
  parts.data.assign(blob.begin() + 8 + std::ptrdiff_t(n), blob.end());
  return parts;
}

std::vector<unsigned char> join(const std::string& header, const std::vector<unsigned char>& data,
                                std::uint64_t declared_length) {
  std::vector<unsigned char> blob(8 + header.size() + data.size());
  for (int i = 0; i < 8; ++i) blob[std::size_t(i)] = static_cast<unsigned char>(declared_length >> (8 * i));
  std::copy(header.begin(), header.end(), blob.begin() + 8);
  std::copy(data.begin(), data.end(), blob.begin() + 8 + std::ptrdiff_t(header.size()));
  return blob;
}
std::vector<unsigned char> join(const Parts& parts) {
  const std::string header = parts.header.dump();
  return join(header, parts.data, header.size());
}

const std::vector<unsigned char>& good_blob() {
  static const std::vector<unsigned char> blob = read_bytes(golden_path("bcresnet_tau1.kws"));
  return blob;
}

// Loads `blob`, expecting a FileError with `code` whose message contains `needle`.
void expect_rejected(const std::vector<unsigned char>& blob, kws::ErrorCode code, const std::string& needle) {
  try {
    kws::Model::load(blob.data(), blob.size());
    FAIL("accepted a bad model file; expected: " << needle);
  } catch (const kws::FileError& error) {
    INFO("message: " << error.what());
    CHECK(error.code() == code);
    CHECK(std::string(error.what()).find(needle) != std::string::npos);
  }
}

std::uint64_t begin_of(const Parts& parts, const std::string& name) {
  return parts.header[name]["data_offsets"][0].get<std::uint64_t>();
}

}  // namespace

TEST_CASE("golden model files load with their metadata") {
  for (const char* tau : {"1", "1.5", "2", "3", "6", "8"}) {
    const kws::Model model = kws::Model::load(golden_path(std::string("bcresnet_tau") + tau + ".kws"));
    CHECK(model.architecture() == "bcresnet");
    CHECK(model.tau() == doctest::Approx(std::stof(tau)));
    CHECK(model.num_classes() == 12);
    REQUIRE(model.labels().size() == 12);
    CHECK(model.labels()[2] == "down");
    CHECK(model.input_frames() == 101);
    CHECK(model.bn_eps() == doctest::Approx(1e-5f));
    CHECK(model.feature_config().n_mels == 40);
    const int b = int(8 * std::stof(tau));
    const kws::TensorView head = model.tensor("cnn_head.0.weight");
    CHECK(head.shape == std::vector<int>{2 * b, 1, 5, 5});
    CHECK(head.size() == std::size_t(2 * b * 25));
    CHECK(model.tensor_names().front() == "cnn_head.0.weight");
    CHECK_THROWS_AS(model.tensor("no.such.tensor"), kws::InvalidArgument);
  }
}

TEST_CASE("a model loads from memory as from a file, and copies share the weights") {
  const kws::Model from_file = kws::Model::load(golden_path("bcresnet_tau1.kws"));
  const kws::Model from_memory = kws::Model::load(good_blob().data(), good_blob().size());
  const kws::TensorView a = from_file.tensor("classifier.5.weight");
  const kws::TensorView b = from_memory.tensor("classifier.5.weight");
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data, b.data, a.size() * sizeof(float)) == 0);
  const kws::Model copy = from_file;
  CHECK(copy.tensor("classifier.5.weight").data == a.data);
}

TEST_CASE("a missing file is an io error naming the path") {
  try {
    kws::Model::load(std::string("/nonexistent/model.kws"));
    FAIL("loaded a missing file");
  } catch (const kws::FileError& error) {
    CHECK(error.code() == kws::ErrorCode::io);
    CHECK(std::string(error.what()).find("/nonexistent/model.kws") != std::string::npos);
  }
}

TEST_CASE("paths that are not model files: a directory, an endless device") {
  auto expect = [](const std::string& path, kws::ErrorCode code, const std::string& needle) {
    try {
      kws::Model::load(path);
      FAIL("loaded " << path);
    } catch (const kws::FileError& error) {
      CHECK(error.code() == code);
      CHECK_MESSAGE(std::string(error.what()).find(needle) != std::string::npos, error.what());
    }
  };
  expect("/tmp", kws::ErrorCode::io, "is a directory");
  expect("/dev/zero", kws::ErrorCode::corrupt_data, "MiB a model file may be");  // bounded, not endless
}

TEST_CASE("hostile model files are rejected with a reason") {
  using kws::ErrorCode;
  const std::vector<unsigned char>& good = good_blob();
  REQUIRE_NOTHROW(kws::Model::load(good.data(), good.size()));
  // The edited files below re-serialise the header; make sure that alone is harmless.
  REQUIRE_NOTHROW([&] { const auto blob = join(split(good)); kws::Model::load(blob.data(), blob.size()); }());

  SUBCASE("shorter than the length field") {
    expect_rejected({good.begin(), good.begin() + 5}, ErrorCode::corrupt_data, "too short");
  }
  SUBCASE("truncated data") {
    expect_rejected({good.begin(), good.end() - 100}, ErrorCode::corrupt_data, "past the");
  }
  SUBCASE("header length past the end") {
    std::vector<unsigned char> blob = good;
    const std::uint64_t n = blob.size();
    for (int i = 0; i < 8; ++i) blob[std::size_t(i)] = static_cast<unsigned char>(n >> (8 * i));
    expect_rejected(blob, ErrorCode::corrupt_data, "extends past the end");
  }
  SUBCASE("huge header length") {
    std::vector<unsigned char> blob = good;
    for (int i = 0; i < 8; ++i) blob[std::size_t(i)] = 0xff;
    expect_rejected(blob, ErrorCode::corrupt_data, "header length");
  }
  SUBCASE("bad JSON") {
    const Parts parts = split(good);
    std::string header = parts.header.dump();
    header[header.size() / 2] = '{';
    header.back() = ',';
    expect_rejected(join(header, parts.data, header.size()), ErrorCode::corrupt_data, "not valid JSON");
  }
  SUBCASE("header not an object") {
    const std::string header = "[1, 2, 3]";
    expect_rejected(join(header, {}, header.size()), ErrorCode::corrupt_data, "JSON object");
  }
  SUBCASE("wrong dtype") {
    Parts parts = split(good);
    parts.header["cnn_head.1.bias"]["dtype"] = "F16";
    expect_rejected(join(parts), ErrorCode::unsupported_format, "dtype F16");
  }
  SUBCASE("wrong shape with the right size") {
    Parts parts = split(good);
    parts.header["cnn_head.0.weight"]["shape"] = {8, 2, 5, 5};  // 400 floats, as [16, 1, 5, 5]
    expect_rejected(join(parts), ErrorCode::corrupt_data, "cnn_head.0.weight [8, 2, 5, 5] (expected [16, 1, 5, 5])");
  }
  SUBCASE("shape disagreeing with the offsets") {
    Parts parts = split(good);
    parts.header["cnn_head.0.weight"]["shape"] = {16, 1, 5, 6};
    expect_rejected(join(parts), ErrorCode::corrupt_data, "needs");
  }
  SUBCASE("non-positive dimension") {
    Parts parts = split(good);
    parts.header["cnn_head.1.bias"]["shape"] = {0};
    expect_rejected(join(parts), ErrorCode::corrupt_data, "positive integers");
  }
  SUBCASE("overflowing shape") {
    Parts parts = split(good);
    parts.header["cnn_head.1.bias"]["shape"] = {1 << 30, 1 << 30, 1 << 30, 1 << 30};
    expect_rejected(join(parts), ErrorCode::corrupt_data, "absurdly large");
  }
  SUBCASE("offsets past the end") {
    Parts parts = split(good);
    const std::uint64_t size = parts.data.size();
    parts.header["cnn_head.1.bias"]["data_offsets"] = {size, size + 64};
    expect_rejected(join(parts), ErrorCode::corrupt_data, "past the");
  }
  SUBCASE("negative offset") {
    Parts parts = split(good);
    parts.header["cnn_head.1.bias"]["data_offsets"] = {-64, 0};
    expect_rejected(join(parts), ErrorCode::corrupt_data, "data_offsets");
  }
  SUBCASE("overlapping offsets") {
    Parts parts = split(good);
    parts.header["cnn_head.1.bias"]["data_offsets"] = parts.header["cnn_head.1.weight"]["data_offsets"];
    expect_rejected(join(parts), ErrorCode::corrupt_data, "overlap");
  }
  SUBCASE("trailing bytes") {
    Parts parts = split(good);
    parts.data.resize(parts.data.size() + 16);
    expect_rejected(join(parts), ErrorCode::corrupt_data, "trailing");
  }
  SUBCASE("missing tensor") {
    Parts parts = split(good);
    parts.header.erase("cnn_head.1.bias");
    expect_rejected(join(parts), ErrorCode::corrupt_data, "missing tensors cnn_head.1.bias");
  }
  SUBCASE("unknown tensor") {
    Parts parts = split(good);
    const std::uint64_t size = parts.data.size();
    parts.data.resize(size + 8);
    parts.header["extra.weight"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {size, size + 8}}};
    expect_rejected(join(parts), ErrorCode::corrupt_data, "unknown tensors extra.weight");
  }
  SUBCASE("entry with an extra field") {
    Parts parts = split(good);
    parts.header["cnn_head.1.bias"]["quantized"] = true;
    expect_rejected(join(parts), ErrorCode::corrupt_data, "exactly dtype, shape and data_offsets");
  }
  SUBCASE("unknown format_version") {
    Parts parts = split(good);
    parts.header["__metadata__"]["format_version"] = "7";
    expect_rejected(join(parts), ErrorCode::unsupported_format, "format_version \"7\"");
  }
  SUBCASE("another format") {
    Parts parts = split(good);
    parts.header["__metadata__"]["format"] = "pt";
    expect_rejected(join(parts), ErrorCode::unsupported_format, "format \"pt\"");
  }
  SUBCASE("unknown architecture") {
    Parts parts = split(good);
    parts.header["__metadata__"]["architecture"] = "resnet15";
    expect_rejected(join(parts), ErrorCode::unsupported_format, "architecture \"resnet15\"");
  }
  SUBCASE("unsupported tau") {
    Parts parts = split(good);
    parts.header["__metadata__"]["tau"] = "4";
    expect_rejected(join(parts), ErrorCode::unsupported_format, "tau \"4\"");
  }
  SUBCASE("tau disagreeing with the tensors") {
    Parts parts = split(good);
    parts.header["__metadata__"]["tau"] = "2";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "wrong shapes");
  }
  SUBCASE("no metadata") {
    Parts parts = split(good);
    parts.header.erase("__metadata__");
    expect_rejected(join(parts), ErrorCode::corrupt_data, "__metadata__");
  }
  SUBCASE("missing metadata key") {
    Parts parts = split(good);
    parts.header["__metadata__"].erase("bn_eps");
    expect_rejected(join(parts), ErrorCode::corrupt_data, "bn_eps");
  }
  SUBCASE("label count mismatch") {
    Parts parts = split(good);
    Json labels = Json::parse(parts.header["__metadata__"]["labels"].get<std::string>());
    labels.erase(labels.size() - 1);
    parts.header["__metadata__"]["labels"] = labels.dump();
    expect_rejected(join(parts), ErrorCode::corrupt_data, "11 labels but num_classes is 12");
  }
  SUBCASE("num_classes disagreeing with the classifier") {
    Parts parts = split(good);
    Json labels = Json::parse(parts.header["__metadata__"]["labels"].get<std::string>());
    labels.push_back("extra");
    parts.header["__metadata__"]["labels"] = labels.dump();
    parts.header["__metadata__"]["num_classes"] = "13";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "classifier.5.bias [12] (expected [13])");
  }
  SUBCASE("duplicate labels") {
    Parts parts = split(good);
    Json labels = Json::parse(parts.header["__metadata__"]["labels"].get<std::string>());
    labels[1] = labels[0];
    parts.header["__metadata__"]["labels"] = labels.dump();
    expect_rejected(join(parts), ErrorCode::corrupt_data, "duplicate");
  }
  SUBCASE("invalid feature_config") {
    Parts parts = split(good);
    parts.header["__metadata__"]["feature_config"] = R"({"n_mels": 40, "hop_lenght": 160})";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "feature_config");
  }
  SUBCASE("feature_config with the wrong number of rows") {
    Parts parts = split(good);
    parts.header["__metadata__"]["feature_config"] = R"({"n_mels": 64})";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "40 feature rows");
  }
  SUBCASE("threshold for an unknown label") {
    Parts parts = split(good);
    parts.header["__metadata__"]["thresholds"] = R"({"banana": 0.5})";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "banana");
  }
  SUBCASE("input_frames beyond a minute") {
    for (const char* frames : {"6002", "100000", "999999999"}) {
      Parts parts = split(good);
      parts.header["__metadata__"]["input_frames"] = frames;
      expect_rejected(join(parts), ErrorCode::corrupt_data, "exceeds the limit of 6001 frames");
    }
  }
  SUBCASE("thresholds outside [0, 1]") {
    for (const char* value : {"2.0", "1e300", "-1", "1.0000001", "-0.5"}) {
      Parts parts = split(good);
      parts.header["__metadata__"]["thresholds"] = std::string(R"({"yes": )") + value + "}";
      expect_rejected(join(parts), ErrorCode::corrupt_data, "must be a number in [0, 1]");
    }
  }
  SUBCASE("NaN weight") {
    Parts parts = split(good);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(parts.data.data() + begin_of(parts, "BCBlocks.2.1.f1.1.weight") + 8, &nan, 4);
    expect_rejected(join(parts), ErrorCode::corrupt_data, "BCBlocks.2.1.f1.1.weight has a non-finite value");
  }
  SUBCASE("a weight near FLT_MAX (it loaded, and the posteriors were NaN)") {
    Parts parts = split(good);
    const float huge = 1.3e37f;
    std::memcpy(parts.data.data() + begin_of(parts, "classifier.0.weight") + 4 * 452, &huge, 4);
    expect_rejected(join(parts), ErrorCode::corrupt_data, "beyond the +-1e6");
  }
  SUBCASE("negative variance") {
    Parts parts = split(good);
    const float negative = -0.5f;
    std::memcpy(parts.data.data() + begin_of(parts, "cnn_head.1.running_var"), &negative, 4);
    expect_rejected(join(parts), ErrorCode::corrupt_data, "negative variance");
  }
  SUBCASE("Inf weight") {
    Parts parts = split(good);
    const float inf = std::numeric_limits<float>::infinity();
    std::memcpy(parts.data.data() + begin_of(parts, "cnn_head.1.running_var"), &inf, 4);
    expect_rejected(join(parts), ErrorCode::corrupt_data, "non-finite");
  }
}

TEST_CASE("thresholds and description are read when present") {
  Parts parts = split(good_blob());
  parts.header["__metadata__"]["thresholds"] = R"({"yes": 0.75, "no": 0.5})";
  parts.header["__metadata__"]["description"] = "test model";
  const std::vector<unsigned char> blob = join(parts);
  const kws::Model model = kws::Model::load(blob.data(), blob.size());
  REQUIRE(model.thresholds().size() == 2);
  CHECK(model.thresholds().at("yes") == doctest::Approx(0.75f));
  CHECK(model.description() == "test model");
}

// ---- the CTC acoustic model (architecture "bcresnet_ctc", format_version "2") ----

namespace {
const std::vector<unsigned char>& ctc_blob() {
  static const std::vector<unsigned char> blob = read_bytes(golden_path("ctc/phonemes_tau1.kws"));
  return blob;
}

Json ctc_labels(const Parts& parts) { return Json::parse(parts.header["__metadata__"]["labels"].get<std::string>()); }
}  // namespace

TEST_CASE("a CTC model file loads with its architecture, blank and phonemizer") {
  const kws::Model model = kws::Model::load(golden_path("ctc/phonemes_tau1.kws"));
  CHECK(model.architecture() == "bcresnet_ctc");
  CHECK(model.is_ctc());
  CHECK(model.labels().front() == "_blank_");
  CHECK(model.input_frames() == 301);
  CHECK(model.phonemizer().engine == "espeak-ng");
  CHECK(model.phonemizer().voice == "en-us");
  CHECK(model.phonemizer().notation == "mnemonic");
  const kws::Model classifier = kws::Model::load(golden_path("bcresnet_tau1.kws"));
  CHECK_FALSE(classifier.is_ctc());
  CHECK(classifier.phonemizer().engine.empty());
}

TEST_CASE("format_version 2 also holds classifiers; version 1 never holds a CTC model") {
  Parts parts = split(good_blob());
  parts.header["__metadata__"]["format_version"] = "2";
  const std::vector<unsigned char> blob = join(parts);
  CHECK_FALSE(kws::Model::load(blob.data(), blob.size()).is_ctc());
  Parts ctc = split(ctc_blob());
  ctc.header["__metadata__"]["format_version"] = "1";
  expect_rejected(join(ctc), kws::ErrorCode::corrupt_data, "needs format_version \"2\"");
}

TEST_CASE("hostile CTC model files are rejected with a reason") {
  using kws::ErrorCode;
  SUBCASE("no blank first") {
    Parts parts = split(ctc_blob());
    Json labels = ctc_labels(parts);
    std::swap(labels[0], labels[1]);
    parts.header["__metadata__"]["labels"] = labels.dump();
    expect_rejected(join(parts), ErrorCode::corrupt_data, "must be the blank");
  }
  SUBCASE("a token with whitespace") {
    Parts parts = split(ctc_blob());
    Json labels = ctc_labels(parts);
    labels[3] = "a b";
    parts.header["__metadata__"]["labels"] = labels.dump();
    expect_rejected(join(parts), ErrorCode::corrupt_data, "whitespace");
  }
  SUBCASE("an empty or repeated token") {
    Parts parts = split(ctc_blob());
    Json labels = ctc_labels(parts);
    labels[3] = labels[4];
    parts.header["__metadata__"]["labels"] = labels.dump();
    expect_rejected(join(parts), ErrorCode::corrupt_data, "duplicate");
    labels[3] = "";
    parts.header["__metadata__"]["labels"] = labels.dump();
    expect_rejected(join(parts), ErrorCode::corrupt_data, "non-empty");
  }
  SUBCASE("no phonemizer") {
    Parts parts = split(ctc_blob());
    parts.header["__metadata__"].erase("phonemizer");
    expect_rejected(join(parts), ErrorCode::corrupt_data, "lacks required key phonemizer");
  }
  SUBCASE("a phonemizer that is not JSON, not an object, or lacks a field") {
    Parts parts = split(ctc_blob());
    parts.header["__metadata__"]["phonemizer"] = "{espeak";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "phonemizer is not valid JSON");
    parts.header["__metadata__"]["phonemizer"] = "[1]";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "phonemizer must be a JSON object");
    parts.header["__metadata__"]["phonemizer"] = R"({"engine":"espeak-ng","voice":"en-us"})";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "\"notation\"");
    parts.header["__metadata__"]["phonemizer"] = R"({"engine":"espeak-ng","voice":7,"notation":"mnemonic"})";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "\"voice\"");
  }
  SUBCASE("thresholds, which are for classifiers") {
    Parts parts = split(ctc_blob());
    parts.header["__metadata__"]["thresholds"] = R"({"k": 0.5})";
    expect_rejected(join(parts), ErrorCode::corrupt_data, "for classifiers");
  }
  SUBCASE("a version from the future") {
    Parts parts = split(ctc_blob());
    parts.header["__metadata__"]["format_version"] = "3";
    expect_rejected(join(parts), ErrorCode::unsupported_format, "versions 1 and 2");
  }
}

TEST_CASE("classifier APIs refuse a CTC model, naming the API that fits") {
  const kws::Model ctc = kws::Model::load(golden_path("ctc/phonemes_tau1.kws"));
  for (int api = 0; api < 3; ++api) {
    CAPTURE(api);
    try {
      if (api == 0) kws::Classifier classifier(ctc);
      if (api == 1) kws::Detector detector(ctc);
      if (api == 2) kws::EventPolicy policy(ctc, kws::DetectorOptions{});
      FAIL("a classifier API accepted a CTC model");
    } catch (const kws::InvalidArgument& error) {
      CHECK(std::string(error.what()).find("kws::Spotter") != std::string::npos);
    }
  }
}

TEST_CASE("random corruption never crashes the loader") {
  // Every mutated file either loads (a flipped weight bit can still be a finite float) or is
  // refused with a FileError; anything else (a crash, another exception) fails here or under ASan.
  const std::vector<unsigned char>& good = good_blob();
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = header_length << 8 | good[std::size_t(i)];
  std::mt19937 rng(1234);
  int loaded = 0, refused = 0;
  for (int round = 0; round < 600; ++round) {
    std::vector<unsigned char> blob = good;
    const int kind = round % 3;
    if (kind == 0) {  // bytes inside the header (or its length field)
      for (int k = 0; k < 1 + round % 4; ++k)
        blob[std::uniform_int_distribution<std::size_t>(0, 8 + header_length - 1)(rng)] ^=
            static_cast<unsigned char>(1u << (rng() % 8));
    } else if (kind == 1) {  // bytes anywhere
      blob[std::uniform_int_distribution<std::size_t>(0, blob.size() - 1)(rng)] = static_cast<unsigned char>(rng());
    } else {  // truncation
      blob.resize(std::uniform_int_distribution<std::size_t>(0, blob.size() - 1)(rng));
    }
    try {
      kws::Model::load(blob.data(), blob.size());
      ++loaded;
    } catch (const kws::FileError&) {
      ++refused;
    }
  }
  CHECK(refused > 300);
  CHECK(loaded + refused == 600);
}

TEST_CASE("a model that loads after a changed weight byte gives finite posteriors") {
  // About 1 in 1500 such files once loaded with a weight near FLT_MAX and returned NaN scores.
  const std::vector<unsigned char>& good = good_blob();
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = header_length << 8 | good[std::size_t(i)];
  std::mt19937 rng(99);
  std::vector<float> features(40 * 101);
  for (float& x : features) x = std::uniform_real_distribution<float>(-10.0f, 2.0f)(rng);
  std::vector<float> logits(12);
  int loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<unsigned char> blob = good;
    blob[std::uniform_int_distribution<std::size_t>(8 + header_length, blob.size() - 1)(rng)] =
        static_cast<unsigned char>(rng());
    try {
      const kws::Model model = kws::Model::load(blob.data(), blob.size());
      kws::Engine engine(model, kws::EngineOptions{});
      engine.run(features.data(), 1, 101, logits.data());
      ++loaded;
      bool finite = true;
      for (float x : logits) finite = finite && std::isfinite(x);
      CHECK_MESSAGE(finite, "round " << round);
    } catch (const kws::FileError&) {
    }
  }
  CHECK(loaded > 2000);
}
