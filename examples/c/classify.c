/*
 * kws-classify-c: the C API (capi/kws.h, libkws.so) end to end, in plain C99.
 *
 *   kws-classify-c [--model M] FILE
 *
 * Loads a model, reads an audio file (any format and rate) with kws_audio_read, classifies it as
 * one clip (best label and score), then streams the same samples through a kws_detector in 100 ms
 * chunks, as a live source would, and prints each keyword event with its time. The model is
 * --model, else $KWS_MODEL, else the examples' default model (KWS_DEFAULT_MODEL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kws.h"

#ifndef KWS_DEFAULT_MODEL
#define KWS_DEFAULT_MODEL "examples/models/commands_en.kws"
#endif

/* Prints what failed, with libkws's own message, and returns 1 (the exit status). */
static int fail(const char* what, kws_status status) {
  fprintf(stderr, "kws-classify-c: %s: %s (%s)\n", what, kws_last_error(), kws_status_string(status));
  return 1;
}

/* What the detector callback needs: the stream's rate, for times, and an event count. */
typedef struct stream_state {
  int32_t sample_rate;
  int events;
} stream_state;

/* Detector callback: one line per event. */
static void on_detection(const kws_detection* detection, void* user_data) {
  stream_state* state = (stream_state*)user_data;
  const double rate = (double)state->sample_rate;
  ++state->events;
  printf("  %7.2f-%7.2f s  %-12s %.3f\n", (double)detection->start_sample / rate,
         (double)detection->end_sample / rate, detection->label, detection->score);
}

int main(int argc, char** argv) {
  const char* model_path = NULL;
  const char* audio_path = NULL;
  kws_model* model = NULL;
  kws_detector* detector = NULL;
  float* samples = NULL;
  float* scores = NULL;
  size_t count = 0, labels = 0, at = 0, chunk = 0;
  int32_t rate = 0, best = -1;
  const char* best_label = NULL;
  kws_detector_params params;
  stream_state stream = {0, 0};
  kws_status status;
  int i, result = 1;
  FILE* probe;

  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model_path = argv[++i];
    } else if (argv[i][0] == '-' || audio_path != NULL) {
      fprintf(stderr, "usage: kws-classify-c [--model M] FILE\n");
      return 2;
    } else {
      audio_path = argv[i];
    }
  }
  if (audio_path == NULL) {
    fprintf(stderr, "usage: kws-classify-c [--model M] FILE\n");
    return 2;
  }
  if (model_path == NULL) model_path = getenv("KWS_MODEL");
  if (model_path == NULL || model_path[0] == '\0') model_path = KWS_DEFAULT_MODEL;
  probe = fopen(model_path, "rb");
  if (probe == NULL) {
    fprintf(stderr, "kws-classify-c: model file %s does not exist; pass --model PATH or set KWS_MODEL\n",
            model_path);
    return 1;
  }
  fclose(probe);

  printf("libkws %s\n", kws_version_string());
  status = kws_model_load(model_path, &model);
  if (status != KWS_OK) return fail("loading the model", status);
  if ((status = kws_model_num_labels(model, &labels)) != KWS_OK) {
    fail("kws_model_num_labels", status);
    goto done;
  }

  /* Read the whole file, as it is: the library resamples to the model's rate itself. */
  status = kws_audio_read(audio_path, 0, &samples, &count, &rate);
  if (status != KWS_OK) {
    fail("reading the audio", status); /* the message names the file */
    goto done;
  }
  printf("%s: %.2f s at %d Hz\n", audio_path, (double)count / rate, (int)rate);

  /* 1. The whole clip: one posterior per label. */
  scores = (float*)malloc(labels * sizeof(float));
  if (scores == NULL) {
    fprintf(stderr, "kws-classify-c: out of memory\n");
    goto done;
  }
  status = kws_classify(model, samples, count, rate, NULL, scores, labels, &best);
  if (status != KWS_OK) {
    fail("kws_classify", status);
    goto done;
  }
  kws_model_label(model, (size_t)best, &best_label);
  printf("classified: %s %.3f\n", best_label, scores[best]);

  /* 2. The same audio as a stream: 100 ms chunks through a detector, events via the callback. */
  kws_detector_params_init(&params);
  params.sample_rate = rate;
  params.callback = on_detection;
  stream.sample_rate = rate;
  params.user_data = &stream;
  status = kws_detector_create(model, &params, &detector);
  if (status != KWS_OK) {
    fail("kws_detector_create", status);
    goto done;
  }
  printf("events:\n");
  chunk = (size_t)rate / 10;
  for (at = 0; at < count; at += chunk) {
    size_t n = count - at < chunk ? count - at : chunk;
    if ((status = kws_detector_push(detector, samples + at, n)) != KWS_OK) {
      fail("kws_detector_push", status);
      goto done;
    }
  }
  if ((status = kws_detector_finish(detector)) != KWS_OK) {
    fail("kws_detector_finish", status);
    goto done;
  }
  if (stream.events == 0) printf("  (none above the thresholds)\n");
  result = 0;

done:
  kws_detector_free(detector);
  kws_audio_free(samples);
  free(scores);
  kws_model_free(model);
  return result;
}
