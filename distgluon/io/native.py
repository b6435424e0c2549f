"""Iterators that MXNet implements in C++: `MXDataIter` (their Python face) and `CSVIter`;
the other C++ iterators (``ImageRecordIter``, ``MNISTIter``, ``LibSVMIter``, ...) are
functions that raise a clear error naming the Gluon replacement."""
import os
import warnings

import numpy as np

from ..base import MXNetError
from ..ndarray import array
from .base import DataBatch, DataDesc, DataIter

__all__ = ['MXDataIter', 'CSVIter', 'ImageRecordIter', 'ImageRecordIter_v1',
           'ImageRecordUInt8Iter', 'ImageRecordUInt8Iter_v1', 'ImageRecordInt8Iter',
           'ImageDetRecordIter', 'MNISTIter', 'LibSVMIter']


class MXDataIter(DataIter):
    """The iterator type that ``CSVIter`` (and MXNet's other native iterators) return.

    Reads the first batch at construction to learn the shapes: ``provide_data`` is
    ``[DataDesc(data_name, shape, dtype)]``, ``provide_label`` likewise, ``batch_size``
    the first data axis. Batches hold one data and one label array, ``pad`` and
    ``index`` (a numpy uint64 array of example numbers).

    Parameters
    ----------
    handle : object
        The batch source, with ``before_first()``, ``next() -> bool`` and
        ``data()``/``label()``/``index()``/``pad()`` of the current batch (numpy).
    data_name, label_name : str, default 'data', 'softmax_label'
        The names in provide_data / provide_label.

    Notes
    -----
    ``getdata``/``getlabel`` return new arrays; MXNet's share (and later overwrite) the
    loader's buffer.
    """

    def __init__(self, handle, data_name='data', label_name='softmax_label', **_):
        super().__init__()
        self.handle = handle
        self._debug_skip_load = False
        self._debug_at_begin = True
        self.first_batch = None
        self.first_batch = self.next()
        data = self.first_batch.data[0]
        label = self.first_batch.label[0]
        self.provide_data = [DataDesc(data_name, data.shape, data.dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, label.dtype)]
        self.batch_size = data.shape[0]

    def debug_skip_load(self):
        """Always return the current batch from now on (to time a network without I/O)."""
        self._debug_skip_load = True

    def reset(self):
        self._debug_at_begin = True
        self.first_batch = None
        self.handle.before_first()

    def _batch(self):
        return DataBatch(data=[self.getdata()], label=[self.getlabel()], pad=self.getpad(),
                         index=self.getindex())

    def next(self):
        if self._debug_skip_load and not self._debug_at_begin:
            return self._batch()
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            return batch
        self._debug_at_begin = False
        if self.handle.next():
            return self._batch()
        raise StopIteration

    def iter_next(self):
        if self.first_batch is not None:
            return True
        return bool(self.handle.next())

    def getdata(self):
        return array(self.handle.data(), dtype=self.handle.data().dtype)

    def getlabel(self):
        return array(self.handle.label(), dtype=self.handle.label().dtype)

    def getindex(self):
        index = self.handle.index()
        return index.copy() if index.size else None

    def getpad(self):
        return int(self.handle.pad())


class _BatchLoader:
    """Batches of ``batch_size`` examples over in-memory rows, with the C++ loader's
    ``round_batch`` rules.

    round_batch=True: an incomplete last batch is completed with the first examples
    (``pad`` = how many) and the next epoch continues after them (`before_first` then
    does not rewind). round_batch=False: the rest of the last batch keeps what the
    buffer held before (zeros at first) and ``pad`` says how many such rows there are.
    """

    def __init__(self, data, label, batch_size, round_batch):
        self._rows, self._labels = data, label
        self._n = data.shape[0]
        self._bs = batch_size
        self._round = round_batch
        self._pos = 0
        self._overflow = 0
        self._pad = 0
        self._data = np.zeros((batch_size,) + data.shape[1:], data.dtype)
        self._label = np.zeros((batch_size,) + label.shape[1:], label.dtype)
        self._index = np.zeros(batch_size, np.uint64)

    def _copy(self, top, start, count):
        self._data[top:top + count] = self._rows[start:start + count]
        self._label[top:top + count] = self._labels[start:start + count]
        self._index[top:top + count] = np.arange(start, start + count, dtype=np.uint64)

    def before_first(self):
        if not self._round or self._overflow == 0:
            self._pos = 0
        else:
            self._overflow = 0      # already rewound when the last batch was completed
        self._pad = 0

    def next(self):
        self._pad = 0
        if self._overflow:
            return False
        top = min(self._bs, self._n - self._pos)
        self._copy(0, self._pos, top)
        self._pos += top
        if top == self._bs:
            return True
        if top == 0:
            return False
        if self._round:
            need = self._bs - top
            if need > self._n:
                raise MXNetError('Check failed: base_->Next(): number of input must be '
                                 'bigger than batch size (batch_size %d needs %d more '
                                 'examples after wrapping around %d)' % (
                                     self._bs, need, self._n))
            self._copy(top, 0, need)
            self._pos = need
            self._overflow = need
            self._pad = need
        else:
            self._pad = self._bs - top
        return True

    def data(self):
        return self._data

    def label(self):
        return self._label

    def index(self):
        return self._index

    def pad(self):
        return self._pad


_REQUIRED = (('data_csv', 'string'), ('data_shape', 'Shape(tuple)'),
             ('batch_size', 'int (non-negative)'))
_CSV_DTYPES = {'float32': np.float32, 'int32': np.int32, 'int64': np.int64}


def _parse_shape(value):
    if isinstance(value, str):
        value = value.strip().strip('()[]')
        return tuple(int(v) for v in value.split(',') if v.strip())
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def _parse_bool(value):
    if isinstance(value, str):
        if value.strip().lower() in ('true', '1'):
            return True
        if value.strip().lower() in ('false', '0'):
            return False
        raise MXNetError('Invalid Parameter format for round_batch expect boolean but '
                         'value=\'%s\'' % value)
    return bool(value)


def _csv_files(path):
    if os.path.isdir(path):
        files = [os.path.join(path, f) for f in sorted(os.listdir(path))
                 if os.path.isfile(os.path.join(path, f))]
    else:
        files = [path] if os.path.isfile(path) else []
    if not files:
        raise MXNetError('Check failed: files_.size() != 0U (0 vs. 0) : Cannot find any '
                         'files that matches the URI pattern %s' % path)
    return files


def _read_rows(path, shape, dtype):
    """All rows of the CSV file(s) at ``path`` as an (n, *shape) array of ``dtype``."""
    size = int(np.prod(shape))
    parts = []
    for fname in _csv_files(path):
        with open(fname) as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        if not lines:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try:
                rows = np.loadtxt(lines, delimiter=',', dtype=np.float64, ndmin=2)
            except ValueError:
                lengths = [ln.count(',') + 1 for ln in lines]
                rows = None
                bad = next((n for n in lengths if n != size), lengths[0])
        if rows is not None:
            bad = rows.shape[1]
        if rows is None or rows.shape[1] != size:
            raise MXNetError('Check failed: row.length == shape.Size() (%d vs. %d) : The '
                             'data size in CSV do not match size of shape: specified '
                             'shape=%s, the csv row-length=%d' % (
                                 bad, size, list(shape), bad))
        if np.issubdtype(dtype, np.integer):
            rows = np.trunc(rows)
        parts.append(rows.astype(dtype))
    rows = np.concatenate(parts) if parts else np.zeros((0, size), dtype)
    return rows.reshape((rows.shape[0],) + tuple(shape))


def CSVIter(*args, **kwargs):
    """Batches of the rows of CSV files (MXNet's native ``CSVIter``).

    Parameters (keyword only)
    -------------------------
    data_csv : str, required
        A CSV file, or a directory whose files are all read (in name order).
    data_shape : tuple of int, required
        The shape of one example; each row must have ``prod(data_shape)`` values.
    label_csv : str, optional
        The labels' CSV file or directory; without it all labels are 0.
    label_shape : tuple of int, default (1,)
        The shape of one label (a label of one value gives labels of shape (batch,)).
    batch_size : int, required
        Examples per batch.
    round_batch : bool, default True
        Complete the last batch with the first examples (``pad`` says how many) and
        start the next epoch after them; with False the padded rows are stale.
    dtype : {None, 'float32', 'int32', 'int64'}, default None (float32)
        Type of data and labels.
    data_name, label_name : str, default 'data', 'softmax_label'
        Names in provide_data / provide_label.
    prefetch_buffer, ctx : accepted and ignored.

    Returns
    -------
    MXDataIter

    Notes
    -----
    The files are read into memory at construction. Blank lines are skipped. With
    round_batch=False the padded rows of the first incomplete batch hold zeros (MXNet:
    uninitialised memory). Unknown keyword arguments are ignored, as in MXNet.
    """
    for name, kind in _REQUIRED:
        if name not in kwargs:
            raise MXNetError('Required parameter %s of %s is not presented' % (name, kind))
    if args:
        raise TypeError('CSVIter can only accept keyword arguments')
    dtype = kwargs.get('dtype')
    dtype = 'float32' if dtype is None or str(dtype) == 'None' else np.dtype(dtype).name
    if dtype not in _CSV_DTYPES:
        raise MXNetError('Check failed: false: %s is not supported for CSVIter' % dtype)
    dtype = np.dtype(_CSV_DTYPES[dtype])
    batch_size = int(kwargs['batch_size'])
    data = _read_rows(str(kwargs['data_csv']), _parse_shape(kwargs['data_shape']), dtype)
    label_shape = _parse_shape(kwargs.get('label_shape', (1,)))
    label_csv = kwargs.get('label_csv')
    n = data.shape[0]
    if label_csv is None or str(label_csv) == 'NULL':
        label = np.zeros((n,) + label_shape, dtype)
    else:
        label = _read_rows(str(label_csv), label_shape, dtype)
        if label.shape[0] < n:
            raise MXNetError("Check failed: label_parser_->Next(): Data CSV's row is smaller "
                             "than the number of rows in label_csv (%d data rows, %d label "
                             "rows)" % (n, label.shape[0]))
        label = label[:n]
    if int(np.prod(label_shape)) == 1:
        label = label.reshape(n)
    loader = _BatchLoader(data, label, batch_size,
                          _parse_bool(kwargs.get('round_batch', True)))
    names = {k: kwargs[k] for k in ('data_name', 'label_name') if k in kwargs}
    return MXDataIter(loader, **names)


def _native_only(name, alternative):
    def creator(*args, **kwargs):
        raise MXNetError('mx.io.%s is a C++ iterator of MXNet that distgluon does not '
                         'provide; use %s instead' % (name, alternative))
    creator.__name__ = name
    creator.__doc__ = 'Not available in distgluon: use {}.'.format(alternative)
    return creator


_RECORD = ('mx.gluon.data.vision.ImageRecordDataset with mx.gluon.data.DataLoader (or '
           'mx.recordio.MXIndexedRecordIO)')
ImageRecordIter = _native_only('ImageRecordIter', _RECORD)
ImageRecordIter_v1 = _native_only('ImageRecordIter_v1', _RECORD)
ImageRecordUInt8Iter = _native_only('ImageRecordUInt8Iter', _RECORD)
ImageRecordUInt8Iter_v1 = _native_only('ImageRecordUInt8Iter_v1', _RECORD)
ImageRecordInt8Iter = _native_only('ImageRecordInt8Iter', _RECORD)
ImageDetRecordIter = _native_only('ImageDetRecordIter', _RECORD)
MNISTIter = _native_only('MNISTIter', 'mx.gluon.data.vision.MNIST with '
                                      'mx.gluon.data.DataLoader, or mx.io.NDArrayIter')
LibSVMIter = _native_only('LibSVMIter', 'mx.io.NDArrayIter over a CSR array '
                                        '(mx.nd.sparse.csr_matrix)')
