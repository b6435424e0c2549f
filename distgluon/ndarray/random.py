"""``mx.nd.random``: draw random arrays (uniform, normal, gamma, ..., multinomial, shuffle).

Scalar parameters draw ``shape`` samples through the ``_random_*`` operators; NDArray
parameters draw ``shape`` samples per element through ``_sample_*`` (output shape
``param.shape + shape``), as in MXNet. Seed with ``mx.random.seed``.
"""
import numpy as np

from ..base import MXNetError, numeric_types
from ..context import as_context
from ..ops.registry import get_op
from .dispatch import invoke
from .ndarray import NDArray

__all__ = ['uniform', 'normal', 'randn', 'exponential', 'gamma', 'multinomial',
           'negative_binomial', 'generalized_negative_binomial', 'shuffle', 'randint',
           'poisson']


def _on(ctx, op_name, inputs, attrs, out):
    """Invoke a sampling op with ``ctx`` current, so it draws from ctx's generator."""
    with ctx:
        return invoke(get_op(op_name), inputs, attrs, out=out)


def _attrs(kwargs, **given):
    attrs = dict(kwargs)
    attrs.update((k, v) for k, v in given.items() if v is not None)
    return attrs


def _random_helper(random, sampler, names, params, shape, dtype, ctx, out, kwargs):
    """Dispatch to ``_random_*`` (numbers) or ``_sample_*`` (NDArrays), as MXNet does.

    Raises
    ------
    AssertionError
        When NDArray and number parameters are mixed (MXNet's error kind).
    ValueError
        When a parameter is neither a number nor an NDArray.
    """
    device = kwargs.pop('device', None)
    kwargs.pop('name', None)
    if isinstance(params[0], NDArray):
        for p in params[1:]:
            if not isinstance(p, NDArray):
                raise AssertionError('Distribution parameters must all have the same type, '
                                     'but got both %s and %s.' % (type(params[0]), type(p)))
        if sampler is None:
            raise TypeError('{}: NDArray parameters are not supported; pass numbers for low '
                            'and high'.format(random))
        attrs = _attrs(kwargs, shape=shape, dtype=dtype)
        return _on(params[0].context, sampler, list(params), attrs, out)
    if isinstance(params[0], numeric_types):
        for p in params[1:]:
            if not isinstance(p, numeric_types):
                raise AssertionError('Distribution parameters must all have the same type, '
                                     'but got both %s and %s.' % (type(params[0]), type(p)))
        if out is not None:
            if shape is None:
                shape = out.shape
            if dtype is None:
                dtype = out.dtype
            elif _dtype_name(dtype) != _dtype_name(out.dtype):
                raise MXNetError('{}: the out= array has dtype {} but dtype={} was requested; '
                                 'give an out= array of that dtype or drop dtype='.format(
                                     random, _dtype_name(out.dtype), _dtype_name(dtype)))
            if ctx is None and device is None:
                ctx = out.context
        elif shape is None:
            shape = 1
        attrs = _attrs(kwargs, shape=shape, dtype=dtype)
        attrs.update(zip(names, params))
        attrs['ctx'] = as_context(ctx, device)
        return invoke(get_op(random), [], attrs, out=out)
    raise ValueError('Distribution parameters must be either NDArray or numbers, '
                     'but got %s.' % type(params[0]))


def _dtype_name(dtype):
    return np.dtype(dtype).name


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw samples from a uniform distribution on [low, high).

    Parameters
    ----------
    low, high : float or NDArray
        Bounds. With NDArrays (same shape), ``shape`` samples are drawn per element.
    shape : int or tuple of int, optional
        Samples per distribution (default: one; the shape of ``out`` when given).
    dtype : {'float16', 'float32', 'float64'}, optional
        Output dtype (default float32, or the dtype of ``out``).
    ctx : Context, optional
        Device of the output for scalar parameters (``device=`` is accepted too).
    out : NDArray, optional
        Array to write the samples into.

    Examples
    --------
    >>> mx.nd.random.uniform(0, 1, shape=(2,)).shape
    (2,)
    >>> mx.nd.random.uniform(mx.nd.array([0, 2]), mx.nd.array([1, 3]), shape=3).shape
    (2, 3)
    """
    return _random_helper('_random_uniform', '_sample_uniform', ('low', 'high'), [low, high],
                          shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw samples from a normal distribution with mean ``loc`` and standard deviation
    ``scale`` (numbers, or NDArrays for one distribution per element; see `uniform`)."""
    return _random_helper('_random_normal', '_sample_normal', ('loc', 'scale'), [loc, scale],
                          shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Draw standard normal samples of shape ``shape`` (``loc``, ``scale``, ``dtype``,
    ``ctx`` and ``out`` keywords as in `normal`).

    Examples
    --------
    >>> mx.nd.random.randn(2, 3).shape
    (2, 3)
    """
    loc = kwargs.pop('loc', 0)
    scale = kwargs.pop('scale', 1)
    dtype = kwargs.pop('dtype', None)
    ctx = kwargs.pop('ctx', None)
    out = kwargs.pop('out', None)
    for v in (loc, scale):
        if not isinstance(v, (int, float, NDArray)):
            raise AssertionError('randn: loc and scale must be numbers or NDArrays, got '
                                 '{}'.format(type(v)))
    return _random_helper('_random_normal', '_sample_normal', ('loc', 'scale'), [loc, scale],
                          shape, dtype, ctx, out, kwargs)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw integers uniformly from [low, high) (dtype int32 by default, or int64).

    Raises
    ------
    MXNetError
        When ``low >= high`` or the bounds do not fit the dtype.
    """
    return _random_helper('_random_randint', None, ('low', 'high'), [low, high], shape, dtype,
                          ctx, out, kwargs)


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw samples from an exponential distribution with mean ``scale`` (the operators
    take the rate ``lam = 1 / scale``)."""
    return _random_helper('_random_exponential', '_sample_exponential', ('lam',),
                          [1.0 / scale], shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw samples from a gamma distribution with shape ``alpha`` and scale ``beta``
    (mean ``alpha * beta``)."""
    return _random_helper('_random_gamma', '_sample_gamma', ('alpha', 'beta'), [alpha, beta],
                          shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw samples from a Poisson distribution with rate ``lam`` (returned as floats)."""
    return _random_helper('_random_poisson', '_sample_poisson', ('lam',), [lam], shape, dtype,
                          ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draw the number of failures before the ``k``-th success with success probability
    ``p`` (mean ``k (1 - p) / p``; returned as floats)."""
    return _random_helper('_random_negative_binomial', '_sample_negative_binomial',
                          ('k', 'p'), [k, p], shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None,
                                  **kwargs):
    """Draw from a negative binomial distribution with mean ``mu`` and dispersion
    ``alpha`` (variance ``mu + alpha * mu**2``; ``alpha = 0`` is Poisson)."""
    return _random_helper('_random_generalized_negative_binomial',
                          '_sample_generalized_negative_binomial', ('mu', 'alpha'),
                          [mu, alpha], shape, dtype, ctx, out, kwargs)


def multinomial(data, shape=None, get_prob=False, out=None, dtype='int32', **kwargs):
    """Draw indices from the categorical distributions on the last axis of ``data``.

    Parameters
    ----------
    data : NDArray
        Probabilities, shape ``(..., k)``; each row should sum to one (rows are not
        normalised: as in MXNet a draw above a row's total gives index k).
    shape : int or tuple of int, optional
        Samples per distribution; output shape ``data.shape[:-1] + shape``.
    get_prob : bool
        Also return the log-probability of each drawn index; it is differentiable
        w.r.t. ``data`` (REINFORCE-style estimators).
    out : NDArray, optional
    dtype : {'int32', 'uint8', 'float16', 'float32', 'float64'}

    Returns
    -------
    NDArray, or list ``[samples, log_probabilities]`` with ``get_prob=True``.
    """
    kwargs.pop('name', None)
    if not isinstance(data, NDArray):
        raise TypeError('multinomial: data must be an NDArray of probabilities, got '
                        '{}'.format(type(data).__name__))
    if out is not None:
        first = out[0] if isinstance(out, (list, tuple)) else out
        if _dtype_name(first.dtype) != _dtype_name(dtype):
            raise MXNetError('_sample_multinomial: the out= array has dtype {} but the samples '
                             'have dtype {}; pass dtype={!r} or an out= array of dtype '
                             '{}'.format(_dtype_name(first.dtype), _dtype_name(dtype),
                                         _dtype_name(first.dtype), _dtype_name(dtype)))
    attrs = _attrs(kwargs, shape=shape, dtype=dtype)
    attrs['get_prob'] = get_prob
    return _on(data.context, '_sample_multinomial', [data], attrs, out)


def shuffle(data, **kwargs):
    """A copy of ``data`` with its first axis randomly permuted (``out=`` accepted).

    Examples
    --------
    >>> sorted(mx.nd.random.shuffle(mx.nd.arange(4)).asnumpy().tolist())
    [0.0, 1.0, 2.0, 3.0]
    """
    out = kwargs.pop('out', None)
    kwargs.pop('name', None)
    if not isinstance(data, NDArray):
        raise TypeError('shuffle: data must be an NDArray, got {}'.format(type(data).__name__))
    return _on(data.context, '_shuffle', [data], kwargs, out)


def _make_like(dist, names):
    op_name = '_random_{}_like'.format(dist)

    def like(data=None, *args, out=None, name=None, **kwargs):
        if not isinstance(data, NDArray):
            raise TypeError('{}_like: data must be an NDArray, got {}'.format(
                dist, type(data).__name__))
        if len(args) > len(names):
            raise TypeError('{}_like: too many positional arguments'.format(dist))
        for k, v in zip(names, args):
            if k in kwargs:
                raise TypeError('{}_like: got two values for {!r}'.format(dist, k))
            kwargs[k] = v
        return _on(data.context, op_name, [data], _attrs(kwargs), out)

    like.__name__ = like.__qualname__ = dist + '_like'
    like.__doc__ = ('Draw samples from the {} distribution ({}) with the shape and dtype '
                    'of data.'.format(dist.replace('_', ' '), ', '.join(names)))
    return like


uniform_like = _make_like('uniform', ('low', 'high'))
normal_like = _make_like('normal', ('loc', 'scale'))
gamma_like = _make_like('gamma', ('alpha', 'beta'))
exponential_like = _make_like('exponential', ('lam',))
poisson_like = _make_like('poisson', ('lam',))
negative_binomial_like = _make_like('negative_binomial', ('k', 'p'))
generalized_negative_binomial_like = _make_like('generalized_negative_binomial',
                                                ('mu', 'alpha'))
