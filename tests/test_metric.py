"""mx.metric driven as a user would, against MXNet 1.9.1 and against numpy oracles.

The snippets in tests/fixtures/metric_cases.py run here with distgluon and must record
what MXNet 1.9.1 recorded (tests/fixtures/metrics.json, made by
``/work/mxvenv/bin/python tests/fixtures/gen_metrics.py``): values, their Python/numpy
types, error types and (for ValueError/AssertionError) messages. The other tests check the
documented semantics against independent numpy computations.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import pytest

import distgluon as mx
from distgluon import metric
from distgluon.metric._select import argpartition_np123

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
sys.path.insert(0, FIXTURES)
from metric_cases import CASES  # noqa: E402
from oracle_record import Recorder, compare  # noqa: E402

with open(os.path.join(FIXTURES, 'metrics.json')) as _f:
    RECORDED = json.load(_f)


class _Namespace:
    """``mx`` for the snippets: distgluon with ``mx.metric`` bound to the module under
    test (distgluon/__init__.py may not import it yet)."""

    def __getattr__(self, name):
        if name == 'metric':
            return metric
        return getattr(mx, name)


def A(x, dtype='float32'):
    return mx.nd.array(np.asarray(x), dtype=dtype)


def run_case(code):
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        exec(code, {'mx': _Namespace(), 'np': np, 'A': A, 'rec': recorder.rec})
    return recorder.out


@pytest.mark.parametrize('case', sorted(CASES))
def test_matches_mxnet(case):
    got = run_case(CASES[case])
    want = RECORDED['cases'][case]
    assert sorted(got) == sorted(want)
    for key in want:
        compare(got[key], want[key], '{}.{}'.format(case, key))


def test_fixture_is_current():
    assert sorted(RECORDED['cases']) == sorted(CASES)
    assert RECORDED['mxnet'] == '1.9.1' and RECORDED['numpy'].startswith('1.23')


def test_argpartition_replays_numpy_1_23():
    rows = RECORDED['argpartition']
    assert len(rows) > 300
    for values, kth, expected in rows:
        x = np.array([float(v) for v in values], dtype=np.float32)
        assert argpartition_np123(x, kth).tolist() == expected


def test_argpartition_is_a_partition():
    rs = np.random.RandomState(0)
    for _ in range(50):
        x = rs.randint(0, 4, size=rs.randint(2, 40)).astype(np.float32)
        k = rs.randint(0, x.size)
        order = argpartition_np123(x, k)
        assert sorted(order.tolist()) == list(range(x.size))
        assert (x[order[:k]] <= x[order[k]]).all() and (x[order[k + 1:]] >= x[order[k]]).all()
    with pytest.raises(ValueError, match=r'kth\(=-1\) out of bounds \(4\)'):
        argpartition_np123(np.zeros(4), -5)


# ---------------------------------------------------------------- numpy oracles
def test_accuracy_against_numpy():
    rs = np.random.RandomState(1)
    m = metric.Accuracy()
    correct = total = 0
    for n in (5, 17, 3):
        pred = rs.rand(n, 6)
        label = rs.randint(0, 6, size=n)
        m.update([A(label)], [A(pred)])
        correct += int((pred.astype(np.float32).argmax(1) == label).sum())
        total += n
    name, value = m.get()
    assert name == 'accuracy' and value == pytest.approx(correct / total, abs=0)


def test_top_k_against_numpy_without_ties():
    rs = np.random.RandomState(2)
    pred = rs.rand(300, 12)
    label = rs.randint(0, 12, size=300)
    for k in (2, 5, 12):
        m = metric.create('top_k_accuracy', top_k=k)
        m.update([A(label)], [A(pred)])
        top = np.argsort(-pred.astype(np.float32), axis=1)[:, :k]
        expected = (top == label[:, None]).any(axis=1).mean()
        assert m.get() == ('top_k_accuracy_%d' % k, pytest.approx(expected, abs=1e-12))


def _f1(label, pred_label):
    tp = np.sum((pred_label == 1) & (label == 1))
    fp = np.sum((pred_label == 1) & (label != 1))
    fn = np.sum((pred_label != 1) & (label == 1))
    precision = tp / (tp + fp) if tp + fp else 0.
    recall = tp / (tp + fn) if tp + fn else 0.
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.


def test_f1_macro_averages_per_update_and_micro_pools():
    rs = np.random.RandomState(3)
    batches = [(rs.randint(0, 2, size=n), rs.rand(n, 2)) for n in (8, 3, 12)]
    macro, micro = metric.F1(), metric.F1(average='micro')
    for label, pred in batches:
        macro.update([A(label)], [A(pred)])
        micro.update([A(label)], [A(pred)])
    per_batch = [_f1(label, pred.argmax(1)) for label, pred in batches]
    pooled = _f1(np.concatenate([b[0] for b in batches]),
                 np.concatenate([b[1].argmax(1) for b in batches]))
    assert macro.get()[1] == pytest.approx(np.mean(per_batch))
    assert micro.get()[1] == pytest.approx(pooled)
    assert macro.get()[1] != pytest.approx(pooled)


def test_mcc_against_formula():
    label = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    pred = np.eye(2)[[1, 0, 0, 1, 1, 0, 1, 0]]
    m = metric.MCC()
    m.update([A(label)], [A(pred)])
    p = pred.argmax(1)
    tp, tn = np.sum((p == 1) & (label == 1)), np.sum((p == 0) & (label == 0))
    fp, fn = np.sum((p == 1) & (label == 0)), np.sum((p == 0) & (label == 1))
    expected = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert m.get() == ('mcc', pytest.approx(expected))


def test_regression_metrics_average_batch_means():
    rs = np.random.RandomState(4)
    batches = [(rs.rand(n), rs.rand(n)) for n in (2, 9, 5)]
    for name, fn in (('mae', lambda d: np.abs(d).mean()), ('mse', lambda d: (d ** 2).mean()),
                     ('rmse', lambda d: np.sqrt((d ** 2).mean()))):
        m = metric.create(name)
        for label, pred in batches:
            m.update([A(label)], [A(pred)])
        expected = np.mean([fn(lab.astype(np.float32) - p.astype(np.float32))
                            for lab, p in batches])
        assert m.get() == (name, pytest.approx(expected, rel=1e-6))
        assert type(m.get()[1]) is np.float64


def test_cross_entropy_and_perplexity_against_numpy():
    rs = np.random.RandomState(5)
    prob = rs.rand(10, 4)
    prob /= prob.sum(1, keepdims=True)
    label = rs.randint(0, 4, size=10)
    label[[2, 7]] = -1
    picked = prob[np.arange(10), np.maximum(label, 0)]
    ce = metric.CrossEntropy()
    ce.update([A(np.maximum(label, 0))], [A(prob)])
    assert ce.get()[1] == pytest.approx(np.mean(-np.log(picked + 1e-12)), rel=1e-6)
    perp = metric.Perplexity(ignore_label=-1)
    perp.update([A(label)], [A(prob)])
    keep = label != -1
    assert perp.get()[1] == pytest.approx(np.exp(-np.log(picked[keep]).mean()), rel=1e-6)


def test_pearson_micro_matches_pooled_correlation_of_batches_sizes():
    rs = np.random.RandomState(6)
    lab, pred = rs.rand(12), rs.rand(12)
    m = metric.PearsonCorrelation(average='micro')
    m.update([A(lab)], [A(pred)])
    assert m.get()[1] == pytest.approx(np.corrcoef(lab.astype(np.float32),
                                                   pred.astype(np.float32))[0, 1])


def test_custom_metric_and_np():
    calls = []

    def feval(label, pred):
        calls.append((type(label), label.shape))
        return float(np.abs(label - pred).sum()), label.size
    m = metric.create(feval)
    m.update([A([1, 2]), A([3])], [A([1, 4]), A([5])])
    assert calls == [(np.ndarray, (2,)), (np.ndarray, (1,))]
    assert m.get() == ('feval', 4 / 3)
    assert metric.np(feval, name='n').name == 'n'


def test_register_a_new_metric():
    class Count(metric.EvalMetric):
        def __init__(self, name='count'):
            super().__init__(name, has_global_stats=True)

        def update(self, labels, preds):
            self.sum_metric += len(preds)
            self.num_inst += 1
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        metric.register(Count)
    made = metric.create('COUNT')
    made.update([], [1, 2, 3])
    assert isinstance(made, Count) and made.get() == ('count', 3.0)
    with pytest.warns(UserWarning, match='overriding'):
        metric.register(type('Count', (Count,), {}))
    with pytest.raises(AssertionError, match='subclass of EvalMetric'):
        metric.register(int)
