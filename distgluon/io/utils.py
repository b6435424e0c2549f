"""Helpers of the array iterators (``mx.io.utils``): turning the accepted input forms into
a sorted list of ``(name, NDArray)`` and reordering or slicing them along the batch."""
from collections import OrderedDict

import numpy as np

from ..ndarray import NDArray, array
from ..ndarray.sparse import CSRNDArray, cast_storage

__all__ = []


def _init_data(data, allow_empty, default_name):
    """``data`` (an array, a list of arrays or a dict of name -> array) as a list of
    ``(name, NDArray)`` sorted by name. One array is named ``default_name``; the arrays
    of a list of several are named ``_<i>_<default_name>``. Anything but an NDArray is
    converted with `mx.nd.array` (so numpy data becomes float32)."""
    if data is None and not allow_empty:
        raise AssertionError()
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not allow_empty and not data:
            raise AssertionError()
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict(('_%d_%s' % (i, default_name), d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError('Input must be NDArray, numpy.ndarray, h5py.Dataset '
                        'a list of them or dict with them as values')
    data = dict(data)
    for name, value in data.items():
        if not isinstance(value, NDArray):
            try:
                data[name] = array(value)
            except Exception:
                raise TypeError("Invalid type '%s' for %s, should be NDArray, numpy.ndarray "
                                "or h5py.Dataset" % (type(value), name)) from None
    return sorted(data.items())


def _has_instance(data, dtype):
    """Whether one array of a ``(name, array)`` list is a ``dtype`` instance."""
    return any(isinstance(arr, dtype) for _, arr in data)


def _getdata_by_idx(data, idx):
    """The arrays of a ``(name, array)`` list with their rows (axis 0) reordered by
    ``idx``. Dense arrays come back as float32 (they go through `mx.nd.array` of a numpy
    array, as in MXNet); CSR arrays stay CSR with their dtype."""
    out = []
    for name, arr in data:
        if isinstance(arr, CSRNDArray):
            rows = array(arr.asnumpy()[idx], ctx=arr.context, dtype=arr.dtype)
            out.append((name, cast_storage(rows, 'csr')))
        else:
            out.append((name, array(arr.asnumpy()[idx], ctx=arr.context)))
    return out


def _slice_along_batch_axis(data, s, batch_axis):
    """A dense copy of ``data[..., s, ...]`` along ``batch_axis`` (a CSR array gives a
    dense slice, as MXNet's storage fallback does)."""
    src = data.asnumpy() if data.stype != 'default' else np.asarray(data)
    key = [slice(None)] * src.ndim
    key[batch_axis] = s
    return array(src[tuple(key)], ctx=data.context, dtype=src.dtype)
