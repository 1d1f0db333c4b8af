// libkws in the browser: the libkws runtime (features, BC-ResNet engine, streaming detector)
// compiled to WebAssembly (kws-wasm.wasm, built from examples/kws-web), behind the API of the
// Node binding (bindings/node): Model, Classifier, Detector, KwsError.
//
//   import { Model, Detector, decodeAudio } from './kws.js';  // instantiates the module (top-level await)
//   const model = await Model.fromUrl('models/commands_en.kws');  // or Model.fromBuffer(arrayBuffer)
//   const { samples } = await decodeAudio(await file.arrayBuffer(), model.sampleRate);
//   console.log(model.classify(samples).label);                // .score, .scores {label: p}
//   const detector = new Detector(model, { onEvaluation: (e) => plot(e.scores) });
//   for (const event of detector.push(pcm)) console.log(event.label, event.startSeconds);
//
// PCM goes in at the model's rate (model.sampleRate). This build has neither libsoxr nor
// libsndfile: the browser resamples and decodes (decodeAudio below: an OfflineAudioContext at the
// model's rate; for a microphone, an AudioContext at the model's rate), and PCM at another rate is
// refused with a KwsError ('unsupported_format') that says so. The module runs on the thread that
// imports it, one call at a time (no worker threads). Handles are freed by close() (alias free());
// a FinalizationRegistry frees forgotten ones when they are garbage-collected. Every libkws
// failure is a KwsError with libkws's own message; misuse from JavaScript (wrong types, a closed
// handle) is a TypeError or an Error saying what was wrong.
import createKwsModule from './kws-wasm.js';

const M = await createKwsModule();

// ---- Module memory ------------------------------------------------------------------------------

// Views of the module's memory are fetched at each use: growing the memory replaces them.
const decoder = new TextDecoder();
function cString(pointer) {
  if (!pointer) return null;
  const bytes = M.HEAPU8;
  let end = pointer;
  while (bytes[end] !== 0) ++end;
  return decoder.decode(bytes.subarray(pointer, end));
}

// The struct layouts of kws.h as the compiler that built the module laid them out
// (kws_web_layout in kws_web.c): {type: {sizeof, fields: {name: [offset, size]}}}.
const layout = JSON.parse(cString(M._kws_web_layout()));

function sizeOf(type) {
  return layout[type].sizeof;
}

function offsetOf(type, name, size) {
  const field = layout[type] && layout[type].fields[name];
  if (!field || field[1] !== size)
    throw new Error(`kws.js: ${type}.${name} is not a ${size}-byte field in this module (kws_web_layout)`);
  return field[0];
}

// An int64_t in module memory, as a Number (sample counts and positions stay below 2^53).
function readInt64(pointer) {
  return M.HEAP32[(pointer >> 2) + 1] * 4294967296 + M.HEAPU32[pointer >> 2];  // little-endian halves
}

// A kws.h struct at `pointer` in module memory; fields by their C names, typed as kws.h types them.
class CStruct {
  constructor(type, pointer) {
    this.type = type;
    this.pointer = pointer;
  }

  #at(name, size) { return this.pointer + offsetOf(this.type, name, size); }
  i32(name) { return M.HEAP32[this.#at(name, 4) >> 2]; }
  u32(name) { return M.HEAPU32[this.#at(name, 4) >> 2]; }  // size_t and pointers (wasm32)
  f32(name) { return M.HEAPF32[this.#at(name, 4) >> 2]; }
  i64(name) { return readInt64(this.#at(name, 8)); }
  setI32(name, value) { M.HEAP32[this.#at(name, 4) >> 2] = value; }
  setU32(name, value) { M.HEAPU32[this.#at(name, 4) >> 2] = value; }
  setF32(name, value) { M.HEAPF32[this.#at(name, 4) >> 2] = value; }
}

// Runs body(alloc) with module memory from alloc(bytes), all of it freed when body returns.
function withHeap(body) {
  const blocks = [];
  const alloc = (bytes) => {
    const pointer = M._malloc(Math.max(8, bytes));
    if (!pointer) throw new KwsError(Status.OUT_OF_MEMORY, `cannot allocate ${bytes} bytes of module memory`);
    blocks.push(pointer);
    return pointer;
  };
  try {
    return body(alloc);
  } finally {
    for (const pointer of blocks) M._free(pointer);
  }
}

// Copies a Float32Array or Int16Array into fresh module memory; returns the pointer.
function copyIn(alloc, array) {
  const pointer = alloc(array.byteLength);
  M.HEAPU8.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), pointer);
  return pointer;
}

// ---- Status and errors --------------------------------------------------------------------------

// Status and Backend mirror the pinned enums of kws.h (test/test_web.mjs checks them against it).

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
const statusNames = new Map(Object.entries(Status).map(([name, value]) => [value, name.toLowerCase()]));

/** kws_backend values. */
export const Backend = Object.freeze({ DEFAULT: 0, REFERENCE: 1, EIGEN: 2, ONEDNN: 3 });

/** An error reported by libkws: `status` is the pinned kws_status value, `statusName` its name
 * ("corrupt_data", "unsupported_format", ...: the Status key in lower case), and the message is
 * kws_last_error(). */
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
  throw new KwsError(status, cString(M._kws_last_error()) || cString(M._kws_status_string(status)));
}

// ---- Library information ------------------------------------------------------------------------

/** "MAJOR.MINOR.PATCH" of libkws in this module. */
export const version = cString(M._kws_version_string());
/** major * 10000 + minor * 100 + patch. */
export const versionNumber = M._kws_version_number() >>> 0;
/** How the module was built: version, backends, instruction set ("simd128"), compiler. */
export const buildInfo = cString(M._kws_build_info());

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

/** Whether this build contains `backend` ('reference', 'eigen', 'onednn', 'default'). */
export function backendAvailable(backend) {
  return M._kws_backend_available(backendValue(backend)) === 1;
}

// ---- Input conversion ---------------------------------------------------------------------------

// Float32Array and Int16Array go to libkws as they are; Float64Array and arrays of numbers become
// float32 (samples in [-1, 1]); Int32Array is scaled as 32-bit PCM. Other typed arrays (bytes,
// unsigned, 64-bit integers) are refused: their scale is not known.
function toSamples(samples, what = 'samples') {
  if (samples instanceof Float32Array || samples instanceof Int16Array) return samples;
  if (samples instanceof Float64Array) return Float32Array.from(samples);
  if (samples instanceof Int32Array) return Float32Array.from(samples, (x) => x / 2147483648);
  if (Array.isArray(samples)) {
    const out = new Float32Array(samples.length);
    for (let i = 0; i < samples.length; ++i) {
      if (typeof samples[i] !== 'number') throw new TypeError(`${what}[${i}] is ${typeof samples[i]}, not a number`);
      out[i] = samples[i];
    }
    return out;
  }
  if (ArrayBuffer.isView(samples)) {
    if (samples instanceof DataView || samples.BYTES_PER_ELEMENT === 1)
      throw new TypeError(`${what}: pass a Float32Array or Int16Array of PCM samples, not raw bytes ` +
                          '(decodeAudio() turns a file image into samples)');
    throw new TypeError(`${what}: a ${samples.constructor.name} is not PCM libkws reads; pass a ` +
                        'Float32Array in [-1, 1], an Int16Array, an Int32Array or a Float64Array');
  }
  throw new TypeError(`${what} must be a Float32Array, an Int16Array or an array of numbers`);
}

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

function checkInt32(value, what) {
  if (!Number.isInteger(value)) throw new TypeError(`${what} must be an integer, got ${value}`);
  if (value < INT32_MIN || value > INT32_MAX)
    throw new RangeError(`${what} = ${value} is out of range [${INT32_MIN}, ${INT32_MAX}]`);
  return value;
}

function toBytes(data, what) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`${what} must be an ArrayBuffer or a typed array, got ${data === null ? 'null' : typeof data}`);
}

// ---- Handles ------------------------------------------------------------------------------------

const modelRegistry = new FinalizationRegistry((pointer) => M._kws_model_free(pointer));
const classifierRegistry = new FinalizationRegistry((pointer) => M._kws_classifier_free(pointer));
const detectorRegistry = new FinalizationRegistry(({ pointer, buffers, id }) => {
  M._kws_detector_free(pointer);
  for (const buffer of buffers) M._free(buffer);
  evaluationHandlers.delete(id);
});

const CONSTRUCT = Symbol('construct');
const HANDLE = Symbol('handle');

// Reads the out-parameter a call wrote: the pointer-sized value at `pointer`.
const outPointer = (pointer) => M.HEAPU32[pointer >> 2];

// ---- Model --------------------------------------------------------------------------------------

/** A trained libkws model (.kws): immutable, shared by any number of Classifiers and Detectors. */
export class Model {
  #handle = 0;
  #labels;
  #sampleRate;
  #featureBins;
  #inputFrames;
  #featureConfig;
  #thresholds;

  constructor(bytes, token) {
    if (token !== CONSTRUCT) throw new TypeError('Model: use Model.fromBuffer(data) or await Model.fromUrl(url)');
    this.#handle = withHeap((alloc) => {
      const out = alloc(4);
      check(M._kws_model_load_memory(copyIn(alloc, bytes), bytes.byteLength, out));
      return outPointer(out);
    });
    modelRegistry.register(this, this.#handle, this);
    this.#readMetadata();
  }

  /** Loads and validates a complete model file (ArrayBuffer or typed array; copied). Throws
   * KwsError (CORRUPT_DATA, UNSUPPORTED_FORMAT) for a file that is not a valid model. */
  static fromBuffer(data) {
    return new Model(toBytes(data, 'Model.fromBuffer: data'), CONSTRUCT);
  }

  /** Fetches a model file (a URL, relative to the page) and loads it. */
  static async fromUrl(url, init) {
    const response = await fetch(url, init);
    if (!response.ok) throw new Error(`Model.fromUrl: ${url}: HTTP ${response.status} ${response.statusText}`);
    return Model.fromBuffer(await response.arrayBuffer());
  }

  #readMetadata() {
    const h = this.#handle;
    withHeap((alloc) => {
      const out = alloc(8);
      check(M._kws_model_num_labels(h, out));
      const count = outPointer(out);
      const labels = [];
      const thresholds = {};
      for (let i = 0; i < count; ++i) {
        check(M._kws_model_label(h, i, out));
        labels.push(cString(outPointer(out)));
        check(M._kws_model_threshold(h, i, out));
        const threshold = M.HEAPF32[out >> 2];
        if (threshold >= 0) thresholds[labels[i]] = threshold;
      }
      this.#labels = Object.freeze(labels);
      this.#thresholds = Object.freeze(thresholds);
      check(M._kws_model_sample_rate(h, out));
      this.#sampleRate = M.HEAP32[out >> 2];
      check(M._kws_model_feature_bins(h, out));
      this.#featureBins = M.HEAP32[out >> 2];
      check(M._kws_model_input_frames(h, out));
      this.#inputFrames = M.HEAP32[out >> 2];
      check(M._kws_model_feature_config(h, out));
      this.#featureConfig = JSON.parse(cString(outPointer(out)));
    });
  }

  /** The output classes, by index. */
  get labels() { return this.#labels; }
  /** Sample rate (Hz) of the PCM this model takes (this build does not resample). */
  get sampleRate() { return this.#sampleRate; }
  /** Feature rows per frame (n_mels or n_mfcc). */
  get featureBins() { return this.#featureBins; }
  /** Feature frames per analysis window. */
  get inputFrames() { return this.#inputFrames; }
  /** The feature configuration (torchaudio-style keys), parsed from the model's JSON; a copy. */
  get featureConfig() { return structuredClone(this.#featureConfig); }
  /** The model's suggested thresholds, {label: value}, for the labels that have one. */
  get thresholds() { return this.#thresholds; }
  /** Whether close() has been called. */
  get closed() { return this.#handle === 0; }

  /** The raw kws_model pointer (a symbol key: not public API); throws once closed. */
  [HANDLE](what) {
    if (this.#handle === 0) throw new Error(`libkws: ${what}: the Model is closed`);
    return this.#handle;
  }

  /**
   * Classifies one clip: {label, index, score, scores: {label: probability}, probabilities}.
   * A clip shorter than the model's window is zero-padded; a longer one is scanned and the window
   * most likely to hold a keyword is reported. options: {backend, strideSeconds}. Prepares the
   * network on every call (kws_classify): use a Classifier for many clips.
   */
  classify(samples, sampleRate = this.#sampleRate, options = {}) {
    const h = this[HANDLE]('classify()');
    return withHeap((alloc) => {
      const params = classifyParams(alloc, options, 'Model.classify');
      return classifyWith(alloc, this.#labels, samples, sampleRate, (int16, pcm, count, rate, ...out) =>
        (int16 ? M._kws_classify_s16 : M._kws_classify)(h, pcm, count, rate, params, ...out));
    });
  }

  /**
   * Features exactly as the model was trained with: {bins, frames, data}, data a Float32Array of
   * bins * frames values, row-major [bins][frames].
   */
  features(samples, sampleRate = this.#sampleRate) {
    const h = this[HANDLE]('features()');
    const input = toFloat(toSamples(samples));
    checkInt32(sampleRate, 'sampleRate');
    return withHeap((alloc) => {
      const pcm = copyIn(alloc, input);
      const sizes = alloc(8);
      check(M._kws_features(h, pcm, input.length, sampleRate, 0, 0, sizes, sizes + 4));
      const count = outPointer(sizes) * outPointer(sizes + 4);
      const out = alloc(count * 4);
      check(M._kws_features(h, pcm, input.length, sampleRate, out, count, sizes, sizes + 4));
      const bins = outPointer(sizes), frames = outPointer(sizes + 4);
      return { bins, frames, data: M.HEAPF32.slice(out >> 2, (out >> 2) + bins * frames) };
    });
  }

  /** Releases the model now. Classifiers and Detectors created from it keep working. Idempotent. */
  close() {
    if (this.#handle === 0) return;
    modelRegistry.unregister(this);
    M._kws_model_free(this.#handle);
    this.#handle = 0;
  }

  /** Alias of close(). */
  free() { this.close(); }
}

function toFloat(samples) {
  if (samples instanceof Float32Array) return samples;
  return Float32Array.from(samples, (x) => x / 32768);
}

// ---- Classifier ---------------------------------------------------------------------------------

// A kws_classify_params in module memory from {backend, strideSeconds}; libkws's defaults otherwise.
function classifyParams(alloc, options, what) {
  for (const key of Object.keys(options))
    if (key !== 'backend' && key !== 'strideSeconds')
      throw new TypeError(`${what}: unknown option '${key}'; known: backend, strideSeconds`);
  const params = new CStruct('kws_classify_params', alloc(sizeOf('kws_classify_params')));
  M._kws_classify_params_init(params.pointer);
  params.setI32('backend', backendValue(options.backend));
  if (options.strideSeconds !== undefined) {
    if (typeof options.strideSeconds !== 'number') throw new TypeError(`${what}: strideSeconds must be a number`);
    params.setF32('stride_seconds', options.strideSeconds);
  }
  return params.pointer;
}

// One clip through run(int16, samples, count, sampleRate, outScores, capacity, outBest), which
// calls kws_classify* or kws_classifier_run*; the result as Model.classify documents it.
function classifyWith(alloc, labels, samples, sampleRate, run) {
  const input = toSamples(samples);
  checkInt32(sampleRate, 'sampleRate');
  const scores = alloc(labels.length * 4);
  const best = alloc(4);
  check(run(input instanceof Int16Array, copyIn(alloc, input), input.length, sampleRate, scores, labels.length, best));
  const probabilities = M.HEAPF32.slice(scores >> 2, (scores >> 2) + labels.length);
  const index = M.HEAP32[best >> 2];
  const byLabel = {};
  labels.forEach((label, i) => { byLabel[label] = probabilities[i]; });
  return { label: labels[index], index, score: probabilities[index], scores: byLabel, probabilities };
}

/**
 * Whole-clip classification with the network prepared once (kws_classifier): the results of
 * Model.classify without its per-call preparation. options: {backend, strideSeconds}, as there.
 * The classifier keeps the model's weights alive, so the Model may be closed first.
 */
export class Classifier {
  #handle = 0;
  #labels;
  #sampleRate;

  constructor(model, options = {}) {
    if (!(model instanceof Model)) throw new TypeError('Classifier: model must be a Model');
    const h = model[HANDLE]('new Classifier()');
    this.#handle = withHeap((alloc) => {
      const params = classifyParams(alloc, options, 'Classifier');
      const out = alloc(4);
      check(M._kws_classifier_create(h, params, out));
      return outPointer(out);
    });
    classifierRegistry.register(this, this.#handle, this);
    this.#labels = model.labels;
    this.#sampleRate = model.sampleRate;
  }

  /** The model's labels, by index. */
  get labels() { return this.#labels; }
  /** Whether close() has been called. */
  get closed() { return this.#handle === 0; }

  /** Classifies one clip, as Model.classify: {label, index, score, scores, probabilities}. */
  classify(samples, sampleRate = this.#sampleRate) {
    if (this.#handle === 0) throw new Error('libkws: Classifier.classify(): the Classifier is closed');
    const h = this.#handle;
    return withHeap((alloc) => classifyWith(alloc, this.#labels, samples, sampleRate, (int16, ...clip) =>
      (int16 ? M._kws_classifier_run_s16 : M._kws_classifier_run)(h, ...clip)));
  }

  /** Releases the classifier now. Idempotent. */
  close() {
    if (this.#handle === 0) return;
    classifierRegistry.unregister(this);
    M._kws_classifier_free(this.#handle);
    this.#handle = 0;
  }

  /** Alias of close(). */
  free() { this.close(); }
}

// ---- Detector -----------------------------------------------------------------------------------

// Detector options (camelCase) -> [kws_detector_params field, type].
const PARAM_FIELDS = {
  sampleRate: ['sample_rate', 'i32'], windowSeconds: ['window_seconds', 'f32'],
  strideSeconds: ['stride_seconds', 'f32'], smoothingSeconds: ['smoothing_seconds', 'f32'],
  sensitivity: ['sensitivity', 'f32'], refractorySeconds: ['refractory_seconds', 'f32'],
  defaultThreshold: ['default_threshold', 'f32'], minConsecutive: ['min_consecutive', 'i32'],
};
const DETECTOR_OPTIONS = [...Object.keys(PARAM_FIELDS), 'thresholds', 'backend', 'onEvaluation'];

// Detectors with onEvaluation, by the id their kws_detector_params.evaluation_user_data carries:
// kws_web.c's one callback hands every evaluation to M.kwsWebEvaluation(evaluation, id).
const evaluationHandlers = new Map();
let nextDetectorId = 1;
M.kwsWebEvaluation = (pointer, id) => {
  const handler = evaluationHandlers.get(id);
  if (handler) handler(pointer);
};

// PCM is copied into module memory in blocks of this many samples, so a long clip needs no
// buffer of its size (the events are the same however the audio is cut).
const PUSH_BLOCK = 16384;

/** Streaming keyword detector: the state of one audio stream. One per stream. */
export class Detector {
  #handle = 0;
  #id;
  #calling = false;
  #labels;
  #sampleRate;
  #input = 0;      // PUSH_BLOCK float32 (or int16) samples of module memory
  #detection;      // a kws_detection in module memory, for kws_detector_next
  #callbackError = null;  // what onEvaluation threw, rethrown by the push/finish that called it

  /**
   * options (all optional; defaults from kws_detector_params_init):
   *   sampleRate         of pushed PCM in Hz: the model's (the default), as this build does not resample
   *   windowSeconds      analysis window (default: the model's)
   *   strideSeconds      evaluation cadence (0.1)
   *   smoothingSeconds   posterior moving-average span (0.3)
   *   sensitivity        0..1; effective threshold = threshold^(2 * sensitivity) (0.5)
   *   refractorySeconds  no event for this long after one (0.5)
   *   defaultThreshold   for labels without a threshold of their own (0.5)
   *   minConsecutive     evaluations in a row above threshold (3)
   *   thresholds         {label: threshold}, overriding the model's suggestions
   *   backend            'default' | 'reference' | 'eigen'
   *   onEvaluation       called inside push/finish after every model evaluation with
   *                      {index, frame, startSample, endSample, scores: Float32Array, firedLabel}
   *                      (live score plots)
   */
  constructor(model, options = {}) {
    if (!(model instanceof Model)) throw new TypeError('Detector: model must be a Model');
    for (const key of Object.keys(options))
      if (!DETECTOR_OPTIONS.includes(key))
        throw new TypeError(`Detector: unknown option '${key}'; known: ${DETECTOR_OPTIONS.join(', ')}`);
    const { onEvaluation } = options;
    if (onEvaluation !== undefined && typeof onEvaluation !== 'function')
      throw new TypeError('Detector: onEvaluation must be a function');
    const h = model[HANDLE]('new Detector()');
    this.#id = nextDetectorId++;
    let sampleRate = 0;
    this.#handle = withHeap((alloc) => {
      const params = new CStruct('kws_detector_params', alloc(sizeOf('kws_detector_params')));
      M._kws_detector_params_init(params.pointer);
      for (const [option, [field, type]] of Object.entries(PARAM_FIELDS)) {
        const value = options[option];
        if (value === undefined) continue;
        if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Detector: ${option} must be a number`);
        if (type === 'i32') params.setI32(field, checkInt32(value, `Detector: ${option}`));
        else params.setF32(field, value);
      }
      params.setI32('backend', backendValue(options.backend));
      if (options.thresholds !== undefined && options.thresholds !== null) {
        const values = new Float32Array(model.labels.length).fill(-1);
        for (const [label, value] of Object.entries(options.thresholds)) {
          const index = model.labels.indexOf(label);
          if (index < 0)
            throw new RangeError(`Detector: thresholds: unknown label '${label}'; labels: ${model.labels.join(', ')}`);
          if (typeof value !== 'number') throw new TypeError(`Detector: thresholds['${label}'] must be a number`);
          values[index] = value;
        }
        params.setU32('thresholds', copyIn(alloc, values));  // copied by kws_detector_create
        params.setU32('thresholds_count', values.length);
      }
      if (onEvaluation) {
        params.setU32('evaluation_callback', M._kws_web_evaluation_callback());
        params.setU32('evaluation_user_data', this.#id);
      }
      sampleRate = params.i32('sample_rate');
      const out = alloc(4);
      check(M._kws_detector_create(h, params.pointer, out));
      return outPointer(out);
    });
    this.#labels = model.labels;
    this.#sampleRate = sampleRate || model.sampleRate;
    this.#input = M._malloc(PUSH_BLOCK * 4);
    this.#detection = new CStruct('kws_detection', M._malloc(sizeOf('kws_detection')));
    if (!this.#input || !this.#detection.pointer) {
      M._kws_detector_free(this.#handle);
      throw new KwsError(Status.OUT_OF_MEMORY, 'cannot allocate the detector\'s buffers');
    }
    if (onEvaluation) evaluationHandlers.set(this.#id, (pointer) => this.#deliver(onEvaluation, pointer));
    detectorRegistry.register(this, { pointer: this.#handle, buffers: [this.#input, this.#detection.pointer],
                                      id: this.#id }, this);
  }

  #deliver(onEvaluation, pointer) {
    // Nothing may be thrown through the library's frames: a throw is kept for push/finish.
    try {
      const e = new CStruct('kws_evaluation', pointer);
      const scores = e.u32('scores') >> 2;
      onEvaluation({
        index: e.i64('index'),
        frame: e.i64('frame'),
        startSample: e.i64('start_sample'),
        endSample: e.i64('end_sample'),
        scores: M.HEAPF32.slice(scores, scores + e.u32('scores_count')),
        firedLabel: e.i32('fired_label'),
      });
    } catch (error) {
      if (this.#callbackError === null) this.#callbackError = { error };
    }
  }

  #live(what) {
    if (this.#handle === 0) throw new Error(`libkws: Detector.${what}: the Detector is closed`);
    if (this.#calling)
      throw new Error(`libkws: Detector.${what}: called from inside its own onEvaluation callback; ` +
                      'call it after push()/finish() returns');
    return this.#handle;
  }

  // push/finish run onEvaluation inside the library call; the detector must not be used (or
  // freed) from there. What onEvaluation threw is rethrown once the call is over.
  #inCall(body) {
    this.#calling = true;
    try {
      body();
    } finally {
      this.#calling = false;
    }
    if (this.#callbackError !== null) {
      const { error } = this.#callbackError;
      this.#callbackError = null;
      throw error;
    }
  }

  /** Sample rate (Hz) of the PCM this detector takes; positions count in it. */
  get sampleRate() { return this.#sampleRate; }
  /** The model's labels, by index. */
  get labels() { return this.#labels; }
  /** Whether close() has been called. */
  get closed() { return this.#handle === 0; }

  /**
   * Feeds samples (Float32Array in [-1, 1], Int16Array, or an array of numbers) and returns the
   * detections they completed. The same audio gives the same events however it is chunked.
   */
  push(samples) {
    const h = this.#live('push()');
    const input = toSamples(samples);
    const push = input instanceof Int16Array ? M._kws_detector_push_s16 : M._kws_detector_push;
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const step = PUSH_BLOCK * input.BYTES_PER_ELEMENT;
    this.#inCall(() => {
      if (input.length === 0) return check(push(h, this.#input, 0));
      for (let at = 0; at < bytes.length; at += step) {
        const block = bytes.subarray(at, at + step);
        M.HEAPU8.set(block, this.#input);
        check(push(h, this.#input, block.length / input.BYTES_PER_ELEMENT));
      }
    });
    return this.#drain(h);
  }

  /** Ends the stream (flushes buffered audio, evaluates the tail); returns the last detections.
   * Push again only after reset(). */
  finish() {
    const h = this.#live('finish()');
    this.#inCall(() => check(M._kws_detector_finish(h)));
    return this.#drain(h);
  }

  /** Starts a new stream: positions restart at 0, queued events are dropped. */
  reset() {
    check(M._kws_detector_reset(this.#live('reset()')));
  }

  #drain(h) {
    const events = [];
    const d = this.#detection;
    withHeap((alloc) => {
      const available = alloc(4);
      for (;;) {
        d.setU32('size', sizeOf('kws_detection'));
        check(M._kws_detector_next(h, d.pointer, available));
        if (M.HEAP32[available >> 2] !== 1) return;
        const startSample = d.i64('start_sample');
        const endSample = d.i64('end_sample');
        events.push({
          label: cString(d.u32('label')),
          labelIndex: d.i32('label_index'),
          score: d.f32('score'),
          startSample,
          endSample,
          startSeconds: startSample / this.#sampleRate,
          endSeconds: endSample / this.#sampleRate,
        });
      }
    });
    return events;
  }

  /** Smoothed posteriors after the latest evaluation, {label: score} (zeros before the first). */
  get scores() {
    const h = this.#live('scores');
    return withHeap((alloc) => {
      const pointer = alloc(4), count = alloc(4);
      check(M._kws_detector_scores(h, pointer, count));
      const values = M.HEAPF32.subarray(outPointer(pointer) >> 2);
      const scores = {};
      for (let i = 0; i < outPointer(count); ++i) scores[this.#labels[i]] = values[i];
      return scores;
    });
  }

  /** Model evaluations since creation or the latest reset(). */
  get evaluations() {
    return withHeap((alloc) => {
      const out = alloc(8);
      check(M._kws_detector_evaluations(this.#live('evaluations'), out));
      return readInt64(out);
    });
  }

  /** Samples pushed since creation or the latest reset(), at sampleRate. */
  get samplesPushed() {
    return withHeap((alloc) => {
      const out = alloc(8);
      check(M._kws_detector_samples_pushed(this.#live('samplesPushed'), out));
      return readInt64(out);
    });
  }

  /** Releases the detector now. Idempotent. Not from inside its own onEvaluation callback. */
  close() {
    if (this.#handle === 0) return;
    this.#live('close()');
    detectorRegistry.unregister(this);
    M._kws_detector_free(this.#handle);
    M._free(this.#input);
    M._free(this.#detection.pointer);
    evaluationHandlers.delete(this.#id);
    this.#handle = 0;
  }

  /** Alias of close(). */
  free() { this.close(); }
}

// `using detector = new Detector(...)` where the browser has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
  for (const type of [Model, Classifier, Detector])
    type.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

// ---- Audio files: the browser's decoder and resampler -------------------------------------------

/**
 * Decodes an audio file image (ArrayBuffer or typed array: WAV, FLAC, Ogg, MP3, ... whatever the
 * browser decodes) into mono float samples at `sampleRate` (the model's), resampled by the
 * browser (an OfflineAudioContext at that rate) and mixed down by averaging the channels:
 * {samples: Float32Array, sampleRate, channels, seconds}. The caller's buffer is left intact.
 */
export async function decodeAudio(data, sampleRate) {
  const bytes = toBytes(data, 'decodeAudio: data');
  checkInt32(sampleRate, 'decodeAudio: sampleRate');
  const context = new OfflineAudioContext(1, 1, sampleRate);
  let audio;
  try {
    // decodeAudioData takes the buffer over (detaches it), so it gets a copy.
    audio = await context.decodeAudioData(bytes.slice().buffer);
  } catch (e) {
    throw new Error(`decodeAudio: the browser cannot decode this file (${e.message || e.name})`);
  }
  const samples = new Float32Array(audio.length);
  for (let c = 0; c < audio.numberOfChannels; ++c) {
    const channel = audio.getChannelData(c);
    for (let i = 0; i < samples.length; ++i) samples[i] += channel[i];
  }
  if (audio.numberOfChannels > 1) for (let i = 0; i < samples.length; ++i) samples[i] /= audio.numberOfChannels;
  return { samples, sampleRate: audio.sampleRate, channels: audio.numberOfChannels, seconds: audio.duration };
}

export default { Model, Classifier, Detector, KwsError, Status, Backend, decodeAudio, backendAvailable,
                 version, versionNumber, buildInfo };
