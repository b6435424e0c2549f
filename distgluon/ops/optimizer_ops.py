"""Optimizer update operators (``mx.nd.sgd_update``, ``adam_update``, ...): one update of
one weight, as MXNet's fused kernels do it.

The arithmetic is the pure ``*_step`` functions of `distgluon.optimizer` (the ones the
Optimizer classes run); these ops only map MXNet's operator arguments onto them. The
multi-tensor forms (``multi_sgd_update``, ``multi_sum_sq``, ``all_finite`` ...) live in
`optimizer_multi`, AdamW and GroupAdaGrad in `optimizer_contrib`.

State inputs are written in place. MXNet marks the optimizer states (``mom``, ``mean``,
``var``, ``n``, ``z``, the float32 master copy ``weight32`` ...) as mutated inputs: every
call updates them, whatever ``out`` is. Our kernels receive the numpy buffers of those
NDArrays and update them in place, as BatchNorm's backward does with its moving
statistics (see `nn_norm`); `mutate_inputs` lists them. The op's output is the new weight;
the ``weight`` input itself changes only when it is also the output (``out=weight``, the
way MXNet's optimizers call these ops).

These ops are not differentiable and are never recorded by autograd.

Notes
-----
* A ``clip_gradient`` (``clip_grad``, ``clip_weights``) below 0 turns clipping off; any
  bound >= 0 clips, as in MXNet's kernels, so 0 zeroes the gradient (see `clip_args`).
* A row_sparse gradient reaches these kernels in its dense form, so ``lazy_update`` has
  no effect here: every row is updated (MXNet's lazy update skips the absent rows).
* ``signsgd_update`` ignores ``rescale_grad`` and ``clip_gradient``, as MXNet's kernel does.
* ``mp_lamb_update_phase2`` writes the new master weight into ``weight32`` as its
  documentation says; MXNet 1.9.1 leaves ``weight32`` unchanged (its master copy never
  moves), a bug we do not copy.
"""
import numpy as np

from .registry import Op, Attr, REQUIRED, register
from ..base import MXNetError
from ..optimizer.sgd import sgd_step
from ..optimizer.nag import nag_step
from ..optimizer.adam import adam_step
from ..optimizer.rmsprop import rmsprop_step, rmsprop_centered_step
from ..optimizer.ftrl import ftrl_step
from ..optimizer.ftml import ftml_step
from ..optimizer.signum import signum_step, signsgd_step
from ..optimizer.lamb import lamb_direction, lamb_apply

__all__ = []

_F32 = np.dtype(np.float32)


def _bound(value):
    """MXNet's "a negative bound is off" as the pure functions' None."""
    return value if value >= 0 else None


def clip_args(a, grad, name='clip_gradient'):
    """``(grad, bound)`` for a pure step function from the op's clipping attribute.

    MXNet's kernels clip at any bound >= 0, the pure functions (like MXNet's Python
    optimizers, which never pass a bound of 0) only at a positive one; a bound of 0
    zeroes the clipped gradient, so it is passed as a zero gradient (NaN stays NaN).
    """
    bound = a[name]
    if bound == 0:
        return np.where(np.isnan(grad), grad, 0).astype(grad.dtype), None
    return grad, (bound if bound > 0 else None)


def _wd_in_clip(a, name='clip_gradient'):
    """The weight decay of kernels that clip ``rescale_grad * grad + wd * weight``: a
    bound of 0 clips the decay term away too."""
    return 0.0 if a[name] == 0 else a.wd


def _clip_weights(a, weight):
    """A ``clip_weights`` of 0 clips every weight to 0 (the pure functions skip it)."""
    if a.clip_weights == 0:
        np.clip(weight, 0, 0, out=weight)


def check_float(op, arr):
    """Raise MXNet's error for a non-floating weight."""
    if arr.dtype.kind != 'f':
        raise MXNetError('{}: This operation only support floating point types, not {}; '
                         'cast the arrays with astype(\'float32\')'.format(op.name, arr.dtype))


def check_inputs(op, xs, f32=()):
    """Every input has the weight's shape; inputs listed in ``f32`` (the master copy and
    the states of the mixed-precision ops) are float32, the others share the weight's
    dtype (``same_dtype`` checks that for the plain ops)."""
    check_float(op, xs[0])
    for i, x in enumerate(xs):
        if x.shape != xs[0].shape:
            raise MXNetError('{}: input {} ({}) has shape {} but the weight has shape {}; '
                             'states must be shaped like the weight'.format(
                                 op.name, i, op.inputs[i], x.shape, xs[0].shape))
        want = _F32 if i in f32 else xs[0].dtype
        if x.dtype != want:
            raise MXNetError('{}: input {} ({}) has dtype {}, expected {}'.format(
                op.name, i, op.inputs[i], x.dtype, want))


class UpdateOp(Op):
    """Base of the optimizer update ops: not differentiable, states written in place.

    ``mutated`` holds the input indices the kernel writes in place (``mutate_inputs``);
    ``f32`` the inputs that must be float32 whatever the weight's dtype. ``forward``
    takes an optional ``out`` (the numpy buffers given as ``out=``; ``reads_out``) for
    the kernels whose result depends on it.
    """
    differentiable = False
    reads_out = True
    mutated = ()
    f32 = ()

    def mutate_inputs(self, a):
        """Indices of the inputs this op updates in place (MXNet's mutated inputs)."""
        return self.mutated

    def check(self, xs):
        check_inputs(self, xs, self.f32)


def _lr_attrs(*names, **extra):
    """``lr`` (required) followed by the given attributes, in this order."""
    attrs = {'lr': Attr('float', REQUIRED)}
    attrs.update({n: _COMMON[n] for n in names})
    attrs.update(extra)
    return attrs


_COMMON = {
    'momentum': Attr('float', 0.0),
    'wd': Attr('float', 0.0),
    'rescale_grad': Attr('float', 1.0),
    'clip_gradient': Attr('float', -1.0),
    'lazy_update': Attr('bool', True),
}


# ------------------------------------------------------------------ SGD and NAG
@register
class SGDUpdate(UpdateOp):
    """Update function for Stochastic Gradient Descent (SGD) optimizer::

        weight = weight - learning_rate * (gradient + wd * weight)
    """
    name = 'sgd_update'
    inputs = ('weight', 'grad')
    attrs = _lr_attrs('wd', 'rescale_grad', 'clip_gradient', 'lazy_update')

    def forward(self, xp, a, weight, grad, out=None):
        self.check((weight, grad))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        sgd_step(w, grad, None, a.lr, a.wd, a.rescale_grad, clip)
        return w


@register
class SGDMomUpdate(UpdateOp):
    """Momentum update function for SGD (``mom`` is updated in place)::

        mom = momentum * mom - lr * (clip(rescale_grad * grad) + wd * weight)
        weight = weight + mom
    """
    name = 'sgd_mom_update'
    inputs = ('weight', 'grad', 'mom')
    attrs = _lr_attrs('momentum', 'wd', 'rescale_grad', 'clip_gradient', 'lazy_update')
    mutated = (2,)

    def forward(self, xp, a, weight, grad, mom, out=None):
        self.check((weight, grad, mom))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        sgd_step(w, grad, mom, a.lr, a.wd, a.rescale_grad, clip, a.momentum)
        return w


@register
class MPSGDUpdate(UpdateOp):
    """Updater function for multi-precision sgd optimizer: updates the float32 master
    copy ``weight32`` in place and returns it in the weight's dtype."""
    name = 'mp_sgd_update'
    inputs = ('weight', 'grad', 'weight32')
    attrs = _lr_attrs('wd', 'rescale_grad', 'clip_gradient', 'lazy_update')
    same_dtype = False
    mutated = f32 = (2,)

    def forward(self, xp, a, weight, grad, weight32, out=None):
        self.check((weight, grad, weight32))
        grad, clip = clip_args(a, grad.astype(np.float32))
        sgd_step(weight32, grad, None, a.lr, a.wd, a.rescale_grad, clip)
        return weight32.astype(weight.dtype)


@register
class MPSGDMomUpdate(UpdateOp):
    """Updater function for multi-precision sgd optimizer with momentum: ``mom`` and
    ``weight32`` (float32) are updated in place."""
    name = 'mp_sgd_mom_update'
    inputs = ('weight', 'grad', 'mom', 'weight32')
    attrs = _lr_attrs('momentum', 'wd', 'rescale_grad', 'clip_gradient', 'lazy_update')
    same_dtype = False
    mutated = f32 = (2, 3)

    def forward(self, xp, a, weight, grad, mom, weight32, out=None):
        self.check((weight, grad, mom, weight32))
        grad, clip = clip_args(a, grad.astype(np.float32))
        sgd_step(weight32, grad, mom, a.lr, a.wd, a.rescale_grad, clip, a.momentum)
        return weight32.astype(weight.dtype)


@register
class NAGMomUpdate(UpdateOp):
    """Update function for Nesterov Accelerated Gradient (NAG) optimizer (``mom`` is
    updated in place).

    MXNet's kernel writes the new weight to the output, then reads the weight again for
    the momentum's weight-decay term: with ``out=weight`` it sees the new weight (see
    `nag_step`), otherwise the old one, and the momentum is then SGD's
    (``momentum * mom - lr * (clip(rescale_grad * grad) + wd * weight)``). The kernel
    gets ``out`` to tell the two apart; called without it, it takes the second.
    """
    name = 'nag_mom_update'
    inputs = ('weight', 'grad', 'mom')
    attrs = _lr_attrs('momentum', 'wd', 'rescale_grad', 'clip_gradient')
    mutated = (2,)

    def forward(self, xp, a, weight, grad, mom, out=None):
        self.check((weight, grad, mom))
        grad, clip = clip_args(a, grad)
        args = (a.lr, a.wd, a.rescale_grad, clip, a.momentum)
        if out is not None and out[0] is weight:
            nag_step(weight, grad, mom, *args)
            return weight
        w = weight.copy()
        nag_step(w, grad, mom.copy(), *args)
        sgd_step(weight.copy(), grad, mom, *args)   # the momentum, from the old weight
        return w


@register
class MPNAGMomUpdate(UpdateOp):
    """Update function for multi-precision Nesterov Accelerated Gradient (NAG) optimizer:
    ``mom`` and the float32 master copy ``weight32`` are updated in place (the momentum
    reads the new master weight)."""
    name = 'mp_nag_mom_update'
    inputs = ('weight', 'grad', 'mom', 'weight32')
    attrs = _lr_attrs('momentum', 'wd', 'rescale_grad', 'clip_gradient')
    same_dtype = False
    mutated = f32 = (2, 3)

    def forward(self, xp, a, weight, grad, mom, weight32, out=None):
        self.check((weight, grad, mom, weight32))
        grad, clip = clip_args(a, grad.astype(np.float32))
        nag_step(weight32, grad, mom, a.lr, a.wd, a.rescale_grad, clip, a.momentum)
        return weight32.astype(weight.dtype)


# ------------------------------------------------------------------ adaptive methods
@register
class AdamUpdate(UpdateOp):
    """Update function for Adam optimizer (``mean`` and ``var`` updated in place)::

        g = clip(rescale_grad * grad + wd * weight)
        mean = beta1 * mean + (1 - beta1) * g ;  var = beta2 * var + (1 - beta2) * g**2
        weight = weight - lr * mean / (sqrt(var) + epsilon)

    ``lr`` carries no bias correction: the caller folds it in.
    """
    name = 'adam_update'
    inputs = ('weight', 'grad', 'mean', 'var')
    attrs = _lr_attrs(beta1=Attr('float', 0.9), beta2=Attr('float', 0.999),
                      epsilon=Attr('float', 1e-8), wd=_COMMON['wd'],
                      rescale_grad=_COMMON['rescale_grad'],
                      clip_gradient=_COMMON['clip_gradient'],
                      lazy_update=_COMMON['lazy_update'])
    mutated = (2, 3)

    def forward(self, xp, a, weight, grad, mean, var, out=None):
        self.check((weight, grad, mean, var))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        adam_step(w, grad, mean, var, a.lr, _wd_in_clip(a), a.beta1, a.beta2, a.epsilon,
                  a.rescale_grad, clip)
        return w


_RMS_TAIL = dict(epsilon=Attr('float', 1e-8), wd=_COMMON['wd'],
                 rescale_grad=_COMMON['rescale_grad'], clip_gradient=_COMMON['clip_gradient'],
                 clip_weights=Attr('float', -1.0))


@register
class RMSPropUpdate(UpdateOp):
    """Update function for RMSProp optimizer (Tieleman & Hinton), ``n`` updated in place::

        g = clip(rescale_grad * grad + wd * weight)
        n = (1 - gamma1) * g**2 + gamma1 * n
        weight = clip_w(weight - lr * g / sqrt(n + epsilon))
    """
    name = 'rmsprop_update'
    inputs = ('weight', 'grad', 'n')
    attrs = _lr_attrs(gamma1=Attr('float', 0.95), **_RMS_TAIL)
    mutated = (2,)

    def forward(self, xp, a, weight, grad, n, out=None):
        self.check((weight, grad, n))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        rmsprop_step(w, grad, n, a.lr, _wd_in_clip(a), a.gamma1, a.epsilon, a.rescale_grad,
                     clip, _bound(a.clip_weights))
        _clip_weights(a, w)
        return w


@register
class RMSPropAlexUpdate(UpdateOp):
    """Update function for RMSPropAlex optimizer (Graves's centered RMSProp); ``n``,
    ``g`` and ``delta`` are updated in place (see `rmsprop_centered_step`)."""
    name = 'rmspropalex_update'
    inputs = ('weight', 'grad', 'n', 'g', 'delta')
    attrs = _lr_attrs(gamma1=Attr('float', 0.95), gamma2=Attr('float', 0.9), **_RMS_TAIL)
    mutated = (2, 3, 4)

    def forward(self, xp, a, weight, grad, n, g, delta, out=None):
        self.check((weight, grad, n, g, delta))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        rmsprop_centered_step(w, grad, n, g, delta, a.lr, _wd_in_clip(a), a.gamma1,
                              a.gamma2, a.epsilon, a.rescale_grad, clip,
                              _bound(a.clip_weights))
        _clip_weights(a, w)
        return w


@register
class FtrlUpdate(UpdateOp):
    """Update function for Ftrl optimizer (``z`` and ``n`` updated in place; see
    `ftrl_step`)."""
    name = 'ftrl_update'
    inputs = ('weight', 'grad', 'z', 'n')
    attrs = _lr_attrs(lamda1=Attr('float', 0.01), beta=Attr('float', 1.0), wd=_COMMON['wd'],
                      rescale_grad=_COMMON['rescale_grad'],
                      clip_gradient=_COMMON['clip_gradient'])
    mutated = (2, 3)

    def forward(self, xp, a, weight, grad, z, n, out=None):
        self.check((weight, grad, z, n))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        ftrl_step(w, grad, z, n, a.lr, a.wd, a.lamda1, a.beta, a.rescale_grad, clip)
        return w


@register
class FTMLUpdate(UpdateOp):
    """The FTML optimizer's update at step ``t`` (``d``, ``v`` and ``z`` updated in
    place; see `ftml_step`). The clipping bound is called ``clip_grad`` here."""
    name = 'ftml_update'
    inputs = ('weight', 'grad', 'd', 'v', 'z')
    attrs = _lr_attrs(beta1=Attr('float', 0.6), beta2=Attr('float', 0.999),
                      epsilon=Attr('float', 1e-8), t=Attr('int', REQUIRED), wd=_COMMON['wd'],
                      rescale_grad=_COMMON['rescale_grad'], clip_grad=Attr('float', -1.0))
    mutated = (2, 3, 4)

    def forward(self, xp, a, weight, grad, d, v, z, out=None):
        self.check((weight, grad, d, v, z))
        grad, clip = clip_args(a, grad, 'clip_grad')
        w = weight.copy()
        ftml_step(w, grad, d, v, z, a.lr, _wd_in_clip(a, 'clip_grad'), a.t, a.beta1,
                  a.beta2, a.epsilon, a.rescale_grad, clip)
        return w


@register
class SignSGDUpdate(UpdateOp):
    """Update function for SignSGD optimizer::

        weight = (1 - lr * wd) * weight - lr * sign(grad)

    ``rescale_grad`` and ``clip_gradient`` are accepted and ignored, as by MXNet's kernel.
    """
    name = 'signsgd_update'
    inputs = ('weight', 'grad')
    attrs = _lr_attrs('wd', 'rescale_grad', 'clip_gradient')

    def forward(self, xp, a, weight, grad, out=None):
        self.check((weight, grad))
        w = weight.copy()
        signsgd_step(w, grad, a.lr, a.wd)
        return w


@register
class SignumUpdate(UpdateOp):
    """SIGN momentUM (Signum) optimizer (``mom`` updated in place; see `signum_step`)."""
    name = 'signum_update'
    inputs = ('weight', 'grad', 'mom')
    attrs = _lr_attrs('momentum', 'wd', 'rescale_grad', 'clip_gradient',
                      wd_lh=Attr('float', 0.0))
    mutated = (2,)

    def forward(self, xp, a, weight, grad, mom, out=None):
        self.check((weight, grad, mom))
        grad, clip = clip_args(a, grad)
        w = weight.copy()
        signum_step(w, grad, mom, a.lr, a.wd, a.momentum, a.wd_lh, a.rescale_grad, clip)
        return w


# ------------------------------------------------------------------ LAMB
_LAMB1 = {'beta1': Attr('float', 0.9), 'beta2': Attr('float', 0.999),
          'epsilon': Attr('float', 1e-6), 't': Attr('int', REQUIRED),
          'bias_correction': Attr('bool', True), 'wd': Attr('float', REQUIRED),
          'rescale_grad': _COMMON['rescale_grad'], 'clip_gradient': _COMMON['clip_gradient']}
_LAMB2 = {'lr': Attr('float', REQUIRED), 'lower_bound': Attr('float', -1.0),
          'upper_bound': Attr('float', -1.0)}


def _lamb1(a, weight, grad, mean, var):
    grad, clip = clip_args(a, grad)
    return lamb_direction(weight, grad, mean, var, a.wd, a.t, a.beta1, a.beta2, a.epsilon,
                          a.bias_correction, a.rescale_grad, clip)


def _norm(op, r, name, dtype):
    if r.size != 1 or r.dtype != dtype:
        raise MXNetError('{}: {} must be one {} number (the norm), got shape {} and dtype '
                         '{}'.format(op.name, name, dtype, r.shape, r.dtype))
    return float(r.reshape(-1)[0])


@register
class LambUpdatePhase1(UpdateOp):
    """Phase I of lamb update: updates ``mean`` and ``var`` in place and returns the step
    direction ``g`` (see `lamb_direction`)."""
    name = 'lamb_update_phase1'
    inputs = ('weight', 'grad', 'mean', 'var')
    attrs = _LAMB1
    mutated = (2, 3)

    def forward(self, xp, a, weight, grad, mean, var, out=None):
        self.check((weight, grad, mean, var))
        return _lamb1(a, weight, grad, mean, var)


@register
class LambUpdatePhase2(UpdateOp):
    """Phase II of lamb update: ``weight - lr * trust * g`` with the trust ratio from the
    norms ``r1`` (weight) and ``r2`` (g), one-element arrays (see `lamb_apply`)."""
    name = 'lamb_update_phase2'
    inputs = ('weight', 'g', 'r1', 'r2')
    attrs = _LAMB2

    def forward(self, xp, a, weight, g, r1, r2, out=None):
        self.check((weight, g))
        w = weight.copy()
        lamb_apply(w, g, _norm(self, r1, 'r1', weight.dtype),
                   _norm(self, r2, 'r2', weight.dtype), a.lr, a.lower_bound, a.upper_bound)
        return w


@register
class MPLambUpdatePhase1(UpdateOp):
    """Mixed Precision version of Phase I of lamb update: the direction (float32) from
    the float32 master copy ``weight32``; ``mean`` and ``var`` (float32) updated in
    place."""
    name = 'mp_lamb_update_phase1'
    inputs = ('weight', 'grad', 'mean', 'var', 'weight32')
    attrs = _LAMB1
    same_dtype = False
    mutated = (2, 3)
    f32 = (2, 3, 4)

    def forward(self, xp, a, weight, grad, mean, var, weight32, out=None):
        self.check((weight, grad, mean, var, weight32))
        return _lamb1(a, weight32, grad.astype(np.float32), mean, var)


@register
class MPLambUpdatePhase2(UpdateOp):
    """Mixed Precision version of Phase II of lamb update: updates the float32 master
    copy ``weight32`` in place and returns it in the weight's dtype."""
    name = 'mp_lamb_update_phase2'
    inputs = ('weight', 'g', 'r1', 'r2', 'weight32')
    attrs = _LAMB2
    same_dtype = False
    mutated = (4,)

    def forward(self, xp, a, weight, g, r1, r2, weight32, out=None):
        check_float(self, weight)
        for what, x in (('g', g), ('weight32', weight32)):
            if x.shape != weight.shape or x.dtype != _F32:
                raise MXNetError('{}: {} must be a float32 array shaped like the weight {}, '
                                 'got {} {}'.format(self.name, what, weight.shape, x.dtype,
                                                    x.shape))
        lamb_apply(weight32, g, _norm(self, r1, 'r1', _F32), _norm(self, r2, 'r2', _F32),
                   a.lr, a.lower_bound, a.upper_bound)
        return weight32.astype(weight.dtype)
