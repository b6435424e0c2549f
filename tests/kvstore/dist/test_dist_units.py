"""In-process parts of the distributed kvstore: environment parsing (distgluon's and
MXNet's DMLC_* names), message authentication and checks, type registration."""
import numpy as np
import pytest

import distgluon as mx
from distgluon import kvstore as kvs
from distgluon.kvstore.dist import env as envmod
from distgluon.kvstore.dist import protocol as P
from distgluon.kvstore.dist.compat import run_role_from_env

DMLC = {'DMLC_ROLE': 'server', 'DMLC_PS_ROOT_URI': '127.0.0.1', 'DMLC_PS_ROOT_PORT': '9091',
        'DMLC_NUM_WORKER': '3', 'DMLC_NUM_SERVER': '2'}


def test_env_reads_mxnet_names_and_prefers_distgluon_names():
    c = envmod.from_env(DMLC)
    assert (c.role, c.scheduler_host, c.scheduler_port, c.num_workers, c.num_servers) == \
        ('server', '127.0.0.1', 9091, 3, 2)
    assert c.host == '127.0.0.1' and c.rank is None and not c.secret_given
    assert c.bigarray_bound == 1000000 and c.timeout == 30.0
    assert c.scheduler_endpoint == 'tcp://127.0.0.1:9091'
    c = envmod.from_env(dict(DMLC, DISTGLUON_NUM_WORKERS='5', DISTGLUON_SECRET='00ff',
                             DISTGLUON_RANK='1', DMLC_INTERFACE='lo', DISTGLUON_TIMEOUT='2.5',
                             MXNET_KVSTORE_BIGARRAY_BOUND='77'))
    assert (c.num_workers, c.secret, c.secret_given, c.rank, c.host, c.timeout,
            c.bigarray_bound) == (5, b'\x00\xff', True, 1, '127.0.0.1', 2.5, 77)
    assert envmod.from_env(dict(DMLC, DMLC_NODE_HOST='10.1.2.3')).host == '10.1.2.3'
    # the same job without a secret derives the same key everywhere
    assert envmod.from_env(DMLC).secret == envmod.from_env(dict(DMLC, DMLC_ROLE='worker')).secret
    with pytest.raises(AttributeError):
        c.role = 'worker'   # frozen


@pytest.mark.parametrize('change, words', [
    ({'DMLC_PS_ROOT_URI': None}, 'DMLC_PS_ROOT_URI'),
    ({'DMLC_NUM_WORKER': None}, 'DMLC_NUM_WORKER'),
    ({'DMLC_NUM_SERVER': 'two'}, "DMLC_NUM_SERVER='two' is not a valid int"),
    ({'DMLC_NUM_WORKER': '0'}, 'must be at least 1'),
    ({'DMLC_ROLE': 'boss'}, "unknown role 'boss'"),
    ({'DISTGLUON_SECRET': 'xyz'}, 'hex string'),
    ({'DMLC_INTERFACE': 'nosuchif0'}, "DMLC_INTERFACE='nosuchif0'"),
])
def test_env_errors_name_the_variable(change, words):
    env = dict(DMLC)
    for k, v in change.items():
        if v is None:
            del env[k]
        else:
            env[k] = v
    with pytest.raises(mx.MXNetError, match=words.replace('(', r'\(')):
        envmod.from_env(env)


SECRET = b's' * 32


def _msg(**kw):
    base = dict(op='push', key=3, part=1, round=2, dtype='float32', shape=(4,),
                sender=('worker', 1), rid=9, extra={'sync': True},
                frames=[np.arange(4, dtype=np.float32)])
    base.update(kw)
    return P.Message(**base)


def test_protocol_roundtrip_and_chunking():
    frames = P.encode(_msg(), SECRET)
    m = P.decode([bytes(f) for f in frames], SECRET)
    assert (m.op, m.key, m.part, m.round, m.dtype, m.shape, m.sender, m.rid, m.extra) == \
        ('push', 3, 1, 2, 'float32', (4,), ('worker', 1), 9, {'sync': True})
    np.testing.assert_array_equal(P.frames_to_array(m.frames, np.float32), [0, 1, 2, 3])
    big = np.arange(P.CHUNK // 4 * 2 + 5, dtype=np.float32)
    parts = P.array_frames(big)
    assert len(parts) == 3 and parts[0].nbytes == P.CHUNK
    out = np.zeros_like(big)
    P.copy_frames_into(parts, out)
    np.testing.assert_array_equal(out, big)
    P.add_frames_into(parts, out)
    np.testing.assert_array_equal(out, 2 * big)


def test_protocol_rejects_forgery_and_inconsistency():
    frames = [bytes(f) for f in P.encode(_msg(), SECRET)]
    with pytest.raises(P.ProtocolError, match='authentication failed') as err:
        P.decode(frames, b'other' * 8)
    assert not err.value.authentic
    tampered = list(frames)
    tampered[1] = tampered[1].replace(b'push', b'pull')
    with pytest.raises(P.ProtocolError, match='authentication failed'):
        P.decode(tampered, SECRET)
    with pytest.raises(P.ProtocolError, match='declares 1 data frame'):
        P.decode(frames + [b'extra'], SECRET)
    with pytest.raises(P.ProtocolError, match='has 3 bytes'):
        P.decode(frames[:2] + [b'abc'], SECRET)
    with pytest.raises(P.ProtocolError, match='needs 40 bytes'):
        P.decode([bytes(f) for f in P.encode(_msg(shape=(10,)), SECRET)], SECRET)
    # 'full' authentication also covers the array bytes
    full = [bytes(f) for f in P.encode(_msg(), SECRET, auth='full')]
    assert P.decode(full, SECRET).op == 'push'
    altered = full[:2] + [b'\x01\x02\x03\x04' + full[2][4:]]
    with pytest.raises(P.ProtocolError, match='digest mismatch'):
        P.decode(altered, SECRET)


def test_types_registered_and_create_outside_a_job_is_a_clear_error(monkeypatch):
    import os
    for name in list(os.environ):
        if name.startswith(('DISTGLUON_', 'DMLC_')):
            monkeypatch.delenv(name)
    with pytest.raises(mx.MXNetError, match='distgluon-launch'):
        kvs.create('dist_sync')
    for name in ('dist_sync', 'dist_async', 'dist_sync_device', 'dist_device_sync', 'dist'):
        assert name in kvs.registered_types()
    assert run_role_from_env({}) is None
    assert run_role_from_env({'DMLC_ROLE': 'worker'}) is None
