"""Shape operators that move or copy elements without arithmetic: Reshape (with
MXNet's special codes), reshape_like, Flatten, transpose, SwapAxis, expand_dims,
squeeze, tile, repeat, broadcast_to / broadcast_like / broadcast_axis, reverse (flip),
shape_array and size_array.

Joining, splitting, slicing, ``where``, ``Pad``, depth_to_space / space_to_depth and
``diag`` live in `shape_join`.
Every output is a fresh array (as MXNet's operators return), never a view of the input.

Notes
-----
MXNet 1.9.1 does not check that a reshape keeps the number of elements (the check is
compiled out, and the oneDNN kernel then reads out of bounds): ``(2, 3) -> (4, -1)``
"succeeds". distgluon raises `MXNetError`. MXNet also writes the value inferred for
``-1`` into the slot of the *code's* position rather than the output position, which
only differs after ``-2``/``-4`` codes and then always gives a wrong-sized shape; here
the inferred value goes where the ``-1`` stands. ``transpose`` with a repeated axis
returns garbage in MXNet; distgluon raises.
"""
import numpy as np

from .registry import Op, Attr, register, unbroadcast, Sample
from ..base import MXNetError

__all__ = []


def _fresh(y):
    """A C-contiguous copy (an operator's output must not alias its input)."""
    return np.array(y, copy=True, order='C')


def _norm_axis(opname, axis, ndim, what='axis', extra=0):
    """``axis`` in [-(ndim+extra), ndim+extra) mapped to [0, ndim+extra)."""
    n = ndim + extra
    if not -n <= axis < n:
        raise MXNetError('{}: {} {} is out of range for an input with {} dimensions; use a '
                         'value in [{}, {}]'.format(opname, what, axis, ndim, -n, n - 1))
    return axis % n


def _check_nonneg_axes(opname, axes, ndim):
    """MXNet 1.x's Shape-typed axis lists (transpose, flip, broadcast_axis) take no
    negative values."""
    for ax in axes:
        if not 0 <= ax < ndim:
            raise MXNetError('{}: axis {} must be in range [0, {}) for an input with {} '
                             'dimensions (negative axes are not accepted by this '
                             'operator)'.format(opname, ax, ndim, ndim))


# ------------------------------------------------------------------ reshape family
def infer_reshape(code, dshape, reverse=False):
    """Output shape of ``Reshape(shape=code)`` on an input of shape ``dshape``.

    Codes: ``0`` copy a dim, ``-1`` infer one dim, ``-2`` copy all remaining dims,
    ``-3`` merge two dims, ``-4 a b`` split a dim into ``a * b`` (one may be -1).
    With ``reverse`` the codes are matched right to left.

    Raises
    ------
    MXNetError
        When the codes do not fit the input or the result has another size.
    """
    src = list(dshape)[::-1] if reverse else list(dshape)
    params = list(code)[::-1] if reverse else list(code)
    out, inf_pos, i, j = [], None, 0, 0

    def need(ok, why):
        if not ok:
            raise MXNetError('Reshape: cannot apply shape={} (reverse={}) to an input of '
                             'shape {}: {}'.format(tuple(code), reverse, tuple(dshape), why))
    while i < len(params):
        p = params[i]
        if p == 0:
            need(j < len(src), 'code 0 at position {} has no input dimension to '
                               'copy'.format(i))
            out.append(src[j])
            j += 1
        elif p == -1:
            need(inf_pos is None, 'only one dimension can be inferred (-1)')
            inf_pos = len(out)
            out.append(1)
            j += 1
        elif p == -2:
            out.extend(src[j:])
            j = len(src)
        elif p == -3:
            need(j + 1 < len(src), 'code -3 needs two input dimensions to merge')
            out.append(src[j] * src[j + 1])
            j += 2
        elif p == -4:
            need(i + 2 < len(params), 'code -4 must be followed by two dimensions')
            need(j < len(src), 'code -4 has no input dimension to split')
            d0, d1, d2 = src[j], params[i + 1], params[i + 2]
            j += 1
            i += 2
            need(d1 != -1 or d2 != -1, 'split dims cannot both be -1')
            if d1 == -1:
                d1 = d0 // d2 if d2 else 0
            if d2 == -1:
                d2 = d0 // d1 if d1 else 0
            need(d1 * d2 == d0, 'split dims {}, {} do not divide the input dimension '
                                '{}'.format(d1, d2, d0))
            out.extend((d1, d2))
        else:
            need(p > 0, 'dimension codes must be > 0 or one of 0, -1, -2, -3, -4, got '
                        '{}'.format(p))
            out.append(p)
            j += 1
        i += 1
    size = int(np.prod(dshape, dtype=np.int64))
    if inf_pos is not None:
        rest = int(np.prod(out, dtype=np.int64))
        out[inf_pos] = size // rest if rest else 0
    if reverse:
        out.reverse()
    if int(np.prod(out, dtype=np.int64)) != size:
        raise MXNetError('Reshape: target shape {} (from shape={}, reverse={}) has {} '
                         'elements but the input of shape {} has {}; the size must not '
                         'change'.format(tuple(out), tuple(code), reverse,
                                         int(np.prod(out, dtype=np.int64)), tuple(dshape),
                                         size))
    return tuple(int(d) for d in out)


def _legacy_target(a, dshape):
    """The deprecated ``target_shape``/``keep_highest`` form (one 0 is inferred)."""
    out = list(a.target_shape)
    if a.keep_highest and out:
        out[0] = dshape[0]
    start = 1 if a.keep_highest else 0
    zeros = [k for k in range(start, len(out)) if out[k] == 0]
    if len(zeros) == 1:
        out[zeros[0]] = 1
        rest = int(np.prod(out, dtype=np.int64))
        out[zeros[0]] = int(np.prod(dshape, dtype=np.int64)) // rest if rest else 0
    if int(np.prod(out, dtype=np.int64)) != int(np.prod(dshape, dtype=np.int64)):
        raise MXNetError('Reshape: target_shape {} does not have the {} elements of the '
                         'input shape {}'.format(tuple(out), int(np.prod(dshape)), dshape))
    return tuple(out)


class _SameData(Op):
    """Base of ops whose output is the input's elements in the same order."""

    def backward(self, xp, a, xs, ys, dys):
        grads = [dys[0].reshape(xs[0].shape)]
        grads += [xp.zeros_like(x) for x in xs[1:]]
        return tuple(grads) if len(xs) > 1 else grads[0]


@register
class Reshape(_SameData):
    """Reshape with MXNet's special codes.

    ``0`` copies a dimension, ``-1`` infers one, ``-2`` copies all remaining, ``-3``
    merges two, ``-4 a b`` splits one into two (``a`` or ``b`` may be -1). With
    ``reverse=True`` the codes are matched from the right: ``(10, 5, 4)`` with
    ``shape=(-1, 0)`` gives ``(40, 5)``, with ``reverse=True`` ``(50, 4)``.

    >>> mx.nd.reshape(mx.nd.ones((2, 3, 4)), shape=(-4, 1, 2, -2)).shape
    (1, 2, 3, 4)
    """
    name = 'Reshape'
    aliases = ('reshape',)
    method = 'reshape'
    attrs = {'shape': Attr('shape', ()), 'reverse': Attr('bool', False),
             'target_shape': Attr('shape', None), 'keep_highest': Attr('bool', False)}
    samples = (Sample((2, 3, 4), attrs={'shape': (-1, 0)}),
               Sample((2, 3, 4), attrs={'shape': (-4, 1, 2, -3)}),
               Sample((6, 2), attrs={'shape': (3, -1), 'reverse': True}))

    def forward(self, xp, a, x):
        if a.shape:
            shape = infer_reshape(a.shape, x.shape, a.reverse)
        elif a.target_shape:
            shape = _legacy_target(a, x.shape)
        else:
            raise MXNetError('Reshape: give the target shape, e.g. shape=(2, -1); an '
                             'empty shape is not allowed')
        return _fresh(x.reshape(shape))


def _range(n, begin, end, default_end):
    b = 0 if begin is None else begin
    e = default_end if end is None else end
    b = b + n if b < 0 else b
    e = e + n if e < 0 else e
    return b, e


@register
class ReshapeLike(_SameData):
    """Reshape ``lhs`` to the shape of ``rhs``; ``lhs[lhs_begin:lhs_end]`` dims can be
    replaced by ``rhs[rhs_begin:rhs_end]`` dims only. ``rhs`` gets a zero gradient."""
    name = 'reshape_like'
    method = 'reshape_like'
    inputs = ('lhs', 'rhs')
    same_dtype = False
    attrs = {'lhs_begin': Attr('int_or_none', None), 'lhs_end': Attr('int_or_none', None),
             'rhs_begin': Attr('int_or_none', None), 'rhs_end': Attr('int_or_none', None)}
    samples = (Sample((2, 3, 4), (4, 6), wrt=(0,)),
               Sample((2, 3, 4), (6, 1), wrt=(0,),
                      attrs={'lhs_begin': 0, 'lhs_end': 2, 'rhs_begin': 0, 'rhs_end': 1}))

    def forward(self, xp, a, lhs, rhs):
        ls, rs = lhs.shape, rhs.shape
        spans = []
        for side, shape, begin, end in (('lhs', ls, a.lhs_begin, a.lhs_end),
                                        ('rhs', rs, a.rhs_begin, a.rhs_end)):
            b, e = _range(len(shape), begin, end, len(shape))
            if not 0 <= b < e <= len(shape):
                raise MXNetError('reshape_like: invalid {0}_begin={1}, {0}_end={2} for a '
                                 '{0} of shape {3}; need 0 <= begin < end <= ndim'.format(
                                     side, begin, end, shape))
            spans.append((b, e))
        (lb, le), (rb, re) = spans
        shape = ls[:lb] + rs[rb:re] + ls[le:]
        if int(np.prod(shape)) != lhs.size:
            raise MXNetError('reshape_like: cannot reshape lhs with shape {} to new shape {} '
                             'because they have different size'.format(ls, shape))
        return _fresh(lhs.reshape(shape))


@register
class Flatten(_SameData):
    """Collapse all axes but the first: ``(d0, d1, ..., dk) -> (d0, d1*...*dk)``;
    a 1-D input becomes ``(n, 1)``."""
    name = 'Flatten'
    aliases = ('flatten',)
    method = 'flatten'
    samples = (Sample((2, 3, 4)), Sample((5,)))

    def forward(self, xp, a, x):
        n = x.shape[0] if x.ndim else 1
        rest = int(np.prod(x.shape[1:], dtype=np.int64))
        return _fresh(x.reshape(n, rest))


@register
class ExpandDims(_SameData):
    """Insert a length-1 axis at ``axis`` (in ``[-ndim-1, ndim]``)."""
    name = 'expand_dims'
    method = 'expand_dims'
    attrs = {'axis': Attr('int')}
    samples = (Sample((2, 3), attrs={'axis': 1}), Sample((2, 3), attrs={'axis': -1}))

    def forward(self, xp, a, x):
        ax = _norm_axis(self.name, a.axis, x.ndim, extra=1)
        return _fresh(np.expand_dims(x, ax))


@register
class Squeeze(_SameData):
    """Remove length-1 axes (all of them, or those in ``axis``). The result keeps at
    least one dimension: squeezing ``(1, 1)`` gives ``(1,)``."""
    name = 'squeeze'
    method = 'squeeze'
    attrs = {'axis': Attr('shape', None)}
    samples = (Sample((1, 3, 1)), Sample((1, 3, 1), attrs={'axis': (0,)}))

    def forward(self, xp, a, x):
        if a.axis is None:
            axes = [k for k, d in enumerate(x.shape) if d == 1]
        else:
            axes = []
            for ax in a.axis:
                k = _norm_axis(self.name, ax, x.ndim)
                if k in axes:
                    raise MXNetError('squeeze: duplicate value {} in axis {}'.format(
                        ax, a.axis))
                if x.shape[k] != 1:
                    raise MXNetError('squeeze: cannot select axis {} to squeeze out: it '
                                     'has size={}, not one (input shape {})'.format(
                                         ax, x.shape[k], x.shape))
                axes.append(k)
        shape = tuple(d for k, d in enumerate(x.shape) if k not in axes) or (1,)
        return _fresh(x.reshape(shape))


# ------------------------------------------------------------------ axis permutations
@register
class Transpose(Op):
    """Permute the axes (reverse them when ``axes`` is empty). Axes must be given as
    non-negative numbers, as MXNet 1.x requires; at most 6 dimensions."""
    name = 'transpose'
    method = 'transpose'
    attrs = {'axes': Attr('shape', ())}
    samples = (Sample((2, 3, 4)), Sample((2, 3, 4), attrs={'axes': (1, 2, 0)}),
               Sample((3, 5)))

    def _axes(self, a, ndim):
        if ndim > 6:
            raise MXNetError('transpose: supports at most 6 dimensions, got an input with '
                             '{}'.format(ndim))
        if not a.axes:
            return tuple(range(ndim))[::-1]
        if len(a.axes) != ndim:
            raise MXNetError('transpose: axes {} has {} entries but the input has {} '
                             'dimensions'.format(a.axes, len(a.axes), ndim))
        _check_nonneg_axes(self.name, a.axes, ndim)
        if len(set(a.axes)) != ndim:
            raise MXNetError('transpose: axes {} repeats an axis; give a permutation of '
                             '0..{}'.format(a.axes, ndim - 1))
        return a.axes

    def forward(self, xp, a, x):
        return _fresh(x.transpose(self._axes(a, x.ndim)))

    def backward(self, xp, a, xs, ys, dys):
        return dys[0].transpose(np.argsort(self._axes(a, xs[0].ndim)))


@register
class SwapAxis(Op):
    """Interchange two axes (``dim1``, ``dim2``; both default to 0)."""
    name = 'SwapAxis'
    aliases = ('swapaxes',)
    method = 'swapaxes'
    attrs = {'dim1': Attr('int', 0), 'dim2': Attr('int', 0)}
    samples = (Sample((2, 3, 4), attrs={'dim1': 0, 'dim2': 2}),
               Sample((2, 3, 4), attrs={'dim1': -1, 'dim2': 1}))

    def _dims(self, a, ndim):
        return (_norm_axis(self.name, a.dim1, ndim, 'dim1'),
                _norm_axis(self.name, a.dim2, ndim, 'dim2'))

    def forward(self, xp, a, x):
        return _fresh(np.swapaxes(x, *self._dims(a, x.ndim)))

    def backward(self, xp, a, xs, ys, dys):
        return np.swapaxes(dys[0], *self._dims(a, xs[0].ndim))


@register
class Reverse(Op):
    """Reverse the order of elements along ``axis`` (non-negative axes; an axis listed
    twice is reversed twice)."""
    name = 'reverse'
    aliases = ('flip',)
    method = 'flip'
    attrs = {'axis': Attr('shape')}
    samples = (Sample((2, 3, 4), attrs={'axis': (1,)}),
               Sample((2, 3, 4), attrs={'axis': (0, 2)}))

    def _flip(self, a, x):
        _check_nonneg_axes(self.name, a.axis, x.ndim)
        odd = tuple(ax for ax in set(a.axis) if a.axis.count(ax) % 2)
        return np.flip(x, odd) if odd else x

    def forward(self, xp, a, x):
        return _fresh(self._flip(a, x))

    def backward(self, xp, a, xs, ys, dys):
        return self._flip(a, dys[0])


# ------------------------------------------------------------------ tile / repeat
@register
class Tile(Op):
    """Repeat the whole array ``reps`` times along each axis (``numpy.tile``): a shorter
    ``reps`` is padded with 1s on the left, a longer one adds leading axes."""
    name = 'tile'
    method = 'tile'
    attrs = {'reps': Attr('shape')}
    samples = (Sample((2, 3), attrs={'reps': (2, 3)}), Sample((2, 3), attrs={'reps': (2,)}),
               Sample((3,), attrs={'reps': (2, 1, 2)}))

    def forward(self, xp, a, x):
        if any(r <= 0 for r in a.reps):
            raise MXNetError('tile: reps {} must be positive integers'.format(a.reps))
        return np.tile(x, a.reps) if a.reps else _fresh(x)

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        n = max(x.ndim, len(a.reps))
        shape = (1,) * (n - x.ndim) + x.shape
        reps = (1,) * (n - len(a.reps)) + tuple(a.reps)
        split = [d for pair in zip(reps, shape) for d in pair]
        g = dys[0].reshape(split).sum(axis=tuple(range(0, 2 * n, 2)))
        return g.reshape(x.shape)


@register
class Repeat(Op):
    """Repeat each element ``repeats`` times along ``axis`` (the flattened array when
    ``axis`` is None)."""
    name = 'repeat'
    method = 'repeat'
    attrs = {'repeats': Attr('int'), 'axis': Attr('int_or_none', None)}
    samples = (Sample((2, 3), attrs={'repeats': 2}),
               Sample((2, 3), attrs={'repeats': 3, 'axis': -1}))

    def forward(self, xp, a, x):
        if a.repeats < 0:
            raise MXNetError('repeat: repeats cannot be a negative number, got '
                             '{}'.format(a.repeats))
        if a.repeats == 0:
            return np.zeros((0,), dtype=x.dtype)     # MXNet gives (0,) for any axis
        if a.axis is None:
            return np.repeat(x.reshape(-1), a.repeats)
        return np.repeat(x, a.repeats, axis=_norm_axis(self.name, a.axis, x.ndim))

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        if a.repeats == 0:
            return xp.zeros_like(x)
        if a.axis is None:
            return dys[0].reshape(-1, a.repeats).sum(axis=1).reshape(x.shape)
        ax = _norm_axis(self.name, a.axis, x.ndim)
        g = dys[0].reshape(x.shape[:ax + 1] + (a.repeats,) + x.shape[ax + 1:])
        return g.sum(axis=ax + 1)


# ------------------------------------------------------------------ broadcasting
class _Broadcast(Op):
    """Base: the gradient sums over the broadcast axes."""

    def backward(self, xp, a, xs, ys, dys):
        g = unbroadcast(dys[0], xs[0].shape)
        return (g,) + tuple(xp.zeros_like(x) for x in xs[1:]) if len(xs) > 1 else g


def _broadcast(opname, x, shape):
    for d, t in zip(x.shape, shape):
        if d != t and d != 1:
            raise MXNetError('{}: array cannot be broadcast from {} to {}; only axes of '
                             'size 1 can be broadcast'.format(opname, x.shape, tuple(shape)))
    return _fresh(np.broadcast_to(x, shape))


@register
class BroadcastTo(_Broadcast):
    """Broadcast axes of size 1 to ``shape`` (same number of dimensions; a 0 in
    ``shape`` keeps that dimension)."""
    name = 'broadcast_to'
    method = 'broadcast_to'
    attrs = {'shape': Attr('shape', ())}
    samples = (Sample((1, 3), attrs={'shape': (4, 3)}),
               Sample((2, 1, 1), attrs={'shape': (0, 3, 2)}))

    def forward(self, xp, a, x):
        if len(a.shape) != x.ndim:
            raise MXNetError('broadcast_to: operand of shape {} cannot be broadcast to {}: '
                             'the number of dimensions must match (reshape first)'.format(
                                 x.shape, a.shape))
        if any(d < 0 for d in a.shape):
            raise MXNetError('broadcast_to: shape {} has a negative size'.format(a.shape))
        shape = tuple(d if t == 0 else t for d, t in zip(x.shape, a.shape))
        return _broadcast(self.name, x, shape)


@register
class BroadcastLike(_Broadcast):
    """Broadcast ``lhs`` to the shape of ``rhs`` (or only ``lhs_axes`` to the sizes of
    ``rhs_axes``). ``rhs`` gets a zero gradient."""
    name = 'broadcast_like'
    method = 'broadcast_like'
    inputs = ('lhs', 'rhs')
    same_dtype = False
    attrs = {'lhs_axes': Attr('shape', None), 'rhs_axes': Attr('shape', None)}
    samples = (Sample((1, 3), (4, 3), wrt=(0,)),
               Sample((1, 3), (4, 2), wrt=(0,), attrs={'lhs_axes': (0,), 'rhs_axes': (1,)}))

    def forward(self, xp, a, lhs, rhs):
        if a.lhs_axes is None and a.rhs_axes is None:
            if lhs.ndim != rhs.ndim:
                raise MXNetError('broadcast_like: operand of shape {} cannot be broadcast '
                                 'to {}: the number of dimensions must match'.format(
                                     lhs.shape, rhs.shape))
            return _broadcast(self.name, lhs, rhs.shape)
        la, ra = a.lhs_axes or (), a.rhs_axes or ()
        if len(la) != len(ra):
            raise MXNetError('broadcast_like: lhs_axes {} and rhs_axes {} must have the same '
                             'length'.format(a.lhs_axes, a.rhs_axes))
        if not la:
            raise MXNetError('broadcast_like: empty axes tuple is not allowed')
        shape = list(lhs.shape)
        for i, (l, r) in enumerate(zip(la, ra)):
            lk = _norm_axis(self.name, l, lhs.ndim, 'lhs_axes entry')
            rk = _norm_axis(self.name, r, rhs.ndim, 'rhs_axes entry')
            if lhs.shape[lk] != 1:
                raise MXNetError('broadcast_like: input axis {} (size {}) at position {} '
                                 'cannot be broadcast to {}; it must have size 1'.format(
                                     l, lhs.shape[lk], i, rhs.shape[rk]))
            shape[lk] = rhs.shape[rk]
        return _fresh(np.broadcast_to(lhs, shape))


@register
class BroadcastAxis(_Broadcast):
    """Broadcast the size-1 axes listed in ``axis`` to the sizes in ``size``."""
    name = 'broadcast_axis'
    aliases = ('broadcast_axes',)
    method = 'broadcast_axes'
    attrs = {'axis': Attr('shape', ()), 'size': Attr('shape', ())}
    samples = (Sample((1, 3, 1), attrs={'axis': (0, 2), 'size': (2, 4)}),)

    def forward(self, xp, a, x):
        if len(a.axis) != len(a.size):
            raise MXNetError('broadcast_axis: axis {} and size {} must have the same '
                             'length'.format(a.axis, a.size))
        _check_nonneg_axes(self.name, a.axis, x.ndim)
        shape = list(x.shape)
        for ax, n in zip(a.axis, a.size):
            if x.shape[ax] != 1:
                raise MXNetError('broadcast_axis: axis {} has size {}; broadcasting axes '
                                 'must have size 1'.format(ax, x.shape[ax]))
            shape[ax] = n
        return _fresh(np.broadcast_to(x, shape))


# ------------------------------------------------------------------ shape queries
@register
class ShapeArray(Op):
    """The input's shape as a 1-D int64 array."""
    name = 'shape_array'
    method = 'shape_array'
    differentiable = False

    def forward(self, xp, a, x):
        return np.array(x.shape, dtype=np.int64)


@register
class SizeArray(Op):
    """The input's number of elements as a (1,) int64 array."""
    name = 'size_array'
    method = 'size_array'
    differentiable = False

    def forward(self, xp, a, x):
        return np.array([x.size], dtype=np.int64)
