"""Convolution, Deconvolution, Pooling and UpSampling through ``mx.nd``.

Oracles: MXNet 1.9.1 outputs and gradients recorded in tests/fixtures/conv_pool.npz
(made by tests/fixtures/make_conv_pool.py), a direct-sum numpy convolution written
without im2col, and the adjoint identity between Convolution and Deconvolution.
"""
import itertools
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.ops.registry import get_op

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'conv_pool.npz')
with np.load(FIXTURE) as _f:
    DATA = {k: _f[k] for k in _f.files}
CASE_NAMES = sorted({k.split('/')[0] for k in DATA})


def _run(op, inputs, attrs, head=None):
    xs = [mx.nd.array(x, dtype=x.dtype) for x in inputs]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, op)(*xs, **attrs)
    if head is not None:
        y.backward(mx.nd.array(head, dtype=y.dtype))
    return y.asnumpy(), [x.grad.asnumpy() for x in xs]


@pytest.mark.parametrize('name', CASE_NAMES)
def test_matches_mxnet(name):
    spec = json.loads(str(DATA[name + '/attrs']))
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec['attrs'].items()}
    inputs = []
    while '{}/x{}'.format(name, len(inputs)) in DATA:
        inputs.append(DATA['{}/x{}'.format(name, len(inputs))])
    head = DATA.get(name + '/hg')
    y, grads = _run(spec['op'], inputs, attrs, head)
    want = DATA[name + '/y']
    assert y.shape == want.shape and y.dtype == want.dtype
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5, err_msg=name)
    if head is not None:
        for i, g in enumerate(grads):
            np.testing.assert_allclose(g, DATA['{}/g{}'.format(name, i)], rtol=1e-4,
                                       atol=1e-5, err_msg='{} input {}'.format(name, i))


# ------------------------------------------------------------------ independent numpy oracle
def _naive_conv(x, w, b, stride, dilate, pad, groups):
    """Direct sum over every output position (no im2col, no strides tricks)."""
    nd = x.ndim - 2
    xpad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    K = w.shape[2:]
    dk = [d * (k - 1) + 1 for k, d in zip(K, dilate)]
    out = [(n - k) // s + 1 for n, k, s in zip(xpad.shape[2:], dk, stride)]
    N, F = x.shape[0], w.shape[0]
    cg, fg = x.shape[1] // groups, F // groups
    y = np.zeros((N, F) + tuple(out))
    for o in itertools.product(*map(range, out)):
        win = tuple(slice(oi * s, oi * s + k, d) for oi, s, k, d in zip(o, stride, dk, dilate))
        for g in range(groups):
            patch = xpad[(slice(None), slice(g * cg, (g + 1) * cg)) + win]
            y[(slice(None), slice(g * fg, (g + 1) * fg)) + o] = np.tensordot(
                patch, w[g * fg:(g + 1) * fg], axes=(list(range(1, nd + 2)),
                                                     list(range(1, nd + 2))))
    if b is not None:
        y += b.reshape((F,) + (1,) * nd)
    return y


CONV_CONFIGS = [
    ((2, 4, 7), (6, 2, 3), dict(stride=(2,), dilate=(1,), pad=(1,)), 2),
    ((1, 3, 6, 7), (4, 3, 3, 2), dict(stride=(1, 2), dilate=(2, 1), pad=(2, 0)), 1),
    ((2, 6, 5, 5), (6, 1, 3, 3), dict(stride=(2, 2), dilate=(1, 1), pad=(1, 1)), 6),
    ((1, 2, 4, 5, 4), (4, 1, 2, 2, 3), dict(stride=(2, 1, 1), dilate=(1, 2, 1),
                                            pad=(0, 1, 1)), 2),
]


@pytest.mark.parametrize('xshape,wshape,geo,groups', CONV_CONFIGS)
def test_convolution_matches_direct_sum(xshape, wshape, geo, groups):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=xshape), rng.normal(size=wshape), rng.normal(size=wshape[0])
    y = mx.nd.Convolution(mx.nd.array(x, dtype='float64'), mx.nd.array(w, dtype='float64'),
                          mx.nd.array(b, dtype='float64'), kernel=wshape[2:],
                          num_filter=wshape[0], num_group=groups, **geo)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.asnumpy(), _naive_conv(x, w, b, groups=groups, **geo),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('xshape,wshape,geo,groups', CONV_CONFIGS)
def test_deconvolution_is_the_adjoint_of_convolution(xshape, wshape, geo, groups):
    """<conv(x; w), y> == <x, deconv(y; w)> with the same weight array."""
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=xshape), rng.normal(size=wshape)
    X, W = mx.nd.array(x, dtype='float64'), mx.nd.array(w, dtype='float64')
    cy = mx.nd.Convolution(X, W, kernel=wshape[2:], num_filter=wshape[0], num_group=groups,
                           no_bias=True, **geo)
    y = rng.normal(size=cy.shape)
    spatial = xshape[2:]
    full = [s * (n - 1) + d * (k - 1) + 1 - 2 * p for n, s, d, k, p in zip(
        cy.shape[2:], geo['stride'], geo['dilate'], wshape[2:], geo['pad'])]
    adj = tuple(n - f for n, f in zip(spatial, full))
    dx = mx.nd.Deconvolution(mx.nd.array(y, dtype='float64'), W, kernel=wshape[2:],
                             num_filter=xshape[1], num_group=groups, adj=adj, **geo)
    assert dx.shape == xshape
    np.testing.assert_allclose(np.sum(cy.asnumpy() * y), np.sum(x * dx.asnumpy()),
                               rtol=1e-10)


# ------------------------------------------------------------------ calling conventions, dtypes
def test_positional_attributes_and_no_bias():
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.normal(size=(2, 4, 5, 5)))
    w = mx.nd.array(rng.normal(size=(6, 2, 3, 3)))
    b = mx.nd.array(rng.normal(size=(6,)))
    y1 = mx.nd.Convolution(x, w, b, (3, 3), (1, 1), (1, 1), (1, 1), 6, 2)
    y2 = mx.nd.Convolution(data=x, weight=w, bias=b, kernel=(3, 3), pad=(1, 1),
                           num_filter=6, num_group=2)
    assert y1.shape == (2, 6, 5, 5)
    np.testing.assert_allclose(y1.asnumpy(), y2.asnumpy(), rtol=1e-6)
    y3 = mx.nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=6, num_group=2,
                           no_bias=True)
    np.testing.assert_allclose(y3.asnumpy() + b.asnumpy()[:, None, None], y2.asnumpy(),
                               rtol=1e-5, atol=1e-6)
    w.attach_grad()
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=6, num_group=2, no_bias=True)
    y.backward()
    assert w.grad.shape == w.shape and x.grad.shape == x.shape


@pytest.mark.parametrize('dtype', ['float64', 'float16', 'int32'])
def test_convolution_keeps_dtype(dtype):
    x = mx.nd.array(np.arange(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) % 5, dtype=dtype)
    w = mx.nd.array(np.arange(3 * 2 * 2 * 2).reshape(3, 2, 2, 2) % 3 - 1, dtype=dtype)
    b = mx.nd.array([1, 2, 3], dtype=dtype)
    y = mx.nd.Convolution(x, w, b, kernel=(2, 2), num_filter=3)
    assert y.dtype == np.dtype(dtype)
    want = _naive_conv(x.asnumpy().astype(np.float64), w.asnumpy().astype(np.float64),
                       b.asnumpy().astype(np.float64), (1, 1), (1, 1), (0, 0), 1)
    np.testing.assert_allclose(y.asnumpy().astype(np.float64), want, rtol=1e-3)


def test_pooling_channel_last_layout_equals_transposed_channel_first():
    x = np.random.default_rng(1).normal(size=(2, 9, 3)).astype(np.float32)
    y = mx.nd.Pooling(mx.nd.array(x), kernel=(3,), stride=(2,), pool_type='avg', layout='NWC')
    ref = mx.nd.Pooling(mx.nd.array(x.transpose(0, 2, 1)), kernel=(3,), stride=(2,),
                        pool_type='avg')
    np.testing.assert_allclose(y.asnumpy(), ref.asnumpy().transpose(0, 2, 1), rtol=1e-6)


def test_pooling_same_convention_output_size():
    x = mx.nd.array(np.arange(14, dtype=np.float32).reshape(1, 2, 7))
    y = mx.nd.Pooling(x, kernel=(3,), stride=(2,), pooling_convention='same', pool_type='avg')
    # ceil(7 / 2) = 4 windows; 2 padding elements split 1 left, 1 right.
    np.testing.assert_allclose(y.asnumpy()[0, 0], [1 / 3, 2, 4, 11 / 3], rtol=1e-6)
    assert y.shape == (1, 2, 4)


def test_pooling_float16_and_int_rejected():
    x = np.random.default_rng(2).normal(size=(1, 2, 6, 6))
    y = mx.nd.Pooling(mx.nd.array(x, dtype='float16'), kernel=(2, 2), stride=(2, 2))
    assert y.dtype == np.float16 and y.shape == (1, 2, 3, 3)
    with pytest.raises(MXNetError, match='int32'):
        mx.nd.Pooling(mx.nd.array(x, dtype='int32'), kernel=(2, 2))


# ------------------------------------------------------------------ shape inference
def test_infer_shape_fills_convolution_parameters():
    op = get_op('Convolution')
    a = op.parse({'kernel': (3, 3), 'num_filter': 8, 'num_group': 2, 'stride': (2, 2)})
    ins, outs = op.infer_shape(a, [(4, 6, 9, 9), None, (0,)])
    assert ins == [(4, 6, 9, 9), (8, 3, 3, 3), (8,)]
    assert outs == [(4, 8, 4, 4)]
    a = op.parse({'kernel': (3,), 'num_filter': 5, 'no_bias': True})
    assert op.infer_shape(a, [(2, 3, 10), (0, 0, 0)]) == ([(2, 3, 10), (5, 3, 3)],
                                                          [(2, 5, 8)])
    assert op.input_names(a) == ['data', 'weight']
    with pytest.raises(MXNetError, match=r'\(8, 3, 3, 3\)'):
        op.infer_shape(op.parse({'kernel': (3, 3), 'num_filter': 8, 'num_group': 2}),
                       [(4, 6, 9, 9), (8, 6, 3, 3), None])


def test_infer_shape_fills_deconvolution_parameters():
    op = get_op('Deconvolution')
    a = op.parse({'kernel': (4, 4), 'num_filter': 6, 'num_group': 3, 'stride': (2, 2),
                  'pad': (1, 1), 'no_bias': False})
    assert op.infer_shape(a, [(2, 9, 5, 5), None, None]) == (
        [(2, 9, 5, 5), (9, 2, 4, 4), (6,)], [(2, 6, 10, 10)])
    a = op.parse({'kernel': (3,), 'num_filter': 2, 'stride': (2,), 'target_shape': (10,)})
    assert op.infer_shape(a, [(1, 4, 5), (0, 0, 0)]) == ([(1, 4, 5), (4, 2, 3)], [(1, 2, 10)])


def test_infer_shape_pooling_and_upsampling():
    op = get_op('Pooling')
    a = op.parse({'kernel': (3, 3), 'stride': (2, 2), 'pooling_convention': 'full'})
    assert op.infer_shape(a, [(2, 3, 8, 8)])[1] == [(2, 3, 4, 4)]
    assert op.infer_shape(op.parse({'kernel': (3,), 'layout': 'NWC'}), [(2, 9, 3)])[1] == [
        (2, 7, 3)]
    assert op.infer_shape(op.parse({'global_pool': True}), [(2, 3, 5, 6, 7)])[1] == [
        (2, 3, 1, 1, 1)]
    up = get_op('UpSampling')
    a = up.parse({'scale': 2, 'sample_type': 'bilinear', 'num_filter': 3, 'num_args': 2})
    assert up.infer_shape(a, [(1, 3, 4, 5), None]) == ([(1, 3, 4, 5), (3, 1, 4, 4)],
                                                       [(1, 3, 8, 10)])
    assert up.input_names(a) == ['data', 'weight']


# ------------------------------------------------------------------ errors
def _arr(*shape):
    return mx.nd.array(np.zeros(shape, dtype=np.float32))


ERRORS = [
    ('kernel exceeds input', lambda: mx.nd.Convolution(
        _arr(1, 2, 5, 5), _arr(3, 2, 3, 3), _arr(3), kernel=(3, 3), dilate=(3, 3),
        num_filter=3), 'exceeds the padded input'),
    ('weight shape', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(6), kernel=(3, 3), num_filter=6,
        num_group=2), r'\(6, 2, 3, 3\)'),
    ('kernel/weight mismatch', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(6), kernel=(7, 7), num_filter=6),
        r'\(6, 4, 7, 7\)'),
    ('groups', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 2, 3, 3), _arr(6), kernel=(3, 3), num_filter=6,
        num_group=3), 'divisible by num_group'),
    ('rank', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3), _arr(6), kernel=(3,), num_filter=6), '3-D'),
    ('stride length', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(6), kernel=(3, 3), stride=(2,),
        num_filter=6), 'stride'),
    ('zero stride', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(6), kernel=(3, 3), stride=(0, 1),
        num_filter=6), 'stride'),
    ('missing bias', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), kernel=(3, 3), num_filter=6), 'no_bias'),
    ('extra bias', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(6), kernel=(3, 3), num_filter=6,
        no_bias=True), 'no_bias'),
    ('bias shape', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(5), kernel=(3, 3), num_filter=6),
        r'\(6,\)'),
    ('channel-last conv', lambda: mx.nd.Convolution(
        _arr(2, 5, 5, 4), _arr(6, 4, 3, 3), _arr(6), kernel=(3, 3), num_filter=6,
        layout='NHWC'), 'GPU'),
    ('num_filter 0', lambda: mx.nd.Convolution(
        _arr(2, 4, 5, 5), _arr(6, 4, 3, 3), _arr(6), kernel=(3, 3), num_filter=0),
        'num_filter'),
    ('deconv adj', lambda: mx.nd.Deconvolution(
        _arr(1, 2, 3, 3), _arr(2, 2, 3, 3), kernel=(3, 3), stride=(2, 2), adj=(2, 2),
        num_filter=2), 'adj'),
    ('deconv target too big', lambda: mx.nd.Deconvolution(
        _arr(1, 2, 3, 3), _arr(2, 2, 3, 3), kernel=(3, 3), stride=(2, 2),
        target_shape=(20, 20), num_filter=2), 'too big'),
    ('deconv pad too big', lambda: mx.nd.Deconvolution(
        _arr(1, 2, 3, 3), _arr(2, 2, 3, 3), kernel=(3, 3), stride=(2, 2), pad=(5, 5),
        num_filter=2), 'pad'),
    ('pool kernel exceeds', lambda: mx.nd.Pooling(_arr(1, 1, 5, 5), kernel=(6, 6)),
     r'kernel size \(6\) exceeds input \(5 padded to 5\)'),
    ('pool rank', lambda: mx.nd.Pooling(_arr(1, 1, 5, 5), kernel=(2,)), '3-D'),
    ('pool no kernel', lambda: mx.nd.Pooling(_arr(1, 1, 5, 5)), 'kernel'),
    ('pool pad >= kernel', lambda: mx.nd.Pooling(_arr(1, 1, 5, 5), kernel=(2, 2),
                                                 pad=(2, 2)), 'pad'),
    ('pool lp without p', lambda: mx.nd.Pooling(_arr(1, 1, 5, 5), kernel=(2, 2),
                                                pool_type='lp'), 'p_value'),
    ('pool same with pad', lambda: mx.nd.Pooling(_arr(1, 1, 5), kernel=(2,), pad=(1,),
                                                 pooling_convention='same'), 'pad'),
    ('pool bad type', lambda: mx.nd.Pooling(_arr(1, 1, 5), kernel=(2,), pool_type='median'),
     'pool_type'),
    ('upsampling scale', lambda: mx.nd.UpSampling(_arr(1, 1, 2, 2), scale=0,
                                                  sample_type='nearest'), 'scale'),
    ('upsampling rank', lambda: mx.nd.UpSampling(_arr(1, 1, 2), scale=2,
                                                 sample_type='nearest'), '4-D'),
    ('upsampling no divide', lambda: mx.nd.UpSampling(
        _arr(1, 1, 4, 4), _arr(1, 1, 3, 3), scale=2, sample_type='nearest'), 'divide'),
    ('upsampling sum channels', lambda: mx.nd.UpSampling(
        _arr(1, 2, 4, 4), _arr(1, 3, 2, 2), scale=2, sample_type='nearest',
        multi_input_mode='sum'), 'channels'),
    ('bilinear num_filter', lambda: mx.nd.UpSampling(
        _arr(1, 2, 4, 4), _arr(2, 1, 4, 4), scale=2, sample_type='bilinear'), 'num_filter'),
    ('bilinear weight', lambda: mx.nd.UpSampling(
        _arr(1, 2, 4, 4), _arr(2, 1, 3, 3), scale=2, sample_type='bilinear', num_filter=2),
        r'\(2, 1, 4, 4\)'),
]


@pytest.mark.parametrize('name,call,match', ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_arguments_raise_clear_errors(name, call, match):
    with pytest.raises(MXNetError, match=match):
        call()
