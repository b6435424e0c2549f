"""DCASGD, delay-compensated asynchronous SGD (``mx.optimizer.DCASGD``), and its pure
update function."""
from .optimizer import Optimizer, register
from ._common import momentum_state, dense, py_clip, bump

__all__ = ['DCASGD', 'dcasgd_step']


def dcasgd_step(weight, grad, mom, previous_weight, lr, wd, momentum=0.0, lamda=0.04,
                rescale_grad=1.0, clip_gradient=None):
    """One DCASGD step on numpy arrays, in place::

        g = clip(rescale_grad * grad)               # whenever a value is given
        step = -lr * (g + wd * w + lamda * g**2 * (w - previous_weight))
        mom = momentum * mom + step                 # step itself without a momentum state
        previous_weight = w
        w += mom
    """
    dtype = weight.dtype.type
    g = py_clip(grad, rescale_grad, clip_gradient)
    step = g * g * (weight - previous_weight)
    step *= dtype(lamda)
    step += g + dtype(wd) * weight
    step *= dtype(-lr)
    if mom is not None:
        mom *= dtype(momentum)
        mom += step
        step = mom
    previous_weight[...] = weight
    weight += step


@register
class DCASGD(Optimizer):
    """The DCASGD optimizer (Zheng et al., *Asynchronous Stochastic Gradient Descent with
    Delay Compensation for Distributed Deep Learning*, https://arxiv.org/abs/1609.08326).

    Parameters
    ----------
    momentum : float, optional
        The momentum value.
    lamda : float, optional
        Scale of the delay compensation term.

    Notes
    -----
    FIX: MXNet tests its momentum state with ``if mom:``, which fails for any
    multi-element weight (``The truth value of an NDArray with multiple elements is
    ambiguous``), so DCASGD with a momentum, under the Trainer or not, cannot run there.
    Here the state is tested with ``is not None`` and momentum works.
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        return (momentum_state(self.momentum, weight), weight.copy())  # momentum, previous weight

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        mom, previous_weight = state
        dcasgd_step(weight._data, dense(grad), None if mom is None else mom._data,
                    previous_weight._data, lr, wd, self.momentum, self.lamda,
                    self.rescale_grad, self.clip_gradient)
        bump(weight, mom, previous_weight)
