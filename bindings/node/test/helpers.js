// Shared by the tests (node --test also runs this file; it defines no tests).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(packageDir, '..', '..');
export const modelPath = path.join(repoDir, 'tests', 'model', 'golden', 'bcresnet_tau1.kws');
export const wavPath = path.join(repoDir, 'examples', 'data', 'yes_no_up_down.wav');

/** Deterministic uniform noise in [-amplitude, amplitude) (an LCG, as tests/capi/test_capi.c). */
export function noise(count, seed = 1, amplitude = 0.3) {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; ++i) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = amplitude * (((state >>> 8) & 0xffff) / 32768 - 1);
  }
  return out;
}

/** A seeded PRNG in [0, 1) (mulberry32), for random chunk sizes. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
