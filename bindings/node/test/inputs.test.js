// Every kind of sample array is converted with the right scale or refused, integers are range-
// checked before koffi (which would wrap them), and a Detector cannot be closed from inside its
// own onEvaluation callback (the call still uses its memory).
import test from 'node:test';
import assert from 'node:assert/strict';

import { Model, Detector, Classifier } from '../lib/index.js';
import { modelPath, noise } from './helpers.js';

const model = new Model(modelPath);
const pcm16 = Int16Array.from(noise(16000, 7), (x) => Math.round(x * 20000));
const reference = model.classify(pcm16, 16000).scores;

function close(scores, tolerance = 1e-4) {
  for (const [label, value] of Object.entries(reference))
    assert.ok(Math.abs(scores[label] - value) < tolerance, `${label}: ${scores[label]} vs ${value}`);
}

test('float, int16 and int32 arrays of the same PCM classify alike', () => {
  close(model.classify(Float64Array.from(pcm16, (x) => x / 32768), 16000).scores);
  close(model.classify(Array.from(pcm16, (x) => x / 32768), 16000).scores);
  close(model.classify(Int32Array.from(pcm16, (x) => x * 65536), 16000).scores);
  const classifier = new Classifier(model);
  close(classifier.classify(Int32Array.from(pcm16, (x) => x * 65536), 16000).scores);
  classifier.close();
});

test('typed arrays of unknown scale and non-numbers are refused', () => {
  for (const array of [new Uint16Array(160), new Uint32Array(160), new BigInt64Array(160),
                       new Uint8Array(160), new Int8Array(160)])
    assert.throws(() => model.classify(array, 16000), TypeError, array.constructor.name);
  assert.throws(() => model.classify(['0.1', 0.2], 16000), /samples\[0\] is string/);
  const detector = new Detector(model);
  assert.throws(() => detector.push(new Uint16Array(160)), TypeError);
  detector.close();
});

test('integers are range-checked before they reach the library', () => {
  for (const rate of [2 ** 32 + 16000, -(2 ** 32) + 16000, 2 ** 31]) {
    assert.throws(() => model.classify(pcm16, rate), RangeError);
    assert.throws(() => new Detector(model, { sampleRate: rate }), RangeError);
    assert.throws(() => model.features(pcm16, rate), RangeError);
  }
  assert.throws(() => new Detector(model, { minConsecutive: 2 ** 31 }), RangeError);
  assert.throws(() => model.classify(pcm16, 16000.5), TypeError);
});

test('close() inside onEvaluation is refused and the detector stays usable', () => {
  let detector = null;
  let refused = null;
  detector = new Detector(model, {
    onEvaluation: () => {
      try { detector.close(); } catch (error) { refused ??= error; }
    },
  });
  detector.push(noise(32000, 3));
  assert.match(String(refused), /inside its own onEvaluation/);
  assert.equal(detector.closed, false);
  detector.push(noise(1600, 4));
  detector.close();
  assert.equal(detector.closed, true);
});
