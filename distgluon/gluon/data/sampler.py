"""Samplers: orders of indices into a dataset, batching, and per-worker shards."""
import numpy as np

__all__ = ['Sampler', 'SequentialSampler', 'RandomSampler', 'FilterSampler', 'BatchSampler',
           'IntervalSampler', 'SplitSampler']


class Sampler:
    """Base class: an iterable of indices with a length."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``start, start+1, ..., start+length-1``."""

    def __init__(self, length, start=0):
        self._length = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """A random permutation of ``range(length)`` each epoch (numpy's global generator,
    as MXNet uses)."""

    def __init__(self, length):
        self._length = length

    def __iter__(self):
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices)

    def __len__(self):
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples for which ``fn(sample)`` is true."""

    def __init__(self, fn, dataset):
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i, sample in enumerate(dataset) if fn(sample)]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self):
        return len(self._indices)


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``.

    ``last_batch``: 'keep' a short last batch, 'discard' it, or 'rollover' its indices
    into the first batch of the next epoch.
    """

    def __init__(self, sampler, batch_size, last_batch='keep'):
        self._sampler = sampler
        self._batch_size = batch_size
        self._last_batch = last_batch
        self._prev = []
        if last_batch not in ('keep', 'discard', 'rollover'):
            raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', but "
                             "got %s" % last_batch)

    def __iter__(self):
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == 'keep':
                yield batch
            elif self._last_batch == 'rollover':
                self._prev = batch

    def __len__(self):
        if self._last_batch == 'keep':
            return (len(self._sampler) + self._batch_size - 1) // self._batch_size
        if self._last_batch == 'discard':
            return len(self._sampler) // self._batch_size
        return (len(self._prev) + len(self._sampler)) // self._batch_size


class IntervalSampler(Sampler):
    """``0, k, 2k, ..., 1, 1+k, ...``: every ``interval``-th index, then the next offset
    (with ``rollover=False`` only the first pass)."""

    def __init__(self, length, interval, rollover=True):
        if interval >= length:
            raise AssertionError('Interval {} must be smaller than length {}'.format(
                interval, length))
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self):
        for i in range(self._interval if self._rollover else 1):
            for j in range(i, self._length, self._interval):
                yield j

    def __len__(self):
        if self._rollover:
            return self._length
        return len(range(0, self._length, self._interval))


class SplitSampler(Sampler):
    """The indices of one worker's part of a dataset in a distributed job.

    Parameters
    ----------
    length : int
        Size of the dataset.
    num_parts, part_index : int, optional
        Number of parts and this worker's part; by default the number of workers and
        the rank of ``kvstore`` (one part when neither is given).
    shuffle : bool
        Shuffle within the part each epoch.
    kvstore : KVStore, optional
        Where num_parts / part_index come from when not given.

    Notes
    -----
    Not in MXNet 1.x's gluon.data (its examples define one): parts are disjoint and
    contiguous, and the first ``length % num_parts`` parts hold one extra index.
    """

    def __init__(self, length, num_parts=None, part_index=None, shuffle=False, kvstore=None):
        if num_parts is None or part_index is None:
            if kvstore is None:
                num_parts = num_parts if num_parts is not None else 1
                part_index = part_index if part_index is not None else 0
            else:
                num_parts = kvstore.num_workers if num_parts is None else num_parts
                part_index = kvstore.rank if part_index is None else part_index
        if not 0 <= part_index < num_parts:
            raise ValueError('part_index {} is out of range for {} parts'.format(
                part_index, num_parts))
        size, rest = divmod(length, num_parts)
        self._start = size * part_index + min(part_index, rest)
        self._length = size + (part_index < rest)
        self._shuffle = shuffle

    def __iter__(self):
        indices = np.arange(self._start, self._start + self._length)
        if self._shuffle:
            np.random.shuffle(indices)
        return iter(indices.tolist())

    def __len__(self):
        return self._length
