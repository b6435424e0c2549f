"""SqueezeNet 1.0 ("SqueezeNet: AlexNet-level accuracy...", https://arxiv.org/abs/1602.07360)
and 1.1 (the official SqueezeNet repo's v1.1) as MXNet 1.9.1's model zoo defines them:
fire modules are unprefixed HybridSequentials, so every convolution is named by the net
(``squeezenet0_conv0_weight`` ... ``squeezenet0_conv25_weight``)."""
import os

from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ..model_store import data_dir, load_pretrained
from ._concurrent import HybridConcurrent

__all__ = ['SqueezeNet', 'squeezenet1_0', 'squeezenet1_1']


def _make_fire(squeeze_channels, expand1x1_channels, expand3x3_channels):
    """Squeeze 1x1, then 1x1 and 3x3 expansions concatenated along channels."""
    out = nn.HybridSequential(prefix='')
    out.add(_make_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix='')
    paths.add(_make_fire_conv(expand1x1_channels, 1))
    paths.add(_make_fire_conv(expand3x3_channels, 3, 1))
    out.add(paths)
    return out


def _make_fire_conv(channels, kernel_size, padding=0):
    out = nn.HybridSequential(prefix='')
    out.add(nn.Conv2D(channels, kernel_size, padding=padding))
    out.add(nn.Activation('relu'))
    return out


def _pool():
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


# version -> (stem conv (channels, kernel), layout of the feature stack after the stem's
# relu + pool: 'pool' or (squeeze, expand1x1, expand3x3) of a fire module)
_FEATURES = {
    '1.0': ((96, 7), [(16, 64, 64), (16, 64, 64), (32, 128, 128), 'pool', (32, 128, 128),
                      (48, 192, 192), (48, 192, 192), (64, 256, 256), 'pool',
                      (64, 256, 256)]),
    '1.1': ((64, 3), [(16, 64, 64), (16, 64, 64), 'pool', (32, 128, 128), (32, 128, 128),
                      'pool', (48, 192, 192), (48, 192, 192), (64, 256, 256),
                      (64, 256, 256)]),
}


class SqueezeNet(HybridBlock):
    r"""SqueezeNet model from the `"SqueezeNet: AlexNet-level accuracy with 50x fewer
    parameters and <0.5MB model size" <https://arxiv.org/abs/1602.07360>`_ paper.
    SqueezeNet 1.1 model from the `official SqueezeNet repo
    <https://github.com/DeepScale/SqueezeNet/tree/master/SqueezeNet_v1.1>`_.
    SqueezeNet 1.1 has 2.4x less computation and slightly fewer parameters
    than SqueezeNet 1.0, without sacrificing accuracy.

    Parameters
    ----------
    version : str
        Version of squeezenet. Options are '1.0', '1.1'.
    classes : int, default 1000
        Number of classification classes.
    """

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        assert version in ['1.0', '1.1'], ('Unsupported SqueezeNet version {version}:'
                                           '1.0 or 1.1 expected'.format(version=version))
        (stem_channels, stem_kernel), layout = _FEATURES[version]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(stem_channels, kernel_size=stem_kernel, strides=2))
            self.features.add(nn.Activation('relu'))
            self.features.add(_pool())
            for item in layout:
                self.features.add(_pool() if item == 'pool' else _make_fire(*item))
            self.features.add(nn.Dropout(0.5))

            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, kernel_size=1))
            self.output.add(nn.Activation('relu'))
            self.output.add(nn.AvgPool2D(13))
            self.output.add(nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=cpu(),
                   root=os.path.join(data_dir(), 'models'), **kwargs):
    r"""SqueezeNet model (version '1.0' or '1.1', see `SqueezeNet`).

    Parameters
    ----------
    version : str
        Version of squeezenet. Options are '1.0', '1.1'.
    pretrained : bool, default False
        Whether to load the pretrained weights (``squeezenet<version>-<hash>.params`` in
        ``root``; distgluon never downloads them).
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default $MXNET_HOME/models
        Location of the model parameters.
    """
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        load_pretrained(net, 'squeezenet%s' % version, root, ctx)
    return net


def squeezenet1_0(**kwargs):
    r"""SqueezeNet 1.0 model from the `"SqueezeNet: AlexNet-level accuracy with 50x fewer
    parameters and <0.5MB model size" <https://arxiv.org/abs/1602.07360>`_ paper.

    Parameters
    ----------
    pretrained : bool, default False
        Whether to load the pretrained weights for model.
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default '$MXNET_HOME/models'
        Location for keeping the model parameters.
    """
    return get_squeezenet('1.0', **kwargs)


def squeezenet1_1(**kwargs):
    r"""SqueezeNet 1.1 model from the `official SqueezeNet repo
    <https://github.com/DeepScale/SqueezeNet/tree/master/SqueezeNet_v1.1>`_.

    Parameters
    ----------
    pretrained : bool, default False
        Whether to load the pretrained weights for model.
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default '$MXNET_HOME/models'
        Location for keeping the model parameters.
    """
    return get_squeezenet('1.1', **kwargs)
