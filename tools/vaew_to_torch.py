#!/usr/bin/python3
"""vaew_to_torch.py - export a .vaew weight file as a PyTorch state_dict in the names of the
PyTorch examples VAE, plus a short module file that loads it.

    /usr/bin/python3 tools/vaew_to_torch.py weights/mnist_vae.vaew mnist_vae.pt
    # writes mnist_vae.pt and mnist_vae.py; then, in Python:
    #   from mnist_vae import load; model = load()      # a torch.nn.Module, eval mode

The state_dict: fc1, fc21, fc22 (the encoder, in a full file), fc3, fc4 (the decoder), each
`.weight` (Out, In) and `.bias` (Out), float32, the values of the file bit for bit; an int8 file's
weights are dequantized (q * scale in float32, as docs/weights-format.md defines them), which is
said on stderr. A file's mixture prior goes in as the buffers prior_logits, prior_mu and
prior_logvar. tools/vaew_from_torch.py converts the result back: a float32 file comes back byte
for byte when given its note (--note).

The file is validated first (tools/vae_reference.py's parser: magic, CRC, table, shapes); a bad
file is one line on stderr and exit status 1. Needs /usr/bin/python3 with python3-torch
(scripts/install-deps --torch).

Not here: a second decoder layer (flag dec_hidden2), the classifier files.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vae_reference  # noqa: E402
from torch_import import import_torch  # noqa: E402

PROG = "vaew_to_torch.py"
LAYERS = [("fc1", "enc_fc"), ("fc21", "enc_mu"), ("fc22", "enc_logvar"), ("fc3", "dec_fc"),
          ("fc4", "dec_out")]
PRIOR = ["prior_logits", "prior_mu", "prior_logvar"]

MODULE = '''\
# {module} - written by tools/vaew_to_torch.py from {source}: the PyTorch examples VAE,
# {d}-{h}-{z}{kind}. `model = load()` is it with {state} loaded, in eval mode.
import os
import torch
import torch.nn.functional as F
from torch import nn


class VAE(nn.Module):
    def __init__(self, d={d}, h={h}, z={z}, encoder={encoder}, prior_k={k}):
        super().__init__()
        if encoder:  # x -> fc1 -> ReLU -> fc21 (mu), fc22 (log variance)
            self.fc1, self.fc21, self.fc22 = nn.Linear(d, h), nn.Linear(h, z), nn.Linear(h, z)
        self.fc3, self.fc4 = nn.Linear(z, h), nn.Linear(h, d)  # z -> fc3 -> ReLU -> fc4 -> sigmoid
        for name, shape in [("prior_logits", (prior_k,)), ("prior_mu", (prior_k, z)),
                            ("prior_logvar", (prior_k, z))][:3 if prior_k else 0]:
            self.register_buffer(name, torch.zeros(shape))  # the file's mixture prior

    def encode(self, x):
        h = F.relu(self.fc1(x.view(-1, self.fc1.in_features)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


def load(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "{state}")):
    model = VAE()
    model.load_state_dict(torch.load(path, map_location="cpu"))  # strict: every name and shape
    return model.eval()
'''


def fail(path, msg):
    print(f"{PROG}: {path}: {msg}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description="Export a .vaew weight file as a PyTorch state_dict in the "
        "examples VAE's names (fc1, fc21, fc22, fc3, fc4) and a module file that loads it.")
    ap.add_argument("weights", help="input .vaew, full or decoder-only, float32 or int8")
    ap.add_argument("out", help="output state_dict (.pt)")
    ap.add_argument("--module", help="the module file to write (default: OUT with .py)")
    a = ap.parse_args(argv)
    torch = import_torch(PROG)
    if torch is None:
        return 1
    try:
        b = open(a.weights, "rb").read()
    except OSError as e:
        fail(a.weights, e.strerror)
    try:
        h, tensors = vae_reference.parse_vaew(b)
    except vae_reference.BadFile as e:
        fail(a.weights, str(e))
    if h["flags"] & vae_reference.FLAG_HIDDEN2 or "cls_fc_w" in tensors:
        fail(a.weights, "not the examples VAE's architecture (a second decoder layer or a "
             "classifier)")
    d, hh, z = h["dim_x"], h["dim_h"], h["dim_z"]
    full = bool(h["flags"] & vae_reference.FLAG_ENCODER)
    dims = {"enc_fc": (hh, d), "enc_mu": (z, hh), "enc_logvar": (z, hh), "dec_fc": (hh, z),
            "dec_out": (d, hh)}
    state = {}
    quantized = []
    for theirs, ours in LAYERS:
        if ours.startswith("enc_") and not full:
            continue
        for kind, suffix in (("weight", "_w"), ("bias", "_b")):
            name = ours + suffix
            if name not in tensors:
                fail(a.weights, f"missing_tensor: tensor {name} is missing")
            t = tensors[name]
            want = dims[ours] if kind == "weight" else (dims[ours][0], 1)
            if (t[2], t[3]) != want or (kind == "weight") != (t[1] == 2):
                fail(a.weights, f"bad_shape: tensor {name} has shape ({t[2]}, {t[3]}), expected "
                     f"{want}")
            values = vae_reference.tensor_data(b, tensors, name)
            if t[0] == vae_reference.DTYPE_I8:
                if f"{name}.scale" not in tensors:
                    fail(a.weights, f"missing_tensor: int8 tensor {name} has no {name}.scale")
                scale = vae_reference.tensor_data(b, tensors, f"{name}.scale").astype(np.float32)
                values = values.astype(np.float32) * scale[:, None]
                quantized.append(name)
            state[f"{theirs}.{kind}"] = torch.from_numpy(np.array(values, dtype=np.float32))
    k = 0
    if all(p in tensors for p in PRIOR):
        for p in PRIOR:
            state[p] = torch.from_numpy(np.array(vae_reference.tensor_data(b, tensors, p),
                                                 dtype=np.float32))
        k = int(state["prior_logits"].shape[0])
    if quantized:
        print(f"{PROG}: {a.weights}: int8 weights dequantized to float32 (q * scale): "
              f"{', '.join(quantized)}", file=sys.stderr)
    torch.save(state, a.out)
    module = a.module or os.path.splitext(a.out)[0] + ".py"
    with open(module, "w", encoding="utf-8") as f:
        f.write(MODULE.format(module=os.path.basename(module), source=os.path.basename(a.weights),
                              d=d, h=hh, z=z, encoder=full, k=k,
                              kind="" if full else ", decoder only",
                              state=os.path.basename(a.out)))
    print(f"{PROG}: wrote {a.out} ({len(state)} tensors, {d}-{hh}-{z}, "
          f"{'full' if full else 'decoder-only'}) and {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
