"""``mx.gluon.model_zoo.vision``: the MXNet 1.9.1 model-zoo image classifiers, one family
per module (alexnet, vgg, resnet, densenet, squeezenet, inception, mobilenet), with MXNet's
class names, constructor arguments and parameter names, and ``get_model(name)``.

Construct a model with random weights by calling its constructor::

    from distgluon.gluon.model_zoo import vision
    resnet18 = vision.resnet18_v1()
    alexnet = vision.get_model('alexnet', classes=10)

``pretrained=True`` loads MXNet's published weights file (``alexnet-44335d1f.params``...)
from ``root`` (default ``$MXNET_HOME/models``, i.e. ``~/.mxnet/models``); distgluon never
downloads it (see `distgluon.gluon.model_zoo.model_store`). Pretrained models expect
normalised 3-channel RGB images of at least 224x224 (299x299 for Inception v3).
"""
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .alexnet import __all__ as _alexnet_all
from .densenet import __all__ as _densenet_all
from .inception import __all__ as _inception_all
from .resnet import __all__ as _resnet_all
from .squeezenet import __all__ as _squeezenet_all
from .vgg import __all__ as _vgg_all
from .mobilenet import __all__ as _mobilenet_all

# (the name ``alexnet`` here is the constructor, as in MXNet, not the module)
__all__ = (['get_model'] + _alexnet_all + _densenet_all + _inception_all + _resnet_all +
           _squeezenet_all + _vgg_all + _mobilenet_all)

_models = {
    'resnet18_v1': resnet18_v1, 'resnet34_v1': resnet34_v1, 'resnet50_v1': resnet50_v1,
    'resnet101_v1': resnet101_v1, 'resnet152_v1': resnet152_v1,
    'resnet18_v2': resnet18_v2, 'resnet34_v2': resnet34_v2, 'resnet50_v2': resnet50_v2,
    'resnet101_v2': resnet101_v2, 'resnet152_v2': resnet152_v2,
    'vgg11': vgg11, 'vgg13': vgg13, 'vgg16': vgg16, 'vgg19': vgg19,
    'vgg11_bn': vgg11_bn, 'vgg13_bn': vgg13_bn, 'vgg16_bn': vgg16_bn, 'vgg19_bn': vgg19_bn,
    'alexnet': alexnet,
    'densenet121': densenet121, 'densenet161': densenet161, 'densenet169': densenet169,
    'densenet201': densenet201,
    'squeezenet1.0': squeezenet1_0, 'squeezenet1.1': squeezenet1_1,
    'inceptionv3': inception_v3,
    'mobilenet1.0': mobilenet1_0, 'mobilenet0.75': mobilenet0_75,
    'mobilenet0.5': mobilenet0_5, 'mobilenet0.25': mobilenet0_25,
    'mobilenetv2_1.0': mobilenet_v2_1_0, 'mobilenetv2_0.75': mobilenet_v2_0_75,
    'mobilenetv2_0.5': mobilenet_v2_0_5, 'mobilenetv2_0.25': mobilenet_v2_0_25,
}


def get_model(name, **kwargs):
    """Returns a pre-defined model by name.

    Parameters
    ----------
    name : str
        Name of the model (case-insensitive): ``'alexnet'``, ``'resnet18_v1'`` ...
        ``'resnet152_v2'``, ``'vgg11'`` ... ``'vgg19_bn'``, ``'densenet121'``,
        ``'densenet161'``, ``'densenet169'``, ``'densenet201'``, ``'squeezenet1.0'``,
        ``'squeezenet1.1'``, ``'inceptionv3'``, ``'mobilenet1.0'`` ... ``'mobilenet0.25'``,
        ``'mobilenetv2_1.0'`` ... ``'mobilenetv2_0.25'``.
    pretrained : bool
        Whether to load the pretrained weights for model (from ``root``; never downloaded).
    classes : int
        Number of classes for the output layer.
    ctx : Context, default CPU
        The context in which to load the pretrained weights.
    root : str, default '$MXNET_HOME/models'
        Location of the model parameters.

    Returns
    -------
    gluon.HybridBlock
        The model.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the available ones.
    """
    name = name.lower()
    if name not in _models:
        raise ValueError('Model %s is not supported. Available options are\n\t%s' % (
            name, '\n\t'.join(sorted(_models.keys()))))
    return _models[name](**kwargs)
