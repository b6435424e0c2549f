"""The operator table: each operator is one `Op` subclass registered by name.

An Op holds everything about one MXNet operator: its input names, its attributes
(parsed from Python values or from the strings of a symbol JSON), the forward kernel,
the backward kernel and the shape rule. ``mx.nd``, NDArray methods and (later)
``mx.sym`` are generated from this table by a plain loop.
"""
import ast

import numpy as np

from ..base import MXNetError, normalize_dtype

__all__ = ['Op', 'Attr', 'REQUIRED', 'register', 'get_op', 'all_ops', 'Attrs',
           'unbroadcast', 'Sample']

REQUIRED = object()
_OPS = {}


class Attrs(dict):
    """Parsed operator attributes; read them as ``a.axis`` or ``a['axis']``.

    The entries are mirrored in the instance ``__dict__`` so that ``a.axis`` is a
    plain attribute lookup (a ``__getattr__`` fallback alone costs ~0.7 us per read,
    several times per operator call); every mutating dict method keeps the mirror in
    step. An attribute must therefore not be named like a dict method (``keys``,
    ``get``, ...).
    """

    def __init__(self, *args, **kwargs):
        dict.__init__(self, *args, **kwargs)
        self.__dict__.update(self)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        self.__dict__[key] = value

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self.__dict__.pop(key, None)

    def update(self, *args, **kwargs):
        dict.update(self, *args, **kwargs)
        self.__dict__.update(self)

    def setdefault(self, key, default=None):
        value = dict.setdefault(self, key, default)
        self.__dict__[key] = value
        return value

    def pop(self, key, *default):
        self.__dict__.pop(key, None)
        return dict.pop(self, key, *default)

    def popitem(self):
        key, value = dict.popitem(self)
        self.__dict__.pop(key, None)
        return key, value

    def clear(self):
        dict.clear(self)
        self.__dict__.clear()

    def __ior__(self, other):
        self.update(other)
        return self

    def copy(self):
        return Attrs(self)

    def __reduce__(self):
        return (Attrs, (dict(self),))


def _parse_literal(value):
    if isinstance(value, str):
        text = value.strip()
        if text in ('None', ''):
            return None
        if text in ('True', 'true'):
            return True
        if text in ('False', 'false'):
            return False
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
    return value


def _to_int(v):
    v = _parse_literal(v)
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise ValueError('expected an integer, got {!r}'.format(v))


def _to_float(v):
    return float(_parse_literal(v))


def _to_bool(v):
    v = _parse_literal(v)
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return bool(v)
    raise ValueError('expected a boolean, got {!r}'.format(v))


def _to_shape(v):
    v = _parse_literal(v)
    if v is None:
        return None
    if isinstance(v, (int, np.integer)):
        return (int(v),)
    return tuple(None if d is None else int(d) for d in v)


def _to_axis(v):
    """An axis: None, an int, or a tuple of ints (MXNet's ``()`` means None)."""
    v = _parse_literal(v)
    if v is None:
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = tuple(int(d) for d in v)
    return v if v else None


def _to_str(v):
    return str(v) if v is not None else None


def _to_dtype(v):
    v = _parse_literal(v) if isinstance(v, str) and v == 'None' else v
    return None if v is None else normalize_dtype(v)


def _to_opt_int(v):
    v = _parse_literal(v)
    return None if v is None else _to_int(v)


def _to_opt_float(v):
    v = _parse_literal(v)
    return None if v is None else float(v)


_KINDS = {'int': _to_int, 'float': _to_float, 'bool': _to_bool, 'shape': _to_shape,
          'axis': _to_axis, 'str': _to_str, 'dtype': _to_dtype, 'int_or_none': _to_opt_int,
          'float_or_none': _to_opt_float, 'any': _parse_literal}


class Attr:
    """Specification of one operator attribute.

    Parameters
    ----------
    kind : str
        One of ``int, float, bool, shape, axis, str, dtype, int_or_none,
        float_or_none, any``.
    default : object
        Default value, or `REQUIRED`.
    choices : sequence of str, optional
        Allowed values for a string attribute.
    """
    __slots__ = ('kind', 'default', 'choices', 'convert')

    def __init__(self, kind, default=REQUIRED, choices=None):
        self.kind = kind
        self.default = default
        self.choices = tuple(choices) if choices else None
        self.convert = _KINDS[kind]


class Sample:
    """One gradient-check case for an operator (the table's own test description).

    Parameters
    ----------
    *shapes : tuple
        Shape of each input (float64 values drawn uniformly from [low, high]).
    attrs : dict
        Attributes for the call.
    low, high : float
        Range of the random inputs (keep away from kinks and poles).
    make : callable, optional
        ``make(rng) -> list of numpy arrays`` to build the inputs instead (e.g. index
        inputs, distinct values for max/sort).
    wrt : tuple of int, optional
        Indices of the inputs whose gradient is checked (default: every input).
    train : bool
        Run forward/backward in training mode (BatchNorm, Dropout).
    """

    def __init__(self, *shapes, attrs=None, low=-1.0, high=1.0, make=None, wrt=None,
                 train=False):
        self.shapes = shapes
        self.attrs = attrs or {}
        self.low, self.high = low, high
        self.make = make
        self.wrt = wrt
        self.train = train

    def inputs(self, rng):
        if self.make is not None:
            return [np.asarray(x) for x in self.make(rng)]
        return [rng.uniform(self.low, self.high, size=s) for s in self.shapes]

    def __repr__(self):
        return 'Sample({}, attrs={})'.format(', '.join(map(str, self.shapes)), self.attrs)


_SIMPLE_TYPES = frozenset((int, float, bool, str, type(None)))
_PARSE_CACHE_SIZE = 256


def _cache_key(kwargs):
    """A hashable key for attribute values of plain immutable types, else None.

    The key holds each value's type, so ``1``, ``1.0`` and ``True`` (equal in Python)
    do not share an entry: kinds such as ``str`` and ``any`` keep the difference.
    """
    key = []
    for k, v in kwargs.items():
        t = type(v)
        if t not in _SIMPLE_TYPES:
            if t is not tuple:
                return None
            for e in v:
                if type(e) is not int:
                    return None
        key.append((k, t, v))
    return tuple(key)


class Op:
    """Base class of every operator.

    Subclasses set ``name`` (the MXNet operator name), ``inputs`` (input names; a
    single ``'*data'`` means a variable number of inputs), ``attrs`` (name -> Attr)
    and implement ``forward``; differentiable ops implement ``backward``.

    ``a`` is the parsed `Attrs`; ``parse`` caches it per distinct set of plain
    attribute values, so one instance is shared by many calls: kernels read it and
    never modify it (copy it with ``Attrs(a)`` to derive another).

    ``forward(xp, a, *xs)`` returns one array or a tuple of arrays; the first
    ``num_visible(a)`` outputs are returned to the user, the rest are kept for the
    backward pass only (as MXNet does for Dropout's mask or BatchNorm's mean/var).

    ``backward(xp, a, xs, ys, dys)`` receives the forward inputs, all outputs (hidden
    ones included) and one gradient per output: an array for every visible output
    (zeros for one nothing depended on) and ``None`` for every hidden output. It
    returns one gradient per input (``None`` where an input has no gradient).

    An op that sets ``accepts_need = True`` is called as ``backward(xp, a, xs, ys,
    dys, need=need)`` by the tape, where ``need`` is a tuple of bools, one per input:
    whether that input needs a gradient (it is a marked variable or was computed from
    one). The op may return ``None`` for an input whose ``need`` is False and skip
    computing it (FullyConnected and Convolution skip the data gradient of a first
    layer this way). ``need`` is a keyword with a default meaning "every input", so a
    direct call without it still returns every gradient.
    """
    name = None
    aliases = ()
    inputs = ('data',)
    attrs = {}
    differentiable = True
    # Inputs that must share the first input's dtype (MXNet does no type promotion).
    same_dtype = True
    # Ops with randomness or train/predict behaviour look at autograd state.
    stateful = False
    # Whether the op writes nothing useful to ``out`` beyond its first output.
    method = None   # name of the NDArray method generated from this op, if any
    # Gradient-check cases (tests/ops/test_gradcheck.py walks the table and checks each).
    samples = ()
    # Ops whose backward is by definition not the derivative of their forward
    # (make_loss, SoftmaxOutput) set this to a sentence saying why.
    custom_gradient = None
    # Whether backward takes the keyword ``need`` (see the class docstring).
    accepts_need = False
    # Whether forward takes the keyword ``out``: the numpy buffers of the arrays given as
    # ``out=`` (None without), for kernels whose result depends on them (optimizer updates).
    reads_out = False

    def __init__(self):
        self._no_attrs = Attrs({k: s.default for k, s in self.attrs.items()})
        self._required = [k for k, s in self.attrs.items() if s.default is REQUIRED]
        self._parse_cache = {}
        self.variadic = bool(self.inputs) and self.inputs[0].startswith('*')

    def num_outputs(self, a):
        """Total number of outputs (visible and hidden)."""
        return 1

    def num_visible(self, a):
        """Number of outputs returned to the caller."""
        return 1

    def output_names(self, a):
        """Names of the visible outputs (used by the symbol API)."""
        n = self.num_visible(a)
        return ['output'] if n == 1 else ['output%d' % i for i in range(n)]

    def input_names(self, a, num_given=None):
        """Names of the inputs for these attributes (variadic ops: arg0, arg1, ...)."""
        if self.variadic:
            n = a.get('num_args') or num_given or 0
            return ['arg%d' % i for i in range(n)]
        return list(self.inputs)

    def parse(self, kwargs):
        """Parse user attributes into an `Attrs`, filling defaults.

        Raises
        ------
        MXNetError
            On an unknown attribute, a missing required one, or a bad value.
        """
        if not kwargs:
            if self._required:
                raise MXNetError('{}: required attribute {!r} is missing'.format(
                    self.name, self._required[0]))
            return self._no_attrs
        key = _cache_key(kwargs)
        if key is not None:
            cached = self._parse_cache.get(key)
            if cached is not None:
                return cached
        out = self._parse(kwargs)
        if key is not None:
            if len(self._parse_cache) >= _PARSE_CACHE_SIZE:
                self._parse_cache.clear()
            self._parse_cache[key] = out
        return out

    def _parse(self, kwargs):
        specs = self.attrs
        out = {}
        for k, v in kwargs.items():
            spec = specs.get(k)
            if spec is None:
                if k in ('name', 'attr', '__layout__', 'ctx_group', 'lr_mult', 'wd_mult',
                         'force_mirroring', '__profiler_scope__') or k.startswith('__'):
                    continue
                raise MXNetError('{}: unknown attribute {!r}; valid attributes are: {}'.format(
                    self.name, k, ', '.join(specs) or '(none)'))
            if v is None and spec.default is None:
                out[k] = None
                continue
            try:
                val = spec.convert(v)
            except (ValueError, TypeError, SyntaxError) as err:
                raise MXNetError('{}: invalid value {!r} for attribute {!r} ({}): {}'.format(
                    self.name, v, k, spec.kind, err)) from None
            if spec.choices is not None and val not in spec.choices:
                raise MXNetError('{}: invalid value {!r} for attribute {!r}; choose one of '
                                 '{}'.format(self.name, v, k, ', '.join(spec.choices)))
            out[k] = val
        for k, spec in specs.items():
            if k not in out:
                if spec.default is REQUIRED:
                    raise MXNetError('{}: required attribute {!r} is missing'.format(
                        self.name, k))
                out[k] = spec.default
        return Attrs(out)

    def forward(self, xp, a, *xs):
        raise NotImplementedError

    def backward(self, xp, a, xs, ys, dys):
        raise MXNetError('operator {} has no gradient'.format(self.name))

    def infer_shape(self, a, in_shapes):
        """Fill unknown input shapes (``None`` or with 0 dims) and give output shapes.

        The default runs the forward kernel on zero arrays; operators with
        parameters override it to deduce parameter shapes from the data shape.
        Returns ``(in_shapes, out_shapes)`` where out_shapes lists visible outputs.
        """
        if any(s is None or 0 in s for s in in_shapes):
            raise MXNetError('{}: cannot infer output shape from unknown input shapes '
                             '{}'.format(self.name, in_shapes))
        xs = [np.zeros(s, dtype=np.float32) for s in in_shapes]
        ys = self.forward(np, self.parse_defaults(a), *xs)
        ys = ys if isinstance(ys, tuple) else (ys,)
        return list(in_shapes), [tuple(y.shape) if y.ndim else (1,)
                                 for y in ys[:self.num_visible(a)]]

    def parse_defaults(self, a):
        return a

    def __repr__(self):
        return '<Op {}>'.format(self.name)


def register(cls):
    """Class decorator: add an Op subclass to the table under its name and aliases."""
    op = cls()
    for name in (cls.name,) + tuple(cls.aliases):
        if name in _OPS:
            raise MXNetError('operator {} registered twice'.format(name))
        _OPS[name] = op
    return cls


def get_op(name):
    """The Op registered under ``name`` (MXNet name or alias)."""
    try:
        return _OPS[name]
    except KeyError:
        raise MXNetError('unknown operator {!r}'.format(name)) from None


def all_ops():
    """Dict of every registered name (including aliases) -> Op."""
    return dict(_OPS)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting expanded to reach ``shape``."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)
