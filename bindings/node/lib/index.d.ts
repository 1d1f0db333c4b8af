// Type declarations of the libkws Node binding (lib/index.js), written by hand.

/** PCM samples: float in [-1, 1] (Float32Array, Float64Array, an array of numbers), 16-bit
 * (Int16Array) or 32-bit (Int32Array, scaled by 2^-31). Other typed arrays are refused. */
export type Samples = Float32Array | Float64Array | Int16Array | Int32Array | number[];

/** Backend names (case-insensitive) or kws_backend values. */
export type BackendName = 'default' | 'reference' | 'eigen' | 'onednn';

/** kws_status values, pinned by the C API. */
export declare const Status: Readonly<{
  OK: 0;
  INVALID_ARGUMENT: 1;
  IO: 2;
  UNSUPPORTED_FORMAT: 3;
  CORRUPT_DATA: 4;
  OUT_OF_MEMORY: 5;
  INTERNAL: 6;
  BUFFER_TOO_SMALL: 7;
}>;

/** kws_backend values. */
export declare const Backend: Readonly<{ DEFAULT: 0; REFERENCE: 1; EIGEN: 2; ONEDNN: 3 }>;

export type StatusName =
  | 'invalid_argument' | 'io' | 'unsupported_format' | 'corrupt_data' | 'out_of_memory' | 'internal'
  | 'buffer_too_small' | 'unknown';

/** An error reported by libkws; the message is kws_last_error(). */
export declare class KwsError extends Error {
  readonly name: 'KwsError';
  /** The pinned kws_status value (Status.IO === 2, ...). */
  readonly status: number;
  /** The Status key in lower case: "io", "corrupt_data", ... */
  readonly statusName: StatusName;
}

/** "MAJOR.MINOR.PATCH" of the libkws actually loaded. */
export declare const version: string;
/** major * 10000 + minor * 100 + patch of the libkws actually loaded. */
export declare const versionNumber: number;
/** How the loaded libkws was built: version, backends, instruction set, compiler. */
export declare const buildInfo: string;
/** Path (or system name) of the shared library loaded. */
export declare const library: string;

export declare function backendAvailable(backend: BackendName | number): boolean;

export interface Classification {
  /** The most probable label, its index and probability. */
  label: string;
  index: number;
  score: number;
  /** Every label's probability (they sum to 1). */
  scores: Record<string, number>;
  /** The same, by label index. */
  probabilities: Float32Array;
}

export interface ClassifyOptions {
  backend?: BackendName | number;
  /** Window step over clips longer than the model's window (default 0.1). */
  strideSeconds?: number;
}

export interface Features {
  bins: number;
  frames: number;
  /** bins * frames values, row-major [bins][frames]. */
  data: Float32Array;
}

export declare class Model {
  /** Loads and validates a model file (.kws); throws KwsError (status IO, CORRUPT_DATA, ...). */
  constructor(path: string);
  static load(path: string): Model;
  /** Loads from a complete model file in memory; the bytes are copied. */
  static fromBuffer(data: Uint8Array | ArrayBuffer): Model;

  readonly labels: readonly string[];
  readonly sampleRate: number;
  readonly featureBins: number;
  readonly inputFrames: number;
  /** Parsed feature configuration (torchaudio-style keys: sample_rate, n_fft, n_mels, ...); a copy. */
  readonly featureConfig: Record<string, unknown>;
  /** The model's suggested thresholds, for the labels that have one. */
  readonly thresholds: Readonly<Record<string, number>>;
  /** A CTC phoneme model (for Spotter and transcribe) rather than a classifier. */
  readonly isCtc: boolean;
  readonly closed: boolean;

  classify(samples: Samples, sampleRate: number, options?: ClassifyOptions): Classification;
  features(samples: Samples, sampleRate: number): Features;

  /** Frees the model now (classifiers and detectors created from it keep working); idempotent. */
  close(): void;
  free(): void;
}

/** Whole-clip classification with the network prepared once: Model.classify's results, faster
 * over many clips. */
export declare class Classifier {
  constructor(model: Model, options?: ClassifyOptions);
  readonly labels: readonly string[];
  readonly closed: boolean;
  classify(samples: Samples, sampleRate: number): Classification;
  close(): void;
  free(): void;
}

export interface DetectorOptions {
  /** Of pushed PCM in Hz; default: the model's. */
  sampleRate?: number;
  /** Analysis window; default: the model's (0). */
  windowSeconds?: number;
  /** Evaluation cadence; default 0.1. */
  strideSeconds?: number;
  /** Posterior moving-average span; default 0.3. */
  smoothingSeconds?: number;
  /** 0..1; effective threshold = threshold^(2 * sensitivity); default 0.5. */
  sensitivity?: number;
  /** No event for this long after one; default 0.5. */
  refractorySeconds?: number;
  /** For labels without a threshold (in the model or `thresholds`); default 0.5. */
  defaultThreshold?: number;
  /** Evaluations in a row above threshold; default 3. */
  minConsecutive?: number;
  /** Per-label thresholds, overriding the model's. */
  thresholds?: Record<string, number>;
  backend?: BackendName | number;
  /** Called inside push/finish after every model evaluation (live score plots; recording for an
   * EventPolicy sweep). An error it throws is rethrown by that push/finish. */
  onEvaluation?: (evaluation: Evaluation) => void;
}

/** One model evaluation of the stream. */
export interface Evaluation {
  /** Since creation or the latest reset(), from 0. */
  index: number;
  /** Feature frames of the stream so far: the clock EventPolicy.run takes. */
  frame: number;
  /** The window's audio, as in Detection. */
  startSample: number;
  endSample: number;
  /** Smoothed posteriors, one per label index. */
  scores: Float32Array;
  /** Label index of the event this evaluation fired, or -1. */
  firedLabel: number;
}

/** The firing options of DetectorOptions: what an EventPolicy reads. */
export type FiringOptions = Pick<DetectorOptions,
  'sensitivity' | 'refractorySeconds' | 'defaultThreshold' | 'minConsecutive' | 'thresholds'>;

/** The detector's firing rule on its own: run it over recorded evaluations at any setting. */
export declare class EventPolicy {
  constructor(model: Model, options?: FiringOptions);
  /** scores: frames.length * labels values, row-major; returns the label index each evaluation
   * fires, or -1. Continues from the previous call. */
  run(scores: Float32Array | ArrayLike<number>, frames: ArrayLike<number>): Int32Array;
  reset(): void;
  /** Effective threshold per label index; Infinity for labels that never fire. */
  readonly thresholds: Float32Array;
  close(): void;
}

export interface Detection {
  label: string;
  labelIndex: number;
  /** Smoothed posterior in [0, 1]. */
  score: number;
  /** [startSample, endSample): the analysis window it fired in, at the detector's sample rate,
   * counted from the start of the stream (or the latest reset). */
  startSample: number;
  endSample: number;
  startSeconds: number;
  endSeconds: number;
}

export declare class Detector {
  constructor(model: Model, options?: DetectorOptions);
  readonly sampleRate: number;
  readonly labels: readonly string[];
  readonly closed: boolean;
  /** Smoothed posteriors after the latest evaluation. */
  readonly scores: Record<string, number>;
  /** Samples pushed since creation or the latest reset(). */
  readonly samplesPushed: number;

  /** Feeds samples; returns the detections they completed (independent of chunking). */
  push(samples: Samples): Detection[];
  /** Ends the stream; returns the last detections. Push again only after reset(). */
  finish(): Detection[];
  reset(): void;
  close(): void;
  free(): void;
}

/** A keyword for a Spotter: words (text, phonemised with libespeak-ng) or the model's tokens
 * (phonemes, space-separated), exactly one; threshold on the score in (0, 1]; boost in [-10, 10]. */
export interface Keyword {
  text?: string;
  phonemes?: string;
  name?: string;
  threshold?: number;
  boost?: number;
}

export interface SpotterOptions {
  sampleRate?: number;
  windowFrames?: number;
  defaultThreshold?: number;
  refractorySeconds?: number;
  peakSeconds?: number;
  backend?: BackendName | number;
}

/** Open-vocabulary keyword spotting over one stream with a CTC phoneme model. Events: label is
 * the keyword's name, labelIndex its index. */
export declare class Spotter {
  constructor(model: Model, keywords: Array<string | Keyword>, options?: SpotterOptions);
  readonly sampleRate: number;
  readonly keywords: ReadonlyArray<Readonly<{ name: string; phonemes: string }>>;
  readonly samplesPushed: number;
  readonly closed: boolean;
  push(samples: Samples): Detection[];
  finish(): Detection[];
  reset(): void;
  close(): void;
}

/** Greedy CTC decoding of a clip: the tokens a CTC phoneme model hears, space-separated. */
export declare function transcribe(model: Model, samples: Samples, sampleRate: number,
                                   options?: { backend?: BackendName | number; windowFrames?: number }): string;

export interface Audio {
  samples: Float32Array;
  sampleRate: number;
}

/** Reads WAV/FLAC/OGG (a path, or a file image) as mono float, resampled when targetRate > 0. */
export declare function readAudio(source: string | Uint8Array | ArrayBuffer, targetRate?: number): Audio;

declare const _default: {
  Model: typeof Model;
  Classifier: typeof Classifier;
  Detector: typeof Detector;
  EventPolicy: typeof EventPolicy;
  Spotter: typeof Spotter;
  transcribe: typeof transcribe;
  KwsError: typeof KwsError;
  Status: typeof Status;
  Backend: typeof Backend;
  readAudio: typeof readAudio;
  backendAvailable: typeof backendAvailable;
  version: string;
  versionNumber: number;
  buildInfo: string;
  library: string;
};
export default _default;
