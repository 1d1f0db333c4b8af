// Library loading: KWS_LIBRARY, then prebuilds/, then the build tree, then the system; a failure
// lists every place tried and says how to fix it. Each case runs in a child process (the library
// is loaded once per process, on import).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { library } from '../lib/index.js';
import { packageDir } from './helpers.js';

function importIn(dir, env) {
  const script = `import(${JSON.stringify(path.join(dir, 'lib', 'index.js'))})
    .then((kws) => console.log(kws.library + ' ' + kws.version))`;
  const childEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: childEnv });
}

test('KWS_LIBRARY pointing to a missing file: an error naming it and the fix, no fallback', () => {
  const missing = path.join(os.tmpdir(), 'no-such-dir', 'libkws.so');
  const child = importIn(packageDir, { KWS_LIBRARY: missing });
  assert.notEqual(child.status, 0, 'must not fall back to another copy');
  assert.match(child.stderr, /cannot load the libkws shared library/);
  assert.ok(child.stderr.includes(`KWS_LIBRARY: ${missing} (not found)`), child.stderr);
  assert.match(child.stderr, /Point KWS_LIBRARY at an existing libkws/);
  assert.doesNotMatch(child.stderr, /build tree/);
});

test('KWS_LIBRARY pointing to a file that is not a library: the loader error is reported', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-notlib-'));
  try {
    const fake = path.join(dir, 'libkws.so');
    fs.writeFileSync(fake, 'not an ELF file');
    const child = importIn(packageDir, { KWS_LIBRARY: fake });
    assert.notEqual(child.status, 0);
    assert.ok(child.stderr.includes(`KWS_LIBRARY: ${fake} (`), child.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('KWS_LIBRARY as a file or as its directory is used', () => {
  for (const value of [library, path.dirname(library)]) {
    if (!value.includes(path.sep)) return; // loaded by the system loader: no path to point at
    const child = importIn(packageDir, { KWS_LIBRARY: value });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /libkws\.so \d+\.\d+\.\d+/);
  }
});

test('found nowhere: the error lists every place (prebuilds, build tree, system) and how to fix it', (t) => {
  // A copy of the package outside the repository (so no build tree next to it), reusing
  // node_modules; LD_LIBRARY_PATH cleared so that only an installed libkws could be found.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-nolib-'));
  try {
    fs.cpSync(path.join(packageDir, 'lib'), path.join(dir, 'lib'), { recursive: true });
    fs.copyFileSync(path.join(packageDir, 'package.json'), path.join(dir, 'package.json'));
    fs.symlinkSync(path.join(packageDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const child = importIn(dir, { KWS_LIBRARY: undefined, LD_LIBRARY_PATH: undefined });
    if (child.status === 0) {
      t.skip(`libkws is installed system-wide (${child.stdout.trim()}): nothing left to fail`);
      return;
    }
    const message = child.stderr;
    assert.match(message, /cannot load the libkws shared library\. Tried:/);
    assert.ok(message.includes(path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`)), message);
    assert.match(message, /build tree: not searched: .* is not inside a libkws checkout/);
    assert.match(message, /system: libkws\.so\.0/);
    assert.match(message, /cmake --preset release/);
    assert.match(message, /set KWS_LIBRARY/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
