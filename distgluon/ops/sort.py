"""Sorting: topk, sort, argsort.

Every sort is stable: equal elements keep their original order, in ascending and
in descending order alike (MXNet's CPU kernels use a stable sort). Index outputs
have the ``dtype`` attribute (float32 by default), whatever the data's dtype.

Notes
-----
MXNet's comparison sort leaves NaNs at unspecified places; here NaN sorts as the
largest value (numpy's rule). MXNet 1.9.1 fails in the backward of ``sort`` when
``axis`` is not given explicitly (its backward node loses the attribute); here the
gradient works for every axis.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_INDEX_DTYPES = ('float16', 'float32', 'float64', 'int32', 'int64', 'uint8')


def stable_order(x, axis, ascend):
    """Indices (int64) that sort ``x`` stably along ``axis``, ties in original order."""
    if ascend:
        return np.argsort(x, axis=axis, kind='stable')
    n = x.shape[axis]
    rev = np.argsort(np.flip(x, axis), axis=axis, kind='stable')
    return np.flip(n - 1 - rev, axis)


def _sort_axis(opname, axis, x):
    """(array to sort, non-negative axis): flattened when ``axis`` is None."""
    if axis is None:
        return x.reshape(-1), 0
    ndim = x.ndim
    if not -ndim <= axis < ndim:
        raise MXNetError('{}: invalid axis {} for an input of shape {}; use an axis in '
                         '[{}, {}] or None'.format(opname, axis, x.shape, -ndim, ndim - 1))
    return x, axis % ndim


def _scatter_back(x_shape, axis, flat, idx, dy):
    """Gradient of gathering ``idx`` along ``axis``: dy put back where it came from."""
    shape = (int(np.prod(x_shape)),) if flat else x_shape
    dx = np.zeros(shape, dtype=dy.dtype)
    np.put_along_axis(dx, idx, dy, axis=axis)
    return dx.reshape(x_shape)


def _distinct(shape):
    def make(rng):
        n = int(np.prod(shape))
        return [(rng.permutation(n).astype(np.float64) / n - 0.5).reshape(shape)]
    return make


@register
class TopK(Op):
    """The ``k`` largest (``is_ascend``: smallest) elements along ``axis``.

    ``ret_typ`` selects the output: ``'indices'`` (default), ``'value'``, ``'both'``
    (values, indices) or ``'mask'`` (1 at the selected positions, in the data's dtype
    and shape). ``k <= 0`` selects every element; ``axis=None`` works on the
    flattened array. Indices come in ``dtype`` (float32 by default).
    """
    name = 'topk'
    method = 'topk'
    attrs = {'axis': Attr('int_or_none', -1), 'k': Attr('int', 1),
             'ret_typ': Attr('str', 'indices', choices=('both', 'indices', 'mask', 'value')),
             'is_ascend': Attr('bool', False),
             'dtype': Attr('dtype', np.dtype('float32'), choices=_INDEX_DTYPES)}
    samples = (Sample((3, 5), attrs={'k': 2, 'ret_typ': 'value'}, make=_distinct((3, 5))),
               Sample((4, 3), attrs={'k': 2, 'axis': 0, 'ret_typ': 'both',
                                     'is_ascend': True}, make=_distinct((4, 3))),
               Sample((2, 3, 4), attrs={'k': 3, 'axis': None, 'ret_typ': 'value'},
                      make=_distinct((2, 3, 4))),
               Sample((2, 5), attrs={'k': 2}, make=_distinct((2, 5))))

    def num_visible(self, a):
        return 2 if a.ret_typ == 'both' else 1

    def num_outputs(self, a):
        return self.num_visible(a) + 1     # + the int64 indices kept for backward

    def forward(self, xp, a, x):
        data, ax = _sort_axis(self.name, a.axis, x)
        n = data.shape[ax]
        k = a.k if a.k > 0 else n
        if k > n:
            raise MXNetError('topk: k must be at most {} (the size of axis {} of shape {}), '
                             'got k = {}'.format(n, ax if a.axis is not None else 'None',
                                                 x.shape, a.k))
        idx = np.take(stable_order(data, ax, a.is_ascend), np.arange(k), axis=ax)
        if a.ret_typ == 'mask':
            mask = np.zeros(data.shape, dtype=x.dtype)
            np.put_along_axis(mask, idx, 1, axis=ax)
            return mask.reshape(x.shape), idx
        out_idx = idx.astype(a.dtype)
        if a.ret_typ == 'indices':
            return out_idx, idx
        values = np.take_along_axis(data, idx, axis=ax)
        if a.ret_typ == 'value':
            return values, idx
        return values, out_idx, idx

    def backward(self, xp, a, xs, ys, dys):
        x, = xs
        if a.ret_typ in ('indices', 'mask'):
            return np.zeros_like(x)
        ax = 0 if a.axis is None else a.axis % x.ndim
        return _scatter_back(x.shape, ax, a.axis is None, ys[-1], dys[0])


@register
class Sort(Op):
    """Sorted copy along ``axis`` (flattened when None), ascending by default."""
    name = 'sort'
    method = 'sort'
    attrs = {'axis': Attr('int_or_none', -1), 'is_ascend': Attr('bool', True)}
    samples = (Sample((3, 5), make=_distinct((3, 5))),
               Sample((4, 3), attrs={'axis': 0, 'is_ascend': False}, make=_distinct((4, 3))),
               Sample((2, 3, 2), attrs={'axis': None}, make=_distinct((2, 3, 2))))

    def num_outputs(self, a):
        return 2

    def forward(self, xp, a, x):
        data, ax = _sort_axis(self.name, a.axis, x)
        idx = stable_order(data, ax, a.is_ascend)
        return np.take_along_axis(data, idx, axis=ax), idx

    def backward(self, xp, a, xs, ys, dys):
        x, = xs
        ax = 0 if a.axis is None else a.axis % x.ndim
        return _scatter_back(x.shape, ax, a.axis is None, ys[1], dys[0])


@register
class ArgSort(Op):
    """Indices that sort along ``axis`` (flattened when None), in ``dtype``.

    The gradient is zero, as in MXNet.
    """
    name = 'argsort'
    method = 'argsort'
    attrs = {'axis': Attr('int_or_none', -1), 'is_ascend': Attr('bool', True),
             'dtype': Attr('dtype', np.dtype('float32'), choices=_INDEX_DTYPES)}
    samples = (Sample((3, 5), make=_distinct((3, 5))),)

    def forward(self, xp, a, x):
        data, ax = _sort_axis(self.name, a.axis, x)
        return stable_order(data, ax, a.is_ascend).astype(a.dtype)

    def backward(self, xp, a, xs, ys, dys):
        return np.zeros_like(xs[0])
