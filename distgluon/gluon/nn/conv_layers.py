"""Convolution, transposed convolution, pooling and padding layers, as MXNet 1.x
``gluon.nn``.

Weight shapes follow MXNet's operators (what MXNet gets from symbolic shape inference):

* Convolution, ``NC...`` layouts: ``(channels, in_channels // groups, *kernel)``;
  channel-last layouts: ``(channels, *kernel, in_channels // groups)``.
* Deconvolution, ``NC...``: ``(in_channels, channels // groups, *kernel)``;
  channel-last: ``(in_channels, *kernel, channels // groups)``.

An unknown ``in_channels`` is 0 until ``infer_shape`` reads it off the first input.
Every conv layer is named ``conv<N>``, every pooling layer ``pool<N>``.
"""
import numbers

from ...base import MXNetError
from ..block import HybridBlock
from .activations import Activation

__all__ = ['Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose',
           'Conv3DTranspose', 'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D',
           'AvgPool3D', 'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D',
           'GlobalAvgPool1D', 'GlobalAvgPool2D', 'GlobalAvgPool3D', 'ReflectionPad2D']

_numeric = (numbers.Number,)


def _tuple(value, n):
    return (value,) * n if isinstance(value, _numeric) else value


def _weight_shape(op_name, layout, channels, in_channels, kernel, groups):
    """The weight shape MXNet's shape inference gives (0 where in_channels is unknown)."""
    channel_last = layout.find('C') != 1
    if in_channels % groups != 0 or (op_name == 'Deconvolution' and groups > 1 and
                                     in_channels == 0):
        raise MXNetError('{op}: input num_filter must divide group size (in_channels={c}, '
                         'groups={g}); give in_channels as a multiple of groups'.format(
                             op=op_name, c=in_channels, g=groups))
    if op_name == 'Convolution':
        first, per_group = channels, in_channels // groups
    else:
        first, per_group = in_channels, channels // groups
    if channel_last:
        return (first,) + tuple(kernel) + (per_group,)
    return (first, per_group) + tuple(kernel)


class _Conv(HybridBlock):
    """Shared implementation of the convolution layers (N-D, ``op_name`` Convolution or
    Deconvolution)."""

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 in_channels=0, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', op_name='Convolution', adj=None, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            strides = _tuple(strides, len(kernel_size))
            padding = _tuple(padding, len(kernel_size))
            dilation = _tuple(dilation, len(kernel_size))
            self._op_name = op_name
            self._layout = layout
            self._kwargs = {
                'kernel': kernel_size, 'stride': strides, 'dilate': dilation,
                'pad': padding, 'num_filter': channels, 'num_group': groups,
                'no_bias': not use_bias, 'layout': layout}
            if adj is not None:
                if any(o >= st for o, st in zip(adj, strides)):
                    raise MXNetError('{op}: adj(x) must be samller than stride (got '
                                     'output_padding={adj}, strides={st}); use an '
                                     'output_padding below the stride'.format(
                                         op=op_name, adj=adj, st=strides))
                self._kwargs['adj'] = adj
            wshape = _weight_shape(op_name, layout, channels, in_channels, kernel_size, groups)
            self.weight = self.params.get('weight', shape=wshape, init=weight_initializer,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')
            else:
                self.act = None

    def infer_shape(self, x, *args):
        in_channels = x.shape[self._layout.find('C')]
        self.weight.shape = _weight_shape(self._op_name, self._layout, self._channels,
                                          in_channels, self._kwargs['kernel'],
                                          self._kwargs['num_group'])

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        if bias is None:
            act = op(x, weight, name='fwd', **self._kwargs)
        else:
            act = op(x, weight, bias, name='fwd', **self._kwargs)
        if self.act is not None:
            act = self.act(act)
        return act

    def _alias(self):
        return 'conv'

    def __repr__(self):
        s = '{name}({mapping}, kernel_size={kernel}, stride={stride}'
        len_kernel_size = len(self._kwargs['kernel'])
        if self._kwargs['pad'] != (0,) * len_kernel_size:
            s += ', padding={pad}'
        if self._kwargs['dilate'] != (1,) * len_kernel_size:
            s += ', dilation={dilate}'
        if self._kwargs['num_group'] != 1:
            s += ', groups={num_group}'
        if self.bias is None:
            s += ', bias=False'
        if self.act:
            s += ', {}'.format(self.act)
        s += ')'
        shape = self.weight.shape
        return s.format(name=self.__class__.__name__,
                        mapping='{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0]),
                        **self._kwargs)


def _conv_init(self, ndim, layouts, channels, kernel_size, strides, padding, dilation,
               groups, layout, activation, use_bias, weight_initializer, bias_initializer,
               in_channels, kwargs, output_padding=None):
    assert layout in layouts, "Only supports %s layout for now" % (
        ' and '.join("'%s'" % lay for lay in layouts))
    kernel_size = _tuple(kernel_size, ndim)
    assert len(kernel_size) == ndim, \
        'kernel_size must be a number or a list of %d ints' % ndim
    if output_padding is None:
        op_name = kwargs.pop('op_name', 'Convolution')
        _Conv.__init__(self, channels, kernel_size, strides, padding, dilation, groups,
                       layout, in_channels, activation, use_bias, weight_initializer,
                       bias_initializer, op_name, **kwargs)
        return
    output_padding = _tuple(output_padding, ndim)
    assert len(output_padding) == ndim, \
        'output_padding must be a number or a list of %d ints' % ndim
    op_name = kwargs.pop('op_name', 'Deconvolution')
    _Conv.__init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                   in_channels, activation, use_bias, weight_initializer, bias_initializer,
                   op_name=op_name, adj=output_padding, **kwargs)
    self.outpad = output_padding


_CONV_DOC = """{dims} convolution layer{transposed}.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of {n} ints
    strides, padding, dilation : int or tuple of {n} ints
    {extra}groups : int, default 1
        Split input and output channels into this many groups.
    layout : str, default '{layout}'
    activation : str, optional
        Activation applied to the output (see `Activation`).
    use_bias : bool, default True
    weight_initializer, bias_initializer : str or Initializer
        None means the global initializer; the bias defaults to 'zeros'.
    in_channels : int, default 0
        Number of input channels; 0 infers it from the first input.
    """


class Conv1D(_Conv):
    __doc__ = _CONV_DOC.format(dims='1D', transposed='', n=1, extra='', layout='NCW')

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout='NCW', activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        _conv_init(self, 1, ('NCW',), channels, kernel_size, strides, padding,
                   dilation, groups, layout, activation, use_bias, weight_initializer,
                   bias_initializer, in_channels, kwargs)


class Conv2D(_Conv):
    __doc__ = _CONV_DOC.format(dims='2D', transposed='', n=2, extra='', layout='NCHW')

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1),
                 groups=1, layout='NCHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0, **kwargs):
        _conv_init(self, 2, ('NCHW', 'NHWC'), channels, kernel_size, strides, padding,
                   dilation, groups, layout, activation, use_bias, weight_initializer,
                   bias_initializer, in_channels, kwargs)


class Conv3D(_Conv):
    __doc__ = _CONV_DOC.format(dims='3D', transposed='', n=3, extra='', layout='NCDHW')

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout='NCDHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0, **kwargs):
        _conv_init(self, 3, ('NCDHW', 'NDHWC'), channels, kernel_size, strides,
                   padding, dilation, groups, layout, activation, use_bias,
                   weight_initializer, bias_initializer, in_channels, kwargs)


_OUTPAD = 'output_padding : int or tuple, default 0\n        Extra size added to one side.\n    '


class Conv1DTranspose(_Conv):
    __doc__ = _CONV_DOC.format(dims='1D', transposed=' (deconvolution)', n=1, extra=_OUTPAD,
                               layout='NCW')

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 dilation=1, groups=1, layout='NCW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0, **kwargs):
        _conv_init(self, 1, ('NCW',), channels, kernel_size, strides,
                   padding, dilation, groups, layout, activation, use_bias,
                   weight_initializer, bias_initializer, in_channels, kwargs, output_padding)


class Conv2DTranspose(_Conv):
    __doc__ = _CONV_DOC.format(dims='2D', transposed=' (deconvolution)', n=2, extra=_OUTPAD,
                               layout='NCHW')

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1, layout='NCHW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        _conv_init(self, 2, ('NCHW', 'NHWC'), channels, kernel_size,
                   strides, padding, dilation, groups, layout, activation, use_bias,
                   weight_initializer, bias_initializer, in_channels, kwargs, output_padding)


class Conv3DTranspose(_Conv):
    __doc__ = _CONV_DOC.format(dims='3D', transposed=' (deconvolution)', n=3, extra=_OUTPAD,
                               layout='NCDHW')

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1, layout='NCDHW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        _conv_init(self, 3, ('NCDHW', 'NDHWC'), channels, kernel_size,
                   strides, padding, dilation, groups, layout, activation, use_bias,
                   weight_initializer, bias_initializer, in_channels, kwargs, output_padding)


class _Pooling(HybridBlock):
    """Shared implementation of the pooling layers."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type,
                 layout, count_include_pad=None, **kwargs):
        super().__init__(**kwargs)
        if strides is None:
            strides = pool_size
        strides = _tuple(strides, len(pool_size))
        padding = _tuple(padding, len(pool_size))
        self._kwargs = {
            'kernel': pool_size, 'stride': strides, 'pad': padding,
            'global_pool': global_pool, 'pool_type': pool_type, 'layout': layout,
            'pooling_convention': 'full' if ceil_mode else 'valid'}
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._kwargs)

    def __repr__(self):
        s = '{name}(size={kernel}, stride={stride}, padding={pad}, ceil_mode={ceil_mode}'
        s += ', global_pool={global_pool}, pool_type={pool_type}, layout={layout})'
        return s.format(name=self.__class__.__name__,
                        ceil_mode=self._kwargs['pooling_convention'] == 'full',
                        **self._kwargs)


_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _pool_size(pool_size, layout, ndim):
    assert layout in _LAYOUTS[ndim], 'Only %s and %s layouts are valid for %dD Pooling' % (
        _LAYOUTS[ndim] + (ndim,))
    pool_size = _tuple(pool_size, ndim)
    assert len(pool_size) == ndim, 'pool_size must be a number or a list of %d ints' % ndim
    return pool_size


_POOL_DOC = """{kind} pooling over {n}-D windows.

    Parameters
    ----------
    pool_size : int or tuple of {n} ints
    strides : int or tuple, optional
        Defaults to pool_size.
    padding : int or tuple, default 0
    layout : str, default '{layout}'
    ceil_mode : bool, default False
        Round the output size up ('full' convention) instead of down.{extra}
    """
_CIP = ('\n    count_include_pad : bool, default True\n'
        '        Whether padded zeros count in the average.')


class MaxPool1D(_Pooling):
    __doc__ = _POOL_DOC.format(kind='Max', n=1, layout='NCW', extra='')

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False,
                 **kwargs):
        super().__init__(_pool_size(pool_size, layout, 1), strides, padding, ceil_mode, False,
                         'max', layout, **kwargs)


class MaxPool2D(_Pooling):
    __doc__ = _POOL_DOC.format(kind='Max', n=2, layout='NCHW', extra='')

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout='NCHW',
                 ceil_mode=False, **kwargs):
        super().__init__(_pool_size(pool_size, layout, 2), strides, padding, ceil_mode, False,
                         'max', layout, **kwargs)


class MaxPool3D(_Pooling):
    __doc__ = _POOL_DOC.format(kind='Max', n=3, layout='NCDHW', extra='')

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCDHW', **kwargs):
        super().__init__(_pool_size(pool_size, layout, 3), strides, padding, ceil_mode, False,
                         'max', layout, **kwargs)


class AvgPool1D(_Pooling):
    __doc__ = _POOL_DOC.format(kind='Average', n=1, layout='NCW', extra=_CIP)

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False,
                 count_include_pad=True, **kwargs):
        super().__init__(_pool_size(pool_size, layout, 1), strides, padding, ceil_mode, False,
                         'avg', layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    __doc__ = _POOL_DOC.format(kind='Average', n=2, layout='NCHW', extra=_CIP)

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCHW', count_include_pad=True, **kwargs):
        super().__init__(_pool_size(pool_size, layout, 2), strides, padding, ceil_mode, False,
                         'avg', layout, count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    __doc__ = _POOL_DOC.format(kind='Average', n=3, layout='NCDHW', extra=_CIP)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCDHW', count_include_pad=True, **kwargs):
        super().__init__(_pool_size(pool_size, layout, 3), strides, padding, ceil_mode, False,
                         'avg', layout, count_include_pad, **kwargs)


def _global(ndim, layout):
    assert layout in _LAYOUTS[ndim], 'Only %s and %s layouts are valid for %dD Pooling' % (
        _LAYOUTS[ndim] + (ndim,))
    return (1,) * ndim


class GlobalMaxPool1D(_Pooling):
    """Global max pooling over the spatial axis of (N, C, W) data."""

    def __init__(self, layout='NCW', **kwargs):
        super().__init__(_global(1, layout), None, 0, True, True, 'max', layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    """Global max pooling over the spatial axes of (N, C, H, W) data."""

    def __init__(self, layout='NCHW', **kwargs):
        super().__init__(_global(2, layout), None, 0, True, True, 'max', layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    """Global max pooling over the spatial axes of (N, C, D, H, W) data."""

    def __init__(self, layout='NCDHW', **kwargs):
        super().__init__(_global(3, layout), None, 0, True, True, 'max', layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    """Global average pooling over the spatial axis of (N, C, W) data."""

    def __init__(self, layout='NCW', **kwargs):
        super().__init__(_global(1, layout), None, 0, True, True, 'avg', layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    """Global average pooling over the spatial axes of (N, C, H, W) data."""

    def __init__(self, layout='NCHW', **kwargs):
        super().__init__(_global(2, layout), None, 0, True, True, 'avg', layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    """Global average pooling over the spatial axes of (N, C, D, H, W) data."""

    def __init__(self, layout='NCDHW', **kwargs):
        super().__init__(_global(3, layout), None, 0, True, True, 'avg', layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads the two spatial axes of (N, C, H, W) data by reflecting the border.

    Parameters
    ----------
    padding : int or tuple of 8 ints
        An int pads every spatial side by that much; a tuple is ``pad_width`` of
        ``mx.nd.pad`` (two entries per axis, the first four 0).
    """

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, _numeric):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        assert len(padding) == 8
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)
