"""gluon.data.vision: datasets read from files the tests write in the standard formats
themselves (IDX, CIFAR binary, RecordIO), and transforms checked against MXNet 1.9.1.

The transform fixtures (tests/fixtures/vision/transforms.npz) come from
tests/fixtures/vision/make_vision_fixtures.py run in the MXNet 1.9.1 venv; the cases are
in tests/fixtures/vision/vision_cases.py, shared by both sides.
"""
import gzip
import importlib.util
import os
import random
import struct
import tarfile

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.gluon.data import DataLoader
from distgluon.gluon.data import vision
from distgluon.gluon.data.vision import transforms as T

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'vision')


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        'vision_cases', os.path.join(FIXTURES, 'vision_cases.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


CASES = _load_cases()
ARRAYS = np.load(os.path.join(FIXTURES, 'transforms.npz'))


# -- writers of the standard formats ---------------------------------------------------------

def write_idx(path, array, gz):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack('>' + 'I' * array.ndim, *array.shape)
    with (gzip.open if gz else open)(path, 'wb') as f:
        f.write(header + array.tobytes())


def write_mnist(root, n_train=7, n_test=3, gz=True, seed=0):
    rs = np.random.RandomState(seed)
    sets = {}
    for prefix, n in (('train', n_train), ('t10k', n_test)):
        images = rs.randint(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rs.randint(0, 10, n).astype(np.uint8)
        ext = '.gz' if gz else ''
        write_idx(os.path.join(root, prefix + '-images-idx3-ubyte' + ext), images, gz)
        write_idx(os.path.join(root, prefix + '-labels-idx1-ubyte' + ext), labels, gz)
        sets[prefix] = (images, labels)
    return sets


def cifar_records(rs, n, label_bytes):
    """n records: label byte(s), then 1024 R, 1024 G, 1024 B bytes (row-major 32x32)."""
    labels = rs.randint(0, 100, (n, label_bytes)).astype(np.uint8)
    images = rs.randint(0, 256, (n, 32, 32, 3)).astype(np.uint8)
    planes = [images[i, :, :, c].tobytes() for i in range(n) for c in range(3)]
    raw = b''.join(labels[i].tobytes() + b''.join(planes[3 * i:3 * i + 3]) for i in range(n))
    return raw, images, labels


# -- MNIST -------------------------------------------------------------------------------------

@pytest.mark.parametrize('gz', [True, False])
def test_mnist_reads_idx_files(tmp_path, gz):
    sets = write_mnist(str(tmp_path), gz=gz)
    for train, key in ((True, 'train'), (False, 't10k')):
        ds = vision.MNIST(root=str(tmp_path), train=train)
        images, labels = sets[key]
        assert len(ds) == len(labels)
        img, label = ds[2]
        assert isinstance(img, mx.nd.NDArray)
        assert img.shape == (28, 28, 1) and img.dtype == np.uint8
        np.testing.assert_array_equal(img.asnumpy()[:, :, 0], images[2])
        assert type(label) is np.int32 and label == labels[2]


def test_fashion_mnist_and_transform(tmp_path):
    sets = write_mnist(str(tmp_path), seed=3)
    ds = vision.FashionMNIST(root=str(tmp_path), train=False,
                             transform=lambda d, l: (d.astype('float32') / 255, l + 1))
    img, label = ds[1]
    np.testing.assert_allclose(img.asnumpy()[:, :, 0], sets['t10k'][0][1] / 255.0, rtol=1e-6)
    assert label == sets['t10k'][1][1] + 1


def test_mnist_missing_files_names_each_file_and_directory(tmp_path):
    write_idx(str(tmp_path / 'train-labels-idx1-ubyte'), np.zeros(3), gz=False)
    with pytest.raises(FileNotFoundError) as err:
        vision.MNIST(root=str(tmp_path))
    msg = str(err.value)
    assert 'train-images-idx3-ubyte.gz' in msg and str(tmp_path) in msg
    assert 'train-labels' not in msg            # that one is present
    assert 'download' in msg
    with pytest.raises(FileNotFoundError) as err:
        vision.MNIST(root=str(tmp_path / 'nowhere'), train=False)
    msg = str(err.value)
    assert 't10k-images-idx3-ubyte.gz' in msg and 't10k-labels-idx1-ubyte.gz' in msg
    assert str(tmp_path / 'nowhere') in msg


def test_mnist_corrupt_files(tmp_path):
    write_mnist(str(tmp_path), gz=False)
    path = tmp_path / 'train-images-idx3-ubyte'
    raw = path.read_bytes()
    path.write_bytes(raw[:-5])
    with pytest.raises(MXNetError, match='truncated'):
        vision.MNIST(root=str(tmp_path))
    path.write_bytes(b'\x00\x00\x09\x03' + raw[4:])
    with pytest.raises(MXNetError, match='not an IDX file'):
        vision.MNIST(root=str(tmp_path))


def test_dataloader_over_mnist_with_to_tensor(tmp_path):
    sets = write_mnist(str(tmp_path), n_train=10)
    ds = vision.MNIST(root=str(tmp_path)).transform_first(T.ToTensor())
    batches = list(DataLoader(ds, batch_size=4, last_batch='keep'))
    assert [b[0].shape for b in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    data = np.concatenate([b[0].asnumpy() for b in batches])
    label = np.concatenate([b[1].asnumpy() for b in batches])
    assert data.dtype == np.float32 and label.dtype == np.int32
    np.testing.assert_allclose(data[:, 0], sets['train'][0] / np.float32(255), rtol=1e-6)
    np.testing.assert_array_equal(label, sets['train'][1])


# -- CIFAR -------------------------------------------------------------------------------------

@pytest.mark.parametrize('subdir', ['', 'cifar-10-batches-bin'])
def test_cifar10_binary_batches(tmp_path, subdir):
    folder = tmp_path / subdir
    folder.mkdir(exist_ok=True)
    rs = np.random.RandomState(1)
    train_imgs, train_lbls = [], []
    for i in range(1, 6):
        raw, imgs, lbls = cifar_records(rs, i, 1)
        (folder / ('data_batch_%d.bin' % i)).write_bytes(raw)
        train_imgs.append(imgs)
        train_lbls.append(lbls[:, 0])
    raw, test_imgs, test_lbls = cifar_records(rs, 2, 1)
    (folder / 'test_batch.bin').write_bytes(raw)
    ds = vision.CIFAR10(root=str(tmp_path))
    assert len(ds) == 15
    img, label = ds[7]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img.asnumpy(), np.concatenate(train_imgs)[7])
    assert type(label) is np.int32 and label == np.concatenate(train_lbls)[7]
    test = vision.CIFAR10(root=str(tmp_path), train=False)
    assert len(test) == 2
    np.testing.assert_array_equal(test[1][0].asnumpy(), test_imgs[1])


def test_cifar100_fine_and_coarse_labels_from_archive(tmp_path):
    rs = np.random.RandomState(2)
    raw, imgs, lbls = cifar_records(rs, 4, 2)
    src = tmp_path / 'src' / 'cifar-100-binary'
    src.mkdir(parents=True)
    (src / 'train.bin').write_bytes(raw)
    (src / 'test.bin').write_bytes(raw[:3074])
    root = tmp_path / 'root'
    root.mkdir()
    with tarfile.open(str(root / 'cifar-100-binary.tar.gz'), 'w:gz') as tar:
        tar.add(str(src), arcname='cifar-100-binary')
    coarse = vision.CIFAR100(root=str(root))
    fine = vision.CIFAR100(root=str(root), fine_label=True)
    assert [int(coarse[i][1]) for i in range(4)] == lbls[:, 0].tolist()
    assert [int(fine[i][1]) for i in range(4)] == lbls[:, 1].tolist()
    np.testing.assert_array_equal(fine[3][0].asnumpy(), imgs[3])
    assert len(vision.CIFAR100(root=str(root), train=False)) == 1


def test_cifar_missing_files(tmp_path):
    (tmp_path / 'data_batch_1.bin').write_bytes(b'')
    with pytest.raises(FileNotFoundError) as err:
        vision.CIFAR10(root=str(tmp_path))
    msg = str(err.value)
    for i in range(2, 6):
        assert 'data_batch_%d.bin' % i in msg
    assert 'data_batch_1.bin (' not in msg and str(tmp_path) in msg and 'download' in msg
    with pytest.raises(FileNotFoundError, match='test.bin'):
        vision.CIFAR100(root=str(tmp_path), train=False)


def test_cifar_bad_batch_size(tmp_path):
    (tmp_path / 'test_batch.bin').write_bytes(b'\0' * 3000)
    with pytest.raises(MXNetError, match='test_batch.bin'):
        vision.CIFAR10(root=str(tmp_path), train=False)


# -- RecordIO ----------------------------------------------------------------------------------

def _have_codec():
    for name in ('cv2', 'PIL'):
        if importlib.util.find_spec(name) is not None:
            return True
    return False


def _write_rec(tmp_path, imgs, labels):
    rec, idx = str(tmp_path / 'imgs.rec'), str(tmp_path / 'imgs.idx')
    writer = mx.recordio.MXIndexedRecordIO(idx, rec, 'w')
    for i, (img, lbl) in enumerate(zip(imgs, labels)):
        header = mx.recordio.IRHeader(0, lbl, i, 0)
        writer.write_idx(i, mx.recordio.pack_img(header, img[:, :, ::-1], img_fmt='.png'))
    writer.close()
    return rec


@pytest.mark.skipif(not _have_codec(), reason='no image codec (Pillow / opencv) installed')
def test_image_record_dataset(tmp_path):
    rs = np.random.RandomState(3)
    imgs = [rs.randint(0, 256, (5 + i, 7, 3)).astype(np.uint8) for i in range(3)]
    rec = _write_rec(tmp_path, imgs, [0.0, 1.0, 2.0])
    ds = vision.ImageRecordDataset(rec)
    assert len(ds) == 3
    img, label = ds[2]
    np.testing.assert_array_equal(img.asnumpy(), imgs[2])      # PNG is lossless, RGB out
    assert label == 2.0
    gray, _ = vision.ImageRecordDataset(rec, flag=0)[0]
    assert gray.shape == (5, 7, 1)
    loader = DataLoader(vision.ImageRecordDataset(rec).transform_first(T.Resize((4, 4))),
                        batch_size=3)
    assert next(iter(loader))[0].shape == (3, 4, 4, 3)


@pytest.mark.skipif(_have_codec(), reason='an image codec is installed')
def test_image_record_dataset_without_codec_says_what_to_install(tmp_path):
    rec, idx = str(tmp_path / 'x.rec'), str(tmp_path / 'x.idx')
    writer = mx.recordio.MXIndexedRecordIO(idx, rec, 'w')
    writer.write_idx(0, mx.recordio.pack(mx.recordio.IRHeader(0, 1.0, 0, 0), b'\x89PNG...'))
    writer.close()
    ds = vision.ImageRecordDataset(rec)
    assert len(ds) == 1
    with pytest.raises(MXNetError, match='Pillow'):
        ds[0]


# -- transforms vs MXNet -----------------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(CASES))
def test_transform_matches_mxnet(name):
    expr, _, dtype, seed = CASES[name]
    block = eval(expr, {'T': T})
    if seed is not None:
        random.seed(seed)
    out = block(mx.nd.array(ARRAYS[name + '.in'], dtype=dtype)).asnumpy()
    ref = ARRAYS[name + '.out']
    assert out.shape == ref.shape and out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)


def _bilinear_reference(img, w, h):
    """Plain float bilinear with OpenCV's pixel-centre convention (independent oracle)."""
    ih, iw = img.shape[:2]
    ys = np.clip((np.arange(h) + 0.5) * ih / h - 0.5, 0, ih - 1)
    xs = np.clip((np.arange(w) + 0.5) * iw / w - 0.5, 0, iw - 1)
    out = np.empty((h, w, img.shape[2]))
    for i, y in enumerate(ys):
        y0 = int(np.floor(y))
        y1, fy = min(y0 + 1, ih - 1), y - y0
        for j, x in enumerate(xs):
            x0 = int(np.floor(x))
            x1, fx = min(x0 + 1, iw - 1), x - x0
            top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
            bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
            out[i, j] = top * (1 - fy) + bottom * fy
    return out


@pytest.mark.parametrize('shape,size', [((6, 9, 3), (13, 5)), ((17, 11, 1), (4, 7)),
                                        ((3, 4, 3), (10, 10))])
def test_resize_is_bilinear_within_one_level(shape, size):
    img = np.random.RandomState(4).randint(0, 256, shape).astype(np.uint8)
    out = T.Resize(size)(mx.nd.array(img, dtype='uint8')).asnumpy().astype(float)
    ref = _bilinear_reference(img.astype(float), *size)
    assert np.abs(out - ref).max() <= 1.0
    outf = T.Resize(size)(mx.nd.array(img, dtype='float32')).asnumpy()
    np.testing.assert_allclose(outf, ref, atol=1e-3)


def test_center_crop_geometry():
    img = np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3)
    out = T.CenterCrop((4, 3))(mx.nd.array(img, dtype='uint8')).asnumpy()
    np.testing.assert_array_equal(out, img[2:5, 2:6])
    assert T.CenterCrop(20)(mx.nd.array(img, dtype='uint8')).shape == (20, 20, 3)


def test_random_resized_crop_uses_python_random():
    img = mx.nd.array(np.random.RandomState(5).randint(0, 256, (30, 40, 3)), dtype='uint8')
    t = T.RandomResizedCrop((8, 6), scale=(0.2, 0.5))
    random.seed(11)
    a = t(img).asnumpy()
    random.seed(11)
    b = t(img).asnumpy()
    assert a.shape == (6, 8, 3)
    np.testing.assert_array_equal(a, b)


def test_random_flips():
    img = np.random.RandomState(6).randint(0, 256, (4, 5, 3)).astype(np.uint8)
    x = mx.nd.array(img, dtype='uint8')
    mx.random.seed(0)
    for block, flipped in ((T.RandomFlipLeftRight(), img[:, ::-1]),
                           (T.RandomFlipTopBottom(), img[::-1])):
        seen = set()
        for _ in range(30):
            out = block(x).asnumpy()
            if np.array_equal(out, img):
                seen.add('same')
            else:
                np.testing.assert_array_equal(out, flipped)
                seen.add('flipped')
        assert seen == {'same', 'flipped'}


def test_random_colour_transforms():
    rs = np.random.RandomState(7)
    img = rs.randint(1, 200, (6, 5, 3)).astype(np.uint8)
    x = mx.nd.array(img, dtype='uint8')
    mx.random.seed(1)
    out = T.RandomBrightness(0.5)(x).asnumpy().astype(float)
    alpha = out.sum() / img.sum()
    assert 0.5 <= alpha <= 1.5 and np.abs(out - img * alpha).max() <= 1.0
    for block in (T.RandomContrast(0), T.RandomSaturation(0), T.RandomBrightness(0)):
        np.testing.assert_array_equal(block(x).asnumpy(), img)     # factor exactly 1
    gray = np.repeat(img[:, :, :1], 3, axis=2)                     # R = G = B
    out = T.RandomSaturation(0.9)(mx.nd.array(gray, dtype='uint8')).asnumpy()
    assert np.abs(out.astype(int) - gray).max() <= 1
    out = T.RandomContrast(0.9)(x).asnumpy().astype(float)
    luma = img.astype(float) @ [0.299, 0.587, 0.114]
    centred = (out - luma.mean()) / (img - luma.mean())            # one factor everywhere
    assert np.ptp(centred[np.abs(img - luma.mean()) > 20]) < 0.1
    out = T.RandomLighting(0.1)(mx.nd.array(img.astype(np.float32))).asnumpy()
    shift = out - img
    np.testing.assert_allclose(shift, np.broadcast_to(shift[0, 0], shift.shape), atol=1e-4)


def test_compose_groups_hybrid_runs_and_keeps_the_list():
    steps = [T.Resize(8), T.CenterCrop(6), T.ToTensor(), T.Normalize(0.5, 0.2)]
    t = T.Compose(steps)
    assert len(steps) == 4
    kinds = [type(c).__name__ for c in t._children.values()]
    assert kinds == ['Resize', 'CenterCrop', 'HybridSequential']
    h = T.HybridCompose([T.ToTensor(), T.Normalize(0.5, 0.2)])
    img = mx.nd.array(np.full((2, 3, 1), 51), dtype='uint8')
    np.testing.assert_allclose(h(img).asnumpy(), np.full((1, 2, 3), (0.2 - 0.5) / 0.2),
                               rtol=1e-6)
    with pytest.raises(ValueError, match='HybridBlocks only'):
        T.HybridCompose([T.CenterCrop(3)])


def test_transform_errors():
    with pytest.raises(MXNetError, match='dimension should be 3 or 4'):
        T.Resize(3)(mx.nd.zeros((4, 5), dtype='uint8'))
    with pytest.raises(MXNetError, match='1 or 3 elements'):
        T.Normalize((0.1, 0.2), (1, 1))(mx.nd.zeros((3, 4, 5)))
    with pytest.raises(MXNetError, match='height, width, channels'):
        T.ToTensor()(mx.nd.zeros((4, 5), dtype='uint8'))
