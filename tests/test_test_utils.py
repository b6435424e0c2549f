"""mx.test_utils driven as a user's test suite would.

The snippets of tests/fixtures/testutils_snippets.py (tolerances, almost_equal,
assert_almost_equal messages and printed mismatch tables, seeded random arrays and
shapes, row_sparse data, check_symbolic_forward/backward, check_numeric_gradient) must
record what MXNet 1.9.1 recorded in tests/fixtures/testutils_cases.json, made by
``/work/mxvenv/bin/python tests/fixtures/gen_testutils.py``. The rest checks what is ours
(function gradients, failures the checks must catch, download, get_mnist) directly.
"""
import json
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon import autograd, context, ndarray as nd, symbol as sym
from distgluon import test_utils as tu
from distgluon.base import MXNetError

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
sys.path.insert(0, FIXTURES)
from testutils_snippets import CASES, PRELUDE  # noqa: E402
from oracle_record import Recorder, compare  # noqa: E402

with open(os.path.join(FIXTURES, 'testutils_cases.json')) as _f:
    RECORDED = json.load(_f)


# Same error type as MXNet, but a message that says what is wrong (MXNet's is empty).
OWN_MESSAGE = {'symbolic.num_small_eps'}


class _MX:
    """The ``mx`` a snippet sees (the package namespace is assembled by the lead)."""
    nd = nd
    sym = sym
    test_utils = tu


def A(x, dtype='float32'):
    return nd.array(np.asarray(x), dtype=dtype)


def run_case(code):
    recorder = Recorder()
    env = {'mx': _MX, 'tu': tu, 'np': np, 'A': A, 'rec': recorder.rec}
    with mx.name.NameManager():      # fresh automatic names, as in a new MXNet process
        exec(PRELUDE, env)
        exec(code, env)
    return recorder.out


@pytest.mark.parametrize('case', sorted(CASES))
def test_matches_mxnet(case):
    got = run_case(CASES[case])
    want = RECORDED['cases'][case]
    assert sorted(got) == sorted(want)
    for key in want:
        path = '{}.{}'.format(case, key)
        if path in OWN_MESSAGE:     # run() results: [{'error': type, 'msg': text}, printed]
            assert got[key]['v'][0]['v']['msg'], path
            got[key]['v'][0]['v']['msg'] = want[key]['v'][0]['v']['msg']
        compare(got[key], want[key], path)


class _WrongGrad(autograd.Function):
    """y = x**2 with a backward that forgets the factor 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        x, = self.saved_tensors
        return dy * x


def test_numeric_gradient_of_functions():
    np.random.seed(0)
    x, y = np.random.rand(2, 3) + 0.5, np.random.rand(3) + 0.5
    tu.check_numeric_gradient(lambda a, b: nd.log(a) * nd.sqrt(b), [x, y])
    tu.check_numeric_gradient(lambda a, b: nd.tanh(a) / b, {'a': x, 'b': y},
                              grad_nodes={'a': 'add', 'b': 'null'})
    tu.check_numeric_gradient(lambda a: nd.sum(nd.exp(a), axis=1), [x], dtype=np.float64,
                              rtol=1e-6, atol=1e-9)
    with pytest.raises(AssertionError, match='NUMERICAL_0'):
        tu.check_numeric_gradient(lambda a: _WrongGrad()(a), [x])


def test_symbolic_checks_catch_wrong_values():
    a, b = sym.Variable('a'), sym.Variable('b')
    m1, m2 = np.array([[1.0, 2], [3, 4]]), np.array([[5.0, 6], [7, 8]])
    with pytest.raises(AssertionError, match='EXPECTED_a.*BACKWARD_a|BACKWARD_a'):
        tu.check_symbolic_backward(a * b, [m1, m2], [np.ones((2, 2))], [m1, m1])
    with pytest.raises(AssertionError, match='FORWARD_'):
        tu.check_symbolic_forward(sym.dot(a, b), [m1, m2], [m1.dot(m2) + 1])


def test_failure_message_leaves_print_options_alone():
    before = np.get_printoptions()
    with pytest.raises(AssertionError, match='mismatch 50.000000%'):
        tu.assert_almost_equal(np.arange(10.0), np.arange(10.0) + (np.arange(10) % 2))
    assert np.get_printoptions() == before


def test_set_default_context():
    original = tu.default_context()
    try:
        tu.set_default_context(context.cpu(3))
        assert tu.default_context() == context.cpu(3)
        assert nd.zeros((1,)).context == context.cpu(3)
        assert tu.rand_ndarray((2, 2)).context == context.cpu(3)
    finally:
        tu.set_default_context(original)
    assert tu.default_context() == original


def test_download_file_url(tmp_path):
    src = tmp_path / 'src.bin'
    src.write_bytes(b'abc')
    url = 'file://' + str(src)
    fname = tu.download(url, dirname=str(tmp_path / 'out'))
    assert fname == os.path.join(str(tmp_path / 'out'), 'src.bin')
    assert open(fname, 'rb').read() == b'abc'
    src.write_bytes(b'new')
    assert open(tu.download(url, dirname=str(tmp_path / 'out')), 'rb').read() == b'abc'
    fname = tu.download(url, dirname=str(tmp_path / 'out'), overwrite=True)
    assert open(fname, 'rb').read() == b'new'


def test_get_mnist_offline(tmp_path, monkeypatch):
    import gzip
    import struct
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MXNetError, match='train-labels-idx1-ubyte.gz'):
        tu.get_mnist()
    images = (np.arange(2 * 28 * 28) % 256).astype(np.uint8)
    for prefix in ('train', 't10k'):
        with gzip.open('%s-labels-idx1-ubyte.gz' % prefix, 'wb') as f:
            f.write(struct.pack('>II', 2049, 2) + bytes([3, 7]))
        with gzip.open('%s-images-idx3-ubyte.gz' % prefix, 'wb') as f:
            f.write(struct.pack('>IIII', 2051, 2, 28, 28) + images.tobytes())
    data = tu.get_mnist()
    assert data['train_data'].shape == (2, 1, 28, 28)
    assert data['train_data'].dtype == np.float32
    np.testing.assert_allclose(data['test_data'].ravel(), images / 255.0, rtol=1e-6)
    assert data['test_label'].tolist() == [3, 7]


def test_small_helpers():
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) == 3
    flaky()
    assert len(calls) == 3
    with tu.environment({'DG_TEST_VAR': '1'}):
        assert os.environ['DG_TEST_VAR'] == '1'
        with tu.environment('DG_TEST_VAR', None):
            assert 'DG_TEST_VAR' not in os.environ
    assert 'DG_TEST_VAR' not in os.environ
    from distgluon import io as mxio
    dummy = tu.DummyIter(mxio.NDArrayIter(np.arange(6), batch_size=4))
    assert [b.data[0].asnumpy().tolist() for b in [next(dummy), next(dummy)]] == [
        [0, 1, 2, 3]] * 2
    x = nd.zeros((2,))
    assert tu.same_array(x, x) and not tu.same_array(x, x.copy())
