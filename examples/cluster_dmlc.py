"""An MXNet-style distributed job, configured only by the ``DMLC_*`` environment variables.

MXNet's cluster tooling (``tools/launch.py``, dmlc-tracker, a batch scheduler) starts the
*same* command for every process of a job and tells each one its role::

    DMLC_ROLE          scheduler | server | worker
    DMLC_PS_ROOT_URI   address of the scheduler (e.g. 127.0.0.1)
    DMLC_PS_ROOT_PORT  its port
    DMLC_NUM_WORKER    number of workers
    DMLC_NUM_SERVER    number of servers

As with MXNet, a process whose role is ``scheduler`` or ``server`` becomes that role
inside ``import distgluon`` and exits when the job is over, so the rest of this file only
ever runs in workers. By hand, with 1 scheduler, 1 server and 2 workers on one machine::

    export DMLC_PS_ROOT_URI=127.0.0.1 DMLC_PS_ROOT_PORT=9091 DMLC_NUM_WORKER=2 DMLC_NUM_SERVER=1
    DMLC_ROLE=scheduler python examples/cluster_dmlc.py &
    DMLC_ROLE=server python examples/cluster_dmlc.py &
    DMLC_ROLE=worker python examples/cluster_dmlc.py &
    DMLC_ROLE=worker python examples/cluster_dmlc.py

(``distgluon-launch -n 2 examples/cluster_dmlc.py`` does the same set-up.)
Each worker creates ``mx.kv.create('dist_sync')``, shows a push/pull round (the servers
sum what every worker pushed), then trains a linear regression with ``gluon.Trainer`` on
its own shard of a synthetic dataset; the optimizer runs on the servers. Every worker
prints its rank, the pulled sum, its loss per epoch and a digest of its final weights,
which is the same on every worker. Run without ``DMLC_ROLE``, it trains alone on the
'local' kvstore.
"""
import argparse
import hashlib
import os

import numpy as np

import distgluon as mx      # scheduler and server processes serve here and exit
from distgluon import autograd, gluon

TRUE_W = np.array([[2.0, -3.4, 1.5, 0.7]], dtype=np.float32)
TRUE_B = 4.2


def make_data(n, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, TRUE_W.shape[1])).astype(np.float32)
    y = x.dot(TRUE_W.T)[:, 0] + TRUE_B + rng.normal(0, 0.01, size=n).astype(np.float32)
    return x, y.astype(np.float32)


def show_push_pull(kv):
    """One synchronous round on key 100 (the Trainer uses keys 0, 1, ...)."""
    shape = (2, 3)
    kv.init(100, mx.nd.zeros(shape))
    kv.push(100, mx.nd.ones(shape) * (kv.rank + 1))
    out = mx.nd.zeros(shape)
    kv.pull(100, out=out)          # no optimizer on the servers yet: the sum of the round
    return out.asnumpy()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--kvstore', default='dist_sync' if os.environ.get('DMLC_ROLE') else 'local')
    p.add_argument('--samples', type=int, default=1024, help='size of the whole dataset')
    p.add_argument('--batch-size', type=int, default=32, help='per worker')
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--lr', type=float, default=0.2)
    args = p.parse_args(argv)

    kv = mx.kv.create(args.kvstore)
    rank, workers = kv.rank, kv.num_workers
    tag = 'worker %d/%d' % (rank, workers)
    if args.kvstore.startswith('dist'):
        total = show_push_pull(kv)
        print('%s: pulled sum %s (expected %d)' % (tag, total[0, 0], workers * (workers + 1) // 2),
              flush=True)

    # every worker takes every workers-th sample, and all shards have the same size so
    # that every worker makes the same number of synchronous steps
    x, y = make_data(args.samples)
    per_worker = args.samples // workers
    x, y = x[rank::workers][:per_worker], y[rank::workers][:per_worker]
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=args.batch_size,
                                   shuffle=True, last_batch='discard')

    mx.random.seed(42)           # only rank 0's initial weights are used anyway
    net = gluon.nn.Dense(1)
    net.initialize(mx.init.Normal(0.1))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': args.lr},
                            kvstore=kv)
    loss_fn = gluon.loss.L2Loss()
    for epoch in range(args.epochs):
        total_loss, seen = 0.0, 0
        for data, label in loader:
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0] * workers)     # mean over the global batch
            total_loss += float(loss.sum().asscalar())
            seen += data.shape[0]
        print('%s: epoch %d loss %.6f' % (tag, epoch + 1, total_loss / seen), flush=True)

    weight, bias = net.weight.data().asnumpy(), net.bias.data().asnumpy()
    digest = hashlib.sha1(weight.tobytes() + bias.tobytes()).hexdigest()[:12]
    print('%s: weight %s bias %.3f (true %s %.3f) digest %s' % (
        tag, np.array2string(weight[0], precision=3), bias[0],
        np.array2string(TRUE_W[0], precision=3), TRUE_B, digest), flush=True)
    return weight, bias


if __name__ == '__main__':
    main()
