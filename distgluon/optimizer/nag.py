"""Nesterov accelerated gradient (``mx.optimizer.NAG``) and its pure update function."""
from .optimizer import Optimizer, register, clip_scaled
from .sgd import sgd_step
from ._common import momentum_state, dense, bump

__all__ = ['NAG', 'nag_step']


def nag_step(weight, grad, mom, lr, wd, rescale_grad=1.0, clip_gradient=None, momentum=0.0):
    """One NAG step on numpy arrays, in place (MXNet's ``nag_mom_update``).

    With ``g = clip(rescale_grad * grad) + wd * w`` and ``m' = momentum * m``::

        w_new = w - m' + (1 + momentum) * (m' - lr * g)
        m     = m' - lr * (clip(rescale_grad * grad) + wd * w_new)

    The momentum takes its weight-decay term from the *updated* weight: MXNet's kernel
    writes the weight in place before it reads it again for the momentum, and we keep
    that observable result. Without a momentum state this is plain SGD.
    """
    if mom is None:
        sgd_step(weight, grad, None, lr, wd, rescale_grad, clip_gradient)
        return
    dtype = weight.dtype.type
    g = clip_scaled(grad, rescale_grad, clip_gradient)
    mom *= dtype(momentum)
    step = g + dtype(wd) * weight
    step *= dtype(lr)
    weight -= mom
    weight += dtype(1 + momentum) * (mom - step)
    g += dtype(wd) * weight
    g *= dtype(lr)
    mom -= g


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient.

    Updates each weight by::

        state = momentum * state + grad + wd * weight
        weight = weight - (lr * (grad + momentum * state))

    (the stored state is the negative, learning-rate-scaled form of this one; see
    `nag_step` for the exact arithmetic).

    Parameters
    ----------
    momentum : float, optional
        The momentum value (0 disables the momentum state: plain SGD).
    multi_precision : bool, optional
        Keep and update a float32 master copy of float16 weights.
    """
    _master_copy_first = False
    _mp_warning_name = 'NAG optimizer'

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        mom = None if state is None else state._data
        nag_step(weight._data, dense(grad), mom, lr, wd, self.rescale_grad,
                 self.clip_gradient, self.momentum if self.momentum > 0 else 0.0)
        bump(weight, state)
