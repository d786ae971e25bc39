// app.js - the page: a grid of 64 samples, one slider per latent dimension, an interpolation
// strip, the float32 / int8 switch, the time per digit and, for a latent-2 model, a plane to click
// or drag on beside the manifold. All digits come from vae.js (the WebAssembly runtime); this file
// only draws them. Every failure (a bad file, a bad seed) becomes a message on the page, never an
// exception in the console: handlers run through guard(), and a file that does not load leaves the
// previous model and its pictures in place.
//
// For tests: window.vaePage = { state, vae, bench }; <body data-state> is "loading", "ready" or
// "error", and data-renders counts finished renders.
import { loadVae, tileGrid } from './vae.js';

const $ = (id) => document.getElementById(id);
const shipped = {
  latent20: { float32: 'gen/weights/mnist_vae.vaew', int8: 'gen/weights/mnist_vae_decoder_int8.vaew' },
  latent2: { int8: 'gen/weights/mnist_vae_latent2_decoder_int8.vaew' },
};
const GRID = 64, STRIP = 10, LATTICE = 15, EXTENT = 4;   // the plane shows z in [-EXTENT, EXTENT]^2

const state = {
  vae: null,
  bytes: null,      // the loaded file's bytes (reloaded when another file fails)
  name: '',
  info: null,
  grid: null,       // { pixels, latents } of the 64 samples
  start: 0,         // the sample the sliders start from
  end: 1,           // the other end of the strip
  z: null,          // Float32Array (Z): the sliders' latent
  means: new Float32Array(0),
};

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
  document.body.dataset.state = isError ? 'error' : 'ready';
}

// Run fn; any exception becomes the page's status message.
function guard(fn) {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (e) {
      setStatus(e && e.message ? e.message : String(e), true);
    }
  };
}

function drawGray(canvas, { width, height, bytes }) {
  canvas.width = width;
  canvas.height = height;
  // willReadFrequently: the tests read these canvases back (getImageData), and Chromium says so.
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < bytes.length; ++i) {
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = bytes[i];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function rendered() {
  document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText} (run scripts/run web)`);
  return new Uint8Array(await response.arrayBuffer());
}

// Bind a file; on failure say why and go back to the previous file, whose pictures stay.
function useFile(bytes, name) {
  try {
    state.info = state.vae.load(bytes);
  } catch (e) {
    if (state.bytes) state.vae.load(state.bytes);
    throw new Error(`${name}: ${e.message}${state.bytes ? ` (still showing ${state.name})` : ''}`);
  }
  state.bytes = bytes;
  state.name = name;
  state.means = state.vae.priorMeans();
  const { dimX, dimH, dimZ, dtype, priorK } = state.info;
  $('model-info').textContent = `${name}: ${dtype} decoder, ${dimX}-${dimH}-${dimZ}, ` +
    (priorK ? `mixture prior of ${priorK} components` : 'no mixture prior (N(0, I) only)');
  const gmm = $('prior').querySelector('option[value=gmm]');
  gmm.disabled = priorK === 0;
  if (priorK === 0) $('prior').value = 'normal';
  buildSliders(dimZ);
  $('plane-section').hidden = dimZ !== 2;
  renderAll();
  setStatus(`loaded ${name}`);
}

function seedValue() {
  const text = $('seed').value.trim();
  if (!/^\d+$/.test(text) || BigInt(text) >= 1n << 64n) {
    throw new Error(`seed "${text}": give a whole number from 0 to 2^64 - 1`);
  }
  return BigInt(text);
}

function renderAll() {
  renderGrid();
  if (state.info.dimZ === 2) renderManifold();
}

function renderGrid() {
  const seed = seedValue();
  const t0 = performance.now();
  state.grid = state.vae.generate(seed, $('prior').value, GRID);
  const ms = performance.now() - t0;
  drawGray($('grid'), tileGrid(state.grid.pixels, GRID));
  $('time').textContent = `${(ms / GRID).toFixed(2)} ms per digit (${GRID} digits in ${ms.toFixed(1)} ms, ` +
    `${state.info.dtype}, one thread)`;
  setStart(state.start);
  renderStrip();
}

// --- sliders -------------------------------------------------------------------------------------

function buildSliders(dimZ) {
  const box = $('sliders');
  box.replaceChildren();
  for (let k = 0; k < dimZ; ++k) {
    const label = document.createElement('label');
    label.textContent = `z${k}`;
    const input = document.createElement('input');
    Object.assign(input, { type: 'range', min: '-5', max: '5', step: '0.01', id: `z${k}` });
    const out = document.createElement('output');
    input.addEventListener('input', guard(() => {
      state.z[k] = Math.fround(Number(input.value));
      renderDigit();
    }));
    label.htmlFor = input.id;
    box.append(label, input, out);
  }
}

function setStart(i) {
  state.start = i;
  const Z = state.info.dimZ;
  state.z = state.grid.latents.slice(i * Z, (i + 1) * Z);
  renderDigit();
}

function renderDigit() {
  drawGray($('digit'), { width: 28, height: 28, bytes: state.vae.decode(state.z) });
  state.z.forEach((v, k) => {
    const input = $(`z${k}`);
    if (document.activeElement !== input) input.value = String(v);
    input.nextElementSibling.value = v.toFixed(2);
  });
  if (state.info.dimZ === 2) drawPlane();
  rendered();
}

// --- the interpolation strip ---------------------------------------------------------------------

function sampleIndex(id) {
  const v = Number($(id).value);
  if (!Number.isInteger(v) || v < 0 || v >= GRID) throw new Error(`sample "${$(id).value}": give 0 to ${GRID - 1}`);
  return v;
}

function renderStrip() {
  const Z = state.info.dimZ, a = sampleIndex('from'), b = sampleIndex('to');
  const latents = state.grid.latents;
  const strip = state.vae.interpolate(latents.subarray(a * Z, a * Z + Z), latents.subarray(b * Z, b * Z + Z), STRIP);
  drawGray($('strip'), tileGrid(strip.pixels, STRIP, STRIP));
  rendered();
}

// --- the latent plane (latent 2) -----------------------------------------------------------------

function drawPlane() {
  const canvas = $('plane'), ctx = canvas.getContext('2d'), size = canvas.width;
  const px = (v) => (v + EXTENT) / (2 * EXTENT) * size;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = '#ccc';
  ctx.beginPath();
  ctx.moveTo(px(0), 0); ctx.lineTo(px(0), size);
  ctx.moveTo(0, px(0)); ctx.lineTo(size, px(0));
  ctx.stroke();
  ctx.fillStyle = '#6a8caf';
  for (let c = 0; c + 1 < state.means.length; c += 2) {
    ctx.fillRect(px(state.means[c]) - 1.5, size - px(state.means[c + 1]) - 1.5, 3, 3);
  }
  ctx.strokeStyle = '#d22';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(px(state.z[0]), size - px(state.z[1]), 6, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.lineWidth = 1;
}

// The manifold: a LATTICE x LATTICE lattice of z over the plane's square, top row the largest z1.
function renderManifold() {
  const z = new Float32Array(LATTICE * LATTICE * 2);
  for (let r = 0; r < LATTICE; ++r) {
    for (let c = 0; c < LATTICE; ++c) {
      z[2 * (r * LATTICE + c)] = -EXTENT + (2 * EXTENT) * (c + 0.5) / LATTICE;
      z[2 * (r * LATTICE + c) + 1] = EXTENT - (2 * EXTENT) * (r + 0.5) / LATTICE;
    }
  }
  drawGray($('manifold'), tileGrid(state.vae.decode(z), LATTICE * LATTICE, LATTICE));
}

function onPlane(event) {
  const rect = $('plane').getBoundingClientRect();
  const x = (event.clientX - rect.left) / rect.width, y = (event.clientY - rect.top) / rect.height;
  state.z = Float32Array.of(-EXTENT + 2 * EXTENT * x, EXTENT - 2 * EXTENT * y);
  renderDigit();
}

// --- wiring --------------------------------------------------------------------------------------

async function chooseShipped() {
  const model = $('model').value;
  const float32 = document.querySelector('input[name=dtype][value=float32]');
  float32.disabled = !shipped[model].float32;
  if (float32.disabled) document.querySelector('input[name=dtype][value=int8]').checked = true;
  const dtype = document.querySelector('input[name=dtype]:checked').value;
  const url = shipped[model][dtype];
  useFile(await fetchBytes(url), url.split('/').pop());
}

async function chooseOwn() {
  const file = $('file').files[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  $('file').value = '';
  useFile(bytes, file.name);
}

function gridClick(event) {
  const canvas = $('grid'), rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) * canvas.width / rect.width;
  const y = (event.clientY - rect.top) * canvas.height / rect.height;
  const cols = Math.ceil(Math.sqrt(GRID));
  const col = Math.min(cols - 1, Math.floor((x - 1) / 30)), row = Math.min(cols - 1, Math.floor((y - 1) / 30));
  const i = row * cols + col;
  if (i < 0 || i >= GRID) return;
  if (event.shiftKey) {
    $('to').value = String(i);
  } else {
    $('from').value = String(i);
    setStart(i);
  }
  renderStrip();
}

// The time per digit of n digits of the current file (for the tests and docs/performance.md).
function bench(n = 256, rounds = 4) {
  state.vae.generate(1n, 'gmm', n);
  const t0 = performance.now();
  for (let s = 0; s < rounds; ++s) state.vae.generate(BigInt(s), 'gmm', n);
  return (performance.now() - t0) / (n * rounds);
}

async function main() {
  window.vaePage = { state, bench, get vae() { return state.vae; } };
  state.vae = await loadVae(await fetchBytes('gen/vae_web.wasm'));
  $('model').addEventListener('change', guard(chooseShipped));
  for (const radio of document.querySelectorAll('input[name=dtype]')) radio.addEventListener('change', guard(chooseShipped));
  $('file').addEventListener('change', guard(chooseOwn));
  $('seed').addEventListener('change', guard(renderGrid));
  $('prior').addEventListener('change', guard(renderGrid));
  $('resample').addEventListener('click', guard(() => {
    $('seed').value = String((seedValue() + 1n) % (1n << 64n));
    renderGrid();
  }));
  $('from').addEventListener('change', guard(() => { setStart(sampleIndex('from')); renderStrip(); }));
  $('to').addEventListener('change', guard(renderStrip));
  $('grid').addEventListener('click', guard(gridClick));
  let dragging = false;
  $('plane').addEventListener('pointerdown', guard((e) => { dragging = true; $('plane').setPointerCapture(e.pointerId); onPlane(e); }));
  $('plane').addEventListener('pointermove', guard((e) => { if (dragging) onPlane(e); }));
  $('plane').addEventListener('pointerup', () => { dragging = false; });
  await chooseShipped();
}

guard(main)();
