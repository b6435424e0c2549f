"""The sparse array classes behind ``mx.nd.sparse``: `RowSparseNDArray` and `CSRNDArray`,
which store only their compressed parts, and the numpy kernels that convert between
those parts and the dense form. Constructors and operations live in `sparse`.

Operators of the table read an array's ``_data``; for a sparse array that is a property
returning the dense form, rebuilt on each access and read-only (a write into it fails
instead of being lost), and assigning a dense array to it re-compresses it.
"""
import warnings

import numpy as np

from ..base import (MXNetError, _UnavailableFunction, numeric_types, integer_types,
                    normalize_dtype)
from ..context import Context
from ..ops.registry import get_op
from .dispatch import invoke
from .ndarray import NDArray, _wrap

__all__ = ['BaseSparseNDArray', 'RowSparseNDArray', 'CSRNDArray', 'NotSupportedForSparseNDArray']

_STYPES = ('default', 'row_sparse', 'csr')
_I64 = np.dtype(np.int64)


def _ops():
    """The `sparse` module (constructors and operations), imported on first use."""
    from . import sparse
    return sparse


class NotSupportedForSparseNDArray(_UnavailableFunction):
    """An NDArray method that sparse arrays do not support was called."""
    _where = ' is not supported for SparseNDArray and only available in NDArray.'


# ------------------------------------------------------------------ numpy kernels
def _dense_to_rsp(dense):
    """(values, (indices,)) of the rows of ``dense`` holding any non-zero (NaN counts)."""
    rows = dense.reshape(dense.shape[0], int(np.prod(dense.shape[1:])))
    idx = np.flatnonzero(np.any(rows != 0, axis=1)).astype(_I64)
    return dense[idx], (idx,)


def _dense_to_csr(dense):
    """(values, (indptr, indices)) of a 2-D dense array."""
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(dense.shape[0] + 1, dtype=_I64)
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
    return dense[rows, cols], (indptr, cols.astype(_I64))


def _csr_rows(indptr):
    """Row number of every stored element of a csr matrix."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=_I64), np.diff(indptr))


def _to_dense(stype, shape, values, aux):
    dense = np.zeros(shape, dtype=values.dtype)
    if stype == 'row_sparse':
        dense[aux[0]] = values
    else:
        dense[_csr_rows(aux[0]), aux[1]] = values
    return dense


def _from_dense(stype, dense):
    if stype == 'row_sparse':
        return _dense_to_rsp(dense)
    if dense.ndim != 2:
        raise ValueError('To convert to a CSR, the NDArray should be 2 Dimensional. Current '
                         'shape is {}'.format(tuple(dense.shape)))
    return _dense_to_csr(dense)


def _empty_parts(stype, shape, dtype):
    if stype == 'row_sparse':
        return np.zeros((0,) + tuple(shape[1:]), dtype=dtype), (np.zeros(0, dtype=_I64),)
    if len(shape) != 2:
        raise MXNetError('a csr array must be 2-D, got shape {}'.format(tuple(shape)))
    return np.zeros(0, dtype=dtype), (np.zeros(shape[0] + 1, dtype=_I64),
                                      np.zeros(0, dtype=_I64))


# ------------------------------------------------------------------ classes
def _new_sparse(stype, shape, values, aux, ctx):
    """Build a sparse array around existing numpy parts (internal, no copy)."""
    cls = RowSparseNDArray if stype == 'row_sparse' else CSRNDArray
    arr = cls.__new__(cls)
    arr._ctx = ctx
    arr._grad = arr._grad_req = arr._node = None
    arr._version = 0
    arr._sshape = tuple(int(d) for d in shape)
    arr._values = values
    arr._aux = tuple(aux)
    return arr


def _rebuild(stype, shape, values, aux, ctx):
    return _new_sparse(stype, shape, values, aux, Context(*ctx))


class BaseSparseNDArray(NDArray):
    """An NDArray stored in a sparse format (see `RowSparseNDArray`, `CSRNDArray`)."""
    __slots__ = ('_values', '_aux', '_sshape')
    _stype = None
    _aux_names = ()

    # -------------------------------------------------------------- storage
    @property
    def _data(self):
        """The dense equivalent, rebuilt on every access and read-only (so a write into
        it fails instead of being lost); assigning a dense array re-compresses it."""
        dense = _to_dense(self._stype, self._sshape, self._values, self._aux)
        dense.flags.writeable = False
        return dense

    @_data.setter
    def _data(self, dense):
        dense = np.asarray(dense)
        if dense.shape != self._sshape:
            raise MXNetError('cannot assign an array of shape {} to a {} array of shape '
                             '{}'.format(dense.shape, self._stype, self._sshape))
        values, aux = _from_dense(self._stype, dense)
        self._set_parts(values.astype(self._values.dtype, copy=False), aux)

    def _set_parts(self, values, aux):
        self._values = values
        self._aux = tuple(aux)
        self._version += 1

    @property
    def shape(self):
        """Tuple of array dimensions."""
        return self._sshape

    @property
    def ndim(self):
        return len(self._sshape)

    @property
    def size(self):
        # the number of elements of a sparse array is ambiguous: MXNet disables it
        raise NotImplementedError()

    @property
    def dtype(self):
        """The element type, as a numpy type."""
        return self._values.dtype.type

    @property
    def stype(self):
        """Storage type: ``'row_sparse'`` or ``'csr'``."""
        return self._stype

    @property
    def handle(self):
        return id(self)

    @property
    def data(self):
        """A copy of the stored values, as an NDArray."""
        return _wrap(self._values.copy(), self._ctx)

    @data.setter
    def data(self, value):
        raise NotImplementedError()

    @property
    def _num_aux(self):
        return len(self._aux_names)

    @property
    def _aux_types(self):
        return [a.dtype.type for a in self._aux]

    def _aux_type(self, i):
        return self._aux[i].dtype.type

    def _aux_data(self, i):
        """A copy of the i-th auxiliary array (indices, or indptr then indices for csr)."""
        return _wrap(self._aux[i].copy(), self._ctx)

    def __reduce__(self):
        return _rebuild, (self._stype, self._sshape, self._values, self._aux,
                          (self._ctx.device_type, self._ctx.device_id))

    # -------------------------------------------------------------- conversion
    def __repr__(self):
        return '\n<{} {} @{}>'.format(type(self).__name__,
                                      'x'.join(str(d) for d in self._sshape), self._ctx)

    __str__ = __repr__

    def asnumpy(self):
        """A dense numpy copy."""
        return _to_dense(self._stype, self._sshape, self._values, self._aux)

    def astype(self, dtype, copy=True):
        """A copy with values cast to ``dtype`` (same storage type); with ``copy=False``
        the array itself when no cast is needed."""
        dtype = normalize_dtype(dtype)
        if not copy and dtype == self._values.dtype:
            return self
        return _new_sparse(self._stype, self._sshape, self._values.astype(dtype),
                           [a.copy() for a in self._aux], self._ctx)

    def tostype(self, stype):
        """A copy with storage type ``stype`` (row_sparse <-> csr is not supported)."""
        if stype not in _STYPES:
            raise MXNetError("Invalid Input: '{}', valid values are: {{'csr', 'default', "
                             "'row_sparse'}}, in operator cast_storage".format(stype))
        if stype not in ('default', self._stype):
            raise ValueError('cast_storage from {} to {} is not supported'.format(
                self._stype, stype))
        return _ops().cast_storage(self, stype)

    def copy(self):
        """A deep copy on the same context."""
        return self.copyto(self._ctx)

    def copyto(self, other):
        """Copy into ``other`` (an NDArray of the same shape, dense or of this storage
        type; values are cast to its dtype) or onto a Context (a new array).

        Returns
        -------
        NDArray
            ``other``, or the new array; False (with a RuntimeWarning) when ``other`` is
            this array, as in MXNet.
        """
        if isinstance(other, Context):
            other.xp  # raises for devices without a backend
            return _new_sparse(self._stype, self._sshape, self._values.copy(),
                               [a.copy() for a in self._aux], other)
        if not isinstance(other, NDArray):
            raise TypeError('copyto does not support type ' + str(type(other)))
        if other is self:
            warnings.warn('You are attempting to copy an array to itself', RuntimeWarning)
            return False
        if other.stype not in ('default', self._stype):
            raise TypeError('copyto does not support destination NDArray stype ' + other.stype)
        if other.shape != self._sshape:
            raise MXNetError('copyto: shape mismatch, source {} vs destination {}'.format(
                self._sshape, other.shape))
        if other.stype == 'default':
            other._data[...] = self.asnumpy()
            other._version += 1
        else:
            other._set_parts(self._values.astype(other._values.dtype),
                             [a.copy() for a in self._aux])
        return other

    def detach(self):
        """A new array sharing the stored parts, cut from the autograd graph."""
        return _new_sparse(self._stype, self._sshape, self._values, self._aux, self._ctx)

    def reshape(self, *shape, **kwargs):
        raise NotSupportedForSparseNDArray(self.reshape, None, shape)

    def zeros_like(self):
        return _ops().zeros(self._stype, self._sshape, ctx=self._ctx, dtype=self._values.dtype)

    def check_format(self, full_check=True):
        """Check that the compressed parts describe a valid array.

        Parameters
        ----------
        full_check : bool
            Also check index order and range (O(nnz)); otherwise only the part shapes.

        Raises
        ------
        MXNetError
            Naming what is wrong, with MXNet's wording.
        """
        _check_format(self, full_check)

    # -------------------------------------------------------------- assignment
    def _assign(self, value):
        """``self[:] = value`` for an NDArray, numpy array or scalar."""
        if isinstance(value, BaseSparseNDArray):
            if value is not self:
                value.copyto(self)
            return
        if isinstance(value, NDArray):
            dense = value._data
        elif isinstance(value, (np.ndarray, np.generic)):
            dense = np.asarray(value)
        elif isinstance(value, numeric_types):
            if self._stype == 'csr':
                raise ValueError('Assigning numeric types to CSRNDArray is not implemented yet.')
            dense = np.full(self._sshape, value, dtype=self._values.dtype)
            # MXNet's _set_value stores every row, even for 0
            self._set_parts(dense, (np.arange(self._sshape[0], dtype=_I64),))
            return
        else:
            raise TypeError('type {} not supported'.format(type(value)))
        if dense.shape != self._sshape:
            dense = np.broadcast_to(dense, self._sshape)
        self._data = dense

    def __setitem__(self, key, value):
        if not isinstance(key, slice):
            raise TypeError('{} only supports [:] for assignment'.format(type(self).__name__))
        if key.start is not None or key.stop is not None or key.step is not None:
            raise ValueError('Assignment with slice for {} is not implemented yet.'.format(
                type(self).__name__))
        self._assign(value)

    # -------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _ops().add(self, other)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        if isinstance(other, numeric_types):
            return _ops().multiply(other, self)
        return NDArray.__mul__(self, other)  # dense * sparse is dense, as in MXNet

    def __truediv__(self, other):
        return _ops().divide(self, other)

    __div__ = __truediv__

    def __neg__(self):
        return _map_values(self, 'negative', {})

    def __abs__(self):
        return _map_values(self, 'abs', {})

    def _inplace(self, result):
        self._assign(result)
        return self

    def __iadd__(self, other):
        return self._inplace(self + other)

    def __isub__(self, other):
        return self._inplace(self - other)

    def __imul__(self, other):
        return self._inplace(self * other)

    def __itruediv__(self, other):
        return self._inplace(self / other)

    __idiv__ = __itruediv__


class RowSparseNDArray(BaseSparseNDArray):
    """A set of row slices of a larger array: ``dense[indices[i]] = data[i]``.

    ``indices`` is a 1-D int64 array sorted ascending; ``data`` has shape
    ``(len(indices),) + shape[1:]``. Typically the gradient of an embedding.

    Examples
    --------
    >>> a = mx.nd.sparse.row_sparse_array(([[1, 2], [3, 4]], [1, 3]), shape=(4, 2))
    >>> a
    <BLANKLINE>
    <RowSparseNDArray 4x2 @cpu(0)>
    >>> a.indices.asnumpy()
    array([1, 3])
    """
    __slots__ = ()
    _stype = 'row_sparse'
    _aux_names = ('indices',)

    @property
    def indices(self):
        """A copy of the row indices (int64 NDArray)."""
        return self._aux_data(0)

    @indices.setter
    def indices(self, value):
        raise NotImplementedError()

    def __getitem__(self, key):
        if isinstance(key, integer_types):
            raise MXNetError('__getitem__ with int key is not implemented for '
                             'RowSparseNDArray yet')
        if isinstance(key, slice):
            if key.start is not None or key.stop is not None or key.step is not None:
                raise MXNetError('RowSparseNDArray only supports [:] for __getitem__')
            return self
        if isinstance(key, tuple):
            raise ValueError('Multi-dimension indexing is not supported')
        raise ValueError('Undefined behaviour for {}'.format(key))

    def retain(self, indices):
        """Keep only rows ``indices`` (see `retain`)."""
        return _ops().retain(self, indices)


class CSRNDArray(BaseSparseNDArray):
    """A 2-D array in compressed sparse row format.

    Row ``i`` holds columns ``indices[indptr[i]:indptr[i+1]]`` (ascending, int64) with
    values ``data[indptr[i]:indptr[i+1]]``.
    """
    __slots__ = ()
    _stype = 'csr'
    _aux_names = ('indptr', 'indices')

    @property
    def indptr(self):
        """A copy of the row offsets (int64 NDArray of length rows + 1)."""
        return self._aux_data(0)

    @property
    def indices(self):
        """A copy of the column indices (int64 NDArray)."""
        return self._aux_data(1)

    @indptr.setter
    def indptr(self, value):
        raise NotImplementedError()

    @indices.setter
    def indices(self, value):
        raise NotImplementedError()

    def __getitem__(self, key):
        """``x[i]`` or ``x[a:b]``: a CSRNDArray of the selected rows."""
        n = self._sshape[0]
        if isinstance(key, integer_types):
            begin = int(key) + n if key < 0 else int(key)
            if not 0 <= begin < n:
                raise IndexError('index {} is out of bounds for a csr array with {} '
                                 'rows'.format(key, n))
            return _csr_slice(self, begin, begin + 1)
        if isinstance(key, slice):
            if key.step is not None:
                raise ValueError('CSRNDArray only supports continuous slicing on axis 0')
            if key.start is None and key.stop is None:
                return self
            begin, end, _ = key.indices(n)
            return _csr_slice(self, begin, max(begin, end))
        if isinstance(key, tuple):
            raise ValueError('Multi-dimension indexing is not supported')
        raise ValueError('Undefined behaviour for {}'.format(key))

    def asscipy(self):
        """A ``scipy.sparse.csr_matrix`` copy."""
        import scipy.sparse as spsp
        return spsp.csr_matrix((self._values.copy(), self._aux[1].copy(), self._aux[0].copy()),
                               shape=self._sshape, dtype=self._values.dtype)


def _csr_slice(arr, begin, end):
    indptr = arr._aux[0]
    lo, hi = indptr[begin], indptr[end]
    return _new_sparse('csr', (end - begin, arr._sshape[1]), arr._values[lo:hi].copy(),
                       (indptr[begin:end + 1] - lo, arr._aux[1][lo:hi].copy()), arr._ctx)


_MSG_RSP_SHAPE = 'Shape mismatch of this row_sparse NDArray'
_MSG_RSP_IDX = ('Indices of row_sparse NDArray should be non-negative, less than the size of '
                'first dimension and in ascending order')
_MSG_CSR_SHAPE = 'Shape mismatch of this csr NDArray'
_MSG_CSR_INDPTR = ('IndPtr of csr NDArray should be non-negative, in non-decreasing order, '
                   'start with 0, and end with value equal with size of indices.')
_MSG_CSR_IDX = ('Indices of csr NDArray should be non-negative, in ascending order per row  '
                'and less than the number of columns.')


def _check_format(arr, full_check):
    values, aux, shape = arr._values, arr._aux, arr._sshape
    if arr._stype == 'row_sparse':
        idx, = aux
        if idx.ndim != 1 or values.shape != (len(idx),) + shape[1:]:
            raise MXNetError(_MSG_RSP_SHAPE)
        if full_check and len(idx) and (idx[0] < 0 or idx[-1] >= shape[0]
                                        or np.any(np.diff(idx) <= 0)):
            raise MXNetError(_MSG_RSP_IDX)
        return
    indptr, idx = aux
    if indptr.shape != (shape[0] + 1,) or idx.ndim != 1 or values.shape != idx.shape:
        raise MXNetError(_MSG_CSR_SHAPE)
    if not full_check:
        return
    if indptr[0] != 0 or indptr[-1] != len(idx) or np.any(indptr < 0):
        raise MXNetError(_MSG_CSR_INDPTR)
    if np.any(np.diff(indptr) < 0) or np.any(idx < 0) or np.any(idx >= shape[1]):
        raise MXNetError(_MSG_CSR_IDX)
    step_ok = np.diff(idx) > 0
    step_ok[indptr[1:-1][(indptr[1:-1] > 0) & (indptr[1:-1] < len(idx))] - 1] = True
    if not np.all(step_ok):
        raise MXNetError(_MSG_CSR_IDX)


def _map_values(arr, opname, attrs):
    """Apply a zero-preserving op of the table to the stored values only."""
    vals = invoke(get_op(opname), [_wrap(arr._values, arr._ctx)], attrs)._data
    return _new_sparse(arr._stype, arr._sshape, vals, [a.copy() for a in arr._aux], arr._ctx)
