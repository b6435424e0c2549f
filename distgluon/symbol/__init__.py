"""``mx.sym``: the Symbol graph (``symbol``), operator application (``compose``), its JSON
(``graph_json``), shape/type inference (``infer``) and the executor (``executor``); one
function per operator of the table, generated below by a plain loop (names starting with
``_`` in ``mx.sym._internal``).
"""
import sys
import types
from numbers import Number

from .. import ops as _ops  # noqa: F401  (fills the table)
from ..ops.registry import all_ops as _all_ops
from .symbol import Symbol, var, Variable, Group, load, load_json
from .compose import create as _create
from .executor import Executor

_internal = types.ModuleType(__name__ + '._internal', 'Operators whose names start with _.')
op = types.ModuleType(__name__ + '.op', 'Every operator of the table.')
random = types.ModuleType(__name__ + '.random', 'Random sampling operators.')
sys.modules[_internal.__name__] = _internal
sys.modules[op.__name__] = op
sys.modules[random.__name__] = random


def _make_function(opdef, fname):
    hint = fname.lower()

    def function(*args, **kwargs):
        return _create(opdef, hint, args, kwargs)
    function.__name__ = fname
    function.__qualname__ = fname
    function.__doc__ = (type(opdef).__doc__ or '') + '\n\nInputs: {}; attributes: {}.'.format(
        ', '.join(opdef.inputs) or '(none)', ', '.join(opdef.attrs) or '(none)')
    return function


def _make_method(opdef, fname):
    hint = fname.lower()

    def method(self, *args, **kwargs):
        return _create(opdef, hint, (self,) + args, kwargs)
    method.__name__ = fname
    method.__doc__ = 'Symbol method form of `mx.sym.{}`.'.format(fname)
    return method


for _fname, _opdef in sorted(_all_ops().items()):
    _fn = _make_function(_opdef, _fname)
    setattr(op, _fname, _fn)
    if _fname.startswith('_'):
        setattr(_internal, _fname, _fn)
    elif _fname not in globals():
        globals()[_fname] = _fn

# The operator methods of MXNet 1.9.1's Symbol (``x.reshape(...)`` is ``sym.reshape(x, ...)``).
_METHODS = (
    'abs arccos arccosh arcsin arcsinh arctan arctanh argmax argmax_channel argmin argsort '
    'broadcast_axes broadcast_like broadcast_to cbrt ceil clip cos cosh degrees depth_to_space '
    'diag exp expand_dims expm1 fix flatten flip floor log log10 log1p log2 log_softmax max '
    'mean min nanprod nansum norm one_hot ones_like pad pick prod radians rcbrt reciprocal '
    'relu repeat reshape reshape_like rint round rsqrt shape_array sigmoid sign sin sinh '
    'size_array slice slice_axis slice_like softmax softmin sort space_to_depth split sqrt '
    'square squeeze sum swapaxes take tan tanh tile topk transpose trunc zeros_like').split()
for _m in _METHODS:
    if _m in _all_ops() and not hasattr(Symbol, _m):
        setattr(Symbol, _m, _make_method(_all_ops()[_m], _m))
if 'Cast' in _all_ops():
    Symbol.astype = _make_method(_all_ops()['Cast'], 'cast')
if '_split_v2' in _all_ops():
    Symbol.split_v2 = _make_method(_all_ops()['_split_v2'], '_split_v2')

# MXNet's CamelCase aliases used by Symbol's operators (x + y is _internal._Plus: the node
# is an elemwise_add named _plus0).
_ARITH_ALIASES = {
    '_Plus': 'elemwise_add', '_Minus': 'elemwise_sub', '_Mul': 'elemwise_mul',
    '_Div': 'elemwise_div', '_Mod': '_mod', '_Power': '_power',
    '_PlusScalar': '_plus_scalar', '_MinusScalar': '_minus_scalar',
    '_RMinusScalar': '_rminus_scalar', '_MulScalar': '_mul_scalar',
    '_DivScalar': '_div_scalar', '_RDivScalar': '_rdiv_scalar', '_ModScalar': '_mod_scalar',
    '_RModScalar': '_rmod_scalar', '_PowerScalar': '_power_scalar',
    '_RPowerScalar': '_rpower_scalar', '_Maximum': '_maximum', '_MaximumScalar': '_maximum_scalar',
    '_Minimum': '_minimum', '_MinimumScalar': '_minimum_scalar', '_Hypot': '_hypot',
    '_HypotScalar': '_hypot_scalar',
}
for _alias, _target in _ARITH_ALIASES.items():
    if not hasattr(_internal, _alias):
        setattr(_internal, _alias, _make_function(_all_ops()[_target], _alias))


def _binary_helper(sym_fn, scalar_fn, rscalar_fn, number_fn):
    def function(left, right):
        if isinstance(left, Symbol) and isinstance(right, Symbol):
            return getattr(_internal, sym_fn)(left, right)
        if isinstance(left, Symbol) and isinstance(right, Number):
            return getattr(_internal, scalar_fn)(left, scalar=right)
        if isinstance(left, Number) and isinstance(right, Symbol):
            return getattr(_internal, rscalar_fn)(right, scalar=left)
        if isinstance(left, Number) and isinstance(right, Number):
            return number_fn(left, right)
        raise TypeError('types (%s, %s) not supported' % (str(type(left)), str(type(right))))
    return function


maximum = _binary_helper('_Maximum', '_MaximumScalar', '_MaximumScalar',
                         lambda x, y: x if x > y else y)
minimum = _binary_helper('_Minimum', '_MinimumScalar', '_MinimumScalar',
                         lambda x, y: x if x < y else y)
pow = power = _binary_helper('_Power', '_PowerScalar', '_RPowerScalar',  # noqa: A001
                             lambda x, y: x ** y)
hypot = _binary_helper('_Hypot', '_HypotScalar', '_HypotScalar',
                       lambda x, y: (x ** 2 + y ** 2) ** 0.5)
for _f, _n in ((maximum, 'maximum'), (minimum, 'minimum'), (pow, 'pow'), (hypot, 'hypot')):
    _f.__name__ = _n
    _f.__doc__ = 'Element-wise {} of two Symbols, or of a Symbol and a number.'.format(_n)


def _random_function(name):
    """``mx.sym.random.<name>``: ``_random_<name>`` for scalar parameters,
    ``_sample_<name>`` when the first parameter is a Symbol (as MXNet's helper)."""
    table = _all_ops()
    scalar_op = table.get('_random_' + name)
    sample_op = table.get('_sample_' + name)

    def function(*args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        if isinstance(first, Symbol) and sample_op is not None:
            return _create(sample_op, '_sample_' + name, args, kwargs)
        return _create(scalar_op, '_random_' + name, args, kwargs)
    function.__name__ = name
    function.__doc__ = 'Random samples from the {} distribution (symbolic).'.format(name)
    return function


for _name in ('uniform', 'normal', 'gamma', 'exponential', 'poisson', 'negative_binomial',
              'generalized_negative_binomial', 'randint'):
    if '_random_' + _name in _all_ops():
        setattr(random, _name, _random_function(_name))

__all__ = ['Symbol', 'var', 'Variable', 'Group', 'load', 'load_json', 'Executor']
from ..ndarray import namespaces as _ns  # noqa: E402  (mx.sym.linalg / contrib / image)
_ns.install(sys.modules[__name__])
from .creation import zeros, ones, full, arange, linspace, eye  # noqa: E402,F401
