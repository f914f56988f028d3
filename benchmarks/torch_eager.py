"""The workloads of bench_lazy.py written in PyTorch eager, for side-by-side timing.

Run by bench_lazy.py (`--torch-python`) in a separate venv that has torch (never a jaxtape
dependency); prints one JSON line {workload: seconds per call (median over rounds)}.
One intra-op thread, as the jaxtape side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import batch_time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


def scalar():
    x = torch.tensor(3.0, requires_grad=True)

    def step():
        y = x * x
        (g,) = torch.autograd.grad(y, x)
        return g.numpy()

    return step


def linear():
    rs = np.random.RandomState(1)
    w = torch.tensor(rs.uniform(-20, 20, (4, 3)).astype("float32"), requires_grad=True)
    b = torch.ones(3, requires_grad=True)
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]])

    def step():
        y = x @ w + b
        loss = torch.mean(y**2)
        gw, gb = torch.autograd.grad(loss, [w, b])
        return gb.numpy()

    return step


def _mlp(sizes, batch, kind, make_opt):
    rs = np.random.RandomState(0)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append(torch.tensor(rs.normal(0, (2.0 / a) ** 0.5, (a, b)).astype("float32")))
        params.append(torch.zeros(b))
    for p in params:
        p.requires_grad_(True)
    x = torch.tensor(rs.normal(size=(batch, sizes[0])).astype("float32"))
    if kind == "mse":
        y = torch.tensor(rs.normal(size=(batch, sizes[-1])).astype("float32"))
    else:
        y = torch.tensor(rs.randint(0, sizes[-1], batch).astype("int64"))
    opt = make_opt(params)

    def step():
        h = x
        for i in range(len(params) // 2):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < len(params) // 2 - 1:
                h = torch.relu(h)
        if kind == "mse":
            loss = torch.mean((h - y) ** 2)
        else:
            loss = torch.nn.functional.cross_entropy(h, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach().numpy()

    return step


def mlp_small():
    return _mlp((32, 64, 64, 1), 64, "mse", lambda ps: torch.optim.SGD(ps, lr=0.01))


def mlp_adam():
    return _mlp(
        (784, 1024, 1024, 10), 128, "xent", lambda ps: torch.optim.Adam(ps, lr=1e-3, eps=1e-7)
    )


def chain():
    c = torch.tensor(np.linspace(0.1, 1.0, 128, dtype="float32"), requires_grad=True)

    def step():
        h = c
        for i in range(300):
            k = i % 4
            if k == 0:
                h = torch.sin(h)
            elif k == 1:
                h = h * 1.01
            elif k == 2:
                h = torch.cos(h)
            else:
                h = h + 0.1
        (g,) = torch.autograd.grad(torch.sum(h), c)
        return g.numpy()

    return step


WORKLOADS = {
    "scalar": scalar,
    "linear": linear,
    "mlp_small": mlp_small,
    "mlp_adam": mlp_adam,
    "chain": chain,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", default=",".join(WORKLOADS))
    args = p.parse_args()
    out = {}
    for name in args.only.split(","):
        fn = WORKLOADS[name]()
        for _ in range(3):
            fn()
        out[name] = statistics.median(batch_time(fn) for _ in range(args.rounds))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
