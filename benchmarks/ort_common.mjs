// Shared helpers of the ONNX Runtime scripts: argument parsing, session creation, .npy reading.
// onnxruntime-node is resolved from benchmarks/node_modules
// (`npm install --ignore-scripts` in benchmarks/, versions pinned by package-lock.json).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (error) {
    throw new Error(`onnxruntime-node not found (${error.message}); run ` +
                    '`npm install --ignore-scripts` in benchmarks/');
  }
}

// Parses `--name value` pairs into an object, applying defaults; unknown flags are errors.
export function parseArgs(argv, defaults, usage) {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(name in defaults) || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}\nusage: ${usage}`);
    }
    options[name] = argv[i + 1];
  }
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) throw new Error(`--${name} is required\nusage: ${usage}`);
  }
  return options;
}

export function positiveInt(options, name, minimum = 1) {
  const value = Number(options[name]);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`--${name} must be an integer >= ${minimum}, got ${options[name]}`);
  }
  return value;
}

export async function createSession(ort, path, threads) {
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

// Reads a little-endian float32, C-order .npy file (format 1.0/2.0/3.0).
export function readNpy(path) {
  const bytes = readFileSync(path);
  if (bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: only little-endian float32 C-order arrays are supported`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map((s) => s.trim())
    .filter((s) => s.length > 0).map(Number);
  const dataStart = headerStart + headerLength;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart,
                                                   bytes.byteOffset + bytes.length));
  return { shape, data };
}
