// Model: loading, metadata, classification and features.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import kws, { Model, readAudio } from '../lib/index.js';
import { modelPath, noise, wavPath } from './helpers.js';

test('version and build info come from the loaded library', () => {
  assert.match(kws.version, /^\d+\.\d+\.\d+$/);
  const [major, minor, patch] = kws.version.split('.').map(Number);
  assert.equal(kws.versionNumber, major * 10000 + minor * 100 + patch);
  assert.match(kws.buildInfo, /libkws .*backends:.*reference/);
  assert.ok(kws.backendAvailable('reference'));
  assert.ok(kws.backendAvailable('default'));
  assert.throws(() => kws.backendAvailable('cuda'), TypeError);
  assert.ok(fs.existsSync(kws.library) || !kws.library.includes('/'));
});

test('load: labels, sample rate, frames, feature config', () => {
  const model = Model.load(modelPath);
  assert.equal(model.labels.length, 12);
  assert.equal(model.labels[0], '_silence_');
  assert.equal(model.labels[11], 'yes');
  assert.ok(Object.isFrozen(model.labels));
  assert.equal(model.sampleRate, 16000);
  assert.equal(model.inputFrames, 101);
  assert.equal(model.featureBins, 40);
  const config = model.featureConfig;
  assert.equal(config.sample_rate, 16000);
  assert.equal(config.n_mels, 40);
  assert.equal(config.hop_length, 160);
  config.n_mels = 1; // a copy: the model's stays intact
  assert.equal(model.featureConfig.n_mels, 40);
  assert.equal(typeof model.thresholds, 'object');
  model.close();
  assert.ok(model.closed);
  model.close(); // idempotent
  model.free();
});

test('new Model(path) and Model.fromBuffer give the same model', () => {
  const a = new Model(modelPath);
  const bytes = fs.readFileSync(modelPath);
  const b = Model.fromBuffer(bytes);
  const c = Model.fromBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  assert.deepEqual(b.labels, a.labels);
  assert.deepEqual(c.featureConfig, a.featureConfig);
  const clip = noise(16000, 3);
  assert.deepEqual(b.classify(clip, 16000).probabilities, a.classify(clip, 16000).probabilities);
  for (const m of [a, b, c]) m.close();
});

test('classify the bundled WAV: probabilities sum to 1, label among the labels', () => {
  const model = Model.load(modelPath);
  const { samples, sampleRate } = readAudio(wavPath);
  assert.ok(samples instanceof Float32Array && samples.length > sampleRate);
  const result = model.classify(samples, sampleRate);
  assert.ok(model.labels.includes(result.label));
  assert.equal(model.labels[result.index], result.label);
  assert.deepEqual(Object.keys(result.scores), [...model.labels]);
  const sum = Object.values(result.scores).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `sum ${sum}`);
  assert.equal(result.score, Math.max(...Object.values(result.scores)));
  assert.equal(result.score, result.scores[result.label]);
  // The reference backend agrees with the default one.
  const reference = model.classify(samples, sampleRate, { backend: 'reference' });
  assert.equal(reference.label, result.label);
  for (const label of model.labels) assert.ok(Math.abs(reference.scores[label] - result.scores[label]) < 1e-4);
  model.close();
});

test('classify: Int16Array and plain arrays give the float result', () => {
  const model = Model.load(modelPath);
  const float = noise(12000, 7);
  const pcm = Int16Array.from(float, (v) => Math.round(v * 32767));
  const asFloat = Float32Array.from(pcm, (v) => v / 32768);
  const fromInt16 = model.classify(pcm, 16000);
  assert.deepEqual(fromInt16.probabilities, model.classify(asFloat, 16000).probabilities);
  assert.deepEqual(model.classify(Array.from(asFloat), 16000).probabilities, fromInt16.probabilities);
  model.close();
});

test('classify resamples: 8 kHz and 44.1 kHz input', () => {
  const model = Model.load(modelPath);
  for (const rate of [8000, 44100]) {
    const { samples, sampleRate } = readAudio(wavPath, rate);
    assert.equal(sampleRate, rate);
    const result = model.classify(samples, sampleRate);
    const sum = result.probabilities.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4);
  }
  model.close();
});

test('features: 40 x 101 for 1 s at 16 kHz, 201 frames for 2 s given at 8 kHz', () => {
  const model = Model.load(modelPath);
  const clip = noise(16000, 1);
  const features = model.features(clip, 16000);
  assert.equal(features.bins, 40);
  assert.equal(features.frames, 101);
  assert.ok(features.data instanceof Float32Array);
  assert.equal(features.data.length, 40 * 101);
  assert.ok(features.data.every(Number.isFinite));
  const pcm = Int16Array.from(clip, (v) => Math.round(v * 32767));
  const fromInt16 = model.features(pcm, 16000);
  assert.equal(fromInt16.frames, 101);
  assert.ok(fromInt16.data.every((v, i) => Math.abs(v - features.data[i]) < 1e-2));
  const slow = model.features(clip, 8000);
  assert.equal(slow.bins, 40);
  assert.equal(slow.frames, 201);
  assert.equal(slow.data.length, 40 * 201);
  model.close();
});

test('readAudio from a path and from a file image agree', () => {
  const fromPath = readAudio(wavPath);
  const fromBytes = readAudio(fs.readFileSync(wavPath));
  assert.equal(fromBytes.sampleRate, fromPath.sampleRate);
  assert.deepEqual(fromBytes.samples, fromPath.samples);
  const resampled = readAudio(wavPath, 8000);
  assert.equal(resampled.sampleRate, 8000);
  assert.ok(Math.abs(resampled.samples.length - fromPath.samples.length * 8000 / fromPath.sampleRate) <= 2);
});

test('Symbol.dispose closes (explicit resource management)', { skip: typeof Symbol.dispose !== 'symbol' && 'no Symbol.dispose' }, () => {
  const model = Model.load(modelPath);
  model[Symbol.dispose]();
  assert.ok(model.closed);
});
