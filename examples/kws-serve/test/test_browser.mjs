// End-to-end test of the kws-serve page in headless Chromium: the page opens the "microphone"
// (Chromium's fake capture device playing a WAV file), streams it to kws-serve, and must show
// what comes back: score bars that move, the server's count of received audio, and detections
// (the threshold is set low, since the test model has random weights). The upload form is
// checked too.
//
//   node test_browser.mjs KWS_SERVE MODEL WAV
//
// Exits 77 (ctest SKIP_RETURN_CODE) when Chromium or playwright-core is missing: run
// `./setup.sh test`, or `apt-get install chromium` and `npm ci --ignore-scripts` in this directory.
// CHROMIUM=/path/to/chrome overrides the browser.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

const SKIP = 77;
const [serveBinary, modelPath, wavPath] = process.argv.slice(2);
if (!serveBinary || !modelPath || !wavPath) {
  console.error('usage: node test_browser.mjs KWS_SERVE MODEL WAV');
  process.exit(2);
}

const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
const chromiumPath = candidates.find((p) => existsSync(p));
if (!chromiumPath) {
  console.log(`SKIP: no Chromium (looked for ${candidates.join(', ')}); Debian: apt-get install chromium`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.log('SKIP: playwright-core is not installed; run `npm ci --ignore-scripts` in examples/kws-serve/test');
  process.exit(SKIP);
}

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exitCode = 1;
}

// ---- the server ----
const server = spawn(serveBinary, ['--model', modelPath, '--port', '0', '--host', '127.0.0.1'],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
server.stderr.on('data', (d) => process.stderr.write(d));
const base = await new Promise((resolve, reject) => {
  let text = '';
  const timer = setTimeout(() => reject(new Error(`kws-serve did not start: ${text}`)), 20000);
  server.stdout.on('data', (d) => {
    text += d;
    const match = text.match(/listening on (http:\/\/[^\s]+)/);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`kws-serve exited with ${code}: ${text}`)));
});
console.log(`kws-serve at ${base}`);
const serverExit = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));

let browser;
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--use-fake-ui-for-media-stream',          // grant the microphone without a prompt
      '--use-fake-device-for-media-stream',      // a fake capture device ...
      `--use-file-for-fake-audio-capture=${wavPath}`, // ... that plays this WAV (looped)
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));

  // ---- microphone streaming ----
  await page.goto(`${base}?threshold=0.05`);
  await page.waitForSelector('#bars .bar', { timeout: 15000 });
  const labels = await page.$$eval('#bars .bar', (rows) => rows.map((r) => r.dataset.label));
  console.log(`labels on the page: ${labels.join(' ')}`);
  if (labels.length !== 12) fail(`expected 12 score bars, got ${labels.length}`);

  await page.click('#start');
  // 3 s of audio through the server, a score update per chunk, and at least one detection.
  await page.waitForFunction(() => {
    const s = window.kwsDemo.state;
    return s.session && s.serverSamples >= 3 * s.session.rate && s.scoreUpdates >= 10 && s.events.length >= 1;
  }, null, { timeout: 45000, polling: 250 }).catch(async (e) => {
    fail(`the page did not stream: ${e.message}`);
  });
  const state = await page.evaluate(() => JSON.parse(JSON.stringify(window.kwsDemo.state)));
  console.log(`page state: rate ${state.session && state.session.rate} Hz, sent ${state.sentSamples} samples in ` +
              `${state.chunksSent} chunks, server heard ${state.serverSamples}, ${state.evaluations} evaluations, ` +
              `${state.scoreUpdates} score updates, ${state.events.length} events, errors: ${JSON.stringify(state.errors)}`);
  if (state.errors.length) fail(`page errors: ${state.errors.join('; ')}`);

  // What a person sees: event rows, bars with width, the stats line.
  const rows = await page.$$eval('#events tr', (trs) => trs.map((tr) => tr.textContent));
  console.log(`event rows: ${rows.length}; first: ${rows[rows.length - 1]}`);
  if (rows.length < 1) fail('no detection rows shown');
  const widths = await page.$$eval('#bars .fill', (fills) => fills.map((f) => parseFloat(f.style.width) || 0));
  if (!widths.some((w) => w > 0)) fail('no score bar moved');
  const stats = await page.textContent('#stats');
  console.log(`stats: ${stats}`);
  if (!/server heard: [1-9]/.test(stats)) fail(`stats do not show received audio: ${stats}`);

  // The server's own count agrees that audio arrived.
  const status = await (await fetch(`${base}api/status`)).json();
  console.log(`server status: ${JSON.stringify(status)}`);
  if (!(status.stream_samples > 0 && status.sessions === 1)) fail('the server did not receive the stream');

  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'stopped', null,
                             { timeout: 10000 }).catch(() => fail('stop did not finish'));
  const after = await (await fetch(`${base}api/status`)).json();
  if (after.sessions !== 0) fail(`the session was not closed: ${JSON.stringify(after)}`);

  // ---- the upload form (classify, then detect) ----
  await page.setInputFiles('#upload-file', wavPath);
  await page.click('#classify-button');
  await page.waitForSelector('#upload-label', { timeout: 15000 }).catch(() => fail('no classification shown'));
  const uploaded = await page.textContent('#upload-result');
  console.log(`upload result: ${uploaded.replace(/\s+/g, ' ').slice(0, 120)}`);
  if (!labels.some((l) => uploaded.includes(`: ${l} (`))) fail(`the classification names no label: ${uploaded}`);
  await page.click('#detect-button');
  await page.waitForFunction(() => /keyword event\(s\)/.test(document.getElementById('upload-result').textContent),
                             null, { timeout: 15000 }).catch(() => fail('no detection result shown'));
} catch (e) {
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
}
const { code, signal } = await serverExit;
if (code !== 0) fail(`kws-serve exited with ${code ?? signal}`);
if (!process.exitCode) console.log('kws-serve browser test: passed');
