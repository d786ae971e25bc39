// vae.js - the JavaScript glue of vae_web.wasm (web/src/vae_web.cpp): one ES module for the page
// and for Node. It copies a weight file into the module's memory, calls its C API and returns
// copies of the results; it draws nothing (app.js does).
//
//   import { loadVae } from './vae.js';
//   const vae = await loadVae(wasmBytesOrModule);
//   vae.load(fileBytes);                       // throws VaeError with the runtime's reason
//   vae.info()                                 // { dimX, dimH, dimZ, dtype, priorK }; vae.priorMeans()
//   vae.generate(seed, 'gmm' | 'normal', n)    // { pixels: Uint8Array (n*784), latents: Float32Array (n*Z) }
//   vae.decode(latents)                        // pixels of the Float32Array latents (n*Z)
//   vae.interpolate(a, b, n)                   // the line from latent a to b, as vae_gen --interpolate
//
// Seeds are integers up to 2^64 - 1 (a Number or a BigInt). The module never grows or frees
// memory, so views into it are made afresh per call and never kept.

export class VaeError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'VaeError';
    this.status = status;
  }
}

export async function loadVae(source) {
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  const instance = await WebAssembly.instantiate(module, {});
  return new Vae(instance.exports);
}

const D = 784;

class Vae {
  constructor(exports) {
    this.x = exports;
    this.ready = false;
    this.maxDigits = exports.vae_web_max_digits();
  }

  cstring(ptr) {
    const bytes = new Uint8Array(this.x.memory.buffer, ptr);
    let end = 0;
    while (bytes[end] !== 0) ++end;
    return new TextDecoder().decode(bytes.subarray(0, end));
  }

  check(rc) {
    if (rc !== 0) throw new VaeError(this.cstring(this.x.vae_web_message()), rc);
  }

  // Bind a weight file (an ArrayBuffer or typed array); the previous model is dropped either way.
  load(bytes) {
    const src = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes);
    this.ready = false;
    const capacity = this.x.vae_web_weights_capacity();
    if (src.length > capacity) {
      throw new VaeError(`the file has ${src.length} bytes; this page reads at most ${capacity}`, -4);
    }
    new Uint8Array(this.x.memory.buffer, this.x.vae_web_weights_buffer(), src.length).set(src);
    this.check(this.x.vae_web_init(src.length));
    this.ready = true;
    return this.info();
  }

  info() {
    return {
      dimX: this.x.vae_web_dim_x(), dimH: this.x.vae_web_dim_h(), dimZ: this.x.vae_web_dim_z(),
      dtype: this.cstring(this.x.vae_web_dtype()), priorK: this.x.vae_web_prior_k(),
    };
  }

  // The mixture's component means (K, Z), empty without a prior.
  priorMeans() {
    const n = this.x.vae_web_prior_k() * this.x.vae_web_dim_z();
    return n ? new Float32Array(this.x.memory.buffer, this.x.vae_web_prior_means(), n).slice()
             : new Float32Array(0);
  }

  countOk(n) {
    if (!Number.isInteger(n) || n < 1 || n > this.maxDigits) {
      throw new VaeError(`the digit count must be 1..${this.maxDigits}, not ${n}`, -2);
    }
  }

  results(n) {
    const Z = this.x.vae_web_dim_z();
    return {
      pixels: new Uint8Array(this.x.memory.buffer, this.x.vae_web_pixels(), n * D).slice(),
      latents: new Float32Array(this.x.memory.buffer, this.x.vae_web_latents(), n * Z).slice(),
    };
  }

  setLatents(z) {
    new Float32Array(this.x.memory.buffer, this.x.vae_web_latents(), z.length).set(z);
  }

  generate(seed, prior, n) {
    this.countOk(n);
    const s = BigInt.asUintN(64, BigInt(seed));
    this.check(this.x.vae_web_generate(Number(s & 0xffffffffn), Number(s >> 32n),
                                       prior === 'gmm' ? 1 : 0, n));
    return this.results(n);
  }

  decode(latents) {
    const Z = this.x.vae_web_dim_z();
    const n = Z ? latents.length / Z : 0;
    this.countOk(n);
    this.setLatents(latents);
    this.check(this.x.vae_web_decode(n));
    return this.results(n).pixels;
  }

  interpolate(a, b, n) {
    this.countOk(Math.max(n, 2));
    const Z = this.x.vae_web_dim_z();
    const ab = new Float32Array(2 * Z);
    ab.set(a.subarray(0, Z), 0);
    ab.set(b.subarray(0, Z), Z);
    this.setLatents(ab);
    this.check(this.x.vae_web_interpolate(n));
    return this.results(n);
  }
}

// The grid vae_gen writes to .pgm/.png (docs/sampling.md, "Output files"): n digits in `cols`
// columns (default ceil(sqrt(n))), 28 x 28 each, 2 pixels of 0 between tiles and around them.
// Returns { width, height, bytes: Uint8Array (height, width) }.
export function tileGrid(pixels, n, cols = Math.ceil(Math.sqrt(n))) {
  const rows = Math.ceil(n / cols), pad = 2, side = 28;
  const width = cols * side + (cols + 1) * pad, height = rows * side + (rows + 1) * pad;
  const bytes = new Uint8Array(width * height);
  for (let i = 0; i < n; ++i) {
    const top = pad + Math.floor(i / cols) * (side + pad), left = pad + (i % cols) * (side + pad);
    for (let r = 0; r < side; ++r) {
      bytes.set(pixels.subarray(i * D + r * side, i * D + r * side + side), (top + r) * width + left);
    }
  }
  return { width, height, bytes };
}
