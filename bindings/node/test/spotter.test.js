// Spotter and transcribe over a CTC phoneme model: events for keywords the model hears, chunk
// invariance, keyword names and tokens, errors.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { KwsError, Model, Spotter, Status, transcribe } from '../lib/index.js';
import { modelPath, noise, random, repoDir } from './helpers.js';

const ctcModel = Model.load(path.join(repoDir, 'tests', 'model', 'golden', 'ctc', 'phonemes_tau1.kws'));
const COMPUTER = 'k @ m p j u: t# 3';

// Three-token phrases of the model's own transcript: each is the best path somewhere.
function heardPhrases(samples) {
  const tokens = transcribe(ctcModel, samples, 16000).split(' ');
  const phrases = [];
  for (let i = 0; i + 3 <= tokens.length; i += 4) phrases.push(tokens.slice(i, i + 3).join(' '));
  return phrases;
}

test('a CTC model says so, and transcribe gives its tokens', () => {
  assert.equal(ctcModel.isCtc, true);
  assert.equal(Model.load(modelPath).isCtc, false);
  const text = transcribe(ctcModel, noise(16000 * 3, 4, 0.4), 16000);
  assert.ok(text.length > 0);
  for (const token of text.split(' ')) assert.ok(ctcModel.labels.slice(1).includes(token), token);
  assert.throws(() => transcribe(Model.load(modelPath), noise(16000), 16000),
                (e) => e instanceof KwsError && e.status === Status.INVALID_ARGUMENT && /CTC model/.test(e.message));
});

test('the spotter fires on heard phrases, the same for any chunking', () => {
  const samples = noise(16000 * 4, 5, 0.4);
  const phrases = heardPhrases(samples);
  assert.ok(phrases.length >= 2);
  const keywords = phrases.map((phonemes, i) => ({ phonemes, name: `k${i}`, threshold: 0.9 }));
  const spotter = new Spotter(ctcModel, keywords);
  assert.deepEqual(spotter.keywords.map((k) => k.name), phrases.map((_, i) => `k${i}`));
  assert.deepEqual(spotter.keywords.map((k) => k.phonemes), phrases);
  const whole = [...spotter.push(samples), ...spotter.finish()];
  assert.ok(whole.length >= phrases.length);
  for (const event of whole) assert.ok(event.score >= 0.9 && event.score <= 1 && event.endSample > event.startSample);
  spotter.reset();
  const next = random(3);
  const chunked = [];
  for (let at = 0; at < samples.length;) {
    const size = Math.min(samples.length - at, 1 + Math.floor(next() * 3000));
    chunked.push(...spotter.push(samples.subarray(at, at + size)));
    at += size;
  }
  chunked.push(...spotter.finish());
  assert.deepEqual(chunked, whole);
  assert.equal(spotter.samplesPushed, samples.length);
  spotter.close();
  assert.throws(() => spotter.push(samples), /closed/);
});

test('text keywords, and clear errors for bad ones', () => {
  try {
    const spotter = new Spotter(ctcModel, ['computer', { phonemes: COMPUTER, name: 'c' }]);
    assert.deepEqual(spotter.keywords, [{ name: 'computer', phonemes: COMPUTER }, { name: 'c', phonemes: COMPUTER }]);
    spotter.close();
  } catch (e) { // a libkws without libespeak-ng
    assert.ok(e instanceof KwsError && e.status === Status.UNSUPPORTED_FORMAT && /libespeak-ng/.test(e.message));
  }
  assert.throws(() => new Spotter(ctcModel, [{ phonemes: 'k @ QQ' }]), /QQ/);
  assert.throws(() => new Spotter(ctcModel, [{ text: 'computer', phonemes: COMPUTER }]), /exactly one/);
  assert.throws(() => new Spotter(ctcModel, []), /no keywords/);
  assert.throws(() => new Spotter(Model.load(modelPath), [{ phonemes: COMPUTER }]), /CTC model/);
  assert.throws(() => new Spotter(ctcModel, [{ phonemes: COMPUTER }], { window: 3 }), /unknown option/);
  assert.throws(() => new Spotter(ctcModel, [42]), TypeError);
});
