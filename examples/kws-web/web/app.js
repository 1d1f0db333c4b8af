// kws-web page: microphone -> AudioContext at the model's rate (the browser resamples) ->
// AudioWorklet (capture-worklet.js) -> blocks of PCM -> the WebAssembly Detector (kws.js), in this
// page; live scores per label from every evaluation, events as they fire. A dropped file is
// decoded and resampled by the browser (decodeAudio), then classified and searched for keywords
// here too. Every path is relative, so any static file server can serve the folder.
const $ = (id) => document.getElementById(id);

let kws;
try {
  kws = await import('./kws.js');  // fetches and instantiates kws-wasm.wasm
} catch (e) {
  $('model-info').textContent = `Cannot load libkws (kws.js, kws-wasm.js, kws-wasm.wasm): ${e.message}`;
  $('model-info').classList.add('error');
  throw e;
}

// Everything the page knows, also readable from tests as window.kwsWeb.state.
const state = {
  model: null,          // {url, labels, sampleRate, thresholds}
  running: false,
  contextRate: 0,       // the AudioContext's rate (must be the model's)
  heardSamples: 0,
  evaluations: 0,
  evaluationMs: 0,      // time in Detector.push for the pushes that evaluated
  timedEvaluations: 0,
  events: [],           // the microphone's detections: {label, score, startSeconds, endSeconds}
  file: null,           // the latest file: {name, seconds, label, score, scores, events}
  errors: [],
};
// taps: functions called with every block of microphone PCM the detector gets (tests record it).
window.kwsWeb = { state, kws, taps: new Set() };

let model = null;       // kws.Model
let classifier = null;  // kws.Classifier over it, for files
let listening = null;   // {context, stream, source, node, sink, detector}
let latestScores = null;
let drawPending = false;
const bars = new Map(); // label -> {row, fill, value, threshold}

function report(element, text, isError) {
  element.textContent = text;
  element.classList.toggle('error', isError);
  if (isError) state.errors.push(text);
}
const setStatus = (text, isError = false) => report($('status'), text, isError);

// ---- model --------------------------------------------------------------------------------------

async function loadModel(source, name) {
  if (listening) await stop();
  let next;
  try {
    next = source instanceof ArrayBuffer ? kws.Model.fromBuffer(source) : await kws.Model.fromUrl(source);
  } catch (e) {
    report($('model-info'), `Cannot load ${name}: ${e.message}` + (model ? ' (the previous model stays loaded)' : ''),
           true);
    return;
  }
  if (classifier) classifier.close();
  if (model) model.close();
  model = next;
  classifier = new kws.Classifier(model);
  state.model = { url: name, labels: [...model.labels], sampleRate: model.sampleRate, thresholds: model.thresholds };
  const keywords = model.labels.filter((l) => !l.startsWith('_'));
  report($('model-info'),
         `${name}: ${keywords.length} keywords (${keywords.join(', ')}) · ${model.sampleRate} Hz, ` +
         `${model.inputFrames}-frame window`, false);
  buildBars();
  $('start').disabled = false;
}

function buildBars() {
  const container = $('bars');
  container.textContent = '';
  bars.clear();
  const thresholds = firingOptions().thresholds ?? model.thresholds;
  for (const label of model.labels) {
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
    const t = thresholds[label];
    threshold.hidden = typeof t !== 'number';
    if (!threshold.hidden) threshold.style.left = `${(t * 100).toFixed(1)}%`;
    track.append(fill, threshold);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = '0.00';
    row.append(name, track, value);
    container.append(row);
    bars.set(label, { row, fill, value, threshold: t });
  }
}

// The detector's firing options from the form: a threshold for every keyword, or the model's.
function firingOptions() {
  const options = {};
  const sensitivity = $('sensitivity').value.trim();
  if (sensitivity !== '') options.sensitivity = Number(sensitivity);
  const threshold = $('threshold').value.trim();
  if (threshold !== '' && model)
    options.thresholds = Object.fromEntries(model.labels.filter((l) => !l.startsWith('_')).map((l) => [l, Number(threshold)]));
  return options;
}

// ---- live view ----------------------------------------------------------------------------------

function onEvaluation(evaluation) {
  state.evaluations += 1;
  latestScores = evaluation.scores;
  if (!drawPending) {  // at most one redraw per animation frame
    drawPending = true;
    requestAnimationFrame(drawScores);
  }
}

function drawScores() {
  drawPending = false;
  if (!latestScores) return;
  model.labels.forEach((label, i) => {
    const bar = bars.get(label);
    const score = latestScores[i];
    bar.fill.style.width = `${(Math.min(1, Math.max(0, score)) * 100).toFixed(1)}%`;
    bar.value.textContent = score.toFixed(2);
    bar.row.classList.toggle('hit', typeof bar.threshold === 'number' && score >= bar.threshold);
  });
  showStats();
}

function addEvents(events) {
  for (const event of events) {
    state.events.push({ label: event.label, score: event.score, startSeconds: event.startSeconds,
                        endSeconds: event.endSeconds });
    const row = document.createElement('tr');
    row.className = 'fresh';
    for (const text of [`${event.startSeconds.toFixed(2)}–${event.endSeconds.toFixed(2)} s`, event.label,
                        event.score.toFixed(3)]) {
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
  const perEvaluation = state.timedEvaluations ? ` · ${(state.evaluationMs / state.timedEvaluations).toFixed(2)} ms ` +
                                                 'per evaluation' : '';
  $('stats').textContent = `Heard: ${(state.heardSamples / (state.contextRate || 1)).toFixed(1)} s · ` +
                           `evaluations: ${state.evaluations}${perEvaluation}`;
}

// ---- microphone ---------------------------------------------------------------------------------

function onBlock(block) {
  if (!listening) return;
  const before = state.evaluations;
  const start = performance.now();
  let events;
  try {
    events = listening.detector.push(block);
  } catch (e) {
    setStatus(`detector error: ${e.message}`, true);
    stop();
    return;
  }
  if (state.evaluations > before) {
    state.evaluationMs += performance.now() - start;
    state.timedEvaluations += state.evaluations - before;
  }
  state.heardSamples += block.length;
  for (const tap of window.kwsWeb.taps) tap(block);
  addEvents(events);
}

async function start() {
  $('start').disabled = true;
  setStatus('opening the microphone…');
  const rate = model.sampleRate;
  let context = null, stream = null, detector = null;
  try {
    detector = new kws.Detector(model, { ...firingOptions(), onEvaluation });
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    // The browser resamples the microphone to the context's rate: libkws gets the model's rate.
    context = new AudioContext({ sampleRate: rate });
    if (context.sampleRate !== rate) throw new Error(`the browser runs audio at ${context.sampleRate} Hz, not ${rate} Hz`);
    if (context.state === 'suspended') await context.resume();
    await context.audioWorklet.addModule('capture-worklet.js');
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, 'kws-capture', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1,
                                                                channelCountMode: 'explicit',
                                                                channelInterpretation: 'speakers' });
    const sink = context.createGain();
    sink.gain.value = 0;  // keeps the worklet in the rendered graph without playing the microphone back
    source.connect(node);
    node.connect(sink);
    sink.connect(context.destination);
    listening = { context, stream, source, node, sink, detector };
    node.port.onmessage = (e) => onBlock(e.data);
  } catch (e) {
    if (detector) detector.close();
    if (stream) for (const track of stream.getTracks()) track.stop();
    if (context) context.close();
    const hint = window.isSecureContext ? '' : ' (the microphone needs https:// or http://localhost)';
    setStatus(`cannot start: ${e.message}${hint}`, true);
    $('start').disabled = false;
    return;
  }
  Object.assign(state, { running: true, contextRate: context.sampleRate, heardSamples: 0, evaluations: 0,
                         evaluationMs: 0, timedEvaluations: 0, events: [] });
  $('events').textContent = '';
  $('no-events').hidden = false;
  $('threshold').disabled = $('sensitivity').disabled = $('model-select').disabled = true;
  $('stop').disabled = false;
  setStatus(`listening (${context.sampleRate} Hz)`);
}

async function stop() {
  if (!listening) return;
  const { context, stream, source, node, sink, detector } = listening;
  listening = null;
  $('stop').disabled = true;
  source.disconnect();
  node.disconnect();
  sink.disconnect();
  node.port.onmessage = null;
  for (const track of stream.getTracks()) track.stop();
  await context.close();
  try {
    addEvents(detector.finish());
  } catch (e) {
    setStatus(`detector error: ${e.message}`, true);
  }
  detector.close();
  state.running = false;
  showStats();
  $('threshold').disabled = $('sensitivity').disabled = $('model-select').disabled = false;
  $('start').disabled = false;
  setStatus('stopped');
}

// ---- files --------------------------------------------------------------------------------------

async function classifyFile(file) {
  const out = $('file-result');
  report(out, `Decoding ${file.name}…`, false);
  try {
    const { samples, seconds } = await kws.decodeAudio(await file.arrayBuffer(), model.sampleRate);
    const result = classifier.classify(samples);
    const detector = new kws.Detector(model, firingOptions());
    let events;
    try {
      events = [...detector.push(samples), ...detector.finish()];
    } finally {
      detector.close();
    }
    state.file = { name: file.name, seconds, label: result.label, score: result.score, scores: result.scores,
                   events: events.map((e) => ({ label: e.label, score: e.score, startSeconds: e.startSeconds,
                                                endSeconds: e.endSeconds })) };
    out.textContent = '';
    out.classList.remove('error');
    const summary = document.createElement('p');
    summary.id = 'file-label';
    summary.textContent = `${file.name} (${seconds.toFixed(2)} s): ${result.label} (${result.score.toFixed(3)}); ` +
                          `${events.length} keyword event(s)`;
    const top = Object.entries(result.scores).sort((a, b) => b[1] - a[1]).slice(0, 5);
    const details = document.createElement('pre');
    details.textContent = top.map(([l, s]) => `${l.padEnd(12)} ${s.toFixed(3)}`).join('\n') + '\n\n' +
      (events.map((e) => `${e.startSeconds.toFixed(2)}-${e.endSeconds.toFixed(2)} s  ${e.label.padEnd(10)} ` +
                         `${e.score.toFixed(3)}`).join('\n') || '(no keyword above the thresholds)');
    out.append(summary, details);
  } catch (e) {
    report(out, `${file.name}: ${e.message}`, true);
  }
}

// ---- wiring -------------------------------------------------------------------------------------

async function init() {
  $('build-info').textContent = `libkws ${kws.version} (${kws.buildInfo.split('; ').slice(1, 4).join(', ')})`;
  const query = new URLSearchParams(location.search);  // ?model=URL&threshold=0.3&sensitivity=0.6
  if (query.has('threshold')) $('threshold').value = query.get('threshold');
  if (query.has('sensitivity')) $('sensitivity').value = query.get('sensitivity');
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  for (const id of ['threshold', 'sensitivity']) $(id).addEventListener('change', () => model && buildBars());
  $('model-select').addEventListener('change', (e) => loadModel(e.target.value, e.target.value));
  // Each chooser is cleared once read, so choosing the same file again reads it again.
  $('model-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) await loadModel(await file.arrayBuffer(), file.name);
  });
  $('audio-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file && model) classifyFile(file);
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (file && model) classifyFile(file);
  });
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
    setStatus('no microphone access here: open the page via http://localhost or https://', true);

  let bundled = [];
  try {
    bundled = await (await fetch('models/index.json')).json();
  } catch (e) { /* a folder without the bundled models: load one from a file */ }
  for (const url of bundled) $('model-select').append(new Option(url.replace(/^models\//, ''), url));
  const first = query.get('model') || bundled[0];
  if (first) {
    $('model-select').value = first;
    await loadModel(first, first);
  } else {
    report($('model-info'), 'No bundled model here: choose a .kws file.', false);
  }
}

window.kwsWeb.ready = init();
