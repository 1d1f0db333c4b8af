// libkws for Node.js: keyword spotting over the libkws C API (capi/kws.h), through koffi.
//
//   import { Model, Classifier, Detector, readAudio } from 'libkws';
//   const model = Model.load('commands_en.kws');
//   const { samples, sampleRate } = readAudio('clip.wav');
//   console.log(model.classify(samples, sampleRate).label);
//   const classifier = new Classifier(model);     // many clips: the network is prepared once
//   console.log(classifier.classify(samples, sampleRate).label);
//
// Loading the library happens on import (see lib/ffi.js for where it is looked for); a failure
// throws an Error that lists every place tried. Handles are freed by close() (alias free());
// a FinalizationRegistry frees forgotten ones when they are garbage-collected.
import koffi from 'koffi';

import { EvaluationCallback, native, structs } from './ffi.js';

const { fn: C, path: libraryPath } = native();

// ---- Status and errors ------------------------------------------------------------------------

/** kws_status values, pinned by the C API (they never change between releases). */
export const Status = Object.freeze({
  OK: 0,
  INVALID_ARGUMENT: 1,
  IO: 2,
  UNSUPPORTED_FORMAT: 3,
  CORRUPT_DATA: 4,
  OUT_OF_MEMORY: 5,
  INTERNAL: 6,
  BUFFER_TOO_SMALL: 7,
});
// statusName is the key in lower case ("io", "corrupt_data"), as in the Python binding.
const statusNames = new Map(Object.entries(Status).map(([name, value]) => [value, name.toLowerCase()]));

/** kws_backend values. */
export const Backend = Object.freeze({ DEFAULT: 0, REFERENCE: 1, EIGEN: 2, ONEDNN: 3 });

/** An error reported by libkws: `status` is the pinned kws_status value, `statusName` its name
 * ("io", "corrupt_data", ...: the Status key in lower case), and the message is kws_last_error(). */
export class KwsError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'KwsError';
    this.status = status;
    this.statusName = statusNames.get(status) ?? 'unknown';
  }
}

function check(status) {
  if (status === Status.OK) return;
  throw new KwsError(status, C.kws_last_error() || C.kws_status_string(status));
}

// ---- Library information ----------------------------------------------------------------------

/** "MAJOR.MINOR.PATCH" of the libkws actually loaded. */
export const version = C.kws_version_string();
/** major * 10000 + minor * 100 + patch of the libkws actually loaded. */
export const versionNumber = C.kws_version_number();
/** How the loaded libkws was built: version, backends, instruction set, compiler. */
export const buildInfo = C.kws_build_info();
/** Path of the shared library this process loaded. */
export const library = libraryPath;

function backendValue(backend) {
  if (backend === undefined || backend === null) return Backend.DEFAULT;
  if (typeof backend === 'number' && Object.values(Backend).includes(backend)) return backend;
  if (typeof backend === 'string') {
    const value = Backend[backend.toUpperCase()];
    if (value !== undefined) return value;
  }
  throw new TypeError(`unknown backend ${JSON.stringify(backend)}; expected one of ` +
                      `${Object.keys(Backend).map((b) => `'${b.toLowerCase()}'`).join(', ')}`);
}

/** Whether this libkws build contains `backend` ('reference', 'eigen', 'onednn', 'default'). */
export function backendAvailable(backend) {
  return C.kws_backend_available(backendValue(backend)) === 1;
}

// ---- Input conversion -------------------------------------------------------------------------

// Float32Array and Int16Array go to the library as they are (no copy); Float64Array and arrays
// of numbers become float32 (samples in [-1, 1]); Int32Array is scaled as 32-bit PCM. Other typed
// arrays (bytes, unsigned, 64-bit integers) are refused: their scale is not known.
function toSamples(samples, what = 'samples') {
  if (samples instanceof Float32Array || samples instanceof Int16Array) return samples;
  if (samples instanceof Float64Array) return Float32Array.from(samples);
  if (samples instanceof Int32Array) return Float32Array.from(samples, (x) => x / 2147483648);
  if (Array.isArray(samples)) {
    const out = new Float32Array(samples.length);
    for (let i = 0; i < samples.length; ++i) {
      if (typeof samples[i] !== 'number')
        throw new TypeError(`${what}[${i}] is ${typeof samples[i]}, not a number`);
      out[i] = samples[i];
    }
    return out;
  }
  if (ArrayBuffer.isView(samples)) {
    if (samples instanceof DataView || samples.BYTES_PER_ELEMENT === 1)
      throw new TypeError(`${what}: pass a Float32Array or Int16Array of PCM samples, not raw bytes ` +
                          '(use readAudio() for a file image)');
    throw new TypeError(`${what}: a ${samples.constructor.name} is not PCM libkws reads; pass a ` +
                        'Float32Array in [-1, 1], an Int16Array, an Int32Array or a Float64Array');
  }
  throw new TypeError(`${what} must be a Float32Array, an Int16Array or an array of numbers`);
}

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

// An integer that fits the C int32 it becomes (koffi would otherwise wrap 2**32 + 16000 to 16000).
function checkInt32(value, what) {
  if (!Number.isInteger(value)) throw new TypeError(`${what} must be an integer, got ${value}`);
  if (value < INT32_MIN || value > INT32_MAX)
    throw new RangeError(`${what} = ${value} is out of range [${INT32_MIN}, ${INT32_MAX}]`);
  return value;
}

// koffi passes an empty typed array as NULL, and libkws then reports "samples is NULL" rather
// than what is wrong (no samples): hand it a valid pointer with a count of 0 instead.
const EMPTY = { f32: new Float32Array(1), i16: new Int16Array(1), u8: new Uint8Array(1) };
function pointerOf(array) {
  if (array.length > 0) return array;
  return array instanceof Int16Array ? EMPTY.i16 : array instanceof Float32Array ? EMPTY.f32 : EMPTY.u8;
}

function toFloat(samples) {
  if (samples instanceof Float32Array) return samples;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; ++i) out[i] = samples[i] / 32768;
  return out;
}

function checkRate(sampleRate, what = 'sampleRate') {
  if (!Number.isInteger(sampleRate))
    throw new TypeError(`${what} must be an integer number of Hz, got ${sampleRate}`);
  return checkInt32(sampleRate, what);
}

function toBytes(data, what) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`${what} must be a Buffer, a Uint8Array or an ArrayBuffer`);
}

// ---- Handles ----------------------------------------------------------------------------------

// The safety net for handles that were never closed. The held value is the raw pointer only, so
// the registry does not keep the wrapper alive.
const modelRegistry = new FinalizationRegistry((pointer) => C.kws_model_free(pointer));
const classifierRegistry = new FinalizationRegistry((pointer) => C.kws_classifier_free(pointer));
// A detector's held value also carries its registered evaluation callback (koffi.unregister).
const detectorRegistry = new FinalizationRegistry(({ pointer, callback }) => {
  C.kws_detector_free(pointer);
  if (callback) koffi.unregister(callback);
});
const policyRegistry = new FinalizationRegistry((pointer) => C.kws_event_policy_free(pointer));

const CONSTRUCT = Symbol('construct');
const HANDLE = Symbol('handle');

// ---- Model ------------------------------------------------------------------------------------

/** A trained libkws model (.kws): immutable, shareable by any number of Detectors. */
export class Model {
  #handle = null;
  #labels;
  #sampleRate;
  #featureBins;
  #inputFrames;
  #featureConfig;
  #thresholds;
  #isCtc;

  /** Loads a model file; same as Model.load(path). */
  constructor(path, token) {
    const out = [null];
    if (token === CONSTRUCT) {
      check(C.kws_model_load_memory(pointerOf(path), path.byteLength, out));
    } else {
      if (typeof path !== 'string') throw new TypeError('Model: path must be a string (use Model.fromBuffer for bytes)');
      check(C.kws_model_load(path, out));
    }
    this.#handle = out[0];
    modelRegistry.register(this, this.#handle, this);
    this.#readMetadata();
  }

  /** Loads and validates a model file. Throws KwsError (IO, CORRUPT_DATA, UNSUPPORTED_FORMAT). */
  static load(path) {
    return new Model(path);
  }

  /** The same from a complete model file in memory (Buffer, Uint8Array or ArrayBuffer); copied. */
  static fromBuffer(data) {
    return new Model(toBytes(data, 'Model.fromBuffer: data'), CONSTRUCT);
  }

  #readMetadata() {
    const h = this.#handle;
    const count = [0];
    check(C.kws_model_num_labels(h, count));
    const labels = [];
    const thresholds = {};
    for (let i = 0; i < count[0]; ++i) {
      const label = [null];
      const threshold = [0];
      check(C.kws_model_label(h, i, label));
      check(C.kws_model_threshold(h, i, threshold));
      labels.push(label[0]);
      if (threshold[0] >= 0) thresholds[label[0]] = threshold[0];
    }
    const rate = [0];
    const bins = [0];
    const frames = [0];
    const json = [null];
    check(C.kws_model_sample_rate(h, rate));
    check(C.kws_model_feature_bins(h, bins));
    check(C.kws_model_input_frames(h, frames));
    check(C.kws_model_feature_config(h, json));
    this.#labels = Object.freeze(labels);
    this.#thresholds = Object.freeze(thresholds);
    this.#sampleRate = rate[0];
    this.#featureBins = bins[0];
    this.#inputFrames = frames[0];
    this.#featureConfig = JSON.parse(json[0]);
    const ctc = [0];
    check(C.kws_model_is_ctc(h, ctc));
    this.#isCtc = ctc[0] === 1;
  }

  /** The output classes, by index. */
  get labels() { return this.#labels; }
  /** Sample rate (Hz) the model's features are computed at; input at other rates is resampled. */
  get sampleRate() { return this.#sampleRate; }
  /** Feature rows per frame (n_mels or n_mfcc). */
  get featureBins() { return this.#featureBins; }
  /** Feature frames per analysis window. */
  get inputFrames() { return this.#inputFrames; }
  /** The feature configuration (torchaudio-style keys), parsed from the model's JSON; a copy. */
  get featureConfig() { return structuredClone(this.#featureConfig); }
  /** The model's suggested thresholds, {label: value}, for the labels that have one. */
  get thresholds() { return this.#thresholds; }
  /** Whether this is a CTC phoneme model (for Spotter and transcribe) rather than a classifier. */
  get isCtc() { return this.#isCtc; }
  /** Whether close() has been called. */
  get closed() { return this.#handle === null; }

  /** The raw kws_model pointer, for Detector (a symbol key: not public API); throws once closed. */
  [HANDLE](what) {
    if (this.#handle === null) throw new Error(`libkws: ${what}: the Model is closed`);
    return this.#handle;
  }

  /**
   * Classifies one clip: {label, index, score, scores: {label: probability}, probabilities}.
   * A clip shorter than the model's window is zero-padded; a longer one is scanned and the window
   * most likely to hold a keyword is reported. options: {backend, strideSeconds}. Prepares the
   * network on every call (kws_classify): use a Classifier for many clips.
   */
  classify(samples, sampleRate, options = {}) {
    const h = this[HANDLE]('classify()');
    const params = classifyParams(options, 'Model.classify');
    return classifyWith(this.#labels, samples, sampleRate, (int16, input, count, rate, out, capacity, best) =>
      (int16 ? C.kws_classify_s16 : C.kws_classify)(h, input, count, rate, params, out, capacity, best));
  }

  /**
   * Features exactly as the model was trained with: {bins, frames, data}, data a Float32Array of
   * bins * frames values, row-major [bins][frames].
   */
  features(samples, sampleRate) {
    const h = this[HANDLE]('features()');
    const input = toFloat(toSamples(samples));
    checkRate(sampleRate);
    const bins = [0];
    const frames = [0];
    check(C.kws_features(h, pointerOf(input), input.length, sampleRate, null, 0, bins, frames));
    const data = new Float32Array(bins[0] * frames[0]);
    check(C.kws_features(h, pointerOf(input), input.length, sampleRate, data, data.length, bins, frames));
    // The sizes of the second call are the ones the data has.
    return { bins: bins[0], frames: frames[0], data: data.subarray(0, bins[0] * frames[0]) };
  }

  /** Releases the model now. Detectors created from it keep working. Idempotent. */
  close() {
    if (this.#handle === null) return;
    modelRegistry.unregister(this);
    C.kws_model_free(this.#handle);
    this.#handle = null;
  }

  /** Alias of close(). */
  free() { this.close(); }
}

// ---- Classifier -------------------------------------------------------------------------------

// kws_classify_params from {backend, strideSeconds}; the library's defaults for what is not given.
function classifyParams(options, what) {
  for (const key of Object.keys(options))
    if (key !== 'backend' && key !== 'strideSeconds')
      throw new TypeError(`${what}: unknown option '${key}'; known: backend, strideSeconds`);
  const params = {};
  C.kws_classify_params_init(params);
  params.backend = backendValue(options.backend);
  if (options.strideSeconds !== undefined) params.stride_seconds = options.strideSeconds;
  return params;
}

// One clip through run(int16, samples, count, sampleRate, outScores, capacity, outBest), which
// calls kws_classify* or kws_classifier_run*; the result as Model.classify documents it.
function classifyWith(labels, samples, sampleRate, run) {
  const input = toSamples(samples);
  checkRate(sampleRate);
  const probabilities = new Float32Array(labels.length);
  const best = [0];
  check(run(input instanceof Int16Array, pointerOf(input), input.length, sampleRate, probabilities,
            probabilities.length, best));
  const scores = {};
  labels.forEach((label, i) => { scores[label] = probabilities[i]; });
  const index = best[0];
  return { label: labels[index], index, score: probabilities[index], scores, probabilities };
}

/**
 * Whole-clip classification with the network prepared once (kws_classifier): the results of
 * Model.classify without its per-call preparation. options: {backend, strideSeconds}, as there.
 * The classifier keeps the model's weights alive, so the Model may be closed first.
 */
export class Classifier {
  #handle = null;
  #labels;

  constructor(model, options = {}) {
    if (!(model instanceof Model)) throw new TypeError('Classifier: model must be a Model');
    const h = model[HANDLE]('new Classifier()');
    const params = classifyParams(options, 'Classifier');
    const out = [null];
    check(C.kws_classifier_create(h, params, out));
    this.#handle = out[0];
    classifierRegistry.register(this, this.#handle, this);
    this.#labels = model.labels;
  }

  /** The model's labels, by index. */
  get labels() { return this.#labels; }
  /** Whether close() has been called. */
  get closed() { return this.#handle === null; }

  /** Classifies one clip, as Model.classify: {label, index, score, scores, probabilities}. */
  classify(samples, sampleRate) {
    if (this.#handle === null) throw new Error('libkws: Classifier.classify(): the Classifier is closed');
    const h = this.#handle;
    return classifyWith(this.#labels, samples, sampleRate, (int16, ...clip) =>
      (int16 ? C.kws_classifier_run_s16 : C.kws_classifier_run)(h, ...clip));
  }

  /** Releases the classifier now. Idempotent. */
  close() {
    if (this.#handle === null) return;
    classifierRegistry.unregister(this);
    C.kws_classifier_free(this.#handle);
    this.#handle = null;
  }

  /** Alias of close(). */
  free() { this.close(); }
}

// ---- Detector ---------------------------------------------------------------------------------

const DETECTION_SIZE = koffi.sizeof(structs.kws_detection);

// kws_detector_params from kws_detector_params_init with `options` (camelCase) applied; `fields`
// are the option names the caller takes besides thresholds (and backend, where listed).
const PARAM_FIELDS = {
  sampleRate: 'sample_rate', windowSeconds: 'window_seconds', strideSeconds: 'stride_seconds',
  smoothingSeconds: 'smoothing_seconds', sensitivity: 'sensitivity', refractorySeconds: 'refractory_seconds',
  defaultThreshold: 'default_threshold', minConsecutive: 'min_consecutive',
};

function detectorParams(who, model, options, known) {
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw new TypeError(`${who}: unknown option '${key}'; known: ${known.join(', ')}`);
  const params = {};
  C.kws_detector_params_init(params);
  for (const [option, field] of Object.entries(PARAM_FIELDS)) {
    const value = options[option];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${who}: ${option} must be a number`);
    if (field === 'sample_rate' || field === 'min_consecutive') checkInt32(value, `${who}: ${option}`);
    params[field] = value;
  }
  params.backend = backendValue(options.backend);
  if (options.thresholds !== undefined && options.thresholds !== null) {
    const values = new Float32Array(model.labels.length).fill(-1);
    for (const [label, value] of Object.entries(options.thresholds)) {
      const index = model.labels.indexOf(label);
      if (index < 0)
        throw new RangeError(`${who}: thresholds: unknown label '${label}'; labels: ${model.labels.join(', ')}`);
      if (typeof value !== 'number') throw new TypeError(`${who}: thresholds['${label}'] must be a number`);
      values[index] = value;
    }
    params.thresholds = values; // copied by kws_detector_create / kws_event_policy_create
    params.thresholds_count = values.length;
  }
  return params;
}

const FIRING_OPTIONS = ['sensitivity', 'refractorySeconds', 'defaultThreshold', 'minConsecutive', 'thresholds'];
const DETECTOR_OPTIONS = ['sampleRate', 'windowSeconds', 'strideSeconds', 'smoothingSeconds', ...FIRING_OPTIONS,
                          'backend', 'onEvaluation'];

// The queued events of a detector or spotter (kws_detector_next / kws_spotter_next).
function drainEvents(next, h, sampleRate) {
  const events = [];
  const available = [0];
  for (;;) {
    const event = { size: DETECTION_SIZE };
    check(next(h, event, available));
    if (available[0] !== 1) return events;
    const startSample = Number(event.start_sample);
    const endSample = Number(event.end_sample);
    events.push({
      label: event.label,
      labelIndex: event.label_index,
      score: event.score,
      startSample,
      endSample,
      startSeconds: startSample / sampleRate,
      endSeconds: endSample / sampleRate,
    });
  }
}

/** Streaming keyword detector: the state of one audio stream. One per stream. */
export class Detector {
  #handle = null;
  #calling = false;
  #labels;
  #sampleRate;
  #callback = null;       // the registered kws_evaluation_callback, if any
  #callbackError = null;  // what onEvaluation threw, rethrown by the push/finish that called it

  /**
   * options (all optional; defaults from kws_detector_params_init):
   *   sampleRate         of pushed PCM in Hz (default: the model's)
   *   windowSeconds      analysis window (default: the model's)
   *   strideSeconds      evaluation cadence (0.1)
   *   smoothingSeconds   posterior moving-average span (0.3)
   *   sensitivity        0..1; effective threshold = threshold^(2 * sensitivity) (0.5)
   *   refractorySeconds  no event for this long after one (0.5)
   *   defaultThreshold   for labels without a threshold of their own (0.5)
   *   minConsecutive     evaluations in a row above threshold (3)
   *   thresholds         {label: threshold}, overriding the model's suggestions
   *   backend            'default' | 'reference' | 'eigen' | 'onednn'
   *   onEvaluation       called inside push/finish after every model evaluation with
   *                      {index, frame, startSample, endSample, scores: Float32Array, firedLabel}
   *                      (live score plots; recording for an EventPolicy sweep)
   */
  constructor(model, options = {}) {
    if (!(model instanceof Model)) throw new TypeError('Detector: model must be a Model');
    const params = detectorParams('Detector', model, options, DETECTOR_OPTIONS);
    const h = model[HANDLE]('new Detector()');
    if (options.onEvaluation !== undefined) {
      if (typeof options.onEvaluation !== 'function') throw new TypeError('Detector: onEvaluation must be a function');
      const onEvaluation = options.onEvaluation;
      this.#callback = koffi.register((pointer) => {
        try {
          const e = koffi.decode(pointer, structs.kws_evaluation);
          const count = Number(e.scores_count);
          onEvaluation({
            index: Number(e.index),
            frame: Number(e.frame),
            startSample: Number(e.start_sample),
            endSample: Number(e.end_sample),
            scores: new Float32Array(koffi.decode(e.scores, 'float', count)),
            firedLabel: e.fired_label,
          });
        } catch (error) {
          if (this.#callbackError === null) this.#callbackError = { error };
        }
      }, koffi.pointer(EvaluationCallback));
      params.evaluation_callback = this.#callback;
    }
    const out = [null];
    try {
      check(C.kws_detector_create(h, params, out));
    } catch (error) {
      if (this.#callback) koffi.unregister(this.#callback);
      throw error;
    }
    this.#handle = out[0];
    detectorRegistry.register(this, { pointer: this.#handle, callback: this.#callback }, this);
    this.#labels = model.labels;
    this.#sampleRate = params.sample_rate || model.sampleRate;
  }

  #rethrow() {
    if (this.#callbackError === null) return;
    const { error } = this.#callbackError;
    this.#callbackError = null;
    throw error;
  }

  #live(what) {
    if (this.#handle === null) throw new Error(`libkws: Detector.${what}: the Detector is closed`);
    return this.#handle;
  }

  /** Sample rate (Hz) of the PCM this detector takes; positions count in it. */
  get sampleRate() { return this.#sampleRate; }
  /** The model's labels, by index. */
  get labels() { return this.#labels; }
  /** Whether close() has been called. */
  get closed() { return this.#handle === null; }

  /**
   * Feeds samples (Float32Array in [-1, 1], Int16Array, or an array of numbers) and returns the
   * detections they completed. The same audio gives the same events however it is chunked.
   */
  push(samples) {
    const h = this.#live('push()');
    const input = toSamples(samples);
    const push = input instanceof Int16Array ? C.kws_detector_push_s16 : C.kws_detector_push;
    this.#inCall(() => check(push(h, pointerOf(input), input.length)));
    this.#rethrow();
    return this.#drain(h);
  }

  /** Ends the stream (flushes buffered audio, evaluates the tail); returns the last detections.
   * Push again only after reset(). */
  finish() {
    const h = this.#live('finish()');
    this.#inCall(() => check(C.kws_detector_finish(h)));
    this.#rethrow();
    return this.#drain(h);
  }

  // push/finish run onEvaluation inside the library call: the handle must outlive the call, so
  // close() there is refused (it would free the memory the call is using).
  #inCall(body) {
    this.#calling = true;
    try { return body(); } finally { this.#calling = false; }
  }

  /** Starts a new stream: positions restart at 0, queued events are dropped. */
  reset() {
    check(C.kws_detector_reset(this.#live('reset()')));
  }

  #drain(h) {
    return drainEvents(C.kws_detector_next, h, this.#sampleRate);
  }

  /** Smoothed posteriors after the latest evaluation, {label: score} (zeros before the first). */
  get scores() {
    const pointer = [null];
    const count = [0];
    check(C.kws_detector_scores(this.#live('scores'), pointer, count));
    const scores = {};
    if (count[0] === 0 || !pointer[0]) return scores;
    const values = koffi.decode(pointer[0], 'float', count[0]);
    this.#labels.forEach((label, i) => { scores[label] = values[i]; });
    return scores;
  }

  /** Samples pushed since creation or the latest reset(), at sampleRate. */
  get samplesPushed() {
    const out = [0];
    check(C.kws_detector_samples_pushed(this.#live('samplesPushed'), out));
    return Number(out[0]);
  }

  /** Releases the detector now. Idempotent. Not from inside its own onEvaluation callback. */
  close() {
    if (this.#handle === null) return;
    if (this.#calling)
      throw new Error('libkws: Detector.close(): called from inside its own onEvaluation callback; ' +
                      'close it after push()/finish() returns');
    detectorRegistry.unregister(this);
    C.kws_detector_free(this.#handle);
    this.#handle = null;
    if (this.#callback) koffi.unregister(this.#callback);
    this.#callback = null;
  }

  /** Alias of close(). */
  free() { this.close(); }
}

// ---- Open-vocabulary spotter (CTC phoneme models) ---------------------------------------------

const SPOTTER_FIELDS = {
  sampleRate: 'sample_rate', windowFrames: 'window_frames', defaultThreshold: 'default_threshold',
  refractorySeconds: 'refractory_seconds', peakSeconds: 'peak_seconds',
};

function spotterParams(who, options) {
  const known = [...Object.keys(SPOTTER_FIELDS), 'backend'];
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw new TypeError(`${who}: unknown option '${key}'; known: ${known.join(', ')}`);
  const params = {};
  C.kws_spotter_params_init(params);
  for (const [option, field] of Object.entries(SPOTTER_FIELDS)) {
    const value = options[option];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${who}: ${option} must be a number`);
    if (field === 'sample_rate' || field === 'window_frames') checkInt32(value, `${who}: ${option}`);
    params[field] = value;
  }
  params.backend = backendValue(options.backend);
  return params;
}

const spotterRegistry = new FinalizationRegistry((pointer) => C.kws_spotter_free(pointer));

/**
 * Open-vocabulary keyword spotting over one audio stream with a CTC phoneme model
 * (model.isCtc): keywords given at run time as words (a string, or {text}) or as the model's
 * tokens ({phonemes: 'k @ m p j u: t# 3'}), each with optional name, threshold (0..1] and boost.
 * Events are those of Detector, with label = the keyword's name and labelIndex its index.
 * options: sampleRate, windowFrames, defaultThreshold, refractorySeconds, peakSeconds, backend
 * (defaults from kws_spotter_params_init).
 */
export class Spotter {
  #handle = null;
  #sampleRate;
  #keywords = [];

  constructor(model, keywords, options = {}) {
    if (!(model instanceof Model)) throw new TypeError('Spotter: model must be a Model');
    if (!Array.isArray(keywords)) throw new TypeError('Spotter: keywords must be an array');
    const params = spotterParams('Spotter', options);
    const structsIn = keywords.map((keyword, i) => {
      const spec = typeof keyword === 'string' ? { text: keyword } : keyword;
      if (spec === null || typeof spec !== 'object')
        throw new TypeError(`Spotter: keywords[${i}] must be a string or {text|phonemes, name, threshold, boost}`);
      const struct = {};
      C.kws_keyword_init(struct);
      for (const field of ['text', 'phonemes', 'name']) {
        if (spec[field] === undefined || spec[field] === null) continue;
        if (typeof spec[field] !== 'string') throw new TypeError(`Spotter: keywords[${i}].${field} must be a string`);
        struct[field] = spec[field];
      }
      for (const field of ['threshold', 'boost']) {
        if (spec[field] === undefined) continue;
        if (typeof spec[field] !== 'number') throw new TypeError(`Spotter: keywords[${i}].${field} must be a number`);
        struct[field] = spec[field];
      }
      return struct;
    });
    const out = [null];
    // koffi passes an array of objects to a `const kws_keyword *` as a C array of structs.
    check(C.kws_spotter_create(model[HANDLE]('new Spotter()'), structsIn.length ? structsIn : null, structsIn.length,
                               params, out));
    this.#handle = out[0];
    spotterRegistry.register(this, this.#handle, this);
    this.#sampleRate = params.sample_rate || model.sampleRate;
    const count = [0];
    check(C.kws_spotter_num_keywords(this.#handle, count));
    for (let i = 0; i < Number(count[0]); ++i) {
      const name = [null];
      const phonemes = [null];
      check(C.kws_spotter_keyword(this.#handle, i, name, phonemes));
      this.#keywords.push(Object.freeze({ name: name[0], phonemes: phonemes[0] }));
    }
    Object.freeze(this.#keywords);
  }

  #live(what) {
    if (this.#handle === null) throw new Error(`libkws: Spotter.${what}: the Spotter is closed`);
    return this.#handle;
  }

  /** Sample rate (Hz) of the PCM this spotter takes; positions count in it. */
  get sampleRate() { return this.#sampleRate; }
  /** The keywords as searched for: [{name, phonemes}] (phonemes: the tokens, space-separated). */
  get keywords() { return this.#keywords; }
  get closed() { return this.#handle === null; }

  /** Feeds samples (Float32Array, Int16Array or numbers); returns the events they completed. */
  push(samples) {
    const h = this.#live('push()');
    const input = toSamples(samples);
    const push = input instanceof Int16Array ? C.kws_spotter_push_s16 : C.kws_spotter_push;
    check(push(h, pointerOf(input), input.length));
    return drainEvents(C.kws_spotter_next, h, this.#sampleRate);
  }

  /** Ends the stream and returns the last events. Push again only after reset(). */
  finish() {
    const h = this.#live('finish()');
    check(C.kws_spotter_finish(h));
    return drainEvents(C.kws_spotter_next, h, this.#sampleRate);
  }

  /** Starts a new stream: positions restart at 0, queued events are dropped. */
  reset() {
    check(C.kws_spotter_reset(this.#live('reset()')));
  }

  /** Samples pushed since creation or the latest reset(), at sampleRate. */
  get samplesPushed() {
    const out = [0];
    check(C.kws_spotter_samples_pushed(this.#live('samplesPushed'), out));
    return Number(out[0]);
  }

  /** Releases the spotter now. Idempotent. */
  close() {
    if (this.#handle === null) return;
    spotterRegistry.unregister(this);
    C.kws_spotter_free(this.#handle);
    this.#handle = null;
  }
}

/**
 * Greedy CTC decoding of one clip with a CTC phoneme model: the tokens it hears, separated by
 * spaces (kws_transcribe). options: backend, windowFrames.
 */
export function transcribe(model, samples, sampleRate, options = {}) {
  if (!(model instanceof Model)) throw new TypeError('transcribe: model must be a Model');
  checkRate(sampleRate, 'transcribe: sampleRate');
  const input = toFloat(toSamples(samples));
  const params = spotterParams('transcribe', options);
  const h = model[HANDLE]('transcribe()');
  const length = [0];
  // 64 bytes per second of audio is ample; the size protocol covers the rest.
  let capacity = 64 + Math.ceil((64 * input.length) / sampleRate);
  for (let attempt = 0; ; ++attempt) {
    const out = new Uint8Array(capacity);
    const status = C.kws_transcribe(h, pointerOf(input), input.length, sampleRate, params, out, capacity, length);
    if (status === Status.BUFFER_TOO_SMALL && attempt === 0) {
      capacity = Number(length[0]) + 1;
      continue;
    }
    check(status);
    return new TextDecoder().decode(out.subarray(0, Number(length[0])));
  }
}

// ---- Event policy -----------------------------------------------------------------------------

/**
 * The detector's firing rule on its own (kws_event_policy): thresholds, minConsecutive, arming
 * and refractory over smoothed posteriors. Record a Detector's evaluations once (onEvaluation)
 * and run one policy per setting over them: its events are those a Detector with that setting
 * gives, without re-running the network. Options: the Detector's firing options
 * (sensitivity, refractorySeconds, defaultThreshold, minConsecutive, thresholds).
 */
export class EventPolicy {
  #handle = null;
  #classes;

  constructor(model, options = {}) {
    if (!(model instanceof Model)) throw new TypeError('EventPolicy: model must be a Model');
    const params = detectorParams('EventPolicy', model, options, FIRING_OPTIONS);
    const out = [null];
    check(C.kws_event_policy_create(model[HANDLE]('new EventPolicy()'), params, out));
    this.#handle = out[0];
    policyRegistry.register(this, this.#handle, this);
    this.#classes = model.labels.length;
  }

  #live(what) {
    if (this.#handle === null) throw new Error(`libkws: EventPolicy.${what}: the EventPolicy is closed`);
    return this.#handle;
  }

  /**
   * Runs evaluations in order, continuing from the previous call: scores is a Float32Array of
   * frames.length * labels values (row-major), frames their evaluation.frame. Returns an
   * Int32Array: the label index each evaluation fires, or -1.
   */
  run(scores, frames) {
    const h = this.#live('run()');
    const values = scores instanceof Float32Array ? scores : Float32Array.from(scores);
    const clock = BigInt64Array.from(frames, (f) => BigInt(f));
    if (values.length !== clock.length * this.#classes)
      throw new RangeError(`EventPolicy.run: scores has ${values.length} values, expected frames.length * ` +
                           `${this.#classes} = ${clock.length * this.#classes}`);
    const fired = new Int32Array(clock.length);
    if (clock.length === 0) return fired;
    check(C.kws_event_policy_run(h, values, this.#classes, clock, clock.length, fired));
    return fired;
  }

  /** Forgets the stream: every label armed, no refractory period running. */
  reset() { check(C.kws_event_policy_reset(this.#live('reset()'))); }

  /** Effective threshold per label index (after sensitivity); Infinity for labels that never fire. */
  get thresholds() {
    const pointer = [null];
    const count = [0];
    check(C.kws_event_policy_thresholds(this.#live('thresholds'), pointer, count));
    return new Float32Array(koffi.decode(pointer[0], 'float', Number(count[0])));
  }

  /** Releases the policy now. Idempotent. */
  close() {
    if (this.#handle === null) return;
    policyRegistry.unregister(this);
    C.kws_event_policy_free(this.#handle);
    this.#handle = null;
  }
}

// `using model = Model.load(...)` where the runtime has explicit resource management (Node >= 20).
// Not in index.d.ts: declaring it there would need TypeScript's esnext.disposable lib.
if (typeof Symbol.dispose === 'symbol') {
  for (const type of [Model, Classifier, Detector, EventPolicy])
    type.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

// ---- Audio files ------------------------------------------------------------------------------

/**
 * Reads a WAV/FLAC/OGG file (a path, or a file image as Buffer/Uint8Array/ArrayBuffer) as mono
 * float samples, resampled to targetRate when it is > 0: {samples: Float32Array, sampleRate}.
 */
export function readAudio(source, targetRate = 0) {
  checkRate(targetRate, 'targetRate');
  const pointer = [null];
  const count = [0];
  const rate = [0];
  if (typeof source === 'string') {
    check(C.kws_audio_read(source, targetRate, pointer, count, rate));
  } else {
    const bytes = toBytes(source, 'readAudio: source');
    check(C.kws_audio_read_memory(pointerOf(bytes), bytes.byteLength, targetRate, pointer, count, rate));
  }
  try {
    const n = Number(count[0]);
    const samples = n === 0 ? new Float32Array(0) : new Float32Array(koffi.view(pointer[0], n * 4).slice(0));
    return { samples, sampleRate: rate[0] };
  } finally {
    C.kws_audio_free(pointer[0]);
  }
}

export default { Model, Classifier, Detector, EventPolicy, Spotter, transcribe, KwsError, Status, Backend, readAudio,
                 backendAvailable,
                 version, versionNumber,
                 buildInfo, library };
