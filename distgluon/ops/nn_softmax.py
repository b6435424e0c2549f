"""Softmax family and loss heads: softmax, log_softmax, softmin, SoftmaxActivation,
SoftmaxOutput, softmax_cross_entropy and the regression output heads.

Loss heads (SoftmaxOutput, *RegressionOutput) follow MXNet: their backward is the
gradient of the loss they stand for and ignores the head gradient, so they carry
``custom_gradient`` and are tested directly rather than by finite differences.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []


def _softmax(z, axis):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _compute_dtype(x, out_dtype):
    return np.result_type(x.dtype, out_dtype) if out_dtype is not None else x.dtype


def _softmax_grad(y, dy, axis):
    return y * (dy - np.sum(dy * y, axis=axis, keepdims=True))


_SOFTMAX_ATTRS = {'axis': Attr('int', -1), 'temperature': Attr('float_or_none', None),
                  'dtype': Attr('dtype', None), 'use_length': Attr('bool', False)}


def _length_sample(rng):
    return [rng.uniform(-1, 1, size=(3, 5)), np.array([5, 2, 1], dtype=np.int32)]


@register
class SoftmaxOp(Op):
    """``exp(x / T) / sum(exp(x / T))`` along ``axis``; ``dtype`` sets the output dtype.

    With ``use_length=True`` the integer input ``length`` (the data shape without
    ``axis``) gives the number of valid entries of each slice; the rest are 0.
    """
    name = 'softmax'
    method = 'softmax'
    inputs = ('data', 'length')
    attrs = _SOFTMAX_ATTRS
    same_dtype = False
    samples = (Sample((3, 4)), Sample((2, 3, 4), attrs={'axis': 1, 'temperature': 2.0}),
               Sample((4, 3), attrs={'axis': 0}, low=-3, high=3),
               Sample(make=_length_sample, attrs={'use_length': True}, wrt=(0,)))

    @staticmethod
    def _valid(x, axis, length):
        if not np.issubdtype(length.dtype, np.integer):
            raise MXNetError('softmax: length must have an integer dtype, not {}; cast it '
                             'with astype("int32")'.format(length.dtype))
        axis = axis % x.ndim
        want = x.shape[:axis] + x.shape[axis + 1:]
        if length.shape != want:
            raise MXNetError('softmax: length has shape {} but must have shape {} (the data '
                             'shape {} without axis {})'.format(length.shape, want, x.shape,
                                                                axis))
        pos = np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1))
        return pos < np.expand_dims(length, axis)

    def forward(self, xp, a, x, length=None):
        z = x.astype(_compute_dtype(x, a.dtype), copy=True)
        if a.temperature is not None and a.temperature != 1.0:
            z /= a.temperature
        if a.use_length:
            if length is None:
                raise MXNetError('softmax: use_length=True needs the length input')
            valid = self._valid(x, a.axis, length)
            z = np.where(valid, z, -np.inf)
            with np.errstate(invalid='ignore'):
                y = _softmax(z, a.axis)
        else:
            y = _softmax(z, a.axis)
        return y.astype(a.dtype or x.dtype, copy=False)

    def backward(self, xp, a, xs, ys, dys):
        t = a.temperature if a.temperature is not None else 1.0
        dx = _softmax_grad(ys[0], dys[0], a.axis) / t
        return (dx, None) if len(xs) > 1 else dx


@register
class LogSoftmax(Op):
    """``log(softmax(x / T))`` along ``axis``, computed stably."""
    name = 'log_softmax'
    method = 'log_softmax'
    attrs = _SOFTMAX_ATTRS
    samples = (Sample((3, 4)), Sample((2, 3, 4), attrs={'axis': 0, 'temperature': 0.5}))

    def forward(self, xp, a, x):
        z = x.astype(_compute_dtype(x, a.dtype), copy=True)
        if a.temperature is not None and a.temperature != 1.0:
            z /= a.temperature
        z -= np.max(z, axis=a.axis, keepdims=True)
        z -= np.log(np.sum(np.exp(z), axis=a.axis, keepdims=True))
        return z.astype(a.dtype or x.dtype, copy=False)

    def backward(self, xp, a, xs, ys, dys):
        t = a.temperature if a.temperature is not None else 1.0
        y, dy = ys[0], dys[0]
        return (dy - np.exp(y) * np.sum(dy, axis=a.axis, keepdims=True)) / t


@register
class Softmin(Op):
    """``softmax(-x / T)`` along ``axis``."""
    name = 'softmin'
    method = 'softmin'
    attrs = _SOFTMAX_ATTRS
    samples = (Sample((3, 4)), Sample((2, 3, 4), attrs={'axis': 1, 'temperature': 3.0}))

    def forward(self, xp, a, x):
        z = -x.astype(_compute_dtype(x, a.dtype), copy=False)
        if a.temperature is not None and a.temperature != 1.0:
            z = z / a.temperature
        return _softmax(z, a.axis).astype(a.dtype or x.dtype, copy=False)

    def backward(self, xp, a, xs, ys, dys):
        t = a.temperature if a.temperature is not None else 1.0
        return -_softmax_grad(ys[0], dys[0], a.axis) / t


@register
class SoftmaxActivation(Op):
    """Softmax over the last axis (``mode='instance'``) or over axis 1 (``'channel'``).

    Notes
    -----
    For data with more than 2 dimensions MXNet 1.9.1's instance-mode backward sums over
    axis 1 while its forward normalises the last axis, so its gradient is not the
    derivative; distgluon's backward is the derivative of the forward.
    """
    name = 'SoftmaxActivation'
    attrs = {'mode': Attr('str', 'instance', choices=('channel', 'instance'))}
    samples = (Sample((3, 4)), Sample((2, 3, 4)), Sample((2, 3, 2, 2), attrs={'mode': 'channel'}))

    def forward(self, xp, a, x):
        return _softmax(x, 1 if a.mode == 'channel' else -1)

    def backward(self, xp, a, xs, ys, dys):
        return _softmax_grad(ys[0], dys[0], 1 if a.mode == 'channel' else -1)


# --------------------------------------------------------------------- SoftmaxOutput
@register
class SoftmaxOutput(Op):
    """Softmax forward; backward is the cross-entropy gradient ``softmax - onehot(label)``.

    Layout: by default the data is flattened to ``(N, -1)`` and the softmax runs over
    everything but the batch axis; ``multi_output=True`` runs it over axis 1 with a
    label of shape ``(N, d2, ...)``; ``preserve_shape=True`` runs it over the last axis
    with a label of shape ``data.shape[:-1]``.

    The gradient is scaled by ``grad_scale`` and divided by 1 (``normalization='null'``;
    with multi_output, by the number of spatial positions), by the number of label rows
    (``'batch'``) or by the number of labels different from ``ignore_label``
    (``'valid'``). ``use_ignore=True`` zeroes the gradient of rows whose label is
    ``ignore_label``; ``smooth_alpha`` smooths the one-hot target. Labels outside
    ``[0, classes)`` subtract nothing. The head gradient is ignored.

    Notes
    -----
    As in MXNet 1.9.1: in the default layout only the first N labels (of the flattened
    label) are used, and ``out_grad=True`` multiplies the gradient by the softmax output
    rather than by the head gradient (what MXNet computes).
    """
    name = 'SoftmaxOutput'
    aliases = ('Softmax',)
    inputs = ('data', 'label')
    attrs = {'grad_scale': Attr('float', 1.0), 'ignore_label': Attr('float', -1.0),
             'multi_output': Attr('bool', False), 'use_ignore': Attr('bool', False),
             'preserve_shape': Attr('bool', False),
             'normalization': Attr('str', 'null', choices=('batch', 'null', 'valid')),
             'out_grad': Attr('bool', False), 'smooth_alpha': Attr('float', 0.0)}
    same_dtype = False
    custom_gradient = 'a loss head: the gradient is softmax - onehot(label), whatever the ' \
                      'head gradient'

    @staticmethod
    def _check_label(a, x, label):
        if a.multi_output:
            ok = label.shape[:1] == x.shape[:1] and label.size * x.shape[1] == x.size
            want = (x.shape[0],) + x.shape[2:]
        else:
            want = x.shape[:-1]
            ok = label.shape == want
        if not ok:
            raise MXNetError('SoftmaxOutput: Shape inconsistent, Provided = {} for label, '
                             'inferred shape={}; give the label that shape'.format(
                                 list(label.shape), want))

    def forward(self, xp, a, x, label):
        self._check_label(a, x, label)
        if a.multi_output:
            return _softmax(x, 1)
        if a.preserve_shape:
            return _softmax(x, -1)
        return _softmax(x.reshape(x.shape[0], -1), 1).reshape(x.shape)

    def backward(self, xp, a, xs, ys, dys):
        x, label = xs
        y = ys[0]
        if a.multi_output:
            n, k = y.shape[0], y.shape[1]
            y2 = np.moveaxis(y.reshape(n, k, -1), 1, 2).reshape(-1, k)
            lab = label.reshape(-1)
        elif a.preserve_shape:
            y2 = y.reshape(-1, y.shape[-1])
            lab = label.reshape(-1)
        else:
            y2 = y.reshape(y.shape[0], -1)
            lab = label.reshape(-1)[:y.shape[0]]
        rows, k = y2.shape
        labi = lab.astype(np.int64)
        hit = (labi >= 0) & (labi < k)
        r = np.nonzero(hit)[0]
        g = y2.copy()
        alpha = a.smooth_alpha
        if alpha:
            off = alpha / (k - 1)
            g -= g.dtype.type(off)
            g[r, labi[r]] -= g.dtype.type(1 - alpha - off)
        else:
            g[r, labi[r]] -= 1
        ignore = int(a.ignore_label)
        if a.use_ignore:
            g[labi == ignore] = 0
        if a.out_grad:
            g *= y2
        if a.normalization == 'valid':
            scale = a.grad_scale / max(1, int(np.count_nonzero(labi != ignore)))
        elif a.normalization == 'batch':
            scale = a.grad_scale / rows
        else:
            scale = a.grad_scale / (rows // y.shape[0] if a.multi_output else 1)
        g *= g.dtype.type(scale)
        if a.multi_output:
            g = np.moveaxis(g.reshape(y.shape[0], -1, y.shape[1]), 2, 1)
        return g.reshape(x.shape), None


@register
class SoftmaxCrossEntropy(Op):
    """Sum over the batch of ``-log softmax(data)[i, label[i]]``; shape ``(1,)``."""
    name = 'softmax_cross_entropy'
    inputs = ('data', 'label')
    same_dtype = False
    samples = (Sample(make=lambda rng: [rng.uniform(-2, 2, (4, 3)),
                                        np.array([0., 2., 1., 1.])], wrt=(0,)),)

    def _labels(self, x, label):
        if x.ndim != 2 or label.shape != x.shape[:1]:
            raise MXNetError('softmax_cross_entropy: expects data (N, C) and label (N,), got '
                             '{} and {}'.format(x.shape, label.shape))
        lab = label.astype(np.int64)            # a fresh array: clip it in place
        np.minimum(lab, x.shape[1] - 1, out=lab)
        np.maximum(lab, 0, out=lab)
        return lab

    def forward(self, xp, a, x, label):
        lab = self._labels(x, label)
        z = x - np.max(x, axis=1, keepdims=True)
        lse = np.log(np.sum(np.exp(z), axis=1))
        # log softmax at the labels only: z[i, label[i]] - lse[i]
        logp = z[np.arange(x.shape[0]), lab] - lse
        return -np.sum(logp).reshape(1).astype(x.dtype)

    def backward(self, xp, a, xs, ys, dys):
        x, label = xs
        g = _softmax(x, 1)
        g[np.arange(x.shape[0]), self._labels(x, label)] -= 1
        g *= dys[0].reshape(())
        return g, None


# --------------------------------------------------------------------- regression heads
def _regression(name, forward, grad, doc):
    def fwd(self, xp, a, x, label):
        if label.size != x.size:
            raise MXNetError('{}: label has shape {} but data has shape {}; they must have '
                             'the same number of elements'.format(self.name, label.shape,
                                                                  x.shape))
        return forward(x)

    def bwd(self, xp, a, xs, ys, dys):
        x, label = xs
        per_row = x.size // x.shape[0] if x.ndim and x.shape[0] else 1
        g = grad(ys[0], label.reshape(x.shape).astype(x.dtype, copy=False))
        return g * x.dtype.type(a.grad_scale / per_row), None

    register(type(name, (Op,), {
        '__doc__': doc, 'name': name, 'inputs': ('data', 'label'),
        'attrs': {'grad_scale': Attr('float', 1.0)}, 'same_dtype': False,
        'custom_gradient': 'a loss head: the gradient ignores the head gradient',
        'forward': fwd, 'backward': bwd}))


_regression('LinearRegressionOutput', lambda x: x.copy(), lambda y, l: y - l,
            """Identity forward; backward ``grad_scale / num_output * (out - label)``.""")
_regression('LogisticRegressionOutput', lambda x: 1 / (1 + np.exp(-x)), lambda y, l: y - l,
            """Sigmoid forward; backward ``grad_scale / num_output * (out - label)``.""")
_regression('MAERegressionOutput', lambda x: x.copy(), lambda y, l: np.sign(y - l),
            """Identity forward; backward ``grad_scale / num_output * sign(out - label)``.""")
