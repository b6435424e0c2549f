"""Inception v3 ("Rethinking the Inception Architecture for Computer Vision",
http://arxiv.org/abs/1512.00567) as MXNet 1.9.1's model zoo defines it: the stem's
convolutions are named by the net (``inception30_conv0_weight``), each mixed block is a
HybridConcurrent with its own prefix (``inception30_A1_conv0_weight``, ``..._E2_...``)."""
import os

from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ..model_store import data_dir, load_pretrained
from ._concurrent import HybridConcurrent

__all__ = ['Inception3', 'inception_v3']

_SETTING_NAMES = ('channels', 'kernel_size', 'strides', 'padding')


def _make_basic_conv(**kwargs):
    """Conv2D (no bias) + BatchNorm(epsilon=0.001) + relu."""
    out = nn.HybridSequential(prefix='')
    out.add(nn.Conv2D(use_bias=False, **kwargs))
    out.add(nn.BatchNorm(epsilon=0.001))
    out.add(nn.Activation('relu'))
    return out


def _make_branch(use_pool, *conv_settings):
    """An optional pool ('avg': 3x3/1 pad 1, 'max': 3x3/2), then one basic conv per
    ``(channels, kernel_size, strides, padding)`` setting (None = the default)."""
    out = nn.HybridSequential(prefix='')
    if use_pool == 'avg':
        out.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif use_pool == 'max':
        out.add(nn.MaxPool2D(pool_size=3, strides=2))
    for setting in conv_settings:
        kwargs = {name: value for name, value in zip(_SETTING_NAMES, setting)
                  if value is not None}
        out.add(_make_basic_conv(**kwargs))
    return out


def _concurrent(prefix, *branches):
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        for use_pool, settings in branches:
            out.add(_make_branch(use_pool, *settings))
    return out


def _make_A(pool_features, prefix):
    return _concurrent(prefix,
                       (None, [(64, 1, None, None)]),
                       (None, [(48, 1, None, None), (64, 5, None, 2)]),
                       (None, [(64, 1, None, None), (96, 3, None, 1), (96, 3, None, 1)]),
                       ('avg', [(pool_features, 1, None, None)]))


def _make_B(prefix):
    return _concurrent(prefix,
                       (None, [(384, 3, 2, None)]),
                       (None, [(64, 1, None, None), (96, 3, None, 1), (96, 3, 2, None)]),
                       ('max', []))


def _make_C(channels_7x7, prefix):
    c = channels_7x7
    return _concurrent(prefix,
                       (None, [(192, 1, None, None)]),
                       (None, [(c, 1, None, None), (c, (1, 7), None, (0, 3)),
                               (192, (7, 1), None, (3, 0))]),
                       (None, [(c, 1, None, None), (c, (7, 1), None, (3, 0)),
                               (c, (1, 7), None, (0, 3)), (c, (7, 1), None, (3, 0)),
                               (192, (1, 7), None, (0, 3))]),
                       ('avg', [(192, 1, None, None)]))


def _make_D(prefix):
    return _concurrent(prefix,
                       (None, [(192, 1, None, None), (320, 3, 2, None)]),
                       (None, [(192, 1, None, None), (192, (1, 7), None, (0, 3)),
                               (192, (7, 1), None, (3, 0)), (192, 3, 2, None)]),
                       ('max', []))


def _split_branch(first_settings):
    """A branch: basic convs, then a 1x3 and a 3x1 conv side by side (concatenated)."""
    branch = nn.HybridSequential(prefix='')
    branch.add(_make_branch(None, *first_settings))
    split = HybridConcurrent(axis=1, prefix='')
    split.add(_make_branch(None, (384, (1, 3), None, (0, 1))))
    split.add(_make_branch(None, (384, (3, 1), None, (1, 0))))
    branch.add(split)
    return branch


def _make_E(prefix):
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (320, 1, None, None)))
        out.add(_split_branch([(384, 1, None, None)]))
        out.add(_split_branch([(448, 1, None, None), (384, 3, None, 1)]))
        out.add(_make_branch('avg', (192, 1, None, None)))
    return out


def make_aux(classes):
    """The auxiliary classifier head (defined by MXNet's model zoo, unused by Inception3)."""
    out = nn.HybridSequential(prefix='')
    out.add(nn.AvgPool2D(pool_size=5, strides=3))
    out.add(_make_basic_conv(channels=128, kernel_size=1))
    out.add(_make_basic_conv(channels=768, kernel_size=5))
    out.add(nn.Flatten())
    out.add(nn.Dense(classes))
    return out


class Inception3(HybridBlock):
    r"""Inception v3 model from `"Rethinking the Inception Architecture for Computer Vision"
    <http://arxiv.org/abs/1512.00567>`_ paper (input 299x299).

    Parameters
    ----------
    classes : int, default 1000
        Number of classification classes.
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(_make_basic_conv(channels=32, kernel_size=3, strides=2))
            self.features.add(_make_basic_conv(channels=32, kernel_size=3))
            self.features.add(_make_basic_conv(channels=64, kernel_size=3, padding=1))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
            self.features.add(_make_basic_conv(channels=80, kernel_size=1))
            self.features.add(_make_basic_conv(channels=192, kernel_size=3))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
            self.features.add(_make_A(32, 'A1_'))
            self.features.add(_make_A(64, 'A2_'))
            self.features.add(_make_A(64, 'A3_'))
            self.features.add(_make_B('B_'))
            self.features.add(_make_C(128, 'C1_'))
            self.features.add(_make_C(160, 'C2_'))
            self.features.add(_make_C(160, 'C3_'))
            self.features.add(_make_C(192, 'C4_'))
            self.features.add(_make_D('D_'))
            self.features.add(_make_E('E1_'))
            self.features.add(_make_E('E2_'))
            self.features.add(nn.AvgPool2D(pool_size=8))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def inception_v3(pretrained=False, ctx=cpu(), root=os.path.join(data_dir(), 'models'),
                 **kwargs):
    r"""Inception v3 model from `"Rethinking the Inception Architecture for Computer Vision"
    <http://arxiv.org/abs/1512.00567>`_ paper.

    Parameters
    ----------
    pretrained : bool, default False
        Whether to load the pretrained weights (``inceptionv3-ed47ec45.params`` in ``root``;
        distgluon never downloads it).
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default $MXNET_HOME/models
        Location of the model parameters.
    """
    net = Inception3(**kwargs)
    if pretrained:
        load_pretrained(net, 'inceptionv3', root, ctx)
    return net
