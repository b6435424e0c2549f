"""NDArray ``__getitem__`` / ``__setitem__`` with MXNet 1.x semantics.

An integer or a step-1 slice on the first axis returns a view sharing memory, as
MXNet does; other basic indexing returns a copy; NDArray / list indices gather
(advanced indexing). Indexing under ``autograd.record`` is differentiable.
"""
import numpy as np

from ..base import MXNetError
from ..ops.registry import Op, Attr, Attrs, register, get_op, Sample
from .dispatch import invoke

__all__ = ['getitem', 'setitem']


def _convert_key(key):
    from .ndarray import NDArray
    if isinstance(key, NDArray):
        return key._data.astype(np.int64)
    if isinstance(key, tuple):
        return tuple(_convert_key(k) for k in key)
    if isinstance(key, list):
        return np.asarray(key, dtype=np.int64)
    if isinstance(key, np.ndarray) and key.dtype != np.bool_:
        return key.astype(np.int64)
    return key


def _is_first_axis_view(key):
    if isinstance(key, tuple):
        if len(key) != 1:
            return False
        key = key[0]
    if isinstance(key, (int, np.integer)):
        return True
    return isinstance(key, slice) and key.step in (None, 1)


@register
class _GetItem(Op):
    """``x[key]``; the key (converted to numpy form) travels as an attribute."""
    name = '_getitem'
    attrs = {'key': Attr('any')}
    samples = (Sample((4, 3), attrs={'key': 1}), Sample((5,), attrs={'key': 2}),
               Sample((4, 3), attrs={'key': (slice(1, 3), 2)}),
               Sample((4, 3), attrs={'key': np.array([0, 2, 0])}))

    def forward(self, xp, a, x):
        key = a.key
        if isinstance(key, (int, np.integer)) and x.ndim == 1:
            return x[key:key + 1] if key != -1 else x[-1:]
        y = x[key]
        return y

    def backward(self, xp, a, xs, ys, dys):
        x, = xs
        dx = xp.zeros_like(x)
        key = a.key
        if isinstance(key, (int, np.integer)) and x.ndim == 1:
            key = slice(key, key + 1) if key != -1 else slice(-1, None)
        xp.add.at(dx, key, dys[0].reshape(dx[key].shape))
        return dx


def getitem(arr, key):
    """Implementation of ``NDArray.__getitem__``."""
    from .ndarray import _wrap
    nkey = _convert_key(key)
    shape = arr.shape
    if isinstance(nkey, (int, np.integer)):
        if not -shape[0] <= nkey < shape[0] if shape else True:
            raise IndexError('index {} is out of bounds for axis 0 with size {}'.format(
                nkey, shape[0] if shape else 0))
    try:
        out = invoke(_GETITEM, [arr], None, attrs=Attrs(key=nkey))
    except IndexError as err:
        raise IndexError('index {!r} is invalid for an array of shape {}: {}'.format(
            key, shape, err)) from None
    if out._node is None and not _is_first_axis_view(nkey):
        out._data = np.array(out._data, copy=True)
    return out


_GETITEM = get_op('_getitem')


def setitem(arr, key, value):
    """Implementation of ``NDArray.__setitem__``: writes in place (no new array)."""
    from .ndarray import NDArray
    nkey = _convert_key(key)
    if isinstance(value, NDArray):
        if value._ctx != arr._ctx:
            raise MXNetError('cannot assign an array on {} into an array on {}; use '
                             'as_in_context() first'.format(value._ctx, arr._ctx))
        value = value._data
    try:
        if isinstance(nkey, (int, np.integer)) and arr.ndim == 1:
            arr._data[nkey] = np.asarray(value).reshape(())
        else:
            target_shape = arr._data[nkey].shape
            val = np.asarray(value, dtype=arr._data.dtype) \
                if not isinstance(value, np.ndarray) else value
            if val.shape != target_shape and val.size == int(np.prod(target_shape)) \
                    and val.ndim and not _broadcastable(val.shape, target_shape):
                val = val.reshape(target_shape)
            arr._data[nkey] = val
    except (ValueError, IndexError) as err:
        raise MXNetError('cannot assign a value of shape {} to index {!r} of an array of '
                         'shape {}: {}'.format(np.shape(value), key, arr.shape, err)) from None
    arr._version += 1


def _broadcastable(src, dst):
    if len(src) > len(dst):
        return False
    for s, d in zip(reversed(src), reversed(dst)):
        if s != 1 and s != d:
            return False
    return True
