"""Basic layers, as MXNet 1.x ``gluon.nn``: the Sequential containers, Dense, Dropout,
the normalisation layers, Embedding, Flatten and the Lambda wrappers.

Parameter names, shapes, dtypes, initializers and reprs are MXNet 1.9.1's. Layers whose
parameter shapes depend on the input (``Dense`` without ``in_units``, the norms without
``in_channels``) set them in ``infer_shape``, the explicit deferred-initialisation step of
`distgluon.gluon.block.HybridBlock`.
"""
import warnings

import numpy as np

from ... import ndarray as nd
from ..block import Block, HybridBlock
from ..parameter import _indent
from .activations import Activation

__all__ = ['Sequential', 'HybridSequential', 'Dense', 'Dropout', 'Embedding', 'BatchNorm',
           'BatchNormReLU', 'InstanceNorm', 'LayerNorm', 'GroupNorm', 'Flatten', 'Lambda',
           'HybridLambda']


class _Stack:
    """What `Sequential` and `HybridSequential` share: children added in order (named
    '0', '1', ...) and run in that order, indexing and slicing, ``len`` and the repr."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        """Adds blocks on top of the stack (children named '0', '1', ...)."""
        for block in blocks:
            self.register_child(block)

    def _run_children(self, x):
        for block in self._children.values():
            x = block(x)
        return x

    def __repr__(self):
        modstr = '\n'.join(['  ({key}): {block}'.format(key=key, block=_indent(repr(child), 2))
                            for key, child in self._children.items()])
        return '{name}(\n{modstr}\n)'.format(name=self.__class__.__name__, modstr=modstr)

    def __getitem__(self, key):
        """``self[i]`` is a child; ``self[a:b]`` a new container (same prefix) of the same
        children."""
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self):
        return len(self._children)


class Sequential(_Stack, Block):
    """Stacks Blocks sequentially.

    Examples
    --------
    >>> net = nn.Sequential()
    >>> with net.name_scope():
    ...     net.add(nn.Dense(10, activation='relu'))
    ...     net.add(nn.Dense(20))
    >>> net[0].name, len(net)
    ('sequential0_dense0', 2)
    """

    def forward(self, x):
        return self._run_children(x)

    def hybridize(self, active=True, **kwargs):
        """Activates or deactivates HybridBlock children recursively (warns when every
        child is a HybridBlock: HybridSequential is the better container then)."""
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(
                "All children of this Sequential layer '%s' are HybridBlocks. Consider "
                'using HybridSequential for the best performance.' % self.prefix, stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """Stacks HybridBlocks sequentially.

    Examples
    --------
    >>> net = nn.HybridSequential()
    >>> with net.name_scope():
    ...     net.add(nn.Dense(10, activation='relu'), nn.Dense(20))
    >>> net[1:]          # a new HybridSequential holding the same second Dense
    """

    def hybrid_forward(self, F, x):
        return self._run_children(x)


class Dense(HybridBlock):
    r"""Densely-connected layer: ``activation(dot(x, weight.T) + bias)``.

    Parameters
    ----------
    units : int
        Dimensionality of the output space.
    activation : str, optional
        Activation function (see `Activation`); None is linear.
    use_bias : bool, default True
    flatten : bool, default True
        True collapses all axes but the first of the input; False applies the layer on
        the last axis and keeps the others.
    dtype : str or numpy dtype, default 'float32'
    weight_initializer, bias_initializer : str or Initializer
        ``None`` for the weight means the global initializer given to ``initialize``;
        the bias defaults to ``'zeros'``.
    in_units : int, optional
        Input size; when 0 (default) the weight's shape is ``(units, 0)`` until the first
        forward pass fills it in.

    Examples
    --------
    >>> nn.Dense(100)
    Dense(None -> 100, linear)
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')
            else:
                self.act = None

    def infer_shape(self, x, *args):
        in_units = int(np.prod(x.shape[1:])) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F, x, weight, bias=None):
        act = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name='fwd')
        if self.act is not None:
            act = self.act(act)
        return act

    def __repr__(self):
        shape = self.weight.shape
        return '{name}({layout}, {act})'.format(
            name=self.__class__.__name__, act=self.act if self.act else 'linear',
            layout='{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0]))


class Dropout(HybridBlock):
    """Sets a fraction ``rate`` of the inputs to 0 (and scales the rest by
    ``1 / (1 - rate)``) in training mode; the identity otherwise.

    Parameters
    ----------
    rate : float
        Fraction of the input units to drop, in [0, 1].
    axes : tuple of int, default ()
        Axes along which the mask is shared.
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name='fwd', cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return '{name}(p = {rate}, axes={axes})'.format(name=self.__class__.__name__,
                                                        rate=self._rate, axes=self._axes)


def _norm_repr(block, in_channels):
    content = ', '.join('='.join([k, repr(v)]) for k, v in block._kwargs.items())
    return '{name}({content}, in_channels={ch})'.format(
        name=block.__class__.__name__, content=content, ch=in_channels)


class _BatchNorm(HybridBlock):
    """Shared implementation of `BatchNorm` and `BatchNormReLU` (which sets
    ``_fuse_relu``)."""
    _fuse_relu = False

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones',
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'axis': axis, 'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale, 'use_global_stats': use_global_stats}
        self.fuse_relu = self._fuse_relu
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get('running_mean', grad_req='null',
                                            shape=(in_channels,),
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get('running_var', grad_req='null',
                                           shape=(in_channels,),
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def cast(self, dtype):
        """Cast the parameters; float16 is kept as float32 (as MXNet)."""
        if np.dtype(dtype).name == 'float16':
            dtype = 'float32'
        super().cast(dtype)

    def infer_shape(self, x, *args):
        channels = x.shape[self._kwargs['axis']]
        for param in (self.gamma, self.beta, self.running_mean, self.running_var):
            param.shape = (channels,)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        out = F.BatchNorm(x, gamma, beta, running_mean, running_var, name='fwd',
                          **self._kwargs)
        if self.fuse_relu:
            out = F.relu(out)
        return out

    def __repr__(self):
        in_channels = self.gamma.shape[0]
        return _norm_repr(self, in_channels if in_channels else None)


class BatchNorm(_BatchNorm):
    """Batch normalization layer (Ioffe and Szegedy, 2014).

    Parameters
    ----------
    axis : int, default 1
        The channel axis (1 for NCHW, 3 for NHWC).
    momentum : float, default 0.9
        Momentum of the running mean and variance.
    epsilon : float, default 1e-5
    center : bool, default True
        Use ``beta``; False makes it constant (grad_req 'null').
    scale : bool, default True
        Use ``gamma``; False fixes it to 1 (``fix_gamma=True``, grad_req 'null').
    use_global_stats : bool, default False
        Normalise with the running statistics also in training.
    beta_initializer, gamma_initializer, running_mean_initializer,
    running_variance_initializer : str or Initializer
        Defaults 'zeros', 'ones', 'zeros', 'ones'.
    in_channels : int, default 0
        Number of channels; 0 infers it at the first forward pass.

    Notes
    -----
    In training (``autograd.record()``), the running statistics are updated when the
    backward pass runs (as MXNet's operator does), with the biased batch variance.
    """


class BatchNormReLU(_BatchNorm):
    """`BatchNorm` followed by ReLU (same arguments and parameters)."""
    _fuse_relu = True


class Embedding(HybridBlock):
    r"""Maps non-negative integer indices to dense vectors of size ``output_dim``.

    Parameters
    ----------
    input_dim : int
        Vocabulary size (largest index + 1); out-of-range indices are clipped.
    output_dim : int
    dtype : str or numpy dtype, default 'float32'
    weight_initializer : Initializer, optional
    sparse_grad : bool, default False
        Make the weight's gradient 'row_sparse'.
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None,
                 sparse_grad=False, **kwargs):
        super().__init__(**kwargs)
        grad_stype = 'row_sparse' if sparse_grad else 'default'
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': sparse_grad}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True, grad_stype=grad_stype)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        return '{block_name}({input_dim} -> {output_dim}, {dtype})'.format(
            block_name=self.__class__.__name__, **self._kwargs)


class Flatten(HybridBlock):
    r"""Flattens the input to two dimensions ``(N, x1 * x2 * ... * xn)``."""

    def hybrid_forward(self, F, x):
        return F.flatten(x)

    def __repr__(self):
        return self.__class__.__name__


def _gamma_beta(block, shape, scale, center, gamma_initializer, beta_initializer):
    """Create ``block.gamma`` then ``block.beta`` of ``shape``, learned (grad_req 'write')
    only when ``scale`` / ``center``."""
    block.gamma = block.params.get('gamma', grad_req='write' if scale else 'null',
                                   shape=shape, init=gamma_initializer,
                                   allow_deferred_init=True)
    block.beta = block.params.get('beta', grad_req='write' if center else 'null',
                                  shape=shape, init=beta_initializer, allow_deferred_init=True)


class _AxisNorm(HybridBlock):
    """What `InstanceNorm` and `LayerNorm` share: gamma and beta sized by the input's
    ``self._axis``, and the repr."""

    def infer_shape(self, x, *args):
        self.gamma.shape = (x.shape[self._axis],)
        self.beta.shape = (x.shape[self._axis],)

    def __repr__(self):
        return _norm_repr(self, self.gamma.shape[0])


class InstanceNorm(_AxisNorm):
    r"""Instance normalization: each sample and channel is normalised over the remaining
    axes.

    Parameters
    ----------
    axis : int, default 1
        The channel axis (excluded, as is the batch axis, from the normalisation).
    epsilon : float, default 1e-5
    center : bool, default True
    scale : bool, default False
        Note the default: gamma is not learned (grad_req 'null') unless scale=True.
    beta_initializer, gamma_initializer : str or Initializer
    in_channels : int, default 0
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        _gamma_beta(self, (in_channels,), scale, center, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name='fwd', eps=self._epsilon)
        x = F.swapaxes(x, 1, self._axis)
        return F.swapaxes(F.InstanceNorm(x, gamma, beta, name='fwd', eps=self._epsilon),
                          1, self._axis)


class LayerNorm(_AxisNorm):
    r"""Layer normalization over ``axis``: ``(x - mean) / sqrt(var + eps) * gamma + beta``.

    Parameters
    ----------
    axis : int, default -1
    epsilon : float, default 1e-5
    center, scale : bool, default True
    beta_initializer, gamma_initializer : str or Initializer
    in_channels : int, default 0
    """

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self._center = center
        self._scale = scale
        _gamma_beta(self, (in_channels,), scale, center, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)


class GroupNorm(HybridBlock):
    r"""Group normalization: the channels of ``(N, C, ...)`` are split into
    ``num_groups`` groups, each normalised separately; gamma and beta have one value per
    group.

    Parameters
    ----------
    num_groups : int, default 1
    epsilon : float, default 1e-5
    center, scale : bool, default True
    beta_initializer, gamma_initializer : str or Initializer
    """

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'num_groups': num_groups, 'center': center,
                        'scale': scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self._center = center
        self._scale = scale
        _gamma_beta(self, (num_groups,), scale, center, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups,
                           eps=self._epsilon)

    def __repr__(self):
        content = ', '.join('='.join([k, repr(v)]) for k, v in self._kwargs.items())
        return '{name}({content})'.format(name=self.__class__.__name__, content=content)


class Lambda(Block):
    r"""Wraps an operator name of ``mx.nd`` (``Lambda('tanh')``) or a function
    ``f(*args)`` as a Block."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            assert hasattr(nd, function), 'Function name %s is not found in ndarray.' % function
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError('Unrecognized function in lambda: {} of type {}'.format(
                function, type(function)))

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return '{name}({function})'.format(name=self.__class__.__name__,
                                           function=self._func_impl.__name__)


def _symbol_module():
    """``distgluon.symbol`` once it provides operators, else None."""
    try:
        from ... import symbol
    except ImportError:
        return None
    return symbol if hasattr(symbol, 'Symbol') else None


class HybridLambda(HybridBlock):
    r"""Wraps an operator name available in ``mx.nd`` and ``mx.sym``
    (``HybridLambda('tanh')``) or a function ``f(F, x, *args)`` as a HybridBlock."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            sym = _symbol_module()
            assert hasattr(nd, function) and (sym is None or hasattr(sym, function)), \
                'Function name %s is not found in symbol/ndarray.' % function
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError('Unrecognized function in lambda: {} of type {}'.format(
                function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return '{name}({function})'.format(name=self.__class__.__name__,
                                           function=self._func_name)
