"""Neural-network operators (nn_basic, nn_softmax, nn_norm) driven through ``mx.nd``.

Values and gradients are checked against MXNet 1.9.1 fixtures (tests/fixtures/nn_ops.*,
produced by tests/fixtures/make_nn_ops.py) and against numpy references written here.
"""
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.ops.registry import get_op

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures')
with open(os.path.join(FIX, 'nn_ops.json')) as _f:
    CASES = json.load(_f)['cases']
DATA = np.load(os.path.join(FIX, 'nn_ops.npz'))
# Cases whose MXNet gradient is not the derivative of its forward; distgluon fixes them
# (see the ops' Notes) and tests/ops/test_gradcheck.py checks the derivative instead.
MXNET_GRAD_BUGS = {'lrelu_selu', 'softmax_act_instance'}


def _ctx(train):
    return mx.autograd.train_mode() if train else mx.autograd.predict_mode()


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_matches_mxnet(case):
    """Replay one recorded MXNet call: outputs, input gradients, inputs afterwards."""
    name = case['name']
    raw = [DATA['{}:in{}'.format(name, i)] for i in range(case['n_inputs'])]
    nd = [mx.nd.array(x, dtype=x.dtype) for x in raw]
    for i in case['wrt']:
        nd[i].attach_grad()
    fn = getattr(mx.nd, case['op'])
    if case['wrt']:
        with mx.autograd.record(train_mode=case['train']):
            outs = fn(*nd, **case['attrs'])
    else:
        with _ctx(case['train']):
            outs = fn(*nd, **case['attrs'])
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == case['n_outputs']
    for i, o in enumerate(outs):
        want = DATA['{}:out{}'.format(name, i)]
        assert o.shape == want.shape and o.dtype == want.dtype, (name, i)
        np.testing.assert_allclose(o.asnumpy(), want, rtol=1e-4, atol=1e-5,
                                   err_msg='{} output {}'.format(name, i))
    if case['wrt']:
        heads = [mx.nd.array(DATA['{}:head{}'.format(name, i)], dtype=o.dtype)
                 for i, o in enumerate(outs)]
        mx.autograd.backward(outs, heads, train_mode=case['bwd_train'])
        for i in case['wrt']:
            if name in MXNET_GRAD_BUGS:
                continue
            np.testing.assert_allclose(nd[i].grad.asnumpy(), DATA['{}:grad{}'.format(name, i)],
                                       rtol=1e-4, atol=1e-5,
                                       err_msg='{} gradient of input {}'.format(name, i))
    for i, x in enumerate(nd):
        np.testing.assert_allclose(x.asnumpy(), DATA['{}:after{}'.format(name, i)],
                                   rtol=1e-5, atol=1e-6,
                                   err_msg='{} input {} after the call'.format(name, i))


# ------------------------------------------------------------------ BatchNorm
def _bn_arrays(seed=0, shape=(4, 3, 2)):
    rng = np.random.default_rng(seed)
    c = shape[1]
    return (rng.normal(size=shape), rng.uniform(0.5, 1.5, c), rng.normal(size=c),
            rng.uniform(-0.5, 0.5, c), rng.uniform(0.5, 2, c))


def test_batchnorm_moving_stats_update_in_backward_only():
    x, g, b, mm, mv = _bn_arrays()
    arrs = [mx.nd.array(v) for v in (x, g, b, mm, mv)]
    arrs[0].attach_grad()
    with mx.autograd.record():
        y = mx.nd.BatchNorm(*arrs, fix_gamma=False, momentum=0.8)
    np.testing.assert_allclose(arrs[3].asnumpy(), mm.astype(np.float32))
    np.testing.assert_allclose(arrs[4].asnumpy(), mv.astype(np.float32))
    y.backward()
    mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))     # biased variance
    np.testing.assert_allclose(arrs[3].asnumpy(), mm * 0.8 + mean * 0.2, rtol=1e-5)
    np.testing.assert_allclose(arrs[4].asnumpy(), mv * 0.8 + var * 0.2, rtol=1e-5)
    xhat = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-3)
    np.testing.assert_allclose(y.asnumpy(), xhat * g[:, None] + b[:, None], rtol=1e-4,
                               atol=1e-5)


def test_batchnorm_forward_in_train_mode_keeps_moving_stats_and_uses_batch_stats():
    x, g, b, mm, mv = _bn_arrays(1)
    arrs = [mx.nd.array(v) for v in (x, g, b, mm, mv)]
    with mx.autograd.train_mode():
        y = mx.nd.BatchNorm(*arrs, fix_gamma=False)
    np.testing.assert_allclose(arrs[3].asnumpy(), mm.astype(np.float32))
    ref = (x - x.mean((0, 2))[:, None]) / np.sqrt(x.var((0, 2))[:, None] + 1e-3)
    np.testing.assert_allclose(y.asnumpy(), ref * g[:, None] + b[:, None], rtol=1e-4, atol=1e-5)
    y = mx.nd.BatchNorm(*arrs, fix_gamma=False)     # predict: moving statistics
    ref = (x - mm[:, None]) / np.sqrt(mv[:, None] + 1e-3)
    np.testing.assert_allclose(y.asnumpy(), ref * g[:, None] + b[:, None], rtol=1e-4, atol=1e-5)


def test_batchnorm_fix_gamma_and_output_mean_var():
    x, g, b, mm, mv = _bn_arrays(2)
    arrs = [mx.nd.array(v) for v in (x, g, b, mm, mv)]
    arrs[1].attach_grad()
    with mx.autograd.record():
        out, mean, invstd = mx.nd.BatchNorm(*arrs, output_mean_var=True)
    out.backward()
    assert arrs[1].grad.asnumpy().tolist() == [0, 0, 0]
    np.testing.assert_allclose(mean.asnumpy(), x.mean((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(invstd.asnumpy(), 1 / np.sqrt(x.var((0, 2)) + 1e-3), rtol=1e-5)
    assert isinstance(mx.nd.BatchNorm(*arrs), mx.nd.NDArray)


def test_batchnorm_errors_and_shape_inference():
    x, g, b, mm, mv = (mx.nd.array(v) for v in _bn_arrays())
    with pytest.raises(MXNetError, match=r'gamma has shape \(2,\)'):
        mx.nd.BatchNorm(x, mx.nd.ones(2), b, mm, mv)
    op = get_op('BatchNorm')
    a = op.parse({'axis': -1})
    ins, outs = op.infer_shape(a, [(4, 3, 5), None, (0,), None, None])
    assert ins[1:] == [(5,)] * 4 and outs == [(4, 3, 5)]


# ------------------------------------------------------------------ Dropout
def test_dropout_modes():
    x = mx.nd.ones((200, 50))
    assert (mx.nd.Dropout(x, p=0.5).asnumpy() == 1).all()           # predict: identity
    with mx.autograd.train_mode():                                   # no record needed
        y = mx.nd.Dropout(x, p=0.3).asnumpy()
    values = np.unique(y)
    assert len(values) == 2 and values[0] == 0 and np.isclose(values[1], 1 / 0.7)
    assert abs((y == 0).mean() - 0.3) < 0.03
    y = mx.nd.Dropout(x, p=0.5, mode='always').asnumpy()
    assert abs((y == 0).mean() - 0.5) < 0.03
    with mx.autograd.train_mode():
        assert (mx.nd.Dropout(x, p=0.0).asnumpy() == 1).all()
        y = mx.nd.Dropout(mx.nd.ones((4, 30, 5)), p=0.5, axes=(1,)).asnumpy()
    assert (y == y[:, :1, :]).all() and 0 < (y == 0).mean() < 1


def test_dropout_backward_reuses_forward_mask():
    x = mx.nd.array(np.random.default_rng(0).uniform(1, 2, size=(30, 40)))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Dropout(x, p=0.4)
    head = np.random.default_rng(1).uniform(1, 2, size=(30, 40))
    y.backward(mx.nd.array(head))
    mask = y.asnumpy() / x.asnumpy()
    assert 0 < (mask == 0).mean() < 1
    np.testing.assert_allclose(x.grad.asnumpy(), head * mask, rtol=1e-5)


# ------------------------------------------------------------------ LeakyReLU rrelu
def test_rrelu_training_draws_slopes_in_bounds():
    x = mx.nd.array(-np.ones((50, 20)))
    x.attach_grad()
    with mx.autograd.record():
        y, mask = mx.nd.LeakyReLU(x, act_type='rrelu', lower_bound=0.1, upper_bound=0.3)
    y.backward()
    m = mask.asnumpy()
    assert (m >= 0.1).all() and (m <= 0.3).all() and m.std() > 0.02
    np.testing.assert_allclose(y.asnumpy(), -m)
    np.testing.assert_allclose(x.grad.asnumpy(), m)


def test_prelu_errors():
    x = mx.nd.ones((2, 3, 4))
    with pytest.raises(MXNetError, match='gamma'):
        mx.nd.LeakyReLU(x, act_type='prelu')
    with pytest.raises(MXNetError, match=r'gamma has shape \(2,\)'):
        mx.nd.LeakyReLU(x, mx.nd.ones(2), act_type='prelu')


# ------------------------------------------------------------------ FullyConnected
def test_fully_connected_flatten_false_matches_numpy():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4)), rng.normal(size=5)
    y = mx.nd.FullyConnected(mx.nd.array(x), mx.nd.array(w), mx.nd.array(b), num_hidden=5,
                             flatten=False)
    assert y.shape == (2, 3, 5)
    np.testing.assert_allclose(y.asnumpy(), np.einsum('abi,hi->abh', x, w) + b, rtol=1e-5)


def test_fully_connected_shape_errors():
    x = mx.nd.ones((2, 3, 4))
    with pytest.raises(MXNetError, match=r'Provided = \[5, 4\].*\(5, 12\)'):
        mx.nd.FullyConnected(x, mx.nd.ones((5, 4)), mx.nd.ones(5), num_hidden=5)
    with pytest.raises(MXNetError, match='bias'):
        mx.nd.FullyConnected(x, mx.nd.ones((5, 12)), mx.nd.ones(4), num_hidden=5)
    with pytest.raises(MXNetError, match='expects 3 inputs, but got 2'):
        mx.nd.FullyConnected(x, mx.nd.ones((5, 12)), num_hidden=5)
    with pytest.raises(MXNetError, match='expects 2 inputs, but got 3'):
        mx.nd.FullyConnected(x, mx.nd.ones((5, 12)), mx.nd.ones(5), num_hidden=5, no_bias=True)


def test_fully_connected_infers_deferred_weight_shape():
    op = get_op('FullyConnected')
    ins, outs = op.infer_shape(op.parse({'num_hidden': 7}), [(8, 2, 3), (7, 0), None])
    assert ins == [(8, 2, 3), (7, 6), (7,)] and outs == [(8, 7)]
    ins, outs = op.infer_shape(op.parse({'num_hidden': 7, 'flatten': False, 'no_bias': True}),
                               [(8, 2, 3), None])
    assert ins == [(8, 2, 3), (7, 3)] and outs == [(8, 2, 7)]


# ------------------------------------------------------------------ Embedding
def test_embedding_clips_indices_and_scatters_gradient():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    weight = mx.nd.array(w)
    weight.attach_grad()
    idx = mx.nd.array([[7, -3], [1, 1]])
    with mx.autograd.record():
        y = mx.nd.Embedding(idx, weight, input_dim=4, output_dim=3)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), w[[[3, 0], [1, 1]]])
    np.testing.assert_array_equal(weight.grad.asnumpy()[:, 0], [1, 2, 0, 1])
    with pytest.raises(MXNetError, match=r'Provided = \[5, 3\].*\(4, 3\)'):
        mx.nd.Embedding(idx, mx.nd.ones((5, 3)), input_dim=4, output_dim=3)
    op = get_op('Embedding')
    ins, outs = op.infer_shape(op.parse({'input_dim': 10, 'output_dim': 2}), [(3, 4), None])
    assert ins[1] == (10, 2) and outs == [(3, 4, 2)]


# ------------------------------------------------------------------ loss heads
def test_softmax_output_ignores_head_gradient():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 4))
    label = np.array([1, 3, 0])
    data = mx.nd.array(x)
    data.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SoftmaxOutput(data, mx.nd.array(label), grad_scale=3.0)
    y.backward(mx.nd.array(rng.normal(size=(3, 4))))
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(y.asnumpy(), p, rtol=1e-5)
    np.testing.assert_allclose(data.grad.asnumpy(), 3 * (p - np.eye(4)[label]), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(MXNetError, match='label'):
        mx.nd.SoftmaxOutput(data, mx.nd.array([1, 2]))


def test_softmax_cross_entropy_is_batch_sum():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    y = mx.nd.softmax_cross_entropy(mx.nd.array(x), mx.nd.array([2, 0]))
    ref = -(x[[0, 1], [2, 0]] - np.log(np.exp(x).sum(1))).sum()
    assert y.shape == (1,)
    np.testing.assert_allclose(y.asnumpy(), [ref], rtol=1e-6)


def test_softmax_length_needs_integer_lengths():
    with pytest.raises(MXNetError, match='integer'):
        mx.nd.softmax(mx.nd.ones((2, 3)), mx.nd.array([1, 2]), use_length=True)
