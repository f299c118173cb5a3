"""Small toy data sets generated in pure Python (no numpy, no scikit-learn).

Randomness comes from a private :class:`random.Random`; the process-wide
:mod:`random` state is never read or changed.
"""

from __future__ import annotations

import math
import random

from micrograd_like._checks import check_bool, check_int, check_real

__all__ = ["make_moons"]


def make_moons(
    n: int = 100,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    shuffle: bool = True,
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labelled -1 and +1, as in micrograd's demo.

    The upper moon is the half circle of radius 1 around (0, 0), label -1; the
    lower moon is the same half circle flipped and shifted to (1, 0.5), label +1.
    Points are evenly spaced along each arc (the upper moon gets ``n // 2``
    points, the lower one the rest), then Gaussian noise with standard
    deviation ``noise`` is added to each coordinate. This is the construction
    of scikit-learn's ``make_moons`` followed by micrograd's ``y * 2 - 1``.

    Args:
        n: Number of points, >= 2.
        noise: Standard deviation of the Gaussian noise, >= 0.
        seed: Seed for a private random generator; ``None`` uses a fresh
            OS-seeded one. The same seed always gives the same data.
        shuffle: Whether to shuffle the points (else the upper moon comes first).

    Returns:
        ``(X, y)``: ``X`` a list of ``[x0, x1]`` float pairs, ``y`` a list of
        ``-1``/``+1`` ints.

    Raises:
        TypeError: If ``n`` or ``seed`` is not an int, ``noise`` not a number or
            ``shuffle`` not a bool.
        ValueError: If ``n < 2`` or ``noise`` is negative or not finite.
    """
    n = check_int(n, "n", minimum=2, example=100)  # one point per moon at least
    noise = check_real(noise, "noise", minimum=0.0, example=0.1)
    check_bool(shuffle, "shuffle")
    rng = random.Random(check_int(seed, "seed", example=0)) if seed is not None else random.Random()

    n_upper = n // 2
    n_lower = n - n_upper

    def angles(k: int) -> list[float]:
        # k evenly spaced angles from 0 to pi inclusive (just 0 when k == 1).
        return [math.pi * i / (k - 1) for i in range(k)] if k > 1 else [0.0]

    points = [([math.cos(a), math.sin(a)], -1) for a in angles(n_upper)]
    points += [([1.0 - math.cos(a), 0.5 - math.sin(a)], 1) for a in angles(n_lower)]
    if shuffle:
        rng.shuffle(points)
    if noise:
        for xy, _ in points:
            xy[0] += rng.gauss(0.0, noise)
            xy[1] += rng.gauss(0.0, noise)
    return [xy for xy, _ in points], [label for _, label in points]
