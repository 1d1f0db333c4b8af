// libFuzzer target: the C API's buffer entry points (classify, features, detector push of float
// and int16 PCM, the spotter with fuzzed keyword tokens and PCM, audio from memory) fed arbitrary samples, rates, chunkings and parameters,
// including NaN/Inf samples and hostile sizes. Every call must return a status; none may crash.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kws.h"

namespace {

const kws_model* test_model() {
  static kws_model* model = [] {
    kws_model* m = nullptr;
    if (kws_model_load(KWS_FUZZ_MODEL, &m) != KWS_OK) __builtin_trap();
    return m;
  }();
  return model;
}

template <class T>
T take(const std::uint8_t*& data, std::size_t& size) {
  T value{};
  const std::size_t n = size < sizeof(T) ? size : sizeof(T);
  std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const kws_model* model = test_model();
  const std::uint8_t mode = take<std::uint8_t>(data, size);
  // Rates from the fuzzer, mostly in range, sometimes not (0, negative, absurd).
  const std::int32_t raw_rate = take<std::int32_t>(data, size);
  const std::int32_t rate = (mode & 0x80) ? raw_rate : 4000 + int32_t(std::uint32_t(raw_rate) % 44100);
  const std::uint16_t chunk = take<std::uint16_t>(data, size);

  if ((mode & 3) == 0) {  // float PCM: classify + features
    std::vector<float> samples(size / sizeof(float));
    if (!samples.empty()) std::memcpy(samples.data(), data, samples.size() * sizeof(float));
    float scores[12];
    int32_t best = 0;
    kws_classify(model, samples.data(), samples.size(), rate, nullptr, scores, 12, &best);
    std::size_t bins = 0, frames = 0;
    if (kws_features(model, samples.data(), samples.size(), rate, nullptr, 0, &bins, &frames) == KWS_OK &&
        bins * frames < (std::size_t(1) << 22)) {
      std::vector<float> out(bins * frames);
      kws_features(model, samples.data(), samples.size(), rate, out.data(), out.size(), &bins, &frames);
    }
  } else if ((mode & 3) == 1) {  // detector over int16 or float chunks
    kws_detector_params params;
    kws_detector_params_init(&params);
    params.sample_rate = (mode & 0x40) ? rate : 0;
    params.stride_seconds = 0.01f * float(1 + (mode >> 2) % 16);
    params.refractory_seconds = 0.0f;
    params.default_threshold = 0.0f;
    kws_detector* detector = nullptr;
    if (kws_detector_create(model, &params, &detector) != KWS_OK) return 0;
    const std::size_t step = 1 + chunk % 4096;
    if (mode & 0x20) {
      const std::int16_t* pcm = reinterpret_cast<const std::int16_t*>(data);
      std::vector<std::int16_t> aligned(size / 2);
      if (!aligned.empty()) std::memcpy(aligned.data(), pcm, aligned.size() * 2);
      for (std::size_t at = 0; at < aligned.size(); at += step)
        kws_detector_push_s16(detector, aligned.data() + at, std::min(step, aligned.size() - at));
    } else {
      std::vector<float> samples(size / sizeof(float));
      if (!samples.empty()) std::memcpy(samples.data(), data, samples.size() * sizeof(float));
      for (std::size_t at = 0; at < samples.size(); at += step)
        kws_detector_push(detector, samples.data() + at, std::min(step, samples.size() - at));
    }
    kws_detector_push(detector, nullptr, 0);
    kws_detector_finish(detector);
    kws_detection event;
    event.size = sizeof event;
    int32_t available = 0;
    while (kws_detector_next(detector, &event, &available) == KWS_OK && available) {
      if (event.label == nullptr || event.end_sample < event.start_sample) __builtin_trap();
    }
    kws_detector_free(detector);
  } else if ((mode & 3) == 2) {  // audio file image
    float* samples = nullptr;
    std::size_t count = 0;
    int32_t file_rate = 0;
    if (kws_audio_read_memory(data, size, (mode & 0x40) ? 16000 : 0, &samples, &count, &file_rate) == KWS_OK)
      kws_audio_free(samples);
  } else if (mode & 0x40) {  // spotter on the CTC model: fuzzed keyword tokens, then PCM
    static kws_model* ctc = [] {
      kws_model* m = nullptr;
      if (kws_model_load(KWS_FUZZ_CTC_MODEL, &m) != KWS_OK) __builtin_trap();
      return m;
    }();
    const std::size_t text_length = std::min<std::size_t>(size, chunk % 24);
    const std::string tokens(reinterpret_cast<const char*>(data), text_length);
    data += text_length;
    size -= text_length;
    kws_keyword keyword;
    kws_keyword_init(&keyword);
    keyword.phonemes = tokens.c_str();  // mostly unknown tokens (or an embedded NUL): refused
    keyword.threshold = 0.01f;
    kws_spotter* spotter = nullptr;
    if (kws_spotter_create(ctc, &keyword, 1, nullptr, &spotter) != KWS_OK) {
      keyword.phonemes = "k @ m";
      if (kws_spotter_create(ctc, &keyword, 1, nullptr, &spotter) != KWS_OK) __builtin_trap();
    }
    std::vector<float> samples(size / sizeof(float));
    if (!samples.empty()) std::memcpy(samples.data(), data, samples.size() * sizeof(float));
    const std::size_t step = 1 + chunk % 4096;
    for (std::size_t at = 0; at < samples.size(); at += step)
      kws_spotter_push(spotter, samples.data() + at, std::min(step, samples.size() - at));
    kws_spotter_finish(spotter);
    kws_detection event;
    event.size = sizeof event;
    int32_t available = 0;
    while (kws_spotter_next(spotter, &event, &available) == KWS_OK && available) {
      if (event.label == nullptr || event.end_sample < event.start_sample) __builtin_trap();
    }
    kws_spotter_free(spotter);
  } else {  // model from memory via the C API
    kws_model* loaded = nullptr;
    if (kws_model_load_memory(data, size, &loaded) == KWS_OK) kws_model_free(loaded);
  }
  return 0;
}
