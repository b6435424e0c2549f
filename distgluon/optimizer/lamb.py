"""LAMB (``mx.optimizer.LAMB``), layer-wise adaptive moments, and its pure update
function."""
import os

import numpy as np

from .optimizer import register, clip_scaled
from ._common import TwoMoments, dense, bump, update_moments

__all__ = ['LAMB', 'lamb_step', 'lamb_direction', 'lamb_apply']


def lamb_direction(weight, grad, mean, var, wd, t, beta1=0.9, beta2=0.999, epsilon=1e-6,
                   bias_correction=True, rescale_grad=1.0, clip_gradient=None):
    """LAMB's first phase on numpy arrays (``lamb_update_phase1``): update the moments in
    place and return the step direction ``u`` (a new array)::

        g = clip(rescale_grad * grad)
        m = beta1 * m + (1 - beta1) * g ;  v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)    # if bias_correction
        u = m_hat / (sqrt(v_hat) + epsilon) + wd * w
    """
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    update_moments(mean, var, g, beta1, beta2, dtype)
    if bias_correction:
        u = (mean / dtype(1. - beta1 ** t)) / (np.sqrt(var / dtype(1. - beta2 ** t))
                                              + dtype(epsilon))
    else:
        u = mean / (np.sqrt(var) + dtype(epsilon))
    u += dtype(wd) * weight
    return u


def lamb_apply(weight, u, r1, r2, lr, lower_bound=None, upper_bound=None):
    """LAMB's second phase on numpy arrays, in place (``lamb_update_phase2``)::

        r1 = min(max(r1, lower_bound), upper_bound)    # a bound of None or < 0 is not applied
        w -= (lr if r1 == 0 or r2 == 0 else lr * r1 / r2) * u

    ``r1`` is the weight's norm and ``r2`` the norm of ``u`` (Python floats).
    """
    if lower_bound is not None and lower_bound >= 0:
        r1 = max(r1, lower_bound)
    if upper_bound is not None and upper_bound >= 0:
        r1 = min(r1, upper_bound)
    if r1 != 0 and r2 != 0:
        lr = lr * r1 / r2
    weight -= weight.dtype.type(lr) * u


def lamb_step(weight, grad, mean, var, lr, wd, t, beta1=0.9, beta2=0.999, epsilon=1e-6,
              lower_bound=None, upper_bound=None, bias_correction=True, rescale_grad=1.0,
              clip_gradient=None):
    """One LAMB step on numpy arrays, in place: `lamb_direction` then `lamb_apply` with
    ``r1 = ||w||`` and ``r2 = ||u||`` (summed in float32)."""
    u = lamb_direction(weight, grad, mean, var, wd, t, beta1, beta2, epsilon, bias_correction,
                       rescale_grad, clip_gradient)
    r1 = float(np.sqrt(np.sum(np.square(weight, dtype=np.float32))))
    r2 = float(np.sqrt(np.sum(np.square(u, dtype=np.float32))))
    lamb_apply(weight, u, r1, r2, lr, lower_bound, upper_bound)


@register
class LAMB(TwoMoments):
    """LAMB optimizer (You et al., https://arxiv.org/abs/1904.00962): Adam's direction
    plus weight decay, with a per-layer trust ratio ``||w|| / ||update||``.

    Parameters
    ----------
    beta1 : float, optional
        Exponential decay rate for the first moment estimates.
    beta2 : float, optional
        Exponential decay rate for the second moment estimates.
    epsilon : float, optional
        Small value to avoid division by 0.
    lower_bound, upper_bound : float, optional
        Bounds on the weight norm used in the trust ratio.
    bias_correction : bool, optional
        Apply Adam's bias correction to the moments.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE',
                                                          '45'))))

    def update(self, index, weight, grad, state):
        lr, wd, t = self._common_t(index)
        mean, var = state
        lamb_step(weight._data, dense(grad), mean._data, var._data, lr, wd, t, self.beta1,
                  self.beta2, self.epsilon, self.lower_bound or None,
                  self.upper_bound or None, self.bias_correction, self.rescale_grad,
                  self.clip_gradient)
        bump(weight, mean, var)
