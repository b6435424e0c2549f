"""MXNet's ``Test`` optimizer (registered as ``'test'``): ``w += rescale_grad * grad``."""
import numpy as np

from .optimizer import Optimizer, register
from ._common import zeros_state, dense, bump

__all__ = ['Test']


@register
class Test(Optimizer):
    """The Test optimizer: adds the rescaled gradient to the weight and keeps a copy of
    the result as its state. It counts no updates (as in MXNet)."""

    def create_state(self, index, weight):
        """A float32 state that receives a copy of the weight after each update."""
        return zeros_state(weight, np.float32)

    def update(self, index, weight, grad, state):
        """Performs ``w += rescale_grad * grad`` and ``state[:] = w``."""
        w = weight._data
        w += dense(grad) * w.dtype.type(self.rescale_grad)
        state._data[...] = w
        bump(weight, state)
