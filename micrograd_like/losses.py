"""Loss functions that build their result from ``Value`` ops, so ``backward()`` works.

Shapes. Every loss accepts either a single prediction or a batch (a list of
predictions), with targets of the same shape:

* ``mse``, ``sse``, ``hinge`` and ``binary_cross_entropy`` are *elementwise*:
  a prediction may be a scalar (Value or float) or a list of them, a batch a
  list of those; predictions and targets must have the same nested shape and
  the loss is taken over every scalar pair (summed for ``sse``, averaged for
  the others). Because of that, "one prediction with two outputs" and "a
  batch of two one-output predictions" give the same number, as they should.
* ``cross_entropy`` takes one list of logits with an ``int`` class index, or
  a list of such lists with a list of indices (averaged over the batch).

Targets may be floats or Values (a Value target is differentiated too).
Mismatched shapes raise ValueError saying where they differ.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any, cast

from micrograd_like._checks import check_bool, check_instance, check_real, describe
from micrograd_like.engine import Value

__all__ = ["mse", "sse", "hinge", "binary_cross_entropy", "cross_entropy", "l2_penalty"]

Scalar = Value | float | int


def _is_scalar(x: Any) -> bool:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _check_scalar(x: Any, where: str) -> Scalar:
    if not _is_scalar(x):
        raise TypeError(f"{where} must be a float, an int or a Value, got {describe(x)}")
    return x


def _pairs(predictions: Any, targets: Any) -> list[tuple[Scalar, Scalar, str]]:
    """Flatten two equally nested structures into (prediction, target, position) triples.

    Iterative (explicit stack) so arbitrarily nested input cannot hit the
    recursion limit.
    """
    out: list[tuple[Scalar, Scalar, str]] = []
    stack: list[tuple[Any, Any, str]] = [(predictions, targets, "")]
    while stack:
        p, t, pos = stack.pop()
        if _is_scalar(p) or _is_scalar(t):
            _check_scalar(p, f"prediction{pos}")
            _check_scalar(t, f"target{pos}")
            out.append((p, t, pos))
            continue
        for x, name in ((p, "prediction"), (t, "target")):
            if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
                raise TypeError(f"{name}{pos} must be a number, a Value or a list of them, got {describe(x)}")
        if len(p) != len(t):
            raise ValueError(
                f"predictions{pos} has {len(p)} element(s) but targets{pos} has {len(t)}; they must have the same shape"
            )
        if len(p) == 0:
            raise ValueError(f"predictions{pos} is empty; there is nothing to compute a loss on")
        # Reversed so pairs come out in reading order.
        for i in range(len(p) - 1, -1, -1):
            stack.append((p[i], t[i], f"{pos}[{i}]"))
    return out


def _total(terms: Iterable[Value | float]) -> Value:
    """Sum terms left to right (as ``sum`` would), starting from the first term."""
    it = iter(terms)
    acc = next(it)
    for term in it:
        acc = acc + term
    if not isinstance(acc, Value):
        acc = Value(acc)
    return acc


def sse(predictions: Any, targets: Any) -> Value:
    """Sum of squared errors, ``sum((p - t) ** 2)`` over every scalar pair.

    Args:
        predictions: A scalar, a list of scalars, or a batch (list of lists).
        targets: Same shape as ``predictions``; floats or Values.

    Returns:
        The loss as a Value.

    Raises:
        TypeError: If an element is not a number or a Value.
        ValueError: If the shapes differ or a list is empty.
    """
    return _total((p - t) ** 2 for p, t, _ in _pairs(predictions, targets))


def mse(predictions: Any, targets: Any) -> Value:
    """Mean squared error: :func:`sse` divided by the number of scalar pairs.

    Args:
        predictions: A scalar, a list of scalars, or a batch (list of lists).
        targets: Same shape as ``predictions``; floats or Values.

    Returns:
        The loss as a Value.

    Raises:
        TypeError: If an element is not a number or a Value.
        ValueError: If the shapes differ or a list is empty.
    """
    pairs = _pairs(predictions, targets)
    return _total((p - t) ** 2 for p, t, _ in pairs) * (1.0 / len(pairs))


def hinge(scores: Any, labels: Any) -> Value:
    """Max-margin (SVM) loss as in micrograd's demo: ``mean(relu(1 - y * score))``.

    Args:
        scores: A raw score (the model's linear output) or a list of them.
        labels: Same shape; each exactly -1 or +1 (float, int or Value).

    Returns:
        The mean loss as a Value.

    Raises:
        TypeError: If an element is not a number or a Value.
        ValueError: If the shapes differ, a list is empty or a label is not +-1.
    """
    pairs = _pairs(scores, labels)
    terms = []
    for s, y, pos in pairs:
        yv = y.data if isinstance(y, Value) else y
        if yv not in (-1, 1):
            raise ValueError(f"hinge labels must be -1 or +1, got label{pos} = {yv!r}; map 0/1 labels with y * 2 - 1")
        # Same expression as micrograd's demo, so the two agree exactly.
        margin = 1 + -y * s
        if not isinstance(margin, Value):  # a float score with a float label
            margin = Value(margin)
        terms.append(margin.relu())
    return _total(terms) * (1.0 / len(terms))


def binary_cross_entropy(predictions: Any, targets: Any, *, from_logits: bool = False) -> Value:
    """Binary cross-entropy, averaged over every scalar pair.

    With ``from_logits=False`` each prediction is a probability ``p`` in
    ``[0, 1]`` (e.g. a sigmoid output) and the term is
    ``-(t * log(p) + (1 - t) * log(1 - p))``; a term whose weight is exactly 0
    (``t == 0`` or ``t == 1`` as floats) is skipped, so a confident correct
    prediction of exactly 0 or 1 is fine.

    With ``from_logits=True`` each prediction is a raw score ``z`` and the
    term is computed as ``max(z, 0) - z * t + log(1 + exp(-|z|))``, which equals
    the above with ``p = sigmoid(z)`` but never overflows and never takes
    ``log(0)``, for any finite ``z``. Prefer it when you can: it is the
    numerically stable form, and its gradient is exactly ``sigmoid(z) - t``.

    Args:
        predictions: Probabilities (or logits), scalar or nested lists.
        targets: Same shape; each in ``[0, 1]`` (float or Value).
        from_logits: Whether ``predictions`` are logits rather than probabilities.

    Returns:
        The mean loss as a Value.

    Raises:
        TypeError: If an element is not a number or a Value.
        ValueError: If shapes differ, a target is outside [0, 1], a probability
            is outside [0, 1], or a probability of exactly 0 or 1 meets a target
            that makes the loss infinite (use ``from_logits=True``).
    """
    check_bool(from_logits, "from_logits")
    terms: list[Value | float] = []
    for p, t, pos in _pairs(predictions, targets):
        tv = t.data if isinstance(t, Value) else float(t)
        if not 0.0 <= tv <= 1.0:
            raise ValueError(
                f"target{pos} = {tv!r} is outside [0, 1]; binary_cross_entropy wants 0/1 targets "
                f"(map -1/+1 labels with (t + 1) / 2, or use hinge for them)"
            )
        terms.append(_bce_from_logit(p, t) if from_logits else _bce_from_probability(p, t, tv, pos))
    return _total(terms) * (1.0 / len(terms))


def _bce_from_logit(z: Scalar, t: Scalar) -> Value:
    """``max(z, 0) - z*t + log(1 + exp(-|z|))``, per sign of z so exp() never overflows."""
    zv = z.data if isinstance(z, Value) else float(z)
    zz = z if isinstance(z, Value) else Value(zv)
    # Both branches agree at 0; exp() only ever sees a non-positive argument.
    if zv > 0.0:
        return zz * (1 - t) + (1 + (-zz).exp()).log()
    return -(zz * t) + (1 + zz.exp()).log()


def _bce_from_probability(p: Scalar, t: Scalar, tv: float, pos: str) -> Value | float:
    """``-(t * log(p) + (1 - t) * log(1 - p))``, skipping a term whose weight is a constant 0."""
    pv = p.data if isinstance(p, Value) else float(p)
    if not 0.0 <= pv <= 1.0:
        raise ValueError(
            f"prediction{pos} = {pv!r} is not a probability in [0, 1]; pass from_logits=True if these are raw scores"
        )
    term: Value | float = 0.0
    # Skip a term only when its weight is a constant 0, so log(0) is never
    # needed for a correct, confident prediction.
    if isinstance(t, Value) or tv != 0.0:
        if pv == 0.0:
            raise ValueError(
                f"prediction{pos} is exactly 0 but target{pos} = {tv!r}: the loss is "
                f"infinite; use from_logits=True with the pre-sigmoid score"
            )
        term = term - t * (p if isinstance(p, Value) else Value(pv)).log()
    if isinstance(t, Value) or tv != 1.0:
        if pv == 1.0:
            raise ValueError(
                f"prediction{pos} is exactly 1 but target{pos} = {tv!r}: the loss is "
                f"infinite; use from_logits=True with the pre-sigmoid score"
            )
        q = 1 - p if isinstance(p, Value) else Value(1.0 - pv)
        term = term - (1 - t) * q.log()
    return term


def _is_class_index(t: Any) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _one_cross_entropy(logits: Any, target: Any, where: str) -> Value:
    if isinstance(logits, (str, bytes)) or not isinstance(logits, Sequence):
        raise TypeError(f"logits{where} must be a list of Values or floats, got {describe(logits)}")
    if len(logits) == 0:
        raise ValueError(f"logits{where} is empty; give one score per class")
    for i, z in enumerate(logits):
        _check_scalar(z, f"logits{where}[{i}]")
    if not _is_class_index(target):
        raise TypeError(f"target{where} must be an int class index, got {describe(target)}")
    if not 0 <= target < len(logits):
        raise ValueError(
            f"target{where} = {target} is not a class index for {len(logits)} logits (valid: 0..{len(logits) - 1})"
        )
    zs = [z if isinstance(z, Value) else Value(float(z)) for z in logits]
    # log-softmax with the max subtracted as a *constant*: softmax is
    # shift-invariant, so gradients are unchanged and exp() never overflows.
    m = max(z.data for z in zs)
    log_sum = _total((z - m).exp() for z in zs).log()
    return log_sum + m - zs[target]


def cross_entropy(logits: Any, targets: Any) -> Value:
    """Softmax cross-entropy over a list of logits, numerically stable.

    ``loss = log(sum_j exp(z_j)) - z_target``, computed with the largest logit
    subtracted first so no ``exp`` overflows.

    Args:
        logits: One list of scores (one per class), or a batch: a list of such lists.
        targets: An ``int`` class index, or a list of them for a batch.

    Returns:
        The loss (mean over the batch) as a Value.

    Raises:
        TypeError: If a target is not an int or a logit not a number/Value.
        ValueError: If a target is out of range or batch sizes differ.
    """
    if _is_class_index(targets):
        return _one_cross_entropy(logits, targets, "")
    if isinstance(targets, (str, bytes)) or not isinstance(targets, Sequence):
        raise TypeError(f"targets must be an int class index or a list of them, got {describe(targets)}")
    if isinstance(logits, (str, bytes)) or not isinstance(logits, Sequence):
        raise TypeError(f"logits must be a list of lists of scores for a batch, got {describe(logits)}")
    if len(logits) != len(targets):
        raise ValueError(
            f"batch of {len(logits)} logit lists but {len(targets)} targets; give one class index per prediction"
        )
    if len(targets) == 0:
        raise ValueError("empty batch; there is nothing to compute a loss on")
    terms = [_one_cross_entropy(z, t, f"[{i}]") for i, (z, t) in enumerate(zip(logits, targets))]
    return _total(terms) * (1.0 / len(terms))


def l2_penalty(params: Iterable[Value], alpha: float) -> Value:
    """``alpha * sum(p * p)``: the weight penalty of micrograd's demo.

    Args:
        params: The parameters (e.g. ``model.parameters()``).
        alpha: Non-negative strength, e.g. ``1e-4``.

    Returns:
        The penalty as a Value.

    Raises:
        TypeError: If ``alpha`` is not a real number or a parameter not a Value.
        ValueError: If ``alpha`` is negative or not finite, or ``params`` is empty.
    """
    alpha = check_real(alpha, "alpha", minimum=0.0, example=1e-4)
    params = list(params)
    if not params:
        raise ValueError("params is empty; pass model.parameters()")
    for i, p in enumerate(params):
        check_instance(p, f"params[{i}]", Value, "a Value (a parameter)", example="model.parameters()")
    # alpha * sum, with the sum starting at 0 like Python's sum(), as micrograd's demo does.
    return cast(Value, alpha * sum(p * p for p in params))
