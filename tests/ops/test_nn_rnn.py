"""The fused ``RNN`` operator (and ``_rnn_param_concat``) against MXNet 1.9.1 and against
an independent numpy reference.

MXNet values come from tests/fixtures/rnn.{json,npz} ('op:<case>|...' keys), recorded by
tests/fixtures/make_rnn.py in the MXNet 1.9.1 venv (cases in tests/fixtures/rnn_cases.py).
The numerical gradients of every mode are checked by tests/ops/test_gradcheck.py from
the operator's own samples.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
with open(os.path.join(FIXTURES, 'rnn.json')) as _f:
    TEXTS = json.load(_f)['ops']
ARRAYS = np.load(os.path.join(FIXTURES, 'rnn.npz'))
TOL = dict(rtol=2e-5, atol=2e-6)


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        'rnn_cases', os.path.join(FIXTURES, 'rnn_cases.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_CASES = _load_cases().OPS


def _case_attrs(name):
    return dict(_CASES[name], state_size=3, state_outputs=True)


@pytest.mark.parametrize('name', sorted(_CASES))
def test_rnn_op_against_mxnet(name):
    kw = _case_attrs(name)
    key = 'op:%s|' % name
    n_in = 4 if kw['mode'] == 'lstm' else 3
    nds = [mx.nd.array(ARRAYS[key + 'in%d' % i]) for i in range(n_in)]
    train = key + 'grad0' in ARRAYS.files
    for v in nds:
        v.attach_grad()
    with mx.autograd.record():
        ys = mx.nd.RNN(*nds, **kw)
    for i, y in enumerate(ys):
        np.testing.assert_allclose(y.asnumpy(), ARRAYS[key + 'out%d' % i], err_msg=str(i),
                                   **TOL)
    if train:
        mx.autograd.backward(ys, [mx.nd.array(ARRAYS[key + 'head%d' % i])
                                  for i in range(len(ys))])
        for i, v in enumerate(nds):
            np.testing.assert_allclose(v.grad.asnumpy(), ARRAYS[key + 'grad%d' % i],
                                       err_msg='grad %d' % i, **TOL)


@pytest.mark.parametrize('name', sorted(_CASES))
def test_rnn_symbol_shapes_against_mxnet(name):
    kw = _case_attrs(name)
    want = TEXTS[name]
    args = [mx.sym.var('data'), mx.sym.var('parameters'), mx.sym.var('state')]
    if kw['mode'] == 'lstm':
        args.append(mx.sym.var('state_cell'))
    s = mx.sym.RNN(*args, **kw)
    assert s.list_arguments() == want['arguments']
    assert [o.split('_', 1)[1] for o in s.list_outputs()] == \
        [o.split('_', 1)[1] for o in want['outputs']]
    arg_shapes, out_shapes, _ = s.infer_shape(data=tuple(want['arg_shapes'][0]))
    assert [list(a) for a in arg_shapes] == want['arg_shapes']
    assert [list(o) for o in out_shapes] == want['out_shapes']


def _numpy_gru(x, h, wi, wh, bi, bh):
    """Independent reference: one GRU direction, cuDNN's variant (gates r, z, n)."""
    def sig(v):
        return 1 / (1 + np.exp(-v))
    outs = []
    for t in range(x.shape[0]):
        gi = x[t] @ wi.T + bi
        gh = h @ wh.T + bh
        r = sig(gi[:, :3] + gh[:, :3])
        z = sig(gi[:, 3:6] + gh[:, 3:6])
        n = np.tanh(gi[:, 6:] + r * gh[:, 6:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs), h


def test_gru_packed_layout_against_numpy():
    rng = np.random.RandomState(0)
    T, N, I, H = 5, 2, 4, 3
    wi, wh = rng.uniform(-1, 1, (9, I)), rng.uniform(-1, 1, (9, H))
    bi, bh = rng.uniform(-1, 1, 9), rng.uniform(-1, 1, 9)
    x, h0 = rng.uniform(-1, 1, (T, N, I)), rng.uniform(-1, 1, (1, N, H))
    params = np.concatenate([wi.ravel(), wh.ravel(), bi, bh])
    out, hn = mx.nd.RNN(mx.nd.array(x, dtype='float64'), mx.nd.array(params, dtype='float64'),
                        mx.nd.array(h0, dtype='float64'), state_size=H, num_layers=1,
                        mode='gru', state_outputs=True)
    ref, href = _numpy_gru(x, h0[0], wi, wh, bi, bh)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(hn.asnumpy()[0], href, rtol=1e-12)
    assert out.dtype == np.float64


def test_outputs_without_state_outputs_and_names():
    x = mx.nd.ones((2, 1, 2))
    p = mx.nd.ones((4 * 2 * (2 + 2 + 2),)) * 0.1
    y = mx.nd.RNN(x, p, mx.nd.zeros((1, 1, 2)), mx.nd.zeros((1, 1, 2)), state_size=2,
                  num_layers=1, mode='lstm')
    assert isinstance(y, mx.nd.NDArray) and y.shape == (2, 1, 2)
    s = mx.sym.RNN(mx.sym.var('d'), mx.sym.var('p'), mx.sym.var('h'), mx.sym.var('c'),
                   state_size=2, num_layers=1, mode='lstm', state_outputs=True, name='r')
    assert s.list_outputs() == ['r_output', 'r_state_output', 'r_statecell_output']


def test_errors():
    x = mx.nd.ones((2, 1, 2))
    h = mx.nd.zeros((1, 1, 2))
    with pytest.raises(MXNetError, match='expects 4 inputs'):
        mx.nd.RNN(x, mx.nd.ones((48,)), h, state_size=2, num_layers=1, mode='lstm')
    with pytest.raises(MXNetError, match='Shape inconsistent'):
        mx.nd.RNN(x, mx.nd.ones((10,)), h, h, state_size=2, num_layers=1, mode='lstm')
    with pytest.raises(MXNetError, match='Shape inconsistent'):
        mx.nd.RNN(x, mx.nd.ones((48,)), mx.nd.zeros((1, 2, 2)), h, state_size=2,
                  num_layers=1, mode='lstm')
    with pytest.raises(MXNetError, match='mode'):
        mx.nd.RNN(x, mx.nd.ones((48,)), h, state_size=2, num_layers=1, mode='foo')
    with pytest.raises(MXNetError, match='projection_size'):
        mx.nd.RNN(x, mx.nd.ones((48,)), h, state_size=2, num_layers=1, mode='gru',
                  projection_size=1)


def test_sequence_length_masks_and_freezes_states():
    rng = np.random.RandomState(1)
    T, N, I, H = 4, 3, 2, 2
    size = 2 * (3 * H * (I + H) + 6 * H)
    x = mx.nd.array(rng.uniform(-1, 1, (T, N, I)))
    p = mx.nd.array(rng.uniform(-1, 1, size))
    h0 = mx.nd.array(rng.uniform(-1, 1, (2, N, H)))
    kw = dict(state_size=H, num_layers=1, mode='gru', bidirectional=True, state_outputs=True)
    out, hn = mx.nd.RNN(x, p, h0, mx.nd.array([4, 2, 1]), use_sequence_length=True, **kw)
    for b, n in enumerate([4, 2, 1]):
        ob, hb = mx.nd.RNN(x[:n, b:b + 1], p, h0[:, b:b + 1], **kw)
        np.testing.assert_allclose(out.asnumpy()[:n, b], ob.asnumpy()[:, 0], **TOL)
        np.testing.assert_allclose(hn.asnumpy()[:, b], hb.asnumpy()[:, 0], **TOL)
        assert not out.asnumpy()[n:, b].any()


def test_state_clip_bounds_the_cell():
    rng = np.random.RandomState(2)
    x = mx.nd.array(rng.uniform(-3, 3, (5, 2, 2)))
    p = mx.nd.array(rng.uniform(-2, 2, (4 * 2 * 6,)))
    z = mx.nd.zeros((1, 2, 2))
    kw = dict(state_size=2, num_layers=1, mode='lstm', state_outputs=True)
    _, _, c = mx.nd.RNN(x, p, z, z, **kw)
    assert np.abs(c.asnumpy()).max() > 0.2
    _, _, c = mx.nd.RNN(x, p, z, z, lstm_state_clip_min=-0.2, lstm_state_clip_max=0.2, **kw)
    assert np.abs(c.asnumpy()).max() <= 0.2 + 1e-7


def test_dropout_between_layers_only_when_training():
    rng = np.random.RandomState(3)
    T, N, I, H = 6, 4, 3, 5
    size = 3 * H * I + 3 * H * H + 3 * H * H + 3 * H * H + 4 * 3 * H
    args = [mx.nd.array(rng.uniform(-1, 1, (T, N, I))), mx.nd.array(rng.uniform(-1, 1, size)),
            mx.nd.zeros((2, N, H))]
    kw = dict(state_size=H, num_layers=2, mode='gru', p=0.5)
    a = mx.nd.RNN(*args, **kw).asnumpy()
    np.testing.assert_array_equal(a, mx.nd.RNN(*args, p=0.0, state_size=H, num_layers=2,
                                               mode='gru').asnumpy())
    with mx.autograd.train_mode():
        b = mx.nd.RNN(*args, **kw).asnumpy()
    assert not np.allclose(a, b)


def test_param_concat():
    a, b = mx.nd.ones((2, 3)), mx.nd.zeros((2,))
    y = mx.nd._internal._rnn_param_concat(a.reshape(-1), b, dim=0)
    np.testing.assert_array_equal(y.asnumpy(), [1, 1, 1, 1, 1, 1, 0, 0])
