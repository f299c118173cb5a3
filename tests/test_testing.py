"""``micrograd_like.testing``, the Hypothesis strategies users prove their own ops with.

Their arguments are checked, the expressions they draw stay finite, and the domains
the catalogue draws points from are exactly where each registered op is defined.
"""

import math

import pytest
from hypothesis import given
from strategies import expressions, points, reals

from micrograd_like import Value
from micrograd_like.registry import REGISTRY, Interval


@given(expr=expressions(2), point=points(2))
def test_expressions_stay_finite_in_their_domain(expr, point):
    # The strategy's promise to users: no overflow, no NaN, no exception.
    y = expr(*[Value(x) for x in point])
    assert math.isfinite(y.data) and abs(y.data) <= expr.bound * (1 + 1e-9)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: points(0), ValueError, r"n must be an int >= 1, got 0"),
        (lambda: points(2.0), TypeError, r"n must be an int >= 1, got float 2\.0"),
        (lambda: points(True), TypeError, r"n must be an int >= 1, got bool True"),
        (lambda: reals(0.0), ValueError, r"bound must be a finite number > 0, got 0\.0"),
        (lambda: reals(math.inf), ValueError, r"bound must be a finite number > 0, got inf"),
        (lambda: reals(True), TypeError, r"bound must be a finite number > 0, got bool True"),
        (lambda: reals("2"), TypeError, r"bound must be a finite number > 0, got str '2'"),
        (lambda: expressions(0), ValueError, r"n_inputs must be an int >= 1, got 0"),
        (lambda: expressions(1.0), TypeError, r"n_inputs must be an int >= 1, got float 1\.0"),
        (lambda: expressions(2, max_leaves=0), ValueError, r"max_leaves must be an int >= 1, got 0"),
        (lambda: expressions(2, max_leaves=None), TypeError, r"max_leaves must be an int >= 1, got NoneType None"),
    ],
)
def test_strategy_arguments_are_checked_wrong_type_vs_bad_value(make, error, message):
    with pytest.raises(error, match=message):
        make()


# -- the domains the catalogue draws from are the ops' real domains ------------------------

_REFUSED = (ValueError, ZeroDivisionError)


def _inside(iv: Interval) -> float:
    """An ordinary point of ``iv`` (inside, and more than its margin from any avoided point)."""
    low, high = iv.box(3.0)
    for x in (1.0, 2.0, -1.0, -2.0, (low + high) / 2, low, high):
        if iv.contains(x) and all(abs(x - a) > iv.margin for a in iv.avoid):
            return x
    raise AssertionError(f"no ordinary point in {iv}")


def _domain_cases():
    """(name, forward of one input with the others at an ordinary point, that input's Interval)."""
    for spec in REGISTRY.values():
        for params in spec.examples:
            intervals = spec.intervals(*params)
            for i, iv in enumerate(intervals):
                base = [_inside(other) for other in intervals]
                forward = spec.op(*params).forward

                def f(x, forward=forward, base=base, i=i):
                    return forward(*base[:i], x, *base[i + 1 :])

                yield f"{spec.name}{params} input {i}", f, iv


def _defined(f, x: float) -> bool:
    try:
        f(x)
    except _REFUSED:
        return False
    return True


def test_every_bounded_domain_is_exactly_where_the_op_is_defined():
    # Interval's promise: defined for low < x < high (low <= x when closed), so the
    # catalogue never draws a point an op refuses, nor leaves out one it accepts.
    for name, f, iv in _domain_cases():
        if iv.low > -math.inf:
            assert _defined(f, iv.low) == iv.closed, name
            assert _defined(f, math.nextafter(iv.low, math.inf)), name
            assert not _defined(f, math.nextafter(iv.low, -math.inf)), name
        if iv.high < math.inf:
            assert not _defined(f, iv.high), name
            assert _defined(f, math.nextafter(iv.high, -math.inf)), name


def test_every_avoided_point_is_a_kink_a_jump_or_a_pole():
    # Interval.avoid lists where an op is not smooth or not defined; anywhere else (x ** 0
    # at 0, say) the catalogue and smooth_at must not stay away.
    h = 1e-6
    for name, f, iv in _domain_cases():
        for a in iv.avoid:
            if not _defined(f, a):
                continue  # a pole
            left, mid, right = f(a - h), f(a), f(a + h)
            jump = abs(right - left) > 1e-3
            kink = abs((right - mid) / h - (mid - left) / h) > 1e-3
            assert jump or kink, f"{name} avoids {a}, where it is smooth"
