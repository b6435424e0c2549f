"""A custom Gluon training loop over several contexts (data parallelism in one process).

The pattern of MXNet's ``gluon.Trainer`` documentation: the network is initialized on a
list of contexts (one replica of every parameter per context), each batch is cut into one
slice per context with ``gluon.utils.split_and_load``, the forward passes run under
``autograd.record()``, and ``trainer.step(batch_size)`` sums the gradients of all
replicas through the kvstore, updates, and writes the same new weights to every replica::

    python examples/multi_context_training.py                 # cpu(0) and cpu(1)
    python examples/multi_context_training.py --contexts 4 --kvstore local
    python examples/multi_context_training.py --clip 1.0      # allreduce_grads/clip/update

The data is a synthetic 3-class problem (three Gaussian blobs in 10 dimensions). Each
epoch prints the mean loss, the accuracy and the largest difference between replicas
(always 0: the replicas stay identical). ``--clip`` replaces ``step`` by its two halves,
``allreduce_grads()`` then ``update()``, with ``gluon.utils.clip_global_norm`` between
them, as the Trainer documentation suggests for gradient clipping. Halfway through,
the learning rate is halved with ``trainer.set_learning_rate``.
"""
import argparse

import numpy as np

import distgluon as mx
from distgluon import autograd, gluon
from distgluon.gluon import nn


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--contexts', type=int, default=2, help='number of cpu contexts')
    p.add_argument('--kvstore', default='device', choices=['local', 'device'])
    p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--samples', type=int, default=1536)
    p.add_argument('--lr', type=float, default=0.1)
    p.add_argument('--clip', type=float, default=None, metavar='NORM',
                   help='clip the global gradient norm (per sample) to NORM')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def make_blobs(n, seed):
    """Three Gaussian blobs in 10-D: x float32 (n, 10), y float32 (n,) in {0, 1, 2}."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 1.0, size=(3, 10))
    y = rng.randint(0, 3, size=n)
    x = centers[y] + rng.normal(0, 1.5, size=(n, 10))
    return x.astype(np.float32), y.astype(np.float32)


def replica_spread(net):
    """Largest absolute difference between any parameter's replicas."""
    spread = 0.0
    for param in net.collect_params().values():
        copies = [d.asnumpy() for d in param.list_data()]
        spread = max([spread] + [float(np.abs(c - copies[0]).max()) for c in copies[1:]])
    return spread


def main(argv=None):
    args = parse_args(argv)
    mx.random.seed(args.seed)
    np.random.seed(args.seed)   # the DataLoader shuffle
    ctx = [mx.cpu(i) for i in range(args.contexts)]
    x, y = make_blobs(args.samples, args.seed)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=args.batch_size,
                                   shuffle=True, last_batch='discard')

    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(32, activation='relu'), nn.Dense(3))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'learning_rate': args.lr, 'momentum': 0.9}, kvstore=args.kvstore,
                            # allreduce_grads()/update() need the updates done here
                            update_on_kvstore=False if args.clip else None)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    history = []
    for epoch in range(args.epochs):
        if epoch == args.epochs // 2:
            trainer.set_learning_rate(trainer.learning_rate / 2)
        metric, total, seen = mx.metric.Accuracy(), 0.0, 0
        for data, label in loader:
            batch_size = data.shape[0]
            datas = gluon.utils.split_and_load(data, ctx, even_split=False)
            labels = gluon.utils.split_and_load(label, ctx, even_split=False)
            with autograd.record():
                outputs = [net(d) for d in datas]
                losses = [loss_fn(o, lab) for o, lab in zip(outputs, labels)]
            autograd.backward(losses)
            if args.clip is None:
                trainer.step(batch_size)
            else:
                trainer.allreduce_grads()
                # every replica now holds the summed gradient; clip each the same way
                # (gradients are sums over the batch: clip the per-sample norm)
                for c in ctx:
                    grads = [p.grad(c) for p in net.collect_params().values()]
                    gluon.utils.clip_global_norm(grads, args.clip * batch_size)
                trainer.update(batch_size)
            total += sum(float(l.sum().asscalar()) for l in losses)
            seen += batch_size
            metric.update(labels, outputs)
        entry = {'epoch': epoch + 1, 'loss': total / seen, 'accuracy': metric.get()[1],
                 'lr': trainer.learning_rate, 'spread': replica_spread(net)}
        history.append(entry)
        print('epoch %(epoch)d: loss %(loss).4f, accuracy %(accuracy).4f, lr %(lr).3f, '
              'replica spread %(spread).3g' % entry, flush=True)
    return net, history


if __name__ == '__main__':
    main()
