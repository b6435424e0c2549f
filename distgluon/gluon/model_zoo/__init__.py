"""``mx.gluon.model_zoo``: predefined models (``vision``: AlexNet, VGG, ResNet, DenseNet,
SqueezeNet, Inception v3, MobileNet v1/v2, named exactly as MXNet 1.9.1 names them) and
``model_store``, which finds pretrained weights files on disk (distgluon never downloads).
"""
from . import model_store
from . import vision

__all__ = ['model_store', 'vision']
