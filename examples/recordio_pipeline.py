"""A data pipeline over RecordIO files: write .rec/.idx, read them back, train.

1. Writes ``train.rec``/``train.idx`` and ``val.rec``/``val.idx`` with
   ``mx.recordio.MXIndexedRecordIO``: one record per 8x8 grey image, packed by
   ``recordio.pack(IRHeader(flag, label, id, id2), raw_uint8_bytes)``. The pixels are
   stored raw (no JPEG/PNG), so no image codec is needed; the files are in MXNet's own
   RecordIO format and can be read by MXNet.
2. Reads them with ``gluon.data.RecordFileDataset`` (random access through the .idx),
   decodes each record with ``recordio.unpack`` in a ``Dataset.transform``, converts the
   image with ``vision.transforms`` (ToTensor, Normalize) in ``transform_first``, and
   batches it with a ``DataLoader`` using worker processes.
3. Trains a small CNN on the four synthetic classes (a horizontal bar, a vertical bar,
   a diagonal, a square) and prints one line per epoch and the validation accuracy::

    python examples/recordio_pipeline.py                    # files in a temporary dir
    python examples/recordio_pipeline.py --workdir data/ --num-workers 4 --epochs 5
"""
import argparse
import os
import shutil
import tempfile

import numpy as np

import distgluon as mx
from distgluon import autograd, gluon, recordio
from distgluon.gluon import nn
from distgluon.gluon.data.vision import transforms

SIZE = 8          # images are SIZE x SIZE x 1, uint8
CLASSES = 4


def make_images(n, seed):
    """n noisy 8x8 uint8 images of four patterns; labels 0..3."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, CLASSES, size=n)
    img = rng.uniform(0, 60, size=(n, SIZE, SIZE))
    pos = rng.randint(0, SIZE, size=n)
    ar = np.arange(SIZE)
    i = np.flatnonzero(y == 0)
    img[i, pos[i], :] += 180                                   # horizontal bar
    i = np.flatnonzero(y == 1)
    img[i, :, pos[i]] += 180                                   # vertical bar
    i = np.flatnonzero(y == 2)
    img[i[:, None], ar, (ar + pos[i, None]) % SIZE] += 180     # (wrapped) diagonal
    i = np.flatnonzero(y == 3)
    r0, c0 = pos[i, None, None] % (SIZE - 3), pos[i[::-1], None, None] % (SIZE - 3)
    rr, cc = ar[None, :, None], ar[None, None, :]
    img[i] += 180 * ((rr >= r0) & (rr < r0 + 3) & (cc >= c0) & (cc < c0 + 3))
    return np.clip(img, 0, 255).astype(np.uint8), y


def write_records(prefix, images, labels):
    """Write prefix.rec and prefix.idx: record i = pack(IRHeader(0, label, i, 0), pixels)."""
    writer = recordio.MXIndexedRecordIO(prefix + '.idx', prefix + '.rec', 'w')
    for i, (img, label) in enumerate(zip(images, labels)):
        header = recordio.IRHeader(0, float(label), i, 0)
        writer.write_idx(i, recordio.pack(header, img.tobytes()))
    writer.close()
    return prefix + '.rec'


def decode(record):
    """bytes of one record -> (HWC uint8 image NDArray, float32 label)."""
    header, payload = recordio.unpack(record)
    img = np.frombuffer(payload, dtype=np.uint8).reshape(SIZE, SIZE, 1)
    return mx.nd.array(img, dtype='uint8'), np.float32(header.label)


def loader(rec_file, batch_size, num_workers, shuffle):
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.3, 0.3)])
    dataset = gluon.data.RecordFileDataset(rec_file).transform(decode) \
                                                    .transform_first(to_tensor)
    return gluon.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                 num_workers=num_workers)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--workdir', help='where the .rec/.idx files go (default: a temporary '
                   'directory, removed at the end)')
    p.add_argument('--train-size', type=int, default=800)
    p.add_argument('--val-size', type=int, default=200)
    p.add_argument('--num-workers', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    workdir = args.workdir or tempfile.mkdtemp(prefix='recordio_pipeline_')
    os.makedirs(workdir, exist_ok=True)
    try:
        x, y = make_images(args.train_size + args.val_size, args.seed)
        n = args.train_size
        train_rec = write_records(os.path.join(workdir, 'train'), x[:n], y[:n])
        val_rec = write_records(os.path.join(workdir, 'val'), x[n:], y[n:])
        print('wrote %s (%d records, %d bytes) and %s (%d records)' % (
            train_rec, n, os.path.getsize(train_rec), val_rec, args.val_size))
        train_data = loader(train_rec, args.batch_size, args.num_workers, True)
        val_data = loader(val_rec, args.batch_size, args.num_workers, False)

        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(8, kernel_size=3, padding=1, activation='relu'),
                    nn.MaxPool2D(pool_size=2), nn.Flatten(),
                    nn.Dense(32, activation='relu'), nn.Dense(CLASSES))
        net.initialize(mx.init.Xavier())
        trainer = gluon.Trainer(net.collect_params(), 'sgd',
                                {'learning_rate': args.lr, 'momentum': 0.9})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        history = []
        for epoch in range(args.epochs):
            metric, total = mx.metric.Accuracy(), 0.0
            for data, label in train_data:
                with autograd.record():
                    out = net(data)
                    loss = loss_fn(out, label)
                loss.backward()
                trainer.step(data.shape[0])
                total += float(loss.sum().asscalar())
                metric.update([label], [out])
            val = mx.metric.Accuracy()
            for data, label in val_data:
                val.update([label], [net(data)])
            history.append({'loss': total / n, 'train_acc': metric.get()[1],
                            'val_acc': val.get()[1]})
            print('epoch %d: loss %.4f, train acc %.4f, val acc %.4f' % (
                epoch + 1, total / n, metric.get()[1], val.get()[1]), flush=True)
        print('final validation accuracy: %.4f' % history[-1]['val_acc'])
        return history
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
