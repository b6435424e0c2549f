"""The data-iterator protocol of ``mx.io``: `DataDesc` (name, shape, dtype, layout of one
input), `DataBatch` (what an iterator yields) and the `DataIter` base class."""
from collections import namedtuple

import numpy as np

__all__ = ['DataDesc', 'DataBatch', 'DataIter']


class DataDesc(namedtuple('DataDesc', ['name', 'shape'])):
    """The name, shape, type and layout of one input (data or label) of an iterator.

    A ``(name, shape)`` namedtuple with two more attributes, ``dtype`` and ``layout``:
    it compares equal to the plain tuple ``(name, shape)`` whatever its dtype.

    Parameters
    ----------
    name : str
        Data name.
    shape : tuple of int
        Data shape.
    dtype : numpy dtype, default numpy.float32
        Data type.
    layout : str, default 'NCHW'
        What each axis means; ``N`` marks the batch axis.

    Examples
    --------
    >>> mx.io.DataDesc('data', (32, 3, 8, 8))
    DataDesc[data,(32, 3, 8, 8),<class 'numpy.float32'>,NCHW]
    """

    def __new__(cls, name, shape, dtype=np.float32, layout='NCHW'):
        desc = super(DataDesc, cls).__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self):
        return 'DataDesc[%s,%s,%s,%s]' % (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The axis of ``layout`` that holds the batch (the position of ``N``; 0 for
        None, -1 when there is no ``N``)."""
        if layout is None:
            return 0
        return layout.find('N')

    @staticmethod
    def get_list(shapes, types):
        """DataDescs from ``[(name, shape), ...]`` and ``[(name, dtype), ...]`` (or None
        for float32)."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One batch from a data iterator.

    Parameters
    ----------
    data : list of NDArray
        The data arrays, one per input.
    label : list of NDArray, optional
        The label arrays.
    pad : int, optional
        How many examples at the end of the batch are padding (ignore them in
        prediction).
    index : numpy.ndarray, optional
        The indices of the examples in this batch.
    bucket_key : int, optional
        The bucket key, for bucketing.
    provide_data, provide_label : list of DataDesc, optional
        Descriptions of ``data`` and ``label``.
    """

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise AssertionError('Data must be list of NDArrays')
        if label is not None and not isinstance(label, (list, tuple)):
            raise AssertionError('Label must be list of NDArrays')
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [l.shape for l in self.label] if self.label else None
        return '{}: data shapes: {} label shapes: {}'.format(
            type(self).__name__, data_shapes, label_shapes)


class DataIter:
    """Base class of the data iterators: ``next()`` returns a `DataBatch` and raises
    StopIteration at the end of the data; ``reset()`` starts over.

    A subclass implements ``iter_next`` (advance; False at the end) and ``getdata``,
    ``getlabel``, ``getpad`` (and optionally ``getindex``), or overrides ``next``.

    Parameters
    ----------
    batch_size : int, default 0
        The number of examples per batch.
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the beginning of the data."""

    def next(self):
        """The next `DataBatch`; raises StopIteration at the end of the data."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(),
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; returns whether there was one."""

    def getdata(self):
        """The data arrays of the current batch."""

    def getlabel(self):
        """The label arrays of the current batch."""

    def getindex(self):
        """The example indices of the current batch (None if unknown)."""
        return None

    def getpad(self):
        """The number of padding examples in the current batch."""
