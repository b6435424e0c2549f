"""Optimizer update operators (distgluon/ops/optimizer_ops.py, optimizer_multi.py,
optimizer_contrib.py) against MXNet 1.9.1: several steps of each op on the same arrays,
the returned weight and the states written in place after every step
(tests/fixtures/optimizer_ops.json, recorded by
``/work/mxvenv/bin/python tests/fixtures/gen_optimizer_ops.py`` from the cases of
tests/fixtures/optimizer_ops_cases.py, which both sides run).
"""
import json
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError
from distgluon.ops.registry import all_ops, get_op

_MODULES = ('optimizer_ops', 'optimizer_multi', 'optimizer_contrib')

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
sys.path.insert(0, FIXTURES)
import optimizer_ops_cases as C  # noqa: E402

with open(os.path.join(FIXTURES, 'optimizer_ops.json')) as _f:
    _DATA = json.load(_f)
CASES = {c['id']: c for c in _DATA['cases']}

# Cases whose MXNet result depends on the arrays given as ``out=``: MXNet's NAG kernel
# reads the weight after writing the output; a skipped AdamW step and all_finite with
# init_output=False leave ``out`` as it was. The kernels take ``out`` as
# ``forward(..., out=...)`` (checked below through the table); mx.nd passes it once the
# dispatcher hands ``out`` buffers to the kernel.
NEEDS_OUT = {'nag', 'nag-clip0', 'adamw-skip-fresh', 'all-finite-noinit',
             'multi-all-finite-noinit-fin'}
# MXNet's Python wrappers mx.nd.contrib.adamw_update / mp_adamw_update
NEEDS_CONTRIB_WRAPPER = {'adamw'}


def _dispatch_passes_out():
    w = mx.nd.array([1.0, 2.0])
    m = mx.nd.array([0.5, 0.5])
    mx.nd.nag_mom_update(w, mx.nd.array([0.0, 0.0]), m, lr=1.0, momentum=1.0, wd=1.0, out=w)
    return abs(float(m.asnumpy()[0]) - 1.0) < 1e-6   # 0.5 - (new weight -0.5); old: -0.5


def _values(rec):
    return np.array([float(v) for v in rec['data']], dtype=np.float64).reshape(rec['shape'])


def _check(got, want, what):
    assert got['shape'] == want['shape'], what
    assert got['dtype'] == want['dtype'], what
    tol = 2e-3 if want['dtype'] == 'float16' else 1e-5
    np.testing.assert_allclose(_values(got), _values(want), rtol=tol, atol=tol,
                               equal_nan=True, err_msg=what)


def _check_steps(got, want, cid):
    assert len(got) == len(want)
    for step, (g, w) in enumerate(zip(got, want)):
        assert len(g['results']) == len(w['results']), (cid, step)
        for k, (a, b) in enumerate(zip(g['results'], w['results'])):
            _check(a, b, '{} step {} result {}'.format(cid, step, k))
        for k, (a, b) in enumerate(zip(g['watch'], w['watch'])):
            _check(a, b, '{} step {} input {}'.format(cid, step, k))


def _marks(cid):
    if cid in NEEDS_OUT and not _dispatch_passes_out():
        return [pytest.mark.xfail(strict=True, reason='needs out= buffers passed to the '
                                  'kernel by ndarray/dispatch.py (see module comment)')]
    if cid in NEEDS_CONTRIB_WRAPPER and not hasattr(mx.nd.contrib, 'adamw_update'):
        return [pytest.mark.xfail(strict=True, reason='mx.nd.contrib.adamw_update not '
                                  'installed by ndarray/namespaces.py yet')]
    return []


@pytest.mark.parametrize('cid', [pytest.param(k, marks=_marks(k)) for k in CASES])
def test_matches_mxnet(cid):
    case = CASES[cid]
    if 'error' in case:
        with pytest.raises(MXNetError):
            C.run_case(mx, case)
        return
    _check_steps(C.run_case(mx, case), case['steps_out'], cid)


def test_fixture_covers_every_optimizer_op():
    recorded = {c['fn'].split('.')[-1] for c in CASES.values()}
    recorded |= {'lamb_update_phase1', 'lamb_update_phase2'}          # the 'lamb' cases
    recorded.add('_adamw_update')                                       # contrib wrapper
    mine = {name for name, op in all_ops().items()
            if type(op).__module__.endswith(_MODULES)}
    # GroupAdaGrad's kernel is GPU-only in MXNet 1.9.1: checked against numpy below
    assert mine - recorded == {'_contrib_group_adagrad_update'}


# ------------------------------------------------------------------ out= semantics
@pytest.mark.parametrize('cid', ['nag', 'nag-noout', 'nag-fresh'])
def test_nag_kernel_reads_the_output_like_mxnet(cid):
    """The kernel given the output buffer (as MXNet's is) gives MXNet's momentum: from
    the new weight when the output is the weight, from the old one otherwise."""
    case = CASES[cid]
    op = get_op('nag_mom_update')
    a = op.parse(dict(case['kwargs']))
    w, g, m = [np.array(i['data'], dtype=np.float32) for i in case['inputs']]
    for step in case['steps_out']:
        out = {'nag': [w], 'nag-noout': None, 'nag-fresh': [np.zeros_like(w)]}[cid]
        y = op.forward(np, a, w, g, m, out=out)
        np.testing.assert_allclose(y, _values(step['results'][0]), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(m, _values(step['watch'][-1]), rtol=1e-5, atol=1e-6)
        if out is not None and out[0] is not w:
            w = w.copy()        # a fresh output each step; the weight itself is unchanged


def test_all_finite_kernel_keeps_out_without_init():
    op = get_op('multi_all_finite')
    a = op.parse({'num_arrays': 2, 'init_output': False})
    out = np.array([3.0], dtype=np.float32)
    ok, bad = np.ones(3, np.float32), np.array([1.0, np.nan], np.float32)
    assert op.forward(np, a, ok, ok, out=[out]) is out and out[0] == 3.0
    op.forward(np, a, ok, bad, out=[out])
    assert out[0] == 0.0
    op.forward(np, a, ok, ok, out=[out])
    assert out[0] == 0.0        # AMP's chunks: one overflow anywhere stays 0


def test_adamw_leaves_the_gradient_alone():
    """MXNet 1.9.1's _adamw_update writes clip(rescale_grad * grad) back into grad; the
    gradient is an input, so we do not."""
    w, g = mx.nd.array([1.0, 2.0]), mx.nd.array([0.4, -0.8])
    m, v = mx.nd.zeros(2), mx.nd.zeros(2)
    mx.nd._internal._adamw_update(w, g, m, v, mx.nd.array([0.5]), lr=0.1, eta=1.0,
                                  clip_gradient=0.3, out=w)
    np.testing.assert_array_equal(g.asnumpy(), np.float32([0.4, -0.8]))
    np.testing.assert_allclose(m.asnumpy(), [0.02, -0.03], rtol=1e-6)


def test_adamw_skipped_step_leaves_out_alone():
    op = get_op('_adamw_update')
    a = op.parse({'lr': 0.1, 'eta': 1.0})
    w, g = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
    m, v = np.zeros(3, np.float32), np.zeros(3, np.float32)
    out = np.full(3, 7.0, np.float32)
    assert op.forward(np, a, w, g, m, v, np.array([np.nan], np.float32), out=[out]) is out
    assert (out == 7).all() and (m == 0).all() and (w == 1).all()


# ------------------------------------------------------------------ deliberate differences
def test_mp_lamb_phase2_updates_the_master_weight():
    """MXNet 1.9.1 leaves weight32 unchanged (its master copy never moves); as
    documented, weight32 = weight32 - lr * trust * g, and the output is its float16."""
    w32 = np.array([1.0, -2.0, 0.5], np.float32)
    g = np.array([0.5, 0.25, -1.0], np.float32)
    weight32 = mx.nd.array(w32)
    weight = mx.nd.array(w32, dtype='float16')
    out = mx.nd.mp_lamb_update_phase2(weight, mx.nd.array(g), mx.nd.array([2.0]),
                                      mx.nd.array([0.5]), weight32, lr=0.1, out=weight)
    want = w32 - 0.1 * (2.0 / 0.5) * g
    np.testing.assert_allclose(weight32.asnumpy(), want, rtol=1e-6)
    assert out is weight and weight.dtype == np.float16
    np.testing.assert_allclose(weight.asnumpy(), want.astype(np.float16))


def test_group_adagrad_update_against_numpy():
    rng = np.random.default_rng(0)
    w0, grad = rng.uniform(-1, 1, (4, 3)), rng.uniform(-2, 2, (4, 3))
    weight, hist = mx.nd.array(w0), mx.nd.zeros((4, 1))
    hist_np, w_np = np.zeros((4, 1)), w0.copy()
    for _ in range(3):
        mx.nd.contrib.group_adagrad_update(weight, mx.nd.array(grad), hist, lr=0.1,
                                           rescale_grad=0.5, clip_gradient=0.6,
                                           epsilon=1e-3, out=weight)
        g = np.clip(0.5 * grad, -0.6, 0.6)
        hist_np += (g * g).mean(axis=1, keepdims=True)
        w_np -= 0.1 * g / np.sqrt(hist_np + 1e-3)
    np.testing.assert_allclose(hist.asnumpy(), hist_np, rtol=1e-5)
    np.testing.assert_allclose(weight.asnumpy(), w_np, rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError):
        mx.nd.contrib.group_adagrad_update(mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones((3, 1)),
                                           lr=0.1)


def test_multi_update_without_out_returns_new_arrays():
    """MXNet 1.9.1 cannot infer the shapes without out= and fails; we return them."""
    w0, g0, w1, g1 = mx.nd.ones(2), mx.nd.ones(2), mx.nd.ones((2, 2)), mx.nd.ones((2, 2))
    r = mx.nd.multi_sgd_update(w0, g0, w1, g1, lrs=(0.1, 0.2), wds=(0.0, 0.0), num_weights=2)
    assert [x.shape for x in r] == [(2,), (2, 2)]
    np.testing.assert_allclose(r[1].asnumpy(), np.full((2, 2), 0.8), rtol=1e-6)
    assert (w0.asnumpy() == 1).all()


# ------------------------------------------------------------------ autograd, symbols
def test_update_ops_are_not_recorded():
    w, g, m = mx.nd.array([1.0, 2.0]), mx.nd.array([0.5, -0.5]), mx.nd.zeros(2)
    w.attach_grad()
    with mx.autograd.record():
        new = mx.nd.sgd_mom_update(w, g, m, lr=0.1, momentum=0.9)
        y = (w * 3 + new).sum()
    y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [3.0, 3.0])   # nothing through the update
    for name, op in all_ops().items():
        if type(op).__module__.endswith(_MODULES):
            assert op.differentiable is False, name


def _symbol(rec):
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in rec['kwargs'].items()}
    with mx.name.NameManager():
        return getattr(mx.sym, rec['fn'])(
            *[mx.sym.var('a%d' % i) for i in range(rec['num_inputs'])], **kwargs)


def _sym_marks(rec):
    if rec['aux'] and not _symbol(rec).list_auxiliary_states():
        return [pytest.mark.xfail(strict=True, reason='mutated inputs (auxiliary states) '
                                  'of the update ops are not yet known to the symbol layer')]
    return []


@pytest.mark.parametrize('rec', [pytest.param(r, marks=_sym_marks(r), id=r['fn'])
                                 for r in _DATA['symbols']])
def test_symbol_json_equals_mxnet(rec):
    s = _symbol(rec)
    assert s.list_arguments() == rec['arguments']
    assert s.list_auxiliary_states() == rec['aux']
    assert s.list_outputs() == rec['outputs']
    assert s.tojson() == rec['json']


def test_sgd_update_symbol():
    """MXNet 1.9.1 cannot compose ``mx.sym.sgd_update`` at all ("Not enough argument");
    ours builds the node MXNet's JSON format describes and runs it."""
    s = mx.sym.sgd_update(mx.sym.var('w'), mx.sym.var('g'), lr=0.1, wd=0.01, name='u')
    node = json.loads(s.tojson())['nodes'][-1]
    assert node == {'op': 'sgd_update', 'name': 'u', 'attrs': {'lr': '0.1', 'wd': '0.01'},
                    'inputs': [[0, 0, 0], [1, 0, 0]]}
    assert s.list_arguments() == ['w', 'g'] and s.list_outputs() == ['u_output']
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()
    out = s.eval(w=mx.nd.array([1.0, 2.0]), g=mx.nd.array([0.5, -0.5]))[0]
    np.testing.assert_allclose(out.asnumpy(), [1.0 * 0.999 - 0.05, 2.0 * 0.999 + 0.05],
                               rtol=1e-6)
