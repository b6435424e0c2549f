"""Contexts: distinct logical CPU devices, scoping, GPU error, moving data."""
import numpy as np
import pytest

import distgluon as mx


def test_cpu_contexts_are_distinct_and_scoped():
    assert mx.cpu(0) != mx.cpu(1)
    assert mx.Device is mx.Context
    assert mx.context.current_context() == mx.cpu(0)
    with mx.cpu(1):
        assert mx.context.current_context() == mx.cpu(1)
        x = mx.nd.zeros((2,))
    assert x.context == mx.cpu(1)
    assert repr(x.context) == 'cpu(1)'
    assert mx.nd.ones((2,), device=mx.cpu(2)).context == mx.cpu(2)


def test_mixing_contexts_is_an_error_naming_both():
    a = mx.nd.ones((2,), ctx=mx.cpu(0))
    b = mx.nd.ones((2,), ctx=mx.cpu(1))
    with pytest.raises(mx.MXNetError, match=r'cpu\(0\).*cpu\(1\)'):
        a + b
    c = b.as_in_context(mx.cpu(0))
    assert c.context == mx.cpu(0)
    np.testing.assert_array_equal((a + c).asnumpy(), [2, 2])
    d = a.copyto(mx.cpu(3))
    assert d.context == mx.cpu(3)


def test_gpu_gives_clear_error():
    ctx = mx.gpu(0)
    assert repr(ctx) == 'gpu(0)'
    assert mx.context.num_gpus() == 0
    with pytest.raises(mx.MXNetError, match='no GPU backend'):
        mx.nd.zeros((2,), ctx=ctx)
