"""Strategies shared by the test modules.

The general-purpose ones live in the package (``micrograd_like.testing``) so that
users can test their own code with them; importing them from here means the
library's own tests use exactly what users get. Test-only strategies go below.
"""

from hypothesis import strategies as st

from micrograd_like.testing import OPS, expressions, points, reals, smooth_at

__all__ = ["OPS", "expressions", "points", "reals", "smooth_at", "finite_floats", "small_ints"]

# Any finite float, including huge and tiny ones: for forward-only checks.
finite_floats = st.floats(allow_nan=False, allow_infinity=False)

small_ints = st.integers(-1000, 1000)
