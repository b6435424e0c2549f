"""RecordIO against files written by MXNet 1.9.1 (tests/fixtures/recordio/, made by
tests/fixtures/make_recordio.py): both directions byte for byte, split records, index."""
import os
import shutil

import numpy as np
import pytest

import distgluon as mx
from distgluon import recordio

HERE = os.path.join(os.path.dirname(__file__), 'fixtures', 'recordio')
RECORDS = [bytes.fromhex(line.strip()) for line in open(os.path.join(HERE, 'records.txt'))]


def test_reads_mxnet_file_and_writes_identical_bytes(tmp_path):
    reader = recordio.MXRecordIO(os.path.join(HERE, 'plain.rec'), 'r')
    got = []
    while True:
        rec = reader.read()
        if rec is None:
            break
        got.append(rec)
    assert got == RECORDS
    out = str(tmp_path / 'plain.rec')
    writer = recordio.MXRecordIO(out, 'w')
    for rec in RECORDS:
        writer.write(rec)
    writer.close()
    assert open(out, 'rb').read() == open(os.path.join(HERE, 'plain.rec'), 'rb').read()


def test_end_of_file_sticks_until_reset():
    reader = recordio.MXRecordIO(os.path.join(HERE, 'plain.rec'), 'r')
    for _ in RECORDS:
        reader.read()
    assert reader.read() is None
    assert reader.read() is None
    reader.reset()
    assert reader.read() == RECORDS[0]


def test_indexed_file_both_directions(tmp_path):
    reader = recordio.MXIndexedRecordIO(os.path.join(HERE, 'indexed.idx'),
                                        os.path.join(HERE, 'indexed.rec'), 'r')
    assert reader.keys == [0, 10, 20, 30, 40]
    header, payload = recordio.unpack(reader.read_idx(30))
    assert header.flag == 3 and header.id == 3
    np.testing.assert_array_equal(header.label, [3, 3.5, -1])
    assert payload == b'payload-3' * 4
    header, payload = recordio.unpack(reader.read_idx(20))
    assert header.flag == 0 and header.label == 2.0 and payload == b'payload-2' * 3
    idx, rec = str(tmp_path / 'i.idx'), str(tmp_path / 'i.rec')
    writer = recordio.MXIndexedRecordIO(idx, rec, 'w')
    for i in range(5):
        label = float(i) if i % 2 == 0 else [i, i + 0.5, -1.0]
        writer.write_idx(i * 10, recordio.pack(recordio.IRHeader(7, label, i, 0),
                                               ('payload-%d' % i).encode() * (i + 1)))
    writer.close()
    assert open(rec, 'rb').read() == open(os.path.join(HERE, 'indexed.rec'), 'rb').read()
    assert open(idx).read() == open(os.path.join(HERE, 'indexed.idx')).read()


def test_corrupt_and_truncated_files_name_file_and_offset(tmp_path):
    path = str(tmp_path / 'bad.rec')
    data = open(os.path.join(HERE, 'plain.rec'), 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:-3])
    reader = recordio.MXRecordIO(path, 'r')
    with pytest.raises(mx.MXNetError, match=r'bad\.rec is truncated at byte \d+'):
        while reader.read() is not None:
            pass
    with open(path, 'wb') as f:
        f.write(data[:16] + b'\x00\x00\x00\x00' + data[20:])
    reader = recordio.MXRecordIO(path, 'r')
    reader.read()
    with pytest.raises(mx.MXNetError, match=r'bad\.rec is corrupt at byte 16'):
        reader.read()
    with pytest.raises(mx.MXNetError, match='cannot open record file'):
        recordio.MXRecordIO(str(tmp_path / 'missing.rec'), 'r')
    with pytest.raises(ValueError, match='Invalid flag'):
        recordio.MXRecordIO(path, 'x')


def test_pickle_reopens_reader(tmp_path):
    import pickle
    shutil.copy(os.path.join(HERE, 'plain.rec'), tmp_path / 'p.rec')
    reader = recordio.MXRecordIO(str(tmp_path / 'p.rec'), 'r')
    clone = pickle.loads(pickle.dumps(reader))
    assert clone.read() == RECORDS[0]
