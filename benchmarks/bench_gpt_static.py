"""The character-level GPT of ``bench_gpt.py`` compiled with the word as a static argument.

The graph depends on the word (its letters pick embeddings, its length sets the
attention), so ``compile(loss, static_argnums=0)`` records each distinct word once
and replays it afterwards. A few words are cycled over several epochs, one SGD step
per word, eagerly and compiled from the same weights; every step's loss and gradients
are checked to agree within 1e-12 of the step's largest one (the softmax's max(v.data)
shift is frozen per recording, which changes only the last bits). Reported: per-step time from the
second epoch on against eager, what recording a new word costs in eager steps, and
the memory the recordings hold. Wall time; read the ratios, the machine is shared.
Run ``python benchmarks/bench_gpt_static.py [--words N] [--epochs N] [--smoke] [--no-memory]``.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from bench_gpt import WORDS, init_params, word_loss

import micrograd_like as ml


def model():
    P = {k: [[ml.Value(x) for x in row] for row in m] for k, m in init_params(0).items()}
    return P, [p for m in P.values() for row in m for p in row]


def train(step, params, words: list[str], epochs: int, lr: float = 0.01) -> tuple[list, list]:
    """(per step: (loss, grads)), (per epoch: seconds per step))."""
    results, times = [], []
    for _ in range(epochs):
        gc.collect()
        spent = 0.0
        for word in words:
            start = time.perf_counter()
            for p in params:
                p.grad = 0.0
            loss = step(word)
            for p in params:
                p.data -= lr * p.grad
            spent += time.perf_counter() - start
            results.append((loss, [p.grad for p in params]))  # for the check, not timed
        times.append(spent / len(words))
    return results, times


def eager_step(P):
    def step(word: str) -> float:
        loss = word_loss(P, word)
        loss.backward()
        return loss.data

    return step


def worst_difference(eager: list, compiled: list) -> tuple[float, float, int, int]:
    """(worst difference relative to the step's largest number, worst relative difference of
    one number, bit-identical numbers, numbers compared)."""
    worst, worst_own, same, total = 0.0, 0.0, 0, 0
    for (l1, g1), (l2, g2) in zip(eager, compiled):
        scale = max(abs(x) for x in [l1, *g1])
        for a, b in zip([l1, *g1], [l2, *g2]):
            worst = max(worst, abs(a - b) / scale)
            worst_own = max(worst_own, abs(a - b) / max(abs(a), 1e-300))
            same += a == b
            total += 1
    return worst, worst_own, same, total


def recording_memory(words: list[str]) -> tuple[float, int]:
    """(bytes the recordings of ``words`` hold, per word; graph nodes of the longest word)."""
    P, _ = model()
    gc.collect()
    tracemalloc.start()
    compiled = ml.compile(lambda word: word_loss(P, word), static_argnums=0, maxsize=len(words))
    before, _ = tracemalloc.get_traced_memory()
    for word in words:
        compiled(word)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = max(len(rec.plan.ops) for rec in compiled._cache.values())
    return (after - before) / len(words), nodes


def report(words: list[str], epochs: int, memory: bool = True) -> list[str]:
    P, params = model()
    eager, t_eager = train(eager_step(P), params, words, epochs)
    P, params = model()
    compiled = ml.compile(lambda word: word_loss(P, word), static_argnums=0, maxsize=len(words))
    replayed, t_compiled = train(compiled, params, words, epochs)
    worst, worst_own, same, total = worst_difference(eager, replayed)
    if worst > 1e-12:
        raise SystemExit(f"char-GPT compiled: a loss or gradient differs from eager by {worst:.1e} relative")
    info = compiled.cache_info()
    eager_step_s = sum(t_eager) / len(t_eager)
    replay = sum(t_compiled[1:]) / max(1, len(t_compiled) - 1)
    record_cost = (t_compiled[0] - replay) / eager_step_s  # per new word, in eager steps
    lines = [
        f"char-level GPT, word as a static argument: {len(words)} words x {epochs} epochs "
        f"({info.misses} recordings, {info.hits} replays); wall time per step:",
        f"  eager:                          {1e3 * eager_step_s:7.1f} ms",
        f"  compiled, first epoch (record): {1e3 * t_compiled[0]:7.1f} ms: recording a new word costs "
        f"{record_cost:.1f} eager steps",
        f"  compiled, later epochs (replay):{1e3 * replay:7.1f} ms: {eager_step_s / replay:.1f}x eager",
        f"  losses and gradients: {same:,}/{total:,} bit-identical; worst difference {worst:.1e} of the step's "
        f"largest gradient ({worst_own:.1e} of the number itself, for tiny gradients): the softmax's "
        "max(v.data) shift is frozen per recording",
    ]
    if memory:  # tracemalloc slows Python's compiler down a lot: this takes minutes
        held, nodes = recording_memory(words)
        lines.append(
            f"  memory held by the recordings: {held / 1e6:.2f} MB per word (up to {nodes:,} recorded slots); "
            "compile's maxsize bounds how many are kept"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--smoke", action="store_true", help="two short words, two epochs (CI): checks, measures nothing"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the (slow, minutes) memory measurement")
    args = parser.parse_args(argv)
    words = ["ava", "mia"] if args.smoke else WORDS[: args.words]
    print("\n".join(report(words, 2 if args.smoke else args.epochs, memory=not (args.smoke or args.no_memory))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
