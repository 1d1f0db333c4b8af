// The koffi mirrors of kws.h's structs and enums, checked against the C compiler's layout: a tiny
// C program including capi/kws.h prints sizeof/offsetof of every field (STYLE.md #17: hand
// mirrors drift silently and then crash).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import koffi from 'koffi';

import { enums, structs } from '../lib/ffi.js';
import { Backend, Status } from '../lib/index.js';
import { repoDir } from './helpers.js';

const compiler = process.env.CC || 'cc';
const header = path.join(repoDir, 'capi', 'kws.h');
// kws.h includes the generated kws/version.h: take it from the build tree.
const buildInclude = ['release', 'debug'].map((p) => path.join(repoDir, 'build', p, 'include'))
  .find((dir) => fs.existsSync(path.join(dir, 'kws', 'version.h')));

function skipReason() {
  if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0)
    return `no C compiler ('${compiler}'; set CC): the struct mirrors are not checked against kws.h`;
  if (!fs.existsSync(header)) return `${header} not found (not run from a libkws checkout)`;
  if (!buildInclude) return 'kws/version.h not found under build/release/include: build libkws first';
  return false;
}

function cLayout() {
  const lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "kws.h"', 'int main(void) {'];
  for (const [name, type] of Object.entries(structs)) {
    lines.push(`  printf("%s sizeof %zu\\n", "${name}", sizeof(${name}));`);
    lines.push(`  printf("%s alignof %zu\\n", "${name}", offsetof(struct { char c; ${name} x; }, x));`);
    for (const field of Object.keys(type.members)) {
      lines.push(`  printf("%s.%s offsetof %zu\\n", "${name}", "${field}", offsetof(${name}, ${field}));`);
      lines.push(`  printf("%s.%s sizeof %zu\\n", "${name}", "${field}", sizeof(((${name}*)0)->${field}));`);
    }
  }
  for (const name of Object.keys(enums)) lines.push(`  printf("${name} sizeof %zu\\n", sizeof(${name}));`);
  for (const key of Object.keys(Status)) {
    const constant = key === 'OK' ? 'KWS_OK' : `KWS_ERROR_${key}`;
    lines.push(`  printf("Status.${key} value %d\\n", (int)${constant});`);
  }
  for (const key of Object.keys(Backend)) lines.push(`  printf("Backend.${key} value %d\\n", (int)KWS_BACKEND_${key});`);
  lines.push('  printf("kws_detection_callback sizeof %zu\\n", sizeof(kws_detection_callback));');
  lines.push('  return 0;', '}');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-mirror-'));
  try {
    const source = path.join(dir, 'layout.c');
    const binary = path.join(dir, 'layout');
    fs.writeFileSync(source, lines.join('\n') + '\n');
    const build = spawnSync(compiler, ['-std=c99', '-I', path.dirname(header), '-I', path.join(repoDir, 'include'), '-I', buildInclude, source,
                                        '-o', binary],
                            { encoding: 'utf8' });
    assert.equal(build.status, 0, `compiling the layout probe failed:\n${build.stderr}`);
    const run = spawnSync(binary, { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const layout = new Map();
    for (const line of run.stdout.trim().split('\n')) {
      const [what, kind, value] = line.split(' ');
      layout.set(`${what} ${kind}`, Number(value));
    }
    return layout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('struct mirrors match kws.h (sizeof, alignof, offsetof and sizeof of every field)', { skip: skipReason() }, () => {
  const c = cLayout();
  for (const [name, type] of Object.entries(structs)) {
    assert.equal(koffi.sizeof(type), c.get(`${name} sizeof`), `sizeof(${name})`);
    assert.equal(koffi.alignof(type), c.get(`${name} alignof`), `alignof(${name})`);
    for (const [field, member] of Object.entries(type.members)) {
      assert.equal(koffi.offsetof(type, field), c.get(`${name}.${field} offsetof`), `offsetof(${name}, ${field})`);
      assert.equal(member.type.size, c.get(`${name}.${field} sizeof`), `sizeof(${name}.${field})`);
    }
  }
  for (const [name, type] of Object.entries(enums)) assert.equal(koffi.sizeof(type), c.get(`${name} sizeof`), name);
  assert.equal(koffi.sizeof('void *'), c.get('kws_detection_callback sizeof'), 'callback field is pointer-sized');
  for (const [key, value] of Object.entries(Status)) assert.equal(value, c.get(`Status.${key} value`), `Status.${key}`);
  for (const [key, value] of Object.entries(Backend)) assert.equal(value, c.get(`Backend.${key} value`), `Backend.${key}`);
});

test('every field of the header structs is mirrored (no field added to kws.h and forgotten)', { skip: skipReason() }, () => {
  const text = fs.readFileSync(header, 'utf8');
  for (const [name, type] of Object.entries(structs)) {
    const body = new RegExp(`typedef struct ${name} \\{([\\s\\S]*?)\\} ${name};`).exec(text);
    assert.ok(body, `struct ${name} not found in kws.h`);
    const fields = [...body[1].replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/(\w+)\s*;/g)].map((m) => m[1]);
    assert.deepEqual(Object.keys(type.members), fields, `fields of ${name}`);
  }
});
