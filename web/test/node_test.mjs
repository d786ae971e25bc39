// node_test.mjs - vae_web.wasm in Node, no browser, against the host's vae_gen byte for byte.
//
//   node web/test/node_test.mjs --vae-gen build/release/apps/vae_gen/vae_gen
//        --module build/wasm/web/vae_web.wasm --weights weights --out build/wasm/web/node_out
//
// For the float32 and int8 latent-20 files and the latent-2 file: the 8 x 8 grid of seeds 1 and
// 7 with both priors (vae_gen --count 64 --seed S --prior P --out x.pgm), the decode of given
// latents (vae_gen --latent), the interpolation (vae_gen --interpolate); then bad files, each
// refused with a readable reason and leaving no model loaded; and that the comparison can fail
// (seed 1's grid against seed 7's). Prints the time per digit. Exit status 1 on any failure.
import fs from 'node:fs';
import path from 'node:path';
import { loadVae, tileGrid, VaeError } from '../vae.js';
import { badFiles, Checks, gridDiff, modelFiles, parseArgs, requireFile, vaeGenPgm } from './common.mjs';

const args = parseArgs(process.argv.slice(2), ['vae-gen', 'module', 'weights', 'out']);
requireFile(args['vae-gen'], 'vae_gen', 'build it (cmake --preset release && cmake --build --preset release --target vae_gen) or set VAE_WEB_VAE_GEN');
requireFile(args.module, 'the module', 'cmake --build --preset wasm');
const vaeGen = args['vae-gen'];
const checks = new Checks('web_node');
const vae = await loadVae(fs.readFileSync(args.module));

for (const [kind, file] of Object.entries(modelFiles)) {
  const weights = path.join(args.weights, file);
  const info = vae.load(fs.readFileSync(weights));
  checks.check(`${kind}: ${file} loads as ${info.dimX}-${info.dimH}-${info.dimZ} ${info.dtype}, K ${info.priorK}`,
               info.dimX === 784 && info.priorK > 0 && info.dtype === (kind === 'float32' ? 'float32' : 'int8')
                 ? null : `unexpected ${JSON.stringify(info)}`);
  for (const seed of [1, 7]) {
    for (const prior of ['gmm', 'normal']) {
      const got = vae.generate(seed, prior, 64);
      const want = vaeGenPgm(vaeGen, args.out, `${kind}-${seed}-${prior}`,
                             [weights, '--count', '64', '--seed', String(seed), '--prior', prior]);
      checks.check(`${kind} grid, seed ${seed}, prior ${prior}`, gridDiff(tileGrid(got.pixels, 64), want));
    }
  }
  // Given latents: seed 3's mixture draws with one coordinate moved, through vae_gen --latent.
  const z = vae.generate(3, 'gmm', 5).latents;
  z[1] = Math.fround(z[1] + 0.75);
  const latentFile = path.join(args.out, `${kind}-latents.f32`);
  fs.writeFileSync(latentFile, new Uint8Array(z.buffer));
  checks.check(`${kind} decode of given latents`,
               gridDiff(tileGrid(vae.decode(z), 5), vaeGenPgm(vaeGen, args.out, `${kind}-latent`, [weights, '--latent', latentFile])));
  // The interpolation strip: seed S's first draw to seed S + 1's.
  for (const prior of ['gmm', 'normal']) {
    const a = vae.generate(11, prior, 1).latents, b = vae.generate(12, prior, 1).latents;
    const strip = vae.interpolate(a, b, 10);
    checks.check(`${kind} interpolation, prior ${prior}`,
                 gridDiff(tileGrid(strip.pixels, 10, 10),
                          vaeGenPgm(vaeGen, args.out, `${kind}-interp-${prior}`,
                                    [weights, '--interpolate', '--count', '10', '--seed', '11', '--prior', prior])));
  }
  // Time per digit: 4 x 64 digits from the mixture.
  vae.generate(1, 'gmm', 64);
  const t0 = performance.now();
  for (let s = 0; s < 4; ++s) vae.generate(s, 'gmm', 64);
  console.log(`time   ${kind}: ${((performance.now() - t0) / 256).toFixed(3)} ms per digit (Node ${process.version})`);
}

// The comparison can fail: seed 1's grid is not seed 7's.
{
  const weights = path.join(args.weights, modelFiles.float32);
  vae.load(fs.readFileSync(weights));
  const got = tileGrid(vae.generate(1, 'gmm', 64).pixels, 64);
  const other = vaeGenPgm(vaeGen, args.out, 'negative', [weights, '--count', '64', '--seed', '7', '--prior', 'gmm']);
  checks.check('negative: seed 1 against seed 7 differs', gridDiff(got, other) ? null : 'the grids are equal');
}

// Bad files: a readable reason, no model left loaded, and a good file loads again afterwards.
const good = fs.readFileSync(path.join(args.weights, modelFiles.int8));
const classifier = fs.readFileSync(path.join(args.weights, 'mnist_classifier.vaew'));
for (const bad of badFiles(good, classifier)) {
  let problem = 'no error';
  try {
    vae.load(bad.bytes);
  } catch (e) {
    problem = !(e instanceof VaeError) ? `not a VaeError: ${e}`
      : !bad.words.test(e.message) ? `message "${e.message}" lacks ${bad.words}` : null;
    if (!problem) console.log(`       "${e.message}"`);
  }
  if (!problem) {
    try {
      vae.generate(1, 'gmm', 1);
      problem = 'a digit was generated after the failed load';
    } catch (e) {
      problem = /no weight file/.test(e.message) ? null : `unexpected ${e.message}`;
    }
  }
  checks.check(`bad file: ${bad.name}`, problem);
}
checks.check('a good file loads after the bad ones', vae.load(good).dtype === 'int8' ? null : 'it did not');
try {
  vae.generate(1, 'gmm', 0);
  checks.check('0 digits refused', 'accepted');
} catch (e) {
  checks.check('0 digits refused', /1\.\.256/.test(e.message) ? null : e.message);
}
checks.finish();
