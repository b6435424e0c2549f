"""Joining, splitting, cutting and block-moving operators: Concat, stack, SliceChannel
(split), _split_v2, slice (crop), slice_axis, slice_like, where, Pad,
depth_to_space / space_to_depth and diag.

Notes
-----
MXNet's ``stack`` of arrays with different shapes fails inside its kernel with a
message about blob sizes; distgluon names the two shapes. ``split(..., squeeze_axis=
True)`` of a 1-D array gives outputs of shape ``(1,)`` here, where MXNet returns 0-d
arrays (distgluon arrays are never 0-d). ``where`` with x and y of different dtypes
fails in MXNet with a message about a missing type-inference attribute; here the error
names both dtypes.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from .shape import _norm_axis, _fresh
from ..base import MXNetError

__all__ = []


def _cuts(sizes):
    """Split points (for ``np.split``) of consecutive pieces with these sizes."""
    return np.cumsum(sizes)[:-1].tolist()


# ------------------------------------------------------------------ join
@register
class Concat(Op):
    """Join arrays along an existing axis ``dim`` (default 1); every other dimension
    must match.

    >>> mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.zeros((2, 1))).shape
    (2, 4)
    """
    name = 'Concat'
    aliases = ('concat',)
    inputs = ('*data',)
    attrs = {'num_args': Attr('int'), 'dim': Attr('int', 1)}
    samples = (Sample((2, 3), (2, 1), (2, 2), attrs={'num_args': 3}),
               Sample((2, 3, 2), (1, 3, 2), attrs={'num_args': 2, 'dim': 0}),
               Sample((2, 3), (2, 3), attrs={'num_args': 2, 'dim': -1}))

    def forward(self, xp, a, *xs):
        first = xs[0]
        ax = _norm_axis(self.name, a.dim, first.ndim, 'dim')
        for i, x in enumerate(xs[1:], 1):
            if x.ndim != first.ndim or any(
                    d != e for k, (d, e) in enumerate(zip(x.shape, first.shape)) if k != ax):
                raise MXNetError('Concat: input {} has shape {} but input 0 has shape {}; '
                                 'all dimensions except dim={} must match'.format(
                                     i, x.shape, first.shape, a.dim))
        return np.concatenate(xs, axis=ax)

    def backward(self, xp, a, xs, ys, dys):
        ax = a.dim % xs[0].ndim
        return tuple(np.split(dys[0], _cuts([x.shape[ax] for x in xs]), axis=ax))


@register
class Stack(Op):
    """Join same-shaped arrays along a new axis ``axis`` (default 0)."""
    name = 'stack'
    inputs = ('*data',)
    attrs = {'axis': Attr('int', 0), 'num_args': Attr('int')}
    samples = (Sample((2, 3), (2, 3), attrs={'num_args': 2}),
               Sample((2, 3), (2, 3), (2, 3), attrs={'num_args': 3, 'axis': -1}))

    def forward(self, xp, a, *xs):
        ax = _norm_axis(self.name, a.axis, xs[0].ndim, extra=1)
        for i, x in enumerate(xs[1:], 1):
            if x.shape != xs[0].shape:
                raise MXNetError('stack: input {} has shape {} but input 0 has shape {}; '
                                 'stacked arrays must have the same shape'.format(
                                     i, x.shape, xs[0].shape))
        return np.stack(xs, axis=ax)

    def backward(self, xp, a, xs, ys, dys):
        ax = a.axis % (xs[0].ndim + 1)
        return tuple(_fresh(np.take(dys[0], i, axis=ax)) for i in range(len(xs)))


# ------------------------------------------------------------------ split
class _Split(Op):
    """Base: outputs are consecutive pieces along one axis (optionally squeezed)."""

    def _plan(self, a, x):
        """(axis, list of piece sizes)."""
        raise NotImplementedError

    def forward(self, xp, a, x):
        ax, sizes = self._plan(a, x)
        if a.squeeze_axis and any(s != 1 for s in sizes):
            raise MXNetError('{}: squeeze_axis=True needs pieces of size 1 along axis {}, '
                             'but the input of shape {} splits into sizes {}'.format(
                                 self.name, a.axis, x.shape, sizes))
        parts = np.split(x, _cuts(sizes), axis=ax)
        if a.squeeze_axis:
            shape = x.shape[:ax] + x.shape[ax + 1:] or (1,)
            parts = [p.reshape(shape) for p in parts]
        return tuple(_fresh(p) for p in parts)

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        ax, sizes = self._plan(a, x)
        parts = [d.reshape(x.shape[:ax] + (s,) + x.shape[ax + 1:])
                 for d, s in zip(dys, sizes)]
        return np.concatenate(parts, axis=ax)


@register
class SliceChannel(_Split):
    """Split into ``num_outputs`` equal pieces along ``axis`` (default 1).

    With ``num_outputs=1`` a single NDArray is returned, not a list (as MXNet does).
    ``squeeze_axis=True`` drops the split axis, which must then have size num_outputs.
    """
    name = 'SliceChannel'
    aliases = ('split',)
    method = 'split'
    attrs = {'num_outputs': Attr('int'), 'axis': Attr('int', 1),
             'squeeze_axis': Attr('bool', False)}
    samples = (Sample((2, 6), attrs={'num_outputs': 3}),
               Sample((4, 3), attrs={'num_outputs': 4, 'axis': 0, 'squeeze_axis': True}),
               Sample((2, 3, 4), attrs={'num_outputs': 2, 'axis': -1}))

    def num_outputs(self, a):
        return a.num_outputs

    num_visible = num_outputs

    def _plan(self, a, x):
        n = a.num_outputs
        if n < 1:
            raise MXNetError('split: num_outputs must be >= 1, got {}'.format(n))
        ax = _norm_axis(self.name, a.axis, x.ndim)
        if x.shape[ax] % n:
            raise MXNetError('split: cannot split axis {} of an input of shape {} into '
                             'num_outputs={} evenly sized chunks: {} does not divide {}'.format(
                                 a.axis, x.shape, n, n, x.shape[ax]))
        if a.squeeze_axis and x.shape[ax] != n:
            raise MXNetError('split: with squeeze_axis=True the size of the split axis must '
                             'equal num_outputs; input shape {}, axis={}, num_outputs='
                             '{}'.format(x.shape, a.axis, n))
        return ax, [x.shape[ax] // n] * n


@register
class SplitV2(_Split):
    """Split at ``indices`` (which start with 0; ``mx.nd.split_v2`` prepends it) or, when
    ``sections > 0``, into ``sections`` nearly equal pieces (the first ones one larger)."""
    name = '_split_v2'
    attrs = {'indices': Attr('shape'), 'axis': Attr('int', 1),
             'squeeze_axis': Attr('bool', False), 'sections': Attr('int', 0)}
    samples = (Sample((2, 5), attrs={'indices': (0, 2, 3)}),
               Sample((7, 2), attrs={'indices': (), 'sections': 3, 'axis': 0}))

    def num_outputs(self, a):
        return a.sections if a.sections > 0 else max(len(a.indices), 1)

    num_visible = num_outputs

    def _plan(self, a, x):
        ax = _norm_axis(self.name, a.axis, x.ndim)
        n = x.shape[ax]
        if a.sections > 0:
            q, r = divmod(n, a.sections)
            return ax, [q + 1] * r + [q] * (a.sections - r)
        bounds = list(a.indices) + [n]
        if not a.indices or bounds[0] != 0:
            raise MXNetError('_split_v2: indices {} must start with 0'.format(a.indices))
        for k in range(len(bounds) - 1):
            if bounds[k] > bounds[k + 1]:
                raise MXNetError('split_v2: start {} is not less than end {} for subarray '
                                 '{}; indices must be sorted'.format(bounds[k], bounds[k + 1],
                                                                    k))
            if bounds[k + 1] > n:
                raise MXNetError('split_v2: index {} is larger than the size {} of axis '
                                 '{}'.format(bounds[k + 1], n, a.axis))
        return ax, [bounds[k + 1] - bounds[k] for k in range(len(bounds) - 1)]


# ------------------------------------------------------------------ slicing
def slice_bounds(n, begin, end, step):
    """MXNet's ``slice`` range on an axis of length ``n`` as a Python slice.

    A missing begin/end means the whole axis in the direction of ``step``; negative
    values count from the end; out-of-range values are clipped.
    """
    if step == 0:
        raise MXNetError('slice: step cannot be 0')
    if n == 0:
        return slice(0, 0)
    b = begin if begin is not None else (n - 1 if step < 0 else 0)
    e = end if end is not None else (-1 if step < 0 else n)
    if b < 0:
        b += n
    if e < 0 and end is not None:
        e += n
    if b < 0 and step > 0:
        b = 0
    if b > n - 1 and step < 0:
        b = n - 1
    if b < 0 or b > n - 1:
        return slice(0, 0)
    e = min(max(e, -1), n)
    if step > 0:
        count = (e - b - 1) // step + 1 if e > b else 0
    else:
        count = (b - e - 1) // (-step) + 1 if e < b else 0
    if count == 0:
        return slice(0, 0)
    stop = b + count * step
    return slice(b, stop if stop >= 0 else None, step)


class _Cut(Op):
    """Base: the output is ``x[index]``; the gradient scatters back into zeros."""

    def _index(self, a, xs):
        raise NotImplementedError

    def forward(self, xp, a, *xs):
        return _fresh(xs[0][self._index(a, xs)])

    def backward(self, xp, a, xs, ys, dys):
        dx = xp.zeros_like(xs[0])
        dx[self._index(a, xs)] = dys[0]
        return (dx,) + tuple(xp.zeros_like(x) for x in xs[1:]) if len(xs) > 1 else dx


@register
class Slice(_Cut):
    """Cut ``x[b0:e0:s0, b1:e1:s1, ...]`` for the leading axes given in ``begin``/``end``
    (``None`` entries mean the whole axis in the step's direction)."""
    name = 'slice'
    aliases = ('crop',)
    method = 'slice'
    attrs = {'begin': Attr('shape'), 'end': Attr('shape'), 'step': Attr('shape', ())}
    samples = (Sample((4, 5), attrs={'begin': (1, 0), 'end': (3, 4)}),
               Sample((4, 5, 2), attrs={'begin': (None, -1), 'end': (None, 0),
                                        'step': (2, -2)}))

    def _index(self, a, xs):
        shape = xs[0].shape
        begin, end, step = a.begin, a.end, a.step
        if len(begin) > len(shape) or len(end) > len(shape):
            raise MXNetError('slice: begin {} / end {} slice more axes than the input of '
                             'shape {} has'.format(begin, end, shape))
        if len(begin) != len(end):
            raise MXNetError('slice: begin {} and end {} must have the same length'.format(
                begin, end))
        if step and len(step) != len(begin):
            raise MXNetError('slice: step {} and begin {} must have the same length'.format(
                step, begin))
        idx = []
        for k, (b, e) in enumerate(zip(begin, end)):
            s = step[k] if step and step[k] is not None else 1
            if s == 0:
                raise MXNetError('slice: step[{}] cannot be 0'.format(k))
            idx.append(slice_bounds(shape[k], b, e, s))
        return tuple(idx)


@register
class SliceAxis(_Cut):
    """Cut ``x[begin:end]`` along one ``axis`` (``end=None`` means to the end; the
    range must not be empty)."""
    name = 'slice_axis'
    method = 'slice_axis'
    attrs = {'axis': Attr('int'), 'begin': Attr('int'), 'end': Attr('int_or_none')}
    samples = (Sample((3, 5), attrs={'axis': 1, 'begin': 1, 'end': 4}),
               Sample((4, 2), attrs={'axis': 0, 'begin': -3, 'end': None}))

    def _index(self, a, xs):
        shape = xs[0].shape
        ax = _norm_axis(self.name, a.axis, len(shape))
        n = shape[ax]
        b = a.begin + n if a.begin < 0 else a.begin
        e = n if a.end is None else (a.end + n if a.end < 0 else a.end)
        if e > n:
            raise MXNetError('slice_axis: invalid end={} for an axis of size {}'.format(
                a.end, n))
        if not b < e:
            raise MXNetError('slice_axis: invalid begin={}, end={} for an axis of size {}; '
                             'need begin < end'.format(a.begin, a.end, n))
        if b < 0:
            raise MXNetError('slice_axis: invalid begin={} for an axis of size {}'.format(
                a.begin, n))
        return (slice(None),) * ax + (slice(b, e),)


@register
class SliceLike(_Cut):
    """Cut ``data`` to the shape of ``shape_like`` (from the start of each axis), on all
    axes or only those in ``axes``. ``shape_like`` gets a zero gradient."""
    name = 'slice_like'
    method = 'slice_like'
    inputs = ('data', 'shape_like')
    same_dtype = False
    attrs = {'axes': Attr('shape', ())}
    samples = (Sample((3, 4), (2, 3), wrt=(0,)),
               Sample((3, 4, 2), (1, 2, 5), wrt=(0,), attrs={'axes': (0, -2)}))

    def _index(self, a, xs):
        shape, like = xs[0].shape, xs[1].shape
        if not a.axes:
            if len(shape) != len(like):
                raise MXNetError('slice_like: without axes all axes are sliced, but the '
                                 'inputs have shapes {} and {} with different ndim'.format(
                                     shape, like))
            axes = range(len(shape))
        else:
            axes = []
            for ax in a.axes:
                k = _norm_axis(self.name, ax, len(shape), 'axis (of data)')
                if not -len(like) <= ax < len(like):
                    raise MXNetError('slice_like: axis {} exceeds the dimensions of '
                                     'shape_like {}'.format(ax, like))
                axes.append(k)
        idx = [slice(None)] * len(shape)
        for k in axes:
            if like[k] > shape[k]:
                raise MXNetError('slice_like: axis {} of shape_like {} has size {}, larger '
                                 'than {} in the data of shape {}'.format(
                                     k, like, like[k], shape[k], shape))
            idx[k] = slice(0, like[k])
        return tuple(idx)


# ------------------------------------------------------------------ where
@register
class Where(Op):
    """Elements of ``x`` where ``condition`` is non-zero, else of ``y``.

    ``condition`` has the shape of ``x`` or is 1-D with ``x.shape[0]`` entries (then it
    selects whole rows); it may have any dtype. ``x`` and ``y`` share shape and dtype.
    The condition gets a zero gradient.
    """
    name = 'where'
    inputs = ('condition', 'x', 'y')
    same_dtype = False
    samples = (Sample((3, 4), (3, 4), (3, 4), wrt=(1, 2), make=lambda rng: [
        rng.integers(0, 2, (3, 4)).astype(np.float64), rng.uniform(-1, 1, (3, 4)),
        rng.uniform(-1, 1, (3, 4))]),
        Sample((3,), (3, 2), (3, 2), wrt=(1, 2), make=lambda rng: [
            np.array([1.0, 0.0, 2.0]), rng.uniform(-1, 1, (3, 2)),
            rng.uniform(-1, 1, (3, 2))]))

    def _mask(self, cond, x):
        if cond.shape == x.shape:
            return cond != 0
        if cond.ndim == 1 and x.ndim >= 1 and cond.shape[0] == x.shape[0]:
            return (cond != 0).reshape((-1,) + (1,) * (x.ndim - 1))
        raise MXNetError('where: condition of shape {} must have the shape of x {} or be '
                         '1-D with {} elements'.format(cond.shape, x.shape,
                                                       x.shape[0] if x.ndim else 0))

    def forward(self, xp, a, cond, x, y):
        if x.shape != y.shape:
            raise MXNetError('where: x and y must have the same shape, got {} and {}'.format(
                x.shape, y.shape))
        if x.dtype != y.dtype:
            raise MXNetError('where: x and y must have the same dtype, got {} and {}; cast '
                             'one with astype()'.format(x.dtype, y.dtype))
        return np.where(self._mask(cond, x), x, y)

    def backward(self, xp, a, xs, ys, dys):
        cond, x, _ = xs
        mask, dy = self._mask(cond, x), dys[0]
        zero = dy.dtype.type(0)
        return xp.zeros_like(cond), np.where(mask, dy, zero), np.where(mask, zero, dy)


# ------------------------------------------------------------------ pad
def _pad_index(n, before, after, mode):
    """For each output position along one axis: the input position it reads, and a
    mask of positions that take the constant instead (constant mode)."""
    idx = np.arange(-before, n + after)
    if mode == 'edge':
        return np.clip(idx, 0, n - 1), None
    if mode == 'reflect':
        if n == 1:
            return np.zeros_like(idx), None
        period = 2 * n - 2
        j = np.abs(idx) % period
        return np.where(j >= n, period - j, j), None
    outside = (idx < 0) | (idx >= n)
    return np.clip(idx, 0, max(n - 1, 0)), outside


@register
class Pad(Op):
    """Pad a 4-D or 5-D array on its spatial axes.

    ``pad_width`` has two entries (before, after) per axis, the first four (batch and
    channel axes) zero. ``mode`` is ``'constant'`` (fill with ``constant_value``),
    ``'edge'`` (repeat the border) or ``'reflect'`` (mirror without repeating the
    border; each pad must be smaller than the axis). Only float dtypes. A negative pad
    removes elements from that side.
    """
    name = 'Pad'
    aliases = ('pad',)
    method = 'pad'
    attrs = {'mode': Attr('str', choices=('constant', 'edge', 'reflect')),
             'pad_width': Attr('shape'), 'constant_value': Attr('float', 0.0)}
    samples = (Sample((1, 2, 3, 4), attrs={'mode': 'constant',
                                           'pad_width': (0, 0, 0, 0, 1, 2, 2, 1),
                                           'constant_value': 0.5}),
               Sample((1, 1, 3, 4), attrs={'mode': 'edge',
                                           'pad_width': (0, 0, 0, 0, 2, 1, 3, 1)}),
               Sample((2, 1, 3, 4), attrs={'mode': 'reflect',
                                           'pad_width': (0, 0, 0, 0, 2, 1, 1, 3)}),
               Sample((1, 1, 2, 3, 3), attrs={'mode': 'reflect',
                                              'pad_width': (0, 0, 0, 0, 1, 1, 2, 0, 1, 2)}))

    def _plan(self, a, x):
        if not np.issubdtype(x.dtype, np.floating):
            raise MXNetError('Pad: only floating point types are supported, not {}'.format(
                x.dtype))
        if x.ndim not in (4, 5):
            raise MXNetError('Pad: only 4-D or 5-D input is supported, got shape {}'.format(
                x.shape))
        pw = a.pad_width
        if len(pw) != 2 * x.ndim:
            raise MXNetError('Pad: pad_width {} needs 2 entries per axis ({}) for an input '
                             'of shape {}'.format(pw, 2 * x.ndim, x.shape))
        if any(pw[:4]):
            raise MXNetError('Pad: padding on the first two axes must be zero, got '
                             'pad_width {}'.format(pw))
        plan = []
        for ax in range(2, x.ndim):
            before, after = pw[2 * ax], pw[2 * ax + 1]
            if a.mode == 'reflect' and (before >= x.shape[ax] or after >= x.shape[ax]):
                raise MXNetError('Pad: reflection padding needs pads smaller than the axis, '
                                 'got ({}, {}) for axis {} of size {}'.format(
                                     before, after, ax, x.shape[ax]))
            if before or after:
                plan.append((ax,) + _pad_index(x.shape[ax], before, after, a.mode))
        return plan

    def forward(self, xp, a, x):
        y = x
        fill = x.dtype.type(a.constant_value)
        for ax, idx, outside in self._plan(a, x):
            y = np.take(y, idx, axis=ax)
            if outside is not None and outside.any():
                shape = [1] * y.ndim
                shape[ax] = -1
                y = np.where(outside.reshape(shape), fill, y)
        return _fresh(y)

    def backward(self, xp, a, xs, ys, dys):
        x, g = xs[0], dys[0]
        for ax, idx, outside in reversed(self._plan(a, x)):
            onehot = np.zeros((idx.size, x.shape[ax]), dtype=g.dtype)
            keep = np.ones(idx.size, bool) if outside is None else ~outside
            onehot[np.arange(idx.size)[keep], idx[keep]] = 1
            g = np.moveaxis(np.moveaxis(g, ax, -1) @ onehot, -1, ax)
        return _fresh(g)


# ------------------------------------------------------------------ block rearrangement
def _check_4d(opname, x, block):
    if x.ndim != 4:
        raise MXNetError('{}: requires exactly a 4-D (N, C, H, W) tensor, got shape '
                         '{}'.format(opname, x.shape))
    if block <= 0:
        raise MXNetError('{}: block_size must be a positive integer, got {}'.format(
            opname, block))


def _d2s(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2).reshape(
        n, c // (b * b), h * b, w * b)


def _s2d(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4).reshape(
        n, c * b * b, h // b, w // b)


@register
class DepthToSpace(Op):
    """Move depth blocks into spatial blocks: ``(N, C, H, W) -> (N, C/b^2, H*b, W*b)``,
    channel ``(i*b + j)*C/b^2 + c`` going to offset ``(i, j)`` of each block."""
    name = 'depth_to_space'
    method = 'depth_to_space'
    attrs = {'block_size': Attr('int')}
    samples = (Sample((1, 8, 2, 3), attrs={'block_size': 2}),)

    def forward(self, xp, a, x):
        _check_4d(self.name, x, a.block_size)
        if x.shape[1] % (a.block_size ** 2):
            raise MXNetError('depth_to_space: the channel dimension {} of shape {} must be '
                             'a multiple of block_size^2 = {}'.format(
                                 x.shape[1], x.shape, a.block_size ** 2))
        return _fresh(_d2s(x, a.block_size))

    def backward(self, xp, a, xs, ys, dys):
        return _s2d(dys[0], a.block_size)


@register
class SpaceToDepth(Op):
    """The inverse of `depth_to_space`: ``(N, C, H, W) -> (N, C*b^2, H/b, W/b)``."""
    name = 'space_to_depth'
    method = 'space_to_depth'
    attrs = {'block_size': Attr('int')}
    samples = (Sample((1, 2, 4, 6), attrs={'block_size': 2}),)

    def forward(self, xp, a, x):
        _check_4d(self.name, x, a.block_size)
        for k, what in ((2, 'height'), (3, 'width')):
            if x.shape[k] % a.block_size:
                raise MXNetError('space_to_depth: the {} {} of shape {} must be a multiple '
                                 'of block_size {}'.format(what, x.shape[k], x.shape,
                                                           a.block_size))
        return _fresh(_s2d(x, a.block_size))

    def backward(self, xp, a, xs, ys, dys):
        return _d2s(dys[0], a.block_size)


# ------------------------------------------------------------------ diag
@register
class Diag(Op):
    """A 1-D input becomes a square matrix with it on diagonal ``k``; an N-D input gives
    its diagonal ``k`` over axes (axis1, axis2), appended as the last axis."""
    name = 'diag'
    method = 'diag'
    attrs = {'k': Attr('int', 0), 'axis1': Attr('int', 0), 'axis2': Attr('int', 1)}
    samples = (Sample((4,)), Sample((3,), attrs={'k': -1}), Sample((3, 4), attrs={'k': 1}),
               Sample((2, 3, 4), attrs={'k': -1, 'axis1': 2, 'axis2': 1}))

    def _axes(self, a, x):
        ax1 = _norm_axis(self.name, a.axis1, x.ndim, 'axis1')
        ax2 = _norm_axis(self.name, a.axis2, x.ndim, 'axis2')
        if ax1 == ax2:
            raise MXNetError('diag: axis1 and axis2 cannot refer to the same axis '
                             '{}'.format(ax1))
        h, w = x.shape[ax1], x.shape[ax2]
        if min(h + min(a.k, 0), w - max(a.k, 0)) < 0:
            raise MXNetError('diag: diagonal k={} does not exist for a {}x{} matrix'.format(
                a.k, h, w))
        return ax1, ax2

    def forward(self, xp, a, x):
        if x.ndim == 1:
            return np.diag(x, a.k)
        return _fresh(np.diagonal(x, a.k, *self._axes(a, x)))

    def backward(self, xp, a, xs, ys, dys):
        x, dy = xs[0], dys[0]
        if x.ndim == 1:
            return _fresh(np.diagonal(dy, a.k))
        ax1, ax2 = self._axes(a, x)
        dx = xp.zeros_like(x)
        view = np.moveaxis(dx, (ax1, ax2), (-2, -1))
        n = dy.shape[-1]
        rows = np.arange(n) + max(-a.k, 0)
        view[..., rows, rows + a.k] = dy
        return dx
