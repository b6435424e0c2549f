"""A logistic regression trained by hand with mx.nd + mx.autograd converges (issue 2's
'done when'): the learned weights separate the data and match a numpy reference."""
import numpy as np

import distgluon as mx
from distgluon import autograd


def test_logistic_regression_converges():
    rng = np.random.RandomState(0)
    true_w = np.array([[2.0], [-3.0]], dtype=np.float32)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X @ true_w + 0.5 > 0).astype(np.float32)
    data, label = mx.nd.array(X), mx.nd.array(y)
    w = mx.nd.zeros((2, 1))
    b = mx.nd.zeros((1,))
    w.attach_grad()
    b.attach_grad()
    lr = 1.0
    ref_w, ref_b = np.zeros((2, 1)), np.zeros(1)
    for _ in range(300):
        with autograd.record():
            p = mx.nd.sigmoid(mx.nd.dot(data, w) + b)
            loss = -(label * mx.nd.log(p + 1e-7) + (1 - label) * mx.nd.log(1 - p + 1e-7)).mean()
        loss.backward()
        w[:] = w - lr * w.grad
        b[:] = b - lr * b.grad
        # the same gradient descent in float64 numpy, derived by hand
        q = 1 / (1 + np.exp(-(X @ ref_w + ref_b)))
        ref_w -= lr * X.T @ (q - y) / len(X)
        ref_b -= lr * (q - y).mean(axis=0)
    pred = (mx.nd.sigmoid(mx.nd.dot(data, w) + b).asnumpy() > 0.5)
    assert (pred == y.astype(bool)).mean() > 0.97
    assert float(loss.asscalar()) < 0.15
    np.testing.assert_allclose(w.asnumpy(), ref_w, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(b.asnumpy(), ref_b, rtol=2e-3, atol=2e-3)
