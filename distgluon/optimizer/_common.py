"""Small helpers shared by the optimizer modules: state allocation, the dense view of a
gradient, the row set of a row-sparse gradient, and MXNet's two clipping conventions."""
import numpy as np

__all__ = []


def zeros_state(weight, dtype=None):
    """A dense zero NDArray shaped like ``weight`` on its context.

    ``dtype=None`` keeps the weight's dtype; MXNet allocates some states (AdaGrad's
    history, RMSProp's and Ftrl's accumulators) with the default float32 instead, and
    those callers pass ``np.float32``.
    """
    from ..ndarray import zeros
    return zeros(weight.shape, weight.context, dtype=weight.dtype if dtype is None else dtype)


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

