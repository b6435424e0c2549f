"""Vision datasets read from local files: MNIST and Fashion-MNIST (IDX files, gzipped
or not), CIFAR-10/100 (the binary batches), ImageRecordDataset (.rec + .idx) and
ImageFolderDataset (one folder per class).

Items are ``(image, label)`` as in MXNet 1.9.1: the image an HxWxC uint8 NDArray
((28, 28, 1) for MNIST, (32, 32, 3) for CIFAR), the label a numpy int32 scalar.

Notes
-----
distgluon never downloads: when a file is missing the error names each missing file,
the directory searched, and where to get it. Unlike MXNet, a missing ``root`` directory
is not created. A local ``cifar-10-binary.tar.gz`` / ``cifar-100-binary.tar.gz`` in
``root`` is extracted, as MXNet does after its download.
"""
import gzip
import io
import os
import struct
import tarfile
import warnings

import numpy as np

from ....base import MXNetError
from .... import recordio
from ..dataset import Dataset, RecordFileDataset

__all__ = ['MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100', 'ImageRecordDataset',
           'ImageFolderDataset']


def _default_root(name):
    home = os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet'))
    return os.path.join(home, 'datasets', name)


def _missing_files_error(dataset, root, missing, source):
    lines = '\n'.join('  - ' + m for m in missing)
    return FileNotFoundError(
        '{ds}: {n} data file(s) not found in {root}:\n{lines}\ndistgluon does not download '
        'datasets (no network access is assumed): get the files from {src} and put them in '
        '{root}, or pass root= the directory that holds them.'.format(
            ds=dataset, n=len(missing), root=os.path.abspath(root), lines=lines, src=source))


def _nd(array):
    from .... import ndarray as nd
    return nd.array(array, dtype=array.dtype)


class _DownloadedDataset(Dataset):
    """An in-memory (data, label) dataset loaded once by ``_get_data``."""

    def __init__(self, root, transform):
        self._transform = transform
        self._data = None
        self._label = None
        self._root = os.path.expanduser(root)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _get_data(self):
        raise NotImplementedError


# -- MNIST ---------------------------------------------------------------------------------

def _read_idx(path, expect_ndim):
    """The array in an IDX file (big-endian header: 0, 0, type 0x08 (ubyte), ndim; dims)."""
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as fin:
            raw = fin.read()
    except (OSError, EOFError) as err:
        raise MXNetError('cannot read IDX file {}: {}'.format(path, err)) from None
    if len(raw) < 4 or raw[0:2] != b'\0\0' or raw[2] != 0x08 or raw[3] != expect_ndim:
        raise MXNetError('{} is not an IDX file of unsigned bytes with {} dimension(s) (magic '
                         '{!r}, expected 0x0000080{})'.format(path, expect_ndim, raw[:4].hex(),
                                                              expect_ndim))
    header = 4 + 4 * expect_ndim
    dims = struct.unpack('>' + 'I' * expect_ndim, raw[4:header])
    count = int(np.prod(dims))
    if len(raw) - header != count:
        raise MXNetError('IDX file {} is truncated or has trailing bytes: its header says {} '
                         '({} bytes of data), found {}'.format(path, dims, count,
                                                               len(raw) - header))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


class MNIST(_DownloadedDataset):
    """MNIST handwritten digits from local IDX files.

    Each sample is ``(image, label)``: a (28, 28, 1) uint8 NDArray and an int32 label.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/mnist
        Directory holding ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
        ``t10k-images-idx3-ubyte[.gz]`` and ``t10k-labels-idx1-ubyte[.gz]``.
    train : bool, default True
        The training set (60,000 images) or the test set (10,000).
    transform : callable, default None
        Called as ``transform(image, label)`` on each sample, e.g.
        ``lambda data, label: (data.astype(np.float32) / 255, label)``.
    """

    _source = 'http://yann.lecun.com/exdb/mnist/ (or any MNIST mirror)'

    def __init__(self, root=_default_root('mnist'), train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _find(self, name):
        for candidate in (name, name + '.gz'):
            path = os.path.join(self._root, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _get_data(self):
        prefix = 'train' if self._train else 't10k'
        names = (prefix + '-images-idx3-ubyte', prefix + '-labels-idx1-ubyte')
        paths = [self._find(n) for n in names]
        missing = ['{0}.gz (or {0})'.format(n) for n, p in zip(names, paths) if p is None]
        if missing:
            raise _missing_files_error(type(self).__name__, self._root, missing, self._source)
        data = _read_idx(paths[0], 3)
        label = _read_idx(paths[1], 1).astype(np.int32)
        if len(data) != len(label):
            raise MXNetError('{} holds {} images but {} holds {} labels'.format(
                paths[0], len(data), paths[1], len(label)))
        self._data = _nd(data.reshape(data.shape + (1,)))
        self._label = label


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same files and format as MNIST) from local IDX files.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/fashion-mnist
    train : bool, default True
    transform : callable, default None
    """

    _source = 'https://github.com/zalandoresearch/fashion-mnist'

    def __init__(self, root=_default_root('fashion-mnist'), train=True, transform=None):
        super().__init__(root, train, transform)


# -- CIFAR ---------------------------------------------------------------------------------

def _extract(archive, root):
    """Extract a local tarball, refusing members that would land outside ``root``."""
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, 'data_filter'):
            tar.extractall(root, filter='data')
            return
        base = os.path.realpath(root)
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join(root, member.name))
            if os.path.commonpath([base, target]) != base or member.issym() or member.islnk():
                raise MXNetError('refusing to extract {} from {}'.format(member.name, archive))
        tar.extractall(root)


class CIFAR10(_DownloadedDataset):
    """CIFAR-10 from the binary batches (``data_batch_1.bin`` ... ``data_batch_5.bin``,
    ``test_batch.bin``) in ``root`` or in ``root/cifar-10-batches-bin``.

    Each sample is a (32, 32, 3) uint8 NDArray and an int32 label.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar10
    train : bool, default True
    transform : callable, default None
    """

    _archive = 'cifar-10-binary.tar.gz'
    _subdir = 'cifar-10-batches-bin'
    _train_files = ['data_batch_%d.bin' % i for i in range(1, 6)]
    _test_files = ['test_batch.bin']
    _label_bytes = 1
    _source = 'https://www.cs.toronto.edu/~kriz/cifar.html (the binary version)'

    def __init__(self, root=_default_root('cifar10'), train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _read_batch(self, filename):
        with open(filename, 'rb') as fin:
            raw = fin.read()
        row = 3072 + self._label_bytes
        if len(raw) % row:
            raise MXNetError('{} is not a CIFAR binary batch: {} bytes is not a multiple of the '
                             '{}-byte record'.format(filename, len(raw), row))
        data = np.frombuffer(raw, dtype=np.uint8).reshape(-1, row)
        return (data[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
                data[:, self._label_column()].astype(np.int32))

    def _label_column(self):
        return 0

    def _locate(self, names):
        """The directory holding every file in ``names``, or None."""
        for folder in (self._root, os.path.join(self._root, self._subdir)):
            if all(os.path.isfile(os.path.join(folder, n)) for n in names):
                return folder
        return None

    def _get_data(self):
        names = self._train_files if self._train else self._test_files
        folder = self._locate(names)
        archive = os.path.join(self._root, self._archive)
        if folder is None and os.path.isfile(archive):
            _extract(archive, self._root)
            folder = self._locate(names)
        if folder is None:
            missing = [n for n in names if not os.path.isfile(os.path.join(self._root, n))
                       and not os.path.isfile(os.path.join(self._root, self._subdir, n))]
            missing = ['{0} (in {1} or {1}/{2})'.format(n, os.path.abspath(self._root),
                                                       self._subdir) for n in missing]
            if not missing:
                missing = ['{} (all in the same folder)'.format(', '.join(names))]
            raise _missing_files_error(type(self).__name__, self._root, missing, self._source)
        data, label = zip(*(self._read_batch(os.path.join(folder, n)) for n in names))
        data = np.concatenate(data)
        self._data = _nd(np.ascontiguousarray(data))
        self._label = np.concatenate(label)


class CIFAR100(CIFAR10):
    """CIFAR-100 from ``train.bin`` / ``test.bin`` in ``root`` or
    ``root/cifar-100-binary``.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar100
    fine_label : bool, default False
        The 100 fine classes instead of the 20 coarse super-classes.
    train : bool, default True
    transform : callable, default None
    """

    _archive = 'cifar-100-binary.tar.gz'
    _subdir = 'cifar-100-binary'
    _train_files = ['train.bin']
    _test_files = ['test.bin']
    _label_bytes = 2

    def __init__(self, root=_default_root('cifar100'), fine_label=False, train=True,
                 transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self):
        return 0 + bool(self._fine_label)


# -- encoded images ----------------------------------------------------------------------

def _imdecode(buf, flag, what):
    """Decode image bytes to an RGB (flag 1) or grey (flag 0) HxWxC uint8 array."""
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        img = cv2.imdecode(np.frombuffer(buf, dtype=np.uint8), 1 if flag else 0)
        if img is None:
            raise MXNetError('cannot decode the image in {}'.format(what))
        return img[:, :, None] if img.ndim == 2 else img[:, :, ::-1]
    try:
        from PIL import Image
    except ImportError:
        raise MXNetError('decoding the image in {} needs an image codec: install Pillow or '
                         'opencv-python'.format(what)) from None
    try:
        img = Image.open(io.BytesIO(bytes(buf)))
        arr = np.asarray(img.convert('RGB' if flag else 'L'))
    except Exception as err:
        raise MXNetError('cannot decode the image in {}: {}'.format(what, err)) from None
    return arr[:, :, None] if arr.ndim == 2 else arr


class ImageRecordDataset(RecordFileDataset):
    """Images and labels from a RecordIO file (``.rec``, with its ``.idx`` beside it)
    written by ``recordio.pack_img`` / MXNet's im2rec.

    Parameters
    ----------
    filename : str
        Path of the ``.rec`` file.
    flag : {0, 1}, default 1
        0: decode to greyscale (H, W, 1); 1: to colour RGB (H, W, 3).
    transform : callable, default None
        Called as ``transform(image, label)``.
    """

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        record = super().__getitem__(idx)
        header, img = recordio.unpack(record)
        what = 'record {} of {}'.format(idx, self.filename)
        img = _nd(_imdecode(img, self._flag, what))
        if self._transform is not None:
            return self._transform(img, header.label)
        return img, header.label


class ImageFolderDataset(Dataset):
    """Images stored as ``root/<class name>/<image>.jpg|.jpeg|.png``; labels are the
    class folders' indices in sorted order.

    Parameters
    ----------
    root : str
    flag : {0, 1}, default 1
        0: greyscale, 1: colour RGB.
    transform : callable, default None
        Called as ``transform(image, label)``.

    Attributes
    ----------
    synsets : list of str
        Class names; ``synsets[i]`` is the name of label i.
    items : list of (filename, label)
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = ['.jpg', '.jpeg', '.png']
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        if not os.path.isdir(root):
            raise FileNotFoundError('ImageFolderDataset: {} is not a directory'.format(
                os.path.abspath(root)))
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn('Ignoring %s, which is not a directory.' % path, stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn('Ignoring %s of type %s. Only support %s' % (
                        filename, ext, ', '.join(self._exts)))
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        filename, label = self.items[idx]
        with open(filename, 'rb') as fin:
            img = _nd(_imdecode(fin.read(), self._flag, filename))
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)
