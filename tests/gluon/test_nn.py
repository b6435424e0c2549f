"""gluon.nn layers driven as a user would, against MXNet 1.9.1.

The fixtures tests/fixtures/gluon_nn.{json,npz} were recorded by
tests/fixtures/make_gluon_nn.py in the MXNet 1.9.1 venv; the cases and the user-level
steps (build, initialize, first forward, set_data, record/backward) are shared in
tests/fixtures/gluon_nn_cases.py so both sides do exactly the same thing.
"""
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon import autograd
from distgluon.gluon import nn
from distgluon.gluon import loss as gloss
from distgluon.gluon import utils as gutils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_fixture import ARRAYS, C, TEXTS  # noqa: E402


def _tol(dtype):
    return dict(rtol=1e-9, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)


def _selu_true_grad(x, head):
    """MXNet 1.9.1's selu backward is ``lambda * (y + alpha)`` for x < 0, not the
    derivative; the LeakyReLU operator deliberately computes the derivative."""
    lam, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
    x = x.astype(np.float64)
    return (head * np.where(x > 0, lam, lam * alpha * np.exp(x))).astype(np.float32)


@pytest.mark.parametrize('name', sorted(C.LAYERS))
def test_layer_against_mxnet(name):
    expr, (kind, _), train = C.LAYERS[name]
    want = TEXTS['layers'][name]
    x = ARRAYS[name + '|x']

    def values(pname, shape, dtype):
        v = ARRAYS['%s|set|%s' % (name, pname)]
        assert v.shape == shape and v.dtype == dtype, (pname, shape, dtype)
        return v

    def head(shape, dtype):
        h = ARRAYS[name + '|head']
        assert h.shape == shape and h.dtype == dtype
        return h
    texts, arrays = C.drive_layer(mx, expr, x, train, values, head,
                                  with_grad=not kind.startswith('idx'))
    assert texts['repr_before'] == want['repr_before']
    assert texts['repr_after'] == want['repr_after']
    assert texts['params_before'] == want['params_before']
    assert texts['params_after'] == want['params_after']
    prefix = name + '|'
    recorded = {k[len(prefix):] for k in ARRAYS.files if k.startswith(prefix)}
    assert set(arrays) == {k for k in recorded
                           if k not in ('x', 'head') and not k.startswith('set|')}
    for key, got in arrays.items():
        ref = ARRAYS[prefix + key]
        if name == 'selu' and key == 'dx':
            ref = _selu_true_grad(x, ARRAYS[prefix + 'head'])
        assert got.shape == ref.shape and got.dtype == ref.dtype, key
        np.testing.assert_allclose(got, ref, err_msg=key, **_tol(ref.dtype))


@pytest.mark.parametrize('expr', C.REPRS)
def test_repr_name_and_params_before_forward(expr):
    net = C.build(mx, expr)
    assert [repr(net), net.name, C.describe(net)] == TEXTS['reprs'][expr]


@pytest.mark.parametrize('expr', C.ERRORS)
def test_construction_errors(expr):
    got = C.error_of(mx, expr)
    want = TEXTS['errors'][expr]
    kind = want.split(':')[0]
    assert got.split(':')[0] == kind
    if kind == 'MXNetError':
        # MXNet's message carries a C++ source location: compare the reason only
        assert 'must divide group size' in got or 'must be samller than' in got, got
    else:
        assert got.replace('distgluon.gluon', 'mxnet.gluon') == want


# ---------------------------------------------------------------- containers
def test_sequential_indexing_slicing_iteration():
    net = nn.HybridSequential(prefix='model_')
    with net.name_scope():
        net.add(nn.Dense(3), nn.Dense(4, activation='relu'))
        net.add(nn.Dense(5))
    assert len(net) == 3
    assert [b.name for b in net] == ['model_dense0', 'model_dense1', 'model_dense2']
    assert net[-1] is net[2]
    part = net[1:]
    assert isinstance(part, nn.HybridSequential) and part is not net
    assert part.prefix == 'model_' and len(part) == 2
    assert part[0] is net[1] and part[1] is net[2]
    assert list(part._children) == ['0', '1']
    # the slice shares the Parameter objects
    assert list(part.collect_params().keys()) == [
        'model_dense1_weight', 'model_dense1_bias', 'model_dense2_weight', 'model_dense2_bias']
    with pytest.raises(IndexError):
        net[3]


def test_sequential_runs_children_in_order_and_warns_on_hybridize():
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3, activation='tanh'), nn.Dense(2, in_units=4))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.RandomState(0).randn(5, 3))
    w0, b0 = net[0].weight.data().asnumpy(), net[0].bias.data().asnumpy()
    w1, b1 = net[1].weight.data().asnumpy(), net[1].bias.data().asnumpy()
    ref = np.tanh(x.asnumpy() @ w0.T + b0) @ w1.T + b1
    np.testing.assert_allclose(net(x).asnumpy(), ref, rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match='Consider using HybridSequential'):
        net.hybridize()


def test_hybrid_forward_called_with_ndarray_module():
    seen = []

    class Probe(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            seen.append(F)
            return F.relu(x)
    Probe()(mx.nd.ones((2,)))
    assert seen == [mx.nd]
    layer = nn.Dense(2, in_units=3)
    layer.initialize()
    # a layer's hybrid_forward can be called directly with F = mx.nd and explicit params
    x = mx.nd.ones((1, 3))
    out = layer.hybrid_forward(mx.nd, x, layer.weight.data(), layer.bias.data())
    np.testing.assert_allclose(out.asnumpy(), layer(x).asnumpy())


# ---------------------------------------------------------------- deferred init
def test_dense_deferred_shape_and_error_before_forward():
    layer = nn.Dense(100)
    assert layer.weight.shape == (100, 0)
    layer.initialize()
    with pytest.raises(mx.gluon.DeferredInitializationError, match='dense'):
        layer.weight.data()
    layer(mx.nd.ones((2, 7, 3)))
    assert layer.weight.shape == (100, 21)
    assert repr(layer) == 'Dense(21 -> 100, linear)'
    flat = nn.Dense(6, flatten=False)
    flat.initialize()
    assert flat(mx.nd.ones((2, 7, 3))).shape == (2, 7, 6)
    assert flat.weight.shape == (6, 3)


def test_conv_transpose_deferred_in_channels():
    layer = nn.Conv2DTranspose(3, 4)
    assert layer.weight.shape == (0, 3, 4, 4)
    layer.initialize()
    out = layer(mx.nd.ones((1, 5, 2, 2)))
    assert out.shape == (1, 3, 5, 5)
    assert layer.weight.shape == (5, 3, 4, 4)
    assert repr(layer) == 'Conv2DTranspose(3 -> 5, kernel_size=(4, 4), stride=(1, 1))'


def test_default_initializers_are_per_parameter():
    """weight_initializer None uses the global init; bias 'zeros', gamma 'ones', ..."""
    net = nn.HybridSequential(prefix='hybridsequential0_')  # counters are process-global
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2), nn.BatchNorm(in_channels=3))
    net.initialize(mx.init.Constant(0.5))
    got = {k: v.data().asnumpy() for k, v in net.collect_params().items()}
    np.testing.assert_array_equal(got['hybridsequential0_dense0_weight'], np.full((3, 2), .5))
    np.testing.assert_array_equal(got['hybridsequential0_dense0_bias'], np.zeros(3))
    np.testing.assert_array_equal(got['hybridsequential0_batchnorm0_gamma'], np.ones(3))
    np.testing.assert_array_equal(got['hybridsequential0_batchnorm0_beta'], np.zeros(3))
    np.testing.assert_array_equal(got['hybridsequential0_batchnorm0_running_mean'],
                                  np.zeros(3))
    np.testing.assert_array_equal(got['hybridsequential0_batchnorm0_running_var'], np.ones(3))


# ---------------------------------------------------------------- BatchNorm / Dropout
def test_batchnorm_running_stats_update_after_backward_only():
    rs = np.random.RandomState(3)
    xv = rs.randn(6, 2, 3).astype(np.float32)
    bn = nn.BatchNorm(momentum=0.7)
    bn.initialize()
    x = mx.nd.array(xv)
    bn(x)          # deferred init in predict mode: no update
    with autograd.record():
        y = bn(x)
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), np.zeros(2))
    y.backward()
    mean = xv.mean(axis=(0, 2))
    var = xv.var(axis=(0, 2))
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.3 * mean, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), 0.7 + 0.3 * var, rtol=1e-5)
    ref = (xv - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-4, atol=1e-5)


def test_dropout_train_and_predict():
    layer = nn.Dropout(0.5)
    x = mx.nd.ones((200, 50))
    np.testing.assert_array_equal(layer(x).asnumpy(), x.asnumpy())
    with autograd.train_mode():
        y = layer(x).asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.45 < (y == 0).mean() < 0.55
    shared = nn.Dropout(0.5, axes=(1,))
    with autograd.train_mode():
        z = shared(x).asnumpy()
    assert (z == z[:, :1]).all()      # one mask value per row


# ---------------------------------------------------------------- end to end
def _train(net, x, y, loss_fn, steps, lr, ctx=None):
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    losses = []
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
        losses.append(float(loss.mean().asscalar()))
    return losses


def test_mlp_and_cnn_learn_a_tiny_problem():
    rs = np.random.RandomState(0)
    xv = rs.randn(32, 1, 6, 6).astype(np.float32)
    labels = (xv[:, 0, :3].sum(axis=(1, 2)) > xv[:, 0, 3:].sum(axis=(1, 2))).astype(np.float32)
    x, y = mx.nd.array(xv), mx.nd.array(labels)
    loss_fn = gloss.SoftmaxCrossEntropyLoss()

    mlp = nn.Sequential()
    with mlp.name_scope():
        mlp.add(nn.Dense(16, activation='relu'), nn.Dense(2))
    mlp.initialize(mx.init.Xavier())
    losses = _train(mlp, x, y, loss_fn, 30, 0.5)
    assert losses[-1] < 0.5 * losses[0]

    cnn = nn.HybridSequential()
    with cnn.name_scope():
        cnn.add(nn.Conv2D(4, 3, padding=1, activation='relu'), nn.MaxPool2D(),
                nn.Flatten(), nn.Dense(2))
    cnn.initialize(mx.init.Xavier())
    losses = _train(cnn, x, y, loss_fn, 30, 0.3)
    assert losses[-1] < 0.5 * losses[0]


def _lenet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, activation='tanh'), nn.MaxPool2D(),
                nn.Conv2D(4, 2), nn.AvgPool2D(), nn.Flatten(),
                nn.Dense(8, activation='relu'), nn.Dense(3))
    return net


def test_two_contexts_match_one_context():
    rs = np.random.RandomState(1)
    xv = rs.randn(8, 1, 9, 9).astype(np.float32)
    yv = rs.randint(0, 3, 8).astype(np.float32)
    loss_fn = gloss.SoftmaxCrossEntropyLoss()
    results = []
    for ctxs in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        mx.random.seed(5)
        with mx.name.NameManager():
            net = _lenet()
        net.initialize(mx.init.Xavier(), ctx=ctxs)
        net(mx.nd.array(xv[:1], ctx=ctxs[0]))   # finish deferred init on every context
        for p in net.collect_params().values():   # identical start on both runs
            p.set_data(mx.nd.array(np.random.RandomState(len(p.name)).uniform(
                -0.5, 0.5, p.shape) if not p.name.endswith('running_var') else np.ones(p.shape)))
        trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
        for _ in range(3):
            xs = gutils.split_and_load(mx.nd.array(xv), ctxs) if len(ctxs) > 1 else \
                [mx.nd.array(xv)]
            ys = gutils.split_and_load(mx.nd.array(yv), ctxs) if len(ctxs) > 1 else \
                [mx.nd.array(yv)]
            with autograd.record():
                losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
            for loss in losses:
                loss.backward()
            trainer.step(8)
        params = net.collect_params()
        for p in params.values():
            if len(ctxs) > 1 and p.grad_req != 'null':
                np.testing.assert_allclose(p.data(mx.cpu(0)).asnumpy(),
                                           p.data(mx.cpu(1)).asnumpy(), rtol=1e-6)
        results.append({k: v.data(mx.cpu(0)).asnumpy() for k, v in params.items()
                        if v.grad_req != 'null'})
    assert results[0].keys() == results[1].keys()
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-4, atol=1e-5,
                                   err_msg=k)


def test_layers_in_mxnet2_naming_mode():
    """Under MXNet 2 naming (chosen once per process, so in a child process) the layers
    need no name_scope and collect_params is keyed by structure."""
    import subprocess
    import sys
    code = '\n'.join([
        'import distgluon as mx',
        'from distgluon.gluon import nn',
        'net = nn.HybridSequential()',
        "net.add(nn.Conv2D(2, 1), nn.BatchNorm(), nn.Dense(3, activation='relu'))",
        'net.initialize()',
        'print(net(mx.nd.ones((2, 4, 1, 1))).shape)',
        'print(list(net.collect_params().keys()))',
        'print(net[2].name, repr(net[2]), net[0].weight.name.startswith("param_"))'])
    env = dict(os.environ, DISTGLUON_NAMING='mxnet2')
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    env['PYTHONPATH'] = os.path.abspath(root) + os.pathsep + env.get('PYTHONPATH', '')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        '(2, 3)',
        "['0.weight', '0.bias', '1.gamma', '1.beta', '1.running_mean', '1.running_var', "
        "'2.weight', '2.bias']",
        'dense0 Dense(2 -> 3, Activation(relu)) True']
