"""SGD with optional momentum (``mx.optimizer.SGD``) and its pure update function."""
import os

import numpy as np

from .optimizer import Optimizer, register, clip_scaled

__all__ = ['SGD', 'sgd_step']


def sgd_step(weight, grad, mom, lr, wd, rescale_grad=1.0, clip_gradient=None, momentum=0.0):
    """One SGD step on numpy arrays, in place.

    Without momentum: ``w = (1 - lr*wd) * w - lr * clip(rescale * g)``.
    With momentum:   ``m = momentum*m - lr*wd*w - lr*clip(rescale*g); w += m``.
    """
    g = clip_scaled(grad, rescale_grad, clip_gradient)   # a new array: safe to scale
    dtype = weight.dtype.type
    g *= dtype(lr)
    if mom is None:
        if wd:
            weight *= dtype(1 - lr * wd)
        weight -= g
    else:
        mom *= dtype(momentum)
        if wd:
            mom -= dtype(lr * wd) * weight
        mom -= g
        weight += mom


@register
class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay.

    Parameters
    ----------
    momentum : float
        Momentum coefficient (0 disables the momentum state).
    lazy_update : bool
        With row_sparse gradients, update only the rows present in the gradient
        (weight decay included), as MXNet's lazy update does.
    """

    _master_copy_first = False
    _mp_warning_name = 'SGD optimizer'

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '4'))

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        from ..ndarray import zeros
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def update(self, index, weight, grad, state):
        lr, wd = self._common(index)
        mom = None if state is None else state._data
        stype = grad.stype
        if stype == 'row_sparse' and self.lazy_update:
            rows = np.asarray(grad.indices._data, dtype=np.int64)
            w_rows = weight._data[rows]
            m_rows = None if mom is None else mom[rows]
            sgd_step(w_rows, grad.data._data, m_rows, lr, wd, self.rescale_grad,
                     self.clip_gradient, self.momentum)
            weight._data[rows] = w_rows
            if mom is not None:
                mom[rows] = m_rows
        else:
            g = grad._data if stype == 'default' else grad.tostype('default')._data
            sgd_step(weight._data, g, mom, lr, wd, self.rescale_grad, self.clip_gradient,
                     self.momentum)
        weight._version += 1
