#!/usr/bin/env python3
"""vae_reference.py - an independent reference sampler for .vaew weight files.

Written from docs/sampling.md and docs/weights-format.md alone, in Python with numpy and no code
of the C++ project, to show that those two pages are enough to reproduce `vae_gen`'s digits bit
for bit:

    tools/vae_reference.py weights/mnist_vae.vaew --count 1000 --seed 7 --prior gmm --out a.idx
    vae_gen                weights/mnist_vae.vaew --count 1000 --seed 7 --prior gmm --out b.idx
    cmp a.idx b.idx                                  # identical

What it does: validates the weight file as weights-format.md says (magic, version, sizes, CRC,
flags, dims, every tensor record, then the decoder's and the prior's tensors), draws the latents
from PCG32 (N(0, I) by Box-Muller, or the file's Gaussian mixture), decodes them with the
decoder's float32 or int8 weights and writes the pixels as .idx (IDX3) or .pgm (a grid).
A bad file is one line on stderr, "vae_reference.py: FILE: <status>: <what>", and exit status 1.

How it stays bit-exact: every float is a numpy float32 and every operation one numpy float32
elementwise operation, which IEEE 754 rounds once (numpy never fuses a multiply and an add).
The arithmetic is vectorized across digits (and rows), never within one sum: each dot product
is accumulated column by column into its eight partial sums, in the order sampling.md gives,
with no np.dot, np.matmul or np.sum (their order is theirs). The generator runs on Python
integers masked to 64 bits, one output at a time; the outputs are then turned into floats for
all digits at once.

Not here: .png (its compressed bytes are stb_image_write's, not specified; the decoded pixels
are the .pgm's), the --ascii text, --latent and --interpolate, and the encoder.
"""

import argparse
import math
import sys
import zlib

import numpy as np

PROG = "vae_reference.py"
F32 = np.float32

# --- binary32 helpers ---------------------------------------------------------------------------


def bits(u):
    """The binary32 whose bit pattern is the u32 u (sampling.md gives constants this way)."""
    return np.array([u], dtype=np.uint32).view(np.float32)[0]


def u32bits(x):
    """The bit patterns (uint32) of a float32 array."""
    return np.asarray(x, dtype=np.float32).view(np.uint32)


INF = bits(0x7F800000)
QNAN = bits(0x7FC00000)
TWO_M24 = bits(0x33800000)  # 2^-24

# rt_expf
EXP_HI = bits(0x42B17217)  # 88.72283
EXP_LO = bits(0xC2CFF1B4)  # -103.97208
MAGIC = bits(0x4B400000)  # 1.5 * 2^23
LOG2E = bits(0x3FB8AA3B)  # 1.44269504
LN2_HI = bits(0x3F317200)  # 0.693145751953125
LN2_LO = bits(0x35BFBE8E)  # 1.42860677e-06
EXP_POLY = [bits(0x39500D01), bits(0x3AB60B61), bits(0x3C088889), bits(0x3D2AAAAB),
            bits(0x3E2AAAAB), bits(0x3F000000), bits(0x3F800000), bits(0x3F800000)]
# rt_logf
LOG_TINY = bits(0x00800000)  # 2^-126
TWO24 = bits(0x4B800000)  # 2^24
SQRT2 = bits(0x3FB504F3)  # 1.41421356
LOG_POLY = [bits(0x3DBA2E8C), bits(0x3DE38E39), bits(0x3E124925), bits(0x3E4CCCCD),
            bits(0x3EAAAAAB), F32(1.0)]
# rt_sincos_2pi
TWO_PI = bits(0x40C90FDB)
S9, S7, S5, S3 = bits(0x3638EF1D), bits(0x39500D01), bits(0x3C088889), bits(0x3E2AAAAB)
C10, C8, C6, C4 = bits(0x3493F27E), bits(0x37D00D01), bits(0x3AB60B61), bits(0x3D2AAAAB)


def rt_expf(x):
    """sampling.md, rt_expf: Cody-Waite reduction, degree-7 Horner, two-step 2^k scaling."""
    x = np.asarray(x, dtype=np.float32)
    xc = np.where(x > EXP_HI, EXP_HI, np.where(x < EXP_LO, EXP_LO, np.where(x == x, x, F32(0.0))))
    kf = (xc * LOG2E + MAGIC) - MAGIC
    r = (xc - kf * LN2_HI) - kf * LN2_LO
    p = np.full(x.shape, EXP_POLY[0], dtype=np.float32)
    for c in EXP_POLY[1:]:
        p = p * r + c
    k = kf.astype(np.int32)
    k1 = k >> 1  # numpy's >> on int32 is arithmetic: floor(k / 2)
    k2 = k - k1
    s1 = ((k1 + 127).astype(np.uint32) << np.uint32(23)).view(np.float32)
    s2 = ((k2 + 127).astype(np.uint32) << np.uint32(23)).view(np.float32)
    result = (p * s1) * s2
    return np.where(x > EXP_HI, INF, np.where(x < EXP_LO, F32(0.0), np.where(x == x, result, x)))


def rt_logf(x):
    """sampling.md, rt_logf: x = m 2^e, m in [sqrt(1/2), sqrt(2)), 2 atanh(s) to s^11."""
    x = np.asarray(x, dtype=np.float32)
    sub = x < LOG_TINY
    xs = np.where(sub, x * TWO24, x)
    u = u32bits(xs)
    e = ((u >> np.uint32(23)) & np.uint32(0xFF)).astype(np.int32) - 127 - np.where(sub, 24, 0)
    m = ((u & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000)).view(np.float32)
    big = m > SQRT2
    m = np.where(big, m * F32(0.5), m)
    e = e + np.where(big, 1, 0)
    s = (m - F32(1.0)) / (m + F32(1.0))
    s2 = s * s
    q = np.full(x.shape, LOG_POLY[0], dtype=np.float32)
    for c in LOG_POLY[1:]:
        q = q * s2 + c
    ef = e.astype(np.float32)
    result = (ef * LN2_LO + (F32(2.0) * s) * q) + ef * LN2_HI
    return np.where(x == F32(0.0), -INF,
                    np.where((x < F32(0.0)) | (x != x), QNAN, np.where(x == INF, INF, result)))


def rt_sincos_2pi(u):
    """sampling.md, rt_sincos_2pi: (sin 2 pi u, cos 2 pi u) for u in [0, 1]."""
    u = np.asarray(u, dtype=np.float32)
    q = (u * F32(4.0) + F32(0.5)).astype(np.int32)  # truncation; the value is >= 0
    f = u - q.astype(np.float32) * F32(0.25)
    a = f * TWO_PI
    a2 = a * a
    sp = S9 * a2 - S7
    sp = sp * a2 + S5
    sp = sp * a2 - S3
    sp = sp * a2 + F32(1.0)
    sa = a * sp
    cp = (-C10) * a2 + C8
    cp = cp * a2 - C6
    cp = cp * a2 + C4
    cp = cp * a2 - F32(0.5)
    ca = cp * a2 + F32(1.0)
    quarter = q & 3
    s = np.select([quarter == 0, quarter == 1, quarter == 2], [sa, ca, -sa], -ca)
    c = np.select([quarter == 0, quarter == 1, quarter == 2], [ca, -sa, -ca], sa)
    return s.astype(np.float32), c.astype(np.float32)


def rt_sigmoidf(x):
    x = np.asarray(x, dtype=np.float32)
    return F32(1.0) / (F32(1.0) + rt_expf(-x))


# --- PCG32 --------------------------------------------------------------------------------------

MASK64 = (1 << 64) - 1
MULT = 6364136223846793005  # 0x5851F42D4C957F2D


class Pcg32:
    """PCG32 (XSH RR) as sampling.md gives it; Python integers, masked to 64 bits."""

    def __init__(self, seed, stream):
        self.inc = ((stream << 1) | 1) & MASK64
        self.state = 0
        self.state = (self.state * MULT + self.inc) & MASK64
        self.state = (self.state + seed) & MASK64
        self.state = (self.state * MULT + self.inc) & MASK64

    def u32(self):
        old = self.state
        self.state = (old * MULT + self.inc) & MASK64
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((32 - rot) & 31))) & 0xFFFFFFFF

    def u32_array(self, n):
        """The next n outputs as a uint32 array."""
        return np.array([self.u32() for _ in range(n)], dtype=np.uint32)


def uniform_01(x):
    """rng_uniform: f32(x >> 8) * 2^-24, in [0, 1)."""
    return (x >> np.uint32(8)).astype(np.float32) * TWO_M24


def uniform_radius(x):
    """Box-Muller's u1: f32((x >> 8) + 1) * 2^-24, in (0, 1]."""
    return ((x >> np.uint32(8)) + np.uint32(1)).astype(np.float32) * TWO_M24


def normals_from_outputs(x, n):
    """rng_fill_normal(n) for each row of x (rows, 2 ceil(n/2)) generator outputs: (rows, n)."""
    u1 = uniform_radius(x[:, 0::2])  # the first output of each pair: the radius
    u2 = uniform_01(x[:, 1::2])  # the second: the angle
    radius = np.sqrt(F32(-2.0) * rt_logf(u1))  # numpy's float32 sqrt is IEEE, correctly rounded
    s, c = rt_sincos_2pi(u2)
    out = np.empty((x.shape[0], x.shape[1]), dtype=np.float32)
    out[:, 0::2] = radius * c
    out[:, 1::2] = radius * s
    return out[:, :n]


# --- the weight file ----------------------------------------------------------------------------


class BadFile(Exception):
    """A weight file that fails validation: a status name (weights-format.md) and the details."""

    def __init__(self, status, what):
        super().__init__(f"{status}: {what}")


def u32le(b, off):
    return int.from_bytes(b[off:off + 4], "little")


NAME_CHARS = set(b"abcdefghijklmnopqrstuvwxyz0123456789_.")
FLAG_ENCODER, FLAG_INT8, FLAG_PRIOR, FLAG_HIDDEN2 = 1, 2, 4, 8
DTYPE_F32, DTYPE_I8 = 1, 2


def parse_vaew(b):
    """Validate a whole file in the order of weights-format.md ("Validation, in order").

    Returns (header dict, {name: (dtype, rank, dim0, dim1, offset, size)})."""
    if len(b) < 64:
        raise BadFile("truncated", f"file has {len(b)} bytes; the header alone needs 64")
    if b[0:4] != b"VAEW":
        raise BadFile("bad_magic", 'file does not start with "VAEW"')
    fields = ["version", "header_size", "flags", "dim_x", "dim_h", "dim_z", "dim_h2",
              "tensor_count", "table_offset", "note_offset", "note_size", "file_size", "crc32"]
    h = {name: u32le(b, 4 + 4 * i) for i, name in enumerate(fields)}
    if h["version"] != 1:
        raise BadFile("bad_version", f"format version {h['version']}; this reader reads version 1")
    if h["header_size"] != 64:
        raise BadFile("bad_header", f"header size field is {h['header_size']}; version 1 has 64")
    if len(b) < h["file_size"]:
        raise BadFile("truncated", f"file has {len(b)} bytes; its header says {h['file_size']}")
    if len(b) > h["file_size"]:
        raise BadFile("trailing_bytes",
                      f"file has {len(b)} bytes; its header says only {h['file_size']}")
    crc = zlib.crc32(b[:52] + b"\0\0\0\0" + b[56:])
    if crc != h["crc32"]:
        raise BadFile("bad_crc", f"CRC32 of the file is {crc}; the header says {h['crc32']}")
    if h["flags"] & ~0xF:
        raise BadFile("unsupported_feature",
                      f"header flags {h['flags']} set bits unknown to version 1")
    if any(b[56:64]):
        raise BadFile("bad_header", "reserved header bytes 56..63 are not zero")
    if h["dim_x"] == 0 or h["dim_h"] == 0 or h["dim_z"] == 0:
        raise BadFile("bad_header", f"model dims D {h['dim_x']}, H {h['dim_h']}, Z {h['dim_z']}"
                      " must be positive")
    if (h["dim_h2"] != 0) != bool(h["flags"] & FLAG_HIDDEN2):
        raise BadFile("bad_header", f"dim H2 is {h['dim_h2']} but the dec_hidden2 flag is "
                      + ("set" if h["flags"] & FLAG_HIDDEN2 else "clear"))
    n = h["tensor_count"]
    if not 1 <= n <= 256:
        raise BadFile("bad_header", f"tensor count {n} is outside 1..256")
    if h["table_offset"] != 64:
        raise BadFile("bad_header", f"tensor table offset is {h['table_offset']}; version 1 "
                      "puts it at 64")
    table_end = 64 + 64 * n
    if table_end > h["file_size"]:
        raise BadFile("bad_offset", f"tensor table of {n} records ends at byte {table_end}, past "
                      f"the end of the file ({h['file_size']} bytes)")
    note_off, note_size = h["note_offset"], h["note_size"]
    note_end = note_off + note_size
    if (note_off != 0) if note_size == 0 else (note_off < table_end or note_end > h["file_size"]):
        raise BadFile("bad_offset", f"note at {note_off} of {note_size} bytes is not between the "
                      f"table's end ({table_end}) and the file's end ({h['file_size']})")

    def overlap(a0, a1, b0, b1):
        return a0 < b1 and b0 < a1

    tensors = {}
    for i in range(n):
        r = b[64 + 64 * i:128 + 64 * i]
        raw = r[0:32]
        length = raw.find(b"\0")
        if (length <= 0 or any(c not in NAME_CHARS for c in raw[:length])
                or any(raw[length:])):
            raise BadFile("bad_name", f"tensor record {i}: name is empty, unterminated, not "
                          "NUL-padded, or uses characters outside [a-z0-9_.]")
        name = raw[:length].decode("ascii")
        if name in tensors:
            raise BadFile("duplicate_tensor", f"tensor {name} appears twice")
        dtype, rank, dim0, dim1, off, size = (u32le(r, 32 + 4 * k) for k in range(6))
        if dtype not in (DTYPE_F32, DTYPE_I8):
            raise BadFile("bad_dtype", f"tensor {name}: dtype {dtype} is not 1 (float32) or "
                          "2 (int8)")
        if rank not in (1, 2) or dim0 == 0 or dim1 == 0 or (rank == 1 and dim1 != 1):
            raise BadFile("bad_shape", f"tensor {name}: rank {rank} shape ({dim0}, {dim1}) is "
                          "not rank 1 (n, 1) or rank 2 (rows, cols) with positive dims")
        want = dim0 * dim1 * (4 if dtype == DTYPE_F32 else 1)
        if want != size:
            raise BadFile("bad_size", f"tensor {name}: size {size} bytes; its shape and dtype "
                          f"need {want}")
        if off % 64 != 0:
            raise BadFile("bad_alignment", f"tensor {name}: offset {off} is not a multiple of 64")
        end = off + size
        if off < table_end or end > h["file_size"]:
            raise BadFile("bad_offset", f"tensor {name}: bytes {off}..{end} are not between the "
                          f"table's end ({table_end}) and the file's end ({h['file_size']})")
        if overlap(off, end, note_off, note_end):
            raise BadFile("overlap", f"tensor {name} overlaps the note")
        for other, t in tensors.items():
            if overlap(off, end, t[4], t[4] + t[5]):
                raise BadFile("overlap", f"tensors {other} and {name} overlap")
        if any(r[56:64]):
            raise BadFile("bad_header", f"tensor {name}: reserved bytes 56..63 of its record are "
                          "not zero")
        tensors[name] = (dtype, rank, dim0, dim1, off, size)
    has_int8 = any(t[0] == DTYPE_I8 for t in tensors.values())
    if bool(h["flags"] & FLAG_INT8) != has_int8:
        raise BadFile("bad_header", "the int8 flag " + ("is clear but a tensor is int8"
                                                        if has_int8 else
                                                        "is set but no tensor is int8"))
    return h, tensors


def tensor_data(b, tensors, name):
    """A tensor's values: float32 or int8, shape (dim0,) for rank 1, (dim0, dim1) for rank 2."""
    dtype, rank, dim0, dim1, off, size = tensors[name]
    a = np.frombuffer(b, dtype="<f4" if dtype == DTYPE_F32 else "i1", count=dim0 * dim1,
                      offset=off)
    return a.reshape((dim0,) if rank == 1 else (dim0, dim1))


def bind_dense(b, tensors, layer, rows, cols):
    """A decoder layer as weights-format.md names it: (W as float32 (rows, cols), scale or None,
    bias). int8 weights are converted exactly to float32 here; the scale is applied after the dot
    product, as sampling.md says."""
    wname, bname, sname = f"{layer}_w", f"{layer}_b", f"{layer}_w.scale"
    for name in (wname, bname):
        if name not in tensors:
            raise BadFile("missing_tensor", f"tensor {name} is missing")
    w, bias = tensors[wname], tensors[bname]
    if w[1] != 2 or w[2] != rows or w[3] != cols:
        raise BadFile("bad_shape", f"tensor {wname} has shape ({w[2]}, {w[3]}); the decoder "
                      f"needs ({rows}, {cols})")
    if bias[1] != 1 or bias[2] != rows:
        raise BadFile("bad_shape", f"tensor {bname} has shape ({bias[2]}, {bias[3]}); the "
                      f"decoder needs ({rows})")
    if bias[0] != DTYPE_F32:
        raise BadFile("bad_dtype", f"tensor {bname} is int8; biases must be float32")
    scale = None
    if w[0] == DTYPE_I8:
        if sname not in tensors:
            raise BadFile("missing_tensor", f"int8 tensor {wname} has no scales: tensor {sname} "
                          "is missing")
        s = tensors[sname]
        if s[0] != DTYPE_F32:
            raise BadFile("bad_dtype", f"tensor {sname} is int8; scales must be float32")
        if s[1] != 1 or s[2] != rows:
            raise BadFile("bad_shape", f"tensor {sname} has shape ({s[2]}, {s[3]}); the decoder "
                          f"needs ({rows})")
        scale = tensor_data(b, tensors, sname).astype(np.float32)
    weights = tensor_data(b, tensors, wname).astype(np.float32)  # int8 -> float32 is exact
    return weights, scale, tensor_data(b, tensors, bname).astype(np.float32)


PRIOR_NAMES = ("prior_logits", "prior_mu", "prior_logvar")


def prior_present(h, tensors):
    return bool(h["flags"] & FLAG_PRIOR) or any(name in tensors for name in PRIOR_NAMES)


def bind_prior(b, h, tensors, z):
    """The mixture's (logits (K), mu (K, Z), logvar (K, Z)), checked as weights-format.md says."""
    for name in PRIOR_NAMES:
        if name not in tensors:
            raise BadFile("missing_tensor", f"the mixture prior's tensor {name} is missing")
    if not h["flags"] & FLAG_PRIOR:
        raise BadFile("bad_header", "file has the prior_* tensors but flag bit 2 "
                      "(mixture_prior) is clear")
    for name in PRIOR_NAMES:
        if tensors[name][0] != DTYPE_F32:
            raise BadFile("bad_dtype", f"tensor {name} is int8; the prior is float32")
    k = tensors["prior_logits"][2]
    if tensors["prior_logits"][1] != 1:
        raise BadFile("bad_shape", "tensor prior_logits has rank 2; expected (K)")
    for name in PRIOR_NAMES[1:]:
        t = tensors[name]
        if t[1] != 2 or t[2] != k or t[3] != z:
            raise BadFile("bad_shape", f"tensor {name} has shape ({t[2]}, {t[3]}); the prior "
                          f"needs (K, Z) = ({k}, {z})")
    logits, mu, logvar = (tensor_data(b, tensors, name).astype(np.float32)
                          for name in PRIOR_NAMES)
    for name, a in (("prior_logits", logits), ("prior_mu", mu)):
        if not np.all(np.isfinite(a)):
            raise BadFile("bad_value", f"tensor {name} value "
                          f"{int(np.argmin(np.isfinite(a).ravel()))} is not finite")
    ok = (logvar >= F32(-80.0)) & (logvar <= F32(80.0))  # NaN fails too
    if not np.all(ok):
        raise BadFile("bad_value", f"tensor prior_logvar value {int(np.argmin(ok.ravel()))} is "
                      "not a finite log variance within +-80")
    return logits, mu, logvar


# --- sampling -----------------------------------------------------------------------------------


def draw_latents(count, seed, z, prior):
    """The latents (count, z) of digits 0 .. count-1 from rng_seed(seed, 0): N(0, I) when prior
    is None, else draws from the mixture (logits, mu, logvar)."""
    pairs = (z + 1) // 2
    per_digit = 2 * pairs + (0 if prior is None else 1)
    rng = Pcg32(seed, 0)
    x = rng.u32_array(count * per_digit).reshape(count, per_digit)
    if prior is None:
        return normals_from_outputs(x, z)
    logits, mu, logvar = prior
    # The weights and their running sum, in k order, once (sampling.md, the mixture draw).
    mx = logits[0]
    for k in range(1, logits.shape[0]):
        mx = logits[k] if logits[k] > mx else mx
    w = rt_expf(logits - mx)
    cum = np.empty_like(w)
    total = F32(0.0)
    for k in range(w.shape[0]):
        total = F32(total + w[k])
        cum[k] = total
    target = uniform_01(x[:, 0]) * total  # (count)
    positive = w > F32(0.0)
    hit = positive[None, :] & (target[:, None] < cum[None, :])  # (count, K)
    last = int(np.nonzero(positive)[0][-1])
    comp = np.where(hit.any(axis=1), hit.argmax(axis=1), last)
    eps = normals_from_outputs(x[:, 1:], z)
    sd = rt_expf(F32(0.5) * logvar)  # (K, Z)
    return mu[comp] + sd[comp] * eps


def dense(x, weights, scale, bias):
    """A layer for all digits: x (n, cols) -> (n, rows), each dot product with eight partial sums
    a[i mod 8] accumulated in increasing i, then (a0+a4 + a2+a6) + (a1+a5 + a3+a7)."""
    n, cols = x.shape
    rows = weights.shape[0]
    wt = np.ascontiguousarray(weights.T)  # (cols, rows): column i of W as one row
    acc = np.zeros((8, n, rows), dtype=np.float32)
    prod = np.empty((n, rows), dtype=np.float32)
    for i in range(cols):
        np.multiply(wt[i][None, :], x[:, i:i + 1], out=prod)
        np.add(acc[i % 8], prod, out=acc[i % 8])
    s0, s1, s2, s3 = acc[0] + acc[4], acc[1] + acc[5], acc[2] + acc[6], acc[3] + acc[7]
    dot = (s0 + s2) + (s1 + s3)
    if scale is not None:
        dot = dot * scale[None, :]
    return dot + bias[None, :]


def pixel_u8(p):
    v = p * F32(255.0) + F32(0.5)
    t = np.where(v >= F32(1.0), v, F32(0.0))  # NaN -> 0
    t = np.where(t >= F32(255.0), F32(255.0), t)
    return t.astype(np.uint8)  # truncation of a value in [0, 255]


def decode(latents, fc, out, chunk=128):
    """Pixels (n, D) uint8 for latents (n, Z); chunks of digits only to stay in cache."""
    pixels = []
    for first in range(0, latents.shape[0], chunk):
        zc = latents[first:first + chunk]
        h = dense(zc, *fc)
        h = np.where(h > F32(0.0), h, F32(0.0))  # relu; -0.0 and NaN give +0.0
        pixels.append(pixel_u8(rt_sigmoidf(dense(h, *out))))
    return np.concatenate(pixels, axis=0)


# --- output files -------------------------------------------------------------------------------


def idx_bytes(pixels):
    n = pixels.shape[0]
    header = b"".join(v.to_bytes(4, "big") for v in (2051, n, 28, 28))
    return header + pixels.astype(np.uint8).tobytes()


def pgm_bytes(pixels):
    n = pixels.shape[0]
    cols = math.ceil(math.sqrt(n))  # float64 sqrt, as vae_gen
    rows = (n + cols - 1) // cols
    pad = 2
    width, height = cols * 28 + (cols + 1) * pad, rows * 28 + (rows + 1) * pad
    grid = np.zeros((height, width), dtype=np.uint8)
    for i in range(n):
        y0, x0 = pad + (i // cols) * (28 + pad), pad + (i % cols) * (28 + pad)
        grid[y0:y0 + 28, x0:x0 + 28] = pixels[i].reshape(28, 28)
    return f"P5\n{width} {height}\n255\n".encode("ascii") + grid.tobytes()


# --- command line -------------------------------------------------------------------------------


def self_test():
    """The test vectors of docs/sampling.md; returns the number of mismatches (printed)."""
    bad = 0

    def check(what, got, want):
        nonlocal bad
        if got != want:
            bad += 1
            print(f"{PROG}: self-test: {what}: got {got}, sampling.md says {want}",
                  file=sys.stderr)

    r = Pcg32(42, 54)
    check("PCG32(42, 54)", [r.u32() for _ in range(6)],
          [0xA15C02B7, 0x7B47F409, 0xBA1D3330, 0x83D2F293, 0xBFA4784B, 0xCBED606E])
    r = Pcg32(1, 0)
    check("rng_seed(1, 0) state", (r.state, r.inc), (0xB0A3E85A992AFE5B, 1))
    check("PCG32(1, 0)", [r.u32() for _ in range(4)],
          [0xE2393051, 0x01112F35, 0xD3509D35, 0x0B932F4A])
    x = Pcg32(1, 0).u32_array(6).reshape(1, 6)
    check("rng_fill_normal(5)", [int(v) for v in u32bits(normals_from_outputs(x, 5)[0])],
          [0x3EFE87F5, 0x3C556024, 0x3F1835E0, 0x3E31C684, 0xBF8752EB])

    def f(v):
        return np.array([v], dtype=np.float32)

    def b1(a):
        return int(u32bits(a)[0])

    for arg, want in ((1.0, 0x402DF854), (-1.0, 0x3EBC5AB2), (0.5, 0x3FD3094C),
                      (-20.0, 0x310DA433), (88.0, 0x7EF882B7), (-100.0, 0x0000001B),
                      (0.001, 0x3F8020C9)):
        check(f"rt_expf({arg})", b1(rt_expf(f(arg))), want)
    for arg, want in ((1.0, 0x00000000), (0.5, 0xBF317218), (2.0 ** -24, 0xC1851592),
                      (0.75, 0xBE934B10), (2.0, 0x3F317218)):
        check(f"rt_logf({arg})", b1(rt_logf(f(arg))), want)
    for ubits, want in ((0x00000000, (0x00000000, 0x3F800000)),
                        (0x3DCCCCCD, (0x3F167919, 0x3F4F1BBC)),
                        (0x3E99999A, (0x3F737870, 0xBE9E377D)),
                        (0x3F200000, (0xBF3504F2, 0xBF3504F3)),
                        (0x3F7FFFFE, (0xB5490FDB, 0x3F800000))):
        s, c = rt_sincos_2pi(np.array([ubits], dtype=np.uint32).view(np.float32))
        check(f"rt_sincos_2pi(bits 0x{ubits:08x})", (b1(s), b1(c)), want)
    check("rt_sigmoidf(0), (2)", (b1(rt_sigmoidf(f(0.0))), b1(rt_sigmoidf(f(2.0)))),
          (0x3F000000, 0x3F617BEA))
    print(f"{PROG}: self-test: {'all test vectors match' if bad == 0 else f'{bad} mismatches'}",
          file=sys.stderr)
    return bad


def seed_value(s):
    if not s or s.strip("0123456789") or int(s) >= 1 << 64:
        raise argparse.ArgumentTypeError(f"'{s}' is not a seed; expected an integer from 0 to "
                                         f"{(1 << 64) - 1}")
    return int(s)


def count_value(s):
    if not s or s.strip("0123456789") or not 1 <= int(s) <= 1000000:
        raise argparse.ArgumentTypeError(f"'{s}' is not a count from 1 to 1000000")
    return int(s)


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Generate MNIST digits from a .vaew weight file exactly as vae_gen does, "
                    "from docs/sampling.md and docs/weights-format.md alone (Python + numpy). "
                    "The same arguments give the same output bytes as vae_gen.",
        epilog="Exit status: 0 done, 1 a bad weight file or a failed write (one line on stderr), "
               "2 a usage error.")
    ap.add_argument("weights", nargs="?", help="weight file (.vaew), full or decoder-only, "
                    "float32 or int8")
    ap.add_argument("--count", "-n", type=count_value, default=64,
                    help="digits to generate (default 64)")
    ap.add_argument("--seed", "-s", type=seed_value, default=1, help="random seed (default 1)")
    ap.add_argument("--prior", choices=["normal", "gmm"],
                    help="where z comes from: gmm, the file's Gaussian mixture (the default when "
                         "it has one), or normal, N(0, I)")
    ap.add_argument("--out", "-o", help="output: .idx (IDX3, N x 28 x 28 uint8) or .pgm (a grid)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the test vectors of docs/sampling.md and exit (0 if all match)")
    o = ap.parse_args(argv)
    if o.self_test:
        return 1 if self_test() else 0
    if o.weights is None or o.out is None:
        ap.error("WEIGHTS and --out are required (or --self-test)")
    if not (o.out.endswith(".idx") or o.out.endswith(".pgm")):
        ap.error(f"--out {o.out}: the extension must be .idx or .pgm")
    try:
        with open(o.weights, "rb") as fh:
            b = fh.read()
    except OSError as e:
        print(f"{PROG}: {o.weights}: cannot read: {e.strerror}", file=sys.stderr)
        return 1
    try:
        h, tensors = parse_vaew(b)
        D, H, Z = h["dim_x"], h["dim_h"], h["dim_z"]
        if D != 784:
            raise BadFile("dims_mismatch", f"file has D {D}; 28x28 digits need 784")
        if h["flags"] & FLAG_HIDDEN2:
            raise BadFile("unsupported_feature", f"file's decoder has a second hidden layer "
                          f"(H2 = {h['dim_h2']}); this reader decodes one hidden layer")
        fc = bind_dense(b, tensors, "dec_fc", H, Z)
        out = bind_dense(b, tensors, "dec_out", D, H)
        has_prior = prior_present(h, tensors)
        prior_name = o.prior or ("gmm" if has_prior else "normal")
        prior = None
        if prior_name == "gmm":
            if not has_prior:
                raise BadFile("missing_tensor", "--prior gmm: the file carries no mixture prior")
            prior = bind_prior(b, h, tensors, Z)
    except BadFile as e:
        print(f"{PROG}: {o.weights}: {e}", file=sys.stderr)
        return 1
    with np.errstate(all="ignore"):  # inf and NaN are part of the algorithms, not errors
        latents = draw_latents(o.count, o.seed, Z, prior)
        pixels = decode(latents, fc, out)
    data = idx_bytes(pixels) if o.out.endswith(".idx") else pgm_bytes(pixels)
    try:
        with open(o.out, "wb") as fh:
            fh.write(data)
    except OSError as e:
        print(f"{PROG}: {o.out}: cannot write: {e.strerror}", file=sys.stderr)
        return 1
    print(f"{PROG}: wrote {o.count} digits to {o.out} (z ~ "
          f"{'the mixture prior' if prior is not None else 'N(0, I)'})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
