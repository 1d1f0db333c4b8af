// Detector: streaming events, chunk invariance, int16 input, resampling, options, lifetime.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Detector, Model, readAudio } from '../lib/index.js';
import { modelPath, noise, random, wavPath } from './helpers.js';

const model = Model.load(modelPath);
const OPTIONS = { defaultThreshold: 0.12, refractorySeconds: 0.3 };

function runWhole(samples, options = OPTIONS) {
  const detector = new Detector(model, options);
  const events = [...detector.push(samples), ...detector.finish()];
  detector.close();
  return events;
}

// Random chunk sizes from 0 to maxChunk samples, as subarrays (views at odd offsets).
function runChunked(samples, seed, options = OPTIONS, maxChunk = 4000) {
  const detector = new Detector(model, options);
  const next = random(seed);
  const events = [];
  for (let at = 0; at < samples.length;) {
    const size = Math.min(samples.length - at, Math.floor(next() * (maxChunk + 1)));
    events.push(...detector.push(samples.subarray(at, at + size)));
    at += size;
  }
  events.push(...detector.finish());
  assert.equal(detector.samplesPushed, samples.length);
  detector.close();
  return events;
}

test('detections have the documented shape', () => {
  const events = runWhole(noise(16000 * 4, 5));
  assert.ok(events.length > 0, 'threshold 0.12 on noise should fire');
  for (const e of events) {
    assert.deepEqual(Object.keys(e).sort(),
                     ['endSample', 'endSeconds', 'label', 'labelIndex', 'score', 'startSample', 'startSeconds']);
    assert.equal(model.labels[e.labelIndex], e.label);
    assert.ok(!e.label.startsWith('_'), 'labels starting with _ never fire');
    assert.ok(e.score >= 0.12 && e.score <= 1);
    assert.ok(Number.isInteger(e.startSample) && e.endSample > e.startSample);
    assert.equal(e.startSeconds, e.startSample / 16000);
    assert.equal(e.endSeconds, e.endSample / 16000);
  }
  for (let i = 1; i < events.length; ++i) {
    assert.ok(events[i].startSample >= events[i - 1].startSample);
    assert.ok(events[i].endSeconds - events[i - 1].endSeconds >= 0.3 - 1e-9, 'refractory period');
  }
});

test('chunk invariance: whole push and random chunk sizes give the same events', () => {
  const audio = noise(16000 * 4, 11);
  const whole = runWhole(audio);
  assert.ok(whole.length > 0);
  for (const seed of [1, 2, 3]) assert.deepEqual(runChunked(audio, seed), whole, `seed ${seed}`);
  assert.deepEqual(runChunked(audio, 4, OPTIONS, 7), whole, 'tiny chunks');
});

test('Int16Array input gives the events of the same audio as float', () => {
  const pcm = Int16Array.from(noise(16000 * 3, 21), (v) => Math.round(v * 32767));
  const asFloat = Float32Array.from(pcm, (v) => v / 32768);
  const expected = runWhole(asFloat);
  assert.ok(expected.length > 0);
  assert.deepEqual(runWhole(pcm), expected);
  assert.deepEqual(runChunked(pcm, 9), expected);
});

test('resampling: a detector at 8 kHz counts positions at 8 kHz, independent of chunking', () => {
  const { samples } = readAudio(wavPath, 8000);
  const options = { sampleRate: 8000, defaultThreshold: 0, refractorySeconds: 0.5 };
  const detector = new Detector(model, options);
  assert.equal(detector.sampleRate, 8000);
  detector.close();
  const events = runWhole(samples, options);
  assert.ok(events.length >= 2);
  assert.deepEqual(runChunked(samples, 5, options, 1500), events);
  for (const e of events) {
    assert.equal(e.endSeconds, e.endSample / 8000);
    assert.ok(e.endSample <= samples.length + 8000);
  }
  // With threshold 0 it fires at every evaluation the refractory period allows, so the event
  // times are those of the same audio at the model's rate.
  const native = runWhole(readAudio(wavPath, 16000).samples, { defaultThreshold: 0, refractorySeconds: 0.5 });
  assert.deepEqual(events.map((e) => e.startSeconds), native.map((e) => e.startSeconds));
});

test('per-label thresholds reach the library (a pointer inside kws_detector_params)', () => {
  const { samples } = readAudio(wavPath);
  const events = runWhole(samples, { defaultThreshold: 1, thresholds: { yes: 0 }, refractorySeconds: 0.5 });
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => e.label === 'yes'), JSON.stringify(events.map((e) => e.label)));
  assert.deepEqual(runWhole(samples, { defaultThreshold: 1 }), []);
});

test('minConsecutive, sensitivity, backend options are applied', () => {
  const audio = noise(16000 * 3, 31);
  const base = runWhole(audio, { defaultThreshold: 0.12, refractorySeconds: 0, minConsecutive: 1 });
  const strict = runWhole(audio, { defaultThreshold: 0.12, refractorySeconds: 0, minConsecutive: 3 });
  assert.ok(strict.length <= base.length);
  const reference = runWhole(audio, { ...OPTIONS, backend: 'reference' });
  const fast = runWhole(audio, OPTIONS);
  assert.deepEqual(reference.map((e) => e.label), fast.map((e) => e.label));
  // sensitivity 0: effective threshold = t^0 = 1, nothing fires
  assert.deepEqual(runWhole(audio, { ...OPTIONS, sensitivity: 0 }), []);
});

test('scores, reset and samplesPushed', () => {
  const detector = new Detector(model, OPTIONS);
  assert.equal(detector.samplesPushed, 0);
  const before = detector.scores;
  assert.ok(Object.values(before).every((v) => v === 0));
  const audio = noise(16000 * 2, 41);
  const first = detector.push(audio);
  const scores = detector.scores;
  assert.deepEqual(Object.keys(scores), [...model.labels]);
  const sum = Object.values(scores).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `smoothed posteriors sum to ${sum}`);
  assert.equal(detector.samplesPushed, audio.length);
  detector.reset();
  assert.equal(detector.samplesPushed, 0);
  assert.deepEqual(detector.push(audio), first, 'a reset stream starts over');
  assert.deepEqual(detector.push(new Float32Array(0)), []);
  detector.close();
});

test('a detector outlives its model (the C API keeps its own reference)', () => {
  const own = Model.load(modelPath);
  const detector = new Detector(own, OPTIONS);
  own.close();
  const events = [...detector.push(noise(16000 * 4, 11)), ...detector.finish()];
  assert.deepEqual(events, runWhole(noise(16000 * 4, 11)));
  detector.close();
});
