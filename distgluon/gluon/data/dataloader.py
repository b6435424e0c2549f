"""DataLoader: batches from a Dataset, in this process, in threads or in worker
processes, with prefetching and bounded waits.

A worker process that dies or a transform that raises ends the iteration with a clear
error naming the batch; a batch slower than ``timeout`` seconds raises too. Nothing
waits forever.
"""
import concurrent.futures
import multiprocessing

import numpy as np

from ...base import MXNetError
from ... import context
from ...ndarray.ndarray import NDArray
from ... import ndarray as nd
from . import sampler as _sampler

__all__ = ['DataLoader', 'default_batchify_fn', 'default_mp_batchify_fn']


def default_batchify_fn(data):
    """Stack a list of samples: NDArrays with ``nd.stack``, tuples field by field,
    anything else through ``np.asarray`` keeping its dtype (Python ints become int64,
    floats float64, as MXNet does)."""
    if isinstance(data[0], NDArray):
        return nd.stack(*data)
    if isinstance(data[0], tuple):
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    arr = np.asarray(data)
    return nd.array(arr, dtype=arr.dtype)


default_mp_batchify_fn = default_batchify_fn

_worker_dataset = None


def _worker_init(dataset):
    global _worker_dataset
    _worker_dataset = dataset


def _worker_batch(batchify_fn, indices):
    """Run in a worker process: build one batch from the process-global dataset."""
    return batchify_fn([_worker_dataset[i] for i in indices])


def _as_in_context(data, ctx):
    if isinstance(data, NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data


class DataLoader:
    """Load batches from a dataset (``mx.gluon.data.DataLoader``).

    Parameters
    ----------
    dataset : Dataset
    batch_size : int
    shuffle : bool
    sampler : Sampler
    last_batch : {'keep', 'discard', 'rollover'}
    batch_sampler : Sampler of index lists
    batchify_fn : callable
    num_workers : int
        Worker processes (threads with ``thread_pool=True``); 0 loads in this process.
    pin_memory, pin_device_id : accepted; batches go to ``cpu_pinned(pin_device_id)``.
    prefetch : int
        Batches requested ahead (default ``2 * num_workers``).
    thread_pool : bool
    timeout : float
        Seconds to wait for one batch from a worker before raising.

    Notes
    -----
    Differs from MXNet where MXNet could hang: a dead worker process or a batch over the
    timeout raises `MXNetError` instead of blocking.
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None, last_batch=None,
                 batch_sampler=None, batchify_fn=None, num_workers=0, pin_memory=False,
                 pin_device_id=0, prefetch=None, thread_pool=False, timeout=120,
                 auto_reload=False):
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._thread_pool = thread_pool
        if not timeout > 0:
            raise AssertionError('timeout must be positive, given {}'.format(timeout))
        self._timeout = timeout
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError('batch_size must be specified unless batch_sampler is '
                                 'specified')
            if sampler is None:
                sampler = _sampler.RandomSampler(len(dataset)) if shuffle else \
                    _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError('shuffle must not be specified if sampler is specified')
            batch_sampler = _sampler.BatchSampler(sampler, batch_size,
                                                  last_batch if last_batch else 'keep')
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError('batch_size, shuffle, sampler and last_batch must not be '
                             'specified if batch_sampler is specified.')
        self._batch_sampler = batch_sampler
        self._num_workers = max(0, num_workers)
        self._prefetch = max(0, int(prefetch) if prefetch is not None else
                             2 * self._num_workers)
        self._batchify_fn = batchify_fn if batchify_fn is not None else default_batchify_fn
        self._pool = None
        self.auto_reload = auto_reload

    def _get_pool(self):
        if self._pool is None:
            if self._thread_pool:
                self._pool = concurrent.futures.ThreadPoolExecutor(self._num_workers)
            else:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self._num_workers, mp_context=multiprocessing.get_context('fork'),
                    initializer=_worker_init, initargs=(self._dataset,))
        return self._pool

    def _finish(self, batch):
        if self._pin_memory:
            batch = _as_in_context(batch, context.cpu_pinned(self._pin_device_id))
        return batch

    def __iter__(self):
        if self._num_workers == 0:
            for indices in self._batch_sampler:
                yield self._finish(self._batchify_fn([self._dataset[i] for i in indices]))
            return
        pool = self._get_pool()
        pending = []
        batches = iter(self._batch_sampler)

        def submit():
            indices = next(batches, None)
            if indices is None:
                return False
            try:
                if self._thread_pool:
                    fut = pool.submit(
                        lambda idx: self._batchify_fn([self._dataset[i] for i in idx]), indices)
                else:
                    fut = pool.submit(_worker_batch, self._batchify_fn, indices)
            except concurrent.futures.process.BrokenProcessPool:
                self._shutdown()
                raise MXNetError('DataLoader: a worker process died (killed, out of memory, or '
                                 'crashed in native code); no more batches can be loaded') \
                    from None
            pending.append((fut, indices))
            return True

        for _ in range(max(1, self._prefetch)):
            if not submit():
                break
        while pending:
            fut, indices = pending.pop(0)
            try:
                batch = fut.result(timeout=self._timeout)
            except concurrent.futures.TimeoutError:
                self._shutdown()
                raise MXNetError('DataLoader: no batch from the workers within timeout={}s '
                                 '(batch of indices {}...); a transform may be stuck, or '
                                 'raise timeout='.format(self._timeout, list(indices)[:5])) \
                    from None
            except concurrent.futures.process.BrokenProcessPool:
                self._shutdown()
                raise MXNetError('DataLoader: a worker process died while loading the batch of '
                                 'indices {}... (killed, out of memory, or crashed in native '
                                 'code)'.format(list(indices)[:5])) from None
            except Exception as err:
                self._shutdown()
                raise MXNetError('DataLoader: loading the batch of indices {}... failed in a '
                                 'worker: {}: {}'.format(list(indices)[:5], type(err).__name__,
                                                        err)) from err
            submit()
            yield self._finish(batch)

    def __len__(self):
        return len(self._batch_sampler)

    def _shutdown(self):
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False, cancel_futures=True)

    def __del__(self):
        try:
            self._shutdown()
        except Exception:  # interpreter shutdown
            pass
