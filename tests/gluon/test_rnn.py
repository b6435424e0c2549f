"""gluon.rnn (cells and fused layers) driven as a user would, against MXNet 1.9.1.

The fixtures tests/fixtures/rnn.{json,npz} were recorded by tests/fixtures/make_rnn.py in
the MXNet 1.9.1 venv; the cases and the user-level steps (build, initialize, first
forward, set_data, record/backward) live in tests/fixtures/rnn_cases.py, so both sides
run exactly the same code.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon.gluon import nn, rnn

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        'rnn_cases', os.path.join(FIXTURES, 'rnn_cases.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


C = _load_cases()
with open(os.path.join(FIXTURES, 'rnn.json')) as _f:
    TEXTS = json.load(_f)
ARRAYS = np.load(os.path.join(FIXTURES, 'rnn.npz'))

# The lead registers ``from . import rnn`` in distgluon/gluon/__init__.py; until then make
# mx.gluon.rnn reachable for the shared case code.
mx.gluon.rnn = rnn
mx.gluon.nn = nn

TOL = dict(rtol=2e-5, atol=2e-6)


def _arrays(prefix):
    return {k[len(prefix):]: ARRAYS[k] for k in ARRAYS.files if k.startswith(prefix)}


@pytest.mark.parametrize('name', sorted(C.LAYERS))
def test_layer_against_mxnet(name):
    expr, _, with_states, grads = C.LAYERS[name]
    key = 'layer:%s|' % name
    got = _arrays(key)
    x = got['x']
    states = [got['s%d' % i] for i in range(3) if 's%d' % i in got] if with_states else None
    values = {k[2:]: v for k, v in got.items() if k.startswith('p|')}
    heads = [got['head%d' % i] for i in range(3) if 'head%d' % i in got]
    info, res, _ = C.drive_layer(mx, expr, x, states, values, heads, grads)
    want = TEXTS['layers'][name]
    assert info == want
    expected = {k: v for k, v in got.items()
                if k in ('out',) or k.startswith(('state', 'grad'))}
    assert sorted(res) == sorted(expected)
    for k, v in expected.items():
        np.testing.assert_allclose(res[k], v, err_msg=k, **TOL)


@pytest.mark.parametrize('name', sorted(C.CELLS))
def test_cell_unroll_against_mxnet(name):
    kind, _, kwargs, valid = C.CELLS[name]
    got = _arrays('cell:%s|' % name)
    values = {k[2:]: v for k, v in got.items() if k.startswith('p|')}
    heads = [got['head%d' % i] for i in range(20) if 'head%d' % i in got]
    info, res, _ = C.drive_cell(mx, kind, got['x'], kwargs, valid, values, heads)
    assert info == TEXTS['cells'][name]
    expected = {k: v for k, v in got.items() if k.startswith(('out', 'state', 'grad'))}
    assert sorted(res) == sorted(expected)
    for k, v in expected.items():
        np.testing.assert_allclose(res[k], v, err_msg=k, **TOL)


def test_naming_reprs_state_info_against_mxnet():
    _, got = C.naming(mx)
    want = TEXTS['naming']
    assert got['prefixes'] == want['prefixes']
    assert got['params'] == want['params']
    assert got['repr'] == want['repr']
    assert got['begin_state'] == want['begin_state']
    assert got['state_info'] == want['state_info']


def test_save_parameters_keys_against_mxnet(tmp_path):
    assert C.save_keys(mx, str(tmp_path / 'k.params')) == TEXTS['save_keys']


def test_errors_against_mxnet():
    got, want = C.errors(mx), TEXTS['errors']
    assert sorted(got) == sorted(want)
    for name, (kind, text) in want.items():
        assert got[name][0] == kind, name
        if kind != 'MXNetError':
            assert got[name][1] == text, name
        else:
            assert 'Shape inconsistent' in got[name][1], name


# ---------------------------------------------------------------- beyond the fixtures
def _numpy_lstm(x, h, c, wi, wh, bi, bh):
    """Independent reference: one LSTM direction over (T, N, C), gates i, f, g, o."""
    def sig(v):
        return 1 / (1 + np.exp(-v))
    outs = []
    for t in range(x.shape[0]):
        z = x[t] @ wi.T + bi + h @ wh.T + bh
        i, f, g, o = np.split(z, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def test_layer_matches_its_unfused_cells_and_numpy():
    rng = np.random.RandomState(3)
    layer = rnn.LSTM(3, input_size=4, prefix='cmp_')
    layer.initialize(mx.init.Uniform(0.5))
    x = rng.uniform(-1, 1, (5, 2, 4)).astype(np.float32)
    h0 = rng.uniform(-1, 1, (1, 2, 3)).astype(np.float32)
    c0 = rng.uniform(-1, 1, (1, 2, 3)).astype(np.float32)
    out, (hn, cn) = layer(mx.nd.array(x), [mx.nd.array(h0), mx.nd.array(c0)])
    p = {k[len('cmp_'):]: v.data().asnumpy() for k, v in layer.collect_params().items()}
    ref, href, cref = _numpy_lstm(x.astype(np.float64), h0[0], c0[0], p['l0_i2h_weight'],
                                  p['l0_h2h_weight'], p['l0_i2h_bias'], p['l0_h2h_bias'])
    np.testing.assert_allclose(out.asnumpy(), ref, **TOL)
    np.testing.assert_allclose(hn.asnumpy()[0], href, **TOL)
    np.testing.assert_allclose(cn.asnumpy()[0], cref, **TOL)
    stack = layer._unfuse()
    outs, states = stack.unroll(5, mx.nd.array(x), [mx.nd.array(h0[0]), mx.nd.array(c0[0])],
                                layout='TNC', merge_outputs=True)
    np.testing.assert_allclose(outs.asnumpy(), ref, **TOL)


def test_layer_load_parameters_roundtrip(tmp_path):
    a = rnn.GRU(3, num_layers=2, bidirectional=True, input_size=2, prefix='ga_')
    a.initialize(mx.init.Uniform(0.5))
    path = str(tmp_path / 'g.params')
    a.save_parameters(path)
    b = rnn.GRU(3, num_layers=2, bidirectional=True, prefix='gb_')
    b.load_parameters(path)
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (4, 2, 2)))
    np.testing.assert_array_equal(a(x).asnumpy(), b(x).asnumpy())


def test_layer_dropout_only_in_training():
    mx.random.seed(5)
    layer = rnn.LSTM(4, num_layers=2, dropout=0.5, input_size=3)
    layer.initialize(mx.init.Uniform(0.5))
    x = mx.nd.array(np.random.RandomState(1).uniform(-1, 1, (6, 5, 3)))
    a, b = layer(x).asnumpy(), layer(x).asnumpy()
    np.testing.assert_array_equal(a, b)
    with mx.autograd.record():
        c = layer(x)
    c.backward()
    assert not np.allclose(c.asnumpy(), a)
    g = layer.collect_params()[layer.prefix + 'l1_i2h_weight'].grad().asnumpy()
    # a column of the second layer's input weight sees 0 gradient only where its input
    # unit was dropped at every step; with 30 draws at p=0.5 some weights must differ
    assert np.isfinite(g).all() and np.abs(g).sum() > 0


def test_layer_states_and_layouts():
    layer = rnn.GRU(3, layout='NTC', input_size=2)
    layer.initialize()
    x = mx.nd.ones((4, 5, 2))      # N=4, T=5
    out = layer(x)
    assert out.shape == (4, 5, 3)
    h0 = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (1, 4, 3)))
    out, states = layer(x, [h0])
    assert isinstance(states, list) and states[0].shape == (1, 4, 3)
    assert out.shape == (4, 5, 3)
    out2, _ = layer(x, h0)       # a single state array is accepted
    np.testing.assert_array_equal(out.asnumpy(), out2.asnumpy())
    # the last step's output is the final state
    np.testing.assert_array_equal(out.asnumpy()[:, -1], states[0].asnumpy()[0])


def test_cell_step_by_step_equals_unroll():
    cell = rnn.GRUCell(3, input_size=2)
    cell.initialize()
    x = mx.nd.array(np.random.RandomState(2).uniform(-1, 1, (2, 4, 2)))
    outs, states = cell.unroll(4, x, merge_outputs=False)
    s = cell.begin_state(batch_size=2)
    for t in range(4):
        o, s = cell(x[:, t, :], s)
        np.testing.assert_allclose(o.asnumpy(), outs[t].asnumpy(), **TOL)
    np.testing.assert_allclose(s[0].asnumpy(), states[0].asnumpy(), **TOL)


def test_sequence_length_layer_equals_per_item_runs():
    """With use_sequence_length every item behaves as if run alone on its own steps."""
    rng = np.random.RandomState(4)
    net = rnn.LSTM(3, bidirectional=True, input_size=2, use_sequence_length=True,
                   prefix='v_')
    ref = rnn.LSTM(3, bidirectional=True, input_size=2, prefix='vr_',
                   params=net.collect_params())
    net.initialize(mx.init.Uniform(0.5))
    x = rng.uniform(-1, 1, (5, 3, 2)).astype(np.float32)
    lengths = [5, 2, 3]
    out, (h, c) = net(mx.nd.array(x), net.begin_state(3), mx.nd.array(lengths))
    for b, n in enumerate(lengths):
        o, (hb, cb) = ref(mx.nd.array(x[:n, b:b + 1]), ref.begin_state(1))
        np.testing.assert_allclose(out.asnumpy()[:n, b], o.asnumpy()[:, 0], **TOL)
        assert not out.asnumpy()[n:, b].any()
        np.testing.assert_allclose(h.asnumpy()[:, b], hb.asnumpy()[:, 0], **TOL)
        np.testing.assert_allclose(c.asnumpy()[:, b], cb.asnumpy()[:, 0], **TOL)


def test_hybridized_layer_and_cells_give_the_same_values():
    x = mx.nd.array(np.random.RandomState(5).uniform(-1, 1, (4, 2, 2)))
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=2)
    layer.initialize()
    before = layer(x).asnumpy()
    layer.hybridize()
    np.testing.assert_array_equal(layer(x).asnumpy(), before)
    stack = rnn.HybridSequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(3))
        stack.add(rnn.GRUCell(2))
    stack.initialize()
    out, _ = stack.unroll(4, x, layout='TNC', merge_outputs=True)
    stack.hybridize()
    out2, states = stack.unroll(4, x, layout='TNC', merge_outputs=True)
    np.testing.assert_array_equal(out.asnumpy(), out2.asnumpy())
    assert [s.shape for s in states] == [(2, 3), (2, 3), (2, 2)]


def test_float64_layer():
    layer = rnn.GRU(3, input_size=2, dtype='float64')
    layer.initialize()
    out = layer(mx.nd.ones((3, 2, 2), dtype='float64'))
    assert out.dtype == np.float64
    lstm = rnn.LSTM(3)
    lstm.initialize()
    lstm.cast('float64')
    out, states = lstm(mx.nd.ones((3, 2, 2), dtype='float64'),
                       lstm.begin_state(2, dtype='float64'))
    assert out.dtype == np.float64 and states[1].dtype == np.float64
