"""autograd: modes, grad_req, backward/grad, custom Function and the clear errors."""
import numpy as np
import pytest

import distgluon as mx
from distgluon import autograd


def test_modes_nest_and_restore():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            with autograd.train_mode():
                assert autograd.is_training() and not autograd.is_recording()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
        assert autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()


def test_chain_rule_through_several_ops():
    x = mx.nd.array([[0.5, -1.0], [2.0, 0.25]])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.exp(x) * x + mx.nd.sigmoid(x) / 2 - x * 3
    y.backward()
    xn = x.asnumpy().astype(np.float64)
    sig = 1 / (1 + np.exp(-xn))
    expected = np.exp(xn) * xn + np.exp(xn) + sig * (1 - sig) / 2 - 3
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-5)


def test_head_grads_and_reused_input():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x + x
    y.backward(mx.nd.array([1.0, 0.5, 2.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), [3.0, 2.5, 14.0])


def test_grad_req_add_accumulates_and_write_overwrites():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad(grad_req='add')
    for _ in range(3):
        with autograd.record():
            y = x * 2
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0, 6.0])
    x.attach_grad(grad_req='write')
    for _ in range(2):
        with autograd.record():
            y = x * 2
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 2.0])


def test_grad_req_null_leaves_no_gradient():
    x = mx.nd.array([1.0, 2.0])
    w = mx.nd.array([3.0, 4.0])
    x.attach_grad(grad_req='null')
    w.attach_grad()
    with autograd.record():
        y = x * w
    y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [1.0, 2.0])
    np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0])


def test_backward_twice_needs_retain_graph():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0])
    with pytest.raises(mx.MXNetError, match='retain_graph=True'):
        y.backward()


def test_backward_of_unrecorded_array_is_an_error():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    y = x * 2
    with pytest.raises(mx.MXNetError, match='autograd.record'):
        y.backward()


def test_inplace_change_of_needed_input_is_an_error():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 1
        z = y * y
    y[:] = 5
    with pytest.raises(mx.MXNetError, match='modified in place'):
        z.backward()


def test_inplace_arithmetic_under_record_is_differentiable():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        y += x
        y *= x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0, 12.0])


def test_grad_returns_new_arrays_and_leaves_buffers():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
    g = autograd.grad(y, x)
    np.testing.assert_allclose(g.asnumpy(), [3.0, 12.0, 27.0])
    np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0, 0.0])
    with pytest.raises(mx.MXNetError, match='create_graph'):
        with autograd.record():
            y = x * x
        autograd.grad(y, [x], create_graph=True)


def test_mark_variables_uses_given_buffers():
    x = mx.nd.array([1.0, 2.0])
    gbuf = mx.nd.zeros((2,))
    autograd.mark_variables([x], [gbuf])
    with autograd.record():
        y = x * 5
    autograd.backward([y])
    assert x.grad is gbuf
    np.testing.assert_allclose(gbuf.asnumpy(), [5.0, 5.0])


def test_custom_function():
    class Square(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return dy * 2 * x

    x = mx.nd.array([1.0, -3.0])
    x.attach_grad()
    with autograd.record():
        y = Square()(x) * 3
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0, -18.0])


def test_unused_branch_and_detach():
    x = mx.nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        a = x * 3
        b = a.detach() * x
    b.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0])
