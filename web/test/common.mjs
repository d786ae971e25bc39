// common.mjs - what the Node and browser tests share: their command line, running the host's
// vae_gen (the reference: every expected byte comes from it, made at test time), reading its
// PGM files and comparing pixels with a message that says where they first differ.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// --name value pairs into an object; every name in `required` must be there.
export function parseArgs(argv, required) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of required) {
    if (!args[name]) throw new Error(`--${name} is required`);
  }
  return args;
}

export function requireFile(file, what, fix) {
  if (!fs.existsSync(file)) throw new Error(`${what} ${file} is missing: ${fix}`);
}

// vae_gen ARGS... --out OUT.pgm; returns { width, height, bytes } of the grid it wrote.
export function vaeGenPgm(vaeGen, outDir, name, args) {
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `${name}.pgm`);
  execFileSync(vaeGen, [...args, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readPgm(out);
}

export function readPgm(file) {
  const data = fs.readFileSync(file);
  const header = /^P5\n(\d+) (\d+)\n255\n/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error(`${file}: not a P5 PGM with maxval 255`);
  const width = Number(header[1]), height = Number(header[2]);
  const bytes = new Uint8Array(data.subarray(header[0].length));
  if (bytes.length !== width * height) throw new Error(`${file}: ${bytes.length} pixel bytes, expected ${width * height}`);
  return { width, height, bytes };
}

// null when equal, else a sentence naming the first differing pixel and how many differ.
export function gridDiff(got, want) {
  if (got.width !== want.width || got.height !== want.height) {
    return `size ${got.width}x${got.height}, expected ${want.width}x${want.height}`;
  }
  let first = -1, count = 0;
  for (let i = 0; i < want.bytes.length; ++i) {
    if (got.bytes[i] !== want.bytes[i]) {
      if (first < 0) first = i;
      ++count;
    }
  }
  if (count === 0) return null;
  const x = first % want.width, y = Math.floor(first / want.width);
  return `${count} pixels differ; the first at (x ${x}, y ${y}): ${got.bytes[first]}, expected ${want.bytes[first]}`;
}

// A tally of checks: each prints one line; the process fails if any failed.
export class Checks {
  constructor(name) { this.name = name; this.failed = 0; this.passed = 0; }
  check(what, problem) {
    if (problem) {
      ++this.failed;
      console.log(`FAIL ${what}: ${problem}`);
    } else {
      ++this.passed;
      console.log(`ok   ${what}`);
    }
  }
  finish() {
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed`);
    process.exitCode = this.failed ? 1 : 0;
  }
}

// The files the page offers, by name: [file in weights/, has float32 latent-20 twin...].
export const modelFiles = {
  float32: 'mnist_vae.vaew',
  int8: 'mnist_vae_decoder_int8.vaew',
  latent2: 'mnist_vae_latent2_decoder_int8.vaew',
};

// Bad weight files made from a good one, each with words its message must contain.
export function badFiles(good, classifier) {
  const flipped = Uint8Array.from(good);
  flipped[good.length - 100] ^= 0x40;
  const noMagic = Uint8Array.from(good);
  noMagic[0] ^= 0xff;
  return [
    { name: 'truncated', bytes: good.subarray(0, 1000), words: /truncated/ },
    { name: 'one flipped bit', bytes: flipped, words: /CRC/i },
    { name: 'not a weight file', bytes: noMagic, words: /magic/i },
    { name: 'empty', bytes: new Uint8Array(0), words: /truncated/ },
    { name: 'the classifier (wrong shape)', bytes: classifier, words: /classifier/ },
  ];
}
