"""Assorted MXNet operators: smooth_l1, hard_sigmoid, LRN, moments, cumsum,
ravel_multi_index / unravel_index, _histogram, amp_cast, amp_multicast.

Notes
-----
* ``amp_multicast`` fails on MXNet 1.9.1's oneDNN CPU build (``unknown type for
  MKLDNN``); we give its documented result: float16/float32 inputs cast to the widest
  (``cast_narrow``: narrowest) of their types, other dtypes untouched.
* ``amp_cast`` from float32 to an integer type rounds half to even and saturates, as
  the oneDNN build does (``Cast`` truncates); float64 and integer inputs pass through
  unchanged (AMP casts only between float16 and float32), also as MXNet.
* ``unravel_index`` of an N-D index array returns ``(len(shape),) + data.shape``; MXNet
  returns a mis-shaped array for anything but 1-D input.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError, normalize_dtype

__all__ = []


@register
class SmoothL1(Op):
    """``0.5 (sigma x)^2`` where ``|x| < 1 / sigma^2``, else ``|x| - 0.5 / sigma^2``
    (``scalar`` is sigma)."""
    name = 'smooth_l1'
    attrs = {'scalar': Attr('float', 1.0)}
    samples = (Sample((3, 4), low=-2, high=2), Sample((5,), attrs={'scalar': 2.0}, low=-1,
                                                     high=1))

    def forward(self, xp, a, x):
        s2 = x.dtype.type(a.scalar * a.scalar)
        ax = np.abs(x)
        return np.where(ax < 1 / s2, x.dtype.type(0.5) * s2 * x * x,
                        ax - x.dtype.type(0.5) / s2).astype(x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        s2 = x.dtype.type(a.scalar * a.scalar)
        return dys[0] * np.where(np.abs(x) < 1 / s2, s2 * x, np.sign(x)).astype(x.dtype)


@register
class HardSigmoid(Op):
    """``max(0, min(1, alpha * x + beta))``; the gradient is ``alpha`` strictly inside."""
    name = 'hard_sigmoid'
    attrs = {'alpha': Attr('float', 0.2), 'beta': Attr('float', 0.5)}
    samples = (Sample((3, 4), low=-4, high=4), Sample((6,), attrs={'alpha': 1.0, 'beta': 0.2}))

    def forward(self, xp, a, x):
        y = x * x.dtype.type(a.alpha) + x.dtype.type(a.beta)
        return np.clip(y, 0, 1).astype(x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        y = ys[0]
        return dys[0] * ((y > 0) & (y < 1)) * dys[0].dtype.type(a.alpha)


def _channel_window_sum(v, half):
    """Sum of ``v`` over channels ``c - half .. c + half`` (axis 1, zero padded)."""
    pad = np.zeros((v.shape[0], half) + v.shape[2:], dtype=v.dtype)
    c = np.cumsum(np.concatenate([pad, v, pad], axis=1), axis=1)
    c = np.concatenate([np.zeros_like(c[:, :1]), c], axis=1)
    n = v.shape[1]
    return c[:, 2 * half + 1:2 * half + 1 + n] - c[:, :n]


@register
class LRN(Op):
    """Local response normalization across channels of NCHW data:
    ``x / (knorm + alpha / nsize * sum(x^2 over the window)) ** beta``.

    The window spans ``(nsize - 1) // 2`` channels on each side (so an even ``nsize``
    sums ``nsize - 1`` channels, as MXNet's oneDNN kernel does), divided by ``nsize``.
    """
    name = 'LRN'
    attrs = {'alpha': Attr('float', 1e-4), 'beta': Attr('float', 0.75),
             'knorm': Attr('float', 2.0), 'nsize': Attr('int')}
    samples = (Sample((2, 5, 2, 3), attrs={'nsize': 3, 'alpha': 0.5, 'beta': 0.6}),
               Sample((1, 6, 2, 2), attrs={'nsize': 4, 'alpha': 1.0, 'knorm': 1.0}),
               Sample((1, 3, 1, 2), attrs={'nsize': 5}))

    def num_outputs(self, a):
        return 2

    def forward(self, xp, a, x):
        if x.ndim != 4:
            raise MXNetError('LRN: the input must be 4-D (batch, channel, height, width), got '
                             'shape {}'.format(x.shape))
        if a.nsize < 1:
            raise MXNetError('LRN: nsize must be positive, got {}'.format(a.nsize))
        half = (a.nsize - 1) // 2
        norm = _channel_window_sum(x.astype(np.float64) ** 2, half)
        norm = a.knorm + a.alpha / a.nsize * norm
        return (x * norm ** -a.beta).astype(x.dtype), norm.astype(x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        x, norm = xs[0].astype(np.float64), ys[1].astype(np.float64)
        dy = dys[0].astype(np.float64)
        half = (a.nsize - 1) // 2
        inner = _channel_window_sum(dy * x * norm ** (-a.beta - 1), half)
        g = dy * norm ** -a.beta - 2.0 * a.alpha * a.beta / a.nsize * x * inner
        return g.astype(xs[0].dtype)


@register
class Moments(Op):
    """Mean and (biased) variance over ``axes``; two outputs."""
    name = 'moments'
    attrs = {'axes': Attr('axis', None), 'keepdims': Attr('bool', False)}
    samples = (Sample((3, 4), attrs={'axes': (1,)}),
               Sample((2, 3, 4), attrs={'axes': (0, 2), 'keepdims': True}),
               Sample((2, 3), attrs={'axes': (0, 1)}))

    def num_outputs(self, a):
        return 2

    def num_visible(self, a):
        return 2

    def _axes(self, a, x):
        if a.axes is None:
            raise MXNetError('moments: empty axes is not supported; for global moments pass '
                             'every axis, axes={}'.format(tuple(range(x.ndim))))
        axes = (a.axes,) if isinstance(a.axes, int) else a.axes
        for ax in axes:
            if not -x.ndim <= ax < x.ndim:
                raise MXNetError('moments: axis {} is out of range for shape {}'.format(
                    ax, x.shape))
        return tuple(ax % x.ndim for ax in axes)

    def forward(self, xp, a, x):
        axes = self._axes(a, x)
        xf = x if x.dtype.kind == 'f' else x.astype(np.float64)
        mean = xf.mean(axis=axes, keepdims=True)
        var = np.square(xf - mean).mean(axis=axes, keepdims=True)
        if not a.keepdims:
            mean, var = mean.squeeze(axes), var.squeeze(axes)
        return mean.astype(x.dtype), var.astype(x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        axes = self._axes(a, x)
        n = int(np.prod([x.shape[i] for i in axes]))
        kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        mean = ys[0].reshape(kept)
        dmean, dvar = dys[0].reshape(kept), dys[1].reshape(kept)
        return (dmean + 2 * dvar * (x - mean)) / x.dtype.type(n)


@register
class Cumsum(Op):
    """Cumulative sum along ``axis`` (None: of the flattened array), in ``dtype``.

    As in MXNet 1.9.1, a negative axis is rejected.
    """
    name = '_np_cumsum'
    aliases = ('cumsum',)
    inputs = ('a',)
    attrs = {'axis': Attr('int_or_none', None), 'dtype': Attr('dtype', None)}
    samples = (Sample((3, 4)), Sample((2, 3, 4), attrs={'axis': 1}),
               Sample((2, 3), attrs={'axis': 0, 'dtype': 'float64'}))

    def forward(self, xp, a, x):
        if a.axis is not None and not 0 <= a.axis < x.ndim:
            raise MXNetError('cumsum: axis {} is out of range for shape {}; use an axis in '
                             '[0, {})'.format(a.axis, x.shape, x.ndim))
        dtype = a.dtype or x.dtype
        src = x.reshape(-1) if a.axis is None else x
        return np.cumsum(src, axis=0 if a.axis is None else a.axis, dtype=dtype)

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        axis = 0 if a.axis is None else a.axis
        g = np.flip(np.cumsum(np.flip(dys[0], axis), axis=axis), axis)
        return g.reshape(x.shape).astype(x.dtype)


def _shape_strides(shape):
    dims = np.asarray(shape, dtype=np.int64)
    strides = np.ones(len(shape), dtype=np.int64)
    if len(shape) > 1:
        strides[:-1] = np.cumprod(dims[::-1])[:-1][::-1]
    return dims, strides


@register
class RavelMultiIndex(Op):
    """Flat indices of the columns of a (ndim, N) coordinate array into ``shape``
    (row-major; fractional coordinates are truncated, nothing is range-checked)."""
    name = '_ravel_multi_index'
    aliases = ('ravel_multi_index',)
    attrs = {'shape': Attr('shape', None)}
    differentiable = False

    def forward(self, xp, a, x):
        if x.ndim != 2:
            raise MXNetError('ravel_multi_index: the input must be two-dimensional '
                             '(ndim, N), got shape {}'.format(x.shape))
        if a.shape is None or len(a.shape) != x.shape[0]:
            raise MXNetError('ravel_multi_index: shape {} must have one entry per row of the '
                             'input (shape {})'.format(a.shape, x.shape))
        _, strides = _shape_strides(a.shape)
        coords = np.trunc(x).astype(np.int64)
        return (strides[:, None] * coords).sum(0).astype(x.dtype)


@register
class UnravelIndex(Op):
    """Coordinates in ``shape`` of flat indices: output ``(len(shape),) + data.shape``.
    The first coordinate is not wrapped (it holds whatever is left), so ``shape[0]`` may
    be -1."""
    name = '_unravel_index'
    aliases = ('unravel_index',)
    attrs = {'shape': Attr('shape', None)}
    differentiable = False

    def forward(self, xp, a, x):
        if not a.shape:
            raise MXNetError('unravel_index: give the target shape, e.g. shape=(7, 6)')
        dims, _ = _shape_strides(a.shape)
        idx = np.trunc(x).astype(np.int64)
        out = np.empty((len(dims),) + x.shape, dtype=np.int64)
        for j in range(len(dims) - 1, 0, -1):        # over the dimensions of shape
            q = np.fix(idx / dims[j]).astype(np.int64)  # C division truncates
            out[j] = idx - q * dims[j]
            idx = q
        out[0] = idx
        return out.astype(x.dtype)


@register
class Histogram(Op):
    """Counts (int64) of the flattened data in ``bin_cnt`` equal bins over ``range``, or
    in the bins whose edges are the second input; returns (counts, edges). Values
    outside the edges are ignored; the last bin includes its right edge."""
    name = '_histogram'
    inputs = ('data', 'bins')
    attrs = {'bin_cnt': Attr('int_or_none', None), 'range': Attr('any', None)}
    differentiable = False

    def num_outputs(self, a):
        return 2

    def num_visible(self, a):
        return 2

    def input_names(self, a, num_given=None):
        return ['data'] if a.get('bin_cnt') is not None else ['data', 'bins']

    def forward(self, xp, a, x, bins=None):
        data = x.reshape(-1)
        if bins is None:
            if a.bin_cnt is None or a.range is None:
                raise MXNetError('histogram: give either a bins array or bin_cnt and '
                                 'range=(low, high)')
            lo, hi = (x.dtype.type(v) for v in a.range)
            if not lo <= hi:
                raise MXNetError('histogram: range {} must be increasing'.format(a.range))
            edges = np.linspace(float(lo), float(hi), a.bin_cnt + 1).astype(x.dtype)
            inside = (data >= lo) & (data <= hi)
            span = hi - lo if hi > lo else x.dtype.type(1)
            idx = ((data[inside] - lo) / span * a.bin_cnt).astype(np.int64)
            idx = np.minimum(idx, a.bin_cnt - 1)
            return np.bincount(idx, minlength=a.bin_cnt).astype(np.int64), edges
        edges = bins.reshape(-1)
        nbins = edges.size - 1
        inside = (data >= edges[0]) & (data <= edges[-1])
        idx = np.minimum(np.searchsorted(edges, data[inside], side='right') - 1, nbins - 1)
        return np.bincount(idx, minlength=nbins).astype(np.int64), edges.copy()


_AMP_TYPES = ('bfloat16', 'float16', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8')
_LOW_PRECISION = (np.dtype('float16'), np.dtype('float32'))


def _amp_to(x, dtype):
    if x.dtype not in _LOW_PRECISION:
        return x.copy()
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        return np.clip(np.rint(x), info.min, info.max).astype(dtype)
    return x.astype(dtype)


@register
class AmpCast(Op):
    """AMP's cast: float16/float32 inputs are cast to ``dtype``; other dtypes pass
    through unchanged."""
    name = 'amp_cast'
    attrs = {'dtype': Attr('str')}
    samples = (Sample((3, 4), attrs={'dtype': 'float16'}),
               Sample((3,), attrs={'dtype': 'float32'}))

    def forward(self, xp, a, x):
        if a.dtype not in _AMP_TYPES:
            raise MXNetError("amp_cast: invalid dtype '{}'; choose one of {}".format(
                a.dtype, ', '.join(_AMP_TYPES)))
        return _amp_to(x, normalize_dtype(a.dtype))

    def backward(self, xp, a, xs, ys, dys):
        return dys[0].astype(xs[0].dtype)


@register
class AmpMultiCast(Op):
    """AMP's multi-cast: float16/float32 inputs all become the widest of their types
    (``cast_narrow``: the narrowest); other dtypes pass through. One output per input."""
    name = 'amp_multicast'
    inputs = ('*data',)
    attrs = {'num_outputs': Attr('int'), 'cast_narrow': Attr('bool', False)}
    same_dtype = False
    samples = (Sample((3,), (2, 2), attrs={'num_outputs': 2}),
               Sample((3,), (2,), attrs={'num_outputs': 2, 'cast_narrow': True}))

    def num_outputs(self, a):
        return a.num_outputs

    def num_visible(self, a):
        return a.num_outputs

    def input_names(self, a, num_given=None):
        return ['data_%d' % i for i in range(a.get('num_outputs') or num_given or 0)]

    def forward(self, xp, a, *xs):
        if len(xs) != a.num_outputs:
            raise MXNetError('amp_multicast: num_outputs={} but {} arrays were given'.format(
                a.num_outputs, len(xs)))
        floats = [x.dtype for x in xs if x.dtype in _LOW_PRECISION]
        if not floats:
            return tuple(x.copy() for x in xs)
        pick = min if a.cast_narrow else max
        target = pick(floats, key=lambda d: d.itemsize)
        return tuple(x.astype(target) if x.dtype in _LOW_PRECISION else x.copy() for x in xs)

    def backward(self, xp, a, xs, ys, dys):
        return tuple(d.astype(x.dtype) for x, d in zip(xs, dys))
