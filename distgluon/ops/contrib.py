"""MXNet's basic ``_contrib_*`` operators (``mx.nd.contrib.<name>``): arange_like,
boolean_mask, index_copy, index_array, quadratic, div_sqrt_dim, allclose,
gradientmultiplier, round_ste, sign_ste.

Notes
-----
``allclose`` returns shape (1,) where MXNet returns a 0-d array: distgluon arrays are
never 0-d (as ``x.sum()`` in MXNet 1.x).
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from .elemwise import _round
from ..base import MXNetError

__all__ = []


def _float_result(x, values):
    """MXNet computes in floating point and casts back (integers truncate)."""
    return values.astype(x.dtype)


@register
class ArangeLike(Op):
    """``start + step * (i // repeat)`` shaped like ``data`` (or like its ``axis``),
    in data's dtype."""
    name = '_contrib_arange_like'
    attrs = {'start': Attr('float', 0.0), 'step': Attr('float', 1.0),
             'repeat': Attr('int', 1), 'ctx': Attr('str', ''), 'axis': Attr('int_or_none', None)}
    differentiable = False

    def forward(self, xp, a, x):
        if a.axis is None:
            shape = x.shape
        elif -x.ndim <= a.axis < x.ndim:
            shape = (x.shape[a.axis],)
        else:
            raise MXNetError('arange_like: axis {} is out of range for shape {}'.format(
                a.axis, x.shape))
        if a.repeat < 1:
            raise MXNetError('arange_like: repeat must be positive, got {}'.format(a.repeat))
        n = int(np.prod(shape))
        values = a.start + a.step * (np.arange(n) // a.repeat)
        return _float_result(x, values).reshape(shape)


@register
class BooleanMask(Op):
    """The slices of ``data`` along axis 0 where ``index`` is non-zero. Only ``data``
    gets a gradient (zero for the mask)."""
    name = '_contrib_boolean_mask'
    inputs = ('data', 'index')
    attrs = {'axis': Attr('int', 0)}
    same_dtype = False
    samples = (Sample((4, 3), make=lambda rng: [rng.uniform(-1, 1, (4, 3)),
                                                np.array([0., 1, 0, 1])], wrt=(0,)),
               Sample((3, 2, 2), make=lambda rng: [rng.uniform(-1, 1, (3, 2, 2)),
                                                   np.array([1, 0, 2], dtype=np.int32)],
                      wrt=(0,)))

    def _mask(self, a, x, index):
        if a.axis != 0:
            raise MXNetError('boolean_mask: only axis=0 is supported (got axis={}); '
                             'transpose the data first'.format(a.axis))
        if index.ndim != 1 or index.shape[0] != x.shape[0]:
            raise MXNetError('boolean_mask: index must be 1-D with {} entries (data shape {}), '
                             'got shape {}'.format(x.shape[0], x.shape, index.shape))
        return index != 0

    def forward(self, xp, a, x, index):
        return x[self._mask(a, x, index)]

    def backward(self, xp, a, xs, ys, dys):
        x, index = xs
        g = np.zeros_like(x)
        g[self._mask(a, x, index)] = dys[0]
        return g, np.zeros_like(index)


def _index_rows(index, n):
    """Integer row indices (truncated) and which of them lie inside [0, n)."""
    idx = np.trunc(index).astype(np.int64).reshape(-1)
    return idx, (idx >= 0) & (idx < n)


@register
class IndexCopy(Op):
    """``old_tensor`` with its rows ``index_vector[i]`` replaced by ``new_tensor[i]``
    (out-of-range indices are skipped; with repeated indices the last row wins)."""
    name = '_contrib_index_copy'
    inputs = ('old_tensor', 'index_vector', 'new_tensor')
    same_dtype = False
    samples = (Sample((5, 3), (3,), (3, 3), make=lambda rng: [
        rng.uniform(-1, 1, (5, 3)), np.array([0., 4, 2]), rng.uniform(-1, 1, (3, 3))],
        wrt=(0, 2)),
        Sample((4,), (2,), (2,), make=lambda rng: [
            rng.uniform(-1, 1, 4), np.array([3, 1], dtype=np.int64), rng.uniform(-1, 1, 2)],
            wrt=(0, 2)))

    def _check(self, old, index, new):
        if new.shape[1:] != old.shape[1:] or new.shape[0] != index.size or index.ndim != 1:
            raise MXNetError('index_copy: new_tensor {} must have one row of shape {} per '
                             'entry of the 1-D index_vector (shape {})'.format(
                                 new.shape, old.shape[1:], index.shape))
        if old.dtype != new.dtype:
            raise MXNetError('index_copy: old_tensor and new_tensor dtypes differ ({} and {})'
                             .format(old.dtype, new.dtype))

    def forward(self, xp, a, old, index, new):
        self._check(old, index, new)
        idx, ok = _index_rows(index, old.shape[0])
        out = old.copy()
        out[idx[ok]] = new[ok]
        return out

    def backward(self, xp, a, xs, ys, dys):
        old, index, new = xs
        dy = dys[0]
        idx, ok = _index_rows(index, old.shape[0])
        dold = dy.copy()
        dold[idx[ok]] = 0
        dnew = np.zeros_like(new)
        dnew[ok] = dy[idx[ok]]
        return dold, np.zeros_like(index), dnew


@register
class IndexArray(Op):
    """For every element, its index along ``axes`` (default: all axes): int64 array of
    shape ``data.shape + (len(axes),)``."""
    name = '_contrib_index_array'
    attrs = {'axes': Attr('axis', None)}
    differentiable = False

    def forward(self, xp, a, x):
        axes = range(x.ndim) if a.axes is None else (
            (a.axes,) if isinstance(a.axes, int) else a.axes)
        grids = np.indices(x.shape, dtype=np.int64)
        out = []
        for ax in axes:                          # over the requested axes
            if not -x.ndim <= ax < x.ndim:
                raise MXNetError('index_array: axis {} is out of range for shape {}'.format(
                    ax, x.shape))
            out.append(grids[ax])
        return np.stack(out, axis=-1) if out else np.zeros(x.shape + (0,), np.int64)


@register
class Quadratic(Op):
    """``a * x^2 + b * x + c`` (computed in floating point, cast to data's dtype)."""
    name = '_contrib_quadratic'
    attrs = {'a': Attr('float', 0.0), 'b': Attr('float', 0.0), 'c': Attr('float', 0.0)}
    samples = (Sample((3, 4), attrs={'a': 1.5, 'b': -2.0, 'c': 0.5}), Sample((5,)))

    def forward(self, xp, a, x):
        if x.dtype.kind == 'f':
            t = x.dtype.type
            return t(a.a) * x * x + t(a.b) * x + t(a.c)
        xf = x.astype(np.float64)
        return _float_result(x, a.a * xf * xf + a.b * xf + a.c)

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        t = x.dtype.type
        return dys[0] * (t(2 * a.a) * x + t(a.b))


@register
class DivSqrtDim(Op):
    """``data / sqrt(data.shape[-1])`` (scaled dot-product attention's scaling)."""
    name = '_contrib_div_sqrt_dim'
    samples = (Sample((2, 3, 4)), Sample((5,)))

    def forward(self, xp, a, x):
        scale = 1.0 / np.sqrt(x.shape[-1])
        if x.dtype.kind == 'f':
            return x * x.dtype.type(scale)
        return _float_result(x, x * scale)

    def backward(self, xp, a, xs, ys, dys):
        return dys[0] * dys[0].dtype.type(1.0 / np.sqrt(xs[0].shape[-1]))


@register
class AllClose(Op):
    """1 (uint8) if ``|a - b| <= atol + rtol * |b|`` everywhere, else 0."""
    name = '_contrib_allclose'
    inputs = ('a', 'b')
    attrs = {'rtol': Attr('float', 1e-5), 'atol': Attr('float', 1e-8),
             'equal_nan': Attr('bool', True)}
    differentiable = False

    def forward(self, xp, a, x, y):
        if x.shape != y.shape:
            raise MXNetError('allclose: the arrays must have the same shape, got {} and {}'
                             .format(x.shape, y.shape))
        close = np.isclose(x, y, rtol=a.rtol, atol=a.atol, equal_nan=a.equal_nan)
        return np.array([close.all()], dtype=np.uint8)


class _StraightThrough(Op):
    custom_gradient = 'straight-through estimator: the head gradient passes unchanged'

    def backward(self, xp, a, xs, ys, dys):
        return dys[0]


@register
class RoundSTE(_StraightThrough):
    """``round`` (half away from zero) whose gradient is the identity."""
    name = '_contrib_round_ste'

    def forward(self, xp, a, x):
        return _round(x)


@register
class SignSTE(_StraightThrough):
    """``sign`` whose gradient is the identity."""
    name = '_contrib_sign_ste'

    def forward(self, xp, a, x):
        return np.sign(x)


@register
class GradientMultiplier(Op):
    """Identity forward; the backward multiplies the gradient by ``scalar`` (gradient
    reversal layers use a negative scalar)."""
    name = '_contrib_gradientmultiplier'
    attrs = {'scalar': Attr('float', 1.0), 'is_int': Attr('bool', True)}
    custom_gradient = 'the gradient is scaled by `scalar` on purpose'

    def forward(self, xp, a, x):
        return x.copy()

    def backward(self, xp, a, xs, ys, dys):
        return dys[0] * dys[0].dtype.type(a.scalar)
