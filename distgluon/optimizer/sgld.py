"""SGLD, stochastic gradient Langevin dynamics (``mx.optimizer.SGLD``), and its pure
update function."""
import math

import numpy as np

from .optimizer import Optimizer, register
from ._common import dense, py_clip, bump

__all__ = ['SGLD', 'sgld_step']

_FALLBACK_RNG = []


def _rng():
    """distgluon's global generator (``mx.random.seed`` controls it) when available."""
    try:
        from ..random import get_rng
    except ImportError:
        if not _FALLBACK_RNG:
            _FALLBACK_RNG.append(np.random.default_rng())
        return _FALLBACK_RNG[0]
    return get_rng()


def sgld_step(weight, grad, lr, wd, rescale_grad=1.0, clip_gradient=None, rng=None):
    """One SGLD step on numpy arrays, in place::

        g = clip(rescale_grad * grad)               # whenever a value is given
        w += -lr / 2 * (g + wd * w) + normal(0, sqrt(lr))

    ``rng`` is a numpy Generator (distgluon's global one by default).
    """
    dtype = weight.dtype.type
    g = py_clip(grad, rescale_grad, clip_gradient)
    g += dtype(wd) * weight
    weight -= dtype(lr / 2) * g
    rng = _rng() if rng is None else rng
    noise = rng.standard_normal(weight.shape, dtype=np.float32) * np.float32(math.sqrt(lr))
    weight += noise.astype(weight.dtype, copy=False)


@register
class SGLD(Optimizer):
    """Stochastic Gradient Riemannian Langevin Dynamics (Patterson & Teh,
    NIPS 2013, paper 4883).

    Updates each weight by ``w += -lr/2 * (grad + wd * w) + N(0, sqrt(lr))``.

    Notes
    -----
    The noise comes from distgluon's random generator, so its values differ from
    MXNet's for the same seed; its distribution is the same.
    """

    def create_state(self, index, weight):
        return None

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        sgld_step(weight._data, dense(grad), lr, wd, self.rescale_grad, self.clip_gradient)
        bump(weight)
