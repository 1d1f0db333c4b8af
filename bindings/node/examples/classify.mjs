#!/usr/bin/env node
// kws-classify for Node: classifies whole audio files with a libkws model.
//
//   node examples/classify.mjs [--model M] [--top K] [--json] FILE...
//
// Prints each file's label and its top-K scores; with --json, one JSON object per line:
// {"file", "label", "score", "scores": {label: probability}}. The default model is
// examples/models/commands_en.kws of the repository when it exists.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { Model, readAudio } from 'libkws';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultModel = path.resolve(here, '..', '..', '..', 'examples', 'models', 'commands_en.kws');
const usage = 'usage: classify.mjs [--model M] [--top K] [--json] FILE...';

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', short: 'm' },
      top: { type: 'string', short: 'k', default: '3' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
const { values: options, positionals: files } = args;
if (options.help) {
  console.log(usage);
  process.exit(0);
}
const top = Number(options.top);
if (files.length === 0 || !Number.isInteger(top) || top < 1) {
  console.error(usage);
  process.exit(2);
}
const modelPath = options.model ?? (fs.existsSync(defaultModel) ? defaultModel : null);
if (modelPath === null) {
  console.error(`no --model given and the default model ${defaultModel} does not exist\n${usage}`);
  process.exit(2);
}

const model = Model.load(modelPath);
let failed = false;
for (const file of files) {
  try {
    const { samples, sampleRate } = readAudio(file);
    const { label, score, scores } = model.classify(samples, sampleRate);
    if (options.json) {
      console.log(JSON.stringify({ file, label, score, scores }));
    } else {
      const best = Object.entries(scores).sort((a, b) => b[1] - a[1]).slice(0, top);
      console.log(`${file}: ${label} (${score.toFixed(3)})`);
      for (const [name, value] of best) console.log(`  ${name.padEnd(12)} ${value.toFixed(3)}`);
    }
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    failed = true;
  }
}
model.close();
process.exit(failed ? 1 : 0);
