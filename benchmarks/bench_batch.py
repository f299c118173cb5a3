"""A compiled per-sample loss over a batch: scalar replay vs NumPy vectorize() vs torch to_torch().

Two-moons, MLP(2, [16, 16, 1]) (relu, linear output), per-sample hinge loss
``relu(1 - y * score)``, over 10,000 samples; each row computes the per-sample losses
and the gradients summed over the samples:

* scalar replay: the compiled function called once per sample;
* NumPy vectorize(): one call over the arrays;
* hand-written NumPy: the same MLP as matrix products, forward and backward, written here;
* torch to_torch(): the forward on CPU float64 tensors, then ``loss.sum().backward()``.

All four are checked to agree (losses and gradients to 1e-12 relative) before timing.
Wall time, best of several runs; read the ratios, the machine is shared.
Run ``python benchmarks/bench_batch.py [--samples N] [--smoke]``.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import torch

import micrograd_like as ml
from micrograd_like.datasets import make_moons
from micrograd_like.nn import MLP


def setup(samples: int):
    X, y = make_moons(samples, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], rng=random.Random(0))

    def loss(x0, x1, label):
        return (1 + -label * model([x0, x1])).relu()

    return np.array(X, dtype=float), np.array(y, dtype=float), model, ml.compile(loss)


def scalar_replay(compiled, params, X, y):
    for p in params:
        p.grad = 0.0
    losses = [compiled(a, b, t) for (a, b), t in zip(X.tolist(), y.tolist())]
    return np.array(losses), np.array([p.grad for p in params])


def vectorized(batch, params, X, y):
    for p in params:
        p.grad = 0.0
    losses = batch(X[:, 0], X[:, 1], y)
    return losses, np.array([p.grad for p in params])


def torch_backend(batch, leaves, X, y):
    for leaf in leaves:
        leaf.grad = None
    losses = batch(X[:, 0], X[:, 1], y)
    losses.sum().backward()
    return losses.detach().numpy(), np.array([leaf.grad.item() for leaf in leaves])


def layer_matrices(model):
    """(W, b) per layer as arrays, from the model's Values."""
    return [
        (np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
        for layer in model.layers
    ]


def handwritten(layers, X, y):
    """The MLP's hinge loss per sample and its gradients summed over samples, as matrix products."""
    (W1, b1), (W2, b2), (W3, b3) = layers
    Z1 = X @ W1.T + b1
    H1 = np.maximum(Z1, 0.0)
    Z2 = H1 @ W2.T + b2
    H2 = np.maximum(Z2, 0.0)
    s = (H2 @ W3.T + b3)[:, 0]
    margin = 1.0 - y * s
    losses = np.maximum(margin, 0.0)
    dS = (-y * (margin > 0.0))[:, None]
    dW3, db3 = dS.T @ H2, dS.sum(0)
    dZ2 = (dS @ W3) * (Z2 > 0.0)
    dW2, db2 = dZ2.T @ H1, dZ2.sum(0)
    dZ1 = (dZ2 @ W2) * (Z1 > 0.0)
    dW1, db1 = dZ1.T @ X, dZ1.sum(0)
    grads = []
    for dW, db in ((dW1, db1), (dW2, db2), (dW3, db3)):
        for row, bias in zip(dW, db):
            grads += [*row, bias]  # the model's order: each neuron's weights, then its bias
    return losses, np.array(grads)


def best_time(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def agree(name: str, got: tuple, want: tuple) -> None:
    for what, g, w in (("losses", got[0], want[0]), ("gradients", got[1], want[1])):
        scale = np.maximum(np.abs(w), 1.0) if what == "losses" else np.maximum(np.abs(w), 1e-3 * np.abs(w).max())
        worst = float(np.max(np.abs(g - w) / scale))
        if worst > 1e-12:
            raise SystemExit(f"{name}: {what} differ from the scalar replay by {worst:.1e} relative")


def report(samples: int, repeats: int) -> list[str]:
    X, y, model, compiled = setup(samples)
    params = model.parameters()
    batch, torch_batch = compiled.vectorize(), compiled.to_torch()
    leaves = torch_batch.parameters(params)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    reference = scalar_replay(compiled, params, X, y)
    agree("NumPy vectorize()", vectorized(batch, params, X, y), reference)
    agree("hand-written NumPy", handwritten(layer_matrices(model), X, y), reference)
    agree("torch to_torch()", torch_backend(torch_batch, leaves, Xt, yt), reference)
    t = {
        "scalar": best_time(lambda: scalar_replay(compiled, params, X, y), max(1, repeats // 4)),
        "numpy": best_time(lambda: vectorized(batch, params, X, y), repeats),
        "hand": best_time(lambda: handwritten(layer_matrices(model), X, y), repeats),
        "torch": best_time(lambda: torch_backend(torch_batch, leaves, Xt, yt), repeats),
    }
    lines = [
        f"two-moons per-sample hinge loss, MLP(2, [16, 16, 1]), {samples:,} samples "
        f"({len(compiled._last.plan.ops):,} recorded slots; wall time, best of {repeats}); "
        "losses and summed gradients agree to 1e-12:",
        f"  scalar replay, one call per sample:   {1e3 * t['scalar']:8.1f} ms ({1e6 * t['scalar'] / samples:.1f} us/sample)",
        f"  NumPy vectorize():                    {1e3 * t['numpy']:8.1f} ms  {t['scalar'] / t['numpy']:5.1f}x the scalar replay",
        f"  hand-written NumPy MLP (fwd + bwd):   {1e3 * t['hand']:8.1f} ms  vectorize() takes {t['numpy'] / t['hand']:.1f}x its time",
        f"  torch to_torch() on CPU (fwd + bwd):  {1e3 * t['torch']:8.1f} ms  {t['scalar'] / t['torch']:5.1f}x the scalar replay",
        f"  torch threads: {torch.get_num_threads()}",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="a small batch, once (CI): checks, measures nothing")
    args = parser.parse_args(argv)
    samples, repeats = (200, 1) if args.smoke else (args.samples, args.repeats)
    print("\n".join(report(samples, repeats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
