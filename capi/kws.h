/*
 * libkws C API: keyword spotting for C, C++ and any language with a C FFI.
 *
 * Two kinds of handle:
 *   kws_model       an immutable trained model (weights, labels, feature config). Load once and
 *                   share it read-only between any number of threads.
 *   kws_detector,   per-user state made from a model: a detector holds one audio stream
 *   kws_classifier, (resampler, features, network activations, posterior history), a classifier
 *   kws_spotter     the planned network and buffers for whole clips, a spotter one audio stream
 *                   searched for keywords given at run time. One thread at a time per handle;
 *                   create one per stream or per worker thread.
 * A model is a classifier (detector, classifier, kws_classify) or a CTC acoustic model over
 * phonemes (spotter, kws_transcribe); the other kind's functions refuse it with
 * KWS_ERROR_INVALID_ARGUMENT (kws_model_is_ctc tells which it is).
 *
 * Conventions, for every function:
 *   - A kws_status is returned; KWS_OK (0) is success. On failure the outputs are untouched and
 *     kws_last_error() holds a human-readable message for the calling thread.
 *   - Every pointer argument is checked (NULL gives KWS_ERROR_INVALID_ARGUMENT) and no C++
 *     exception leaves the library. The library never aborts or exits the host process.
 *   - *_free() accepts NULL.
 *   - Parameter structs are passed by pointer and start with their own size: fill them with
 *     kws_*_params_init(), then change fields. New fields are only ever appended, so a program
 *     built against an older kws.h keeps working with a newer library.
 *   - Audio is mono PCM: float in [-1, 1] or int16, at any sample rate from KWS_MIN_SAMPLE_RATE
 *     to KWS_MAX_SAMPLE_RATE Hz (it is resampled to the model's rate inside).
 * This header includes only <stddef.h> and <stdint.h> (and kws/version.h, kws/limits.h), and
 * compiles as C89, C99 and C++.
 */
#ifndef KWS_H
#define KWS_H

#include <stddef.h>
#include <stdint.h>

#include "kws/version.h" /* KWS_VERSION_MAJOR, _MINOR, _PATCH, _STRING, _NUMBER */

#include "kws/limits.h"  /* KWS_MIN/MAX_SAMPLE_RATE (rates accepted everywhere), KWS_MAX_SAMPLE_COUNT */

/* Samples everywhere: float in [-1, 1] or int16; NaN and +-Inf float samples count as 0 (silence),
 * as in audio files; a count above KWS_MAX_SAMPLE_COUNT is KWS_ERROR_INVALID_ARGUMENT. */

#if defined(_WIN32)
#  if defined(KWS_BUILDING_LIBRARY)
#    define KWS_API __declspec(dllexport)
#  else
#    define KWS_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define KWS_API __attribute__((visibility("default")))
#else
#  define KWS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status and errors --------------------------------------------------------------------- */

/* Values are pinned: they never change between releases. */
typedef enum kws_status {
  KWS_OK = 0,
  KWS_ERROR_INVALID_ARGUMENT = 1,   /* NULL pointer, value out of range, inconsistent values */
  KWS_ERROR_IO = 2,                 /* a file could not be opened or read */
  KWS_ERROR_UNSUPPORTED_FORMAT = 3, /* well-formed input libkws does not handle */
  KWS_ERROR_CORRUPT_DATA = 4,       /* malformed model or audio file */
  KWS_ERROR_OUT_OF_MEMORY = 5,
  KWS_ERROR_INTERNAL = 6,           /* a bug in libkws: please report it with kws_last_error() */
  KWS_ERROR_BUFFER_TOO_SMALL = 7    /* an output buffer is smaller than the result; sizes are set */
} kws_status;

/* A static description of `status` ("ok", "invalid argument", ...); never NULL. */
KWS_API const char* kws_status_string(kws_status status);

/* The message of the latest failed call on this thread ("" if none). Valid until the next
 * libkws call on this thread. */
KWS_API const char* kws_last_error(void);

/* ---- Version ------------------------------------------------------------------------------- */

/* KWS_VERSION_NUMBER of the library actually loaded (major * 10000 + minor * 100 + patch). */
KWS_API uint32_t kws_version_number(void);
/* "MAJOR.MINOR.PATCH" of the library actually loaded; static. */
KWS_API const char* kws_version_string(void);
/* One line on how the library was built: version, backends, instruction set; static. */
KWS_API const char* kws_build_info(void);

/* ---- Backends ------------------------------------------------------------------------------ */

typedef enum kws_backend {
  KWS_BACKEND_DEFAULT = 0,   /* the fastest in this build (the KWS_BACKEND environment variable
                                overrides it, e.g. KWS_BACKEND=reference) */
  KWS_BACKEND_REFERENCE = 1, /* plain loops: the numerical reference */
  KWS_BACKEND_EIGEN = 2,
  KWS_BACKEND_ONEDNN = 3
} kws_backend;

/* 1 if this build contains `backend`, else 0. */
KWS_API int kws_backend_available(kws_backend backend);

/* ---- Model --------------------------------------------------------------------------------- */

typedef struct kws_model kws_model;

/* Loads and fully validates a libkws model file (.kws). A corrupt or hostile file gives
 * KWS_ERROR_CORRUPT_DATA or KWS_ERROR_UNSUPPORTED_FORMAT, never a crash. */
KWS_API kws_status kws_model_load(const char* path, kws_model** out_model);
/* The same from a complete model file in memory; the buffer is copied and may be freed. */
KWS_API kws_status kws_model_load_memory(const void* data, size_t size, kws_model** out_model);
/* Releases the caller's reference. Detectors and classifiers created from the model keep their
 * own, so a model may be freed before them. */
KWS_API void kws_model_free(kws_model* model);

/* Number of output classes (labels). */
KWS_API kws_status kws_model_num_labels(const kws_model* model, size_t* out_count);
/* Label `index` (0-based), NUL-terminated UTF-8, owned by the model: valid until
 * kws_model_free(). Index out of range gives KWS_ERROR_INVALID_ARGUMENT. */
KWS_API kws_status kws_model_label(const kws_model* model, size_t index, const char** out_label);
/* Sample rate (Hz) the model's features are computed at. */
KWS_API kws_status kws_model_sample_rate(const kws_model* model, int32_t* out_sample_rate);
/* Feature rows per frame (n_mels, or n_mfcc) and frames per analysis window. */
KWS_API kws_status kws_model_feature_bins(const kws_model* model, int32_t* out_bins);
KWS_API kws_status kws_model_input_frames(const kws_model* model, int32_t* out_frames);
/* The feature configuration as JSON (torchaudio-style keys), owned by the model. */
KWS_API kws_status kws_model_feature_config(const kws_model* model, const char** out_json);
/* The model's suggested threshold for label `index`, or a negative value when it has none. */
KWS_API kws_status kws_model_threshold(const kws_model* model, size_t index, float* out_threshold);
/* 1 for a CTC acoustic model (architecture "bcresnet_ctc": label 0 is the blank "_blank_", the
 * others phoneme tokens; for kws_spotter and kws_transcribe), 0 for a classifier. */
KWS_API kws_status kws_model_is_ctc(const kws_model* model, int32_t* out_is_ctc);

/* ---- Whole clips: features and classification ---------------------------------------------- */

/* Features exactly as the model was trained with, as a [bins][frames] row-major matrix.
 * Call with out == NULL to learn the size (free at the model's rate; at another rate the
 * features are computed to count the resampled frames); with out_capacity (floats) too small the
 * call gives KWS_ERROR_BUFFER_TOO_SMALL. *out_bins and *out_frames are set in both cases. */
KWS_API kws_status kws_features(const kws_model* model, const float* samples, size_t count,
                                int32_t sample_rate, float* out, size_t out_capacity,
                                size_t* out_bins, size_t* out_frames);

typedef struct kws_classify_params {
  size_t size;          /* sizeof(kws_classify_params), set by kws_classify_params_init */
  kws_backend backend;  /* default KWS_BACKEND_DEFAULT */
  float stride_seconds; /* window step over clips longer than the model's window; default 0.1 */
} kws_classify_params;

KWS_API void kws_classify_params_init(kws_classify_params* params);

/* Classifies one clip: posteriors (softmax, one per label, summing to 1) into out_scores, which
 * holds scores_capacity floats (>= the number of labels, else KWS_ERROR_BUFFER_TOO_SMALL), and
 * the best label's index into *out_best (may be NULL). A clip shorter than the model's window is
 * zero-padded on both sides; a longer one is scanned and the window most likely to hold a keyword
 * is reported. params may be NULL for the defaults. Safe to call from many threads on one model.
 * The one-call form of kws_classifier_create + kws_classifier_run + kws_classifier_free: it
 * prepares the network (BatchNorm folding, buffer planning) on every call, so to classify many
 * clips create a classifier once instead. */
KWS_API kws_status kws_classify(const kws_model* model, const float* samples, size_t count,
                                int32_t sample_rate, const kws_classify_params* params,
                                float* out_scores, size_t scores_capacity, int32_t* out_best);
KWS_API kws_status kws_classify_s16(const kws_model* model, const int16_t* samples, size_t count,
                                    int32_t sample_rate, const kws_classify_params* params,
                                    float* out_scores, size_t scores_capacity, int32_t* out_best);

/* ---- Whole clips, many of them: the classifier ---------------------------------------------- */

typedef struct kws_classifier kws_classifier;

/* Prepares the model's network once (backend and stride from params, which may be NULL for the
 * defaults) for any number of kws_classifier_run calls. The classifier keeps its own reference to
 * the model, so the model may be freed before it. One thread at a time per classifier; the model
 * stays shareable, so give each thread its own classifier. */
KWS_API kws_status kws_classifier_create(const kws_model* model, const kws_classify_params* params,
                                         kws_classifier** out_classifier);
KWS_API void kws_classifier_free(kws_classifier* classifier);

/* Classifies one clip exactly as kws_classify with the classifier's params (same outputs, same
 * errors), without preparing the network again. */
KWS_API kws_status kws_classifier_run(kws_classifier* classifier, const float* samples, size_t count,
                                      int32_t sample_rate, float* out_scores, size_t scores_capacity,
                                      int32_t* out_best);
KWS_API kws_status kws_classifier_run_s16(kws_classifier* classifier, const int16_t* samples,
                                          size_t count, int32_t sample_rate, float* out_scores,
                                          size_t scores_capacity, int32_t* out_best);

/* ---- Streaming detector -------------------------------------------------------------------- */

/* One keyword event. Sample positions count from the start of the stream (or the latest reset)
 * at the detector's sample rate; [start_sample, end_sample) is the analysis window it fired in. */
typedef struct kws_detection {
  size_t size;         /* sizeof(kws_detection) as the caller knows it (see kws_detector_next) */
  int32_t label_index;
  const char* label;   /* owned by the detector's model: valid while the detector lives */
  float score;         /* smoothed posterior in [0, 1] */
  int64_t start_sample;
  int64_t end_sample;
} kws_detection;

/* Called from inside kws_detector_push/finish, on the pushing thread, once per event. The
 * detection is valid only during the call. Do not call the same detector from the callback. */
typedef void (*kws_detection_callback)(const kws_detection* detection, void* user_data);

/* One model evaluation of the stream: its smoothed posteriors and the window it saw, for live
 * score plots and for threshold sweeps (kws_event_policy_run over recorded evaluations gives the
 * events the detector would give at any firing setting). */
typedef struct kws_evaluation {
  size_t size;           /* sizeof(kws_evaluation) */
  int64_t index;         /* since create/reset, from 0 */
  int64_t frame;         /* feature frames of the stream so far: the clock of kws_event_policy_run */
  int64_t start_sample;  /* the window's audio, as in kws_detection */
  int64_t end_sample;
  const float* scores;   /* smoothed posteriors, one per label; valid during the call only */
  size_t scores_count;
  int32_t fired_label;   /* label index of the event this evaluation fires, or -1 */
} kws_evaluation;

/* Called from inside kws_detector_push/finish after every evaluation, before the event it fires
 * (if any) is delivered. Do not call the same detector from the callback. */
typedef void (*kws_evaluation_callback)(const kws_evaluation* evaluation, void* user_data);

typedef struct kws_detector_params {
  size_t size;              /* sizeof(kws_detector_params), set by kws_detector_params_init */
  int32_t sample_rate;      /* of pushed PCM in Hz; 0 (default) = the model's rate */
  float window_seconds;     /* analysis window; 0 (default) = the model's (1 s in the recipe) */
  float stride_seconds;     /* evaluation cadence; default 0.1 */
  float smoothing_seconds;  /* posterior moving average span; default 0.3 */
  float sensitivity;        /* 0..1; effective threshold = threshold^(2 * sensitivity); 0.5 */
  float refractory_seconds; /* no event for this long after one; default 0.5 */
  float default_threshold;  /* for labels without one in the model or below; default 0.5 */
  int32_t min_consecutive;  /* evaluations in a row above threshold; default 3 */
  kws_backend backend;      /* default KWS_BACKEND_DEFAULT */
  const float* thresholds;  /* optional, one per label index; a negative value = not set.
                               Copied by kws_detector_create. Default NULL */
  size_t thresholds_count;  /* entries in thresholds (<= number of labels) */
  kws_detection_callback callback; /* NULL (default): events are queued for kws_detector_next */
  void* user_data;          /* passed to callback */
  kws_evaluation_callback evaluation_callback; /* NULL (default): not called */
  void* evaluation_user_data;                  /* passed to evaluation_callback */
} kws_detector_params;

KWS_API void kws_detector_params_init(kws_detector_params* params);

typedef struct kws_detector kws_detector;

/* params may be NULL for the defaults. Labels starting with '_' (_silence_, _unknown_) never fire. */
KWS_API kws_status kws_detector_create(const kws_model* model, const kws_detector_params* params,
                                       kws_detector** out_detector);
KWS_API void kws_detector_free(kws_detector* detector);

/* Feeds samples; count may be 0 (samples may then be NULL). Events are delivered to the callback
 * or queued before the call returns. The same audio gives the same events however it is cut into
 * chunks. No heap allocation in steady state (except to grow the event queue). */
KWS_API kws_status kws_detector_push(kws_detector* detector, const float* samples, size_t count);
KWS_API kws_status kws_detector_push_s16(kws_detector* detector, const int16_t* samples, size_t count);
/* Ends the stream: flushes buffered audio and evaluates the tail. Push again only after reset. */
KWS_API kws_status kws_detector_finish(kws_detector* detector);
/* Starts a new stream (positions restart at 0); drops queued events. */
KWS_API kws_status kws_detector_reset(kws_detector* detector);

/* Queued events not yet taken. */
KWS_API kws_status kws_detector_pending(const kws_detector* detector, size_t* out_count);
/* Takes the oldest queued event into *out (out->size must be set to sizeof(kws_detection); only
 * that many bytes are written) and sets *out_available to 1, or sets it to 0 when none is queued. */
KWS_API kws_status kws_detector_next(kws_detector* detector, kws_detection* out, int32_t* out_available);
/* Smoothed posteriors after the latest evaluation, one per label; owned by the detector and valid
 * until its next push/finish/reset/free. */
KWS_API kws_status kws_detector_scores(const kws_detector* detector, const float** out_scores,
                                       size_t* out_count);
/* The rate (Hz) pushed PCM is taken to be at: params.sample_rate, or the model's when that was 0. */
KWS_API kws_status kws_detector_sample_rate(const kws_detector* detector, int32_t* out_sample_rate);
/* Model evaluations (one per stride once the window is full) since create/reset. */
KWS_API kws_status kws_detector_evaluations(const kws_detector* detector, int64_t* out_evaluations);
/* Samples pushed since create/reset, at the detector's sample rate. */
KWS_API kws_status kws_detector_samples_pushed(const kws_detector* detector, int64_t* out_samples);

/* ---- Event policy: the detector's firing rule on its own ---------------------------------- */

/* A label fires when its smoothed score has been at or above its threshold for min_consecutive
 * evaluations in a row, it is armed (its score dropped below its threshold since it last fired),
 * and no event is within refractory_seconds; the highest-scoring such label wins. The detector
 * runs one; a threshold sweep records a detector's evaluations once (evaluation_callback) and runs
 * one policy per setting over them. One thread at a time per policy. */
typedef struct kws_event_policy kws_event_policy;

/* Reads the firing fields of params (thresholds, default_threshold, sensitivity,
 * min_consecutive, refractory_seconds; the others are ignored); NULL for the defaults. */
KWS_API kws_status kws_event_policy_create(const kws_model* model, const kws_detector_params* params,
                                           kws_event_policy** out_policy);
KWS_API void kws_event_policy_free(kws_event_policy* policy);
/* Forgets the stream: every label armed, no refractory period running. */
KWS_API kws_status kws_event_policy_reset(kws_event_policy* policy);
/* Runs `count` evaluations in order, continuing from the previous call: scores is
 * [count][scores_count] row-major (scores_count = the model's labels), frames[i] is evaluation
 * i's kws_evaluation.frame (non-decreasing). out_fired[i] gets the label index evaluation i
 * fires, or -1. */
KWS_API kws_status kws_event_policy_run(kws_event_policy* policy, const float* scores, size_t scores_count,
                                        const int64_t* frames, size_t count, int32_t* out_fired);
/* Effective threshold per label (after sensitivity; +infinity for labels that never fire);
 * owned by the policy, valid until it is freed. */
KWS_API kws_status kws_event_policy_thresholds(const kws_event_policy* policy, const float** out_thresholds,
                                               size_t* out_count);

/* ---- Open-vocabulary spotter (CTC models) --------------------------------------------------- */

/* Keywords given at run time, as words or as phonemes, searched for in the per-frame phoneme
 * posteriors of a CTC model. A keyword's score is the geometric mean over its tokens of how
 * close its best path is to the best free path (1: the keyword is the best path); it fires when
 * the score reaches its threshold, at the score's peak (kws/spotter.hpp says more). */
typedef struct kws_keyword {
  size_t size;          /* sizeof(kws_keyword), set by kws_keyword_init */
  const char* text;     /* words, e.g. "hey jarvis", phonemised with the model's phonemizer
                           (libespeak-ng); or NULL */
  const char* phonemes; /* or the model's tokens separated by spaces, e.g. "k @ m p j u: t# 3";
                           or NULL. Exactly one of text and phonemes is given */
  const char* name;     /* reported as kws_detection.label; NULL (default): the text or phonemes */
  float threshold;      /* on the score, in (0, 1]; 0 (default) = the params' default_threshold */
  float boost;          /* per-token bonus in [-10, 10], multiplies the score by e^boost; 0 */
} kws_keyword;

KWS_API void kws_keyword_init(kws_keyword* keyword);

typedef struct kws_spotter_params {
  size_t size;              /* sizeof(kws_spotter_params), set by kws_spotter_params_init */
  int32_t sample_rate;      /* of pushed PCM in Hz; 0 (default) = the model's rate */
  int32_t window_frames;    /* frames per network evaluation; 0 (default) = the model's; > 116 */
  float default_threshold;  /* for keywords without one; default 0.5 */
  float refractory_seconds; /* a keyword is quiet this long after its event; default 0.5 */
  float peak_seconds;       /* an event is reported once its score has not risen for this long; 0.1 */
  kws_backend backend;      /* default KWS_BACKEND_DEFAULT */
  kws_detection_callback callback; /* NULL (default): events are queued for kws_spotter_next */
  void* user_data;          /* passed to callback */
} kws_spotter_params;

KWS_API void kws_spotter_params_init(kws_spotter_params* params);

typedef struct kws_spotter kws_spotter;

/* Creates a spotter for `keywords_count` keywords (copied; each initialised with
 * kws_keyword_init); params may be NULL for the defaults. A classifier model, a keyword with
 * tokens the model lacks (the message names them and the model's tokens), with both or neither
 * of text and phonemes, or an out-of-range value give KWS_ERROR_INVALID_ARGUMENT; text keywords
 * in a libkws built without libespeak-ng give KWS_ERROR_UNSUPPORTED_FORMAT. */
KWS_API kws_status kws_spotter_create(const kws_model* model, const kws_keyword* keywords, size_t keywords_count,
                                      const kws_spotter_params* params, kws_spotter** out_spotter);
KWS_API void kws_spotter_free(kws_spotter* spotter);

/* As kws_detector_push/_push_s16/_finish/_reset/_pending/_next: events carry the keyword's index
 * in label_index, its name in label (owned by the spotter: valid while it lives), the peak score,
 * and the keyword's audio [start_sample, end_sample). Same events for any chunking. */
KWS_API kws_status kws_spotter_push(kws_spotter* spotter, const float* samples, size_t count);
KWS_API kws_status kws_spotter_push_s16(kws_spotter* spotter, const int16_t* samples, size_t count);
KWS_API kws_status kws_spotter_finish(kws_spotter* spotter);
KWS_API kws_status kws_spotter_reset(kws_spotter* spotter);
KWS_API kws_status kws_spotter_pending(const kws_spotter* spotter, size_t* out_count);
KWS_API kws_status kws_spotter_next(kws_spotter* spotter, kws_detection* out, int32_t* out_available);
/* The number of keywords, and keyword `index`'s name and tokens (separated by spaces; for a text
 * keyword, what the phonemizer made of it). Strings owned by the spotter. */
KWS_API kws_status kws_spotter_num_keywords(const kws_spotter* spotter, size_t* out_count);
KWS_API kws_status kws_spotter_keyword(const kws_spotter* spotter, size_t index, const char** out_name,
                                       const char** out_phonemes);
/* Samples pushed since create/reset, at the spotter's sample rate. */
KWS_API kws_status kws_spotter_samples_pushed(const kws_spotter* spotter, int64_t* out_samples);

/* Greedy CTC decoding of one clip with a CTC model: the tokens it hears, separated by spaces,
 * as a NUL-terminated string into out (out_capacity bytes). *out_length gets the string's length
 * without the NUL; out == NULL asks for it only (the clip is decoded either way), and
 * out_capacity <= that length gives KWS_ERROR_BUFFER_TOO_SMALL. params (backend, window_frames;
 * the others are ignored) may be NULL. */
KWS_API kws_status kws_transcribe(const kws_model* model, const float* samples, size_t count, int32_t sample_rate,
                                  const kws_spotter_params* params, char* out, size_t out_capacity,
                                  size_t* out_length);

/* ---- Audio files --------------------------------------------------------------------------- */

/* Reads a WAV/FLAC/OGG file as mono float (stereo is mixed down), resampled to target_sample_rate
 * when it is > 0. *out_samples is allocated by libkws: release it with kws_audio_free.
 * A libkws built without libsndfile (the WebAssembly build) gives KWS_ERROR_UNSUPPORTED_FORMAT
 * here; one built without libsoxr gives it wherever PCM at another rate than the model's would
 * need resampling (kws_classify, kws_features, kws_detector_create). */
KWS_API kws_status kws_audio_read(const char* path, int32_t target_sample_rate, float** out_samples,
                                  size_t* out_count, int32_t* out_sample_rate);
/* The same from a file image in memory (e.g. an upload). */
KWS_API kws_status kws_audio_read_memory(const void* data, size_t size, int32_t target_sample_rate,
                                         float** out_samples, size_t* out_count,
                                         int32_t* out_sample_rate);
KWS_API void kws_audio_free(float* samples);

#ifdef __cplusplus
}
#endif

#endif /* KWS_H */
