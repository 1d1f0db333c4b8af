// Detector's onEvaluation and EventPolicy: evaluations recorded once, replayed through libkws's
// firing rule at other settings, give the events of a detector with those settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Detector, EventPolicy, KwsError, Model } from '../lib/index.js';
import { modelPath, noise } from './helpers.js';

const model = Model.load(modelPath);
const BUSY = { defaultThreshold: 0.12, refractorySeconds: 0.3, minConsecutive: 1 };

function events(samples, options) {
  const detector = new Detector(model, options);
  const out = [...detector.push(samples), ...detector.finish()];
  detector.close();
  return out.map((e) => [e.labelIndex, e.startSample, e.endSample]);
}

// Noise in loud and quiet stretches, so posteriors move and events come and go.
function bursts(count, seed) {
  const samples = noise(count, seed);
  for (let i = 0; i < count; ++i) samples[i] *= Math.floor(i / 5000) % 3 === 0 ? 1 : 0.02 * (i % 7);
  return samples;
}

test('recorded evaluations replayed through an EventPolicy give the detector events', () => {
  const samples = bursts(8000 * 10, 3);
  const recorded = [];
  const detector = new Detector(model, { ...BUSY, sampleRate: 8000, onEvaluation: (e) => recorded.push(e) });
  const fired = [...detector.push(samples.subarray(0, 33333)), ...detector.push(samples.subarray(33333)),
                 ...detector.finish()];
  detector.close();
  assert.ok(fired.length >= 3 && recorded.length > 50);
  assert.deepEqual(recorded.map((e) => e.index), recorded.map((_, i) => i));
  assert.deepEqual(recorded.filter((e) => e.firedLabel >= 0).map((e) => e.firedLabel), fired.map((e) => e.labelIndex));
  for (const e of recorded) {
    assert.equal(e.scores.length, model.labels.length);
    assert.ok(e.endSample > e.startSample);
  }
  const scores = new Float32Array(recorded.length * model.labels.length);
  recorded.forEach((e, i) => scores.set(e.scores, i * model.labels.length));
  const frames = recorded.map((e) => e.frame);
  for (const setting of [BUSY, { defaultThreshold: 0.2, refractorySeconds: 1.0, minConsecutive: 2 },
                         { thresholds: { yes: 0.1, no: 0.15 }, sensitivity: 0.6, minConsecutive: 1 }]) {
    const policy = new EventPolicy(model, setting);
    const labels = policy.run(scores, frames);
    policy.close();
    const replayed = [];
    labels.forEach((k, i) => { if (k >= 0) replayed.push([k, recorded[i].startSample, recorded[i].endSample]); });
    assert.deepEqual(replayed, events(samples, { ...setting, sampleRate: 8000 }), JSON.stringify(setting));
  }
});

test('EventPolicy: thresholds, misuse, lifetime', () => {
  const policy = new EventPolicy(model, { defaultThreshold: 0.8, sensitivity: 1 });
  const thresholds = policy.thresholds;
  assert.equal(thresholds[0], Infinity);
  assert.ok(Math.abs(thresholds[2] - 0.64) < 1e-6);
  assert.throws(() => policy.run(new Float32Array(5), [0]), RangeError);
  assert.throws(() => policy.run(new Float32Array(24), [5, 4]), KwsError);
  assert.equal(policy.run(new Float32Array(0), []).length, 0);
  policy.reset();
  policy.close();
  policy.close();
  assert.throws(() => policy.run(new Float32Array(12), [0]), /closed/);
  assert.throws(() => new EventPolicy(model, { minConsecutive: 0 }), KwsError);
  assert.throws(() => new EventPolicy(model, { strideSeconds: 0.1 }), /unknown option/);
});

test('an error thrown by onEvaluation reaches the caller of push', () => {
  const detector = new Detector(model, { onEvaluation: () => { throw new Error('from the callback'); } });
  assert.throws(() => detector.push(noise(16000 * 2, 1)), /from the callback/);
  detector.reset();
  assert.deepEqual(detector.push(new Float32Array(100)), []);
  detector.close();
  assert.throws(() => new Detector(model, { onEvaluation: 5 }), TypeError);
});
