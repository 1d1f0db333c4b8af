/* The C API from C: loading, queries, features, classification (one call and the classifier
 * handle), the detector (queue and callback), the spotter and kws_transcribe, version, parameter-struct sizes, and misuse (NULL handles and buffers, bad values,
 * corrupt models), which must give error codes and messages, never a crash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kws.h"

static int failures = 0;
static int checks = 0;

#define CHECK(condition)                                                              \
  do {                                                                                \
    ++checks;                                                                         \
    if (!(condition)) {                                                               \
      ++failures;                                                                     \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, \
              #condition, kws_last_error());                                          \
    }                                                                                 \
  } while (0)

static const char* model_path(void) { return KWS_TEST_SOURCE_DIR "/model/golden/bcresnet_tau1.kws"; }

static float* noise(size_t count, unsigned seed, float amplitude) {
  float* out = (float*)malloc(count * sizeof(float));
  size_t i;
  for (i = 0; i < count; ++i) {
    seed = seed * 1103515245u + 12345u;
    out[i] = amplitude * ((float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f);
  }
  return out;
}

static void test_version(void) {
  CHECK(kws_version_number() == KWS_VERSION_NUMBER);
  CHECK(strcmp(kws_version_string(), KWS_VERSION_STRING) == 0);
  CHECK(strstr(kws_build_info(), "reference") != NULL);
  CHECK(kws_backend_available(KWS_BACKEND_REFERENCE) == 1);
  CHECK(kws_backend_available((kws_backend)42) == 0);
  CHECK(strcmp(kws_status_string(KWS_OK), "ok") == 0);
  CHECK(strcmp(kws_status_string(KWS_ERROR_CORRUPT_DATA), "corrupt data") == 0);
  CHECK(strcmp(kws_status_string((kws_status)99), "unknown status") == 0);
  /* Pinned values. */
  CHECK(KWS_ERROR_INVALID_ARGUMENT == 1 && KWS_ERROR_IO == 2 && KWS_ERROR_UNSUPPORTED_FORMAT == 3 &&
        KWS_ERROR_CORRUPT_DATA == 4 && KWS_ERROR_OUT_OF_MEMORY == 5 && KWS_ERROR_INTERNAL == 6 &&
        KWS_ERROR_BUFFER_TOO_SMALL == 7);
}

static void test_model(kws_model* model) {
  size_t count = 0;
  const char* label = NULL;
  const char* json = NULL;
  int32_t rate = 0, bins = 0, frames = 0;
  float threshold = 0.0f;
  CHECK(kws_model_num_labels(model, &count) == KWS_OK && count == 12);
  CHECK(kws_model_label(model, 11, &label) == KWS_OK && strcmp(label, "yes") == 0);
  CHECK(kws_model_label(model, 12, &label) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "out of range") != NULL);
  CHECK(kws_model_sample_rate(model, &rate) == KWS_OK && rate == 16000);
  CHECK(kws_model_feature_bins(model, &bins) == KWS_OK && bins == 40);
  CHECK(kws_model_input_frames(model, &frames) == KWS_OK && frames == 101);
  CHECK(kws_model_feature_config(model, &json) == KWS_OK && strstr(json, "\"n_mels\"") != NULL);
  CHECK(kws_model_threshold(model, 0, &threshold) == KWS_OK);
}

static void test_features_and_classify(kws_model* model) {
  float* clip = noise(16000, 1, 0.3f);
  size_t bins = 0, frames = 0;
  float scores[12];
  float small[3];
  float* features;
  int32_t best = -1;
  float sum = 0.0f;
  int i;
  kws_classify_params params;

  CHECK(kws_features(model, clip, 16000, 16000, NULL, 0, &bins, &frames) == KWS_OK);
  CHECK(bins == 40 && frames == 101);
  features = (float*)malloc(bins * frames * sizeof(float));
  CHECK(kws_features(model, clip, 16000, 16000, features, 10, &bins, &frames) == KWS_ERROR_BUFFER_TOO_SMALL);
  CHECK(kws_features(model, clip, 16000, 16000, features, bins * frames, &bins, &frames) == KWS_OK);
  CHECK(isfinite(features[0]) && isfinite(features[bins * frames - 1]));
  CHECK(kws_features(model, clip, 16000, 8000, NULL, 0, &bins, &frames) == KWS_OK && frames == 201);
  free(features);

  CHECK(kws_classify(model, clip, 16000, 16000, NULL, scores, 12, &best) == KWS_OK);
  for (i = 0; i < 12; ++i) sum += scores[i];
  CHECK(fabsf(sum - 1.0f) < 1e-4f);
  CHECK(best >= 0 && best < 12);
  for (i = 0; i < 12; ++i) CHECK(scores[i] <= scores[best]);
  CHECK(kws_classify(model, clip, 16000, 16000, NULL, small, 3, &best) == KWS_ERROR_BUFFER_TOO_SMALL);

  kws_classify_params_init(&params);
  CHECK(params.size == sizeof(params) && params.stride_seconds > 0.0f);
  params.backend = KWS_BACKEND_REFERENCE;
  CHECK(kws_classify(model, clip, 16000, 44100, &params, scores, 12, NULL) == KWS_OK);
  params.size = 3; /* garbage size: refused, not read */
  CHECK(kws_classify(model, clip, 16000, 16000, &params, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  params.size = sizeof(params) + 64; /* from a newer header than this library */
  CHECK(kws_classify(model, clip, 16000, 16000, &params, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "params_init") != NULL);
  kws_classify_params_init(&params);
  params.backend = (kws_backend)77;
  CHECK(kws_classify(model, clip, 16000, 16000, &params, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  {
    int16_t pcm[8000];
    for (i = 0; i < 8000; ++i) pcm[i] = (int16_t)(clip[i] * 32767.0f);
    CHECK(kws_classify_s16(model, pcm, 8000, 16000, NULL, scores, 12, &best) == KWS_OK);
  }
  free(clip);
}

/* Scores of one kws_classify call, for comparing a classifier's against. */
static int classify_scores(kws_model* model, const float* clip, size_t count, int32_t rate,
                           const kws_classify_params* params, float* scores, int32_t* best) {
  return kws_classify(model, clip, count, rate, params, scores, 12, best) == KWS_OK;
}

static void test_classifier(kws_model* model) {
  /* A short clip (padded), exactly the window, a long one (scanned), another rate. */
  static const size_t counts[] = {5000, 16000, 40000, 22050};
  static const int32_t rates[] = {16000, 16000, 16000, 22050};
  float* audio = noise(40000, 9, 0.3f);
  float expected[12], got[12];
  int32_t expected_best = -1, got_best = -2;
  kws_classifier* classifier = NULL;
  kws_classifier* untouched = (kws_classifier*)0x1;
  kws_classify_params params;
  int16_t pcm[8000];
  size_t i;
  int round;

  CHECK(kws_classifier_create(model, NULL, &classifier) == KWS_OK && classifier != NULL);
  /* Twice over: a reused classifier gives the same numbers as a fresh one every time. */
  for (round = 0; round < 2; ++round) {
    for (i = 0; i < sizeof counts / sizeof counts[0]; ++i) {
      CHECK(classify_scores(model, audio, counts[i], rates[i], NULL, expected, &expected_best));
      CHECK(kws_classifier_run(classifier, audio, counts[i], rates[i], got, 12, &got_best) == KWS_OK);
      CHECK(memcmp(expected, got, sizeof got) == 0 && got_best == expected_best);
    }
  }
  for (i = 0; i < 8000; ++i) pcm[i] = (int16_t)(audio[i] * 32767.0f);
  CHECK(kws_classify_s16(model, pcm, 8000, 16000, NULL, expected, 12, &expected_best) == KWS_OK);
  CHECK(kws_classifier_run_s16(classifier, pcm, 8000, 16000, got, 12, NULL) == KWS_OK);
  CHECK(memcmp(expected, got, sizeof got) == 0);

  /* Misuse: error codes and messages, outputs untouched. */
  got_best = -2;
  CHECK(kws_classifier_run(NULL, audio, 100, 16000, got, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "classifier is NULL") != NULL);
  CHECK(kws_classifier_run_s16(NULL, pcm, 100, 16000, got, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classifier_run(classifier, NULL, 100, 16000, got, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classifier_run(classifier, audio, 0, 16000, got, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "count is 0") != NULL);
  CHECK(kws_classifier_run(classifier, audio, 100, KWS_MIN_SAMPLE_RATE - 1, got, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classifier_run(classifier, audio, 100, 16000, NULL, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classifier_run(classifier, audio, 100, 16000, got, 11, &got_best) == KWS_ERROR_BUFFER_TOO_SMALL);
  CHECK(strstr(kws_last_error(), "scores_capacity 11 < 12") != NULL && got_best == -2);
  kws_classifier_free(classifier);
  kws_classifier_free(NULL);

  CHECK(kws_classifier_create(NULL, NULL, &untouched) == KWS_ERROR_INVALID_ARGUMENT && untouched == (kws_classifier*)0x1);
  CHECK(kws_classifier_create(model, NULL, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  kws_classify_params_init(&params);
  params.size = 3;
  CHECK(kws_classifier_create(model, &params, &untouched) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "params_init") != NULL);
  kws_classify_params_init(&params);
  params.backend = (kws_backend)77;
  CHECK(kws_classifier_create(model, &params, &untouched) == KWS_ERROR_INVALID_ARGUMENT);
  kws_classify_params_init(&params);
  params.stride_seconds = 0.0f;
  CHECK(kws_classifier_create(model, &params, &untouched) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "stride_seconds") != NULL && untouched == (kws_classifier*)0x1);

  /* Its params apply to every run, as they do to kws_classify; the model may go first. */
  {
    kws_model* own = NULL;
    kws_classify_params_init(&params);
    params.backend = KWS_BACKEND_REFERENCE;
    params.stride_seconds = 0.25f;
    CHECK(classify_scores(model, audio, 40000, 16000, &params, expected, &expected_best));
    CHECK(kws_model_load(model_path(), &own) == KWS_OK);
    CHECK(kws_classifier_create(own, &params, &classifier) == KWS_OK);
    kws_model_free(own);
    CHECK(kws_classifier_run(classifier, audio, 40000, 16000, got, 12, &got_best) == KWS_OK);
    CHECK(memcmp(expected, got, sizeof got) == 0 && got_best == expected_best);
    kws_classifier_free(classifier);
  }
  free(audio);
}

typedef struct {
  int count;
  int yes;
  int64_t last_end;
  int ordered;
} callback_state;

static void on_detection(const kws_detection* d, void* user_data) {
  callback_state* state = (callback_state*)user_data;
  if (d->size != sizeof(kws_detection) || d->label == NULL || d->score < 0.0f || d->score > 1.0f) state->ordered = 0;
  if (d->end_sample < state->last_end) state->ordered = 0;
  state->last_end = d->end_sample;
  ++state->count;
  if (strcmp(d->label, "yes") == 0) ++state->yes;
}

static void test_detector(kws_model* model) {
  float* audio = noise(16000 * 6, 5, 0.4f);
  kws_detector_params params;
  kws_detector* detector = NULL;
  kws_detection event;
  int32_t available = 0;
  size_t pending = 0, queued = 0, n = 0;
  const float* scores = NULL;
  int64_t pushed = 0;
  callback_state state = {0, 0, 0, 1};
  size_t at;

  kws_detector_params_init(&params);
  CHECK(params.size == sizeof(params) && params.stride_seconds > 0.09f && params.callback == NULL);
  params.default_threshold = 0.0f; /* fire at every evaluation allowed by the refractory period */
  params.refractory_seconds = 0.5f;
  CHECK(kws_detector_create(model, &params, &detector) == KWS_OK);
  /* Odd chunk sizes, including zero-length pushes. */
  for (at = 0; at < 16000 * 6;) {
    size_t chunk = 1 + (at * 7 + 13) % 3001;
    if (chunk > 16000 * 6 - at) chunk = 16000 * 6 - at;
    CHECK(kws_detector_push(detector, audio + at, chunk) == KWS_OK);
    CHECK(kws_detector_push(detector, NULL, 0) == KWS_OK);
    at += chunk;
  }
  CHECK(kws_detector_finish(detector) == KWS_OK);
  CHECK(kws_detector_pending(detector, &pending) == KWS_OK && pending >= 8);
  CHECK(kws_detector_samples_pushed(detector, &pushed) == KWS_OK && pushed == 16000 * 6);
  CHECK(kws_detector_evaluations(detector, &pushed) == KWS_OK && pushed == (601 - 101) / 10 + 1); /* 601 frames after finish */
  CHECK(kws_detector_scores(detector, &scores, &n) == KWS_OK && n == 12 && scores != NULL);
  event.size = sizeof(event);
  while (kws_detector_next(detector, &event, &available) == KWS_OK && available) {
    ++queued;
    CHECK(event.label != NULL && event.label[0] != '_');
    CHECK(event.end_sample > event.start_sample);
  }
  CHECK(queued == pending);
  CHECK(kws_detector_pending(detector, &pending) == KWS_OK && pending == 0);
  CHECK(kws_detector_push(detector, audio, 10) == KWS_ERROR_INVALID_ARGUMENT); /* after finish */
  CHECK(kws_detector_reset(detector) == KWS_OK);
  CHECK(kws_detector_push(detector, audio, 10) == KWS_OK);
  event.size = 0;
  CHECK(kws_detector_next(detector, &event, &available) == KWS_ERROR_INVALID_ARGUMENT);
  kws_detector_free(detector);

  /* Callback delivery, int16 input at 8 kHz, the model freed before the detector. */
  {
    kws_model* own = NULL;
    int16_t* pcm = (int16_t*)malloc(8000 * 6 * sizeof(int16_t));
    size_t i;
    float thresholds[12];
    for (i = 0; i < 8000 * 6; ++i) pcm[i] = (int16_t)(audio[2 * i] * 32767.0f);
    for (i = 0; i < 12; ++i) thresholds[i] = -1.0f;
    thresholds[11] = 0.0f;
    CHECK(kws_model_load(model_path(), &own) == KWS_OK);
    kws_detector_params_init(&params);
    params.sample_rate = 8000;
    params.refractory_seconds = 0.0f;
    params.thresholds = thresholds;
    params.thresholds_count = 12;
    params.callback = on_detection;
    params.user_data = &state;
    CHECK(kws_detector_create(own, &params, &detector) == KWS_OK);
    kws_model_free(own);
    CHECK(kws_detector_push_s16(detector, pcm, 8000 * 6) == KWS_OK);
    CHECK(kws_detector_finish(detector) == KWS_OK);
    CHECK(state.yes == 1); /* "yes" stays above threshold 0: it fires once (never re-arms) */
    CHECK(state.ordered);
    CHECK(kws_detector_pending(detector, &pending) == KWS_OK && pending == 0);
    kws_detector_free(detector);
    free(pcm);
  }

  /* Bad parameters. */
  kws_detector_params_init(&params);
  params.sample_rate = -5;
  CHECK(kws_detector_create(model, &params, &detector) == KWS_ERROR_INVALID_ARGUMENT);
  kws_detector_params_init(&params);
  params.sensitivity = 3.0f;
  CHECK(kws_detector_create(model, &params, &detector) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "sensitivity") != NULL);
  kws_detector_params_init(&params);
  params.thresholds_count = 5;
  CHECK(kws_detector_create(model, &params, &detector) == KWS_ERROR_INVALID_ARGUMENT);
  free(audio);
}

/* Records every evaluation (up to 128) of a detector. */
typedef struct recording {
  size_t count, classes;
  float scores[128 * 12];
  int64_t frames[128];
  int32_t fired[128];
  int ordered;
} recording;

static void on_evaluation(const kws_evaluation* e, void* user_data) {
  recording* r = (recording*)user_data;
  if (e->index != (int64_t)r->count || e->scores_count != 12 || e->size != sizeof(kws_evaluation) ||
      e->end_sample <= e->start_sample)
    r->ordered = 0;
  if (r->count < 128) {
    memcpy(r->scores + r->count * 12, e->scores, 12 * sizeof(float));
    r->frames[r->count] = e->frame;
    r->fired[r->count] = e->fired_label;
  }
  ++r->count;
}

/* The evaluation callback, and the event policy replaying what it recorded. */
static void test_event_policy(kws_model* model) {
  float* audio = noise(16000 * 8, 9, 0.4f);
  static recording r;
  kws_detector_params params;
  kws_detector* detector = NULL;
  kws_event_policy* policy = NULL;
  int32_t fired[128];
  const float* thresholds = NULL;
  size_t n = 0, i, events = 0, replayed = 0;
  int64_t evaluations = 0;
  kws_detection event;
  int32_t available = 0;

  memset(&r, 0, sizeof(r));
  r.ordered = 1;
  kws_detector_params_init(&params);
  CHECK(params.evaluation_callback == NULL && params.evaluation_user_data == NULL);
  params.default_threshold = 0.1f;
  params.min_consecutive = 1;
  params.refractory_seconds = 0.3f;
  params.evaluation_callback = on_evaluation;
  params.evaluation_user_data = &r;
  CHECK(kws_detector_create(model, &params, &detector) == KWS_OK);
  CHECK(kws_detector_push(detector, audio, 16000 * 8) == KWS_OK);
  CHECK(kws_detector_finish(detector) == KWS_OK);
  CHECK(kws_detector_evaluations(detector, &evaluations) == KWS_OK && (size_t)evaluations == r.count);
  CHECK(r.count > 20 && r.count <= 128 && r.ordered);
  event.size = sizeof(event);
  while (kws_detector_next(detector, &event, &available) == KWS_OK && available) ++events;
  for (i = 0; i < r.count; ++i) replayed += r.fired[i] >= 0;
  CHECK(events > 0 && replayed == events);
  kws_detector_free(detector);

  /* The same firing params replayed through a policy give the same events, in two calls. */
  CHECK(kws_event_policy_create(model, &params, &policy) == KWS_OK);
  CHECK(kws_event_policy_run(policy, r.scores, 12, r.frames, 10, fired) == KWS_OK);
  CHECK(kws_event_policy_run(policy, r.scores + 10 * 12, 12, r.frames + 10, r.count - 10, fired + 10) == KWS_OK);
  for (i = 0; i < r.count; ++i) CHECK(fired[i] == r.fired[i]);
  CHECK(kws_event_policy_thresholds(policy, &thresholds, &n) == KWS_OK && n == 12);
  CHECK(isinf(thresholds[0]) && fabsf(thresholds[11] - 0.1f) < 1e-6f);
  /* After reset it starts over; with nothing to run, nothing is read. */
  CHECK(kws_event_policy_reset(policy) == KWS_OK);
  CHECK(kws_event_policy_run(policy, r.scores, 12, r.frames, 1, fired) == KWS_OK && fired[0] == r.fired[0]);
  CHECK(kws_event_policy_run(policy, NULL, 12, NULL, 0, NULL) == KWS_OK);
  /* Misuse. */
  CHECK(kws_event_policy_run(policy, r.scores, 11, r.frames, 1, fired) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_event_policy_run(policy, NULL, 12, r.frames, 1, fired) == KWS_ERROR_INVALID_ARGUMENT);
  r.frames[1] = r.frames[0] - 1;
  CHECK(kws_event_policy_run(policy, r.scores, 12, r.frames, 2, fired) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "non-decreasing") != NULL);
  CHECK(kws_event_policy_run(NULL, r.scores, 12, r.frames, 1, fired) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_event_policy_reset(NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_event_policy_thresholds(NULL, &thresholds, &n) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_event_policy_thresholds(policy, NULL, &n) == KWS_ERROR_INVALID_ARGUMENT);
  kws_event_policy_free(policy);
  kws_event_policy_free(NULL);
  CHECK(kws_event_policy_create(NULL, &params, &policy) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_event_policy_create(model, &params, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  params.min_consecutive = 0;
  CHECK(kws_event_policy_create(model, &params, &policy) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "min_consecutive") != NULL);
  CHECK(kws_event_policy_create(model, NULL, &policy) == KWS_OK);
  kws_event_policy_free(policy);
  free(audio);
}

static void test_misuse(kws_model* model) {
  kws_model* loaded = (kws_model*)0x1;
  kws_detector* detector = NULL;
  size_t count = 0, bins, frames;
  float scores[12], sample = 0.0f;
  float* samples = NULL;
  const unsigned char garbage[64] = {200, 0, 0, 0, 0, 0, 0, 0, '{'};

  CHECK(kws_model_load(NULL, &loaded) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(loaded == (kws_model*)0x1); /* outputs untouched on failure */
  CHECK(kws_model_load(model_path(), NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_model_load("/nonexistent/model.kws", &loaded) == KWS_ERROR_IO);
  CHECK(strstr(kws_last_error(), "/nonexistent/model.kws") != NULL);
  CHECK(kws_model_load_memory(garbage, sizeof garbage, &loaded) == KWS_ERROR_CORRUPT_DATA);
  CHECK(kws_model_load_memory(garbage, 0, &loaded) == KWS_ERROR_CORRUPT_DATA);
  CHECK(kws_model_load_memory(NULL, 10, &loaded) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_model_load_memory(NULL, 0, &loaded) == KWS_ERROR_CORRUPT_DATA); /* empty, not a NULL error */
  CHECK(kws_model_num_labels(NULL, &count) == KWS_ERROR_INVALID_ARGUMENT);
  {
    kws_detector* d = NULL;
    int32_t rate = 0;
    kws_detector_params p;
    kws_detector_params_init(&p);
    p.sample_rate = 22050;
    CHECK(kws_detector_create(model, &p, &d) == KWS_OK);
    CHECK(kws_detector_sample_rate(d, &rate) == KWS_OK && rate == 22050);
    CHECK(kws_detector_sample_rate(NULL, &rate) == KWS_ERROR_INVALID_ARGUMENT);
    kws_detector_free(d);
    d = NULL;
    p.sample_rate = KWS_MIN_SAMPLE_RATE - 1;
    CHECK(kws_detector_create(model, &p, &d) == KWS_ERROR_INVALID_ARGUMENT && d == NULL);
  }
  CHECK(kws_model_num_labels(model, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(NULL, &sample, 1, 16000, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(model, NULL, 1, 16000, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(model, &sample, 0, 16000, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(model, NULL, 0, 16000, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "empty") != NULL);
  CHECK(kws_classify(model, &sample, 1, 0, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(model, &sample, 1, -16000, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  /* Below the floor: a fuzzer's 2 Hz call resampled 261 samples into two minutes of audio. */
  CHECK(kws_classify(model, &sample, 1, 2, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(model, &sample, 1, KWS_MIN_SAMPLE_RATE - 1, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "[1000, 768000]") != NULL);
  CHECK(kws_classify(model, &sample, 1, KWS_MIN_SAMPLE_RATE, NULL, scores, 12, NULL) == KWS_OK);
  CHECK(kws_classify(model, &sample, 1, KWS_MAX_SAMPLE_RATE + 1, NULL, scores, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_classify(model, &sample, 1, 16000, NULL, NULL, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_features(model, &sample, 1, 16000, NULL, 0, NULL, &frames) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_features(model, &sample, 0, 16000, NULL, 0, &bins, &frames) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_create(NULL, NULL, &detector) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_create(model, NULL, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_push(NULL, &sample, 1) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_push_s16(NULL, NULL, 0) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_finish(NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_reset(NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_next(NULL, NULL, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_create(model, NULL, &detector) == KWS_OK);
  CHECK(kws_detector_push(detector, NULL, 5) == KWS_ERROR_INVALID_ARGUMENT);
  kws_detector_free(detector);
  kws_model_free(NULL);
  kws_detector_free(NULL);
  kws_audio_free(NULL);

  CHECK(kws_audio_read("/nonexistent.wav", 0, &samples, &count, NULL) == KWS_ERROR_IO);
  CHECK(kws_audio_read_memory(garbage, sizeof garbage, 16000, &samples, &count, NULL) == KWS_ERROR_UNSUPPORTED_FORMAT);
  CHECK(samples == NULL);
  CHECK(kws_audio_read(KWS_TEST_SOURCE_DIR "/../examples/data/yes_no_up_down.wav", 8000, &samples, &count, NULL) == KWS_OK);
  CHECK(samples != NULL && count > 8000);
  kws_audio_free(samples);
}

/* One rule for every entry point: NaN/Inf samples count as silence (the same posteriors as zeros
 * there), and counts no buffer can hold are INVALID_ARGUMENT, never a crash. */
static void test_non_finite_samples_and_impossible_counts(kws_model* model) {
  float* clip = noise(16000, 5, 0.3f);
  float* zeroed = (float*)malloc(16000 * sizeof(float));
  float with_nan[12], expected[12], at_rate[12], at_rate_expected[12];
  float nan_value = strtof("nan", NULL), inf_value = strtof("inf", NULL);
  int32_t best = -1, expected_best = -2;
  size_t bins = 0, frames = 0;
  kws_detector* detector = NULL;
  kws_detector_params p;
  int i;
  memcpy(zeroed, clip, 16000 * sizeof(float));
  for (i = 7990; i < 8010; ++i) zeroed[i] = 0.0f;
  for (i = 7990; i < 8010; ++i) clip[i] = (i % 3 == 0) ? nan_value : (i % 3 == 1 ? inf_value : -inf_value);
  CHECK(kws_classify(model, zeroed, 16000, 16000, NULL, expected, 12, &expected_best) == KWS_OK);
  CHECK(kws_classify(model, clip, 16000, 16000, NULL, with_nan, 12, &best) == KWS_OK);
  CHECK(best == expected_best);
  for (i = 0; i < 12; ++i) CHECK(isfinite(with_nan[i]) && fabsf(with_nan[i] - expected[i]) < 1e-6f);
  /* At another rate the samples are cleaned before resampling (a NaN would spread). */
  CHECK(kws_classify(model, zeroed, 16000, 22050, NULL, at_rate_expected, 12, NULL) == KWS_OK);
  CHECK(kws_classify(model, clip, 16000, 22050, NULL, at_rate, 12, NULL) == KWS_OK);
  for (i = 0; i < 12; ++i) CHECK(isfinite(at_rate[i]) && fabsf(at_rate[i] - at_rate_expected[i]) < 1e-6f);
  for (i = 0; i < 16000; ++i) clip[i] = nan_value; /* all NaN: silence, finite posteriors */
  CHECK(kws_classify(model, clip, 16000, 16000, NULL, with_nan, 12, &best) == KWS_OK);
  for (i = 0; i < 12; ++i) CHECK(isfinite(with_nan[i]));

  CHECK(kws_classify(model, clip, SIZE_MAX, 16000, NULL, with_nan, 12, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "KWS_MAX_SAMPLE_COUNT") != NULL);
  CHECK(kws_classify_s16(model, (const int16_t*)clip, SIZE_MAX / 2, 16000, NULL, with_nan, 12, NULL) ==
        KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_features(model, clip, SIZE_MAX, 8000, NULL, 0, &bins, &frames) == KWS_ERROR_INVALID_ARGUMENT);
  kws_detector_params_init(&p);
  CHECK(kws_detector_create(model, &p, &detector) == KWS_OK);
  CHECK(kws_detector_push(detector, clip, SIZE_MAX) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_push_s16(detector, (const int16_t*)clip, SIZE_MAX) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_push(detector, clip, 16000) == KWS_OK); /* still usable */
  kws_detector_free(detector);
  p.sample_rate = 8000; /* the resampling path */
  CHECK(kws_detector_create(model, &p, &detector) == KWS_OK);
  CHECK(kws_detector_push(detector, clip, SIZE_MAX) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_detector_push(detector, clip, 16000) == KWS_OK);
  kws_detector_free(detector);
  free(zeroed);
  free(clip);
}

static const char* ctc_model_path(void) { return KWS_TEST_SOURCE_DIR "/model/golden/ctc/phonemes_tau1.kws"; }

/* The spotter and kws_transcribe on the random-weight CTC model: a keyword made of the first
 * tokens of the clip's own transcript is the best path there, so it fires. */
static void test_spotter(kws_model* classifier) {
  kws_model* model = NULL;
  float* audio = noise(16000 * 4, 11, 0.4f);
  int16_t* pcm = (int16_t*)malloc(16000 * 4 * sizeof(int16_t));
  char text[4096], first[64];
  size_t length = 0, count = 0, n, i, spaces = 0;
  kws_spotter_params params;
  kws_keyword keywords[2];
  kws_spotter* spotter = NULL;
  kws_detection event;
  int32_t available = 0, is_ctc = -1;
  int64_t pushed = 0;
  const char* name = NULL;
  const char* phonemes = NULL;
  float scores[64];
  callback_state state = {0, 0, 0, 1};

  CHECK(kws_model_load(ctc_model_path(), &model) == KWS_OK);
  CHECK(kws_model_is_ctc(model, &is_ctc) == KWS_OK && is_ctc == 1);
  CHECK(kws_model_is_ctc(classifier, &is_ctc) == KWS_OK && is_ctc == 0);
  CHECK(kws_model_is_ctc(NULL, &is_ctc) == KWS_ERROR_INVALID_ARGUMENT);

  /* kws_transcribe: the size protocol of the C API. */
  CHECK(kws_transcribe(model, audio, 16000 * 4, 16000, NULL, NULL, 0, &length) == KWS_OK && length > 0);
  CHECK(kws_transcribe(model, audio, 16000 * 4, 16000, NULL, text, length, &n) == KWS_ERROR_BUFFER_TOO_SMALL);
  CHECK(n == length);
  CHECK(kws_transcribe(model, audio, 16000 * 4, 16000, NULL, text, sizeof text, &n) == KWS_OK && n == length);
  CHECK(strlen(text) == length);
  CHECK(kws_transcribe(classifier, audio, 16000, 16000, NULL, text, sizeof text, &n) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "CTC model") != NULL);
  CHECK(kws_transcribe(model, audio, 0, 16000, NULL, text, sizeof text, &n) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_transcribe(NULL, audio, 16000, 16000, NULL, text, sizeof text, &n) == KWS_ERROR_INVALID_ARGUMENT);
  /* The first three tokens of the transcript. */
  for (i = 0; text[i] != '\0' && i + 1 < sizeof first; ++i) {
    if (text[i] == ' ' && ++spaces == 3) break;
    first[i] = text[i];
  }
  first[i] = '\0';
  CHECK(spaces == 3);

  kws_spotter_params_init(&params);
  CHECK(params.size == sizeof params && params.default_threshold > 0.0f && params.callback == NULL);
  kws_keyword_init(&keywords[0]);
  CHECK(keywords[0].size == sizeof(kws_keyword) && keywords[0].text == NULL && keywords[0].threshold == 0.0f);
  keywords[0].phonemes = first;
  keywords[0].name = "first";
  keywords[0].threshold = 0.9f;
  kws_keyword_init(&keywords[1]);
  keywords[1].phonemes = "k @ m p j u: t# 3";
  CHECK(kws_spotter_create(model, keywords, 2, &params, &spotter) == KWS_OK);
  CHECK(kws_spotter_num_keywords(spotter, &count) == KWS_OK && count == 2);
  CHECK(kws_spotter_keyword(spotter, 0, &name, &phonemes) == KWS_OK && strcmp(name, "first") == 0);
  CHECK(strcmp(phonemes, first) == 0);
  CHECK(kws_spotter_keyword(spotter, 1, &name, NULL) == KWS_OK && strcmp(name, "k @ m p j u: t# 3") == 0);
  CHECK(kws_spotter_keyword(spotter, 2, &name, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  for (i = 0; i < 16000 * 4; i += 1234) {
    n = 16000 * 4 - i < 1234 ? 16000 * 4 - i : 1234;
    CHECK(kws_spotter_push(spotter, audio + i, n) == KWS_OK);
  }
  CHECK(kws_spotter_push(spotter, NULL, 0) == KWS_OK);
  CHECK(kws_spotter_finish(spotter) == KWS_OK);
  CHECK(kws_spotter_samples_pushed(spotter, &pushed) == KWS_OK && pushed == 16000 * 4);
  CHECK(kws_spotter_pending(spotter, &count) == KWS_OK && count >= 1);
  event.size = sizeof event;
  n = 0;
  while (kws_spotter_next(spotter, &event, &available) == KWS_OK && available) {
    if (event.label_index == 0) {
      ++n;
      CHECK(strcmp(event.label, "first") == 0);
      CHECK(event.score >= 0.9f && event.score <= 1.0f);
      CHECK(event.start_sample >= 0 && event.end_sample > event.start_sample);
    }
  }
  CHECK(n >= 1);
  CHECK(kws_spotter_push(spotter, audio, 10) == KWS_ERROR_INVALID_ARGUMENT); /* after finish */
  CHECK(kws_spotter_reset(spotter) == KWS_OK);
  /* int16, all at once: the events of the same samples. */
  for (i = 0; i < 16000 * 4; ++i) pcm[i] = (int16_t)(audio[i] * 32767.0f);
  CHECK(kws_spotter_push_s16(spotter, pcm, 16000 * 4) == KWS_OK);
  CHECK(kws_spotter_finish(spotter) == KWS_OK);
  CHECK(kws_spotter_pending(spotter, &count) == KWS_OK && count >= 1);
  kws_spotter_free(spotter);
  spotter = NULL;

  /* A callback instead of the queue. */
  params.callback = on_detection;
  params.user_data = &state;
  CHECK(kws_spotter_create(model, keywords, 1, &params, &spotter) == KWS_OK);
  CHECK(kws_spotter_push(spotter, audio, 16000 * 4) == KWS_OK && kws_spotter_finish(spotter) == KWS_OK);
  CHECK(state.count >= 1 && state.ordered == 1);
  CHECK(kws_spotter_pending(spotter, &count) == KWS_OK && count == 0);
  kws_spotter_free(spotter);
  spotter = NULL;
  params.callback = NULL;

  /* Misuse: NULL handles and arguments, bad keywords, the wrong kind of model. */
  CHECK(kws_spotter_create(NULL, keywords, 1, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_create(model, NULL, 1, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_create(model, keywords, 1, &params, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_create(model, keywords, 0, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "no keywords") != NULL);
  CHECK(kws_spotter_create(classifier, keywords, 1, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "CTC model") != NULL);
  keywords[1].phonemes = "k @ QQ";
  CHECK(kws_spotter_create(model, keywords, 2, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "QQ") != NULL && strstr(kws_last_error(), "the model's tokens") != NULL);
  keywords[1].phonemes = NULL;
  CHECK(kws_spotter_create(model, keywords, 2, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "exactly one of text and phonemes") != NULL);
  keywords[1].text = "computer";
  if (kws_spotter_create(model, keywords, 2, &params, &spotter) == KWS_OK) {
    CHECK(kws_spotter_keyword(spotter, 1, &name, &phonemes) == KWS_OK && strcmp(name, "computer") == 0);
    CHECK(strcmp(phonemes, "k @ m p j u: t# 3") == 0);
    kws_spotter_free(spotter);
  } else {
    CHECK(strstr(kws_last_error(), "libespeak-ng") != NULL); /* built without it */
  }
  /* The checks below are of other fields: a keyword that needs no phonemiser. */
  keywords[1].text = NULL;
  keywords[1].phonemes = "k @ m p j u: t# 3";
  keywords[1].size = sizeof(kws_keyword) + 8; /* from a newer kws.h */
  CHECK(kws_spotter_create(model, keywords, 2, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  keywords[1].size = sizeof(kws_keyword);
  keywords[1].threshold = 1.5f;
  CHECK(kws_spotter_create(model, keywords, 2, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  params.window_frames = 100;
  CHECK(kws_spotter_create(model, keywords, 1, &params, &spotter) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(kws_last_error(), "receptive radius") != NULL);
  CHECK(kws_spotter_push(NULL, audio, 10) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_push_s16(NULL, pcm, 10) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_finish(NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_reset(NULL) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_pending(NULL, &count) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_next(NULL, &event, &available) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_num_keywords(NULL, &count) == KWS_ERROR_INVALID_ARGUMENT);
  CHECK(kws_spotter_samples_pushed(NULL, &pushed) == KWS_ERROR_INVALID_ARGUMENT);
  kws_spotter_free(NULL);
  /* The classifier APIs refuse the CTC model. */
  {
    kws_detector* detector = NULL;
    kws_classifier* cls = NULL;
    CHECK(kws_detector_create(model, NULL, &detector) == KWS_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(kws_last_error(), "kws::Spotter") != NULL);
    CHECK(kws_classifier_create(model, NULL, &cls) == KWS_ERROR_INVALID_ARGUMENT);
    CHECK(kws_classify(model, audio, 16000, 16000, NULL, scores, 64, NULL) == KWS_ERROR_INVALID_ARGUMENT);
  }
  kws_model_free(model);
  free(pcm);
  free(audio);
}

int main(void) {
  kws_model* model = NULL;
  test_version();
  if (kws_model_load(model_path(), &model) != KWS_OK) {
    fprintf(stderr, "cannot load %s: %s\n", model_path(), kws_last_error());
    return 1;
  }
  test_model(model);
  test_features_and_classify(model);
  test_classifier(model);
  test_detector(model);
  test_event_policy(model);
  test_misuse(model);
  test_non_finite_samples_and_impossible_counts(model);
  test_spotter(model);
  kws_model_free(model);
  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
