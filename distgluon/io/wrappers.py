"""Iterators over other iterators: `ResizeIter` (a fixed number of batches per epoch) and
`PrefetchingIter` (reads the next batches in background threads)."""
import threading

from .base import DataBatch, DataDesc, DataIter

__all__ = ['ResizeIter', 'PrefetchingIter']


class ResizeIter(DataIter):
    """Serve exactly ``size`` batches per epoch from ``data_iter``, restarting it when it
    runs out.

    Parameters
    ----------
    data_iter : DataIter
        The iterator to resize.
    size : int
        Batches per epoch.
    reset_internal : bool, default True
        Whether `reset` also resets ``data_iter`` (False continues where it stopped).

    Examples
    --------
    >>> nd_iter = mx.io.NDArrayIter(mx.nd.ones((100, 10)), batch_size=25)
    >>> [b.data[0].shape for b in mx.io.ResizeIter(nd_iter, 2)]
    [(25, 10), (25, 10)]
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, 'default_bucket_key'):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


def _renamed(descs, renames):
    """``descs`` with their names mapped through the dicts of ``renames`` (one per
    iterator), or all of them concatenated when ``renames`` is None."""
    if renames is None:
        return sum(descs, [])
    out = []
    for mapping, group in zip(renames, descs):
        for d in group:
            if isinstance(d, DataDesc):
                out.append(DataDesc(mapping[d.name], d.shape, d.dtype))
            else:
                out.append(DataDesc(*d))
    return out


class PrefetchingIter(DataIter):
    """Read the next batch of one or more iterators in background threads.

    The batches of the iterators are joined: ``data`` and ``label`` are the
    concatenations of theirs (they must have the same ``pad``).

    Parameters
    ----------
    iters : DataIter or list of DataIter
        The iterators to read ahead.
    rename_data : list of dict, optional
        For each iterator, ``{original name: new name}`` for its provide_data.
    rename_label : list of dict, optional
        The same for provide_label.

    Notes
    -----
    One daemon thread per iterator fetches one batch ahead; ``close()`` stops them. An
    error raised by a wrapped iterator's ``next`` is raised by the next ``next`` call
    here (MXNet's thread dies and the caller waits forever).
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        if not isinstance(iters, list):
            iters = [iters]
        if not iters:
            raise AssertionError('PrefetchingIter needs at least one iterator')
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.data_ready = [threading.Event() for _ in iters]
        self.data_taken = [threading.Event() for _ in iters]
        for event in self.data_taken:
            event.set()
        self.started = True
        self.current_batch = None
        self.next_batch = [None] * self.n_iter
        self.prefetch_threads = [threading.Thread(target=self._prefetch, args=(i,), daemon=True)
                                 for i in range(self.n_iter)]
        for thread in self.prefetch_threads:
            thread.start()

    def _prefetch(self, i):
        while True:
            self.data_taken[i].wait()
            if not self.started:
                break
            try:
                self.next_batch[i] = self.iters[i].next()
            except StopIteration:
                self.next_batch[i] = None
            except Exception as err:  # noqa: BLE001 - handed to the consumer thread
                self.next_batch[i] = err
            self.data_taken[i].clear()
            self.data_ready[i].set()

    def close(self):
        """Stop the prefetching threads (idempotent)."""
        if not getattr(self, 'started', False):
            return
        self.started = False
        for event in self.data_taken:
            event.set()
        for thread in self.prefetch_threads:
            thread.join()

    def __del__(self):
        self.close()

    @property
    def provide_data(self):
        return _renamed([it.provide_data for it in self.iters], self.rename_data)

    @property
    def provide_label(self):
        return _renamed([it.provide_label for it in self.iters], self.rename_label)

    def reset(self):
        for event in self.data_ready:
            event.wait()
        for it in self.iters:
            it.reset()
        for event in self.data_ready:
            event.clear()
        for event in self.data_taken:
            event.set()

    def iter_next(self):
        for event in self.data_ready:
            event.wait()
        for i, batch in enumerate(self.next_batch):
            if isinstance(batch, Exception):
                self.next_batch[i] = None      # the next call sees the end of the data
                raise batch
        if self.next_batch[0] is None:
            if any(b is not None for b in self.next_batch):
                raise AssertionError('Number of entry mismatches between iterators')
            return False
        if any(b.pad != self.next_batch[0].pad for b in self.next_batch):
            raise AssertionError('Number of entry mismatches between iterators')
        self.current_batch = DataBatch(sum([list(b.data) for b in self.next_batch], []),
                                       sum([list(b.label) for b in self.next_batch], []),
                                       self.next_batch[0].pad, self.next_batch[0].index,
                                       provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        for event in self.data_ready:
            event.clear()
        for event in self.data_taken:
            event.set()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad
