"""mx.gluon.utils driven as a user would.

split_data / split_and_load / clip_global_norm run the snippets of
tests/fixtures/gluon_utils_cases.py and must record what MXNet 1.9.1 recorded
(tests/fixtures/gluon_utils.json, made by
``/work/mxvenv/bin/python tests/fixtures/gen_gluon_utils.py``). The fixes (float16 and
float64 clipping) are checked against numpy; download runs against a local HTTP server on a
free 127.0.0.1 port that each test starts and stops, and against a closed port.
"""
import functools
import hashlib
import http.server
import json
import os
import socket
import sys
import threading
import warnings

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.gluon import utils as U
from distgluon.gluon.block import HookHandle

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')
sys.path.insert(0, FIXTURES)
from gluon_utils_cases import CASES  # noqa: E402
from oracle_record import Recorder, compare  # noqa: E402

with open(os.path.join(FIXTURES, 'gluon_utils.json')) as _f:
    RECORDED = json.load(_f)

# Same error type as MXNet, but a message that says what is wrong (MXNet's is empty).
OWN_MESSAGE = {'clip_global_norm.empty'}


def A(x, dtype='float32', ctx=None):
    return mx.nd.array(np.asarray(x), dtype=dtype, ctx=ctx)


def run_case(code):
    recorder = Recorder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        exec(code, {'mx': mx, 'U': U, 'np': np, 'A': A, 'rec': recorder.rec})
    messages = sorted({'{}: {}'.format(w.category.__name__, w.message) for w in caught
                       if issubclass(w.category, UserWarning)})
    return recorder.out, messages


@pytest.mark.parametrize('case', sorted(CASES))
def test_matches_mxnet(case):
    got, messages = run_case(CASES[case])
    want = RECORDED['cases'][case]
    assert sorted(got) == sorted(want)
    for key in want:
        path = '{}.{}'.format(case, key)
        compare(got[key], want[key], path, messages=path not in OWN_MESSAGE)
    assert messages == RECORDED['warnings'][case]


def test_uneven_split_puts_extra_rows_first():
    data = A(np.arange(10))
    sizes = [x.shape[0] for x in U.split_data(data, 4, even_split=False)]
    assert sizes == [3, 3, 2, 2]
    pieces = U.split_data(data, 4, even_split=False)
    assert np.concatenate([p.asnumpy() for p in pieces]).tolist() == list(range(10))
    with pytest.raises(ValueError) as err:
        U.split_data(A(np.zeros((10, 2))), 3)
    assert str(err.value) == (
        "data with shape (10, 2) cannot be evenly split into 3 slices along axis 0. Use a "
        "batch size that's multiple of 3 or set even_split=False to allow uneven "
        "partitioning of data.")


def test_split_and_load_gradients_flow_back():
    data = A(np.arange(8).reshape(4, 2))
    data.attach_grad()
    with mx.autograd.record():
        parts = U.split_and_load(data, [mx.cpu(0), mx.cpu(1)], batch_axis=1)
        loss = parts[0] * 2
    loss.backward()
    assert [p.context for p in parts] == [mx.cpu(0), mx.cpu(1)]
    assert data.grad.asnumpy().tolist() == [[2, 0]] * 4


def _clip_oracle(arrays, max_norm):
    norm = np.sqrt(sum(float(np.sum(a.astype(np.float64) ** 2)) for a in arrays))
    scale = min(max_norm / (norm + 1e-8), 1.0)
    return norm, [a.astype(np.float64) * scale for a in arrays]


@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
@pytest.mark.parametrize('max_norm', [0.5, 1e4])
def test_clip_global_norm_all_float_dtypes(dtype, max_norm):
    rs = np.random.RandomState(1)
    values = [rs.randn(40, 30) * 3, rs.randn(7)]
    arrays = [A(v, dtype=dtype) for v in values]
    norm, expected = _clip_oracle([a.asnumpy() for a in arrays], max_norm)
    total = U.clip_global_norm(arrays, max_norm)
    tol = 1e-3 if dtype == 'float16' else 1e-6
    assert float(total) == pytest.approx(norm, rel=tol)
    assert type(total) is (np.float64 if dtype == 'float64' else np.float32)
    for arr, want in zip(arrays, expected):
        assert arr.dtype == np.dtype(dtype)
        np.testing.assert_allclose(arr.asnumpy().astype(np.float64), want, rtol=tol, atol=tol)
    as_nd = U.clip_global_norm([A(v, dtype=dtype) for v in values], max_norm,
                               check_isfinite=False)
    assert isinstance(as_nd, mx.nd.NDArray) and as_nd.shape == (1,)
    assert as_nd.asnumpy()[0] == pytest.approx(norm, rel=tol)


def test_clip_global_norm_float16_does_not_overflow():
    # sum of squares = 4e6, far above float16's largest value (65504)
    arrays = [A(np.full(1000, 63.25), dtype='float16')]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        total = U.clip_global_norm(arrays, 1.0)
    assert np.isfinite(total) and total == pytest.approx(63.25 * np.sqrt(1000), rel=1e-3)
    assert arrays[0].asnumpy()[0] == pytest.approx(1 / np.sqrt(1000), rel=1e-3)


def test_clip_global_norm_warns_and_refuses_bad_input():
    with pytest.warns(UserWarning, match='nan or inf is detected. Clipping results will be '
                                         'undefined.'):
        U.clip_global_norm([A([np.nan, 1.0])], 1.0)
    with pytest.raises(AssertionError):
        U.clip_global_norm([], 1.0)
    with pytest.raises(MXNetError, match='int32'):
        U.clip_global_norm([A([3, 4], dtype='int32')], 1.0)
    with pytest.raises(MXNetError, match='float64'):
        U.clip_global_norm([A([3, 4], dtype='float64'), A([1])], 1.0)


def test_check_sha1(tmp_path):
    path = tmp_path / 'f.bin'
    payload = os.urandom(3 * 1048576 + 17)
    path.write_bytes(payload)
    assert U.check_sha1(str(path), hashlib.sha1(payload).hexdigest())
    assert not U.check_sha1(str(path), hashlib.sha1(b'other').hexdigest())


def test_shape_is_known_and_reexports():
    assert U.shape_is_known((2, 3))
    assert not U.shape_is_known((2, 0))
    assert not U.shape_is_known(())
    assert not U.shape_is_known(None)
    with pytest.raises(AssertionError, match='less than 0'):
        U.shape_is_known((2, -1))
    assert U.HookHandle is HookHandle
    assert sorted(U.__all__) == sorted(RECORDED['cases']['clip_global_norm']['all']['v'])


def test_replace_file(tmp_path):
    src, dst = tmp_path / 'a', tmp_path / 'b'
    src.write_text('new')
    dst.write_text('old')
    U.replace_file(str(src), str(dst))
    assert dst.read_text() == 'new' and not src.exists()
    src.write_text('x')
    with pytest.raises(OSError, match='Please retry the download'):
        U.replace_file(str(src), str(tmp_path / 'missing_dir' / 'c'))
    assert not src.exists()


# ---------------------------------------------------------------- download
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A static file server on a free 127.0.0.1 port, stopped at the end of the test."""
    root = tmp_path / 'served'
    root.mkdir()
    (root / 'a.txt').write_bytes(b'hello\n')
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d/' % httpd.server_address[1], root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_download_to_directory_and_file(server, tmp_path, capsys):
    base, _ = server
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    got = U.download(base + 'a.txt', path=str(out_dir))
    assert got == str(out_dir / 'a.txt') and (out_dir / 'a.txt').read_bytes() == b'hello\n'
    assert 'Downloading {} from {}a.txt...'.format(got, base) in capsys.readouterr().out
    target = tmp_path / 'sub' / 'dir' / 'b.txt'
    assert U.download(base + 'a.txt', path=str(target)) == str(target)
    assert target.read_bytes() == b'hello\n'
    assert sorted(os.listdir(out_dir)) == ['a.txt']  # no temporary file left behind


def test_download_default_path_is_cwd(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.chdir(tmp_path)
    assert U.download(base + 'a.txt') == 'a.txt'
    assert (tmp_path / 'a.txt').read_bytes() == b'hello\n'
    with pytest.raises(AssertionError, match="Can't construct file-name"):
        U.download(base)


def test_download_keeps_existing_file_unless_asked(server, tmp_path):
    base, root = server
    target = tmp_path / 'a.txt'
    target.write_bytes(b'local\n')
    U.download(base + 'a.txt', path=str(target))
    assert target.read_bytes() == b'local\n'
    U.download(base + 'a.txt', path=str(target), overwrite=True)
    assert target.read_bytes() == b'hello\n'
    target.write_bytes(b'stale\n')
    U.download(base + 'a.txt', path=str(target), sha1_hash=hashlib.sha1(b'hello\n').hexdigest())
    assert target.read_bytes() == b'hello\n'
    (root / 'a.txt').write_bytes(b'changed on server\n')
    U.download(base + 'a.txt', path=str(target), sha1_hash=hashlib.sha1(b'hello\n').hexdigest())
    assert target.read_bytes() == b'hello\n'  # hash matches: no download


def test_download_sha1_mismatch_retries_then_raises(server, tmp_path, capsys):
    base, _ = server
    target = tmp_path / 'x.txt'
    with pytest.raises(UserWarning, match='is downloaded but the content hash does not match'):
        U.download(base + 'a.txt', path=str(target), sha1_hash='0' * 40, retries=2)
    out = capsys.readouterr().out
    assert out.count('Downloading') == 2 and 'retrying, 1 attempt left' in out


def test_download_http_error_retries(server, tmp_path, capsys):
    base, _ = server
    url = base + 'missing.txt'
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    with pytest.raises(RuntimeError, match='Failed downloading url ' + url):
        U.download(url, path=str(out_dir / 'm.txt'), retries=3)
    out = capsys.readouterr().out
    assert out.count('Downloading') == 3
    assert 'retrying, 2 attempts left' in out and 'retrying, 1 attempt left' in out
    assert os.listdir(out_dir) == []


def test_download_unreachable_names_the_url(tmp_path, capsys):
    url = 'http://127.0.0.1:%d/x' % _closed_port()
    with pytest.raises(ConnectionError) as err:
        U.download(url, path=str(tmp_path / 'y'), retries=2)
    assert url in str(err.value) and isinstance(err.value, OSError)
    assert capsys.readouterr().out.count('Downloading') == 2
    assert os.listdir(tmp_path) == []
    with pytest.raises(ConnectionError, match='no-such-scheme://h/z'):
        U.download('no-such-scheme://h/z', path=str(tmp_path / 'z'), retries=0)


def test_download_file_url_and_arguments(tmp_path):
    src = tmp_path / 'src.bin'
    src.write_bytes(b'\x00\x01payload')
    dst = tmp_path / 'dst.bin'
    assert U.download(src.as_uri(), path=str(dst), retries=0) == str(dst)
    assert dst.read_bytes() == b'\x00\x01payload'
    with pytest.raises(AssertionError, match="currently it's -1"):
        U.download(src.as_uri(), path=str(dst), retries=-1)
    with pytest.warns(UserWarning, match='Unverified HTTPS request'):
        U.download(src.as_uri(), path=str(tmp_path / 'w.bin'), verify_ssl=False)
