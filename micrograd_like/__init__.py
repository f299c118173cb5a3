"""micrograd_like: a scalar autograd engine for learning backpropagation one number at a time."""

from .engine import Value, grad
from .gradcheck import GradcheckError, gradcheck, numerical_grad

__all__ = ["Value", "grad", "gradcheck", "numerical_grad", "GradcheckError"]
__version__ = "0.1.0"
