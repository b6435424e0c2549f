"""The creation operators (distgluon/ops/init_ops.py: ``_zeros``, ``_ones``, ``_full``,
``_arange``, ``_linspace``, ``_eye``, ``_zeros_without_dtype``) and the symbol functions
built on them (distgluon/symbol/creation.py: ``mx.sym.zeros/ones/full/arange/linspace/
eye``).

Values, dtypes, contexts, error kinds and the symbol JSON are replayed against MXNet 1.9.1
(tests/fixtures/sequence_ctc.json, produced by tests/fixtures/gen_sequence_ctc.py run with
the MXNet venv); values are also checked against numpy.
"""
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.symbol import creation

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'sequence_ctc.json')
with open(FIXTURE) as _f:
    _DATA = json.load(_f)
OPS = [c for c in _DATA['ops'] if c['fn'].startswith('_internal.')]
SYMBOLS = [c for c in _DATA['symbols'] if 'fn' in c]
COMPOSED = next(c for c in _DATA['symbols'] if c['id'] == 'composed')


def _check(got, rec, what):
    a = got.asnumpy()
    assert a.dtype.name == rec['dtype'], what
    assert list(a.shape) == rec['shape'], what
    assert str(got.context) == rec['ctx'], what
    np.testing.assert_array_equal(a.ravel().astype(np.float64), rec['data'], err_msg=what)


@pytest.mark.parametrize('case', OPS, ids=[c['id'] for c in OPS])
def test_creation_ops_match_mxnet(case):
    fn = getattr(mx.nd._internal, case['fn'].split('.')[1])
    if 'error' in case:
        with pytest.raises(MXNetError):
            fn(**case['kwargs'])
        return
    _check(fn(**case['kwargs']), case['outputs'][0], case['id'])


@pytest.mark.parametrize('case', SYMBOLS, ids=[c['id'] for c in SYMBOLS])
def test_symbol_functions_match_mxnet(case):
    fn = getattr(creation, case['fn'])
    args = [tuple(a) if isinstance(a, list) else a for a in case['args']]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case['kwargs'].items()}
    if case['id'].startswith('auto-'):
        with mx.name.NameManager():
            s = fn(*args, **kwargs)
    else:
        s = fn(*args, **kwargs)
    assert s.tojson() == case['json']
    assert s.list_outputs() == case['outputs']
    if 'eval' not in case:
        return
    shapes = s.infer_shape()
    assert [list(map(list, x)) for x in shapes] == case['shape']
    types = s.infer_type()
    assert [[np.dtype(t).name for t in x] for x in types] == case['type']
    _check(s.eval()[0], case['eval'], case['id'])


def test_composed_graph_matches_mxnet():
    s = mx.sym.broadcast_add(mx.sym.var('x'), creation.ones((1, 3), name='one'), name='plus')
    assert s.tojson() == COMPOSED['json']
    x = np.array(COMPOSED['eval_x']['data'])
    _check(s.eval(x=mx.nd.array(x))[0], COMPOSED['eval'], 'composed')
    # and the graph survives a JSON round trip
    again = mx.sym.load_json(s.tojson())
    np.testing.assert_array_equal(again.eval(x=mx.nd.array(x))[0].asnumpy(), x + 1)


def test_sym_namespace_offers_the_creation_functions():
    for name in creation.__all__:
        assert getattr(mx.sym, name) is getattr(creation, name), name


@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int32', 'int64', 'uint8'])
def test_arange_and_linspace_against_numpy(dtype):
    got = mx.nd._internal._arange(start=1, stop=40, step=3, dtype=dtype).asnumpy()
    np.testing.assert_array_equal(got, np.arange(1, 40, 3, dtype=dtype))
    got = mx.nd._internal._arange(start=4, repeat=3, dtype=dtype).asnumpy()
    np.testing.assert_array_equal(got, np.repeat(np.arange(4, dtype=dtype), 3))
    got = mx.nd._internal._linspace(start=-3, stop=9, num=13, dtype=dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got.asnumpy(), np.arange(-3, 10).astype(dtype))


def test_eye_against_numpy():
    for n, m, k in [(4, 0, 0), (3, 5, 2), (5, 3, -1), (2, 2, 3)]:
        got = mx.nd._internal._eye(N=n, M=m, k=k).asnumpy()
        np.testing.assert_array_equal(got, np.eye(n, m or n, k, dtype=np.float32))


def test_creation_ops_take_the_context():
    assert mx.nd._internal._ones(shape=(2,), ctx=mx.cpu(3)).context == mx.cpu(3)
    with mx.cpu(2):
        assert mx.nd._internal._zeros(shape=(2,)).context == mx.cpu(2)
        assert mx.nd._internal._eye(N=2).context == mx.cpu(2)


def test_zero_dimension_is_left_for_shape_inference():
    s = creation.zeros((0, 4), name='state')
    assert s.infer_shape_partial()[1] == [(0, 4)]
    with pytest.raises(MXNetError):
        s.eval()


def test_zeros_without_dtype():
    z = mx.nd._internal._zeros_without_dtype(shape=(2,))
    assert z.dtype == np.float32 and not z.asnumpy().any()
    assert mx.nd._internal._zeros_without_dtype(shape=(2,), dtype=1).dtype == np.float64
    s = mx.sym._internal._zeros_without_dtype(shape=(2, 2), name='z')
    assert json.loads(s.tojson())['nodes'][0]['attrs'] == {'shape': '(2, 2)'}
    with pytest.raises(MXNetError):
        mx.nd._internal._zeros_without_dtype(shape=(2,), dtype=99)
