"""Normalisation operators: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, L2Normalization.

All of them normalise ``x`` over some axes to ``xhat = (x - mean) / sqrt(var + eps)``
and, except L2Normalization, apply a per-channel (per-group) scale ``gamma`` and shift
``beta``. Their backward kernels share `_norm_grad`. Parameter shapes are deduced from
the data shape by ``infer_shape`` (Gluon's deferred initialisation relies on it).
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_F32_1E5 = float(np.float32(1e-5))      # MXNet's float defaults, as stored (float32)
_F32_1E3 = float(np.float32(1e-3))
_F32_1E10 = float(np.float32(1e-10))


def _training():
    from .. import autograd
    return autograd.is_training()


def _bshape(ndim, axis, size):
    shape = [1] * ndim
    shape[axis] = size
    return tuple(shape)


def _norm_grad(gdy, xhat, invstd, axes):
    """d/dx of ``xhat`` normalised over ``axes``, given ``gdy = dy * gamma``."""
    m = gdy.mean(axis=axes, keepdims=True)
    mx = (gdy * xhat).mean(axis=axes, keepdims=True)
    return (gdy - m - xhat * mx) * invstd


def _check_param(op, what, arr, want):
    if arr.shape != want:
        raise MXNetError('{}: {} has shape {} but the data needs {}; give {} that shape'.format(
            op, what, arr.shape, want, what))


def _normalize_axis(op, axis, ndim):
    if not -ndim <= axis < ndim:
        raise MXNetError('{}: axis {} is out of range for data with {} dimensions'.format(
            op, axis, ndim))
    return axis % ndim


def _fill_params(in_shapes, names_from, want, op):
    """Set the parameter shapes (inputs 1..) to ``want``, checking any that are known."""
    in_shapes = list(in_shapes)
    for i in range(names_from, len(in_shapes)):
        s = in_shapes[i]
        if s is not None and len(s) and 0 not in s and tuple(s) != want:
            raise MXNetError('{}: Shape inconsistent, Provided = {} for input {}, inferred '
                             'shape={}'.format(op, list(s), i, want))
        in_shapes[i] = want
    return in_shapes


def _data_shape(op, in_shapes):
    d = in_shapes[0]
    if d is None or not len(d) or 0 in d:
        raise MXNetError('{}: cannot infer shapes without the data shape (got {})'.format(
            op, d))
    return tuple(d)


# --------------------------------------------------------------------- BatchNorm
def _bn_sample(shape, axis=1):
    c = shape[axis]

    def make(rng):
        return [rng.uniform(-1, 1, shape), rng.uniform(0.5, 1.5, c), rng.uniform(-1, 1, c),
                rng.uniform(-0.5, 0.5, c), rng.uniform(0.5, 2.0, c)]
    return make


@register
class BatchNorm(Op):
    """Batch normalisation over every axis but ``axis`` (the channel axis).

    In training (``autograd.is_training()``) without ``use_global_stats`` the batch mean
    and biased variance normalise the data; otherwise ``moving_mean``/``moving_var``
    do. ``fix_gamma=True`` (the default of ``mx.nd.BatchNorm``) uses gamma = 1, gives
    gamma a zero gradient and writes 1 into ``gamma``, as MXNet does.
    ``output_mean_var=True`` returns ``(out, mean, 1 / sqrt(var + eps))`` (the moving
    statistics outside training).

    Notes
    -----
    As in MXNet 1.9.1, the moving statistics are updated during the backward pass (in
    training mode, without ``use_global_stats``), not during the forward:
    ``moving = moving * momentum + batch_stat * (1 - momentum)`` with the biased batch
    variance. The backward kernel writes them in place into the arrays given as
    ``moving_mean`` and ``moving_var`` (``xs[3]``, ``xs[4]``). A forward pass alone,
    even under ``train_mode()``, leaves them unchanged. A backward outside training mode
    uses the gradient of the moving-statistics formula.

    A gamma/beta/moving statistic whose shape is not ``(C,)`` is an error here; MXNet
    1.9.1 silently reads the first C values of a longer array.
    """
    name = 'BatchNorm'
    inputs = ('data', 'gamma', 'beta', 'moving_mean', 'moving_var')
    attrs = {'eps': Attr('float', 0.0010000000474974513), 'momentum': Attr('float', 0.9),
             'fix_gamma': Attr('bool', True), 'use_global_stats': Attr('bool', False),
             'output_mean_var': Attr('bool', False), 'axis': Attr('int', 1),
             'cudnn_off': Attr('bool', False),
             'min_calib_range': Attr('float_or_none', None),
             'max_calib_range': Attr('float_or_none', None)}
    stateful = True
    samples = (
        Sample(make=_bn_sample((4, 3)), attrs={'fix_gamma': False}, train=True,
               wrt=(0, 1, 2)),
        Sample(make=_bn_sample((3, 2, 2, 2)), attrs={'fix_gamma': False}, train=True,
               wrt=(0, 1, 2)),
        Sample(make=_bn_sample((2, 3, 4), axis=2), attrs={'fix_gamma': False, 'axis': -1},
               train=True, wrt=(0, 1, 2)),
        Sample(make=_bn_sample((3, 2, 2)), train=True, wrt=(0, 1, 2)),
        Sample(make=_bn_sample((3, 2, 2)), train=True, wrt=(0, 1, 2),
               attrs={'fix_gamma': False, 'use_global_stats': True}),
        Sample(make=_bn_sample((3, 2, 2)), train=False, wrt=(0, 1, 2),
               attrs={'fix_gamma': False}),
    )

    def num_outputs(self, a):
        return 5        # out, mean, invstd, var (hidden), batch-stats flag (hidden)

    def num_visible(self, a):
        return 3 if a.output_mean_var else 1

    def forward(self, xp, a, x, gamma, beta, moving_mean, moving_var):
        axis = _normalize_axis('BatchNorm', a.axis, x.ndim)
        c = x.shape[axis]
        for what, arr in (('gamma', gamma), ('beta', beta), ('moving_mean', moving_mean),
                          ('moving_var', moving_var)):
            _check_param('BatchNorm', what, arr, (c,))
        red = tuple(i for i in range(x.ndim) if i != axis)
        bs = _bshape(x.ndim, axis, c)
        if a.fix_gamma:
            gamma[...] = 1
        batch = _training() and not a.use_global_stats
        if batch:
            mean = x.mean(axis=red)
            var = np.square(x - mean.reshape(bs)).mean(axis=red)
        else:
            mean, var = moving_mean.copy(), moving_var.copy()
        invstd = 1 / np.sqrt(var + a.eps)
        invstd = invstd.astype(x.dtype, copy=False)
        scale = invstd if a.fix_gamma else invstd * gamma
        out = (x - mean.reshape(bs)) * scale.reshape(bs) + beta.reshape(bs)
        return out, mean, invstd, var, np.array([batch], dtype=x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        x, gamma, beta, moving_mean, moving_var = xs
        _, mean, invstd, var, flag = ys
        dy = dys[0]
        axis = a.axis % x.ndim
        red = tuple(i for i in range(x.ndim) if i != axis)
        bs = _bshape(x.ndim, axis, x.shape[axis])
        g = np.ones_like(gamma) if a.fix_gamma else gamma
        if _training() and not a.use_global_stats:
            xhat = (x - mean.reshape(bs)) * invstd.reshape(bs)
            dx = _norm_grad(dy * g.reshape(bs), xhat, invstd.reshape(bs), red)
            if flag[0]:
                m = moving_mean.dtype.type(a.momentum)
                moving_mean *= m
                moving_mean += (1 - m) * mean.astype(moving_mean.dtype, copy=False)
                moving_var *= m
                moving_var += (1 - m) * var.astype(moving_var.dtype, copy=False)
        else:
            inv = (1 / np.sqrt(moving_var + a.eps)).astype(x.dtype, copy=False).reshape(bs)
            xhat = (x - moving_mean.reshape(bs)) * inv
            dx = dy * g.reshape(bs) * inv
        dgamma = np.zeros_like(gamma) if a.fix_gamma else (dy * xhat).sum(axis=red)
        return dx, dgamma, dy.sum(axis=red), None, None

    def infer_shape(self, a, in_shapes):
        d = _data_shape('BatchNorm', in_shapes)
        c = (d[_normalize_axis('BatchNorm', a.axis, len(d))],)
        outs = [d, c, c] if a.output_mean_var else [d]
        return _fill_params(in_shapes, 1, c, 'BatchNorm'), outs


# --------------------------------------------------------------------- LayerNorm & co
def _affine_norm(x, gamma, beta, red, pshape, eps):
    """Normalise over ``red`` and apply gamma/beta reshaped to ``pshape``."""
    mean = x.mean(axis=red, keepdims=True)
    xc = x - mean
    std = np.sqrt(np.square(xc).mean(axis=red, keepdims=True) + eps).astype(x.dtype)
    out = xc / std * gamma.reshape(pshape) + beta.reshape(pshape)
    return out, mean, std


def _affine_norm_grad(x, gamma, mean, std, dy, red, pshape):
    xhat = (x - mean) / std
    other = tuple(i for i in range(x.ndim) if pshape[i] == 1)
    dx = _norm_grad(dy * gamma.reshape(pshape), xhat, 1 / std, red)
    return dx, (dy * xhat).sum(axis=other), dy.sum(axis=other)


def _three(shape):
    return lambda rng: [rng.uniform(-1, 1, shape[0]), rng.uniform(0.5, 1.5, shape[1]),
                        rng.uniform(-1, 1, shape[1])]


@register
class LayerNorm(Op):
    """Normalise over ``axis`` and apply ``gamma``, ``beta`` of shape ``(data.shape[axis],)``.

    ``output_mean_var=True`` also returns the mean and ``sqrt(var + eps)``, keeping the
    reduced axis (length 1); their head gradients are ignored, as in MXNet.
    """
    name = 'LayerNorm'
    inputs = ('data', 'gamma', 'beta')
    attrs = {'axis': Attr('int', -1), 'eps': Attr('float', _F32_1E5),
             'output_mean_var': Attr('bool', False)}
    samples = (Sample(make=_three([(3, 4), 4])), Sample(make=_three([(2, 3, 4), 4])),
               Sample(make=_three([(2, 3, 4), 3]), attrs={'axis': 1}))

    def num_outputs(self, a):
        return 3

    def num_visible(self, a):
        return 3 if a.output_mean_var else 1

    def _layout(self, a, x, gamma, beta):
        axis = _normalize_axis('LayerNorm', a.axis, x.ndim)
        want = (x.shape[axis],)
        _check_param('LayerNorm', 'gamma', gamma, want)
        _check_param('LayerNorm', 'beta', beta, want)
        return (axis,), _bshape(x.ndim, axis, x.shape[axis])

    def forward(self, xp, a, x, gamma, beta):
        red, ps = self._layout(a, x, gamma, beta)
        return _affine_norm(x, gamma, beta, red, ps, a.eps)

    def backward(self, xp, a, xs, ys, dys):
        x, gamma, beta = xs
        red, ps = self._layout(a, x, gamma, beta)
        return _affine_norm_grad(x, gamma, ys[1], ys[2], dys[0], red, ps)

    def infer_shape(self, a, in_shapes):
        d = _data_shape('LayerNorm', in_shapes)
        axis = _normalize_axis('LayerNorm', a.axis, len(d))
        red = tuple(1 if i == axis else n for i, n in enumerate(d))
        outs = [d, red, red] if a.output_mean_var else [d]
        return _fill_params(in_shapes, 1, (d[axis],), 'LayerNorm'), outs


@register
class InstanceNorm(Op):
    """Normalise each (sample, channel) over the spatial axes 2...; gamma/beta ``(C,)``."""
    name = 'InstanceNorm'
    inputs = ('data', 'gamma', 'beta')
    attrs = {'eps': Attr('float', _F32_1E3)}
    samples = (Sample(make=_three([(2, 3, 4), 3])), Sample(make=_three([(2, 2, 2, 3), 2])))

    def num_outputs(self, a):
        return 3

    def _layout(self, x, gamma, beta):
        if x.ndim < 3:
            raise MXNetError('InstanceNorm: data must have at least 3 dimensions (N, C, ...), '
                             'got shape {}'.format(x.shape))
        _check_param('InstanceNorm', 'gamma', gamma, x.shape[1:2])
        _check_param('InstanceNorm', 'beta', beta, x.shape[1:2])
        return tuple(range(2, x.ndim)), _bshape(x.ndim, 1, x.shape[1])

    def forward(self, xp, a, x, gamma, beta):
        red, ps = self._layout(x, gamma, beta)
        return _affine_norm(x, gamma, beta, red, ps, a.eps)

    def backward(self, xp, a, xs, ys, dys):
        x, gamma, beta = xs
        red, ps = self._layout(x, gamma, beta)
        return _affine_norm_grad(x, gamma, ys[1], ys[2], dys[0], red, ps)

    def infer_shape(self, a, in_shapes):
        d = _data_shape('InstanceNorm', in_shapes)
        return _fill_params(in_shapes, 1, (d[1],), 'InstanceNorm'), [d]


@register
class GroupNorm(Op):
    """Split the channels (axis 1) into ``num_groups`` groups and normalise each group.

    As in MXNet 1.9.1, ``gamma`` and ``beta`` have one value per group, shape
    ``(num_groups,)``. ``output_mean_var=True`` also returns mean and
    ``sqrt(var + eps)`` of shape ``(N, num_groups)``.
    """
    name = 'GroupNorm'
    inputs = ('data', 'gamma', 'beta')
    attrs = {'num_groups': Attr('int', 1), 'eps': Attr('float', _F32_1E5),
             'output_mean_var': Attr('bool', False)}
    samples = (Sample(make=_three([(2, 4, 3), 2]), attrs={'num_groups': 2}),
               Sample(make=_three([(2, 3, 2, 2), 1])))

    def num_outputs(self, a):
        return 3

    def num_visible(self, a):
        return 3 if a.output_mean_var else 1

    def _grouped(self, a, x, gamma, beta):
        g = a.num_groups
        if x.ndim < 2 or g < 1 or x.shape[1] % g:
            raise MXNetError('GroupNorm: the {} channels of data {} cannot be split into '
                             'num_groups={} groups'.format(x.shape[1] if x.ndim > 1 else 0,
                                                           x.shape, g))
        _check_param('GroupNorm', 'gamma', gamma, (g,))
        _check_param('GroupNorm', 'beta', beta, (g,))
        return x.reshape(x.shape[0], g, -1)

    def forward(self, xp, a, x, gamma, beta):
        xg = self._grouped(a, x, gamma, beta)
        out, mean, std = _affine_norm(xg, gamma, beta, (2,), (1, a.num_groups, 1), a.eps)
        return out.reshape(x.shape), mean[..., 0], std[..., 0]

    def backward(self, xp, a, xs, ys, dys):
        x, gamma, beta = xs
        xg = self._grouped(a, x, gamma, beta)
        dx, dg, db = _affine_norm_grad(xg, gamma, ys[1][..., None], ys[2][..., None],
                                       dys[0].reshape(xg.shape), (2,), (1, a.num_groups, 1))
        return dx.reshape(x.shape), dg, db

    def infer_shape(self, a, in_shapes):
        d = _data_shape('GroupNorm', in_shapes)
        ms = (d[0], a.num_groups)
        outs = [d, ms, ms] if a.output_mean_var else [d]
        return _fill_params(in_shapes, 1, (a.num_groups,), 'GroupNorm'), outs


# --------------------------------------------------------------------- L2Normalization
@register
class L2Normalization(Op):
    """Divide by the L2 norm ``sqrt(sum(x^2) + eps)``.

    ``mode='instance'`` takes the norm over all axes but the first, ``'channel'`` over
    axis 1 and ``'spatial'`` over axes 2...; the last two need at least 3 dimensions.
    """
    name = 'L2Normalization'
    attrs = {'eps': Attr('float', _F32_1E10),
             'mode': Attr('str', 'instance', choices=('channel', 'instance', 'spatial'))}
    samples = (Sample((3, 4)), Sample((2, 3, 4), attrs={'mode': 'channel'}),
               Sample((2, 3, 2, 2), attrs={'mode': 'spatial'}),
               Sample((2, 3, 2), attrs={'mode': 'instance', 'eps': 0.1}))

    def num_outputs(self, a):
        return 2

    @staticmethod
    def _axes(a, x):
        if a.mode == 'instance':
            return tuple(range(1, x.ndim))
        if x.ndim < 3:
            raise MXNetError('L2Normalization: At least 3 dimensions required in {} mode, '
                             'got data of shape {}'.format(a.mode, x.shape))
        return (1,) if a.mode == 'channel' else tuple(range(2, x.ndim))

    def forward(self, xp, a, x):
        norm = np.sqrt(np.square(x).sum(axis=self._axes(a, x), keepdims=True) + a.eps)
        norm = norm.astype(x.dtype, copy=False)
        return x / norm, norm

    def backward(self, xp, a, xs, ys, dys):
        y, norm = ys
        dy = dys[0]
        return (dy - y * (dy * y).sum(axis=self._axes(a, xs[0]), keepdims=True)) / norm
