"""Pooling (max / avg / sum / lp over 1-D, 2-D and 3-D windows) and UpSampling.

Pooling pads the input once (with the dtype's lowest value for max, zeros otherwise)
and reduces over the window with one strided slice per kernel position, so the work
is a handful of whole-array numpy calls whatever the batch or image size. The
backward pass walks the kernel positions the same way; max pooling sends each
window's gradient to the first maximum in row-major order, as MXNet does.
"""
import itertools
import math

import numpy as np

from .registry import Op, Attr, register, Sample
from .nn_conv import conv_backward_data, conv_forward, conv_backward_weight
from ..base import MXNetError

__all__ = []

_CHANNEL_LAST = {'NWC': 1, 'NHWC': 2, 'NDHWC': 3}
_CHANNEL_FIRST = {'NCW': 1, 'NCHW': 2, 'NCDHW': 3}


def _expand(what, value, nd, default, kernel):
    if not value:
        return (default,) * nd
    if len(value) != nd:
        raise MXNetError('Pooling: {} must have the same number of dimensions as kernel, but '
                         'kernel is {} while {} is {}'.format(what, kernel, what, value))
    return tuple(int(v) for v in value)


def _plan(a, shape):
    """Per spatial dim: (kernel, stride, left pad, right pad, out, count limit).

    The right pad can exceed ``pad`` for the 'full' convention (the last window may
    run past the padded input); ``count limit`` is where count_include_pad stops
    counting (n + pad), as in MXNet.
    """
    nd = len(shape) - 2
    if nd not in (1, 2, 3):
        raise MXNetError('Pooling: input data should be 3-D (batch, channel, x), 4-D '
                         '(batch, channel, y, x) or 5-D (batch, channel, d, y, x), got shape '
                         '{}'.format(tuple(shape)))
    spatial = tuple(shape[2:])
    if a.global_pool:
        if a.kernel and len(a.kernel) != nd:
            raise MXNetError('Pooling: kernel {} does not match the {}-D spatial shape {} of '
                             'the data'.format(a.kernel, nd, spatial))
        return [(n, 1, 0, 0, 1, n) for n in spatial]
    kernel = tuple(a.kernel or ())
    if not kernel:
        raise MXNetError('Pooling: kernel is required unless global_pool=True')
    if len(kernel) != nd:
        raise MXNetError('Pooling: a {}-D kernel {} needs {}-D input data, got shape '
                         '{}'.format(len(kernel), kernel, len(kernel) + 2, tuple(shape)))
    stride = _expand('stride', a.stride, nd, 1, kernel)
    pad = _expand('pad', a.pad, nd, 0, kernel)
    if any(k < 1 for k in kernel) or any(s < 1 for s in stride) or any(p < 0 for p in pad):
        raise MXNetError('Pooling: kernel and stride must be >= 1 and pad >= 0, got kernel {}, '
                         'stride {}, pad {}'.format(kernel, stride, pad))
    if any(p >= k for p, k in zip(pad, kernel)):
        raise MXNetError('Pooling: pad {} must be smaller than kernel {} in every '
                         'dimension'.format(pad, kernel))
    conv = a.pooling_convention
    if conv == 'same' and any(pad):
        raise MXNetError('Pooling: the same pooling convention disables the use of pad, '
                         'got pad {}'.format(pad))
    plan = []
    for n, k, s, p in zip(spatial, kernel, stride, pad):
        if conv == 'same':
            out = (n + s - 1) // s
            total = max((out - 1) * s + k - n, 0)
            plan.append((k, s, total // 2, total - total // 2, out, n + total - total // 2))
            continue
        if k > n + 2 * p:
            raise MXNetError('Pooling: kernel size ({}) exceeds input ({} padded to {}); use '
                             'a smaller kernel or more padding'.format(k, n, n + 2 * p))
        if conv == 'valid':
            out = 1 + (n + 2 * p - k) // s
        else:
            out = 1 + -(-(n + 2 * p - k) // s)
        plan.append((k, s, p, max(p, (out - 1) * s + k - n - p), out, n + p))
    return plan


def _slices(plan):
    """Slices into the padded input for each kernel position, row-major."""
    for pos in itertools.product(*(range(d[0]) for d in plan)):
        yield (slice(None), slice(None)) + tuple(
            slice(i, i + s * (o - 1) + 1, s) for i, (k, s, lo, hi, o, lim) in zip(pos, plan))


def _padded(xp, x, plan, fill):
    if not any(d[2] or d[3] for d in plan):
        return x
    shape = x.shape[:2] + tuple(n + d[2] + d[3] for n, d in zip(x.shape[2:], plan))
    out = xp.full(shape, fill, dtype=x.dtype)
    out[_inner(x.shape, plan)] = x
    return out


def _inner(shape, plan):
    return (Ellipsis,) + tuple(slice(d[2], d[2] + n) for n, d in zip(shape[2:], plan))


def _counts(xp, spatial, plan, include_pad, dtype):
    """Number of elements averaged per output position (0 for an empty window)."""
    count = None
    for n, (k, s, lo, hi, o, lim) in zip(spatial, plan):
        start = np.arange(o) * s - lo
        if include_pad:
            c = np.minimum(start + k, lim) - start
        else:
            c = np.minimum(start + k, n) - np.maximum(start, 0)
        c = np.maximum(c, 0)
        count = c if count is None else np.multiply.outer(count, c)
    return xp.asarray(count, dtype=dtype)


def _distinct(*shape):
    """Gradient-check inputs with well separated values (no ties for max pooling)."""
    def make(rng):
        n = math.prod(shape)
        return [(rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)]
    return make


def _lowest(dtype):
    return np.finfo(dtype).min


@register
class Pooling(Op):
    """Max / average / sum / Lp pooling over 1-D, 2-D or 3-D windows (MXNet semantics).

    Output size: 'valid' ``1 + (n + 2*pad - kernel) // stride``; 'full' rounds up
    instead; 'same' gives ``ceil(n / stride)``. An average divides by the window size
    clipped to the padded input (count_include_pad, the default) or by the number of
    real elements; windows entirely outside the input give 0 (avg/sum) or the lowest
    value of the dtype (max). ``lp`` takes p_value 1, 2 or 3 (``(sum x**p) ** (1/p)``,
    signed, without absolute values, as MXNet computes it).

    Notes
    -----
    The gradient of 1-D average pooling with pooling_convention='full' is the true
    derivative of the forward; MXNet 1.9.1's oneDNN kernel divides the last window's
    gradient by the full kernel size instead. pooling_convention='same' works here
    (TensorFlow-style padding, extra pad on the right); in MXNet 1.9.1 its shape check
    fails for every input.
    """
    name = 'Pooling'
    attrs = {'kernel': Attr('shape', ()),
             'pool_type': Attr('str', 'max', choices=('avg', 'lp', 'max', 'sum')),
             'global_pool': Attr('bool', False), 'cudnn_off': Attr('bool', False),
             'pooling_convention': Attr('str', 'valid', choices=('full', 'same', 'valid')),
             'stride': Attr('shape', ()), 'pad': Attr('shape', ()),
             'p_value': Attr('int_or_none', None), 'count_include_pad': Attr('bool', None),
             'layout': Attr('str', None, choices=('None', 'NCDHW', 'NCHW', 'NCW', 'NDHWC',
                                                  'NHWC', 'NWC'))}

    samples = (
        Sample(make=_distinct(2, 2, 7), attrs={'kernel': (3,), 'stride': (2,)}),
        Sample(make=_distinct(1, 2, 5, 5), attrs={
            'kernel': (2, 2), 'stride': (2, 2), 'pooling_convention': 'full'}),
        Sample(make=_distinct(1, 2, 5, 4), attrs={
            'kernel': (3, 2), 'stride': (2, 1), 'pad': (1, 1)}),
        Sample((2, 2, 5, 5), attrs={'kernel': (3, 3), 'stride': (2, 2), 'pad': (1, 1),
                                    'pool_type': 'avg'}),
        Sample((1, 2, 5, 6), attrs={'kernel': (3, 2), 'stride': (2, 2), 'pad': (1, 1),
                                    'pool_type': 'avg', 'count_include_pad': False,
                                    'pooling_convention': 'full'}),
        Sample((1, 1, 8), attrs={'kernel': (3,), 'stride': (2,), 'pad': (1,),
                                 'pool_type': 'avg', 'pooling_convention': 'full'}),
        Sample((2, 3, 4, 3), attrs={'kernel': (2, 2), 'pool_type': 'sum', 'stride': (1, 2)}),
        Sample((2, 3, 3, 4), attrs={'global_pool': True, 'pool_type': 'avg'}),
        Sample(make=_distinct(2, 3, 3, 4), attrs={'global_pool': True}),
        Sample((1, 2, 5, 5), low=0.5, high=1.5, attrs={
            'kernel': (2, 2), 'stride': (2, 2), 'pool_type': 'lp', 'p_value': 2}),
        Sample((1, 2, 6), low=0.5, high=1.5, attrs={
            'kernel': (3,), 'pool_type': 'lp', 'p_value': 3, 'pooling_convention': 'same',
            'stride': (2,)}),
        Sample((1, 2, 3, 4, 4), attrs={'kernel': (2, 3, 2), 'stride': (1, 2, 2),
                                       'pad': (1, 1, 0), 'pool_type': 'avg'}),
        Sample((1, 5, 4), attrs={'kernel': (2,), 'pool_type': 'avg', 'layout': 'NWC'}),
    )

    def _setup(self, a, x):
        if not np.issubdtype(x.dtype, np.floating):
            raise MXNetError('Pooling: only floating point types are supported, got {}; cast '
                             'with astype("float32") first'.format(x.dtype))
        if a.pool_type == 'lp' and a.p_value not in (1, 2, 3):
            raise MXNetError('Pooling: pool_type="lp" needs p_value 1, 2 or 3, got '
                             '{}'.format(a.p_value))
        layout = a.layout if a.layout not in (None, 'None') else None
        last = layout in _CHANNEL_LAST
        if layout is not None:
            nd = _CHANNEL_LAST.get(layout) or _CHANNEL_FIRST[layout]
            if x.ndim != nd + 2:
                raise MXNetError('Pooling: layout {} needs {}-D data, got shape {}'.format(
                    layout, nd + 2, x.shape))
        return last

    def infer_shape(self, a, in_shapes):
        shape = in_shapes[0]
        if shape is None or 0 in shape:
            raise MXNetError('Pooling: cannot infer the output shape from the unknown data '
                             'shape {}'.format(shape))
        shape = tuple(shape)
        last = a.layout in _CHANNEL_LAST
        first = (shape[0], shape[-1]) + shape[1:-1] if last else shape
        out = first[:2] + tuple(d[4] for d in _plan(a, first))
        return [shape], [(out[0],) + out[2:] + (out[1],) if last else out]

    def _to_first(self, xp, x, last):
        return xp.moveaxis(x, -1, 1) if last else x

    def forward(self, xp, a, x):
        last = self._setup(a, x)
        x = self._to_first(xp, x, last)
        plan = _plan(a, x.shape)
        y = self._pool(xp, a, x, plan)
        return xp.ascontiguousarray(xp.moveaxis(y, 1, -1)) if last else y

    def _pool(self, xp, a, x, plan):
        kind = a.pool_type
        xpad = _padded(xp, x, plan, _lowest(x.dtype) if kind == 'max' else 0)
        y = None
        for sl in _slices(plan):
            v = xpad[sl]
            if kind == 'lp' and a.p_value > 1:
                v = v ** a.p_value
            if y is None:
                y = v.copy()
            elif kind == 'max':
                xp.maximum(y, v, out=y)
            else:
                y += v
        if kind == 'avg':
            count = _counts(xp, x.shape[2:], plan, a.count_include_pad is not False, y.dtype)
            with np.errstate(invalid='ignore', divide='ignore'):
                y = xp.where(count > 0, y / count, 0).astype(y.dtype)
        elif kind == 'lp' and a.p_value == 2:
            y = xp.sqrt(y)
        elif kind == 'lp' and a.p_value == 3:
            y = xp.cbrt(y)
        return y

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        last = self._setup(a, x)
        x, y, dy = (self._to_first(xp, v, last) for v in (x, ys[0], dys[0]))
        plan = _plan(a, x.shape)
        kind = a.pool_type
        xpad = _padded(xp, x, plan, _lowest(x.dtype) if kind == 'max' else 0)
        dxpad = xp.zeros(xpad.shape, dtype=x.dtype)
        if kind == 'max':
            taken = xp.zeros(y.shape, dtype=bool)
            for sl in _slices(plan):
                hit = xpad[sl] == y
                hit &= ~taken
                taken |= hit
                dxpad[sl] += xp.where(hit, dy, 0)
        elif kind == 'lp' and a.p_value > 1:
            with np.errstate(invalid='ignore', divide='ignore'):
                g = xp.where(y != 0, dy / y ** (a.p_value - 1), 0).astype(x.dtype)
            for sl in _slices(plan):
                dxpad[sl] += g * xpad[sl] ** (a.p_value - 1)
        else:
            g = dy
            if kind == 'avg':
                count = _counts(xp, x.shape[2:], plan, a.count_include_pad is not False,
                                x.dtype)
                with np.errstate(invalid='ignore', divide='ignore'):
                    g = xp.where(count > 0, dy / count, 0).astype(x.dtype)
            for sl in _slices(plan):
                dxpad[sl] += g
        dx = dxpad[_inner(x.shape, plan)] if dxpad.shape != x.shape else dxpad
        if last:
            dx = xp.moveaxis(dx, 1, -1)
        return xp.ascontiguousarray(dx)


@register
class UpSampling(Op):
    """Upsample NCHW images by an integer ``scale``: 'nearest' repeats pixels, 'bilinear'
    is a depthwise Deconvolution with a given (data, weight) pair.

    With several inputs ('nearest' only), input i is upsampled to the first input's size
    times ``scale`` and the results are concatenated on the channel axis
    (multi_input_mode='concat') or summed ('sum').

    Notes
    -----
    MXNet 1.9.1 fails when a further input needs different height and width factors
    (e.g. 1x3 -> 4x6); here each axis uses its own factor. With sample_type='bilinear'
    and num_filter=0 MXNet crashes the process; here it is a clear error.
    """
    name = 'UpSampling'
    inputs = ('*data',)
    attrs = {'scale': Attr('int'), 'num_filter': Attr('int', 0),
             'sample_type': Attr('str', choices=('bilinear', 'nearest')),
             'multi_input_mode': Attr('str', 'concat', choices=('concat', 'sum')),
             'num_args': Attr('int', 1), 'workspace': Attr('int', 512)}
    samples = (
        Sample((2, 2, 2, 3), attrs={'scale': 2, 'sample_type': 'nearest'}),
        Sample((1, 2, 4, 2), (1, 1, 2, 1), attrs={'scale': 1, 'sample_type': 'nearest',
                                                  'num_args': 2}),
        Sample((1, 2, 2, 2), (1, 2, 1, 1), attrs={'scale': 2, 'sample_type': 'nearest',
                                                  'num_args': 2, 'multi_input_mode': 'sum'}),
        Sample((1, 2, 2, 3), (2, 1, 4, 4), attrs={'scale': 2, 'sample_type': 'bilinear',
                                                  'num_args': 2, 'num_filter': 2}),
    )

    def input_names(self, a, num_given=None):
        if a.get('sample_type') == 'bilinear':
            return ['data', 'weight']
        return super().input_names(a, num_given)

    @staticmethod
    def _bilinear_geo(a):
        k = 2 * a.scale - a.scale % 2
        p = a.scale // 2          # ceil((scale - 1) / 2)
        return (k, k), (a.scale, a.scale), (1, 1), (p, p)

    def _check(self, a, shapes):
        if a.scale < 1:
            raise MXNetError('UpSampling: scale must be >= 1, got {}'.format(a.scale))
        for s in shapes:
            if s is not None and len(s) != 4:
                raise MXNetError('UpSampling: input data should be 4-D (batch, channel, y, x), '
                                 'got shape {}'.format(tuple(s)))
        d = shapes[0]
        if a.sample_type == 'bilinear':
            if len(shapes) != 2:
                raise MXNetError('UpSampling: sample_type="bilinear" takes 2 inputs (data, '
                                 'weight), got {}'.format(len(shapes)))
            if a.num_filter < 1 or d[1] % a.num_filter:
                raise MXNetError('UpSampling: sample_type="bilinear" needs num_filter set to '
                                 'the number of channels ({}), got {}'.format(
                                     d[1], a.num_filter))
            k = self._bilinear_geo(a)[0]
            want = (d[1], 1) + k
            if shapes[1] is not None and 0 not in shapes[1] and tuple(shapes[1]) != want:
                raise MXNetError('UpSampling: shape inconsistent, weight has shape {} but '
                                 'needs {}'.format(tuple(shapes[1]), want))
            return [tuple(d), want], [(d[0], a.num_filter, d[2] * a.scale, d[3] * a.scale)]
        oh, ow = d[2] * a.scale, d[3] * a.scale
        for s in shapes:
            if s[0] != d[0] or oh % s[2] or ow % s[3]:
                raise MXNetError('UpSampling: input of shape {} cannot be upsampled to the '
                                 'output size ({}, {}, {}); its batch size must match and its '
                                 'height and width divide the output\'s'.format(
                                     tuple(s), d[0], oh, ow))
        if a.multi_input_mode == 'sum':
            for s in shapes:
                if s[1] != d[1]:
                    raise MXNetError('UpSampling: with multi_input_mode="sum" every input '
                                     'needs {} channels, got shape {}'.format(d[1], tuple(s)))
            ch = d[1]
        else:
            ch = sum(s[1] for s in shapes)
        return [tuple(s) for s in shapes], [(d[0], ch, oh, ow)]

    def infer_shape(self, a, in_shapes):
        if in_shapes[0] is None or 0 in in_shapes[0] or (
                a.sample_type == 'nearest' and any(s is None or 0 in s for s in in_shapes)):
            raise MXNetError('UpSampling: cannot infer shapes from unknown input shapes '
                             '{}'.format(in_shapes))
        return self._check(a, list(in_shapes))

    def forward(self, xp, a, *xs):
        if not np.issubdtype(xs[0].dtype, np.floating):
            raise MXNetError('UpSampling: only floating point types are supported, got {}'
                             .format(xs[0].dtype))
        _, (oshape,) = self._check(a, [x.shape for x in xs])
        if a.sample_type == 'bilinear':
            x, w = xs
            return conv_backward_data(xp, x, w, oshape, a.num_filter,
                                      *self._bilinear_geo(a))
        n, _, oh, ow = oshape
        ups = []
        for x in xs:
            sh, sw = oh // x.shape[2], ow // x.shape[3]
            b, c, h, w = x.shape
            ups.append(xp.broadcast_to(x[:, :, :, None, :, None],
                                       (b, c, h, sh, w, sw)).reshape(b, c, oh, ow))
        if len(ups) == 1:
            return xp.ascontiguousarray(ups[0])
        if a.multi_input_mode == 'sum':
            y = ups[0].copy()
            for u in ups[1:]:
                y += u
            return y
        return xp.concatenate(ups, axis=1)

    def backward(self, xp, a, xs, ys, dys):
        dy = dys[0]
        if a.sample_type == 'bilinear':
            x, w = xs
            geo = self._bilinear_geo(a)
            dx = conv_forward(xp, dy, w, None, a.num_filter, *geo, x.shape[2:])
            dw = conv_backward_weight(xp, x, dy, w.shape, a.num_filter,
                                      *geo)
            return dx, dw
        grads, start = [], 0
        n, _, oh, ow = dy.shape
        for x in xs:
            b, c, h, w = x.shape
            part = dy if a.multi_input_mode == 'sum' else dy[:, start:start + c]
            start += c
            grads.append(part.reshape(b, c, h, oh // h, w, ow // w).sum(axis=(3, 5)))
        return tuple(grads)
