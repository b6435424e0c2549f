"""Small helpers shared by the optimizer modules: state allocation, the dense view of a
gradient, the row set of a row-sparse gradient, MXNet's two clipping conventions, Adam's
moment estimates, and the base class of the optimizers with Adam's two moment states."""
import numpy as np

from .optimizer import Optimizer

__all__ = []


def zeros_state(weight, dtype=None):
    """A dense zero NDArray shaped like ``weight`` on its context.

    ``dtype=None`` keeps the weight's dtype; MXNet allocates some states (AdaGrad's
    history, RMSProp's and Ftrl's accumulators) with the default float32 instead, and
    those callers pass ``np.float32``.
    """
    from ..ndarray import zeros
    return zeros(weight.shape, weight.context, dtype=weight.dtype if dtype is None else dtype)


def momentum_state(momentum, weight):
    """The momentum state of SGD-like rules: None when ``momentum`` is 0, else zeros
    shaped like ``weight``."""
    return None if momentum == 0.0 else zeros_state(weight)


def dense(arr):
    """The numpy data of an NDArray; a sparse array gives its dense form (a copy)."""
    return arr._data


def sparse_rows(grad):
    """``(rows, values)`` of a row_sparse gradient as numpy arrays, else ``None``."""
    if getattr(grad, 'stype', 'default') != 'row_sparse':
        return None
    rows = np.asarray(grad.indices._data, dtype=np.int64)
    return rows, np.asarray(grad.data._data)


def py_clip(grad, rescale_grad, clip_gradient, wd=0.0, weight=None):
    """``rescale_grad * grad [+ wd * weight]`` clipped when ``clip_gradient is not None``.

    The optimizers MXNet writes in Python (AdaGrad, AdaDelta, Adamax, Nadam, DCASGD,
    SGLD) clip whenever a value is given, while the fused kernels (see
    `optimizer.clip_scaled`) clip only for a positive value.
    """
    g = grad * grad.dtype.type(rescale_grad)
    if weight is not None:
        g += weight.dtype.type(wd) * weight
    if clip_gradient is not None:
        np.clip(g, -clip_gradient, clip_gradient, out=g)
    return g


def bump(*arrays):
    """Mark NDArrays as written (their ``_version`` counts in-place writes)."""
    for arr in arrays:
        if arr is not None:
            arr._version += 1



def update_moments(mean, var, g, beta1, beta2, dtype):
    """Adam's moment estimates, in place, in ``dtype``::

        mean = beta1 * mean + (1 - beta1) * g
        var = beta2 * var + (1 - beta2) * g**2
    """
    mean *= dtype(beta1)
    mean += dtype(1 - beta1) * g
    var *= dtype(beta2)
    var += dtype(1 - beta2) * (g * g)


class TwoMoments(Optimizer):
    """Base of Adam, AdamW, Adamax, LAMB and Nadam: keeps ``beta1`` and ``beta2``, and two
    states shaped like the weight (the first moment and the second moment, or AdaMax's
    infinity norm). Not registered."""

    def __init__(self, learning_rate, beta1, beta2, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return (zeros_state(weight), zeros_state(weight))

    def _common_t(self, index):
        """Count the update and return ``(lr, wd, t)``, ``t`` the index's update count."""
        lr, wd = self._common(index)
        return lr, wd, self._index_update_count[index]
