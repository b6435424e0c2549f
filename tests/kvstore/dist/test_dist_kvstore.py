"""dist_sync / dist_sync_device over real processes: sums, rounds, placement, init,
server optimizer, compression, states, errors. Expected values come from numpy written
independently here (and MXNET_NOTES.md "Distributed" for the split sizes)."""
import numpy as np
import pytest

from distgluon.kvstore.dist.worker import placement
from distgluon.kvstore.compression import TwoBitCompression


def test_placement_matches_mxnet_split_sizes():
    # MXNET_NOTES.md: 1e6 on 3 servers -> 333333/333334/333333; 1001x1000 on 2 -> 500500
    # each; 999999 elements -> one server; server i holds part i.
    sizes = [hi - lo for _, _, lo, hi in placement(0, 10 ** 6, 3, 10 ** 6)]
    assert sizes == [333333, 333334, 333333]
    parts = placement(7, 1001 * 1000, 2, 10 ** 6)
    assert [(s, p, hi - lo) for s, p, lo, hi in parts] == [(0, 0, 500500), (1, 1, 500500)]
    assert len(placement(5, 999999, 3, 10 ** 6)) == 1
    assert placement(5, 999999, 3, 10 ** 6)[0][0] == (5 * 9973) % 3
    # contiguous cover of [0, n)
    parts = placement(1, 1234567, 4, 10 ** 6)
    assert parts[0][2] == 0 and parts[-1][3] == 1234567
    assert all(a[3] == b[2] for a, b in zip(parts, parts[1:]))


WORKER = '''
import time
kv = kvs.create('dist_sync')
r = kv.rank
out = {}
out['meta'] = [kv.type, kv.rank, kv.num_workers, kv.num_servers]

# init: only worker 0's value is used
kv.init(3, mx.nd.ones((2, 3)) * (r + 10))
o = mx.nd.zeros((2, 3)); kv.pull(3, out=o); out['init3'] = o

# push/pull: the sum over workers of this round (previous value discarded)
kv.push(3, mx.nd.ones((2, 3)) * (r + 1))
o = mx.nd.zeros((2, 3)); kv.pull(3, out=o); out['sum3'] = o

# several keys in one call, a list of values for one key is summed first, str keys
kv.init([4, 5], [mx.nd.zeros((4,)), mx.nd.zeros((1, 5), dtype='float64')])
kv.push([4, 5], [[mx.nd.ones((4,)), mx.nd.ones((4,), ctx=mx.cpu(1)) * 2],
                 mx.nd.ones((1, 5), dtype='float64') * (r + 0.5)])
o4 = [mx.nd.zeros((4,)), mx.nd.zeros((4,), ctx=mx.cpu(1))]
o5 = mx.nd.zeros((1, 5), dtype='float64')
kv.pull([4, 5], out=[o4, o5]); out['sum4'] = o4; out['sum5'] = o5
out['dtype5'] = str(o5.dtype)

# big array split across both servers (bound lowered to 100 for this job)
big = np.arange(1001, dtype=np.float32)
kv.init(9, mx.nd.array(big))
kv.push(9, mx.nd.array(big * (r + 1)))
o = mx.nd.zeros((1001,)); kv.pull(9, out=o); out['big'] = o

# one push per worker per round: worker 0 pushes twice back to back, worker 1 pulls
# round 1 in between
kv.init(6, mx.nd.zeros((3,)))
if r == 0:
    kv.push(6, mx.nd.array([1, 1, 1]))
    kv.push(6, mx.nd.array([100, 100, 100]))
    o = mx.nd.zeros((3,)); kv.pull(6, out=o); out['r0_round2'] = o
else:
    time.sleep(0.3)
    kv.push(6, mx.nd.array([10, 10, 10]))
    o = mx.nd.zeros((3,)); kv.pull(6, out=o); out['r1_round1'] = o
    kv.push(6, mx.nd.array([1000, 1000, 1000]))
    o = mx.nd.zeros((3,)); kv.pull(6, out=o); out['r1_round2'] = o

# pushpull and broadcast
v = mx.nd.ones((3,)) * (r + 1)
kv.pushpull(6, v); out['pushpull'] = v
b = [mx.nd.zeros((2,)), mx.nd.zeros((2,))]
kvb = kvs.create('dist_sync')   # a second store (shares the connection) with str keys
kvb.broadcast('s', mx.nd.array([7, 8]) * (r + 1), out=b); out['bcast'] = b

# row_sparse: pushed rows are summed (no updater: the stored value becomes the sum),
# row_sparse_pull returns the unique sorted requested rows
kvr = kvs.create('dist_sync')
kvr.init(20, mx.nd.sparse.zeros('row_sparse', (5, 2)))
kvr.push(20, mx.nd.sparse.row_sparse_array((np.ones((2, 2)) * (r + 1), [r, 3]), shape=(5, 2),
                                           dtype='float32'))
rs = mx.nd.sparse.zeros('row_sparse', (5, 2))
kvr.row_sparse_pull(20, out=rs, row_ids=mx.nd.array([3, 0, 3]))
out['rsp_rows'] = rs.indices; out['rsp_data'] = rs.data

# a pull of a key never initialised: an error to this worker, the servers keep serving
try:
    kv.pull(99, out=mx.nd.zeros((1,)))
    out['uninit'] = 'no error'
except mx.MXNetError as e:
    out['uninit'] = str(e)
try:
    kv.push('s2', mx.nd.zeros((1,)))
except mx.MXNetError as e:
    out['mixed'] = str(e)
kv.barrier()
kv.push(6, mx.nd.ones((3,)))
o = mx.nd.zeros((3,)); kv.pull(6, out=o); out['after_errors'] = o
_emit(**out)
'''


def test_dist_sync_semantics(job):
    _, procs, _, sched = job.start_job([WORKER, WORKER], num_servers=2,
                                   env_extra={'MXNET_KVSTORE_BIGARRAY_BOUND': '100'})
    res = job.results(procs)
    for r, got in enumerate(res):
        assert got['meta'] == ['dist_sync', r, 2, 2]
        np.testing.assert_array_equal(got['init3'], np.full((2, 3), 10.0))
        np.testing.assert_array_equal(got['sum3'], np.full((2, 3), 3.0))
        for o in got['sum4']:
            np.testing.assert_array_equal(o, [6, 6, 6, 6])
        np.testing.assert_array_equal(got['sum5'], np.full((1, 5), 2.0))
        assert got['dtype5'] == "<class 'numpy.float64'>"
        np.testing.assert_array_equal(got['big'], np.arange(1001) * 3.0)
        np.testing.assert_array_equal(got['pushpull'], [3, 3, 3])
        for o in got['bcast']:
            np.testing.assert_array_equal(o, [7, 8])
        assert "key 99 has not been initialized" in got['uninit']
        np.testing.assert_array_equal(got['rsp_rows'], [0, 3])
        np.testing.assert_array_equal(got['rsp_data'], [[1, 1], [3, 3]])
        assert 'Mixed key types' in got['mixed']
        np.testing.assert_array_equal(got['after_errors'], [2, 2, 2])
    # rounds never merge two pushes of one worker
    np.testing.assert_array_equal(res[1]['r1_round1'], [11, 11, 11])
    np.testing.assert_array_equal(res[1]['r1_round2'], [1100, 1100, 1100])
    np.testing.assert_array_equal(res[0]['r0_round2'], [1100, 1100, 1100])
    assert sched.wait(10) == 0


OPT_WORKER = '''
kv = kvs.create('dist_sync_device')
r = kv.rank
opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)
kv.set_optimizer(opt)
rng = np.random.RandomState(0)
w0 = rng.rand(3, 4).astype(np.float32)
big0 = rng.rand(250).astype(np.float32)
kv.init(0, mx.nd.array(w0)); kv.init(1, mx.nd.array(big0))
grads = []
for step in range(3):
    g = np.random.RandomState(100 * step + r).rand(3, 4).astype(np.float32)
    gb = np.random.RandomState(7 + 100 * step + r).rand(250).astype(np.float32)
    kv.push([0, 1], [[mx.nd.array(g / 2), mx.nd.array(g / 2, ctx=mx.cpu(1))], mx.nd.array(gb)])
    w = mx.nd.zeros((3, 4)); wb = mx.nd.zeros((250,))
    kv.pull([0, 1], out=[w, wb])
kv.barrier()
import os
fname = os.path.join(os.environ['STATES_DIR'], 'states_%d.bin' % r)
if r == 0:
    kv.save_optimizer_states(fname, dump_optimizer=True)
    from distgluon.optimizer.states import decode_states
    states, o2 = decode_states(open(fname, 'rb').read())
    saved = {'mom0': states[0], 'mom1': states[1], 'num_update': o2.num_update}
else:
    saved = {}
kv.barrier()
# continue one step; then reload the saved states and redo the step: same result
g = np.ones((3, 4), np.float32); gb = np.ones(250, np.float32)
kv.push([0, 1], [mx.nd.array(g), mx.nd.array(gb)])
a = mx.nd.zeros((3, 4)); ab = mx.nd.zeros((250,)); kv.pull([0, 1], out=[a, ab])
kv.barrier()
if r == 0:
    kv.load_optimizer_states(os.path.join(os.environ['STATES_DIR'], 'states_0.bin'))
kv.barrier()
kv.push([0, 1], [mx.nd.array(g), mx.nd.array(gb)])
c = mx.nd.zeros((3, 4)); cb = mx.nd.zeros((250,)); kv.pull([0, 1], out=[c, cb])
_emit(w=w, wb=wb, after=a, afterb=ab, again=c, againb=cb, **saved)
'''


def _sgd_reference(steps_grads, w, lr=0.1, mom=0.9, wd=0.01, rescale=0.5):
    m = np.zeros_like(w)
    for g in steps_grads:
        m = mom * m - lr * wd * w - lr * (rescale * g)
        w = w + m
    return w, m


def test_server_optimizer_equals_local_math_and_states_roundtrip(job, tmp_path):
    _, procs, _, _ = job.start_job([OPT_WORKER, OPT_WORKER], num_servers=2,
                               env_extra={'MXNET_KVSTORE_BIGARRAY_BOUND': '200',
                                          'STATES_DIR': str(tmp_path)})
    res = job.results(procs, timeout=40)
    rng = np.random.RandomState(0)
    w0 = rng.rand(3, 4).astype(np.float32)
    b0 = rng.rand(250).astype(np.float32)
    gs = [sum(np.random.RandomState(100 * s + r).rand(3, 4).astype(np.float32)
              for r in range(2)) for s in range(3)]
    gbs = [sum(np.random.RandomState(7 + 100 * s + r).rand(250).astype(np.float32)
               for r in range(2)) for s in range(3)]
    w, m = _sgd_reference(gs, w0.astype(np.float64))
    wb, mb = _sgd_reference(gbs, b0.astype(np.float64))
    for got in res:
        np.testing.assert_allclose(got['w'], w, rtol=1e-5)
        np.testing.assert_allclose(got['wb'], wb, rtol=1e-5)
        # reloading the states saved before a step and redoing it changes nothing
        # relative to the first time (momentum restored, weights continue)
        assert not np.allclose(got['again'], got['after'])
    np.testing.assert_allclose(res[0]['mom0'], m, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res[0]['mom1'], mb, rtol=1e-5, atol=1e-7)
    # the split key's momentum was reassembled with the key's shape
    assert np.asarray(res[0]['mom1']).shape == (250,)
    # after reload, the step uses the saved momentum: w_after2 = after + (0.9 m - ...)
    after = np.asarray(res[0]['after'])
    m_reload = 0.9 * m - 0.1 * 0.01 * after - 0.1 * 0.5 * 2 * np.ones((3, 4))
    np.testing.assert_allclose(res[0]['again'], after + m_reload, rtol=1e-5)


COMP_WORKER = '''
kv = kvs.create('dist_sync')
kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
kv.init('g', mx.nd.zeros((37,)))
kv.init('big', mx.nd.zeros((300,)))
outs = []
for step in range(3):
    g = np.random.RandomState(10 * step + kv.rank).randn(37).astype(np.float32)
    gb = np.random.RandomState(50 + 10 * step + kv.rank).randn(300).astype(np.float32)
    kv.push(['g', 'big'], [mx.nd.array(g), mx.nd.array(gb)])
    o = mx.nd.zeros((37,)); ob = mx.nd.zeros((300,))
    kv.pull(['g', 'big'], out=[o, ob])
    outs.append([o, ob])
_emit(outs=outs)
'''


def test_compression_over_the_wire_equals_local_quantiser(job):
    _, procs, _, _ = job.start_job([COMP_WORKER, COMP_WORKER], num_servers=2,
                               env_extra={'MXNET_KVSTORE_BIGARRAY_BOUND': '100'})
    res = job.results(procs)
    comps = [TwoBitCompression(0.5) for _ in range(2)]
    for step in range(3):
        want = []
        for n, seed0 in ((37, 0), (300, 50)):
            total = 0
            for r in range(2):
                g = np.random.RandomState(seed0 + 10 * step + r).randn(n).astype(np.float32)
                total = total + comps[r].roundtrip(('k', n), g)
            want.append(total)
        for got in res:
            np.testing.assert_array_equal(got['outs'][step][0], want[0])
            np.testing.assert_array_equal(got['outs'][step][1], want[1])
    assert any(np.any(np.asarray(res[0]['outs'][2][0]) != 0) for _ in [0])


ASYNC_WORKER = '''
kv = kvs.create('dist_async')
kv.init(0, mx.nd.zeros((4,)))
try:
    kv.push(0, mx.nd.ones((4,)))
    kv.pull(0, out=mx.nd.zeros((4,)))
    err = 'no error'
except mx.MXNetError as e:
    err = str(e)
kv.barrier()
kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.5))
kv.barrier()
for _ in range(5):
    kv.push(0, mx.nd.ones((4,)) * (kv.rank + 1))
o = mx.nd.zeros((4,)); kv.pull(0, out=o)
kv.barrier()
o2 = mx.nd.zeros((4,)); kv.pull(0, out=o2)
_emit(err=err, mine=o, final=o2, type=kv.type)
'''


def test_dist_async_needs_an_optimizer_then_applies_every_push(job):
    _, procs, _, _ = job.start_job([ASYNC_WORKER, ASYNC_WORKER], num_servers=1)
    res = job.results(procs)
    for got in res:
        assert got['type'] == 'dist_async'
        assert 'dist_async needs an optimizer on the servers' in got['err']
        # every push applied on arrival: 5 * (1 + 2) gradient units of lr 0.5
        np.testing.assert_allclose(got['final'], np.full(4, -0.5 * 15))
    # a worker's own pushes are applied before its pull is answered
    assert res[0]['mine'][0] <= -2.5 + 1e-6 and res[1]['mine'][0] <= -5.0 + 1e-6
