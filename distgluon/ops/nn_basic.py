"""Basic neural-network operators: FullyConnected, Activation, LeakyReLU, Dropout, Embedding.

Each class pairs a forward kernel with its derivative; parameter shapes (the weight of
FullyConnected or Embedding) are deduced from the data shape by ``infer_shape``, which
Gluon's deferred initialisation relies on.
"""
import math

import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_fallback_rng = None


def _rng():
    """The numpy Generator of distgluon's random state (``mx.random.seed`` controls it)."""
    global _fallback_rng
    try:
        from ..random import get_rng
    except ImportError:
        if _fallback_rng is None:
            _fallback_rng = np.random.default_rng()
        return _fallback_rng
    return get_rng()


def _training():
    from .. import autograd
    return autograd.is_training()


def _shape_error(op, what, given, expected):
    return MXNetError('{}: Shape inconsistent, Provided = {} for {}, inferred shape={}; '
                      'give {} the shape {}'.format(op, list(given), what, tuple(expected),
                                                   what, tuple(expected)))


def _known(shape):
    return shape is not None and len(shape) > 0 and 0 not in shape


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _erf(x):
    import scipy.special
    return scipy.special.erf(x).astype(x.dtype, copy=False)


# --------------------------------------------------------------------- FullyConnected
@register
class FullyConnected(Op):
    """``y = x W^T + b``: a dense layer.

    With ``flatten=True`` (default) the data is reshaped to ``(N, -1)`` first; with
    ``flatten=False`` the product runs over the last axis only and the leading axes are
    kept. ``weight`` has shape ``(num_hidden, in_units)``, ``bias`` ``(num_hidden,)``.
    """
    name = 'FullyConnected'
    inputs = ('data', 'weight', 'bias')
    attrs = {'num_hidden': Attr('int'), 'no_bias': Attr('bool', False),
             'flatten': Attr('bool', True)}
    samples = (
        Sample((3, 4), (5, 4), (5,), attrs={'num_hidden': 5}),
        Sample((2, 3, 4), (2, 12), (2,), attrs={'num_hidden': 2}),
        Sample((2, 3, 4), (2, 4), (2,), attrs={'num_hidden': 2, 'flatten': False}),
        Sample((3, 4), (2, 4), attrs={'num_hidden': 2, 'no_bias': True}),
        # a first layer (the data needs no gradient) and a frozen weight
        Sample((3, 2, 2), (5, 4), (5,), attrs={'num_hidden': 5}, wrt=(1, 2)),
        Sample((3, 4), (2, 4), (2,), attrs={'num_hidden': 2}, wrt=(0,)),
    )

    accepts_need = True

    @staticmethod
    def _in_units(a, dshape):
        if a.flatten:
            return math.prod(dshape[1:])
        return dshape[-1]

    def _check(self, a, nin, dshape, wshape, bshape):
        if nin == (2 if a.no_bias else 3) and len(wshape) == 2 \
                and wshape[0] == a.num_hidden and wshape[1] == self._in_units(a, dshape) \
                and (bshape is None or bshape == (a.num_hidden,)):
            return      # the common case, checked without building messages
        expect = 2 if a.no_bias else 3
        if nin != expect:
            raise MXNetError('FullyConnected expects {} inputs, but got {} instead (no_bias={})'
                             '; {}'.format(expect, nin, a.no_bias,
                                           'drop the bias or set no_bias=False' if nin > expect
                                           else 'pass a bias or set no_bias=True'))
        want = (a.num_hidden, self._in_units(a, dshape))
        if tuple(wshape) != want:
            raise _shape_error('FullyConnected', 'weight', wshape, want)
        if bshape is not None and tuple(bshape) != (a.num_hidden,):
            raise MXNetError('FullyConnected: Unexpected shape for bias {}; expected ({},) '
                             '(num_hidden)'.format(list(bshape), a.num_hidden))

    def forward(self, xp, a, x, w, b=None):
        self._check(a, 2 if b is None else 3, x.shape, w.shape,
                    None if b is None else b.shape)
        if a.flatten:
            y = x.reshape(x.shape[0], -1) @ w.T
        else:
            y = np.matmul(x, w.T)
        if b is not None:
            y += b
        return y

    def backward(self, xp, a, xs, ys, dys, need=(True, True, True)):
        x, w = xs[0], xs[1]
        dy = dys[0]
        dy2 = dy.reshape(-1, dy.shape[-1])
        # need[i] False: nobody uses that gradient (e.g. the data of a first layer)
        dx = (dy2 @ w).reshape(x.shape) if need[0] else None
        if need[1]:
            x2 = x.reshape(x.shape[0], -1) if a.flatten else x.reshape(-1, x.shape[-1])
            dw = dy2.T @ x2
        else:
            dw = None
        if len(xs) == 2:
            return dx, dw
        return dx, dw, dy2.sum(axis=0) if need[2] else None

    def infer_shape(self, a, in_shapes):
        in_shapes = list(in_shapes)
        dshape = in_shapes[0]
        if not _known(dshape):
            raise MXNetError('FullyConnected: cannot infer shapes without the data shape '
                             '(got {})'.format(dshape))
        want = (a.num_hidden, self._in_units(a, dshape))
        if len(in_shapes) > 1:
            if _known(in_shapes[1]) and tuple(in_shapes[1]) != want:
                raise _shape_error('FullyConnected', 'weight', in_shapes[1], want)
            in_shapes[1] = want
        if len(in_shapes) > 2:
            in_shapes[2] = (a.num_hidden,)
        out = (dshape[0], a.num_hidden) if a.flatten else tuple(dshape[:-1]) + (a.num_hidden,)
        return in_shapes, [out]


# --------------------------------------------------------------------- Activation
_ACT = {
    # act_type: (forward(x), grad(x, y) -> dy/dx)
    'relu': (lambda x: np.maximum(x, 0), lambda x, y: (x > 0).astype(x.dtype)),
    'sigmoid': (_sigmoid, lambda x, y: y * (1 - y)),
    'tanh': (np.tanh, lambda x, y: 1 - y * y),
    'softrelu': (lambda x: np.logaddexp(x.dtype.type(0), x), lambda x, y: _sigmoid(x)),
    'softsign': (lambda x: x / (1 + np.abs(x)), lambda x, y: 1 / np.square(1 + np.abs(x))),
}


@register
class Activation(Op):
    """Elementwise activation ``act_type`` in relu, sigmoid, tanh, softrelu, softsign.

    The relu gradient at exactly 0 is 0, as in MXNet.
    """
    name = 'Activation'
    attrs = {'act_type': Attr('str', choices=tuple(_ACT))}
    samples = tuple(Sample((3, 4), attrs={'act_type': t}) for t in _ACT) + (
        Sample((2, 3, 2), attrs={'act_type': 'softrelu'}, low=-3, high=3),)

    def forward(self, xp, a, x):
        return _ACT[a.act_type][0](x)

    def backward(self, xp, a, xs, ys, dys):
        return dys[0] * _ACT[a.act_type][1](xs[0], ys[0])


# --------------------------------------------------------------------- LeakyReLU
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _gelu(x):
    t = x.dtype.type
    return t(0.5) * x * (1 + _erf(x * t(1 / np.sqrt(2.0))))


def _gelu_grad(x):
    t = x.dtype.type
    return (t(0.5) * (1 + _erf(x * t(1 / np.sqrt(2.0))))
            + x * np.exp(t(-0.5) * x * x) * t(1 / np.sqrt(2 * np.pi)))


def _make_prelu_samples():
    def make(shape, c):
        def build(rng):
            x = rng.uniform(0.1, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
            return [x, rng.uniform(0.05, 0.5, size=(c,))]
        return build
    return (Sample(make=make((2, 3, 4), 3), attrs={'act_type': 'prelu'}),
            Sample(make=make((3, 4), 1), attrs={'act_type': 'prelu'}),
            Sample(make=make((5,), 5), attrs={'act_type': 'prelu'}))


@register
class LeakyReLU(Op):
    """Leaky rectifiers: ``act_type`` leaky, prelu, elu, selu, gelu, rrelu.

    - leaky: ``x > 0 ? x : slope * x``; elu: ``x > 0 ? x : slope * (exp(x) - 1)``;
      selu: ``lambda * (x > 0 ? x : alpha * (exp(x) - 1))``; gelu: ``0.5 x (1 + erf(x/√2))``.
    - prelu: the slope is the learnable input ``gamma``, one value per channel (axis 1;
      axis 0 for 1-D data) or a single shared value.
    - rrelu: in training the slope of each element is drawn uniformly from
      ``[lower_bound, upper_bound]``; otherwise it is their mean. Returns two outputs,
      the result and the mask of drawn slopes (zeros outside training), as MXNet does.

    Notes
    -----
    MXNet 1.9.1 crashes (segmentation fault) on rrelu in training mode and its rrelu
    backward outside training is not the derivative; distgluon computes the derivative
    ``x > 0 ? 1 : slope``. MXNet's selu backward for x < 0 is ``lambda * (y + alpha)``,
    not the derivative ``y + lambda * alpha``; distgluon uses the derivative.
    A prelu ``gamma`` whose size is neither 1 nor the number of channels is an error
    here (MXNet silently uses its first element).
    """
    name = 'LeakyReLU'
    inputs = ('data', 'gamma')
    attrs = {'act_type': Attr('str', 'leaky', choices=('elu', 'gelu', 'leaky', 'prelu',
                                                        'rrelu', 'selu')),
             'slope': Attr('float', 0.25), 'lower_bound': Attr('float', 0.125),
             'upper_bound': Attr('float', 0.334)}
    stateful = True
    samples = (
        Sample((3, 4), attrs={'act_type': 'leaky', 'slope': 0.1}, make=lambda rng: [
            rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))]),
        Sample((3, 4), attrs={'act_type': 'elu', 'slope': 0.7}, make=lambda rng: [
            rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))]),
        Sample((3, 4), attrs={'act_type': 'selu'}, make=lambda rng: [
            rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))]),
        Sample((3, 4), attrs={'act_type': 'gelu'}, low=-3, high=3),
        Sample((3, 4), attrs={'act_type': 'rrelu'}, make=lambda rng: [
            rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))]),
    ) + _make_prelu_samples()

    def num_outputs(self, a):
        return 3 if a.act_type == 'rrelu' else 1

    def num_visible(self, a):
        return 2 if a.act_type == 'rrelu' else 1

    @staticmethod
    def _gamma_view(x, gamma):
        """gamma shaped to broadcast against x along the channel axis."""
        if gamma.size == 1:
            return gamma.reshape((1,) * max(x.ndim, 1))
        axis = 0 if x.ndim == 1 else 1
        if x.ndim == 0 or gamma.size != x.shape[axis]:
            raise MXNetError('LeakyReLU(prelu): gamma has shape {} but the data {} has {} '
                             'channels on axis {}; give gamma shape ({},) or (1,)'.format(
                                 gamma.shape, x.shape, x.shape[axis] if x.ndim else 0, axis,
                                 x.shape[axis] if x.ndim else 1))
        shape = [1] * x.ndim
        shape[axis] = gamma.size
        return gamma.reshape(shape)

    def forward(self, xp, a, x, gamma=None):
        t = a.act_type
        if t == 'prelu':
            if gamma is None:
                raise MXNetError("LeakyReLU with act_type='prelu' expects 2 inputs (data, "
                                 "gamma), but got 1; pass the slope array gamma")
            return np.where(x > 0, x, x * self._gamma_view(x, gamma))
        if gamma is not None:
            raise MXNetError("LeakyReLU with act_type={!r} expects 1 input, but got 2; gamma "
                             "is used only by act_type='prelu'".format(t))
        if t == 'leaky':
            return np.where(x > 0, x, x * x.dtype.type(a.slope))
        if t == 'elu':
            return np.where(x > 0, x, x.dtype.type(a.slope) * np.expm1(np.minimum(x, 0)))
        if t == 'selu':
            neg = x.dtype.type(_SELU_ALPHA) * np.expm1(np.minimum(x, 0))
            return x.dtype.type(_SELU_LAMBDA) * np.where(x > 0, x, neg)
        if t == 'gelu':
            return _gelu(x)
        # rrelu
        if _training():
            mask = _rng().uniform(a.lower_bound, a.upper_bound, size=x.shape).astype(x.dtype)
            return np.where(x > 0, x, x * mask), mask, mask
        slope = np.full((1,) * x.ndim, (a.lower_bound + a.upper_bound) / 2, dtype=x.dtype)
        return np.where(x > 0, x, x * slope), np.zeros_like(x), slope

    def backward(self, xp, a, xs, ys, dys):
        x, dy, t = xs[0], dys[0], a.act_type
        pos = x > 0
        if t == 'prelu':
            gamma = xs[1]
            gv = self._gamma_view(x, gamma)
            dx = dy * np.where(pos, 1, gv).astype(x.dtype)
            dg = np.where(pos, 0, dy * x)
            if gamma.size == 1:
                dg = dg.sum().reshape(gamma.shape)
            else:
                axis = 0 if x.ndim == 1 else 1
                dg = dg.sum(axis=tuple(i for i in range(x.ndim) if i != axis)).reshape(
                    gamma.shape)
            return dx, dg
        if t == 'leaky':
            d = np.where(pos, 1, a.slope)
        elif t == 'elu':
            d = np.where(pos, 1, ys[0] + a.slope)
        elif t == 'selu':
            d = _SELU_LAMBDA * np.where(pos, 1, _SELU_ALPHA * np.exp(np.minimum(x, 0)))
        elif t == 'gelu':
            d = _gelu_grad(x)
        else:
            d = np.where(pos, 1, ys[2])
        return dy * d.astype(x.dtype, copy=False)


# --------------------------------------------------------------------- Dropout
@register
class Dropout(Op):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Active only in training mode (``autograd.is_training()``: inside ``record()`` or
    ``train_mode()``, even without recording) or with ``mode='always'``; otherwise the
    identity. ``axes`` lists axes along which one mask value is shared (variational
    dropout). The drawn mask is kept as a hidden output and backward reuses it.
    """
    name = 'Dropout'
    attrs = {'p': Attr('float', 0.5), 'mode': Attr('str', 'training',
                                                    choices=('always', 'training')),
             'axes': Attr('shape', ()), 'cudnn_off': Attr('any', False)}
    stateful = True
    custom_gradient = 'the mask is random; backward reuses the forward mask (tested directly)'

    def num_outputs(self, a):
        return 2

    def forward(self, xp, a, x):
        if not (a.mode == 'always' or _training()) or a.p == 0:
            return x.copy(), np.ones((1,) * x.ndim, dtype=x.dtype)
        shape = list(x.shape)
        for ax in a.axes or ():
            shape[ax] = 1
        keep = _rng().random(size=tuple(shape)) >= a.p
        with np.errstate(divide='ignore'):
            scale = np.float64(1.0) / np.float64(1.0 - a.p)
        with np.errstate(invalid='ignore'):
            mask = (keep * scale).astype(x.dtype)
            return x * mask, mask

    def backward(self, xp, a, xs, ys, dys):
        with np.errstate(invalid='ignore'):
            return dys[0] * ys[1]


# --------------------------------------------------------------------- Embedding
def _embedding_sample(rng):
    return [rng.integers(0, 5, size=(2, 3)).astype(np.float64),
            rng.uniform(-1, 1, size=(5, 4))]


@register
class Embedding(Op):
    """Look up rows of ``weight`` (``(input_dim, output_dim)``) by the indices in ``data``.

    Indices are truncated to integers and clipped to ``[0, input_dim - 1]``, as MXNet
    does. The output has the weight's dtype and shape ``data.shape + (output_dim,)``.
    The gradient is scattered (summed) into the weight rows; the indices get none.

    Notes
    -----
    ``sparse_grad=True`` is accepted, but the weight gradient is dense (MXNet gives a
    row_sparse array with the same values). MXNet raises at backward when the indices
    were marked with ``attach_grad``; distgluon leaves their gradient at zero.
    """
    name = 'Embedding'
    inputs = ('data', 'weight')
    attrs = {'input_dim': Attr('int'), 'output_dim': Attr('int'),
             'dtype': Attr('dtype', np.dtype('float32')), 'sparse_grad': Attr('bool', False)}
    same_dtype = False
    samples = (Sample(make=_embedding_sample, wrt=(1,),
                      attrs={'input_dim': 5, 'output_dim': 4}),)

    def _indices(self, a, data):
        idx = data if np.issubdtype(data.dtype, np.integer) else np.trunc(data)
        return np.clip(idx, 0, a.input_dim - 1).astype(np.int64)

    def forward(self, xp, a, data, weight):
        want = (a.input_dim, a.output_dim)
        if weight.shape != want:
            raise _shape_error('Embedding', 'weight', weight.shape, want)
        return weight[self._indices(a, data)]

    def backward(self, xp, a, xs, ys, dys):
        data, weight = xs
        dw = np.zeros_like(weight)
        np.add.at(dw, self._indices(a, data).reshape(-1),
                  dys[0].reshape(-1, weight.shape[1]))
        return None, dw

    def infer_shape(self, a, in_shapes):
        in_shapes = list(in_shapes)
        want = (a.input_dim, a.output_dim)
        if len(in_shapes) > 1:
            if _known(in_shapes[1]) and tuple(in_shapes[1]) != want:
                raise _shape_error('Embedding', 'weight', in_shapes[1], want)
            in_shapes[1] = want
        if in_shapes[0] is None:
            raise MXNetError('Embedding: cannot infer the output shape without the data '
                             'shape')
        return in_shapes, [tuple(in_shapes[0]) + (a.output_dim,)]
