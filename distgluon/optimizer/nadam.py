"""Nadam (``mx.optimizer.Nadam``), Adam with Nesterov momentum, and its pure update
function."""
import numpy as np

from .optimizer import register
from ._common import TwoMoments, dense, py_clip, bump

__all__ = ['Nadam', 'nadam_step']


def nadam_step(weight, grad, m, v, lr, wd, t, m_schedule, beta1=0.9, beta2=0.999,
               epsilon=1e-8, schedule_decay=0.004, rescale_grad=1.0, clip_gradient=None):
    """One Nadam step on numpy arrays, in place; returns the new momentum schedule.

    ``m_schedule`` is the running product of the warming momentum coefficients
    ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * schedule_decay))`` before this step.
    """
    dtype = weight.dtype.type
    g = py_clip(grad, rescale_grad, clip_gradient, wd, weight)
    momentum_t = beta1 * (1. - 0.5 * (pow(0.96, t * schedule_decay)))
    momentum_t_1 = beta1 * (1. - 0.5 * (pow(0.96, (t + 1) * schedule_decay)))
    m_schedule = m_schedule * momentum_t
    m_schedule_next = m_schedule * momentum_t_1
    m *= dtype(beta1)
    m += dtype(1. - beta1) * g
    v *= dtype(beta2)
    v += dtype(1. - beta2) * g * g
    grad_prime = g / dtype(1. - m_schedule)
    m_t_prime = m / dtype(1. - m_schedule_next)
    v_t_prime = v / dtype(1. - pow(beta2, t))
    m_t_bar = dtype(1. - momentum_t) * grad_prime + dtype(momentum_t_1) * m_t_prime
    weight -= dtype(lr) * m_t_bar / (np.sqrt(v_t_prime) + dtype(epsilon))
    return m_schedule


@register
class Nadam(TwoMoments):
    """The Nesterov Adam optimizer (http://cs229.stanford.edu/proj2015/054_report.pdf).

    Parameters
    ----------
    beta1 : float, optional
        Exponential decay rate for the first moment estimates.
    beta2 : float, optional
        Exponential decay rate for the second moment estimates.
    epsilon : float, optional
        Small value to avoid division by 0.
    schedule_decay : float, optional
        Exponential decay rate for the momentum schedule.

    Notes
    -----
    As in MXNet, the momentum schedule ``m_schedule`` is one value on the optimizer,
    advanced by every update of every parameter (not per parameter).
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def update(self, index, weight, grad, state):
        lr, wd, t = self._common_t(index)
        m, v = state
        self.m_schedule = nadam_step(weight._data, dense(grad), m._data, v._data, lr, wd, t,
                                     self.m_schedule, self.beta1, self.beta2, self.epsilon,
                                     self.schedule_decay, self.rescale_grad,
                                     self.clip_gradient)
        bump(weight, m, v)
