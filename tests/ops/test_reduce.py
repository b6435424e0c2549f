"""Reductions (sum, mean, prod, nansum, nanprod, max, min, norm, argmax, argmin,
argmax_channel) through ``mx.nd``, checked against numpy and against results
recorded from MXNet 1.9.1 (tests/fixtures/ops_reduce_sort_gather.json, produced by
tests/fixtures/gen_ops_reduce_sort_gather.py run with the MXNet venv)."""
import itertools
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ops_replay import load_cases, replay  # noqa: E402

REDUCE_OPS = {'sum', 'sum_axis', 'mean', 'prod', 'nansum', 'nanprod', 'max', 'max_axis',
              'min', 'min_axis', 'norm', 'argmax', 'argmin', 'argmax_channel'}
CASES = load_cases('ops_reduce_sort_gather.json', REDUCE_OPS)


def test_fixture_covers_the_reductions():
    assert {c['op'] for c in CASES} == REDUCE_OPS


@pytest.mark.parametrize('case', CASES, ids=[c['id'] for c in CASES])
def test_matches_mxnet_recording(case):
    replay(case)


# -------------------------------------------------------------------- numpy oracle
RNG = np.random.default_rng(0)
X = RNG.uniform(-2, 2, size=(3, 4, 5))
NP_FUNCS = {'sum': np.sum, 'mean': np.mean, 'prod': np.prod, 'max': np.max, 'min': np.min,
            'nansum': np.nansum, 'nanprod': np.nanprod}
AXES = [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)]


def _reference(name, x, axis, keepdims, exclude):
    """numpy result, with MXNet's axis/exclude rule spelled out independently."""
    if axis is None:
        red = set(range(x.ndim))
    else:
        red = {a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
        if exclude:
            red = set(range(x.ndim)) - red
    y = NP_FUNCS[name](x, axis=tuple(sorted(red)), keepdims=True)
    if keepdims:
        return y
    shape = [d for i, d in enumerate(x.shape) if i not in red]
    return y.reshape(shape or [1])


@pytest.mark.parametrize('name', sorted(NP_FUNCS))
@pytest.mark.parametrize('axis,keepdims,exclude',
                         [(a, k, e) for a, k, e in itertools.product(AXES, (False, True),
                                                                      (False, True))
                          if not (e and a is None)])
def test_reductions_match_numpy(name, axis, keepdims, exclude):
    x = mx.nd.array(X, dtype='float64')
    got = getattr(mx.nd, name)(x, axis=axis, keepdims=keepdims, exclude=exclude)
    want = _reference(name, X, axis, keepdims, exclude)
    assert got.shape == want.shape
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-12)


def test_method_forms_and_scalar_shape():
    x = mx.nd.array(X)
    assert x.sum().shape == (1,)
    assert x.max(axis=1).shape == (3, 5)
    assert x.norm().shape == (1,)
    assert x.argmax().shape == (1,)
    assert x.mean(1, True).shape == (3, 1, 5)          # positional attrs in MXNet order
    assert mx.nd.sum(x, 2).shape == (3, 4)
    np.testing.assert_allclose(mx.nd.sum_axis(x, axis=0).asnumpy(),
                               X.astype(np.float32).sum(0), rtol=1e-5)
    np.testing.assert_allclose(x.nanprod(axis=2).asnumpy(),
                               np.prod(X.astype(np.float32), axis=2), rtol=1e-4)


def test_nan_variants_skip_nan():
    data = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    x = mx.nd.array(data)
    assert x.nansum(axis=1).asnumpy().tolist() == [3.0, 0.0]
    assert x.nanprod(axis=1).asnumpy().tolist() == [2.0, 1.0]
    assert np.isnan(x.sum(axis=1).asnumpy()).all()
    assert np.isnan(x.max(axis=1).asnumpy()).all()


def test_integer_reductions_keep_dtype_and_truncate():
    x = mx.nd.array([[-5, 0, 0], [7, 0, 0]], dtype='int32')
    m = x.mean(axis=1)
    assert m.dtype == np.int32
    assert m.asnumpy().tolist() == [-1, 2]                # truncation toward zero
    assert mx.nd.array([100, 100], dtype='int8').sum().asnumpy().tolist() == [-56]


def test_norm_matches_numpy():
    x = mx.nd.array(X, dtype='float64')
    np.testing.assert_allclose(x.norm().asnumpy(), [np.sqrt((X ** 2).sum())], rtol=1e-12)
    np.testing.assert_allclose(x.norm(axis=(1, 2)).asnumpy(),
                               np.sqrt((X ** 2).sum(axis=(1, 2))), rtol=1e-12)
    np.testing.assert_allclose(x.norm(ord=1, axis=0, keepdims=True).asnumpy(),
                               np.abs(X).sum(axis=0, keepdims=True), rtol=1e-12)
    big = mx.nd.array([3e30, 4e30])                       # no float32 overflow
    np.testing.assert_allclose(big.norm().asnumpy(), [5e30], rtol=1e-6)


def test_argmax_argmin_match_numpy_and_keep_input_dtype():
    x = mx.nd.array(X)
    for axis in (0, 1, 2, -1):
        np.testing.assert_array_equal(x.argmax(axis=axis).asnumpy(),
                                      np.argmax(X.astype(np.float32), axis=axis))
        np.testing.assert_array_equal(x.argmin(axis=axis).asnumpy(),
                                      np.argmin(X.astype(np.float32), axis=axis))
    assert x.argmax(axis=1).dtype == np.float32
    assert mx.nd.array(X, dtype='float64').argmin().dtype == np.float64
    assert int(x.argmax().asscalar()) == int(np.argmax(X.astype(np.float32)))
    assert x.argmax_channel().shape == (3, 5)


def test_max_gradient_goes_to_every_tie():
    x = mx.nd.array([[1, 3, 3], [2, 2, 1]])
    x.attach_grad()
    with mx.autograd.record():
        y = x.max(axis=1)
    y.backward(mx.nd.array([2, 5]))
    assert x.grad.asnumpy().tolist() == [[0, 2, 2], [5, 5, 0]]


def test_prod_gradient_is_nan_at_zero():
    x = mx.nd.array([[1, 0, 3], [2, 2, 1]])
    x.attach_grad()
    with mx.autograd.record():
        y = x.prod(axis=1)
    y.backward()
    g = x.grad.asnumpy()
    assert np.isnan(g[0, 1]) and g[0, 0] == 0 and g[0, 2] == 0
    assert g[1].tolist() == [2, 2, 4]


def test_argmax_records_with_zero_gradient():
    x = mx.nd.array([[1, 3, 2]])
    x.attach_grad()
    with mx.autograd.record():
        y = x.argmax(axis=1)
    y.backward()
    assert x.grad.asnumpy().tolist() == [[0, 0, 0]]


@pytest.mark.parametrize('call', [
    lambda x: x.sum(axis=3), lambda x: x.max(axis=-4), lambda x: x.mean(axis=5, exclude=True),
    lambda x: x.norm(axis=3), lambda x: x.argmax(axis=3)])
def test_bad_axis_names_axis_and_shape(call):
    with pytest.raises(MXNetError) as err:
        call(mx.nd.array(X))
    text = str(err.value)
    assert '(3, 4, 5)' in text or '3, 4, 5' in text
    assert any(str(a) in text for a in (3, -4, 5))


def test_duplicate_axes_and_bad_norm_order_fail():
    with pytest.raises(MXNetError, match='duplicates'):
        mx.nd.array(X).sum(axis=(1, -2))
    with pytest.raises(MXNetError, match='ord'):
        mx.nd.array(X).norm(ord=3)
    with pytest.raises(MXNetError, match='out_dtype'):
        mx.nd.array(X).norm(out_dtype='float64')
