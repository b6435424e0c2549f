"""mx.io driven as a user would.

The snippets of tests/fixtures/io_snippets.py (DataDesc, DataBatch, NDArrayIter in every
last_batch_handle mode, dict/list inputs, shuffle under np.random.seed, roll_over resets,
ResizeIter, PrefetchingIter, CSVIter over files written by the snippet module) must record
what MXNet 1.9.1 recorded in tests/fixtures/io_cases.json, made by
``/work/mxvenv/bin/python tests/fixtures/gen_io.py``. The rest checks behaviour that is
ours (errors, fixes) against plain numpy expectations.
"""
import json
import os
import sys
import threading

import numpy as np
import pytest

from distgluon import io as mxio
from distgluon import ndarray as nd
from distgluon.base import MXNetError

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
sys.path.insert(0, FIXTURES)
from io_snippets import CASES, PRELUDE, write_csv_files  # noqa: E402
from oracle_record import Recorder, compare  # noqa: E402

with open(os.path.join(FIXTURES, 'io_cases.json')) as _f:
    RECORDED = json.load(_f)


class _MX:
    """The ``mx`` a snippet sees (the package namespace is assembled by the lead)."""
    io = mxio
    nd = nd


def A(x, dtype='float32'):
    return nd.array(np.asarray(x), dtype=dtype)


@pytest.fixture(scope='module')
def csv_dir(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp('csv'))
    write_csv_files(tmp)
    return tmp


def run_case(code, tmp):
    recorder = Recorder()
    env = {'mx': _MX, 'np': np, 'A': A, 'rec': recorder.rec, 'TMP': tmp}
    exec(PRELUDE, env)
    exec(code, env)
    return recorder.out


def _strip_tmp(value, tmp):
    """Error messages name the temporary directory: compare them without it."""
    if isinstance(value, dict):
        return {k: _strip_tmp(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_tmp(v, tmp) for v in value]
    if isinstance(value, str):
        return value.replace(tmp, 'TMP')
    return value


@pytest.mark.parametrize('case', sorted(CASES))
def test_matches_mxnet(case, csv_dir):
    got = run_case(CASES[case], csv_dir)
    want = RECORDED['cases'][case]
    assert sorted(got) == sorted(want)
    for key in want:
        compare(got[key], want[key], '{}.{}'.format(case, key))


def test_csv_round_batch_false_pads_with_zeros_first(tmp_path):
    # MXNet leaves uninitialised memory in the padded rows of a first incomplete batch
    path = tmp_path / 'd.csv'
    path.write_text('1,2\n\n3,4\n5,6\n')      # blank lines are skipped
    it = mxio.CSVIter(data_csv=str(path), data_shape=(2,), batch_size=5, round_batch=False)
    batch = it.next()
    assert batch.pad == 2
    assert batch.data[0].asnumpy().tolist() == [[1, 2], [3, 4], [5, 6], [0, 0], [0, 0]]
    assert batch.index.tolist()[:3] == [0, 1, 2]
    with pytest.raises(StopIteration):
        it.next()


def test_csv_label_rows_and_dtype(tmp_path):
    (tmp_path / 'd.csv').write_text('1,2\n3,4\n5,6\n')
    (tmp_path / 'l.csv').write_text('7\n8\n')
    with pytest.raises(MXNetError, match='number of rows in label_csv'):
        mxio.CSVIter(data_csv=str(tmp_path / 'd.csv'), data_shape=(2,),
                     label_csv=str(tmp_path / 'l.csv'), batch_size=2)
    (tmp_path / 'i.csv').write_text('1.7,-2.5e0\n')
    it = mxio.CSVIter(data_csv=str(tmp_path / 'i.csv'), data_shape=(2,), batch_size=1,
                      dtype='int64')
    data = it.next().data[0]
    assert data.dtype == np.int64 and data.asnumpy().tolist() == [[1, -2]]
    with pytest.raises(MXNetError, match='float16 is not supported for CSVIter'):
        mxio.CSVIter(data_csv=str(tmp_path / 'i.csv'), data_shape=(2,), batch_size=1,
                     dtype='float16')


def test_native_only_iterators_name_the_replacement():
    with pytest.raises(MXNetError, match='ImageRecordDataset'):
        mxio.ImageRecordIter(path_imgrec='x.rec', data_shape=(3, 8, 8), batch_size=2)
    with pytest.raises(MXNetError, match='MNIST'):
        mxio.MNISTIter(image='x', label='y', batch_size=2)


class _Failing(mxio.DataIter):
    def __init__(self):
        super().__init__(2)
        self.provide_data = [mxio.DataDesc('data', (2, 3))]
        self.provide_label = []

    def next(self):
        raise ValueError('disk on fire')


def test_prefetching_iter_raises_the_wrapped_error_instead_of_hanging():
    it = mxio.PrefetchingIter(_Failing())
    result = {}

    def consume():
        try:
            it.next()
        except ValueError as err:
            result['err'] = str(err)
    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(10)
    assert result == {'err': 'disk on fire'}
    it.close()


def test_ndarray_iter_shuffle_keeps_data_and_labels_together():
    data = np.arange(30).reshape(15, 2)
    it = mxio.NDArrayIter(data, np.arange(15), batch_size=4, shuffle=True,
                          last_batch_handle='discard')
    orders = []
    for _ in range(2):
        batches = list(it)
        labels = np.concatenate([b.label[0].asnumpy() for b in batches])
        rows = np.concatenate([b.data[0].asnumpy() for b in batches])
        assert len(labels) == 12 and len(set(labels.tolist())) == 12
        assert rows.tolist() == data[labels.astype(int)].tolist()
        orders.append(labels.tolist())
        it.reset()
    assert orders[0] != orders[1]
