"""The numpy arithmetic behind ``vision.transforms``: pure functions on HxWxC (or
NxHxWxC) arrays, each reproducing what MXNet 1.9.1 computes (its image operators call
OpenCV 3.4.2's ``cv::resize``).

Nothing here loops over pixels: resizing gathers source rows and columns with index
arrays and mixes them with per-row / per-column weights.
"""
import numpy as np

from ....base import MXNetError

__all__ = ['to_tensor', 'normalize', 'resize', 'output_size', 'interp_method', 'scale_down',
           'center_crop_box', 'adjust_brightness', 'adjust_contrast', 'adjust_saturation',
           'adjust_lighting', 'saturate']

_RESIZE_DTYPES = (np.uint8, np.float16, np.float32, np.float64)


def saturate(values, dtype):
    """Cast float results to ``dtype`` as OpenCV's saturate_cast does (round to nearest,
    clip to the integer range)."""
    dtype = np.dtype(dtype)
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def to_tensor(img):
    """HWC (or NHWC) in [0, 255] -> float32 CHW (or NCHW) in [0, 1]."""
    if img.ndim not in (3, 4):
        raise MXNetError('ToTensor: input image must have shape (height, width, channels), or '
                         '(N, height, width, channels) but got {}'.format(img.shape))
    out = img.astype(np.float32) / np.float32(255.0)
    axes = (2, 0, 1) if img.ndim == 3 else (0, 3, 1, 2)
    return np.ascontiguousarray(out.transpose(axes))


def normalize(tensor, mean, std):
    """``(x - mean[c]) / std[c]`` over the channel axis of CHW or NCHW."""
    if tensor.ndim not in (3, 4):
        raise MXNetError('Normalize: input tensor must have shape (channels, height, width), or '
                         '(N, channels, height, width), but got {}'.format(tensor.shape))
    channels = tensor.shape[-3]
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float32))
    std = np.atleast_1d(np.asarray(std, dtype=np.float32))
    for name, val in (('mean', mean), ('std', std)):
        if val.size not in (1, channels):
            raise MXNetError('Normalize: invalid {} for input with shape {}. {} must have either '
                             '1 or {} elements, but got {}'.format(name, tensor.shape, name,
                                                                   channels, val.tolist()))
    shape = (-1, 1, 1)
    out = (tensor.astype(np.float32) - mean.reshape(shape)) / std.reshape(shape)
    return saturate(out, tensor.dtype)


def output_size(height, width, size, keep_ratio):
    """(new_w, new_h) of ``Resize(size, keep_ratio)`` for an image of height x width."""
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        if not keep_ratio:
            return size[0], size[0]
        if height > width:
            return size[0], height * size[0] // width
        return width * size[0] // height, size[0]
    if len(size) != 2:
        raise MXNetError('Resize: size must be an int or a (width, height) pair, got {}'.format(
            size))
    return size[0], size[1]


def interp_method(interp, sizes=()):
    """MXNet's choice of interpolation (``mx.image._get_interp_method``): 9 picks by the
    direction of the resize, 10 picks at random (Python's `random`)."""
    if interp == 9:
        if sizes:
            old_h, old_w, new_h, new_w = sizes
            if new_h > old_h and new_w > old_w:
                return 2
            if new_h < old_h and new_w < old_w:
                return 3
            return 1
        return 2
    if interp == 10:
        import random
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError('Unknown interp method %d' % interp)
    return interp


def scale_down(src_size, size):
    """Shrink the crop ``size`` (w, h) to fit ``src_size`` (w, h), keeping its ratio."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def center_crop_box(height, width, size):
    """(x0, y0, w, h) of MXNet's centre crop of ``size`` (w, h)."""
    new_w, new_h = scale_down((width, height), size)
    return int((width - new_w) / 2), int((height - new_h) / 2), new_w, new_h


# -- resizing ---------------------------------------------------------------------------

def _linear_coords(src, dst, clamp_weight):
    """Source indices (i0, i1) and float32 weights of i1, OpenCV's INTER_LINEAR rule:
    ``f = (d + 0.5) * src/dst - 0.5``. Columns clamp both index and weight at the borders;
    rows clamp only the index (the weights stay split, which matters in fixed point)."""
    scale = 1.0 / (dst / src)
    f = ((np.arange(dst) + 0.5) * scale - 0.5).astype(np.float32)
    i0 = np.floor(f).astype(np.int64)
    f = (f - i0.astype(np.float32)).astype(np.float32)
    if clamp_weight:
        low, high = i0 < 0, i0 >= src - 1
        f[low | high] = 0
        i0 = np.clip(i0, 0, src - 1)
        return i0, np.minimum(i0 + 1, src - 1), f
    return np.clip(i0, 0, src - 1), np.clip(i0 + 1, 0, src - 1), f


def _nearest_index(src, dst):
    ifx = 1.0 / (dst / src)
    return np.minimum(np.floor(np.arange(dst) * ifx).astype(np.int64), src - 1)


def _resize_nearest(img, w, h):
    return img[:, _nearest_index(img.shape[1], h)][:, :, _nearest_index(img.shape[2], w)]


def _resize_linear_u8(img, w, h):
    """OpenCV's fixed-point bilinear for 8-bit images: 11-bit weights, a horizontal pass
    in int32 and the SSE2 vertical pass (``>> 4``, high 16 bits of the products, ``+2 >> 2``)."""
    x0, x1, fx = _linear_coords(img.shape[2], w, True)
    y0, y1, fy = _linear_coords(img.shape[1], h, False)
    one, coef = np.float32(1), np.float32(2048)
    ax0 = np.rint((one - fx) * coef).astype(np.int32)[:, None]
    ax1 = np.rint(fx * coef).astype(np.int32)[:, None]
    by0 = np.rint((one - fy) * coef).astype(np.int32)[:, None, None]
    by1 = np.rint(fy * coef).astype(np.int32)[:, None, None]
    src = img.astype(np.int32)
    rows = src[:, :, x0] * ax0 + src[:, :, x1] * ax1
    val = (((rows[:, y0] >> 4) * by0) >> 16) + (((rows[:, y1] >> 4) * by1) >> 16)
    return np.clip((val + 2) >> 2, 0, 255).astype(np.uint8)


def _resize_linear_float(img, w, h):
    x0, x1, fx = _linear_coords(img.shape[2], w, True)
    y0, y1, fy = _linear_coords(img.shape[1], h, False)
    one = np.float32(1)
    src = img.astype(np.float32)
    rows = src[:, :, x0] * (one - fx)[:, None] + src[:, :, x1] * fx[:, None]
    out = rows[:, y0] * (one - fy)[:, None, None] + rows[:, y1] * fy[:, None, None]
    return out.astype(img.dtype)


def _resize_half(img):
    """OpenCV's fast INTER_AREA for an exact 2x shrink (what INTER_LINEAR becomes then),
    with the summation order of OpenCV 3.4.2's float kernels (read off MXNet's results:
    1 channel: SIMD for whole groups of 4 columns; 4 channels: SIMD; 2, 3: scalar)."""
    a, b = img[:, 0::2, 0::2], img[:, 0::2, 1::2]
    c, d = img[:, 1::2, 0::2], img[:, 1::2, 1::2]
    if img.dtype == np.uint8:
        total = a.astype(np.int32) + b + c + d
        if img.shape[-1] == 2:     # OpenCV's 2-channel path rounds half to even
            return np.rint(total / 4.0).astype(np.uint8)
        return ((total + 2) >> 2).astype(np.uint8)
    quarter = img.dtype.type(0.25)
    out = (((a + b) + c) + d) * quarter           # OpenCV's scalar order
    channels, width = img.shape[-1], a.shape[2]
    simd = width if channels == 4 else 4 * (width // 4) if channels == 1 else 0
    if simd:                                       # its SIMD lanes add the two rows' pairs
        out[:, :, :simd] = ((a[:, :, :simd] + b[:, :, :simd]) +
                            (c[:, :, :simd] + d[:, :, :simd])) * quarter
    return out.astype(img.dtype)


def _weights(src, dst, kind):
    """Dense (dst, src) weight matrix for the approximate methods (cubic, area)."""
    scale = src / dst
    if kind == 'area' and dst < src:
        edges = np.arange(dst + 1) * scale
        lo, hi = edges[:-1, None], edges[1:, None]
        pix = np.arange(src)[None, :]
        overlap = np.clip(np.minimum(hi, pix + 1) - np.maximum(lo, pix), 0, None)
        return overlap / scale
    f = (np.arange(dst) + 0.5) * scale - 0.5
    base = np.floor(f)
    t = f - base
    out = np.zeros((dst, src))
    rows = np.arange(dst)
    if kind == 'area':               # enlarging: OpenCV's area behaves like bilinear
        taps, wts = (0, 1), (1 - t, t)
    else:                             # Keys cubic, a = -0.75 (OpenCV's INTER_CUBIC)
        a = -0.75
        taps = (-1, 0, 1, 2)
        dist = [np.abs(t - k) for k in taps]
        wts = [np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                        ((a * d - 5 * a) * d + 8 * a) * d - 4 * a) for d in dist]
    for k, wt in zip(taps, wts):      # 2 or 4 taps, not a loop over pixels
        np.add.at(out, (rows, np.clip(base + k, 0, src - 1).astype(np.int64)), wt)
    return out


def _resize_separable(img, w, h, kind):
    wy = _weights(img.shape[1], h, kind)
    wx = _weights(img.shape[2], w, kind)
    out = np.einsum('yh,nhwc,xw->nyxc', wy, img.astype(np.float64), wx, optimize=True)
    return saturate(out, img.dtype)


def resize(img, w, h, interp=1):
    """Resize an HWC or NHWC image to width ``w`` and height ``h``.

    ``interp`` 0 (nearest) and 1 (bilinear) reproduce OpenCV 3.4.2 (as used by MXNet
    1.9.1) exactly for uint8 and float32; 2 and 4 use Keys' cubic kernel and 3 a pixel-area
    average, which can differ from OpenCV by one grey level.
    """
    if img.ndim not in (3, 4):
        raise MXNetError('Resize: input image dimension should be 3 or 4 but got {} (shape {})'
                         .format(img.ndim, img.shape))
    if img.dtype.type not in _RESIZE_DTYPES:
        raise MXNetError('Resize: unsupported dtype {}; use uint8 or a float type (Cast first)'
                         .format(img.dtype))
    if w <= 0 or h <= 0:
        raise MXNetError('Resize: output size must be positive, got (w, h) = ({}, {})'.format(
            w, h))
    batch = img if img.ndim == 4 else img[None]
    in_h, in_w = batch.shape[1:3]
    interp = interp_method(interp, (in_h, in_w, h, w))
    if (in_h, in_w) == (h, w):
        out = batch.copy()
    elif interp == 0:
        out = _resize_nearest(batch, w, h)
    elif interp == 1:
        if in_w == 2 * w and in_h == 2 * h:
            out = _resize_half(batch)
        elif batch.dtype == np.uint8:
            out = _resize_linear_u8(batch, w, h)
        else:
            out = _resize_linear_float(batch, w, h)
    else:
        out = _resize_separable(batch, w, h, 'area' if interp == 3 else 'cubic')
    return out if img.ndim == 4 else out[0]


# -- colour ------------------------------------------------------------------------------

_GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_EIG = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                 [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                 [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]], dtype=np.float32)


def adjust_brightness(img, alpha):
    """``x * alpha``."""
    return saturate(img.astype(np.float32) * np.float32(alpha), img.dtype)


def adjust_contrast(img, alpha):
    """Blend with the mean grey level of the whole image: ``x * alpha + (1 - alpha) * m``."""
    x = img.astype(np.float32)
    gray = x[..., :3] @ _GRAY if img.shape[-1] > 1 else x[..., 0]
    mean = gray.reshape(gray.shape[:-2] + (-1,)).mean(-1)[..., None, None, None]
    return saturate(x * np.float32(alpha) + (1 - np.float32(alpha)) * mean, img.dtype)


def adjust_saturation(img, alpha):
    """Blend each pixel with its own grey level (ITU-R 601 luma)."""
    if img.shape[-1] == 1:
        return img.copy()
    x = img.astype(np.float32)
    gray = (x[..., :3] @ _GRAY)[..., None]
    return saturate(x * np.float32(alpha) + (1 - np.float32(alpha)) * gray, img.dtype)


def adjust_lighting(img, alpha):
    """AlexNet's PCA lighting noise: add ``eig @ alpha`` to the RGB channels."""
    if img.shape[-1] == 1:
        return img.copy()
    pca = _EIG @ np.asarray(alpha, dtype=np.float32)
    return saturate(img.astype(np.float32) + pca, img.dtype)
