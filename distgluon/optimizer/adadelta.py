"""AdaDelta (``mx.optimizer.AdaDelta``) and its pure update function."""
import numpy as np

from .optimizer import Optimizer, register
from ._common import zeros_state, dense, bump

__all__ = ['AdaDelta', 'adadelta_step']


def adadelta_step(weight, grad, acc_g, acc_delta, wd, rho=0.9, epsilon=1e-5,
                  clip_gradient=None):
    """One AdaDelta step on numpy arrays, in place (``grad`` is already rescaled)::

        g = clip(grad)                              # whenever a value is given
        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        w -= delta + wd * w

    There is no learning rate.
    """
    g = grad if clip_gradient is None else np.clip(grad, -clip_gradient, clip_gradient)
    acc_g *= acc_g.dtype.type(rho)
    acc_g += acc_g.dtype.type(1. - rho) * g * g
    delta = np.sqrt(acc_delta + acc_delta.dtype.type(epsilon)) / \
        np.sqrt(acc_g + acc_g.dtype.type(epsilon)) * g
    acc_delta *= acc_delta.dtype.type(rho)
    acc_delta += acc_delta.dtype.type(1. - rho) * delta * delta
    weight -= (delta + weight.dtype.type(wd) * weight).astype(weight.dtype, copy=False)


@register
class AdaDelta(Optimizer):
    """The AdaDelta optimizer (Zeiler, https://arxiv.org/abs/1212.5701).

    Updates each weight by::

        grad = clip(grad * rescale_grad, clip_gradient)
        acc_grad = rho * acc_grad + (1. - rho) * grad * grad
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_grad + epsilon) * grad
        acc_delta = rho * acc_delta + (1. - rho) * delta * delta
        weight -= (delta + wd * weight)

    Parameters
    ----------
    rho : float
        Decay rate for both squared gradients and delta.
    epsilon : float
        Small value to avoid division by 0.

    Notes
    -----
    As in MXNet, ``learning_rate`` is not used, and the gradient NDArray passed to
    `update` is multiplied by ``rescale_grad`` in place (the caller sees it rescaled).
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        # accumulated g and accumulated delta, float32 whatever the weight (as MXNet)
        return (zeros_state(weight, np.float32), zeros_state(weight, np.float32))

    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        grad *= self.rescale_grad     # in place, as MXNet does
        acc_g, acc_delta = state
        adadelta_step(weight._data, dense(grad), acc_g._data, acc_delta._data, wd,
                      self.rho, self.epsilon, self.clip_gradient)
        bump(weight, acc_g, acc_delta)
