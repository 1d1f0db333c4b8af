#!/usr/bin/env node
// Peer benchmark: ONNX Runtime (onnxruntime-node, CPU) on a BC-ResNet ONNX export.
//
//   node benchmarks/peers_onnxruntime.mjs --onnx model.onnx --threads 1 --iterations 200 \
//        --warmup 20 [--batch 1] [--frames 101]
//
// Prints one JSON line: {"impl":"onnxruntime","threads":1,"batch":1,"frames":101,"ms":...},
// ms = median wall time of one session.run() over the timed iterations (process.hrtime.bigint).
// The input "logmel" [batch, 1, 40, frames] holds fixed pseudo-random values.
import { createSession, loadOrt, parseArgs, positiveInt } from './ort_common.mjs';

const USAGE = 'peers_onnxruntime.mjs --onnx FILE.onnx [--threads 1] [--iterations 100] ' +
              '[--warmup 10] [--batch 1] [--frames 101]';
const FEATURES = 40;

function pseudoRandomInput(count) {
  // Small LCG so every run feeds identical data without depending on Math.random.
  const values = new Float32Array(count);
  let state = 12345;
  for (let i = 0; i < count; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[i] = (state / 2147483648) * 8 - 12;  // roughly the range of log-mel values
  }
  return values;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main() {
  const options = parseArgs(process.argv.slice(2), {
    onnx: undefined, threads: '1', iterations: '100', warmup: '10', batch: '1', frames: '101',
  }, USAGE);
  const threads = positiveInt(options, 'threads');
  const iterations = positiveInt(options, 'iterations');
  const warmup = positiveInt(options, 'warmup', 0);
  const batch = positiveInt(options, 'batch');
  const frames = positiveInt(options, 'frames');

  const ort = loadOrt();
  const session = await createSession(ort, options.onnx, threads);
  const dims = [batch, 1, FEATURES, frames];
  const input = new ort.Tensor('float32', pseudoRandomInput(batch * FEATURES * frames), dims);
  const feeds = { [session.inputNames[0]]: input };
  for (let i = 0; i < warmup; i += 1) await session.run(feeds);
  const timesMs = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    timesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(JSON.stringify({
    impl: 'onnxruntime', threads, batch, frames, ms: Number(median(timesMs).toFixed(4)),
  }));
}

main().catch((error) => {
  console.error(`peers_onnxruntime: ${error.message}`);
  process.exit(1);
});
