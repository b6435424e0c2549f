"""The NDArray class: a numpy buffer on a logical device, with autograd hooks.

Arithmetic, comparisons and the generated methods all go through the operator
table (`distgluon.ops`) via `dispatch.invoke`, so they are recorded by autograd.
"""
import numpy as np

from ..base import MXNetError, normalize_dtype, numeric_types
from ..context import Context, current_context, as_context
from .. import autograd as _ag
from ..ops.registry import get_op
from .dispatch import invoke, bind_ndarray_class

__all__ = ['NDArray', 'array', 'zeros', 'ones', 'full', 'empty', 'arange', 'linspace', 'eye',
           'zeros_like', 'ones_like', 'full_like', 'waitall', 'concatenate', 'moveaxis',
           'from_numpy', 'onehot_encode', 'split_v2']


def _wrap(data, ctx):
    """Build an NDArray around an existing buffer without copying (internal)."""
    arr = NDArray.__new__(NDArray)
    arr._data = data
    arr._ctx = ctx
    arr._grad = None
    arr._grad_req = None
    arr._node = None
    arr._version = 0
    arr._fresh_grad = False
    return arr


_OP_CACHE = {}


def _op(name):
    op = _OP_CACHE.get(name)
    if op is None:
        op = _OP_CACHE[name] = get_op(name)
    return op


class NDArray:
    """An n-dimensional array on a device, as ``mxnet.nd.NDArray``.

    Create one with `array`, `zeros`, `ones` ... rather than the constructor.

    Notes
    -----
    Data lives in a numpy array (``asnumpy()`` returns a copy, ``np.asarray(x)`` a
    view). Operations run synchronously, so ``wait_to_read`` returns at once.
    """
    __slots__ = ('_data', '_ctx', '_grad', '_grad_req', '_node', '_version', '_fresh_grad',
                 '__weakref__')
    __array_priority__ = 1000.0

    def __init__(self, data=None, ctx=None, dtype=None):
        src = array(data if data is not None else [], ctx=ctx, dtype=dtype)
        self._data = src._data
        self._ctx = src._ctx
        self._grad = None
        self._grad_req = None
        self._node = None
        self._version = 0
        self._fresh_grad = False

    # ---------------------------------------------------------------- properties
    @property
    def shape(self):
        """Tuple of array dimensions."""
        return self._data.shape

    @property
    def size(self):
        """Number of elements."""
        return self._data.size

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self):
        """The element type, as a numpy type (``numpy.float32``), as MXNet returns it."""
        return self._data.dtype.type

    @property
    def context(self):
        """The device the array lives on."""
        return self._ctx

    ctx = context
    device = context

    @property
    def stype(self):
        """Storage type: ``'default'`` for dense arrays."""
        return 'default'

    @property
    def grad(self):
        """The gradient buffer attached by `attach_grad` (None if none)."""
        return self._grad

    @property
    def T(self):
        """Transpose (reverses all axes)."""
        return self.transpose()

    @property
    def handle(self):
        """Identity of the underlying buffer (no C handle exists in distgluon)."""
        return id(self._data)

    @property
    def writable(self):
        return True

    # ---------------------------------------------------------------- conversion
    def asnumpy(self):
        """A numpy copy of the data."""
        return np.array(self._data, copy=True)

    def asscalar(self):
        """The only element, as a numpy scalar; raises if size != 1."""
        if self._data.size != 1:
            raise ValueError('The current array is not a scalar: shape {}; asscalar() needs '
                             'exactly one element'.format(self.shape))
        return self._data.reshape(-1)[0]

    def item(self):
        return self.asscalar().item()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data

    def astype(self, dtype, copy=True):
        """Cast to ``dtype``; with ``copy=False`` the same array is returned if no cast
        is needed."""
        dtype = normalize_dtype(dtype)
        if not copy and dtype == self._data.dtype:
            return self
        return invoke(_op('Cast'), [self], {'dtype': dtype})

    def copy(self):
        """A deep copy on the same context."""
        return self.copyto(self._ctx)

    def copyto(self, other):
        """Copy to another NDArray (in place) or to a Context (new array).

        Raises
        ------
        MXNetError
            When the destination array has another shape.
        """
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetError('copyto: shape mismatch, source {} vs destination {}'.format(
                    self.shape, other.shape))
            if other.stype != 'default':
                other._data = self._data
            else:
                other._data[...] = self._data
            other._version += 1
            return other
        if isinstance(other, Context):
            other.xp  # raises for devices without a backend
            out = invoke(_op('_copy'), [self], {})
            out._ctx = other
            return out
        raise TypeError('copyto does not support type {}; give an NDArray or a Context'.format(
            type(other).__name__))

    def as_in_context(self, context):
        """This array if already on ``context``, else a copy there."""
        if self._ctx == context:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context
    to_device = as_in_context

    def as_nd_ndarray(self):
        return self

    def as_np_ndarray(self):
        raise MXNetError('the mx.np interface is not available in distgluon; use mx.nd')

    def tostype(self, stype):
        """Convert to storage type ``'default'``, ``'row_sparse'`` or ``'csr'``."""
        if stype == 'default':
            return self.copy()
        from . import sparse
        return sparse.cast_storage(self, stype)

    def wait_to_read(self):
        """Return when the data is ready (at once: distgluon computes eagerly)."""

    def wait_to_write(self):
        """Return when the array can be written (at once)."""

    # ---------------------------------------------------------------- autograd
    def attach_grad(self, grad_req='write', stype=None):
        """Allocate a gradient buffer and mark this array as a variable for autograd.

        Parameters
        ----------
        grad_req : {'write', 'add', 'null'}
            How `backward` stores the gradient: overwrite, accumulate, or not at all.
        stype : str, optional
            Storage type of the gradient (only ``'default'`` is kept dense).
        """
        grad = _wrap(np.zeros_like(self._data), self._ctx)
        _ag.mark_variables([self], [grad], grad_req)

    def detach(self):
        """A new array sharing the data but cut from the autograd graph."""
        return _wrap(self._data, self._ctx)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Backpropagate from this array (see `autograd.backward`)."""
        _ag.backward([self], None if out_grad is None else [out_grad], retain_graph,
                     train_mode)

    # ---------------------------------------------------------------- printing
    def __repr__(self):
        shape_info = 'x'.join(str(d) for d in self.shape)
        return '\n{}\n<{} {} @{}>'.format(str(self._data), type(self).__name__, shape_info,
                                         self._ctx)

    __str__ = __repr__

    # ---------------------------------------------------------------- python protocol
    def __len__(self):
        if self.ndim == 0:
            raise TypeError('len() of a 0-d array')
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 1:
            for i in range(self.shape[0]):
                yield self[i]
        else:
            for i in range(self.shape[0]):
                yield self[i]

    def __bool__(self):
        if self._data.size == 1:
            return bool(self._data.reshape(-1)[0])
        if self._data.size == 0:
            return False
        raise ValueError('The truth value of an NDArray with multiple elements is ambiguous.')

    def __hash__(self):
        return id(self) // 16

    def __float__(self):
        return float(self.asscalar())

    def __int__(self):
        return int(self.asscalar())

    def __index__(self):
        if self._data.size == 1 and np.issubdtype(self._data.dtype, np.integer):
            return int(self._data.reshape(-1)[0])
        raise TypeError('only integer scalar arrays can be converted to a scalar index')

    def __getstate__(self):
        return {'data': self._data, 'ctx': (self._ctx.device_type, self._ctx.device_id)}

    def __setstate__(self, state):
        self._data = state['data']
        self._ctx = Context(*state['ctx'])
        self._grad = self._grad_req = self._node = None
        self._version = 0
        self._fresh_grad = False

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, key):
        from .indexing import getitem
        return getitem(self, key)

    def __setitem__(self, key, value):
        from .indexing import setitem
        setitem(self, key, value)

    # ---------------------------------------------------------------- arithmetic
    def _binary(self, other, array_op, scalar_op, rscalar_op=None, reverse=False, out=None):
        if isinstance(other, NDArray):
            lhs, rhs = (other, self) if reverse else (self, other)
            return invoke(_op(array_op), [lhs, rhs], {}, out=out)
        if isinstance(other, numeric_types):
            name = rscalar_op if reverse and rscalar_op else scalar_op
            return invoke(_op(name), [self], {'scalar': other}, out=out)
        raise TypeError('type {} not supported'.format(type(other)))

    def __add__(self, o):
        return self._binary(o, 'broadcast_add', '_plus_scalar')

    __radd__ = __add__

    def __iadd__(self, o):
        return self._binary(o, 'broadcast_add', '_plus_scalar', out=self)

    def __sub__(self, o):
        return self._binary(o, 'broadcast_sub', '_minus_scalar')

    def __rsub__(self, o):
        return self._binary(o, 'broadcast_sub', '_minus_scalar', '_rminus_scalar', True)

    def __isub__(self, o):
        return self._binary(o, 'broadcast_sub', '_minus_scalar', out=self)

    def __mul__(self, o):
        return self._binary(o, 'broadcast_mul', '_mul_scalar')

    __rmul__ = __mul__

    def __imul__(self, o):
        return self._binary(o, 'broadcast_mul', '_mul_scalar', out=self)

    def __truediv__(self, o):
        return self._binary(o, 'broadcast_div', '_div_scalar')

    def __rtruediv__(self, o):
        return self._binary(o, 'broadcast_div', '_div_scalar', '_rdiv_scalar', True)

    def __itruediv__(self, o):
        return self._binary(o, 'broadcast_div', '_div_scalar', out=self)

    __div__, __rdiv__, __idiv__ = __truediv__, __rtruediv__, __itruediv__

    def __mod__(self, o):
        return self._binary(o, 'broadcast_mod', '_mod_scalar')

    def __rmod__(self, o):
        return self._binary(o, 'broadcast_mod', '_mod_scalar', '_rmod_scalar', True)

    def __imod__(self, o):
        return self._binary(o, 'broadcast_mod', '_mod_scalar', out=self)

    def __pow__(self, o):
        return self._binary(o, 'broadcast_power', '_power_scalar')

    def __rpow__(self, o):
        return self._binary(o, 'broadcast_power', '_power_scalar', '_rpower_scalar', True)

    def __neg__(self):
        return invoke(_op('negative'), [self], {})

    def __pos__(self):
        return self

    def __abs__(self):
        return invoke(_op('abs'), [self], {})

    def __eq__(self, o):
        return self._binary(o, 'broadcast_equal', '_equal_scalar')

    def __ne__(self, o):
        return self._binary(o, 'broadcast_not_equal', '_not_equal_scalar')

    def __gt__(self, o):
        return self._binary(o, 'broadcast_greater', '_greater_scalar')

    def __ge__(self, o):
        return self._binary(o, 'broadcast_greater_equal', '_greater_equal_scalar')

    def __lt__(self, o):
        return self._binary(o, 'broadcast_lesser', '_lesser_scalar')

    def __le__(self, o):
        return self._binary(o, 'broadcast_lesser_equal', '_lesser_equal_scalar')

    # ---------------------------------------------------------------- shape helpers
    def reshape(self, *shape, **kwargs):
        """Reshape with MXNet's special codes (0 copy, -1 infer, -2 copy rest, -3 merge
        two, -4 split one); ``reverse=True`` applies them right to left."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if 'shape' in kwargs:
            shape = kwargs.pop('shape')
        out = invoke(_op('Reshape'), [self], dict(kwargs, shape=shape))
        if out._node is None and self.stype == 'default':
            out._data = self._data.reshape(out.shape)   # shares memory, as MXNet's method
        return out

    def zeros_like(self):
        return zeros_like(self)

    def ones_like(self):
        return ones_like(self)

    def broadcast_to(self, shape):
        """Broadcast to ``shape``; missing leading dimensions are added as 1s first."""
        shape = tuple(shape)
        if len(shape) < self.ndim:
            raise ValueError('cannot broadcast an array of shape {} to the smaller rank shape '
                             '{}'.format(self.shape, shape))
        src = self if len(shape) == self.ndim else \
            self.reshape((1,) * (len(shape) - self.ndim) + self.shape)
        return invoke(_op('broadcast_to'), [src], {'shape': shape})

    def split_v2(self, *args, **kwargs):
        """Method form of `split_v2`."""
        return split_v2(self, *args, **kwargs)

    def broadcast_like(self, other):
        return invoke(_op('broadcast_like'), [self, other], {})

    def tolist(self):
        return self._data.tolist()


bind_ndarray_class(NDArray, _wrap)


# -------------------------------------------------------------------- creation
def _default_dtype(source, dtype):
    if dtype is not None:
        return normalize_dtype(dtype)
    if isinstance(source, NDArray):
        return source._data.dtype
    return np.dtype(np.float32)


def array(source_array, ctx=None, dtype=None, device=None):
    """Create an NDArray from any array-like.

    A numpy array or a list becomes float32 unless ``dtype`` is given (as in MXNet,
    float64 numpy data is cast to float32); an NDArray keeps its dtype.
    """
    ctx = as_context(ctx, device)
    ctx.xp
    if isinstance(source_array, NDArray) and source_array.stype != 'default':
        from . import sparse
        return sparse.array(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, NDArray):
        data = source_array._data
    else:
        data = source_array
    dt = _default_dtype(source_array, dtype)
    try:
        buf = np.array(data, dtype=dt, copy=True)
    except (ValueError, TypeError) as err:
        raise TypeError('cannot convert {} to an NDArray of dtype {}: {}'.format(
            type(source_array).__name__, dt, err)) from None
    return _wrap(buf, ctx)


def from_numpy(ndarray, zero_copy=True):
    """Wrap a numpy array (sharing memory when ``zero_copy``) without changing dtype."""
    data = ndarray if zero_copy else np.array(ndarray, copy=True)
    return _wrap(np.ascontiguousarray(data), current_context())


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def empty(shape, ctx=None, dtype=None, device=None):
    """An uninitialised array (zero-filled here, for determinism)."""
    return zeros(shape, ctx, dtype, device=device)


def zeros(shape, ctx=None, dtype=None, stype=None, device=None, **kwargs):
    """An array of zeros (``stype`` may ask for a sparse one)."""
    ctx = as_context(ctx, device)
    if stype not in (None, 'default'):
        from . import sparse
        return sparse.zeros(stype, shape, ctx=ctx, dtype=dtype)
    return _wrap(ctx.xp.zeros(_shape(shape), dtype=normalize_dtype(dtype)), ctx)


def ones(shape, ctx=None, dtype=None, device=None, **kwargs):
    """An array of ones."""
    ctx = as_context(ctx, device)
    return _wrap(ctx.xp.ones(_shape(shape), dtype=normalize_dtype(dtype)), ctx)


def full(shape, val, ctx=None, dtype=np.float32, out=None, device=None):
    """An array filled with ``val``."""
    ctx = as_context(ctx, device)
    if out is not None:
        out[:] = val
        return out
    return _wrap(ctx.xp.full(_shape(shape), val, dtype=normalize_dtype(dtype)), ctx)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=None,
           device=None):
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    ctx = as_context(ctx, device)
    if stop is None:
        start, stop = 0, start
    data = np.arange(start, stop, step, dtype=np.float64).astype(normalize_dtype(dtype))
    if repeat != 1:
        data = np.repeat(data, int(repeat))
    return _wrap(data, ctx)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=None, device=None):
    """``num`` evenly spaced values from start to stop."""
    ctx = as_context(ctx, device)
    data = np.linspace(start, stop, int(num), endpoint=endpoint).astype(normalize_dtype(dtype))
    return _wrap(data, ctx)


def eye(N, M=0, k=0, ctx=None, dtype=None, device=None, **kwargs):
    """An N x M array with ones on diagonal ``k``."""
    ctx = as_context(ctx, device)
    return _wrap(np.eye(int(N), int(M) or None, int(k), dtype=normalize_dtype(dtype)), ctx)


def zeros_like(data, out=None, **kwargs):
    """Zeros with the shape, dtype and context of ``data``."""
    return invoke(_op('zeros_like'), [data], {}, out=out)


def ones_like(data, out=None, **kwargs):
    """Ones with the shape, dtype and context of ``data``."""
    return invoke(_op('ones_like'), [data], {}, out=out)


def full_like(data, fill_value, out=None, **kwargs):
    """``fill_value`` with the shape, dtype and context of ``data``."""
    res = _wrap(np.full_like(data._data, fill_value), data._ctx)
    if out is not None:
        out[:] = res
        return out
    return res


def concatenate(arrays, axis=0, always_copy=True):
    """Join arrays along an existing axis (the legacy spelling of `concat`)."""
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    return invoke(_op('Concat'), list(arrays), {'dim': axis, 'num_args': len(arrays)})


def moveaxis(tensor, source, destination):
    """Move one axis to a new position."""
    axes = list(range(tensor.ndim))
    src = source % tensor.ndim
    dst = destination % tensor.ndim
    axes.pop(src)
    axes.insert(dst, src)
    return invoke(_op('transpose'), [tensor], {'axes': tuple(axes)})


def onehot_encode(indices, out):
    """Legacy one-hot encoding into ``out`` (shape (n, depth))."""
    return invoke(_op('one_hot'), [indices], {'depth': out.shape[1]}, out=out)


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split at the given indices, or into N equal sections (ValueError when N does not
    divide the axis)."""
    axis_size = ary.shape[axis]
    if isinstance(indices_or_sections, int):
        if axis_size % indices_or_sections:
            raise ValueError('array split does not result in an equal division')
        size = axis_size // indices_or_sections
        indices = [i * size for i in range(indices_or_sections)]
    elif isinstance(indices_or_sections, tuple):
        indices = [0] + list(indices_or_sections)
    else:
        raise ValueError('indices_or_sections must either int or tuple of ints')
    return invoke(_op('_split_v2'), [ary], {'indices': tuple(indices), 'axis': axis,
                                            'squeeze_axis': squeeze_axis})


def waitall():
    """Wait for all pending computation (returns at once: execution is eager)."""
