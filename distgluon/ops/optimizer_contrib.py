"""Contrib optimizer update operators: AdamW (``_adamw_update``, ``_mp_adamw_update``,
reached as ``mx.nd.contrib.adamw_update`` / ``mp_adamw_update`` through MXNet's Python
wrappers below) and GroupAdaGrad (``mx.nd.contrib.group_adagrad_update``).

The arithmetic is `adamw_step` and `group_adagrad_step` of `distgluon.optimizer`; states
are written in place, as for every update op (see `optimizer_ops`).

Notes
-----
* ``_adamw_update`` leaves ``grad`` as it is; MXNet 1.9.1's kernel also writes the
  scaled, clipped gradient back into it.
* ``_contrib_group_adagrad_update`` works on CPU (MXNet 1.9.1 has it for GPU only).
"""
import numpy as np

from .registry import Attr, REQUIRED, register
from .optimizer_ops import UpdateOp, clip_args, _bound
from ..base import MXNetError
from ..optimizer.adamw import adamw_step
from ..optimizer.contrib import group_adagrad_step

__all__ = []

_F32 = np.dtype(np.float32)


_ADAMW = {'lr': Attr('float', REQUIRED), 'beta1': Attr('float', 0.9),
          'beta2': Attr('float', 0.999), 'epsilon': Attr('float', 1e-8),
          'wd': Attr('float', 0.0), 'eta': Attr('float', REQUIRED),
          'clip_gradient': Attr('float', -1.0)}


def _adamw(op, a, target, grad, mean, var, rescale_grad):
    """Run `adamw_step` on ``target`` with the scale read from the ``rescale_grad`` array;
    False when the kernel skips the step (scale 0, NaN or infinite)."""
    if rescale_grad.dtype != _F32 or rescale_grad.size < 1:
        raise MXNetError('{}: rescale_grad must be a float32 array holding the scale, got '
                         'dtype {} and shape {}'.format(op.name, rescale_grad.dtype,
                                                        rescale_grad.shape))
    grad, clip = clip_args(a, grad)
    return adamw_step(target, grad, mean, var, a.lr, a.eta, a.wd, a.beta1, a.beta2,
                      a.epsilon, float(rescale_grad.reshape(-1)[0]), clip)


def _skipped(weight, out):
    """A skipped step leaves the output as it was (MXNet does not write it)."""
    return out[0] if out is not None else weight.copy()


@register
class AdamWUpdate(UpdateOp):
    """Update function for AdamW optimizer (``mx.nd.contrib.adamw_update``): ``mean``
    and ``var`` updated in place, see `adamw_step`. ``rescale_grad`` is an array (its
    first element is the scale); a scale of 0, NaN or infinity skips the update."""
    name = '_adamw_update'
    inputs = ('weight', 'grad', 'mean', 'var', 'rescale_grad')
    attrs = _ADAMW
    same_dtype = False
    mutated = (2, 3)

    def forward(self, xp, a, weight, grad, mean, var, rescale_grad, out=None):
        self.check((weight, grad, mean, var))
        w = weight.copy()
        if not _adamw(self, a, w, grad, mean, var, rescale_grad):
            return _skipped(weight, out)
        return w


@register
class MPAdamWUpdate(UpdateOp):
    """Multi-precision AdamW update (``mx.nd.contrib.mp_adamw_update``): the float32
    master copy ``weight32`` and the float32 ``mean``/``var`` are updated in place."""
    name = '_mp_adamw_update'
    inputs = ('weight', 'grad', 'mean', 'var', 'weight32', 'rescale_grad')
    attrs = _ADAMW
    same_dtype = False
    mutated = (2, 3, 4)
    f32 = (2, 3, 4)

    def forward(self, xp, a, weight, grad, mean, var, weight32, rescale_grad, out=None):
        self.check((weight, grad, mean, var, weight32))
        if not _adamw(self, a, weight32, grad.astype(np.float32), mean, var, rescale_grad):
            return _skipped(weight, out)
        return weight32.astype(weight.dtype)


@register
class GroupAdagradUpdate(UpdateOp):
    """Update function for GroupAdaGrad optimizer (AdaGrad with one rate per row);
    ``history`` (shape ``(rows, 1)``) is updated in place, see `group_adagrad_step`."""
    name = '_contrib_group_adagrad_update'
    inputs = ('weight', 'grad', 'history')
    attrs = {'lr': Attr('float', REQUIRED), 'rescale_grad': Attr('float', 1.0),
             'clip_gradient': Attr('float', -1.0), 'epsilon': Attr('float', 1e-5)}
    mutated = (2,)

    def forward(self, xp, a, weight, grad, history, out=None):
        self.check((weight, grad))
        if weight.ndim != 2 or history.shape != (weight.shape[0], 1):
            raise MXNetError('{}: needs a 2-D weight and a history of shape (rows, 1); got '
                             'weight {} and history {}'.format(self.name, weight.shape,
                                                               history.shape))
        w = weight.copy()
        group_adagrad_step(w, grad, history, a.lr, a.epsilon, a.rescale_grad,
                           _bound(a.clip_gradient))
        return w


# ------------------------------------------------------------------ Python-level wrappers
def _rescale_array(nd, rescale_grad, weight):
    if isinstance(rescale_grad, nd.NDArray):
        return rescale_grad.as_in_context(weight.context)
    return nd.full((1,), rescale_grad, ctx=weight.context)


def contrib_adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9,
                         beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None,
                         name=None, **kwargs):
    """``mx.nd.contrib.adamw_update``: `_adamw_update` with ``rescale_grad`` given as a
    number or an NDArray (MXNet's Python wrapper)."""
    from .. import ndarray as nd
    return nd._internal._adamw_update(
        weight, grad, mean, var, _rescale_array(nd, rescale_grad, weight), lr=lr, eta=eta,
        beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd, clip_gradient=clip_gradient,
        out=out, **kwargs)


def contrib_mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta,
                            beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1,
                            out=None, name=None, **kwargs):
    """``mx.nd.contrib.mp_adamw_update``: `_mp_adamw_update` with ``rescale_grad`` given
    as a number or an NDArray."""
    from .. import ndarray as nd
    return nd._internal._mp_adamw_update(
        weight, grad, mean, var, weight32, _rescale_array(nd, rescale_grad, weight), lr=lr,
        eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, **kwargs)
