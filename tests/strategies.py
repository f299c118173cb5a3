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


# ===========================================================================
# nn section (owned by the nn layer; appended, not mixed with the above)
# ===========================================================================
# Random small MLPs, each paired with a loss, at a point where the loss is
# well defined: parameters and inputs bounded so sigmoids never saturate to
# exactly 0 or 1 and exp() never overflows.

from dataclasses import dataclass as _dataclass  # noqa: E402 (this section keeps its own imports)

NN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
NN_LOSSES = ("mse", "sse", "hinge", "bce_logits", "bce_probs", "cross_entropy")

__all__ += ["NN_ACTIVATIONS", "NN_LOSSES", "NNCase", "nn_cases"]


@_dataclass(frozen=True)
class NNCase:
    """One random network + loss: the shape, the numbers, and what to compare with."""

    nin: int
    nouts: tuple[int, ...]
    activation: str
    output_activation: str
    loss: str
    params: tuple[float, ...]  # in MLP.parameters() order
    x: tuple[float, ...]
    target: object  # floats, +-1 labels, probabilities or a class index, per loss


@st.composite
def nn_cases(draw, max_width: int = 3, max_hidden: int = 2, bound: float = 1.5) -> NNCase:
    """Draw a small MLP (1..max_hidden hidden layers), its parameters, an input and a loss."""
    nin = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_hidden))
    loss = draw(st.sampled_from(NN_LOSSES))
    nout = draw(st.integers(2 if loss == "cross_entropy" else 1, max_width))
    activation = draw(st.sampled_from(NN_ACTIVATIONS))
    # Probabilities must come from a sigmoid; otherwise any output activation goes.
    output_activation = "sigmoid" if loss == "bce_probs" else draw(st.sampled_from(NN_ACTIVATIONS))
    sizes = [nin, *hidden, nout]
    n_params = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))
    params = draw(st.lists(reals(bound), min_size=n_params, max_size=n_params))
    x = draw(points(nin, bound))
    if loss in ("mse", "sse"):
        target: object = draw(points(nout, bound))
    elif loss == "hinge":
        target = draw(st.lists(st.sampled_from((-1.0, 1.0)), min_size=nout, max_size=nout))
    elif loss in ("bce_logits", "bce_probs"):
        target = draw(st.lists(st.floats(0.0, 1.0), min_size=nout, max_size=nout))
    else:
        target = draw(st.integers(0, nout - 1))
    return NNCase(nin, tuple([*hidden, nout]), activation, output_activation, loss, tuple(params), tuple(x), target)
