"""Train a digit classifier with distgluon, on one process or across workers.

With no arguments it trains an MLP on the 8x8 handwritten digits embedded in
``examples/data/digits.csv.gz`` (no download) and prints one line per epoch and the
final test accuracy::

    python examples/train_mnist.py
    python examples/train_mnist.py --model lenet --hybridize
    distgluon-launch -n 4 examples/train_mnist.py --kvstore dist_sync

``--data-dir DIR`` switches to the real MNIST (or ``--dataset fashion``: Fashion-MNIST)
IDX files in DIR. Under a distributed kvstore each worker trains on its own shard of
the training set and rank 0 reports.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

import distgluon as mx
from distgluon import autograd, gluon
from distgluon.gluon import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', choices=['mlp', 'lenet'], default='mlp')
    p.add_argument('--kvstore', default='local',
                   choices=['local', 'device', 'dist_sync', 'dist_async', 'dist_sync_device'])
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--optimizer', default='sgd')
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--compression', choices=['2bit', '1bit'], default=None)
    p.add_argument('--hybridize', action='store_true')
    p.add_argument('--save', metavar='PATH', help='save_parameters here at the end; trainer '
                   'states go to PATH.states after every epoch')
    p.add_argument('--resume', action='store_true', help='continue from --save PATH')
    p.add_argument('--plot', metavar='PATH', help='write a PNG of loss and accuracy per epoch')
    p.add_argument('--data-dir', help='directory with MNIST/Fashion-MNIST IDX files')
    p.add_argument('--dataset', choices=['mnist', 'fashion'], default='mnist')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def load_digits(seed=0):
    """The embedded 8x8 digits: (train_x, train_y, test_x, test_y), images (N, 1, 8, 8)."""
    with gzip.open(os.path.join(HERE, 'data', 'digits.csv.gz'), 'rt') as f:
        table = np.loadtxt(f, delimiter=',', dtype=np.float32)
    x = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    y = table[:, 64].astype(np.int32)
    order = np.random.RandomState(seed).permutation(len(y))
    x, y = x[order], y[order]
    n_test = len(y) // 5
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def load_idx(data_dir, fashion):
    """MNIST-format files through gluon.data.vision: images (N, 1, 28, 28) in [0, 1]."""
    from distgluon.gluon.data import vision
    cls = vision.FashionMNIST if fashion else vision.MNIST
    out = []
    for train in (True, False):
        ds = cls(root=data_dir, train=train)
        x = np.stack([np.asarray(ds[i][0].asnumpy()) for i in range(len(ds))])
        y = np.array([int(ds[i][1]) for i in range(len(ds))], dtype=np.int32)
        out += [(x.transpose(0, 3, 1, 2) / 255.0).astype(np.float32), y]
    return out


def build_model(kind):
    net = nn.HybridSequential()
    with net.name_scope():
        if kind == 'mlp':
            net.add(nn.Dense(128, activation='relu'), nn.Dense(64, activation='relu'),
                    nn.Dense(10))
        else:
            net.add(nn.Conv2D(16, kernel_size=3, padding=1, activation='relu'),
                    nn.MaxPool2D(pool_size=2),
                    nn.Conv2D(32, kernel_size=3, padding=1, activation='relu'),
                    nn.MaxPool2D(pool_size=2),
                    nn.Flatten(), nn.Dense(64, activation='relu'), nn.Dense(10))
    return net


def evaluate(net, x, y, batch_size=256):
    metric = mx.metric.Accuracy()
    for start in range(0, len(y), batch_size):
        data = mx.nd.array(x[start:start + batch_size])
        label = mx.nd.array(y[start:start + batch_size])
        metric.update([label], [net(data)])
    return metric.get()[1]


def progress(iterable, total, enabled, desc):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False)


def plot(history, path):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit('--plot needs matplotlib: pip install matplotlib')
    epochs = [h['epoch'] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, [h['loss'] for h in history], marker='o')
    ax1.set_xlabel('epoch')
    ax1.set_ylabel('training loss')
    ax2.plot(epochs, [h['train_acc'] for h in history], marker='o', label='train')
    ax2.plot(epochs, [h['test_acc'] for h in history], marker='o', label='test')
    ax2.set_xlabel('epoch')
    ax2.set_ylabel('accuracy')
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None):
    args = parse_args(argv)
    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    if args.data_dir:
        train_x, train_y, test_x, test_y = load_idx(args.data_dir, args.dataset == 'fashion')
    else:
        train_x, train_y, test_x, test_y = load_digits(args.seed)
    if args.model == 'mlp':
        train_x = train_x.reshape(len(train_x), -1)
        test_x = test_x.reshape(len(test_x), -1)

    kv = mx.kv.create(args.kvstore)
    rank, workers = kv.rank, kv.num_workers
    # every worker gets an equal shard and the same number of full batches, so the
    # synchronous rounds line up (a distributed job cannot change its batch size)
    distributed = workers > 1 or args.kvstore.startswith('dist')
    usable = (len(train_y) // workers) * workers
    shard = gluon.data.SplitSampler(usable, workers, rank, shuffle=True)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(train_x, train_y),
                                   batch_size=args.batch_size, sampler=shard,
                                   last_batch='discard' if distributed else 'keep')

    net = build_model(args.model)
    net.initialize(mx.init.Xavier())
    if args.hybridize:
        net.hybridize()
    opt_params = {'learning_rate': args.lr}
    if args.optimizer in ('sgd', 'nag'):
        opt_params['momentum'] = args.momentum
    compression = {'type': args.compression} if args.compression else None
    if args.compression == '2bit':
        compression['threshold'] = 0.5
    trainer = gluon.Trainer(net.collect_params(), args.optimizer, opt_params, kvstore=kv,
                            compression_params=compression)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    start_epoch, history = 0, []
    meta_path = args.save + '.json' if args.save else None
    if args.resume:
        if not (args.save and os.path.exists(meta_path)):
            sys.exit('--resume needs an earlier run with --save PATH')
        net(mx.nd.array(train_x[:1]))
        net.load_parameters(args.save + '.epoch')
        trainer.load_states(args.save + '.states')
        meta = json.load(open(meta_path))
        start_epoch, history = meta['epoch'], meta['history']

    for epoch in range(start_epoch, args.epochs):
        metric, total_loss, seen, tic = mx.metric.Accuracy(), 0.0, 0, time.time()
        for data, label in progress(loader, len(loader), rank == 0 and sys.stdout.isatty(),
                                    'epoch %d' % (epoch + 1)):
            label = label.astype('float32')
            with autograd.record():
                out = net(data)
                loss = loss_fn(out, label)
            loss.backward()
            trainer.step(data.shape[0])
            total_loss += float(loss.sum().asscalar())
            seen += data.shape[0]
            metric.update([label], [out])
        speed = seen / (time.time() - tic)
        entry = {'epoch': epoch + 1, 'loss': total_loss / max(seen, 1),
                 'train_acc': metric.get()[1], 'test_acc': evaluate(net, test_x, test_y)}
        history.append(entry)
        if rank == 0:
            print('epoch %d: loss %.4f, train acc %.4f, test acc %.4f, %.0f samples/s' % (
                entry['epoch'], entry['loss'], entry['train_acc'], entry['test_acc'], speed),
                flush=True)
            if args.save:
                net.save_parameters(args.save + '.epoch')
                trainer.save_states(args.save + '.states')
                with open(meta_path, 'w') as f:
                    json.dump({'epoch': epoch + 1, 'history': history}, f)
    accuracy = evaluate(net, test_x, test_y)
    if rank == 0:
        if args.save:
            net.save_parameters(args.save)
        if args.plot:
            plot(history, args.plot)
        print('final test accuracy: %.4f' % accuracy, flush=True)
    return accuracy


if __name__ == '__main__':
    main()
