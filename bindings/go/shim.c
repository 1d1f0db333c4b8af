/* See shim.h. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* The kws.h functions this binding calls. */
#define KWSGO_FUNCTIONS(X)                                                                        \
  X(kws_status_string) X(kws_last_error) X(kws_version_number) X(kws_version_string)              \
  X(kws_model_load) X(kws_model_load_memory) X(kws_model_free) X(kws_model_num_labels)            \
  X(kws_model_label) X(kws_model_sample_rate) X(kws_classify) X(kws_classify_s16)                 \
  X(kws_detector_params_init) X(kws_detector_create) X(kws_detector_free) X(kws_detector_push)    \
  X(kws_detector_push_s16) X(kws_detector_finish) X(kws_detector_reset) X(kws_detector_next)      \
  X(kws_detector_scores) X(kws_detector_sample_rate) X(kws_detector_samples_pushed)               \
  X(kws_audio_read) X(kws_audio_read_memory) X(kws_audio_free)

/* Pointers of kws.h's own prototypes (__typeof__), so the compiler checks every call below. */
typedef struct kwsgo_api {
#define KWSGO_POINTER(name) __typeof__(name)* name;
  KWSGO_FUNCTIONS(KWSGO_POINTER)
#undef KWSGO_POINTER
} kwsgo_api;

static kwsgo_api api; /* set by kwsgo_bind, before any wrapper runs */

/* Messages are strdup()ed: NULL when out of memory, which Go reads as "". */

/* Fills *into from handle; NULL, or the name of the first function it lacks. */
static const char* resolve(void* handle, kwsgo_api* into) {
#define KWSGO_RESOLVE(name)                                        \
  *(void**)(&into->name) = dlsym(handle, #name);                   \
  if (into->name == NULL) return #name;
  KWSGO_FUNCTIONS(KWSGO_RESOLVE)
#undef KWSGO_RESOLVE
  return NULL;
}

int kwsgo_open(const char* path, unsigned abi_major, void** out_handle, char** out_message) {
  char reason[512];
  kwsgo_api found;
  const char* missing;
  unsigned major;
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char* error = dlerror();
    *out_message = strdup(error != NULL ? error : "dlopen failed");
    return 1;
  }
  missing = resolve(handle, &found);
  if (missing != NULL) {
    snprintf(reason, sizeof reason, "not a libkws of ABI %u: it lacks %s", abi_major, missing);
    *out_message = strdup(reason);
    dlclose(handle);
    return 1;
  }
  major = found.kws_version_number() / 10000;
  if (major != abi_major) {
    snprintf(reason, sizeof reason, "libkws %s is ABI %u; this binding needs ABI %u", found.kws_version_string(),
             major, abi_major);
    *out_message = strdup(reason);
    dlclose(handle);
    return 1;
  }
  *out_handle = handle;
  return 0;
}

void kwsgo_bind(void* handle) { resolve(handle, &api); }

const char* kwsgo_library_file(void) {
  Dl_info info;
  if (dladdr(*(void**)(&api.kws_version_number), &info) == 0) return NULL;
  return info.dli_fname;
}

/* status, with a copy of this thread's message when it is a failure. */
static kws_status result(kws_status status, char** message) {
  if (status != KWS_OK) {
    const char* last = api.kws_last_error();
    *message = strdup(last[0] != '\0' ? last : api.kws_status_string(status));
  }
  return status;
}

const char* kwsgo_version_string(void) { return api.kws_version_string(); }
const char* kwsgo_status_string(kws_status status) { return api.kws_status_string(status); }

kws_status kwsgo_model_load(const char* path, kws_model** out_model, char** message) {
  return result(api.kws_model_load(path, out_model), message);
}
kws_status kwsgo_model_load_memory(const void* data, size_t size, kws_model** out_model, char** message) {
  return result(api.kws_model_load_memory(data, size, out_model), message);
}
void kwsgo_model_free(kws_model* model) { api.kws_model_free(model); }
kws_status kwsgo_model_num_labels(const kws_model* model, size_t* out_count, char** message) {
  return result(api.kws_model_num_labels(model, out_count), message);
}
kws_status kwsgo_model_label(const kws_model* model, size_t index, const char** out_label, char** message) {
  return result(api.kws_model_label(model, index, out_label), message);
}
kws_status kwsgo_model_sample_rate(const kws_model* model, int32_t* out_sample_rate, char** message) {
  return result(api.kws_model_sample_rate(model, out_sample_rate), message);
}
kws_status kwsgo_classify(const kws_model* model, const float* samples, size_t count, int32_t sample_rate,
                          float* out_scores, size_t scores_capacity, int32_t* out_best, char** message) {
  return result(api.kws_classify(model, samples, count, sample_rate, NULL, out_scores, scores_capacity, out_best),
                message);
}
kws_status kwsgo_classify_s16(const kws_model* model, const int16_t* samples, size_t count, int32_t sample_rate,
                              float* out_scores, size_t scores_capacity, int32_t* out_best, char** message) {
  return result(
      api.kws_classify_s16(model, samples, count, sample_rate, NULL, out_scores, scores_capacity, out_best), message);
}

void kwsgo_detector_params_init(kws_detector_params* params) { api.kws_detector_params_init(params); }
kws_status kwsgo_detector_create(const kws_model* model, const kws_detector_params* params,
                                 kws_detector** out_detector, char** message) {
  return result(api.kws_detector_create(model, params, out_detector), message);
}
void kwsgo_detector_free(kws_detector* detector) { api.kws_detector_free(detector); }
kws_status kwsgo_detector_push(kws_detector* detector, const float* samples, size_t count, char** message) {
  return result(api.kws_detector_push(detector, samples, count), message);
}
kws_status kwsgo_detector_push_s16(kws_detector* detector, const int16_t* samples, size_t count, char** message) {
  return result(api.kws_detector_push_s16(detector, samples, count), message);
}
kws_status kwsgo_detector_finish(kws_detector* detector, char** message) {
  return result(api.kws_detector_finish(detector), message);
}
kws_status kwsgo_detector_reset(kws_detector* detector, char** message) {
  return result(api.kws_detector_reset(detector), message);
}
kws_status kwsgo_detector_next(kws_detector* detector, kws_detection* out, int32_t* out_available, char** message) {
  return result(api.kws_detector_next(detector, out, out_available), message);
}
kws_status kwsgo_detector_scores(const kws_detector* detector, const float** out_scores, size_t* out_count,
                                 char** message) {
  return result(api.kws_detector_scores(detector, out_scores, out_count), message);
}
kws_status kwsgo_detector_sample_rate(const kws_detector* detector, int32_t* out_sample_rate, char** message) {
  return result(api.kws_detector_sample_rate(detector, out_sample_rate), message);
}
kws_status kwsgo_detector_samples_pushed(const kws_detector* detector, int64_t* out_samples, char** message) {
  return result(api.kws_detector_samples_pushed(detector, out_samples), message);
}

kws_status kwsgo_audio_read(const char* path, int32_t target_sample_rate, float** out_samples, size_t* out_count,
                            int32_t* out_sample_rate, char** message) {
  return result(api.kws_audio_read(path, target_sample_rate, out_samples, out_count, out_sample_rate), message);
}
kws_status kwsgo_audio_read_memory(const void* data, size_t size, int32_t target_sample_rate, float** out_samples,
                                   size_t* out_count, int32_t* out_sample_rate, char** message) {
  return result(api.kws_audio_read_memory(data, size, target_sample_rate, out_samples, out_count, out_sample_rate),
                message);
}
void kwsgo_audio_free(float* samples) { api.kws_audio_free(samples); }
