"""SequenceLast, SequenceReverse and CTCLoss (distgluon/ops/{sequence,ctc}.py) and
gluon.loss.CTCLoss.

Values, dtypes, gradients and error kinds are replayed against MXNet 1.9.1
(tests/fixtures/sequence_ctc.json, produced by tests/fixtures/gen_sequence_ctc.py run with
the MXNet venv); the CTC loss is also checked against a brute-force sum over all
alignments, the sequence ops against per-item numpy loops, and the deliberate
differences (see the Notes of the op modules) are pinned down.
"""
import itertools
import json
import os

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'sequence_ctc.json')
with open(FIXTURE) as _f:
    _DATA = json.load(_f)
OPS = [c for c in _DATA['ops'] if not c['fn'].startswith('_internal.')]
GLUON = _DATA['gluon']


def _resolve(path):
    obj = mx.nd
    for part in path.split('.'):
        obj = getattr(obj, part)
    return obj


def _head(shape):
    return np.cos(1 + np.arange(int(np.prod(shape)))).reshape(shape)


def _nd(rec):
    return mx.nd.array(np.array(rec['data'], dtype=np.float64), dtype=rec['dtype'])


def _check(got, rec, what):
    got = got.asnumpy()
    assert got.dtype.name == rec['dtype'], what
    assert list(got.shape) == rec['shape'], what
    tol = 2e-5 if rec['dtype'] == 'float32' else 1e-12
    np.testing.assert_allclose(got.ravel().astype(np.float64), rec['data'], rtol=tol,
                               atol=tol, err_msg=what)


@pytest.mark.parametrize('case', OPS, ids=[c['id'] for c in OPS])
def test_matches_mxnet_recording(case):
    xs = [_nd(i) for i in case['inputs']]
    for k in case['wrt']:
        xs[k].attach_grad()
    fn = _resolve(case['fn'])
    if 'error' in case:
        with pytest.raises(MXNetError):
            fn(*xs, **case['kwargs']).asnumpy()
        return
    with mx.autograd.record():
        out = fn(*xs, **case['kwargs'])
    outs = out if isinstance(out, list) else [out]
    assert len(outs) == len(case['outputs'])
    for o, rec in zip(outs, case['outputs']):
        _check(o, rec, case['id'])
    if case['wrt']:
        mx.autograd.backward(outs, [mx.nd.array(_head(o.shape), dtype=o.dtype) for o in outs])
        for k, rec in zip(case['wrt'], case['grads']):
            _check(xs[k].grad, rec, '{} grad of input {}'.format(case['id'], k))


# ------------------------------------------------------------------ sequence ops
def _last_ref(x, lengths, axis):
    out = []
    for b in range(x.shape[1 - axis]):
        t = int(lengths[b]) - 1
        out.append(x[t, b] if axis == 0 else x[b, t])
    return np.stack(out)


def _reverse_ref(x, lengths):
    out = x.copy()
    for b in range(x.shape[1]):
        n = int(lengths[b])
        out[:n, b] = x[:n, b][::-1]
    return out


@pytest.mark.parametrize('axis', [0, 1])
def test_sequence_last_against_loop(axis):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5, 3))
    lengths = rng.integers(1, x.shape[axis] + 1, size=x.shape[1 - axis]).astype(np.float64)
    got = mx.nd.SequenceLast(mx.nd.array(x, dtype='float64'), mx.nd.array(lengths),
                             use_sequence_length=True, axis=axis)
    np.testing.assert_array_equal(got.asnumpy(), _last_ref(x, lengths, axis))
    full = np.full(x.shape[1 - axis], x.shape[axis])
    np.testing.assert_array_equal(
        mx.nd.SequenceLast(mx.nd.array(x, dtype='float64'), axis=axis).asnumpy(),
        _last_ref(x, full, axis))


def test_sequence_reverse_against_loop_and_is_an_involution():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 4, 2, 3))
    lengths = np.array([0, 7, 3, 1])
    nd_len = mx.nd.array(lengths, dtype='int32')
    got = mx.nd.SequenceReverse(mx.nd.array(x, dtype='float64'), nd_len,
                                use_sequence_length=True)
    np.testing.assert_array_equal(got.asnumpy(), _reverse_ref(x, lengths))
    back = mx.nd.SequenceReverse(got, nd_len, use_sequence_length=True)
    np.testing.assert_array_equal(back.asnumpy(), x)


def test_sequence_last_backward_without_lengths():
    # MXNet 1.9.1 segfaults here; the gradient lands on the last step.
    x = mx.nd.array(np.arange(12.).reshape(3, 2, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SequenceLast(x)
    y.backward(mx.nd.array([[1, 2], [3, 4]]))
    want = np.zeros((3, 2, 2))
    want[2] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(x.grad.asnumpy(), want)


@pytest.mark.parametrize('opname,lengths', [('SequenceLast', [0, 2, 3]),
                                            ('SequenceLast', [1, 5, 3]),
                                            ('SequenceReverse', [-1, 2, 3]),
                                            ('SequenceReverse', [1, 2, 5])])
def test_out_of_range_lengths_raise(opname, lengths):
    # MXNet reads outside the array for these; we name the bad length.
    x = mx.nd.ones((4, 3, 2))
    with pytest.raises(MXNetError, match='sequence_length'):
        getattr(mx.nd, opname)(x, mx.nd.array(lengths), use_sequence_length=True)


def test_sequence_ops_in_symbols():
    d, n = mx.sym.var('d'), mx.sym.var('n')
    last = mx.sym.SequenceLast(d, n, use_sequence_length=True, axis=1)
    assert last.list_arguments() == ['d', 'n']
    assert last.infer_shape(d=(4, 3, 2))[:2] == ([(4, 3, 2), (4,)], [(4, 2)])
    rev = mx.sym.SequenceReverse(d, use_sequence_length=True, name='rev')
    assert rev.list_arguments() == ['d', 'rev_sequence_length']
    assert rev.infer_shape(d=(4, 3, 2))[:2] == ([(4, 3, 2), (3,)], [(4, 3, 2)])
    x = np.arange(24.).reshape(4, 3, 2)
    out = rev.eval(d=mx.nd.array(x), rev_sequence_length=mx.nd.array([1, 4, 2]))[0]
    np.testing.assert_array_equal(out.asnumpy(), _reverse_ref(x, [1, 4, 2]))


# ------------------------------------------------------------------ CTC
def _brute_force_ctc(x, label, blank):
    """-log sum over every path of length T that collapses to ``label``."""
    steps, classes = x.shape
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [k for i, k in enumerate(path) if (i == 0 or k != path[i - 1])]
        if [k for k in collapsed if k != blank] == list(label):
            total += np.prod(p[np.arange(steps), path])
    return -np.log(total)


@pytest.mark.parametrize('blank_label', ['first', 'last'])
def test_ctc_loss_against_brute_force(blank_label):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 4, 3)) * 1.5
    blank = 0 if blank_label == 'first' else 2
    labels = [[1], [1, 1], [2, 1], []] if blank_label == 'first' else [[0], [0, 0], [1, 0], []]
    pad = 0 if blank_label == 'first' else -1
    padded = np.array([lab + [pad] * (2 - len(lab)) for lab in labels], dtype=np.float64)
    got = mx.nd.CTCLoss(mx.nd.array(x, dtype='float64'), mx.nd.array(padded, dtype='float64'),
                        blank_label=blank_label).asnumpy()
    want = [_brute_force_ctc(x[:, b], labels[b], blank) for b in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_ctc_data_lengths_equal_truncated_sequences():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 3, 4))
    label = np.array([[1, 2, 0], [3, 3, 1], [2, 0, 0]], dtype=np.float64)
    t_len = np.array([6, 5, 2])
    xs = mx.nd.array(x, dtype='float64')
    xs.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(xs, mx.nd.array(label), mx.nd.array(t_len),
                             use_data_lengths=True)
    loss.backward()
    for b in range(3):
        xb = mx.nd.array(x[:t_len[b], b:b + 1], dtype='float64')
        xb.attach_grad()
        with mx.autograd.record():
            lb = mx.nd.CTCLoss(xb, mx.nd.array(label[b:b + 1, :t_len[b]]))
        lb.backward()
        np.testing.assert_allclose(loss.asnumpy()[b], lb.asnumpy()[0], rtol=1e-12)
        np.testing.assert_allclose(xs.grad.asnumpy()[:t_len[b], b], xb.grad.asnumpy()[:, 0],
                                   rtol=1e-10, atol=1e-12)
        assert not xs.grad.asnumpy()[t_len[b]:, b].any()


def test_ctc_infeasible_label_gives_zero_loss_and_gradient():
    x = mx.nd.array(np.random.default_rng(2).normal(size=(2, 2, 4)))
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(x, mx.nd.array([[1, 1], [3, 0]]))
    loss.backward()
    assert loss.asnumpy()[0] == 0 and loss.asnumpy()[1] > 0
    assert not x.grad.asnumpy()[:, 0].any()
    assert x.grad.asnumpy()[:, 1].any()


def test_ctc_all_empty_labels_is_the_blank_path():
    # MXNet 1.9.1 returns 0 when every label is empty; we return -log p(all blanks).
    x = np.random.default_rng(3).normal(size=(4, 2, 3))
    got = mx.nd.CTCLoss(mx.nd.array(x, dtype='float64'), mx.nd.zeros((2, 2))).asnumpy()
    logp = x - np.log(np.exp(x).sum(2, keepdims=True))
    np.testing.assert_allclose(got, -logp[:, :, 0].sum(0), rtol=1e-12)


@pytest.mark.parametrize('label,kwargs,extra', [
    ([[1, -1], [2, 0]], {}, []),                                   # -1 is not 'first' padding
    ([[1, 4], [2, 0]], {}, []),                                    # class 4 of 4 channels
    ([[1, 2], [2, 0]], {'use_data_lengths': True}, [[6, 3]]),      # longer than T
    ([[1, 2], [2, 0]], {'use_label_lengths': True}, [[3, 1]]),     # longer than the label
    ([[1, 2], [2, 0]], {'use_label_lengths': True}, [[-1, 1]]),
])
def test_ctc_bad_labels_and_lengths_raise(label, kwargs, extra):
    x = mx.nd.zeros((5, 2, 4))
    with pytest.raises(MXNetError):
        mx.nd.CTCLoss(x, mx.nd.array(label), *[mx.nd.array(e) for e in extra], **kwargs)


def test_ctc_symbol_outputs_and_json():
    d, lab = mx.sym.var('d'), mx.sym.var('l')
    s = mx.sym.CTCLoss(d, lab, name='ctc')
    assert s.list_outputs() == ['ctc_output0']
    assert s.infer_shape(d=(5, 2, 4), l=(2, 3))[:2] == ([(5, 2, 4), (2, 3)], [(2,)])
    graph = json.loads(s.tojson())
    assert graph['node_row_ptr'] == [0, 1, 2, 4]        # MXNet's hidden grad output
    s2 = mx.sym.contrib.ctc_loss(d, lab, use_label_lengths=True, name='c2')
    assert s2.list_arguments() == ['d', 'l', 'c2_label_lengths']
    x = np.random.default_rng(4).normal(size=(5, 2, 4))
    ex = s2.bind(mx.cpu(), {'d': mx.nd.array(x), 'l': mx.nd.array([[1, 2], [3, 3]]),
                            'c2_label_lengths': mx.nd.array([2, 1])},
                 args_grad={'d': mx.nd.zeros((5, 2, 4))})
    out = ex.forward(is_train=True)[0]
    want = mx.nd.CTCLoss(mx.nd.array(x), mx.nd.array([[1, 2], [3, 0]]))
    np.testing.assert_allclose(out.asnumpy(), want.asnumpy(), rtol=1e-6)
    ex.backward(mx.nd.ones((2,)))
    assert ex.grad_dict['d'].shape == (5, 2, 4) and ex.grad_dict['d'].asnumpy().any()


# ------------------------------------------------------------------ gluon
@pytest.mark.parametrize('case', GLUON, ids=[c['id'] for c in GLUON])
def test_gluon_ctc_loss_matches_mxnet(case):
    loss = mx.gluon.loss.CTCLoss(**case['init'])
    if case['hybridize']:
        loss.hybridize()
    xs = [None if i is None else _nd(i) for i in case['inputs']]
    xs[0].attach_grad()
    with mx.autograd.record():
        out = loss(*xs)
    out.backward()
    assert repr(loss) == case['repr']
    _check(out, case['output'], case['id'])
    _check(xs[0].grad, case['grad'], case['id'] + ' grad')


def test_gluon_ctc_loss_rejects_unknown_layouts():
    with pytest.raises(AssertionError, match="Only 'NTC' and 'TNC' layouts for pred"):
        mx.gluon.loss.CTCLoss(layout='NCT')
    with pytest.raises(AssertionError, match="Only 'NT' and 'TN' layouts for label"):
        mx.gluon.loss.CTCLoss(label_layout='TT')
