"""LBSGD (``mx.optimizer.LBSGD``): large-batch SGD with learning-rate warmup and
gradient accumulation over ``batch_scale`` updates."""
import logging
import math

import numpy as np

from .optimizer import Optimizer, register
from .sgd import sgd_step
from ._common import momentum_state, dense, bump

__all__ = ['LBSGD', 'lbsgd_multiplier']


def lbsgd_multiplier(nup, warmup_epochs, updates_per_epoch, batch_scale, strategy):
    """The warmup multiplier of the learning rate after ``nup`` accumulated updates:
    grows from 1 to ``batch_scale`` over ``warmup_epochs * updates_per_epoch`` updates
    ('linear', 'power2' or 'sqrt'; any other strategy gives 1)."""
    nwup = warmup_epochs * updates_per_epoch
    maxmult = float(batch_scale)
    if nup >= nwup:
        return maxmult
    if nwup <= 1:
        return 1.0
    if strategy == 'linear':
        return 1.0 + (maxmult - 1) * nup / nwup
    if strategy == 'power2':
        return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
    if strategy == 'sqrt':
        return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
    return 1.0


@register
class LBSGD(Optimizer):
    """The Large Batch SGD optimizer with momentum and weight decay.

    Gradients are accumulated over ``batch_scale`` updates; every ``batch_scale``-th
    update applies SGD (with momentum) to their mean with the learning rate times a
    warmup multiplier (see `lbsgd_multiplier`), or, for ``warmup_strategy='lars'``,
    times the LARS ratio ``sqrt(|w|^2 / (|g|^2 + wd |w|^2))`` clipped to [0.01, 100].
    The other updates leave the weight unchanged.

    Parameters
    ----------
    momentum : float, optional
        The momentum value.
    multi_precision : bool, optional
        Keep and update a float32 master copy of float16 weights.
    warmup_strategy : str ('linear', 'power2', 'sqrt' or 'lars')
    warmup_epochs : int
    batch_scale : int
        Number of updates accumulated into one step.
    updates_per_epoch : int
    begin_epoch : int
    num_epochs : int
    """

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear',
                 warmup_epochs=5, batch_scale=1, updates_per_epoch=32, begin_epoch=0,
                 num_epochs=60, **kwargs):
        super().__init__(**kwargs)
        logging.info('Running Large-Batch SGD Algorithm')
        logging.info('(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, '
                     'updates_per_epoch=%d)', batch_scale, warmup_epochs, warmup_strategy,
                     updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index, weight):
        return momentum_state(self.momentum, weight)

    def _get_lars(self, weight, g, wd):
        weight2 = float(np.sum(np.square(weight, dtype=np.float32)))
        grad2 = float(np.sum(np.square(g, dtype=np.float32)))
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100)

    def _cumulate_gradient(self, grad, index):
        """Add ``grad`` to the accumulation of ``index``; returns the accumulation
        record ``{'cum_grad', 'num_cums'}``."""
        cgrad = self.cumgrads.get(index)
        if cgrad and cgrad['num_cums'] > 0:
            cgrad = {'cum_grad': cgrad['cum_grad'] + grad,
                     'num_cums': cgrad['num_cums'] + 1}
        else:
            cgrad = {'cum_grad': grad, 'num_cums': self.init_updates + 1}
        self.cumgrads[index] = cgrad
        return cgrad

    def update(self, index, weight, grad, state):
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad['num_cums'] % self.batch_scale != 0:
            return  # MXNet runs SGD with lr=0 here: the weight does not change
        g = dense(cgrad['cum_grad']) / np.float32(self.batch_scale)
        if self.warmup_strategy == 'lars':
            lbmult = self._get_lars(weight._data, g, wd)
        else:
            lbmult = lbsgd_multiplier(cgrad['num_cums'], self.warmup_epochs,
                                      self.updates_per_epoch, self.batch_scale,
                                      self.warmup_strategy)
        momentum = self.momentum if self.momentum > 0 else 0.0
        sgd_step(weight._data, g.astype(weight.dtype, copy=False),
                 None if state is None else state._data, lr * lbmult, wd, self.rescale_grad,
                 self.clip_gradient if self.clip_gradient else None, momentum)
        self.cumgrads[index]['cum_grad'] = 0
        bump(weight, state)
