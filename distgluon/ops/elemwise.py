"""Elementwise operators: unary math, binary (elemwise_* / broadcast_*), scalar forms.

Each line pairs a forward with its derivative, ``grad(x, y, dy)`` for unary ops.
MXNet does no type promotion: both array operands must share a dtype, and a Python
scalar is cast to the array's dtype first (int32 ``x * 2.5`` multiplies by 2).
"""
import numpy as np

from .registry import Op, Attr, register, unbroadcast, Sample
from ..base import MXNetError

__all__ = []

_LN10 = np.log(10.0)
_LN2 = np.log(2.0)


def _rint(x):
    """MXNet's rint: nearest integer, ties toward the floor (0.5 -> 0, -2.5 -> -3)."""
    lo, hi = np.floor(x), np.ceil(x)
    return np.where(x - lo <= hi - x, lo, hi)


def _round(x):
    """Round half away from zero (C's roundf), exact for every float."""
    t = np.trunc(x)
    return t + np.where(np.abs(x - t) >= 0.5, np.sign(x), 0).astype(x.dtype)


def _c_float(fn):
    """Evaluate a float32 transcendental in float64 and round once, as C's expf/logf do
    (numpy's own float32 SIMD kernels differ from them by an ulp in ~40% of elements)."""
    def wrapped(x):
        if x.dtype == np.float32:
            return fn(x.astype(np.float64)).astype(np.float32)
        return fn(x)
    wrapped.__name__ = getattr(fn, '__name__', 'fn')
    return wrapped


def _special(name):
    import scipy.special  # only the special functions need scipy
    return getattr(scipy.special, name)


def _sigmoid(x):
    out = np.empty_like(x)
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def _unary(name, forward, grad, aliases=(), method=True, low=-0.9, high=0.9, custom=None):
    """Register a unary op: ``forward(x)`` and ``grad(x, y, dy)`` (None: no gradient).

    ``low``/``high`` give the input range of its gradient-check samples.
    """
    cls = type('Unary_' + name, (Op,), {
        'name': name, 'aliases': tuple(aliases), 'method': name if method else None,
        'samples': (Sample((3, 4), low=low, high=high), Sample((5,), low=low, high=high)),
        'differentiable': grad is not None, 'custom_gradient': custom,
        'forward': lambda self, xp, a, x: forward(x),
        'backward': lambda self, xp, a, xs, ys, dys: grad(xs[0], ys[0], dys[0]),
    })
    register(cls)


def _zero_grad(x, y, dy):
    return np.zeros_like(x)


_unary('negative', np.negative, lambda x, y, dy: -dy)
_unary('abs', np.abs, lambda x, y, dy: dy * np.sign(x))
_unary('sign', np.sign, _zero_grad)
_unary('exp', _c_float(np.exp), lambda x, y, dy: dy * y)
_unary('expm1', _c_float(np.expm1), lambda x, y, dy: dy * (y + 1))
_unary('log', _c_float(np.log), lambda x, y, dy: dy / x, low=0.2, high=2)
_unary('log10', _c_float(np.log10), lambda x, y, dy: dy / (x * _LN10), low=0.2, high=2)
_unary('log2', _c_float(np.log2), lambda x, y, dy: dy / (x * _LN2), low=0.2, high=2)
_unary('log1p', _c_float(np.log1p), lambda x, y, dy: dy / (1 + x))
_unary('sqrt', np.sqrt, lambda x, y, dy: dy / (2 * y), low=0.2, high=2)
_unary('rsqrt', lambda x: 1 / np.sqrt(x), lambda x, y, dy: -0.5 * dy * y * y * y, low=0.2, high=2)
_unary('cbrt', np.cbrt, lambda x, y, dy: dy / (3 * y * y), low=0.2, high=2)
_unary('rcbrt', lambda x: 1 / np.cbrt(x), lambda x, y, dy: -dy * y / (3 * x), low=0.2, high=2)
_unary('square', np.square, lambda x, y, dy: 2 * x * dy)
_unary('reciprocal', np.reciprocal, lambda x, y, dy: -dy / (x * x), low=0.3, high=2)
_unary('floor', np.floor, _zero_grad)
_unary('ceil', np.ceil, _zero_grad)
_unary('trunc', np.trunc, _zero_grad)
_unary('fix', np.trunc, _zero_grad)
_unary('round', _round, _zero_grad)
_unary('rint', _rint, _zero_grad)
_unary('sin', _c_float(np.sin), lambda x, y, dy: dy * np.cos(x))
_unary('cos', _c_float(np.cos), lambda x, y, dy: -dy * np.sin(x))
_unary('tan', _c_float(np.tan), lambda x, y, dy: dy * (1 + y * y))
_unary('arcsin', _c_float(np.arcsin), lambda x, y, dy: dy / np.sqrt(1 - x * x))
_unary('arccos', _c_float(np.arccos), lambda x, y, dy: -dy / np.sqrt(1 - x * x))
_unary('arctan', _c_float(np.arctan), lambda x, y, dy: dy / (1 + x * x))
_unary('sinh', _c_float(np.sinh), lambda x, y, dy: dy * np.cosh(x))
_unary('cosh', _c_float(np.cosh), lambda x, y, dy: dy * np.sinh(x))
_unary('tanh', _c_float(np.tanh), lambda x, y, dy: dy * (1 - y * y))
_unary('arcsinh', _c_float(np.arcsinh), lambda x, y, dy: dy / np.sqrt(x * x + 1))
_unary('arccosh', _c_float(np.arccosh), lambda x, y, dy: dy / np.sqrt(x * x - 1), low=1.2, high=3)
_unary('arctanh', _c_float(np.arctanh), lambda x, y, dy: dy / (1 - x * x))
_unary('degrees', np.degrees, lambda x, y, dy: dy * (180 / np.pi))
_unary('radians', np.radians, lambda x, y, dy: dy * (np.pi / 180))
_unary('sigmoid', _sigmoid, lambda x, y, dy: dy * y * (1 - y))
_unary('relu', lambda x: np.maximum(x, 0), lambda x, y, dy: dy * (x > 0))
_unary('softsign', lambda x: x / (1 + np.abs(x)),
       lambda x, y, dy: dy / np.square(1 + np.abs(x)))
_unary('erf', lambda x: _special('erf')(x).astype(x.dtype),
       lambda x, y, dy: dy * (2 / np.sqrt(np.pi)) * np.exp(-x * x))
_unary('erfinv', lambda x: _special('erfinv')(x).astype(x.dtype),
       lambda x, y, dy: dy * (np.sqrt(np.pi) / 2) * np.exp(y * y))
_unary('gamma', lambda x: _special('gamma')(x).astype(x.dtype),
       lambda x, y, dy: dy * y * _special('digamma')(x), low=0.5, high=3)
_unary('gammaln', lambda x: _special('gammaln')(x).astype(x.dtype),
       lambda x, y, dy: dy * _special('digamma')(x), low=0.5, high=3)
_unary('logical_not', lambda x: np.logical_not(x).astype(x.dtype), _zero_grad)
_unary('zeros_like', np.zeros_like, _zero_grad)
_unary('ones_like', np.ones_like, _zero_grad)
_unary('_copy', lambda x: x.copy(), lambda x, y, dy: dy, aliases=('identity',), method=False)
_unary('BlockGrad', lambda x: x.copy(), None, aliases=('stop_gradient',), method=False)
_unary('make_loss', lambda x: x.copy(), lambda x, y, dy: np.ones_like(x), method=False,
       custom='the gradient of a loss head is ones, whatever the head gradient')


@register
class Cast(Op):
    """Cast to another dtype; the gradient is cast back."""
    name = 'Cast'
    aliases = ('cast',)
    attrs = {'dtype': Attr('dtype')}
    samples = (Sample((3, 4), attrs={'dtype': 'float64'}),)

    def forward(self, xp, a, x):
        return x.astype(a.dtype)

    def backward(self, xp, a, xs, ys, dys):
        return dys[0].astype(xs[0].dtype)


@register
class Clip(Op):
    """Clip to [a_min, a_max]; the gradient passes where a_min <= x <= a_max."""
    name = 'clip'
    method = 'clip'
    attrs = {'a_min': Attr('float'), 'a_max': Attr('float')}
    samples = (Sample((4, 5), attrs={'a_min': -0.5, 'a_max': 0.5}),)

    def forward(self, xp, a, x):
        return np.clip(x, x.dtype.type(a.a_min), x.dtype.type(a.a_max))

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        return dys[0] * ((x >= a.a_min) & (x <= a.a_max))


# ------------------------------------------------------------------ binary ops
def _int_div(a, b):
    """Integer division truncating toward zero, as C does."""
    q = np.floor_divide(a, b)
    fix = (np.mod(a, b) != 0) & ((a < 0) != (b < 0))
    return q + fix.astype(q.dtype)


def _divide(a, b):
    if np.issubdtype(a.dtype, np.integer):
        with np.errstate(divide='ignore', invalid='ignore'):
            return _int_div(a, b)
    return np.divide(a, b)


def _compare(fn):
    return lambda a, b: fn(a, b).astype(np.result_type(a, b))


_BINARY = {
    # name: (forward(a, b), grad(a, b, y, dy) -> (da, db))
    'add': (np.add, lambda a, b, y, dy: (dy, dy)),
    'sub': (np.subtract, lambda a, b, y, dy: (dy, -dy)),
    'mul': (np.multiply, lambda a, b, y, dy: (dy * b, dy * a)),
    'div': (_divide, lambda a, b, y, dy: (dy / b, -dy * a / (b * b))),
    'mod': (np.mod, lambda a, b, y, dy: (dy, -dy * np.floor(a / b))),
    'power': (np.power, lambda a, b, y, dy: (
        dy * b * np.power(a, b - 1),
        dy * y * np.log(np.where(a > 0, a, 1)).astype(y.dtype))),
    'maximum': (np.maximum, lambda a, b, y, dy: (dy * (a >= b), dy * (a < b))),
    'minimum': (np.minimum, lambda a, b, y, dy: (dy * (a <= b), dy * (a > b))),
    'hypot': (np.hypot, lambda a, b, y, dy: (dy * a / y, dy * b / y)),
    'equal': (_compare(np.equal), None),
    'not_equal': (_compare(np.not_equal), None),
    'greater': (_compare(np.greater), None),
    'greater_equal': (_compare(np.greater_equal), None),
    'lesser': (_compare(np.less), None),
    'lesser_equal': (_compare(np.less_equal), None),
    'logical_and': (_compare(np.logical_and), None),
    'logical_or': (_compare(np.logical_or), None),
    'logical_xor': (_compare(np.logical_xor), None),
}

# Gradient-check input ranges (lhs, rhs) that stay clear of poles and kinks.
_BINARY_RANGE = {'add': ((-1, -1), (1, 1)), 'sub': ((-1, -1), (1, 1)),
                 'mul': ((-1, -1), (1, 1)), 'maximum': ((-1, -1), (1, 1)),
                 'minimum': ((-1, -1), (1, 1)), 'mod': ((0.1, 1.1), (0.9, 2.0)),
                 'div': ((-1, 0.5), (1, 2)), 'power': ((0.5, -1), (2, 2))}
_ELEMWISE_ALIASES = {'add': ('_plus', '_add', 'elemwise_add'),
                     'sub': ('_minus', '_sub', 'elemwise_sub'),
                     'mul': ('_mul', 'elemwise_mul'), 'div': ('_div', 'elemwise_div')}
_BROADCAST_ALIASES = {'add': ('broadcast_plus',), 'sub': ('broadcast_minus',)}


def _make_binary(name, forward, grad, broadcast, aliases):
    def fwd(self, xp, a, x, y):
        if not broadcast and x.shape != y.shape:
            raise MXNetError('{}: operands must have the same shape, got {} and {}; use '
                             'broadcast_{} to broadcast'.format(self.name, x.shape, y.shape,
                                                                name))
        return forward(x, y)

    def bwd(self, xp, a, xs, ys, dys):
        da, db = (np.zeros_like(xs[0]), np.zeros_like(xs[1])) if grad is None else \
            grad(xs[0], xs[1], ys[0], dys[0])
        return unbroadcast(np.asarray(da), xs[0].shape), unbroadcast(np.asarray(db),
                                                                     xs[1].shape)
    low, high = _BINARY_RANGE.get(name, ((0.5, 0.5), (2.0, 2.0)))
    shapes = [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((2, 1, 3), (4, 1))] if broadcast \
        else [((3, 4), (3, 4))]
    samples = tuple(Sample(*sh, make=lambda rng, sh=sh: [
        rng.uniform(low[i], high[i], size=sh[i]) for i in range(2)]) for sh in shapes)
    primary = aliases[0] if not broadcast and aliases else (
        'broadcast_' + name if broadcast else '_' + name)
    rest = tuple(n for n in aliases if n != primary)
    register(type('Binary_' + primary, (Op,), {
        'name': primary, 'aliases': rest, 'inputs': ('lhs', 'rhs'), 'samples': samples,
        'differentiable': grad is not None, 'forward': fwd, 'backward': bwd}))


for _name, (_f, _g) in _BINARY.items():
    _make_binary(_name, _f, _g, True, _BROADCAST_ALIASES.get(_name, ()))
    if _name in _ELEMWISE_ALIASES:
        _al = _ELEMWISE_ALIASES[_name]
        _make_binary(_name, _f, _g, False, (_al[-1],) + _al[:-1])
    else:
        _make_binary(_name, _f, _g, False, ('_' + _name,))


# ------------------------------------------------------------------ scalar ops
def _cast_scalar(x, s):
    """MXNet casts the scalar to the array's dtype before the operation."""
    return x.dtype.type(s)


_SCALAR = {
    # name: (forward(x, s), grad(x, s, y, dy))
    '_plus_scalar': (np.add, lambda x, s, y, dy: dy),
    '_minus_scalar': (np.subtract, lambda x, s, y, dy: dy),
    '_rminus_scalar': (lambda x, s: s - x, lambda x, s, y, dy: -dy),
    '_mul_scalar': (np.multiply, lambda x, s, y, dy: dy * s),
    '_div_scalar': (_divide, lambda x, s, y, dy: dy / s),
    '_rdiv_scalar': (lambda x, s: _divide(np.asarray(s, x.dtype), x),
                     lambda x, s, y, dy: -dy * s / (x * x)),
    '_mod_scalar': (np.mod, lambda x, s, y, dy: dy),
    '_rmod_scalar': (lambda x, s: np.mod(s, x), lambda x, s, y, dy: -dy * np.floor(s / x)),
    '_power_scalar': (np.power, lambda x, s, y, dy: dy * s * np.power(x, s - 1)),
    '_rpower_scalar': (lambda x, s: np.power(s, x),
                       lambda x, s, y, dy: dy * y * np.log(s)),
    '_maximum_scalar': (np.maximum, lambda x, s, y, dy: dy * (x >= s)),
    '_minimum_scalar': (np.minimum, lambda x, s, y, dy: dy * (x <= s)),
    '_hypot_scalar': (np.hypot, lambda x, s, y, dy: dy * x / y),
    '_equal_scalar': (_compare(np.equal), None),
    '_not_equal_scalar': (_compare(np.not_equal), None),
    '_greater_scalar': (_compare(np.greater), None),
    '_greater_equal_scalar': (_compare(np.greater_equal), None),
    '_lesser_scalar': (_compare(np.less), None),
    '_lesser_equal_scalar': (_compare(np.less_equal), None),
    '_logical_and_scalar': (_compare(np.logical_and), None),
    '_logical_or_scalar': (_compare(np.logical_or), None),
    '_logical_xor_scalar': (_compare(np.logical_xor), None),
}


_SCALAR_RANGE = {'_mod_scalar': (0.2, 1.4), '_rmod_scalar': (1.6, 2.5),
                 '_maximum_scalar': (0.5, 2.5), '_minimum_scalar': (0.5, 2.5)}


def _make_scalar(name, forward, grad):
    def fwd(self, xp, a, x):
        y = forward(x, _cast_scalar(x, a.scalar))
        return y if y.dtype == x.dtype else y.astype(x.dtype)

    def bwd(self, xp, a, xs, ys, dys):
        if grad is None:
            return np.zeros_like(xs[0])
        return grad(xs[0], _cast_scalar(xs[0], a.scalar), ys[0], dys[0])
    low, high = _SCALAR_RANGE.get(name, (0.5, 2.0))
    register(type('Scalar' + name, (Op,), {
        'name': name, 'attrs': {'scalar': Attr('float'), 'is_int': Attr('bool', True)},
        'differentiable': grad is not None,
        'samples': (Sample((3, 4), attrs={'scalar': 1.5}, low=low, high=high),),
        'forward': fwd, 'backward': bwd}))


for _name, (_f, _g) in _SCALAR.items():
    _make_scalar(_name, _f, _g)


@register
class AddN(Op):
    """Sum of any number of same-shaped arrays."""
    name = 'add_n'
    aliases = ('ElementWiseSum', '_sum')
    inputs = ('*args',)
    attrs = {'num_args': Attr('int')}
    samples = (Sample((3, 4), (3, 4), (3, 4), attrs={'num_args': 3}),)

    def forward(self, xp, a, *xs):
        out = xs[0].copy()
        for x in xs[1:]:
            if x.shape != out.shape:
                raise MXNetError('add_n: all arrays must have the same shape, got {} and '
                                 '{}'.format(out.shape, x.shape))
            out += x
        return out

    def backward(self, xp, a, xs, ys, dys):
        return tuple(dys[0] for _ in xs)
