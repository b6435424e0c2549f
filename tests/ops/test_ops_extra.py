"""The linalg, contrib, image and assorted operators of distgluon/ops/{linalg_ext,
linalg_decomp, misc, contrib, image}.py and the ``mx.nd.linalg/contrib/image`` namespaces.

Values, dtypes, shapes, gradients and error kinds are replayed against MXNet 1.9.1
(tests/fixtures/ops_extra.json, produced by tests/fixtures/gen_ops_extra.py run with the
MXNet venv); the symmetric-gradient ops (potrf, syevd) are also checked against
symmetric central differences, and the random image ops against their definitions.
"""
import json
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.ndarray import namespaces
from distgluon.ops.registry import all_ops

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures'))
from oracle_record import backward_fn_case, call_fn_case, fn_case_inputs  # noqa: E402

if not hasattr(mx.nd, 'linalg'):      # until ndarray/__init__ calls install itself
    namespaces.install(mx.nd)
if not hasattr(mx.sym, 'linalg'):
    namespaces.install(mx.sym)

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ops_extra.json')
with open(FIXTURE) as _f:
    CASES = json.load(_f)['cases']
ERRORS = {'MXNetError': MXNetError, 'ValueError': ValueError, 'TypeError': TypeError}
# Where we deliberately differ (see the Notes of the op modules).
ZERO_D = {'allclose-0', 'allclose-1', 'allclose-2', 'allclose-3', 'allclose-4'}


def _check(got, rec, what):
    got = np.asarray(got)
    rec_data = np.asarray(rec['data'], dtype=np.float64)
    assert np.dtype(got.dtype).name == rec['dtype'], what
    if 'shape' in rec:
        assert got.shape == tuple(rec['shape']), what
    tol = {'float16': 2e-3, 'float32': 2e-4}.get(rec['dtype'], 1e-9)
    np.testing.assert_allclose(got.astype(np.float64), rec_data.reshape(got.shape),
                               rtol=tol, atol=tol, equal_nan=True, err_msg=what)


@pytest.mark.parametrize('case', CASES, ids=[c['id'] for c in CASES])
def test_matches_mxnet_recording(case):
    inputs = fn_case_inputs(mx, case)
    if 'error' in case:
        with pytest.raises(ERRORS[case['error']]):
            [o.asnumpy() for o in call_fn_case(mx, case, inputs)]
        return
    outs = call_fn_case(mx, case, inputs)
    assert len(outs) == len(case['outputs'])
    for i, (o, rec) in enumerate(zip(outs, case['outputs'])):
        if case['id'] in ZERO_D:       # MXNet: shape (); ours (1,)
            assert o.shape == (1,) and rec['shape'] == []
            rec = dict(rec, data=[rec['data']], shape=[1])
        _check(o.asnumpy(), rec, '{} output {}'.format(case['id'], i))
    if case['wrt']:
        backward_fn_case(mx, outs)
        for k, rec in zip(case['wrt'], case['grads']):
            _check(inputs[k].grad.asnumpy(), rec, '{} grad of input {}'.format(case['id'], k))


def test_fixture_covers_every_new_namespace_op():
    fns = {c['fn'] for c in CASES}
    # CTCLoss's contrib aliases are recorded with the sequence/CTC fixture
    other = json.load(open(os.path.join(os.path.dirname(__file__), '..', 'fixtures',
                                        'sequence_ctc.json')))
    fns |= {c['fn'] for group in other.values() if isinstance(group, list)
            for c in group if isinstance(c, dict) and 'fn' in c}
    for sub, prefix in namespaces.PREFIXES.items():
        for name in all_ops():
            short = name[len(prefix):]
            if name.startswith(prefix) and not short.startswith('random_'):
                # group_adagrad_update: GPU-only in MXNet 1.9.1, so checked against numpy
                # in test_optimizer_ops.py
                assert '{}.{}'.format(sub, short) in fns or name in (
                    '_linalg_gemm2', '_contrib_group_adagrad_update'), name


# ---------------------------------------------------------------- symmetric gradients
def _symmetric_numeric_grad(f, A, eps=1e-6):
    """d f / d A_ij along the symmetric perturbation (E_ij + E_ji) / 2."""
    g = np.zeros_like(A)
    for i, j in np.ndindex(A.shape):
        d = np.zeros_like(A)
        d[i, j] += eps / 2
        d[j, i] += eps / 2
        g[i, j] = (f(A + d) - f(A - d)) / (2 * eps)
    return g


@pytest.mark.parametrize('opname', ['potrf', 'syevd'])
def test_symmetric_gradient_matches_central_differences(opname):
    rng = np.random.default_rng(3)
    m = rng.uniform(-1, 1, (4, 4))
    A = m @ m.T + 4 * np.eye(4)
    weights = [rng.uniform(-1, 1, (4, 4)), rng.uniform(-1, 1, 4)]
    fn = getattr(mx.nd.linalg, opname)

    def scalar(X):
        outs = fn(mx.nd.array(X, dtype='float64'))
        outs = outs if isinstance(outs, list) else [outs]
        return sum(float((o.asnumpy() * w).sum()) for o, w in zip(outs, weights))
    x = mx.nd.array(A, dtype='float64')
    x.attach_grad()
    with mx.autograd.record():
        outs = fn(x)
    outs = outs if isinstance(outs, list) else [outs]
    mx.autograd.backward(outs, [mx.nd.array(w, dtype='float64') for w in weights[:len(outs)]])
    np.testing.assert_allclose(x.grad.asnumpy(), _symmetric_numeric_grad(scalar, A),
                               rtol=1e-5, atol=1e-7)


def test_linalg_values_against_numpy():
    rng = np.random.default_rng(0)
    m = rng.uniform(-1, 1, (2, 3, 3))
    spd = m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)
    x = mx.nd.array(spd, dtype='float64')
    L = mx.nd.linalg.potrf(x).asnumpy()
    np.testing.assert_allclose(L @ np.swapaxes(L, -1, -2), spd, rtol=1e-10)
    np.testing.assert_allclose(mx.nd.linalg.potri(mx.nd.array(L, dtype='float64')).asnumpy(),
                               np.linalg.inv(spd), rtol=1e-9)
    U, lam = mx.nd.linalg.syevd(x)
    U, lam = U.asnumpy(), lam.asnumpy()
    np.testing.assert_allclose(np.swapaxes(U, -1, -2) @ (lam[..., None] * U), spd, rtol=1e-9)
    assert (np.take_along_axis(U, np.abs(U).argmax(-1)[..., None], -1) > 0).all()
    np.testing.assert_allclose(mx.nd.linalg.sumlogdiag(x).asnumpy(),
                               np.log(np.diagonal(spd, 0, -2, -1)).sum(-1))
    Q, Lq = mx.nd.linalg.gelqf(mx.nd.array(m[0, :2], dtype='float64'))
    np.testing.assert_allclose(Lq.asnumpy() @ Q.asnumpy(), m[0, :2], atol=1e-12)
    np.testing.assert_allclose(Q.asnumpy() @ Q.asnumpy().T, np.eye(2), atol=1e-12)


def test_legacy_aliases_are_the_same_ops():
    a = mx.nd.array([[4.0, 0.0], [2.0, 5.0]])
    for short in ('potrf', 'inverse', 'det', 'sumlogdiag', 'extractdiag'):
        np.testing.assert_array_equal(getattr(mx.nd, 'linalg_' + short)(a).asnumpy(),
                                      getattr(mx.nd.linalg, short)(a).asnumpy())


# ---------------------------------------------------------------- namespaces
def test_namespaces_come_from_the_table():
    import distgluon.ndarray.contrib as contrib_module
    assert contrib_module is mx.nd.contrib
    for sub, prefix in namespaces.PREFIXES.items():
        expected = {n[len(prefix):] for n in all_ops() if n.startswith(prefix)}
        for module in (getattr(mx.nd, sub), getattr(mx.sym, sub)):
            assert expected <= set(dir(module)), sub


def test_symbol_namespace_names_nodes_like_mxnet():
    x = mx.sym.var('x')
    assert mx.sym.linalg.potrf(x).name == 'potrf0'
    assert mx.sym.contrib.boolean_mask(x, x).name == 'boolean_mask0'
    assert mx.sym.image.to_tensor(x).name == 'to_tensor0'
    assert mx.sym.linalg.gelqf(x).list_outputs() == ['gelqf0_output0', 'gelqf0_output1']
    h = mx.sym.histogram(x, bins=4, range=(0, 1))
    assert h.list_outputs() == ['_histogram0_output0', '_histogram0_output1']
    with pytest.raises(ValueError):
        mx.sym.histogram(x, bins=4)


def test_symbolic_linalg_evaluates():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    y = mx.sym.linalg.trmm(a, b, alpha=2.0)
    av, bv = np.array([[2.0, 9.0], [1.0, 3.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    out = y.eval(a=mx.nd.array(av), b=mx.nd.array(bv))[0]
    np.testing.assert_allclose(out.asnumpy(), 2 * np.tril(av) @ bv)


# ---------------------------------------------------------------- random image ops
def test_random_image_ops_are_reproducible_and_in_range():
    img = mx.nd.array(np.arange(2 * 3 * 3).reshape(2, 3, 3) * 10, dtype='float32')
    mx.random.seed(11)
    first = [mx.nd.image.random_brightness(img, 0.5, 1.5).asnumpy() for _ in range(3)]
    mx.random.seed(11)
    again = [mx.nd.image.random_brightness(img, 0.5, 1.5).asnumpy() for _ in range(3)]
    for f, g in zip(first, again):
        np.testing.assert_array_equal(f, g)
        ratio = f.reshape(-1)[1:] / img.asnumpy().reshape(-1)[1:]
        assert np.allclose(ratio, ratio[0], rtol=1e-5) and 0.5 <= ratio[0] <= 1.5
    seen = set()
    for _ in range(40):
        out = mx.nd.image.random_flip_left_right(img).asnumpy()
        flipped = np.array_equal(out, img.asnumpy()[:, ::-1])
        assert flipped or np.array_equal(out, img.asnumpy())
        seen.add(flipped)
    assert seen == {True, False}
    u8 = mx.nd.array(np.full((2, 2, 3), 200), dtype='uint8')
    assert mx.nd.image.random_contrast(u8, 2.0, 2.0).dtype == np.uint8
    lit = mx.nd.image.random_lighting(img, alpha_std=0.0).asnumpy()
    np.testing.assert_allclose(lit, img.asnumpy())
    with pytest.raises(MXNetError):
        mx.nd.image.random_brightness(mx.nd.zeros((1, 2, 2, 3)), 0.5, 1.5)


def test_histogram_with_numpy_fallback_warns():
    with pytest.warns(UserWarning):
        counts, edges = mx.nd.histogram(mx.nd.array([0, 1, 1, 2, 5]), bins=2)
    assert counts.asnumpy().tolist() == [4.0, 1.0] and counts.dtype == np.float32
    assert edges.asnumpy().tolist() == [0.0, 2.5, 5.0]
