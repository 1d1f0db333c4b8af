/*
 * What the C API itself gives on one recording, for the bindings' tests to compare with (the Rust
 * and Go tests compile this against the very libkws they loaded and run it):
 *
 *   c_api_events MODEL AUDIO
 *
 * reads AUDIO at its own rate (kws_audio_read), classifies it as one clip, then streams it
 * through a detector at that rate in 100 ms chunks and takes the queued events. Prints, with
 * floats in %.9g (exact for float):
 *
 *   classify BEST_INDEX SCORE...      one score per label
 *   event LABEL_INDEX LABEL SCORE START_SAMPLE END_SAMPLE
 *
 * Exits 1 with libkws's message on stderr when a call fails.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kws.h"

static int failed(const char* what, kws_status status) {
  fprintf(stderr, "c_api_events: %s: %s (%s)\n", what, kws_last_error(), kws_status_string(status));
  return 1;
}

int main(int argc, char** argv) {
  kws_model* model = NULL;
  kws_detector* detector = NULL;
  kws_detector_params params;
  kws_detection event;
  float* samples = NULL;
  float* scores = NULL;
  size_t count = 0, labels = 0, at = 0, chunk, i;
  int32_t rate = 0, best = -1, available = 0;
  kws_status status;

  if (argc != 3) {
    fprintf(stderr, "usage: c_api_events MODEL AUDIO\n");
    return 2;
  }
  if ((status = kws_model_load(argv[1], &model)) != KWS_OK) return failed("kws_model_load", status);
  if ((status = kws_model_num_labels(model, &labels)) != KWS_OK) return failed("kws_model_num_labels", status);
  if ((status = kws_audio_read(argv[2], 0, &samples, &count, &rate)) != KWS_OK) return failed("kws_audio_read", status);

  scores = (float*)malloc(labels * sizeof(float));
  if (scores == NULL) return failed("malloc", KWS_ERROR_OUT_OF_MEMORY);
  status = kws_classify(model, samples, count, rate, NULL, scores, labels, &best);
  if (status != KWS_OK) return failed("kws_classify", status);
  printf("classify %d", (int)best);
  for (i = 0; i < labels; ++i) printf(" %.9g", (double)scores[i]);
  printf("\n");

  kws_detector_params_init(&params);
  params.sample_rate = rate;
  if ((status = kws_detector_create(model, &params, &detector)) != KWS_OK) return failed("kws_detector_create", status);
  chunk = (size_t)rate / 10;
  for (at = 0; at < count; at += chunk) {
    status = kws_detector_push(detector, samples + at, count - at < chunk ? count - at : chunk);
    if (status != KWS_OK) return failed("kws_detector_push", status);
  }
  if ((status = kws_detector_finish(detector)) != KWS_OK) return failed("kws_detector_finish", status);
  for (;;) {
    event.size = sizeof event;
    if ((status = kws_detector_next(detector, &event, &available)) != KWS_OK) return failed("kws_detector_next", status);
    if (!available) break;
    printf("event %d %s %.9g %lld %lld\n", (int)event.label_index, event.label, (double)event.score,
           (long long)event.start_sample, (long long)event.end_sample);
  }

  kws_detector_free(detector);
  kws_audio_free(samples);
  free(scores);
  kws_model_free(model);
  return 0;
}
