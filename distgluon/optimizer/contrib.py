"""``mx.optimizer.contrib``: GroupAdaGrad, AdaGrad with one learning rate per row."""
import numpy as np

from .optimizer import Optimizer, register, clip_scaled
from ._common import dense, sparse_rows, py_clip, bump

__all__ = []   # reached as mx.optimizer.contrib.GroupAdaGrad, as in MXNet


def group_adagrad_step(weight, grad, history, lr, eps=1e-5, rescale_grad=1.0,
                       clip_gradient=None, rows=None):
    """One GroupAdaGrad step on numpy arrays, in place::

        g = clip(rescale_grad * grad)
        history += mean(g**2, axis=1, keepdims=True)
        w -= lr * g / sqrt(history + eps)

    With ``rows`` (a row_sparse gradient's indices, ``grad`` holding those rows) only
    those rows change.
    """
    if rows is None:
        g = py_clip(grad, rescale_grad, clip_gradient)
        history += np.mean(g * g, axis=1, keepdims=True)
        weight -= weight.dtype.type(lr) * g / np.sqrt(history + history.dtype.type(eps))
        return
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    flat = g.reshape(g.shape[0], -1)
    h = history[rows] + np.mean(flat * flat, axis=1, keepdims=True).reshape(
        history[rows].shape)
    history[rows] = h
    hb = h.reshape((h.shape[0],) + (1,) * (g.ndim - 1))
    weight[rows] -= weight.dtype.type(lr) * g / np.sqrt(hb + hb.dtype.type(eps))


@register
class GroupAdaGrad(Optimizer):
    """Adagrad optimizer with row-wise learning rates.

    Updates each weight by::

        grad = clip(grad * rescale_grad, clip_gradient)
        history += mean(square(grad), axis=1, keepdims=True)
        div = grad / sqrt(history + float_stable_eps)
        weight -= div * lr

    Weights are updated lazily if the gradient is row_sparse. Weight decay is not
    supported.

    Parameters
    ----------
    eps : float, optional
        Initial value of the history accumulator. Avoids division by 0.
    """

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise AssertionError('GroupAdaGrad needs 2-D weights, got shape {}'.format(
                weight.shape))
        from ..ndarray import zeros
        return zeros((weight.shape[0], 1), weight.context)  # history

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        if wd != 0:
            raise AssertionError('Weight decay is not supported for GroupAdaGrad')
        sparse = sparse_rows(grad)
        if sparse is not None:
            group_adagrad_step(weight._data, sparse[1], state._data, lr,
                               self.float_stable_eps, self.rescale_grad, self.clip_gradient,
                               rows=sparse[0])
        else:
            group_adagrad_step(weight._data, dense(grad), state._data, lr,
                               self.float_stable_eps, self.rescale_grad, self.clip_gradient)
        bump(weight, state)
