"""``mx.nd.sparse``: row_sparse and csr arrays, their constructors, ``cast_storage``,
``retain``, ``dot`` and the sparse-aware ``add`` / ``subtract`` / ``multiply`` / ``divide``.

A `RowSparseNDArray` keeps ``data`` (the stored rows) and ``indices`` (their int64 row
numbers, ascending); a `CSRNDArray` keeps ``data``, ``indices`` (int64 column numbers)
and ``indptr`` (int64 row offsets). Only those compressed parts are stored.

Notes
-----
* Operators of the table (``mx.nd.exp``, ``sum``, comparisons, ...) applied to a sparse
  array run on its dense form and return a dense NDArray (MXNet's "storage fallback"),
  even where MXNet has a sparse kernel that keeps the storage type (``sqrt``, ``relu``,
  ``clip`` of a row_sparse array stay row_sparse in MXNet). The arithmetic operators of
  the sparse classes and the functions of this module keep MXNet's storage types.
  Sparse results are not recorded by autograd. Any other ``mx.nd`` function is also
  reachable as ``mx.nd.sparse.<name>`` (as in MXNet) and works on the dense form.
* ``RowSparseNDArray.retain(indices)`` keeps the given rows; MXNet 1.9.1's method forgets
  to pass the array and returns garbage (FIX); ``mx.nd.sparse.retain`` behaves as MXNet's.
* ``csr * csr`` returns the correct product (MXNet 1.9.1 returns uninitialised indices,
  FIX); ``subtract(2, x)`` and ``divide(2, x)`` compute ``2 - x`` and ``2 / x`` (MXNet's
  sparse module computes ``x - 2`` and ``x / 2``, FIX).
* ``size`` raises NotImplementedError as in MXNet; ``bool()`` and ``asscalar()`` work on
  the dense form.
"""
import numpy as np

from ..base import MXNetError, numeric_types, integer_types, normalize_dtype
from ..context import as_context
from ..ops.registry import get_op
from .dispatch import invoke
from .ndarray import NDArray, _wrap
from .sparse_array import (BaseSparseNDArray, RowSparseNDArray, CSRNDArray,
                           NotSupportedForSparseNDArray, _STYPES, _I64, _new_sparse, _from_dense,
                           _empty_parts, _csr_rows, _map_values)

__all__ = ['BaseSparseNDArray', 'RowSparseNDArray', 'CSRNDArray', 'NotSupportedForSparseNDArray',
           'cast_storage', 'row_sparse_array', 'csr_matrix', 'array', 'zeros', 'empty',
           'retain', 'dot', 'add', 'subtract', 'multiply', 'divide']


# ------------------------------------------------------------------ construction
def cast_storage(data, stype):
    """Convert ``data`` to storage type ``'default'``, ``'row_sparse'`` or ``'csr'``
    (a new array; csr <-> row_sparse goes through the dense form)."""
    if stype not in _STYPES:
        raise MXNetError("Invalid Input: '{}', valid values are: {{'csr', 'default', "
                         "'row_sparse'}}, in operator cast_storage(stype=\"{}\")".format(
                             stype, stype))
    src_stype = data.stype
    if stype == 'default':
        return _wrap(data.asnumpy() if src_stype != 'default' else data._data.copy(), data._ctx)
    if src_stype == stype:
        return data.copy()
    values, aux = _from_dense(stype, data._data)
    return _new_sparse(stype, data.shape, values.copy(), aux, data._ctx)


def _check_shape(s1, s2):
    if s1 and s2 and tuple(s1) != tuple(s2):
        raise ValueError('Shape mismatch detected. {} v.s. {}'.format(tuple(s1), tuple(s2)))


def _default_dtype(src, dtype):
    if dtype is not None:
        return normalize_dtype(dtype)
    if isinstance(src, NDArray):
        return np.dtype(src.dtype)
    if isinstance(src, np.ndarray) or _is_scipy_sparse(src):
        return normalize_dtype(src.dtype)
    return np.dtype(np.float32)


def _is_scipy_sparse(x):
    return type(x).__module__.startswith('scipy.sparse')


def _as_numpy(src, dtype):
    if isinstance(src, NDArray):
        return src.asnumpy().astype(dtype, copy=False)
    try:
        return np.array(src, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError('values must be array like object') from None


def _from_dense_source(stype, src, shape, ctx, dtype):
    dtype = _default_dtype(src, dtype)
    dense = _as_numpy(src, dtype)
    _check_shape(dense.shape, shape)
    values, aux = _from_dense(stype, dense)
    return _new_sparse(stype, dense.shape, values, aux, as_context(ctx))


def _from_sparse_source(stype, src, shape, ctx, dtype):
    _check_shape(src.shape, shape)
    return array(src, ctx=ctx, dtype=dtype)


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """Create a `RowSparseNDArray`.

    ``arg1`` is ``(data, indices)``, a shape tuple ``(D0, D1, ...)`` (an empty array),
    a dense array-like (NDArray, numpy array or nested lists), or a RowSparseNDArray.
    ``dtype`` defaults to the source's dtype for NDArray / numpy input, float32 otherwise.
    """
    if isinstance(arg1, tuple):
        if len(arg1) < 2:
            raise ValueError('Unexpected length of input tuple: {}'.format(len(arg1)))
        if len(arg1) > 2 or all(isinstance(d, integer_types) for d in arg1):
            _check_shape(arg1, shape)
            return empty('row_sparse', arg1, ctx=ctx, dtype=dtype)
        return _rsp_from_definition(arg1[0], arg1[1], shape, ctx, dtype)
    if isinstance(arg1, RowSparseNDArray):
        return _from_sparse_source('row_sparse', arg1, shape, ctx, dtype)
    if isinstance(arg1, CSRNDArray):
        raise ValueError('Unexpected input type: CSRNDArray')
    return _from_dense_source('row_sparse', arg1, shape, ctx, dtype)


def _rsp_from_definition(data, indices, shape, ctx, dtype):
    ctx = as_context(ctx)
    dtype = _default_dtype(data, dtype)
    values = _as_numpy(data, dtype)
    idx = _as_numpy(indices, _I64)
    if shape is None:
        if idx.ndim != 1 or idx.shape[0] == 0:
            raise ValueError('invalid shape')
        shape = (int(idx[-1]) + 1,) + values.shape[1:]
    shape = tuple(int(d) for d in shape)
    if values.ndim != len(shape) or idx.ndim != 1 or int(np.prod(shape[1:])) == 0:
        raise ValueError('invalid shape')
    if values.shape != (len(idx),) + shape[1:]:
        raise MXNetError('row_sparse_array: data of shape {} does not match {} indices and '
                         'shape {}; data must have shape {}'.format(
                             values.shape, len(idx), shape, (len(idx),) + shape[1:]))
    return _new_sparse('row_sparse', shape, values, (idx,), ctx)


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """Create a `CSRNDArray`.

    ``arg1`` is ``(data, indices, indptr)``, ``(data, (row, col))`` (COO), a shape
    ``(M, N)`` (an empty matrix), a 2-D dense array-like, a CSRNDArray or a
    ``scipy.sparse`` matrix.
    """
    if isinstance(arg1, tuple):
        if len(arg1) == 2:
            if isinstance(arg1[1], tuple) and len(arg1[1]) == 2:
                return _csr_from_coo(arg1[0], arg1[1][0], arg1[1][1], shape, ctx, dtype)
            _check_shape(arg1, shape)
            return empty('csr', arg1, ctx=ctx, dtype=dtype)
        if len(arg1) == 3:
            return _csr_from_definition(arg1[0], arg1[1], arg1[2], shape, ctx, dtype)
        raise ValueError('Unexpected length of input tuple: {}'.format(len(arg1)))
    if isinstance(arg1, CSRNDArray) or _is_scipy_sparse(arg1):
        return _from_sparse_source('csr', arg1, shape, ctx, dtype)
    if isinstance(arg1, RowSparseNDArray):
        raise ValueError('Unexpected input type: RowSparseNDArray')
    return _from_dense_source('csr', arg1, shape, ctx, dtype)


def _csr_from_definition(data, indices, indptr, shape, ctx, dtype):
    ctx = as_context(ctx)
    dtype = _default_dtype(data, dtype)
    values = _as_numpy(data, dtype)
    idx = _as_numpy(indices, _I64)
    ptr = _as_numpy(indptr, _I64)
    if shape is None:
        if idx.ndim != 1 or idx.shape[0] == 0:
            raise ValueError('invalid shape')
        shape = (len(ptr) - 1, int(idx.max()) + 1)
    shape = tuple(int(d) for d in shape)
    if values.ndim != 1 or ptr.ndim != 1 or idx.ndim != 1 or ptr.shape[0] == 0 \
            or len(shape) != 2:
        raise ValueError('invalid shape')
    if values.shape != idx.shape:
        raise MXNetError('csr_matrix: {} values but {} column indices; give one index per '
                         'value'.format(values.shape[0], idx.shape[0]))
    return _new_sparse('csr', shape, values, (ptr, idx), ctx)


def _csr_from_coo(data, row, col, shape, ctx, dtype):
    dtype = normalize_dtype(dtype)
    values = _as_numpy(data, dtype).reshape(-1)
    row = _as_numpy(row, _I64).reshape(-1)
    col = _as_numpy(col, _I64).reshape(-1)
    if shape is None:
        shape = (int(row.max()) + 1, int(col.max()) + 1) if len(row) else (0, 0)
    dense = np.zeros(shape, dtype=dtype)
    np.add.at(dense, (row, col), values)  # duplicates are summed, as scipy does
    return _from_dense_source('csr', dense, shape, ctx, dtype)


def array(source_array, ctx=None, dtype=None):
    """Copy a sparse array (RowSparseNDArray, CSRNDArray or scipy.sparse matrix), keeping
    its storage type; ``ctx`` and ``dtype`` default to the source's."""
    if isinstance(source_array, BaseSparseNDArray):
        dtype = _default_dtype(source_array, dtype)
        out = source_array.astype(dtype)
        return out if ctx is None else out.copyto(as_context(ctx))
    if isinstance(source_array, NDArray):
        raise MXNetError('Please use `tostype` to create RowSparseNDArray or CSRNDArray from '
                         'an NDArray')
    if _is_scipy_sparse(source_array):
        csr = source_array.tocsr().copy()
        csr.sum_duplicates()
        csr.sort_indices()
        return _csr_from_definition(csr.data, csr.indices, csr.indptr, csr.shape, ctx,
                                    _default_dtype(source_array, dtype))
    if isinstance(source_array, (np.ndarray, np.generic)):
        raise ValueError('Please use mx.nd.array to create an NDArray with source_array of '
                         'type {}'.format(type(source_array)))
    raise ValueError('Unexpected source_array type: {}'.format(type(source_array)))


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An all-zero array of storage type ``stype`` (nothing stored)."""
    if stype == 'default':
        from .ndarray import zeros as _dense_zeros
        return _dense_zeros(shape, ctx=ctx, dtype=dtype)
    if stype not in ('row_sparse', 'csr'):
        raise ValueError('unknown storage type' + str(stype))
    ctx = as_context(ctx)
    ctx.xp
    shape = (int(shape),) if isinstance(shape, integer_types) else tuple(int(d) for d in shape)
    values, aux = _empty_parts(stype, shape, normalize_dtype(dtype))
    return _new_sparse(stype, shape, values, aux, ctx)


def empty(stype, shape, ctx=None, dtype=None):
    """Same as `zeros` (distgluon never hands out uninitialised memory)."""
    if stype not in ('row_sparse', 'csr'):
        raise MXNetError('unknown stype : ' + str(stype))
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


# ------------------------------------------------------------------ operations
def retain(data, indices):
    """Keep rows ``indices`` of a row_sparse array, as MXNet's ``sparse_retain``.

    The result's indices are ``indices`` as given (cast to int64); a requested row that
    is not stored comes out as a stored row of zeros.
    """
    if not isinstance(data, RowSparseNDArray):
        raise MXNetError('retain: data must be a RowSparseNDArray, got storage type '
                         '{}'.format(getattr(data, 'stype', type(data).__name__)))
    want = (indices.asnumpy() if isinstance(indices, NDArray) else np.asarray(indices))
    want = want.astype(_I64).reshape(-1)
    have = data._aux[0]
    pos = np.searchsorted(have, want)
    pos_c = np.minimum(pos, max(len(have) - 1, 0))
    found = (pos < len(have)) & (have[pos_c] == want) if len(have) else np.zeros(len(want), bool)
    values = np.zeros((len(want),) + data._sshape[1:], dtype=data._values.dtype)
    values[found] = data._values[pos_c[found]]
    return _new_sparse('row_sparse', data._sshape, values, (want,), data._ctx)


def _keys(arr):
    """One int64 key per stored row (row_sparse) or element (csr), ascending."""
    if arr._stype == 'row_sparse':
        return arr._aux[0]
    return _csr_rows(arr._aux[0]) * arr._sshape[1] + arr._aux[1]


def _union_op(lhs, rhs, opname):
    """``lhs op rhs`` for two sparse arrays of one storage type and shape: the result
    stores the union of both index sets."""
    klhs, krhs = _keys(lhs), _keys(rhs)
    keys = np.union1d(klhs, krhs)
    tail = lhs._values.shape[1:]

    def expand(arr, k):
        out = np.zeros((len(keys),) + tail, dtype=arr._values.dtype)
        out[np.searchsorted(keys, k)] = arr._values
        return _wrap(out, arr._ctx)
    vals = invoke(get_op(opname), [expand(lhs, klhs), expand(rhs, krhs)], {})._data
    if lhs._stype == 'row_sparse':
        return _new_sparse('row_sparse', lhs._sshape, vals, (keys,), lhs._ctx)
    rows, cols = np.divmod(keys, lhs._sshape[1])
    indptr = np.zeros(lhs._sshape[0] + 1, dtype=_I64)
    np.cumsum(np.bincount(rows, minlength=lhs._sshape[0]), out=indptr[1:])
    return _new_sparse('csr', lhs._sshape, vals, (indptr, cols.astype(_I64)), lhs._ctx)


def _mul_dense(sp, dense):
    """sparse * dense of the same shape: keeps the sparse structure."""
    if sp._stype == 'row_sparse':
        picked = dense._data[sp._aux[0]]
    else:
        picked = dense._data[_csr_rows(sp._aux[0]), sp._aux[1]]
    vals = invoke(get_op('elemwise_mul'), [_wrap(sp._values, sp._ctx),
                                            _wrap(picked, dense._ctx)], {})._data
    return _new_sparse(sp._stype, sp._sshape, vals, [a.copy() for a in sp._aux], sp._ctx)


def _binary(lhs, rhs, kind):
    from . import arith
    dense_fn = {'add': arith.add, 'sub': arith.subtract, 'mul': arith.multiply,
                'div': arith.divide}[kind]
    lsp, rsp = isinstance(lhs, BaseSparseNDArray), isinstance(rhs, BaseSparseNDArray)
    if lsp and rsp and lhs.stype == rhs.stype and lhs.shape == rhs.shape and kind != 'div':
        if lhs._ctx != rhs._ctx:
            rhs = rhs.copyto(lhs._ctx)
        return _union_op(lhs, rhs, {'add': 'elemwise_add', 'sub': 'elemwise_sub',
                                    'mul': 'elemwise_mul'}[kind])
    if kind == 'mul' and (lsp or rsp) and isinstance(lhs, NDArray) and \
            isinstance(rhs, NDArray) and lhs.shape == rhs.shape and lsp != rsp:
        return _mul_dense(lhs, rhs) if lsp else _mul_dense(rhs, lhs)
    if lsp and isinstance(rhs, numeric_types) and kind in ('mul', 'div'):
        return _map_values(lhs, '_mul_scalar' if kind == 'mul' else '_div_scalar',
                           {'scalar': rhs})
    if rsp and isinstance(lhs, numeric_types) and kind == 'mul':
        return _map_values(rhs, '_mul_scalar', {'scalar': lhs})
    return dense_fn(lhs, rhs)


def add(lhs, rhs):
    """``lhs + rhs``; two sparse arrays of one storage type and shape give that storage
    type, anything else a dense NDArray."""
    return _binary(lhs, rhs, 'add')


def subtract(lhs, rhs):
    """``lhs - rhs`` (storage types as in `add`)."""
    return _binary(lhs, rhs, 'sub')


def multiply(lhs, rhs):
    """``lhs * rhs``; sparse times a scalar or a same-shape array stays sparse."""
    return _binary(lhs, rhs, 'mul')


def divide(lhs, rhs):
    """``lhs / rhs``; sparse divided by a scalar stays sparse."""
    return _binary(lhs, rhs, 'div')


def dot(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    """Matrix product with sparse operands, with MXNet's result storage types:

    csr . dense -> dense; csr.T . dense -> row_sparse (rows = the csr's column indices);
    dense . csr -> csr; anything else -> dense. ``forward_stype`` forces the result's.
    """
    for name, x in (('lhs', lhs), ('rhs', rhs)):
        if not isinstance(x, NDArray):
            raise TypeError('dot: {} must be an NDArray, got {}'.format(name, type(x).__name__))
    if lhs.dtype != rhs.dtype:
        raise MXNetError('dot: inputs have different dtypes, {} and {}; cast one with '
                         'astype() first'.format(np.dtype(lhs.dtype), np.dtype(rhs.dtype)))
    if lhs._ctx != rhs._ctx:
        raise MXNetError('dot: inputs are on different contexts, {} and {}'.format(
            lhs._ctx, rhs._ctx))
    sparse_in = lhs.stype != 'default' or rhs.stype != 'default'
    if sparse_in and (lhs.ndim != 2 or rhs.ndim != 2):
        raise MXNetError('sparse dot only supports 2 dimensional inputs, got shapes {} and '
                         '{}'.format(lhs.shape, rhs.shape))
    a, b = lhs._data, rhs._data
    if transpose_a:
        a = np.swapaxes(a, 0, -1) if a.ndim > 1 else a
    if transpose_b:
        b = np.swapaxes(b, 0, -1) if b.ndim > 1 else b
    ka = a.shape[-1] if a.ndim else 1
    kb = b.shape[0] if b.ndim else 1
    if ka != kb:
        raise MXNetError('dot shape error: {} X {}'.format(list(lhs.shape), list(rhs.shape)))
    out = np.tensordot(a, b, axes=(a.ndim - 1, 0)).astype(a.dtype, copy=False)
    out = out.reshape(1) if out.ndim == 0 else out
    stype = forward_stype
    if stype is None:
        stype = 'default'
        if lhs.stype == 'csr' and transpose_a and rhs.stype in ('default', 'row_sparse') \
                and not transpose_b:
            rows = np.unique(lhs._aux[1])
            return _new_sparse('row_sparse', out.shape, out[rows], (rows,), lhs._ctx)
        if lhs.stype == 'default' and rhs.stype == 'csr' and not transpose_a \
                and not transpose_b:
            cols = np.unique(rhs._aux[1])
            m = out.shape[0]
            indptr = np.arange(m + 1, dtype=_I64) * len(cols)
            return _new_sparse('csr', out.shape, out[:, cols].reshape(-1),
                               (indptr, np.tile(cols, m)), lhs._ctx)
    res = _wrap(np.ascontiguousarray(out), lhs._ctx)
    return res if stype == 'default' else cast_storage(res, stype)


def __getattr__(name):
    """Every other ``mx.nd`` function is reachable as ``mx.nd.sparse.<name>`` (on the
    dense form), as MXNet exposes its whole operator table there."""
    from .. import ndarray as _nd
    if name.startswith('__') or not hasattr(_nd, name):
        raise AttributeError('module {!r} has no attribute {!r}'.format(__name__, name))
    return getattr(_nd, name)
