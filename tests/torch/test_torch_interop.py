#!/usr/bin/python3
"""test_torch_interop.py - tools/vaew_from_torch.py and tools/vaew_to_torch.py against PyTorch
and our runtime (issue 18). One case per ctest test (tests/torch/CMakeLists.txt):

    test_torch_interop.py CASE SOURCE_DIR VAE_GEN VAE_EXPORT WORK_DIR

  torch_roundtrip   a state_dict of the examples VAE -> .vaew -> state_dict: every tensor bit for
                    bit, same names, order and dtype (full and decoder-only); the exported module
                    file loads it strictly and its decode() equals vae_gen's within 1e-5
  vaew_roundtrip    the shipped float32 files -> state_dict -> .vaew: byte for byte given the
                    note, and apart from the note (tensors, dims, flags) with the default note
  int8              --int8 --decoder-only: an int8 decoder-only file that vae_gen reads, the
                    quantization error and both golden differences printed
  strict            every refusal: a renamed, missing, unknown, transposed, mis-shaped (784-400-10
                    given as 784-400-20), float64 or non-finite tensor, a partial prior, not a
                    state_dict, a --map naming none of ours, and a golden check that fails (a
                    vae_gen that is 1e-4 off): exit status 1, the tensor's name on stderr, no file

Prints what it checks; exits 1 with "FAIL: ..." on the first failure. PyTorch is required (the
test fails, never skips, without it: scripts/install-deps --torch).
"""

import os
import subprocess
import sys

import numpy as np

try:
    import torch
except ImportError:
    sys.exit("FAIL: python3-torch is missing: run scripts/install-deps --torch")

CASE, SRC, VAE_GEN, VAE_EXPORT, WORK = sys.argv[1:6]
sys.path.insert(0, os.path.join(SRC, "tools"))
import vae_reference  # noqa: E402

PY = sys.executable
FROM = os.path.join(SRC, "tools", "vaew_from_torch.py")
TO = os.path.join(SRC, "tools", "vaew_to_torch.py")
TOOLS = ["--vae-gen", VAE_GEN, "--vae-export", VAE_EXPORT]
os.makedirs(WORK, exist_ok=True)


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"ok: {msg}")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    print(f"$ {' '.join(os.path.basename(c) if i < 2 else c for i, c in enumerate(cmd))} -> "
          f"{r.returncode}\n{r.stdout}{r.stderr}", end="")
    return r


def path(name):
    return os.path.join(WORK, name)


def examples_state(seed=1, h=400, z=20):
    """A state_dict of the examples VAE with random (nn.Linear's default) weights."""
    torch.manual_seed(seed)
    layers = [("fc1", 784, h), ("fc21", h, z), ("fc22", h, z), ("fc3", z, h), ("fc4", h, 784)]
    state = {}
    for name, fan_in, fan_out in layers:
        lin = torch.nn.Linear(fan_in, fan_out)
        state[f"{name}.weight"] = lin.weight.detach().clone()
        state[f"{name}.bias"] = lin.bias.detach().clone()
    return state


def save(state, name):
    torch.save(state, path(name))
    return path(name)


def note_of(b):
    h, _ = vae_reference.parse_vaew(b)
    return b[h["note_offset"]:h["note_offset"] + h["note_size"]]


def case_torch_roundtrip():
    for decoder_only in (False, True):
        tag = "dec" if decoder_only else "full"
        state = examples_state(seed=3)
        src = save(state, f"rt_{tag}.pth")
        extra = ["--decoder-only"] if decoder_only else []
        r = run([PY, FROM, src, path(f"rt_{tag}.vaew")] + extra + TOOLS)
        check(r.returncode == 0 and "largest difference" in r.stdout,
              f"{tag}: converted, golden difference printed")
        r = run([PY, TO, path(f"rt_{tag}.vaew"), path(f"rt_{tag}_back.pt")])
        check(r.returncode == 0, f"{tag}: exported back")
        back = torch.load(path(f"rt_{tag}_back.pt"))
        want = {k: v for k, v in state.items() if not (decoder_only and k[:3] in ("fc1", "fc2"))}
        check(list(back) == list(want), f"{tag}: same names in the same order: {list(back)}")
        for k in want:
            same = (back[k].dtype == want[k].dtype and back[k].shape == want[k].shape
                    and torch.equal(back[k], want[k]) and back[k].numpy().tobytes()
                    == want[k].numpy().tobytes())
            check(same, f"{tag}: {k} bit for bit")
    # The module file: loads strictly, decodes as vae_gen does.
    sys.path.insert(0, WORK)
    import rt_full_back  # noqa: E402  (written by vaew_to_torch.py)
    model = rt_full_back.load()
    z = torch.randn(5, 20, generator=torch.Generator().manual_seed(7))
    z.numpy().astype("<f4").tofile(path("rt_z.f32"))
    r = run([VAE_GEN, path("rt_full.vaew"), "--latent", path("rt_z.f32"), "--out",
             path("rt_p.f32"), "--quiet"])
    got = np.fromfile(path("rt_p.f32"), "<f4").reshape(5, 784)
    with torch.no_grad():
        want = model.decode(z).numpy()
    diff = float(np.max(np.abs(got - want)))
    check(r.returncode == 0 and diff <= 1e-5,
          f"the exported module's decode() matches vae_gen: largest difference {diff:.3g}")
    check(isinstance(model.fc1, torch.nn.Linear) and not model.training,
          "the module file gives an nn.Module in eval mode")


def case_vaew_roundtrip():
    for name in ("mnist_vae.vaew", "mnist_ae.vaew"):
        orig_path = os.path.join(SRC, "weights", name)
        orig = open(orig_path, "rb").read()
        stem = path(name[:-5])
        r = run([PY, TO, orig_path, stem + ".pt"])
        check(r.returncode == 0, f"{name}: exported")
        note = note_of(orig).decode("utf-8")
        r = run([PY, FROM, stem + ".pt", stem + "_back.vaew", "--note", note] + TOOLS)
        check(r.returncode == 0, f"{name}: converted back")
        back = open(stem + "_back.vaew", "rb").read()
        check(back == orig, f"{name}: byte for byte with its note ({len(back)} bytes)")
        r = run([PY, FROM, stem + ".pt", stem + "_back2.vaew"] + TOOLS)
        b2 = open(stem + "_back2.vaew", "rb").read()
        h1, t1 = vae_reference.parse_vaew(orig)
        h2, t2 = vae_reference.parse_vaew(b2)
        same_header = all(h1[k] == h2[k] for k in ("flags", "dim_x", "dim_h", "dim_z", "dim_h2",
                                                    "tensor_count"))
        same_tensors = list(t1) == list(t2) and all(
            t1[n][:4] == t2[n][:4]
            and orig[t1[n][4]:t1[n][4] + t1[n][5]] == b2[t2[n][4]:t2[n][4] + t2[n][5]]
            for n in t1)
        check(r.returncode == 0 and same_header and same_tensors and note_of(b2) != note_of(orig),
              f"{name}: with the default note, identical apart from the note")
        # The byte comparison can fail: a changed tensor byte is a different file.
        state = torch.load(stem + ".pt")
        state["fc4.bias"][0] = torch.nextafter(state["fc4.bias"][0], torch.tensor(1.0))
        torch.save(state, stem + "_bumped.pt")
        run([PY, FROM, stem + "_bumped.pt", stem + "_bumped.vaew", "--note", note] + TOOLS)
        check(open(stem + "_bumped.vaew", "rb").read() != orig,
              f"{name}: one ulp in fc4.bias makes a different file")


def case_int8():
    src = save(examples_state(seed=5), "i8.pth")
    r = run([PY, FROM, src, path("i8.vaew"), "--int8", "--decoder-only"] + TOOLS)
    check(r.returncode == 0, "--int8 --decoder-only converted")
    check("largest quantization error" in r.stdout and "golden check (int8): largest difference"
          in r.stdout and "golden check (float32): largest difference" in r.stdout,
          "the quantization error and both golden differences printed")
    b = open(path("i8.vaew"), "rb").read()
    h, t = vae_reference.parse_vaew(b)
    check(h["flags"] & vae_reference.FLAG_INT8 and not h["flags"] & vae_reference.FLAG_ENCODER,
          "flags: int8, decoder-only")
    check(sorted(t) == sorted(["dec_fc_w", "dec_fc_w.scale", "dec_fc_b", "dec_out_w",
                               "dec_out_w.scale", "dec_out_b"]),
          f"the decoder's int8 tensors and their scales: {list(t)}")
    r = run([VAE_GEN, path("i8.vaew"), "--count", "2", "--quiet", "--out", path("i8.idx")])
    check(r.returncode == 0, "vae_gen generates from it")


def expect_refused(name, state_or_path, needles, extra=()):
    src = state_or_path if isinstance(state_or_path, str) else save(state_or_path, name + ".pth")
    out = path(name + ".vaew")
    if os.path.exists(out):
        os.remove(out)
    r = run([PY, FROM, src, out] + list(extra) + TOOLS)
    check(r.returncode == 1, f"{name}: refused with exit status 1")
    for needle in needles:
        check(needle in r.stderr, f"{name}: stderr names {needle!r}")
    check("nothing written" in r.stderr and not os.path.exists(out), f"{name}: no file written")


def case_strict():
    s = examples_state()
    s["fc2.weight"] = s.pop("fc21.weight")
    expect_refused("renamed", s, ["unknown tensor fc2.weight", "missing tensor fc21.weight"])
    s = examples_state()
    del s["fc22.bias"]
    expect_refused("missing", s, ["missing tensor fc22.bias"])
    s = examples_state()
    s["fc5.weight"] = torch.zeros(3, 3)
    expect_refused("unknown", s, ["unknown tensor fc5.weight"])
    s = examples_state()
    s["fc4.weight"] = s["fc4.weight"].t().contiguous()
    expect_refused("transposed", s, ["tensor fc4.weight (dec_out_w) has shape (400, 784)",
                                     "transposed"])
    expect_refused("latent10", examples_state(z=10),
                   ["tensor fc21.weight (enc_mu_w) has shape (10, 400), expected (20, 400)",
                    "fc22.weight", "fc3.weight"])
    expect_refused("latent10_decoder", {k: v for k, v in examples_state(z=10).items()
                                        if k.startswith(("fc3", "fc4"))},
                   ["tensor fc3.weight (dec_fc_w) has shape (400, 10)"], ["--decoder-only"])
    expect_refused("hidden512", examples_state(h=512), ["tensor fc1.weight", "fc1.bias"])
    s = examples_state()
    s["fc3.bias"] = s["fc3.bias"][:399].clone()
    expect_refused("short_bias", s, ["tensor fc3.bias (dec_fc_b) has shape (399,)"])
    s = examples_state()
    s["fc3.weight"] = s["fc3.weight"].double()
    expect_refused("float64", s, ["tensor fc3.weight (dec_fc_w) is torch.float64"])
    s = examples_state()
    s["fc4.bias"][17] = float("nan")
    expect_refused("nan", s, ["tensor fc4.bias (dec_out_b) holds a value that is not finite"])
    s = examples_state()
    s["prior_mu"] = torch.zeros(4, 20)
    expect_refused("partial_prior", s, ["missing tensor prior_logits"])
    s = {k: v for k, v in examples_state().items() if k.startswith(("fc3", "fc4"))}
    expect_refused("decoder_without_flag", s, ["missing tensor fc1.weight",
                                               "missing tensor fc22.bias",
                                               "give --decoder-only"])
    torch.save({"epoch": 3, "model": examples_state()}, path("checkpoint.pth"))
    expect_refused("not_state_dict", path("checkpoint.pth"), ["not a tensor: not a state_dict"])
    with open(path("garbage.pth"), "wb") as f:
        f.write(b"not a pickle")
    expect_refused("garbage", path("garbage.pth"), ["cannot read it as a PyTorch file"])
    # Other names need --map; with one, the same model converts.
    s = {k.replace("fc", "layer"): v for k, v in examples_state().items()}
    expect_refused("other_names", s, ["unknown tensor layer1.weight", "give --map"])
    with open(path("map.json"), "w") as f:
        f.write('{"layer1.weight": "enc_fc_w", "layer1.bias": "enc_fc_b", '
                '"layer21.weight": "enc_mu_w", "layer21.bias": "enc_mu_b", '
                '"layer22.weight": "enc_logvar_w", "layer22.bias": "enc_logvar_b", '
                '"layer3.weight": "dec_fc_w", "layer3.bias": "dec_fc_b", '
                '"layer4.weight": "dec_out_w"}')
    expect_refused("map_missing", s, ["missing tensor dec_out_b"], ["--map", path("map.json")])
    with open(path("map.json"), "w") as f:
        f.write('{"layer1.weight": "enc_fc_w", "layer1.bias": "enc_fc_b", '
                '"layer21.weight": "enc_mu_w", "layer21.bias": "enc_mu_b", '
                '"layer22.weight": "enc_logvar_w", "layer22.bias": "enc_logvar_b", '
                '"layer3.weight": "dec_fc_w", "layer3.bias": "dec_fc_b", '
                '"layer4.weight": "dec_out_w", "layer4.bias": "dec_out_b"}')
    r = run([PY, FROM, save(s, "mapped.pth"), path("mapped.vaew"), "--map", path("map.json")]
            + TOOLS)
    check(r.returncode == 0, "--map: the renamed model converts")
    with open(path("badmap.json"), "w") as f:
        f.write('{"layer1.weight": "encoder_w"}')
    r = run([PY, FROM, path("mapped.pth"), path("badmap.vaew"), "--map", path("badmap.json")]
            + TOOLS)
    check(r.returncode == 2 and "encoder_w is not one of our tensor names" in r.stderr,
          "--map naming none of ours is a usage error")
    # The golden check can fail: a vae_gen whose probabilities are 1e-4 off is caught.
    fake = path("vae_gen_off")
    with open(fake, "w") as f:
        f.write(f"""#!/bin/sh
"{VAE_GEN}" "$@" || exit $?
# called as: WEIGHTS --latent Z --out P --quiet; P is $5
exec "{PY}" -c "
import sys, numpy as np
a = np.fromfile(sys.argv[1], '<f4'); a[100] += np.float32(1e-4); a.tofile(sys.argv[1])" "$5"
""")
    os.chmod(fake, 0o755)
    src = save(examples_state(), "golden.pth")
    r = run([PY, FROM, src, path("golden.vaew"), "--vae-gen", fake])
    check(r.returncode == 1 and "golden check failed" in r.stderr
          and not os.path.exists(path("golden.vaew")), "a golden difference of 1e-4 is refused")


CASES = {"torch_roundtrip": case_torch_roundtrip, "vaew_roundtrip": case_vaew_roundtrip,
         "int8": case_int8, "strict": case_strict}

if __name__ == "__main__":
    if CASE not in CASES:
        fail(f"unknown case {CASE} ({', '.join(CASES)})")
    CASES[CASE]()
    print(f"test_torch_interop.py {CASE}: all checks passed")
