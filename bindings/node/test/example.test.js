// examples/classify.mjs, run as a user would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { modelPath, packageDir, repoDir, wavPath } from './helpers.js';

const script = path.join(packageDir, 'examples', 'classify.mjs');
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', cwd: packageDir });

test('classify.mjs --json prints one object per file', () => {
  const child = run('--model', modelPath, '--json', wavPath, wavPath);
  assert.equal(child.status, 0, child.stderr);
  const lines = child.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  for (const line of lines) {
    const result = JSON.parse(line);
    assert.deepEqual(Object.keys(result), ['file', 'label', 'score', 'scores']);
    assert.equal(result.file, wavPath);
    assert.equal(Object.keys(result.scores).length, 12);
    assert.equal(result.scores[result.label], result.score);
  }
});

test('classify.mjs prints the label and top-k scores; a bad file fails alone', () => {
  const child = run('--model', modelPath, '--top', '2', wavPath, '/nonexistent.wav');
  assert.equal(child.status, 1);
  const lines = child.stdout.trim().split('\n');
  assert.match(lines[0], new RegExp(`^${wavPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\S+ \\(0\\.\\d{3}\\)$`));
  assert.equal(lines.length, 3);
  assert.match(child.stderr, /\/nonexistent\.wav: kws_audio_read/);
});

test('classify.mjs without a model: the default model or a usage error', () => {
  const child = run(wavPath);
  if (fs.existsSync(path.join(repoDir, 'examples', 'models', 'commands_en.kws'))) {
    assert.equal(child.status, 0, child.stderr);
  } else {
    assert.equal(child.status, 2);
    assert.match(child.stderr, /no --model given/);
  }
  assert.equal(run().status, 2);
});
