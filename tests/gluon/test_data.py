"""gluon.data: datasets, samplers, DataLoader (in process, threads, worker processes)
with MXNet 1.9.1's batching rules and clear errors instead of hangs."""
import os
import signal

import numpy as np
import pytest

import distgluon as mx
from distgluon.gluon import data


def test_dataset_views():
    ds = data.SimpleDataset(list(range(10)))
    assert list(ds.filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    assert [list(ds.shard(3, i)) for i in range(3)] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert list(ds.take(3)) == [0, 1, 2] and len(ds.take(None)) == 10
    assert list(ds.sample(data.SequentialSampler(3, 5))) == [5, 6, 7]
    assert list(ds.transform(lambda x: x * 2, lazy=False))[:3] == [0, 2, 4]
    pairs = data.ArrayDataset(np.arange(4), np.arange(4) * 10)
    assert pairs.transform_first(lambda x: -x)[2] == (-2, 20)
    with pytest.raises(AssertionError, match='same length'):
        data.ArrayDataset(np.arange(4), np.arange(5))
    with pytest.raises(TypeError, match='Invalid sampler type'):
        ds.sample([1, 2])


def test_samplers():
    assert list(data.BatchSampler(data.SequentialSampler(7), 3, 'keep')) == \
        [[0, 1, 2], [3, 4, 5], [6]]
    assert len(data.BatchSampler(data.SequentialSampler(7), 3, 'discard')) == 2
    roll = data.BatchSampler(data.SequentialSampler(7), 3, 'rollover')
    assert list(roll) == [[0, 1, 2], [3, 4, 5]]
    assert list(roll)[0] == [6, 0, 1]
    assert list(data.IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]
    assert list(data.IntervalSampler(7, 3, rollover=False)) == [0, 3, 6]
    assert sorted(data.RandomSampler(5)) == [0, 1, 2, 3, 4]
    parts = [list(data.SplitSampler(10, 3, i)) for i in range(3)]
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    kv = mx.kv.create('local')
    assert list(data.SplitSampler(4, kvstore=kv)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="last_batch must be one of"):
        data.BatchSampler(data.SequentialSampler(3), 2, 'bad')


def test_default_batchify_dtypes_and_layout():
    ds = data.ArrayDataset(np.arange(12, dtype=np.float32).reshape(6, 2), list(range(6)))
    batches = list(data.DataLoader(ds, batch_size=4))
    assert isinstance(batches[0], list) and len(batches) == 2
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype is np.float32
    assert batches[0][1].dtype is np.int64
    assert batches[1][0].shape == (2, 2)
    floats = list(data.DataLoader(data.SimpleDataset([0.5, 1.5]), batch_size=2))[0]
    assert floats.dtype is np.float64
    nds = data.SimpleDataset([mx.nd.ones((3,)) * i for i in range(4)])
    stacked = list(data.DataLoader(nds, batch_size=4))[0]
    np.testing.assert_array_equal(stacked.asnumpy()[:, 0], [0, 1, 2, 3])


def test_rollover_carries_leftover_into_next_epoch():
    loader = data.DataLoader(data.SimpleDataset(list(range(5))), batch_size=2,
                             last_batch='rollover')
    first = [b.asnumpy().tolist() for b in loader]
    second = [b.asnumpy().tolist() for b in loader]
    assert first == [[0, 1], [2, 3]]
    assert second == [[4, 0], [1, 2], [3, 4]]


@pytest.mark.parametrize('thread_pool', [False, True])
def test_workers_give_the_same_batches(thread_pool):
    ds = data.ArrayDataset(np.arange(40, dtype=np.float32).reshape(20, 2), list(range(20)))
    ref = [b[0].asnumpy() for b in data.DataLoader(ds, batch_size=3)]
    loader = data.DataLoader(ds, batch_size=3, num_workers=2, thread_pool=thread_pool)
    got = [b[0].asnumpy() for b in loader]
    assert len(got) == len(ref) == len(loader)
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(g, r)


def _raise_on_seven(x):
    if x == 7:
        raise RuntimeError('bad sample 7')
    return x


def _die_on_five(x):
    if x == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_transform_error_in_worker_is_reported():
    ds = data.SimpleDataset(list(range(10))).transform(_raise_on_seven)
    with pytest.raises(mx.MXNetError, match='bad sample 7'):
        list(data.DataLoader(ds, batch_size=2, num_workers=2))


def test_dead_worker_is_an_error_not_a_hang():
    ds = data.SimpleDataset(list(range(10))).transform(_die_on_five)
    with pytest.raises(mx.MXNetError, match='worker process died'):
        list(data.DataLoader(ds, batch_size=2, num_workers=2, timeout=30))


def test_pin_memory_and_argument_errors():
    loader = data.DataLoader(data.SimpleDataset([1, 2]), batch_size=2, pin_memory=True)
    assert next(iter(loader)).context == mx.cpu_pinned(0)
    with pytest.raises(ValueError, match='batch_size must be specified'):
        data.DataLoader(data.SimpleDataset([1]))
    with pytest.raises(ValueError, match='shuffle must not be specified'):
        data.DataLoader(data.SimpleDataset([1]), 1, shuffle=True,
                        sampler=data.SequentialSampler(1))
    with pytest.raises(ValueError, match='must not be specified if batch_sampler'):
        data.DataLoader(data.SimpleDataset([1]), 1, batch_sampler=[[0]])


def test_record_file_dataset():
    here = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'recordio')
    ds = data.RecordFileDataset(os.path.join(here, 'indexed.rec'))
    assert len(ds) == 5
    header, payload = mx.recordio.unpack(ds[1])
    assert payload == b'payload-1' * 2
