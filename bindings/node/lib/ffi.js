// The libkws C API (capi/kws.h) as koffi declarations, and the one library-loading strategy of
// every libkws binding (docs STYLE.md #17): the KWS_LIBRARY environment variable, then this
// package's prebuilds/ folder, then the repository's build tree, then the system's loader.
//
// Everything here is internal: lib/index.js is the public API. The struct mirrors are exported
// so that test/struct_mirror.test.js can check them against the header with a C compiler.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import koffi from 'koffi';

/** The C ABI major this binding is written against (SOVERSION; KWS_VERSION_MAJOR). tests/bindings
 * checks it against CMakeLists.txt. */
export const ABI_MAJOR = 0;
/** Build trees searched from a checkout, in order: the Python binding's BUILD_PRESETS (tested). */
export const BUILD_PRESETS = ['release', 'debug', 'asan'];

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** File names of the shared library on this platform, most specific first. */
function libraryNames() {
  switch (process.platform) {
    case 'win32': return ['kws.dll', `kws-${ABI_MAJOR}.dll`];
    case 'darwin': return [`libkws.${ABI_MAJOR}.dylib`, 'libkws.dylib'];
    default: return [`libkws.so.${ABI_MAJOR}`, 'libkws.so'];
  }
}

/**
 * The places tried, in order: {kind, target, file} where `file` is true for a path that must
 * exist and false for a bare name handed to the system's loader (LD_LIBRARY_PATH, ld.so.cache);
 * target is null (and `note` says why) for a place that does not apply.
 * An explicit KWS_LIBRARY is the only candidate: silently falling back to another copy would
 * hide the very misconfiguration the variable is meant to fix.
 */
export function libraryCandidates(env = process.env) {
  const explicit = env.KWS_LIBRARY;
  if (explicit !== undefined && explicit !== '') {
    let target = path.resolve(explicit);
    try {
      if (fs.statSync(target).isDirectory()) target = path.join(target, libraryNames().at(-1));
    } catch {
      // A missing path is reported by the loop in loadLibrary().
    }
    return [{ kind: 'KWS_LIBRARY', target, file: true }];
  }
  const candidates = [];
  const prebuilds = path.join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`);
  for (const name of libraryNames()) candidates.push({ kind: 'package', target: path.join(prebuilds, name), file: true });
  // bindings/node -> repository root, when the package is used from a checkout.
  const repo = path.resolve(packageDir, '..', '..');
  if (fs.existsSync(path.join(repo, 'capi', 'kws.h'))) {
    for (const preset of BUILD_PRESETS)
      candidates.push({ kind: 'build tree', target: path.join(repo, 'build', preset, 'capi', libraryNames().at(-1)), file: true });
  } else {
    candidates.push({ kind: 'build tree', target: null, note: `not searched: ${packageDir} is not inside a libkws checkout` });
  }
  candidates.push({ kind: 'system', target: libraryNames()[0], file: false });
  return candidates;
}

/** Loads libkws or throws an Error listing every place tried and how to fix it. */
export function loadLibrary(env = process.env) {
  const tried = [];
  for (const candidate of libraryCandidates(env)) {
    if (candidate.target === null) {
      tried.push(`  ${candidate.kind}: ${candidate.note}`);
      continue;
    }
    if (candidate.file && !fs.existsSync(candidate.target)) {
      tried.push(`  ${candidate.kind}: ${candidate.target} (not found)`);
      continue;
    }
    try {
      return { lib: koffi.load(candidate.target), path: candidate.target };
    } catch (e) {
      tried.push(`  ${candidate.kind}: ${candidate.target} (${String(e.message).split('\n')[0]})`);
    }
  }
  const fix = env.KWS_LIBRARY
    ? 'Point KWS_LIBRARY at an existing libkws shared library (or unset it to search the default places).'
    : 'Build it (cmake --preset release && cmake --build build/release, from the repository root), ' +
      'or set KWS_LIBRARY to the path of libkws.so, or install libkws system-wide.';
  const error = new Error(`libkws: cannot load the libkws shared library. Tried:\n${tried.join('\n')}\n${fix}`);
  error.code = 'KWS_LIBRARY_NOT_FOUND';
  throw error;
}

// ---- Types: mirrors of kws.h (checked against the header by test/struct_mirror.test.js) ----

// C enums are int-sized on every ABI libkws supports; the test checks sizeof(kws_backend) too.
const kws_status = koffi.alias('kws_status', 'int');
const kws_backend = koffi.alias('kws_backend', 'int');
koffi.opaque('kws_model');
koffi.opaque('kws_classifier');
koffi.opaque('kws_detector');
koffi.opaque('kws_event_policy');
koffi.opaque('kws_spotter');

export const structs = {
  kws_classify_params: koffi.struct('kws_classify_params', {
    size: 'size_t',
    backend: kws_backend,
    stride_seconds: 'float',
  }),
  kws_detection: koffi.struct('kws_detection', {
    size: 'size_t',
    label_index: 'int32_t',
    label: 'const char *', // owned by the model; koffi copies it into a JS string
    score: 'float',
    start_sample: 'int64_t',
    end_sample: 'int64_t',
  }),
  kws_evaluation: koffi.struct('kws_evaluation', {
    size: 'size_t',
    index: 'int64_t',
    frame: 'int64_t',
    start_sample: 'int64_t',
    end_sample: 'int64_t',
    scores: 'const float *',
    scores_count: 'size_t',
    fired_label: 'int32_t',
  }),
  kws_detector_params: koffi.struct('kws_detector_params', {
    size: 'size_t',
    sample_rate: 'int32_t',
    window_seconds: 'float',
    stride_seconds: 'float',
    smoothing_seconds: 'float',
    sensitivity: 'float',
    refractory_seconds: 'float',
    default_threshold: 'float',
    min_consecutive: 'int32_t',
    backend: kws_backend,
    thresholds: 'const float *',
    thresholds_count: 'size_t',
    // kws_detection_callback: the queue mode (kws_detector_next) is used, so it is always NULL.
    callback: 'void *',
    user_data: 'void *',
    // A koffi.register()ed kws_evaluation_callback when Detector's onEvaluation is given.
    evaluation_callback: 'void *',
    evaluation_user_data: 'void *',
  }),
  kws_keyword: koffi.struct('kws_keyword', {
    size: 'size_t',
    text: 'const char *',
    phonemes: 'const char *',
    name: 'const char *',
    threshold: 'float',
    boost: 'float',
  }),
  kws_spotter_params: koffi.struct('kws_spotter_params', {
    size: 'size_t',
    sample_rate: 'int32_t',
    window_frames: 'int32_t',
    default_threshold: 'float',
    refractory_seconds: 'float',
    peak_seconds: 'float',
    backend: kws_backend,
    // kws_detection_callback: the queue mode (kws_spotter_next) is used, so it is always NULL.
    callback: 'void *',
    user_data: 'void *',
  }),
};
/** kws_evaluation_callback: the evaluation arrives as a pointer, read with koffi.decode. */
export const EvaluationCallback = koffi.proto(
  'void kws_evaluation_callback(const void *evaluation, void *user_data)');
export const enums = { kws_status, kws_backend };

// ---- Functions --------------------------------------------------------------------------------

const PROTOTYPES = [
  'const char *kws_status_string(kws_status status)',
  'const char *kws_last_error(void)',
  'uint32_t kws_version_number(void)',
  'const char *kws_version_string(void)',
  'const char *kws_build_info(void)',
  'int kws_backend_available(kws_backend backend)',

  'kws_status kws_model_load(const char *path, _Out_ kws_model **out_model)',
  'kws_status kws_model_load_memory(const void *data, size_t size, _Out_ kws_model **out_model)',
  'void kws_model_free(kws_model *model)',
  'kws_status kws_model_num_labels(const kws_model *model, _Out_ size_t *out_count)',
  'kws_status kws_model_label(const kws_model *model, size_t index, _Out_ const char **out_label)',
  'kws_status kws_model_sample_rate(const kws_model *model, _Out_ int32_t *out_sample_rate)',
  'kws_status kws_model_feature_bins(const kws_model *model, _Out_ int32_t *out_bins)',
  'kws_status kws_model_input_frames(const kws_model *model, _Out_ int32_t *out_frames)',
  'kws_status kws_model_feature_config(const kws_model *model, _Out_ const char **out_json)',
  'kws_status kws_model_threshold(const kws_model *model, size_t index, _Out_ float *out_threshold)',

  'kws_status kws_features(const kws_model *model, const float *samples, size_t count, int32_t sample_rate, ' +
    'float *out, size_t out_capacity, _Out_ size_t *out_bins, _Out_ size_t *out_frames)',
  'void kws_classify_params_init(_Out_ kws_classify_params *params)',
  'kws_status kws_classify(const kws_model *model, const float *samples, size_t count, int32_t sample_rate, ' +
    'const kws_classify_params *params, float *out_scores, size_t scores_capacity, _Out_ int32_t *out_best)',
  'kws_status kws_classify_s16(const kws_model *model, const int16_t *samples, size_t count, int32_t sample_rate, ' +
    'const kws_classify_params *params, float *out_scores, size_t scores_capacity, _Out_ int32_t *out_best)',

  'kws_status kws_classifier_create(const kws_model *model, const kws_classify_params *params, ' +
    '_Out_ kws_classifier **out_classifier)',
  'void kws_classifier_free(kws_classifier *classifier)',
  'kws_status kws_classifier_run(kws_classifier *classifier, const float *samples, size_t count, int32_t sample_rate, ' +
    'float *out_scores, size_t scores_capacity, _Out_ int32_t *out_best)',
  'kws_status kws_classifier_run_s16(kws_classifier *classifier, const int16_t *samples, size_t count, ' +
    'int32_t sample_rate, float *out_scores, size_t scores_capacity, _Out_ int32_t *out_best)',

  'void kws_detector_params_init(_Out_ kws_detector_params *params)',
  'kws_status kws_detector_create(const kws_model *model, const kws_detector_params *params, ' +
    '_Out_ kws_detector **out_detector)',
  'void kws_detector_free(kws_detector *detector)',
  'kws_status kws_detector_push(kws_detector *detector, const float *samples, size_t count)',
  'kws_status kws_detector_push_s16(kws_detector *detector, const int16_t *samples, size_t count)',
  'kws_status kws_detector_finish(kws_detector *detector)',
  'kws_status kws_detector_reset(kws_detector *detector)',
  'kws_status kws_detector_pending(const kws_detector *detector, _Out_ size_t *out_count)',
  // _Inout_: out->size must reach the library (it writes only that many bytes).
  'kws_status kws_detector_next(kws_detector *detector, _Inout_ kws_detection *out, _Out_ int32_t *out_available)',
  'kws_status kws_detector_scores(const kws_detector *detector, _Out_ const float **out_scores, _Out_ size_t *out_count)',
  'kws_status kws_detector_samples_pushed(const kws_detector *detector, _Out_ int64_t *out_samples)',

  'kws_status kws_event_policy_create(const kws_model *model, const kws_detector_params *params, ' +
    '_Out_ kws_event_policy **out_policy)',
  'void kws_event_policy_free(kws_event_policy *policy)',
  'kws_status kws_event_policy_reset(kws_event_policy *policy)',
  'kws_status kws_event_policy_run(kws_event_policy *policy, const float *scores, size_t scores_count, ' +
    'const int64_t *frames, size_t count, int32_t *out_fired)',
  'kws_status kws_event_policy_thresholds(const kws_event_policy *policy, _Out_ const float **out_thresholds, ' +
    '_Out_ size_t *out_count)',

  'kws_status kws_model_is_ctc(const kws_model *model, _Out_ int32_t *out_is_ctc)',
  'void kws_keyword_init(_Out_ kws_keyword *keyword)',
  'void kws_spotter_params_init(_Out_ kws_spotter_params *params)',
  'kws_status kws_spotter_create(const kws_model *model, const kws_keyword *keywords, size_t keywords_count, ' +
    'const kws_spotter_params *params, _Out_ kws_spotter **out_spotter)',
  'void kws_spotter_free(kws_spotter *spotter)',
  'kws_status kws_spotter_push(kws_spotter *spotter, const float *samples, size_t count)',
  'kws_status kws_spotter_push_s16(kws_spotter *spotter, const int16_t *samples, size_t count)',
  'kws_status kws_spotter_finish(kws_spotter *spotter)',
  'kws_status kws_spotter_reset(kws_spotter *spotter)',
  'kws_status kws_spotter_next(kws_spotter *spotter, _Inout_ kws_detection *out, _Out_ int32_t *out_available)',
  'kws_status kws_spotter_num_keywords(const kws_spotter *spotter, _Out_ size_t *out_count)',
  'kws_status kws_spotter_keyword(const kws_spotter *spotter, size_t index, _Out_ const char **out_name, ' +
    '_Out_ const char **out_phonemes)',
  'kws_status kws_spotter_samples_pushed(const kws_spotter *spotter, _Out_ int64_t *out_samples)',
  'kws_status kws_transcribe(const kws_model *model, const float *samples, size_t count, int32_t sample_rate, ' +
    'const kws_spotter_params *params, _Out_ uint8_t *out, size_t out_capacity, _Out_ size_t *out_length)',

  // The sample buffer is returned as a raw pointer (BigInt): it is copied, then kws_audio_free'd.
  'kws_status kws_audio_read(const char *path, int32_t target_sample_rate, _Out_ void **out_samples, ' +
    '_Out_ size_t *out_count, _Out_ int32_t *out_sample_rate)',
  'kws_status kws_audio_read_memory(const void *data, size_t size, int32_t target_sample_rate, ' +
    '_Out_ void **out_samples, _Out_ size_t *out_count, _Out_ int32_t *out_sample_rate)',
  'void kws_audio_free(void *samples)',
];

let cached = null;

/** The loaded library: {path, fn: {kws_*: function}}; loads on first use and caches. */
export function native() {
  if (cached) return cached;
  const { lib, path: libraryPath } = loadLibrary();
  const fn = {};
  for (const prototype of PROTOTYPES) {
    const name = /(kws_\w+)\(/.exec(prototype)[1];
    try {
      fn[name] = lib.func(prototype);
    } catch (e) {
      throw new Error(`libkws: ${libraryPath} lacks ${name} (${e.message}); it is not a compatible libkws ` +
                      `(this binding needs ABI ${ABI_MAJOR}). Rebuild it or set KWS_LIBRARY.`);
    }
  }
  const major = Math.floor(fn.kws_version_number() / 10000);
  if (major !== ABI_MAJOR)
    throw new Error(`libkws: ${libraryPath} is libkws ${fn.kws_version_string()} (ABI ${major}); this binding ` +
                    `needs ABI ${ABI_MAJOR}. Point KWS_LIBRARY at a matching build.`);
  cached = { path: libraryPath, fn };
  return cached;
}
