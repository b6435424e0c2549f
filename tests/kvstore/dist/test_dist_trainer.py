"""Gluon Trainer over dist_sync: 2 workers, each on half of every batch, end with the
weights of one process training on the whole batch with 2 contexts (MXNET_NOTES.md:
"Trainer over dist_sync equals one process with 2 contexts"), with the optimizer on the
servers (update_on_kvstore=True) and on the workers (False); and Trainer over dist_async."""
import numpy as np
import pytest

TRAIN = '''
from distgluon import gluon, autograd
from distgluon.gluon import nn
UOK = {uok}
KV = {kv!r}

def make_net(ctxs):
    net = nn.HybridSequential()
    net.add(nn.Dense(6, activation='tanh', in_units=5), nn.Dense(3, in_units=6))
    net.initialize(ctx=ctxs)
    rng = np.random.RandomState(42)
    for name in sorted(net.collect_params().keys()):
        p = net.collect_params()[name]
        p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))
    return net

rng = np.random.RandomState(3)
X = rng.randn(3, 8, 5).astype(np.float32)
Y = rng.randn(3, 8, 3).astype(np.float32)
def loss_fn(pred, y):
    return (0.5 * (pred - y) ** 2).sum()

def train(net, trainer, parts):
    for step in range(3):
        with autograd.record():
            losses = [loss_fn(net(mx.nd.array(X[step][sl], ctx=c)),
                              mx.nd.array(Y[step][sl], ctx=c)) for c, sl in parts]
        for l in losses:
            l.backward()
        trainer.step(8)
    return [p.data(parts[0][0]).asnumpy() for p in net.collect_params().values()]

kv = kvs.create(KV)
r = kv.rank
net = make_net(mx.cpu(0))
trainer = gluon.Trainer(net.collect_params(), 'sgd',
                        {{'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01}},
                        kvstore=kv, update_on_kvstore=UOK)
def full_loss(net):
    return float(sum(loss_fn(net(mx.nd.array(X[s])), mx.nd.array(Y[s])).asscalar()
                     for s in range(3)))
before = [p.data().asnumpy() for p in net.collect_params().values()]
loss0 = full_loss(net)
dist = train(net, trainer, [(mx.cpu(0), slice(4 * r, 4 * r + 4))])
out = {{'uok': trainer._update_on_kvstore,
       'moved': max(float(np.abs(a - b).max()) for a, b in zip(before, dist))}}
if r == 0 and 'async' not in KV:
    ref_net = make_net([mx.cpu(0), mx.cpu(1)])
    ref_tr = gluon.Trainer(ref_net.collect_params(), 'sgd',
                           {{'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01}},
                           kvstore='device', update_on_kvstore=UOK)
    ref = train(ref_net, ref_tr, [(mx.cpu(0), slice(0, 4)), (mx.cpu(1), slice(4, 8))])
    out['diff'] = max(float(np.abs(a - b).max()) for a, b in zip(dist, ref))
out['w'] = [v.tolist() for v in dist]
_emit(**out)
'''


@pytest.mark.parametrize('uok', [True, False])
def test_trainer_dist_sync_equals_two_contexts(job, uok):
    src = TRAIN.format(uok=uok, kv='dist_sync')
    _, procs, _, _ = job.start_job([src, src], num_servers=2,
                                   env_extra={'MXNET_KVSTORE_BIGARRAY_BOUND': '10'})
    res = job.results(procs)
    assert res[0]['uok'] is uok
    assert res[0]['diff'] <= 1e-6, res[0]['diff']
    assert res[0]['moved'] > 1e-3
    # both workers hold identical weights
    for a, b in zip(res[0]['w'], res[1]['w']):
        np.testing.assert_array_equal(a, b)


def test_trainer_dist_async_runs_and_workers_agree_after_barrier(job):
    src = TRAIN.format(uok=None, kv='dist_async') + '''
kv.barrier()
final = {n: p.data().asnumpy() for n, p in net.collect_params().items()}
for n, p in net.collect_params().items():
    kv.pull(trainer._param2idx[n], out=p.data())
_emit(uok=trainer._update_on_kvstore, loss0=loss0, loss1=full_loss(net),
      w=[p.data().asnumpy().tolist() for p in net.collect_params().values()])
'''
    _, procs, _, _ = job.start_job([src, src], num_servers=1)
    res = job.results(procs)
    assert res[0]['uok'] is True   # dist_async always updates on the servers
    for a, b in zip(res[0]['w'], res[1]['w']):
        np.testing.assert_array_equal(a, b)
