"""MXNet's ``_image_*`` operators (``mx.nd.image.<name>``): to_tensor, normalize,
resize, crop, flip_left_right, flip_top_bottom, adjust_lighting and the random_*
augmenters (flips, brightness, contrast, saturation, lighting).

Images are HWC (``to_tensor``, ``resize``, ``crop`` also take NHWC); tensors are CHW or
NCHW. The arithmetic is `distgluon.gluon.data.vision.image_ops` (which reproduces MXNet's
OpenCV resize); this module adds MXNet's operator interface and integer casts.

Notes
-----
* MXNet passes the head gradient of ``flip_left_right``/``flip_top_bottom`` through
  unflipped, which is not the derivative; we flip it back (the true gradient).
* The random_* ops draw from distgluon's generator (`mx.random.seed`), so the factors
  differ from MXNet's draws; ``random_hue`` and ``random_color_jitter`` are not provided.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []


def _trunc_wrap(values, dtype):
    """C's float -> integer conversion as MXNet's normalize does it (truncate, wrap)."""
    if dtype.kind in 'iu':
        return np.trunc(values).astype(np.int64).astype(dtype)
    return values.astype(dtype)


def _trunc_clip(values, dtype):
    """Clamp to the integer range, then truncate (MXNet's colour augmenters)."""
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        return np.trunc(np.clip(values, info.min, info.max)).astype(dtype)
    return values.astype(dtype)


def _floats(v, name, opname):
    if isinstance(v, str):
        from .registry import _parse_literal
        v = _parse_literal(v)
    vals = np.atleast_1d(np.asarray(v, dtype=np.float64))
    if vals.ndim != 1:
        raise MXNetError('{}: {} must be a number or a tuple of numbers, got {!r}'.format(
            opname, name, v))
    return vals


def _check_hwc(opname, x, batch=False):
    ok = (3, 4) if batch else (3,)
    if x.ndim not in ok:
        raise MXNetError('{}: the input image must have shape (height, width, channels){}, '
                         'but got {}'.format(opname, ', or (N, height, width, channels)'
                                             if batch else '', x.shape))


class _LazyImageOps:
    """`image_ops` imported on first use (the ops package loads before gluon)."""

    def __getattr__(self, name):
        from ..gluon.data.vision import image_ops as module
        return getattr(module, name)


image_ops = _LazyImageOps()


def _rng():
    from ..random import get_rng
    return get_rng()


@register
class ToTensor(Op):
    """HWC (or NHWC) image in [0, 255] -> float32 CHW (or NCHW) in [0, 1]."""
    name = '_image_to_tensor'
    differentiable = False

    def forward(self, xp, a, x):
        return image_ops.to_tensor(x)


@register
class Normalize(Op):
    """``(x - mean[c]) / std[c]`` over the channels of a CHW or NCHW tensor; ``mean`` and
    ``std`` have 1 or C entries, C is 1 or 3 (as in MXNet, the 4-entry defaults are
    rejected: pass both)."""
    name = '_image_normalize'
    attrs = {'mean': Attr('any', (0.0, 0.0, 0.0, 0.0)), 'std': Attr('any', (1.0, 1.0, 1.0, 1.0))}
    samples = (Sample((3, 2, 2), attrs={'mean': (0.1, 0.2, 0.3), 'std': (0.5, 0.25, 2.0)}),
               Sample((2, 1, 2, 3), attrs={'mean': 0.5, 'std': 2.0}))

    def _params(self, a, x):
        if x.ndim not in (3, 4):
            raise MXNetError('normalize: the input tensor must have shape (channels, height, '
                             'width), or (N, channels, height, width), but got {}'.format(
                                 x.shape))
        c = x.shape[-3]
        if c not in (1, 3):
            raise MXNetError('normalize: the channel dimension (axis -3) must have 1 or 3 '
                             'elements, got shape {}'.format(x.shape))
        out = []
        for name in ('mean', 'std'):
            v = _floats(a[name], name, 'normalize')
            if v.size not in (1, c):
                raise MXNetError('normalize: invalid {} for input with shape {}: {} must have '
                                 'either 1 or {} elements, but got {}'.format(
                                     name, x.shape, name, c, v.tolist()))
            out.append(np.broadcast_to(v, (c,)).astype(np.float32).reshape(-1, 1, 1))
        return out

    def forward(self, xp, a, x):
        mean, std = self._params(a, x)
        if x.dtype.kind == 'f':
            return (x - mean.astype(x.dtype)) / std.astype(x.dtype)
        return _trunc_wrap((x.astype(np.float32) - mean) / std, x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        _, std = self._params(a, xs[0])
        return dys[0] / std.astype(dys[0].dtype)


@register
class Resize(Op):
    """Resize HWC/NHWC images to ``size`` = (width, height), or to a square / the
    shorter side (``keep_ratio``) for a single number; ``interp`` as OpenCV."""
    name = '_image_resize'
    attrs = {'size': Attr('shape', ()), 'keep_ratio': Attr('bool', False),
             'interp': Attr('int', 1)}
    differentiable = False

    def forward(self, xp, a, x):
        size = a.size or ()
        if len(size) not in (1, 2):
            raise MXNetError('resize: size must have 1 or 2 entries (width, height), got '
                             '{}'.format(size))
        if x.ndim not in (3, 4):
            raise MXNetError('resize: the input image dimension should be 3 or 4, got shape '
                             '{}'.format(x.shape))
        h, w = x.shape[-3:-1]
        new_w, new_h = image_ops.output_size(h, w, size, a.keep_ratio)
        return image_ops.resize(x, new_w, new_h, a.interp)


@register
class Crop(Op):
    """The ``height`` x ``width`` window at column ``x``, row ``y`` of HWC/NHWC images."""
    name = '_image_crop'
    attrs = {'x': Attr('int'), 'y': Attr('int'), 'width': Attr('int'), 'height': Attr('int')}
    samples = (Sample((4, 5, 3), attrs={'x': 1, 'y': 0, 'width': 3, 'height': 2}),
               Sample((2, 3, 4, 1), attrs={'x': 0, 'y': 1, 'width': 4, 'height': 2}))

    def _window(self, a, x):
        if x.ndim not in (3, 4):
            raise MXNetError('crop: expects inputs of 3D (h, w, c) or 4D (n, h, w, c), but '
                             'got shape {}'.format(x.shape))
        h, w = x.shape[-3:-1]
        if a.x < 0 or a.y < 0 or a.width <= 0 or a.height <= 0:
            raise MXNetError('crop: x, y must be >= 0 and width, height > 0, got x={}, y={}, '
                             'width={}, height={}'.format(a.x, a.y, a.width, a.height))
        if a.x + a.width > w:
            raise MXNetError('crop: x + width ({}) should not be greater than the input width '
                             '({})'.format(a.x + a.width, w))
        if a.y + a.height > h:
            raise MXNetError('crop: y + height ({}) should not be greater than the input '
                             'height ({})'.format(a.y + a.height, h))
        return (Ellipsis, slice(a.y, a.y + a.height), slice(a.x, a.x + a.width),
                slice(None))

    def forward(self, xp, a, x):
        return x[self._window(a, x)].copy()

    def backward(self, xp, a, xs, ys, dys):
        g = np.zeros_like(xs[0])
        g[self._window(a, xs[0])] = dys[0]
        return g


class _Flip(Op):
    axis = None
    samples = (Sample((2, 3, 2)),)

    def forward(self, xp, a, x):
        _check_hwc(self.name[1:], x)
        return np.flip(x, self.axis).copy()

    def backward(self, xp, a, xs, ys, dys):
        return np.flip(dys[0], self.axis).copy()


@register
class FlipLeftRight(_Flip):
    """Mirror an HWC image horizontally."""
    name = '_image_flip_left_right'
    axis = 1


@register
class FlipTopBottom(_Flip):
    """Mirror an HWC image vertically."""
    name = '_image_flip_top_bottom'
    axis = 0


class _RandomFlip(Op):
    axis = None
    stateful = True
    differentiable = False

    def forward(self, xp, a, x):
        _check_hwc(self.name[1:], x)
        return np.flip(x, self.axis).copy() if _rng().random() < 0.5 else x.copy()


@register
class RandomFlipLeftRight(_RandomFlip):
    """Mirror an HWC image horizontally with probability 1/2."""
    name = '_image_random_flip_left_right'
    axis = 1


@register
class RandomFlipTopBottom(_RandomFlip):
    """Mirror an HWC image vertically with probability 1/2."""
    name = '_image_random_flip_top_bottom'
    axis = 0


def _lighting(x, alpha):
    _check_hwc('adjust_lighting', x)
    if x.shape[-1] != 3:
        raise MXNetError('adjust_lighting: the image must have 3 channels (RGB), got shape '
                         '{}'.format(x.shape))
    out = image_ops.adjust_lighting(x.astype(np.float32), alpha)
    return _trunc_clip(out, x.dtype)


@register
class AdjustLighting(Op):
    """AlexNet-style PCA lighting: add ``eigvec @ (eigval * alpha)`` to each RGB pixel."""
    name = '_image_adjust_lighting'
    attrs = {'alpha': Attr('any')}
    differentiable = False

    def forward(self, xp, a, x):
        alpha = _floats(a.alpha, 'alpha', 'adjust_lighting')
        if alpha.size != 3:
            raise MXNetError('adjust_lighting: alpha must have 3 entries, got {}'.format(
                alpha.tolist()))
        return _lighting(x, alpha)


@register
class RandomLighting(Op):
    """adjust_lighting with ``alpha`` drawn from N(0, alpha_std^2)."""
    name = '_image_random_lighting'
    attrs = {'alpha_std': Attr('float', 0.05)}
    stateful = True
    differentiable = False

    def forward(self, xp, a, x):
        return _lighting(x, _rng().normal(0.0, a.alpha_std, size=3))


class _RandomFactor(Op):
    """Colour augmenters: one factor drawn uniformly from [min_factor, max_factor]."""
    attrs = {'min_factor': Attr('float'), 'max_factor': Attr('float')}
    stateful = True
    differentiable = False
    adjust = None

    def forward(self, xp, a, x):
        _check_hwc(self.name[1:], x)
        if a.min_factor > a.max_factor:
            raise MXNetError('{}: min_factor {} must not exceed max_factor {}'.format(
                self.name[1:], a.min_factor, a.max_factor))
        alpha = _rng().uniform(a.min_factor, a.max_factor)
        out = getattr(image_ops, self.adjust)(x.astype(np.float32), alpha)
        return _trunc_clip(out, x.dtype)


@register
class RandomBrightness(_RandomFactor):
    """``x * alpha``, alpha ~ U(min_factor, max_factor)."""
    name = '_image_random_brightness'
    adjust = 'adjust_brightness'


@register
class RandomContrast(_RandomFactor):
    """Blend with the image's mean grey level by alpha ~ U(min_factor, max_factor)."""
    name = '_image_random_contrast'
    adjust = 'adjust_contrast'


@register
class RandomSaturation(_RandomFactor):
    """Blend each pixel with its grey level by alpha ~ U(min_factor, max_factor)."""
    name = '_image_random_saturation'
    adjust = 'adjust_saturation'
