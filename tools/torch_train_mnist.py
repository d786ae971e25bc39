#!/usr/bin/python3
"""torch_train_mnist.py - train the PyTorch examples VAE (pytorch/examples, vae/main.py: fc1
784->400, fc21/fc22 400->20, fc3 20->400, fc4 400->784; BCE summed over pixels + KL; Adam, lr
1e-3, batch 128) on MNIST and save its state_dict: the model a PyTorch user brings to
tools/vaew_from_torch.py, trained here from scratch so that the deploy test needs no download.

    /usr/bin/python3 tools/torch_train_mnist.py data/mnist vae.pth --epochs 1 --seed 1

Reads the IDX files of scripts/fetch-mnist (train-images-idx3-ubyte) with numpy, no torchvision.
Prints the mean loss per image of each epoch. Deterministic for a seed on one machine (one
thread). Not here: the test set, sampling, pictures (vae_gen does those after conversion).
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class VAE(nn.Module):
    """The examples VAE, layer for layer, with its names."""

    def __init__(self, d=784, h=400, z=20):
        super().__init__()
        self.fc1 = nn.Linear(d, h)
        self.fc21 = nn.Linear(h, z)
        self.fc22 = nn.Linear(h, z)
        self.fc3 = nn.Linear(z, h)
        self.fc4 = nn.Linear(h, d)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def loss_function(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    # KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def read_images(folder):
    path = os.path.join(folder, "train-images-idx3-ubyte")
    b = open(path, "rb").read()
    if len(b) < 16 or int.from_bytes(b[0:4], "big") != 2051:
        sys.exit(f"torch_train_mnist.py: {path}: not an IDX3 image file (scripts/fetch-mnist)")
    n, rows, cols = (int.from_bytes(b[4 * i:4 * i + 4], "big") for i in (1, 2, 3))
    if rows * cols != 784 or len(b) != 16 + n * 784:
        sys.exit(f"torch_train_mnist.py: {path}: expected {n} images of 28x28")
    return torch.from_numpy(np.frombuffer(b, np.uint8, offset=16).reshape(n, 784)
                            .astype(np.float32) / 255.0)


def main(argv):
    ap = argparse.ArgumentParser(prog="torch_train_mnist.py", description=__doc__.split("\n")[0])
    ap.add_argument("data", help="folder with MNIST's IDX files")
    ap.add_argument("out", help="state_dict to write (.pth)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N images (0: all)")
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    x = read_images(a.data)
    if a.limit:
        x = x[:a.limit]
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(x.shape[0])
        total = 0.0
        for first in range(0, x.shape[0], a.batch):
            batch = x[order[first:first + a.batch]]
            opt.zero_grad()
            recon, mu, logvar = model(batch)
            loss = loss_function(recon, batch, mu, logvar)
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"torch_train_mnist.py: epoch {epoch}: loss {total / x.shape[0]:.4f} per image")
    torch.save(model.state_dict(), a.out)
    print(f"torch_train_mnist.py: wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
