"""Multi-tensor optimizer operators: ``multi_sgd_update`` and friends (several weights in
one call), their ``preloaded_`` forms (rates and decays as arrays), and the helpers
MXNet's optimizers and AMP use around them: ``multi_sum_sq``, ``multi_lars``,
``all_finite``, ``multi_all_finite`` and ``reset_arrays``.

The inputs come interleaved per weight, as in MXNet: ``w0, g0, [mom0], [w32_0], w1, g1,
...`` (then ``lrs, wds`` arrays for the preloaded forms), with ``num_weights`` saying how
many. Each weight is updated by the same pure function as `sgd_update` (`sgd_step`); the
loop runs over weights, never over elements. States (``mom``, ``weight32``) are updated in
place, see `optimizer_ops`.

Notes
-----
* MXNet 1.9.1 cannot infer the output shapes of the ``multi_*sgd*`` ops, so a call
  without ``out=`` fails there ("shape must have a valid ndim"); here it returns new
  arrays. Its optimizers always pass ``out=``.
* ``multi_all_finite`` accepts float16 arrays (MXNet's CPU kernel fails on them).
* ``init_output=False`` keeps the value already in ``out`` when every array is finite
  (AMP's loss scaler accumulates over chunks that way); it needs the ``out`` buffers,
  which the kernel receives as ``forward(..., out=...)``. Without ``out`` the result is
  1 or 0 (MXNet returns uninitialised memory).
"""
import numpy as np

from .registry import Op, Attr, REQUIRED, register
from .optimizer_ops import UpdateOp, check_inputs, check_float, clip_args
from ..base import MXNetError
from ..optimizer.sgd import sgd_step

__all__ = []

_F32 = np.dtype(np.float32)


def _floats(op, a, name):
    """A ``lrs``/``wds`` attribute as a tuple of floats (a single number is a 1-tuple)."""
    value = a[name]
    values = value if isinstance(value, (tuple, list)) else (value,)
    try:
        return tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise MXNetError('{}: {} must be a tuple of numbers, got {!r}'.format(
            op.name, name, value)) from None


def _count(op, xs, expected):
    if len(xs) != expected:
        raise MXNetError('{}: Operator {} expects {} inputs, but got {} instead; check '
                         'num_weights / num_arrays'.format(op.name, op.name, expected,
                                                           len(xs)))


class MultiSGD(UpdateOp):
    """Shared kernel of the eight multi-tensor SGD ops (not registered).

    ``momentum`` and ``mp`` choose the inputs per weight (``w, g, [mom], [weight32]``);
    ``preloaded`` takes the rates and decays from two trailing float arrays instead of
    the ``lrs``/``wds`` attributes.
    """
    inputs = ('*data',)
    has_mom = mp = preloaded = False

    def __init__(self):
        super().__init__()
        self.stride = 2 + self.has_mom + self.mp
        self.same_dtype = not self.mp

    def num_outputs(self, a):
        return a.num_weights

    num_visible = num_outputs

    def mutate_inputs(self, a):
        own = [2] * self.has_mom + [2 + self.has_mom] * self.mp
        return tuple(k * self.stride + i for k in range(a.num_weights) for i in own)

    def input_names(self, a, num_given=None):
        """MXNet's names: weight_0, grad_0, [mom_0], [weight32_0], weight_1, ... [lrs, wds]."""
        own = ['weight', 'grad'] + ['mom'] * self.has_mom + ['weight32'] * self.mp
        names = ['%s_%d' % (n, k) for k in range(a.num_weights) for n in own]
        return names + ['lrs', 'wds'] * self.preloaded

    def _rates(self, a, xs):
        n = a.num_weights
        if not self.preloaded:
            lrs, wds = _floats(self, a, 'lrs'), _floats(self, a, 'wds')
            for what, vals in (('learning rates', lrs), ('weight decays', wds)):
                if len(vals) != n:
                    raise MXNetError(
                        '{}: Number of {} is inconsistent with num_weights parameter passed. '
                        'Expected number of {}: {}, and got {}'.format(
                            self.name, what, what, n, len(vals)))
            return lrs, wds
        lrs, wds = xs[-2], xs[-1]
        for what, arr in (('learning rates', lrs), ('weight decays', wds)):
            if arr.size != n:
                raise MXNetError('{}: Number of {} is inconsistent with num_weights parameter '
                                 'passed. Expected number of {}: {}, and got {}'.format(
                                     self.name, what, what, n, arr.size))
            if self.mp and arr.dtype != _F32:
                raise MXNetError('{}: the {} array must be float32, got {}'.format(
                    self.name, what, arr.dtype))
        return lrs.reshape(-1).tolist(), wds.reshape(-1).tolist()

    def forward(self, xp, a, *xs, out=None):
        n, s = a.num_weights, self.stride
        _count(self, xs, n * s + 2 * self.preloaded)
        lrs, wds = self._rates(a, xs)
        momentum = a.momentum if self.has_mom else 0.0
        f32 = tuple(range(2, s)) if self.mp else ()
        results = []
        for k in range(n):
            group = xs[k * s:(k + 1) * s]
            check_inputs(self, group, f32)
            weight = group[0]
            grad, clip = clip_args(a, group[1].astype(np.float32) if self.mp else group[1])
            mom = group[2] if self.has_mom else None
            target = group[-1] if self.mp else weight.copy()
            sgd_step(target, grad, mom, lrs[k], wds[k], a.rescale_grad, clip, momentum)
            results.append(target.astype(weight.dtype) if self.mp else target)
        return tuple(results)


def _multi_attrs(has_mom, preloaded):
    attrs = {} if preloaded else {'lrs': Attr('any', REQUIRED), 'wds': Attr('any', REQUIRED)}
    if has_mom:
        attrs['momentum'] = Attr('float', 0.0)
    attrs.update(rescale_grad=Attr('float', 1.0), clip_gradient=Attr('float', -1.0),
                 num_weights=Attr('int', 1))
    return attrs


def _register_multi_sgd(name, has_mom, mp, preloaded, doc):
    cls = type('Op_' + name, (MultiSGD,), {
        'name': name, 'has_mom': has_mom, 'mp': mp, 'preloaded': preloaded,
        'attrs': _multi_attrs(has_mom, preloaded), '__doc__': doc})
    register(cls)


for _pre in (False, True):
    _prefix = 'preloaded_' if _pre else ''
    _rates_doc = (' The rates and decays come as the last two inputs (float arrays of '
                  'num_weights numbers).' if _pre else '')
    _register_multi_sgd(_prefix + 'multi_sgd_update', False, False, _pre,
                        'Update function for Stochastic Gradient Descent (SGD) optimizer, '
                        'for num_weights weights (inputs w, g per weight).' + _rates_doc)
    _register_multi_sgd(_prefix + 'multi_sgd_mom_update', True, False, _pre,
                        'Momentum update function for SGD for num_weights weights (inputs '
                        'w, g, mom per weight; mom updated in place).' + _rates_doc)
    _register_multi_sgd(_prefix + 'multi_mp_sgd_update', False, True, _pre,
                        'Multi-precision SGD update for num_weights weights (inputs w, g, '
                        'weight32 per weight; weight32 updated in place).' + _rates_doc)
    _register_multi_sgd(_prefix + 'multi_mp_sgd_mom_update', True, True, _pre,
                        'Multi-precision momentum SGD update for num_weights weights '
                        '(inputs w, g, mom, weight32 per weight; mom and weight32 updated '
                        'in place).' + _rates_doc)


# ------------------------------------------------------------------ sums of squares, LARS
class ArraysOp(Op):
    """An op over ``num_arrays`` arrays named array_0, array_1, ... (not registered)."""
    inputs = ('*data',)
    differentiable = False

    def input_names(self, a, num_given=None):
        return ['array_%d' % i for i in range(a.num_arrays)]


@register
class MultiSumSq(ArraysOp):
    """Compute the sums of squares of the ``num_arrays`` input arrays: a float32 array of
    ``num_arrays`` numbers (float16 squares are summed in float32)."""
    name = 'multi_sum_sq'
    attrs = {'num_arrays': Attr('int', REQUIRED)}

    def forward(self, xp, a, *xs):
        _count(self, xs, a.num_arrays)
        for x in xs:
            check_float(self, x)
        acc = np.float64 if xs[0].dtype == np.float64 else np.float32
        # squares in the input's dtype, summed in float32 (float64 for float64), as MXNet
        return np.array([np.sum(np.square(x), dtype=acc) for x in xs], dtype=np.float32)


@register
class MultiLARS(Op):
    """Compute the LARS coefficients of several layers from their learning rates, weight
    and gradient sums of squares and weight decays (float32 arrays of one shape)::

        w, g = sqrt(weights_sum_sq), sqrt(grads_sum_sq) * rescale_grad
        out = lr * eta * w / (g + wd * w + eps)  where w > 0 and g > 0, else lr

    (`distgluon.optimizer.lars.lars_rate` is the same rule for one layer.)
    """
    name = 'multi_lars'
    inputs = ('lrs', 'weights_sum_sq', 'grads_sum_sq', 'wds')
    attrs = {'eta': Attr('float', REQUIRED), 'eps': Attr('float', REQUIRED),
             'rescale_grad': Attr('float', 1.0)}
    differentiable = False

    def forward(self, xp, a, lrs, wss, gss, wds):
        for x in (lrs, wss, gss, wds):
            if x.dtype != _F32:
                raise MXNetError('multi_lars: MultiLARS only support float (float32), got '
                                 '{}'.format(x.dtype))
            if x.shape != lrs.shape:
                raise MXNetError('multi_lars: all inputs must have the shape of lrs {}, got '
                                 '{}'.format(lrs.shape, x.shape))
        w = np.sqrt(wss)
        g = np.sqrt(gss) * np.float32(a.rescale_grad)
        with np.errstate(divide='ignore', invalid='ignore'):
            rate = lrs * np.float32(a.eta) * w / (g + wds * w + np.float32(a.eps))
        return np.where((w > 0) & (g > 0), rate, lrs).astype(np.float32)


# ------------------------------------------------------------------ finiteness, reset
def _all_finite(op, xs, a, out):
    for x in xs:
        check_float(op, x)
    finite = all(bool(np.isfinite(x).all()) for x in xs)
    if not a.init_output and out is not None:
        result = out[0]
        if not finite:
            result[...] = 0
        return result
    return np.array([1.0 if finite else 0.0], dtype=np.float32)


@register
class AllFinite(Op):
    """Check if all the float numbers in the array are finite (used for AMP): a float32
    array ``[1.]`` or ``[0.]``. With ``init_output=False`` the value in ``out`` is kept
    when the data is finite (see the module Notes)."""
    name = 'all_finite'
    inputs = ('data',)
    attrs = {'init_output': Attr('bool', True)}
    differentiable = False
    reads_out = True

    def forward(self, xp, a, data, out=None):
        return _all_finite(self, (data,), a, out)


@register
class MultiAllFinite(ArraysOp):
    """Check if all the float numbers in all the ``num_arrays`` arrays are finite (used
    for AMP); see `all_finite`."""
    name = 'multi_all_finite'
    attrs = {'num_arrays': Attr('int', 1), 'init_output': Attr('bool', True)}
    reads_out = True
    same_dtype = False

    def forward(self, xp, a, *xs, out=None):
        _count(self, xs, a.num_arrays)
        return _all_finite(self, xs, a, out)


@register
class ResetArrays(ArraysOp):
    """Set to zero multiple arrays (in place); returns nothing (an empty list)."""
    name = 'reset_arrays'
    attrs = {'num_arrays': Attr('int', REQUIRED)}
    same_dtype = False

    def num_outputs(self, a):
        return 0

    num_visible = num_outputs

    def mutate_inputs(self, a):
        return tuple(range(a.num_arrays))

    def forward(self, xp, a, *xs):
        _count(self, xs, a.num_arrays)
        for x in xs:
            check_float(self, x)
        for x in xs:
            x[...] = 0
        return ()

    def infer_shape(self, a, in_shapes):
        return list(in_shapes), []
