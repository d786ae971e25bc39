// browser_test.mjs - the page (web/) in headless Chromium, its canvas pixels against vae_gen.
//
//   node web/test/browser_test.mjs --vae-gen build/release/apps/vae_gen/vae_gen
//        --chromium /usr/bin/chromium --site web --out build/wasm/web/browser_out
//
// Serves --site itself on 127.0.0.1 (an ephemeral port; nothing else is reachable: any request
// to another host is aborted and fails the test), drives Debian's chromium with puppeteer-core
// (web/test/node_modules, from scripts/install-deps --web) and checks, byte for byte against
// `vae_gen --out x.pgm` made now by the given vae_gen:
//   - the 8 x 8 grid for seeds 1 and 7, both priors, float32 and int8 (and the latent-2 file);
//   - a slider move against vae_gen --latent (and the digit the sliders start from);
//   - the interpolation strip against vae_gen --interpolate when its ends are seed S's and S+1's
//     first draws (samples 0 of two grids are not, so the strip is checked by its ends' latents);
//   - a click on the latent-2 plane against vae_gen --latent;
//   - corrupt and wrong-shape files chosen on the page: a readable message on the page, the
//     canvas still drawn, nothing in the console.
// Any console error or warning, page error or failed request fails it. Saves screenshot.png and
// prints the time per digit in Chromium (float32, int8). Bounded: 240 s in all.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { badFiles, Checks, gridDiff, modelFiles, parseArgs, readPgm, requireFile, vaeGenPgm } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2), ['vae-gen', 'chromium', 'site', 'out']);
requireFile(args['vae-gen'], 'vae_gen', 'build it (cmake --preset release && cmake --build --preset release --target vae_gen) or set VAE_WEB_VAE_GEN');
requireFile(args.chromium, 'chromium', 'scripts/install-deps --web');
requireFile(path.join(here, 'node_modules/puppeteer-core/package.json'), 'puppeteer-core', 'scripts/install-deps --web');
requireFile(path.join(args.site, 'gen/vae_web.wasm'), 'the module', 'cmake --build --preset wasm');
const puppeteer = createRequire(import.meta.url)('puppeteer-core');
const vaeGen = args['vae-gen'];
const weights = path.join(args.site, 'gen/weights');
const out = args.out;
fs.mkdirSync(out, { recursive: true });
const checks = new Checks('web_browser');
const deadline = setTimeout(() => { console.log('FAIL the test took over 240 s'); process.exit(1); }, 240_000);

// --- a static server for the site, on 127.0.0.1 only --------------------------------------------
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
                '.wasm': 'application/wasm', '.vaew': 'application/octet-stream' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const file = path.join(args.site, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
  if (!file.startsWith(path.resolve(args.site)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--force-color-profile=srgb'],
  timeout: 60_000,
});
const problems = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.setViewport({ width: 1100, height: 800 });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.url().startsWith(`${origin}/`) || r.url().startsWith('data:')) {
      r.continue();
    } else {
      problems.push(`request outside the page's folder: ${r.url()}`);
      r.abort();
    }
  });
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading');
  checks.check('the page loads the shipped float32 file', await statusProblem(page, /loaded mnist_vae\.vaew/));

  // The canvas's pixels as a grid (the red channel; the page draws gray with alpha 255).
  const canvasGrid = (id) => page.$eval(`#${id}`, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const bytes = [];
    let opaqueGray = true;
    for (let i = 0; i < d.length; i += 4) {
      bytes.push(d[i]);
      if (d[i + 1] !== d[i] || d[i + 2] !== d[i] || d[i + 3] !== 255) opaqueGray = false;
    }
    return { width: c.width, height: c.height, bytes, opaqueGray };
  });
  // Do something that re-renders, and wait until it has.
  const rerender = async (action) => {
    const before = await page.$eval('body', (b) => Number(b.dataset.renders || 0));
    await action();
    await page.waitForFunction((n) => Number(document.body.dataset.renders || 0) > n, {}, before);
  };
  const setValue = (selector, value, event = 'change') => rerender(() => page.$eval(selector, (el, v, ev) => {
    el.value = v;
    el.dispatchEvent(new Event(ev));
  }, value, event));
  const chooseModel = async (model, dtype) => {
    await rerender(() => page.$eval('#model', (el, m) => { el.value = m; el.dispatchEvent(new Event('change')); }, model));
    const checked = await page.$eval('input[name=dtype]:checked', (el) => el.value);
    if (dtype && dtype !== checked) await rerender(() => page.click(`input[name=dtype][value=${dtype}]`));
  };
  const compareGrid = async (what, file, seed, prior) => {
    await setValue('#prior', prior);
    await setValue('#seed', String(seed));
    const got = await canvasGrid('grid');
    const want = vaeGenPgm(vaeGen, out, `${path.basename(file, '.vaew')}-${seed}-${prior}`,
                           [file, '--count', '64', '--seed', String(seed), '--prior', prior]);
    checks.check(`${what} grid, seed ${seed}, prior ${prior}`, got.opaqueGray ? gridDiff(got, want) : 'not opaque gray');
  };

  const times = {};
  for (const [kind, model, dtype] of [['float32', 'latent20', 'float32'], ['int8', 'latent20', 'int8'], ['latent2', 'latent2', null]]) {
    await chooseModel(model, dtype);
    const file = path.join(weights, modelFiles[kind]);
    checks.check(`${kind}: the page shows ${modelFiles[kind]}`, await statusProblem(page, new RegExp(`loaded ${modelFiles[kind]}`)));
    for (const seed of [1, 7]) {
      for (const prior of ['gmm', 'normal']) await compareGrid(kind, file, seed, prior);
    }
    times[kind] = await page.evaluate(() => window.vaePage.bench(256, 4));
  }

  // A slider move (latent 20, float32, seed 7, mixture): the digit the sliders start from is grid
  // cell 5 of vae_gen's grid; moved, it is vae_gen --latent of the same latent with z2 = 1.23.
  await chooseModel('latent20', 'float32');
  await setValue('#prior', 'gmm');
  await setValue('#seed', '7');
  await setValue('#from', '5');
  const startZ = await page.evaluate(() => Array.from(window.vaePage.state.z));
  const startDigit = await canvasGrid('digit');
  const grid7 = vaeGenPgm(vaeGen, out, 'slider-grid', [path.join(weights, modelFiles.float32), '--count', '64', '--seed', '7', '--prior', 'gmm']);
  checks.check('the sliders start from sample 5', gridDiff(startDigit, cell(grid7, 5, 8)));
  // The comparison can fail: this seed-7 grid against vae_gen's seed-1 grid.
  checks.check('negative: the page\'s seed 7 against vae_gen\'s seed 1 differs',
               gridDiff(await canvasGrid('grid'), readPgm(path.join(out, 'mnist_vae-1-gmm.pgm'))) ? null : 'the grids are equal');
  await setValue('#z2', '1.23', 'input');
  const moved = Float32Array.from(startZ);
  moved[2] = Math.fround(1.23);
  checks.check('the page\'s latent after the move', (await page.evaluate(() => Array.from(window.vaePage.state.z)))
    .every((v, k) => Object.is(v, moved[k])) ? null : 'differs from the start with z2 = 1.23');
  checks.check('slider z2 = 1.23 against vae_gen --latent',
               gridDiff(await canvasGrid('digit'), cell(latentPgm('slider', modelFiles.float32, moved), 0, 1)));

  // The interpolation strip between samples 5 and 9 of that grid, against vae_gen --latent of
  // the line the spec defines (((1 - t) a) + (t b), t = i / 9, in float32).
  await setValue('#to', '9');
  const lat = await page.evaluate(() => Array.from(window.vaePage.state.grid.latents));
  const line = new Float32Array(10 * 20);
  for (let i = 0; i < 10; ++i) {
    const t = Math.fround(i / 9);
    for (let k = 0; k < 20; ++k) {
      line[i * 20 + k] = Math.fround(Math.fround(Math.fround(1 - t) * lat[5 * 20 + k]) + Math.fround(t * lat[9 * 20 + k]));
    }
  }
  const strip = await canvasGrid('strip');
  const wantStrip = latentPgm('strip', modelFiles.float32, line);
  checks.check('the strip from sample 5 to 9', gridDiff(strip, stripOf(wantStrip, 10)));

  // The latent-2 plane: a click, then the digit against vae_gen --latent of the page's z.
  await chooseModel('latent2');
  const box = await page.$eval('#plane', (c) => { c.scrollIntoView(); const r = c.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; });
  await rerender(() => page.mouse.click(box.x + box.w * 0.3, box.y + box.h * 0.6));
  const planeZ = Float32Array.from(await page.evaluate(() => Array.from(window.vaePage.state.z)));
  checks.check(`a click on the plane (z = ${planeZ[0].toFixed(3)}, ${planeZ[1].toFixed(3)}) against vae_gen --latent`,
               Math.abs(planeZ[0] - -1.6) < 0.1 && Math.abs(planeZ[1] - -0.8) < 0.1
                 ? gridDiff(await canvasGrid('digit'), cell(latentPgm('plane', modelFiles.latent2, planeZ), 0, 1))
                 : 'the click did not land where expected');
  const manifold = await canvasGrid('manifold');
  checks.check('the manifold is drawn', manifold.bytes.some((v) => v > 128) ? null : 'it is blank');
  await page.screenshot({ path: path.join(out, 'screenshot_latent2.png'), fullPage: true });

  // Corrupt and wrong-shape files chosen on the page: a message, the previous pictures kept.
  await chooseModel('latent20', 'int8');
  await setValue('#seed', '1');
  const before = await canvasGrid('grid');
  const good = fs.readFileSync(path.join(weights, modelFiles.int8));
  const classifier = fs.readFileSync(path.join(args.site, '../weights/mnist_classifier.vaew'));
  const input = await page.$('#file');
  for (const bad of badFiles(good, classifier)) {
    const file = path.join(out, `bad-${bad.name.replace(/\W+/g, '_')}.vaew`);
    fs.writeFileSync(file, bad.bytes);
    await input.uploadFile(file);
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    const message = await page.$eval('#status', (s) => s.textContent);
    const after = await canvasGrid('grid');
    checks.check(`bad file on the page: ${bad.name}: "${message}"`,
                 !bad.words.test(message) ? `the message lacks ${bad.words}`
                   : gridDiff(after, before) ? 'the grid changed' : !after.bytes.some((v) => v) ? 'the grid is blank' : null);
    // Back to a good state for the next file.
    await chooseModel('latent20', 'int8');
  }

  await chooseModel('latent20', 'float32');
  await setValue('#seed', '1');
  await page.screenshot({ path: path.join(out, 'screenshot.png'), fullPage: true });
  for (const [kind, ms] of Object.entries(times)) console.log(`time   ${kind}: ${ms.toFixed(3)} ms per digit (${await browser.version()})`);
} catch (e) {
  checks.check('the test ran to its end', e.stack);
} finally {
  await browser.close();
  server.close();
  clearTimeout(deadline);
}
checks.check('no console error, page error or failed request', problems.length ? problems.join('; ') : null);
checks.finish();

// --- helpers -------------------------------------------------------------------------------------

async function statusProblem(page, words) {
  const text = await page.$eval('#status', (s) => s.textContent);
  return words.test(text) ? null : `status "${text}"`;
}

// Digit i of a vae_gen grid with `cols` columns, as a 28 x 28 grid.
function cell(grid, i, cols) {
  const top = 2 + Math.floor(i / cols) * 30, left = 2 + (i % cols) * 30;
  const bytes = new Uint8Array(28 * 28);
  for (let r = 0; r < 28; ++r) bytes.set(grid.bytes.subarray((top + r) * grid.width + left, (top + r) * grid.width + left + 28), r * 28);
  return { width: 28, height: 28, bytes };
}

// The digits of `latents` as vae_gen --latent draws them (a ceil(sqrt(n)) grid).
function latentPgm(name, file, latents) {
  const f = path.join(out, `${name}.f32`);
  fs.writeFileSync(f, new Uint8Array(latents.buffer, latents.byteOffset, latents.byteLength));
  return vaeGenPgm(vaeGen, out, name, [path.join(weights, file), '--latent', f]);
}

// n digits of a vae_gen grid re-laid as one strip (the page's layout, n columns).
function stripOf(grid, n) {
  const cols = Math.ceil(Math.sqrt(n)), width = n * 28 + (n + 1) * 2, bytes = new Uint8Array(width * 32);
  for (let i = 0; i < n; ++i) {
    const d = cell(grid, i, cols);
    for (let r = 0; r < 28; ++r) bytes.set(d.bytes.subarray(r * 28, r * 28 + 28), (2 + r) * width + 2 + i * 30);
  }
  return { width, height: 32, bytes };
}
