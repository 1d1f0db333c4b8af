// Errors: KwsError with pinned statuses and libkws's message; misuse gives JS errors, never a crash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';

import { Detector, KwsError, Model, Status, readAudio } from '../lib/index.js';
import { modelPath, noise, packageDir } from './helpers.js';

test('status values are pinned', () => {
  assert.deepEqual({ ...Status }, {
    OK: 0, INVALID_ARGUMENT: 1, IO: 2, UNSUPPORTED_FORMAT: 3, CORRUPT_DATA: 4, OUT_OF_MEMORY: 5, INTERNAL: 6,
    BUFFER_TOO_SMALL: 7,
  });
});

test('missing model file: KwsError status 2 (io), path in the message', () => {
  const missing = '/nonexistent/dir/model.kws';
  assert.throws(() => Model.load(missing), (e) => {
    assert.ok(e instanceof KwsError && e instanceof Error);
    assert.equal(e.name, 'KwsError');
    assert.equal(e.status, 2);
    assert.equal(e.status, Status.IO);
    assert.equal(e.statusName, 'io');
    assert.ok(e.message.includes(missing), e.message);
    return true;
  });
});

test('corrupt model buffers: KwsError status 4 (corrupt_data)', () => {
  const bytes = fs.readFileSync(modelPath);
  for (const data of [Buffer.from('definitely not a libkws model'), bytes.subarray(0, bytes.length >> 1),
                      new Uint8Array(0)]) {
    assert.throws(() => Model.fromBuffer(data), (e) => {
      assert.ok(e instanceof KwsError);
      assert.equal(e.status, Status.CORRUPT_DATA);
      assert.equal(e.statusName, 'corrupt_data');
      assert.ok(e.message.startsWith('kws_model_load_memory: '), e.message);
      return true;
    });
  }
});

test('bad audio: missing file is io, garbage is corrupt_data', () => {
  assert.throws(() => readAudio('/nonexistent.wav'), { name: 'KwsError', status: Status.IO });
  assert.throws(() => readAudio(Buffer.from('RIFF\0\0\0\0WAVEjunk')), { name: 'KwsError', status: Status.CORRUPT_DATA });
});

test('values libkws refuses: KwsError status 1 (invalid_argument) with its message', () => {
  const model = Model.load(modelPath);
  const clip = noise(8000);
  assert.throws(() => model.classify(clip, 0), { status: Status.INVALID_ARGUMENT, message: /sample_rate/ });
  assert.throws(() => model.classify(clip, 1_000_000), { status: Status.INVALID_ARGUMENT });
  assert.throws(() => model.classify(new Float32Array(0), 16000), { status: Status.INVALID_ARGUMENT, message: /count is 0/ });
  assert.throws(() => model.features(new Float32Array(0), 16000), { status: Status.INVALID_ARGUMENT, message: /empty/ });
  assert.throws(() => new Detector(model, { strideSeconds: -1 }), { status: Status.INVALID_ARGUMENT, message: /stride/ });
  assert.throws(() => new Detector(model, { sensitivity: 2 }), { status: Status.INVALID_ARGUMENT });
  assert.throws(() => new Detector(model, { sampleRate: -5 }), { status: Status.INVALID_ARGUMENT });
  const detector = new Detector(model);
  detector.push(clip);
  detector.finish();
  assert.throws(() => detector.push(clip), { status: Status.INVALID_ARGUMENT, message: /reset/ });
  detector.reset();
  detector.push(clip);
  detector.close();
  model.close();
});

test('wrong JS arguments: TypeError/RangeError before reaching C', () => {
  const model = Model.load(modelPath);
  assert.throws(() => model.classify('samples', 16000), TypeError);
  assert.throws(() => model.classify(Buffer.alloc(100), 16000), TypeError);
  assert.throws(() => model.classify(noise(100), 16000.5), TypeError);
  assert.throws(() => model.classify(noise(100)), TypeError);
  assert.throws(() => new Model(Buffer.alloc(10)), TypeError);
  assert.throws(() => Model.fromBuffer('path.kws'), TypeError);
  assert.throws(() => new Detector({}), TypeError);
  assert.throws(() => new Detector(model, { treshold: 0.5 }), /unknown option 'treshold'/);
  assert.throws(() => new Detector(model, { thresholds: { maybe: 0.5 } }), RangeError);
  assert.throws(() => new Detector(model, { backend: 'gpu' }), TypeError);
  assert.throws(() => new Detector(model, { minConsecutive: 1.5 }), TypeError);
  model.close();
});

test('use after close: a clear JS error, never a crash', () => {
  const model = Model.load(modelPath);
  const detector = new Detector(model);
  detector.close();
  detector.close();
  for (const use of [() => detector.push(noise(100)), () => detector.finish(), () => detector.reset(),
                     () => detector.scores, () => detector.samplesPushed]) {
    assert.throws(use, (e) => !(e instanceof KwsError) && /Detector is closed/.test(e.message));
  }
  model.close();
  assert.throws(() => model.classify(noise(100), 16000), /Model is closed/);
  assert.throws(() => model.features(noise(100), 16000), /Model is closed/);
  assert.throws(() => new Detector(model), /Model is closed/);
  assert.deepEqual(model.labels.length, 12, 'metadata stays readable');
});

test('garbage collection frees forgotten handles; closed ones are not freed twice', () => {
  // In a child process with --expose-gc: a double free or use-after-free would abort it.
  const script = `
    import { Model, Detector } from ${JSON.stringify(`${packageDir}/lib/index.js`)};
    for (let round = 0; round < 3; ++round) {
      for (let i = 0; i < 50; ++i) {
        const model = Model.load(${JSON.stringify(modelPath)});
        const detector = new Detector(model);
        detector.push(new Float32Array(4000));
        if (i % 2) { detector.close(); model.close(); }
      }
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    console.log('ok');`;
  const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'ok');
});
