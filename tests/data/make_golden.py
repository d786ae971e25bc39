#!/usr/bin/python3
"""Golden reference values for a tiny VAE, computed with PyTorch in float64.

This script writes tests/data/golden_vae_small.json, which the C++ tests use to
check the float32 VAE implementation (forward pass, losses, gradients and Adam
steps). It is run by hand when the reference needs regenerating; it is NOT run
in CI, and the C++ build does not depend on torch.

Regenerate (from the repository root; needs the Debian python3-torch package,
hence /usr/bin/python3 rather than whatever python3 is first on PATH):

    /usr/bin/python3 tests/data/make_golden.py

The output is deterministic: running the script twice gives identical bytes.

Model: D=16 -> enc_fc (H=8, relu) -> enc_mu / enc_logvar (Z=3);
z = mu + eps * exp(0.5 * logvar); dec_fc (H, relu) -> dec_out (D) = logits;
xhat = sigmoid(logits). Losses are summed over pixels and images:
  mse   = sum((xhat - x)^2)
  bce   = binary_cross_entropy_with_logits(logits, x, reduction='sum')
  kl    = -0.5 * sum(1 + logvar - mu^2 - exp(logvar))
  total = recon + beta * kl
All arrays are flattened row-major; weights use torch's (out, in) layout.
"""

import copy
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

D, H, Z, B = 16, 8, 3, 5
LR, BETA1, BETA2, ADAM_EPS = 1e-3, 0.9, 0.999, 1e-8
SEED = 0
ADAM_STEPS = 3
CASES = [("mse", 1.0), ("bce", 1.0), ("mse", 0.0), ("bce", 0.5)]

# The C++ flat parameter block, in this order.
PARAM_ORDER = [
    "enc_fc_w", "enc_fc_b",
    "enc_mu_w", "enc_mu_b",
    "enc_logvar_w", "enc_logvar_b",
    "dec_fc_w", "dec_fc_b",
    "dec_out_w", "dec_out_b",
]
ACTIVATIONS = ["h1", "mu", "logvar", "z", "h2", "logits", "xhat"]


class TinyVAE(nn.Module):
    def __init__(self):
        super().__init__()
        # Created in this order so the default init consumes the seed stream
        # in a fixed order.
        self.enc_fc = nn.Linear(D, H)
        self.enc_mu = nn.Linear(H, Z)
        self.enc_logvar = nn.Linear(H, Z)
        self.dec_fc = nn.Linear(Z, H)
        self.dec_out = nn.Linear(H, D)

    def named_flat_params(self):
        """(name, tensor) pairs in PARAM_ORDER."""
        out = []
        for layer in ["enc_fc", "enc_mu", "enc_logvar", "dec_fc", "dec_out"]:
            lin = getattr(self, layer)
            out.append((layer + "_w", lin.weight))
            out.append((layer + "_b", lin.bias))
        assert [n for n, _ in out] == PARAM_ORDER
        return out

    def forward(self, x, eps):
        h1 = torch.relu(self.enc_fc(x))
        mu = self.enc_mu(h1)
        logvar = self.enc_logvar(h1)
        z = mu + eps * torch.exp(0.5 * logvar)
        h2 = torch.relu(self.dec_fc(z))
        logits = self.dec_out(h2)
        xhat = torch.sigmoid(logits)
        return dict(h1=h1, mu=mu, logvar=logvar, z=z, h2=h2, logits=logits, xhat=xhat)


def losses(act, x, recon_type, beta):
    if recon_type == "mse":
        recon = ((act["xhat"] - x) ** 2).sum()
    elif recon_type == "bce":
        recon = F.binary_cross_entropy_with_logits(act["logits"], x, reduction="sum")
    else:
        raise ValueError(recon_type)
    mu, logvar = act["mu"], act["logvar"]
    kl = -0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar)).sum()
    return recon, kl, recon + beta * kl


def flat(t):
    """Row-major flattened list of Python floats (repr gives full precision)."""
    return t.detach().reshape(-1).tolist()


def run_case(model0, x, eps, recon_type, beta):
    model = copy.deepcopy(model0)
    params = model.named_flat_params()

    # Values and gradients at the initial parameters.
    recon, kl, total = losses(model(x, eps), x, recon_type, beta)
    total.backward()
    grads = {name: flat(p.grad) for name, p in params}
    model.zero_grad(set_to_none=True)

    # A few Adam steps on the same x and eps.
    opt = torch.optim.Adam(
        [p for _, p in params], lr=LR, betas=(BETA1, BETA2), eps=ADAM_EPS,
        weight_decay=0.0, amsgrad=False, foreach=False,
    )
    step_losses = []
    for _ in range(ADAM_STEPS):
        opt.zero_grad()
        _, _, step_total = losses(model(x, eps), x, recon_type, beta)
        step_total.backward()
        step_losses.append(step_total.item())
        opt.step()

    return {
        "recon_type": recon_type,
        "beta": beta,
        "recon": recon.item(),
        "kl": kl.item(),
        "total": total.item(),
        "grads": grads,
        "step_losses": step_losses,
        "params_after": {name: flat(p) for name, p in params},
    }


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.manual_seed(SEED)

    model = TinyVAE()
    x = torch.rand(B, D)
    x[0, 0] = 0.0  # exact BCE edge targets
    x[0, 1] = 1.0
    eps = torch.randn(B, Z)

    params = model.named_flat_params()
    with torch.no_grad():
        act = model(x, eps)

    shapes = {name: list(p.shape) for name, p in params}
    shapes["x"] = list(x.shape)
    shapes["eps"] = list(eps.shape)
    for name in ACTIVATIONS:
        shapes[name] = list(act[name].shape)

    golden = {
        "description": "Tiny VAE golden values, float64 PyTorch; see tests/data/make_golden.py",
        "config": {"D": D, "H": H, "Z": Z, "B": B, "lr": LR, "beta1": BETA1,
                   "beta2": BETA2, "adam_eps": ADAM_EPS, "seed": SEED,
                   "adam_steps": ADAM_STEPS},
        "param_order": PARAM_ORDER,
        "shapes": shapes,
        "params": {name: flat(p) for name, p in params},
        "x": flat(x),
        "eps": flat(eps),
        "activations": {name: flat(act[name]) for name in ACTIVATIONS},
        "cases": [run_case(model, x, eps, r, b) for r, b in CASES],
    }

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_vae_small.json")
    with open(out, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
