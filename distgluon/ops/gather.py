"""Index-driven gathers and scatters: take, pick, one_hot, gather_nd, scatter_nd,
batch_take, SequenceMask.

Index inputs may have any dtype (float32 by default, as MXNet builds them);
fractional indices are truncated toward zero (``1.9 -> 1``, ``-0.5 -> 0``) before
the out-of-range rule (``clip`` or ``wrap``) applies. Index inputs get a zero
gradient; the data gradient scatter-adds (repeated indices accumulate).

Notes
-----
MXNet 1.9.1 writes outside the output (or crashes) when a ``scatter_nd`` index is
negative or too large; distgluon raises ``IndexError`` naming the index instead.
MXNet's ``batch_take`` on data of more than two dimensions returns garbage; here it
picks along the last axis of ``data.reshape(-1, data.shape[-1])``.
"""
import math

import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_BIG = 2.0 ** 62


def to_int_index(idx):
    """Indices as int64, fractions truncated toward zero (NaN counts as very negative)."""
    if np.issubdtype(idx.dtype, np.integer):
        return idx.astype(np.int64)
    f = idx.astype(np.float64)
    if not np.isfinite(f).all():
        f = np.nan_to_num(f, nan=-_BIG, posinf=_BIG, neginf=-_BIG)
    np.minimum(f, _BIG, out=f)
    np.maximum(f, -_BIG, out=f)
    return np.trunc(f).astype(np.int64)


def _fit(i, n, mode):
    """Bring integer indices into [0, n): wrap around or clip to the ends."""
    if mode == 'wrap':
        return np.mod(i, n)
    return np.clip(i, 0, n - 1)


def fit_index(idx, n, mode):
    """``_fit(to_int_index(idx), n, mode)``: int64 indices in [0, n).

    The common cases take fewer passes with the same result: float indices in clip
    mode are clamped before truncation (``fmax``/``fmin`` send NaN to 0 and the
    infinities to the ends, as the clamping to +-2**62 does) when ``n - 1`` is exact
    in their dtype; integer indices are clamped with minimum/maximum.
    """
    kind = idx.dtype.kind
    if mode != 'wrap' and n > 0:
        if kind == 'f':
            top = idx.dtype.type(n - 1)
            if float(top) == n - 1:    # exact (a Python comparison)
                return np.fmin(np.fmax(idx, 0), top).astype(np.int64)
        elif kind in 'iu':
            i = idx.astype(np.int64)
            return np.minimum(np.maximum(i, 0, out=i), n - 1, out=i)
    return _fit(to_int_index(idx), n, mode)


def _check_axis(opname, axis, shape):
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        raise MXNetError('{}: axis {} is out of range for an input of shape {}; use an axis '
                         'in [{}, {}]'.format(opname, axis, tuple(shape), -ndim, ndim - 1))
    return axis % ndim


def _index_sample(data_shape, index_shape, high, low=0, **attrs):
    """Sample: float data and an integer index array in [low, high)."""
    return Sample(data_shape, index_shape, attrs=attrs, wrt=(0,), make=lambda rng: [
        rng.uniform(-1, 1, data_shape), rng.integers(low, high, index_shape)])


@register
class Take(Op):
    """Slices of ``a`` along ``axis`` at ``indices``; the output shape is
    ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``.

    ``mode='clip'`` (default) clips out-of-range indices to the ends, ``'wrap'``
    wraps them around, ``'raise'`` raises for an index outside ``[0, n-1]``.
    """
    name = 'take'
    method = 'take'
    inputs = ('a', 'indices')
    attrs = {'axis': Attr('int', 0), 'mode': Attr('str', 'clip',
                                                   choices=('clip', 'raise', 'wrap'))}
    same_dtype = False
    samples = (_index_sample((4, 3), (5,), 6, -2),
               _index_sample((4, 3), (2, 3), 7, -3, mode='wrap'),
               _index_sample((2, 5, 3), (2, 2), 5, axis=1),
               _index_sample((3, 4), (6,), 4, axis=-1, mode='raise'))

    def _indices(self, a, x, idx):
        ax = _check_axis(self.name, a.axis, x.shape)
        n = x.shape[ax]
        if a.mode == 'raise':
            bad = (idx < 0) | (idx > n - 1)
            if bad.any():
                raise MXNetError('take: indices {} are out of bounds for axis {} of size {} '
                                 '(mode=\'raise\'); use mode=\'clip\' or \'wrap\' to accept '
                                 'them'.format(idx[bad][:5].tolist(), ax, n))
        return ax, _fit(to_int_index(idx), n, a.mode)

    def forward(self, xp, a, x, idx):
        ax, i = self._indices(a, x, idx)
        return np.take(x, i, axis=ax)

    def backward(self, xp, a, xs, ys, dys):
        x, idx = xs
        ax, i = self._indices(a, x, idx)
        dx = np.zeros_like(x)
        np.add.at(dx, (slice(None),) * ax + (i,), dys[0])
        return dx, np.zeros_like(idx)


@register
class Pick(Op):
    """One element per lane along ``axis``: ``out[i, j] = data[i, index[i, j], j]``.

    ``index`` has data's shape without ``axis`` (or with it as 1); out-of-range
    indices are clipped (``mode='clip'``) or wrapped (``'wrap'``).
    """
    name = 'pick'
    method = 'pick'
    inputs = ('data', 'index')
    attrs = {'axis': Attr('int_or_none', -1), 'keepdims': Attr('bool', False),
             'mode': Attr('str', 'clip', choices=('clip', 'wrap'))}
    same_dtype = False
    samples = (_index_sample((4, 3), (4,), 3),
               _index_sample((3, 4, 2), (3, 2), 6, -2, axis=1, mode='wrap'),
               _index_sample((3, 4), (1, 4), 3, axis=0, keepdims=True))

    def _indices(self, a, x, idx):
        """``(axis, kept shape, output shape, indices, flat)``: ``indices`` (int64, in
        range) shaped ``kept`` and None, or for a non-empty ``x`` None and ``flat``,
        the positions of the picked elements in ``x.reshape(-1)``."""
        if a.axis is None:
            raise MXNetError('pick: axis=None is not supported; give the axis to pick along')
        shape = x.shape
        ax = _check_axis(self.name, a.axis, shape)
        kept = shape[:ax] + (1,) + shape[ax + 1:]
        out = shape[:ax] + shape[ax + 1:]
        if idx.shape != kept and idx.shape != out:
            raise MXNetError('pick: index shape {} does not match data shape {} along axis '
                             '{}; expected {} or {}'.format(idx.shape, shape, ax, out, kept))
        n = shape[ax]
        i = fit_index(idx, n, a.mode)
        if x.size == 0:
            return ax, kept, out, i.reshape(kept), None
        # lane (p, q) (p before the axis, q after it) picks flat position (p*n + i)*post + q
        post = math.prod(shape[ax + 1:])
        i = i.reshape(-1, post)
        i += np.arange(0, i.shape[0] * n, n, dtype=np.int64)[:, None]
        if post != 1:
            i *= post
            i += np.arange(post, dtype=np.int64)
        return ax, kept, out, None, i.reshape(-1)

    def forward(self, xp, a, x, idx):
        ax, kept, out, i, flat = self._indices(a, x, idx)
        if flat is None:
            y = np.take_along_axis(x, i, axis=ax)
        else:
            y = x.reshape(-1)[flat]
        return y.reshape(kept if a.keepdims else out)

    def backward(self, xp, a, xs, ys, dys):
        x, idx = xs
        ax, kept, out, i, flat = self._indices(a, x, idx)
        if flat is None:
            dx = np.zeros_like(x)
            np.put_along_axis(dx, i, dys[0].reshape(kept), axis=ax)
        else:
            dx = np.zeros(x.shape, x.dtype)
            # one position per lane: an assignment, never a sum
            dx.reshape(-1)[flat] = dys[0].reshape(-1)
        return dx, np.zeros_like(idx)


def _cast_value(v, dtype):
    """A Python number as MXNet casts it to ``dtype`` (truncate, then wrap for ints)."""
    if np.issubdtype(dtype, np.integer):
        return np.array(np.trunc(v)).astype(np.int64).astype(dtype)
    return np.array(v, dtype=dtype)


@register
class OneHot(Op):
    """One-hot vectors of length ``depth``: ``on_value`` at each index, ``off_value``
    elsewhere (indices outside ``[0, depth)`` give all ``off_value``). The output
    has shape ``indices.shape + (depth,)`` and dtype ``dtype`` (float32).
    """
    name = 'one_hot'
    method = 'one_hot'
    inputs = ('indices',)
    attrs = {'depth': Attr('int'), 'on_value': Attr('float', 1.0),
             'off_value': Attr('float', 0.0),
             'dtype': Attr('dtype', np.dtype('float32'),
                           choices=('float16', 'float32', 'float64', 'int32', 'int64',
                                    'int8', 'uint8'))}
    same_dtype = False
    samples = (Sample((4,), attrs={'depth': 3},
                      make=lambda rng: [rng.integers(0, 3, 4) + 0.5]),)

    def forward(self, xp, a, idx):
        if a.depth < 0:
            raise MXNetError('one_hot: depth must be a non-negative integer, got {}'.format(
                a.depth))
        hit = to_int_index(idx)[..., None] == np.arange(a.depth)
        return np.where(hit, _cast_value(a.on_value, a.dtype),
                        _cast_value(a.off_value, a.dtype))

    def backward(self, xp, a, xs, ys, dys):
        return np.zeros_like(xs[0])


def _nd_index_check(opname, data_ndim, idx):
    if idx.ndim < 2:
        raise MXNetError('{}: the index array needs at least 2 dimensions (one row per '
                         'indexed axis), got shape {}'.format(opname, idx.shape))
    if idx.shape[0] > data_ndim:
        raise MXNetError('{}: {} index rows exceed the {} dimensions of the data'.format(
            opname, idx.shape[0], data_ndim))


def _first_bad(bad, idx, sizes):
    pos = np.argwhere(np.moveaxis(bad, 0, -1))[0]
    m = int(pos[-1])
    v = idx[(m,) + tuple(pos[:-1])]
    text = '{:g}'.format(v) if np.issubdtype(idx.dtype, np.floating) else str(v)
    return IndexError('index {} is out of bounds for axis {} with size {}'.format(
        text, m, sizes[m]))


@register
class GatherND(Op):
    """``out[j...] = data[indices[0, j...], ..., indices[M-1, j...]]``; the output has
    shape ``indices.shape[1:] + data.shape[M:]``. Negative indices count from the end.

    Raises
    ------
    IndexError
        For an index outside ``[-size, size-1]`` of its axis.
    """
    name = 'gather_nd'
    inputs = ('data', 'indices')
    same_dtype = False
    samples = (_index_sample((3, 4), (2, 5), 3),
               _index_sample((2, 3, 4), (1, 2, 2), 2, -2))

    def _indices(self, x, idx):
        _nd_index_check(self.name, x.ndim, idx)
        m = idx.shape[0]
        sizes = x.shape[:m]
        size_arr = np.array(sizes, dtype=np.int64).reshape((m,) + (1,) * (idx.ndim - 1))
        bad = (idx < -size_arr) | (idx > size_arr - 1)
        if bad.any():
            raise _first_bad(bad, idx, sizes)
        return tuple(to_int_index(np.where(idx < 0, idx + size_arr, idx)))

    def forward(self, xp, a, x, idx):
        return x[self._indices(x, idx)]

    def backward(self, xp, a, xs, ys, dys):
        x, idx = xs
        dx = np.zeros_like(x)
        np.add.at(dx, self._indices(x, idx), dys[0])
        return dx, np.zeros_like(idx)


@register
class ScatterND(Op):
    """Zeros of ``shape`` with ``out[indices[:, j...]] = data[j...]`` (the inverse of
    gather_nd; for repeated indices the last write wins, the gradient goes to all).
    """
    name = 'scatter_nd'
    inputs = ('data', 'indices')
    attrs = {'shape': Attr('shape')}
    same_dtype = False
    samples = (Sample((4,), (2, 4), attrs={'shape': (3, 3)}, wrt=(0,), make=lambda rng: [
        rng.uniform(-1, 1, 4), np.array([[0, 1, 2, 2], [2, 0, 1, 2]])]),
        Sample((2, 3), (1, 2), attrs={'shape': (4, 3)}, wrt=(0,), make=lambda rng: [
            rng.uniform(-1, 1, (2, 3)), np.array([[3, 0]])]))

    def _indices(self, a, x, idx):
        shape = tuple(a.shape)
        _nd_index_check(self.name, len(shape), idx)
        m = idx.shape[0]
        if x.shape != idx.shape[1:] + shape[m:]:
            raise MXNetError('scatter_nd: data shape {} does not fit indices shape {} and '
                             'output shape {}; data must have shape {}'.format(
                                 x.shape, idx.shape, shape, idx.shape[1:] + shape[m:]))
        i = to_int_index(idx)
        size_arr = np.array(shape[:m], dtype=np.int64).reshape((m,) + (1,) * (idx.ndim - 1))
        bad = (i < 0) | (i >= size_arr)
        if bad.any():
            raise _first_bad(bad, idx, shape[:m])
        return tuple(i)

    def forward(self, xp, a, x, idx):
        out = np.zeros(tuple(a.shape), dtype=x.dtype)
        out[self._indices(a, x, idx)] = x
        return out

    def backward(self, xp, a, xs, ys, dys):
        x, idx = xs
        return dys[0][self._indices(a, x, idx)], np.zeros_like(idx)


@register
class BatchTake(Op):
    """``out[i] = a[i, indices[i]]`` over ``a.reshape(-1, a.shape[-1])``; indices must
    be int32 and are clipped to range. Deprecated in MXNet in favour of `pick`; like
    MXNet it has no gradient.
    """
    name = 'batch_take'
    inputs = ('a', 'indices')
    same_dtype = False
    differentiable = False

    def forward(self, xp, a, x, idx):
        if idx.dtype != np.int32:
            raise MXNetError('batch_take: indices must be int32, got {}; cast them with '
                             'astype(\'int32\')'.format(idx.dtype.name))
        last = x.shape[-1]
        rows = x.size // last if last else 0
        if idx.size != rows:
            raise MXNetError('batch_take: {} indices given for data of shape {}; need one per '
                             'row ({})'.format(idx.size, x.shape, rows))
        flat = x.reshape(rows, last)
        i = np.clip(idx.reshape(-1).astype(np.int64), 0, last - 1)
        return flat[np.arange(rows), i].reshape(idx.shape)

    def infer_shape(self, a, in_shapes):
        if any(s is None or 0 in s for s in in_shapes):
            raise MXNetError('batch_take: cannot infer the output shape from unknown input '
                             'shapes {}'.format(in_shapes))
        return list(in_shapes), [tuple(in_shapes[1])]


@register
class SequenceMask(Op):
    """Set steps at or beyond each sequence's length to ``value``.

    ``data`` is (T, B, ...) with ``axis=0`` or (B, T, ...) with ``axis=1``;
    ``sequence_length`` (B,) is used only with ``use_sequence_length=True``
    (fractional lengths are truncated).
    """
    name = 'SequenceMask'
    inputs = ('data', 'sequence_length')
    attrs = {'use_sequence_length': Attr('bool', False), 'value': Attr('float', 0.0),
             'axis': Attr('int', 0)}
    same_dtype = False
    samples = (Sample((4, 3, 2), (3,), attrs={'use_sequence_length': True}, wrt=(0,),
                      make=lambda rng: [rng.uniform(-1, 1, (4, 3, 2)), np.array([1., 4, 0])]),
               Sample((3, 4), (3,), attrs={'use_sequence_length': True, 'axis': 1,
                                           'value': -1.0}, wrt=(0,),
                      make=lambda rng: [rng.uniform(-1, 1, (3, 4)), np.array([2., 3, 5])]),
               Sample((3, 2)))

    def input_names(self, a, num_given=None):
        return ['data', 'sequence_length'] if a.get('use_sequence_length') else ['data']

    def _keep(self, a, x, length):
        if a.axis not in (0, 1):
            raise MXNetError('SequenceMask: axis must be 0 or 1, got {}'.format(a.axis))
        if not a.use_sequence_length:
            if length is not None:
                raise MXNetError('SequenceMask: sequence_length was given but '
                                 'use_sequence_length=False; set use_sequence_length=True')
            return None
        if length is None:
            raise MXNetError('SequenceMask: use_sequence_length=True needs the '
                             'sequence_length input')
        if x.ndim < 2 or length.shape != (x.shape[1 - a.axis],):
            raise MXNetError('SequenceMask: sequence_length has shape {} but data of shape {} '
                             'with axis={} needs shape ({},)'.format(
                                 length.shape, x.shape, a.axis,
                                 x.shape[1 - a.axis] if x.ndim >= 2 else '?'))
        keep = np.arange(x.shape[a.axis])[:, None] < to_int_index(length)[None, :]
        if a.axis == 1:
            keep = keep.T
        return keep.reshape(keep.shape + (1,) * (x.ndim - 2))

    def forward(self, xp, a, x, length=None):
        keep = self._keep(a, x, length)
        if keep is None:
            return x.copy()
        return np.where(keep, x, x.dtype.type(a.value))

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        length = xs[1] if len(xs) > 1 else None
        keep = self._keep(a, x, length)
        dx = dys[0].copy() if keep is None else dys[0] * keep
        return (dx,) if length is None else (dx, np.zeros_like(length))
