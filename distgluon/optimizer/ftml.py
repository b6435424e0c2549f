"""FTML, Follow the Moving Leader (``mx.optimizer.FTML``), and its pure update function."""
import numpy as np

from .optimizer import Optimizer, register, clip_scaled
from ._common import zeros_state, dense, bump

__all__ = ['FTML', 'ftml_step']


def ftml_step(weight, grad, d, v, z, lr, wd, t, beta1=0.6, beta2=0.999, epsilon=1e-8,
              rescale_grad=1.0, clip_gradient=None):
    """One FTML step on numpy arrays, in place (``ftml_update``)::

        g = clip(rescale_grad * grad + wd * w)      # weight decay before clipping
        v = beta2 * v + (1 - beta2) * g**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * w
        d = d_t
        w = -z / d_t
    """
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient, wd, weight)
    v *= dtype(beta2)
    v += dtype(1 - beta2) * (g * g)
    d_t = dtype((1 - beta1 ** t) / lr) * (np.sqrt(v / dtype(1 - beta2 ** t)) + dtype(epsilon))
    z *= dtype(beta1)
    z += dtype(1 - beta1) * g
    z -= (d_t - dtype(beta1) * d) * weight
    d[...] = d_t
    weight[...] = -z / d_t


@register
class FTML(Optimizer):
    """The FTML optimizer (Zheng & Kwok, *Follow the Moving Leader in Deep Learning*,
    http://proceedings.mlr.press/v70/zheng17a/zheng17a.pdf).

    At step t::

        rescaled_grad = clip(grad * rescale_grad + wd * weight, clip_gradient)
        v = beta2 * v + (1 - beta2) * square(rescaled_grad)
        d_t = (1 - power(beta1, t)) / lr * (square_root(v / (1 - power(beta2, t))) + epsilon)
        z = beta1 * z + (1 - beta1) * rescaled_grad - (d_t - beta1 * d_(t-1)) * weight
        weight = - z / d_t

    Parameters
    ----------
    beta1 : float, optional
        0 < beta1 < 1. Generally close to 0.5.
    beta2 : float, optional
        0 < beta2 < 1. Generally close to 1.
    epsilon : float, optional
        Small value to avoid division by 0.
    """

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (zeros_state(weight), zeros_state(weight), zeros_state(weight))  # d, v, z

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        t = self._index_update_count[index]
        d, v, z = state
        ftml_step(weight._data, dense(grad), d._data, v._data, z._data, lr, wd, t,
                  self.beta1, self.beta2, self.epsilon, self.rescale_grad,
                  self.clip_gradient)
        bump(weight, d, v, z)
