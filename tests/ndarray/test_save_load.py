"""``mx.nd.save`` / ``load`` / ``load_frombuffer`` against files written by MXNet 1.9.1.

Fixtures: tests/fixtures/nd_files/*.nd, manifest.json and expected.npz, produced by
``cd tests/fixtures/nd_files && /work/mxvenv/bin/python make_fixtures.py`` (mx.nd.save of
the cases listed there; expected.npz holds MXNet's own asnumpy()/data/indices/indptr).
"""
import json
import os
import pathlib
import struct

import numpy as np
import pytest

import distgluon as mx
from distgluon.ndarray import sparse, utils

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'nd_files'
MANIFEST = json.loads((FIXTURES / 'manifest.json').read_text())
EXPECTED = dict(np.load(FIXTURES / 'expected.npz'))


def _items(loaded):
    if isinstance(loaded, dict):
        return list(loaded.items())
    return [(str(i), a) for i, a in enumerate(loaded)]


def _rebuild(fname, entry):
    """The same array as MXNet saved, built with distgluon from the expected parts."""
    key = '{}/{}'.format(fname, entry['name'])
    ctx = mx.Context(*entry['ctx'])
    shape, dtype = tuple(entry['shape']), entry['dtype']
    if entry['stype'] == 'row_sparse':
        return sparse.row_sparse_array((EXPECTED[key + '/data'], EXPECTED[key + '/indices']),
                                       shape=shape, ctx=ctx, dtype=dtype)
    if entry['stype'] == 'csr':
        return sparse.csr_matrix((EXPECTED[key + '/data'], EXPECTED[key + '/indices'],
                                  EXPECTED[key + '/indptr']), shape=shape, ctx=ctx, dtype=dtype)
    return mx.nd.array(EXPECTED[key + '/dense'], ctx=ctx, dtype=dtype)


def test_functions_are_reachable_as_mx_nd():
    if not hasattr(mx.nd, 'save'):
        pytest.skip('distgluon.ndarray/__init__ does not import utils yet')
    assert mx.nd.save is utils.save and mx.nd.load is utils.load
    assert mx.nd.load_frombuffer is utils.load_frombuffer


@pytest.mark.parametrize('fname', sorted(MANIFEST))
def test_load_mxnet_files(fname):
    info = MANIFEST[fname]
    loaded = utils.load(str(FIXTURES / fname))
    assert isinstance(loaded, dict if info['kind'] == 'dict' else list)
    items = _items(loaded)
    assert [n for n, _ in items] == [e['name'] for e in info['arrays']]
    for (name, arr), entry in zip(items, info['arrays']):
        key = '{}/{}'.format(fname, name)
        assert arr.stype == entry['stype'], key
        assert arr.shape == tuple(entry['shape']), key
        assert np.dtype(arr.dtype).name == entry['dtype'], key
        assert arr.context == mx.cpu(0)        # MXNet loads everything onto cpu(0)
        got = arr.asnumpy()
        assert got.dtype == np.dtype(entry['dtype'])
        np.testing.assert_array_equal(got, EXPECTED[key + '/dense'])
        if entry['stype'] != 'default':
            np.testing.assert_array_equal(arr.data.asnumpy(), EXPECTED[key + '/data'])
            np.testing.assert_array_equal(arr.indices.asnumpy(), EXPECTED[key + '/indices'])
            arr.check_format()
        if entry['stype'] == 'csr':
            np.testing.assert_array_equal(arr.indptr.asnumpy(), EXPECTED[key + '/indptr'])


@pytest.mark.parametrize('fname', sorted(MANIFEST))
def test_save_is_byte_identical_to_mxnet(fname, tmp_path):
    info = MANIFEST[fname]
    arrays = [(e['name'], _rebuild(fname, e)) for e in info['arrays']]
    if info['kind'] == 'dict':
        data = dict(arrays)
    elif info['kind'] == 'list':
        data = [a for _, a in arrays]
    else:
        data = arrays[0][1]
    out = tmp_path / fname
    utils.save(str(out), data)
    mine, theirs = out.read_bytes(), (FIXTURES / fname).read_bytes()
    assert len(mine) == len(theirs)
    assert mine == theirs
    assert [p.name for p in tmp_path.iterdir()] == [fname]     # no temporary left behind


def test_round_trip_and_buffer(tmp_path):
    data = {'a': mx.nd.array(np.arange(6).reshape(2, 3), dtype='float16'),
            'b': sparse.row_sparse_array(([[1., 2]], [2]), shape=(3, 2)),
            'c': mx.nd.array([[0, 1], [2, 0]]).tostype('csr')}
    path = tmp_path / 'x.params'
    utils.save(path, data)                     # an os.PathLike works too
    buf = path.read_bytes()
    for loaded in (utils.load(str(path)), utils.load_frombuffer(buf),
                   utils.load_frombuffer(bytearray(buf))):
        assert list(loaded) == ['a', 'b', 'c']
        for k in data:
            assert type(loaded[k]) is type(data[k])
            np.testing.assert_array_equal(loaded[k].asnumpy(), data[k].asnumpy())
    # the header of a single dense float16 array, field by field
    assert struct.unpack_from('<QQQIiIqqiii', buf) == (
        0x112, 0, 3, 0xF993FAC9, 0, 2, 2, 3, 1, 0, 2)
    utils.save(str(path), [])
    assert utils.load(str(path)) == [] and path.read_bytes() == (FIXTURES / 'empty_list.nd') \
        .read_bytes()
    utils.save(str(path), {})                  # an empty dict is stored like an empty list
    assert utils.load(str(path)) == []


def test_mxnet_0d_array_file_loads_as_shape_1():
    # MXNet 1.9.1 writes ndim 0 plus one element for mx.nd.array(3.5) (and cannot load it)
    loaded = utils.load(str(FIXTURES / 'scalar_0d.nd'))
    assert loaded[0].shape == (1,) and loaded[0].asnumpy().tolist() == [3.5]


def test_legacy_layouts_are_read():
    head = struct.pack('<QQQ', 0x112, 0, 2)
    # v1: magic 0xF993FAC8, int64 dims, no storage type
    v1 = struct.pack('<IIqqiii', 0xF993FAC8, 2, 1, 2, 1, 0, 4) + np.array(
        [7, -8], '<i4').tobytes()
    # pre-magic: the first word is ndim, dims are uint32
    v0 = struct.pack('<IIiii', 1, 3, 1, 0, 1) + np.array([1.5, 2, 3], '<f8').tobytes()
    loaded = utils.load_frombuffer(head + v1 + v0 + struct.pack('<Q', 0))
    assert loaded[0].dtype == np.int32 and loaded[0].asnumpy().tolist() == [[7, -8]]
    assert loaded[1].dtype == np.float64 and loaded[1].asnumpy().tolist() == [1.5, 2, 3]


def test_corrupt_files_name_file_and_offset(tmp_path):
    good = (FIXTURES / 'list.nd').read_bytes()
    path = tmp_path / 'bad.nd'

    def fails(buf, pattern):
        path.write_bytes(bytes(buf))
        with pytest.raises(mx.MXNetError, match=pattern) as err:
            utils.load(str(path))
        assert 'bad.nd' in str(err.value)
        with pytest.raises(mx.MXNetError, match=pattern):
            utils.load_frombuffer(bytes(buf))

    for cut, offset in ((0, 0), (10, 8), (24, 24), (30, 28), (60, 60)):
        fails(good[:cut], r'needs \d+ bytes but only \d+ remain at byte offset {}\b'.format(offset))
    fails(good[:-1], r'name count needs 8 bytes but only 7 remain')
    bad = bytearray(good)
    bad[0] = 0x13
    fails(bad, r'bad file magic 0x113.*byte offset 0\b')
    bad = bytearray(good)
    bad[24:28] = struct.pack('<I', 0xDEADBEEF)
    fails(bad, r'bad magic 0xDEADBEEF.*byte offset 24\b')
    bad = bytearray(good)
    bad[24 + 4 + 4 + 4 + 16 + 8:24 + 4 + 4 + 4 + 16 + 12] = struct.pack('<i', 42)
    fails(bad, r'unknown dtype flag 42.*byte offset 60\b')
    bad = bytearray(good)
    bad[36:44] = struct.pack('<q', 1 << 40)         # first dim far beyond the file
    fails(bad, 'larger than the file')
    bad = bytearray(good)
    bad[16:24] = struct.pack('<Q', 7)               # count says 7 arrays, there are 3
    fails(bad, 'byte offset')
    with pytest.raises(mx.MXNetError, match='no_such_file.nd'):
        utils.load(str(tmp_path / 'no_such_file.nd'))
    with pytest.raises(TypeError):
        utils.load(3)
    with pytest.raises(TypeError):
        utils.load_frombuffer([1, 2])


def test_save_rejects_bad_items_and_never_half_writes(tmp_path):
    path = tmp_path / 'keep.nd'
    utils.save(str(path), {'w': mx.nd.ones((2,))})
    before = path.read_bytes()
    with pytest.raises(TypeError, match="'bias'"):
        utils.save(str(path), {'w': mx.nd.ones((2,)), 'bias': np.zeros(2)})
    with pytest.raises(TypeError, match='item 1'):
        utils.save(str(path), [mx.nd.ones((2,)), [1, 2]])
    with pytest.raises(TypeError, match='key 3'):
        utils.save(str(path), {3: mx.nd.ones((2,))})
    with pytest.raises(ValueError):
        utils.save(str(path), (mx.nd.ones((2,)),))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['keep.nd']


def test_save_failure_during_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'keep.nd'
    utils.save(str(path), [mx.nd.ones((3,))])
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError('disk full')
    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError, match='disk full'):
        utils.save(str(path), [mx.nd.zeros((1000,))])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['keep.nd']
