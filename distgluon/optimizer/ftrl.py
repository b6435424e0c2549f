"""FTRL-proximal (``mx.optimizer.Ftrl``) and its pure update function."""
import numpy as np

from .optimizer import Optimizer, register, clip_scaled
from ._common import zeros_state, dense, bump

__all__ = ['Ftrl', 'ftrl_step']


def ftrl_step(weight, grad, z, n, lr, wd, lamda1=0.01, beta=1.0, rescale_grad=1.0,
              clip_gradient=None):
    """One FTRL step on numpy arrays, in place (``ftrl_update``)::

        g = clip(rescale_grad * grad)               # no weight decay in the gradient
        z += g - (sqrt(n + g**2) - sqrt(n)) * w / lr
        n += g**2
        w = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (abs(z) > lamda1)
    """
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    dtype = z.dtype.type
    gg = g * g
    z += g - (np.sqrt(n + gg) - np.sqrt(n)) * weight / dtype(lr)
    n += gg
    new = (np.sign(z) * dtype(lamda1) - z) / ((dtype(beta) + np.sqrt(n)) / dtype(lr)
                                             + dtype(wd))
    new *= (np.abs(z) > dtype(lamda1))
    weight[...] = new


@register
class Ftrl(Optimizer):
    """The Ftrl optimizer (McMahan et al., *Ad Click Prediction: a View from the
    Trenches*, http://dl.acm.org/citation.cfm?id=2488200).

    Updates the weight by::

        rescaled_grad = clip(grad * rescale_grad, clip_gradient)
        z += rescaled_grad - (sqrt(n + rescaled_grad**2) - sqrt(n)) * weight / learning_rate
        n += rescaled_grad**2
        w = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / learning_rate + wd) * (abs(z) > lamda1)

    Parameters
    ----------
    lamda1 : float, optional
        L1 regularization coefficient.
    learning_rate : float, optional
        The initial learning rate.
    beta : float, optional
        Per-coordinate learning rate correlation parameter.

    Notes
    -----
    A row_sparse gradient is applied densely (rows it lacks count as zero gradients),
    which is what MXNet does for a dense weight.
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (zeros_state(weight, np.float32), zeros_state(weight, np.float32))  # z, n

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        z, n = state
        ftrl_step(weight._data, dense(grad), z._data, n._data, lr, wd, self.lamda1,
                  self.beta, self.rescale_grad, self.clip_gradient)
        bump(weight, z, n)
