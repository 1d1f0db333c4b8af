// The C API: a thin layer over the C++ API. Every entry point validates its arguments, runs the
// C++ call inside guard() (which turns any exception into a status and the thread's last-error
// message) and writes its outputs only on success.
#include "kws.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "kws/audio.hpp"
#include "kws/classifier.hpp"
#include "kws/detector.hpp"
#include "kws/event_policy.hpp"
#include "kws/engine.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"
#include "kws/model.hpp"
#include "kws/spotter.hpp"
#include "kws/transcribe.hpp"

struct kws_model {
  kws::Model model;
  std::string feature_config_json;
};

struct kws_event_policy {
  kws::EventPolicy policy;
};

// A Classifier keeps its own copy of the Model (shared weights), so the kws_model may be freed first.
struct kws_classifier {
  kws::Classifier classifier;
};

namespace {
// Where a detector's or a spotter's events go: the caller's callback, or a queue for *_next.
struct EventQueue {
  kws_detection_callback callback = nullptr;
  void* user_data = nullptr;
  std::vector<kws_detection> queue;  // events not yet taken; [head, end)
  std::size_t head = 0;

  EventQueue(kws_detection_callback c, void* u) : callback(c), user_data(u) { queue.reserve(64); }

  void deliver(const kws::Detection& d) {
    kws_detection event;
    event.size = sizeof(kws_detection);
    event.label_index = d.label_index;
    event.label = d.label->c_str();
    event.score = d.score;
    event.start_sample = d.start_sample;
    event.end_sample = d.end_sample;
    if (callback != nullptr) {
      callback(&event, user_data);
      return;
    }
    if (head == queue.size()) {
      queue.clear();
      head = 0;
    }
    queue.push_back(event);
  }
  std::size_t pending() const { return queue.size() - head; }
  void clear() {
    queue.clear();
    head = 0;
  }
  // The oldest event into *out, as many bytes as out->size says the caller knows; false if none.
  bool next(kws_detection* out) {
    if (head == queue.size()) return false;
    const kws_detection& event = queue[head++];
    const std::size_t caller_size = out->size;
    std::memcpy(static_cast<void*>(out), static_cast<const void*>(&event), std::min(caller_size, sizeof(kws_detection)));
    out->size = caller_size;
    return true;
  }
};
}  // namespace

struct kws_detector {
  kws::Detector detector;
  EventQueue events;
};

// The resolved tokens of each keyword, joined, for kws_spotter_keyword.
struct kws_spotter {
  kws::Spotter spotter;
  EventQueue events;
  std::vector<std::string> phonemes;
};

namespace {

thread_local std::string last_error;

kws_status fail(kws_status status, const std::string& message) {
  try {
    last_error = message;
  } catch (...) {
    // No memory for the message: the status still says what happened.
  }
  return status;
}

template <class F>
kws_status guard(const char* function, F&& body) noexcept {
  try {
    body();
    return KWS_OK;
  } catch (const kws::Error& e) {
    return fail(static_cast<kws_status>(e.code()), std::string(function) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return fail(KWS_ERROR_OUT_OF_MEMORY, std::string(function) + ": out of memory");
  } catch (const std::exception& e) {
    return fail(KWS_ERROR_INTERNAL, std::string(function) + ": " + e.what());
  } catch (...) {
    return fail(KWS_ERROR_INTERNAL, std::string(function) + ": unknown exception");
  }
}

// For argument checks: `if (!ok) return invalid(...)`.
kws_status invalid(const char* function, const char* what) {
  return fail(KWS_ERROR_INVALID_ARGUMENT, std::string(function) + ": " + what);
}

const char* handle_name(const kws_model*) { return "model is NULL"; }
const char* handle_name(const kws_detector*) { return "detector is NULL"; }
const char* handle_name(const kws_spotter*) { return "spotter is NULL"; }

// The scalar getters: check the handle and the output pointer, then write read(handle).
template <class Handle, class Out, class Read>
kws_status get(const char* function, const Handle* handle, Out* out, Read&& read) {
  if (handle == nullptr) return invalid(function, handle_name(handle));
  if (out == nullptr) return invalid(function, "output pointer is NULL");
  *out = static_cast<Out>(read(*handle));
  return KWS_OK;
}

#define KWS_REQUIRE(condition, what) \
  do {                               \
    if (!(condition)) return invalid(__func__, what); \
  } while (0)

// C callers may store any int in an enum field; in C++ reading an out-of-range value through the
// enum type is undefined, so enum inputs are read as their bytes.
template <class Enum>
int enum_value(const Enum& value) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized");
  int raw = 0;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

kws::Backend to_backend(const kws_backend& backend_field) {
  const int backend = enum_value(backend_field);
  switch (backend) {
    case KWS_BACKEND_DEFAULT: return kws::fastest_backend();
    case KWS_BACKEND_REFERENCE: return kws::Backend::reference;
    case KWS_BACKEND_EIGEN: return kws::Backend::eigen;
    case KWS_BACKEND_ONEDNN: return kws::Backend::onednn;
  }
  throw kws::InvalidArgument("unknown backend value " + std::to_string(int(backend)));
}

void params_init(kws_classify_params* params) { kws_classify_params_init(params); }
void params_init(kws_detector_params* params) { kws_detector_params_init(params); }
void params_init(kws_spotter_params* params) { kws_spotter_params_init(params); }
void params_init(kws_keyword* keyword) { kws_keyword_init(keyword); }

// The params a call runs with: the defaults of kws_*_params_init, overwritten by the caller's
// struct (may be NULL) of given->size bytes. Older callers (smaller structs) get defaults for the
// fields they do not know; a larger struct comes from a newer kws.h than this library and is
// refused rather than half-read. Returns KWS_OK or the refusal.
template <class Params>
kws_status read_params(const Params* given, Params& out, const char* function) {
  params_init(&out);
  if (given == nullptr) return KWS_OK;
  const std::size_t size = given->size;
  if (size < sizeof(std::size_t) + sizeof(int32_t) || size > sizeof(Params))
    return fail(KWS_ERROR_INVALID_ARGUMENT,
                std::string(function) + ": params->size is " + std::to_string(size) + ", expected " +
                    std::to_string(sizeof(Params)) + " (initialise params with the *_params_init function)");
  std::memcpy(static_cast<void*>(&out), static_cast<const void*>(given), size);
  out.size = sizeof(Params);
  return KWS_OK;
}

// kws_status is ErrorCode's value (guard() casts one to the other).
static_assert(int(kws::ErrorCode::invalid_argument) == KWS_ERROR_INVALID_ARGUMENT &&
                  int(kws::ErrorCode::io) == KWS_ERROR_IO &&
                  int(kws::ErrorCode::unsupported_format) == KWS_ERROR_UNSUPPORTED_FORMAT &&
                  int(kws::ErrorCode::corrupt_data) == KWS_ERROR_CORRUPT_DATA &&
                  int(kws::ErrorCode::out_of_memory) == KWS_ERROR_OUT_OF_MEMORY &&
                  int(kws::ErrorCode::internal) == KWS_ERROR_INTERNAL &&
                  int(kws::ErrorCode::buffer_too_small) == KWS_ERROR_BUFFER_TOO_SMALL,
              "kws_status and kws::ErrorCode disagree");
#define KWS_TEXT(x) #x
#define KWS_QUOTE(x) KWS_TEXT(x)
// The range as text, from the one definition (kws/limits.h) that kws.h and kws/audio.hpp share.
#define KWS_RATE_RANGE "[" KWS_QUOTE(KWS_MIN_SAMPLE_RATE) ", " KWS_QUOTE(KWS_MAX_SAMPLE_RATE) "]"

std::vector<float> to_float(const int16_t* samples, std::size_t count) {
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = float(samples[i]) * (1.0f / 32768.0f);
  return out;
}

kws::ClassifierOptions classifier_options(const kws_classify_params& params) {
  kws::ClassifierOptions options;
  options.backend = to_backend(params.backend);
  options.stride_seconds = params.stride_seconds;
  return options;
}

kws::SpotterOptions spotter_options(const kws_spotter_params& params) {
  kws::SpotterOptions options;
  options.sample_rate = params.sample_rate;
  options.window_frames = params.window_frames;
  options.default_threshold = params.default_threshold;
  options.refractory_seconds = params.refractory_seconds;
  options.peak_seconds = params.peak_seconds;
  options.backend = to_backend(params.backend);
  return options;
}

// The argument checks of kws_classify* and kws_classifier_run*, in one order, so both report the
// same error for the same mistake. The capacity is checked before any work, so a too small
// buffer costs nothing.
template <class Sample>
kws_status check_clip(const char* function, const kws::Model& model, const Sample* samples, size_t count,
                      int32_t sample_rate, const float* out_scores, size_t scores_capacity) {
  if (count == 0) return invalid(function, "count is 0 (an empty clip has no class)");
  if (count > KWS_MAX_SAMPLE_COUNT) return invalid(function, "count exceeds KWS_MAX_SAMPLE_COUNT");
  if (samples == nullptr) return invalid(function, "samples is NULL");
  if (!kws::valid_sample_rate(sample_rate)) return invalid(function, "sample_rate must be in " KWS_RATE_RANGE);
  if (out_scores == nullptr) return invalid(function, "out_scores is NULL");
  const std::size_t classes = std::size_t(model.num_classes());
  if (scores_capacity < classes)
    return fail(KWS_ERROR_BUFFER_TOO_SMALL, std::string(function) + ": scores_capacity " +
                                                std::to_string(scores_capacity) + " < " + std::to_string(classes) +
                                                " labels");
  return KWS_OK;
}

// Classifies a checked clip and writes the outputs; int16 is converted to float first. Throws
// (callers run it inside guard()).
template <class Sample>
void run_classifier(kws::Classifier& classifier, const Sample* samples, size_t count, int32_t sample_rate,
                    float* out_scores, int32_t* out_best) {
  kws::Classification result;
  if constexpr (std::is_same_v<Sample, float>) {
    result = classifier.classify(samples, count, sample_rate);
  } else {
    result = classifier.classify(to_float(samples, count), sample_rate);
  }
  std::copy(result.scores.begin(), result.scores.end(), out_scores);
  if (out_best != nullptr) *out_best = result.best;
}

// kws_classify and kws_classify_s16: a classifier for this one call, then the path of
// kws_classifier_run.
template <class Sample>
kws_status classify_once(const char* function, const kws_model* model, const Sample* samples, size_t count,
                         int32_t sample_rate, const kws_classify_params* given, float* out_scores,
                         size_t scores_capacity, int32_t* out_best) {
  if (model == nullptr) return invalid(function, "model is NULL");
  kws_status status = check_clip(function, model->model, samples, count, sample_rate, out_scores, scores_capacity);
  if (status != KWS_OK) return status;
  kws_classify_params params;
  if ((status = read_params(given, params, function)) != KWS_OK) return status;
  return guard(function, [&] {
    kws::Classifier classifier(model->model, classifier_options(params));
    run_classifier(classifier, samples, count, sample_rate, out_scores, out_best);
  });
}

// kws_classifier_run and kws_classifier_run_s16.
template <class Sample>
kws_status classifier_run(const char* function, kws_classifier* classifier, const Sample* samples, size_t count,
                          int32_t sample_rate, float* out_scores, size_t scores_capacity, int32_t* out_best) {
  if (classifier == nullptr) return invalid(function, "classifier is NULL");
  const kws_status status =
      check_clip(function, classifier->classifier.model(), samples, count, sample_rate, out_scores, scores_capacity);
  if (status != KWS_OK) return status;
  return guard(function, [&] {
    run_classifier(classifier->classifier, samples, count, sample_rate, out_scores, out_best);
  });
}

// kws_detector_next and kws_spotter_next, after their handle check.
kws_status next_event(const char* function, EventQueue& events, kws_detection* out, int32_t* out_available) {
  if (out == nullptr) return invalid(function, "out is NULL");
  if (out_available == nullptr) return invalid(function, "out_available is NULL");
  if (!(out->size >= sizeof(std::size_t) && out->size <= (std::size_t(1) << 16)))
    return invalid(function, "out->size must be set to sizeof(kws_detection)");
  *out_available = events.next(out) ? 1 : 0;
  return KWS_OK;
}

// kws_detector_push* and kws_spotter_push*: the checks, then the stream's push into the handle's queue.
template <class Handle, class Stream, class Sample>
kws_status push_stream(const char* function, Handle* handle, Stream Handle::*stream, const Sample* samples,
                       size_t count) {
  if (handle == nullptr) return invalid(function, handle_name(handle));
  if (samples == nullptr && count != 0) return invalid(function, "samples is NULL");
  if (count > KWS_MAX_SAMPLE_COUNT) return invalid(function, "count exceeds KWS_MAX_SAMPLE_COUNT");
  return guard(function, [&] {
    (handle->*stream).push(samples, count, [handle](const kws::Detection& d) { handle->events.deliver(d); });
  });
}

}  // namespace

extern "C" {

const char* kws_status_string(kws_status status_value) {
  switch (enum_value(status_value)) {
    case KWS_OK: return "ok";
    case KWS_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case KWS_ERROR_IO: return "i/o error";
    case KWS_ERROR_UNSUPPORTED_FORMAT: return "unsupported format";
    case KWS_ERROR_CORRUPT_DATA: return "corrupt data";
    case KWS_ERROR_OUT_OF_MEMORY: return "out of memory";
    case KWS_ERROR_INTERNAL: return "internal error";
    case KWS_ERROR_BUFFER_TOO_SMALL: return "buffer too small";
  }
  return "unknown status";
}

const char* kws_last_error(void) { return last_error.c_str(); }

uint32_t kws_version_number(void) { return KWS_VERSION_NUMBER; }
const char* kws_version_string(void) { return KWS_VERSION_STRING; }

const char* kws_build_info(void) {
  static const std::string info = [] {
    std::string s = "libkws " KWS_VERSION_STRING "; backends:";
    for (kws::Backend b : {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn})
      if (kws::backend_available(b)) s += std::string(" ") + kws::backend_name(b);
    s += std::string("; default ") + kws::backend_name(kws::fastest_backend()) + "; isa " + kws::compiled_isa();
    if (s.back() == ' ') s.pop_back();
    s += "; compiler " __VERSION__;
    return s;
  }();
  return info.c_str();
}

int kws_backend_available(kws_backend backend_value) {
  switch (enum_value(backend_value)) {
    case KWS_BACKEND_DEFAULT: return 1;
    case KWS_BACKEND_REFERENCE: return kws::backend_available(kws::Backend::reference) ? 1 : 0;
    case KWS_BACKEND_EIGEN: return kws::backend_available(kws::Backend::eigen) ? 1 : 0;
    case KWS_BACKEND_ONEDNN: return kws::backend_available(kws::Backend::onednn) ? 1 : 0;
  }
  return 0;
}

// ---- model ----

kws_status kws_model_load(const char* path, kws_model** out_model) {
  KWS_REQUIRE(path != nullptr, "path is NULL");
  KWS_REQUIRE(out_model != nullptr, "out_model is NULL");
  return guard(__func__, [&] {
    kws::Model model = kws::Model::load(std::string(path));
    std::string json = model.feature_config().to_json();
    *out_model = new kws_model{std::move(model), std::move(json)};
  });
}

kws_status kws_model_load_memory(const void* data, size_t size, kws_model** out_model) {
  KWS_REQUIRE(data != nullptr || size == 0, "data is NULL");
  KWS_REQUIRE(out_model != nullptr, "out_model is NULL");
  return guard(__func__, [&] {
    kws::Model model = kws::Model::load(data, size);
    std::string json = model.feature_config().to_json();
    *out_model = new kws_model{std::move(model), std::move(json)};
  });
}

void kws_model_free(kws_model* model) { delete model; }

kws_status kws_model_num_labels(const kws_model* model, size_t* out_count) {
  return get(__func__, model, out_count, [](const kws_model& m) { return m.model.labels().size(); });
}

kws_status kws_model_label(const kws_model* model, size_t index, const char** out_label) {
  KWS_REQUIRE(model != nullptr, "model is NULL");
  KWS_REQUIRE(out_label != nullptr, "out_label is NULL");
  KWS_REQUIRE(index < model->model.labels().size(), "label index out of range");
  *out_label = model->model.labels()[index].c_str();
  return KWS_OK;
}

kws_status kws_model_sample_rate(const kws_model* model, int32_t* out_sample_rate) {
  return get(__func__, model, out_sample_rate, [](const kws_model& m) { return m.model.feature_config().sample_rate; });
}

kws_status kws_model_feature_bins(const kws_model* model, int32_t* out_bins) {
  return get(__func__, model, out_bins, [](const kws_model& m) { return m.model.feature_config().bins(); });
}

kws_status kws_model_input_frames(const kws_model* model, int32_t* out_frames) {
  return get(__func__, model, out_frames, [](const kws_model& m) { return m.model.input_frames(); });
}

kws_status kws_model_feature_config(const kws_model* model, const char** out_json) {
  return get(__func__, model, out_json, [](const kws_model& m) { return m.feature_config_json.c_str(); });
}

kws_status kws_model_is_ctc(const kws_model* model, int32_t* out_is_ctc) {
  return get(__func__, model, out_is_ctc, [](const kws_model& m) { return m.model.is_ctc() ? 1 : 0; });
}

kws_status kws_model_threshold(const kws_model* model, size_t index, float* out_threshold) {
  KWS_REQUIRE(model != nullptr, "model is NULL");
  KWS_REQUIRE(out_threshold != nullptr, "out_threshold is NULL");
  KWS_REQUIRE(index < model->model.labels().size(), "label index out of range");
  const auto& thresholds = model->model.thresholds();
  const auto it = thresholds.find(model->model.labels()[index]);
  *out_threshold = it == thresholds.end() ? -1.0f : it->second;
  return KWS_OK;
}

// ---- whole clips ----

kws_status kws_features(const kws_model* model, const float* samples, size_t count, int32_t sample_rate, float* out,
                        size_t out_capacity, size_t* out_bins, size_t* out_frames) {
  KWS_REQUIRE(model != nullptr, "model is NULL");
  KWS_REQUIRE(count > 0, "count is 0 (an empty clip has no features)");
  KWS_REQUIRE(count <= KWS_MAX_SAMPLE_COUNT, "count exceeds KWS_MAX_SAMPLE_COUNT");
  KWS_REQUIRE(samples != nullptr, "samples is NULL");
  KWS_REQUIRE(kws::valid_sample_rate(sample_rate), "sample_rate must be in " KWS_RATE_RANGE);
  KWS_REQUIRE(out_bins != nullptr && out_frames != nullptr, "out_bins or out_frames is NULL");
  const kws::FeatureConfig& config = model->model.feature_config();
  if (out == nullptr && sample_rate == config.sample_rate) {
    // A size query at the model's rate costs nothing: the frame count follows from the length.
    // At another rate the resampled length is only known by resampling, so the features are
    // computed below as for a real call.
    *out_bins = std::size_t(config.bins());
    *out_frames = config.frame_count(count);
    return KWS_OK;
  }
  kws::FeatureMatrix features;
  const kws_status status = guard(__func__, [&] {
    features = kws::FeatureExtractor(config).compute(samples, count, sample_rate);
  });
  if (status != KWS_OK) return status;
  *out_bins = features.rows;
  *out_frames = features.cols;
  if (out == nullptr) return KWS_OK;
  if (out_capacity < features.values.size())
    return fail(KWS_ERROR_BUFFER_TOO_SMALL, std::string(__func__) + ": out_capacity " + std::to_string(out_capacity) +
                                                " < " + std::to_string(features.values.size()) + " floats");
  std::copy(features.values.begin(), features.values.end(), out);
  return KWS_OK;
}

void kws_classify_params_init(kws_classify_params* params) {
  if (params == nullptr) return;
  params->size = sizeof(kws_classify_params);
  params->backend = KWS_BACKEND_DEFAULT;
  params->stride_seconds = 0.1f;
}

kws_status kws_classify(const kws_model* model, const float* samples, size_t count, int32_t sample_rate,
                        const kws_classify_params* params, float* out_scores, size_t scores_capacity,
                        int32_t* out_best) {
  return classify_once(__func__, model, samples, count, sample_rate, params, out_scores, scores_capacity, out_best);
}

kws_status kws_classify_s16(const kws_model* model, const int16_t* samples, size_t count, int32_t sample_rate,
                            const kws_classify_params* params, float* out_scores, size_t scores_capacity,
                            int32_t* out_best) {
  return classify_once(__func__, model, samples, count, sample_rate, params, out_scores, scores_capacity, out_best);
}

// ---- classifier ----

kws_status kws_classifier_create(const kws_model* model, const kws_classify_params* given,
                                 kws_classifier** out_classifier) {
  KWS_REQUIRE(model != nullptr, "model is NULL");
  KWS_REQUIRE(out_classifier != nullptr, "out_classifier is NULL");
  kws_classify_params params;
  if (const kws_status status = read_params(given, params, __func__); status != KWS_OK) return status;
  return guard(__func__, [&] {
    *out_classifier = new kws_classifier{kws::Classifier(model->model, classifier_options(params))};
  });
}

void kws_classifier_free(kws_classifier* classifier) { delete classifier; }

kws_status kws_classifier_run(kws_classifier* classifier, const float* samples, size_t count, int32_t sample_rate,
                              float* out_scores, size_t scores_capacity, int32_t* out_best) {
  return classifier_run(__func__, classifier, samples, count, sample_rate, out_scores, scores_capacity, out_best);
}

kws_status kws_classifier_run_s16(kws_classifier* classifier, const int16_t* samples, size_t count,
                                  int32_t sample_rate, float* out_scores, size_t scores_capacity,
                                  int32_t* out_best) {
  return classifier_run(__func__, classifier, samples, count, sample_rate, out_scores, scores_capacity, out_best);
}

// ---- detector ----

void kws_detector_params_init(kws_detector_params* params) {
  if (params == nullptr) return;
  const kws::DetectorOptions defaults;
  std::memset(static_cast<void*>(params), 0, sizeof(*params));
  params->size = sizeof(kws_detector_params);
  params->sample_rate = 0;
  params->window_seconds = float(defaults.window_seconds);
  params->stride_seconds = float(defaults.stride_seconds);
  params->smoothing_seconds = float(defaults.smoothing_seconds);
  params->sensitivity = float(defaults.sensitivity);
  params->refractory_seconds = float(defaults.refractory_seconds);
  params->default_threshold = defaults.default_threshold;
  params->min_consecutive = defaults.min_consecutive;
  params->backend = KWS_BACKEND_DEFAULT;
  params->thresholds = nullptr;
  params->thresholds_count = 0;
  params->callback = nullptr;
  params->user_data = nullptr;
  params->evaluation_callback = nullptr;
  params->evaluation_user_data = nullptr;
}

namespace {

// Reads and checks `given` (NULL: defaults) into DetectorOptions; the detector and the event
// policy take the same params.
kws_status detector_options(const char* function, const kws_model* model, const kws_detector_params* given,
                            kws_detector_params* params, kws::DetectorOptions* options) {
  if (model == nullptr) return invalid(function, "model is NULL");
  if (const kws_status status = read_params(given, *params, function); status != KWS_OK) return status;
  const std::size_t labels = model->model.labels().size();
  if (params->thresholds == nullptr && params->thresholds_count != 0)
    return invalid(function, "thresholds is NULL but thresholds_count > 0");
  if (params->thresholds_count > labels) return invalid(function, "thresholds_count exceeds the number of labels");
  if (params->sample_rate != 0 && !kws::valid_sample_rate(params->sample_rate))
    return invalid(function, "sample_rate must be 0 or in " KWS_RATE_RANGE);
  return guard(function, [&] {
    options->sample_rate = params->sample_rate;
    options->window_seconds = params->window_seconds;
    options->stride_seconds = params->stride_seconds;
    options->smoothing_seconds = params->smoothing_seconds;
    options->sensitivity = params->sensitivity;
    options->refractory_seconds = params->refractory_seconds;
    options->default_threshold = params->default_threshold;
    options->min_consecutive = params->min_consecutive;
    options->backend = to_backend(params->backend);
    for (std::size_t i = 0; i < params->thresholds_count; ++i) {
      const float t = params->thresholds[i];
      if (std::isnan(t) || t < 0.0f) continue;  // not set
      options->thresholds[model->model.labels()[i]] = t;
    }
  });
}

}  // namespace

kws_status kws_detector_create(const kws_model* model, const kws_detector_params* given,
                               kws_detector** out_detector) {
  KWS_REQUIRE(out_detector != nullptr, "out_detector is NULL");
  kws_detector_params params;
  kws::DetectorOptions options;
  const kws_status status = detector_options(__func__, model, given, &params, &options);
  if (status != KWS_OK) return status;
  return guard(__func__, [&] {
    auto handle = std::make_unique<kws_detector>(
        kws_detector{kws::Detector(model->model, options), EventQueue(params.callback, params.user_data)});
    if (params.evaluation_callback != nullptr) {
      handle->detector.set_evaluation_callback(
          [callback = params.evaluation_callback, user_data = params.evaluation_user_data](const kws::Evaluation& e) {
            kws_evaluation evaluation;
            evaluation.size = sizeof(kws_evaluation);
            evaluation.index = e.index;
            evaluation.frame = e.frame;
            evaluation.start_sample = e.start_sample;
            evaluation.end_sample = e.end_sample;
            evaluation.scores = e.scores;
            evaluation.scores_count = std::size_t(e.num_classes);
            evaluation.fired_label = e.fired_label;
            callback(&evaluation, user_data);
          });
    }
    *out_detector = handle.release();
  });
}

void kws_detector_free(kws_detector* detector) { delete detector; }

kws_status kws_detector_push(kws_detector* detector, const float* samples, size_t count) {
  return push_stream(__func__, detector, &kws_detector::detector, samples, count);
}

kws_status kws_detector_push_s16(kws_detector* detector, const int16_t* samples, size_t count) {
  return push_stream(__func__, detector, &kws_detector::detector, samples, count);
}

kws_status kws_detector_finish(kws_detector* detector) {
  KWS_REQUIRE(detector != nullptr, "detector is NULL");
  return guard(__func__, [&] {
    detector->detector.finish([detector](const kws::Detection& d) { detector->events.deliver(d); });
  });
}

kws_status kws_detector_reset(kws_detector* detector) {
  KWS_REQUIRE(detector != nullptr, "detector is NULL");
  return guard(__func__, [&] {
    detector->detector.reset();
    detector->events.clear();
  });
}

kws_status kws_detector_pending(const kws_detector* detector, size_t* out_count) {
  return get(__func__, detector, out_count, [](const kws_detector& d) { return d.events.pending(); });
}

kws_status kws_detector_next(kws_detector* detector, kws_detection* out, int32_t* out_available) {
  KWS_REQUIRE(detector != nullptr, "detector is NULL");
  return next_event(__func__, detector->events, out, out_available);
}

kws_status kws_detector_scores(const kws_detector* detector, const float** out_scores, size_t* out_count) {
  KWS_REQUIRE(detector != nullptr, "detector is NULL");
  KWS_REQUIRE(out_scores != nullptr && out_count != nullptr, "out_scores or out_count is NULL");
  *out_scores = detector->detector.scores().data();
  *out_count = detector->detector.scores().size();
  return KWS_OK;
}

kws_status kws_detector_sample_rate(const kws_detector* detector, int32_t* out_sample_rate) {
  return get(__func__, detector, out_sample_rate, [](const kws_detector& d) { return d.detector.sample_rate(); });
}

kws_status kws_detector_evaluations(const kws_detector* detector, int64_t* out_evaluations) {
  return get(__func__, detector, out_evaluations, [](const kws_detector& d) { return d.detector.evaluations(); });
}

kws_status kws_detector_samples_pushed(const kws_detector* detector, int64_t* out_samples) {
  return get(__func__, detector, out_samples, [](const kws_detector& d) { return d.detector.samples_pushed(); });
}

// ---- event policy ----

kws_status kws_event_policy_create(const kws_model* model, const kws_detector_params* given,
                                   kws_event_policy** out_policy) {
  KWS_REQUIRE(out_policy != nullptr, "out_policy is NULL");
  kws_detector_params params;
  kws::DetectorOptions options;
  const kws_status status = detector_options(__func__, model, given, &params, &options);
  if (status != KWS_OK) return status;
  return guard(__func__, [&] { *out_policy = new kws_event_policy{kws::EventPolicy(model->model, options)}; });
}

void kws_event_policy_free(kws_event_policy* policy) { delete policy; }

kws_status kws_event_policy_reset(kws_event_policy* policy) {
  KWS_REQUIRE(policy != nullptr, "policy is NULL");
  policy->policy.reset();
  return KWS_OK;
}

kws_status kws_event_policy_run(kws_event_policy* policy, const float* scores, size_t scores_count,
                                const int64_t* frames, size_t count, int32_t* out_fired) {
  KWS_REQUIRE(policy != nullptr, "policy is NULL");
  KWS_REQUIRE(scores_count == std::size_t(policy->policy.num_classes()),
              "scores_count must equal the model's number of labels");
  if (count == 0) return KWS_OK;
  KWS_REQUIRE(count <= KWS_MAX_SAMPLE_COUNT / scores_count, "count exceeds KWS_MAX_SAMPLE_COUNT / scores_count");
  KWS_REQUIRE(scores != nullptr && frames != nullptr && out_fired != nullptr, "scores, frames or out_fired is NULL");
  for (std::size_t i = 1; i < count; ++i)
    KWS_REQUIRE(frames[i] >= frames[i - 1], "frames must be non-decreasing");
  for (std::size_t i = 0; i < count; ++i) out_fired[i] = policy->policy.update(scores + i * scores_count, frames[i]);
  return KWS_OK;
}

kws_status kws_event_policy_thresholds(const kws_event_policy* policy, const float** out_thresholds,
                                       size_t* out_count) {
  KWS_REQUIRE(policy != nullptr, "policy is NULL");
  KWS_REQUIRE(out_thresholds != nullptr && out_count != nullptr, "out_thresholds or out_count is NULL");
  *out_thresholds = policy->policy.thresholds().data();
  *out_count = policy->policy.thresholds().size();
  return KWS_OK;
}

// ---- spotter ----

void kws_keyword_init(kws_keyword* keyword) {
  if (keyword == nullptr) return;
  std::memset(static_cast<void*>(keyword), 0, sizeof(*keyword));
  keyword->size = sizeof(kws_keyword);
}

void kws_spotter_params_init(kws_spotter_params* params) {
  if (params == nullptr) return;
  const kws::SpotterOptions defaults;
  std::memset(static_cast<void*>(params), 0, sizeof(*params));
  params->size = sizeof(kws_spotter_params);
  params->sample_rate = defaults.sample_rate;
  params->window_frames = defaults.window_frames;
  params->default_threshold = defaults.default_threshold;
  params->refractory_seconds = float(defaults.refractory_seconds);
  params->peak_seconds = float(defaults.peak_seconds);
  params->backend = KWS_BACKEND_DEFAULT;
  params->callback = nullptr;
  params->user_data = nullptr;
}

kws_status kws_spotter_create(const kws_model* model, const kws_keyword* keywords, size_t keywords_count,
                              const kws_spotter_params* given, kws_spotter** out_spotter) {
  KWS_REQUIRE(model != nullptr, "model is NULL");
  KWS_REQUIRE(out_spotter != nullptr, "out_spotter is NULL");
  KWS_REQUIRE(keywords != nullptr || keywords_count == 0, "keywords is NULL");
  KWS_REQUIRE(keywords_count <= 100000, "keywords_count is absurdly large");
  kws_spotter_params params;
  if (const kws_status status = read_params(given, params, __func__); status != KWS_OK) return status;
  std::vector<kws::Keyword> list;
  for (size_t i = 0; i < keywords_count; ++i) {
    kws_keyword keyword;
    if (const kws_status status = read_params(&keywords[i], keyword, __func__); status != KWS_OK) return status;
    const kws_status status = guard(__func__, [&] {
      kws::Keyword entry;
      if (keyword.text != nullptr) entry.text = keyword.text;
      if (keyword.phonemes != nullptr) entry.phonemes = keyword.phonemes;
      if (keyword.name != nullptr) entry.name = keyword.name;
      if (!(keyword.threshold == 0.0f)) entry.threshold = keyword.threshold;  // NaN too: refused below
      entry.boost = keyword.boost;
      list.push_back(std::move(entry));
    });
    if (status != KWS_OK) return status;
  }
  return guard(__func__, [&] {
    auto handle = std::make_unique<kws_spotter>(kws_spotter{
        kws::Spotter(model->model, list, spotter_options(params)), EventQueue(params.callback, params.user_data), {}});
    for (const kws::SpotterKeyword& keyword : handle->spotter.keywords()) {
      std::string joined;
      for (const std::string& token : keyword.tokens) joined += (joined.empty() ? "" : " ") + token;
      handle->phonemes.push_back(std::move(joined));
    }
    *out_spotter = handle.release();
  });
}

void kws_spotter_free(kws_spotter* spotter) { delete spotter; }

kws_status kws_spotter_push(kws_spotter* spotter, const float* samples, size_t count) {
  return push_stream(__func__, spotter, &kws_spotter::spotter, samples, count);
}

kws_status kws_spotter_push_s16(kws_spotter* spotter, const int16_t* samples, size_t count) {
  return push_stream(__func__, spotter, &kws_spotter::spotter, samples, count);
}

kws_status kws_spotter_finish(kws_spotter* spotter) {
  KWS_REQUIRE(spotter != nullptr, "spotter is NULL");
  return guard(__func__, [&] {
    spotter->spotter.finish([spotter](const kws::Detection& d) { spotter->events.deliver(d); });
  });
}

kws_status kws_spotter_reset(kws_spotter* spotter) {
  KWS_REQUIRE(spotter != nullptr, "spotter is NULL");
  return guard(__func__, [&] {
    spotter->spotter.reset();
    spotter->events.clear();
  });
}

kws_status kws_spotter_pending(const kws_spotter* spotter, size_t* out_count) {
  return get(__func__, spotter, out_count, [](const kws_spotter& s) { return s.events.pending(); });
}

kws_status kws_spotter_next(kws_spotter* spotter, kws_detection* out, int32_t* out_available) {
  KWS_REQUIRE(spotter != nullptr, "spotter is NULL");
  return next_event(__func__, spotter->events, out, out_available);
}

kws_status kws_spotter_num_keywords(const kws_spotter* spotter, size_t* out_count) {
  return get(__func__, spotter, out_count, [](const kws_spotter& s) { return s.spotter.keywords().size(); });
}

kws_status kws_spotter_keyword(const kws_spotter* spotter, size_t index, const char** out_name,
                               const char** out_phonemes) {
  KWS_REQUIRE(spotter != nullptr, "spotter is NULL");
  KWS_REQUIRE(index < spotter->phonemes.size(), "keyword index out of range");
  if (out_name != nullptr) *out_name = spotter->spotter.keywords()[index].name.c_str();
  if (out_phonemes != nullptr) *out_phonemes = spotter->phonemes[index].c_str();
  return KWS_OK;
}

kws_status kws_spotter_samples_pushed(const kws_spotter* spotter, int64_t* out_samples) {
  return get(__func__, spotter, out_samples, [](const kws_spotter& s) { return s.spotter.samples_pushed(); });
}

kws_status kws_transcribe(const kws_model* model, const float* samples, size_t count, int32_t sample_rate,
                          const kws_spotter_params* given, char* out, size_t out_capacity, size_t* out_length) {
  KWS_REQUIRE(model != nullptr, "model is NULL");
  KWS_REQUIRE(count > 0, "count is 0 (an empty clip has no phonemes)");
  KWS_REQUIRE(count <= KWS_MAX_SAMPLE_COUNT, "count exceeds KWS_MAX_SAMPLE_COUNT");
  KWS_REQUIRE(samples != nullptr, "samples is NULL");
  KWS_REQUIRE(kws::valid_sample_rate(sample_rate), "sample_rate must be in " KWS_RATE_RANGE);
  KWS_REQUIRE(out_length != nullptr, "out_length is NULL");
  kws_spotter_params params;
  if (const kws_status status = read_params(given, params, __func__); status != KWS_OK) return status;
  std::string phonemes;
  const kws_status status = guard(__func__, [&] {
    kws::TranscribeOptions options;
    options.window_frames = params.window_frames;
    options.backend = to_backend(params.backend);
    phonemes = kws::transcribe(model->model, samples, count, sample_rate, options).phonemes;
  });
  if (status != KWS_OK) return status;
  *out_length = phonemes.size();
  if (out == nullptr) return KWS_OK;
  if (out_capacity <= phonemes.size())
    return fail(KWS_ERROR_BUFFER_TOO_SMALL, std::string(__func__) + ": out_capacity " + std::to_string(out_capacity) +
                                                " < " + std::to_string(phonemes.size() + 1) + " bytes");
  std::memcpy(out, phonemes.c_str(), phonemes.size() + 1);
  return KWS_OK;
}

// ---- audio ----

namespace {
// Copies decoded audio into a malloc'd buffer the caller owns (throws std::bad_alloc).
void hand_out_audio(const kws::Audio& audio, float** out_samples, size_t* out_count, int32_t* out_sample_rate) {
  // malloc so that a C caller could also free() it; kws_audio_free is the documented way.
  float* buffer = static_cast<float*>(std::malloc(std::max<std::size_t>(1, audio.samples.size()) * sizeof(float)));
  if (buffer == nullptr) throw std::bad_alloc();
  std::copy(audio.samples.begin(), audio.samples.end(), buffer);
  *out_samples = buffer;
  *out_count = audio.samples.size();
  if (out_sample_rate != nullptr) *out_sample_rate = audio.sample_rate;
}
}  // namespace

kws_status kws_audio_read(const char* path, int32_t target_sample_rate, float** out_samples, size_t* out_count,
                          int32_t* out_sample_rate) {
  KWS_REQUIRE(path != nullptr, "path is NULL");
  KWS_REQUIRE(out_samples != nullptr && out_count != nullptr, "out_samples or out_count is NULL");
  KWS_REQUIRE(target_sample_rate == 0 || kws::valid_sample_rate(target_sample_rate), "target_sample_rate must be 0 or in " KWS_RATE_RANGE);
  return guard(__func__, [&] {
    kws::AudioReadOptions options;
    options.target_sample_rate = target_sample_rate;
    hand_out_audio(kws::read_audio(std::string(path), options), out_samples, out_count, out_sample_rate);
  });
}

kws_status kws_audio_read_memory(const void* data, size_t size, int32_t target_sample_rate, float** out_samples,
                                 size_t* out_count, int32_t* out_sample_rate) {
  KWS_REQUIRE(data != nullptr || size == 0, "data is NULL");
  KWS_REQUIRE(out_samples != nullptr && out_count != nullptr, "out_samples or out_count is NULL");
  KWS_REQUIRE(target_sample_rate == 0 || kws::valid_sample_rate(target_sample_rate), "target_sample_rate must be 0 or in " KWS_RATE_RANGE);
  return guard(__func__, [&] {
    kws::AudioReadOptions options;
    options.target_sample_rate = target_sample_rate;
    hand_out_audio(kws::read_audio(data, size, options), out_samples, out_count, out_sample_rate);
  });
}

void kws_audio_free(float* samples) { std::free(samples); }

}  // extern "C"
