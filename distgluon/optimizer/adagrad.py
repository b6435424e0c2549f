"""AdaGrad (``mx.optimizer.AdaGrad``) and its pure update functions (dense, and MXNet's
lazy ``adagrad_update`` for row_sparse gradients)."""
import numpy as np

from ..base import MXNetError
from .optimizer import Optimizer, register, clip_scaled
from ._common import zeros_state, dense, sparse_rows, py_clip, bump

__all__ = ['AdaGrad', 'adagrad_step', 'adagrad_sparse_step']


def adagrad_step(weight, grad, history, lr, wd, eps=1e-7, rescale_grad=1.0,
                 clip_gradient=None):
    """One dense AdaGrad step on numpy arrays, in place::

        g = clip(rescale_grad * grad)               # clipped whenever a value is given
        history += g**2
        w += (g / sqrt(history + eps) + wd * w) * -lr
    """
    g = py_clip(grad, rescale_grad, clip_gradient)
    history += g * g
    div = g / np.sqrt(history + history.dtype.type(eps))
    div += weight * weight.dtype.type(wd)
    div *= weight.dtype.type(-lr)
    weight += div.astype(weight.dtype, copy=False)


def adagrad_sparse_step(weight, rows, grad_rows, history, lr, eps=1e-7, rescale_grad=1.0,
                        clip_gradient=None):
    """The lazy row_sparse AdaGrad step (``mx.nd.sparse.adagrad_update``): only the
    listed rows of ``weight`` and ``history`` change; no weight decay."""
    g = clip_scaled(grad_rows, rescale_grad, clip_gradient)
    h = history[rows] + g * g
    history[rows] = h
    weight[rows] -= weight.dtype.type(lr) * g / np.sqrt(h + h.dtype.type(eps))


@register
class AdaGrad(Optimizer):
    """AdaGrad optimizer (Duchi et al., http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf).

    Updates each weight by::

        grad = clip(grad * rescale_grad, clip_gradient)
        history += square(grad)
        div = grad / sqrt(history + float_stable_eps)
        weight += (div + weight * wd) * -lr

    A row_sparse gradient updates only its rows (weight decay must then be 0, as in
    MXNet).

    Parameters
    ----------
    eps : float, optional
        Initial value of the history accumulator. Avoids division by 0.
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return zeros_state(weight, np.float32)  # history (float32, as in MXNet)

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        sparse = sparse_rows(grad)
        if sparse is not None:
            if wd != 0:
                raise MXNetError('AdaGrad with a row_sparse gradient does not support '
                                 'weight decay (wd={}): set wd=0 (or wd_mult=0 for this '
                                 'parameter) or use a dense gradient'.format(wd))
            adagrad_sparse_step(weight._data, sparse[0], sparse[1], state._data, lr,
                                self.float_stable_eps, self.rescale_grad,
                                self.clip_gradient)
        else:
            adagrad_step(weight._data, dense(grad), state._data, lr, wd,
                         self.float_stable_eps, self.rescale_grad, self.clip_gradient)
        bump(weight, state)
