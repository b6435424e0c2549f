"""Classification metrics: Accuracy, TopKAccuracy, F1, MCC, PCC and Perplexity."""
import math

import numpy

from .. import ndarray
from .base import EvalMetric, register, alias, check_label_shapes, _require, _f64
from ._select import argpartition_np123

__all__ = ['Accuracy', 'TopKAccuracy', 'F1', 'MCC', 'PCC', 'Perplexity']


# ---------------------------------------------------------------- classification
@register
@alias('acc')
class Accuracy(EvalMetric):
    """Fraction of predictions equal to the label.

    Predictions whose shape differs from the label's are argmaxed along ``axis`` first;
    both are then truncated to int32 and compared element by element.

    Parameters
    ----------
    axis : int, default 1
        The axis of the classes in the predictions.

    Examples
    --------
    >>> acc = mx.metric.Accuracy()
    >>> acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred_label in zip(labels, preds):
            if pred_label.shape != label.shape:
                pred_label = ndarray.argmax(pred_label, axis=self.axis)
            pred_label = pred_label.asnumpy().astype('int32').ravel()
            label = label.asnumpy().astype('int32').ravel()
            check_label_shapes(label, pred_label)
            num_correct = (pred_label == label).sum()
            self.sum_metric += num_correct
            self.global_sum_metric += num_correct
            self.num_inst += len(pred_label)
            self.global_num_inst += len(pred_label)


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest predictions.

    Parameters
    ----------
    top_k : int, must be > 1 (use `Accuracy` for 1)
        The name becomes ``'top_k_accuracy_<top_k>'``.

    Notes
    -----
    The top k are chosen as numpy 1.23's ``argpartition`` chooses them, so ties at the
    k-th value resolve as in MXNet 1.9.1. A 1-D prediction is compared position by
    position with the label after that argpartition, and then updates only the local
    statistics: MXNet's quirks, kept.
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        _require(self.top_k > 1, 'Please use Accuracy if top_k is no more than 1')
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred_label in zip(labels, preds):
            _require(len(pred_label.shape) <= 2, 'Predictions should be no more than 2 dims')
            pred = pred_label.asnumpy().astype('float32')
            if pred.ndim == 1:
                order = argpartition_np123(pred, -self.top_k)
            else:
                _check_kth(pred.shape[-1] - self.top_k, pred.shape[-1])
            label = label.asnumpy().astype('int32')
            check_label_shapes(label, pred)
            num_samples = pred.shape[0]
            if pred.ndim == 1:
                self.sum_metric += _flat_equal(order, label.ravel()).sum()
            else:
                num_correct = _top_k_hits(pred, label, self.top_k)
                self.sum_metric += num_correct
                self.global_sum_metric += num_correct
            self.num_inst += num_samples
            self.global_num_inst += num_samples


def _check_kth(kth, size):
    """numpy's error for an argpartition position outside the array."""
    if kth < 0 or kth >= size:
        raise ValueError('kth(=%d) out of bounds (%d)' % (kth, size))


def _flat_equal(a, b):
    """``a.flat == b.flat`` as MXNet 1.9.1 met it: numpy 1.23 returned a plain False for
    iterators of different lengths, on which MXNet's ``.sum()`` fails."""
    if a.size != b.size:
        raise AttributeError('TopKAccuracy cannot compare {} labels with {} predicted rows '
                             '(MXNet 1.9.1 fails here with an AttributeError too); give one '
                             'label per sample'.format(b.size, a.size))
    return a.ravel() == b.ravel()


def _top_k_hits(pred, label, top_k):
    """Number of (column, row) pairs where one of the top_k argpartition columns of a row
    equals the row's label: MXNet's per-column count, vectorised."""
    num, num_classes = pred.shape
    kth = num_classes - top_k
    if num == 0:
        return numpy.int64(0)
    label = label.ravel()
    if label.size != num:
        _flat_equal(numpy.zeros(num), label)
    # Rows where the top-k set is unique (no tie across the k-th value): any selection
    # algorithm gives the same set. Other rows: replay numpy 1.23's introselect.
    top = numpy.argpartition(pred, kth, axis=1)[:, kth:]
    if kth > 0:
        ordered = numpy.sort(pred, axis=1)
        below, at = ordered[:, kth - 1], ordered[:, kth]
        tied = (below == at) | (numpy.isnan(below) & numpy.isnan(at))
        replayed = {}  # identical rows (e.g. an all-zero output) select identically
        for row in numpy.nonzero(tied)[0]:
            key = pred[row].tobytes()
            if key not in replayed:
                replayed[key] = argpartition_np123(pred[row], kth)[kth:]
            top[row] = replayed[key]
    return numpy.int64((top == label[:, None]).sum())


class _BinaryClassificationMetrics:
    """True/false positive/negative counts (local and global) behind F1 and MCC."""

    def __init__(self):
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        """Count one (label, pred) pair: pred is argmaxed along axis 1."""
        pred = pred.asnumpy()
        label = label.asnumpy().astype('int32')
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError("%s currently only supports binary classification."
                             % self.__class__.__name__)
        pred_true = (pred_label == 1)
        pred_false = 1 - pred_true
        label_true = (label == 1)
        label_false = 1 - label_true
        true_pos = (pred_true * label_true).sum()
        false_pos = (pred_true * label_false).sum()
        false_neg = (pred_false * label_true).sum()
        true_neg = (pred_false * label_false).sum()
        self.true_positives += true_pos
        self.global_true_positives += true_pos
        self.false_positives += false_pos
        self.global_false_positives += false_pos
        self.false_negatives += false_neg
        self.global_false_negatives += false_neg
        self.true_negatives += true_neg
        self.global_true_negatives += true_neg

    @staticmethod
    def _ratio(num, other):
        if num + other > 0:
            return float(num) / (num + other)
        return 0.

    @property
    def precision(self):
        return self._ratio(self.true_positives, self.false_positives)

    @property
    def global_precision(self):
        return self._ratio(self.global_true_positives, self.global_false_positives)

    @property
    def recall(self):
        return self._ratio(self.true_positives, self.false_negatives)

    @property
    def global_recall(self):
        return self._ratio(self.global_true_positives, self.global_false_negatives)

    @staticmethod
    def _f(precision, recall):
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.

    @property
    def fscore(self):
        return self._f(self.precision, self.recall)

    @property
    def global_fscore(self):
        return self._f(self.global_precision, self.global_recall)

    def matthewscc(self, use_global=False):
        """Matthews correlation coefficient; zero factors of the denominator count as 1."""
        prefix = 'global_' if use_global else ''
        if not getattr(self, prefix + 'total_examples'):
            return 0.
        true_pos = float(getattr(self, prefix + 'true_positives'))
        false_pos = float(getattr(self, prefix + 'false_positives'))
        false_neg = float(getattr(self, prefix + 'false_negatives'))
        true_neg = float(getattr(self, prefix + 'true_negatives'))
        terms = [(true_pos + false_pos), (true_pos + false_neg),
                 (true_neg + false_pos), (true_neg + false_neg)]
        denom = 1.
        for t in terms:
            if t != 0.:
                denom *= t
        return ((true_pos * true_neg) - (false_pos * false_neg)) / math.sqrt(denom)

    @property
    def total_examples(self):
        return self.false_negatives + self.false_positives + \
            self.true_negatives + self.true_positives

    @property
    def global_total_examples(self):
        return self.global_false_negatives + self.global_false_positives + \
            self.global_true_negatives + self.global_true_positives

    def local_reset_stats(self):
        self.false_positives = 0
        self.false_negatives = 0
        self.true_positives = 0
        self.true_negatives = 0

    def reset_stats(self):
        self.local_reset_stats()
        self.global_false_positives = 0
        self.global_false_negatives = 0
        self.global_true_positives = 0
        self.global_true_negatives = 0


@register
class F1(EvalMetric):
    """F1 score of a binary classification (predictions argmaxed along axis 1).

    Parameters
    ----------
    average : {'macro', 'micro'}, default 'macro'
        ``'macro'``: the mean of the F1 of each update() call (MXNet's meaning: per
        batch, not per class). ``'micro'``: one F1 over all samples seen.

    Raises
    ------
    ValueError
        When the labels of one batch hold more than two distinct values.
    """

    def __init__(self, name='f1', output_names=None, label_names=None, average="macro"):
        self.average = average
        self.metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names,
                            label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred)
        if self.average == "macro":
            self.sum_metric += self.metrics.fscore
            self.global_sum_metric += self.metrics.global_fscore
            self.num_inst += 1
            self.global_num_inst += 1
            self.metrics.reset_stats()
        else:
            self.sum_metric = self.metrics.fscore * self.metrics.total_examples
            self.global_sum_metric = self.metrics.global_fscore * \
                self.metrics.global_total_examples
            self.num_inst = self.metrics.total_examples
            self.global_num_inst = self.metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        self.metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.metrics.local_reset_stats()


@register
class MCC(EvalMetric):
    """Matthews correlation coefficient of a binary classification.

    ``(TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))`` with zero factors of the
    denominator replaced by 1. ``average`` as in `F1` (per update() call for 'macro').
    """

    def __init__(self, name='mcc', output_names=None, label_names=None, average="macro"):
        self._average = average
        self._metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names,
                            label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._metrics.update_binary_stats(label, pred)
        if self._average == "macro":
            self.sum_metric += self._metrics.matthewscc()
            self.global_sum_metric += self._metrics.matthewscc(use_global=True)
            self.num_inst += 1
            self.global_num_inst += 1
            self._metrics.reset_stats()
        else:
            self.sum_metric = self._metrics.matthewscc() * self._metrics.total_examples
            self.global_sum_metric = self._metrics.matthewscc(use_global=True) * \
                self._metrics.global_total_examples
            self.num_inst = self._metrics.total_examples
            self.global_num_inst = self._metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self.global_sum_metric = 0.
        self.global_num_inst = 0.
        self._metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self._metrics.local_reset_stats()


@register
class PCC(EvalMetric):
    """Multiclass Matthews correlation from a K x K confusion matrix (grows with K).

    ``num_inst`` counts update() calls; the value is the PCC of everything seen (nan
    while a marginal of the confusion matrix is constant).
    """

    def __init__(self, name='pcc', output_names=None, label_names=None,
                 has_global_stats=True):
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), 'constant', constant_values=(0))
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), 'constant', constant_values=(0))
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float('nan')
        i = cmat.diagonal()
        cov_xy = numpy.sum(i * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = label.astype('int32', copy=False).asnumpy()
            pred = pred.asnumpy()
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            else:
                pred = pred.astype('int32', copy=False)
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(n + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            numpy.add.at(bcm, (pred, label), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))


@register
class Perplexity(EvalMetric):
    """``exp(-mean(log p(label)))`` over the entries whose label is not ``ignore_label``.

    Parameters
    ----------
    ignore_label : int or None
        Label value to skip (None counts every entry).
    axis : int, default -1
        The class axis of the predictions (the labels are flattened and picked along it).
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None,
                 label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        _require(len(labels) == len(preds))
        loss = 0.
        num = 0
        for label, pred in zip(labels, preds):
            _require(label.size == pred.size / pred.shape[-1],
                     "shape mismatch: %s vs. %s" % (label.shape, pred.shape))
            label = ndarray.array(label.asnumpy().reshape(label.size), ctx=pred.context,
                                  dtype=label.dtype)
            pred = ndarray.pick(pred, label.astype(dtype='int32'), axis=self.axis)
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(pred.dtype)
                num -= _f64(ndarray.sum(ignore).asscalar())
                pred = pred * (1 - ignore) + ignore
            loss -= _f64(ndarray.sum(ndarray.log(ndarray.maximum(1e-10, pred))).asscalar())
            num += pred.size
        self.sum_metric += loss
        self.global_sum_metric += loss
        self.num_inst += num
        self.global_num_inst += num

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))
