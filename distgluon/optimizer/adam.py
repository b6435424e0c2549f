"""Adam (``mx.optimizer.Adam``) and its pure update function, with MXNet's lazy update
for row_sparse gradients."""
import math

import numpy as np

from .optimizer import register, clip_scaled
from ._common import TwoMoments, dense, sparse_rows, bump, update_moments

__all__ = ['Adam', 'adam_step']


def adam_step(weight, grad, mean, var, lr, wd, beta1=0.9, beta2=0.999, epsilon=1e-8,
              rescale_grad=1.0, clip_gradient=None):
    """One Adam step on numpy arrays, in place (MXNet's ``adam_update``).

    ``lr`` already carries the bias correction ``sqrt(1 - beta2**t) / (1 - beta1**t)``::

        g = clip(rescale_grad * grad + wd * w)      # weight decay before clipping
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        w -= lr * m / (sqrt(v) + epsilon)
    """
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient, wd, weight)
    update_moments(mean, var, g, beta1, beta2, dtype)
    weight -= dtype(lr) * mean / (np.sqrt(var) + dtype(epsilon))


def lazy_rows_step(step, weight, rows, grad_rows, states, *args, **kwargs):
    """Apply ``step`` to the rows of ``weight`` and ``states`` listed in ``rows`` only
    (the lazy update of a row_sparse gradient), writing them back."""
    w_rows = weight[rows]
    s_rows = [s[rows] for s in states]
    step(w_rows, grad_rows, *s_rows, *args, **kwargs)
    weight[rows] = w_rows
    for s, r in zip(states, s_rows):
        s[rows] = r


@register
class Adam(TwoMoments):
    """The Adam optimizer (Kingma & Ba, http://arxiv.org/abs/1412.6980).

    At step t::

        rescaled_grad = clip(grad * rescale_grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * rescaled_grad
        v = beta2 * v + (1 - beta2) * (rescaled_grad**2)
        lr = learning_rate * sqrt(1 - beta2**t) / (1 - beta1**t)
        w = w - lr * m / (sqrt(v) + epsilon)

    With a row_sparse gradient and ``lazy_update=True`` only the rows present in the
    gradient are updated (m, v and w of the other rows stay as they are).

    Parameters
    ----------
    beta1 : float, optional
        Exponential decay rate for the first moment estimates.
    beta2 : float, optional
        Exponential decay rate for the second moment estimates.
    epsilon : float, optional
        Small value to avoid division by 0.
    lazy_update : bool, optional
        Update only the rows of a row_sparse gradient.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def update(self, index, weight, grad, state):
        lr, wd, t = self._common_t(index)
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        args = (lr, wd, self.beta1, self.beta2, self.epsilon, self.rescale_grad,
                self.clip_gradient)
        sparse = sparse_rows(grad) if self.lazy_update else None
        if sparse is not None:
            lazy_rows_step(adam_step, weight._data, sparse[0], sparse[1],
                           [mean._data, var._data], *args)
        else:
            adam_step(weight._data, dense(grad), mean._data, var._data, *args)
        bump(weight, mean, var)
