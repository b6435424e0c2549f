"""``mx.gluon.data.vision``: image datasets read from local files (datasets.py), image
transforms as Blocks (transforms.py) and their numpy arithmetic (image_ops.py)."""
from .datasets import (MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageRecordDataset,
                       ImageFolderDataset)
from . import transforms

__all__ = ['MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100', 'ImageRecordDataset',
           'ImageFolderDataset', 'transforms']
