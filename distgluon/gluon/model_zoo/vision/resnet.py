"""ResNet V1 ("Deep Residual Learning...", http://arxiv.org/abs/1512.03385) and V2
("Identity Mappings...", https://arxiv.org/abs/1603.05027) as MXNet 1.9.1's model zoo
defines them: 18/34 layers from basic blocks, 50/101/152 from bottlenecks; stages are
HybridSequentials prefixed ``stage<i>_`` whose residual blocks share that prefix
(``resnetv10_stage1_conv0_weight``, ``resnetv20_stage4_batchnorm5_gamma``)."""
import os

from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ..model_store import data_dir, load_pretrained

__all__ = ['ResNetV1', 'ResNetV2', 'BasicBlockV1', 'BasicBlockV2', 'BottleneckV1',
           'BottleneckV2', 'resnet18_v1', 'resnet34_v1', 'resnet50_v1', 'resnet101_v1',
           'resnet152_v1', 'resnet18_v2', 'resnet34_v2', 'resnet50_v2', 'resnet101_v2',
           'resnet152_v2', 'get_resnet']


def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _downsample_v1(channels, stride, in_channels):
    """1x1 strided convolution + BatchNorm on the shortcut (V1 blocks)."""
    down = nn.HybridSequential(prefix='')
    down.add(nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                       in_channels=in_channels))
    down.add(nn.BatchNorm())
    return down


def _downsample_v2(channels, stride, in_channels):
    """1x1 strided convolution on the (activated) shortcut (V2 blocks)."""
    return nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)


_BLOCK_DOC = r"""{title}
    This is used for ResNet {version} for {depths} layers.

    Parameters
    ----------
    channels : int
        Number of output channels.
    stride : int
        Stride size.
    downsample : bool, default False
        Whether to downsample the input.
    in_channels : int, default 0
        Number of input channels. Default is 0, to infer from the graph.
    """


class _BlockV1(HybridBlock):
    """The V1 blocks: ``body`` (the layers `_body_layers` makes, in order), added to the
    shortcut (``downsample(x)`` or x), then relu. ``_shortcut_first`` is the order of that
    addition, MXNet's for each block (it shows in the exported symbol JSON)."""
    _shortcut_first = True

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        for layer in self._body_layers(channels, stride, in_channels):
            self.body.add(layer)
        self.downsample = _downsample_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        out = self.body(x)
        residual = self.downsample(x) if self.downsample else x
        return F.Activation(residual + out if self._shortcut_first else out + residual,
                            act_type='relu')


class BasicBlockV1(_BlockV1):
    __doc__ = _BLOCK_DOC.format(title='BasicBlock V1 (conv3x3-BN-relu-conv3x3-BN, added to '
                                      'the shortcut, then relu).', version='V1',
                                depths='18, 34')

    @staticmethod
    def _body_layers(channels, stride, in_channels):
        yield _conv3x3(channels, stride, in_channels)
        yield nn.BatchNorm()
        yield nn.Activation('relu')
        yield _conv3x3(channels, 1, channels)
        yield nn.BatchNorm()


class BottleneckV1(_BlockV1):
    __doc__ = _BLOCK_DOC.format(title='Bottleneck V1 (1x1 reduce, 3x3, 1x1 expand, each '
                                      'with BN; added to the shortcut, then relu).',
                                version='V1', depths='50, 101, 152')
    _shortcut_first = False

    @staticmethod
    def _body_layers(channels, stride, in_channels):
        yield nn.Conv2D(channels // 4, kernel_size=1, strides=stride)
        yield nn.BatchNorm()
        yield nn.Activation('relu')
        yield _conv3x3(channels // 4, 1, channels // 4)
        yield nn.BatchNorm()
        yield nn.Activation('relu')
        yield nn.Conv2D(channels, kernel_size=1, strides=1)
        yield nn.BatchNorm()


class _BlockV2(HybridBlock):
    """The pre-activation residual of the V2 blocks: ``bn1``-relu feeds the shortcut's
    ``downsample`` and ``conv1``, then each later (``bn<i>``, ``conv<i>``) pair applies
    BN-relu-conv; the result is added to the shortcut."""
    _depth = 2      # number of (bn, conv) pairs

    def hybrid_forward(self, F, x):
        residual = x
        x = F.Activation(self.bn1(x), act_type='relu')
        if self.downsample:
            residual = self.downsample(x)       # the shortcut sees the activated input
        x = self.conv1(x)
        for i in range(2, self._depth + 1):
            bn, conv = getattr(self, 'bn%d' % i), getattr(self, 'conv%d' % i)
            x = conv(F.Activation(bn(x), act_type='relu'))
        return x + residual


class BasicBlockV2(_BlockV2):
    __doc__ = _BLOCK_DOC.format(title='BasicBlock V2 (pre-activation: BN-relu-conv3x3 '
                                      'twice, added to the shortcut).', version='V2',
                                depths='18, 34')

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = _downsample_v2(channels, stride, in_channels) if downsample else None


class BottleneckV2(_BlockV2):
    __doc__ = _BLOCK_DOC.format(title='Bottleneck V2 (pre-activation: BN-relu before each '
                                      'of 1x1, 3x3, 1x1; added to the shortcut).',
                                version='V2', depths='50, 101, 152')
    _depth = 3

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(channels // 4, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels // 4, stride, channels // 4)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = _downsample_v2(channels, stride, in_channels) if downsample else None


_NET_DOC = r"""ResNet {version} model from `"{paper}" <{url}>`_.

    Parameters
    ----------
    block : gluon.HybridBlock
        Class for the residual block. Options are {blocks}.
    layers : list of int
        Numbers of layers in each block
    channels : list of int
        Numbers of channels in each block. Length should be one larger than layers list.
    classes : int, default 1000
        Number of classification classes.
    thumbnail : bool, default False
        Enable thumbnail: a single 3x3 stride-1 convolution replaces the 7x7/2 convolution
        and max pool of the stem (for small inputs such as 32x32).
    """


def _make_stage(block, layers, channels, stride, stage_index, in_channels=0):
    """One stage: a HybridSequential ``stage<i>_`` of ``layers`` residual blocks that share
    its prefix; the first may stride and change the width."""
    stage = nn.HybridSequential(prefix='stage%d_' % stage_index)
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=''))
        for _ in range(layers - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=''))
    return stage


def _add_stem(features, channels, thumbnail):
    """The stem: one 3x3 stride-1 convolution (``thumbnail``), else 7x7/2 convolution,
    BN, relu and 3x3/2 max pooling."""
    if thumbnail:
        features.add(_conv3x3(channels, 1, 0))
    else:
        features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False))
        features.add(nn.BatchNorm())
        features.add(nn.Activation('relu'))
        features.add(nn.MaxPool2D(3, 2, 1))


class _ResNet(HybridBlock):
    """What `ResNetV1` and `ResNetV2` share: stages made by `_make_stage`, and
    ``output(features(x))``."""

    def _make_layer(self, block, layers, channels, stride, stage_index, in_channels=0):
        return _make_stage(block, layers, channels, stride, stage_index, in_channels)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV1(_ResNet):
    __doc__ = _NET_DOC.format(version='V1', paper='Deep Residual Learning for Image '
                                                  'Recognition',
                              url='http://arxiv.org/abs/1512.03385',
                              blocks='BasicBlockV1, BottleneckV1')

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            _add_stem(self.features, channels[0], thumbnail)
            for i, num_layer in enumerate(layers):
                stride = 1 if i == 0 else 2
                self.features.add(self._make_layer(block, num_layer, channels[i + 1], stride,
                                                   i + 1, in_channels=channels[i]))
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])


class ResNetV2(_ResNet):
    __doc__ = _NET_DOC.format(version='V2', paper='Identity Mappings in Deep Residual '
                                                  'Networks',
                              url='https://arxiv.org/abs/1603.05027',
                              blocks='BasicBlockV2, BottleneckV2')

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.BatchNorm(scale=False, center=False))   # input normaliser
            _add_stem(self.features, channels[0], thumbnail)
            in_channels = channels[0]
            for i, num_layer in enumerate(layers):
                stride = 1 if i == 0 else 2
                self.features.add(self._make_layer(block, num_layer, channels[i + 1], stride,
                                                   i + 1, in_channels=in_channels))
                in_channels = channels[i + 1]
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation('relu'))
            self.features.add(nn.GlobalAvgPool2D())
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_channels)


# num_layers -> (block type, blocks per stage, channels: stem then each stage)
resnet_spec = {18: ('basic_block', [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ('basic_block', [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ('bottle_neck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ('bottle_neck', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
               152: ('bottle_neck', [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}

resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [{'basic_block': BasicBlockV1, 'bottle_neck': BottleneckV1},
                         {'basic_block': BasicBlockV2, 'bottle_neck': BottleneckV2}]


def get_resnet(version, num_layers, pretrained=False, ctx=cpu(),
               root=os.path.join(data_dir(), 'models'), **kwargs):
    r"""ResNet V1 (`"Deep Residual Learning for Image Recognition"
    <http://arxiv.org/abs/1512.03385>`_) or V2 (`"Identity Mappings in Deep Residual
    Networks" <https://arxiv.org/abs/1603.05027>`_).

    Parameters
    ----------
    version : int
        Version of ResNet. Options are 1, 2.
    num_layers : int
        Numbers of layers. Options are 18, 34, 50, 101, 152.
    pretrained : bool, default False
        Whether to load the pretrained weights (``resnet<n>_v<v>-<hash>.params`` in
        ``root``; distgluon never downloads them).
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default $MXNET_HOME/models
        Location of the model parameters.
    """
    assert num_layers in resnet_spec, \
        'Invalid number of layers: %d. Options are %s' % (num_layers, str(resnet_spec.keys()))
    block_type, layers, channels = resnet_spec[num_layers]
    assert 1 <= version <= 2, 'Invalid resnet version: %d. Options are 1 and 2.' % version
    block_class = resnet_block_versions[version - 1][block_type]
    net = resnet_net_versions[version - 1](block_class, layers, channels, **kwargs)
    if pretrained:
        load_pretrained(net, 'resnet%d_v%d' % (num_layers, version), root, ctx)
    return net


def _constructor(version, num_layers):
    def make(**kwargs):
        return get_resnet(version, num_layers, **kwargs)
    make.__name__ = make.__qualname__ = 'resnet%d_v%d' % (num_layers, version)
    make.__doc__ = r"""ResNet-{n} V{v} model (see `get_resnet`).

    Parameters
    ----------
    pretrained : bool, default False
        Whether to load the pretrained weights for model.
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default '$MXNET_HOME/models'
        Location for keeping the model parameters.
    """.format(n=num_layers, v=version)
    return make


resnet18_v1 = _constructor(1, 18)
resnet34_v1 = _constructor(1, 34)
resnet50_v1 = _constructor(1, 50)
resnet101_v1 = _constructor(1, 101)
resnet152_v1 = _constructor(1, 152)
resnet18_v2 = _constructor(2, 18)
resnet34_v2 = _constructor(2, 34)
resnet50_v2 = _constructor(2, 50)
resnet101_v2 = _constructor(2, 101)
resnet152_v2 = _constructor(2, 152)
