"""Sparse arrays (``mx.nd.sparse``): storage, constructors, conversions, arithmetic, dot.

Values are checked against numpy / scipy.sparse references; storage types, reprs, index
sets and error kinds are the ones MXNet 1.9.1 gives (observed with /work/mxvenv, noted
per test).
"""
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as spsp

import distgluon as mx
from distgluon.ndarray import sparse


def _rsp(rows, shape, dtype='float32', ctx=None):
    data = np.arange(len(rows) * int(np.prod(shape[1:])), dtype=np.float64).reshape(
        (len(rows),) + tuple(shape[1:])) + 1
    return sparse.row_sparse_array((data, rows), shape=shape, dtype=dtype, ctx=ctx), data


def _dense_of_rsp(rows, data, shape):
    out = np.zeros(shape)
    out[list(rows)] = data
    return out


DENSE = np.array([[0, 1.5, 0, 2], [0, 0, 0, 0], [-3, 0, 0, 4.25]], dtype=np.float32)


def test_module_is_reachable_as_mx_nd_sparse():
    if not hasattr(mx.nd, 'sparse'):
        pytest.skip('distgluon.ndarray/__init__ does not import sparse yet')
    assert mx.nd.sparse is sparse


def test_row_sparse_stores_only_compressed_parts():
    a, data = _rsp([1, 3], (4, 2))
    assert a.stype == 'row_sparse' and a.shape == (4, 2) and a.dtype == np.float32
    assert a.context == mx.cpu(0) and a.ndim == 2
    assert isinstance(a, mx.nd.NDArray) and isinstance(a, sparse.RowSparseNDArray)
    assert a.indices.dtype == np.int64 and a.indices.asnumpy().tolist() == [1, 3]
    np.testing.assert_array_equal(a.data.asnumpy(), data)
    np.testing.assert_array_equal(a.asnumpy(), _dense_of_rsp([1, 3], data, (4, 2)))
    # MXNet 1.9.1: .data is a deep copy; the repr shows no values
    d = a.data
    d[:] = 7
    np.testing.assert_array_equal(a.data.asnumpy(), data)
    assert repr(a) == '\n<RowSparseNDArray 4x2 @cpu(0)>' == str(a)
    with pytest.raises(NotImplementedError):
        a.size


def test_csr_matches_scipy():
    ref = spsp.csr_matrix(DENSE)
    c = sparse.csr_matrix((ref.data, ref.indices, ref.indptr), shape=DENSE.shape)
    assert c.stype == 'csr' and repr(c) == '\n<CSRNDArray 3x4 @cpu(0)>'
    assert c.indptr.dtype == np.int64 and c.indices.dtype == np.int64
    np.testing.assert_array_equal(c.indptr.asnumpy(), ref.indptr)
    np.testing.assert_array_equal(c.indices.asnumpy(), ref.indices)
    np.testing.assert_array_equal(c.asnumpy(), DENSE)
    # list input defaults to float32; numpy float64 data keeps float64 (MXNet 1.9.1)
    assert sparse.csr_matrix(([1, 2], [0, 1], [0, 1, 2]), shape=(2, 2)).dtype == np.float32
    assert sparse.csr_matrix((ref.data.astype(np.float64), ref.indices, ref.indptr),
                             shape=DENSE.shape).dtype == np.float64
    # shape inferred as (len(indptr) - 1, max(indices) + 1)
    assert sparse.csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3])).shape == (3, 3)
    # from scipy (duplicates summed), from COO, from dense
    s = spsp.csr_matrix((np.array([1., 2, 5]), np.array([1, 1, 0]), np.array([0, 2, 3])),
                        shape=(2, 2))
    np.testing.assert_array_equal(sparse.csr_matrix(s).asnumpy(), s.toarray())
    np.testing.assert_array_equal(sparse.array(s).asnumpy(), s.toarray())
    coo = sparse.csr_matrix(([1., 2, 4], ([0, 1, 0], [1, 0, 1])), shape=(2, 3))
    np.testing.assert_array_equal(coo.asnumpy(), [[0, 5, 0], [2, 0, 0]])
    np.testing.assert_array_equal(sparse.csr_matrix(DENSE).asnumpy(), DENSE)
    np.testing.assert_array_equal(c.asscipy().toarray(), DENSE)


def test_cast_storage_round_trips_and_index_sets():
    d = mx.nd.array([[0, 1], [0, 0], [2, 0]])
    r = d.tostype('row_sparse')
    assert isinstance(r, sparse.RowSparseNDArray)
    assert r.indices.asnumpy().tolist() == [0, 2]
    np.testing.assert_array_equal(r.data.asnumpy(), [[0, 1], [2, 0]])
    c = d.tostype('csr')
    assert c.indptr.asnumpy().tolist() == [0, 1, 1, 2] and c.indices.asnumpy().tolist() == [1, 0]
    for x in (r, c):
        back = x.tostype('default')
        assert type(back) is mx.nd.NDArray
        np.testing.assert_array_equal(back.asnumpy(), d.asnumpy())
    assert sparse.cast_storage(d, 'csr').stype == 'csr'
    # 1-D row_sparse works; csr needs 2-D (ValueError, MXNet 1.9.1 wording)
    np.testing.assert_array_equal(mx.nd.array([0, 1, 0, 2]).tostype('row_sparse')
                                  .indices.asnumpy(), [1, 3])
    with pytest.raises(ValueError, match='should be 2 Dimensional'):
        mx.nd.array(np.ones((2, 2, 2))).tostype('csr')
    with pytest.raises(ValueError, match='row_sparse to csr is not supported'):
        r.tostype('csr')
    with pytest.raises(ValueError, match='csr to row_sparse is not supported'):
        c.tostype('row_sparse')
    with pytest.raises(mx.MXNetError, match="'foo'"):
        r.tostype('foo')


def test_constructors_from_dense_inputs_and_errors():
    x = sparse.row_sparse_array(np.array([[0, 1.5], [0, 0]]))
    assert x.dtype == np.float64 and x.indices.asnumpy().tolist() == [0]  # keeps numpy dtype
    assert sparse.row_sparse_array([[0, 1], [0, 0]]).dtype == np.float32
    y = sparse.row_sparse_array(([[1, 2]], [1]))   # shape inferred from the last index
    assert y.shape == (2, 2)
    e = sparse.row_sparse_array((3, 4))
    assert e.shape == (3, 4) and e.data.shape == (0, 4) and e.indices.shape == (0,)
    with pytest.raises(ValueError, match='Shape mismatch'):
        sparse.row_sparse_array(np.ones((2, 2)), shape=(3, 2))
    with pytest.raises(ValueError, match='Unexpected input type: CSRNDArray'):
        sparse.row_sparse_array(sparse.csr_matrix(DENSE))
    with pytest.raises(ValueError, match='Unexpected length'):
        sparse.row_sparse_array((1,))
    with pytest.raises(mx.MXNetError):
        sparse.row_sparse_array(([[1, 2]], [1, 2]), shape=(3, 2))
    with pytest.raises(ValueError, match='invalid shape'):
        sparse.csr_matrix(([1], [0], []), shape=(1, 1))
    with pytest.raises(ValueError, match='unknown storage type'):
        sparse.zeros('foo', (2, 2))
    with pytest.raises(ValueError, match='Please use mx.nd.array'):
        sparse.array(np.ones((2, 2)))


def test_zeros_and_nd_zeros_stype():
    z = sparse.zeros('row_sparse', (3, 4), dtype='int32')
    assert z.dtype == np.int32 and z.data.shape == (0, 4)
    np.testing.assert_array_equal(z.asnumpy(), np.zeros((3, 4)))
    zc = mx.nd.zeros((3, 4), stype='csr', dtype='float64', ctx=mx.cpu(2))
    assert isinstance(zc, sparse.CSRNDArray) and zc.dtype == np.float64
    assert zc.context == mx.cpu(2) and zc.indptr.asnumpy().tolist() == [0, 0, 0, 0]
    assert type(sparse.zeros('default', (2,))) is mx.nd.NDArray
    assert sparse.empty('csr', (2, 2)).stype == 'csr'


def test_retain_keeps_requested_rows():
    a, data = _rsp([1, 3], (4, 2))
    r = sparse.retain(a, mx.nd.array([3], dtype='int64'))
    assert r.indices.asnumpy().tolist() == [3] and r.shape == (4, 2)
    np.testing.assert_array_equal(r.asnumpy(), _dense_of_rsp([3], data[1:], (4, 2)))
    # MXNet 1.9.1: the result's indices are the request as given; absent rows are zeros
    r = sparse.retain(a, mx.nd.array([0, 1]))
    assert r.indices.asnumpy().tolist() == [0, 1]
    np.testing.assert_array_equal(r.data.asnumpy(), [[0, 0], data[0]])
    np.testing.assert_array_equal(a.retain(mx.nd.array([1])).asnumpy(),
                                  _dense_of_rsp([1], data[:1], (4, 2)))
    with pytest.raises(mx.MXNetError):
        sparse.retain(mx.nd.ones((2, 2)), mx.nd.array([1]))


def test_arithmetic_storage_types_follow_mxnet():
    a, da = _rsp([1, 3], (4, 2))
    b, db = _rsp([2, 3], (4, 2))
    dense_a = _dense_of_rsp([1, 3], da, (4, 2))
    dense_b = _dense_of_rsp([2, 3], db, (4, 2))
    ones = mx.nd.ones((4, 2)) * 2
    cases = [  # (result, storage type seen in MXNet 1.9.1, numpy reference)
        (a + b, 'row_sparse', dense_a + dense_b), (a - b, 'row_sparse', dense_a - dense_b),
        (a * b, 'row_sparse', dense_a * dense_b), (a / 2, 'row_sparse', dense_a / 2),
        (a * 2, 'row_sparse', dense_a * 2), (2 * a, 'row_sparse', dense_a * 2),
        (-a, 'row_sparse', -dense_a), (abs(-a), 'row_sparse', dense_a),
        (a * ones, 'row_sparse', dense_a * 2), (ones * a, 'default', dense_a * 2),
        (sparse.multiply(ones, a), 'row_sparse', dense_a * 2),
        (a + 2, 'default', dense_a + 2), (2 - a, 'default', 2 - dense_a),
        (a + ones, 'default', dense_a + 2), (ones + a, 'default', dense_a + 2),
        (sparse.add(a, b), 'row_sparse', dense_a + dense_b),
        (sparse.subtract(a, b), 'row_sparse', dense_a - dense_b),
        (mx.nd.exp(a), 'default', np.exp(dense_a)),
    ]
    for i, (res, stype, ref) in enumerate(cases):
        assert res.stype == stype, i
        np.testing.assert_allclose(res.asnumpy(), ref, rtol=1e-6, err_msg=str(i))
    assert (a + b).indices.asnumpy().tolist() == [1, 2, 3]    # union of the row sets
    assert (a * 2).indices.asnumpy().tolist() == [1, 3]
    c, c2 = sparse.csr_matrix(DENSE), sparse.csr_matrix(DENSE[::-1].copy())
    for res, ref in ((c + c2, DENSE + DENSE[::-1]), (c - c2, DENSE - DENSE[::-1]),
                     (c * c2, DENSE * DENSE[::-1]), (c * 2, DENSE * 2), (c / 4, DENSE / 4),
                     (c * mx.nd.array(DENSE), DENSE * DENSE)):
        assert res.stype == 'csr'
        np.testing.assert_allclose(res.asnumpy(), ref)
    with pytest.raises(mx.MXNetError):   # no type promotion
        a + a.astype('float64')


def test_int_scalar_rule_and_inplace_ops():
    a = sparse.row_sparse_array(([[1, 2], [3, 4]], [1, 3]), shape=(4, 2), dtype='int32')
    r = a * 2.5     # the scalar is cast to int32 first, as for dense arrays
    assert r.dtype == np.int32 and r.data.asnumpy().tolist() == [[2, 4], [6, 8]]
    b, _ = _rsp([0], (4, 2))
    x = b.copy()
    x += b
    assert x.stype == 'row_sparse' and x.indices.asnumpy().tolist() == [0]
    np.testing.assert_array_equal(x.asnumpy(), (b * 2).asnumpy())
    x += 1          # a dense result is stored back as row_sparse (every row non-zero)
    assert x.stype == 'row_sparse' and x.indices.asnumpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(x.asnumpy(), b.asnumpy() * 2 + 1)


def test_copy_copyto_astype_setitem():
    a, data = _rsp([1, 3], (4, 2))
    c = a.copy()
    assert c is not a and c.stype == 'row_sparse'
    np.testing.assert_array_equal(c.asnumpy(), a.asnumpy())
    moved = a.copyto(mx.cpu(1))
    assert moved.context == mx.cpu(1) and moved.as_in_context(mx.cpu(1)) is moved
    dense = mx.nd.zeros((4, 2), dtype='float64')
    assert a.copyto(dense) is dense
    np.testing.assert_array_equal(dense.asnumpy(), a.asnumpy())
    dst = sparse.zeros('row_sparse', (4, 2), dtype='float16')
    a.copyto(dst)
    assert dst.dtype == np.float16 and dst.indices.asnumpy().tolist() == [1, 3]
    with pytest.raises(TypeError, match='stype csr'):
        a.copyto(sparse.zeros('csr', (4, 2)))
    with pytest.raises(mx.MXNetError):
        a.copyto(sparse.zeros('row_sparse', (5, 2)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert a.copyto(a) is False
    assert caught and issubclass(caught[0].category, RuntimeWarning)
    f = sparse.row_sparse_array(([[1.7, -2.7]], [1]), shape=(4, 2)).astype('int32')
    assert f.dtype == np.int32 and f.indices.dtype == np.int64
    assert f.data.asnumpy().tolist() == [[1, -2]]
    assert a.astype('float32', copy=False) is a
    x = sparse.zeros('row_sparse', (3, 2))
    x[:] = 3        # MXNet stores every row
    assert x.indices.asnumpy().tolist() == [0, 1, 2] and x.asnumpy().sum() == 18
    x[:] = mx.nd.array([[0, 0], [1, 0], [0, 0]])
    assert x.indices.asnumpy().tolist() == [1]
    y = sparse.zeros('csr', (3, 2))
    y[:] = x.tostype('default')
    assert y.indptr.asnumpy().tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError):
        y[:] = 1
    with pytest.raises(ValueError):
        x[1:2] = 1


def test_indexing_pickle_and_unsupported():
    c = sparse.csr_matrix(DENSE)
    for key, rows in ((1, [1]), (-1, [2]), (slice(1, 3), [1, 2]), (slice(0, 2), [0, 1])):
        sub = c[key]
        assert isinstance(sub, sparse.CSRNDArray)
        np.testing.assert_array_equal(sub.asnumpy(), DENSE[rows])
        sub.check_format()
    assert c[:] is c
    a, _ = _rsp([1, 3], (4, 2))
    assert a[:] is a
    with pytest.raises(Exception, match='int key'):
        a[1]
    with pytest.raises(sparse.NotSupportedForSparseNDArray, match='reshape'):
        a.reshape((8,))
    for x in (a, c):
        y = pickle.loads(pickle.dumps(x))
        assert type(y) is type(x)
        np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    z = a.zeros_like()
    assert z.stype == 'row_sparse' and z.indices.shape == (0,)


def test_check_format_messages():
    sparse.row_sparse_array(([[1, 2], [3, 4]], [1, 3]), shape=(4, 2)).check_format()
    sparse.csr_matrix(DENSE).check_format()
    bad_rsp = [[3, 1], [1, 1], [-1, 2], [1, 4]]
    for rows in bad_rsp:
        with pytest.raises(mx.MXNetError, match='Indices of row_sparse NDArray'):
            sparse.row_sparse_array(([[1, 2], [3, 4]], rows), shape=(4, 2)).check_format()
    bad_csr = [([0, 2, 1], [0, 2, 2, 2], 'IndPtr'), ([0, 2, 1], [1, 2, 2, 3], 'IndPtr'),
               ([0, 2, 1], [0, 2, 1, 3], 'Indices'), ([0, 0, 1], [0, 2, 2, 3], 'Indices'),
               ([-1, 0, 1], [0, 2, 2, 3], 'Indices'), ([0, 5, 1], [0, 2, 2, 3], 'Indices'),
               ([0, 2, 1], [0, 2, 3], 'Shape mismatch')]
    for indices, indptr, msg in bad_csr:
        x = sparse.csr_matrix(([1, 2, 3], indices, indptr), shape=(3, 3))
        with pytest.raises(mx.MXNetError, match=msg):
            x.check_format()
    # row boundaries are not order violations
    sparse.csr_matrix(([1, 2, 3], [2, 0, 1], [0, 1, 3, 3]), shape=(3, 3)).check_format()
    sparse.csr_matrix(([1, 2, 3], [0, 5, 1], [0, 2, 2, 3]), shape=(3, 3)).check_format(
        full_check=False)


def test_dot_values_and_storage_types():
    c = sparse.csr_matrix(([1, 2, 3, 0.], [0, 2, 1, 3], [0, 2, 2, 4]), shape=(3, 5))
    ref = c.asnumpy()
    rng = np.random.default_rng(0)
    d = rng.standard_normal((5, 2)).astype(np.float32)
    out = sparse.dot(c, mx.nd.array(d))
    assert type(out) is mx.nd.NDArray
    np.testing.assert_allclose(out.asnumpy(), ref @ d, rtol=1e-5)
    d3 = rng.standard_normal((3, 2)).astype(np.float32)
    out = sparse.dot(c, mx.nd.array(d3), transpose_a=True)
    # MXNet 1.9.1: row_sparse whose rows are the csr's distinct column indices
    assert out.stype == 'row_sparse' and out.indices.asnumpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(out.asnumpy(), ref.T @ d3, rtol=1e-5)
    out = sparse.dot(c, mx.nd.array(d.T.copy()), transpose_b=True)
    np.testing.assert_allclose(out.asnumpy(), ref @ d, rtol=1e-5)
    lhs = rng.standard_normal((2, 3)).astype(np.float32)
    out = sparse.dot(mx.nd.array(lhs), c)
    assert out.stype == 'csr'
    np.testing.assert_allclose(out.asnumpy(), lhs @ ref, rtol=1e-5)
    out = sparse.dot(c, mx.nd.array(d3), transpose_a=True, forward_stype='default')
    assert out.stype == 'default'
    with pytest.raises(mx.MXNetError, match='shape'):
        sparse.dot(c, mx.nd.ones((4, 2)))
    with pytest.raises(mx.MXNetError):
        sparse.dot(c, mx.nd.ones((5, 2), dtype='float64'))
    with pytest.raises(mx.MXNetError, match='2 dimensional'):
        sparse.dot(c, mx.nd.ones((5,)))
