"""KVStore 'local' and 'device': MXNet 1.9.1 semantics (MXNET_NOTES.md "KVStore") and
the errors distgluon adds (store unchanged after a failed call)."""
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon import kvstore as kvs

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures')


def nd(x, ctx=None):
    return mx.nd.array(x, ctx=ctx)


def test_create_and_properties():
    kv = kvs.create()
    assert (kv.type, kv.rank, kv.num_workers) == ('local', 0, 1)
    assert kvs.create('device').type == 'device'
    assert kv.is_capable(kvs.KVStoreBase.OPTIMIZER)
    with pytest.raises(mx.MXNetError, match="unknown kvstore type 'nosuchtype'.*device.*local"):
        kvs.create('nosuchtype')


def test_push_list_sums_and_pull_fills_every_out():
    kv = kvs.create('local')
    kv.init(3, mx.nd.ones((2,)))
    kv.push(3, [mx.nd.ones((2,)), mx.nd.ones((2,)) * 2])
    outs = [mx.nd.zeros((2,)), mx.nd.zeros((2,), ctx=mx.cpu(1))]
    kv.pull(3, out=outs)
    for o in outs:
        np.testing.assert_array_equal(o.asnumpy(), [3, 3])
    assert outs[1].context == mx.cpu(1)
    kv.init([5, 6], [mx.nd.ones((2,)), mx.nd.ones((3,))])
    kv.push([5, 6], [[mx.nd.ones((2,))], [mx.nd.ones((3,)) * 4]])
    o6 = mx.nd.zeros((3,))
    kv.pull(6, out=o6)
    np.testing.assert_array_equal(o6.asnumpy(), [4, 4, 4])


def test_updater_receives_int_or_bytes_keys():
    seen = []

    def update(key, merged, stored):
        seen.append(key)
        stored += merged * 2

    kv = kvs.create('local')
    kv.init(5, mx.nd.ones((2,)))
    kv._set_updater(update)
    kv.push(5, mx.nd.ones((2,)))
    out = mx.nd.zeros((2,))
    kv.pull(5, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [3, 3])
    kv2 = kvs.create('local')
    kv2.init('sk', mx.nd.ones((2,)))
    kv2._set_updater(update)
    value = mx.nd.ones((2,))
    kv2.pushpull('sk', value)
    np.testing.assert_array_equal(value.asnumpy(), [3, 3])
    assert seen == [5, b'sk']


def test_broadcast_inits_and_fills():
    kv = kvs.create('local')
    out = mx.nd.zeros((2,))
    kv.broadcast('bc', mx.nd.ones((2,)) * 7, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [7, 7])
    with pytest.raises(mx.MXNetError, match="duplicate init of key 'bc'"):
        kv.broadcast('bc', mx.nd.ones((2,)), out=out)


def test_errors_leave_store_unchanged():
    kv = kvs.create('local')
    kv.init(3, mx.nd.ones((2,)))
    with pytest.raises(mx.MXNetError, match='duplicate init of key 3'):
        kv.init(3, mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match='key 99 has not been initialized'):
        kv.pull(99, out=mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match='key 99 has not been initialized'):
        kv.push(99, mx.nd.ones((2,)))
    with pytest.raises(mx.MXNetError, match=r'value shape \(3,\) does not match.*\(2,\)'):
        kv.push(3, mx.nd.ones((3,)))
    with pytest.raises(mx.MXNetError, match='dtype float64 does not match'):
        kv.push(3, mx.nd.ones((2,), dtype='float64'))
    with pytest.raises(mx.MXNetError, match='Mixed key types are not allowed'):
        kv.init('a', mx.nd.ones((2,)))
    with pytest.raises(AssertionError, match='inconsistent types of keys detected'):
        kv.init([4, 'b'], [mx.nd.ones((2,))] * 2)
    with pytest.raises(mx.MXNetError, match='duplicate init'):
        kv.init([7, 3], [mx.nd.ones((2,))] * 2)
    out = mx.nd.zeros((2,))
    kv.pull(3, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [1, 1])
    with pytest.raises(mx.MXNetError, match='has not been initialized'):
        kv.pull(7, out=out)


def test_device_sums_across_contexts_like_local():
    for name in ('local', 'device'):
        kv = kvs.create(name)
        n = 300000
        kv.init(0, mx.nd.zeros((n,)))
        vals = [mx.nd.ones((n,), ctx=mx.cpu(i)) * (i + 1) for i in range(3)]
        kv.push(0, vals)
        outs = [mx.nd.zeros((n,), ctx=mx.cpu(i)) for i in range(3)]
        kv.pull(0, out=outs)
        for o in outs:
            assert float(o[5].asscalar()) == 6.0
            assert np.all(o.asnumpy() == 6)


def test_compression_settings_errors():
    with pytest.raises(Exception, match='not supported for this type of kvstore'):
        kvs.create('local').set_gradient_compression({'type': '2bit'})
    kv = kvs.create('device')
    with pytest.raises(mx.MXNetError, match='Unknown type for gradient compression none'):
        kv.set_gradient_compression({'type': 'none'})
    with pytest.raises(mx.MXNetError, match='threshold must be greater than 0'):
        kv.set_gradient_compression({'type': '2bit', 'threshold': 0})
    with pytest.raises(mx.MXNetError, match='Required parameter type'):
        kv.set_gradient_compression({'threshold': 0.5})
    kv.set_gradient_compression({'type': '2bit', 'foo': 1})


def test_2bit_device_matches_mxnet_fixture():
    cases = json.load(open(os.path.join(FIXTURES, 'compression.json')))
    for case in cases:
        kv = kvs.create('device')
        kv.set_gradient_compression({'type': '2bit', 'threshold': case['threshold']})
        kv.init(0, mx.nd.zeros((case['n'],)))
        for g, expected in zip(case['pushes'], case['pulls']):
            kv.push(0, [nd(g[0], mx.cpu(0)), nd(g[1], mx.cpu(1))])
            out = mx.nd.zeros((case['n'],))
            kv.pull(0, out=out)
            np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


def test_1bit_keeps_error_feedback():
    from distgluon.kvstore.compression import OneBitCompression
    comp = OneBitCompression()
    g = np.array([0.3, -0.1, 0.2, -0.4, 0.0] * 7, dtype=np.float32)
    sent_total = np.zeros_like(g)
    for _ in range(50):
        packed = comp.compress('k', g)
        assert packed.dtype == np.uint32 and packed.size == 1 + 2
        sent_total += comp.decompress(packed, g.shape)
    # what was sent plus what is still in the residual equals everything pushed
    np.testing.assert_allclose(sent_total + comp.residual('k'), g * 50, rtol=1e-4, atol=1e-4)
