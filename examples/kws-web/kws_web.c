/* kws-web glue: what JavaScript needs beside the C API, which the module exports as it is
 * (every kws_* function of kws.h).
 *
 *   kws_web_layout()               the offset and size of every kws.h struct field kws.js reads
 *                                  or writes, as the compiler that built this module laid them
 *                                  out, so kws.js mirrors no offset by hand (STYLE 17)
 *   kws_web_evaluation_callback()  a kws_evaluation_callback that hands each evaluation to
 *                                  JavaScript (Module.kwsWebEvaluation), with its user_data
 */
#include <emscripten.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kws.h"

typedef struct field {
  const char* type;
  const char* name;
  size_t offset;
  size_t size;
  size_t type_size;
} field;

#define FIELD(type, member) \
  { #type, #member, offsetof(type, member), sizeof(((type*)0)->member), sizeof(type) }

static const field fields[] = {
    FIELD(kws_classify_params, size),
    FIELD(kws_classify_params, backend),
    FIELD(kws_classify_params, stride_seconds),
    FIELD(kws_detector_params, size),
    FIELD(kws_detector_params, sample_rate),
    FIELD(kws_detector_params, window_seconds),
    FIELD(kws_detector_params, stride_seconds),
    FIELD(kws_detector_params, smoothing_seconds),
    FIELD(kws_detector_params, sensitivity),
    FIELD(kws_detector_params, refractory_seconds),
    FIELD(kws_detector_params, default_threshold),
    FIELD(kws_detector_params, min_consecutive),
    FIELD(kws_detector_params, backend),
    FIELD(kws_detector_params, thresholds),
    FIELD(kws_detector_params, thresholds_count),
    FIELD(kws_detector_params, evaluation_callback),
    FIELD(kws_detector_params, evaluation_user_data),
    FIELD(kws_detection, size),
    FIELD(kws_detection, label_index),
    FIELD(kws_detection, label),
    FIELD(kws_detection, score),
    FIELD(kws_detection, start_sample),
    FIELD(kws_detection, end_sample),
    FIELD(kws_evaluation, index),
    FIELD(kws_evaluation, frame),
    FIELD(kws_evaluation, start_sample),
    FIELD(kws_evaluation, end_sample),
    FIELD(kws_evaluation, scores),
    FIELD(kws_evaluation, scores_count),
    FIELD(kws_evaluation, fired_label),
};

static char layout[4096];
static size_t layout_used;

static void append(const char* format, const char* text, size_t a, size_t b) {
  layout_used += (size_t)snprintf(layout + layout_used, sizeof layout - layout_used, format, text, a, b);
}

/* JSON, {"kws_detection": {"sizeof": 40, "fields": {"score": [12, 4], ...}}, ...}: a static
 * string. */
EMSCRIPTEN_KEEPALIVE const char* kws_web_layout(void) {
  if (layout_used > 0) return layout;
  const size_t count = sizeof fields / sizeof fields[0];
  append("%s", "{", 0, 0);
  for (size_t i = 0; i < count; ++i) {
    const field* f = &fields[i];
    const int first_of_type = i == 0 || strcmp(fields[i - 1].type, f->type) != 0;
    const int last_of_type = i + 1 == count || strcmp(fields[i + 1].type, f->type) != 0;
    if (first_of_type) append("\"%s\": {\"sizeof\": %zu, \"fields\": {", f->type, f->type_size, 0);
    append("\"%s\": [%zu, %zu]", f->name, f->offset, f->size);
    append("%s", last_of_type ? (i + 1 == count ? "}}" : "}}, ") : ", ", 0, 0);
  }
  append("%s", "}", 0, 0);
  return layout;
}

/* The evaluation callback: JavaScript cannot be a C function pointer without growing the table,
 * so every detector with onEvaluation gets this one, and its user_data says which it is. */
EM_JS(void, deliver_evaluation, (const kws_evaluation* evaluation, void* user_data), {
  Module.kwsWebEvaluation(evaluation, user_data);
});

static void forward_evaluation(const kws_evaluation* evaluation, void* user_data) {
  deliver_evaluation(evaluation, user_data);
}

EMSCRIPTEN_KEEPALIVE kws_evaluation_callback kws_web_evaluation_callback(void) { return forward_evaluation; }
