"""gluon.loss driven as a user would, against MXNet 1.9.1 values and gradients
(tests/fixtures/gluon_nn.{json,npz}, recorded by tests/fixtures/make_gluon_nn.py with the
cases of tests/fixtures/gluon_nn_cases.py), plus numpy references and numerical
gradients where MXNet cannot record one.
"""
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon import autograd
from distgluon.gluon import loss as gloss
from distgluon.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_fixture import ARRAYS, C, TEXTS  # noqa: E402


def _inputs(name, specs):
    return [None if kind == 'none' else ARRAYS['%s|in%d' % (name, i)]
            for i, (kind, _) in enumerate(specs)]


@pytest.mark.parametrize('name', sorted(C.LOSSES))
def test_loss_against_mxnet(name):
    expr, specs, wrt, style = C.LOSSES[name]

    def head(shape, dtype):
        h = ARRAYS[name + '|head']
        assert h.shape == shape and h.dtype == dtype
        return h
    text, arrays = C.drive_loss(mx, expr, _inputs(name, specs), wrt, head, style)
    assert text == TEXTS['losses'][name]
    prefix = name + '|'
    assert set(arrays) == {k[len(prefix):] for k in ARRAYS.files if k.startswith(prefix)
                           and not k[len(prefix):].startswith(('in', 'head'))}
    for key, got in arrays.items():
        ref = ARRAYS[prefix + key]
        assert got.shape == ref.shape and got.dtype == ref.dtype, key
        np.testing.assert_allclose(got, ref, rtol=2e-5, atol=2e-6, err_msg=key)


@pytest.mark.parametrize('expr', C.LOSS_REPRS)
def test_loss_repr(expr):
    assert repr(C.build(mx, expr)) == TEXTS['loss_reprs'][expr]


def test_aliases():
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss


def test_weight_must_be_a_number():
    loss = gloss.L1Loss(weight='2')
    with pytest.raises(AssertionError, match='weight must be a number'):
        loss(mx.nd.ones((2, 2)), mx.nd.zeros((2, 2)))


def _numeric_grad(fn, x, eps=1e-6):
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (fn(up) - fn(down)) / (2 * eps)
    return grad


def test_poisson_compute_full_gradient_under_record():
    """MXNet 1.9.1 raises under autograd.record here (it multiplies in place); distgluon
    records it. Checked against float64 central differences of the same formula."""
    rs = np.random.RandomState(0)
    pred = rs.uniform(-1, 1, (3, 4))
    target = rs.randint(2, 5, (3, 4)).astype(np.float64)

    def ref(p):
        stirling = target * np.log(target) - target + 0.5 * np.log(2 * target * np.pi)
        return np.mean(np.exp(p) - target * p + stirling * (target > 1))
    loss = gloss.PoissonNLLLoss(compute_full=True)
    x = mx.nd.array(pred, dtype='float64')
    x.attach_grad()
    with autograd.record():
        out = loss(x, mx.nd.array(target, dtype='float64'))
    out.backward()
    assert out.shape == (1,)
    np.testing.assert_allclose(out.asnumpy()[0], ref(pred), rtol=1e-12)
    np.testing.assert_allclose(x.grad.asnumpy(), _numeric_grad(ref, pred), rtol=1e-6,
                               atol=1e-9)


def test_huber_matches_numpy_on_both_branches():
    pred = np.array([[0.0, 0.2, 1.5, -3.0]], dtype=np.float64)
    label = np.zeros_like(pred)
    rho = 0.5
    d = np.abs(pred - label)
    elem = np.where(d > rho, d - 0.5 * rho, 0.5 / rho * d ** 2)
    x = mx.nd.array(pred, dtype='float64')
    x.attach_grad()
    with autograd.record():
        out = gloss.HuberLoss(rho=rho)(x, mx.nd.array(label, dtype='float64'))
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), elem.mean(axis=1))
    grad = np.where(d > rho, np.sign(pred), pred / rho) / pred.size
    np.testing.assert_allclose(x.grad.asnumpy(), grad)


def test_softmax_ce_trains_a_linear_model():
    rs = np.random.RandomState(2)
    xv = rs.randn(40, 3).astype(np.float32)
    yv = np.argmax(xv @ rs.randn(3, 4), axis=1).astype(np.float32)
    net = nn.Dense(4, in_units=3)
    net.initialize(mx.init.Zero())
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1.0})
    loss_fn = gloss.SoftmaxCrossEntropyLoss()
    first = None
    for _ in range(20):
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(xv)), mx.nd.array(yv))
        loss.backward()
        trainer.step(40)
        first = first if first is not None else loss.mean().asscalar()
    assert loss.mean().asscalar() < 0.5 * first
