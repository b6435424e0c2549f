"""AdaMax (``mx.optimizer.Adamax``), Adam with the infinity norm, and its pure update
function."""
import numpy as np

from .optimizer import register
from ._common import TwoMoments, dense, py_clip, bump

__all__ = ['Adamax', 'adamax_step']


def adamax_step(weight, grad, m, u, lr, wd, beta1=0.9, beta2=0.999, rescale_grad=1.0,
                clip_gradient=None):
    """One AdaMax step on numpy arrays, in place (``lr`` already divided by
    ``1 - beta1**t``)::

        g = clip(rescale_grad * grad + wd * w)      # whenever a value is given
        m = beta1 * m + (1 - beta1) * g
        u = maximum(beta2 * u, abs(g))
        w -= lr * m / u
    """
    dtype = weight.dtype.type
    g = py_clip(grad, rescale_grad, clip_gradient, wd, weight)
    m *= dtype(beta1)
    m += dtype(1. - beta1) * g
    np.maximum(dtype(beta2) * u, np.abs(g), out=u)
    weight -= dtype(lr) * m / u


@register
class Adamax(TwoMoments):
    """The AdaMax optimizer, a variant of Adam based on the infinity norm
    (http://arxiv.org/abs/1412.6980, section 7).

    Updates the weight by::

        grad = clip(grad * rescale_grad + wd * weight, clip_gradient)
        m = beta1 * m_t + (1 - beta1) * grad
        u = maximum(beta2 * u, abs(grad))
        weight -= lr / (1 - beta1**t) * m / u

    Parameters
    ----------
    beta1 : float, optional
        Exponential decay rate for the first moment estimates.
    beta2 : float, optional
        Exponential decay rate for the second moment estimates.
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate, beta1, beta2, **kwargs)

    def update(self, index, weight, grad, state):
        lr, wd, t = self._common_t(index)
        lr /= (1. - self.beta1 ** t)
        m, u = state
        adamax_step(weight._data, dense(grad), m._data, u._data, lr, wd, self.beta1,
                    self.beta2, self.rescale_grad, self.clip_gradient)
        bump(weight, m, u)
