"""Signum and signSGD (``mx.optimizer.Signum``) and their pure update functions."""
import numpy as np

from ..base import MXNetError
from .optimizer import Optimizer, register, clip_scaled
from ._common import momentum_state, dense, bump

__all__ = ['Signum', 'signum_step', 'signsgd_step']


def signum_step(weight, grad, mom, lr, wd, momentum=0.9, wd_lh=0.0, rescale_grad=1.0,
                clip_gradient=None):
    """One Signum step on numpy arrays, in place (``signum_update``)::

        mom = momentum * mom - (1 - momentum) * (clip(rescale_grad * grad) + wd * w)
        w = (1 - lr * wd_lh) * w + lr * sign(mom)

    (the stored momentum is the negative of the documented one).
    """
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    g += dtype(wd) * weight
    mom *= dtype(momentum)
    mom -= dtype(1 - momentum) * g
    weight *= dtype(1 - lr * wd_lh)
    weight += dtype(lr) * np.sign(mom)


def signsgd_step(weight, grad, lr, wd, rescale_grad=1.0, clip_gradient=None):
    """One signSGD step on numpy arrays, in place (``signsgd_update``)::

        w = (1 - lr * wd) * w - lr * sign(clip(rescale_grad * grad))
    """
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    weight *= dtype(1 - lr * wd)
    weight -= dtype(lr) * np.sign(g)


@register
class Signum(Optimizer):
    r"""The Signum optimizer that takes the sign of gradient or momentum
    (Bernstein et al., signSGD, https://arxiv.org/abs/1802.04434).

    Updates the weight by::

        rescaled_grad = rescale_grad * clip(grad, clip_gradient) + wd * weight
        state = momentum * state + (1-momentum)*rescaled_grad
        weight = (1 - lr * wd_lh) * weight - lr * sign(state)

    With ``momentum=0`` there is no state and the update is signSGD.

    Parameters
    ----------
    momentum : float, optional
        The momentum value.
    wd_lh : float, optional
        Decoupled weight decay (https://arxiv.org/abs/1711.05101); needs a momentum.

    Notes
    -----
    As in MXNet, ``wd_lh`` with ``momentum=0`` fails at the first update (MXNet's
    signSGD kernel has no such argument).
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        if state is not None:
            signum_step(weight._data, dense(grad), state._data, lr, wd,
                        self.momentum if self.momentum > 0 else 0.0, self.wd_lh,
                        self.rescale_grad, self.clip_gradient)
        else:
            if self.wd_lh:
                raise MXNetError("Cannot find argument 'wd_lh': Signum without momentum "
                                 "runs signSGD, which has no decoupled weight decay; set "
                                 "momentum > 0 or wd_lh=0")
            signsgd_step(weight._data, dense(grad), lr, wd, self.rescale_grad,
                         self.clip_gradient)
        bump(weight, state)
