#!/usr/bin/env node
// Checks an ONNX export against PyTorch: runs INPUTS.npy through ONNX Runtime and compares with
// LOGITS.npy (e.g. tests/model/golden/inputs.npy and logits_tau1.npy).
//
//   node benchmarks/onnx_parity.mjs --onnx model.onnx --inputs in.npy --logits out.npy \
//        [--atol 1e-4]
//
// Prints {"max_abs_diff":...,"ok":true|false} and exits 1 when the difference exceeds atol.
import { createSession, loadOrt, parseArgs, readNpy } from './ort_common.mjs';

const USAGE = 'onnx_parity.mjs --onnx FILE.onnx --inputs INPUTS.npy --logits LOGITS.npy ' +
              '[--atol 1e-4]';

async function main() {
  const options = parseArgs(process.argv.slice(2),
                            { onnx: undefined, inputs: undefined, logits: undefined, atol: '1e-4' },
                            USAGE);
  const ort = loadOrt();
  const session = await createSession(ort, options.onnx, 1);
  const inputs = readNpy(options.inputs);
  const expected = readNpy(options.logits);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', inputs.data, inputs.shape) };
  const output = (await session.run(feeds))[session.outputNames[0]];
  if (output.dims.join(',') !== expected.shape.join(',')) {
    throw new Error(`output shape [${output.dims}] != expected [${expected.shape}]`);
  }
  let maxAbsDiff = 0;
  for (let i = 0; i < expected.data.length; i += 1) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(output.data[i] - expected.data[i]));
  }
  const ok = maxAbsDiff <= Number(options.atol);
  console.log(JSON.stringify({ max_abs_diff: maxAbsDiff, ok }));
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  console.error(`onnx_parity: ${error.message}`);
  process.exit(2);
});
