"""`NDArrayIter`: batches over in-memory arrays (NDArray, numpy, CSR), with MXNet's three
ways to treat the last, incomplete batch."""
import numpy as np

from ..ndarray import array
from ..ndarray.sparse import CSRNDArray
from .base import DataBatch, DataDesc, DataIter
from .utils import _init_data, _has_instance, _getdata_by_idx, _slice_along_batch_axis

__all__ = ['NDArrayIter']


class NDArrayIter(DataIter):
    """Iterate over NDArrays, numpy arrays or CSR arrays in batches.

    Parameters
    ----------
    data : array, list of arrays or dict of str to array
        The input data. One array is named ``data_name``; a list of several is named
        ``_0_<data_name>``, ``_1_<data_name>``, ...; a dict keeps its names. Inputs are
        served in the order of their sorted names.
    label : array, list of arrays or dict of str to array, optional
        The labels (named after ``label_name`` in the same way).
    batch_size : int, default 1
        Examples per batch.
    shuffle : bool, default False
        Shuffle the examples at construction and at every `reset` (with numpy's global
        random generator, ``np.random.shuffle``, as MXNet does).
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        The last, incomplete batch: ``'pad'`` fills it up with examples from the start
        (``batch.pad`` says how many); ``'discard'`` drops it; ``'roll_over'`` keeps its
        examples for the first batch of the next epoch (after `reset`).
    data_name, label_name : str, default 'data', 'softmax_label'
        Names of a single data / label array.
    layout : str, default 'NCHW'
        The position of ``N`` is the batch axis.

    Examples
    --------
    >>> it = mx.io.NDArrayIter(np.arange(20).reshape(10, 2), np.arange(10), batch_size=4)
    >>> it.provide_data
    [DataDesc[data,(4, 2),<class 'numpy.float32'>,NCHW]]
    >>> [b.pad for b in it]
    [0, 0, 2]

    Notes
    -----
    As in MXNet: numpy inputs become float32 arrays; shuffling turns dense integer
    arrays into float32 ones; CSR inputs need ``last_batch_handle='discard'`` and give
    dense batches; a `reset` in the middle of a 'roll_over' epoch starts over without
    rolling anything over, `hard_reset` also forgets the rolled-over examples.
    The number of examples is the length of axis 0 even when ``layout`` puts the batch
    elsewhere.
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False,
                 last_batch_handle='pad', data_name='data', label_name='softmax_label',
                 layout='NCHW'):
        super().__init__(batch_size)
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        if ((_has_instance(self.data, CSRNDArray) or _has_instance(self.label, CSRNDArray))
                and last_batch_handle != 'discard'):
            raise NotImplementedError("`NDArrayIter` only supports ``CSRNDArray`` with "
                                      "`last_batch_handle` set to `discard`.")
        self.idx = np.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = batch_size
        self.cursor = -batch_size
        self.num_data = self.idx.shape[0]
        self.reset()
        self.data_list = [arr for _, arr in self.data] + [arr for _, arr in self.label]
        self.num_source = len(self.data_list)
        # 'roll_over': the incomplete last batch, served first in the next epoch
        self._cache_data = None
        self._cache_label = None
        self.layout = layout

    # ------------------------------------------------------------ descriptions
    def _descs(self, sources):
        axis = self.layout.find('N')
        descs = []
        for name, arr in sources:
            shape = list(arr.shape)
            shape = tuple(shape[:axis] + [self.batch_size] + shape[axis + 1:])
            descs.append(DataDesc(name, shape, arr.dtype, layout=self.layout))
        return descs

    @property
    def provide_data(self):
        """`DataDesc` of every data input (batch_size on the batch axis)."""
        return self._descs(self.data)

    @property
    def provide_label(self):
        """`DataDesc` of every label input."""
        return self._descs(self.label)

    # ------------------------------------------------------------ epoch control
    def hard_reset(self):
        """Start over and forget the examples kept by 'roll_over'."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self):
        """Start the next epoch (after the rolled-over examples, with 'roll_over')."""
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == 'roll_over' and \
                self.num_data - self.batch_size < self.cursor < self.num_data:
            # the incomplete batch had num_data - cursor examples: the first batch of
            # the new epoch takes the rest of it from the start
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        """Advance the cursor by one batch; False past the end of the data."""
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        """The next `DataBatch` (StopIteration at the end, or at an incomplete last
        batch with 'discard' and 'roll_over')."""
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self.layout.find('N')] != self.batch_size:
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    # ------------------------------------------------------------ batches
    def _getdata(self, sources, start=None, end=None):
        if start is None and end is None:
            raise AssertionError('should at least specify start or end')
        start = 0 if start is None else start
        if end is None:
            end = sources[0][1].shape[0] if sources else 0
        axis = self.layout.find('N')
        return [_slice_along_batch_axis(arr, slice(start, end), axis) for _, arr in sources]

    def _concat(self, first, second):
        if not first or not second:
            return first if first else second
        axis = self.layout.find('N')
        return [array(np.concatenate([np.asarray(a), np.asarray(b)], axis=axis),
                      ctx=a.context, dtype=np.asarray(a).dtype)
                for a, b in zip(first, second)]

    @staticmethod
    def _tile(data, repeats):
        out = []
        for arr in data:
            reps = [1] * arr.ndim
            reps[0] = repeats
            src = np.asarray(arr)
            out.append(array(np.tile(src, reps), ctx=arr.context, dtype=src.dtype))
        return out

    def _batchify(self, sources):
        if self.cursor >= self.num_data:
            raise AssertionError('DataIter needs reset.')
        bs, n = self.batch_size, self.num_data
        if self.last_batch_handle == 'roll_over' and -bs < self.cursor < 0:
            # first batch of an epoch after a roll-over: the kept examples, then the
            # first ones. getdata uses the kept data, the following getlabel the labels.
            if self._cache_data is None and self._cache_label is None:
                raise AssertionError('next epoch should have cached data')
            cached = self._cache_data if self._cache_data is not None else self._cache_label
            head = self._getdata(sources, end=self.cursor + bs)
            if self._cache_data is not None:
                self._cache_data = None
            else:
                self._cache_label = None
            return self._concat(cached, head)
        if self.last_batch_handle == 'pad' and self.cursor + bs > n:
            pad = bs - n + self.cursor
            tail = self._getdata(sources, start=self.cursor)
            if pad > n:
                filler = self._tile(self._getdata(sources, end=n), pad // n)
                if pad % n:
                    filler = self._concat(filler, self._getdata(sources, end=pad % n))
            else:
                filler = self._getdata(sources, end=pad)
            return self._concat(tail, filler)
        end = min(self.cursor + bs, n)
        return self._getdata(sources, self.cursor, end)

    def getdata(self):
        """The data arrays of the current batch."""
        return self._batchify(self.data)

    def getlabel(self):
        """The label arrays of the current batch."""
        return self._batchify(self.label)

    def getpad(self):
        """How many examples of the current batch are padding (or, for the first batch
        after a roll-over, how many came from the previous epoch)."""
        if self.last_batch_handle == 'pad' and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == 'roll_over' and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self):
        np.random.shuffle(self.idx)
        self.data = _getdata_by_idx(self.data, self.idx)
        self.label = _getdata_by_idx(self.label, self.idx)

