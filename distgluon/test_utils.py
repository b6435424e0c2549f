"""``mx.test_utils``: the testing helpers of MXNet 1.x that user test suites import -
tolerances and `assert_almost_equal`, random arrays and shapes (dense and sparse),
numerical gradient checks and symbolic forward/backward checks, `download`.

Notes
-----
* A failing `assert_almost_equal` formats its arrays with numpy print options
  ``threshold=4, suppress=True`` for the message only; MXNet sets them globally and
  leaves them set.
* `check_numeric_gradient` also accepts a Python function of NDArrays instead of a
  Symbol (see its docstring).
* `list_gpus` is ``range(0)``: distgluon has no GPU backend. `get_mnist` reads the four
  MNIST ``.gz`` files from the current directory and otherwise raises a clear error
  (MXNet's download location no longer exists).
"""
import contextlib
import gzip
import numbers
import os
import struct
import sys

import numpy as np
import numpy.testing as npt

from . import context as _context
from .base import MXNetError
from .context import current_context
from . import ndarray as nd
from .ndarray import NDArray
from .random_data import (random_arrays, random_uniform_arrays, random_sample, assign_each,
                          assign_each2, rand_sparse_ndarray, rand_ndarray, create_sparse_array,
                          create_sparse_array_zd, rand_shape_2d, rand_shape_3d, rand_shape_nd,
                          rand_coord_2d, np_reduce)
from .symbolic_checks import (numeric_grad, check_numeric_gradient, check_symbolic_forward,
                                check_symbolic_backward, simple_forward)

__all__ = ['default_context', 'set_default_context', 'default_dtype', 'default_rtols',
           'default_atols', 'default_numeric_eps', 'effective_dtype', 'get_tolerance',
           'get_tols', 'get_atol', 'get_rtol', 'get_etol', 'random_arrays',
           'random_uniform_arrays', 'random_sample', 'rand_sparse_ndarray', 'rand_ndarray',
           'create_sparse_array', 'create_sparse_array_zd', 'rand_shape_2d', 'rand_shape_3d',
           'rand_shape_nd', 'rand_coord_2d', 'np_reduce', 'same', 'checkShapes',
           'almost_equal', 'locationError', 'assert_almost_equal', 'assert_allclose',
           'assert_almost_equal_with_err', 'assert_almost_equal_ignore_nan',
           'assert_exception', 'retry', 'simple_forward', 'numeric_grad',
           'check_numeric_gradient', 'check_symbolic_forward', 'check_symbolic_backward',
           'list_gpus', 'download', 'get_mnist', 'same_array', 'discard_stderr', 'DummyIter',
           'environment', 'collapse_sum_like', 'assign_each', 'assign_each2']


# ---------------------------------------------------------------- context and tolerances
def default_context():
    """The context tests run on: the current context."""
    return current_context()


def set_default_context(ctx):
    """Make ``ctx`` the context used outside any ``with ctx:`` block."""
    _context.set_default_context(ctx)


def default_dtype():
    """The dtype of test data: numpy.float32."""
    return np.float32


def _per_dtype(f16, f32, f64):
    table = {np.dtype(np.float16): f16, np.dtype(np.float32): f32,
             np.dtype(np.float64): f64}
    for t in (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64):
        table[np.dtype(t)] = 0
    return table


def default_rtols():
    """Relative tolerance per dtype (float16 1e-2, float32 1e-4, float64 1e-5, ints 0)."""
    return _per_dtype(1e-2, 1e-4, 1e-5)


def default_atols():
    """Absolute tolerance per dtype (float16 1e-1, float32 1e-3, float64 1e-20, ints 0)."""
    return _per_dtype(1e-1, 1e-3, 1e-20)


def default_numeric_eps():
    """Finite-difference step per float dtype (powers of two: 2**-6, 2**-9, 2**-14)."""
    return {np.dtype(np.float16): 1.0 / 2 ** 6, np.dtype(np.float32): 1.0 / 2 ** 9,
            np.dtype(np.float64): 1.0 / 2 ** 14}


def effective_dtype(dat):
    """The dtype whose tolerance applies to ``dat`` (its own: there is no TF32 here)."""
    return np.dtype(dat.dtype)


def get_tolerance(dat, tol, default_tol):
    """``tol`` if it is a number, else ``tol[dtype]`` or ``default_tol[dtype]``."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    tol = {} if tol is None else tol
    return tol.get(dtype, default_tol[dtype])


def get_tols(x, y, rtol, atol):
    """(rtol, atol) for comparing ``x`` and ``y``: the larger default of their dtypes
    where not given."""
    if isinstance(x, numbers.Number):
        x = np.array(x)
    if isinstance(y, numbers.Number):
        y = np.array(y)
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol``, or the default absolute tolerance of ``dtype``."""
    return default_atols()[dtype] if atol is None else atol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol``, or the default relative tolerance of ``dtype``."""
    return default_rtols()[dtype] if rtol is None else rtol


def get_etol(etol=None):
    """``etol``, or 0."""
    return 0 if etol is None else etol


# ---------------------------------------------------------------- comparisons
def _legacy_print_options():
    """Print arrays as numpy 1.x does (no ``shape=`` in summarised reprs, plain scalars),
    as MXNet's messages show them."""
    try:
        with np.printoptions(legacy='1.25'):
            pass
    except (ValueError, TypeError):
        return {}
    return {'legacy': '1.25'}


_LEGACY_PRINT = _legacy_print_options()


def _find_max_violation(a, b, rtol, atol):
    """Location and size (in tolerances) of the largest violation (inf == inf)."""
    absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
    violation = absdiff / (atol + rtol * np.abs(b) + 1e-20)
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(violation), violation.shape))
    return idx, np.max(violation)


def same(a, b):
    """Whether two numpy arrays are equal (shape and values)."""
    return np.array_equal(a, b)


def checkShapes(a, b):
    """AssertionError when the shapes differ."""
    if a.shape != b.shape:
        raise AssertionError(npt.build_err_msg(
            [a, b], err_msg='a.shape = {} and b.shape = {} are not equal'.format(
                str(a.shape), str(b.shape))))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """``np.allclose`` with the float64 default tolerances (rtol 1e-5, atol 1e-20)."""
    if not use_broadcast:
        checkShapes(a, b)
    return np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan)


def locationError(a, b, index, names, maxError=False):
    """The 'Location of error' line of a mismatch message."""
    maximum = 'maximum ' if maxError else ''
    return 'Location of %serror: %s, %s=%.8f, %s=%.8f' % (
        maximum, str(index), names[0], a[index], names[1], b[index])


def _mismatch_error(a, b, rtol, atol, names, equal_nan, mismatches):
    """MXNet's failure message; prints the worst mismatches as MXNet does."""
    index, rel = _find_max_violation(a, b, rtol, atol)
    if index != ():
        index_err, rel_err = index, rel
        print('\n*** Maximum errors for vector of size {}:  rtol={}, atol={}\n'.format(
            a.size, rtol, atol))
        a_tmp, b_tmp = a.copy(), b.copy()
        i = 1
        while i <= a.size:
            if i <= mismatches[0]:
                print('%3d: Error %f  %s' % (i, rel, locationError(a, b, index, names)))
            a_tmp[index] = b_tmp[index] = 0
            if almost_equal(a_tmp, b_tmp, rtol, atol, equal_nan=equal_nan):
                break
            i += 1
            if i <= mismatches[1] or mismatches[1] <= 0:
                index, rel = _find_max_violation(a_tmp, b_tmp, rtol, atol)
            else:
                break
        degree = 'at least ' if mismatches[1] > 0 and i > mismatches[1] else ''
        err = 'Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %s%f%%).\n%s' % (
            rel_err, rtol, atol, degree, 100 * i / a.size,
            locationError(a, b, index_err, names, maxError=True))
    else:
        err = 'Error %f exceeds tolerance rtol=%e, atol=%e.\n' % (rel, rtol, atol)
    with np.printoptions(threshold=4, suppress=True, **_LEGACY_PRINT):
        return AssertionError(npt.build_err_msg([a, b], err_msg=err))


def _assert_bool_equal(a, b):
    """numpy's assert_equal for two bool arrays, with numpy 1.x's message."""
    if a.shape != b.shape:
        np.testing.assert_equal(a, b)
        return
    mismatch = int(np.count_nonzero(a != b))
    if mismatch:
        remark = 'Mismatched elements: {} / {} ({:.3g}%)'.format(
            mismatch, a.size, 100.0 * mismatch / a.size)
        with np.printoptions(**_LEGACY_PRINT):
            raise AssertionError(npt.build_err_msg([a, b], '\n' + remark,
                                                   header='Arrays are not equal',
                                                   names=('x', 'y')))


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Raise AssertionError unless ``|a - b| <= atol + rtol * |b|`` everywhere.

    Parameters
    ----------
    a, b : numpy.ndarray, NDArray or number
    rtol, atol : float or dict of dtype -> float, optional
        Default: the larger per-dtype default of ``a`` and ``b`` (`default_rtols`,
        `default_atols`).
    names : tuple of str
        Names of ``a`` and ``b`` in the message.
    equal_nan : bool
        Whether NaN equals NaN.
    use_broadcast : bool
        False requires equal shapes.
    mismatches : (int, int)
        How many mismatches to print and to count.

    The message is MXNet's: ``Error <e> exceeds tolerance rtol=..., atol=... (mismatch
    <p>%).`` with the location of the largest error and both arrays.
    """
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    use_np = isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
    if not use_np and not (hasattr(a, 'context') and hasattr(b, 'context')
                           and a.context == b.context and a.dtype == b.dtype):
        use_np = True
        a = a.asnumpy() if isinstance(a, NDArray) else a
        b = b.asnumpy() if isinstance(b, NDArray) else b
    if use_np:
        if getattr(a, 'dtype', None) == np.bool_ and getattr(b, 'dtype', None) == np.bool_:
            _assert_bool_equal(a, b)
            return
        if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
            return
    else:
        if nd.contrib.allclose(a, b, rtol, atol, equal_nan).asnumpy() == 1:
            return
        a, b = a.asnumpy(), b.asnumpy()
    raise _mismatch_error(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """`assert_almost_equal` with numpy's assert_allclose defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=('a', 'b'),
                                 equal_nan=False, mismatches=(10, 10)):
    """Like `assert_almost_equal`, but pass while at most a fraction ``etol`` of the
    elements are out of tolerance."""
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a = a.asnumpy() if isinstance(a, NDArray) else a
    b = b.asnumpy() if isinstance(b, NDArray) else b
    equals = np.isclose(a, b, rtol=rtol, atol=atol)
    if 1 - np.count_nonzero(equals) / equals.size > etol:
        raise _mismatch_error(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=('a', 'b')):
    """`assert_almost_equal` after zeroing the positions where either array is NaN."""
    a, b = np.copy(a), np.copy(b)
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f, exception_type, *args, **kwargs):
    """Call ``f`` and fail (AssertionError) unless it raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError()


def retry(n):
    """Decorator: rerun a stochastic test up to ``n`` times while it fails an assert."""
    if n <= 0:
        raise AssertionError('retry needs n > 0')

    def decorate(f):
        def wrapper(*args, **kwargs):
            for i in range(n):
                try:
                    f(*args, **kwargs)
                    return
                except AssertionError:
                    if i == n - 1:
                        raise
        return wrapper
    return decorate


def collapse_sum_like(a, shape):
    """Sum ``a`` over the axes that ``shape`` broadcasts along."""
    if len(a.shape) < len(shape):
        raise AssertionError('shape {} has more axes than {}'.format(shape, a.shape))
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    ndim_diff = len(a.shape) - len(shape)
    axes = list(range(ndim_diff))
    for i, s in enumerate(shape):
        if s != a.shape[i + ndim_diff]:
            if s != 1:
                raise AssertionError('shape {} does not broadcast to {}'.format(shape, a.shape))
            axes.append(i + ndim_diff)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


def same_array(array1, array2):
    """Whether two NDArrays share memory (changes one, looks at the other, restores)."""
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


# ---------------------------------------------------------------- environment, files
def list_gpus():
    """The GPU ids: ``range(0)``, distgluon has no GPU backend (MXNet returns a range)."""
    return range(_context.num_gpus())


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Download ``url`` to ``fname`` (default: the URL's last part) in ``dirname``;
    an existing file is kept unless ``overwrite``. Returns the file name."""
    from .gluon.utils import download as _download
    if retries < 0:
        raise AssertionError('Number of retries should be at least 0')
    if fname is None:
        fname = url.split('/')[-1]
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        return fname
    _download(url, path=fname, overwrite=True, retries=max(retries, 1))
    return fname


_MNIST_FILES = ('train-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz',
                't10k-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz')


def get_mnist():
    """MNIST as a dict of numpy arrays (``train_data`` (60000, 1, 28, 28) float32 in
    [0, 1], ``train_label`` int8, ``test_data``, ``test_label``), read from the four
    ``*-ubyte.gz`` files in the current directory.

    Raises
    ------
    MXNetError
        When the files are missing: MXNet's download location (data.mxnet.io) is gone.
    """
    missing = [f for f in _MNIST_FILES if not os.path.exists(f)]
    if missing:
        raise MXNetError('get_mnist reads %s from the current directory (%s) and %s missing; '
                         'MXNet\'s download location no longer exists. Download them '
                         'yourself, or use mx.gluon.data.vision.MNIST.' % (
                             ', '.join(_MNIST_FILES), os.getcwd(),
                             'they are' if len(missing) > 1 else 'it is'))

    def read(label_file, image_file):
        with gzip.open(label_file) as flbl:
            struct.unpack('>II', flbl.read(8))
            label = np.frombuffer(flbl.read(), dtype=np.int8)
        with gzip.open(image_file, 'rb') as fimg:
            _, _, rows, cols = struct.unpack('>IIII', fimg.read(16))
            image = np.frombuffer(fimg.read(), dtype=np.uint8).reshape(len(label), rows, cols)
        return label, image.reshape(image.shape[0], 1, 28, 28).astype(np.float32) / 255
    train_lbl, train_img = read(_MNIST_FILES[0], _MNIST_FILES[1])
    test_lbl, test_img = read(_MNIST_FILES[2], _MNIST_FILES[3])
    return {'train_data': train_img, 'train_label': train_lbl, 'test_data': test_img,
            'test_label': test_lbl}


@contextlib.contextmanager
def discard_stderr():
    """Silence file descriptor 2 inside the ``with`` block."""
    with open(os.devnull, 'w') as bit_bucket:
        try:
            fileno = sys.stderr.fileno()
        except (AttributeError, ValueError, OSError):
            yield
            return
        old = os.dup(fileno)
        try:
            os.dup2(bit_bucket.fileno(), fileno)
            yield
        finally:
            os.dup2(old, fileno)
            os.close(old)


@contextlib.contextmanager
def environment(*args):
    """Set environment variables inside the ``with`` block: ``environment(name, value)``
    or ``environment({name: value})`` (None unsets); restored afterwards."""
    if len(args) == 1 and isinstance(args[0], dict):
        env_vars = args[0]
    elif len(args) == 2:
        env_vars = {args[0]: args[1]}
    else:
        raise AssertionError('Expecting one dict arg or two args: env var name and value')
    snapshot = {name: os.environ.get(name) for name in env_vars}

    def apply(values):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    apply(env_vars)
    try:
        yield
    finally:
        apply(snapshot)


def _dummy_iter_class():
    from .io import DataIter

    class DummyIter(DataIter):
        """Always returns the first batch of ``real_iter`` (for speed tests); never
        raises StopIteration."""

        def __init__(self, real_iter):
            super().__init__()
            self.real_iter = real_iter
            self.provide_data = real_iter.provide_data
            self.provide_label = real_iter.provide_label
            self.batch_size = real_iter.batch_size
            self.the_batch = next(real_iter)

        def __iter__(self):
            return self

        def next(self):
            return self.the_batch
    return DummyIter


DummyIter = _dummy_iter_class()
