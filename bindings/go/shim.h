/* The C side of the Go binding: libkws loaded with dlopen (the Go side chooses the file, in the
 * bindings' search order) and called through the pointers dlsym gives, one wrapper per function
 * the binding uses. Each wrapper that can fail hands back a copy of kws_last_error(), taken in
 * the same C call: the message is thread-local, and Go may move a goroutine to another thread
 * between two cgo calls. The copy is malloc'ed; the Go side frees it. */
#ifndef KWSGO_SHIM_H
#define KWSGO_SHIM_H

#include "kws.h"

/* dlopen()s path and checks that it is a libkws of ABI abi_major: 0 and *out_handle, or 1 and a
 * malloc'ed reason. Does not touch the functions the wrappers call (see kwsgo_bind), so a test may
 * open other files. */
int kwsgo_open(const char* path, unsigned abi_major, void** out_handle, char** out_message);
/* Makes handle (from kwsgo_open) the library every wrapper calls; once, before any of them. */
void kwsgo_bind(void* handle);
/* The file the bound library was loaded from (static), or NULL if the loader does not say. */
const char* kwsgo_library_file(void);

const char* kwsgo_version_string(void);
const char* kwsgo_status_string(kws_status status);

kws_status kwsgo_model_load(const char* path, kws_model** out_model, char** message);
kws_status kwsgo_model_load_memory(const void* data, size_t size, kws_model** out_model, char** message);
void kwsgo_model_free(kws_model* model);
kws_status kwsgo_model_num_labels(const kws_model* model, size_t* out_count, char** message);
kws_status kwsgo_model_label(const kws_model* model, size_t index, const char** out_label, char** message);
kws_status kwsgo_model_sample_rate(const kws_model* model, int32_t* out_sample_rate, char** message);
kws_status kwsgo_classify(const kws_model* model, const float* samples, size_t count, int32_t sample_rate,
                          float* out_scores, size_t scores_capacity, int32_t* out_best, char** message);
kws_status kwsgo_classify_s16(const kws_model* model, const int16_t* samples, size_t count, int32_t sample_rate,
                              float* out_scores, size_t scores_capacity, int32_t* out_best, char** message);

void kwsgo_detector_params_init(kws_detector_params* params);
kws_status kwsgo_detector_create(const kws_model* model, const kws_detector_params* params,
                                 kws_detector** out_detector, char** message);
void kwsgo_detector_free(kws_detector* detector);
kws_status kwsgo_detector_push(kws_detector* detector, const float* samples, size_t count, char** message);
kws_status kwsgo_detector_push_s16(kws_detector* detector, const int16_t* samples, size_t count, char** message);
kws_status kwsgo_detector_finish(kws_detector* detector, char** message);
kws_status kwsgo_detector_reset(kws_detector* detector, char** message);
kws_status kwsgo_detector_next(kws_detector* detector, kws_detection* out, int32_t* out_available, char** message);
kws_status kwsgo_detector_scores(const kws_detector* detector, const float** out_scores, size_t* out_count,
                                 char** message);
kws_status kwsgo_detector_sample_rate(const kws_detector* detector, int32_t* out_sample_rate, char** message);
kws_status kwsgo_detector_samples_pushed(const kws_detector* detector, int64_t* out_samples, char** message);

kws_status kwsgo_audio_read(const char* path, int32_t target_sample_rate, float** out_samples, size_t* out_count,
                            int32_t* out_sample_rate, char** message);
kws_status kwsgo_audio_read_memory(const void* data, size_t size, int32_t target_sample_rate, float** out_samples,
                                   size_t* out_count, int32_t* out_sample_rate, char** message);
void kwsgo_audio_free(float* samples);

#endif
