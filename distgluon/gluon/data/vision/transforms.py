"""Image transforms (``mx.gluon.data.vision.transforms``): Blocks that take an image
NDArray (HxWxC, uint8 as decoded) and return the transformed NDArray, for use with
``dataset.transform_first``.

The arithmetic lives in `image_ops` (numpy, no loop over pixels). Randomness: crop
geometry uses Python's `random` module, as MXNet's does, so ``random.seed`` gives the
same crops as MXNet; flips and colour jitter draw from ``mx.random`` (the context's
generator), like MXNet's operators.

Examples
--------
>>> from distgluon.gluon.data.vision import transforms
>>> t = transforms.Compose([transforms.Resize(300), transforms.CenterCrop(256),
...                         transforms.ToTensor()])
>>> t(mx.nd.zeros((224, 224, 3), dtype='uint8')).shape
(3, 256, 256)
"""
import random

import numpy as np

from ....base import MXNetError, numeric_types
from ...block import Block, HybridBlock
from ...nn import Sequential, HybridSequential
from . import image_ops

__all__ = ['Compose', 'HybridCompose', 'Cast', 'ToTensor', 'Normalize', 'Resize', 'CropResize',
           'CenterCrop', 'RandomResizedCrop', 'RandomFlipLeftRight', 'RandomFlipTopBottom',
           'RandomBrightness', 'RandomContrast', 'RandomSaturation', 'RandomLighting',
           'RandomColorJitter', 'RandomApply']


def _apply(x, fn, *args):
    """Run numpy ``fn`` on NDArray ``x`` and wrap the result on x's context."""
    from .... import ndarray as nd
    if not isinstance(x, nd.NDArray):
        raise MXNetError('{} works on NDArrays; got {} (symbolic image transforms are not '
                         'supported)'.format(getattr(fn, '__name__', fn), type(x).__name__))
    out = fn(x.asnumpy(), *args)
    return nd.array(out, ctx=x.context, dtype=out.dtype)


def _rng(x):
    from .... import random as mx_random
    return mx_random.get_rng(x.context)


class Compose(Sequential):
    """Apply a list of transforms in order; runs of HybridBlocks are grouped into a
    hybridized HybridSequential, as MXNet does.

    Parameters
    ----------
    transforms : list of Blocks

    Notes
    -----
    MXNet appends ``None`` to the caller's list; distgluon leaves the list unchanged.
    """

    def __init__(self, transforms):
        super().__init__()
        hybrid = []
        for t in list(transforms) + [None]:
            if isinstance(t, HybridBlock):
                hybrid.append(t)
                continue
            if len(hybrid) == 1:
                self.add(hybrid[0])
            elif len(hybrid) > 1:
                hblock = HybridSequential()
                for h in hybrid:
                    hblock.add(h)
                hblock.hybridize()
                self.add(hblock)
            hybrid = []
            if t is not None:
                self.add(t)


class HybridCompose(HybridSequential):
    """Apply a list of HybridBlock transforms in order (MXNet 2's HybridCompose).

    Parameters
    ----------
    transforms : list of HybridBlocks
    """

    def __init__(self, transforms):
        super().__init__()
        for t in transforms:
            if not isinstance(t, HybridBlock):
                raise ValueError('HybridCompose takes HybridBlocks only; {} is a {} (use '
                                 'Compose)'.format(t, type(t).__name__))
            self.add(t)


class Cast(HybridBlock):
    """Cast the input to ``dtype`` (default 'float32')."""

    def __init__(self, dtype='float32'):
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F, x):
        return F.cast(x, self._dtype)


class ToTensor(HybridBlock):
    """HxWxC (or NxHxWxC) in [0, 255] -> float32 CxHxW (or NxCxHxW) in [0, 1]."""

    def hybrid_forward(self, F, x):
        return _apply(x, image_ops.to_tensor)


class Normalize(HybridBlock):
    """``(x - mean[c]) / std[c]`` for a CxHxW or NxCxHxW tensor.

    Parameters
    ----------
    mean, std : float or tuple of floats
        One value for all channels or one per channel.
    """

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F, x):
        return _apply(x, image_ops.normalize, self._mean, self._std)


class Resize(HybridBlock):
    """Resize an HxWxC image (or an NxHxWxC batch).

    Parameters
    ----------
    size : int or tuple of (W, H)
        An int means a square ``size`` x ``size`` unless `keep_ratio`.
    keep_ratio : bool
        With an int size: scale the short edge to ``size`` and keep the aspect ratio.
    interpolation : int
        0 nearest, 1 bilinear (default), 2 bicubic, 3 area, 4 Lanczos (as cubic), 9 auto,
        10 random. 0 and 1 match MXNet (OpenCV 3.4.2) exactly for uint8 and float32.
    """

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    def hybrid_forward(self, F, x):
        return _apply(x, _resize_to, self._size, self._keep, self._interpolation)


def _resize_to(img, size, keep, interp):
    if img.ndim not in (3, 4):
        raise MXNetError('Resize: input image dimension should be 3 or 4 but got {} (shape {})'
                         .format(img.ndim, img.shape))
    h, w = img.shape[-3:-1]
    new_w, new_h = image_ops.output_size(h, w, size, keep)
    return image_ops.resize(img, new_w, new_h, interp)


def _crop_resize(img, x0, y0, w, h, size, interp):
    out = img[..., y0:y0 + h, x0:x0 + w, :]
    if size:
        out = _resize_to(out, size, False, 1 if interp is None else interp)
    return np.ascontiguousarray(out)


class CropResize(HybridBlock):
    """Crop the box (x, y, width, height), then optionally resize to ``size`` (w, h)."""

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._box = (x, y, width, height)
        self._size = size
        self._interpolation = interpolation

    def hybrid_forward(self, F, x):
        return _apply(x, _crop_resize, *self._box, self._size, self._interpolation)


def _fixed_crop(img, x0, y0, w, h, size, interp):
    """MXNet's ``mx.image.fixed_crop``."""
    out = img[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        interp = image_ops.interp_method(interp, (h, w, size[1], size[0]))
        out = image_ops.resize(out, size[0], size[1], interp)
    return np.ascontiguousarray(out)


def _center_crop(img, size, interp):
    h, w, _ = img.shape
    x0, y0, new_w, new_h = image_ops.center_crop_box(h, w, size)
    return _fixed_crop(img, x0, y0, new_w, new_h, size, interp)


class CenterCrop(Block):
    """Crop the centre of an HxWxC image to ``size`` (W, H), scaling the image up first
    when it is smaller than ``size``.

    Parameters
    ----------
    size : int or tuple of (W, H)
    interpolation : int
        Used when the crop has to be resized (default bilinear).
    """

    def __init__(self, size, interpolation=1):
        super().__init__()
        if isinstance(size, numeric_types):
            size = (size, size)
        self._args = (tuple(size), interpolation)

    def forward(self, x):
        return _apply(x, _center_crop, *self._args)


def _random_size_crop(img, size, area, ratio, interp):
    """MXNet's ``mx.image.random_size_crop`` with the same calls to Python's `random`."""
    h, w, _ = img.shape
    src_area = h * w
    if isinstance(area, numeric_types):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return _fixed_crop(img, x0, y0, new_w, new_h, size, interp)
    return _center_crop(img, size, interp)


class RandomResizedCrop(Block):
    """Crop a random area (``scale`` of the image) with a random aspect ratio (``ratio``),
    then resize it to ``size`` (W, H); after 10 failed tries, a centre crop.

    Parameters
    ----------
    size : int or tuple of (W, H)
    scale : tuple of two floats
    ratio : tuple of two floats
    interpolation : int
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        super().__init__()
        if isinstance(size, numeric_types):
            size = (size, size)
        self._args = (tuple(size), scale, ratio, interpolation)

    def forward(self, x):
        return _apply(x, _random_size_crop, *self._args)


def _flip(img, axis):
    return np.ascontiguousarray(np.flip(img, axis))


class RandomFlipLeftRight(HybridBlock):
    """Flip the image left to right with probability 0.5.

    Notes
    -----
    On an NxHxWxC batch one draw decides for the whole batch.
    """

    def hybrid_forward(self, F, x):
        if _rng(x).random() < 0.5:
            return _apply(x, _flip, -2)
        return x


class RandomFlipTopBottom(HybridBlock):
    """Flip the image top to bottom with probability 0.5 (one draw per call)."""

    def hybrid_forward(self, F, x):
        if _rng(x).random() < 0.5:
            return _apply(x, _flip, -3)
        return x


class _RandomEnhance(HybridBlock):
    _fn = None

    def __init__(self, amount):
        super().__init__()
        self._args = (max(0, 1 - amount), 1 + amount)

    def hybrid_forward(self, F, x):
        alpha = np.float32(_rng(x).uniform(*self._args))
        return _apply(x, type(self)._fn, alpha)


class RandomBrightness(_RandomEnhance):
    """Scale the image by a factor drawn from ``[max(0, 1 - brightness), 1 + brightness]``."""
    _fn = staticmethod(image_ops.adjust_brightness)


class RandomContrast(_RandomEnhance):
    """Blend with the mean grey level, factor from ``[max(0, 1 - contrast), 1 + contrast]``."""
    _fn = staticmethod(image_ops.adjust_contrast)


class RandomSaturation(_RandomEnhance):
    """Blend each pixel with its grey level, factor from
    ``[max(0, 1 - saturation), 1 + saturation]``.

    Notes
    -----
    MXNet 1.9.1's operator computes the grey level from the blue channel alone (an
    assignment where a sum was meant); distgluon uses the full luma
    ``0.299 R + 0.587 G + 0.114 B``.
    """
    _fn = staticmethod(image_ops.adjust_saturation)


class RandomLighting(HybridBlock):
    """AlexNet-style PCA lighting noise with per-channel strengths ~ N(0, alpha)."""

    def __init__(self, alpha):
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        alpha = _rng(x).normal(0, self._alpha, 3).astype(np.float32)
        return _apply(x, image_ops.adjust_lighting, alpha)


class RandomColorJitter(HybridBlock):
    """Jitter brightness, contrast and saturation in a random order.

    Notes
    -----
    Hue jitter is not implemented: ``hue > 0`` raises.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        if hue:
            raise NotImplementedError('RandomColorJitter: hue jitter is not implemented in '
                                      'distgluon; pass hue=0')
        self._args = (brightness, contrast, saturation)

    def hybrid_forward(self, F, x):
        rng = _rng(x)
        fns = (image_ops.adjust_brightness, image_ops.adjust_contrast,
               image_ops.adjust_saturation)

        def jitter(img):
            for i in rng.permutation(3):
                if self._args[i] > 0:
                    alpha = np.float32(1 + rng.uniform(-self._args[i], self._args[i]))
                    img = fns[i](img, alpha)
            return img
        return _apply(x, jitter)


class RandomApply(Sequential):
    """Apply ``transforms`` with probability ``p`` (Python's `random`, as MXNet)."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)

