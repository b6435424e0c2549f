"""dot, batch_dot, linalg_gemm2, khatri_rao, topk, sort, argsort, take, pick, one_hot,
gather_nd, scatter_nd, batch_take and SequenceMask through ``mx.nd``, checked against
numpy references and against results recorded from MXNet 1.9.1
(tests/fixtures/ops_reduce_sort_gather.json, produced by
tests/fixtures/gen_ops_reduce_sort_gather.py run with the MXNet venv)."""
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ops_replay import load_cases, replay  # noqa: E402

OPS = {'dot', 'batch_dot', 'linalg_gemm2', 'khatri_rao', 'topk', 'sort', 'argsort', 'take',
       'pick', 'one_hot', 'gather_nd', 'scatter_nd', 'batch_take', 'SequenceMask'}
CASES = load_cases('ops_reduce_sort_gather.json', OPS)


def test_fixture_covers_the_ops():
    assert {c['op'] for c in CASES} == OPS


@pytest.mark.parametrize('case', CASES, ids=[c['id'] for c in CASES])
def test_matches_mxnet_recording(case):
    replay(case)


RNG = np.random.default_rng(1)


def nd64(x):
    return mx.nd.array(x, dtype='float64')


# -------------------------------------------------------------------- linalg
@pytest.mark.parametrize('ls,rs,ta,tb', [
    ((3, 4), (4, 5), False, False), ((4, 3), (4, 5), True, False),
    ((3, 4), (5, 4), False, True), ((4, 3), (5, 4), True, True),
    ((2, 3, 4), (4, 3, 2), False, False), ((2, 3, 4), (2, 5), True, False),
    ((2, 3, 4), (5, 2, 4), False, True), ((4,), (4, 2), False, False),
    ((3, 4), (4,), False, False)])
def test_dot_matches_tensordot(ls, rs, ta, tb):
    a, b = RNG.normal(size=ls), RNG.normal(size=rs)
    lhs = np.moveaxis(a, 0, -1) if ta else a          # contracted axis last
    rhs = np.moveaxis(b, -1, 0) if tb else b          # contracted axis first
    want = np.tensordot(lhs, rhs, axes=([-1], [0]))
    got = mx.nd.dot(nd64(a), nd64(b), transpose_a=ta, transpose_b=tb)
    assert got.shape == (want.shape or (1,))
    np.testing.assert_allclose(got.asnumpy(), want.reshape(got.shape), rtol=1e-12)


def test_dot_vectors_and_dtypes():
    y = mx.nd.dot(mx.nd.array([1, 2, 3]), mx.nd.array([4, 5, 6]))
    assert y.shape == (1,) and y.asnumpy().tolist() == [32]
    with pytest.raises(MXNetError, match='int32'):
        mx.nd.dot(mx.nd.ones((2, 2), dtype='int32'), mx.nd.ones((2, 2), dtype='int32'))
    with pytest.raises(MXNetError, match=r'\(2, 3\).*\(2, 3\)'):
        mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)))


def test_batch_dot_and_gemm2_match_einsum():
    a, b = RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=(2, 3, 6, 5))
    got = mx.nd.batch_dot(nd64(a), nd64(b), transpose_b=True)
    np.testing.assert_allclose(got.asnumpy(), np.einsum('xyik,xyjk->xyij', a, b),
                               rtol=1e-12)
    a, b = RNG.normal(size=(4, 2, 3)), RNG.normal(size=(5, 2, 4))
    got = mx.nd.linalg_gemm2(nd64(a), nd64(b), transpose_a=True, transpose_b=True,
                             alpha=3.0, axis=0)
    np.testing.assert_allclose(got.asnumpy(), 3 * np.einsum('kbi,jbk->ibj', a, b),
                               rtol=1e-12)
    with pytest.raises(MXNetError, match='N >= 3'):
        mx.nd.batch_dot(mx.nd.ones((3, 4)), mx.nd.ones((4, 5)))


def test_khatri_rao_matches_kron_columns():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))
    want = np.stack([np.kron(a[:, j], b[:, j]) for j in range(3)], axis=1)
    np.testing.assert_allclose(mx.nd.khatri_rao(nd64(a), nd64(b)).asnumpy(), want,
                               rtol=1e-12)


# -------------------------------------------------------------------- sorting
def _stable_reference(x, axis, ascend):
    """Stable order via lexsort with the position as the tie-breaker."""
    moved = np.moveaxis(x, axis, -1)
    pos = np.broadcast_to(np.arange(moved.shape[-1]), moved.shape)
    keys = moved if ascend else -moved
    flat_k, flat_p = keys.reshape(-1, moved.shape[-1]), pos.reshape(-1, moved.shape[-1])
    order = np.stack([np.lexsort((p, k)) for k, p in zip(flat_k, flat_p)])
    return np.moveaxis(order.reshape(moved.shape), -1, axis)


@pytest.mark.parametrize('axis', [0, 1, -1])
@pytest.mark.parametrize('ascend', [True, False])
def test_sort_argsort_topk_with_ties_match_reference(axis, ascend):
    x = RNG.integers(0, 4, size=(5, 6)).astype(np.float32)   # many ties
    order = _stable_reference(x, axis, ascend)
    got = mx.nd.array(x).argsort(axis=axis, is_ascend=ascend)
    np.testing.assert_array_equal(got.asnumpy(), order)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(mx.nd.array(x).sort(axis=axis, is_ascend=ascend).asnumpy(),
                                  np.take_along_axis(x, order, axis))
    k = 3
    vals, idx = mx.nd.array(x).topk(axis=axis, k=k, ret_typ='both', is_ascend=not ascend)
    top = np.take(_stable_reference(x, axis, not ascend), np.arange(k), axis=axis)
    np.testing.assert_array_equal(idx.asnumpy(), top)
    np.testing.assert_array_equal(vals.asnumpy(), np.take_along_axis(x, top, axis))
    mask = mx.nd.array(x).topk(axis=axis, k=k, ret_typ='mask', is_ascend=not ascend)
    want = np.zeros_like(x)
    np.put_along_axis(want, top, 1, axis)
    np.testing.assert_array_equal(mask.asnumpy(), want)


def test_sort_gradient_with_default_axis():
    # MXNet 1.9.1 fails here (its backward node loses `axis`); distgluon gives it.
    x = mx.nd.array([[3, 1, 2]])
    x.attach_grad()
    with mx.autograd.record():
        y = x.sort(is_ascend=False)
    y.backward(mx.nd.array([[10, 20, 30]]))
    assert x.grad.asnumpy().tolist() == [[10, 30, 20]]


def test_topk_errors_name_axis_and_k():
    x = mx.nd.ones((2, 5))
    with pytest.raises(MXNetError, match=r'axis 2.*\(2, 5\)'):
        x.topk(axis=2)
    with pytest.raises(MXNetError, match='k = 6'):
        x.topk(k=6)
    with pytest.raises(MXNetError, match='ret_typ'):
        x.topk(ret_typ='values')


# -------------------------------------------------------------------- gather
@pytest.mark.parametrize('mode', ['clip', 'wrap'])
@pytest.mark.parametrize('axis', [0, 1, -1])
def test_take_matches_reference(mode, axis):
    a = RNG.normal(size=(4, 5, 3))
    idx = np.array([[-6.5, -1.2, 0.9], [2.0, 4.7, 11.0]])
    n = a.shape[axis]
    ints = np.trunc(idx).astype(int)
    ints = np.mod(ints, n) if mode == 'wrap' else np.clip(ints, 0, n - 1)
    want = np.take(a, ints, axis=axis)
    got = mx.nd.take(nd64(a), mx.nd.array(idx), axis=axis, mode=mode)
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_take_gradient_accumulates_repeats():
    a = mx.nd.array(np.arange(6).reshape(3, 2))
    a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.take(a, mx.nd.array([0, 0, 2, 9]))
    y.backward(mx.nd.ones((4, 2)))
    assert a.grad.asnumpy().tolist() == [[2, 2], [0, 0], [2, 2]]


def test_take_errors():
    with pytest.raises(MXNetError, match=r'axis 2.*\(4, 3\)'):
        mx.nd.take(mx.nd.ones((4, 3)), mx.nd.array([0]), axis=2)
    with pytest.raises(MXNetError, match='out of bounds'):
        mx.nd.take(mx.nd.ones((4, 3)), mx.nd.array([4]), mode='raise')


def test_pick_matches_reference():
    data = RNG.normal(size=(3, 4, 2))
    idx = np.array([[0, 3], [5, -1], [2.9, 1]])
    got = mx.nd.pick(nd64(data), mx.nd.array(idx), axis=1)
    want = np.empty((3, 2))
    for i in range(3):
        for j in range(2):
            want[i, j] = data[i, int(np.clip(np.trunc(idx[i, j]), 0, 3)), j]
    np.testing.assert_array_equal(got.asnumpy(), want)
    assert mx.nd.pick(nd64(data), mx.nd.array(idx), axis=1, keepdims=True).shape == (3, 1, 2)
    with pytest.raises(MXNetError, match=r'axis 3.*\(3, 4, 2\)'):
        mx.nd.pick(nd64(data), mx.nd.array(idx), axis=3)


def test_one_hot_matches_eye():
    idx = np.array([[0, 2], [1, 4]])
    got = mx.nd.one_hot(mx.nd.array(idx), 4)
    want = np.eye(5)[idx][..., :4]
    np.testing.assert_array_equal(got.asnumpy(), want)
    assert got.dtype == np.float32
    assert mx.nd.array([1, 0]).one_hot(3, dtype='int32').dtype == np.int32


def test_gather_nd_and_scatter_nd_are_inverse():
    data = RNG.normal(size=(3, 4, 2))
    idx = np.array([[0, 2, 1], [3, 1, 0]])
    got = mx.nd.gather_nd(nd64(data), mx.nd.array(idx))
    want = np.stack([data[i, j] for i, j in idx.T])
    np.testing.assert_array_equal(got.asnumpy(), want)
    back = mx.nd.scatter_nd(got, mx.nd.array(idx), shape=(3, 4, 2))
    expect = np.zeros_like(data)
    for i, j in idx.T:
        expect[i, j] = data[i, j]
    np.testing.assert_array_equal(back.asnumpy(), expect)


def test_scatter_nd_rejects_out_of_range_indices():
    # MXNet 1.9.1 writes out of bounds (or crashes); distgluon raises.
    with pytest.raises(IndexError, match='index 5'):
        mx.nd.scatter_nd(mx.nd.array([2, 3]), mx.nd.array([[5, 0]]), shape=(2,))
    with pytest.raises(IndexError, match='index -1'):
        mx.nd.scatter_nd(mx.nd.array([2, 3]), mx.nd.array([[-1, 0]]), shape=(2,))


def test_sequence_mask_matches_reference():
    data = RNG.normal(size=(5, 3, 2))
    lengths = np.array([2, 5, 0])
    got = mx.nd.SequenceMask(nd64(data), nd64(lengths), use_sequence_length=True,
                             value=-7)
    want = data.copy()
    for b, n in enumerate(lengths):
        want[n:, b] = -7
    np.testing.assert_array_equal(got.asnumpy(), want)
    with pytest.raises(MXNetError, match='use_sequence_length'):
        mx.nd.SequenceMask(nd64(data), nd64(lengths))


def test_index_ops_accept_other_index_dtypes():
    a = mx.nd.array(np.arange(6).reshape(3, 2), dtype='float64')
    assert mx.nd.take(a, mx.nd.array([2], dtype='int32')).asnumpy().tolist() == [[4, 5]]
    assert mx.nd.pick(a, mx.nd.array([1, 0, 1])).dtype == np.float64
    assert mx.nd.batch_take(a, mx.nd.array([1, 0, 1], dtype='int32')).asnumpy().tolist() \
        == [1, 2, 5]
