#!/usr/bin/python3
"""Side-by-side training speed: the identical model in PyTorch and in this project, same run.

This is how anyone checks the speed claim of issue 7. It trains the same 784-400-20 model with
the same batch, optimizer, thread count and in-memory data in PyTorch and in our trainer, and
times whole 60,000-image epochs of both, ALTERNATING in one run (PyTorch epoch, our epoch,
PyTorch epoch, ...), so that both see the same machine and the same background load.

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
  --torch-config C  how PyTorch runs its T threads [best]. Debian's torch does its matrix
                    products in OpenBLAS (pthreads build), whose threads torch.set_num_threads
                    does not govern; and libgomp's threads spin between parallel regions. With
                    OpenBLAS at T threads (its default here) and spinning OpenMP threads, the two
                    pools fight over the cores: at T = 2 on this machine a step takes 25-30 ms
                    instead of 10, and hundreds of ms if anything else runs. So by default the
                    script measures PyTorch in each configuration first (a child process per
                    configuration, 20 + 100 steps on random data) and uses the fastest:
                      blas=B,wait=W   OPENBLAS_NUM_THREADS=B (1 or T), OMP_WAIT_POLICY=W
                                      (default: unset, i.e. libgomp's spin-then-sleep; passive)
                    e.g. --torch-config blas=2,wait=default is torch exactly as it loads with
                    OMP_NUM_THREADS=2. The choice and the calibration are printed.
  --epochs N        timed epochs per side and mode [3].
  --modes LIST      comma-separated, run in this order [vae,ae-late]:
                      vae      BCE + KL (beta 1), both from a fresh initialization;
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

What is timed, on each side, is one epoch and nothing else:
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
    p.add_argument("--calibration", default="", help=argparse.SUPPRESS)
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
    """The environment of one PyTorch thread configuration 'blas=B,wait=W'."""
    fields = dict(kv.split("=", 1) for kv in config.split(","))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=fields["blas"])
    env.pop("OMP_WAIT_POLICY", None)
    if fields["wait"] == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def torch_configs(threads):
    blas = sorted({1, threads})
    waits = ["default", "passive"] if threads > 1 else ["default"]
    return [f"blas={b},wait={w}" for b in blas for w in waits]


def calibrate_child(threads):
    """--calibrate-child: ms per step of the fresh BCE + KL model on random data; prints it."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    Side = torch_side(torch, None)
    side = Side(torch.rand(4096, D), "bce", 1.0, None)
    side.warm(20)
    t0 = time.perf_counter()
    side.warm(100)
    print(f"{(time.perf_counter() - t0) * 10:.3f}")
    return 0


def choose_torch_config(args):
    """The fastest PyTorch configuration for args.threads threads, measured now."""
    results = []
    for config in torch_configs(args.threads):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--calibrate-child",
                            "--threads", str(args.threads)], env=torch_env(args.threads, config),
                           capture_output=True, text=True)
        if r.returncode != 0 or not r.stdout.strip():
            sys.exit(f"compare_pytorch: PyTorch calibration ({config}) failed: {r.stderr.strip()}")
        results.append((float(r.stdout.split()[-1]), config))
    return min(results)[1], results


def main():
    args = parse_args()
    if args.calibrate_child:
        return calibrate_child(args.threads)
    try:
        import numpy  # noqa: F401
        import torch
    except ImportError as e:
        print(f"compare_pytorch: PyTorch (or numpy) is not installed for {sys.executable} ({e}); "
              "nothing to compare. On Debian: apt-get install python3-torch, and run this script "
              "with /usr/bin/python3 (scripts/compare-pytorch does).")
        return 0
    calibration = []
    if args.torch_config == "best":
        args.torch_config, calibration = choose_torch_config(args)
    elif args.torch_config not in torch_configs(args.threads):
        sys.exit(f"compare_pytorch: --torch-config: expected best or one of {', '.join(torch_configs(args.threads))}")
    # Thread counts and the wait policy must be in the environment before libgomp and OpenBLAS
    # initialize: re-run this script with them when they differ.
    env = torch_env(args.threads, args.torch_config)
    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")
    if any(os.environ.get(k) != env.get(k) for k in keys):
        argv = [a for a in sys.argv[1:]]
        argv += ["--torch-config", args.torch_config]
        if calibration:
            argv += ["--calibration", json.dumps(calibration)]
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + argv, env)
    if args.calibration:
        calibration = [tuple(c) for c in json.loads(args.calibration)]
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"compare_pytorch: {args.bench} is not built; scripts/compare-pytorch builds it "
                 "(cmake --build --preset release --target bench_train)")
    torch.set_num_threads(args.threads)
    if args.torch_ftz:
        torch.set_flush_denormal(True)
    Side = torch_side(torch, args)

    pixels = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte"))
    data = torch.from_numpy(pixels.astype("float32") / 255.0)   # (60000, 784) in memory

    print(f"compare_pytorch: 784-400-20, batch {BATCH}, Adam lr 1e-3, {data.shape[0]} images in "
          f"memory, {args.threads} thread{'s' if args.threads > 1 else ''} on each side")
    print(f"machine: {cpu_model()}, {os.cpu_count()} hardware threads; torch {torch.__version__} "
          f"(get_num_threads {torch.get_num_threads()}, {args.torch_config}, flush denormals "
          f"{'on' if args.torch_ftz else 'off'}); ours: {args.bench}")
    if calibration:
        print("PyTorch thread configurations, ms per step (fresh VAE, random data): " +
              ", ".join(f"{c} {ms:.2f}" for ms, c in calibration) + f" -> {args.torch_config}")
    print(f"each side: {args.warm} untimed warm-up steps, then {args.epochs} timed epochs, alternating "
          "(PyTorch first in each pair); ratio = PyTorch seconds / our seconds")

    report = dict(threads=args.threads, epochs=args.epochs, warm=args.warm, cpu=cpu_model(),
                  torch=torch.__version__, torch_ftz=args.torch_ftz, torch_config=args.torch_config,
                  torch_calibration_ms_per_step=[dict(config=c, ms=ms) for ms, c in calibration],
                  modes=[])
    for mode in args.modes:
        state, resume = None, None
        if mode == "vae":
            recon, beta, title = "bce", 1.0, "vae: BCE + KL, fresh initialization"
        elif mode == "ae":
            recon, beta, title = "mse", 0.0, "ae: MSE only (autoencoder), fresh initialization"
        else:
            if not os.path.isfile(args.ae_late):
                print(f"\nae-late: skipped, no checkpoint {args.ae_late} (scripts/run train writes "
                      "reports/ae/checkpoint.vaeckpt after 50 autoencoder epochs)")
                continue
            state = read_checkpoint(args.ae_late)
            s = state["settings"]
            if s.get("loss") != "mse" or float(s.get("beta", -1)) != 0.0:
                sys.exit(f"compare_pytorch: {args.ae_late}: not an autoencoder run (loss "
                         f"{s.get('loss')}, beta {s.get('beta')})")
            recon, beta, resume = "mse", 0.0, args.ae_late
            shown = os.path.relpath(args.ae_late, ROOT)
            shown = args.ae_late if shown.startswith("..") else shown
            title = (f"ae-late: MSE only, both resumed from {shown} "
                     f"(epoch {state['epochs_done']}: parameters and Adam state)")
        load_before = load_average()
        ours = OurTrainer(args.bench, args.data, args.threads, recon == "mse", resume)
        theirs = Side(data, recon, beta, state)
        if ours.ready.get("threads") != args.threads:
            sys.exit("compare_pytorch: bench_train did not take the thread count")
        if args.warm:
            theirs.warm(args.warm)
            ours.command(f"warm {args.warm}")
        print(f"\n{title}; load average before {load_before}")
        print(f"{'epoch':>6} {'PyTorch s':>10} {'ours s':>10} {'ratio':>7} "
              f"{'PyTorch loss':>13} {'our loss':>10}")
        rows = []
        for _ in range(args.epochs):
            t_sec, t_loss = theirs.train_epoch()
            r = ours.command("epoch")
            rows.append(dict(epoch=r["epoch"], torch_s=t_sec, ours_s=r["seconds"],
                             ratio=t_sec / r["seconds"], torch_loss=t_loss, ours_loss=r["loss"]))
            row = rows[-1]
            print(f"{row['epoch']:>6} {t_sec:>10.3f} {r['seconds']:>10.3f} {row['ratio']:>6.2f}x "
                  f"{t_loss:>13.3f} {r['loss']:>10.3f}", flush=True)
        ours.close()
        load_after = load_average()
        med = dict(torch_s=median([r["torch_s"] for r in rows]), ours_s=median([r["ours_s"] for r in rows]),
                   ratio=median([r["ratio"] for r in rows]))
        print(f"{'median':>6} {med['torch_s']:>10.3f} {med['ours_s']:>10.3f} {med['ratio']:>6.2f}x"
              f"   (median of the per-epoch ratios); load average after {load_after}")
        report["modes"].append(dict(mode=mode, title=title, epochs=rows, median=med,
                                    load_before=load_before, load_after=load_after))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
