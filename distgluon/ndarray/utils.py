"""``mx.nd.save`` / ``load`` / ``load_frombuffer``: MXNet's NDArray file format, byte for byte.

Layout (little-endian), as MXNet 1.9.1 writes it::

    u64 0x112, u64 0, u64 count
    count x array:
        u32 0xF993FAC9 (magic), i32 stype (0 dense, 1 row_sparse, 2 csr)
        [sparse: u32 ndim, i64 dims]        storage shape (shape of the stored values)
        u32 ndim, i64 dims                  shape
        i32 dev_type, i32 dev_id            context the array was saved from
        i32 dtype flag                      0 f32, 1 f64, 2 f16, 3 u8, 4 i32, 5 i8, 6 i64, 7 bool
        [sparse: per aux array: i32 dtype flag, u32 ndim, i64 dims]
        raw values, [sparse: raw aux arrays]   (row_sparse: indices; csr: indptr, indices)
    u64 name count (0 for a list), then per name: u64 length, utf-8 bytes

Notes
-----
* Loaded arrays live on ``cpu(0)`` whatever context they were saved from, as in MXNet
  (which writes the real ``dev_type``/``dev_id``: ``cpu(1)`` is saved as 1, 1).
* Also read: the older array layouts MXNet still loads (magic 0xF993FAC8, with int64
  dims and no storage type, and the pre-magic layout whose first word is ndim with
  uint32 dims), and the np-shape layout (magic 0xF993FACA), which MXNet only loads
  inside ``np_shape`` mode.
* A 0-d array (``ndim`` 0, which MXNet 1.9.1 writes for ``mx.nd.array(3)`` and then
  fails to load) is read as its one element with shape (1,): distgluon has no 0-d arrays.
* A truncated or corrupt file raises `MXNetError` naming the file and the byte offset
  (MXNet says only "Invalid NDArray file format"). ``save`` writes a temporary file
  beside the target and renames it over the target, so an existing file is never left
  half-written. ``fname`` may also be an ``os.PathLike``.
"""
import os
import struct
import uuid

import numpy as np

from ..base import MXNetError, DTYPE_TO_FLAG, FLAG_TO_DTYPE
from ..context import Context
from .ndarray import NDArray, _wrap
from .sparse_array import BaseSparseNDArray, _new_sparse

__all__ = ['save', 'load', 'load_frombuffer']

_LIST_MAGIC = 0x112
_V1_MAGIC = 0xF993FAC8   # int64 dims, no storage type
_V2_MAGIC = 0xF993FAC9   # with storage type: what MXNet 1.x writes
_V3_MAGIC = 0xF993FACA   # np-shape semantics (ndim -1 = unknown, 0 = scalar)
_MAX_LEGACY_NDIM = 32
_STYPE_CODE = {'default': 0, 'row_sparse': 1, 'csr': 2}
_CODE_STYPE = {0: 'default', 1: 'row_sparse', 2: 'csr'}
_NUM_AUX = {0: 0, 1: 1, 2: 2}
_CPU0 = Context('cpu', 0)


# ------------------------------------------------------------------ writing
def _shape_bytes(shape):
    return struct.pack('<I{}q'.format(len(shape)), len(shape), *shape)


def _flag(dtype):
    dtype = np.dtype(dtype)
    if dtype not in DTYPE_TO_FLAG:
        raise MXNetError('cannot save dtype {}; MXNet files hold {}'.format(
            dtype.name, ', '.join(d.name for d in DTYPE_TO_FLAG)))
    return DTYPE_TO_FLAG[dtype]


def _raw(arr):
    """The little-endian bytes of ``arr`` (a view when no conversion is needed)."""
    le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder('<'))
    return memoryview(le.reshape(-1).view(np.uint8))


def _encode_array(arr):
    """The chunks (bytes-like) of one array record."""
    ctx = arr.context
    if isinstance(arr, BaseSparseNDArray):
        values, aux = arr._values, arr._aux
        stype = _STYPE_CODE[arr.stype]
    else:
        values, aux, stype = np.asarray(arr._data), (), 0
    head = [struct.pack('<Ii', _V2_MAGIC, stype)]
    if aux:
        head.append(_shape_bytes(values.shape))
    head.append(_shape_bytes(arr.shape))
    head.append(struct.pack('<iii', ctx.device_typeid, ctx.device_id, _flag(values.dtype)))
    for a in aux:
        head.append(struct.pack('<i', _flag(a.dtype)) + _shape_bytes(a.shape))
    return [b''.join(head), _raw(values)] + [_raw(a) for a in aux]


def _normalize(data):
    """(arrays, names) from an NDArray, a list of NDArrays or a dict str -> NDArray."""
    if isinstance(data, NDArray):
        return [data], []
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise TypeError('save only accept dict str->NDArray or list of NDArray: key '
                                '{!r} is a {}, not a str'.format(key, type(key).__name__))
            if not isinstance(value, NDArray):
                raise TypeError('save only accept dict str->NDArray or list of NDArray: the '
                                'value of key {!r} is a {}; convert it with mx.nd.array()'
                                .format(key, type(value).__name__))
        return list(data.values()), list(data.keys())
    if isinstance(data, list):
        for i, value in enumerate(data):
            if not isinstance(value, NDArray):
                raise TypeError('save only accept dict str->NDArray or list of NDArray: item '
                                '{} is a {}; convert it with mx.nd.array()'.format(
                                    i, type(value).__name__))
        return data, []
    raise ValueError('data needs to either be a NDArray, dict of str, NDArray pairs or a list '
                     'of NDarrays (got {}).'.format(type(data).__name__))


def _chunks(data):
    arrays, names = _normalize(data)
    yield struct.pack('<QQQ', _LIST_MAGIC, 0, len(arrays))
    for arr in arrays:
        yield from _encode_array(arr)
    encoded = [n.encode('utf-8') for n in names]
    yield struct.pack('<Q', len(encoded))
    for n in encoded:
        yield struct.pack('<Q', len(n)) + n


def _fspath(fname):
    if isinstance(fname, os.PathLike):
        fname = os.fspath(fname)
    if not isinstance(fname, str):
        raise TypeError('fname required to be a string, got {}'.format(type(fname).__name__))
    return fname


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict str -> NDArray in MXNet's format.

    Parameters
    ----------
    fname : str
        The file to write (replaced atomically if it exists).
    data : NDArray, list of NDArray or dict of str to NDArray
        Dense, row_sparse or csr arrays.

    Raises
    ------
    TypeError
        When an item is not an NDArray or a dict key is not a str (the message names it).
    ValueError
        When ``data`` is none of the accepted containers.

    Examples
    --------
    >>> mx.nd.save('x.params', {'w': mx.nd.ones((2, 3))})
    >>> mx.nd.load('x.params')
    {'w': <NDArray 2x3 @cpu(0)>}
    """
    fname = _fspath(fname)
    chunks = list(_chunks(data))   # validate everything before touching the disk
    tmp = '{}.{}.{}.tmp'.format(fname, os.getpid(), uuid.uuid4().hex[:8])
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0), 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------ reading
class _Reader:
    """Sequential little-endian reads from a buffer, with errors naming the offset."""

    def __init__(self, buf, source):
        self.buf = memoryview(buf).cast('B')
        self.pos = 0
        self.source = source

    def fail(self, what, pos=None):
        raise MXNetError('Invalid NDArray file format: {}: {} at byte offset {}; the file is '
                         'truncated or is not an MXNet NDArray file'.format(
                             self.source, what, self.pos if pos is None else pos))

    def take(self, nbytes, what):
        if nbytes < 0 or nbytes > len(self.buf) - self.pos:
            self.fail('{} needs {} bytes but only {} remain'.format(
                what, nbytes, len(self.buf) - self.pos))
        start = self.pos
        self.pos += nbytes
        return self.buf[start:self.pos]

    def scalar(self, fmt, what):
        return struct.unpack('<' + fmt, self.take(struct.calcsize(fmt), what))[0]

    def dims(self, ndim, dim_type, what):
        pos = self.pos
        dims = np.frombuffer(self.take(ndim * np.dtype(dim_type).itemsize, what),
                             dtype=dim_type)
        if np.any(dims < 0):
            self.fail('{} has a negative dimension {}'.format(what, dims.tolist()), pos)
        return tuple(int(d) for d in dims)

    def shape(self, what, ndim_fmt='I', dim_type='<i8'):
        ndim = self.scalar(ndim_fmt, what + ' ndim')
        if ndim > _MAX_LEGACY_NDIM:
            self.fail('{} has ndim {}'.format(what, ndim), self.pos - 4)
        return self.dims(ndim, dim_type, what)

    def dtype(self, what):
        pos = self.pos
        flag = self.scalar('i', what)
        if flag not in FLAG_TO_DTYPE:
            self.fail('unknown dtype flag {} for {}'.format(flag, what), pos)
        return FLAG_TO_DTYPE[flag]

    def array(self, dtype, shape, what):
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count > len(self.buf):  # also guards the byte count from overflowing
            self.fail('{} of shape {} is larger than the file'.format(what, shape))
        raw = self.take(count * dtype.itemsize, '{} of shape {}'.format(what, shape))
        arr = np.frombuffer(raw, dtype=dtype.newbyteorder('<')).astype(dtype, copy=True)
        return arr.reshape(shape if shape else (1,))


def _read_array(r, index):
    what = 'array {}'.format(index)
    start = r.pos
    magic = r.scalar('I', what + ' magic')
    if magic not in (_V1_MAGIC, _V2_MAGIC, _V3_MAGIC):
        if magic > _MAX_LEGACY_NDIM:
            r.fail('bad magic 0x{:08X} for {} (expected 0x{:08X})'.format(
                magic, what, _V2_MAGIC), start)
        shape = r.dims(magic, '<u4', what + ' shape')    # pre-magic layout: magic is ndim
        return _read_dense_tail(r, shape, what, legacy_none=not shape)
    if magic == _V1_MAGIC:
        shape = r.shape(what + ' shape')
        return _read_dense_tail(r, shape, what, legacy_none=not shape)
    pos = r.pos
    stype = r.scalar('i', what + ' storage type')
    if stype not in _CODE_STYPE:
        r.fail('unknown storage type {} for {}'.format(stype, what), pos)
    nad = _NUM_AUX[stype]
    sshape = r.shape(what + ' storage shape') if nad else None
    if magic == _V3_MAGIC:
        ndim = r.scalar('i', what + ' ndim')
        if ndim < 0:
            r.fail('{} has an unknown shape (np-shape ndim -1), which cannot be loaded'
                   .format(what), r.pos - 4)
        shape = r.dims(ndim, '<i8', what + ' shape')
    else:
        shape = r.shape(what + ' shape')
    if nad == 0:
        return _read_dense_tail(r, shape, what, legacy_none=False)
    r.take(8, what + ' context')
    dtype = r.dtype(what + ' dtype')
    aux_meta = [(r.dtype('{} aux {} dtype'.format(what, i)),
                 r.shape('{} aux {} shape'.format(what, i))) for i in range(nad)]
    values = r.array(dtype, sshape, what + ' values')
    aux = [r.array(t, s, '{} aux {}'.format(what, i)) for i, (t, s) in enumerate(aux_meta)]
    if len(shape) == 0 or any(a.ndim != 1 for a in aux):
        r.fail('{} is a {} array with shape {} and aux shapes {}'.format(
            what, _CODE_STYPE[stype], shape, [s for _, s in aux_meta]))
    return _new_sparse(_CODE_STYPE[stype], shape, values, aux, _CPU0)


def _read_dense_tail(r, shape, what, legacy_none):
    if legacy_none:
        r.fail('{} is an empty (none) array, which distgluon cannot represent'.format(what))
    r.take(8, what + ' context')     # dev_type, dev_id: loaded arrays live on cpu(0)
    dtype = r.dtype(what + ' dtype')
    return _wrap(r.array(dtype, shape, what + ' data'), _CPU0)


def _decode(buf, source):
    r = _Reader(buf, source)
    magic = r.scalar('Q', 'file header')
    r.scalar('Q', 'reserved header word')
    if magic != _LIST_MAGIC:
        r.fail('bad file magic 0x{:X} (expected 0x112)'.format(magic), 0)
    count = r.scalar('Q', 'array count')
    if count > len(r.buf):
        r.fail('array count {} is impossible for a file of {} bytes'.format(count, len(r.buf)),
               r.pos - 8)
    arrays = [_read_array(r, i) for i in range(count)]
    nnames = r.scalar('Q', 'name count')
    if nnames not in (0, count):
        r.fail('{} names for {} arrays'.format(nnames, count), r.pos - 8)
    names = []
    for i in range(nnames):
        length = r.scalar('Q', 'name {} length'.format(i))
        pos = r.pos
        try:
            names.append(bytes(r.take(length, 'name {}'.format(i))).decode('utf-8'))
        except UnicodeDecodeError:
            r.fail('name {} is not valid utf-8'.format(i), pos)
    if not names:
        return arrays
    return dict(zip(names, arrays))


def load(fname):
    """Load a file written by `save` or by MXNet's ``mx.nd.save`` / ``save_parameters``.

    Returns
    -------
    list of NDArray or dict of str to NDArray
        A list when the file holds no names (the array types follow the stored storage
        types: NDArray, RowSparseNDArray, CSRNDArray), all on ``cpu(0)``.

    Raises
    ------
    MXNetError
        When the file is missing, truncated or corrupt (naming the file and byte offset).
    """
    fname = _fspath(fname)
    try:
        with open(fname, 'rb') as f:
            buf = bytearray(os.fstat(f.fileno()).st_size)
            n = f.readinto(buf)
    except OSError as err:
        raise MXNetError('cannot open NDArray file "{}": {}'.format(
            fname, err.strerror or err)) from None
    return _decode(memoryview(buf)[:n], 'file "{}"'.format(fname))


def load_frombuffer(buf):
    """Load arrays from the bytes of a file written by `save` (see `load`)."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError('buf required to be a string or bytes, got {}'.format(
            type(buf).__name__))
    return _decode(buf, 'buffer')
