"""LARS (``mx.optimizer.LARS``): SGD with a layer-wise adapted learning rate."""
import os

import numpy as np

from .optimizer import Optimizer, register
from .sgd import sgd_step
from ._common import momentum_state, dense, sparse_rows, bump

__all__ = ['LARS', 'lars_rate']

_NOT_ADAPTED = ('gamma', 'beta', 'bias')


def lars_rate(weight, grad, lr, wd, eta=0.001, eps=0.0, rescale_grad=1.0):
    """The layer's learning rate ``lr * eta * ||w|| / (||g|| + wd * ||w|| + eps)``, with
    ``g = rescale_grad * grad``; ``lr`` when either norm is 0."""
    w_norm = float(np.sqrt(np.sum(np.square(weight, dtype=np.float32))))
    g_norm = float(np.sqrt(np.sum(np.square(grad, dtype=np.float32)))) * abs(rescale_grad)
    if w_norm > 0.0 and g_norm > 0.0:
        return lr * eta * w_norm / (g_norm + wd * w_norm + eps)
    return lr


@register
class LARS(Optimizer):
    """The LARS optimizer ('Large Batch Training of Convolution Networks',
    https://arxiv.org/abs/1708.03888).

    Like SGD with momentum and weight decay, with the learning rate of each layer
    (except parameters whose names end in gamma, beta or bias) scaled by::

        w_norm = L2norm(weights); g_norm = L2norm(gradients)
        if w_norm > 0 and g_norm > 0:
            lr_layer = lr * lr_mult * eta * w_norm / (g_norm + weight_decay * w_norm + eps)
        else:
            lr_layer = lr * lr_mult

    Only names ending in ``_weight`` get weight decay when ``param_idx2name`` is given.

    Parameters
    ----------
    momentum : float, optional
        The momentum value.
    lazy_update : bool, optional
        Update only the rows of a row_sparse gradient.
    eta : float, optional
        LARS coefficient used to scale the learning rate.
    eps : float, optional
        Added to the denominator, for very small gradients.
    momentum_correction : bool, optional
        Scale the momentum by ``lr_t / lr_{t-1}`` when a scheduler changes the rate
        (Goyal et al., https://arxiv.org/pdf/1706.02677.pdf).
    """
    _master_copy_first = False
    _mp_warning_name = 'SGD optimizer'
    # Only names ending in ``_weight`` keep their weight decay (see `Optimizer.set_wd_mult`).
    _wd_suffixes = ('_weight',)

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '4'))
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        """The rates of ``indices``; also remembers the previous and current base rate
        (for momentum correction)."""
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.learning_rate
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return self._times_mult(lr, indices, self.lr_mult, 'lr_mult')

    def create_state(self, index, weight):
        return momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lrs([index])[0]
        wd = self._get_wd(index)
        momentum = 0.0
        if self.momentum > 0:
            momentum = self.momentum
            if self.momentum_correction and self.last_lr != 0:
                momentum = self.momentum * (self.cur_lr / self.last_lr)
        name = self.idx2name.get(index, str(index))
        g = dense(grad)
        if not name.endswith(_NOT_ADAPTED):
            lr = lars_rate(weight._data, g, lr, wd, self.eta, self.eps, self.rescale_grad)
        mom = None if state is None else state._data
        sparse = sparse_rows(grad) if self.lazy_update else None
        if sparse is not None:
            rows, grad_rows = sparse
            w_rows = weight._data[rows]
            m_rows = None if mom is None else mom[rows]
            sgd_step(w_rows, grad_rows, m_rows, lr, wd, self.rescale_grad, self.clip_gradient,
                     momentum)
            weight._data[rows] = w_rows
            if mom is not None:
                mom[rows] = m_rows
        else:
            sgd_step(weight._data, g, mom, lr, wd, self.rescale_grad, self.clip_gradient,
                     momentum)
        bump(weight, state)
