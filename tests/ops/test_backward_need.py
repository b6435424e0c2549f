"""Gradients that nobody needs are skipped, and the rest stay right.

The tape tells ops with ``accepts_need = True`` which inputs need a gradient
(FullyConnected, Convolution, Deconvolution skip the data gradient of a first layer and
the weight gradient of a frozen weight). These tests drive that through ``mx.nd`` +
``autograd`` as a user would and check the gradients that are computed against
numpy references written independently (einsum over explicit windows).
Also: the parsed-attribute cache keeps values of different Python types apart.
"""
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import distgluon as mx
from distgluon.ops.registry import Attrs, get_op


def _nd(x, grad=False):
    a = mx.nd.array(x, dtype=x.dtype)
    if grad:
        a.attach_grad()
    return a


def _conv2d_ref(x, w, b, pad):
    """Direct 2-D convolution (stride 1) by windows; also the weight/data grads."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))     # N, C, H, W, kh, kw
    y = np.einsum('nchwij,fcij->nfhw', win, w) + b[None, :, None, None]
    return y, win


def test_first_layer_fully_connected_weight_grads():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 4))                  # flattened to (6, 8)
    w = rng.standard_normal((5, 8))
    b = rng.standard_normal(5)
    dy = rng.standard_normal((6, 5))
    X, W, B = _nd(x), _nd(w, True), _nd(b, True)        # the data needs no gradient
    with mx.autograd.record():
        y = mx.nd.FullyConnected(X, W, B, num_hidden=5)
    y.backward(_nd(dy))
    np.testing.assert_allclose(y.asnumpy(), x.reshape(6, 8) @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(W.grad.asnumpy(), np.einsum('nf,nk->fk', dy, x.reshape(6, 8)),
                               rtol=1e-12)
    np.testing.assert_allclose(B.grad.asnumpy(), dy.sum(axis=0), rtol=1e-12)
    assert X.grad is None


def test_frozen_weight_fully_connected_data_grad():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    dy = rng.standard_normal((4, 2))
    X, W, B = _nd(x, True), _nd(w), _nd(b)
    with mx.autograd.record():
        y = mx.nd.FullyConnected(X, W, B, num_hidden=2)
    y.backward(_nd(dy))
    np.testing.assert_allclose(X.grad.asnumpy(), dy @ w, rtol=1e-12)


def test_first_layer_in_a_chain_of_dense_layers():
    """Two layers: the first layer's data has no grad, the hidden one must get its grad."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    w1, b1 = rng.standard_normal((4, 3)).astype(np.float32), np.zeros(4, np.float32)
    w2, b2 = rng.standard_normal((2, 4)).astype(np.float32), np.zeros(2, np.float32)
    X = _nd(x)
    W1, B1, W2, B2 = (_nd(v, True) for v in (w1, b1, w2, b2))
    with mx.autograd.record():
        h = mx.nd.FullyConnected(X, W1, B1, num_hidden=4)
        y = mx.nd.FullyConnected(h, W2, B2, num_hidden=2)
    y.backward()
    dh = np.ones((5, 2), np.float32) @ w2
    np.testing.assert_allclose(W1.grad.asnumpy(), dh.T @ x, rtol=1e-5)
    np.testing.assert_allclose(W2.grad.asnumpy(), np.ones((2, 5)) @ (x @ w1.T), rtol=1e-5)


def test_first_layer_convolution_weight_grads():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    X, W, B = _nd(x), _nd(w, True), _nd(b, True)
    with mx.autograd.record():
        y = mx.nd.Convolution(X, W, B, kernel=(3, 3), pad=(1, 1), num_filter=4)
    ref, win = _conv2d_ref(x, w, b, 1)
    dy = rng.standard_normal(ref.shape)
    y.backward(_nd(dy))
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(W.grad.asnumpy(), np.einsum('nfhw,nchwij->fcij', dy, win),
                               rtol=1e-10)
    np.testing.assert_allclose(B.grad.asnumpy(), dy.sum(axis=(0, 2, 3)), rtol=1e-10)
    assert X.grad is None


def test_frozen_weight_convolution_data_grad():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    X, W = _nd(x, True), _nd(w)
    with mx.autograd.record():
        y = mx.nd.Convolution(X, W, kernel=(3, 3), num_filter=3, no_bias=True)
    dy = rng.standard_normal(y.shape)
    y.backward(_nd(dy))
    # dx[n, c, h+i, w+j] += dy[n, f, h, w] * w[f, c, i, j]
    want = np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            want[:, :, i:i + 3, j:j + 3] += np.einsum('nfhw,fc->nchw', dy, w[:, :, i, j])
    np.testing.assert_allclose(X.grad.asnumpy(), want, rtol=1e-10)


def test_first_layer_deconvolution_weight_grad():
    """Deconvolution's weight gradient equals Convolution's with the roles swapped."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 4))
    w = rng.standard_normal((3, 2, 3, 3))                # (C, F, kh, kw)
    X, W = _nd(x), _nd(w, True)
    with mx.autograd.record():
        y = mx.nd.Deconvolution(X, W, kernel=(3, 3), num_filter=2)
    dy = rng.standard_normal(y.shape)                    # (2, 2, 6, 6)
    y.backward(_nd(dy))
    win = sliding_window_view(dy, (3, 3), axis=(2, 3))   # N, F, 4, 4, kh, kw
    # y[n, f, h+i, w+j] += x[n, c, h, w] * w[c, f, i, j]
    np.testing.assert_allclose(W.grad.asnumpy(), np.einsum('nchw,nfhwij->cfij', x, win),
                               rtol=1e-10)
    assert X.grad is None


@pytest.mark.parametrize('name', ['FullyConnected', 'Convolution', 'Deconvolution'])
def test_backward_skips_what_is_not_needed(name):
    """The op-level convention (registry.Op docstring): need[i] False gives None."""
    op = get_op(name)
    assert op.accepts_need
    rng = np.random.default_rng(6)
    if name == 'FullyConnected':
        attrs, xs = {'num_hidden': 3}, [rng.standard_normal(s) for s in ((2, 4), (3, 4), (3,))]
    elif name == 'Convolution':
        attrs = {'kernel': (2, 2), 'num_filter': 3}
        xs = [rng.standard_normal(s) for s in ((1, 2, 4, 4), (3, 2, 2, 2), (3,))]
    else:
        attrs = {'kernel': (2, 2), 'num_filter': 3, 'no_bias': False}
        xs = [rng.standard_normal(s) for s in ((1, 2, 3, 3), (2, 3, 2, 2), (3,))]
    a = op.parse(attrs)
    y = op.forward(np, a, *xs)
    dys = [np.ones_like(y)]
    full = op.backward(np, a, xs, [y], dys)
    part = op.backward(np, a, xs, [y], dys, need=(False, True, False))
    assert part[0] is None and part[2] is None
    np.testing.assert_array_equal(part[1], full[1])
    assert all(g is not None for g in full)


def test_attribute_cache_keeps_python_types_apart():
    """1, 1.0 and True are equal in Python; a cached parse must not mix them up."""
    op = get_op('FullyConnected')
    a1 = op.parse({'num_hidden': 3, 'no_bias': 1})
    a2 = op.parse({'num_hidden': 3, 'no_bias': True})
    assert a1.no_bias is True and a2.no_bias is True
    reshape = get_op('Reshape')
    assert reshape.parse({'shape': (2, 3)}).shape == (2, 3)
    x = mx.nd.arange(6)
    assert x.reshape((2, 3)).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)      # a second entry, not the first one


def test_attrs_attribute_view_follows_changes():
    a = Attrs({'axis': 1, 'keepdims': False})
    assert a.axis == 1
    a['axis'] = 2
    b = Attrs(a)
    b.update(keepdims=True)
    assert (a.axis, a.keepdims, b.axis, b.keepdims) == (2, False, 2, True)
    assert b.pop('axis') == 2
    with pytest.raises(AttributeError):
        b.axis  # noqa: B018
    del a['keepdims']
    with pytest.raises(AttributeError):
        a.keepdims  # noqa: B018
