#!/usr/bin/python3
"""vaew_from_torch.py - convert a PyTorch state_dict into a .vaew weight file, strictly, with a
golden check through our own runtime.

    /usr/bin/python3 tools/vaew_from_torch.py vae.pth mnist_vae.vaew
    /usr/bin/python3 tools/vaew_from_torch.py vae.pth decoder_int8.vaew --int8 --decoder-only
    /usr/bin/python3 tools/vaew_from_torch.py model.pt out.vaew --map names.json --dims 784-400-2

Input: a `.pt`/`.pth` file holding a state_dict (or a whole nn.Module, whose state_dict is used).
Tensor names are mapped to ours (docs/weights-format.md, "Tensor names") by
  - the PyTorch examples VAE's names: fc1 (enc_fc), fc21 (enc_mu), fc22 (enc_logvar), fc3
    (dec_fc), fc4 (dec_out), each `.weight` (Out, In) and `.bias` (Out), nn.Linear's layout, which
    is also ours, so no tensor is ever transposed;
  - our own names (enc_fc_w, enc_fc_b, ..., dec_out_b), e.g. a file of tools/vaew_to_torch.py;
  - --map FILE.json, an object {"their name": "our name", ...} for any other model.
prior_logits, prior_mu and prior_logvar (our mixture prior, as tools/vaew_to_torch.py writes
them) are kept when all three are there.

Strict: a tensor the map does not know, a missing tensor, a shape other than the model's (784-H-Z,
given by --dims, default 784-400-20), a dtype other than float32 or a value that is not finite is
an error that names the tensor, and nothing is written: never a partial model. The architecture is
the examples VAE's, x -> fc1 -> ReLU -> (fc21, fc22), z -> fc3 -> ReLU -> fc4 -> sigmoid; a
state_dict holds no activations, so that is what the golden check assumes and checks against.

Golden check: before the output is written, the converted decoder is run by our runtime
(`vae_gen FILE --latent Z.f32 --out P.f32`, the probabilities before rounding) on a few fixed
latents, and compared with the same decoder computed by PyTorch from the state_dict; any pixel
more than 1e-5 apart is an error. The largest difference is printed. With --int8 the float32 file
is quantized by our own writer (`vae_export --int8`, docs/weights-format.md "int8 tensors"), the
largest weight quantization error and the largest pixel difference to PyTorch's float decoder are
printed, and the int8 file is checked against PyTorch on its dequantized weights within 1e-5.
The check needs dims that vae_gen has compiled (784-400-20 and 784-400-2); any other model is
refused by it, with vae_gen's message.

Needs /usr/bin/python3 with python3-torch (scripts/install-deps --torch) and built vae_gen and
vae_export (--vae-gen/--vae-export, or $VAE_GEN/$VAE_EXPORT, else build/release/apps/ of this
tree, else PATH). Exit status: 0 written, 1 refused (one line per problem on stderr), 2 usage.

Not here: other architectures (a second decoder layer, convolutions), quantization of our own
(vae_export's is the one the runtime is tested against), writing anything but version 1.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vae_reference  # noqa: E402  (the format's reader: parse_vaew, tensor_data)
from torch_import import import_torch  # noqa: E402

PROG = "vaew_from_torch.py"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 1e-5
GOLDEN_SEED = 18   # the fixed latents: torch.Generator seeded with this, then a zero latent
GOLDEN_COUNT = 16

# Our layers in file order: (layer, input dim, output dim) in letters D, H, Z.
LAYERS = [("enc_fc", "D", "H"), ("enc_mu", "H", "Z"), ("enc_logvar", "H", "Z"),
          ("dec_fc", "Z", "H"), ("dec_out", "H", "D")]
OURS = [f"{layer}_{kind}" for layer, _, _ in LAYERS for kind in ("w", "b")]
PRIOR = ["prior_logits", "prior_mu", "prior_logvar"]

EXAMPLES_LAYERS = {"fc1": "enc_fc", "fc21": "enc_mu", "fc22": "enc_logvar", "fc3": "dec_fc",
                   "fc4": "dec_out"}
MAPS = {
    "examples": {f"{theirs}.{kind}": f"{ours}_{kind[0]}" for theirs, ours in EXAMPLES_LAYERS.items()
                 for kind in ("weight", "bias")},
    "ours": {name: name for name in OURS},
}


class Refused(Exception):
    """The input cannot be converted: one message per problem, each naming its tensor."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def fail_usage(msg):
    print(f"{PROG}: {msg} (see --help)", file=sys.stderr)
    sys.exit(2)


def parse_dims(text):
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        fail_usage(f"--dims {text}: expected D-H-Z, e.g. 784-400-20")
    d, h, z = (int(p) for p in parts)
    if d != 784:
        fail_usage(f"--dims {text}: D must be 784 (the runtime decodes 28x28 digits)")
    return {"D": d, "H": h, "Z": z}


def load_state_dict(path):
    import torch
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # a pickle error, a truncated zip: say which file
        raise Refused([f"cannot read it as a PyTorch file: {e}"])
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict) or not obj:
        raise Refused(["not a state_dict (a non-empty dict of tensors) or an nn.Module"])
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            raise Refused([f"entry {key!r} is a {type(value).__name__}, not a tensor: not a "
                           "state_dict"])
    return obj


def choose_map(state, map_path):
    """The {their name: our name} map: --map, else the examples VAE's or ours, by the names."""
    if map_path:
        try:
            with open(map_path, encoding="utf-8") as f:
                m = json.load(f)
        except (OSError, ValueError) as e:
            fail_usage(f"--map {map_path}: {e}")
        if not isinstance(m, dict) or not all(isinstance(v, str) for v in m.values()):
            fail_usage(f"--map {map_path}: expected a JSON object of names to names")
        bad = [v for v in m.values() if v not in OURS and v not in PRIOR]
        if bad:
            fail_usage(f"--map {map_path}: {bad[0]} is not one of our tensor names "
                       f"({', '.join(OURS + PRIOR)})")
        return "--map", dict(m)
    for name in ("examples", "ours"):
        if any(key in MAPS[name] for key in state):
            return name, dict(MAPS[name])
    raise Refused([f"unknown tensor {key}: the names are neither the PyTorch examples VAE's "
                   "(fc1, fc21, fc22, fc3, fc4) nor ours (enc_fc_w, ...); give --map"
                   for key in state])


def convert(state, name_map, dims, decoder_only):  # noqa: C901 (one check after another)
    """Our tensors {name: float32 array} from a state_dict, or Refused naming every problem."""
    import torch
    theirs = {ours: key for key, ours in name_map.items()}
    for p in PRIOR:
        theirs.setdefault(p, p)
    problems = []
    for key in state:
        if key not in name_map and key not in PRIOR:
            problems.append(f"unknown tensor {key}: the names map ({', '.join(name_map)}) has "
                            "no such name")
    out = {}
    for layer, fan_in, fan_out in LAYERS:
        for kind in ("w", "b"):
            ours = f"{layer}_{kind}"
            key = theirs.get(ours, ours)
            want = (dims[fan_out], dims[fan_in]) if kind == "w" else (dims[fan_out],)
            if key not in state:
                if not (decoder_only and layer.startswith("enc_")):
                    problems.append(f"missing tensor {key} ({ours}, shape {want})")
                continue
            t = state[key]
            shape = tuple(t.shape)
            if shape != want:
                hint = ""
                if len(shape) == 2 and shape == want[::-1]:
                    hint = "; it is transposed (nn.Linear stores weight as (out, in))"
                elif len(want) == 2 and len(shape) == 2 and shape[0] != want[0]:
                    hint = (f"; {fan_out} is {shape[0]} here, the model is "
                            f"{dims['D']}-{dims['H']}-{dims['Z']} (--dims)")
                problems.append(f"tensor {key} ({ours}) has shape {shape}, expected {want}{hint}")
                continue
            if t.dtype != torch.float32:
                problems.append(f"tensor {key} ({ours}) is {t.dtype}, expected torch.float32")
                continue
            a = t.detach().contiguous().numpy().astype("<f4", copy=True)
            if not np.all(np.isfinite(a)):
                problems.append(f"tensor {key} ({ours}) holds a value that is not finite")
                continue
            if not (decoder_only and layer.startswith("enc_")):
                out[ours] = a
    present = [p for p in PRIOR if p in state]
    if present and len(present) != 3:
        missing = [p for p in PRIOR if p not in state]
        problems.append(f"missing tensor {missing[0]}: the mixture prior needs all of "
                        f"{', '.join(PRIOR)}")
    elif present:
        k = tuple(state["prior_logits"].shape)
        for p in PRIOR:
            t = state[p]
            want = k if p == "prior_logits" else (k[0] if k else 0, dims["Z"])
            if len(k) != 1 or tuple(t.shape) != want:
                problems.append(f"tensor {p} has shape {tuple(t.shape)}, expected {want} (K, Z)")
            elif t.dtype != torch.float32:
                problems.append(f"tensor {p} is {t.dtype}, expected torch.float32")
            else:
                out[p] = t.detach().contiguous().numpy().astype("<f4", copy=True)
    if problems and not decoder_only and all(p.startswith("missing tensor") and "(enc_" in p
                                             for p in problems):
        problems.append("only the encoder is missing: for a decoder alone, give --decoder-only")
    if problems:
        raise Refused(problems)
    return out


def vaew_bytes(tensors, dims, full, note):
    """A float32 version-1 file laid out as our writer does: header, table, note, then each tensor
    at the next multiple of 64 in table order, no trailing padding, CRC over the whole file."""
    names = [n for n in OURS if n in tensors] + [n for n in PRIOR if n in tensors]
    note_b = note.encode("utf-8")
    table_end = 64 + 64 * len(names)
    pos = table_end + len(note_b)
    records, blobs = [], []
    for name in names:
        a = tensors[name]
        pos = (pos + 63) // 64 * 64
        rank = a.ndim
        dim0, dim1 = a.shape[0], a.shape[1] if rank == 2 else 1
        records.append(name.encode("ascii").ljust(32, b"\0")
                       + np.array([1, rank, dim0, dim1, pos, a.nbytes, 0, 0], "<u4").tobytes())
        blobs.append((pos, a.tobytes()))
        pos += a.nbytes
    flags = (1 if full else 0) | (4 if "prior_logits" in tensors else 0)
    header = b"VAEW" + np.array(
        [1, 64, flags, dims["D"], dims["H"], dims["Z"], 0, len(names), 64,
         table_end if note_b else 0, len(note_b), pos, 0, 0, 0], "<u4").tobytes()
    f = bytearray(pos)
    f[0:64] = header
    f[64:table_end] = b"".join(records)
    f[table_end:table_end + len(note_b)] = note_b
    for off, blob in blobs:
        f[off:off + len(blob)] = blob
    f[52:56] = np.array([zlib.crc32(bytes(f))], "<u4").tobytes()
    return bytes(f)


def find_tool(flag_value, env, name):
    for candidate in (flag_value, os.environ.get(env),
                      os.path.join(ROOT, "build", "release", "apps", name, name), shutil.which(name)):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    fail_usage(f"cannot find {name}: build it (cmake --build --preset release) or give "
               f"--{name.replace('_', '-')} PATH")


def run_tool(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Refused([f"{os.path.basename(cmd[0])} failed on the converted file: "
                       f"{r.stderr.strip()}"])


def golden_latents(z):
    import torch
    g = torch.Generator().manual_seed(GOLDEN_SEED)
    lat = torch.randn(GOLDEN_COUNT - 1, z, generator=g, dtype=torch.float32)
    return torch.cat([torch.zeros(1, z), lat])


def torch_decode(z, w3, b3, w4, b4):
    """The examples VAE's decode(): sigmoid(fc4(relu(fc3(z)))), in PyTorch, float32."""
    import torch
    import torch.nn.functional as F
    t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in (w3, b3, w4, b4)]
    with torch.no_grad():
        return torch.sigmoid(F.linear(F.relu(F.linear(z, t[0], t[1])), t[2], t[3])).numpy()


def runtime_decode(vae_gen, weights, z, tmp):
    zpath, ppath = os.path.join(tmp, "golden_z.f32"), os.path.join(tmp, "golden_p.f32")
    z.numpy().astype("<f4").tofile(zpath)
    run_tool([vae_gen, weights, "--latent", zpath, "--out", ppath, "--quiet"])
    return np.fromfile(ppath, dtype="<f4").reshape(z.shape[0], 784)


def dequantized(path, layer):
    """(q * scale as float32, bias) of an int8 layer of our file, read with vae_reference."""
    b = open(path, "rb").read()
    _, tensors = vae_reference.parse_vaew(b)
    w = vae_reference.tensor_data(b, tensors, f"{layer}_w").astype(np.float32)
    s = vae_reference.tensor_data(b, tensors, f"{layer}_w.scale").astype(np.float32)
    bias = vae_reference.tensor_data(b, tensors, f"{layer}_b").astype(np.float32)
    return w * s[:, None], bias


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description="Convert a PyTorch state_dict (.pt/.pth) into a .vaew weight file, "
        "strictly, with a golden check of the decoder through vae_gen.")
    ap.add_argument("state_dict", help="input .pt/.pth: a state_dict or an nn.Module")
    ap.add_argument("out", help="output .vaew, written only when every check passes")
    ap.add_argument("--decoder-only", action="store_true",
                    help="write the decoder's tensors only (the encoder's may be absent)")
    ap.add_argument("--int8", action="store_true",
                    help="quantize the weights to int8 (vae_export --int8) and print the error")
    ap.add_argument("--map", metavar="JSON",
                    help="{\"their name\": \"our name\"} for models with other names "
                    "(default: the examples VAE's fc1..fc4, or ours, whichever the file uses)")
    ap.add_argument("--dims", default="784-400-20",
                    help="the model's D-H-Z; every tensor must fit it (default 784-400-20)")
    ap.add_argument("--note", help="the file's note (default: this command)")
    ap.add_argument("--vae-gen", help="vae_gen for the golden check (default: $VAE_GEN, "
                    "build/release, PATH)")
    ap.add_argument("--vae-export", help="vae_export for --int8 (default: $VAE_EXPORT, "
                    "build/release, PATH)")
    a = ap.parse_args(argv)
    dims = parse_dims(a.dims)
    vae_gen = find_tool(a.vae_gen, "VAE_GEN", "vae_gen")
    vae_export = find_tool(a.vae_export, "VAE_EXPORT", "vae_export") if a.int8 else None
    if import_torch(PROG) is None:
        return 1
    try:
        state = load_state_dict(a.state_dict)
        map_name, name_map = choose_map(state, a.map)
        tensors = convert(state, name_map, dims, a.decoder_only)
        note = a.note if a.note is not None else (
            f"vaew_from_torch.py {os.path.basename(a.state_dict)} (names: {map_name})"
            + (" --decoder-only" if a.decoder_only else "") + (" --int8" if a.int8 else ""))
        with tempfile.TemporaryDirectory(prefix="vaew_from_torch.") as tmp:
            f32 = os.path.join(tmp, "float32.vaew")
            with open(f32, "wb") as f:
                f.write(vaew_bytes(tensors, dims, not a.decoder_only, note))
            z = golden_latents(dims["Z"])
            want = torch_decode(z, tensors["dec_fc_w"], tensors["dec_fc_b"],
                                tensors["dec_out_w"], tensors["dec_out_b"])
            got = runtime_decode(vae_gen, f32, z, tmp)
            diff = float(np.max(np.abs(got.astype(np.float64) - want)))
            print(f"{PROG}: golden check (float32): largest difference {diff:.3g} between vae_gen "
                  f"and PyTorch over {z.shape[0]} latents x 784 pixels (tolerance {TOLERANCE:g})")
            if not diff <= TOLERANCE:
                raise Refused([f"golden check failed: the decoder differs from PyTorch's by "
                               f"{diff:.3g} > {TOLERANCE:g}"])
            result = f32
            if a.int8:
                result = os.path.join(tmp, "int8.vaew")
                cmd = [vae_export, f32, result, "--int8"]
                run_tool(cmd + (["--decoder-only"] if a.decoder_only else []))
                werr = 0.0
                deq = {}
                for layer in ("dec_fc", "dec_out"):
                    deq[layer] = dequantized(result, layer)
                    werr = max(werr, float(np.max(np.abs(deq[layer][0] - tensors[f"{layer}_w"]))))
                got8 = runtime_decode(vae_gen, result, z, tmp)
                qerr = float(np.max(np.abs(got8.astype(np.float64) - want)))
                want8 = torch_decode(z, *deq["dec_fc"], *deq["dec_out"])
                diff8 = float(np.max(np.abs(got8.astype(np.float64) - want8)))
                print(f"{PROG}: int8: largest quantization error {werr:.3g} in a decoder weight, "
                      f"{qerr:.3g} in a pixel against PyTorch's float32 decoder")
                print(f"{PROG}: golden check (int8): largest difference {diff8:.3g} between "
                      f"vae_gen and PyTorch on the dequantized weights (tolerance {TOLERANCE:g})")
                if not diff8 <= TOLERANCE:
                    raise Refused([f"golden check failed: the int8 decoder differs from PyTorch "
                                   f"on its dequantized weights by {diff8:.3g} > {TOLERANCE:g}"])
            parent = os.path.dirname(os.path.abspath(a.out))
            os.makedirs(parent, exist_ok=True)
            staged = os.path.join(parent, f".{os.path.basename(a.out)}.tmp")
            shutil.copyfile(result, staged)
            os.replace(staged, a.out)
    except Refused as e:
        for p in e.problems:
            print(f"{PROG}: {a.state_dict}: {p}", file=sys.stderr)
        print(f"{PROG}: {a.state_dict}: refused, nothing written", file=sys.stderr)
        return 1
    kind = ("int8" if a.int8 else "float32") + (" decoder-only" if a.decoder_only else " full")
    print(f"{PROG}: wrote {a.out} ({kind}, {dims['D']}-{dims['H']}-{dims['Z']}, names: "
          f"{map_name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
