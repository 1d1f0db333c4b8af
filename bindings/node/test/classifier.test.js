// Classifier (kws_classifier): one prepared network reused over many clips gives exactly what
// Model.classify (kws_classify) gives, outlives its Model, and refuses misuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Classifier, Model, Status } from '../lib/index.js';
import { modelPath, noise } from './helpers.js';

test('a reused Classifier equals Model.classify on short, long, resampled and int16 clips', () => {
  const model = Model.load(modelPath);
  const float = noise(16000, 11);
  const clips = [[noise(5000, 9), 16000], [float, 16000], [noise(40000, 10), 16000], [noise(22050, 12), 22050],
                 [Int16Array.from(float, (v) => Math.round(v * 32767)), 16000]];
  const classifier = new Classifier(model);
  for (let round = 0; round < 2; ++round) {
    for (const [clip, rate] of clips) {
      const got = classifier.classify(clip, rate);
      const expected = model.classify(clip, rate);
      assert.deepEqual(got.probabilities, expected.probabilities);
      assert.equal(got.label, expected.label);
    }
  }
  assert.deepEqual(classifier.labels, model.labels);
  classifier.close();
  model.close();
});

test('Classifier options apply to every clip and the model may be closed first', () => {
  const model = Model.load(modelPath);
  const options = { backend: 'reference', strideSeconds: 0.25 };
  const clip = noise(40000, 13);
  const expected = model.classify(clip, 16000, options);
  const own = Model.load(modelPath);
  const classifier = new Classifier(own, options);
  own.close();
  assert.deepEqual(classifier.classify(clip, 16000).probabilities, expected.probabilities);
  classifier.close();
  classifier.close(); // idempotent
  assert.ok(classifier.closed);
  assert.throws(() => classifier.classify(clip, 16000), /Classifier is closed/);
  model.close();
});

test('Classifier refuses bad options, bad clips and a closed model', () => {
  const model = Model.load(modelPath);
  assert.throws(() => new Classifier(model, { strideSeconds: 0 }), { status: Status.INVALID_ARGUMENT, message: /stride_seconds/ });
  assert.throws(() => new Classifier(model, { backend: 'gpu' }), TypeError);
  assert.throws(() => new Classifier(model, { stride: 0.2 }), /unknown option 'stride'/);
  assert.throws(() => new Classifier('model.kws'), TypeError);
  const classifier = new Classifier(model);
  assert.throws(() => classifier.classify(new Float32Array(0), 16000), { status: Status.INVALID_ARGUMENT, message: /count is 0/ });
  assert.throws(() => classifier.classify(noise(100), 0), { status: Status.INVALID_ARGUMENT, message: /sample_rate/ });
  assert.throws(() => classifier.classify(noise(100), 16000.5), TypeError);
  classifier.close();
  model.close();
  assert.throws(() => new Classifier(model), /Model is closed/);
});
