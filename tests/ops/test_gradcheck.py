"""Numerical gradient check of every operator in the table that has a backward.

Each Op declares its own cases (``Op.samples``); this test walks the table, runs
forward + backward through ``mx.nd`` under ``autograd.record`` in float64, and compares
with central differences of the forward kernel. An op with a backward but no sample
fails the coverage test, so the check cannot silently skip a new op.
"""
import numpy as np
import pytest

import distgluon as mx
from distgluon.ops.registry import all_ops

EPS = 1e-6


def _differentiable_ops():
    seen, ops = set(), []
    for name, op in sorted(all_ops().items()):
        if op.differentiable and id(op) not in seen and op.custom_gradient is None:
            seen.add(id(op))
            ops.append(op)
    return ops


OPS = _differentiable_ops()
CASES = [(op, i) for op in OPS for i in range(len(op.samples))]


def test_every_differentiable_op_has_samples():
    missing = [op.name for op in OPS if not op.samples]
    assert not missing, 'ops with a backward but no gradient-check Sample: {}'.format(missing)


def _forward_sum(op, attrs, inputs, weights, train):
    """sum_k <w_k, y_k> over the visible outputs, computed with the op's kernel."""
    prev = mx.autograd.set_training(train)
    try:
        a = op.parse(dict(attrs))
        ys = op.forward(np, a, *inputs)
    finally:
        mx.autograd.set_training(prev)
    ys = ys if isinstance(ys, tuple) else (ys,)
    return sum(float(np.sum(np.asarray(y, dtype=np.float64) * w))
               for y, w in zip(ys[:op.num_visible(a)], weights))


@pytest.mark.parametrize('op,index', CASES, ids=['{}-{}'.format(o.name, i) for o, i in CASES])
def test_numerical_gradient(op, index):
    sample = op.samples[index]
    rng = np.random.default_rng(1234 + index)
    raw = sample.inputs(rng)
    wrt = sample.wrt if sample.wrt is not None else tuple(range(len(raw)))
    arrays = []
    for i, x in enumerate(raw):
        dtype = np.float64 if i in wrt or np.issubdtype(x.dtype, np.floating) else x.dtype
        arrays.append(mx.nd.array(x, dtype=dtype))
    for i in wrt:
        arrays[i].attach_grad()
    fn = getattr(mx.nd.op, op.name)
    mx.random.seed(7) if hasattr(mx, 'random') else None
    with mx.autograd.record(train_mode=sample.train):
        outs = fn(*arrays, **sample.attrs)
    outs = outs if isinstance(outs, list) else [outs]
    weights = [rng.uniform(-1, 1, size=o.shape) for o in outs]
    heads = [o for o in outs]
    mx.autograd.backward(heads, [mx.nd.array(w, dtype=o.dtype) for w, o in zip(weights, outs)],
                         train_mode=sample.train)
    base_inputs = [a.asnumpy() for a in arrays]
    for i in wrt:
        analytic = arrays[i].grad.asnumpy()
        numeric = np.zeros_like(base_inputs[i], dtype=np.float64)
        flat = base_inputs[i].reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + EPS
            plus = _forward_sum(op, sample.attrs, base_inputs, weights, sample.train)
            flat[j] = orig - EPS
            minus = _forward_sum(op, sample.attrs, base_inputs, weights, sample.train)
            flat[j] = orig
            numeric.reshape(-1)[j] = (plus - minus) / (2 * EPS)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6,
                                   err_msg='{} input {} {}'.format(op.name, i, sample))
