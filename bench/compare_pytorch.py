#!/usr/bin/python3
"""Side-by-side training speed: the identical model in PyTorch and in this project, same run.

This is how anyone checks the speed claim of issue 7. It trains the same 784-400-20 model with
the same batch, optimizer, thread count and in-memory data in PyTorch and in our trainer, and
times whole 60,000-image epochs of both, ALTERNATING in one run (PyTorch default epoch, PyTorch
fastest epoch, our epoch, ...), so that all see the same machine and the same background load.

Run it through the wrapper, which builds bench_train first (release preset):

    scripts/compare-pytorch                      # 2 threads, 3 epochs, modes vae,ae-late
    scripts/compare-pytorch --threads 1 --epochs 5
    /usr/bin/python3 bench/compare_pytorch.py --bench build/release/bench/bench_train

It needs Debian's python3-torch, hence /usr/bin/python3 rather than whatever python3 is first on
PATH. Without torch it says so and exits 0.

Options (defaults in brackets):
  --threads T       threads for both sides [2]: `bench_train --threads T`, and for PyTorch
                    torch.set_num_threads(T) with OMP_NUM_THREADS=T, plus the OpenBLAS thread
                    count and OpenMP wait policy of --torch-config.
  --torch-config C  the "fastest" PyTorch configuration [best]. Every run times PyTorch twice,
                    alternating with ours: "default" is torch as users run it (this process's
                    environment, torch.set_num_threads(T)); "fastest" is the best configuration
                    of its threads and kernels. Debian's torch does its matrix products in
                    OpenBLAS (pthreads build), whose threads torch.set_num_threads does not
                    govern; and libgomp's threads spin between parallel regions. With OpenBLAS at
                    T threads (its default here) and spinning OpenMP threads, the two pools fight
                    over the cores. And OpenBLAS 0.3.21 runs its SSE3 fallback kernels on CPUs it
                    does not know (Intel family 6 model 207 among them), where our library
                    selects the CPU's kernels (vae/blas.hpp). So by default the script measures
                    PyTorch in each configuration first (a child process per configuration,
                    20 + 100 steps on random data) and uses the fastest:
                      user                 the default, as above
                      blas=B,wait=W,core=C OPENBLAS_NUM_THREADS=B (1 or T), OMP_WAIT_POLICY=W
                                           (default: unset, i.e. libgomp's spin-then-sleep;
                                           passive), OPENBLAS_CORETYPE=C (default: unset; or the
                                           kernels our library selected, when it did)
                    The choice and the calibration are printed.
  --epochs N        timed epochs per side and mode [3].
  --modes LIST      comma-separated, run in this order [vae,ae-late]:
                      vae      MSE + KL (beta 1, the write-up's VAE and bench_train's fresh
                               state), both from a fresh initialization;
                      ae       MSE only (beta 0, the autoencoder), fresh;
                      ae-late  MSE only, both resumed from the SAME state: the parameters, Adam
                               moments and step count of the vae_train checkpoint --ae-late,
                               read here by a small reader of the checkpoint format
                               (include/vae/checkpoint.hpp). Subnormal floats show up in this
                               state; see --torch-ftz.
  --ae-late CKPT    the late autoencoder checkpoint [reports/ae/checkpoint.vaeckpt, which
                    `scripts/run train` writes after 50 epochs]; ae-late is skipped with a
                    note when it is missing.
  --warm N          untimed training steps of each side before its first timed epoch [20].
  --torch-ftz       torch.set_flush_denormal(True) for PyTorch too. Off by default: that is
                    PyTorch as users run it. Our library always flushes (FTZ/DAZ).
  --bench PATH      the bench_train binary [build/release/bench/bench_train].
  --data DIR        MNIST IDX files [data/mnist].
  --json FILE       also write every figure as JSON.

What is timed, on each side, is one epoch and nothing else (each side is a child process that
keeps its model for the whole mode, so the three alternate on the same machine state):
  PyTorch   torch.randperm, then 469 batches of `x = data[idx]` (a gather from a float32
            tensor (60000, 784) already in memory), forward, loss, zero_grad(set_to_none=True),
            backward, Adam step and loss.item(), between two time.perf_counter() calls.
  ours      `bench_train --serve` is started once per mode and keeps its model; the "epoch"
            command runs Trainer::train_epoch (shuffle, stage uint8 pixels to float, 469 steps)
            between two steady_clock reads inside that process and prints the seconds. The
            pipe round trip is outside the timed region.
Warm caches for both: each side trains --warm steps before its first timed epoch, and both
processes stay alive for the whole mode. While one side runs, the other waits on a pipe.

The PyTorch model (identical to include/vae/vae.hpp):
  enc_fc Linear(784, 400) + ReLU -> enc_mu Linear(400, 20), enc_logvar Linear(400, 20)
  z = mu + eps * exp(logvar / 2), eps = randn
  dec_fc Linear(20, 400) + ReLU -> dec_out Linear(400, 784) = logits, xhat = sigmoid(logits)
  recon: BCE  binary_cross_entropy_with_logits(logits, x, reduction='sum') (stable, from the
              logits, as ours computes it), or MSE  sum((xhat - x)^2)
  kl = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)); loss = recon + beta * kl (beta 0 for the AE:
  the KL is still computed and differentiated, as ours does)
  torch.optim.Adam(lr=1e-3), PyTorch 1.13's defaults otherwise. Data: pixels / 255 as float32.

Output: one line per epoch pair (seconds of each, the ratio PyTorch / ours, and both mean losses
per image as a sanity check that the same problem is being solved), then the medians and the
median of the per-epoch ratios, which is the headline figure. The load average before and after
each mode is printed: figures taken under load are not worth much.
"""

import argparse
import json
import os
import platform
import struct
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
D, H, Z, BATCH = 784, 400, 20, 128
PARAM_SHAPES = [  # the C++ flat parameter block, in order; weights (out, in) as nn.Linear
    ("enc_fc", (H, D)), ("enc_mu", (Z, H)), ("enc_logvar", (Z, H)),
    ("dec_fc", (H, Z)), ("dec_out", (D, H)),
]


def parse_args():
    p = argparse.ArgumentParser(
        description="Time PyTorch and bench_train epochs of the same model, alternating.")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--modes", default="vae,ae-late")
    p.add_argument("--ae-late", default=os.path.join(ROOT, "reports/ae/checkpoint.vaeckpt"))
    p.add_argument("--warm", type=int, default=20)
    p.add_argument("--torch-ftz", action="store_true")
    p.add_argument("--bench", default=os.path.join(ROOT, "build/release/bench/bench_train"))
    p.add_argument("--data", default=os.path.join(ROOT, "data/mnist"))
    p.add_argument("--json", default="")
    p.add_argument("--torch-config", default="best")
    p.add_argument("--calibrate-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--torch-serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--recon", default="mse", help=argparse.SUPPRESS)
    p.add_argument("--beta", type=float, default=1.0, help=argparse.SUPPRESS)
    p.add_argument("--resume", default="", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.threads < 1 or a.epochs < 1 or a.warm < 0:
        p.error("--threads and --epochs must be >= 1, --warm >= 0")
    a.modes = [m for m in a.modes.split(",") if m]
    for m in a.modes:
        if m not in ("vae", "ae", "ae-late"):
            p.error(f"--modes: unknown mode '{m}' (vae, ae, ae-late)")
    return a


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def read_idx_images(path):
    """MNIST IDX3 images as a (count, rows*cols) uint8 numpy array."""
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = struct.unpack_from(">IIII", data, 0)
    if magic != 2051 or len(data) != 16 + count * rows * cols:
        sys.exit(f"compare_pytorch: {path}: not an IDX3 image file of the expected size")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def read_checkpoint(path):
    """The state of a vae_train checkpoint (format version 1, include/vae/checkpoint.hpp)."""
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 100 or data[:8] != b"VAECKPT\0":
        sys.exit(f"compare_pytorch: {path}: not a vae_train checkpoint (magic)")
    (version, header_bytes, dim_x, dim_h, dim_z, epochs_done, num_params, adam_t, _rng_state,
     _rng_inc, rows, cols, settings_bytes, file_bytes) = struct.unpack_from("<IIIIIIQqQQIIQQ", data, 8)
    if version != 1 or header_bytes != 96:
        sys.exit(f"compare_pytorch: {path}: checkpoint version {version}, this script reads version 1")
    if file_bytes != len(data):
        sys.exit(f"compare_pytorch: {path}: truncated: header says {file_bytes} bytes, file has {len(data)}")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        sys.exit(f"compare_pytorch: {path}: CRC mismatch")
    if (dim_x, dim_h, dim_z) != (D, H, Z):
        sys.exit(f"compare_pytorch: {path}: a {dim_x}-{dim_h}-{dim_z} model; expected {D}-{H}-{Z}")
    P = num_params
    arrays = np.frombuffer(data, dtype="<f4", count=3 * P, offset=96).reshape(3, P)
    settings_at = 96 + 12 * P + rows * cols * 8
    settings = json.loads(data[settings_at:settings_at + settings_bytes].decode("utf-8"))
    return dict(params=arrays[0], adam_m=arrays[1], adam_v=arrays[2], adam_t=adam_t,
                epochs_done=epochs_done, settings=settings)


class OurTrainer:
    """bench_train --serve: one model in a child process, an epoch per command."""

    def __init__(self, bench, data, threads, ae, resume):
        cmd = [bench, "--serve", "--threads", str(threads), "--data", data]
        if ae:
            cmd.append("--ae")
        if resume:
            cmd += ["--resume", resume]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.ready = self._reply()

    def _reply(self):
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"compare_pytorch: bench_train --serve exited (status {self.proc.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            sys.exit("compare_pytorch: bench_train: " + reply["error"])
        return reply

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()


def torch_side(torch, args):
    """The PyTorch model, loss and epoch loop (see the module docstring)."""
    nn, F = torch.nn, torch.nn.functional

    class Vae(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc_fc = nn.Linear(D, H)
            self.enc_mu = nn.Linear(H, Z)
            self.enc_logvar = nn.Linear(H, Z)
            self.dec_fc = nn.Linear(Z, H)
            self.dec_out = nn.Linear(H, D)

        def forward(self, x):
            h1 = torch.relu(self.enc_fc(x))
            mu, logvar = self.enc_mu(h1), self.enc_logvar(h1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = self.dec_out(torch.relu(self.dec_fc(z)))
            return logits, mu, logvar

    def loss_fn(logits, x, mu, logvar, recon, beta):
        if recon == "bce":
            r = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        else:
            r = ((torch.sigmoid(logits) - x) ** 2).sum()
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return r + beta * kl

    class Side:
        def __init__(self, data, recon, beta, state):
            torch.manual_seed(1)
            self.model = Vae()
            self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
            self.recon, self.beta, self.data = recon, beta, data
            self.epoch = 0
            self.batch_at = 0
            if state is not None:
                self.load(state)

        def load(self, st):
            at = 0
            for name, (rows, cols) in PARAM_SHAPES:
                lin = getattr(self.model, name)
                for p, n, shape in ((lin.weight, rows * cols, (rows, cols)), (lin.bias, rows, (rows,))):
                    with torch.no_grad():
                        p.copy_(torch.from_numpy(st["params"][at:at + n].copy()).reshape(shape))
                    self.opt.state[p] = {
                        "step": torch.tensor(float(st["adam_t"])),
                        "exp_avg": torch.from_numpy(st["adam_m"][at:at + n].copy()).reshape(shape),
                        "exp_avg_sq": torch.from_numpy(st["adam_v"][at:at + n].copy()).reshape(shape),
                    }
                    at += n
            assert at == len(st["params"])
            self.epoch = st["epochs_done"]

        def step(self, x):
            logits, mu, logvar = self.model(x)
            loss = loss_fn(logits, x, mu, logvar, self.recon, self.beta)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            return loss.item()

        def warm(self, steps):
            n = self.data.shape[0]
            for _ in range(steps):
                idx = torch.arange(self.batch_at, self.batch_at + BATCH) % n
                self.batch_at += BATCH
                self.step(self.data[idx])

        def train_epoch(self):
            """Seconds and mean loss per image of one shuffled epoch (the timed region)."""
            n = self.data.shape[0]
            t0 = time.perf_counter()
            perm = torch.randperm(n)
            total = 0.0
            for first in range(0, n, BATCH):
                total += self.step(self.data[perm[first:first + BATCH]])
            seconds = time.perf_counter() - t0
            self.epoch += 1
            return seconds, total / n

    return Side


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def torch_env(threads, config):
    """The environment of one PyTorch configuration: 'user' (this process's environment, as users
    run torch) or 'blas=B,wait=W,core=C'."""
    env = dict(os.environ)
    if config == "user":
        return env
    fields = dict(kv.split("=", 1) for kv in config.split(","))
    env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=fields["blas"])
    env.pop("OMP_WAIT_POLICY", None)
    if fields["wait"] == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    env.pop("OPENBLAS_CORETYPE", None)
    if fields.get("core", "default") != "default":
        env["OPENBLAS_CORETYPE"] = fields["core"]
    return env


def torch_configs(threads, core):
    """Every configuration the calibration tries; core is the OpenBLAS kernels our library selects
    where OpenBLAS's own choice is an SSE fallback (vae/blas.hpp), else None."""
    blas = sorted({1, threads})
    waits = ["default", "passive"] if threads > 1 else ["default"]
    cores = ["default"] + ([core] if core else [])
    return ["user"] + [f"blas={b},wait={w},core={c}" for c in cores for b in blas for w in waits]


def openblas_corename():
    """The kernels of the OpenBLAS loaded in this process (torch's, once torch is imported)."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


def calibrate_child(threads):
    """--calibrate-child: ms per step of the fresh MSE + KL model on random data; prints it."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    Side = torch_side(torch, None)
    side = Side(torch.rand(4096, D), "mse", 1.0, None)
    side.warm(20)
    t0 = time.perf_counter()
    side.warm(100)
    print(f"{(time.perf_counter() - t0) * 10:.3f}")
    return 0


def choose_torch_config(args, core):
    """The fastest PyTorch configuration for args.threads threads, measured now."""
    results = []
    for config in torch_configs(args.threads, core):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--calibrate-child",
                            "--threads", str(args.threads)], env=torch_env(args.threads, config),
                           capture_output=True, text=True)
        if r.returncode != 0 or not r.stdout.strip():
            sys.exit(f"compare_pytorch: PyTorch calibration ({config}) failed: {r.stderr.strip()}")
        results.append((float(r.stdout.split()[-1]), config))
    return min(results)[1], results


def mode_settings(mode, args):
    """(recon, beta, checkpoint or None, title) of a mode, or None when it is skipped."""
    if mode == "vae":
        return "mse", 1.0, None, "vae: MSE + KL (the write-up's VAE), fresh initialization"
    if mode == "ae":
        return "mse", 0.0, None, "ae: MSE only (autoencoder), fresh initialization"
    if not os.path.isfile(args.ae_late):
        print(f"\nae-late: skipped, no checkpoint {args.ae_late} (scripts/run train writes "
              "reports/ae/checkpoint.vaeckpt after 50 autoencoder epochs)")
        return None
    state = read_checkpoint(args.ae_late)
    s = state["settings"]
    if s.get("loss") != "mse" or float(s.get("beta", -1)) != 0.0:
        sys.exit(f"compare_pytorch: {args.ae_late}: not an autoencoder run (loss "
                 f"{s.get('loss')}, beta {s.get('beta')})")
    shown = os.path.relpath(args.ae_late, ROOT)
    shown = args.ae_late if shown.startswith("..") else shown
    return "mse", 0.0, args.ae_late, (f"ae-late: MSE only, all resumed from {shown} "
                                      f"(epoch {state['epochs_done']}: parameters and Adam state)")


def torch_serve(args):
    """--torch-serve: PyTorch's side of one mode in this process (its environment is one
    configuration's); commands on stdin as bench_train --serve: warm N, epoch, quit."""
    import torch
    torch.set_num_threads(args.threads)
    if args.torch_ftz:
        torch.set_flush_denormal(True)
    pixels = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte"))
    data = torch.from_numpy(pixels.astype("float32") / 255.0)   # (60000, 784) in memory
    state = read_checkpoint(args.resume) if args.resume else None
    side = torch_side(torch, args)(data, args.recon, args.beta, state)

    def reply(obj):
        print(json.dumps(obj), flush=True)
    reply(dict(ready=True, threads=torch.get_num_threads(), openblas_kernels=openblas_corename()))
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "warm":
            side.warm(int(cmd[1]))
            reply(dict(warm=int(cmd[1])))
        elif cmd[0] == "epoch":
            seconds, loss = side.train_epoch()
            reply(dict(epoch=side.epoch, seconds=seconds, loss=loss))
        else:
            reply(dict(error=f"unknown command '{cmd[0]}' (warm N, epoch, quit)"))
    return 0


class TorchServer(OurTrainer):
    """PyTorch in a child process with one configuration's environment, an epoch per command."""

    def __init__(self, args, config, recon, beta, resume):
        cmd = [sys.executable, os.path.abspath(__file__), "--torch-serve", "--threads",
               str(args.threads), "--data", args.data, "--recon", recon, "--beta", str(beta)]
        if resume:
            cmd += ["--resume", resume]
        if args.torch_ftz:
            cmd.append("--torch-ftz")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1, env=torch_env(args.threads, config))
        self.ready = self._reply()


def main():
    args = parse_args()
    if args.calibrate_child:
        return calibrate_child(args.threads)
    if args.torch_serve:
        return torch_serve(args)
    try:
        import numpy  # noqa: F401
        import torch
    except ImportError as e:
        print(f"compare_pytorch: PyTorch (or numpy) is not installed for {sys.executable} ({e}); "
              "nothing to compare. On Debian: apt-get install python3-torch, and run this script "
              "with /usr/bin/python3 (scripts/compare-pytorch does).")
        return 0
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"compare_pytorch: {args.bench} is not built; scripts/compare-pytorch builds it "
                 "(cmake --build --preset release --target bench_train)")
    # The kernels our library runs: where OpenBLAS's own choice is an SSE fallback, the library
    # selects the CPU's (vae/blas.hpp), and torch may be given the same through OPENBLAS_CORETYPE.
    probe = OurTrainer(args.bench, args.data, args.threads, False, None)
    our_kernels = probe.ready.get("openblas_kernels", "unknown")
    probe.close()
    core = our_kernels.split()[0] if "chose" in our_kernels else None
    calibration = []
    if args.torch_config == "best":
        args.torch_config, calibration = choose_torch_config(args, core)
    elif args.torch_config not in torch_configs(args.threads, core):
        sys.exit(f"compare_pytorch: --torch-config: expected best or one of "
                 f"{', '.join(torch_configs(args.threads, core))}")
    configs = {"default": "user"}
    if args.torch_config != "user":
        configs["fastest"] = args.torch_config

    print(f"compare_pytorch: 784-400-20, batch {BATCH}, Adam lr 1e-3, 60000 images in memory, "
          f"{args.threads} thread{'s' if args.threads > 1 else ''} on each side")
    print(f"machine: {cpu_model()}, {os.cpu_count()} hardware threads; torch {torch.__version__} "
          f"(flush denormals {'on' if args.torch_ftz else 'off'}); ours: {args.bench}, "
          f"OpenBLAS kernels {our_kernels}")
    print(f"PyTorch default: torch.set_num_threads({args.threads}) in this environment, as users "
          f"run it; fastest: {configs.get('fastest', 'the default')}")
    if calibration:
        print("PyTorch configurations, ms per step (fresh VAE, random data): " +
              ", ".join(f"{c} {ms:.2f}" for ms, c in calibration) + f" -> {args.torch_config}")
    print(f"each side: {args.warm} untimed warm-up steps, then {args.epochs} timed epochs, alternating "
          "(PyTorch default, PyTorch fastest, ours); ratio = PyTorch seconds / our seconds")

    report = dict(threads=args.threads, epochs=args.epochs, warm=args.warm, cpu=cpu_model(),
                  torch=torch.__version__, torch_ftz=args.torch_ftz, torch_configs=configs,
                  our_openblas_kernels=our_kernels,
                  torch_calibration_ms_per_step=[dict(config=c, ms=ms) for ms, c in calibration],
                  modes=[])
    for mode in args.modes:
        settings = mode_settings(mode, args)
        if settings is None:
            continue
        recon, beta, resume, title = settings
        load_before = load_average()
        theirs = {name: TorchServer(args, config, recon, beta, resume) for name, config in configs.items()}
        ours = OurTrainer(args.bench, args.data, args.threads, beta == 0.0, resume)
        if ours.ready.get("threads") != args.threads:
            sys.exit("compare_pytorch: bench_train did not take the thread count")
        if args.warm:
            for side in theirs.values():
                side.command(f"warm {args.warm}")
            ours.command(f"warm {args.warm}")
        print(f"\n{title}; load average before {load_before}")
        print("PyTorch threads and OpenBLAS kernels: " + ", ".join(
            f"{name} {side.ready['threads']} threads, {side.ready['openblas_kernels']}"
            for name, side in theirs.items()))
        names = list(theirs)
        print(f"{'epoch':>6} " + " ".join(f"{'PyT ' + n + ' s':>14}" for n in names) +
              f" {'ours s':>8} " + " ".join(f"{n + '/ours':>13}" for n in names) +
              f" {'PyTorch loss':>13} {'our loss':>10}")
        rows = []
        for _ in range(args.epochs):
            t = {name: side.command("epoch") for name, side in theirs.items()}
            r = ours.command("epoch")
            row = dict(epoch=r["epoch"], ours_s=r["seconds"], ours_loss=r["loss"],
                       torch_loss=t[names[-1]]["loss"])
            for name in names:
                row[f"torch_{name}_s"] = t[name]["seconds"]
                row[f"ratio_{name}"] = t[name]["seconds"] / r["seconds"]
            rows.append(row)
            print(f"{row['epoch']:>6} " + " ".join(f"{row[f'torch_{n}_s']:>14.3f}" for n in names) +
                  f" {r['seconds']:>8.3f} " + " ".join(f"{row[f'ratio_{n}']:>12.2f}x" for n in names) +
                  f" {row['torch_loss']:>13.3f} {r['loss']:>10.3f}", flush=True)
        ours.close()
        for side in theirs.values():
            side.close()
        load_after = load_average()
        med = {k: median([r[k] for r in rows]) for k in rows[0] if k.endswith("_s") or k.startswith("ratio_")}
        print(f"{'median':>6} " + " ".join(f"{med[f'torch_{n}_s']:>14.3f}" for n in names) +
              f" {med['ours_s']:>8.3f} " + " ".join(f"{med[f'ratio_{n}']:>12.2f}x" for n in names) +
              f"   (medians of the per-epoch ratios); load average after {load_after}")
        report["modes"].append(dict(mode=mode, title=title, epochs=rows, median=med,
                                    torch_ready={n: s.ready for n, s in theirs.items()},
                                    load_before=load_before, load_after=load_after))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
