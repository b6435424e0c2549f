"""Creation operators without inputs: ``_zeros``, ``_ones``, ``_full``, ``_arange``,
``_linspace``, ``_eye`` and ``_zeros_without_dtype``.

They are what MXNet's ``mx.sym.zeros/ones/full/arange/linspace/eye`` build (see
`distgluon.symbol.creation`) and are reachable as ``mx.nd._internal._zeros(shape=...)``.
The output context comes from the ``ctx`` attribute (a Context or a string such as
``'cpu(1)'``; default: the current context), as for the ``_random_*`` ops.

Notes
-----
* Values are computed as MXNet's kernels do: ``_arange`` is ``start + (i // repeat) *
  step`` in the output dtype (start and step cast to it first), ``_linspace`` is
  ``start + i * step`` in float64 and then cast (no snapping of the last value to
  ``stop``), ``_full`` casts its value like a C cast (``300`` in uint8 is 44).
* ``bfloat16`` is not available (numpy has no such dtype).
* MXNet's float16 ``_arange`` returns ``start`` everywhere (a kernel bug); ours counts.
* ``_zeros_without_dtype`` takes its dtype from the graph's consumers in MXNet; here
  ``dtype=-1`` (its default) means float32 when the node is run.
* A shape with a 0 dimension means "unknown" (MXNet 1.x): symbol shape inference passes
  it on, running the op raises `MXNetError`.
"""
import math

import numpy as np

from .registry import Op, Attr, Attrs, register
from ..base import MXNetError, FLAG_TO_DTYPE

__all__ = []

_ALL = ('bool', 'float16', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8')
_NO_BOOL = ('float16', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8')
_FLOAT32 = np.dtype('float32')


def _cast(values, dtype):
    """float64 values -> ``dtype`` the way a C cast on x86 does it: fractions truncated,
    integers that do not fit (or NaN) become the most negative int32/int64 and are then
    wrapped to narrower types (``300`` -> uint8 44, ``-1`` -> uint8 255)."""
    values = np.asarray(values, dtype=np.float64)
    if dtype.kind == 'b':
        return values != 0
    if dtype.kind not in 'iu':
        return values.astype(dtype)
    wide = np.int64 if dtype.itemsize == 8 else np.int32
    info = np.iinfo(wide)
    t = np.trunc(values)
    ok = np.isfinite(t) & (t >= info.min) & (t < -float(info.min))
    ints = np.where(ok, t, info.min).astype(np.int64)
    return ints.astype(dtype)


def _fmt(v):
    """A number as C++ streams print it (``5`` not ``5.0``)."""
    return '{:g}'.format(v)


class _CreationOp(Op):
    """Shared parts: no inputs, no gradient, ``ctx`` resolved to a Context, dtype
    checked against the op's list."""
    inputs = ()
    differentiable = False
    dtypes = _ALL
    allow_empty = False     # whether a 0 in the shape is a real (empty) dimension

    def parse(self, kwargs):
        a = super().parse(kwargs)
        ctx = a.get('ctx')
        if ctx is None or isinstance(ctx, str):
            from ..context import as_context
            a = Attrs(a)
            a['ctx'] = as_context(ctx or None)
        return a

    def _parse(self, kwargs):
        a = super()._parse(kwargs)
        dtype = a.get('dtype', _FLOAT32)
        if dtype is None:
            a['dtype'] = dtype = _FLOAT32
        if dtype.name not in self.dtypes:
            raise MXNetError("{}: Invalid Input: '{}', valid values are: {}".format(
                self.name, dtype.name, '{' + ', '.join("'%s'" % d for d in self.dtypes) + '}'))
        return a

    def out_shape(self, a):
        raise NotImplementedError

    def _known_shape(self, a):
        shape = self.out_shape(a)
        if any(d <= 0 for d in shape) and not self.allow_empty:
            raise MXNetError('Operator {} inferring shapes failed: shape {} has an unknown '
                             '(0) or negative dimension; give every dimension as a positive '
                             'integer'.format(self.name, shape))
        return shape

    def infer_shape(self, a, in_shapes):
        return [], [self.out_shape(a)]


class _FilledOp(_CreationOp):
    """``shape`` + ``ctx`` + ``dtype``: zeros and ones (and full, with ``value``)."""
    attrs = {'shape': Attr('shape', None), 'ctx': Attr('any', None),
             'dtype': Attr('dtype', _FLOAT32)}
    fill = 0.0

    def out_shape(self, a):
        shape = a.shape
        if not shape:
            raise MXNetError('Operator {} inferring shapes failed: the output shape is unknown '
                             '(shape={}); give shape=(n, ...)'.format(self.name, shape))
        if any(d < 0 for d in shape):
            raise MXNetError('Operator {} inferring shapes failed: shape {} has a negative '
                             'dimension'.format(self.name, shape))
        return tuple(shape)

    def forward(self, xp, a):
        return np.full(self._known_shape(a), _cast(self.value(a), a.dtype))

    def value(self, a):
        return self.fill


@register
class Zeros(_FilledOp):
    """An array of zeros: ``_zeros(shape=(2, 3), dtype='float32')`` (``mx.sym.zeros``)."""
    name = '_zeros'


@register
class Ones(_FilledOp):
    """An array of ones: ``_ones(shape=(2, 3), dtype='float32')`` (``mx.sym.ones``)."""
    name = '_ones'
    fill = 1.0


@register
class Full(_FilledOp):
    """An array filled with ``value``: ``_full(shape=(2,), value=7.0)`` (``mx.sym.full``)."""
    name = '_full'
    attrs = dict(_FilledOp.attrs, value=Attr('float'))

    def value(self, a):
        return a.value


@register
class ZerosWithoutDtype(_FilledOp):
    """Zeros whose dtype is an MXNet type flag (``-1``: not set, float32 here)."""
    name = '_zeros_without_dtype'
    attrs = {'shape': Attr('shape', None), 'ctx': Attr('any', None), 'dtype': Attr('int', -1)}

    def _parse(self, kwargs):
        a = Op._parse(self, kwargs)
        flag = a.dtype
        if flag == -1:
            a['dtype'] = None
        elif flag in FLAG_TO_DTYPE:
            a['dtype'] = FLAG_TO_DTYPE[flag]
        else:
            raise MXNetError('{}: Unknown type enum {}; use a type flag such as 0 (float32), '
                             '1 (float64) or 4 (int32)'.format(self.name, flag))
        return a

    def forward(self, xp, a):
        return np.zeros(self._known_shape(a), dtype=a.dtype or _FLOAT32)


@register
class Arange(_CreationOp):
    """``start, start + step, ...`` up to ``stop`` (excluded), each value ``repeat`` times;
    without ``stop`` the range is ``[0, start)``.

    Examples
    --------
    >>> mx.nd._internal._arange(start=2, stop=10, step=3, repeat=2)
    [2. 2. 5. 5. 8. 8.]
    """
    name = '_arange'
    attrs = {'start': Attr('float'), 'stop': Attr('float_or_none', None),
             'step': Attr('float', 1.0), 'repeat': Attr('int', 1),
             'infer_range': Attr('bool', False), 'ctx': Attr('any', None),
             'dtype': Attr('dtype', _FLOAT32)}
    dtypes = _NO_BOOL

    def _range(self, a):
        if a.step == 0:
            raise MXNetError('{}: Range does not support step=0, received {}'.format(
                self.name, _fmt(a.step)))
        if a.repeat <= 0:
            raise MXNetError('{}: Range only supports repeat > 0, received {}'.format(
                self.name, a.repeat))
        start, stop = a.start, a.stop
        if stop is None:
            if a.infer_range:
                raise MXNetError('Operator {} inferring shapes failed: infer_range=True without '
                                 'stop needs the output shape from the graph; give stop'.format(
                                     self.name))
            start, stop = 0.0, start
        if (a.step > 0 and not start < stop) or (a.step < 0 and not start > stop):
            raise MXNetError('{}: Invalid range (start, stop, step){}= ({},{},{})'.format(
                self.name, ' ' if a.step > 0 else '', _fmt(start), _fmt(stop), _fmt(a.step)))
        return start, stop

    def out_shape(self, a):
        start, stop = self._range(a)
        return (int(math.ceil((stop - start) / a.step)) * a.repeat,)

    def forward(self, xp, a):
        n = self.out_shape(a)[0]
        start, _ = self._range(a)
        dtype = a.dtype
        s, st = _cast(start, dtype), _cast(a.step, dtype)
        i = (np.arange(n, dtype=np.int64) // a.repeat).astype(dtype)
        with np.errstate(over='ignore'):
            return (s + i * st).astype(dtype, copy=False)


@register
class Linspace(_CreationOp):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included when
    ``endpoint``).

    Examples
    --------
    >>> mx.nd._internal._linspace(start=0, stop=1, num=5)
    [0.   0.25 0.5  0.75 1.  ]
    """
    name = '_linspace'
    attrs = {'start': Attr('float'), 'stop': Attr('float'), 'num': Attr('int'),
             'endpoint': Attr('bool', True), 'ctx': Attr('any', None),
             'dtype': Attr('dtype', _FLOAT32)}
    dtypes = _NO_BOOL
    allow_empty = True

    def out_shape(self, a):
        if a.num < 0:
            raise MXNetError('{}: Number of sequence should be non-negative, received '
                             '{}'.format(self.name, a.num))
        return (a.num,)

    def forward(self, xp, a):
        n = self.out_shape(a)[0]
        div = n - 1 if a.endpoint else n
        step = (a.stop - a.start) / div if div > 0 else 0.0
        return _cast(a.start + step * np.arange(n, dtype=np.float64), a.dtype)


@register
class Eye(_CreationOp):
    """An ``N x M`` array with ones on diagonal ``k`` (``M <= 0`` means ``M = N``).

    Examples
    --------
    >>> mx.nd._internal._eye(N=2, M=3, k=1)
    [[0. 1. 0.]
     [0. 0. 1.]]
    """
    name = '_eye'
    attrs = {'N': Attr('int'), 'M': Attr('int', 0), 'k': Attr('int', 0),
             'ctx': Attr('any', None), 'dtype': Attr('dtype', _FLOAT32)}
    dtypes = _NO_BOOL
    allow_empty = True

    def out_shape(self, a):
        if a.N < 0:
            raise MXNetError('{}: Shape dim size cannot be a negative value {}; give N >= '
                             '0'.format(self.name, a.N))
        return (a.N, a.M if a.M > 0 else a.N)

    def forward(self, xp, a):
        n, m = self.out_shape(a)
        return np.eye(n, m, a.k, dtype=a.dtype)
