"""Reductions: sum, mean, prod, nansum, nanprod, max, min, norm, argmax, argmin.

All reduce in the input's own dtype, as MXNet 1.x does without
``MXNET_SAFE_ACCUMULATION`` (int8 sums wrap around, float16 sums overflow to inf).
A reduction to a single value has shape ``(1,)``, never ``()``.

Gradients follow MXNet exactly, including at ties and zeros: ``max``/``min`` give
the whole head gradient to *every* element equal to the result, ``prod`` computes
``y / x`` (NaN where an input is 0) and ``norm`` computes ``x / y`` (NaN for an
all-zero input).
"""
import math

import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_AXIS_ATTRS = {'axis': Attr('axis', None), 'keepdims': Attr('bool', False),
               'exclude': Attr('bool', False)}


def reduce_axes(opname, axis, shape, exclude=False):
    """The sorted, non-negative axes that ``axis`` (with ``exclude``) reduces over.

    Raises
    ------
    MXNetError
        When an axis is outside ``[-ndim, ndim)`` or appears twice.
    """
    ndim = len(shape)
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:    # the common case, quickly
        ax = axis % ndim
        return tuple(i for i in range(ndim) if i != ax) if exclude else (ax,)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise MXNetError('{}: reduction axis {} exceeds the input dimensions {}; use an '
                             'axis in [{}, {}]'.format(opname, ax, tuple(shape), -ndim,
                                                      ndim - 1))
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise MXNetError('{}: reduction axes have duplicates: {} for an input of shape {}'
                         .format(opname, axis, tuple(shape)))
    if exclude:
        return tuple(i for i in range(ndim) if i not in out)
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _finish(y, shape, axes, keepdims):
    """Reshape a keepdims-shaped result to the output shape MXNet gives."""
    if keepdims:
        return y.reshape(_kept_shape(shape, axes))
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return y.reshape(out if out else (1,))


def _spread(dy, shape, axes):
    """Broadcast an output gradient back over the reduced axes."""
    return np.broadcast_to(dy.reshape(_kept_shape(shape, axes)), shape)


def _count(shape, axes):
    """The number of elements reduced over ``axes`` of ``shape`` (a Python int)."""
    return math.prod([shape[i] for i in axes])


def _int_trunc_div(s, n):
    """C integer division (truncating toward zero) of ``s`` by ``n``, in s's dtype."""
    s64 = s.astype(np.int64)
    n64 = np.int64(n)
    with np.errstate(divide='ignore', invalid='ignore'):
        q = np.abs(s64) // np.abs(n64) * np.sign(s64) * np.sign(n64)
    return q.astype(s.dtype)


def _accumulate(ufunc, x, axes):
    """``ufunc`` reduction over ``axes`` (keepdims), in x's dtype.

    float16 is reduced strictly left to right with a float16 accumulator, as MXNet
    does (numpy's own float16 reductions accumulate in float32 and would not
    overflow where MXNet does).
    """
    if x.dtype != np.float16 or not axes or x.size == 0:
        return ufunc.reduce(x, axis=axes, dtype=x.dtype, keepdims=True)
    keep = [i for i in range(x.ndim) if i not in axes]
    lanes = np.transpose(x, keep + list(axes)).reshape([x.shape[i] for i in keep] + [-1])
    with np.errstate(over='ignore', invalid='ignore'):
        total = ufunc.accumulate(lanes, axis=-1, dtype=x.dtype)[..., -1]
    return total.reshape(_kept_shape(x.shape, axes))


def _distinct(shape):
    """Sample maker: distinct values, so max/min/argmax have no ties."""
    def make(rng):
        n = int(np.prod(shape))
        return [(rng.permutation(n).astype(np.float64) / n - 0.5).reshape(shape)]
    return make


class _Reduce(Op):
    """Base of the axis reductions (attributes ``axis, keepdims, exclude``)."""
    attrs = _AXIS_ATTRS

    def _axes(self, a, x):
        return reduce_axes(self.name, a.axis, x.shape, a.exclude)

    def forward(self, xp, a, x):
        axes = self._axes(a, x)
        y = self.kernel(x, axes)
        if type(y) is not np.ndarray or y.dtype != x.dtype:
            y = np.asarray(y, dtype=x.dtype)
        return _finish(y, x.shape, axes, a.keepdims)

    def backward(self, xp, a, xs, ys, dys):
        x, = xs
        axes = self._axes(a, x)
        y = _spread(ys[0], x.shape, axes)
        dy = _spread(dys[0], x.shape, axes)
        with np.errstate(divide='ignore', invalid='ignore'):
            return self.grad(x, y, dy, axes)

    def kernel(self, x, axes):
        raise NotImplementedError

    def grad(self, x, y, dy, axes):
        raise NotImplementedError


_REDUCE_SAMPLES = (Sample((3, 4), attrs={'axis': 1}), Sample((2, 3, 4)),
                   Sample((2, 3, 4), attrs={'axis': (0, 2), 'keepdims': True}),
                   Sample((2, 3, 4), attrs={'axis': -1, 'exclude': True}))


@register
class Sum(_Reduce):
    """Sum over ``axis`` (all axes by default; with ``exclude``, all but ``axis``)."""
    name = 'sum'
    aliases = ('sum_axis',)
    method = 'sum'
    samples = _REDUCE_SAMPLES

    def kernel(self, x, axes):
        return _accumulate(np.add, x, axes)

    def grad(self, x, y, dy, axes):
        return dy.copy()


@register
class Mean(_Reduce):
    """Mean over ``axis``; integer inputs divide with truncation toward zero.

    As in MXNet, the element count is cast to the input dtype before dividing.
    """
    name = 'mean'
    method = 'mean'
    samples = _REDUCE_SAMPLES

    def kernel(self, x, axes):
        s = _accumulate(np.add, x, axes)
        n = _count(x.shape, axes)
        if x.dtype.kind in 'iu':
            return _int_trunc_div(s, np.array(n).astype(x.dtype))
        if x.dtype.kind == 'f':
            return np.divide(s, x.dtype.type(n), out=s)
        return s / x.dtype.type(n)

    def backward(self, xp, a, xs, ys, dys):
        x, = xs
        axes = self._axes(a, x)
        dy = dys[0].reshape(_kept_shape(x.shape, axes))
        n = _count(x.shape, axes)
        div = x.dtype.type(n)
        # dy / n written straight into a full-shaped array (the same quotients as
        # dividing the broadcast gradient; y is not needed)
        dx = np.empty(x.shape, np.result_type(dy, div))
        if n:
            np.divide(dy, div, out=dx)     # cannot divide by zero
        else:
            with np.errstate(divide='ignore', invalid='ignore'):
                np.divide(dy, div, out=dx)
        return dx

    def grad(self, x, y, dy, axes):
        return dy / x.dtype.type(_count(x.shape, axes))


@register
class Prod(_Reduce):
    """Product over ``axis``; the gradient is ``dy * y / x`` (NaN where x == 0)."""
    name = 'prod'
    method = 'prod'
    samples = tuple(Sample(*s.shapes, attrs=s.attrs, low=0.5, high=1.5)
                    for s in _REDUCE_SAMPLES)

    def kernel(self, x, axes):
        return _accumulate(np.multiply, x, axes)

    def grad(self, x, y, dy, axes):
        return dy * y / x


@register
class NanSum(_Reduce):
    """Sum over ``axis`` treating NaN as 0; NaN inputs get zero gradient."""
    name = 'nansum'
    method = 'nansum'
    samples = _REDUCE_SAMPLES[:2]

    def kernel(self, x, axes):
        if np.issubdtype(x.dtype, np.floating):
            x = np.where(np.isnan(x), x.dtype.type(0), x)
        return _accumulate(np.add, x, axes)

    def grad(self, x, y, dy, axes):
        return np.where(np.isnan(x), 0, dy).astype(x.dtype)


@register
class NanProd(_Reduce):
    """Product over ``axis`` treating NaN as 1; gradient ``dy * y / x``, 0 at NaN."""
    name = 'nanprod'
    method = 'nanprod'
    samples = (Sample((3, 4), attrs={'axis': 1}, low=0.5, high=1.5),
               Sample((2, 3), low=0.5, high=1.5))

    def kernel(self, x, axes):
        if np.issubdtype(x.dtype, np.floating):
            x = np.where(np.isnan(x), x.dtype.type(1), x)
        return _accumulate(np.multiply, x, axes)

    def grad(self, x, y, dy, axes):
        return np.where(np.isnan(x), 0, dy * y / x).astype(x.dtype)


class _Extreme(_Reduce):
    """max/min: the gradient goes to every element equal to the result (all ties)."""
    samples = (Sample((3, 4), attrs={'axis': 1}, make=_distinct((3, 4))),
               Sample((2, 3, 4), make=_distinct((2, 3, 4))),
               Sample((2, 3, 4), attrs={'axis': (0, 2), 'keepdims': True},
                      make=_distinct((2, 3, 4))),
               Sample((2, 3, 4), attrs={'axis': 1, 'exclude': True},
                      make=_distinct((2, 3, 4))))

    def grad(self, x, y, dy, axes):
        return dy * (x == y)


@register
class Max(_Extreme):
    """Maximum over ``axis`` (NaN propagates)."""
    name = 'max'
    aliases = ('max_axis',)
    method = 'max'

    def kernel(self, x, axes):
        return np.max(x, axis=axes, keepdims=True)


@register
class Min(_Extreme):
    """Minimum over ``axis`` (NaN propagates)."""
    name = 'min'
    aliases = ('min_axis',)
    method = 'min'

    def kernel(self, x, axes):
        return np.min(x, axis=axes, keepdims=True)


def _int_l2(x, axes):
    """MXNet's scaled L2 reducer run in integer arithmetic, as it does for int dtypes.

    Its recurrence (``scale = max |x|``, ``ssq += (|x| / scale)**2`` with integer
    division, reset to 1 when a new maximum appears) leaves ``ssq`` = the number of
    elements whose magnitude equals the maximum, so the result is
    ``trunc(max|x| * sqrt(count))`` (``norm([3, 4]) == 4``).
    """
    mag = np.abs(x.astype(np.int64))
    top = np.max(mag, axis=axes, keepdims=True) if x.size else \
        np.zeros(_kept_shape(x.shape, axes), dtype=np.int64)
    count = np.sum((mag == top) & (mag != 0), axis=axes, keepdims=True)
    return (top * np.sqrt(count)).astype(np.int64).astype(x.dtype)


@register
class Norm(Op):
    """The L1 (``ord=1``) or L2 (``ord=2``) norm over ``axis`` (all axes by default).

    Notes
    -----
    As in MXNet 1.9.1 on CPU, ``out_dtype`` other than the input dtype fails
    (``MXNetError``); L2 norms of integer arrays use MXNet's integer scaled
    recurrence (``norm([3, 4])`` of int32 is 4). NaN/inf propagate.
    """
    name = 'norm'
    method = 'norm'
    attrs = {'ord': Attr('int', 2), 'axis': Attr('axis', None),
             'out_dtype': Attr('dtype', None), 'keepdims': Attr('bool', False)}
    samples = (Sample((3, 4)), Sample((3, 4), attrs={'axis': 1}),
               Sample((2, 3, 4), attrs={'axis': (1, 2), 'keepdims': True}),
               Sample((2, 3, 4), attrs={'ord': 1, 'axis': -1}, make=lambda rng: [
                   rng.uniform(0.1, 1, (2, 3, 4)) * rng.choice([-1, 1], (2, 3, 4))]))

    def _check(self, a, x):
        if a.ord not in (1, 2):
            raise MXNetError('norm only supports ord=1 and ord=2, got ord={}'.format(a.ord))
        if a.out_dtype is not None and a.out_dtype != x.dtype:
            raise MXNetError('norm: out_dtype={} differs from the input dtype {}, which '
                             'MXNet 1.9.1 does not support on CPU; cast the result with '
                             'astype() instead'.format(a.out_dtype.name, x.dtype.name))
        return reduce_axes(self.name, a.axis, x.shape)

    def forward(self, xp, a, x):
        axes = self._check(a, x)
        if np.issubdtype(x.dtype, np.integer):
            if a.ord == 1:
                y = np.sum(np.abs(x), axis=axes, dtype=x.dtype, keepdims=True)
            else:
                y = _int_l2(x, axes)
        else:
            work = x.astype(np.float64) if x.dtype != np.float64 else x
            if a.ord == 1:
                y = np.sum(np.abs(work), axis=axes, keepdims=True)
            else:
                scale = np.max(np.abs(work), axis=axes, keepdims=True) if work.size else \
                    np.zeros(_kept_shape(work.shape, axes))
                safe = np.where((scale > 0) & np.isfinite(scale), scale, 1)
                with np.errstate(invalid='ignore', over='ignore'):
                    y = safe * np.sqrt(np.sum(np.square(work / safe), axis=axes,
                                              keepdims=True))
                    y = np.where(np.isinf(scale), scale, y)
            y = y.astype(x.dtype)
        return _finish(y, x.shape, axes, a.keepdims)

    def backward(self, xp, a, xs, ys, dys):
        x, = xs
        axes = reduce_axes(self.name, a.axis, x.shape)
        dy = _spread(dys[0], x.shape, axes)
        if a.ord == 1:
            return dy * np.sign(x)
        y = _spread(ys[0], x.shape, axes)
        with np.errstate(divide='ignore', invalid='ignore'):
            return dy * x / y


class _ArgReduce(Op):
    """argmax/argmin: indices in the input's dtype (float32 for float32 input).

    The gradient is zero (as MXNet gives), so recording through them is allowed.
    """
    attrs = {'axis': Attr('int_or_none', None), 'keepdims': Attr('bool', False)}
    samples = (Sample((3, 4), attrs={'axis': 1}, make=_distinct((3, 4))),
               Sample((2, 3), make=_distinct((2, 3))))

    def forward(self, xp, a, x):
        if a.axis is None:
            idx = self.kernel(x.reshape(-1), 0)
            shape = (1,) * x.ndim if a.keepdims else (1,)
            return np.asarray(idx).astype(x.dtype).reshape(shape)
        ax = check_axis(self.name, a.axis, x.shape)
        idx = self.kernel(x, ax)
        if a.keepdims:
            idx = np.expand_dims(idx, ax)
        return np.asarray(idx).astype(x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        return np.zeros_like(xs[0])


def check_axis(opname, axis, shape):
    """``axis`` made non-negative; MXNetError naming the axis and the shape if invalid."""
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        raise MXNetError('{}: axis {} exceeds the input dimension of {} (shape {}); use an '
                         'axis in [{}, {}]'.format(opname, axis, ndim, tuple(shape), -ndim,
                                                   ndim - 1))
    return axis % ndim


@register
class ArgMax(_ArgReduce):
    """Index of the maximum along ``axis`` (of the flattened array when None); the
    first one on ties, the first NaN if any."""
    name = 'argmax'
    method = 'argmax'

    @staticmethod
    def kernel(x, axis):
        return np.argmax(x, axis=axis)


@register
class ArgMin(_ArgReduce):
    """Index of the minimum along ``axis`` (flattened when None); first on ties."""
    name = 'argmin'
    method = 'argmin'

    @staticmethod
    def kernel(x, axis):
        return np.argmin(x, axis=axis)


@register
class ArgMaxChannel(Op):
    """``argmax(data, axis=1)``: index of the maximum along axis 1, in data's dtype.

    Like MXNet, it has no gradient.
    """
    name = 'argmax_channel'
    method = 'argmax_channel'
    attrs = {}
    differentiable = False

    def forward(self, xp, a, x):
        ax = check_axis(self.name, 1, x.shape)
        return np.argmax(x, axis=ax).astype(x.dtype)
