"""RMSProp (``mx.optimizer.RMSProp``), plain (Tieleman & Hinton) and centered (Graves),
and their pure update functions."""
import numpy as np

from .optimizer import Optimizer, register, clip_scaled
from ._common import zeros_state, dense, bump

__all__ = ['RMSProp', 'rmsprop_step', 'rmsprop_centered_step']


def _clip_weights(weight, clip_weights):
    if clip_weights is not None and clip_weights > 0:
        np.clip(weight, -clip_weights, clip_weights, out=weight)


def rmsprop_step(weight, grad, n, lr, wd, gamma1=0.9, epsilon=1e-8, rescale_grad=1.0,
                 clip_gradient=None, clip_weights=None):
    """One RMSProp step on numpy arrays, in place (``rmsprop_update``)::

        g = clip(rescale_grad * grad + wd * w)      # weight decay before clipping
        n = (1 - gamma1) * g**2 + gamma1 * n
        w = clip_w(w - lr * g / sqrt(n + epsilon))  # epsilon inside the root
    """
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient, wd, weight)
    n *= n.dtype.type(gamma1)
    n += n.dtype.type(1 - gamma1) * (g * g)
    weight -= (dtype(lr) * g / np.sqrt(n + n.dtype.type(epsilon))).astype(weight.dtype,
                                                                         copy=False)
    _clip_weights(weight, clip_weights)


def rmsprop_centered_step(weight, grad, n, g_avg, delta, lr, wd, gamma1=0.9, gamma2=0.9,
                          epsilon=1e-8, rescale_grad=1.0, clip_gradient=None,
                          clip_weights=None):
    """One centered RMSProp step on numpy arrays, in place (``rmspropalex_update``)::

        g = clip(rescale_grad * grad + wd * w)
        n = (1 - gamma1) * g**2 + gamma1 * n
        g_avg = (1 - gamma1) * g + gamma1 * g_avg
        delta = gamma2 * delta - lr * g / sqrt(n - g_avg**2 + epsilon)
        w = clip_w(w + delta)
    """
    g = clip_scaled(grad, rescale_grad, clip_gradient, wd, weight)
    n *= n.dtype.type(gamma1)
    n += n.dtype.type(1 - gamma1) * (g * g)
    g_avg *= g_avg.dtype.type(gamma1)
    g_avg += g_avg.dtype.type(1 - gamma1) * g
    delta *= delta.dtype.type(gamma2)
    delta -= delta.dtype.type(lr) * g / np.sqrt(n - g_avg * g_avg + n.dtype.type(epsilon))
    weight += delta.astype(weight.dtype, copy=False)
    _clip_weights(weight, clip_weights)


@register
class RMSProp(Optimizer):
    """The RMSProp optimizer.

    ``centered=False`` follows Tieleman & Hinton (2012) (``rmsprop_update``);
    ``centered=True`` follows Graves (2013), eq. (38)-(45) (``rmspropalex_update``).
    The states are float32 whatever the weight's dtype, as in MXNet.

    Parameters
    ----------
    gamma1 : float, optional
        A decay factor of moving average over past squared gradient.
    gamma2 : float, optional
        A "momentum" factor. Only used if ``centered=True``.
    epsilon : float, optional
        Small value to avoid division by 0.
    centered : bool, optional
        Use Graves's centered version.
    clip_weights : float, optional
        Clips weights into range ``[-clip_weights, clip_weights]``.
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9,
                 epsilon=1e-8, centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return tuple(zeros_state(weight, np.float32) for _ in range(3))  # n, g, delta
        return (zeros_state(weight, np.float32),)  # n

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        clip_w = self.clip_weights if self.clip_weights else None
        if not self.centered:
            (n,) = state
            rmsprop_step(weight._data, dense(grad), n._data, lr, wd, self.gamma1,
                         self.epsilon, self.rescale_grad, self.clip_gradient, clip_w)
        else:
            n, g, delta = state
            rmsprop_centered_step(weight._data, dense(grad), n._data, g._data, delta._data,
                                  lr, wd, self.gamma1, self.gamma2, self.epsilon,
                                  self.rescale_grad, self.clip_gradient, clip_w)
        bump(weight, *state)
