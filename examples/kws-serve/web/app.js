// kws-serve page: microphone -> AudioWorklet (or ScriptProcessor) -> float32 PCM chunks POSTed to
// /api/stream/ID about ten times a second -> events and per-label scores drawn as they come back.
// No libraries, no external assets.
'use strict';

const $ = (id) => document.getElementById(id);
const SEND_INTERVAL_MS = 100;

// Everything the page knows, also readable from tests as window.kwsDemo.state.
const state = {
  model: null,
  running: false,
  session: null,       // {id, rate, thresholds}
  sentSamples: 0,      // at the AudioContext's rate
  serverSamples: 0,    // what the server says it has received
  evaluations: 0,
  scoreUpdates: 0,     // responses that carried scores
  chunksSent: 0,
  events: [],
  errors: [],
};
window.kwsDemo = { state };

let audio = null;      // {context, stream, source, node, sink}
let pending = [];      // Float32Array blocks not yet sent
let pendingSamples = 0;
let inFlight = false;
let sendTimer = null;
const bars = new Map(); // label -> {row, fill, value, threshold}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
  if (isError) state.errors.push(text);
}

async function api(method, path, body, type) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = body;
    if (type) init.headers['Content-Type'] = type;
  }
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch (e) { data = { error: `HTTP ${response.status}` }; }
  if (!response.ok) {
    const error = new Error(data && data.error ? data.error : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

// ---- model and bars ----------------------------------------------------------------------------

async function loadModel() {
  try {
    state.model = await api('GET', '/api/model');
  } catch (e) {
    $('model-info').textContent = `Cannot read the model description: ${e.message}`;
    return;
  }
  const m = state.model;
  const keywords = m.labels.filter((l) => !l.startsWith('_'));
  $('model-info').textContent =
    `Model ${m.model_file} (${m.architecture}, tau ${m.tau}), ${keywords.length} keywords: ` +
    `${keywords.join(', ')} · ${m.sample_rate} Hz, ${m.window_s} s window · libkws ${m.version}`;
  const container = $('bars');
  container.textContent = '';
  for (const label of m.labels) {
    const row = document.createElement('div');
    row.className = 'bar' + (label.startsWith('_') ? ' aux' : '');
    row.dataset.label = label;
    const name = document.createElement('span');
    name.textContent = label;
    const track = document.createElement('div');
    track.className = 'track';
    const fill = document.createElement('div');
    fill.className = 'fill';
    const threshold = document.createElement('div');
    threshold.className = 'threshold';
    threshold.hidden = true;
    track.append(fill, threshold);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = '0.00';
    row.append(name, track, value);
    container.append(row);
    bars.set(label, { row, fill, value, threshold });
  }
  $('start').disabled = false;
}

function showThresholds(thresholds) {
  for (const [label, bar] of bars) {
    const t = thresholds ? thresholds[label] : undefined;
    bar.threshold.hidden = !(typeof t === 'number' && t >= 0 && t <= 1);
    if (!bar.threshold.hidden) bar.threshold.style.left = `${(t * 100).toFixed(1)}%`;
  }
}

function showScores(scores) {
  const thresholds = state.session ? state.session.thresholds : {};
  for (const [label, score] of Object.entries(scores)) {
    const bar = bars.get(label);
    if (!bar) continue;
    bar.fill.style.width = `${(Math.min(1, Math.max(0, score)) * 100).toFixed(1)}%`;
    bar.value.textContent = score.toFixed(2);
    bar.row.classList.toggle('hit', typeof thresholds[label] === 'number' && score >= thresholds[label]);
  }
  state.scoreUpdates += 1;
}

function addEvents(events) {
  for (const event of events) {
    state.events.push(event);
    const row = document.createElement('tr');
    row.className = 'fresh';
    for (const text of [`${event.start_s.toFixed(2)}–${event.end_s.toFixed(2)} s`, event.label, event.score.toFixed(3)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    $('events').prepend(row);
    setTimeout(() => row.classList.remove('fresh'), 1500);
    $('no-events').hidden = true;
  }
}

function showStats() {
  const rate = audio ? audio.context.sampleRate : 1;
  const serverRate = state.session ? state.session.rate : 1;
  $('stats').textContent =
    `Audio sent: ${(state.sentSamples / rate).toFixed(1)} s · server heard: ` +
    `${(state.serverSamples / serverRate).toFixed(1)} s · evaluations: ${state.evaluations}`;
}

// ---- microphone --------------------------------------------------------------------------------

// The worklet batches the 128-sample render quanta into ~1024-sample blocks before posting them.
const WORKLET_SOURCE = `
class KwsTap extends AudioWorkletProcessor {
  constructor() { super(); this.block = new Float32Array(1024); this.filled = 0; }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      let offset = 0;
      while (offset < channel.length) {
        const n = Math.min(channel.length - offset, this.block.length - this.filled);
        this.block.set(channel.subarray(offset, offset + n), this.filled);
        this.filled += n; offset += n;
        if (this.filled === this.block.length) {
          this.port.postMessage(this.block, [this.block.buffer]);
          this.block = new Float32Array(1024); this.filled = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('kws-tap', KwsTap);
`;

function onSamples(block) {
  if (!state.running) return;
  pending.push(block);
  pendingSamples += block.length;
}

async function openAudio() {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  if (context.state === 'suspended') await context.resume();
  const source = context.createMediaStreamSource(stream);
  const sink = context.createGain();
  sink.gain.value = 0; // keeps the tap in the rendered graph without playing the microphone back
  let node;
  if (context.audioWorklet && typeof AudioWorkletNode !== 'undefined') {
    const url = URL.createObjectURL(new Blob([WORKLET_SOURCE], { type: 'text/javascript' }));
    await context.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
    node = new AudioWorkletNode(context, 'kws-tap', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1,
                                                     channelCountMode: 'explicit', channelInterpretation: 'speakers' });
    node.port.onmessage = (e) => onSamples(e.data);
  } else {
    node = context.createScriptProcessor(4096, 1, 1); // older browsers
    node.onaudioprocess = (e) => onSamples(new Float32Array(e.inputBuffer.getChannelData(0)));
  }
  source.connect(node);
  node.connect(sink);
  sink.connect(context.destination);
  return { context, stream, source, node, sink };
}

function closeAudio() {
  if (!audio) return;
  try { audio.source.disconnect(); audio.node.disconnect(); audio.sink.disconnect(); } catch (e) { /* closed */ }
  for (const track of audio.stream.getTracks()) track.stop();
  audio.context.close();
  audio = null;
}

// ---- streaming to the server -------------------------------------------------------------------

function streamQuery(rate) {
  const params = new URLSearchParams({ rate: String(rate), format: 'f32' });
  const threshold = $('threshold').value.trim();
  const sensitivity = $('sensitivity').value.trim();
  if (threshold !== '') params.set('threshold', threshold);
  if (sensitivity !== '') params.set('sensitivity', sensitivity);
  return params.toString();
}

async function openSession() {
  state.session = await api('POST', `/api/stream?${streamQuery(audio.context.sampleRate)}`);
  showThresholds(state.session.thresholds);
}

async function sendPending() {
  if (inFlight || !state.running || pendingSamples === 0 || !state.session) return;
  const chunk = new Float32Array(pendingSamples);
  let offset = 0;
  for (const block of pending) { chunk.set(block, offset); offset += block.length; }
  pending = [];
  pendingSamples = 0;
  inFlight = true;
  try {
    let reply;
    try {
      reply = await api('POST', `/api/stream/${state.session.id}`, chunk.buffer, 'application/octet-stream');
    } catch (e) {
      if (e.status !== 404) throw e;
      // The session expired (the tab slept, say): open a new one; times restart from 0.
      await openSession();
      state.serverSamples = 0;
      reply = await api('POST', `/api/stream/${state.session.id}`, chunk.buffer, 'application/octet-stream');
    }
    state.chunksSent += 1;
    state.sentSamples += chunk.length;
    state.serverSamples = reply.samples;
    state.evaluations = reply.evaluations;
    showScores(reply.scores);
    addEvents(reply.events);
    showStats();
    setStatus('listening');
  } catch (e) {
    setStatus(`server error: ${e.message}`, true);
  } finally {
    inFlight = false;
  }
}

async function start() {
  $('start').disabled = true;
  setStatus('opening the microphone…');
  try {
    audio = await openAudio();
    await openSession();
  } catch (e) {
    closeAudio();
    const hint = window.isSecureContext ? '' : ' (the microphone needs https:// or http://localhost)';
    setStatus(`cannot start: ${e.message}${hint}`, true);
    $('start').disabled = false;
    return;
  }
  state.running = true;
  $('threshold').disabled = $('sensitivity').disabled = true;
  $('stop').disabled = false;
  setStatus(`listening (${audio.context.sampleRate} Hz)`);
  sendTimer = setInterval(sendPending, SEND_INTERVAL_MS);
}

async function stop() {
  $('stop').disabled = true;
  clearInterval(sendTimer);
  await sendPending();
  state.running = false;
  closeAudio();
  if (state.session) {
    try {
      const reply = await api('DELETE', `/api/stream/${state.session.id}`);
      addEvents(reply.events);
      state.serverSamples = reply.samples;
    } catch (e) { /* expired already */ }
  }
  pending = [];
  pendingSamples = 0;
  $('threshold').disabled = $('sensitivity').disabled = false;
  $('start').disabled = false;
  setStatus('stopped');
}

// ---- file upload -------------------------------------------------------------------------------

async function upload(event) {
  event.preventDefault();
  const form = $('upload');
  const file = $('upload-file').files[0];
  if (!file) return;
  const submitter = event.submitter;
  const path = submitter && submitter.id === 'detect-button' ? '/api/detect' : '/api/classify';
  const out = $('upload-result');
  out.textContent = `Sending ${file.name}…`;
  try {
    const result = await api('POST', path, new FormData(form));
    out.textContent = '';
    const summary = document.createElement('p');
    if (path === '/api/classify') {
      summary.textContent = `${file.name}: ${result.label} (${result.score.toFixed(3)})`;
      summary.id = 'upload-label';
      const top = Object.entries(result.scores).sort((a, b) => b[1] - a[1]).slice(0, 5);
      const details = document.createElement('pre');
      details.textContent = top.map(([l, s]) => `${l.padEnd(12)} ${s.toFixed(3)}`).join('\n');
      out.append(summary, details);
    } else {
      summary.textContent = `${file.name} (${result.duration_s.toFixed(2)} s): ${result.events.length} keyword event(s)`;
      const details = document.createElement('pre');
      details.textContent = result.events
        .map((e) => `${e.start_s.toFixed(2)}-${e.end_s.toFixed(2)} s  ${e.label.padEnd(10)} ${e.score.toFixed(3)}`)
        .join('\n') || '(none above the thresholds)';
      out.append(summary, details);
    }
  } catch (e) {
    out.textContent = `Error: ${e.message}`;
  }
}

// ---- wiring ------------------------------------------------------------------------------------

function init() {
  const query = new URLSearchParams(location.search); // ?threshold=0.3&sensitivity=0.6 preset the fields
  if (query.has('threshold')) $('threshold').value = query.get('threshold');
  if (query.has('sensitivity')) $('sensitivity').value = query.get('sensitivity');
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  $('upload').addEventListener('submit', upload);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
    setStatus('no microphone access here: open the page via http://localhost or https://', true);
  loadModel();
}

init();
