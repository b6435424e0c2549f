"""Sampling operators: ``_random_*`` (scalar parameters, no inputs), ``_sample_*``
(one distribution per element of parameter arrays), ``_random_*_like``,
``_sample_multinomial`` and ``_shuffle``.

Every op draws from the numpy Generator of its context (`distgluon.random.get_rng`), so
``mx.random.seed`` makes the draws reproducible. Ops without inputs carry their context in
the ``ctx`` attribute (``mx.nd.random.*`` fills it; default: the current context); ops
with inputs draw from the current context's generator, which ``mx.nd.random.*`` sets to
the inputs' context.

Notes
-----
The streams are numpy's PCG64, not MXNet's mt19937 kernels: distributions, shapes and
dtypes match MXNet, individual numbers do not. Where MXNet accepts parameters that make
no distribution and returns garbage, crashes or hangs (``randint(2, 2)``,
``negative_binomial(p=0)``, a parameter array with a negative gamma ``alpha``), we raise
`MXNetError` naming the bad value; parameter arrays of ``_sample_*`` are checked with the
rules of the scalar ops (MXNet does not check them at all).
"""
import numpy as np

from .registry import Op, Attr, register, Attrs
from ..base import MXNetError

__all__ = []

_FLOATS = ('float16', 'float32', 'float64')
_INTS = ('int32', 'int64')


def _rng():
    """The generator of the context the op runs in (see the module docstring)."""
    from ..random import get_rng
    return get_rng()


def _ctx_rng(ctx):
    from ..random import get_rng
    return get_rng(ctx)


def _out_dtype(op, a, allowed, default):
    """The output dtype: attribute ``dtype`` if given (checked against ``allowed``)."""
    dtype = a.get('dtype')
    if dtype is None:
        return np.dtype(default)
    if dtype.name not in allowed:
        raise MXNetError("{}: invalid dtype '{}' for the output; valid values are: {}".format(
            op.name, dtype.name, ', '.join(("'None'",) + tuple("'%s'" % d for d in allowed))))
    return dtype


def _check_shape(op, shape, allow_empty):
    if shape is None or (not shape and not allow_empty):
        raise MXNetError('{}: the output shape is unknown (shape={}); give shape=(n, ...) '
                         'or an out= array'.format(op.name, shape))
    if any(d is None or d <= 0 for d in shape):
        raise MXNetError('{}: invalid shape {}; every dimension must be a positive '
                         'integer'.format(op.name, shape))
    return tuple(shape)


def _work_dtype(dtype):
    """Generators draw float32 or float64 natively; float16 is drawn as float32."""
    return np.float64 if dtype == np.float64 else np.float32


def _bad(op, name, value, rule):
    value = np.asarray(value)
    shown = value.item() if value.size == 1 else 'an array with values {}..{}'.format(
        value.min(), value.max())
    raise MXNetError('{}: {} parameter in {}, got {}={}'.format(op.name, name, rule, name,
                                                                shown))


# --------------------------------------------------------------------------- distributions
# Each distribution: parameter names (scalar op, sample op, like op), a check of the
# parameter values and a sampler ``draw(rng, params, size, wd)`` returning float arrays.

def _check_uniform(op, low, high):
    if _any_less(high, low):
        raise MXNetError('{}: low must be less or equal to high in uniform distribution, got '
                         'low={} and high={}'.format(op.name, _show(low), _show(high)))


def _lowest(v):
    """The smallest value of a scalar or array parameter (fast for Python scalars)."""
    return v if isinstance(v, (int, float)) else np.min(v) if np.size(v) else 0


def _highest(v):
    return v if isinstance(v, (int, float)) else np.max(v) if np.size(v) else 0


def _any_less(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a < b
    return bool(np.any(np.asarray(a) < np.asarray(b)))


def _show(v):
    v = np.asarray(v)
    return v.item() if v.size == 1 else v.tolist() if v.size <= 8 else 'an array'


def _draw_uniform(rng, p, size, wd):
    low, high = p
    u = rng.random(size, dtype=wd)
    return low + (high - low) * u


def _check_normal(op, loc, scale, strict=True):
    if _lowest(scale) <= 0 if strict else _lowest(scale) < 0:
        _bad(op, op.param_names[1], scale, 'gaussian has to be {}'.format(
            'positive' if strict else 'non-negative'))


def _draw_normal(rng, p, size, wd):
    loc, scale = p
    return loc + scale * rng.standard_normal(size, dtype=wd)


def _check_exponential(op, lam):
    if _lowest(lam) <= 0:
        _bad(op, op.param_names[0], lam, 'exponential distribution has to be positive')


def _draw_exponential(rng, p, size, wd):
    return rng.standard_exponential(size, dtype=wd) / p[0]


def _check_gamma(op, alpha, beta):
    if _lowest(alpha) <= 0:
        _bad(op, op.param_names[0], alpha, 'gamma distribution has to be positive')
    if _lowest(beta) <= 0:
        _bad(op, op.param_names[1], beta, 'gamma distribution has to be positive')


def _draw_gamma(rng, p, size, wd):
    alpha, beta = p
    return rng.standard_gamma(np.broadcast_to(alpha, size).astype(wd), dtype=wd) * beta


def _check_poisson(op, lam):
    if _lowest(lam) < 0:
        _bad(op, op.param_names[0], lam, 'poisson distribution has to be non-negative')


def _draw_poisson(rng, p, size, wd):
    return rng.poisson(np.broadcast_to(p[0], size).astype(np.float64))


def _check_negative_binomial(op, k, p):
    if _lowest(k) < 0:
        _bad(op, op.param_names[0], k, 'negative binomial distribution has to be '
                                       'non-negative')
    if _lowest(p) <= 0 or _highest(p) > 1:
        _bad(op, op.param_names[1], p, 'negative binomial distribution has to be in (0, 1]')


def _draw_negative_binomial(rng, params, size, wd):
    # Gamma-Poisson mixture, as MXNet samples it: mean k(1-p)/p, variance k(1-p)/p^2.
    k, p = (np.broadcast_to(np.asarray(x, dtype=np.float64), size) for x in params)
    lam = rng.standard_gamma(k) * ((1 - p) / p)
    return rng.poisson(lam)


def _check_gnb(op, mu, alpha):
    if _lowest(mu) < 0:
        _bad(op, op.param_names[0], mu, 'generalized negative binomial distribution has '
                                        'to be non-negative')
    if _lowest(alpha) < 0:
        _bad(op, op.param_names[1], alpha, 'generalized negative binomial distribution '
                                           'has to be non-negative')


def _draw_gnb(rng, params, size, wd):
    # mean mu, variance mu + alpha mu^2; alpha = 0 is the Poisson distribution.
    mu, alpha = (np.broadcast_to(np.asarray(x, dtype=np.float64), size) for x in params)
    pos = alpha > 0
    safe = np.where(pos, alpha, 1.0)
    lam = np.where(pos, rng.standard_gamma(1.0 / safe) * safe * mu, mu)
    return rng.poisson(lam)


# name: ((scalar-op param, kind, default), ...), sample-op input names, check, draw
_DISTS = {
    'uniform': ((('low', 'float', 0.0), ('high', 'float', 1.0)), ('low', 'high'),
                _check_uniform, _draw_uniform),
    'normal': ((('loc', 'float', 0.0), ('scale', 'float', 1.0)), ('mu', 'sigma'),
               _check_normal, _draw_normal),
    'exponential': ((('lam', 'float', 1.0),), ('lam',), _check_exponential,
                    _draw_exponential),
    'gamma': ((('alpha', 'float', 1.0), ('beta', 'float', 1.0)), ('alpha', 'beta'),
              _check_gamma, _draw_gamma),
    'poisson': ((('lam', 'float', 1.0),), ('lam',), _check_poisson, _draw_poisson),
    'negative_binomial': ((('k', 'int', 1), ('p', 'float', 1.0)), ('k', 'p'),
                          _check_negative_binomial, _draw_negative_binomial),
    'generalized_negative_binomial': ((('mu', 'float', 1.0), ('alpha', 'float', 1.0)),
                                      ('mu', 'alpha'), _check_gnb, _draw_gnb),
}


def _finish(y, dtype):
    return np.asarray(y).astype(dtype, copy=False)


def _clip_below_high(y, low, high, dtype):
    """Keep uniform draws in [low, high) after rounding to a narrower dtype."""
    down = np.asarray(-np.inf, dtype=dtype)
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        if high > low:
            np.minimum(y, np.nextafter(np.asarray(high, dtype=dtype), down), out=y)
        return y
    low, high = np.asarray(low, dtype=dtype), np.asarray(high, dtype=dtype)
    top = np.where(high > low, np.nextafter(high, down), high)
    return np.minimum(y, top)


class _Sampler(Op):
    """Shared parts of the sampling ops: no gradient, stateful, parameter validation."""
    stateful = True
    differentiable = False
    same_dtype = True
    dist = None
    param_names = ()

    def parse(self, kwargs):
        for k in self.param_names:
            v = kwargs.get(k) if kwargs else None
            if isinstance(v, (bool, np.bool_)):
                raise MXNetError("{}: invalid value {!r} for parameter '{}'; expected a "
                                 "number".format(self.name, v, k))
        return super().parse(kwargs)


class _RandomOp(_Sampler):
    """``_random_<dist>``: scalar parameters, output shape from ``shape``."""
    inputs = ()
    dtypes = _FLOATS
    default_dtype = 'float32'

    def parse(self, kwargs):
        a = super().parse(kwargs)
        ctx = a.get('ctx')
        if ctx is None or isinstance(ctx, str):
            from ..context import as_context
            a = Attrs(a)
            a['ctx'] = as_context(ctx or None)
        return a

    def forward(self, xp, a):
        shape = _check_shape(self, a.shape, allow_empty=False)
        dtype = _out_dtype(self, a, self.dtypes, self.default_dtype)
        return self.sample(_ctx_rng(a.ctx), a, shape, dtype)

    def sample(self, rng, a, shape, dtype):
        check, draw = _DISTS[self.dist][2:4]
        params = [a[k] for k in self.param_names]
        check(self, *params)
        y = _finish(draw(rng, params, shape, _work_dtype(dtype)), dtype)
        if self.dist == 'uniform':
            y = _clip_below_high(y, params[0], params[1], dtype)
        return y

    def infer_shape(self, a, in_shapes):
        return [], [_check_shape(self, a.shape, allow_empty=False)]


def _scalar_attrs(params, extra):
    attrs = {}
    for name, kind, default in params:
        attrs[name] = Attr(kind, default)
    attrs.update(extra)
    return attrs


def _register_random(dist):
    params = _DISTS[dist][0]
    name = '_random_' + dist
    aliases = ('random_' + dist,) + ((dist,) if dist in ('uniform', 'normal') else ())
    cls = type('Random_' + dist, (_RandomOp,), {
        '__doc__': 'Draw samples from the {} distribution with scalar parameters '
                   '({}).'.format(dist.replace('_', ' '), ', '.join(p[0] for p in params)),
        'name': name, 'aliases': aliases, 'dist': dist,
        'param_names': tuple(p[0] for p in params),
        'attrs': _scalar_attrs(params, {'shape': Attr('shape', None), 'ctx': Attr('any', None),
                                        'dtype': Attr('dtype', None)}),
    })
    register(cls)


for _dist in _DISTS:
    _register_random(_dist)


@register
class RandomRandint(_RandomOp):
    """Draw integers uniformly from [low, high)."""
    name = '_random_randint'
    aliases = ('random_randint',)
    param_names = ('low', 'high')
    attrs = {'low': Attr('int'), 'high': Attr('int'), 'shape': Attr('shape', None),
             'ctx': Attr('any', None), 'dtype': Attr('dtype', None)}
    dtypes = _INTS
    default_dtype = 'int32'

    def sample(self, rng, a, shape, dtype):
        if a.low >= a.high:
            raise MXNetError('{}: low must be less than high, got low={} and high={} (samples '
                             'are drawn from [low, high))'.format(self.name, a.low, a.high))
        info = np.iinfo(dtype)
        if a.low < info.min or a.high - 1 > info.max:
            raise MXNetError("{}: bounds [{}, {}) do not fit dtype {}; use dtype='int64'".format(
                self.name, a.low, a.high, dtype.name))
        return rng.integers(a.low, a.high, size=shape, dtype=dtype)


# --------------------------------------------------------------------------- _sample_*
class _SampleOp(_Sampler):
    """``_sample_<dist>``: one distribution per element of the parameter arrays; the
    output has shape ``params.shape + shape``.

    Notes
    -----
    MXNet defines a zero gradient w.r.t. the parameter arrays; so do we.
    """
    differentiable = True
    custom_gradient = 'MXNet defines the gradient of a sample w.r.t. its parameters as zero'

    def forward(self, xp, a, *params):
        shape = _check_shape(self, a.shape, allow_empty=True)
        pshape = params[0].shape
        for n, p in zip(self.inputs, params):
            if p.shape != pshape:
                raise MXNetError('{}: parameter arrays must have the same shape, got {} for '
                                 '{} and {} for {}'.format(self.name, pshape, self.inputs[0],
                                                           p.shape, n))
        dtype = _out_dtype(self, a, _FLOATS, 'float32')
        wd = _work_dtype(dtype)
        params = [p.astype(np.float64) for p in params]
        check, draw = _DISTS[self.dist][2:4]
        if self.dist == 'normal':
            _check_normal(self, *params, strict=False)
        else:
            check(self, *params)
        size = pshape + shape
        expanded = [p.reshape(pshape + (1,) * len(shape)) for p in params]
        if self.dist in ('uniform', 'normal', 'exponential', 'gamma'):
            expanded = [p.astype(wd) for p in expanded]
        y = _finish(draw(_rng(), expanded, size, wd), dtype)
        if self.dist == 'uniform':
            y = _clip_below_high(y, expanded[0], expanded[1], dtype)
        return y

    def backward(self, xp, a, xs, ys, dys):
        return tuple(np.zeros_like(x) for x in xs)

    def infer_shape(self, a, in_shapes):
        known = [s for s in in_shapes if s is not None and 0 not in s]
        if not known:
            raise MXNetError('{}: cannot infer the output shape from unknown parameter '
                             'shapes {}'.format(self.name, in_shapes))
        shape = _check_shape(self, a.shape, allow_empty=True)
        return [tuple(known[0])] * len(in_shapes), [tuple(known[0]) + shape]


def _register_sample(dist):
    inputs = _DISTS[dist][1]
    cls = type('Sample_' + dist, (_SampleOp,), {
        '__doc__': 'Draw samples from {} distributions whose parameters ({}) are given '
                   'element-wise by the input arrays.'.format(dist.replace('_', ' '),
                                                              ', '.join(inputs)),
        'name': '_sample_' + dist, 'aliases': ('sample_' + dist,), 'dist': dist,
        'inputs': inputs, 'param_names': inputs,
        'attrs': {'shape': Attr('shape', ()), 'dtype': Attr('dtype', None)},
    })
    register(cls)


for _dist in _DISTS:
    _register_sample(_dist)


# --------------------------------------------------------------------------- _random_*_like
class _LikeOp(_RandomOp):
    """``_random_<dist>_like``: scalar parameters, shape and dtype of the input."""
    inputs = ('data',)
    differentiable = True
    custom_gradient = 'MXNet defines the gradient of a *_like sample w.r.t. data as zero'

    def parse(self, kwargs):
        return _Sampler.parse(self, kwargs)

    def forward(self, xp, a, data):
        if data.dtype.name not in _FLOATS:
            raise MXNetError('{}: this operation only supports floating point types, not '
                             '{}; cast the input with astype() first'.format(
                                 self.name, data.dtype.name))
        return self.sample(_rng(), a, data.shape, data.dtype)

    def backward(self, xp, a, xs, ys, dys):
        return np.zeros_like(xs[0])

    def infer_shape(self, a, in_shapes):
        if in_shapes[0] is None or 0 in in_shapes[0]:
            raise MXNetError('{}: the shape of data is unknown'.format(self.name))
        return list(in_shapes), [tuple(in_shapes[0])]


def _register_like(dist):
    params = _DISTS[dist][0]
    names = tuple(p[0] for p in params)
    cls = type('RandomLike_' + dist, (_LikeOp,), {
        '__doc__': 'Draw samples from the {} distribution ({}) with the shape and dtype of '
                   'data.'.format(dist.replace('_', ' '), ', '.join(names)),
        'name': '_random_{}_like'.format(dist), 'aliases': (), 'dist': dist,
        'param_names': names, 'attrs': _scalar_attrs(params, {}),
    })
    register(cls)


for _dist in _DISTS:
    _register_like(_dist)


# --------------------------------------------------------------------------- multinomial
def _multinomial_indices(rng, prob, num):
    """Index of the first cumulative probability above a uniform draw, per sample.

    ``prob`` is (n, k); returns (n, num) int64 indices. As in MXNet, probabilities are
    not normalised: a draw above the total gives index k (out of range).
    """
    n, k = prob.shape
    cum = np.cumsum(prob, axis=1, dtype=np.float64)
    u = rng.random((n, num))
    if n == 0 or k == 0:
        return np.zeros((n, num), dtype=np.int64)
    if np.all(prob >= 0):
        # Monotone rows: one searchsorted over all rows, each shifted past the previous.
        step = max(1.0, float(cum[:, -1].max())) + 1.0
        offset = (np.arange(n, dtype=np.float64) * step)[:, None]
        idx = np.searchsorted((cum + offset).ravel(), (u + offset).ravel(), side='right')
        return idx.reshape(n, num) - (np.arange(n) * k)[:, None]
    above = cum[:, None, :] > u[:, :, None]
    return np.where(above.any(axis=2), above.argmax(axis=2), k)


@register
class SampleMultinomial(Op):
    """Draw indices from categorical distributions given by the last axis of data.

    Output shape ``data.shape[:-1] + shape``; with ``get_prob=True`` a second output holds
    the log-probability of each drawn index, differentiable w.r.t. data (the gradient is
    ``head / data[index]`` at the drawn index, for score-function estimators).
    """
    name = '_sample_multinomial'
    aliases = ('sample_multinomial',)
    inputs = ('data',)
    attrs = {'shape': Attr('shape', ()), 'get_prob': Attr('bool', False),
             'dtype': Attr('dtype', np.dtype('int32'))}
    stateful = True
    same_dtype = False
    custom_gradient = ('the samples are random: the log-probability gradient is checked '
                       'with the samples held fixed in tests/test_random.py')

    def num_outputs(self, a):
        return 3 if a.get_prob else 1

    def num_visible(self, a):
        return 2 if a.get_prob else 1

    def forward(self, xp, a, data):
        if data.dtype.name not in _FLOATS:
            raise MXNetError('{}: this operation only supports floating point types, not '
                             '{}; cast the probabilities with astype() first'.format(
                                 self.name, data.dtype.name))
        dtype = a.dtype if a.dtype is not None else np.dtype('int32')
        allowed = _FLOATS + ('int32', 'uint8')
        if dtype.name not in allowed:
            raise MXNetError("{}: invalid dtype '{}'; valid values are: {}".format(
                self.name, dtype.name, ', '.join(allowed)))
        shape = _check_shape(self, a.shape, allow_empty=True)
        k = data.shape[-1]
        prob = data.reshape(-1, k)
        num = int(np.prod(shape)) if shape else 1
        idx = _multinomial_indices(_rng(), prob, num)
        out_shape = data.shape[:-1] + shape
        samples = idx.reshape(out_shape).astype(dtype)
        if not a.get_prob:
            return samples
        inside = idx < k
        picked = np.take_along_axis(prob, np.where(inside, idx, 0), axis=1)
        with np.errstate(divide='ignore', invalid='ignore'):
            logp = np.where(inside, np.log(picked), -np.inf).astype(data.dtype)
        return samples, logp.reshape(out_shape), idx.reshape(out_shape)

    def backward(self, xp, a, xs, ys, dys):
        data = xs[0]
        if not a.get_prob:
            return np.zeros_like(data)
        k = data.shape[-1]
        prob = data.reshape(-1, k)
        n = prob.shape[0]
        idx = ys[2].reshape(n, -1)
        dlp = dys[1].reshape(n, -1).astype(np.float64)
        inside = idx < k
        safe = np.where(inside, idx, 0)
        with np.errstate(divide='ignore', invalid='ignore'):
            contrib = np.where(inside, dlp / np.take_along_axis(prob, safe, axis=1), 0.0)
        flat = (np.arange(n)[:, None] * k + safe).ravel()
        grad = np.bincount(flat, weights=contrib.ravel(), minlength=n * k)
        return grad.reshape(data.shape).astype(data.dtype)

    def infer_shape(self, a, in_shapes):
        data = in_shapes[0]
        if data is None or 0 in data:
            raise MXNetError('{}: the shape of data is unknown'.format(self.name))
        out = tuple(data[:-1]) + _check_shape(self, a.shape, allow_empty=True)
        out = out or (1,)
        return list(in_shapes), [out, out] if a.get('get_prob') else [out]


# --------------------------------------------------------------------------- shuffle
@register
class Shuffle(Op):
    """Randomly permute the elements of data along its first axis."""
    name = '_shuffle'
    aliases = ('shuffle',)
    inputs = ('data',)
    attrs = {}
    stateful = True
    differentiable = False

    def forward(self, xp, a, data):
        if data.shape[0] <= 1:
            return data.copy()
        return data[_rng().permutation(data.shape[0])]

    def infer_shape(self, a, in_shapes):
        if in_shapes[0] is None or 0 in in_shapes[0]:
            raise MXNetError('{}: the shape of data is unknown'.format(self.name))
        return list(in_shapes), [tuple(in_shapes[0])]

