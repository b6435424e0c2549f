"""AdamW: Adam with decoupled weight decay (``mx.optimizer.create('adamw')``), computing
what MXNet's ``mx.nd.contrib.adamw_update`` kernel computes."""
import math

import numpy as np

from .optimizer import register, clip_scaled
from ._common import TwoMoments, dense, bump, update_moments

__all__ = ['AdamW', 'adamw_step']


def adamw_step(weight, grad, mean, var, lr, eta, wd, beta1=0.9, beta2=0.999, epsilon=1e-8,
               rescale_grad=1.0, clip_gradient=None):
    """One AdamW step on numpy arrays, in place (``mx.nd.contrib.adamw_update``)::

        g = clip(rescale_grad * grad)               # no weight decay in the gradient
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        w -= eta * (lr * m / (sqrt(v) + epsilon) + wd * w)

    As in the kernel, nothing is updated when ``rescale_grad`` is 0, NaN or infinite
    (the loss-scaling "skip this step" signal). Returns whether the step was applied.
    """
    if not math.isfinite(rescale_grad) or rescale_grad == 0:
        return False
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    update_moments(mean, var, g, beta1, beta2, dtype)
    upd = dtype(lr) * mean / (np.sqrt(var) + dtype(epsilon))
    upd += dtype(wd) * weight
    upd *= dtype(eta)
    weight -= upd
    return True


@register
class AdamW(TwoMoments):
    """Adam with decoupled weight decay (Loshchilov & Hutter,
    https://arxiv.org/abs/1711.05101).

    At step t, with ``lr_t = learning_rate * sqrt(1 - beta2**t) / (1 - beta1**t)`` when
    ``correct_bias`` (else ``learning_rate``)::

        g = clip(grad * rescale_grad, clip_gradient)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        w = w - lr_t * (m / (sqrt(v) + epsilon) + wd * w)

    that is ``mx.nd.contrib.adamw_update(..., lr=1, eta=lr_t, wd=wd)``.

    Parameters
    ----------
    beta1 : float, optional
        Exponential decay rate for the first moment estimates.
    beta2 : float, optional
        Exponential decay rate for the second moment estimates.
    epsilon : float, optional
        Small value to avoid division by 0.
    correct_bias : bool, optional
        Apply Adam's bias correction to the step size.

    Notes
    -----
    MXNet 1.9.1 has the ``adamw_update`` kernels but registers no ``'adamw'``
    optimizer; this one follows MXNet 2's ``AdamW`` (same arguments and defaults,
    ``epsilon=1e-6``, and its fused step), so a 1.x script can ask for it by name.
    A ``rescale_grad`` of 0, NaN or infinity skips the update, as the kernel does.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 correct_bias=True, **kwargs):
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.correct_bias = correct_bias

    def update(self, index, weight, grad, state):
        lr, wd, t = self._common_t(index)
        if self.correct_bias:
            lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        if adamw_step(weight._data, dense(grad), mean._data, var._data, 1.0, lr, wd,
                      self.beta1, self.beta2, self.epsilon, float(self.rescale_grad),
                      self.clip_gradient):
            bump(weight, mean, var)
