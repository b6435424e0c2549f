"""Faults, bad input and intruders: the servers keep serving with their state intact, a
process without the job secret is refused, and a dead node ends every other process with
an error naming it within the liveness bound."""
import os
import signal
import sys
import time

import numpy as np
import pytest

ROGUE = '''
import time, zmq, msgpack, hmac, hashlib
from distgluon.kvstore.dist import protocol as P
from distgluon.kvstore.dist.node import worker_node
kv = kvs.create('dist_sync')
r = kv.rank
kv.init(1, mx.nd.array([1., 2., 3.]))
kv.barrier()
replies = {}
if r == 1:
    secret = bytes.fromhex(os.environ['DISTGLUON_SECRET'])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.connect(worker_node().servers[(1 * 9973) % kv.num_servers])
    def msg(**kw):
        kw.setdefault('sender', ('worker', 1))
        return P.Message(**kw)
    good = np.ones(3, np.float32)
    cases = {
        'truncated': [b'x' * 32],
        'nomac': [b'', b'\\x80'],
        'version': None,
        'dtype': P.encode(msg(op='push', key=1, round=1, dtype='float64', shape=(3,),
                              extra={'sync': True}, frames=[np.ones(3)]), secret),
        'huge': P.encode(msg(op='push', key=1, round=1, dtype='float32',
                             shape=(10 ** 12,), extra={'sync': True, 'packed': '2bit'},
                             frames=[good]), secret),
        'size': P.encode(msg(op='push', key=1, round=1, dtype='float32', shape=(5,),
                             extra={'sync': True}, frames=[np.ones(5, np.float32)]), secret),
        'object': P.encode(msg(op='push', key=1, round=1, dtype='object', shape=(3,),
                               extra={'sync': True}, frames=[good]), secret),
        'missing_frame': P.encode(msg(op='push', key=1, round=1, dtype='float32', shape=(3,),
                                      extra={'sync': True}, frames=[good]), secret)[:-1],
        'garbage_header': [hmac.new(secret, b'\\xc1\\xc1', hashlib.sha256).digest(),
                           b'\\xc1\\xc1'],
        'bad_op': P.encode(msg(op='push', key=1, round=1), secret),
        'from_server': P.encode(msg(op='pull', key=1, sender=('server', 0)), secret),
    }
    head = msgpack.packb({'v': 99, 'op': 'push', 'k': 1, 'p': 0, 'r': 1, 'dt': None,
                          'sh': None, 's': ['worker', 1], 'id': 5, 'x': {}, 'fl': []})
    cases['version'] = [hmac.new(secret, head, hashlib.sha256).digest(), head]
    for name, frames in cases.items():
        frames = list(frames)
        sock.send_multipart(frames)
        if sock.poll(3000):
            reply = sock.recv_multipart()
            try:
                m = P.decode(reply, secret)
                replies[name] = m.op + ': ' + str(m.extra.get('msg'))
            except P.ProtocolError as e:
                replies[name] = 'undecodable: ' + e.reason
        else:
            replies[name] = 'no reply'
    sock.close(0)
kv.barrier()
o = mx.nd.zeros((3,)); kv.pull(1, out=o)
kv.push(1, mx.nd.ones((3,)) * (r + 1))
o2 = mx.nd.zeros((3,)); kv.pull(1, out=o2)
_emit(replies=replies, before=o, after=o2)
'''


def test_malformed_messages_leave_the_server_serving(job):
    _, procs, servers, _ = job.start_job([ROGUE, ROGUE], num_servers=2)
    res = job.results(procs)
    replies = res[1]['replies']
    assert set(replies) >= {'truncated', 'version', 'dtype', 'huge', 'size', 'object',
                            'missing_frame', 'garbage_header', 'bad_op', 'from_server'}
    for name, text in replies.items():
        assert text.startswith('err: '), (name, text)
    assert 'truncated' in replies['truncated']
    assert 'authentication failed' in replies['nomac']
    assert 'version 99' in replies['version']
    assert 'float64' in replies['dtype'] and 'float32' in replies['dtype']
    assert 'uint32' in replies['huge'] or 'words' in replies['huge'] or \
        'compress' in replies['huge']
    assert '5' in replies['size']
    assert "dtype 'object' is not allowed" in replies['object']
    assert 'data frame' in replies['missing_frame']
    assert 'unreadable header' in replies['garbage_header']
    for got in res:
        np.testing.assert_array_equal(got['before'], [1, 2, 3])   # state intact
        np.testing.assert_array_equal(got['after'], [3, 3, 3])    # and still serving
    assert 'rejected a message' in servers[0].communicate(timeout=10)[1] + \
        servers[1].communicate(timeout=10)[1]


LEGIT = '''
import time
kv = kvs.create('dist_sync')
kv.init(2, mx.nd.array([5., 5.]))
if kv.rank == 0:
    from distgluon.kvstore.dist.node import worker_node
    with open(os.environ['EP_FILE'] + '.tmp', 'w') as f:
        f.write(worker_node().servers[0])
    os.replace(os.environ['EP_FILE'] + '.tmp', os.environ['EP_FILE'])
deadline = time.time() + 20
while not os.path.exists(os.environ['DONE_FILE']) and time.time() < deadline:
    time.sleep(0.05)
o = mx.nd.zeros((2,)); kv.pull(2, out=o)
kv.push(2, mx.nd.ones((2,)))
o2 = mx.nd.zeros((2,)); kv.pull(2, out=o2)
_emit(before=o, after=o2)
'''

INTRUDER = '''
import time, zmq
from distgluon.kvstore.dist import protocol as P
deadline = time.time() + 20
while not os.path.exists(os.environ['EP_FILE']) and time.time() < deadline:
    time.sleep(0.05)
out = {}
t0 = time.time()
try:
    kvs.create('dist_sync')
    out['join'] = 'joined'
except mx.MXNetError as e:
    out['join'] = str(e)
out['join_s'] = time.time() - t0
secret = bytes.fromhex(os.environ['DISTGLUON_SECRET'])
sock = zmq.Context.instance().socket(zmq.DEALER)
sock.connect(open(os.environ['EP_FILE']).read())
for op in ('push', 'pull', 'init'):
    frames = P.encode(P.Message(op, key=2, round=1, dtype='float32', shape=(2,),
                                sender=('worker', 0), extra={'sync': True},
                                frames=[np.full(2, 1e6, np.float32)]), secret)
    sock.send_multipart(frames)
    if sock.poll(3000):
        try:
            P.decode(sock.recv_multipart(), secret)
            out[op] = 'accepted'
        except P.ProtocolError as e:
            out[op] = 'refused (' + e.reason + ')'
    else:
        out[op] = 'no reply'
sock.close(0)
open(os.environ['DONE_FILE'], 'w').close()
_emit(**out)
'''


def test_process_without_the_secret_is_refused_and_the_job_continues(job, tmp_path):
    files = {'EP_FILE': str(tmp_path / 'ep'), 'DONE_FILE': str(tmp_path / 'done')}
    env, procs, servers, sched = job.start_job([LEGIT, LEGIT], num_servers=1,
                                               env_extra=files)
    intruder_env = dict(env, DISTGLUON_SECRET='ab' * 32, DISTGLUON_WAIT_TIMEOUT='5')
    intruder = job.start([sys.executable, '-c', job.PRELUDE + INTRUDER], intruder_env,
                         'intruder')
    res = job.results(procs)
    bad = job.results([intruder])[0]
    assert 'authentication failed' in bad['join'] or 'refused' in bad['join'], bad['join']
    assert bad['join_s'] < 5.0
    for op in ('push', 'pull', 'init'):
        assert bad[op].startswith('refused'), (op, bad[op])
    for got in res:
        np.testing.assert_array_equal(got['before'], [5, 5])
        np.testing.assert_array_equal(got['after'], [2, 2])
    assert sched.wait(10) == 0
    log = servers[0].communicate(timeout=10)[1]
    assert 'authentication failed' in log


DOOMED = '''
import time
kv = kvs.create('dist_sync')
kv.init(0, mx.nd.zeros((2,)))
kv.pushpull(0, mx.nd.ones((2,)))
open(os.environ['READY'] + str(kv.rank), 'w').close()
t0 = time.time()
err = 'no error'
try:
    while time.time() - t0 < 30:
        v = mx.nd.ones((2,))
        kv.pushpull(0, v)
        time.sleep(0.05)
except mx.MXNetError as e:
    err = str(e)
_emit(err=err, after=time.time() - t0)
'''


@pytest.mark.parametrize('victim', ['server', 'worker', 'scheduler'])
def test_a_dead_node_ends_the_others_with_an_error_naming_it(job, tmp_path, victim):
    ready = str(tmp_path / 'ready')
    env, procs, servers, sched = job.start_job([DOOMED, DOOMED], num_servers=1, timeout=2.0,
                                               env_extra={'READY': ready})
    deadline = time.monotonic() + 20
    while not all(os.path.exists(ready + str(r)) for r in range(2)):
        assert time.monotonic() < deadline, 'workers did not start'
        time.sleep(0.05)
    target = {'server': servers[0], 'worker': procs[1], 'scheduler': sched}[victim]
    os.kill(target.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    survivors = [procs[0]] + ([procs[1]] if victim != 'worker' else [])
    for proc in survivors:
        got = job.results([proc], timeout=15, expect_ok=False)[0]
        assert 'err' in got, got['_err'][-2000:]
        name = {'server': 'server 0', 'worker': 'worker 1', 'scheduler': 'scheduler'}[victim]
        assert name in got['err'] and 'stopped answering' in got['err'], got['err']
    assert time.monotonic() - killed_at < 2.0 + 6.0
    if victim != 'scheduler':
        assert job.wait_exit(sched, 10) == 1
        assert 'stopped answering' in sched.communicate(timeout=5)[1]
    if victim != 'server':
        assert job.wait_exit(servers[0], 10) == 1


DMLC_WORKER = '''
kv = kvs.create('dist_sync')
kv.init('w', mx.nd.zeros((3,)))
kv.push('w', mx.nd.ones((3,)) * (kv.rank + 1))
o = mx.nd.zeros((3,)); kv.pull('w', out=o)
_emit(rank=kv.rank, n=kv.num_workers, s=kv.num_servers, sum=o)
'''


def _hooked():
    src = open(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'distgluon',
                            '__init__.py')).read()
    return 'run_role_from_env' in src


@pytest.mark.parametrize('via', ['compat', 'import'])
def test_job_started_mxnet_style_by_dmlc_variables_alone(job, via):
    if via == 'import' and not _hooked():
        pytest.skip('distgluon/__init__.py does not call run_role_from_env yet')
    port = job.free_port()
    env = job.env(2, 2, port, secret=None, dmlc=True)
    # the same command for every role, as MXNet's tools run it
    code = ('import distgluon' if via == 'import' else
            'from distgluon.kvstore.dist.compat import run_role_from_env\n'
            'run_role_from_env()') + '\n' + job.PRELUDE + DMLC_WORKER
    others = [job.start([sys.executable, '-c', code], dict(env, DMLC_ROLE=role), role)
              for role in ('scheduler', 'server', 'server')]
    workers = [job.start([sys.executable, '-c', code], dict(env, DMLC_ROLE='worker'),
                         'worker') for _ in range(2)]
    res = job.results(workers)
    assert sorted(r['rank'] for r in res) == [0, 1]
    for got in res:
        assert (got['n'], got['s']) == (2, 2)
        np.testing.assert_array_equal(got['sum'], [3, 3, 3])
    for proc in others:   # the server and scheduler roles exit when the job ends
        assert job.wait_exit(proc, 10) == 0
        assert '@@RESULT@@' not in proc.communicate(timeout=5)[0]
