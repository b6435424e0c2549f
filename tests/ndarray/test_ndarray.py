"""NDArray basics against MXNet 1.9.1 behaviour (values read off the oracle, see
MXNET_NOTES.md "Operators and arrays")."""
import numpy as np
import pytest

import distgluon as mx


def test_creation_dtypes_follow_mxnet():
    assert mx.nd.array([1, 2]).dtype is np.float32
    assert mx.nd.array(np.array([1.5], dtype=np.float64)).dtype is np.float32
    assert mx.nd.array(np.array([1], dtype=np.int64)).dtype is np.float32
    a = mx.nd.array([1, 2], dtype='int32')
    assert mx.nd.array(a).dtype is np.int32
    assert mx.nd.zeros((2,), dtype='int32').dtype is np.int32
    assert mx.nd.full((2,), 3).dtype is np.float32
    assert mx.nd.array(3).shape == ()
    np.testing.assert_array_equal(mx.nd.arange(1, 3, 0.5, repeat=2).asnumpy(),
                                  [1, 1, 1.5, 1.5, 2, 2, 2.5, 2.5])
    np.testing.assert_allclose(mx.nd.linspace(0, 1, 5).asnumpy(), [0, .25, .5, .75, 1])
    np.testing.assert_array_equal(mx.nd.eye(2, 3, 1).asnumpy(), [[0, 1, 0], [0, 0, 1]])
    for dt in ('float16', 'float32', 'float64', 'int8', 'int32', 'int64', 'uint8', 'bool'):
        assert mx.nd.ones((2,), dtype=dt).dtype is np.dtype(dt).type


def test_repr_matches_mxnet():
    x = mx.nd.array([[1, 2], [3, 4]])
    assert repr(x) == '\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>'
    assert str(mx.nd.ones((1, 2))) == '\n[[1. 1.]]\n<NDArray 1x2 @cpu(0)>'
    assert repr(mx.nd.array(3)) == '\n3.0\n<NDArray  @cpu(0)>'


def test_scalar_arithmetic_casts_scalar_to_array_dtype():
    i = mx.nd.array([1, 2, -3], dtype='int32')
    np.testing.assert_array_equal((i * 2.5).asnumpy(), [2, 4, -6])
    assert (i * 2.5).dtype is np.int32
    q = mx.nd.array([-7, 7], dtype='int32')
    np.testing.assert_array_equal((q / 2).asnumpy(), [-3, 3])
    np.testing.assert_array_equal((q / mx.nd.array([2, 2], dtype='int32')).asnumpy(), [-3, 3])
    np.testing.assert_array_equal((q % 3).asnumpy(), [2, 1])
    cmp = i > 1
    assert cmp.dtype is np.int32
    np.testing.assert_array_equal(cmp.asnumpy(), [0, 1, 0])
    f = mx.nd.array([2, 4])
    np.testing.assert_allclose((1 / f).asnumpy(), [0.5, 0.25])
    np.testing.assert_allclose((1 - f).asnumpy(), [-1, -3])
    np.testing.assert_allclose((2 ** f).asnumpy(), [4, 16])
    np.testing.assert_allclose(mx.nd.maximum(2.5, mx.nd.array([1, 3])).asnumpy(), [2.5, 3])


def test_no_type_promotion_and_bad_operands():
    x = mx.nd.ones((2, 2))
    with pytest.raises(mx.MXNetError, match='float32.*float64'):
        x + x.astype('float64')
    with pytest.raises(TypeError, match='not supported'):
        x + np.ones((2, 2))
    with pytest.raises(TypeError, match='NoneType'):
        x == None  # noqa: E711
    with pytest.raises(mx.MXNetError, match='same shape'):
        mx.nd.elemwise_add(x, mx.nd.ones((1, 2)))
    with pytest.raises(ValueError, match='broadcast'):
        x + mx.nd.ones((3,))


def test_broadcasting_and_inplace():
    x = mx.nd.array([[1, 2], [3, 4]])
    y = mx.nd.array([10, 20])
    np.testing.assert_array_equal((x + y).asnumpy(), [[11, 22], [13, 24]])
    np.testing.assert_array_equal(mx.nd.broadcast_mul(x, mx.nd.array([[2], [3]])).asnumpy(),
                                  [[2, 4], [9, 12]])
    buf = x._data
    x += 1
    x *= 2
    assert x._data is buf
    np.testing.assert_array_equal(x.asnumpy(), [[4, 6], [8, 10]])
    out = mx.nd.zeros((2, 2))
    mx.nd.exp(mx.nd.zeros((2, 2)), out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.ones((2, 2)))


def test_rounding_matches_mxnet():
    v = mx.nd.array([0.5, 1.5, -2.5, -0.5, 2.5])
    np.testing.assert_array_equal(mx.nd.rint(v).asnumpy(), [0, 1, -3, -1, 2])
    np.testing.assert_array_equal(mx.nd.round(v).asnumpy(), [1, 2, -3, -1, 3])


def test_indexing_views_and_copies():
    x = mx.nd.array([[1, 2], [3, 4]])
    assert x[1, 1].shape == (1,) and x[1, 1].asscalar() == 4
    assert mx.nd.array([1, 2, 3])[0].shape == (1,)
    np.testing.assert_array_equal(x[-1].asnumpy(), [3, 4])
    np.testing.assert_array_equal(x[[0, 0]].asnumpy(), [[1, 2], [1, 2]])
    np.testing.assert_array_equal(x[mx.nd.array([1, 0])].asnumpy(), [[3, 4], [1, 2]])
    assert x[:, None].shape == (2, 1, 2)
    np.testing.assert_array_equal(x[::-1].asnumpy(), [[3, 4], [1, 2]])
    with pytest.raises(IndexError, match='out of bounds'):
        x[5]
    y = x.copy()
    row = y[0]
    row[:] = 9          # a first-axis index is a view, as in MXNet
    np.testing.assert_array_equal(y.asnumpy(), [[9, 9], [3, 4]])
    y = x.copy()
    col = y[:, 0]
    col[:] = 9          # other basic indexing copies, as in MXNet
    np.testing.assert_array_equal(y.asnumpy(), [[1, 2], [3, 4]])


def test_setitem_forms():
    y = mx.nd.array([[1, 2], [3, 4]])
    y[0] = mx.nd.array([7, 8])
    y[:, 1] = 5
    y[1, 0] = -1
    np.testing.assert_array_equal(y.asnumpy(), [[7, 5], [-1, 5]])
    y[:] = np.array([[1, 1], [2, 2]])
    np.testing.assert_array_equal(y.asnumpy(), [[1, 1], [2, 2]])
    with pytest.raises(mx.MXNetError, match='shape'):
        y[0] = mx.nd.ones((3,))


def test_conversions_and_python_protocol():
    x = mx.nd.array([[1, 2], [3, 4]])
    assert x.shape == (2, 2) and x.size == 4 and x.ndim == 2 and x.stype == 'default'
    assert x.context == mx.cpu(0)
    assert x.asnumpy() is not x.asnumpy()
    assert np.asarray(x).dtype == np.float32
    assert mx.nd.array([3]).asscalar() == 3.0
    with pytest.raises(ValueError, match='not a scalar'):
        x.asscalar()
    with pytest.raises(ValueError, match='ambiguous'):
        bool(mx.nd.array([1, 2]))
    assert len(x) == 2
    assert [a.shape for a in x] == [(2,), (2,)]
    assert [a.shape for a in mx.nd.array([1, 2])] == [(1,), (1,)]
    np.testing.assert_array_equal(x.T.asnumpy(), [[1, 3], [2, 4]])
    assert x.astype('int32').dtype is np.int32
    assert x.astype('float32', copy=False) is x
    c = x.copyto(mx.cpu(1))
    assert c.context == mx.cpu(1)
    x.wait_to_read()
    mx.nd.waitall()
