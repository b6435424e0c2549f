"""Random test data of ``mx.test_utils`` (re-exported there): numpy arrays, dense and
sparse NDArrays (row_sparse, csr with a uniform or power-law layout), random shapes. All
draws come from numpy's global generator, as in MXNet, so ``np.random.seed`` reproduces
MXNet's dense and row_sparse values exactly.
"""
import numpy as np
import numpy.random as rnd

from . import ndarray as nd
from .ndarray import sparse as _sparse

__all__ = ['random_arrays', 'random_uniform_arrays', 'random_sample', 'assign_each',
           'assign_each2', 'rand_sparse_ndarray', 'rand_ndarray', 'create_sparse_array',
           'create_sparse_array_zd', 'rand_shape_2d', 'rand_shape_3d', 'rand_shape_nd',
           'rand_coord_2d', 'np_reduce']


def _default_context():
    from .context import current_context
    return current_context()


def random_arrays(*shapes):
    """Standard-normal float32 numpy arrays of the given shapes (one array for one shape);
    drawn from numpy's global generator."""
    arrays = [np.array(np.random.randn(), dtype=np.float32) if len(s) == 0
              else np.random.randn(*s).astype(np.float32) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes, **kwargs):
    """Uniform numpy arrays (``low=0``, ``high=1``, ``dtype=float32`` keywords)."""
    low = kwargs.pop('low', 0.0)
    high = kwargs.pop('high', 1.0)
    dtype = kwargs.pop('dtype', np.float32)
    if kwargs:
        raise TypeError('Got unexpected argument/s : ' + str(kwargs.keys()))
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population, k):
    """``k`` elements of ``population`` in random order."""
    if not 0 <= k <= len(population):
        raise AssertionError('k must be between 0 and len(population)')
    population_copy = population[:]
    np.random.shuffle(population_copy)
    return population_copy[0:k]


def assign_each(the_input, function):
    """``function`` applied to every element (float64 result), or a copy."""
    if function is None:
        return np.array(the_input)
    return np.vectorize(function, otypes=[np.float64])(the_input)


def assign_each2(input1, input2, function):
    """``function`` applied to every pair of elements (float64 result), or a copy."""
    if function is None:
        return np.array(input1)
    if input1.shape != input2.shape:
        raise AssertionError('shapes differ: {} vs {}'.format(input1.shape, input2.shape))
    return np.vectorize(function, otypes=[np.float64])(input1, input2)


def _validate_csr_inputs(num_rows, num_cols, density, distribution):
    total_nnz = int(num_rows * num_cols * density)
    if density < 0 or density > 1:
        raise ValueError('density has to be between 0 and 1')
    if num_rows <= 0 or num_cols <= 0:
        raise ValueError('num_rows or num_cols should be greater than 0')
    if distribution == 'powerlaw' and total_nnz < 2 * num_rows:
        raise ValueError('not supported for this density: %s for this shape (%s, %s) Please '
                         'keep : num_rows * num_cols * density >= 2 * num_rows'
                         % (density, num_rows, num_cols))


def _uniform_csr(num_rows, num_cols, density, dtype, data_init, shuffle_csr_indices):
    _validate_csr_inputs(num_rows, num_cols, density, 'uniform')
    try:
        from scipy import sparse as spsp
    except ImportError:
        if data_init is not None or shuffle_csr_indices:
            raise AssertionError('data_init and shuffle_csr_indices need scipy') from None
        dense = np.random.uniform(size=(num_rows, num_cols)).astype(dtype)
        return nd.array(dense * (dense < density), dtype=dtype).tostype('csr')
    csr = spsp.rand(num_rows, num_cols, density, dtype=dtype, format='csr')
    if data_init is not None:
        csr.data.fill(data_init)
    if shuffle_csr_indices:
        for i in range(num_rows):
            np.random.shuffle(csr.indices[csr.indptr[i]:csr.indptr[i + 1]])
    return _sparse.csr_matrix((csr.data, csr.indices, csr.indptr),
                              shape=(num_rows, num_cols), dtype=dtype)


def _powerlaw_csr(num_rows, num_cols, density, dtype):
    """Row i holds about 2**i non-zeros (every row at least one), as MXNet's generator."""
    _validate_csr_inputs(num_rows, num_cols, density, 'powerlaw')
    unused = int(num_rows * num_cols * density)
    out = np.zeros((num_rows, num_cols), dtype=dtype)
    for row in range(num_rows):
        out[row][0] = 1 + rnd.uniform(0.001, 2)
        unused -= 1
        if unused <= 0:
            return nd.array(out).tostype('csr')
    col_max = 2
    for row in range(num_rows):
        col_limit = min(num_cols, col_max)
        if col_limit == num_cols and unused > col_limit:
            out[row] = 1 + rnd.uniform(0.001, 2)
            unused = unused - col_limit + 1
            if unused <= 0:
                return nd.array(out).tostype('csr')
            continue
        for col in range(1, col_limit):
            out[row][col] = 1 + rnd.uniform(0.001, 2)
            unused -= 1
            if unused <= 0:
                return nd.array(out).tostype('csr')
        col_max *= 2
    if unused > 0:
        raise ValueError('not supported for this density: %s for this shape (%s,%s)'
                         % (density, num_rows, num_cols))
    return nd.array(out).tostype('csr')


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, distribution=None,
                        data_init=None, rsp_indices=None, modifier_func=None,
                        shuffle_csr_indices=False, ctx=None):
    """A random sparse array and its parts.

    Returns
    -------
    (RowSparseNDArray, (values, indices)) for ``stype='row_sparse'`` (rows kept with
    probability ``density``, values uniform in [0, 1)), or
    (CSRNDArray, (indptr, indices, data)) for ``stype='csr'`` (``distribution``
    'uniform' or 'powerlaw').
    """
    ctx = ctx if ctx else _default_context()
    density = rnd.rand() if density is None else density
    dtype = np.float32 if dtype is None else dtype
    distribution = 'uniform' if distribution is None else distribution
    if stype == 'row_sparse':
        if distribution != 'uniform':
            raise AssertionError('Distribution %s not supported for row_sparse' % distribution)
        if rsp_indices is not None:
            indices = rsp_indices
            if len(indices) > shape[0]:
                raise AssertionError('more rsp_indices than rows')
        else:
            indices = np.argwhere(rnd.rand(shape[0]) < density).flatten()
        if indices.shape[0] == 0:
            result = nd.zeros(shape, stype='row_sparse', dtype=dtype, ctx=ctx)
            return result, (np.array([], dtype=dtype), np.array([]))
        val = rnd.rand(indices.shape[0], *shape[1:]).astype(dtype)
        if data_init is not None:
            val.fill(data_init)
        if modifier_func is not None:
            val = assign_each(val, modifier_func)
        arr = _sparse.row_sparse_array((val, indices), shape=shape, dtype=dtype, ctx=ctx)
        return arr, (val, indices)
    if stype == 'csr':
        if len(shape) != 2:
            raise AssertionError('csr arrays are 2-D, got shape {}'.format(shape))
        if distribution == 'uniform':
            csr = _uniform_csr(shape[0], shape[1], density, dtype, data_init,
                               shuffle_csr_indices)
        elif distribution == 'powerlaw':
            csr = _powerlaw_csr(shape[0], shape[1], density, dtype)
        else:
            raise AssertionError('Distribution not supported: %s' % distribution)
        csr = csr.as_in_context(ctx)
        return csr, (csr.indptr, csr.indices, csr.data)
    raise AssertionError('unknown storage type')


def rand_ndarray(shape, stype='default', density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """A random NDArray: standard normal for ``stype='default'`` (drawn as float32, then
    cast to ``dtype``), else `rand_sparse_ndarray`'s array."""
    ctx = ctx if ctx else _default_context()
    if stype == 'default':
        return nd.array(random_arrays(shape), dtype=dtype, ctx=ctx)
    arr, _ = rand_sparse_ndarray(shape, stype, density=density, modifier_func=modifier_func,
                                 dtype=dtype, shuffle_csr_indices=shuffle_csr_indices,
                                 distribution=distribution, ctx=ctx)
    return arr


def create_sparse_array(shape, stype, data_init=None, rsp_indices=None, dtype=None,
                        modifier_func=None, density=.5, shuffle_csr_indices=False):
    """A random sparse array (row_sparse indices sorted)."""
    if stype == 'row_sparse':
        indices = None
        if rsp_indices is not None:
            indices = np.sort(np.asarray(rsp_indices))
        arr, _ = rand_sparse_ndarray(shape, stype, density=density, data_init=data_init,
                                     rsp_indices=indices, dtype=dtype,
                                     modifier_func=modifier_func)
    elif stype == 'csr':
        arr, _ = rand_sparse_ndarray(shape, stype, density=density, data_init=data_init,
                                     dtype=dtype, modifier_func=modifier_func,
                                     shuffle_csr_indices=shuffle_csr_indices)
    else:
        raise AssertionError('Unknown storage type: ' + stype)
    return arr


def create_sparse_array_zd(shape, stype, density, data_init=None, rsp_indices=None,
                           dtype=None, modifier_func=None, shuffle_csr_indices=False):
    """`create_sparse_array` where row_sparse rows come from ``rsp_indices`` only."""
    if stype == 'row_sparse':
        density = 0.0
        if rsp_indices is not None and len(rsp_indices) > shape[0]:
            raise AssertionError('more rsp_indices than rows')
    return create_sparse_array(shape, stype, data_init=data_init, rsp_indices=rsp_indices,
                               dtype=dtype, modifier_func=modifier_func, density=density,
                               shuffle_csr_indices=shuffle_csr_indices)


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-D shape with sides in [1, dim] (or [0, dim])."""
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-D shape with sides in [1, dim] (or [0, dim])."""
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1), rnd.randint(low, dim2 + 1)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random ``num_dim``-D shape (tuple of numpy ints) with sides in [1, dim]."""
    low = 0 if allow_zero_size else 1
    return tuple(rnd.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random (x, y) with x in [x_low, x_high) and y in [y_low, y_high)."""
    x = np.random.randint(x_low, x_high, dtype=np.int64)
    y = np.random.randint(y_low, y_high, dtype=np.int64)
    return x, y


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce ``dat`` over ``axis`` (int, list or None) one axis at a time."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else range(len(dat.shape))
    ret = dat
    for i in reversed(sorted(axis)):
        ret = numpy_reduce_func(ret, axis=i)
    if keepdims:
        shape = list(dat.shape)
        for i in axis:
            shape[i] = 1
        ret = ret.reshape(tuple(shape))
    return ret
